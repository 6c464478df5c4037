//! Decisions and the quality of approved business (contract section 3), credited to the
//! application's `decided_by`; applications without one count in none of these.
//!
//! An invoice bought under an approved application *matures* 90 days after its due date (IFRS 9's
//! default backstop) and is credited then to whoever approved the application: its face, and what
//! was still unpaid on that day (face less the applied parts of the collections paid by then,
//! written off or not), converted at the booking rate and rounded once, like a balance.

use super::origination::MICROS_PER_HOUR;
use super::Facts;
use crate::ledger::Swept;
use crate::model::{Decision, Ledger};
use crate::money::convert;

/// Days from due date to maturity.
pub const MATURITY_DAYS: i32 = 90;

pub(super) fn decisions(l: &Ledger, s: &Swept, f: &mut Facts) {
    let w = f.window;
    let a = &l.applications;
    for j in 0..a.len() {
        let (Some(e), Some(day), Some(at)) = (a.decided_by[j], a.decided_day[j], a.decided_at[j])
        else {
            continue;
        };
        if !matches!(a.decision[j], Decision::Approved | Decision::Rejected) {
            continue;
        }
        if let Some(k) = w.index_of_day(day) {
            f.at_mut(e, k).decisions_made += 1;
            let hours = (at - a.received_at[j]) as f64 / MICROS_PER_HOUR;
            f.decision_hours
                .entry((e, k as u32))
                .or_default()
                .push(hours);
        }
    }

    // The invoices maturing in the window under an approval with a decider: who is credited,
    // in which period, and the invoice's unpaid amount in its own currency.
    let inv = &l.invoices;
    let credited = |i: usize| -> Option<(u32, usize)> {
        let e = inv.application[i].and_then(|j| a.decided_by[j as usize])?;
        Some((e, w.index_of_day(inv.due[i] + MATURITY_DAYS)?))
    };
    let mut unpaid = inv.face.clone();
    let col = &l.collections;
    for j in 0..col.len() {
        let i = col.invoice[j] as usize;
        if col.date[j] <= inv.due[i] + MATURITY_DAYS && credited(i).is_some() {
            unpaid[i] -= s.applied[j];
        }
    }
    for (i, &unpaid) in unpaid.iter().enumerate() {
        if let Some((e, k)) = credited(i) {
            let t = f.at_mut(e, k);
            t.approved_matured_face += s.face_base[i];
            t.approved_defaulted += convert(unpaid, inv.rate[i]);
        }
    }
}
