//! Checks of the ledger tables: fx rates, invoices, collections, write-offs, fees, applications.

use rustc_hash::FxHashMap as HashMap;

use super::{cells, next, show, Row, Rows};
use crate::diag::cut;
use crate::model::LeftOutRate;
use crate::model::*;
use crate::money;
use crate::periods::{format_day, Day};
use crate::problems::Problems;
use crate::raw::RawTable;
use crate::tables::Table;

pub(super) fn fx_rates(p: &mut Problems, l: &mut Ledger, t: &RawTable, base: &str) {
    let (mut cur, mut day, mut rate) = (
        cells(t, "currency"),
        cells(t, "rate_date"),
        cells(t, "rate_to_base"),
    );
    let fx = &mut l.fx;
    fx.base = Some(fx.currencies.intern(base));
    fx.rates.push(Vec::new());
    // Per (currency, date): the first row, and whether it is still in.
    let mut seen: HashMap<(u32, Day), (usize, bool)> = HashMap::default();
    let mut gone: Vec<(u32, Day)> = Vec::new();
    for i in 0..t.height() {
        let mut r = Row::new(p, t, i);
        let c = r.req("currency", next(&mut cur));
        let d = r.date("rate_date", next(&mut day), true);
        let rv = next(&mut rate);
        let x = r.rate("rate_to_base", rv);
        if x.is_some_and(|x| x <= 0) {
            r.bad("rate_to_base", &show(rv), "must be > 0");
        }
        if let (Some(c), Some(d), false) = (c, d, r.broke) {
            let ci = fx.currencies.intern(c);
            if fx.rates.len() <= ci as usize {
                fx.rates.push(Vec::new());
            }
            // Which of two rates of one date is right cannot be told: both leave.
            if let Some(&(first, still_in)) = seen.get(&(ci, d)) {
                r.bad(
                    "rate_date",
                    &format_day(d),
                    format!(
                        "gives a second {} rate for the same date: {} has one",
                        cut(c),
                        t.row_ref(first)
                    ),
                );
                if still_in {
                    r.p.add(
                        t,
                        first,
                        "rate_date",
                        &format_day(d),
                        format!(
                            "gives a second {} rate for the same date: {} has one",
                            cut(c),
                            t.row_ref(i)
                        ),
                    );
                    let why = super::why(r.p, t, first);
                    l.left_out.rates.push(LeftOutRate {
                        currency: Some(c.to_string()),
                        date: Some(d),
                        why,
                    });
                    gone.push((ci, d));
                    seen.insert((ci, d), (first, false));
                }
            } else {
                seen.insert((ci, d), (i, true));
            }
        }
        if r.broke {
            let why = r.why();
            l.left_out.rates.push(LeftOutRate {
                currency: c.map(str::to_string),
                date: d,
                why,
            });
            continue;
        }
        let (Some(c), Some(d), Some(x)) = (c, d, x) else {
            continue;
        };
        let ci = fx.currencies.intern(c);
        fx.rates[ci as usize].push((d, x));
    }
    for v in &mut fx.rates {
        v.sort_unstable();
    }
    for (ci, d) in gone {
        fx.rates[ci as usize].retain(|r| r.0 != d);
    }
}

/// The rule a missing rate breaks, and what to do.
fn no_rate(cur: &str, d: Day) -> String {
    format!(
        "has no fx rate on or before {}: add a {} row to fx_rates dated on or before it",
        format_day(d),
        cut(cur)
    )
}

/// Why a rate of `cur` for day `d` may have come from a rejected fx_rates row: the rows of that
/// currency (or of an unreadable one) dated on or before `d` and not older than the rate found.
fn rate_left_out<'l>(l: &'l Ledger, cur: &str, d: Day) -> Option<&'l str> {
    if l.left_out.rates.is_empty() {
        return None;
    }
    let ci = l.fx.currencies.get(cur);
    if ci.is_some() && ci == l.fx.base {
        return None;
    }
    let used = ci.and_then(|ci| {
        let rows = l.fx.rates.get(ci as usize)?;
        let k = rows.partition_point(|r| r.0 <= d);
        rows.get(k.checked_sub(1)?).map(|r| r.0)
    });
    l.left_out
        .rates
        .iter()
        .filter(|r| r.currency.as_deref().is_none_or(|c| c == cur))
        .find(|r| match r.date {
            Some(rd) => rd <= d && used.is_none_or(|u| rd >= u),
            None => true,
        })
        .map(|r| r.why.as_str())
}

/// The checked rows of one range of a table, to be added to the ledger in row order: the ids and
/// clients as read (interned when added), the typed columns, and the ids of the rows left out
/// with why.
struct Part<'t, C> {
    ids: Vec<&'t str>,
    clients: Vec<&'t str>,
    cols: C,
    left_out: Vec<(&'t str, String)>,
}

impl<C: Default> Part<'_, C> {
    fn new() -> Self {
        Part {
            ids: Vec::new(),
            clients: Vec::new(),
            cols: C::default(),
            left_out: Vec::new(),
        }
    }
}

/// Records why each left-out id of a part was left out; the first row of an id decides.
fn record_left_out(
    to: &mut std::collections::HashMap<String, String>,
    left_out: Vec<(&str, String)>,
) {
    for (id, why) in left_out {
        to.entry(id.to_string()).or_insert(why);
    }
}

/// Checks invoices; `dups` are the rows whose id another row repeats (see
/// [`super::duplicate_rows`]). The rows are checked in parallel ranges and added in row order.
pub(super) fn invoices(p: &mut Problems, l: &mut Ledger, t: &RawTable, dups: &[(usize, usize)]) {
    let lr: &Ledger = l;
    let parts = super::in_parts(p, t.height(), |p, rows| invoice_rows(p, lr, t, dups, rows));
    l.invoices.ids = Interner::with_capacity(t.height());
    for part in parts {
        record_left_out(&mut l.left_out.invoices, part.left_out);
        let (inv, c) = (&mut l.invoices, part.cols);
        for id in part.ids {
            inv.ids.intern(id);
        }
        inv.client
            .extend(part.clients.into_iter().map(|c| l.clients.intern(c)));
        inv.currency.extend(c.currency);
        inv.face.extend(c.face);
        inv.advance.extend(c.advance);
        inv.purchase.extend(c.purchase);
        inv.due.extend(c.due);
        inv.originator.extend(c.originator);
        inv.rate.extend(c.rate);
        inv.row.extend(c.row);
        inv.application.extend(c.application);
    }
}

/// Checks the invoices of `rows`.
fn invoice_rows<'t>(
    p: &mut Problems,
    l: &Ledger,
    t: &'t RawTable,
    dups: &[(usize, usize)],
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
    let mut part: Part<Invoices> = Part::new();
    // Which of two invoices with one id is right cannot be told: both leave, and their events.
    let mut dup = dups[dups.partition_point(|d| d.0 < rows.start)..]
        .iter()
        .peekable();
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
        if let Some(&(_, other)) = dup.next_if(|d| d.0 == i) {
            r.bad(
                "invoice_id",
                id.unwrap_or(""),
                format!("is not unique: {} has it too", t.row_ref(other)),
            );
        }
        let Some(id) = id else { continue };
        if r.broke {
            part.left_out.push((id, r.why()));
            continue;
        }
        part.ids.push(id);
        part.clients.push(client.unwrap_or(""));
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

pub(super) fn invoice_events(
    p: &mut Problems,
    l: &Ledger,
    t: &RawTable,
    col_id: &'static str,
    col_date: &'static str,
) -> InvoiceEvents {
    let is_fee = t.table == Table::Fees;
    let (mut id, mut inv, mut day, mut amt) = (
        cells(t, col_id),
        cells(t, "invoice_id"),
        cells(t, col_date),
        cells(t, "amount"),
    );
    let mut ev = InvoiceEvents::with_capacity(t.height());
    let mut last: Option<(&str, u32)> = None;
    for i in 0..t.height() {
        let mut r = Row::new(p, t, i);
        r.req(col_id, next(&mut id));
        let iv = r.req("invoice_id", next(&mut inv));
        // Ledgers list an invoice's events together more often than not: reuse the last lookup.
        let ii = iv.and_then(|v| match last {
            Some((s, i)) if s == v => Some(i),
            _ => {
                let found = l.invoices.ids.get(v);
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

/// Checks applications; `dups` are the rows whose id another row repeats (see
/// [`super::duplicate_rows`]). Those left out are recorded, for the invoices that name them.
/// The rows are checked in parallel ranges and added in row order.
pub(super) fn applications(
    p: &mut Problems,
    l: &mut Ledger,
    t: &RawTable,
    tz: chrono_tz::Tz,
    dups: &[(usize, usize)],
) {
    let lr: &Ledger = l;
    let parts = super::in_parts(p, t.height(), |p, rows| {
        application_rows(p, lr, t, tz, dups, rows)
    });
    let mut a = Applications {
        ids: Interner::with_capacity(t.height()),
        ..Applications::default()
    };
    for part in parts {
        record_left_out(&mut l.left_out.applications, part.left_out);
        let c = part.cols;
        for id in part.ids {
            a.ids.intern(id);
        }
        for client in part.clients {
            let ci = a.clients.intern(client);
            a.client.push(ci);
        }
        a.row.extend(c.row);
        a.employee.extend(c.employee);
        a.received_at.extend(c.received_at);
        a.received_day.extend(c.received_day);
        a.decided_at.extend(c.decided_at);
        a.decided_day.extend(c.decided_day);
        a.decided_by.extend(c.decided_by);
        a.decision.extend(c.decision);
        a.funded_at.extend(c.funded_at);
        a.funded_day.extend(c.funded_day);
        a.requested_base.extend(c.requested_base);
    }
    l.applications = a;
}

/// Checks the applications of `rows`.
fn application_rows<'t>(
    p: &mut Problems,
    l: &Ledger,
    t: &'t RawTable,
    tz: chrono_tz::Tz,
    dups: &[(usize, usize)],
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
    let mut dup = dups[dups.partition_point(|d| d.0 < rows.start)..]
        .iter()
        .peekable();
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
        if let Some(&(_, other)) = dup.next_if(|d| d.0 == i) {
            r.bad(
                "application_id",
                id.unwrap_or(""),
                format!("is not unique: {} has it too", t.row_ref(other)),
            );
        }
        let (
            Some(id),
            Some(client),
            Some(e),
            Some((rec_us, rec_day)),
            Some(rate),
            Some(amount),
            false,
        ) = (id, client, e, rec, rate, amount, r.broke)
        else {
            if let (Some(id), true) = (id, r.broke) {
                part.left_out.push((id, r.why()));
            }
            continue;
        };
        part.ids.push(id);
        part.clients.push(client);
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
fn application_of(
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
