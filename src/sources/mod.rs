//! Reading sources into Polars and checking them against the data contract.
//!
//! [`read`] turns each source into a [`RawTable`]: a Polars `DataFrame` of string columns under
//! their canonical names, with the file and row every value came from. [`parse`] then turns the
//! raw tables into typed, checked [`parse::Ledger`] columns, refusing every rule break, in the
//! stages of [`parse::stages`], each as soon as its tables are read.

mod csv;
mod files;
pub mod parse;

use files::no_object;
pub use files::{resolve_files, Found};

use csv::{csv_header, other_delimiter, show_delimiter};

use std::path::Path;

use polars::prelude::*;

use crate::config::def::Format;
use crate::config::{Place, Plan, SourcePlan};
use crate::diag::{ConfigErrors, Diagnostic};
use crate::error::Error;
use crate::raw::{FileInfo, RawTable};
use crate::tables::ColType;

fn diag(plan: &Plan, place: &Place, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic {
        file: plan.file.clone(),
        line: place.line,
        column: place.column,
        key: place.key.clone(),
        message,
        hint,
    }
}

/// A file's bytes opened as its format: the CSV bytes, or a Parquet reader whose metadata is
/// read once, for the header check and for the rows.
enum Opened {
    Csv(bytes::Bytes),
    Parquet(Box<ParquetReader<std::io::Cursor<bytes::Bytes>>>),
}

/// Opens a file's bytes and gives its column names.
fn open(src: &SourcePlan, bytes: bytes::Bytes) -> Result<(Opened, Vec<String>), String> {
    match src.format {
        Format::Csv => {
            let cols = csv_header(src, &bytes).map_err(|e| e.to_string())?;
            Ok((Opened::Csv(bytes), cols))
        }
        Format::Parquet => {
            let mut r = ParquetReader::new(std::io::Cursor::new(bytes));
            let schema = r
                .schema()
                .map_err(|e| format!("cannot be read as Parquet: {e}"))?;
            let cols = schema.iter_names().map(|s| s.to_string()).collect();
            Ok((Opened::Parquet(Box::new(r)), cols))
        }
    }
}

/// What is wrong with the header (`cols`, or why it could not be read) of the file `path`.
fn header_problems(
    plan: &Plan,
    src: &SourcePlan,
    path: &Path,
    cols: Result<&[String], &str>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let name = src.table.name();
    let cols = match cols {
        Ok(c) => c,
        Err(e) => {
            let hint = if e.contains("as Parquet") {
                Some("check that the file is Parquet; a CSV file needs `format: csv` (or a .csv name)".to_string())
            } else {
                e.contains("no header row").then(|| {
                    let cols: Vec<_> = src.table.columns().iter().map(|c| c.name).collect();
                    format!(
                        "write the table with its header row ({}), or leave an optional table out of the pipeline",
                        cols.join(",")
                    )
                })
            };
            out.push(diag(
                plan,
                &src.place,
                format!("{} {e}", path.display()),
                hint,
            ));
            return out;
        }
    };
    if let Some(d) = other_delimiter(src, cols) {
        let (d, ours) = (show_delimiter(d), show_delimiter(src.delimiter));
        let mut shown: String = cols[0].chars().take(60).collect();
        if shown.len() < cols[0].len() {
            shown.push('…');
        }
        out.push(diag(
            plan,
            &src.place,
            format!(
                "{} has one column `{shown}` when read with the delimiter `{ours}`: its fields look separated by `{d}`",
                path.display()
            ),
            Some(format!(
                "set the delimiter of the source: `{name}: {{ path: ..., csv: {{ delimiter: \"{d}\" }} }}`"
            )),
        ));
        return out;
    }
    for r in &src.renames {
        if !cols.iter().any(|c| c == &r.from) {
            out.push(diag(
                plan,
                &r.place,
                format!("{} has no column `{}` to rename", path.display(), r.from),
                Some(format!("its columns are: {}", cols.join(", "))),
            ));
        }
    }
    let canonical: Vec<&str> = cols.iter().map(|c| src.canonical(c)).collect();
    out.extend(duplicate_columns(plan, src, path, cols, &canonical));
    for col in src.table.columns().iter().filter(|c| c.required) {
        if !canonical.contains(&col.name) {
            out.push(diag(plan, &src.place, format!("{} lacks the required column `{}` ({})", path.display(), col.name, col.ty.name()),
                Some(format!("add the column, or map a file column onto it with `rename: {{ your_name: {} }}`", col.name)),
            ));
        }
    }
    out
}

/// A column of the table that two columns of the file give, named twice in the header or once
/// under its own name and once through `rename`: which one to read is not known, so the file
/// is refused. Columns the table does not read may repeat.
fn duplicate_columns(
    plan: &Plan,
    src: &SourcePlan,
    path: &Path,
    cols: &[String],
    canonical: &[&str],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for spec in src.table.columns() {
        let at: Vec<usize> = (0..cols.len())
            .filter(|&i| canonical[i] == spec.name)
            .collect();
        if at.len() < 2 {
            continue;
        }
        let shown: Vec<String> = at
            .iter()
            .map(|&i| {
                let c = crate::diag::cut(&cols[i]);
                if cols[i] == spec.name {
                    format!("{} (`{c}`)", i + 1)
                } else {
                    format!("{} (`{c}`, renamed to `{}`)", i + 1, spec.name)
                }
            })
            .collect();
        let times = match at.len() {
            2 => "twice".to_string(),
            n => format!("{n} times"),
        };
        let renamed = at.iter().any(|&i| cols[i] != spec.name);
        let hint = if renamed {
            format!(
                "keep one of them: remove or rename the other column in the file, or drop the `rename` onto `{}`",
                spec.name
            )
        } else {
            "keep one of them: remove or rename the other column in the file".to_string()
        };
        out.push(diag(
            plan,
            &src.place,
            format!(
                "{} has the column `{}` {times}: columns {}",
                path.display(),
                spec.name,
                join_and(&shown)
            ),
            Some(hint),
        ));
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Checks that every file of a source exists and has the canonical columns after renames.
/// Each file is listed once and read once, as [`read`] does.
pub fn check_headers(plan: &Plan, src: &SourcePlan) -> Vec<Diagnostic> {
    let files = match resolve_files(plan, src) {
        Ok(f) => f,
        Err(Error::Config(c)) => return c.0,
        Err(e) => {
            return vec![diag(
                plan,
                &src.place,
                crate::storage::redact(&format!("{:#}", anyhow::Error::from(e))),
                None,
            )]
        }
    };
    let mut out = Vec::new();
    for f in files {
        match f.fetch() {
            Ok(Some(bytes)) => {
                let cols = open(src, bytes).map(|o| o.1);
                out.extend(header_problems(
                    plan,
                    src,
                    &f.name,
                    cols.as_deref().map_err(String::as_str),
                ));
            }
            Ok(None) => out.push(no_object(plan, src, &f)),
            Err(e) => out.push(diag(
                plan,
                &src.place,
                crate::storage::redact(&format!("{:#}", anyhow::Error::from(e))),
                None,
            )),
        }
    }
    out
}

/// One input table's files as a run read them: the table's name, and each file's path (as the
/// manifest shows it) and fingerprint, in read order.
pub type InputFiles = (String, Vec<(String, String)>);

/// Each file of a source, its path as the manifest shows it and its fingerprint
/// ([`fingerprint`]), in read order: each file's bytes are read, hashed and dropped before the
/// next is read. An object that is not there has no fingerprint (empty): the read reports it.
pub fn fingerprints(plan: &Plan, src: &SourcePlan) -> Result<Vec<(String, String)>, Error> {
    resolve_files(plan, src)?
        .into_iter()
        .map(|f| {
            let fp = f.fetch()?.map(|b| fingerprint(&b)).unwrap_or_default();
            Ok((f.name.display().to_string(), fp))
        })
        .collect()
}

/// A file's fingerprint: xxh3-64 of its bytes, in hex.
pub fn fingerprint(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Reads one source: every file, canonical columns only, all as strings. Each file is listed
/// once and its bytes read once, one file at a time: the fingerprint, the header check and the
/// reader all work from those bytes. A file whose header is wrong is reported with every other
/// one, and no data is kept from the source then.
pub fn read(plan: &Plan, src: &SourcePlan) -> Result<RawTable, Error> {
    read_after(plan, src, 0)
}

/// [`read`], leaving out the first `skip` files (whose rows a checkpoint holds): the rows of the
/// others are numbered from 0.
pub fn read_after(plan: &Plan, src: &SourcePlan, skip: usize) -> Result<RawTable, Error> {
    let files = resolve_files(plan, src)?;
    let mut problems = Vec::new();
    let mut frames = Vec::with_capacity(files.len());
    let mut infos = Vec::with_capacity(files.len());
    let mut breaks = Vec::new();
    let mut first_row = 0;
    for f in files.into_iter().skip(skip) {
        // Once a file is refused, the others' headers are checked but their rows not read.
        match read_file(plan, src, f, first_row, problems.is_empty())? {
            Err(p) => problems.extend(p),
            Ok(None) => {}
            Ok(Some(r)) => {
                first_row += r.df.height();
                infos.push(r.info);
                breaks.extend(r.breaks);
                frames.push(r.df);
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Config(ConfigErrors(problems)));
    }
    let mut df = frames.pop().unwrap_or_default();
    if let Some(first) = frames.first().cloned() {
        let mut acc = first;
        for f in frames.iter().skip(1) {
            acc.vstack_mut(f)
                .map_err(Error::polars("stacking the files of a source"))?;
        }
        acc.vstack_mut(&df)
            .map_err(Error::polars("stacking the files of a source"))?;
        df = acc;
    }
    Ok(RawTable {
        table: src.table,
        lines: src.format == Format::Csv,
        files: infos,
        df,
        breaks,
    })
}

/// One file of a source as read: its canonical columns, where its rows came from, and the rows
/// the reader found malformed.
pub struct FileRead {
    pub df: DataFrame,
    pub info: FileInfo,
    pub breaks: Vec<crate::raw::ReadBreak>,
}

/// Reads file `f` of `src`, its rows numbered from `first_row`; its bytes are read once, for the
/// fingerprint, the header check and the rows. `Err` lists what is wrong with its header (or
/// that it is absent); `None` when its header is right but `rows` is false.
pub fn read_file(
    plan: &Plan,
    src: &SourcePlan,
    f: Found,
    first_row: usize,
    rows: bool,
) -> Result<Result<Option<FileRead>, Vec<Diagnostic>>, Error> {
    let Some(bytes) = f.fetch()? else {
        return Ok(Err(vec![no_object(plan, src, &f)]));
    };
    let fingerprint = fingerprint(&bytes);
    let path = f.name;
    let opened = match open(src, bytes) {
        Ok((o, cols)) => {
            let p = header_problems(plan, src, &path, Ok(&cols));
            if !p.is_empty() {
                return Ok(Err(p));
            }
            o
        }
        Err(e) => return Ok(Err(header_problems(plan, src, &path, Err(&e)))),
    };
    if !rows {
        return Ok(Ok(None));
    }
    let mut line_marks = Vec::new();
    let mut breaks = Vec::new();
    let df = match opened {
        Opened::Csv(bytes) => {
            let read = csv::read(src, &path, &bytes, first_row)?;
            line_marks = read.marks;
            breaks = read.breaks;
            read.df
        }
        Opened::Parquet(r) => read_parquet(src, *r).map_err(|source| Error::ReadSource {
            path: path.clone(),
            format: fmt_name(src.format),
            source,
        })?,
    };
    let df = canonicalise(src, df).map_err(|message| Error::SourceFile {
        path: path.clone(),
        message,
    })?;
    let info = FileInfo {
        path,
        rows: df.height(),
        fingerprint,
        first_row,
        line_marks,
        origin: Vec::new(),
    };
    Ok(Ok(Some(FileRead { df, info, breaks })))
}

fn fmt_name(f: Format) -> &'static str {
    match f {
        Format::Csv => "CSV",
        Format::Parquet => "Parquet",
    }
}

/// The canonical columns of a Parquet file, from a reader whose metadata is already read.
fn read_parquet(
    src: &SourcePlan,
    mut r: ParquetReader<std::io::Cursor<bytes::Bytes>>,
) -> PolarsResult<DataFrame> {
    let wanted: Vec<String> = r
        .schema()?
        .iter_names()
        .map(|s| s.to_string())
        .filter(|c| src.table.column(src.canonical(c)).is_some())
        .collect();
    r.with_columns(Some(wanted)).finish()
}

/// Renames file columns to canonical names and keeps only canonical columns. Money held as a
/// decimal with at most 2 places becomes Int64 cents and dates stay Date, so typed Parquet is
/// never turned into text and back; other types that hold a column's values exactly become
/// text, and a type that cannot (binary floating point for money or text, a number for a date)
/// is refused with the column, the type found and the types accepted. Absent optional columns
/// are added as nulls.
fn canonicalise(src: &SourcePlan, df: DataFrame) -> Result<DataFrame, String> {
    let height = df.height();
    let mut cols = Vec::new();
    for spec in src.table.columns() {
        let found = df
            .columns()
            .iter()
            .find(|c| src.canonical(c.name().as_str()) == spec.name);
        let col = match found {
            Some(c) => {
                let named = if c.name().as_str() == spec.name {
                    format!("column `{}`", spec.name)
                } else {
                    format!("column `{}` (renamed to `{}`)", c.name(), spec.name)
                };
                let refuse = |accepted: &str, why: &str| {
                    format!(
                        "{named} is {:?} in the file, but `{}` is {}: {why}; write it as {accepted}",
                        c.dtype(),
                        spec.name,
                        spec.ty.name()
                    )
                };
                let dt = c.dtype();
                let c = match (spec.ty, dt) {
                    (_, DataType::String) => c.clone(),
                    (ColType::Money, DataType::Float32 | DataType::Float64) => {
                        return Err(refuse(
                            "a decimal (e.g. Decimal(18, 2)), an integer or text such as `1234.50`",
                            "binary floating point cannot hold every amount in cents exactly",
                        ))
                    }
                    (ColType::Money, DataType::Decimal(_, scale)) if *scale <= 2 => {
                        let factor = 10i128.pow(2 - *scale as u32);
                        let cents: Int64Chunked = c
                            .decimal()
                            .map_err(|e| e.to_string())?
                            .physical()
                            .iter()
                            .map(|v| v.and_then(|v| i64::try_from(v * factor).ok()))
                            .collect();
                        cents.into_column()
                    }
                    (ColType::Date, DataType::Date) => c.clone(),
                    (ColType::Date, _) => {
                        return Err(refuse(
                            "a Parquet DATE or text YYYY-MM-DD",
                            "a number or a timestamp does not say which day it means",
                        ))
                    }
                    (ColType::Str, d) if d.is_float() => {
                        return Err(refuse(
                            "text (or an integer)",
                            "a float turns an id such as 1 into `1.0`",
                        ))
                    }
                    (ColType::Str, d) if !(d.is_integer() || d.is_bool()) => {
                        return Err(refuse("text", "only text and integers are read as text"))
                    }
                    _ => c
                        .cast(&DataType::String)
                        .map_err(|e| format!("{named}: cannot be read as text: {e}"))?,
                };
                c.with_name(spec.name.into())
            }
            None => Column::full_null(spec.name.into(), height, &DataType::String),
        };
        cols.push(col);
    }
    DataFrame::new(height, cols).map_err(|e| e.to_string())
}
