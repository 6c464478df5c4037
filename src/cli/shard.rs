//! `factorscore shard` and `factorscore merge` (issue 17): their options and what they print.

use std::path::PathBuf;

use anyhow::Context;

use super::PeriodArgs;
use crate::error::Error;
use crate::run::{Parts, RunOptions, INDEX_VARIABLES};
use crate::runlog::{LogFormat, RunLog};

/// The options of `factorscore shard`.
#[derive(Debug, clap::Args)]
pub struct ShardArgs {
    /// The pipeline file (YAML).
    pub pipeline: PathBuf,
    /// Which part, 0 to count - 1. Without it: `JOB_COMPLETION_INDEX` (Kubernetes),
    /// `AWS_BATCH_JOB_ARRAY_INDEX` (AWS Batch) or `SLURM_ARRAY_TASK_ID` (Slurm), the first set.
    #[arg(long)]
    pub index: Option<u64>,
    /// How many parts the run is split into.
    #[arg(long)]
    pub count: u64,
    #[command(flatten)]
    pub periods: PeriodArgs,
    /// The folder of the parts, shared by every part and the merge: a path every machine sees, or
    /// an object-store folder (`s3://bucket/parts`, `az://...`, `gs://...`; credentials from the
    /// environment and the pipeline's `storage`).
    #[arg(long)]
    pub out: PathBuf,
    /// Read the part's rows of the large tables from this folder of `factorscore bucket`, not
    /// every row of the inputs.
    #[arg(long)]
    pub buckets: Option<PathBuf>,
    /// Report nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The options of `factorscore bucket`.
#[derive(Debug, clap::Args)]
pub struct BucketArgs {
    /// The pipeline file (YAML).
    pub pipeline: PathBuf,
    /// Which slice of the input files, 0 to slices - 1: the files `i` of each large table with
    /// `i % slices == slice`. Without it: the array job's variable, as for `shard --index`.
    #[arg(long)]
    pub slice: Option<u64>,
    /// How many slices the input files are read in.
    #[arg(long)]
    pub slices: u64,
    /// How many parts the rows are split into: the shards' `--count`.
    #[arg(long)]
    pub count: u64,
    /// The folder of the buckets, shared by every slice and shard (a path every machine sees).
    #[arg(long)]
    pub out: PathBuf,
    /// Report nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The options of `factorscore merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The pipeline file (YAML), as the parts were computed with.
    pub pipeline: PathBuf,
    /// The folder the parts were written to (a path, or an object-store folder).
    #[arg(long)]
    pub partials: PathBuf,
    /// How many parts the run was split into.
    #[arg(long)]
    pub count: u64,
    #[command(flatten)]
    pub periods: PeriodArgs,
    /// Output folder or object-store URL; the pipeline's `output.path` by default.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Merge even when the last run wrote the same periods from the same inputs and pipeline.
    #[arg(long)]
    pub force: bool,
    /// Report nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The part's index: `--index`, or the array job's variable.
fn index(given: Option<u64>) -> Result<u64, Error> {
    if let Some(k) = given {
        return Ok(k);
    }
    for var in INDEX_VARIABLES {
        if let Ok(v) = std::env::var(var) {
            return v.trim().parse().map_err(|_| {
                Error::BadOption(format!("{var} is `{v}`, not a part's index (0, 1, 2, ...)"))
            });
        }
    }
    Err(Error::BadOption(format!(
        "no part named: give --index K, or run as an array job that sets {}",
        INDEX_VARIABLES.join(", ")
    )))
}

/// `factorscore shard`: one part's file.
pub fn shard(a: ShardArgs) -> anyhow::Result<()> {
    let plan = crate::config::load(&a.pipeline)?;
    let k = index(a.index)?;
    let log = RunLog {
        format: LogFormat::Text,
        quiet: a.quiet,
        verbose: false,
    };
    let opts = RunOptions {
        progress: log.progress(),
        ..a.periods.options()
    };
    let path = crate::run::shard(&plan, &opts, (k, a.count), (&a.out, a.buckets.as_deref()))
        .with_context(|| format!("part {k} of {} of {} failed", a.count, a.pipeline.display()))?;
    if !a.quiet {
        println!("wrote part {k} of {} to {}", a.count, path.display());
    }
    Ok(())
}

/// `factorscore bucket`: one slice of the inputs, split into the parts' buckets.
pub fn bucket(a: BucketArgs) -> anyhow::Result<()> {
    let plan = crate::config::load(&a.pipeline)?;
    let m = index(a.slice)?;
    let dir = crate::buckets::bucket(&plan, (m, a.slices), a.count, &a.out).with_context(|| {
        format!(
            "slice {m} of {} of {} failed",
            a.slices,
            a.pipeline.display()
        )
    })?;
    if !a.quiet {
        println!("wrote slice {m} of {} to {}", a.slices, dir.display());
    }
    Ok(())
}

/// `factorscore merge`: the run's outputs from its parts.
pub fn merge(a: MergeArgs) -> anyhow::Result<()> {
    let plan = crate::config::load(&a.pipeline)?;
    let log = RunLog {
        format: LogFormat::Text,
        quiet: a.quiet,
        verbose: false,
    };
    let out_dir = a.out.clone().unwrap_or_else(|| plan.output_dir.clone());
    let opts = RunOptions {
        force: a.force,
        progress: log.progress(),
        out: a.out,
        merge: Some(Parts {
            dir: a.partials,
            count: a.count,
        }),
        ..a.periods.options()
    };
    match crate::run::run(&plan, &opts)
        .with_context(|| format!("merge of {} failed", a.pipeline.display()))?
    {
        crate::run::Ran::Wrote(m) => log.wrote(&m, &out_dir),
        crate::run::Ran::Unchanged { run_id, periods } => {
            log.unchanged(&run_id, &periods, &out_dir)
        }
    }
    Ok(())
}
