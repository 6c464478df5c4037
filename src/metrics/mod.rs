//! Contract section 3: every metric per entity (employee or `UNASSIGNED`) and period, in one pass
//! over the facts with the integer period as the group key.
//!
//! Sums are accumulated in dense `entities × periods` tables ([`Facts`]); ratios are derived
//! from those sums only when a row is written, so rollups can reuse them.

pub mod custom;
mod decisions;
mod origination;
mod portfolio;

pub use portfolio::credited;
pub mod registry;

use std::collections::HashMap;

use crate::catalogue::{Builtin, Catalogue, Metric, MetricId};
use crate::ledger::Swept;
use crate::model::Ledger;
use crate::periods::{Calendar, Day};
use registry::{Ctx, Val};

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

    /// Where the facts of `entity` in the `k`-th period are in a table laid out entity by entity,
    /// each the window's periods in order ([`Facts::balances`], [`Facts::flows`]).
    pub fn cell(&self, entity: u32, k: usize) -> usize {
        entity as usize * self.len() + k
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

    /// The labels of the periods, in order.
    pub fn labels(&self) -> Vec<String> {
        self.periods().map(|p| self.cal.label(p)).collect()
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
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Sums {
    /// The balances and decisions.
    pub bal: Balances,
    /// The flows, origination and review facts.
    pub flow: Flows,
}

/// The facts of one entity and period that one thread computes from the balance grid and the
/// decisions (see [`compute`]), into a table of these alone.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct Balances {
    pub outstanding: i64,
    pub overdue: i64,
    pub par30: i64,
    pub par60: i64,
    pub par90: i64,
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
    /// Applications decided (approved or rejected) by the entity as `decided_by`.
    pub decisions_made: i64,
    /// Face and unpaid amount of the invoices under the entity's approvals maturing in the period.
    pub approved_matured_face: i64,
    pub approved_defaulted: i64,
}

/// The facts of one entity and period that the other thread computes (see [`compute`]), into a
/// table of these alone.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct Flows {
    pub cash_collected: i64,
    pub written_off: i64,
    pub recoveries: i64,
    pub fee_income: i64,
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

impl Sums {
    /// Adds another entity-period's sums to these.
    pub fn add(&mut self, o: &Sums) {
        self.bal.add(&o.bal);
        self.flow.add(&o.flow);
    }
}

impl Balances {
    /// Adds another entity-period's balances to these.
    pub fn add(&mut self, o: &Balances) {
        let pairs = [
            (&mut self.outstanding, o.outstanding),
            (&mut self.overdue, o.overdue),
            (&mut self.par30, o.par30),
            (&mut self.par60, o.par60),
            (&mut self.par90, o.par90),
            (&mut self.br, o.br),
            (&mut self.s, o.s),
            (&mut self.er, o.er),
            (&mut self.ecr, o.ecr),
            (&mut self.c, o.c),
            (&mut self.rcr_collected, o.rcr_collected),
            (&mut self.rcr_face, o.rcr_face),
            (&mut self.month_end_balances, o.month_end_balances),
            (&mut self.decisions_made, o.decisions_made),
            (&mut self.approved_matured_face, o.approved_matured_face),
            (&mut self.approved_defaulted, o.approved_defaulted),
        ];
        for (a, b) in pairs {
            *a += b;
        }
    }
}

impl Flows {
    /// Adds another entity-period's flows to these.
    pub fn add(&mut self, o: &Flows) {
        let pairs = [
            (&mut self.cash_collected, o.cash_collected),
            (&mut self.written_off, o.written_off),
            (&mut self.recoveries, o.recoveries),
            (&mut self.fee_income, o.fee_income),
            (&mut self.applications_received, o.applications_received),
            (&mut self.applications_decided, o.applications_decided),
            (&mut self.applications_approved, o.applications_approved),
            (&mut self.applications_funded, o.applications_funded),
            (&mut self.funded_volume, o.funded_volume),
            (&mut self.purchased_face, o.purchased_face),
            (&mut self.new_clients, o.new_clients),
        ];
        for (a, b) in pairs {
            *a += b;
        }
        for k in 0..3 {
            self.review_sum[k] += o.review_sum[k];
            self.review_count[k] += o.review_count[k];
        }
    }
}

/// What the thread beside the balances computes: [`Flows`] per entity and period (laid out as
/// [`Facts::flows`]), the time-to-fund samples and the entity of each event.
struct FlowFacts {
    window: Window,
    entities: usize,
    flows: Vec<Flows>,
    time_to_fund: HashMap<(u32, u32), Vec<f64>>,
    credited: Credited,
}

impl FlowFacts {
    fn new(window: Window, entities: usize) -> Self {
        FlowFacts {
            window,
            entities,
            flows: vec![Flows::default(); entities * window.len()],
            time_to_fund: HashMap::new(),
            credited: Credited::default(),
        }
    }

    fn unassigned(&self) -> u32 {
        (self.entities - 1) as u32
    }

    fn at_mut(&mut self, entity: u32, k: usize) -> &mut Flows {
        &mut self.flows[self.window.cell(entity, k)]
    }
}

/// Sums for every entity and period, plus the time-to-fund and decision-time samples.
#[derive(Debug)]
pub struct Facts {
    pub window: Window,
    /// Entities are employees `0..n`, then `UNASSIGNED` at index `n`.
    pub entities: usize,
    /// The two parts of each entity's and period's [`Sums`], in two tables laid out by
    /// [`Window::cell`]: each is filled by one thread, and neither is copied into the other.
    pub balances: Vec<Balances>,
    pub flows: Vec<Flows>,
    /// Hours from received to funded, per (entity, period index), sorted.
    pub time_to_fund: HashMap<(u32, u32), Vec<f64>>,
    /// Hours from received to decided, per (deciding entity, period index), sorted.
    pub decision_hours: HashMap<(u32, u32), Vec<f64>>,
    /// The pipeline's custom metrics (contract 3.1).
    pub custom: custom::CustomFacts,
    /// The entity each event of the window is credited to, when asked (see [`compute`]).
    pub credited: Credited,
}

/// The entity each collection, write-off and fee is credited to (the client's account manager
/// on the day, contract section 3), by event index; [`Credited::OUTSIDE`] for an event outside
/// the window. Kept from the built-in flows for the custom metrics over the same events.
#[derive(Debug, Default)]
pub struct Credited {
    pub collections: Vec<u32>,
    pub write_offs: Vec<u32>,
    pub fees: Vec<u32>,
}

impl Credited {
    /// An event outside the window.
    pub const OUTSIDE: u32 = u32::MAX;
}

impl Facts {
    pub fn unassigned(&self) -> u32 {
        (self.entities - 1) as u32
    }

    /// Every entity's and period's sums, in the order of [`Window::cell`].
    pub fn sums(&self) -> impl ExactSizeIterator<Item = Sums> + '_ {
        self.balances
            .iter()
            .zip(&self.flows)
            .map(|(&bal, &flow)| Sums { bal, flow })
    }

    /// The sums of `entity` in the `k`-th period.
    pub fn at(&self, entity: u32, k: usize) -> Sums {
        let i = self.window.cell(entity, k);
        Sums {
            bal: self.balances[i],
            flow: self.flows[i],
        }
    }

    /// Days in the window's `k`-th period and the number of month ends in its average.
    pub fn shape(&self, k: usize) -> (i64, i64) {
        let w = self.window;
        let p = w.first + k as i32;
        (
            i64::from(w.cal.end(p) - w.cal.start(p) + 1),
            i64::from(w.cal.grain.months()) + 1,
        )
    }

    /// What the metrics of `entity` in the `k`-th period are computed from.
    pub fn ctx(&self, entity: u32, k: usize) -> Ctx<'_> {
        let (days, points) = self.shape(k);
        Ctx {
            s: self.at(entity, k),
            days,
            points,
            ttf: self
                .time_to_fund
                .get(&(entity, k as u32))
                .map_or(&[], Vec::as_slice),
            decision_hours: self
                .decision_hours
                .get(&(entity, k as u32))
                .map_or(&[], Vec::as_slice),
        }
    }

    /// Every metric of `entity` in the `k`-th period, in catalogue order: the built-ins, then
    /// the custom metrics.
    pub fn values(&self, cat: &Catalogue, entity: u32, k: usize) -> Vec<Val> {
        let mut v = registry::values(&self.ctx(entity, k));
        v.extend((0..cat.custom.len()).map(|i| self.custom.value(entity, k, i)));
        v
    }

    /// The value of metric `id` for `entity` in the `k`-th period.
    pub fn value(&self, cat: &Catalogue, entity: u32, k: usize, id: MetricId) -> Val {
        match cat.get(id) {
            Metric::Builtin(b) => registry::value(b, &self.ctx(entity, k)),
            Metric::Custom(_) => self
                .custom
                .value(entity, k, id.index() - Builtin::ALL.len()),
        }
    }

    fn at_mut(&mut self, entity: u32, k: usize) -> &mut Balances {
        &mut self.balances[self.window.cell(entity, k)]
    }
}

/// Computes every additive fact of the window in one pass over the ledger.
///
/// Balances and decisions run on one thread into the table of [`Balances`]; flows, origination
/// and reviews on another into the table of [`Flows`]. The entity of each event
/// ([`Facts::credited`]) is kept when `keep_credited` (the custom metrics read it).
pub fn compute(l: &Ledger, s: &Swept, window: Window, keep_credited: bool) -> Facts {
    let entities = l.employees.ids.len() + 1;
    let empty = || Facts {
        window,
        entities,
        balances: vec![Balances::default(); entities * window.len()],
        flows: Vec::new(),
        time_to_fund: HashMap::new(),
        decision_hours: HashMap::new(),
        custom: custom::CustomFacts::default(),
        credited: Credited::default(),
    };
    let (mut f, other) = std::thread::scope(|scope| {
        let flows = scope.spawn(|| {
            let mut f = FlowFacts::new(window, entities);
            portfolio::flows(l, s, &mut f, keep_credited);
            origination::origination(l, s, &mut f);
            origination::reviews(l, &mut f);
            f
        });
        let mut f = empty();
        portfolio::balances(l, s, &mut f);
        decisions::decisions(l, s, &mut f);
        (
            f,
            flows
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        )
    });
    f.flows = other.flows;
    f.time_to_fund = other.time_to_fund;
    f.credited = other.credited;
    for v in f
        .time_to_fund
        .values_mut()
        .chain(f.decision_hours.values_mut())
    {
        v.sort_by(f64::total_cmp);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::Sums;

    #[test]
    fn adding_sums_adds_every_field() {
        let one = Sums {
            bal: super::Balances {
                outstanding: 1,
                overdue: 2,
                par30: 3,
                par60: 4,
                par90: 5,
                br: 10,
                s: 11,
                er: 12,
                ecr: 13,
                c: 14,
                rcr_collected: 15,
                rcr_face: 16,
                month_end_balances: 17,
                decisions_made: 31,
                approved_matured_face: 32,
                approved_defaulted: 33,
            },
            flow: super::Flows {
                cash_collected: 6,
                written_off: 7,
                recoveries: 8,
                fee_income: 9,
                applications_received: 18,
                applications_decided: 19,
                applications_approved: 20,
                applications_funded: 21,
                funded_volume: 22,
                purchased_face: 23,
                new_clients: 24,
                review_sum: [25.0, 26.0, 27.0],
                review_count: [28, 29, 30],
            },
        };
        let mut total = Sums::default();
        total.add(&one);
        assert_eq!(total, one);
        total.add(&one);
        assert_eq!(total.flow.new_clients, 48);
        assert_eq!(total.flow.cash_collected, 12);
        assert_eq!(total.flow.review_sum, [50.0, 52.0, 54.0]);
        assert_eq!(total.bal.month_end_balances, 34);
        assert_eq!(total.bal.decisions_made, 62);
        assert_eq!(total.bal.approved_matured_face, 64);
        assert_eq!(total.bal.approved_defaulted, 66);
    }
}
