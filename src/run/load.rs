//! Reading, checking and scoring the input of a run, each phase timed.

use crate::cards::Card;
use crate::catalogue::Catalogue;
use crate::config::Plan;
use crate::config::ScorePlan;
use crate::error::Error;
use crate::ledger::{sweep, Swept};
use crate::manifest::InputFiles;
use crate::metrics::custom::parts::CustomPart;
use crate::metrics::custom::{self, rows::Source, GroupValues};
use crate::metrics::{compute, Facts, Window};
use crate::model::Ledger;
use crate::problems::Problems;
use crate::raw::RawTable;
use crate::scoring::{ForeignAppeals, Scored, ScoringInputs};
use crate::sources;
use crate::tables::Table;
use crate::timings::Timings;

/// The loaded, checked input.
pub struct Loaded {
    pub raw: Vec<RawTable>,
    pub ledger: Ledger,
    pub swept: Swept,
    /// The rows left out: quarantined, or rejected with a row they reference.
    pub problems: Problems,
}

/// Reads every source of the plan and checks it against the contract. Fails on a rule break
/// of a source that does not quarantine.
pub fn load(plan: &Plan) -> Result<Loaded, Error> {
    let mut loaded = load_timed(plan, &mut Timings::default())?;
    let problems = std::mem::take(&mut loaded.problems);
    loaded.problems = problems.into_result().map_err(Error::Rules)?;
    Ok(loaded)
}

/// Reads and checks every source. Rows that break a rule are recorded in the result's
/// `problems` and left out, so that a run can go on to find the rule breaks of scoring too and
/// report them all at once.
pub(super) fn load_timed(plan: &Plan, timings: &mut Timings) -> Result<Loaded, Error> {
    let c = super::stream::read_and_check(plan, timings, super::stream::Start::nothing())?;
    let mut loaded = apply_events(c.raw, c.ledger, c.problems, timings);
    super::stream::free_event_ids(plan, &mut loaded.raw, &loaded.problems);
    Ok(loaded)
}

/// Every source's files and their fingerprints, each file hashed and dropped before the next is
/// read.
pub(super) fn fingerprint_sources(plan: &Plan) -> Result<Vec<InputFiles>, Error> {
    plan.sources
        .iter()
        .map(|src| {
            Ok((
                src.table.name().to_string(),
                sources::fingerprints(plan, src)?,
            ))
        })
        .collect()
}

/// Applies the invoice events to the checked ledger: balances, and the balance rules.
pub(super) fn apply_events(
    raw: Vec<RawTable>,
    mut ledger: Ledger,
    mut problems: Problems,
    timings: &mut Timings,
) -> Loaded {
    let mut t = std::time::Instant::now();
    // The checks freed the text of the tables they checked.
    crate::memory::give_back();
    let empty = |t: Table| RawTable::empty(t);
    let find = |t: Table| raw.iter().find(|r| r.table == t);
    let (ec, ew) = (empty(Table::Collections), empty(Table::WriteOffs));
    let (rc, rw) = (
        find(Table::Collections).unwrap_or(&ec),
        find(Table::WriteOffs).unwrap_or(&ew),
    );
    let mut swept = sweep(&ledger, rc, rw, &mut problems);
    let balance_breaks =
        !swept.left_out_collections.is_empty() || !swept.left_out_write_offs.is_empty();
    if balance_breaks && !problems.fails() {
        // The events that break a balance rule leave; the sweep then gives the same balances
        // without them, and the per-event amounts line up with the events left.
        ledger.collections.drop_rows(&swept.left_out_collections);
        ledger.write_offs.drop_rows(&swept.left_out_write_offs);
        let mut again = problems.child();
        swept = sweep(&ledger, rc, rw, &mut again);
        problems.extend(again);
    }
    timings.lap("apply invoice events", &mut t);
    Loaded {
        raw,
        ledger,
        swept,
        problems,
    }
}

/// Computes the facts of a window from loaded input: the built-in metrics' sums, then the
/// pipeline's custom metrics.
pub fn facts(plan: &Plan, loaded: &Loaded, window: Window) -> Result<Facts, Error> {
    let custom = !plan.catalogue.custom.is_empty();
    let f = compute(&loaded.ledger, &loaded.swept, window, custom);
    custom_facts(plan, loaded, &loaded.swept, (f, None))
}

/// The custom metrics' facts, added to `f`, the built-in facts of the same window.
pub(super) fn custom_facts(
    plan: &Plan,
    loaded: &Loaded,
    swept: &Swept,
    (mut f, part): (Facts, Option<CustomPart>),
) -> Result<Facts, Error> {
    if plan.catalogue.custom.is_empty() {
        return Ok(f);
    }
    let (l, window) = (&loaded.ledger, f.window);
    let has_row = |e: u32, k: usize| {
        let p = window.first + k as i32;
        (e as usize) < l.employees.ids.len()
            && l.employees
                .days_employed(e, window.cal.start(p), window.cal.end(p))
                > 0
    };
    // A merge's parts carry the custom aggregates of their rows: added up, not computed again.
    if let Some(part) = part {
        f.custom = part
            .into_facts(&plan.catalogue, &f, &has_row)
            .map_err(Error::polars("adding up the parts' custom metrics"))?;
        return Ok(f);
    }
    let src = Source {
        l,
        s: swept,
        raw: &loaded.raw,
        tz: plan.timezone,
        window,
        unassigned: f.unassigned(),
        credited: &f.credited,
    };
    f.custom = custom::compute(&plan.catalogue, &src, &f, &has_row)
        .map_err(Error::polars("computing the custom metrics"))?;
    // Read by the custom metrics only.
    f.credited = Default::default();
    Ok(f)
}

/// Every scorecard row of a window and its scores. The facts and rows start one period before
/// the window, so that the review flag of the window's first period sees its previous
/// composite; `first_written` is the index of the window's first period.
pub struct Scorecards<'l> {
    pub facts: Facts,
    pub cards: Vec<Vec<Card<'l>>>,
    pub scored: Scored,
    pub first_written: usize,
    /// Rule breaks found while scoring (targets and adjustments rows).
    pub problems: Problems,
    /// Raw rows of `targets` left out while scoring, sorted.
    pub left_out_targets: Vec<u32>,
    /// The custom aggregates of every rollup group and period.
    pub custom_groups: GroupValues,
}

/// Computes and scores every row of `window`. Fails on a rule break of scoring's inputs that
/// does not quarantine.
pub fn score_window<'l>(
    plan: &Plan,
    loaded: &'l Loaded,
    window: Window,
) -> Result<Scorecards<'l>, Error> {
    let mut sc = score_window_timed(plan, loaded, window, &mut Timings::default())?;
    let problems = std::mem::take(&mut sc.problems);
    sc.problems = problems.into_result().map_err(Error::Rules)?;
    Ok(sc)
}

pub(super) fn score_window_timed<'l>(
    plan: &Plan,
    loaded: &'l Loaded,
    window: Window,
    timings: &mut Timings,
) -> Result<Scorecards<'l>, Error> {
    let facts = window_facts(plan, loaded, window, timings)?;
    score_facts(plan, loaded, facts, timings)
}

/// The facts [`score_facts`] scores: of `window` and the periods before it that scoring reads
/// (one for the review flag, and as many more as `lag` reads back). Only these read the
/// sweep's amounts.
pub(super) fn window_facts(
    plan: &Plan,
    loaded: &Loaded,
    window: Window,
    timings: &mut Timings,
) -> Result<Facts, Error> {
    timed(timings, || facts(plan, loaded, scored_window(plan, window)))
}

/// The facts `compute` gives, timed as the `metrics` phase.
pub(super) fn timed(
    timings: &mut Timings,
    compute: impl FnOnce() -> Result<Facts, Error>,
) -> Result<Facts, Error> {
    let mut t = std::time::Instant::now();
    let facts = compute()?;
    timings.lap("metrics", &mut t);
    Ok(facts)
}

/// The window whose facts scoring reads: `window` and the periods before it.
pub(super) fn scored_window(plan: &Plan, window: Window) -> Window {
    Window {
        first: window.first - periods_before(plan) as i32,
        ..window
    }
}

/// The periods before a window whose facts scoring reads: one for the review flag, and as many
/// more as `lag` reads back.
fn periods_before(plan: &Plan) -> usize {
    1 + custom::derived::lag_depth(&plan.catalogue)
}

/// Scores every row of the facts' window (see [`window_facts`]).
pub(super) fn score_facts<'l>(
    plan: &Plan,
    loaded: &'l Loaded,
    facts: Facts,
    timings: &mut Timings,
) -> Result<Scorecards<'l>, Error> {
    let mut t = std::time::Instant::now();
    let before = periods_before(plan);
    let scored_window = facts.window;
    let cards = crate::cards::cards(&loaded.ledger, &scored_window);
    let custom_groups = facts
        .custom
        .group_aggregates(&plan.catalogue, &crate::rollups::members(&cards));
    let scoring = score_plans(
        &plan.plans,
        &plan.catalogue,
        loaded,
        &facts,
        &cards,
        before,
        ForeignAppeals::Break,
    );
    timings.lap("scores", &mut t);
    Ok(Scorecards {
        facts,
        cards,
        scored: scoring.scored,
        first_written: before,
        problems: scoring.problems,
        left_out_targets: scoring.left_out_targets,
        custom_groups,
    })
}

/// The scores of one set of plans over the rows of a window, with the rule breaks found.
pub struct Scoring {
    pub scored: Scored,
    pub problems: Problems,
    /// Raw rows of `targets` left out, sorted.
    pub left_out_targets: Vec<u32>,
}

/// Scores `plans` over `cards`, whose first `first_written` periods are the look-back. A targets
/// row that breaks a rule only once a plan fills it is found while scoring; when targets
/// quarantine, it leaves and the rows that chose it are scored again without it.
pub fn score_plans(
    plans: &[ScorePlan],
    cat: &Catalogue,
    loaded: &Loaded,
    facts: &Facts,
    cards: &[Vec<Card>],
    first_written: usize,
    foreign_appeals: ForeignAppeals,
) -> Scoring {
    let raw = |t: Table| loaded.raw.iter().find(|r| r.table == t);
    let (et, ea) = (
        RawTable::empty(Table::Targets),
        RawTable::empty(Table::Adjustments),
    );
    let mut left_out_targets: Vec<u32> = Vec::new();
    let mut kept = loaded.problems.child();
    loop {
        let inputs = ScoringInputs {
            targets: raw(Table::Targets).unwrap_or(&et),
            adjustments: raw(Table::Adjustments).unwrap_or(&ea),
            left_out_targets: &left_out_targets,
            foreign_appeals,
        };
        let mut p = loaded.problems.child();
        let scored = crate::scoring::score(
            plans,
            &loaded.ledger,
            cat,
            facts,
            cards,
            first_written,
            &inputs,
            &mut p,
        );
        let quarantined = p.policy().quarantines(Table::Targets);
        let new: Vec<u32> = p
            .breaks
            .iter()
            .filter(|b| b.table == Table::Targets && quarantined)
            .map(|b| b.row)
            .collect();
        if new.is_empty() || p.fails() {
            kept.extend(p);
            return Scoring {
                scored,
                problems: kept,
                left_out_targets,
            };
        }
        left_out_targets.extend(new);
        left_out_targets.sort_unstable();
        left_out_targets.dedup();
        kept.breaks
            .extend(p.breaks.into_iter().filter(|b| b.table == Table::Targets));
    }
}
