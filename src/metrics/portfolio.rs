//! Balances, flows and portfolio ratios, credited to the client's account manager.

use super::{Credited, Facts, FlowFacts};
use crate::ledger::Swept;
use crate::model::Ledger;
use crate::periods::{month_end, month_of, Day};

/// Series of the balance grid: outstanding, then balances more than 0, 30, 60 and 90 days past due.
const SERIES: usize = 5;
const AGE_FROM_DUE: [Option<i32>; SERIES] = [None, Some(1), Some(31), Some(61), Some(91)];

/// Each client's invoices, and where each invoice's balance changes are in [`Swept::deltas`]
/// (which lists an invoice's changes together, the invoices in order), so that the balances can
/// be summed one client at a time.
struct ByClient {
    /// Client `c`'s invoices are `invoices[start[c]..start[c + 1]]`.
    start: Vec<u32>,
    invoices: Vec<u32>,
    /// Invoice `i`'s changes are `deltas[changes[i]..changes[i + 1]]`.
    changes: Vec<u32>,
}

impl ByClient {
    fn new(l: &Ledger, s: &Swept) -> ByClient {
        let (nc, n) = (l.clients.len(), l.invoices.client.len());
        let mut start = vec![0u32; nc + 1];
        for &c in &l.invoices.client {
            start[c as usize + 1] += 1;
        }
        for c in 0..nc {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut invoices = vec![0u32; n];
        for (i, &c) in l.invoices.client.iter().enumerate() {
            invoices[fill[c as usize] as usize] = i as u32;
            fill[c as usize] += 1;
        }
        let mut changes = vec![0u32; n + 1];
        for d in &s.deltas {
            changes[d.invoice as usize + 1] += 1;
        }
        for i in 0..n {
            changes[i + 1] += changes[i];
        }
        debug_assert!(s.deltas.windows(2).all(|w| w[0].invoice <= w[1].invoice));
        ByClient {
            start,
            invoices,
            changes,
        }
    }

    fn invoices(&self, c: usize) -> &[u32] {
        &self.invoices[self.start[c] as usize..self.start[c + 1] as usize]
    }
}

/// One client's month-end balances, from running sums of its invoices' signed balance changes.
///
/// A change of amount δ on day d counts in series k from day `max(d, due + age_k)`: from then on
/// the invoice's balance is at least that old. The cumulative sum over months of these dated
/// changes is the client's month-end balance per series, with no invoice × month product.
/// `row` holds the months `m0..=m1`.
fn client_row(l: &Ledger, s: &Swept, by: &ByClient, c: usize, m0: i32, row: &mut [[i64; SERIES]]) {
    let m1 = m0 + row.len() as i32 - 1;
    row.fill([0; SERIES]);
    for &i in by.invoices(c) {
        let i = i as usize;
        // The month a change counts from in series k is the later of its own month and the
        // month the invoice reaches age k (the month of a later day is never earlier).
        let due = l.invoices.due[i];
        let age_months = AGE_FROM_DUE.map(|a| a.map_or(i32::MIN, |a| month_of(due + a)));
        for d in &s.deltas[by.changes[i] as usize..by.changes[i + 1] as usize] {
            let month = month_of(d.day);
            if month > m1 {
                continue;
            }
            for (k, &aged) in age_months.iter().enumerate() {
                let m = month.max(aged);
                if m <= m1 {
                    row[(m - m0).max(0) as usize][k] += d.amount;
                }
            }
        }
    }
    for m in 1..row.len() {
        let prev = row[m - 1];
        for (cell, p) in row[m].iter_mut().zip(prev) {
            *cell += p;
        }
    }
}

/// Balances at period ends, the collectible-based ratios, and the month-end balances behind
/// `average_outstanding`. Each client's month-end balances are summed in turn and credited to
/// its account manager at each month and period end.
pub(super) fn balances(l: &Ledger, s: &Swept, f: &mut Facts) {
    let w = f.window;
    let np = w.len();
    if np == 0 {
        return;
    }
    let (m0, m1) = w.grid_months();
    let months = (m1 - m0 + 1) as usize;
    let by = ByClient::new(l, s);
    let nc = l.clients.len();
    let unassigned = f.unassigned();
    let credit = |c: usize, d: Day| l.assignee(c as u32, d).unwrap_or(unassigned);

    // Month-end balances per entity, for average_outstanding.
    let mut by_month = vec![0i64; f.entities * months];
    // Who each client's period is credited to: its account manager at the period's end.
    let mut owner = vec![unassigned; nc * np];
    let mut row = vec![[0i64; SERIES]; months];
    for c in 0..nc {
        client_row(l, s, &by, c, m0, &mut row);
        for (m, b) in (m0..=m1).zip(&row) {
            if b[0] != 0 {
                by_month[credit(c, month_end(m)) as usize * months + (m - m0) as usize] += b[0];
            }
        }
        for (k, p) in w.periods().enumerate() {
            let last = w.cal.last_month(p);
            let e = credit(c, month_end(last));
            owner[c * np + k] = e;
            let end = row[(last - m0) as usize];
            let br = row[(w.cal.first_month(p) - 1 - m0) as usize][0];
            if end.iter().all(|&x| x == 0) && br == 0 {
                continue;
            }
            let t = f.at_mut(e, k);
            t.outstanding += end[0];
            t.overdue += end[1];
            t.par30 += end[2];
            t.par60 += end[3];
            t.par90 += end[4];
            t.br += br;
            t.er += end[0];
            t.ecr += end[0] - end[1];
        }
    }
    drop(by);

    // Per client and period, credited at the period's end: purchases (S), applied collections
    // (C), and the receivables collection rate's parts for invoices due in the period.
    for (i, &c) in l.invoices.client.iter().enumerate() {
        let c = c as usize;
        if let Some(k) = w.index_of_day(l.invoices.purchase[i]) {
            f.at_mut(owner[c * np + k], k).s += s.face_base[i];
        }
        if let Some(k) = w.index_of_day(l.invoices.due[i]) {
            f.at_mut(owner[c * np + k], k).rcr_face += s.face_base[i];
        }
    }
    let col = &l.collections;
    for j in 0..col.len() {
        let i = col.invoice[j] as usize;
        let c = l.invoices.client[i] as usize;
        if let Some(k) = w.index_of_day(col.date[j]) {
            f.at_mut(owner[c * np + k], k).c += s.applied_base[j];
        }
        if let Some(k) = w.index_of_day(l.invoices.due[i]) {
            if col.date[j] <= w.cal.end(w.first + k as i32) {
                f.at_mut(owner[c * np + k], k).rcr_collected += s.applied_base[j];
            }
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
/// the entity of each event is kept when asked ([`Facts::credited`]).
pub(super) fn flows(l: &Ledger, s: &Swept, f: &mut FlowFacts, keep_credited: bool) {
    let w = f.window;
    let unassigned = f.unassigned();
    let inv = &l.invoices;
    let credit = |i: u32, d: Day| l.assignee(inv.client[i as usize], d).unwrap_or(unassigned);
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
