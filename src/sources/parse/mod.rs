//! Typed parsing of raw tables into a checked [`Ledger`]. Every rule of the data contract's
//! section 1 is checked here; the balance rules of section 2 are checked by [`crate::ledger`].

mod applications;
mod fx;
mod goals;
mod hr;
mod ledger;
mod parts;
pub mod stages;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, TimeZone};

use crate::diag::cut;
use crate::model::*;
use crate::money;
use crate::periods::{parse_day, Day};
use crate::problems::Problems;
use crate::raw::{RawTable, RowRef};

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
    cells_from(t, name, 0)
}

/// A column's cells from row `start` on.
pub(super) fn cells_from<'a>(t: &'a RawTable, name: &str, start: usize) -> Cells<'a> {
    let rest = t.height().saturating_sub(start);
    let Ok(col) = t.df.column(name) else {
        return Box::new(std::iter::repeat_n(None, rest));
    };
    if let Ok(ca) = col.str() {
        return Box::new(
            ca.iter()
                .skip(start)
                .map(|v| v.map(str::trim).filter(|s| !s.is_empty()).map(Cell::Text)),
        );
    }
    if let Ok(ca) = col.i64() {
        return Box::new(ca.iter().skip(start).map(|v| v.map(Cell::Cents)));
    }
    if let Ok(ca) = col.date() {
        return Box::new(ca.physical().iter().skip(start).map(|v| v.map(Cell::Day)));
    }
    Box::new(std::iter::repeat_n(None, rest))
}

pub(super) fn next<'a>(c: &mut Cells<'a>) -> Option<Cell<'a>> {
    c.next().flatten()
}

/// The cells of `N` columns, a row at a time.
pub(super) struct Rows<'a, const N: usize>([Cells<'a>; N]);

impl<'a, const N: usize> Rows<'a, N> {
    pub(super) fn new(t: &'a RawTable, names: &[&str; N]) -> Self {
        Self::from(t, names, 0)
    }

    /// The rows from row `start` on.
    pub(super) fn from(t: &'a RawTable, names: &[&str; N], start: usize) -> Self {
        Rows(names.map(|n| cells_from(t, n, start)))
    }

    /// The next row's cells, in the order of the names.
    pub(super) fn next_row(&mut self) -> [Option<Cell<'a>>; N] {
        std::array::from_fn(|k| next(&mut self.0[k]))
    }
}

/// A row under check: records problems against its table and row. A row that broke a rule
/// (`broke`) is left out of the ledger.
pub(super) struct Row<'p, 't> {
    pub(super) p: &'p mut Problems,
    pub(super) t: &'t RawTable,
    pub(super) i: usize,
    pub(super) broke: bool,
}

impl<'p, 't> Row<'p, 't> {
    /// Row `i` of `t`; already broken when the reader found it ragged.
    pub(super) fn new(p: &'p mut Problems, t: &'t RawTable, i: usize) -> Self {
        let broke = t.read_broken(i);
        Row { p, t, i, broke }
    }

    pub(super) fn bad(&mut self, column: &'static str, value: &str, rule: impl Into<String>) {
        self.broke = true;
        self.p.add(self.t, self.i, column, value, rule);
    }

    /// The row is left out because a row it references was.
    pub(super) fn cascade(&mut self, column: &'static str, value: &str, why: String) {
        self.broke = true;
        self.p.cascade(self.t, self.i, column, value, why);
    }

    /// Why this row was left out, for the rows that reference it.
    pub(super) fn why(&self) -> String {
        why(self.p, self.t, self.i)
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
                    self.bad(column, s, not_a_date(s));
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
        let is = |words: [&str; 5]| words.iter().any(|w| v.eq_ignore_ascii_case(w));
        if is(["true", "t", "1", "yes", "y"]) {
            Some(true)
        } else if is(["false", "f", "0", "no", "n"]) {
            Some(false)
        } else {
            self.bad(column, v, "is not a boolean (true/false)");
            None
        }
    }

    pub(super) fn employee(
        &mut self,
        ledger: &Ledger,
        column: &'static str,
        v: Option<Cell<'_>>,
    ) -> Option<u32> {
        let v = self.req(column, v)?;
        self.employee_named(ledger, column, v)
    }

    /// An optional reference to an employee: `None` when the cell is empty.
    pub(super) fn opt_employee(
        &mut self,
        ledger: &Ledger,
        column: &'static str,
        v: Option<Cell<'_>>,
    ) -> Option<u32> {
        let v = self.text(column, v)?;
        self.employee_named(ledger, column, v)
    }

    /// The employee `v` names; a rule break, or a cascade if that employee was left out.
    fn employee_named(&mut self, ledger: &Ledger, column: &'static str, v: &str) -> Option<u32> {
        let e = ledger.employees.ids.get(v);
        if e.is_none() {
            match ledger.left_out.employees.get(v) {
                Some(why) => self.cascade(
                    column,
                    v,
                    format!("its employee `{}` is rejected: {why}", cut(v)),
                ),
                None => self.bad(column, v, "names no employee in the employees table"),
            }
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

/// Why `v` is not a timestamp, as precisely as its shape allows.
fn not_a_timestamp(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() > 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':' {
        let hh = v[v.len() - 5..v.len() - 3].parse::<u32>().ok();
        let mm = v[v.len() - 2..].parse::<u32>().ok();
        if let (Some(h), Some(m)) = (hh, mm) {
            if h > 23 || m > 59 {
                return "has an offset out of range: offsets run from -23:59 to +23:59, e.g. +08:00"
                    .to_string();
            }
        }
    }
    if let Some(day) = v.get(..10) {
        if parse_day(day).is_none() && v.len() > 10 {
            return not_a_date(day).replacen("date", "timestamp", 1);
        }
    }
    "is not an ISO 8601 timestamp: write YYYY-MM-DDTHH:MM:SS with an optional offset, e.g. 2026-10-31T09:30:00+08:00".to_string()
}

/// Why `s` is not a date, as precisely as its shape allows.
fn not_a_date(s: &str) -> String {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        if let (Some(y), Some(m), Some(_)) = (num(0..4), num(5..7), num(8..10)) {
            if !(1..=12).contains(&m) {
                return format!("is not a date: there is no month {m}");
            }
            let days = crate::periods::days_in_month(y as i32, m as i32);
            return format!("is not a date: {y}-{m:02} has {days} days");
        }
    }
    "is not a date YYYY-MM-DD, e.g. 2026-10-31".to_string()
}

/// The shapes of timestamp [`parse_timestamp`] reads after RFC 3339: with an offset and no
/// seconds, then local times. Each format is parsed into chrono's items once, not per cell.
static TIMESTAMP_FORMATS: std::sync::LazyLock<[Vec<Item<'static>>; 5]> =
    std::sync::LazyLock::new(|| {
        [
            "%Y-%m-%dT%H:%M%:z",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        .map(|f| {
            StrftimeItems::new(f)
                .parse_to_owned()
                .expect("a fixed, valid format")
        })
    });

/// `v` read with pre-parsed `items`, as chrono's `parse_from_str` reads it.
fn parsed_with(v: &str, items: &[Item<'static>]) -> Option<Parsed> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, v, items.iter()).ok()?;
    Some(parsed)
}

/// Parses an ISO 8601 timestamp. One without an offset is read in `tz`; a local time that occurs
/// twice (clocks going back) is read as the earlier instant.
pub fn parse_timestamp(v: &str, tz: chrono_tz::Tz) -> Result<(i64, Day), String> {
    let [offset_minutes, naive @ ..] = &*TIMESTAMP_FORMATS;
    let instant = if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        dt.timestamp_micros()
    } else if let Some(dt) = parsed_with(v, offset_minutes).and_then(|p| p.to_datetime().ok()) {
        dt.timestamp_micros()
    } else {
        let naive = naive
            .iter()
            .find_map(|f| parsed_with(v, f)?.to_naive_datetime_with_offset(0).ok())
            .ok_or_else(|| not_a_timestamp(v))?;
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

/// Why row `i` of `t` was left out: its breaks, as sentences. The breaks the checks just
/// recorded for it when there are some at the end of `p`; otherwise what the reader found wrong
/// with the row (recorded in `p` only once every table is read), then every break of the row.
pub(super) fn why(p: &Problems, t: &RawTable, i: usize) -> String {
    let mut reasons: Vec<String> = p
        .breaks
        .iter()
        .rev()
        .take_while(|b| b.table == t.table && b.row as usize == i)
        .map(|b| b.reason())
        .collect();
    if reasons.is_empty() {
        // Not the last row reported: look further back.
        reasons = t
            .breaks
            .iter()
            .filter(|b| b.row == i)
            .map(|b| crate::problems::reason(b.column, &b.value, &b.rule))
            .chain(
                p.breaks
                    .iter()
                    .filter(|b| b.table == t.table && b.row as usize == i)
                    .map(|b| b.reason()),
            )
            .collect();
    } else {
        reasons.reverse();
    }
    format!("{} ({})", reasons.join("; "), t.row_ref(i))
}

/// Every row whose id another row repeats, with the row of the other occurrence it is shown
/// with (the second for the first, the first for the others), in row order. Found by sorting
/// 64-bit hashes of the ids (a sequential pass, no large hash table) and comparing the ids of
/// equal hashes.
pub(super) fn duplicate_rows(t: &RawTable, column: &str) -> Vec<(usize, usize)> {
    duplicates_of(t, column, &id_hashes(t, column))
}

/// The 64-bit hash of each non-empty id of `column` (trimmed), sorted: when no two are equal,
/// no id repeats, and the rows of [`id_hashes`] need not be found.
pub(super) fn sorted_hashes(t: &RawTable, column: &str) -> Vec<u64> {
    let Some(ca) = t.column(column) else {
        return Vec::new();
    };
    let mut hashes: Vec<u64> = ca
        .iter()
        .filter_map(|v| {
            let v = v?.trim();
            (!v.is_empty()).then(|| xxhash_rust::xxh3::xxh3_64(v.as_bytes()))
        })
        .collect();
    hashes.sort_unstable();
    hashes
}

/// The 64-bit hash of each non-empty id of `column` (trimmed) with its row, sorted.
pub(super) fn id_hashes(t: &RawTable, column: &str) -> Vec<(u64, u32)> {
    let Some(ca) = t.column(column) else {
        return Vec::new();
    };
    let mut keyed: Vec<(u64, u32)> = ca
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let v = v?.trim();
            (!v.is_empty()).then(|| (xxhash_rust::xxh3::xxh3_64(v.as_bytes()), i as u32))
        })
        .collect();
    keyed.sort_unstable();
    keyed
}

/// [`duplicate_rows`] from the sorted hashes of [`id_hashes`].
pub(super) fn duplicates_of(
    t: &RawTable,
    column: &str,
    keyed: &[(u64, u32)],
) -> Vec<(usize, usize)> {
    let Some(ca) = t.column(column) else {
        return Vec::new();
    };
    let mut dups = Vec::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        let id = |i: u32| ca.get(i as usize).unwrap_or("").trim();
        let mut rows: Vec<u32> = run.iter().map(|r| r.1).collect();
        while let Some(&first) = rows.first() {
            let (same, other): (Vec<u32>, Vec<u32>) =
                rows.iter().partition(|&&i| id(i) == id(first));
            if same.len() > 1 {
                dups.push((same[0] as usize, same[1] as usize));
                dups.extend(same[1..].iter().map(|&i| (i as usize, same[0] as usize)));
            }
            rows = other;
        }
    }
    dups.sort_unstable();
    dups
}

/// Records a rule break for every row of a repeated id, naming the other place.
pub(super) fn check_unique(
    p: &mut Problems,
    t: &RawTable,
    column: &'static str,
    dups: &[(usize, RowRef)],
) {
    let ca = t.column(column);
    for (i, other) in dups {
        let i = *i;
        let id = ca.and_then(|c| c.get(i)).unwrap_or("").trim();
        p.add(
            t,
            i,
            column,
            id,
            format!("is not unique: {other} has it too"),
        );
    }
}

/// The result of a helper thread. A panic there is a bug: carry it on rather than lose rows.
fn joined<T>(h: std::thread::Result<T>) -> T {
    h.unwrap_or_else(|e| std::panic::resume_unwind(e))
}
