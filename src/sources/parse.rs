//! Typed parsing of raw tables into a checked [`Ledger`]. Every rule of the data contract's
//! section 1 is checked here; the balance rules of section 2 are checked by [`crate::ledger`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, TimeZone};

use super::schema::Table;
use super::RawTable;
use crate::error::{InputErrors, RuleBreak};
use crate::model::*;
use crate::money;
use crate::periods::{format_day, parse_day, Day};

/// How many rule breaks a failed run lists.
pub const SHOWN: usize = 50;

/// Rule breaks found so far.
#[derive(Debug, Default)]
pub struct Problems {
    pub shown: Vec<RuleBreak>,
    pub total: usize,
}

impl Problems {
    pub fn add(
        &mut self,
        t: &RawTable,
        row: usize,
        column: &'static str,
        value: &str,
        rule: impl Into<String>,
    ) {
        self.total += 1;
        if self.shown.len() < SHOWN {
            self.shown.push(RuleBreak {
                at: t.row_ref(row).to_string(),
                table: t.table.name(),
                column,
                value: value.to_string(),
                rule: rule.into(),
            });
        }
    }

    pub fn into_result(self) -> Result<(), InputErrors> {
        if self.total == 0 {
            Ok(())
        } else {
            Err(InputErrors {
                shown: self.shown,
                total: self.total,
            })
        }
    }
}

type Cells<'a> = Box<dyn Iterator<Item = Option<&'a str>> + 'a>;

/// A column's cells, trimmed, empty as `None`. Absent optional columns give all `None`.
fn cells<'a>(t: &'a RawTable, name: &str) -> Cells<'a> {
    match t.column(name) {
        Some(ca) => Box::new(
            ca.iter()
                .map(|v| v.map(str::trim).filter(|s| !s.is_empty())),
        ),
        None => Box::new(std::iter::repeat_n(None, t.height())),
    }
}

fn next<'a>(c: &mut Cells<'a>) -> Option<&'a str> {
    c.next().flatten()
}

/// A row under check: records problems against its table and row.
struct Row<'p, 't> {
    p: &'p mut Problems,
    t: &'t RawTable,
    i: usize,
}

impl Row<'_, '_> {
    fn bad(&mut self, column: &'static str, value: &str, rule: impl Into<String>) {
        self.p.add(self.t, self.i, column, value, rule);
    }

    fn req<'v>(&mut self, column: &'static str, v: Option<&'v str>) -> Option<&'v str> {
        if v.is_none() {
            self.bad(column, "", "is required");
        }
        v
    }

    fn date(&mut self, column: &'static str, v: Option<&str>, required: bool) -> Option<Day> {
        let v = if required { self.req(column, v)? } else { v? };
        let d = parse_day(v);
        if d.is_none() {
            self.bad(column, v, "is not a date YYYY-MM-DD");
        }
        d
    }

    fn money(&mut self, column: &'static str, v: Option<&str>) -> Option<i64> {
        let v = self.req(column, v)?;
        money::parse_money(v)
            .map_err(|e| self.bad(column, v, format!("money {e}")))
            .ok()
    }

    fn rate(&mut self, column: &'static str, v: Option<&str>) -> Option<i64> {
        let v = self.req(column, v)?;
        money::parse_rate(v)
            .map_err(|e| self.bad(column, v, format!("rate {e}")))
            .ok()
    }

    fn float(&mut self, column: &'static str, v: Option<&str>, required: bool) -> Option<f64> {
        let v = if required { self.req(column, v)? } else { v? };
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                self.bad(column, v, "is not a finite number");
                None
            }
        }
    }

    fn boolean(&mut self, column: &'static str, v: Option<&str>) -> Option<bool> {
        let v = v?;
        match v.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" | "y" => Some(true),
            "false" | "f" | "0" | "no" | "n" => Some(false),
            _ => {
                self.bad(column, v, "is not a boolean (true/false)");
                None
            }
        }
    }

    fn employee(&mut self, ledger: &Ledger, column: &'static str, v: Option<&str>) -> Option<u32> {
        let v = self.req(column, v)?;
        let e = ledger.employees.ids.get(v);
        if e.is_none() {
            self.bad(column, v, "names no employee in the employees table");
        }
        e
    }

    /// A timestamp: microseconds since the epoch and its day in the pipeline's zone.
    fn timestamp(
        &mut self,
        column: &'static str,
        v: Option<&str>,
        tz: chrono_tz::Tz,
        required: bool,
    ) -> Option<(i64, Day)> {
        let v = if required { self.req(column, v)? } else { v? };
        match parse_timestamp(v, tz) {
            Ok(x) => Some(x),
            Err(e) => {
                self.bad(column, v, e);
                None
            }
        }
    }
}

/// Parses an ISO 8601 timestamp. One without an offset is read in `tz`; a local time that occurs
/// twice (clocks going back) is read as the earlier instant.
pub fn parse_timestamp(v: &str, tz: chrono_tz::Tz) -> Result<(i64, Day), String> {
    let instant = if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        dt.timestamp_micros()
    } else if let Ok(dt) = DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M%:z") {
        dt.timestamp_micros()
    } else {
        let naive = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
        .ok_or_else(|| {
            "is not an ISO 8601 timestamp (YYYY-MM-DDTHH:MM:SS, optional offset)".to_string()
        })?;
        match tz.from_local_datetime(&naive).earliest() {
            Some(dt) => dt.timestamp_micros(),
            None => return Err(format!("does not exist in {tz} (a clock change skips it)")),
        }
    };
    let local = DateTime::from_timestamp_micros(instant)
        .ok_or("is out of range")?
        .with_timezone(&tz)
        .date_naive();
    Ok((instant, crate::periods::day_from_date(local)))
}

fn unique<'a>(
    seen: &mut HashSet<&'a str>,
    r: &mut Row<'_, '_>,
    column: &'static str,
    id: Option<&'a str>,
) {
    if let Some(id) = id {
        if !seen.insert(id) {
            r.bad(column, id, "is not unique");
        }
    }
}

/// Parses and checks every table. Rows that break a rule are recorded in the returned
/// [`Problems`] and left out of the ledger, so later checks still see consistent data.
pub fn parse(raw: &[RawTable], base_currency: &str, tz: chrono_tz::Tz) -> (Ledger, Problems) {
    let get = |t: Table| raw.iter().find(|r| r.table == t);
    let mut p = Problems::default();
    let mut l = Ledger::default();
    let empty: Vec<RawTable> = Table::ALL.iter().map(|t| RawTable::empty(*t)).collect();
    let table = |t: Table| {
        get(t).unwrap_or_else(|| &empty[Table::ALL.iter().position(|x| *x == t).unwrap_or(0)])
    };

    employees(&mut p, &mut l, table(Table::Employees));
    org_history(&mut p, &mut l, table(Table::OrgHistory));
    fx_rates(&mut p, &mut l, table(Table::FxRates), base_currency);
    invoices(&mut p, &mut l, table(Table::Invoices));
    for (t, col_id, col_date) in [
        (Table::Collections, "collection_id", "paid_on"),
        (Table::WriteOffs, "write_off_id", "written_off_on"),
        (Table::Fees, "fee_id", "booked_on"),
    ] {
        let ev = invoice_events(&mut p, &l, table(t), col_id, col_date);
        match t {
            Table::Collections => l.collections = ev,
            Table::WriteOffs => l.write_offs = ev,
            _ => l.fees = ev,
        }
    }
    applications(&mut p, &mut l, table(Table::Applications), tz);
    assignments(&mut p, &mut l, table(Table::Assignments));
    reviews(&mut p, &mut l, table(Table::Reviews));
    labelled_floats(
        &mut p,
        &l,
        table(Table::Targets),
        &["target", "threshold", "stretch"],
    );
    labelled_floats(&mut p, &l, table(Table::Adjustments), &["value"]);
    l.rows_read = Table::ALL
        .iter()
        .map(|t| (t.name(), table(*t).height()))
        .collect();
    (l, p)
}

fn employees(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
    let (mut id, mut name, mut hire, mut term, mut sal) = (
        cells(t, "employee_id"),
        cells(t, "name"),
        cells(t, "hire_date"),
        cells(t, "termination_date"),
        cells(t, "base_salary"),
    );
    let e = &mut l.employees;
    for i in 0..t.height() {
        let mut r = Row { p, t, i };
        let idv = r.req("employee_id", next(&mut id)).unwrap_or("");
        let n = r.req("name", next(&mut name)).unwrap_or("").to_string();
        let h = r.date("hire_date", next(&mut hire), true).unwrap_or(0);
        let tv = next(&mut term);
        let td = r.date("termination_date", tv, false);
        if let Some(td) = td {
            if td < h {
                r.bad("termination_date", tv.unwrap_or(""), "is before hire_date");
            }
        }
        let s = r.money("base_salary", next(&mut sal)).unwrap_or(0);
        if s < 0 {
            r.bad("base_salary", &money::format_cents(s), "is negative");
        }
        if e.ids.get(idv).is_some() {
            r.bad("employee_id", idv, "is not unique");
            continue;
        }
        e.ids.intern(idv);
        e.name.push(n);
        e.hire.push(h);
        e.termination.push(td);
        e.base_salary.push(s);
    }
}

/// Checks that sorted `[from, to)` intervals do not overlap; returns the rows that do.
fn overlaps<T>(rows: &[(T, Day, Day, usize)]) -> Vec<usize> {
    rows.windows(2)
        .filter(|w| w[1].1 < w[0].2)
        .map(|w| w[1].3)
        .collect()
}

fn org_history(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
    let mut c: Vec<Cells> = [
        "employee_id",
        "valid_from",
        "valid_to",
        "department",
        "team",
        "role",
        "manager_id",
    ]
    .iter()
    .map(|n| cells(t, n))
    .collect();
    let mut per: Vec<Vec<(OrgRow, Day, Day, usize)>> = vec![Vec::new(); l.employees.ids.len()];
    for i in 0..t.height() {
        let v: Vec<Option<&str>> = c.iter_mut().map(next).collect();
        let mut r = Row { p, t, i };
        let e = r.employee(l, "employee_id", v[0]);
        let from = r.date("valid_from", v[1], true);
        let to = r.date("valid_to", v[2], false).unwrap_or(Day::MAX);
        let dept = r.req("department", v[3]).unwrap_or("");
        let team = r.req("team", v[4]).unwrap_or("");
        let role = r.req("role", v[5]).unwrap_or("");
        let (Some(e), Some(from)) = (e, from) else {
            continue;
        };
        if to <= from {
            r.bad(
                "valid_to",
                v[2].unwrap_or(""),
                "is not after valid_from (valid_to is exclusive)",
            );
            continue;
        }
        let row = OrgRow {
            from,
            to,
            department: dept.into(),
            team: team.into(),
            role: role.into(),
            manager_id: v[6].map(str::to_string),
        };
        per[e as usize].push((row, from, to, i));
    }
    for (e, rows) in per.iter_mut().enumerate() {
        rows.sort_by_key(|r| r.1);
        for i in overlaps(rows) {
            p.add(
                t,
                i,
                "valid_from",
                &format_day(rows.iter().find(|r| r.3 == i).map_or(0, |r| r.1)),
                "overlaps another org_history row of the employee",
            );
        }
        // Together the rows must cover every day of employment.
        let hire = l.employees.hire[e];
        let end = l.employees.termination[e].map_or(Day::MAX, |d| d + 1);
        let mut covered = hire;
        for r in rows.iter() {
            if r.1 > covered {
                break;
            }
            covered = covered.max(r.2);
        }
        if covered < end {
            let id = &l.employees.ids.names[e];
            let at = rows.first().map(|r| r.3);
            let msg = format!("the org_history rows of {id} leave {} uncovered (they must cover every day employed)", format_day(covered));
            match at {
                Some(i) => p.add(t, i, "valid_from", id, msg),
                None => p.add(t, 0, "employee_id", id, msg),
            }
        }
    }
    l.org = per
        .into_iter()
        .map(|v| v.into_iter().map(|r| r.0).collect())
        .collect();
}

fn fx_rates(p: &mut Problems, l: &mut Ledger, t: &RawTable, base: &str) {
    let (mut cur, mut day, mut rate) = (
        cells(t, "currency"),
        cells(t, "rate_date"),
        cells(t, "rate_to_base"),
    );
    let fx = &mut l.fx;
    fx.base = Some(fx.currencies.intern(base));
    fx.rates.push(Vec::new());
    let mut seen: HashMap<(u32, Day), ()> = HashMap::new();
    for i in 0..t.height() {
        let mut r = Row { p, t, i };
        let c = r.req("currency", next(&mut cur));
        let d = r.date("rate_date", next(&mut day), true);
        let rv = next(&mut rate);
        let x = r.rate("rate_to_base", rv);
        let (Some(c), Some(d), Some(x)) = (c, d, x) else {
            continue;
        };
        if x <= 0 {
            r.bad("rate_to_base", rv.unwrap_or(""), "must be > 0");
            continue;
        }
        let ci = fx.currencies.intern(c);
        if fx.rates.len() <= ci as usize {
            fx.rates.push(Vec::new());
        }
        if seen.insert((ci, d), ()).is_some() {
            r.bad(
                "rate_date",
                &format_day(d),
                format!("a second {c} rate for the same date"),
            );
            continue;
        }
        fx.rates[ci as usize].push((d, x));
    }
    for v in &mut fx.rates {
        v.sort_unstable();
    }
}

fn invoices(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
    let mut c: Vec<Cells> = [
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
    ]
    .iter()
    .map(|n| cells(t, n))
    .collect();
    for i in 0..t.height() {
        let v: Vec<Option<&str>> = c.iter_mut().map(next).collect();
        let mut r = Row { p, t, i };
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
        if let Some(f) = face {
            if f <= 0 {
                r.bad("face_amount", v[4].unwrap_or(""), "must be > 0");
            }
            if let Some(a) = adv {
                if a < 0 || a > f {
                    r.bad(
                        "advance_amount",
                        v[5].unwrap_or(""),
                        "must be between 0 and face_amount",
                    );
                }
            }
        }
        if let (Some(pd), Some(due)) = (pd, due) {
            if due < pd {
                r.bad("due_date", v[7].unwrap_or(""), "is before purchase_date");
            }
        }
        if let (Some(e), Some(pd)) = (orig, pd) {
            if !l.employees.employed(e, pd) {
                r.bad(
                    "originator_id",
                    v[8].unwrap_or(""),
                    format!("is not employed on purchase_date {}", format_day(pd)),
                );
            }
        }
        let mut rate = money::RATE_SCALE;
        let mut ci = 0;
        if let (Some(cur), Some(pd)) = (cur, pd) {
            match l
                .fx
                .currencies
                .get(cur)
                .and_then(|ci| l.fx.rate_on(ci, pd).map(|r| (ci, r)))
            {
                Some((c, x)) => (ci, rate) = (c, x),
                None => r.bad(
                    "currency",
                    cur,
                    format!("has no fx rate on or before {}", format_day(pd)),
                ),
            }
        }
        let Some(id) = id else { continue };
        if l.invoices.ids.get(id).is_some() {
            r.bad("invoice_id", id, "is not unique");
            continue;
        }
        let inv = &mut l.invoices;
        inv.ids.intern(id);
        inv.client.push(l.clients.intern(client.unwrap_or("")));
        inv.currency.push(ci);
        inv.face.push(face.unwrap_or(0));
        inv.advance.push(adv.unwrap_or(0));
        inv.purchase.push(pd.unwrap_or(0));
        inv.due.push(due.unwrap_or(0));
        inv.originator.push(orig.unwrap_or(0));
        inv.rate.push(rate);
    }
}

fn invoice_events(
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
    let mut seen = HashSet::new();
    let mut ev = InvoiceEvents::default();
    for i in 0..t.height() {
        let mut r = Row { p, t, i };
        let idv = r.req(col_id, next(&mut id));
        unique(&mut seen, &mut r, col_id, idv);
        let iv = r.req("invoice_id", next(&mut inv));
        let ii = iv.and_then(|v| l.invoices.ids.get(v));
        if let (Some(v), None) = (iv, ii) {
            r.bad("invoice_id", v, "names no invoice in the invoices table");
        }
        let d = r.date(col_date, next(&mut day), true);
        let av = next(&mut amt);
        let a = r.money("amount", av);
        if let Some(a) = a {
            if is_fee && a == 0 {
                r.bad("amount", av.unwrap_or(""), "must not be 0");
            } else if !is_fee && a <= 0 {
                r.bad("amount", av.unwrap_or(""), "must be > 0");
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
        ev.invoice.push(ii);
        ev.date.push(d);
        ev.amount.push(a);
        ev.row.push(i as u32);
    }
    ev
}

fn applications(p: &mut Problems, l: &mut Ledger, t: &RawTable, tz: chrono_tz::Tz) {
    let mut c: Vec<Cells> = [
        "application_id",
        "client_id",
        "employee_id",
        "received_at",
        "decided_at",
        "decision",
        "funded_at",
        "requested_amount",
        "currency",
    ]
    .iter()
    .map(|n| cells(t, n))
    .collect();
    let mut seen = HashSet::new();
    for i in 0..t.height() {
        let v: Vec<Option<&str>> = c.iter_mut().map(next).collect();
        let mut r = Row { p, t, i };
        let app_id = r.req("application_id", v[0]);
        unique(&mut seen, &mut r, "application_id", app_id);
        if let Some(cl) = r.req("client_id", v[1]) {
            l.clients.intern(cl);
        }
        let e = r.employee(l, "employee_id", v[2]);
        let rec = r.timestamp("received_at", v[3], tz, true);
        let dec = r.timestamp("decided_at", v[4], tz, false);
        let decision = match v[5].map(str::to_ascii_lowercase).as_deref() {
            None => Decision::Pending,
            Some("approved") => Decision::Approved,
            Some("rejected") => Decision::Rejected,
            Some("withdrawn") => Decision::Withdrawn,
            Some(_) => {
                r.bad(
                    "decision",
                    v[5].unwrap_or(""),
                    "is not approved, rejected, withdrawn or empty",
                );
                Decision::Pending
            }
        };
        let fund = r.timestamp("funded_at", v[6], tz, false);
        let amount = r.money("requested_amount", v[7]);
        let cur = r.req("currency", v[8]);
        let Some((rec_us, rec_day)) = rec else {
            continue;
        };
        if let Some((d, _)) = dec {
            if d < rec_us {
                r.bad("decided_at", v[4].unwrap_or(""), "is before received_at");
            }
        }
        if let Some((f, _)) = fund {
            if decision != Decision::Approved {
                r.bad(
                    "funded_at",
                    v[6].unwrap_or(""),
                    "is set but the decision is not approved",
                );
            } else if f < rec_us {
                r.bad("funded_at", v[6].unwrap_or(""), "is before received_at");
            }
        }
        if let Some(e) = e {
            if !l.employees.employed(e, rec_day) {
                r.bad(
                    "employee_id",
                    v[2].unwrap_or(""),
                    format!(
                        "is not employed on the received date {}",
                        format_day(rec_day)
                    ),
                );
            }
        }
        let rate = cur
            .and_then(|c| l.fx.currencies.get(c))
            .and_then(|ci| l.fx.rate_on(ci, rec_day));
        if rate.is_none() {
            r.bad(
                "currency",
                cur.unwrap_or(""),
                format!("has no fx rate on or before {}", format_day(rec_day)),
            );
        }
        let a = &mut l.applications;
        a.employee.push(e.unwrap_or(0));
        a.received_at.push(rec_us);
        a.received_day.push(rec_day);
        a.decided_day.push(dec.map(|d| d.1));
        a.decision.push(decision);
        a.funded_at.push(fund.map(|f| f.0));
        a.funded_day.push(fund.map(|f| f.1));
        a.requested_base.push(money::convert(
            amount.unwrap_or(0),
            rate.unwrap_or(money::RATE_SCALE),
        ));
    }
}

fn assignments(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
    let (mut cl, mut emp, mut from, mut to) = (
        cells(t, "client_id"),
        cells(t, "employee_id"),
        cells(t, "valid_from"),
        cells(t, "valid_to"),
    );
    let mut rows: Vec<(u32, Assignment, usize)> = Vec::new();
    for i in 0..t.height() {
        let mut r = Row { p, t, i };
        let c = r.req("client_id", next(&mut cl));
        let e = r.employee(l, "employee_id", next(&mut emp));
        let f = r.date("valid_from", next(&mut from), true);
        let tv = next(&mut to);
        let to_d = r.date("valid_to", tv, false).unwrap_or(Day::MAX);
        let (Some(c), Some(e), Some(f)) = (c, e, f) else {
            continue;
        };
        if to_d <= f {
            r.bad(
                "valid_to",
                tv.unwrap_or(""),
                "is not after valid_from (valid_to is exclusive)",
            );
            continue;
        }
        let hire = l.employees.hire[e as usize];
        let term = l.employees.termination[e as usize];
        if f < hire {
            r.bad(
                "valid_from",
                &format_day(f),
                format!("is before the employee's hire_date {}", format_day(hire)),
            );
        } else if let Some(term) = term {
            if to_d == Day::MAX || to_d - 1 > term {
                r.bad(
                    "valid_to",
                    tv.unwrap_or(""),
                    format!(
                        "runs past the employee's termination_date {}: close the assignment by {}",
                        format_day(term),
                        format_day(term + 1)
                    ),
                );
            }
        }
        rows.push((
            l.clients.intern(c),
            Assignment {
                from: f,
                to: to_d,
                employee: e,
            },
            i,
        ));
    }
    l.assignments = vec![Vec::new(); l.clients.len()];
    rows.sort_by_key(|r| (r.0, r.1.from));
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 && w[1].1.from < w[0].1.to {
            p.add(
                t,
                w[1].2,
                "valid_from",
                &format_day(w[1].1.from),
                "overlaps another assignment of the client",
            );
        }
    }
    for (c, a, _) in rows {
        l.assignments[c as usize].push(a);
    }
}

fn reviews(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
    let (mut emp, mut day, mut src, mut score) = (
        cells(t, "employee_id"),
        cells(t, "reviewed_on"),
        cells(t, "source"),
        cells(t, "score"),
    );
    for i in 0..t.height() {
        let mut r = Row { p, t, i };
        let e = r.employee(l, "employee_id", next(&mut emp));
        let d = r.date("reviewed_on", next(&mut day), true);
        let sv = r.req("source", next(&mut src));
        let s = match sv {
            Some("customer") => Some(ReviewSource::Customer),
            Some("peer") => Some(ReviewSource::Peer),
            Some("manager") => Some(ReviewSource::Manager),
            Some(other) => {
                r.bad("source", other, "is not customer, peer or manager");
                None
            }
            None => None,
        };
        let x = r.float("score", next(&mut score), true);
        let (Some(e), Some(d), Some(s), Some(x)) = (e, d, s, x) else {
            continue;
        };
        l.reviews.employee.push(e);
        l.reviews.day.push(d);
        l.reviews.source.push(s);
        l.reviews.score.push(x);
    }
}

/// Targets and adjustments: checked here, used by scoring.
fn labelled_floats(p: &mut Problems, l: &Ledger, t: &RawTable, floats: &[&'static str]) {
    let cal = crate::periods::Calendar {
        grain: crate::periods::Grain::Month,
        fiscal_start: 1,
    };
    let mut period = cells(t, "period");
    let mut metric = cells(t, "metric");
    let mut emp = cells(t, "employee_id");
    let mut fs: Vec<Cells> = floats.iter().map(|n| cells(t, n)).collect();
    for i in 0..t.height() {
        let mut r = Row { p, t, i };
        if let Some(pv) = r.req("period", next(&mut period)) {
            if let Err(e) = cal.parse_label(pv).or_else(|_| {
                crate::periods::Calendar {
                    grain: crate::periods::Grain::Year,
                    fiscal_start: 1,
                }
                .parse_label(pv)
            }) {
                r.bad("period", pv, e);
            }
        }
        r.req("metric", next(&mut metric));
        let ev = next(&mut emp);
        if t.table == Table::Adjustments || ev.is_some() {
            r.employee(l, "employee_id", ev);
        }
        for (k, c) in fs.iter_mut().enumerate() {
            r.float(floats[k], next(c), k == 0);
        }
    }
}
