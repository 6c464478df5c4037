//! Scorecard rows: one per employee and period employed, with identity, org as of the period's
//! end (or the last day employed) and every metric.

use polars::prelude::*;

use crate::metrics::table::{columns, values, Val};
use crate::metrics::Facts;
use crate::model::Ledger;
use crate::periods::Day;

/// The scorecards of one period.
pub struct PeriodTable {
    pub period: i32,
    pub label: String,
    pub df: DataFrame,
}

/// Metric values of an entity and period index.
pub fn entity_values(f: &Facts, e: u32, k: usize) -> Vec<Val> {
    let w = f.window;
    let p = w.first + k as i32;
    let days = i64::from(w.cal.end(p) - w.cal.start(p) + 1);
    let points = i64::from(w.cal.grain.months()) + 1;
    values(
        f.at(e, k),
        days,
        points,
        f.time_to_fund.get(&(e, k as u32)).map(Vec::as_slice),
    )
}

/// Builds the scorecards of every period of the window, employees in id order.
pub fn build(l: &Ledger, f: &Facts) -> PolarsResult<Vec<PeriodTable>> {
    let w = f.window;
    let emp = &l.employees;
    let mut order: Vec<u32> = (0..emp.ids.len() as u32).collect();
    order.sort_by(|a, b| emp.ids.names[*a as usize].cmp(&emp.ids.names[*b as usize]));
    let mut out = Vec::with_capacity(w.len());
    for (k, p) in w.periods().enumerate() {
        let (ps, pe) = (w.cal.start(p), w.cal.end(p));
        let label = w.cal.label(p);
        let mut ids = Vec::new();
        let mut names = Vec::new();
        let (mut dept, mut team, mut role, mut mgr) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut days = Vec::new();
        let mut rows = Vec::new();
        for &e in &order {
            let d = emp.days_employed(e, ps, pe);
            if d == 0 {
                continue;
            }
            let as_of: Day = emp.termination[e as usize].map_or(pe, |t| t.min(pe));
            let org = l.org_on(e, as_of);
            ids.push(emp.ids.names[e as usize].as_str());
            names.push(emp.name[e as usize].as_str());
            dept.push(org.map(|o| o.department.as_str()));
            team.push(org.map(|o| o.team.as_str()));
            role.push(org.map(|o| o.role.as_str()));
            mgr.push(org.and_then(|o| o.manager_id.as_deref()));
            days.push(i64::from(d));
            rows.push(entity_values(f, e, k));
        }
        let n = ids.len();
        let date = |d: Day| Column::new("".into(), vec![d; n]).cast(&DataType::Date);
        let mut cols = vec![
            Column::new("employee_id".into(), ids),
            Column::new("employee_name".into(), names),
            Column::new("grain".into(), vec![w.cal.grain.name(); n]),
            Column::new("period".into(), vec![label.as_str(); n]),
            date(ps)?.with_name("period_start".into()),
            date(pe)?.with_name("period_end".into()),
            Column::new("department".into(), dept),
            Column::new("team".into(), team),
            Column::new("role".into(), role),
            Column::new("manager_id".into(), mgr),
            Column::new("days_employed".into(), days),
        ];
        cols.extend(columns(&rows)?);
        out.push(PeriodTable {
            period: p,
            label,
            df: DataFrame::new(n, cols)?,
        });
    }
    Ok(out)
}
