//! The checkpoint: the checked, typed rows of the five large tables (applications, invoices,
//! collections, write-offs, fees), kept in the output's snapshot beside the tables, so that a run
//! whose older input files are unchanged reads and checks only the files added since.
//!
//! ```text
//! OUT/_current/_checkpoint/<run>/meta.json   what the segment holds: its files, names, fx
//! OUT/_current/_checkpoint/<run>/rows.bin    its rows (see `segment`, `codec`)
//! ```
//!
//! Each run that leaves no row out writes one segment: a run that read every file writes them all
//! and drops the older segments; a run on a checkpoint writes the rows of its new files only, and
//! the older segments pass into its snapshot as hard links, like any table it does not replace.
//!
//! A run uses the checkpoint only when nothing it would compute differently can have changed
//! ([`Prior::open`], [`Prior::join`]); otherwise it reads everything, and the manifest says why.

pub mod codec;
mod segment;

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Plan;
use crate::error::Error;
use crate::model::Ledger;
use crate::periods::Day;
use crate::raw::{FileInfo, RawTable};
use crate::sources::InputFiles;
use crate::tables::Table;

use codec::{Corrupt, Reader, Writer};
pub use segment::Marks;
use segment::Names;

/// The folder of the checkpoint in a snapshot.
pub const DIR: &str = "_checkpoint";
const META: &str = "meta.json";
const ROWS: &str = "rows.bin";
/// Bumped whenever what a segment holds changes: an older checkpoint is then not used. 2: the
/// raw columns a custom metric reads leave out those built from the ledger.
const FORMAT: u32 = 2;

/// The tables a checkpoint holds. The others are small and read whole by every run.
pub const HELD: [Table; 5] = [
    Table::Applications,
    Table::Invoices,
    Table::Collections,
    Table::WriteOffs,
    Table::Fees,
];

/// The raw columns a segment keeps of a held table: those the rest of a run reads after the
/// checks (the ids that order same-day events, and what custom metrics read).
fn kept_columns(plan: &Plan, t: &RawTable) -> Vec<String> {
    let mut want = vec!["collection_id", "write_off_id"];
    want.extend(plan.catalogue.raw_columns(t.table));
    let names = t.df.get_column_names();
    names
        .into_iter()
        .filter(|n| want.contains(&n.as_str()))
        .map(|n| n.to_string())
        .collect()
}

/// What a segment holds, beside its rows.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    format: u32,
    version: String,
    pipeline_sha256: String,
    /// The xxh3 of the rows file.
    rows_xxh3: u64,
    /// The sizes of the held tables before this segment.
    from: Marks,
    tables: Vec<HeldMeta>,
    /// The run's employees and currencies, which the rows name by index.
    employees: Vec<String>,
    currencies: Vec<String>,
    /// The run's exchange rates, per currency: a later run checks that those up to the last
    /// day a held row was converted on are unchanged.
    fx: Vec<(String, Vec<(Day, i64)>)>,
}

#[derive(Debug, Serialize, Deserialize)]
struct HeldMeta {
    table: String,
    lines: bool,
    files: Vec<FileMeta>,
    columns: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileMeta {
    path: PathBuf,
    rows: usize,
    fingerprint: String,
    first_row: usize,
    line_marks: Vec<(usize, usize)>,
}

impl From<&FileInfo> for FileMeta {
    fn from(f: &FileInfo) -> Self {
        FileMeta {
            path: held_path(&f.path),
            rows: f.rows,
            fingerprint: f.fingerprint.clone(),
            first_row: f.first_row,
            line_marks: f.line_marks.clone(),
        }
    }
}

impl From<FileMeta> for FileInfo {
    fn from(f: FileMeta) -> Self {
        FileInfo {
            path: f.path,
            rows: f.rows,
            fingerprint: f.fingerprint,
            first_row: f.first_row,
            line_marks: f.line_marks,
            origin: Vec::new(),
        }
    }
}

/// What a run did with the checkpoint, as its manifest records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointUse {
    /// Whether the run read only the files added since the checkpoint.
    pub used: bool,
    /// The checkpoint's segments read, when used.
    pub segments: usize,
    /// The input files whose rows came from the checkpoint instead of being read.
    pub files_reused: usize,
    /// Why every file was read, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_all_because: Option<String>,
    /// Whether the run wrote a segment (only a run that leaves no row out does).
    pub written: bool,
}

/// A source file's path as a checkpoint holds it: absolute, so that a run started from another
/// folder, or naming the pipeline another way, finds the same file; a URL as it is.
fn held_path(p: &Path) -> PathBuf {
    if crate::storage::is_url(&p.to_string_lossy()) {
        return p.to_path_buf();
    }
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Why a run does not use the checkpoint, as its manifest says.
pub type WhyNot = String;

/// What a run writes into its checkpoint segment.
pub struct Segment<'a> {
    pub ledger: &'a Ledger,
    /// Every table as the checks left it (held ones with every row, the checkpoint's first).
    pub raw: &'a [RawTable],
    /// The sorted hashes of the ids of the event tables' new rows.
    pub hashes: &'a [(Table, Vec<u64>)],
    /// Where the new rows start: the sizes of the checkpoint read, or nothing.
    pub from: Marks,
    /// Per held table, the files of the checkpoint read (the new ones follow).
    pub skip: [usize; 5],
}

/// Writes segment `dir` (a new folder in the snapshot being built). Writes nothing, and says
/// so, when a held row is not at its own index (only a run that left rows out has such rows, and
/// such a run writes no checkpoint).
pub fn write(dir: &Path, plan: &Plan, s: &Segment) -> Result<bool, Error> {
    if !segment::in_order(s.ledger) {
        return Ok(false);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let rows = dir.join(ROWS);
    let file = std::fs::File::create(&rows).map_err(io(&rows))?;
    let mut w = Writer::new(std::io::BufWriter::with_capacity(1 << 20, file));
    segment::write(&mut w, s.ledger, &s.from).map_err(io(&rows))?;
    let tables = write_held(dir, plan, s, (&mut w, &rows))?;
    let rows_xxh3 = w.finish().map_err(io(&rows))?;
    let l = s.ledger;
    let meta = Meta {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").into(),
        pipeline_sha256: plan.hash.clone(),
        rows_xxh3,
        from: s.from,
        tables,
        employees: l.employees.ids.names().map(str::to_string).collect(),
        currencies: l.fx.currencies.names().map(str::to_string).collect(),
        fx: l
            .fx
            .currencies
            .names()
            .zip(&l.fx.rates)
            .map(|(c, r)| (c.to_string(), r.clone()))
            .collect(),
    };
    let json = serde_json::to_vec(&meta).map_err(Error::Json)?;
    let path = dir.join(META);
    std::fs::write(&path, json).map_err(io(&path))?;
    Ok(true)
}

/// Writes each held table's kept columns of the new rows (a Parquet file each) and its id
/// hashes (into `w`, the rows file `rows`); returns what the meta says of each.
fn write_held<W: std::io::Write>(
    dir: &Path,
    plan: &Plan,
    s: &Segment,
    (w, rows): (&mut Writer<W>, &Path),
) -> Result<Vec<HeldMeta>, Error> {
    let mut tables = Vec::new();
    for (k, &t) in HELD.iter().enumerate() {
        let Some(r) = s.raw.iter().find(|r| r.table == t) else {
            continue;
        };
        let start = r.files.get(s.skip[k]).map_or(r.height(), |f| f.first_row);
        let columns = kept_columns(plan, r);
        if !columns.is_empty() {
            let mut df =
                r.df.select(columns.iter().map(String::as_str))
                    .map_err(Error::polars("keeping the checkpoint's columns"))?
                    .slice(start as i64, r.df.height().saturating_sub(start));
            let path = dir.join(format!("{}.parquet", t.name()));
            let file = std::fs::File::create(&path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            ParquetWriter::new(file)
                .with_compression(ParquetCompression::Uncompressed)
                .with_statistics(StatisticsOptions::empty())
                .finish(&mut df)
                .map_err(|source| Error::WriteParquet { path, source })?;
        }
        let none = Vec::new();
        let hashes = s.hashes.iter().find(|h| h.0 == t).map_or(&none, |h| &h.1);
        w.pod(hashes).map_err(|source| Error::Write {
            path: rows.to_path_buf(),
            source,
        })?;
        tables.push(HeldMeta {
            table: t.name().to_string(),
            lines: r.lines,
            files: r.files[s.skip[k].min(r.files.len())..]
                .iter()
                .map(FileMeta::from)
                .collect(),
            columns,
        });
    }
    Ok(tables)
}

/// The checkpoint of a snapshot, read, for a run to check its new files on.
pub struct Prior {
    /// The held tables' rows; employees and currencies as indexes into `names`.
    ledger: Ledger,
    names: Names,
    /// The held tables present, with the checkpoint's files and kept columns.
    raw: Vec<RawTable>,
    /// Per event table, the sorted hashes of its ids, per segment.
    hashes: Vec<(Table, Vec<Vec<u64>>)>,
    /// The last segment's exchange rates.
    fx: Vec<(String, Vec<(Day, i64)>)>,
    marks: Marks,
    pub segments: usize,
}

impl Prior {
    /// The checkpoint in `snapshot` if the run can use it: written by this version for this
    /// pipeline, its files the first files of each held table's source, unchanged. The inputs
    /// are fingerprinted (`fingerprint`), the segments' rows and their kept columns read, each
    /// on its own thread; what was read is dropped when the files say the run cannot use it.
    pub fn open(
        snapshot: &Path,
        plan: &Plan,
        fingerprint: &(dyn Fn() -> Result<Vec<InputFiles>, Error> + Sync),
    ) -> Result<Result<Prior, WhyNot>, Error> {
        let dir = snapshot.join(DIR);
        let mut segs: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(list) => list.filter_map(|e| Some(e.ok()?.path())).collect(),
            Err(_) => Vec::new(),
        };
        segs.sort();
        if segs.is_empty() {
            return Ok(Err("the output folder has no checkpoint".into()));
        }
        let metas: Vec<Meta> = match segs.iter().map(|s| read_meta(s, plan)).collect() {
            Ok(m) => m,
            Err(why) => return Ok(Err(why)),
        };
        let (inputs, columns, rows) = std::thread::scope(|scope| {
            let inputs = scope.spawn(fingerprint);
            let columns = scope.spawn(|| load_columns(&segs, &metas));
            let rows = load_rows(&segs, &metas);
            (
                inputs
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                columns
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                rows,
            )
        });
        let inputs = inputs?;
        if let Err(why) = check_files(&metas, &inputs) {
            return Ok(Err(why));
        }
        let corrupt = |_| {
            format!(
                "the checkpoint in {} cannot be read: the run reads every file",
                dir.display()
            )
        };
        Ok((|| {
            let mut prior = rows.map_err(corrupt)?;
            let columns = columns.map_err(corrupt)?;
            prior.raw = held_raw(metas, columns, &inputs).map_err(corrupt)?;
            // Each held row is the raw row at its index: as many typed rows as rows read.
            let m = prior.marks;
            let held = [
                m.applications,
                m.invoices,
                m.collections,
                m.write_offs,
                m.fees,
            ];
            for (t, n) in HELD.into_iter().zip(held) {
                let rows = prior
                    .raw
                    .iter()
                    .find(|r| r.table == t)
                    .map_or(0, RawTable::height);
                if rows != n {
                    return Err(corrupt(Corrupt));
                }
            }
            prior.segments = segs.len();
            Ok(prior)
        })())
    }

    /// How many of table `t`'s files the checkpoint holds: the run reads the ones after.
    fn skip(&self, t: Table) -> usize {
        self.raw
            .iter()
            .find(|r| r.table == t)
            .map_or(0, |r| r.files.len())
    }

    /// Per held table, the files the checkpoint holds.
    pub fn skips(&self) -> [usize; 5] {
        HELD.map(|t| self.skip(t))
    }

    /// The sizes of the held tables in the checkpoint.
    pub fn marks(&self) -> Marks {
        self.marks
    }

    /// The checkpoint's rows, for the checks of the new rows to add to.
    pub fn take_ledger(&mut self) -> Ledger {
        std::mem::take(&mut self.ledger)
    }
}

/// The segments' typed rows, in order, onto one ledger.
fn load_rows(segs: &[PathBuf], metas: &[Meta]) -> Result<Prior, Corrupt> {
    let mut p = Prior {
        ledger: Ledger::default(),
        names: Names::default(),
        raw: Vec::new(),
        hashes: Vec::new(),
        fx: Vec::new(),
        marks: Marks::default(),
        segments: 0,
    };
    for (dir, meta) in segs.iter().zip(metas) {
        if meta.from != Marks::of(&p.ledger) {
            return Err(Corrupt);
        }
        let file = std::fs::File::open(dir.join(ROWS)).map_err(|_| Corrupt)?;
        let size = file.metadata().map_err(|_| Corrupt)?.len();
        let mut r = Reader::new(std::io::BufReader::with_capacity(1 << 16, file), size);
        let names = &mut p.names;
        let emp: Vec<u32> = meta
            .employees
            .iter()
            .map(|e| names.employees.intern(e))
            .collect();
        let cur: Vec<u32> = meta
            .currencies
            .iter()
            .map(|c| names.currencies.intern(c))
            .collect();
        segment::read(&mut r, &mut p.ledger, &emp, &cur)?;
        for h in &meta.tables {
            let t = Table::by_name(&h.table).ok_or(Corrupt)?;
            let hashes: Vec<u64> = r.pod()?;
            match p.hashes.iter_mut().find(|c| c.0 == t) {
                Some(c) => c.1.push(hashes),
                None => p.hashes.push((t, vec![hashes])),
            }
        }
        if !r.done(meta.rows_xxh3) {
            return Err(Corrupt);
        }
        p.fx.clone_from(&meta.fx);
    }
    p.marks = Marks::of(&p.ledger);
    Ok(p)
}

/// Per held table, its kept columns in every segment, one after the other.
fn load_columns(segs: &[PathBuf], metas: &[Meta]) -> Result<Vec<(Table, DataFrame)>, Corrupt> {
    let mut columns: Vec<(Table, &[String], Vec<DataFrame>)> = Vec::new();
    for (dir, meta) in segs.iter().zip(metas) {
        for h in &meta.tables {
            let t = Table::by_name(&h.table).ok_or(Corrupt)?;
            let part = if h.columns.is_empty() {
                DataFrame::empty()
            } else {
                read_columns(&dir.join(format!("{}.parquet", t.name())), &h.columns)?
            };
            match columns.iter_mut().find(|c| c.0 == t) {
                Some(c) if c.1 == h.columns => c.2.push(part),
                Some(_) => return Err(Corrupt),
                None => columns.push((t, &h.columns, vec![part])),
            }
        }
    }
    columns
        .into_iter()
        .map(|(t, names, parts)| {
            let df = if names.is_empty() {
                DataFrame::empty()
            } else {
                stack(&parts)?
            };
            Ok((t, df))
        })
        .collect()
}

/// The held tables as the checks left them: the segments' files, named as this run names them
/// (`inputs`, which [`check_files`] found the same), and kept columns.
fn held_raw(
    metas: Vec<Meta>,
    columns: Vec<(Table, DataFrame)>,
    inputs: &[InputFiles],
) -> Result<Vec<RawTable>, Corrupt> {
    let mut raw: Vec<RawTable> = Vec::new();
    for h in metas.into_iter().flat_map(|m| m.tables) {
        let t = Table::by_name(&h.table).ok_or(Corrupt)?;
        let files = h.files.into_iter().map(FileInfo::from);
        match raw.iter_mut().find(|r| r.table == t) {
            Some(r) => r.files.extend(files),
            None => raw.push(RawTable {
                table: t,
                lines: h.lines,
                files: files.collect(),
                df: DataFrame::empty(),
                breaks: Vec::new(),
            }),
        }
    }
    for r in &mut raw {
        let now = inputs
            .iter()
            .find(|i| i.0 == r.table.name())
            .ok_or(Corrupt)?;
        for (f, (path, _)) in r.files.iter_mut().zip(&now.1) {
            f.path = PathBuf::from(path);
        }
    }
    for (t, df) in columns {
        let r = raw.iter_mut().find(|r| r.table == t).ok_or(Corrupt)?;
        let rows: usize = r.files.iter().map(|f| f.rows).sum();
        if df.width() > 0 && df.height() != rows {
            return Err(Corrupt);
        }
        r.df = df;
    }
    Ok(raw)
}

/// The meta of segment `dir`, if this version wrote it for this pipeline.
fn read_meta(dir: &Path, plan: &Plan) -> Result<Meta, WhyNot> {
    let bytes = std::fs::read(dir.join(META))
        .map_err(|e| format!("{} cannot be read ({e})", dir.join(META).display()))?;
    let meta: Meta = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} cannot be read ({e})", dir.join(META).display()))?;
    if meta.version != env!("CARGO_PKG_VERSION") {
        return Err(format!(
            "the checkpoint was written by factorscore {}",
            meta.version
        ));
    }
    if meta.format != FORMAT {
        return Err(format!(
            "the checkpoint is of format {}, this build's is {FORMAT}",
            meta.format
        ));
    }
    if meta.pipeline_sha256 != plan.hash {
        return Err("the pipeline changed since the checkpoint was written".into());
    }
    Ok(meta)
}

/// Whether each held table's files in the checkpoint are, in order and unchanged, the first
/// files of its source now.
fn check_files(metas: &[Meta], inputs: &[InputFiles]) -> Result<(), WhyNot> {
    for t in HELD {
        let held: Vec<&FileMeta> = metas
            .iter()
            .flat_map(|m| m.tables.iter().filter(|h| h.table == t.name()))
            .flat_map(|h| &h.files)
            .collect();
        let now: &[(String, String)] = inputs
            .iter()
            .find(|i| i.0 == t.name())
            .map_or(&[], |i| i.1.as_slice());
        for (k, f) in held.iter().enumerate() {
            let path = f.path.display().to_string();
            let same = |p: &str| held_path(Path::new(p)) == f.path;
            match now.get(k) {
                Some((p, fp)) if same(p) && *fp == f.fingerprint => {}
                Some((p, _)) if same(p) => {
                    return Err(format!("{p} changed since the checkpoint was written"))
                }
                _ => {
                    return Err(format!(
                        "{path} is no longer the {} file of {} it was",
                        ordinal(k + 1),
                        t.name()
                    ))
                }
            }
        }
    }
    Ok(())
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The kept columns of a held table in one segment, as written.
fn read_columns(path: &Path, names: &[String]) -> Result<DataFrame, Corrupt> {
    let file = std::fs::File::open(path).map_err(|_| Corrupt)?;
    let df = ParquetReader::new(file).finish().map_err(|_| Corrupt)?;
    let found: Vec<&str> = df
        .get_column_names()
        .into_iter()
        .map(|c| c.as_str())
        .collect();
    if found != names {
        return Err(Corrupt);
    }
    Ok(df)
}

/// The segments' frames of a table, one after the other.
fn stack(parts: &[DataFrame]) -> Result<DataFrame, Corrupt> {
    let mut it = parts.iter();
    let mut df = it.next().cloned().unwrap_or_default();
    for p in it {
        df.vstack_mut(p).map_err(|_| Corrupt)?;
    }
    Ok(df)
}

mod join;
pub use join::Joined;
