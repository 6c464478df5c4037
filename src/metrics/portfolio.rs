//! Balances, flows and portfolio ratios, credited to the client's account manager.

use super::{Credited, Facts, FlowFacts};
use crate::ledger::Swept;
use crate::model::Ledger;
use crate::periods::{month_end, month_of, Day};

/// Series of the balance grid: outstanding, then balances more than 0, 30, 60 and 90 days past due.
const SERIES: usize = 5;
const AGE_FROM_DUE: [Option<i32>; SERIES] = [None, Some(1), Some(31), Some(61), Some(91)];

/// Month-end balances per client from running sums of signed balance changes.
///
/// A change of amount δ on day d counts in series k from day `max(d, due + age_k)`: from then on
/// the invoice's balance is at least that old. The cumulative sum over months of these dated
/// changes is each client's month-end balance per series, with no invoice × month product.
struct Grid {
    m0: i32,
    months: usize,
    cells: Vec<[i64; SERIES]>,
}

impl Grid {
    fn build(l: &Ledger, s: &Swept, m0: i32, m1: i32) -> Grid {
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
                if m <= m1 {
                    row[(m - m0).max(0) as usize][k] += d.amount;
                }
            }
        }
        for c in 0..l.clients.len() {
            let row = &mut cells[c * months..(c + 1) * months];
            for m in 1..months {
                let prev = row[m - 1];
                for (cell, p) in row[m].iter_mut().zip(prev) {
                    *cell += p;
                }
            }
        }
        Grid { m0, months, cells }
    }

    fn at(&self, c: usize, m: i32) -> &[i64; SERIES] {
        &self.cells[c * self.months + (m - self.m0) as usize]
    }
}

/// Balances at period ends, the collectible-based ratios, and the month-end balances behind
/// `average_outstanding`.
pub(super) fn balances(l: &Ledger, s: &Swept, f: &mut Facts) {
    let w = f.window;
    let np = w.len();
    if np == 0 {
        return;
    }
    let (m0, m1) = w.grid_months();
    let grid = Grid::build(l, s, m0, m1);
    let nc = l.clients.len();
    let unassigned = f.unassigned();
    let credit = |c: usize, d: Day| l.assignee(c as u32, d).unwrap_or(unassigned);

    // Per client and period: purchases (S), applied collections (C), and the receivables
    // collection rate's parts for invoices due in the period.
    let mut flow = vec![[0i64; 4]; nc * np];
    for (i, &c) in l.invoices.client.iter().enumerate() {
        if let Some(k) = w.index_of_day(l.invoices.purchase[i]) {
            flow[c as usize * np + k][0] += s.face_base[i];
        }
        if let Some(k) = w.index_of_day(l.invoices.due[i]) {
            flow[c as usize * np + k][3] += s.face_base[i];
        }
    }
    let col = &l.collections;
    for j in 0..col.len() {
        let i = col.invoice[j] as usize;
        let c = l.invoices.client[i] as usize;
        if let Some(k) = w.index_of_day(col.date[j]) {
            flow[c * np + k][1] += s.applied_base[j];
        }
        if let Some(k) = w.index_of_day(l.invoices.due[i]) {
            if col.date[j] <= w.cal.end(w.first + k as i32) {
                flow[c * np + k][2] += s.applied_base[j];
            }
        }
    }

    // Month-end balances per entity, for average_outstanding.
    let months = grid.months;
    let mut by_month = vec![0i64; f.entities * months];
    for c in 0..nc {
        for m in m0..=m1 {
            let b = grid.at(c, m)[0];
            if b != 0 {
                by_month[credit(c, month_end(m)) as usize * months + (m - m0) as usize] += b;
            }
        }
    }

    for c in 0..nc {
        for (k, p) in w.periods().enumerate() {
            let last = w.cal.last_month(p);
            let end = grid.at(c, last);
            let br = grid.at(c, w.cal.first_month(p) - 1)[0];
            let fl = flow[c * np + k];
            if end.iter().all(|&x| x == 0) && br == 0 && fl.iter().all(|&x| x == 0) {
                continue;
            }
            let e = credit(c, month_end(last));
            let t = f.at_mut(e, k);
            t.outstanding += end[0];
            t.overdue += end[1];
            t.par30 += end[2];
            t.par60 += end[3];
            t.par90 += end[4];
            t.br += br;
            t.er += end[0];
            t.ecr += end[0] - end[1];
            t.s += fl[0];
            t.c += fl[1];
            t.rcr_collected += fl[2];
            t.rcr_face += fl[3];
        }
    }

    for e in 0..f.entities {
        for (k, p) in w.periods().enumerate() {
            let from = (w.cal.first_month(p) - 1 - m0) as usize;
            let to = (w.cal.last_month(p) - m0) as usize;
            let total: i64 = by_month[e * months + from..=e * months + to].iter().sum();
            f.at_mut(e as u32, k).month_end_balances = total;
        }
    }
}

/// Cash collected, write-offs, recoveries and fees, credited to the account manager on the day;
/// the entity of each event is kept ([`Facts::credited`]).
pub(super) fn flows(l: &Ledger, s: &Swept, f: &mut FlowFacts) {
    let w = f.window;
    let unassigned = f.unassigned();
    let inv = &l.invoices;
    let credit = |i: u32, d: Day| l.assignee(inv.client[i as usize], d).unwrap_or(unassigned);
    let mut credited = Credited {
        collections: vec![Credited::OUTSIDE; l.collections.len()],
        write_offs: vec![Credited::OUTSIDE; l.write_offs.len()],
        fees: vec![Credited::OUTSIDE; l.fees.len()],
    };
    let col = &l.collections;
    for j in 0..col.len() {
        if let Some(k) = w.index_of_day(col.date[j]) {
            let e = credit(col.invoice[j], col.date[j]);
            credited.collections[j] = e;
            let t = f.at_mut(e, k);
            t.cash_collected += s.collection_base[j];
            t.recoveries += s.recovery_base[j];
        }
    }
    let wo = &l.write_offs;
    for j in 0..wo.len() {
        if let Some(k) = w.index_of_day(wo.date[j]) {
            let e = credit(wo.invoice[j], wo.date[j]);
            credited.write_offs[j] = e;
            f.at_mut(e, k).written_off += s.write_off_base[j];
        }
    }
    let fees = &l.fees;
    for j in 0..fees.len() {
        if let Some(k) = w.index_of_day(fees.date[j]) {
            let e = credit(fees.invoice[j], fees.date[j]);
            credited.fees[j] = e;
            f.at_mut(e, k).fee_income += s.fee_base[j];
        }
    }
    f.credited = credited;
}
