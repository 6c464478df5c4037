//! Reading sources into Polars and checking them against the data contract.
//!
//! [`read`] turns each source into a [`RawTable`]: a Polars `DataFrame` of string columns under
//! their canonical names, with the file and row every value came from. [`parse`] then turns the
//! raw tables into typed, checked [`parse::Ledger`] columns, refusing every rule break.

pub mod parse;

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::def::Format;
use crate::config::{Diagnostic, Place, Plan, SourcePlan};
use crate::error::Error;
use crate::tables::{ColType, Table};

/// One file a source matched.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub path: PathBuf,
    pub rows: usize,
    /// xxh3-64 of the file's bytes, hex.
    pub fingerprint: String,
    /// Global index of the file's first row in its table.
    pub first_row: usize,
}

/// A source read into memory: canonical string columns, and where each row came from.
#[derive(Debug)]
pub struct RawTable {
    pub table: Table,
    pub format: Format,
    pub files: Vec<FileInfo>,
    pub df: DataFrame,
    /// Rows the reader found malformed (a ragged CSV row), sorted by row.
    pub breaks: Vec<ReadBreak>,
}

/// A row the reader found malformed; it breaks a rule like any other.
#[derive(Debug, Clone)]
pub struct ReadBreak {
    /// 0-based row of the table.
    pub row: usize,
    /// Canonical column, or "" for the whole row.
    pub column: &'static str,
    pub value: String,
    pub rule: String,
}

/// Where a row of a table came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRef {
    pub file: PathBuf,
    /// 1-based data row within the file.
    pub row: usize,
    /// 1-based line of a CSV file (the header is line 1); `None` for Parquet.
    pub line: Option<usize>,
}

impl std::fmt::Display for RowRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{} (row {})", self.file.display(), l, self.row),
            None => write!(f, "{} (row {})", self.file.display(), self.row),
        }
    }
}

impl RawTable {
    /// Rows read, in all files.
    pub fn height(&self) -> usize {
        self.files
            .iter()
            .map(|f| f.rows)
            .sum::<usize>()
            .max(self.df.height())
    }

    /// Drops every column but `keep`, once the rows are checked, so that the memory is reused
    /// by the rest of the run instead of fresh pages the kernel must zero.
    pub fn retain_columns(&mut self, keep: &[&str]) {
        let cols: Vec<Column> = self
            .df
            .columns()
            .iter()
            .filter(|c| keep.contains(&c.name().as_str()))
            .cloned()
            .collect();
        self.df = DataFrame::new(self.df.height(), cols).unwrap_or_default();
    }

    /// Whether the reader found row `i` malformed.
    pub fn read_broken(&self, i: usize) -> bool {
        !self.breaks.is_empty() && self.breaks.binary_search_by_key(&i, |b| b.row).is_ok()
    }

    /// Where global row `i` (0-based) came from.
    pub fn row_ref(&self, i: usize) -> RowRef {
        let k = self
            .files
            .partition_point(|f| f.first_row <= i)
            .saturating_sub(1);
        match self.files.get(k) {
            Some(f) => {
                let row = i - f.first_row + 1;
                RowRef {
                    file: f.path.clone(),
                    row,
                    line: (self.format == Format::Csv).then_some(row + 1),
                }
            }
            None => RowRef {
                file: PathBuf::new(),
                row: i + 1,
                line: None,
            },
        }
    }

    /// A canonical text column; `None` when it is absent or typed.
    pub fn column(&self, name: &str) -> Option<&StringChunked> {
        self.df.column(name).ok().and_then(|c| c.str().ok())
    }

    /// An empty table with every canonical column, for optional tables a pipeline leaves out.
    pub fn empty(table: Table) -> RawTable {
        let cols: Vec<Column> = table
            .columns()
            .iter()
            .map(|c| Column::new(c.name.into(), Vec::<Option<String>>::new()))
            .collect();
        RawTable {
            table,
            format: Format::Csv,
            files: Vec::new(),
            df: DataFrame::new_infer_height(cols).unwrap_or_default(),
            breaks: Vec::new(),
        }
    }
}

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

/// The files a source names, in name order.
pub fn resolve_files(plan: &Plan, src: &SourcePlan) -> Result<Vec<PathBuf>, Diagnostic> {
    let p = &src.place;
    if src.pattern.contains("://") {
        return Err(diag(
            plan,
            p,
            format!(
                "`{}` is a URL; this build reads local files and globs only",
                src.pattern
            ),
            Some("copy the data locally, or name a local path".into()),
        ));
    }
    let mut files: Vec<PathBuf> = match glob::glob(&src.pattern) {
        Ok(paths) => paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => {
            return Err(diag(
                plan,
                p,
                format!("bad glob `{}`: {e}", src.pattern),
                None,
            ));
        }
    };
    files.sort();
    if files.is_empty() {
        return Err(diag(
            plan,
            p,
            format!("no file matches `{}`", src.pattern),
            Some("paths are relative to the pipeline file's folder".into()),
        ));
    }
    Ok(files)
}

fn file_columns(src: &SourcePlan, path: &Path) -> PolarsResult<Vec<String>> {
    match src.format {
        Format::Csv => {
            let df = csv_options(src)
                .with_n_rows(Some(0))
                .try_into_reader_with_file_path(Some(path.to_path_buf()))?
                .finish()?;
            Ok(df
                .get_column_names()
                .iter()
                .map(|s| s.to_string())
                .collect())
        }
        Format::Parquet => {
            let f = std::fs::File::open(path)?;
            let schema = ParquetReader::new(f).schema()?;
            Ok(schema.iter_names().map(|s| s.to_string()).collect())
        }
    }
}

fn csv_options(src: &SourcePlan) -> CsvReadOptions {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .map_parse_options(|o| {
            o.with_separator(src.delimiter)
                .with_quote_char(Some(src.quote))
        })
}

/// Checks that every file of a source exists and has the canonical columns after renames.
pub fn check_headers(plan: &Plan, src: &SourcePlan) -> Vec<Diagnostic> {
    let files = match resolve_files(plan, src) {
        Ok(f) => f,
        Err(d) => return vec![d],
    };
    let mut out = Vec::new();
    for path in files {
        let cols = match file_columns(src, &path) {
            Ok(c) => c,
            Err(e) => {
                out.push(diag(
                    plan,
                    &src.place,
                    format!("cannot read {}: {e}", path.display()),
                    None,
                ));
                continue;
            }
        };
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
        for col in src.table.columns().iter().filter(|c| c.required) {
            if !canonical.contains(&col.name) {
                out.push(diag(plan, &src.place, format!("{} lacks the required column `{}` ({})", path.display(), col.name, col.ty.name()),
                    Some(format!("add the column, or map a file column onto it with `rename: {{ your_name: {} }}`", col.name)),
                ));
            }
        }
    }
    out
}

/// Reads one source: every file, canonical columns only, all as strings.
pub fn read(plan: &Plan, src: &SourcePlan) -> Result<RawTable, Error> {
    let problems = check_headers(plan, src);
    if !problems.is_empty() {
        return Err(Error::Config(crate::config::ConfigErrors(problems)));
    }
    let files = resolve_files(plan, src)
        .map_err(|d| Error::Config(crate::config::ConfigErrors(vec![d])))?;
    let mut frames = Vec::with_capacity(files.len());
    let mut infos = Vec::with_capacity(files.len());
    let mut first_row = 0;
    for path in files {
        let bytes = std::fs::read(&path).map_err(|e| Error::Io {
            what: format!("cannot read {}", path.display()),
            source: e,
        })?;
        let fingerprint = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes));
        drop(bytes);
        let df = read_file(src, &path).map_err(|source| Error::ReadSource {
            path: path.clone(),
            format: fmt_name(src.format),
            source,
        })?;
        let df = canonicalise(src, df).map_err(|source| Error::SourceColumns {
            path: path.clone(),
            source,
        })?;
        infos.push(FileInfo {
            path,
            rows: df.height(),
            fingerprint,
            first_row,
        });
        first_row += df.height();
        frames.push(df);
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
        format: src.format,
        files: infos,
        df,
        breaks: Vec::new(),
    })
}

fn fmt_name(f: Format) -> &'static str {
    match f {
        Format::Csv => "CSV",
        Format::Parquet => "Parquet",
    }
}

fn read_file(src: &SourcePlan, path: &Path) -> PolarsResult<DataFrame> {
    match src.format {
        Format::Csv => csv_options(src)
            .try_into_reader_with_file_path(Some(path.to_path_buf()))?
            .finish(),
        Format::Parquet => {
            let f = std::fs::File::open(path)?;
            let wanted: Vec<String> = {
                let mut r = ParquetReader::new(std::fs::File::open(path)?);
                let schema = r.schema()?;
                schema
                    .iter_names()
                    .map(|s| s.to_string())
                    .filter(|c| src.table.column(src.canonical(c)).is_some())
                    .collect()
            };
            ParquetReader::new(f).with_columns(Some(wanted)).finish()
        }
    }
}

/// Renames file columns to canonical names and keeps only canonical columns. Money held as a
/// decimal with at most 2 places becomes Int64 cents and dates stay Date, so typed Parquet is
/// never turned into text and back; everything else becomes text. Absent optional columns are
/// added as nulls.
fn canonicalise(src: &SourcePlan, df: DataFrame) -> PolarsResult<DataFrame> {
    let height = df.height();
    let mut cols = Vec::new();
    for spec in src.table.columns() {
        let found = df
            .columns()
            .iter()
            .find(|c| src.canonical(c.name().as_str()) == spec.name);
        let col = match found {
            Some(c) => {
                let c = match (spec.ty, c.dtype()) {
                    (_, DataType::String) => c.clone(),
                    (ColType::Money, DataType::Float32 | DataType::Float64) => {
                        polars_bail!(ComputeError: "column `{}` holds binary floating point numbers; money must be decimal or text", c.name())
                    }
                    (ColType::Money, DataType::Decimal(_, scale)) if *scale <= 2 => {
                        let factor = 10i128.pow(2 - *scale as u32);
                        let cents: Int64Chunked = c
                            .decimal()?
                            .physical()
                            .iter()
                            .map(|v| v.and_then(|v| i64::try_from(v * factor).ok()))
                            .collect();
                        cents.into_column()
                    }
                    (ColType::Date, DataType::Date) => c.clone(),
                    _ => c.cast(&DataType::String)?,
                };
                c.with_name(spec.name.into())
            }
            None => Column::full_null(spec.name.into(), height, &DataType::String),
        };
        cols.push(col);
    }
    DataFrame::new(height, cols)
}
