//! `factorscore shard` and the facts of `factorscore merge` (issue 17, `docs/partials.md`).
//!
//! Without buckets, a shard reads and checks every input, as a run does, so that its rule
//! verdicts are one machine's; keeps the rows of its part of the clients
//! ([`crate::partials::split`]); applies their events; and computes their built-in facts and
//! custom aggregates over the run's window ([`part_of`], [`custom_part_placed`]) and what the
//! merge would read the large tables for ([`super::part_rows`]). It writes them as its part's
//! file. The window is found from all the rows, before they are split, so that every part is
//! laid out alike. With buckets ([`crate::buckets`]), it reads only its part's rows of the large
//! tables, with one machine's repeated ids, and its window comes from the slices' dates.
//!
//! A merge is a run whose facts are the parts' added up ([`merged_facts`]) and which reads only
//! the small tables ([`super::merged`]): everything after the facts (the metrics' ratios and
//! quantiles, derived custom metrics, scores, calibration, review flags, bonus, rollups,
//! outputs, manifest) is the run's own code. `run` computes its facts as part 0 of 1 of its own
//! and merges that part the same way.

use std::path::{Path, PathBuf};

use super::facts::{custom_part_placed, part_of};
use super::load::{apply_events, scored_window};
use super::stream::{read_and_check, Start};
use super::RunOptions;
use crate::buckets::Buckets;
use crate::config::Plan;
use crate::error::Error;
use crate::metrics::custom::parts::CustomPart;
use crate::metrics::Window;
use crate::partials::{self, split, Partial};
use crate::storage::Store;
use crate::timings::Timings;

/// The environment variables an array job gives each task its index in, in the order they are
/// looked at when `--index` is absent: Kubernetes Indexed Jobs, AWS Batch, Slurm.
pub const INDEX_VARIABLES: [&str; 3] = [
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "SLURM_ARRAY_TASK_ID",
];

/// Computes part `index` of `count` of a run with `opts`' periods and writes it into `dir`;
/// returns the file written. With `buckets` (of `factorscore bucket`), its large tables are read
/// from its part's buckets; without, from the inputs, whole.
pub fn shard(
    plan: &Plan,
    opts: &RunOptions,
    (index, count): (u64, u64),
    (dir, buckets): (&Path, Option<&Path>),
) -> Result<PathBuf, Error> {
    if count == 0 || index >= count {
        return Err(Error::BadOption(format!(
            "--index {index} is not a part of --count {count}: parts are numbered 0 to count - 1"
        )));
    }
    let spec = opts.periods(plan)?;
    let mut timings = Timings::new(opts.progress);
    let buckets = match buckets {
        Some(b) => Some(Buckets::open(b, plan, count)?),
        None => None,
    };
    let start = Start {
        buckets: buckets.as_ref().map(|b| (b, index)),
        ..Start::nothing()
    };
    let c = read_and_check(plan, &mut timings, start)?;
    let problems = c.problems.into_result().map_err(Error::Rules)?;
    // A part's rows do not give the run's window: the slices' dates give one that holds it, and
    // the merge keeps the run's periods of it.
    let window = match &buckets {
        Some(b) => spec.window_of(b.days())?,
        None => spec.window(&c.ledger)?,
    };
    let window = scored_window(plan, window);
    let inputs = crate::manifest::input_files(&c.raw);
    let mut ledger = c.ledger;
    split::restrict(&mut ledger, index, count);
    let loaded = apply_events(c.raw, ledger, problems, &mut timings);
    let super::Loaded {
        raw,
        ledger,
        swept,
        problems,
    } = loaded;
    let problems = problems.into_result().map_err(Error::Rules)?;
    let rows = super::part_rows::part_rows(&raw, &ledger, &problems, buckets.as_ref());
    let mut t = std::time::Instant::now();
    let custom = custom_part(plan, &raw, (&ledger, &swept), window, buckets.as_ref())?;
    // The raw text is read no more: the facts take memory of their own.
    drop(raw);
    crate::memory::give_back();
    let mut part = part_of(plan, &inputs, (&ledger, &swept), window, (index, count));
    part.rows = rows;
    part.custom = custom;
    timings.lap("metrics", &mut t);
    // Only the facts are written: the rows are freed first.
    drop((ledger, swept));
    crate::memory::give_back();
    let path = put(plan, dir, &part)?;
    timings.lap("write part", &mut t);
    timings.done();
    Ok(path)
}

/// The custom aggregates of a part's rows over `window`, when the run has any: folded values
/// and grouped rows placed among one machine's rows ([`crate::metrics::custom::parts`]).
fn custom_part(
    plan: &Plan,
    raw: &[crate::raw::RawTable],
    (l, s): (&crate::model::Ledger, &crate::ledger::Swept),
    window: Window,
    buckets: Option<&Buckets>,
) -> Result<Option<CustomPart>, Error> {
    let places = super::part_rows::Places::of(raw, l, buckets);
    let place = |t, fact, k| places.place(t, fact, k);
    custom_part_placed(plan, raw, (l, s), window, &place)
}

/// The object-store folder `dir` names, if it is a URL (`s3://bucket/parts`), with a client.
fn store_of(plan: &Plan, dir: &Path) -> Result<Option<Store>, Error> {
    let text = dir.to_string_lossy();
    if !crate::storage::is_url(&text) {
        return Ok(None);
    }
    let url = crate::storage::parse_url(&text).map_err(Error::BadOption)?;
    crate::storage::connect(&url, &plan.storage).map(Some)
}

/// Writes part `p` into `dir`, a local folder or an object-store folder; returns where.
fn put(plan: &Plan, dir: &Path, p: &Partial) -> Result<PathBuf, Error> {
    let name = partials::file_name(p.index, p.run.count);
    let Some(store) = store_of(plan, dir)? else {
        return partials::write(dir, p).map_err(|source| Error::Write {
            path: dir.join(&name),
            source,
        });
    };
    let bytes = partials::encode(p).map_err(|source| Error::Write {
        path: dir.join(&name),
        source,
    })?;
    let key = store.url.join(&name);
    // One PUT replaces the object whole: a retried part leaves no half-written object.
    store.put_all(vec![(key.clone(), bytes.into())])?;
    Ok(PathBuf::from(store.url.show(&key)))
}

/// Where `merge` takes its parts from.
#[derive(Debug, Clone)]
pub struct Parts {
    pub dir: PathBuf,
    pub count: u64,
}

impl Parts {
    /// Every part's file read and added in turn ([`partials::Merger`]): an error names the part
    /// missing, damaged or foreign.
    pub fn read(&self, plan: &Plan) -> Result<Partial, Error> {
        if self.count == 0 {
            return Err(Error::BadOption(
                "--count 0: a run is merged from 1 part or more".into(),
            ));
        }
        let store = store_of(plan, &self.dir)?;
        let mut merger = partials::Merger::default();
        for k in 0..self.count {
            let name = partials::file_name(k, self.count);
            let missing = partials::MergeError::Missing {
                index: k,
                count: self.count,
            };
            let (path, got) = match &store {
                Some(s) => {
                    let key = s.url.join(&name);
                    let Some(bytes) = s.get(&key)? else {
                        return Err(missing.into());
                    };
                    (PathBuf::from(s.url.show(&key)), partials::decode(&bytes))
                }
                None => {
                    let path = self.dir.join(&name);
                    if !path.exists() {
                        return Err(missing.into());
                    }
                    let got = partials::read(&path);
                    (path, got)
                }
            };
            merger.add(got.map_err(|source| Error::Part { path, source })?)?;
        }
        Ok(merger.finish()?)
    }
}
