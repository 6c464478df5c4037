//! Origination and review facts, credited to the named employee.

use super::FlowFacts;
use crate::ledger::Swept;
use crate::model::{Decision, Ledger};

pub(super) const MICROS_PER_HOUR: f64 = 3_600_000_000.0;

pub(super) fn origination(l: &Ledger, s: &Swept, f: &mut FlowFacts) {
    let w = f.window;
    let inv = &l.invoices;
    // A client's first invoice: earliest purchase date, then smallest invoice id.
    let mut first: Vec<Option<usize>> = vec![None; l.clients.len()];
    for i in 0..inv.len() {
        let c = inv.client[i] as usize;
        let better = match first[c] {
            None => true,
            Some(j) => {
                (inv.purchase[i], inv.ids.name(i as u32))
                    < (inv.purchase[j], inv.ids.name(j as u32))
            }
        };
        if better {
            first[c] = Some(i);
        }
        if let Some(k) = w.index_of_day(inv.purchase[i]) {
            let t = f.at_mut(inv.originator[i], k);
            t.funded_volume += s.advance_base[i];
            t.purchased_face += s.face_base[i];
        }
    }
    for i in first.into_iter().flatten() {
        if let Some(k) = w.index_of_day(inv.purchase[i]) {
            f.at_mut(inv.originator[i], k).new_clients += 1;
        }
    }

    let a = &l.applications;
    for j in 0..a.employee.len() {
        let e = a.employee[j];
        if let Some(k) = w.index_of_day(a.received_day[j]) {
            f.at_mut(e, k).applications_received += 1;
        }
        if let (Some(d), Decision::Approved | Decision::Rejected) =
            (a.decided_day[j], a.decision[j])
        {
            if let Some(k) = w.index_of_day(d) {
                let t = f.at_mut(e, k);
                t.applications_decided += 1;
                t.applications_approved += i64::from(a.decision[j] == Decision::Approved);
            }
        }
        if let (Some(d), Some(at)) = (a.funded_day[j], a.funded_at[j]) {
            if let Some(k) = w.index_of_day(d) {
                f.at_mut(e, k).applications_funded += 1;
                let hours = (at - a.received_at[j]) as f64 / MICROS_PER_HOUR;
                f.time_to_fund.entry((e, k as u32)).or_default().push(hours);
            }
        }
    }
}

pub(super) fn reviews(l: &Ledger, f: &mut FlowFacts) {
    let w = f.window;
    let r = &l.reviews;
    for j in 0..r.employee.len() {
        if let Some(k) = w.index_of_day(r.day[j]) {
            let t = f.at_mut(r.employee[j], k);
            let src = r.source[j] as usize;
            t.review_sum[src] += r.score[j];
            t.review_count[src] += 1;
        }
    }
}
