//! Contract section 3: every metric per entity (employee or `UNASSIGNED`) and period, in one pass
//! over the facts with the integer period as the group key.
//!
//! Sums are accumulated in a dense `entities × periods` table of [`Sums`]; ratios are derived
//! from those sums only when a row is written, so rollups can reuse them.

mod origination;
mod portfolio;
pub mod table;

use std::collections::HashMap;

use crate::ledger::Swept;
use crate::model::Ledger;
use crate::periods::{Calendar, Day};

/// The periods of a run: `first..=last` of one calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub cal: Calendar,
    pub first: i32,
    pub last: i32,
}

impl Window {
    pub fn len(&self) -> usize {
        (self.last - self.first + 1).max(0) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of the period holding `d`, if it is in the window.
    pub fn index_of_day(&self, d: Day) -> Option<usize> {
        self.index_of_period(self.cal.period_of_day(d))
    }

    pub fn index_of_period(&self, p: i32) -> Option<usize> {
        (self.first..=self.last)
            .contains(&p)
            .then(|| (p - self.first) as usize)
    }

    pub fn periods(&self) -> impl Iterator<Item = i32> {
        self.first..=self.last
    }

    /// Month keys covered by the balance grid: the month before the first period to the last
    /// period's last month.
    pub fn grid_months(&self) -> (i32, i32) {
        (
            self.cal.first_month(self.first) - 1,
            self.cal.last_month(self.last),
        )
    }
}

/// Additive facts of one entity and period. Money in base cents.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Sums {
    pub outstanding: i64,
    pub overdue: i64,
    pub par30: i64,
    pub par60: i64,
    pub par90: i64,
    pub cash_collected: i64,
    pub written_off: i64,
    pub recoveries: i64,
    pub fee_income: i64,
    /// Sum of BR_i, S_i, ER_i, ECR_i and C_i over the invoices credited at period end.
    pub br: i64,
    pub s: i64,
    pub er: i64,
    pub ecr: i64,
    pub c: i64,
    /// Receivables collection rate: applied collections and face of invoices due in the period.
    pub rcr_collected: i64,
    pub rcr_face: i64,
    /// Sum of the month-end balances of the months of the period and the month before.
    pub month_end_balances: i64,
    pub applications_received: i64,
    pub applications_decided: i64,
    pub applications_approved: i64,
    pub applications_funded: i64,
    pub funded_volume: i64,
    pub purchased_face: i64,
    pub new_clients: i64,
    pub review_sum: [f64; 3],
    pub review_count: [i64; 3],
}

/// Sums for every entity and period, plus the time-to-fund samples.
#[derive(Debug)]
pub struct Facts {
    pub window: Window,
    /// Entities are employees `0..n`, then `UNASSIGNED` at index `n`.
    pub entities: usize,
    pub sums: Vec<Sums>,
    /// Hours from received to funded, per (entity, period index).
    pub time_to_fund: HashMap<(u32, u32), Vec<f64>>,
}

impl Facts {
    pub fn unassigned(&self) -> u32 {
        (self.entities - 1) as u32
    }

    pub fn at(&self, entity: u32, k: usize) -> &Sums {
        &self.sums[entity as usize * self.window.len() + k]
    }

    fn at_mut(&mut self, entity: u32, k: usize) -> &mut Sums {
        let n = self.window.len();
        &mut self.sums[entity as usize * n + k]
    }
}

/// Computes every additive fact of the window in one pass over the ledger.
pub fn compute(l: &Ledger, s: &Swept, window: Window) -> Facts {
    let entities = l.employees.ids.len() + 1;
    let mut f = Facts {
        window,
        entities,
        sums: vec![Sums::default(); entities * window.len()],
        time_to_fund: HashMap::new(),
    };
    portfolio::balances(l, s, &mut f);
    portfolio::flows(l, s, &mut f);
    origination::origination(l, s, &mut f);
    origination::reviews(l, &mut f);
    f
}
