//! A run's facts as one machine and N machines compute them (issue 17): the built-in facts and
//! custom aggregates of a ledger as one part of a run ([`part_of`], [`custom_part_placed`]),
//! and the facts of parts added up, checked against the run and completed with its derived
//! custom metrics ([`merged_facts`]). `shard` writes a part; `merge` adds N; `run` adds the one
//! part of its own ([`window_facts_freeing`]).

use std::path::Path;

use super::load::{custom_facts, scored_window, timed, Loaded};
use crate::catalogue::CustomTable;
use crate::config::Plan;
use crate::error::Error;
use crate::metrics::custom;
use crate::metrics::custom::parts::CustomPart;
use crate::metrics::custom::rows::Source;
use crate::metrics::{Facts, Window};
use crate::partials::{self, Partial, Run};
use crate::timings::Timings;

/// What every part of this run shares, from its facts' window and the inputs read.
pub(super) fn run_of(
    plan: &Plan,
    inputs: &[crate::manifest::InputFiles],
    (w, entities): (Window, usize),
    count: u64,
) -> Run {
    let inputs = serde_json::to_vec(inputs).unwrap_or_default();
    Run {
        version: env!("CARGO_PKG_VERSION").to_string(),
        pipeline_sha256: plan.hash.clone(),
        inputs_xxh3: format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&inputs)),
        grain: w.cal.grain.name().to_string(),
        first: w.cal.label(w.first),
        last: w.cal.label(w.last),
        entities,
        count,
    }
}

/// The built-in facts of `loaded`'s ledger over `window` (scored), as part `index` of `count` of
/// a run: what `shard` writes, and what `run` merges as the one part of its own.
pub(super) fn part_of(
    plan: &Plan,
    inputs: &[crate::manifest::InputFiles],
    (ledger, swept): (&crate::model::Ledger, &crate::ledger::Swept),
    window: Window,
    (index, count): (u64, u64),
) -> Partial {
    let f = crate::metrics::compute(ledger, swept, window, false);
    let run = run_of(plan, inputs, (f.window, f.entities), count);
    Partial::of(f, run, index)
}

/// The custom aggregates of a part's rows over `window`, when the run has any, each grouped row placed by `place` (its table, its fact, its period index).
pub(super) fn custom_part_placed(
    plan: &Plan,
    raw: &[crate::raw::RawTable],
    (l, s): (&crate::model::Ledger, &crate::ledger::Swept),
    window: Window,
    place: &(dyn Fn(CustomTable, u32, usize) -> u64 + Sync),
) -> Result<Option<CustomPart>, Error> {
    let cat = &plan.catalogue;
    if cat.custom.iter().all(|m| m.aggregate().is_none()) {
        return Ok(None);
    }
    let entities = l.employees.ids.len() + 1;
    let unassigned = (entities - 1) as u32;
    let credited = crate::metrics::credited(l, window, unassigned);
    let src = Source {
        l,
        s,
        raw,
        tz: plan.timezone,
        window,
        unassigned,
        credited: &credited,
    };
    let part = crate::metrics::custom::parts::part(cat, &src, entities, place)
        .map_err(Error::polars("computing the custom metrics of a part"))?;
    Ok(Some(part))
}

/// The facts of a merge: `merged` (of [`Parts::read`]) checked against this run's pipeline,
/// inputs and window, then the custom metrics computed on them and the ledger as a run does.
pub(super) fn merged_facts(
    plan: &Plan,
    loaded: &super::Loaded,
    (merged, dir): (Partial, &Path),
    window: Window,
) -> Result<Facts, Error> {
    let window = scored_window(plan, window);
    let inputs = crate::manifest::input_files(&loaded.raw);
    let entities = loaded.ledger.employees.ids.len() + 1;
    let want = run_of(plan, &inputs, (window, entities), merged.run.count);
    // Parts from buckets may cover more periods than the run (see `shard`): the run's are kept.
    let mut merged = merged;
    let held = merged.trim(&want.first, &want.last);
    let what = partials::differs(&want, &merged.run);
    if let Some(what) = what.or((!held).then_some("the periods")) {
        return Err(Error::PartsOfAnotherRun {
            dir: dir.to_path_buf(),
            what,
        });
    }
    let custom = merged.custom.take();
    let mut f = merged.into_facts(window);
    let aggregates = plan
        .catalogue
        .custom
        .iter()
        .any(|m| m.aggregate().is_some());
    if aggregates && custom.is_none() {
        f.credited = crate::metrics::credited(&loaded.ledger, window, f.unassigned());
    }
    custom_facts(plan, loaded, &loaded.swept, (f, custom))
}
/// Where a run's built-in facts come from.
pub(super) enum FactsOf<'p> {
    /// The run's own ledger, as part 0 of 1 of its own.
    Own,
    /// A merge's parts, read and added up before the inputs (see [`super::merged`]).
    Merged(Box<crate::partials::Partial>, &'p std::path::Path),
}

/// A run's facts over `window` (the unscored window), as one machine and N machines compute
/// them: the parts of a merge, or the built-in facts of the whole ledger as part 0 of 1 of its
/// own ([`super::shard::part_of`]), merged as `merge` merges N ([`super::shard::merged_facts`]).
/// The sweep's and the ledger's amounts that the custom metrics do not read are freed before the
/// parts are read or merged.
fn facts_freeing(
    plan: &Plan,
    loaded: &mut Loaded,
    window: Window,
    of: FactsOf,
) -> Result<Facts, Error> {
    let (merged, dir) = match of {
        FactsOf::Merged(m, dir) => {
            free_unread_amounts(plan, loaded);
            (*m, dir)
        }
        FactsOf::Own => {
            let scored = scored_window(plan, window);
            let inputs = crate::manifest::input_files(&loaded.raw);
            let rows = (&loaded.ledger, &loaded.swept);
            let mut part = part_of(plan, &inputs, rows, scored, (0, 1));
            free_unread_amounts(plan, loaded);
            // Its custom aggregates as a shard keeps them: its rows are one machine's, in order.
            let rows = (&loaded.ledger, &loaded.swept);
            let in_order = &custom::parts::in_model_order;
            part.custom = custom_part_placed(plan, &loaded.raw, rows, scored, in_order)?;
            // Its one part is of this run: the folder an error of another run's parts would
            // name is none.
            (partials::merge(vec![part])?, Path::new(""))
        }
    };
    merged_facts(plan, loaded, (merged, dir), window)
}

/// Frees the sweep's and the ledger's amounts that the custom metrics do not read, once the
/// built-in facts are computed.
fn free_unread_amounts(plan: &Plan, loaded: &mut Loaded) {
    custom::amounts::free_unread(&plan.catalogue, &mut loaded.swept);
    loaded.ledger.free_amounts();
    crate::memory::give_back();
}

/// [`window_facts`] for a run, which frees the sweep's amounts as the facts read them: `loaded`
/// has none left after.
pub(super) fn window_facts_freeing(
    plan: &Plan,
    loaded: &mut Loaded,
    (window, of): (Window, FactsOf),
    timings: &mut Timings,
) -> Result<Facts, Error> {
    timed(timings, || facts_freeing(plan, loaded, window, of))
}
