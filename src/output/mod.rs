//! Hive-partitioned Parquet outputs, committed a whole run at a time, and the run manifest.
//!
//! The tables live in snapshot folders `_store/<run_id>/`; `_current` points at the committed
//! one and each table folder (`scorecards`, ...) is a symlink through it. A run builds a new
//! snapshot beside the old one and commits it by renaming one symlink, so a reader sees the old
//! or the new output of every period of every table, never a mix and never a half-written file.
//! [`store`] has the snapshots, [`lock`] the lock that keeps two runs apart.

mod lock;
mod remote;
mod store;

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::def::Compression;
use crate::error::Error;
use crate::outputs::OutputTable;

pub use remote::RemoteOutput;
pub use store::OutputDir;

/// Where a run writes: a local folder (snapshots, see [`store`]) or an object-store prefix
/// (one object per partition, see [`remote`]).
pub enum Output {
    Local(OutputDir, PathBuf),
    Remote(RemoteOutput),
}

impl Output {
    /// Opens `out`: a folder, locked for the run, or an object-store URL held as a path.
    pub fn open(out: &Path, storage: &crate::storage::StorageConfig) -> Result<Output, Error> {
        let text = out.to_string_lossy();
        if crate::storage::is_url(&text) {
            let url = crate::storage::parse_url(&text)
                .map_err(|e| Error::BadOption(format!("the output path: {e}")))?;
            return Ok(Output::Remote(RemoteOutput::open(&url, storage)?));
        }
        Ok(Output::Local(OutputDir::open(out)?, out.to_path_buf()))
    }

    /// Whether the output held anything before this run: a local folder that existed, or a
    /// prefix with a manifest. Only then does a failed run leave a record.
    pub fn existed(&self) -> bool {
        match self {
            Output::Local(dir, _) => dir.existed(),
            Output::Remote(r) => r.last_manifest().is_some(),
        }
    }

    /// The id of the run whose tables are committed, when it is known for sure: the local
    /// snapshot's name; on an object store, `manifest_run` (the last manifest's run) unless a
    /// later run stopped between its first PUT and its manifest.
    pub fn committed_run(&self, manifest_run: Option<&str>) -> Result<Option<String>, Error> {
        match self {
            Output::Local(dir, _) => dir.current(),
            Output::Remote(r) => Ok(r.committed_run(manifest_run)),
        }
    }

    /// The last successful run's manifest, as written.
    pub fn last_manifest(&self) -> Option<Vec<u8>> {
        match self {
            Output::Local(_, root) => std::fs::read(root.join(MANIFEST)).ok(),
            Output::Remote(r) => r.last_manifest().map(<[u8]>::to_vec),
        }
    }

    /// Whether the committed tables hold exactly `files` (a manifest's) in the folders they
    /// are in: each with its size and nothing else beside it, and under a whole table's folder
    /// nothing else at all. A run replaces these folders, so a file put there by hand (or one
    /// removed or changed in size) makes the next run run rather than be skipped as unchanged.
    pub fn holds(&self, files: &[OutputFile]) -> Result<bool, Error> {
        match self {
            Output::Local(dir, _) => dir.holds(files),
            Output::Remote(r) => r.holds(files),
        }
    }

    /// Writes the encoded partitions and whole tables `files`; see [`OutputDir::commit`] and
    /// [`RemoteOutput::commit`]. Returns the files written, relative to the output.
    pub fn commit(&self, run_id: &str, files: &[Encoded]) -> Result<Vec<OutputFile>, Error> {
        match self {
            Output::Local(dir, _) => dir.commit(run_id, files),
            Output::Remote(r) => r.commit(run_id, files),
        }
    }

    /// Writes `bytes` as the file `name` at the top of the output, beside the tables (a page).
    pub fn put_file(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        match self {
            Output::Local(_, root) => write_atomic(&root.join(name), bytes),
            Output::Remote(r) => r.put_file(name, bytes),
        }
    }

    /// Ends a commit that records no run (a comparison's tables); nothing to do locally, where
    /// the snapshot's rename was the commit.
    pub fn end_without_record(&self) -> Result<(), Error> {
        match self {
            Output::Local(..) => Ok(()),
            Output::Remote(r) => r.end_without_record(),
        }
    }

    /// Writes a run record as `_runs/RUN_ID.json`, and when `last` (a successful run) as
    /// `_manifest.json` too.
    pub fn write_record(&self, run_id: &str, json: &[u8], last: bool) -> Result<(), Error> {
        match self {
            Output::Local(_, root) => {
                write_atomic(&root.join(RUNS).join(format!("{run_id}.json")), json)?;
                if last {
                    write_atomic(&root.join(MANIFEST), json)?;
                }
                Ok(())
            }
            Output::Remote(r) => r.write_record(run_id, json, last),
        }
    }
}

/// The last successful run's manifest, at the top of the output.
pub const MANIFEST: &str = "_manifest.json";
/// The folder of run records, one per run.
pub const RUNS: &str = "_runs";

/// A file a run wrote, as its manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutputFile {
    /// Relative to the output folder or prefix, `/`-separated.
    pub path: String,
    /// Its size.
    pub bytes: u64,
}

impl OutputFile {
    /// The folder the file is in, relative to the output: a partition's, or a whole table's.
    pub fn dir(&self) -> &str {
        self.path.rsplit_once('/').map_or("", |(d, _)| d)
    }

    /// Whether it is a whole table's file (`table/part-0.parquet`), whose folder a run replaces
    /// with everything under it.
    pub fn is_whole_table(&self) -> bool {
        !self.dir().is_empty() && !self.dir().contains('/')
    }
}

/// A partition to write: `table/grain=G/period=P/part-0.parquet`.
pub struct Partition {
    pub table: OutputTable,
    pub grain: &'static str,
    pub period: String,
    pub df: DataFrame,
}

impl Partition {
    /// The partition's folder relative to a snapshot (or to the output folder).
    pub fn rel_dir(&self) -> PathBuf {
        let [grain, period] = crate::outputs::PARTITION_KEYS;
        Path::new(self.table.name())
            .join(format!("{grain}={}", self.grain))
            .join(format!("{period}={}", self.period))
    }

    /// The partition as Parquet; its frame is dropped.
    pub fn encode(self, compression: Compression, level: i32) -> Result<Encoded, Error> {
        let rel_dir = self.rel_dir();
        Encoded::new(
            self.table,
            Some(self.period),
            rel_dir,
            self.df,
            compression,
            level,
        )
    }
}

/// A table written whole by every run, unpartitioned: `table/part-0.parquet`.
pub struct WholeTable {
    pub table: OutputTable,
    pub df: DataFrame,
}

impl WholeTable {
    /// The table as Parquet; its frame is dropped.
    pub fn encode(self, compression: Compression, level: i32) -> Result<Encoded, Error> {
        let rel_dir = PathBuf::from(self.table.name());
        Encoded::new(self.table, None, rel_dir, self.df, compression, level)
    }
}

/// A partition or whole table encoded as Parquet, ready to commit. Built as soon as its frame
/// is, so that a run holds the outputs as compressed bytes, not as frames.
pub struct Encoded {
    pub table: OutputTable,
    /// The partition's period; `None` for a whole table.
    pub period: Option<String>,
    /// Its folder relative to a snapshot or prefix: `table/grain=G/period=P` or `table`.
    pub rel_dir: PathBuf,
    pub rows: usize,
    pub bytes: bytes::Bytes,
}

impl Encoded {
    /// `df` encoded as Parquet; an encoder's failure names the file it was for, relative to the
    /// output.
    fn new(
        table: OutputTable,
        period: Option<String>,
        rel_dir: PathBuf,
        mut df: DataFrame,
        compression: Compression,
        level: i32,
    ) -> Result<Encoded, Error> {
        let mut buf = Vec::new();
        encode(&mut buf, &mut df, compression, level).map_err(|source| Error::WriteParquet {
            path: rel_dir.join(PART_FILE),
            source,
        })?;
        Ok(Encoded {
            table,
            period,
            rel_dir,
            rows: df.height(),
            bytes: bytes::Bytes::from(buf),
        })
    }

    /// Its path relative to a snapshot or prefix, `/`-separated.
    pub fn path(&self) -> String {
        slashed(&self.rel_dir.join(PART_FILE))
    }
}

/// The file every partition and whole table is written as.
pub const PART_FILE: &str = "part-0.parquet";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn codec(c: Compression, level: i32) -> PolarsResult<ParquetCompression> {
    Ok(match c {
        Compression::Zstd => ParquetCompression::Zstd(Some(
            polars::polars_utils::compression::ZstdLevel::try_new(level)?,
        )),
        Compression::Snappy => ParquetCompression::Snappy,
        Compression::Uncompressed => ParquetCompression::Uncompressed,
    })
}

/// A relative path as `/`-separated text.
pub(super) fn slashed(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Writes `df` as Parquet to `w`: the same bytes whether to a file or to an object.
fn encode<W: std::io::Write>(
    w: W,
    df: &mut DataFrame,
    compression: Compression,
    level: i32,
) -> PolarsResult<()> {
    // Min, max and null counts: what readers prune with. Distinct counts cost a hash of every
    // value and no reader here uses them. Files are already encoded a core each, so the columns
    // of one are not spread over threads again.
    ParquetWriter::new(w)
        .set_parallel(false)
        .with_compression(codec(compression, level)?)
        .with_statistics(StatisticsOptions::default())
        .finish(df)?;
    Ok(())
}

/// Writes a small file atomically (temporary name, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}
