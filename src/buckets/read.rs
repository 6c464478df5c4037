//! A shard's side of the buckets: every slice's summary checked, then each large table read back
//! as the rows of one part, with the file and row of each and one machine's repeated ids.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::{bucket_name, ids, ids_name, slice_name, BucketError, FileEntry, Summary, ROW};
use crate::config::{Plan, SourcePlan};
use crate::error::Error;
use crate::periods::Day;
use crate::raw::{FileInfo, RawTable, ReadBreak, RowRef};
use crate::sources::parse::stages::{unique_id, Read};
use crate::tables::Table;

/// A folder of buckets written by every slice of one run, checked against the pipeline.
#[derive(Debug)]
pub struct Buckets {
    dir: PathBuf,
    summaries: Vec<Summary>,
}

/// The slice number and count a folder's name gives, if it is a slice's.
fn parse_slice_name(name: &str) -> Option<(u64, u64)> {
    let rest = name.strip_prefix("slice-")?;
    let (a, b) = rest.split_once("-of-")?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> Error {
    BucketError::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
    .into()
}

impl Buckets {
    /// The slices in `dir`: all of them, of this program, pipeline, inputs and `count`.
    pub fn open(dir: &Path, plan: &Plan, count: u64) -> Result<Buckets, Error> {
        let listed = std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
        let mut names: Vec<(u64, u64)> = listed
            .filter_map(|e| parse_slice_name(e.ok()?.file_name().to_str()?))
            .collect();
        names.sort_unstable();
        let Some(&(_, slices)) = names.first() else {
            return Err(BucketError::NoSlices {
                dir: dir.to_path_buf(),
            }
            .into());
        };
        let mut summaries = Vec::new();
        for slice in 0..slices {
            let path = dir.join(slice_name(slice, slices)).join("summary.json");
            if !path.exists() {
                return Err(BucketError::Missing {
                    dir: dir.to_path_buf(),
                    slice,
                    slices,
                }
                .into());
            }
            let bytes = std::fs::read(&path).map_err(|e| unreadable(&path, e))?;
            let s: Summary = serde_json::from_slice(&bytes).map_err(|e| unreadable(&path, e))?;
            let other = |what| BucketError::OtherRun {
                dir: dir.to_path_buf(),
                slice,
                what,
            };
            if s.version != env!("CARGO_PKG_VERSION") {
                return Err(other("the program's version").into());
            }
            if s.pipeline_sha256 != plan.hash {
                return Err(other("the pipeline").into());
            }
            if s.count != count {
                return Err(other("the number of parts").into());
            }
            if (s.slice, s.slices) != (slice, slices) {
                return Err(other("the slice's number").into());
            }
            summaries.push(s);
        }
        let b = Buckets {
            dir: dir.to_path_buf(),
            summaries,
        };
        b.check_files(plan)?;
        Ok(b)
    }

    /// Every file of each bucketed table is in exactly one slice, and they are the files the
    /// pipeline names now.
    fn check_files(&self, plan: &Plan) -> Result<(), Error> {
        for src in plan
            .sources
            .iter()
            .filter(|s| super::BUCKETED.contains(&s.table))
        {
            let found = crate::sources::resolve_files(plan, src)?;
            let have = self.files(src.table);
            let same = found.len() == have.len()
                && found
                    .iter()
                    .zip(&have)
                    .enumerate()
                    .all(|(i, (f, e))| e.index == i && f.name == e.path);
            if !same {
                return Err(BucketError::OtherRun {
                    dir: self.dir.clone(),
                    slice: 0,
                    what: "the input files",
                }
                .into());
            }
        }
        Ok(())
    }

    /// The files of table `t`, from every slice, in the order a run reads them.
    pub fn files(&self, t: Table) -> Vec<&FileEntry> {
        let mut all: Vec<&FileEntry> = self
            .summaries
            .iter()
            .flat_map(|s| s.tables.iter().filter(|x| x.table == t.name()))
            .flat_map(|x| &x.files)
            .collect();
        all.sort_by_key(|e| e.index);
        all
    }

    fn slices(&self) -> u64 {
        self.summaries.len() as u64
    }

    /// The first purchase day and the last day of any invoice or event, or a window holding
    /// them: days of rows that one machine rejects for another reason count too.
    pub fn days(&self) -> Option<(Day, Day)> {
        let tables = self.summaries.iter().flat_map(|s| &s.tables);
        let lo = tables
            .clone()
            .filter(|x| x.table == Table::Invoices.name())
            .filter_map(|x| x.days.map(|d| d.0))
            .min()?;
        let hi = tables.filter_map(|x| x.days.map(|d| d.1)).max()?;
        Some((lo, hi))
    }

    /// Part `k`'s rows of `src`, as a table read: where each row came from, the rows the reader
    /// found malformed, and the rows whose id another row repeats, in this part or another.
    pub fn read(&self, src: &SourcePlan, k: u64) -> Result<Read, Error> {
        let t = src.table;
        let lines = src.format == crate::config::def::Format::Csv;
        let mut frames = Vec::new();
        let mut files = Vec::new();
        let mut first_row = 0;
        for e in self.files(t) {
            let slice = slice_name(e.index as u64 % self.slices(), self.slices());
            let path = self.dir.join(slice).join(bucket_name(t, e.index, k));
            let file = std::fs::File::open(&path).map_err(|e| unreadable(&path, e))?;
            let mut df = ParquetReader::new(file)
                .finish()
                .map_err(|e| unreadable(&path, e))?;
            let origin: Vec<u32> = df
                .drop_in_place(ROW)
                .ok()
                .and_then(|c| c.u32().ok().map(|c| c.into_no_null_iter().collect()))
                .ok_or_else(|| unreadable(&path, "it has no row numbers"))?;
            files.push(FileInfo {
                path: e.path.clone(),
                rows: df.height(),
                fingerprint: e.fingerprint.clone(),
                first_row,
                line_marks: e.line_marks.clone(),
                origin,
            });
            first_row += df.height();
            frames.push(df);
        }
        let mut df = frames.first().cloned().unwrap_or_default();
        for f in frames.iter().skip(1) {
            df.vstack_mut(f)
                .map_err(Error::polars("stacking the buckets of a table"))?;
        }
        drop(frames);
        let mut raw = RawTable {
            table: t,
            lines,
            files,
            df,
            breaks: Vec::new(),
        };
        raw.breaks = self.breaks(&raw);
        let dups = self.repeated(&raw)?;
        Ok(Read {
            raw,
            dups,
            hashes: Vec::new(),
        })
    }

    /// The row of `raw` that is row `row` of its file `file`, if it is of this part.
    fn local(raw: &RawTable, (file, row): (usize, u32)) -> Option<usize> {
        let f = raw.files.get(file)?;
        f.origin.binary_search(&row).ok().map(|k| f.first_row + k)
    }

    /// The malformed rows of this part, in row order.
    fn breaks(&self, raw: &RawTable) -> Vec<ReadBreak> {
        let t = raw.table;
        let mut out: Vec<ReadBreak> = self
            .summaries
            .iter()
            .flat_map(|s| s.tables.iter().filter(|x| x.table == t.name()))
            .flat_map(|x| &x.breaks)
            .filter_map(|b| {
                let row = Self::local(raw, (b.file, b.row as u32))?;
                Some(ReadBreak {
                    row,
                    column: t.column(&b.column).map_or("", |c| c.name),
                    value: b.value.clone(),
                    rule: b.rule.clone(),
                })
            })
            .collect();
        out.sort_by_key(|b| b.row);
        out
    }

    /// The rows of this part whose id another row repeats, with where that row is: the first row
    /// of an id is reported against the second, the others against the first, as one machine
    /// reports them.
    fn repeated(&self, raw: &RawTable) -> Result<Vec<(usize, RowRef)>, Error> {
        if unique_id(raw.table).is_none() {
            return Ok(Vec::new());
        }
        let paths: Vec<PathBuf> = (0..self.slices())
            .map(|s| {
                let dir = self.dir.join(slice_name(s, self.slices()));
                dir.join(ids_name(raw.table))
            })
            .collect();
        let groups = ids::repeated(&paths).map_err(|e| unreadable(&self.dir, e))?;
        let place = |(f, r): ids::Place| {
            let file = &raw.files[f as usize];
            file.row_ref(r as usize, raw.lines)
        };
        let mut out = Vec::new();
        for g in groups {
            for (j, &at) in g.iter().enumerate() {
                let Some(i) = Self::local(raw, (at.0 as usize, at.1)) else {
                    continue;
                };
                let other = if j == 0 { g[1] } else { g[0] };
                if other.0 as usize >= raw.files.len() {
                    return Err(unreadable(&self.dir, "an id's file is not listed"));
                }
                out.push((i, place(other)));
            }
        }
        out.sort_by_key(|d| d.0);
        Ok(out)
    }
}
