//! The bucket stage (issue 17, `docs/partials.md`): each shard reads only its part's rows.
//!
//! `factorscore bucket` runs as `S` slices. Slice `M` reads the files `i` of each large table
//! ([`BUCKETED`]) with `i % S == M` and writes each row, as read and unchecked, to the bucket of
//! its part: applications and invoices by their client, collections, write-offs and fees by their
//! invoice's client, reviews by their employee ([`crate::partials::split::part_of`]). An
//! event whose invoice is in no invoice file goes by its invoice id's hash, and is rejected there
//! as one machine rejects it. Each row keeps its file and row, so that a shard's messages name
//! them as one machine's do.
//!
//! What one machine decides from rows of several parts is decided from what every slice writes:
//! - the run's window, when the periods are not named: from each slice's first and last dates
//!   (a window that holds one machine's; the merge keeps one machine's periods of it);
//! - repeated ids: from each slice's sorted id hashes ([`ids`]), merged by every shard.
//!
//! A slice's folder is written under a temporary name and renamed when complete: a retried slice
//! replaces it whole. The HR tables, rates, targets and adjustments are small and read whole by
//! every shard.

pub mod error;
pub mod ids;
mod read;

pub use error::BucketError;
pub use read::Buckets;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{Plan, SourcePlan};
use crate::diag::ConfigErrors;
use crate::error::Error;
use crate::partials::split::part_of;
use crate::periods::Day;
use crate::sources::parse::stages::unique_id;
use crate::tables::Table;

/// The tables a slice splits into buckets: those with a row per application, invoice, event or
/// review. An application also goes, as a copy, to every other part with an invoice naming it:
/// the invoice is checked against it as one machine checks it, and the copy, of another part's
/// client, leaves once checked ([`crate::partials::split::restrict`]).
pub const BUCKETED: [Table; 6] = [
    Table::Applications,
    Table::Invoices,
    Table::Collections,
    Table::WriteOffs,
    Table::Fees,
    Table::Reviews,
];

/// The column of a bucket file that holds each row's row within its input file (0-based).
const ROW: &str = "__row";

/// What a slice wrote, in its folder's `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub version: String,
    pub pipeline_sha256: String,
    pub slice: u64,
    pub slices: u64,
    /// How many parts the rows are split into.
    pub count: u64,
    pub tables: Vec<TableSummary>,
}

/// One table's files in a slice.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableSummary {
    pub table: String,
    /// Whether the files are text with a header (CSV), whose rows have lines.
    pub lines: bool,
    pub files: Vec<FileEntry>,
    /// The rows the reader found malformed.
    pub breaks: Vec<BreakEntry>,
    /// The first and last day of the table's date column that reads as a date, when any.
    pub days: Option<(Day, Day)>,
}

/// One input file a slice read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Its index among the table's files, in the order a run reads them.
    pub index: usize,
    pub path: PathBuf,
    pub rows: usize,
    pub fingerprint: String,
    pub line_marks: Vec<(usize, usize)>,
}

impl From<&FileEntry> for crate::partials::PartFile {
    fn from(e: &FileEntry) -> Self {
        crate::partials::PartFile {
            path: e.path.display().to_string(),
            rows: e.rows,
            fingerprint: e.fingerprint.clone(),
            line_marks: e.line_marks.clone(),
        }
    }
}

/// A malformed row: file index, row within the file (0-based), and what the reader said.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BreakEntry {
    pub file: usize,
    pub row: usize,
    pub column: String,
    pub value: String,
    pub rule: String,
}

/// The folder of slice `slice` of `slices`.
pub fn slice_name(slice: u64, slices: u64) -> String {
    format!("slice-{slice:05}-of-{slices:05}")
}

/// The bucket of part `k` of file `index` of `table`, in its slice's folder.
fn bucket_name(table: Table, index: usize, k: u64) -> String {
    format!("{}-file-{index:05}-part-{k:05}.parquet", table.name())
}

/// The sorted id hashes of `table`, in a slice's folder.
fn ids_name(table: Table) -> String {
    format!("{}.ids", table.name())
}

/// The date a table's window is found from, if any (see [`crate::run::window`]).
fn day_column(t: Table) -> Option<&'static str> {
    match t {
        Table::Invoices => Some("purchase_date"),
        Table::Collections => Some("paid_on"),
        Table::WriteOffs => Some("written_off_on"),
        Table::Fees => Some("booked_on"),
        _ => None,
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes slice `slice` of `slices` of the inputs into `dir`, split into `count` parts; returns
/// the slice's folder.
pub fn bucket(
    plan: &Plan,
    (slice, slices): (u64, u64),
    count: u64,
    dir: &Path,
) -> Result<PathBuf, Error> {
    if slices == 0 || slice >= slices || count == 0 {
        return Err(Error::BadOption(format!(
            "--slice {slice} of --slices {slices} into --count {count} parts: slices are numbered \
             0 to slices - 1, and there is 1 part or more"
        )));
    }
    let name = slice_name(slice, slices);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io_error(&tmp))?;
    let written = write_slice(plan, (slice, slices), count, &tmp);
    let summary = match written {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let json = serde_json::to_vec_pretty(&summary).unwrap_or_default();
    let path = tmp.join("summary.json");
    std::fs::write(&path, json).map_err(io_error(&path))?;
    let done = dir.join(&name);
    let _ = std::fs::remove_dir_all(&done);
    std::fs::rename(&tmp, &done).map_err(io_error(&done))?;
    Ok(done)
}

fn write_slice(
    plan: &Plan,
    (slice, slices): (u64, u64),
    count: u64,
    dir: &Path,
) -> Result<Summary, Error> {
    // Events are routed by their invoice, applications copied to the parts of the invoices that
    // name them; reviews need neither.
    let routed = [
        Table::Collections,
        Table::WriteOffs,
        Table::Fees,
        Table::Applications,
    ];
    let needs_map = plan.sources.iter().any(|s| routed.contains(&s.table));
    let routes = match plan.sources.iter().find(|s| s.table == Table::Invoices) {
        Some(src) if needs_map => routes(plan, src, count)?,
        _ => Routes::default(),
    };
    let mut tables = Vec::new();
    for src in plan.sources.iter().filter(|s| BUCKETED.contains(&s.table)) {
        let at = Slice {
            slice,
            slices,
            count,
            dir,
        };
        tables.push(bucket_table(plan, src, &at, &routes)?);
        crate::memory::give_back();
    }
    Ok(Summary {
        version: env!("CARGO_PKG_VERSION").to_string(),
        pipeline_sha256: plan.hash.clone(),
        slice,
        slices,
        count,
        tables,
    })
}

/// Where a slice writes.
struct Slice<'d> {
    slice: u64,
    slices: u64,
    count: u64,
    dir: &'d Path,
}

/// Where rows go that name an invoice, and where applications are named, from every invoice file
/// (read by every slice).
#[derive(Default)]
struct Routes {
    /// The part of each invoice id (its xxh3-128), sorted by id: the first row of an id decides,
    /// as one machine's first row is the one the others are reported against.
    invoices: Vec<(u128, u32)>,
    /// Each application id (its xxh3-128) with each part that has an invoice naming it, sorted.
    named: Vec<(u128, u32)>,
}

fn routes(plan: &Plan, src: &SourcePlan, count: u64) -> Result<Routes, Error> {
    let mut map: Vec<(u128, u32)> = Vec::new();
    let mut named: Vec<(u128, u32)> = Vec::new();
    let mut problems = Vec::new();
    for f in crate::sources::resolve_files(plan, src)? {
        match crate::sources::read_file(plan, src, f, 0, problems.is_empty())? {
            Err(p) => problems.extend(p),
            Ok(None) => {}
            Ok(Some(r)) => {
                let parts = route_by(&r.df, "client_id", count);
                let apps = texts(&r.df, "application_id");
                for ((id, k), app) in texts(&r.df, "invoice_id").zip(parts).zip(apps) {
                    if !id.is_empty() {
                        map.push((ids::id_hash(id), k));
                    }
                    if !app.is_empty() {
                        named.push((ids::id_hash(app), k));
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Config(ConfigErrors(problems)));
    }
    // Stable: of equal ids, the first row's part is kept.
    map.sort_by_key(|e| e.0);
    map.dedup_by_key(|e| e.0);
    named.sort_unstable();
    named.dedup();
    Ok(Routes {
        invoices: map,
        named,
    })
}

/// A text column's cells, trimmed; "" for a null or an absent column.
fn texts<'a>(df: &'a DataFrame, name: &str) -> Box<dyn Iterator<Item = &'a str> + 'a> {
    match df.column(name).ok().and_then(|c| c.str().ok()) {
        Some(ca) => Box::new(ca.iter().map(|v| v.map_or("", str::trim))),
        None => Box::new(std::iter::repeat_n("", df.height())),
    }
}

/// Each row's part, by the hash of `column`.
fn route_by(df: &DataFrame, column: &str, count: u64) -> Vec<u32> {
    texts(df, column)
        .map(|v| part_of(v, count) as u32)
        .collect()
}

/// Each row's part of table `t` (an application's home part: copies go to [`named`] parts too).
fn route(t: Table, df: &DataFrame, count: u64, invoices: &[(u128, u32)]) -> Vec<u32> {
    match t {
        Table::Applications | Table::Invoices => route_by(df, "client_id", count),
        Table::Reviews => route_by(df, "employee_id", count),
        _ => texts(df, "invoice_id")
            .map(|id| {
                let h = ids::id_hash(id);
                match invoices.binary_search_by_key(&h, |e| e.0) {
                    Ok(k) => invoices[k].1,
                    Err(_) => part_of(id, count) as u32,
                }
            })
            .collect(),
    }
}

/// The other parts with an invoice naming each application of `df` (none for another table).
fn named(t: Table, df: &DataFrame, named: &[(u128, u32)]) -> Vec<Vec<u32>> {
    if t != Table::Applications {
        return Vec::new();
    }
    texts(df, "application_id")
        .map(|id| {
            let h = ids::id_hash(id);
            let from = named.partition_point(|e| e.0 < h);
            named[from..]
                .iter()
                .take_while(|e| e.0 == h)
                .map(|e| e.1)
                .collect()
        })
        .collect()
}

/// The first and last day of a date column, of the cells that read as dates.
fn days(df: &DataFrame, column: &str) -> Option<(Day, Day)> {
    let c = df.column(column).ok()?;
    let all: Vec<Day> = if let Ok(ca) = c.str() {
        ca.iter()
            .filter_map(|v| crate::periods::parse_day(v?.trim()))
            .collect()
    } else if let Ok(ca) = c.date() {
        ca.physical().iter().flatten().collect()
    } else {
        Vec::new()
    };
    Some((*all.iter().min()?, *all.iter().max()?))
}

fn widen(a: Option<(Day, Day)>, b: Option<(Day, Day)>) -> Option<(Day, Day)> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    }
}

/// Splits the slice's files of `src` into the buckets of their parts.
fn bucket_table(
    plan: &Plan,
    src: &SourcePlan,
    at: &Slice,
    routes: &Routes,
) -> Result<TableSummary, Error> {
    let t = src.table;
    let mut problems = Vec::new();
    let mut out = TableSummary {
        table: t.name().to_string(),
        lines: src.format == crate::config::def::Format::Csv,
        files: Vec::new(),
        breaks: Vec::new(),
        days: None,
    };
    let mut hashes: Vec<ids::IdAt> = Vec::new();
    let files = crate::sources::resolve_files(plan, src)?;
    for (i, f) in files.into_iter().enumerate() {
        if i as u64 % at.slices != at.slice {
            continue;
        }
        let r = match crate::sources::read_file(plan, src, f, 0, problems.is_empty())? {
            Err(p) => {
                problems.extend(p);
                continue;
            }
            Ok(None) => continue,
            Ok(Some(r)) => r,
        };
        if let Some(c) = unique_id(t) {
            for (row, id) in texts(&r.df, c).enumerate() {
                if !id.is_empty() {
                    hashes.push((ids::id_hash(id), (i as u32, row as u32)));
                }
            }
        }
        if let Some(c) = day_column(t) {
            out.days = widen(out.days, days(&r.df, c));
        }
        let parts = route(t, &r.df, at.count, &routes.invoices);
        let copies = named(t, &r.df, &routes.named);
        let member = |row: usize, k: u64| {
            parts[row] as u64 == k || copies.get(row).is_some_and(|c| c.contains(&(k as u32)))
        };
        write_buckets(t, i, r.df, &member, at)?;
        out.breaks.extend(r.breaks.into_iter().map(|b| BreakEntry {
            file: i,
            row: b.row,
            column: b.column.to_string(),
            value: b.value,
            rule: b.rule,
        }));
        out.files.push(FileEntry {
            index: i,
            path: r.info.path,
            rows: r.info.rows,
            fingerprint: r.info.fingerprint,
            line_marks: r.info.line_marks,
        });
    }
    if !problems.is_empty() {
        return Err(Error::Config(ConfigErrors(problems)));
    }
    if unique_id(t).is_some() {
        let path = at.dir.join(ids_name(t));
        ids::write(&path, &mut hashes).map_err(io_error(&path))?;
    }
    Ok(out)
}

/// Writes the rows of file `index` of table `t` to one bucket per part (`member(row, part)`),
/// each row with its row in the file ([`ROW`]).
fn write_buckets(
    t: Table,
    index: usize,
    df: DataFrame,
    member: &dyn Fn(usize, u64) -> bool,
    at: &Slice,
) -> Result<(), Error> {
    let rows: Vec<u32> = (0..df.height() as u32).collect();
    let df = df
        .hstack(&[Column::new(ROW.into(), rows)])
        .map_err(Error::polars("numbering a file's rows"))?;
    for k in 0..at.count {
        let mask: BooleanChunked = (0..df.height()).map(|r| member(r, k)).collect();
        let mut part = df
            .filter(&mask)
            .map_err(Error::polars("splitting a file's rows into parts"))?;
        let path = at.dir.join(bucket_name(t, index, k));
        let file = std::fs::File::create(&path).map_err(io_error(&path))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Lz4Raw)
            .with_statistics(StatisticsOptions::empty())
            .finish(&mut part)
            .map_err(|source| Error::WriteParquet { path, source })?;
    }
    Ok(())
}
