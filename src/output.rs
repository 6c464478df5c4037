//! Hive-partitioned Parquet outputs, replaced a period at a time, and the run manifest.
//!
//! Every partition is first written next to its final place under a hidden temporary name; only
//! when all are written are they renamed over the old files. A rename replaces a file atomically,
//! so a reader sees either the old or the new period, and a failed run leaves the old output.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::def::Compression;
use crate::error::Error;

/// A partition to write: `table/grain=G/period=P/part-0.parquet`.
pub struct Partition {
    pub table: &'static str,
    pub grain: &'static str,
    pub period: String,
    pub df: DataFrame,
}

impl Partition {
    pub fn dir(&self, root: &Path) -> PathBuf {
        root.join(self.table)
            .join(format!("grain={}", self.grain))
            .join(format!("period={}", self.period))
    }
}

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

/// A partition written under its temporary name: (temporary path, final path).
type Staged = (PathBuf, PathBuf);

/// Writes the partitions, on as many threads as there are cores, then swaps each into place.
/// Returns the files written.
pub fn write_partitions(
    root: &Path,
    parts: &mut [Partition],
    compression: Compression,
    level: i32,
) -> Result<Vec<PathBuf>, Error> {
    let tag = format!(".part-0.parquet.tmp-{}", std::process::id());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = parts.len().div_ceil(threads).max(1);
    // Each worker stages its share; a failed one reports the files it had begun.
    let results: Vec<(Vec<Staged>, Result<(), Error>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = parts
            .chunks_mut(chunk)
            .map(|share| {
                let tag = &tag;
                scope.spawn(move || {
                    let mut staged = Vec::with_capacity(share.len());
                    let result = share.iter_mut().try_for_each(|part| {
                        stage(root, part, tag, compression, level, &mut staged)
                    });
                    (staged, result)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let staged: Vec<Staged> = results.iter().flat_map(|r| r.0.clone()).collect();
    if let Some(Err(e)) = results.into_iter().map(|r| r.1).find(Result::is_err) {
        for (tmp, _) in &staged {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e);
    }
    let mut written = Vec::with_capacity(staged.len());
    for (tmp, fin) in staged {
        std::fs::rename(&tmp, &fin).map_err(io(&fin))?;
        written.push(fin);
    }
    Ok(written)
}

/// Writes one partition under its temporary name, recording (temporary, final) in `staged`.
fn stage(
    root: &Path,
    part: &mut Partition,
    tag: &str,
    compression: Compression,
    level: i32,
    staged: &mut Vec<Staged>,
) -> Result<(), Error> {
    let dir = part.dir(root);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let tmp = dir.join(tag);
    let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    staged.push((tmp.clone(), dir.join("part-0.parquet")));
    let parquet = |source| Error::WriteParquet {
        path: tmp.clone(),
        source,
    };
    // Min, max and null counts: what readers prune with. Distinct counts cost a hash of every
    // value and no reader here uses them. Partitions are already written a core each, so the
    // columns of one are not spread over threads again.
    ParquetWriter::new(file)
        .set_parallel(false)
        .with_compression(codec(compression, level).map_err(parquet)?)
        .with_statistics(StatisticsOptions::default())
        .finish(&mut part.df)
        .map_err(parquet)?;
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

/// Writes a table that is not partitioned, `root/table/part-0.parquet`, replacing it whole.
pub fn write_whole(
    root: &Path,
    table: &'static str,
    df: &mut DataFrame,
    compression: Compression,
    level: i32,
) -> Result<PathBuf, Error> {
    let dir = root.join(table);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let fin = dir.join("part-0.parquet");
    let tmp = dir.join(format!(".part-0.parquet.tmp-{}", std::process::id()));
    let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let parquet = |source| Error::WriteParquet {
        path: tmp.clone(),
        source,
    };
    ParquetWriter::new(file)
        .with_compression(codec(compression, level).map_err(parquet)?)
        .with_statistics(StatisticsOptions::default())
        .finish(df)
        .map_err(parquet)?;
    std::fs::rename(&tmp, &fin).map_err(io(&fin))?;
    Ok(fin)
}
