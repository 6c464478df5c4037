//! A run: read and check the sources, compute the window's metrics, write the outputs.
//! `options` resolves what to compute before any data is read; `load` reads, checks and scores.

mod facts;
mod incremental;
mod load;
mod merged;
mod options;
mod part_rows;
mod shard;
mod stream;

pub use load::{facts, load, score_plans, score_window, Loaded, Scorecards, Scoring};
pub use options::{dry_run, window, DryRun, PeriodSpec, RunOptions};
pub use shard::{shard, Parts, INDEX_VARIABLES};

use std::collections::BTreeMap;

use crate::config::Plan;
use crate::error::Error;
use crate::manifest::{FailedRun, InputFiles, Manifest};
use crate::model::Ledger;
use crate::output::{Encoded, Output, Partition, WholeTable};
use crate::outputs::OutputTable;
use crate::reconcile;
use crate::timings::Timings;

use facts::{window_facts_freeing, FactsOf};
use load::{fingerprint_sources, score_facts};

/// The output tables of every written period: scorecards, kpi_scores and rollups, built on as
/// many threads as there are cores, a run of periods each, each encoded as Parquet as soon as it
/// is built, so that the frames of one period at a time are held, not of all.
fn partitions(plan: &Plan, l: &Ledger, sc: &Scorecards) -> Result<Vec<Encoded>, Error> {
    let periods: Vec<usize> = (sc.first_written..sc.cards.len()).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = periods.len().div_ceil(threads).max(1);
    let built: Vec<Result<Vec<Encoded>, Error>> = std::thread::scope(|scope| {
        let workers: Vec<_> = periods
            .chunks(chunk)
            .map(|ks| scope.spawn(move || period_tables(plan, l, sc, ks)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut parts = Vec::with_capacity(periods.len() * 3);
    for b in built {
        parts.extend(b?);
    }
    Ok(parts)
}

/// The three tables of the periods `ks` (indexes into the scored window), encoded.
fn period_tables(
    plan: &Plan,
    l: &Ledger,
    sc: &Scorecards,
    ks: &[usize],
) -> Result<Vec<Encoded>, Error> {
    let w = sc.facts.window;
    let grain = w.cal.grain.name();
    let mut parts = Vec::with_capacity(ks.len() * 3);
    let rollups = crate::rollups::Inputs {
        cat: &plan.catalogue,
        f: &sc.facts,
        cards: &sc.cards,
        custom_groups: &sc.custom_groups,
    };
    let mut memo = crate::rollups::Memo::default();
    for &k in ks {
        let (cards, scores) = (&sc.cards[k], &sc.scored.rows[k]);
        let period = w.cal.label(w.first + k as i32);
        let what = "building the output tables";
        let tables = [
            (
                OutputTable::Scorecards,
                crate::scorecards::frame(&plan.catalogue, &plan.plans, l, &sc.facts, cards, scores),
            ),
            (
                OutputTable::KpiScores,
                crate::kpi_scores::frame(&plan.catalogue, &plan.plans, l, cards, scores),
            ),
            (
                OutputTable::Rollups,
                crate::rollups::frame(&rollups, &mut memo, k, scores),
            ),
        ];
        for (table, df) in tables {
            let part = Partition {
                table,
                grain,
                period: period.clone(),
                df: df.map_err(Error::polars(what))?,
            };
            parts.push(part.encode(plan.compression, plan.compression_level)?);
        }
    }
    Ok(parts)
}

/// The grade shares of every written period against the guidance of its plans (contract 5.3).
fn guidance(plan: &Plan, sc: &Scorecards) -> Vec<crate::scoring::guidance::GroupShares> {
    if plan.plans.iter().all(|p| p.guidance.is_none()) {
        return Vec::new();
    }
    let w = sc.facts.window;
    (sc.first_written..sc.cards.len())
        .flat_map(|k| {
            let period = w.cal.label(w.first + k as i32);
            crate::scoring::guidance::period_shares(
                &plan.plans,
                &period,
                &sc.cards[k],
                &sc.scored.rows[k],
            )
        })
        .collect()
}

/// What a run did.
pub enum Ran {
    /// It computed and wrote its periods.
    Wrote(Box<Manifest>),
    /// The last run wrote the same periods from the same inputs and pipeline: nothing to do.
    Unchanged {
        run_id: String,
        periods: Vec<String>,
    },
}

/// A whole run. A run that fails in an output folder that existed before leaves a record of the
/// failure in `_runs/`.
pub fn run(plan: &Plan, opts: &RunOptions) -> Result<Ran, Error> {
    let started = chrono::Utc::now();
    let spec = opts.periods(plan)?;
    // Taken before any data is read: a second run on the same folder waits before doing work.
    let out_dir = opts.out.clone().unwrap_or_else(|| plan.output_dir.clone());
    let output = Output::open(&out_dir, &plan.storage)?;
    let run_id = format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    let result = run_locked(
        plan,
        spec,
        (opts.force, opts.full),
        (opts.progress, opts.merge.as_ref()),
        &output,
        &run_id,
        started,
    );
    if let (Output::Local(dir, _), false) = (&output, matches!(result, Ok(Ran::Wrote(_)))) {
        // The snapshot it was building, its checkpoint segment included, is never committed.
        dir.discard(&run_id);
    }
    if let Err(e) = &result {
        if output.existed() {
            let record = FailedRun::new(plan, &run_id, started, e);
            // The failure being reported matters more than a record of it that cannot be written.
            let _ = record.write(&output);
        }
    }
    result
}

/// A run once its output folder is locked. Unless `force`, a run whose periods, inputs and
/// pipeline are those of the last run stops as soon as it knows: after reading the files when
/// the periods are named or the last run was asked the same, after checking them when the data
/// gives the periods of another request.
#[allow(clippy::too_many_arguments)]
fn run_locked(
    plan: &Plan,
    spec: PeriodSpec,
    (force, full): (bool, bool),
    (progress, parts): (crate::timings::Progress, Option<&Parts>),
    output: &Output,
    run_id: &str,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<Ran, Error> {
    let mut timings = Timings::new(progress);
    let ran = run_timed(
        plan,
        spec,
        (force, full, parts),
        output,
        run_id,
        started,
        &mut timings,
    );
    timings.done();
    ran
}

#[allow(clippy::too_many_arguments)]
fn run_timed(
    plan: &Plan,
    spec: PeriodSpec,
    (force, full, parts): (bool, bool, Option<&Parts>),
    output: &Output,
    run_id: &str,
    started: chrono::DateTime<chrono::Utc>,
    timings: &mut Timings,
) -> Result<Ran, Error> {
    // The committed snapshot, which the last manifest must describe: a run killed between its
    // commit and its manifest leaves the previous run's manifest beside its own tables.
    let last = output
        .last_manifest()
        .and_then(|json| Manifest::parse(&json).ok());
    let committed = output.committed_run(last.as_ref().map(|m| m.run.run_id.as_str()))?;
    // Unchanged also means the tables hold what that manifest says was written, no more and
    // no less: a file copied into a partition by hand is gone after a run, not kept by a skip.
    let unchanged = |periods: Vec<String>, inputs: &[InputFiles]| -> Result<Option<Ran>, Error> {
        let Some(last) = last.as_ref() else {
            return Ok(None);
        };
        let same = last.same_run(plan, spec.cal.grain.name(), &periods, inputs)
            && Some(&last.run.run_id) == committed.as_ref();
        if !same {
            return Ok(None);
        }
        Ok(output.holds(&last.files)?.then(|| Ran::Unchanged {
            run_id: last.run.run_id.clone(),
            periods,
        }))
    };
    // A merge's parts, read and added up before any input: a part missing fails at once. They
    // carry everything the large tables are read for, so a merge reads only the small tables.
    let mut parts = match parts {
        Some(p) => Some((p.read(plan)?, p.dir.as_path())),
        None => None,
    };
    // The inputs' fingerprints, once taken: a run that is not skipped checks the checkpoint's
    // files against them rather than reading every file again.
    let mut fingerprinted = None;
    let asked = spec.asked();
    // The periods the run would write, when known before reading a row: named, or given by the
    // data when the last run was asked the same (the same files and pipeline give the same
    // extent, so a scheduler's retry of a job without periods skips as early).
    let known = spec.named().map(|w| w.labels()).or_else(|| {
        last.as_ref()
            .filter(|m| m.asked.as_ref() == Some(&asked))
            .map(|m| m.periods.clone())
    });
    if let (false, Some(periods)) = (force, known) {
        // Asked again for the periods the last run wrote: the inputs are fingerprinted, one
        // file at a time, before any is decoded; a run with nothing to do stops there.
        let again = last
            .as_ref()
            .is_some_and(|m| m.same_request(plan, spec.cal.grain.name(), &periods));
        if again {
            let mut t = std::time::Instant::now();
            let inputs = match &parts {
                Some((m, _)) => merged::inputs(plan, &m.rows)?,
                None => fingerprint_sources(plan)?,
            };
            timings.lap("fingerprint inputs", &mut t);
            if let Some(u) = unchanged(periods, &inputs)? {
                return Ok(u);
            }
            fingerprinted = Some(inputs);
        }
    }
    let (mut loaded, checkpoint) = match &parts {
        Some((m, _)) => (
            merged::load(plan, &m.rows, timings)?,
            merged::no_checkpoint(),
        ),
        None => incremental::load(plan, (output, run_id), (full, fingerprinted), timings)?,
    };
    let window = match &parts {
        Some((m, _)) => spec.window_of(m.rows.extent)?,
        None => spec.window(&loaded.ledger)?,
    };
    if !force && (spec.from.is_none() || spec.to.is_none()) {
        if let Some(u) = unchanged(window.labels(), &crate::manifest::input_files(&loaded.raw))? {
            return Ok(u);
        }
    }
    let counted = parts.as_mut().map(|(m, _)| std::mem::take(&mut m.rows));
    let of = match parts {
        Some((m, dir)) => FactsOf::Merged(Box::new(m), dir),
        None => FactsOf::Own,
    };
    let facts = window_facts_freeing(plan, &mut loaded, (window, of), timings)?;
    // Only the facts read the sweep's amounts (freed as they were read) and the invoices' and
    // events' rows: freed, and given back, before scoring and the output tables take memory of
    // their own (see `Ledger::free_rows`).
    let held = loaded.ledger.free_rows();
    // A merge counts the large tables' rows from its parts.
    let held = counted.as_ref().map_or(held, merged::held);
    crate::memory::give_back();
    let sc = score_facts(plan, &loaded, facts, timings)?;
    let mut problems = loaded.problems.clone();
    problems.extend(sc.problems.clone());
    let problems = problems.into_result().map_err(Error::Rules)?;
    let inputs = reconcile::inputs(
        plan,
        &loaded.raw,
        (&loaded.ledger, &held),
        &problems,
        &sc.problems,
    )?;
    let mut t = std::time::Instant::now();
    let mut files = partitions(plan, &loaded.ledger, &sc)?;
    let rejects = WholeTable {
        table: OutputTable::Rejects,
        df: crate::rejects::frame(&problems, &loaded.raw)
            .map_err(Error::polars("building the rejects table"))?,
    };
    files.push(rejects.encode(plan.compression, plan.compression_level)?);
    timings.lap("output tables", &mut t);
    let mut written: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut rejected = 0;
    for f in &files {
        match &f.period {
            Some(period) => {
                written
                    .entry(f.table.name().to_string())
                    .or_default()
                    .insert(period.clone(), f.rows);
            }
            None => rejected = f.rows,
        }
    }
    let periods = window.labels();
    let files = output.commit(run_id, &files)?;
    timings.lap("write parquet", &mut t);
    timings.done();
    let mut manifest = Manifest::new(
        plan,
        run_id,
        window.cal.grain.name(),
        periods,
        inputs,
        written,
        rejected,
        sc.scored.not_rated.clone(),
        files,
        started,
        std::mem::take(timings),
    );
    manifest.guidance = guidance(plan, &sc);
    manifest.checkpoint = Some(checkpoint);
    manifest.asked = Some(asked);
    manifest.write(output)?;
    Ok(Ran::Wrote(Box::new(manifest)))
}
