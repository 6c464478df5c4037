//! Checks of `applications`, and of the application an invoice names.

use super::fx::{no_rate, rate_left_out};
use super::parts::{dups_from, gather, in_parts, record_left_out, reserve_ids, KeptText, Part};
use super::{show, Row, Rows};
use crate::model::*;
use crate::money;
use crate::periods::{format_day, Day};
use crate::problems::Problems;
use crate::raw::{RawTable, RowRef};

/// Checks applications; `dups` are the rows whose id another row repeats (see
/// [`super::duplicate_rows`]). Those left out are recorded, for the invoices that name them.
/// The rows are checked in parallel ranges and added in row order.
pub(super) fn applications(
    p: &mut Problems,
    l: &mut Ledger,
    t: &RawTable,
    tz: chrono_tz::Tz,
    dups: &[(usize, RowRef)],
) {
    let lr: &Ledger = l;
    let parts = in_parts(p, t.height(), |p, rows| {
        application_rows(p, lr, t, tz, dups, rows)
    });
    // On the rows of a checkpoint, if any: their ids keep their indexes.
    let mut a = std::mem::take(&mut l.applications);
    if a.ids.is_empty() {
        a.ids = Interner::with_capacity(t.height());
    }
    reserve_ids(t, "application_id", &mut a.ids);
    let (mut ids, mut clients) = (
        KeptText::new(t, "application_id"),
        KeptText::new(t, "client_id"),
    );
    let mut cols = Vec::with_capacity(parts.len());
    for part in parts {
        record_left_out(&mut l.left_out.applications, part.left_out);
        cols.push(part.cols);
    }
    a.client
        .reserve_exact(cols.iter().map(|c| c.row.len()).sum());
    for &row in cols.iter().flat_map(|c| &c.row) {
        a.ids.intern(ids.at(row));
        let ci = a.clients.intern(clients.at(row));
        a.client.push(ci);
    }
    gather(&mut a.row, &mut cols, |c| &mut c.row);
    gather(&mut a.employee, &mut cols, |c| &mut c.employee);
    gather(&mut a.received_at, &mut cols, |c| &mut c.received_at);
    gather(&mut a.received_day, &mut cols, |c| &mut c.received_day);
    gather(&mut a.decided_at, &mut cols, |c| &mut c.decided_at);
    gather(&mut a.decided_day, &mut cols, |c| &mut c.decided_day);
    gather(&mut a.decided_by, &mut cols, |c| &mut c.decided_by);
    gather(&mut a.decision, &mut cols, |c| &mut c.decision);
    gather(&mut a.funded_at, &mut cols, |c| &mut c.funded_at);
    gather(&mut a.funded_day, &mut cols, |c| &mut c.funded_day);
    gather(&mut a.requested_base, &mut cols, |c| &mut c.requested_base);
    l.applications = a;
}

/// Checks the applications of `rows`.
fn application_rows<'t>(
    p: &mut Problems,
    l: &Ledger,
    t: &'t RawTable,
    tz: chrono_tz::Tz,
    dups: &[(usize, RowRef)],
    rows: std::ops::Range<usize>,
) -> Part<'t, Applications> {
    let mut part: Part<Applications> = Part::new();
    let mut c = Rows::from(
        t,
        &[
            "application_id",
            "client_id",
            "employee_id",
            "received_at",
            "decided_at",
            "decision",
            "funded_at",
            "requested_amount",
            "currency",
            "decided_by",
        ],
        rows.start,
    );
    // Which of two applications with one id is right cannot be told: both leave.
    let mut dup = dups_from(dups, rows.start);
    for i in rows {
        let v = c.next_row();
        let mut r = Row::new(p, t, i);
        let id = r.req("application_id", v[0]);
        let client = r.req("client_id", v[1]);
        let e = r.employee(l, "employee_id", v[2]);
        let rec = r.timestamp("received_at", v[3], tz, true);
        let dec = r.timestamp("decided_at", v[4], tz, false);
        let decision = decision(&mut r, v[5]);
        let fund = r.timestamp("funded_at", v[6], tz, false);
        let amount = r.money("requested_amount", v[7]);
        let cur = r.req("currency", v[8]);
        let by = r.opt_employee(l, "decided_by", v[9]);
        if let Some(rec) = rec {
            check_times(&mut r, l, &v, rec, (dec, fund, decision, e));
        }
        check_decider(&mut r, l, &v, dec, by);
        let rate = rec.and_then(|(_, rec_day)| request_rate(&mut r, l, cur?, rec_day));
        if let Some((_, other)) = dup.next_if(|d| d.0 == i) {
            r.bad(
                "application_id",
                id.unwrap_or(""),
                format!("is not unique: {other} has it too"),
            );
        }
        let (Some(_), Some(_), Some(e), Some((rec_us, rec_day)), Some(rate), Some(amount), false) =
            (id, client, e, rec, rate, amount, r.broke)
        else {
            if let (Some(id), true) = (id, r.broke) {
                part.left_out.push((id, r.why()));
            }
            continue;
        };
        let a = &mut part.cols;
        a.row.push(i as u32);
        a.employee.push(e);
        a.received_at.push(rec_us);
        a.received_day.push(rec_day);
        a.decided_at.push(dec.map(|d| d.0));
        a.decided_day.push(dec.map(|d| d.1));
        a.decided_by.push(by);
        a.decision.push(decision);
        a.funded_at.push(fund.map(|f| f.0));
        a.funded_day.push(fund.map(|f| f.1));
        a.requested_base.push(money::convert(amount, rate));
    }
    part
}

/// A timestamp as read: its instant and its day in the pipeline's zone.
type Stamp = Option<(i64, Day)>;

/// The times of an application received at `rec` (instant, day): decided and funded no earlier,
/// funded only when approved, by someone employed on the received date.
fn check_times(
    r: &mut Row<'_, '_>,
    l: &Ledger,
    v: &[Option<super::Cell<'_>>],
    (rec_us, rec_day): (i64, Day),
    (dec, fund, decision, e): (Stamp, Stamp, Decision, Option<u32>),
) {
    if let Some((d, _)) = dec {
        if d < rec_us {
            r.bad("decided_at", &show(v[4]), "is before received_at");
        }
    }
    if let Some((f, _)) = fund {
        if decision != Decision::Approved {
            r.bad(
                "funded_at",
                &show(v[6]),
                "is set but the decision is not approved",
            );
        } else if f < rec_us {
            r.bad("funded_at", &show(v[6]), "is before received_at");
        }
    }
    if let Some(e) = e {
        if !l.employees.employed(e, rec_day) {
            r.bad(
                "employee_id",
                &show(v[2]),
                format!(
                    "is not employed on the received date {}",
                    format_day(rec_day)
                ),
            );
        }
    }
}

/// Who decided (`decided_by`, employee `by`): only with a decided_at, and employed on its date.
fn check_decider(
    r: &mut Row<'_, '_>,
    l: &Ledger,
    v: &[Option<super::Cell<'_>>],
    dec: Stamp,
    by: Option<u32>,
) {
    match (v[9], v[4], dec, by) {
        (Some(b), None, _, _) => r.bad(
            "decided_by",
            &b.to_string(),
            "is set but decided_at is empty",
        ),
        (_, _, Some((_, day)), Some(by)) if !l.employees.employed(by, day) => r.bad(
            "decided_by",
            &show(v[9]),
            format!("is not employed on the decided date {}", format_day(day)),
        ),
        _ => {}
    }
}

/// The rate of an application's currency `cur` on its received day.
fn request_rate(r: &mut Row<'_, '_>, l: &Ledger, cur: &str, day: Day) -> Option<i64> {
    let found =
        l.fx.currencies
            .get(cur)
            .and_then(|ci| l.fx.rate_on(ci, day));
    if let Some(why) = rate_left_out(l, cur, day) {
        r.cascade(
            "currency",
            cur,
            format!(
                "its rate for {} may come from a rejected fx_rates row: {why}",
                format_day(day)
            ),
        );
    } else if found.is_none() {
        r.bad("currency", cur, no_rate(cur, day));
    }
    found
}

/// An application's decision: empty is pending.
fn decision(r: &mut Row<'_, '_>, v: Option<super::Cell<'_>>) -> Decision {
    match r
        .text("decision", v)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Decision::Pending,
        Some("approved") => Decision::Approved,
        Some("rejected") => Decision::Rejected,
        Some("withdrawn") => Decision::Withdrawn,
        Some(_) => {
            r.bad(
                "decision",
                &show(v),
                "is not approved, rejected, withdrawn or empty",
            );
            Decision::Pending
        }
    }
}

/// The application an invoice names in `application_id` (`v`), if any: it must be approved, of
/// the invoice's client and decided on or before the purchase date.
pub(super) fn application_of(
    r: &mut Row<'_, '_>,
    l: &Ledger,
    v: Option<super::Cell<'_>>,
    client: Option<&str>,
    pd: Option<Day>,
) -> Option<u32> {
    let v = r.text("application_id", v)?;
    let apps = &l.applications;
    let Some(a) = apps.ids.get(v) else {
        match l.left_out.applications.get(v) {
            Some(why) => r.cascade(
                "application_id",
                v,
                format!("its application `{v}` is left out: {why}"),
            ),
            None => r.bad(
                "application_id",
                v,
                "names no application in the applications table",
            ),
        }
        return None;
    };
    let k = a as usize;
    let status = match apps.decision[k] {
        Decision::Approved => None,
        Decision::Rejected => Some("rejected"),
        Decision::Withdrawn => Some("withdrawn"),
        Decision::Pending => Some("pending"),
    };
    if let Some(status) = status {
        r.bad(
            "application_id",
            v,
            format!("names an application that is not approved: it is {status}"),
        );
        return None;
    }
    let theirs = apps.clients.name(apps.client[k]);
    if let Some(client) = client.filter(|c| *c != theirs) {
        r.bad(
            "application_id",
            v,
            format!(
                "names an application of client `{theirs}`, not of the invoice's client `{client}`"
            ),
        );
        return None;
    }
    match (apps.decided_day[k], pd) {
        (None, _) => r.bad(
            "application_id",
            v,
            "names an application approved without a decided_at, so not decided by purchase_date",
        ),
        (Some(d), Some(pd)) if d > pd => r.bad(
            "application_id",
            v,
            format!(
                "names an application decided on {}, after purchase_date {}",
                format_day(d),
                format_day(pd)
            ),
        ),
        _ => return Some(a),
    }
    None
}
