//! Loading on the output's checkpoint ([`crate::checkpoint`]): a run whose older input files
//! are unchanged reads and checks only the files added since, on the checkpoint's rows; any doubt
//! and it reads every file, as a run without a checkpoint does. Either way a run that leaves no
//! row out writes its segment, and the manifest says which way it went and why.

use std::time::Instant;

use crate::checkpoint::{self, CheckpointUse, Marks, Prior, Segment, WhyNot};
use crate::config::Plan;
use crate::error::Error;
use crate::output::{Output, OutputDir};
use crate::sources::InputFiles;
use crate::tables::Table;
use crate::timings::Timings;

use super::load::{apply_events, fingerprint_sources, Loaded};
use super::stream::{free_event_ids, read_and_check, Start};

/// The loaded rows, with what a segment of them needs.
struct Done {
    loaded: Loaded,
    /// The sorted hashes of the event tables' ids: of the new rows, or of all of them.
    hashes: Vec<(Table, Vec<u64>)>,
    from: Marks,
    skip: [usize; 5],
}

/// Segments a run on the checkpoint adds to before it writes one of all the rows instead (a year
/// of monthly runs): each segment holds the run's employees and rates, so their number is kept
/// small, and reading one file per table is the fastest.
const MERGE_AFTER: usize = 12;

/// Reads and checks the input, on the checkpoint of a local output when it can be used, and
/// writes the run's segment. `full` reads every file; `inputs`, the inputs' fingerprints if the
/// run took them already.
pub(super) fn load(
    plan: &Plan,
    (output, run_id): (&Output, &str),
    (full, inputs): (bool, Option<Vec<InputFiles>>),
    timings: &mut Timings,
) -> Result<(Loaded, CheckpointUse), Error> {
    let Output::Local(dir, _) = output else {
        let loaded = super::load::load_timed(plan, timings)?;
        let note = CheckpointUse {
            read_all_because: Some("checkpoints are kept in local output folders only".into()),
            ..CheckpointUse::default()
        };
        return Ok((loaded, note));
    };
    if !plan.checkpoint {
        // Nor is an older one kept: it would only take room.
        dir.drop_checkpoint();
        let loaded = super::load::load_timed(plan, timings)?;
        let note = CheckpointUse {
            read_all_because: Some("the pipeline's output.checkpoint is false".into()),
            ..CheckpointUse::default()
        };
        return Ok((loaded, note));
    }
    let mut note = CheckpointUse::default();
    let prior = match (full, dir.current()?) {
        (true, _) => Err("asked for with --full".to_string()),
        (false, None) => Err("the output folder has no checkpoint".to_string()),
        (false, Some(cur)) => {
            let mut t = Instant::now();
            let fingerprint = || match &inputs {
                Some(i) => Ok(i.clone()),
                None => fingerprint_sources(plan),
            };
            let prior = Prior::open(&dir.snapshot(&cur), plan, &fingerprint)?;
            timings.lap("read checkpoint", &mut t);
            prior
        }
    };
    let done = match prior {
        Ok(prior) => {
            note.segments = prior.segments;
            note.files_reused = prior.skips().iter().sum();
            on_checkpoint(plan, prior, timings)?
        }
        Err(why) => Err(why),
    };
    let done = match done {
        Ok(done) => {
            note.used = true;
            done
        }
        Err(why) => {
            note = CheckpointUse {
                read_all_because: Some(why),
                ..CheckpointUse::default()
            };
            read_all(plan, timings)?
        }
    };
    note.written = write_segment(plan, dir, run_id, &done, timings)?;
    // The id hashes, the event ids and what writing the segment took are freed and given back
    // before the metrics take memory of their own.
    let Done { mut loaded, .. } = done;
    free_event_ids(plan, &mut loaded.raw, &loaded.problems);
    crate::memory::give_back();
    Ok((loaded, note))
}

/// Reads and checks every file, keeping the event tables' id hashes for a segment of all rows.
fn read_all(plan: &Plan, timings: &mut Timings) -> Result<Done, Error> {
    let start = Start {
        hashes: true,
        ..Start::nothing()
    };
    let c = read_and_check(plan, timings, start)?;
    Ok(Done {
        loaded: apply_events(c.raw, c.ledger, c.problems, timings),
        hashes: c.hashes,
        from: Marks::default(),
        skip: [0; 5],
    })
}

/// Writes the run's segment into the snapshot it is building, when it left no row out: of all
/// the rows (replacing the committed checkpoint), or of its new files' rows (none without new
/// files). Whether it wrote one.
fn write_segment(
    plan: &Plan,
    dir: &OutputDir,
    run_id: &str,
    done: &Done,
    timings: &mut Timings,
) -> Result<bool, Error> {
    let mut t = Instant::now();
    let files = |t: Table| {
        let r = done.loaded.raw.iter().find(|r| r.table == t);
        r.map_or(0, |r| r.files.len())
    };
    let added = checkpoint::HELD
        .iter()
        .zip(done.skip)
        .any(|(&t, held)| files(t) > held);
    let whole = done.from == Marks::default();
    if !done.loaded.problems.is_empty() || !(added || whole) {
        return Ok(false);
    }
    let segment = Segment {
        ledger: &done.loaded.ledger,
        raw: &done.loaded.raw,
        hashes: &done.hashes,
        from: done.from,
        skip: done.skip,
    };
    let written = checkpoint::write(&dir.checkpoint_segment(run_id, whole), plan, &segment)?;
    timings.lap("write checkpoint", &mut t);
    Ok(written)
}

/// Reads and checks the files added since the checkpoint, on its rows. Why not, when a new row
/// breaks a rule or any doubt is found: the run then reads every file.
fn on_checkpoint(
    plan: &Plan,
    mut prior: Prior,
    timings: &mut Timings,
) -> Result<Result<Done, WhyNot>, Error> {
    let (from, skip, segments) = (prior.marks(), prior.skips(), prior.segments);
    let start = Start {
        ledger: prior.take_ledger(),
        skip,
        hashes: true,
        buckets: None,
        large: true,
    };
    let c = read_and_check(plan, timings, start)?;
    if !c.problems.is_empty() {
        return Ok(Err(LEFT_OUT.into()));
    }
    let mut t = Instant::now();
    let joined = match prior.join(c.ledger, c.raw, &c.hashes) {
        Ok(j) => j,
        Err(why) => return Ok(Err(why)),
    };
    timings.lap("join checkpoint", &mut t);
    // After a year of segments, one of all the rows replaces them.
    let whole = (segments >= MERGE_AFTER).then(|| joined.all_hashes(&c.hashes));
    let loaded = apply_events(joined.raw, joined.ledger, c.problems, timings);
    if !loaded.problems.is_empty() {
        return Ok(Err(LEFT_OUT.into()));
    }
    if let Some(hashes) = whole {
        return Ok(Ok(Done {
            loaded,
            hashes,
            from: Marks::default(),
            skip: [0; 5],
        }));
    }
    Ok(Ok(Done {
        loaded,
        hashes: c.hashes,
        from,
        skip,
    }))
}

/// Why a run with rows to leave out reads every file.
const LEFT_OUT: &str = "rows of the new files break a rule: every row is checked again, so \
                        that they are listed as a run reading every file lists them";
