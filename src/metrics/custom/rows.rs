//! The rows a custom aggregate runs over (contract 3.1's table): per table, the rows dated in the
//! window with the entity credited and the period index as one key ([`GROUP`]), and the columns
//! the metrics read, typed as [`CustomTable::rows_schema`] says: money in base currency exactly
//! as section 2 converts it, dates and text as read, timestamps as the wall-clock time in the
//! pipeline's timezone.

use std::ops::Range;

use polars::prelude::*;

use super::amounts::amounts_of;
pub use crate::catalogue::custom::{cents_name, GROUP};
use crate::catalogue::custom::{ColKind, CustomTable, INVOICE_PREFIX};
use crate::ledger::Swept;
use crate::metrics::{Credited, Window};
use crate::model::{Decision, Interner, Ledger};
use crate::periods::Day;
use crate::raw::RawTable;
use crate::tables::Table;

/// What the rows are built from.
pub struct Source<'a> {
    pub l: &'a Ledger,
    pub s: &'a Swept,
    pub raw: &'a [RawTable],
    pub tz: chrono_tz::Tz,
    pub window: Window,
    /// The entity index of `UNASSIGNED`.
    pub unassigned: u32,
    /// The entity each event of the window is credited to.
    pub credited: &'a Credited,
}

/// The rows of a table, placed: each row's fact (the model index of its invoice, event,
/// application or review), its entity and period as one key (entity × periods + period index),
/// and, for `balances` only, its balance in base cents. A row is 8 bytes (12 for a balance).
#[derive(Default)]
struct Placed {
    periods: u32,
    idx: Vec<u32>,
    keys: Vec<u32>,
    balance: Vec<i64>,
}

impl Placed {
    fn push(&mut self, idx: usize, e: u32, k: usize) {
        self.idx.push(idx as u32);
        self.keys.push(e * self.periods + k as u32);
    }

    /// The window index of row `j`'s period.
    fn period(&self, j: usize) -> usize {
        (self.keys[j] % self.periods) as usize
    }
}

/// The rows of `table` dated in the window's periods `periods` (indexes into the window) with
/// `columns` (names as a filter or metric reads them), plus each row's entity and period as one
/// key ([`GROUP`]), each column typed as `table.rows_schema(columns)` says: a money column as its
/// exact cents ([`cents_name`]).
pub fn rows(
    src: &Source,
    table: CustomTable,
    columns: &[String],
    periods: Range<usize>,
) -> PolarsResult<DataFrame> {
    Ok(rows_of_facts(src, table, columns, periods)?.0)
}

/// [`rows`], and each row's fact: the model index of its invoice (for `balances`, of the invoice
/// whose balance it is), event, application or review.
pub fn rows_of_facts(
    src: &Source,
    table: CustomTable,
    columns: &[String],
    periods: Range<usize>,
) -> PolarsResult<(DataFrame, Vec<u32>)> {
    let schema = table.rows_schema(columns);
    let mut at = placed(src, table, periods);
    let mut cols = Vec::with_capacity(columns.len() + 1);
    for name in columns {
        let kind = table.column(name).unwrap_or(ColKind::Text);
        let c = column(src, table, name, kind, &at)?;
        if kind == ColKind::Money {
            cols.push(c.with_name(cents_name(name).into()));
        } else {
            cols.push(c);
        }
    }
    let n = at.idx.len();
    let keys = UInt32Chunked::from_vec(GROUP.into(), std::mem::take(&mut at.keys));
    let facts = std::mem::take(&mut at.idx);
    drop(at);
    cols.insert(0, keys.into_column());
    // Each column as the schema types it (a no-op for the columns built above).
    let cols = cols
        .into_iter()
        .map(|c| match schema.get(c.name()) {
            Some(dtype) if c.dtype() != dtype => c.strict_cast(dtype),
            _ => Ok(c),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok((DataFrame::new(n, cols)?, facts))
}

/// The rows dated in the window's periods `periods`, each with its entity and period as one key
/// ([`GROUP`]).
fn placed(src: &Source, table: CustomTable, periods: Range<usize>) -> Placed {
    let (l, w) = (src.l, src.window);
    let mut p = Placed {
        periods: w.len() as u32,
        ..Placed::default()
    };
    let facts = match table {
        CustomTable::Invoices => l.invoices.len(),
        CustomTable::Collections | CustomTable::WriteOffs | CustomTable::Fees => {
            events(l, table).len()
        }
        CustomTable::Applications => l.applications.len(),
        CustomTable::Reviews => l.reviews.employee.len(),
        CustomTable::Balances => 0,
    };
    // At most a row per fact (most are in the window): grown once, not by doubling.
    p.idx.reserve(facts);
    p.keys.reserve(facts);
    let mut push = |idx: usize, d: Day, e: u32| {
        if let Some(k) = w.index_of_day(d).filter(|k| periods.contains(k)) {
            p.push(idx, e, k);
        }
    };
    match table {
        CustomTable::Invoices => {
            for i in 0..l.invoices.len() {
                push(i, l.invoices.purchase[i], l.invoices.originator[i]);
            }
        }
        CustomTable::Collections | CustomTable::WriteOffs | CustomTable::Fees => {
            let ev = events(l, table);
            let credited = match table {
                CustomTable::WriteOffs => &src.credited.write_offs,
                CustomTable::Fees => &src.credited.fees,
                _ => &src.credited.collections,
            };
            for (j, &e) in credited.iter().enumerate() {
                if e != Credited::OUTSIDE {
                    push(j, ev.date[j], e);
                }
            }
        }
        CustomTable::Applications => {
            let a = &l.applications;
            for j in 0..a.len() {
                push(j, a.received_day[j], a.employee[j]);
            }
        }
        CustomTable::Reviews => {
            let r = &l.reviews;
            for j in 0..r.employee.len() {
                push(j, r.day[j], r.employee[j]);
            }
        }
        CustomTable::Balances => open_balances(src, &mut p, periods),
    }
    p
}

fn events(l: &Ledger, table: CustomTable) -> &crate::model::InvoiceEvents {
    match table {
        CustomTable::WriteOffs => &l.write_offs,
        CustomTable::Fees => &l.fees,
        _ => &l.collections,
    }
}

/// Every invoice with a balance at a period end of the window, credited to its client's account
/// manager on that day, with the balance in base cents. An invoice has one while its balance in
/// its own currency is above 0 (contract 3.1's `bal_i(pe) > 0`); the running sum of the sweep's
/// balance changes is that balance converted, which may round to 0.00 for a tiny balance in a
/// currency worth little.
fn open_balances(src: &Source, p: &mut Placed, periods: Range<usize>) {
    let (l, w) = (src.l, src.window);
    let ends: Vec<Day> = w.periods().map(|p| w.cal.end(p)).collect();
    let np = ends.len();
    // The entity credited at each period end, per client: found once, when first asked.
    const UNKNOWN: u32 = u32::MAX;
    let mut credit = vec![UNKNOWN; l.clients.len() * np];
    let deltas = &src.s.deltas;
    let mut j = 0;
    while j < deltas.len() {
        let i = deltas[j].invoice;
        let mut end = j;
        while end < deltas.len() && deltas[end].invoice == i {
            end += 1;
        }
        let changes = &deltas[j..end];
        let paid_off = src.s.paid_off[i as usize];
        let c = l.invoices.client[i as usize];
        // Period ends from the purchase (the first change) until the balance is paid off.
        let first = ends.partition_point(|&pe| pe < changes[0].day);
        let mut bal = 0i64;
        let mut next = 0;
        let from = first.max(periods.start);
        for (k, &pe) in ends.iter().enumerate().take(periods.end).skip(from) {
            if pe >= paid_off {
                break;
            }
            while next < changes.len() && changes[next].day <= pe {
                bal += changes[next].amount;
                next += 1;
            }
            let e = &mut credit[c as usize * np + k];
            if *e == UNKNOWN {
                *e = l.assignee(c, pe).unwrap_or(src.unassigned);
            }
            p.push(i as usize, *e, k);
            p.balance.push(bal);
        }
        j = end;
    }
}

/// What a column is built for: the rows, the name it is read by, and what it is built from.
struct Target<'a, 'b> {
    src: &'b Source<'a>,
    name: &'b str,
    kind: ColKind,
    at: &'b Placed,
    /// For an event's `invoice.` column: each event's invoice, which the column is read from.
    via: Option<&'b [u32]>,
}

impl<'a> Target<'a, '_> {
    /// The fact a row's column is read from: its own, or its event's invoice.
    fn fact(&self, idx: u32) -> usize {
        match self.via {
            Some(invoice) => invoice[idx as usize] as usize,
            None => idx as usize,
        }
    }

    /// Each row's fact.
    fn facts(&self) -> impl Iterator<Item = usize> + '_ {
        self.at.idx.iter().map(|&i| self.fact(i))
    }

    /// Money as exact cents.
    fn money(&self, get: &dyn Fn(usize) -> i64) -> PolarsResult<Column> {
        Ok(cents(self.name, self.facts().map(get).collect()))
    }

    fn day(&self, get: &dyn Fn(usize) -> Day) -> PolarsResult<Column> {
        days(self.name, self.facts().map(|i| Some(get(i))))
    }

    /// Ids as text: each row's index into `ids`, gathered from one column of the names, so
    /// that a few names repeated over millions of rows are not copied row by row.
    fn text(&self, ids: &Interner, index: &dyn Fn(usize) -> u32) -> PolarsResult<Column> {
        let names = Column::new(self.name.into(), ids.names().collect::<Vec<_>>());
        let idx: Vec<IdxSize> = self.facts().map(|i| index(i) as IdxSize).collect();
        names.take_slice(&idx)
    }

    /// The column as the raw table `table` holds it, row `row(fact)` of each row's fact.
    fn raw(&self, table: Table, row: &dyn Fn(usize) -> u32) -> PolarsResult<Column> {
        let idx: Vec<IdxSize> = self.facts().map(|i| row(i) as IdxSize).collect();
        raw(self.src, table, self.name, self.kind, idx)
    }
}

/// One column of the rows, typed as its kind says.
fn column(
    src: &Source,
    table: CustomTable,
    name: &str,
    kind: ColKind,
    at: &Placed,
) -> PolarsResult<Column> {
    if let Some(inner) = name.strip_prefix(INVOICE_PREFIX) {
        // Read from each event's invoice, without a copy of the rows.
        let t = Target {
            src,
            name: inner,
            kind,
            at,
            via: Some(&events(src.l, table).invoice),
        };
        return Ok(invoice_column(&t)?.with_name(name.into()));
    }
    let t = Target {
        src,
        name,
        kind,
        at,
        via: None,
    };
    match table {
        CustomTable::Invoices | CustomTable::Balances => invoice_column(&t),
        CustomTable::Collections | CustomTable::WriteOffs | CustomTable::Fees => {
            event_column(&t, table)
        }
        CustomTable::Applications => application_column(&t),
        CustomTable::Reviews => review_column(&t),
    }
}

/// A column of an invoice, or of its balance at a period end.
fn invoice_column(t: &Target) -> PolarsResult<Column> {
    let (l, s) = (t.src.l, t.src.s);
    if let Some(a) = amounts_of(CustomTable::Invoices, t.name) {
        return t.money(&|i| a.get(s, i));
    }
    match t.name {
        "balance" => Ok(cents(t.name, t.at.balance.clone())),
        "days_past_due" => {
            let w = &t.src.window;
            let ends: Vec<Day> = w.periods().map(|p| w.cal.end(p)).collect();
            let days = t.facts().enumerate().map(|(j, i)| {
                let pe = ends[t.at.period(j)];
                f64::from((pe - l.invoices.due[i]).max(0))
            });
            Ok(Column::new(t.name.into(), days.collect::<Vec<_>>()))
        }
        "invoice_id" => t.text(&l.invoices.ids, &|i| i as u32),
        "client_id" => t.text(&l.clients, &|i| l.invoices.client[i]),
        "currency" => t.text(&l.fx.currencies, &|i| l.invoices.currency[i]),
        "purchase_date" => t.day(&|i| l.invoices.purchase[i]),
        "due_date" => t.day(&|i| l.invoices.due[i]),
        "originator_id" => t.text(&l.employees.ids, &|i| l.invoices.originator[i]),
        _ => t.raw(Table::Invoices, &|i| l.invoices.row[i]),
    }
}

/// A column of a collection, write-off or fee.
fn event_column(t: &Target, table: CustomTable) -> PolarsResult<Column> {
    let (l, s) = (t.src.l, t.src.s);
    let ev = events(l, table);
    if let Some(a) = amounts_of(table, t.name) {
        return t.money(&|j| a.get(s, j));
    }
    match t.name {
        "invoice_id" => t.text(&l.invoices.ids, &|j| ev.invoice[j]),
        "paid_on" | "written_off_on" | "booked_on" => t.day(&|j| ev.date[j]),
        _ => t.raw(table.canonical().unwrap_or(Table::Collections), &|j| {
            ev.row[j]
        }),
    }
}

/// A column of an application.
fn application_column(t: &Target) -> PolarsResult<Column> {
    let l = t.src.l;
    let a = &l.applications;
    let at = t.at;
    match t.name {
        "employee_id" => t.text(&l.employees.ids, &|j| a.employee[j]),
        "requested_amount" => t.money(&|j| a.requested_base[j]),
        "received_at" => instants(
            t.name,
            t.src.tz,
            at.idx.iter().map(|&j| Some(a.received_at[j as usize])),
        ),
        "funded_at" => instants(
            t.name,
            t.src.tz,
            at.idx.iter().map(|&j| a.funded_at[j as usize]),
        ),
        "decision" => Ok(Column::new(
            t.name.into(),
            at.idx
                .iter()
                .map(|&j| match a.decision[j as usize] {
                    Decision::Pending => None,
                    Decision::Approved => Some("approved"),
                    Decision::Rejected => Some("rejected"),
                    Decision::Withdrawn => Some("withdrawn"),
                })
                .collect::<Vec<_>>(),
        )),
        _ => t.raw(Table::Applications, &|j| a.row[j]),
    }
}

/// A column of a review.
fn review_column(t: &Target) -> PolarsResult<Column> {
    let l = t.src.l;
    let r = &l.reviews;
    match t.name {
        "employee_id" => t.text(&l.employees.ids, &|j| r.employee[j]),
        "reviewed_on" => t.day(&|j| r.day[j]),
        "score" => Ok(Column::new(
            t.name.into(),
            t.at.idx
                .iter()
                .map(|&j| r.score[j as usize])
                .collect::<Vec<_>>(),
        )),
        _ => t.raw(Table::Reviews, &|j| r.row[j]),
    }
}

/// A column read as the raw table holds it (row `idx[r]` for each row r), typed by its kind.
fn raw(
    src: &Source,
    table: Table,
    name: &str,
    kind: ColKind,
    idx: Vec<IdxSize>,
) -> PolarsResult<Column> {
    let raw = src.raw.iter().find(|r| r.table == table);
    let whole = raw.and_then(|r| r.df.column(name).ok());
    if let Some(col) = whole {
        // Text to parse, read by more rows than half the table (events reading their invoice's
        // column, or a window of most of the table): parsed once per raw row, then gathered.
        let parse = kind != ColKind::Text && typed(col, kind).is_none();
        if parse && 2 * idx.len() > col.len() {
            return convert(src, name, kind, Some(col.clone()), col.len())?.take_slice(&idx);
        }
    }
    let taken = match whole {
        Some(col) => Some(col.take_slice(&idx)?),
        None => None,
    };
    convert(src, name, kind, taken, idx.len())
}

/// A raw column (or none: all null) of `len` rows read as `kind`.
fn convert(
    src: &Source,
    name: &str,
    kind: ColKind,
    taken: Option<Column>,
    len: usize,
) -> PolarsResult<Column> {
    if let Some(c) = taken.as_ref().and_then(|c| typed(c, kind)) {
        return Ok(c?.with_name(name.into()));
    }
    // Text as read is the common case: trimmed in place, never copied cell by cell.
    let owned: Vec<Option<String>>;
    if let (ColKind::Text, Some(c)) = (kind, &taken) {
        if c.str().is_ok_and(is_clean) {
            // Nothing to trim or to read as empty: the gathered column is the column.
            return Ok(c.clone().with_name(name.into()));
        }
    }
    let cells: Box<dyn Iterator<Item = Option<&str>>> = match taken.as_ref().map(|c| (c, c.str())) {
        None => Box::new(std::iter::repeat_n(None, len)),
        Some((_, Ok(ca))) => Box::new(
            ca.iter()
                .map(|v| v.map(str::trim).filter(|s| !s.is_empty())),
        ),
        Some((taken, Err(_))) => {
            owned = (0..taken.len())
                .map(|i| match taken.get(i) {
                    Ok(AnyValue::Null) | Err(_) => None,
                    Ok(AnyValue::Boolean(b)) => Some(b.to_string()),
                    Ok(other) => Some(other.to_string()),
                })
                .collect();
            Box::new(owned.iter().map(|v| v.as_deref()))
        }
    };
    match kind {
        ColKind::Money => Ok(Column::new(
            name.into(),
            cells
                .map(|v| v.and_then(|s| crate::money::parse_money(s).ok()))
                .collect::<Vec<_>>(),
        )),
        ColKind::Text => Ok(Column::new(name.into(), cells.collect::<Vec<_>>())),
        ColKind::Bool => Ok(Column::new(
            name.into(),
            cells.map(|v| v.and_then(parse_bool)).collect::<Vec<_>>(),
        )),
        ColKind::Number => Ok(Column::new(
            name.into(),
            cells
                .map(|v| v.and_then(|s| s.parse::<f64>().ok()))
                .collect::<Vec<_>>(),
        )),
        ColKind::Date => days(name, cells.map(|v| v.and_then(crate::periods::parse_day))),
        ColKind::Timestamp => instants(
            name,
            src.tz,
            cells.map(|v| {
                v.and_then(|s| crate::sources::parse::parse_timestamp(s, src.tz).ok())
                    .map(|x| x.0)
            }),
        ),
    }
}

/// A gathered column a typed file (Parquet) holds already as `kind` reads it, without going
/// through its text: money as exact cents, booleans, dates, and numbers from 64-bit floats or
/// integers (which convert to the same `f64` as their text parses to).
fn typed(c: &Column, kind: ColKind) -> Option<PolarsResult<Column>> {
    match (kind, c.dtype()) {
        (ColKind::Money, DataType::Int64)
        | (ColKind::Bool, DataType::Boolean)
        | (ColKind::Date, DataType::Date)
        | (ColKind::Number, DataType::Float64) => Some(Ok(c.clone())),
        (ColKind::Number, dtype) if dtype.is_integer() => Some(c.cast(&DataType::Float64)),
        _ => None,
    }
}

/// Whether no cell of `ca` has surrounding white space or is empty (an empty cell reads as
/// null).
fn is_clean(ca: &StringChunked) -> bool {
    ca.iter()
        .flatten()
        .all(|s| !s.is_empty() && s.trim().len() == s.len())
}

fn parse_bool(s: &str) -> Option<bool> {
    const TRUE: [&str; 5] = ["true", "t", "1", "yes", "y"];
    const FALSE: [&str; 5] = ["false", "f", "0", "no", "n"];
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(s));
    if is(&TRUE) {
        Some(true)
    } else if is(&FALSE) {
        Some(false)
    } else {
        None
    }
}

/// Money in base cents, exact: the column an aggregate sums.
fn cents(name: &str, cents: Vec<i64>) -> Column {
    Column::new(name.into(), cents)
}

fn days(name: &str, d: impl Iterator<Item = Option<Day>>) -> PolarsResult<Column> {
    Column::new(name.into(), d.collect::<Vec<_>>()).cast(&ColKind::Date.dtype())
}

/// Instants (microseconds since the epoch, UTC) as the wall-clock time in `tz`: the moment
/// contract section 1 reads a timestamp without an offset as.
fn instants(
    name: &str,
    tz: chrono_tz::Tz,
    us: impl Iterator<Item = Option<i64>>,
) -> PolarsResult<Column> {
    let local = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us).map(|t| {
            t.with_timezone(&tz)
                .naive_local()
                .and_utc()
                .timestamp_micros()
        })
    };
    Column::new(
        name.into(),
        us.map(|x| x.and_then(local)).collect::<Vec<_>>(),
    )
    .cast(&ColKind::Timestamp.dtype())
}
