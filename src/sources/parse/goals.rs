//! Checks of the scoring inputs (contract 5.2): `targets` and `adjustments`. The checks that
//! need a plan or a scorecard row are made when scoring.

use std::collections::HashMap;

use super::{cells, next, Row};
use crate::catalogue::{Catalogue, MetricId};
use crate::model::{AdjustmentRow, LabelKey, Ledger, TargetRow};
use crate::problems::Problems;
use crate::raw::RawTable;

impl Row<'_, '_> {
    fn label(&mut self, v: Option<super::Cell<'_>>) -> Option<LabelKey> {
        let s = self.req("period", v)?;
        match crate::periods::label_key(s) {
            Ok((grain, key)) => Some(LabelKey { grain, key }),
            Err(e) => {
                self.bad("period", s, e);
                None
            }
        }
    }

    fn metric(&mut self, v: Option<super::Cell<'_>>, catalogue: &Catalogue) -> Option<MetricId> {
        let s = self.req("metric", v)?;
        let m = catalogue.id(s);
        if m.is_none() {
            let rule = format!("is not a metric ({})", catalogue.unknown_hint(s));
            self.bad("metric", s, rule);
        }
        m
    }
}

/// The key a targets row may not repeat: period, metric, employee, role, department.
type TargetKey = (
    LabelKey,
    MetricId,
    Option<u32>,
    Option<String>,
    Option<String>,
);

pub(super) fn targets(
    p: &mut Problems,
    l: &Ledger,
    t: &RawTable,
    catalogue: &Catalogue,
) -> Vec<TargetRow> {
    let names = [
        "period",
        "metric",
        "target",
        "threshold",
        "stretch",
        "employee_id",
        "role",
        "department",
    ];
    let mut cols: Vec<_> = names.iter().map(|n| cells(t, n)).collect();
    let mut out = Vec::new();
    let mut seen: HashMap<TargetKey, (usize, Option<usize>)> = HashMap::new();
    let mut gone = Vec::new();
    for i in 0..t.height() {
        let c: Vec<_> = cols.iter_mut().map(next).collect();
        let mut r = Row::new(p, t, i);
        let period = r.label(c[0]);
        let metric = r.metric(c[1], catalogue);
        let target = r.float("target", c[2], true);
        let threshold = r.float("threshold", c[3], false);
        let stretch = r.float("stretch", c[4], false);
        let employee = c[5].and_then(|v| r.employee(l, "employee_id", Some(v)));
        let role = r.text("role", c[6]).map(str::to_string);
        let department = r.text("department", c[7]).map(str::to_string);
        if c[5].is_some() && (role.is_some() || department.is_some()) {
            r.bad(
                "employee_id",
                &super::show(c[5]),
                "names an employee together with a role or department: a row names an employee alone, or a department and/or a role, or none of them",
            );
            continue;
        }
        let (Some(period), Some(metric), Some(target)) = (period, metric, target) else {
            continue;
        };
        let key = (period, metric, employee, role.clone(), department.clone());
        if r.broke {
            continue;
        }
        // Which of two rows with one key is right cannot be told: both leave.
        if let Some(&(first, k)) = seen.get(&key) {
            let what = "(period, metric, employee_id, department, role)";
            r.bad(
                "period",
                &super::show(c[0]),
                format!("repeats the {what} of {}", t.row_ref(first)),
            );
            if let Some(k) = k {
                r.p.add(
                    t,
                    first,
                    "period",
                    &super::show(c[0]),
                    format!("is repeated with the same {what} by {}", t.row_ref(i)),
                );
                gone.push(k);
                seen.insert(key, (first, None));
            }
            continue;
        }
        seen.insert(key, (i, Some(out.len())));
        out.push(TargetRow {
            row: i as u32,
            period,
            metric,
            target,
            threshold,
            stretch,
            employee,
            role,
            department,
        });
    }
    drop_indexes(&mut out, &gone);
    out
}

pub(super) fn adjustments(
    p: &mut Problems,
    l: &Ledger,
    t: &RawTable,
    catalogue: &Catalogue,
) -> Vec<AdjustmentRow> {
    let names = [
        "employee_id",
        "period",
        "metric",
        "value",
        "reason",
        "approved_by",
    ];
    let mut cols: Vec<_> = names.iter().map(|n| cells(t, n)).collect();
    let mut out = Vec::new();
    let mut seen: HashMap<(u32, LabelKey, MetricId), (usize, Option<usize>)> = HashMap::new();
    let mut gone = Vec::new();
    for i in 0..t.height() {
        let c: Vec<_> = cols.iter_mut().map(next).collect();
        let mut r = Row::new(p, t, i);
        let employee = r.employee(l, "employee_id", c[0]);
        let period = r.label(c[1]);
        let metric = r.metric(c[2], catalogue);
        let value = r.float("value", c[3], true);
        let reason = r.req("reason", c[4]).map(str::to_string);
        let approved_by = r.req("approved_by", c[5]).map(str::to_string);
        let (
            Some(employee),
            Some(period),
            Some(metric),
            Some(value),
            Some(reason),
            Some(approved_by),
        ) = (employee, period, metric, value, reason, approved_by)
        else {
            continue;
        };
        if r.broke {
            continue;
        }
        // Which of two appeals of one key is right cannot be told: both leave.
        let key = (employee, period, metric);
        if let Some(&(first, k)) = seen.get(&key) {
            let what = "(employee_id, period, metric)";
            r.bad(
                "metric",
                catalogue.name(metric),
                format!("repeats the {what} of {}", t.row_ref(first)),
            );
            if let Some(k) = k {
                r.p.add(
                    t,
                    first,
                    "metric",
                    catalogue.name(metric),
                    format!("is repeated with the same {what} by {}", t.row_ref(i)),
                );
                gone.push(k);
                seen.insert(key, (first, None));
            }
            continue;
        }
        seen.insert(key, (i, Some(out.len())));
        out.push(AdjustmentRow {
            row: i as u32,
            employee,
            period,
            metric,
            value,
            reason,
            approved_by,
        });
    }
    drop_indexes(&mut out, &gone);
    out
}

/// Removes the items at `indexes` from `v`.
fn drop_indexes<T>(v: &mut Vec<T>, indexes: &[usize]) {
    if indexes.is_empty() {
        return;
    }
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        !indexes.contains(&(i - 1))
    });
}
