//! Typed parsing of raw tables into a checked [`Ledger`]. Every rule of the data contract's
//! section 1 is checked here; the balance rules of section 2 are checked by [`crate::ledger`].

mod goals;
mod hr;
mod ledger;

use chrono::{DateTime, NaiveDateTime, TimeZone};

use super::RawTable;
use crate::error::{InputErrors, RuleBreak};
use crate::model::*;
use crate::money;
use crate::periods::{parse_day, Day};
use crate::tables::Table;

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

    /// Adds the problems of `other` after these.
    pub fn extend(&mut self, other: Problems) {
        self.total += other.total;
        let room = SHOWN.saturating_sub(self.shown.len());
        self.shown.extend(other.shown.into_iter().take(room));
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

/// One cell: text as read, or a value a typed source already holds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cell<'a> {
    Text(&'a str),
    Cents(i64),
    Day(Day),
}

impl std::fmt::Display for Cell<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Text(s) => f.write_str(s),
            Cell::Cents(c) => f.write_str(&money::format_cents(*c)),
            Cell::Day(d) => f.write_str(&crate::periods::format_day(*d)),
        }
    }
}

/// A cell as shown in a message.
pub(super) fn show(c: Option<Cell<'_>>) -> String {
    c.map(|c| c.to_string()).unwrap_or_default()
}

pub(super) type Cells<'a> = Box<dyn Iterator<Item = Option<Cell<'a>>> + 'a>;

/// A column's cells: text trimmed, empty as `None`. Absent optional columns give all `None`.
pub(super) fn cells<'a>(t: &'a RawTable, name: &str) -> Cells<'a> {
    let Ok(col) = t.df.column(name) else {
        return Box::new(std::iter::repeat_n(None, t.height()));
    };
    if let Ok(ca) = col.str() {
        return Box::new(
            ca.iter()
                .map(|v| v.map(str::trim).filter(|s| !s.is_empty()).map(Cell::Text)),
        );
    }
    if let Ok(ca) = col.i64() {
        return Box::new(ca.iter().map(|v| v.map(Cell::Cents)));
    }
    if let Ok(ca) = col.date() {
        return Box::new(ca.physical().iter().map(|v| v.map(Cell::Day)));
    }
    Box::new(std::iter::repeat_n(None, t.height()))
}

pub(super) fn next<'a>(c: &mut Cells<'a>) -> Option<Cell<'a>> {
    c.next().flatten()
}

/// The cells of several columns, a row at a time.
pub(super) struct Rows<'a>(Vec<Cells<'a>>);

impl<'a> Rows<'a> {
    pub(super) fn new(t: &'a RawTable, names: &[&str]) -> Self {
        Rows(names.iter().map(|n| cells(t, n)).collect())
    }

    /// The next row's cells, in the order of the names.
    pub(super) fn next_row(&mut self) -> Vec<Option<Cell<'a>>> {
        self.0.iter_mut().map(next).collect()
    }
}

/// A row under check: records problems against its table and row.
pub(super) struct Row<'p, 't> {
    pub(super) p: &'p mut Problems,
    pub(super) t: &'t RawTable,
    pub(super) i: usize,
}

impl Row<'_, '_> {
    pub(super) fn bad(&mut self, column: &'static str, value: &str, rule: impl Into<String>) {
        self.p.add(self.t, self.i, column, value, rule);
    }

    /// A required text cell.
    pub(super) fn req<'v>(&mut self, column: &'static str, v: Option<Cell<'v>>) -> Option<&'v str> {
        match v {
            None => {
                self.bad(column, "", "is required");
                None
            }
            other => self.text(column, other),
        }
    }

    /// An optional text cell.
    pub(super) fn text<'v>(
        &mut self,
        column: &'static str,
        v: Option<Cell<'v>>,
    ) -> Option<&'v str> {
        match v? {
            Cell::Text(s) => Some(s),
            typed => {
                self.bad(column, &typed.to_string(), "is not text");
                None
            }
        }
    }

    pub(super) fn date(
        &mut self,
        column: &'static str,
        v: Option<Cell<'_>>,
        required: bool,
    ) -> Option<Day> {
        match v {
            None if required => self.req(column, None).and(None),
            None => None,
            Some(Cell::Day(d)) => Some(d),
            Some(Cell::Text(s)) => {
                let d = parse_day(s);
                if d.is_none() {
                    self.bad(column, s, "is not a date YYYY-MM-DD");
                }
                d
            }
            Some(other) => {
                self.bad(column, &other.to_string(), "is not a date YYYY-MM-DD");
                None
            }
        }
    }

    pub(super) fn money(&mut self, column: &'static str, v: Option<Cell<'_>>) -> Option<i64> {
        match v {
            Some(Cell::Cents(c)) => Some(c),
            other => {
                let v = self.req(column, other)?;
                money::parse_money(v)
                    .map_err(|e| self.bad(column, v, format!("money {e}")))
                    .ok()
            }
        }
    }

    pub(super) fn rate(&mut self, column: &'static str, v: Option<Cell<'_>>) -> Option<i64> {
        let v = self.req(column, v)?;
        money::parse_rate(v)
            .map_err(|e| self.bad(column, v, format!("rate {e}")))
            .ok()
    }

    pub(super) fn float(
        &mut self,
        column: &'static str,
        v: Option<Cell<'_>>,
        required: bool,
    ) -> Option<f64> {
        let v = if required {
            self.req(column, v)?
        } else {
            self.text(column, v)?
        };
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                self.bad(column, v, "is not a finite number");
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, column: &'static str, v: Option<Cell<'_>>) -> Option<bool> {
        let v = self.text(column, v)?;
        match v.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" | "y" => Some(true),
            "false" | "f" | "0" | "no" | "n" => Some(false),
            _ => {
                self.bad(column, v, "is not a boolean (true/false)");
                None
            }
        }
    }

    pub(super) fn employee(
        &mut self,
        ledger: &Ledger,
        column: &'static str,
        v: Option<Cell<'_>>,
    ) -> Option<u32> {
        let v = self.req(column, v)?;
        let e = ledger.employees.ids.get(v);
        if e.is_none() {
            self.bad(column, v, "names no employee in the employees table");
        }
        e
    }

    /// A timestamp: microseconds since the epoch and its day in the pipeline's zone.
    pub(super) fn timestamp(
        &mut self,
        column: &'static str,
        v: Option<Cell<'_>>,
        tz: chrono_tz::Tz,
        required: bool,
    ) -> Option<(i64, Day)> {
        let v = if required {
            self.req(column, v)?
        } else {
            self.text(column, v)?
        };
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

/// Rows (0-based) whose id repeats an earlier row's, found by sorting 64-bit hashes of the
/// ids (a sequential pass, no large hash table) and comparing the ids of equal hashes.
pub(super) fn duplicate_rows(t: &RawTable, column: &str) -> Vec<usize> {
    let Some(ca) = t.column(column) else {
        return Vec::new();
    };
    let mut keyed: Vec<(u64, u32)> = ca
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (xxhash_rust::xxh3::xxh3_64(v.trim().as_bytes()), i as u32)))
        .collect();
    keyed.sort_unstable();
    let mut dups = Vec::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        let mut seen: Vec<&str> = Vec::new();
        for &(_, i) in run {
            let id = ca.get(i as usize).unwrap_or("").trim();
            if seen.contains(&id) {
                dups.push(i as usize);
            } else {
                seen.push(id);
            }
        }
    }
    dups.sort_unstable();
    dups
}

/// Records a rule break for every repeated id of `column`.
pub(super) fn check_unique(p: &mut Problems, t: &RawTable, column: &'static str, dups: Vec<usize>) {
    let ca = t.column(column);
    for i in dups {
        let id = ca.and_then(|c| c.get(i)).unwrap_or("").trim();
        p.add(t, i, column, id, "is not unique");
    }
}

/// The result of a helper thread. A panic there is a bug: carry it on rather than lose rows.
fn joined<T>(h: std::thread::Result<T>) -> T {
    h.unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Parses and checks every table. Rows that break a rule are recorded in the returned
/// [`Problems`] and left out of the ledger, so later checks still see consistent data.
pub fn parse(raw: &[RawTable], base_currency: &str, tz: chrono_tz::Tz) -> (Ledger, Problems) {
    let get = |t: Table| raw.iter().find(|r| r.table == t);
    let mut p = Problems::default();
    for t in raw {
        for b in &t.breaks {
            p.add(t, b.row, b.column, &b.value, b.rule.clone());
        }
    }
    let mut l = Ledger::default();
    let empty: Vec<RawTable> = Table::ALL.iter().map(|t| RawTable::empty(*t)).collect();
    let table = |t: Table| {
        get(t).unwrap_or_else(|| &empty[Table::ALL.iter().position(|x| *x == t).unwrap_or(0)])
    };

    hr::employees(&mut p, &mut l, table(Table::Employees));
    hr::org_history(&mut p, &mut l, table(Table::OrgHistory));
    ledger::fx_rates(&mut p, &mut l, table(Table::FxRates), base_currency);
    ledger::invoices(&mut p, &mut l, table(Table::Invoices));
    // The rest only reads what is checked so far: collections on one thread, everything else on
    // another.
    let (mut pa, mut pb) = (Problems::default(), Problems::default());
    let (collections, dups, rest) = std::thread::scope(|scope| {
        let lr = &l;
        let a = scope.spawn(|| {
            ledger::invoice_events(
                &mut pa,
                lr,
                table(Table::Collections),
                "collection_id",
                "paid_on",
            )
        });
        let ids = [
            (Table::Collections, "collection_id"),
            (Table::WriteOffs, "write_off_id"),
            (Table::Fees, "fee_id"),
            (Table::Applications, "application_id"),
        ];
        let d = scope.spawn(move || ids.map(|(t, c)| (t, c, duplicate_rows(table(t), c))));
        let w = ledger::invoice_events(
            &mut pb,
            lr,
            table(Table::WriteOffs),
            "write_off_id",
            "written_off_on",
        );
        let f = ledger::invoice_events(&mut pb, lr, table(Table::Fees), "fee_id", "booked_on");
        let apps = ledger::applications(&mut pb, lr, table(Table::Applications), tz);
        let revs = hr::reviews(&mut pb, lr, table(Table::Reviews));
        let targets = goals::targets(&mut pb, lr, table(Table::Targets));
        let adjustments = goals::adjustments(&mut pb, lr, table(Table::Adjustments));
        (
            joined(a.join()),
            joined(d.join()),
            (w, f, apps, revs, targets, adjustments),
        )
    });
    l.collections = collections;
    (
        l.write_offs,
        l.fees,
        l.applications,
        l.reviews,
        l.targets,
        l.adjustments,
    ) = rest;
    p.extend(pa);
    p.extend(pb);
    for (t, column, rows) in dups {
        check_unique(&mut p, table(t), column, rows);
    }
    hr::assignments(&mut p, &mut l, table(Table::Assignments));
    (l, p)
}
