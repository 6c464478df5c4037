//! The rows every output table of a period is built on: one per employee and period employed,
//! with the org as of the row's org date (the period's end or the last day employed).

use crate::metrics::Window;
use crate::model::{Ledger, OrgRow};
use crate::periods::Day;

/// One scorecard row: employee `employee` in the `k`-th period of the facts' window.
#[derive(Debug, Clone)]
pub struct Card<'l> {
    pub employee: u32,
    pub k: usize,
    /// The org on the row's org date, `min(pe, termination_date)`.
    pub org: Option<&'l OrgRow>,
    pub days_employed: i32,
}

/// The rows of every period of the window, each period's in employee id order.
pub fn cards<'l>(l: &'l Ledger, w: &Window) -> Vec<Vec<Card<'l>>> {
    let emp = &l.employees;
    let mut order: Vec<u32> = (0..emp.ids.len() as u32).collect();
    order.sort_by(|a, b| emp.ids.name(*a).cmp(emp.ids.name(*b)));
    w.periods()
        .enumerate()
        .map(|(k, p)| {
            let (ps, pe) = (w.cal.start(p), w.cal.end(p));
            order
                .iter()
                .filter_map(|&e| {
                    let d = emp.days_employed(e, ps, pe);
                    (d > 0).then(|| Card {
                        employee: e,
                        k,
                        org: l.org_on(e, org_date(l, e, pe)),
                        days_employed: d,
                    })
                })
                .collect()
        })
        .collect()
}

/// The org date of employee `e`'s row of a period ending `pe`.
pub fn org_date(l: &Ledger, e: u32, pe: Day) -> Day {
    l.employees.termination[e as usize].map_or(pe, |t| t.min(pe))
}
