//! Balances, flows and portfolio ratios, credited to the client's account manager.

use super::{Credited, Facts, FlowFacts, Window};
use crate::ledger::Swept;
use crate::model::Ledger;
use crate::periods::{month_end, month_of, Day};

/// Series of the balance grid: outstanding, then balances more than 0, 30, 60 and 90 days past due.
const SERIES: usize = 5;
const AGE_FROM_DUE: [Option<i32>; SERIES] = [None, Some(1), Some(31), Some(61), Some(91)];

/// Month-end balances per client, for the months of one block, from running sums of signed
/// balance changes.
///
/// A change of amount δ on day d counts in series k from day `max(d, due + age_k)`: from then on
/// the invoice's balance is at least that old. The cumulative sum over months of these dated
/// changes, from each client's balances at the end of the month before the block (`carry`), is
/// each client's month-end balance per series, with no invoice × month product.
struct Grid {
    m0: i32,
    months: usize,
    cells: Vec<[i64; SERIES]>,
}

impl Grid {
    /// The block of months `m0..=m1`. The first block of a window also holds the changes that
    /// count before it, in its first month; a later block leaves them to `carry`.
    fn build(
        l: &Ledger,
        s: &Swept,
        (m0, m1): (i32, i32),
        first: bool,
        carry: &[[i64; SERIES]],
    ) -> Grid {
        let months = (m1 - m0 + 1) as usize;
        let mut cells = vec![[0i64; SERIES]; l.clients.len() * months];
        // The month a change counts from in series k is the later of its own month and the
        // month the invoice reaches age k (the month of a later day is never earlier). An
        // invoice's changes come together, so its age months are found once.
        let mut invoice = u32::MAX;
        let mut age_months = [i32::MIN; SERIES];
        for d in &s.deltas {
            let month = month_of(d.day);
            if month > m1 {
                continue;
            }
            let i = d.invoice as usize;
            if d.invoice != invoice {
                invoice = d.invoice;
                let due = l.invoices.due[i];
                age_months = AGE_FROM_DUE.map(|a| a.map_or(i32::MIN, |a| month_of(due + a)));
            }
            let row = &mut cells[l.invoices.client[i] as usize * months..][..months];
            for (k, &aged) in age_months.iter().enumerate() {
                let m = month.max(aged);
                if m <= m1 && (first || m >= m0) {
                    row[(m - m0).max(0) as usize][k] += d.amount;
                }
            }
        }
        for (row, carried) in cells.chunks_mut(months).zip(carry) {
            let mut prev = *carried;
            for cell in row {
                for (c, p) in cell.iter_mut().zip(prev) {
                    *c += p;
                }
                prev = *cell;
            }
        }
        Grid { m0, months, cells }
    }

    fn at(&self, c: usize, m: i32) -> &[i64; SERIES] {
        &self.cells[c * self.months + (m - self.m0) as usize]
    }

    fn last(&self, c: usize) -> &[i64; SERIES] {
        &self.cells[(c + 1) * self.months - 1]
    }
}

/// Months of the balance grid held at once: the grid is built a block of months at a time, each
/// block one sequential pass over the balance changes, so that its memory stays within a quarter
/// of the changes' own (a handful of passes for any backfill, one for a monthly run).
fn block_months(s: &Swept, clients: usize) -> i32 {
    let cell = std::mem::size_of::<[i64; SERIES]>();
    (s.deltas.len() * 4 / (clients.max(1) * cell)).clamp(12, i32::MAX as usize) as i32
}

/// Who each client's period is credited to: its account manager at the period's end.
struct Owners {
    periods: usize,
    owner: Vec<u32>,
}

impl Owners {
    fn new(l: &Ledger, f: &Facts) -> Owners {
        let (w, unassigned) = (f.window, f.unassigned());
        let periods = w.len();
        let mut owner = vec![unassigned; l.clients.len() * periods];
        for (c, owners) in owner.chunks_mut(periods).enumerate() {
            for (o, p) in owners.iter_mut().zip(w.periods()) {
                let end = month_end(w.cal.last_month(p));
                *o = l.assignee(c as u32, end).unwrap_or(unassigned);
            }
        }
        Owners { periods, owner }
    }

    fn of(&self, c: usize, k: usize) -> u32 {
        self.owner[c * self.periods + k]
    }

    fn clients(&self) -> usize {
        self.owner.len() / self.periods.max(1)
    }
}

/// Balances at period ends, the collectible-based ratios, and the month-end balances behind
/// `average_outstanding`, each client's credited to its account manager at the month's or the
/// period's end.
pub(super) fn balances(l: &Ledger, s: &Swept, f: &mut Facts) {
    if f.window.is_empty() {
        return;
    }
    let (m0, m1) = f.window.grid_months();
    let months = (m1 - m0 + 1) as usize;
    let owners = Owners::new(l, f);
    // Month-end balances per entity and month of the grid, for average_outstanding.
    let mut by_month = vec![0i64; f.entities * months];
    let mut carry = vec![[0i64; SERIES]; l.clients.len()];
    let block = block_months(s, l.clients.len());
    let mut start = m0;
    while start <= m1 {
        let end = (start + block - 1).min(m1);
        let grid = Grid::build(l, s, (start, end), start == m0, &carry);
        let unassigned = f.unassigned();
        for (c, carried) in carry.iter_mut().enumerate() {
            for m in start..=end {
                let b = grid.at(c, m)[0];
                if b != 0 {
                    let e = l.assignee(c as u32, month_end(m)).unwrap_or(unassigned);
                    by_month[e as usize * months + (m - m0) as usize] += b;
                }
            }
            *carried = *grid.last(c);
        }
        credit_period_ends(f, &grid, &owners, (start, end));
        start = end + 1;
    }
    credit_period_flows(l, s, f, &owners);
    for e in 0..f.entities {
        let w = f.window;
        for (k, p) in w.periods().enumerate() {
            let from = (w.cal.first_month(p) - 1 - m0) as usize;
            let to = (w.cal.last_month(p) - m0) as usize;
            let total: i64 = by_month[e * months + from..=e * months + to].iter().sum();
            f.at_mut(e as u32, k).month_end_balances = total;
        }
    }
}

/// The balances at the end of each period (and of the month before it) that fall in the grid's
/// block of months `start..=end`, credited to the period's owners.
fn credit_period_ends(f: &mut Facts, grid: &Grid, owners: &Owners, (start, end): (i32, i32)) {
    let w = f.window;
    let clients = owners.clients();
    let within = |m: i32| (start..=end).contains(&m);
    for (k, p) in w.periods().enumerate() {
        let (last, before) = (w.cal.last_month(p), w.cal.first_month(p) - 1);
        if within(last) {
            for c in 0..clients {
                let end = grid.at(c, last);
                if end.iter().any(|&x| x != 0) {
                    let t = f.at_mut(owners.of(c, k), k);
                    t.outstanding += end[0];
                    t.overdue += end[1];
                    t.par30 += end[2];
                    t.par60 += end[3];
                    t.par90 += end[4];
                    t.er += end[0];
                    t.ecr += end[0] - end[1];
                }
            }
        }
        if within(before) {
            for c in 0..clients {
                let br = grid.at(c, before)[0];
                if br != 0 {
                    f.at_mut(owners.of(c, k), k).br += br;
                }
            }
        }
    }
}

/// Per client and period, credited at the period's end: purchases (S), applied collections
/// (C), and the receivables collection rate's parts for invoices due in the period.
fn credit_period_flows(l: &Ledger, s: &Swept, f: &mut Facts, owners: &Owners) {
    let w = f.window;
    for (i, &c) in l.invoices.client.iter().enumerate() {
        let c = c as usize;
        if let Some(k) = w.index_of_day(l.invoices.purchase[i]) {
            f.at_mut(owners.of(c, k), k).s += s.face_base[i];
        }
        if let Some(k) = w.index_of_day(l.invoices.due[i]) {
            f.at_mut(owners.of(c, k), k).rcr_face += s.face_base[i];
        }
    }
    let col = &l.collections;
    for j in 0..col.len() {
        let i = col.invoice[j] as usize;
        let c = l.invoices.client[i] as usize;
        if let Some(k) = w.index_of_day(col.date[j]) {
            f.at_mut(owners.of(c, k), k).c += s.applied_base[j];
        }
        if let Some(k) = w.index_of_day(l.invoices.due[i]) {
            if col.date[j] <= w.cal.end(w.first + k as i32) {
                f.at_mut(owners.of(c, k), k).rcr_collected += s.applied_base[j];
            }
        }
    }
}

/// The entity an event of invoice `i` on day `d` is credited to: the client's account manager
/// on the day, or `unassigned`.
fn credit_of(l: &Ledger, i: u32, d: Day, unassigned: u32) -> u32 {
    l.assignee(l.invoices.client[i as usize], d)
        .unwrap_or(unassigned)
}

/// The entity each event of window `w` is credited to, as [`flows`] credits it, without the
/// flows: for a merge, whose flows are the parts' (`crate::partials`).
pub fn credited(l: &Ledger, w: Window, unassigned: u32) -> Credited {
    let each = |e: &crate::model::InvoiceEvents| -> Vec<u32> {
        (0..e.len())
            .map(|j| match w.index_of_day(e.date[j]) {
                Some(_) => credit_of(l, e.invoice[j], e.date[j], unassigned),
                None => Credited::OUTSIDE,
            })
            .collect()
    };
    Credited {
        collections: each(&l.collections),
        write_offs: each(&l.write_offs),
        fees: each(&l.fees),
    }
}

/// Cash collected, write-offs, recoveries and fees, credited to the account manager on the day;
/// the entity of each event is kept when asked ([`Facts::credited`]).
pub(super) fn flows(l: &Ledger, s: &Swept, f: &mut FlowFacts, keep_credited: bool) {
    let w = f.window;
    let unassigned = f.unassigned();
    let credit = |i: u32, d: Day| credit_of(l, i, d, unassigned);
    let kept = |n: usize| vec![Credited::OUTSIDE; if keep_credited { n } else { 0 }];
    let mut credited = Credited {
        collections: kept(l.collections.len()),
        write_offs: kept(l.write_offs.len()),
        fees: kept(l.fees.len()),
    };
    let keep = |v: &mut Vec<u32>, j: usize, e: u32| {
        if let Some(slot) = v.get_mut(j) {
            *slot = e;
        }
    };
    let col = &l.collections;
    for j in 0..col.len() {
        if let Some(k) = w.index_of_day(col.date[j]) {
            let e = credit(col.invoice[j], col.date[j]);
            keep(&mut credited.collections, j, e);
            let t = f.at_mut(e, k);
            t.cash_collected += s.collection_base[j];
            t.recoveries += s.recovery_base[j];
        }
    }
    let wo = &l.write_offs;
    for j in 0..wo.len() {
        if let Some(k) = w.index_of_day(wo.date[j]) {
            let e = credit(wo.invoice[j], wo.date[j]);
            keep(&mut credited.write_offs, j, e);
            f.at_mut(e, k).written_off += s.write_off_base[j];
        }
    }
    let fees = &l.fees;
    for j in 0..fees.len() {
        if let Some(k) = w.index_of_day(fees.date[j]) {
            let e = credit(fees.invoice[j], fees.date[j]);
            keep(&mut credited.fees, j, e);
            f.at_mut(e, k).fee_income += s.fee_base[j];
        }
    }
    f.credited = credited;
}
