//! Checks of the invoices and of their events: collections, write-offs, fees.

use super::applications::application_of;
use super::fx::{no_rate, rate_left_out};
use super::parts::{dups_from, gather, in_parts, record_left_out, reserve_ids, KeptText, Part};
use super::{cells_from, next, show, Row, Rows};
use crate::diag::cut;
use crate::model::*;
use crate::money;
use crate::periods::{format_day, Day};
use crate::problems::Problems;
use crate::raw::{RawTable, RowRef};
use crate::tables::Table;

/// Checks invoices; `dups` are the rows whose id another row repeats (see
/// [`super::duplicate_rows`]). The rows are checked in parallel ranges and added in row order.
pub(super) fn invoices(p: &mut Problems, l: &mut Ledger, t: &RawTable, dups: &[(usize, RowRef)]) {
    let lr: &Ledger = l;
    let parts = in_parts(p, t.height(), |p, rows| invoice_rows(p, lr, t, dups, rows));
    // On the rows of a checkpoint, if any: their ids keep their indexes.
    if l.invoices.ids.is_empty() {
        l.invoices.ids = Interner::with_capacity(t.height());
    }
    reserve_ids(t, "invoice_id", &mut l.invoices.ids);
    let mut cols = Vec::with_capacity(parts.len());
    for part in parts {
        record_left_out(&mut l.left_out.invoices, part.left_out);
        cols.push(part.cols);
    }
    let (mut ids, mut clients) = (
        KeptText::new(t, "invoice_id"),
        KeptText::new(t, "client_id"),
    );
    let inv = &mut l.invoices;
    inv.client
        .reserve_exact(cols.iter().map(|c| c.row.len()).sum());
    for &row in cols.iter().flat_map(|c| &c.row) {
        inv.ids.intern(ids.at(row));
        inv.client.push(l.clients.intern(clients.at(row)));
    }
    gather(&mut inv.currency, &mut cols, |c| &mut c.currency);
    gather(&mut inv.face, &mut cols, |c| &mut c.face);
    gather(&mut inv.advance, &mut cols, |c| &mut c.advance);
    gather(&mut inv.purchase, &mut cols, |c| &mut c.purchase);
    gather(&mut inv.due, &mut cols, |c| &mut c.due);
    gather(&mut inv.originator, &mut cols, |c| &mut c.originator);
    gather(&mut inv.rate, &mut cols, |c| &mut c.rate);
    gather(&mut inv.row, &mut cols, |c| &mut c.row);
    gather(&mut inv.application, &mut cols, |c| &mut c.application);
}

/// Checks the invoices of `rows`.
fn invoice_rows<'t>(
    p: &mut Problems,
    l: &Ledger,
    t: &'t RawTable,
    dups: &[(usize, RowRef)],
    rows: std::ops::Range<usize>,
) -> Part<'t, Invoices> {
    let mut c = Rows::from(
        t,
        &[
            "invoice_id",
            "client_id",
            "debtor_id",
            "currency",
            "face_amount",
            "advance_amount",
            "purchase_date",
            "due_date",
            "originator_id",
            "recourse",
            "application_id",
        ],
        rows.start,
    );
    let mut part = Part::of(Invoices::with_capacity(rows.len()));
    // Which of two invoices with one id is right cannot be told: both leave, and their events.
    let mut dup = dups_from(dups, rows.start);
    for i in rows {
        let v = c.next_row();
        let mut r = Row::new(p, t, i);
        let id = r.req("invoice_id", v[0]);
        let client = r.req("client_id", v[1]);
        r.req("debtor_id", v[2]);
        let cur = r.req("currency", v[3]);
        let face = r.money("face_amount", v[4]);
        let adv = r.money("advance_amount", v[5]);
        let pd = r.date("purchase_date", v[6], true);
        let due = r.date("due_date", v[7], true);
        let orig = r.employee(l, "originator_id", v[8]);
        r.boolean("recourse", v[9]);
        let app = application_of(&mut r, l, v[10], client, pd);
        if let Some(f) = face {
            if f <= 0 {
                r.bad("face_amount", &show(v[4]), "must be > 0");
            }
            if let Some(a) = adv {
                if a < 0 || a > f {
                    r.bad(
                        "advance_amount",
                        &show(v[5]),
                        "must be between 0 and face_amount",
                    );
                }
            }
        }
        if let (Some(pd), Some(due)) = (pd, due) {
            if due < pd {
                r.bad("due_date", &show(v[7]), "is before purchase_date");
            }
        }
        if let (Some(e), Some(pd)) = (orig, pd) {
            if !l.employees.employed(e, pd) {
                r.bad(
                    "originator_id",
                    &show(v[8]),
                    format!("is not employed on purchase_date {}", format_day(pd)),
                );
            }
        }
        let (ci, rate) = match (cur, pd) {
            (Some(cur), Some(pd)) => booking_rate(&mut r, l, cur, pd),
            _ => (0, money::RATE_SCALE),
        };
        if let Some((_, other)) = dup.next_if(|d| d.0 == i) {
            r.bad(
                "invoice_id",
                id.unwrap_or(""),
                format!("is not unique: {other} has it too"),
            );
        }
        let Some(id) = id else { continue };
        if r.broke {
            part.left_out.push((id, r.why()));
            continue;
        }
        let inv = &mut part.cols;
        inv.currency.push(ci);
        inv.face.push(face.unwrap_or(0));
        inv.advance.push(adv.unwrap_or(0));
        inv.purchase.push(pd.unwrap_or(0));
        inv.due.push(due.unwrap_or(0));
        inv.originator.push(orig.unwrap_or(0));
        inv.rate.push(rate);
        inv.row.push(i as u32);
        inv.application.push(app);
    }
    part
}

/// An invoice's currency index and booking rate: the rate of `cur` on purchase date `pd`.
fn booking_rate(r: &mut Row<'_, '_>, l: &Ledger, cur: &str, pd: Day) -> (u32, i64) {
    let found =
        l.fx.currencies
            .get(cur)
            .and_then(|ci| l.fx.rate_on(ci, pd).map(|r| (ci, r)));
    if let Some(why) = rate_left_out(l, cur, pd) {
        r.cascade(
            "currency",
            cur,
            format!(
                "its booking rate for {} may come from a rejected fx_rates row: {why}",
                format_day(pd)
            ),
        );
    } else if let Some(found) = found {
        return found;
    } else {
        r.bad("currency", cur, no_rate(cur, pd));
    }
    (0, money::RATE_SCALE)
}

/// Checks the rows of an event table (collections, write-offs or fees) in one range of rows per
/// core, and gathers the rows kept.
pub(super) fn invoice_events(
    p: &mut Problems,
    l: &Ledger,
    t: &RawTable,
    col_id: &'static str,
    col_date: &'static str,
) -> InvoiceEvents {
    let mut parts = in_parts(p, t.height(), |p, rows| {
        invoice_event_rows(p, l, t, col_id, col_date, rows)
    });
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut ev = InvoiceEvents::default();
    gather(&mut ev.invoice, &mut parts, |c| &mut c.invoice);
    gather(&mut ev.date, &mut parts, |c| &mut c.date);
    gather(&mut ev.amount, &mut parts, |c| &mut c.amount);
    gather(&mut ev.row, &mut parts, |c| &mut c.row);
    ev
}

/// Checks the events of `rows`.
fn invoice_event_rows(
    p: &mut Problems,
    l: &Ledger,
    t: &RawTable,
    col_id: &'static str,
    col_date: &'static str,
    rows: std::ops::Range<usize>,
) -> InvoiceEvents {
    let is_fee = t.table == Table::Fees;
    let (mut id, mut inv, mut day, mut amt) = (
        cells_from(t, col_id, rows.start),
        cells_from(t, "invoice_id", rows.start),
        cells_from(t, col_date, rows.start),
        cells_from(t, "amount", rows.start),
    );
    let mut ev = InvoiceEvents::with_capacity(rows.len());
    let mut last: Option<(&str, u32)> = None;
    for i in rows {
        let mut r = Row::new(p, t, i);
        r.req(col_id, next(&mut id));
        let iv = r.req("invoice_id", next(&mut inv));
        // Ledgers list an invoice's events together more often than not: reuse the last lookup.
        // Many also list them by invoice in the invoices' own order: the invoice after the last
        // one found is tried before the hash table, whose every lookup is a few cache misses.
        let ii = iv.and_then(|v| match last {
            Some((s, i)) if s == v => Some(i),
            _ => {
                let ids = &l.invoices.ids;
                let next = last.map_or(0, |(_, i)| i + 1);
                let found = if (next as usize) < ids.len() && ids.name(next) == v {
                    Some(next)
                } else {
                    ids.get(v)
                };
                last = found.map(|i| (v, i));
                found
            }
        });
        if let (Some(v), None) = (iv, ii) {
            match l.left_out.invoices.get(v) {
                Some(why) => r.cascade(
                    "invoice_id",
                    v,
                    format!("its invoice `{}` is rejected: {why}", cut(v)),
                ),
                None => r.bad("invoice_id", v, "names no invoice in the invoices table"),
            }
        }
        let d = r.date(col_date, next(&mut day), true);
        let av = next(&mut amt);
        let a = r.money("amount", av);
        if let Some(a) = a {
            if is_fee && a == 0 {
                r.bad("amount", &show(av), "must not be 0");
            } else if !is_fee && a <= 0 {
                r.bad("amount", &show(av), "must be > 0");
            }
        }
        let (Some(ii), Some(d), Some(a)) = (ii, d, a) else {
            continue;
        };
        if !is_fee && d < l.invoices.purchase[ii as usize] {
            r.bad(
                col_date,
                &format_day(d),
                format!(
                    "is before the invoice's purchase_date {}",
                    format_day(l.invoices.purchase[ii as usize])
                ),
            );
        }
        if r.broke {
            continue;
        }
        ev.invoice.push(ii);
        ev.date.push(d);
        ev.amount.push(a);
        ev.row.push(i as u32);
    }
    ev
}
