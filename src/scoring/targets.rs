//! Target resolution (contract 5.2): company goals cascade down to departments and roles, and
//! the most specific `targets` row for (period, metric) wins: the employee's own, else their
//! department and role, else their role, else their department, else the company's, else the
//! plan default. Missing threshold and stretch come from the plan default.

use crate::catalogue::MetricId;
use std::collections::HashMap;

use crate::config::Kpi;
use crate::model::{Ledger, OrgRow, TargetRow};
use crate::periods::Grain;

/// Where a KPI's target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TargetSource {
    Employee,
    DepartmentRole,
    Role,
    Department,
    Company,
    Plan,
}

impl TargetSource {
    pub fn name(self) -> &'static str {
        match self {
            TargetSource::Employee => "employee",
            TargetSource::DepartmentRole => "department_role",
            TargetSource::Role => "role",
            TargetSource::Department => "department",
            TargetSource::Company => "company",
            TargetSource::Plan => "plan",
        }
    }
}

/// The target, threshold and stretch a KPI is scored against, and where they came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    pub target: f64,
    pub threshold: f64,
    pub stretch: f64,
    pub source: TargetSource,
    /// The `targets` row chosen, if any (row of the raw table).
    pub row: Option<u32>,
}

/// The targets rows of a run's grain, by (period key, metric).
pub struct Targets<'l> {
    by_key: HashMap<(i32, MetricId), Vec<&'l TargetRow>>,
}

impl<'l> Targets<'l> {
    /// The rows of `grain`, but those of the raw rows `left_out` (sorted).
    pub fn index(l: &'l Ledger, grain: Grain, left_out: &[u32]) -> Self {
        let mut by_key: HashMap<(i32, MetricId), Vec<&TargetRow>> = HashMap::new();
        for t in l
            .targets
            .iter()
            .filter(|t| t.period.grain == grain && left_out.binary_search(&t.row).is_err())
        {
            by_key.entry((t.period.key, t.metric)).or_default().push(t);
        }
        Targets { by_key }
    }

    /// The target of `kpi` for employee `e` in period `p`, with org `org` on the row's org date.
    pub fn resolve(&self, kpi: &Kpi, p: i32, e: u32, org: Option<&OrgRow>) -> Resolved {
        let plan_default = Resolved {
            target: kpi.target,
            threshold: kpi.threshold,
            stretch: kpi.stretch,
            source: TargetSource::Plan,
            row: None,
        };
        let Some(rows) = self.by_key.get(&(p, kpi.metric)) else {
            return plan_default;
        };
        let dept = org.map(|o| o.department.as_str());
        let role = org.map(|o| o.role.as_str());
        let best = rows
            .iter()
            .filter_map(|t| source(t, e, dept, role).map(|s| (s, *t)))
            .min_by_key(|(s, _)| *s);
        match best {
            Some((source, t)) => Resolved {
                target: t.target,
                threshold: t.threshold.unwrap_or(kpi.threshold),
                stretch: t.stretch.unwrap_or(kpi.stretch),
                source,
                row: Some(t.row),
            },
            None => plan_default,
        }
    }
}

/// How specifically a targets row applies to an employee, or `None` when it does not.
fn source(t: &TargetRow, e: u32, dept: Option<&str>, role: Option<&str>) -> Option<TargetSource> {
    if let Some(te) = t.employee {
        return (te == e).then_some(TargetSource::Employee);
    }
    let d = t.department.as_deref();
    let r = t.role.as_deref();
    match (d, r) {
        (Some(d), Some(r)) => {
            (Some(d) == dept && Some(r) == role).then_some(TargetSource::DepartmentRole)
        }
        (None, Some(r)) => (Some(r) == role).then_some(TargetSource::Role),
        (Some(d), None) => (Some(d) == dept).then_some(TargetSource::Department),
        (None, None) => Some(TargetSource::Company),
    }
}
