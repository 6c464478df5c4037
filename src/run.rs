//! A run: read and check the sources, compute the window's metrics, write the outputs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::Plan;
use crate::error::Error;
use crate::ledger::{sweep, Swept};
use crate::manifest::{FailedRun, Manifest};
use crate::metrics::{compute, Facts, Window};
use crate::model::Ledger;
use crate::output::{OutputDir, Partition, WholeTable};
use crate::periods::{Calendar, Day, Grain};
use crate::reconcile;
use crate::scorecards::Card;
use crate::scoring::{Scored, ScoringInputs};
use crate::sources::parse::{Policy, Problems};
use crate::sources::{self, RawTable};
use crate::tables::Table;

/// What a run computes, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// A period label, or `previous`: the last period that has ended.
    pub period: Option<String>,
    /// The day `previous` counts back from (`YYYY-MM-DD`); today in the pipeline's zone if unset.
    pub as_of: Option<String>,
    /// Run even when the last run wrote the same periods from the same inputs and pipeline.
    pub force: bool,
    /// Show a spinner with the phase on stderr when it is a terminal.
    pub progress: bool,
    pub from: Option<String>,
    pub to: Option<String>,
    pub grain: Option<Grain>,
    pub out: Option<PathBuf>,
}

/// The loaded, checked input.
pub struct Loaded {
    pub raw: Vec<RawTable>,
    pub ledger: Ledger,
    pub swept: Swept,
    /// The rows left out: quarantined, or rejected with a row they reference.
    pub problems: Problems,
}

/// Wall time of each phase of a run, in milliseconds; on a terminal, a spinner shows the phase
/// last finished as the run goes.
#[derive(Debug, Default)]
pub struct Timings {
    pub laps: Vec<(String, u128)>,
    bar: Option<indicatif::ProgressBar>,
}

impl Serialize for Timings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.laps.serialize(s)
    }
}

impl Timings {
    /// Timings with a spinner on stderr. It draws only when stderr is a terminal.
    pub fn with_progress() -> Self {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar.set_message("reading the sources");
        Timings {
            laps: Vec::new(),
            bar: Some(bar),
        }
    }

    fn lap(&mut self, phase: &str, since: &mut std::time::Instant) {
        let ms = since.elapsed().as_millis();
        self.laps.push((phase.to_string(), ms));
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{phase}: {ms} ms"));
        }
        *since = std::time::Instant::now();
    }

    /// Clears the spinner.
    fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
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
fn load_timed(plan: &Plan, timings: &mut Timings) -> Result<Loaded, Error> {
    let raw = read_sources(plan, timings)?;
    Ok(check_sources(plan, raw, timings))
}

/// Reads every source, each file once.
fn read_sources(plan: &Plan, timings: &mut Timings) -> Result<Vec<RawTable>, Error> {
    let mut t = std::time::Instant::now();
    let mut raw = Vec::new();
    for src in &plan.sources {
        raw.push(sources::read(plan, src)?);
        timings.lap(&format!("read {}", src.table.name()), &mut t);
    }
    Ok(raw)
}

/// Checks the sources read against the contract and applies the invoice events.
fn check_sources(plan: &Plan, mut raw: Vec<RawTable>, timings: &mut Timings) -> Loaded {
    let mut t = std::time::Instant::now();
    let mut problems = Problems::new(Policy::of(plan));
    let mut ledger = sources::parse::parse(&raw, &plan.base_currency, plan.timezone, &mut problems);
    timings.lap("check and type", &mut t);
    // What the rest of the run reads of the raw tables: the ids that order same-day events, and
    // every column of the rows to reject: those that broke a rule so far, those of the scoring
    // tables, which scoring checks, and, when they quarantine, those of collections and
    // write-offs, which the balance rules check next. The rest is freed before the invoice events
    // are applied, so that their memory is reused rather than fresh pages the kernel must zero.
    let policy = problems.policy();
    for r in &mut raw {
        let keep_all = matches!(r.table, Table::Targets | Table::Adjustments)
            || (matches!(r.table, Table::Collections | Table::WriteOffs)
                && policy.quarantines(r.table))
            || problems.breaks.iter().any(|b| b.table == r.table);
        if !keep_all {
            r.retain_columns(&["collection_id", "write_off_id"]);
        }
    }
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

/// The periods named by the options or the pipeline, resolved before any data is read: a bad
/// label fails at once.
#[derive(Debug, Clone, Copy)]
pub struct PeriodSpec {
    pub cal: Calendar,
    pub from: Option<i32>,
    pub to: Option<i32>,
}

impl RunOptions {
    /// Resolves the period options against the pipeline.
    pub fn periods(&self, plan: &Plan) -> Result<PeriodSpec, Error> {
        let cal = plan.calendar(self.grain.unwrap_or(plan.grain));
        let parse = |s: &str| cal.parse_label(s).map_err(Error::BadPeriod);
        let (from, to) = if self.period.as_deref() == Some("previous") {
            let p = cal.period_of_day(self.today(plan)?) - 1;
            (Some(p), Some(p))
        } else if self.as_of.is_some() {
            return Err(Error::BadOption(
                "--as-of sets the day `--period previous` counts back from: give both".into(),
            ));
        } else if let Some(p) = &self.period {
            let p = parse(p)?;
            (Some(p), Some(p))
        } else if self.from.is_some() || self.to.is_some() {
            (
                self.from.as_deref().map(parse).transpose()?,
                self.to.as_deref().map(parse).transpose()?,
            )
        } else if let Some((f, t)) = &plan.periods {
            // Written at the pipeline's grain; `--grain` may read them at another.
            let (f, t) = cal.cover(f, t).map_err(Error::BadPeriod)?;
            (Some(f), Some(t))
        } else {
            (None, None)
        };
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(Error::BadOption(format!(
                    "--from {} is after --to {}",
                    cal.label(f),
                    cal.label(t)
                )));
            }
        }
        Ok(PeriodSpec { cal, from, to })
    }

    /// The day a run counts `previous` back from: `--as-of`, or today in the pipeline's time
    /// zone.
    fn today(&self, plan: &Plan) -> Result<Day, Error> {
        match &self.as_of {
            Some(s) => crate::periods::parse_day(s).ok_or_else(|| {
                Error::BadOption(format!(
                    "--as-of `{s}` is not a date YYYY-MM-DD, e.g. 2026-11-05"
                ))
            }),
            None => Ok(crate::periods::day_from_date(
                chrono::Utc::now()
                    .with_timezone(&plan.timezone)
                    .date_naive(),
            )),
        }
    }
}

impl PeriodSpec {
    /// The window, taking what the options leave open from the ledger's extent.
    pub fn window(&self, l: &Ledger) -> Result<Window, Error> {
        let cal = self.cal;
        let extent = || {
            data_extent(l).ok_or(Error::EmptyLedger {
                hint: "name the periods with --period or --from/--to",
            })
        };
        let first = match self.from {
            Some(f) => f,
            None => cal.period_of_day(extent()?.0),
        };
        let last = match self.to {
            Some(t) => t,
            None => cal.period_of_day(extent()?.1),
        };
        if first > last {
            return Err(Error::BadOption(format!(
                "--from {} is after the last ledger period {}",
                cal.label(first),
                cal.label(last)
            )));
        }
        Ok(Window { cal, first, last })
    }
}

/// The periods a run covers.
pub fn window(plan: &Plan, l: &Ledger, opts: &RunOptions) -> Result<Window, Error> {
    opts.periods(plan)?.window(l)
}

/// First purchase day and last event day of the ledger.
fn data_extent(l: &Ledger) -> Option<(Day, Day)> {
    let lo = *l.invoices.purchase.iter().min()?;
    let hi = [
        &l.invoices.purchase,
        &l.collections.date,
        &l.write_offs.date,
        &l.fees.date,
    ]
    .iter()
    .filter_map(|v| v.iter().max())
    .max()
    .copied()?;
    Some((lo, hi))
}

/// Computes the facts of a window from loaded input.
pub fn facts(loaded: &Loaded, window: Window) -> Facts {
    compute(&loaded.ledger, &loaded.swept, window)
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
}

/// Computes and scores every row of `window`. Fails on a rule break of scoring's inputs that
/// does not quarantine.
pub fn score_window<'l>(
    plan: &Plan,
    loaded: &'l Loaded,
    window: Window,
) -> Result<Scorecards<'l>, Error> {
    let mut sc = score_window_timed(plan, loaded, window, &mut Timings::default());
    let problems = std::mem::take(&mut sc.problems);
    sc.problems = problems.into_result().map_err(Error::Rules)?;
    Ok(sc)
}

fn score_window_timed<'l>(
    plan: &Plan,
    loaded: &'l Loaded,
    window: Window,
    timings: &mut Timings,
) -> Scorecards<'l> {
    let mut t = std::time::Instant::now();
    let scored_window = Window {
        first: window.first - 1,
        ..window
    };
    let facts = facts(loaded, scored_window);
    timings.lap("metrics", &mut t);
    let cards = crate::scorecards::cards(&loaded.ledger, &scored_window);
    let raw = |t: Table| loaded.raw.iter().find(|r| r.table == t);
    let (et, ea) = (
        RawTable::empty(Table::Targets),
        RawTable::empty(Table::Adjustments),
    );
    // A targets row that breaks a rule only once a plan fills it is found while scoring; when
    // targets quarantine, it leaves and the rows that chose it are scored again without it.
    let mut left_out_targets: Vec<u32> = Vec::new();
    let mut kept = loaded.problems.child();
    let (scored, problems) = loop {
        let inputs = ScoringInputs {
            targets: raw(Table::Targets).unwrap_or(&et),
            adjustments: raw(Table::Adjustments).unwrap_or(&ea),
            left_out_targets: &left_out_targets,
        };
        let mut p = loaded.problems.child();
        let scored = crate::scoring::score(
            &plan.plans,
            &loaded.ledger,
            &facts,
            &cards,
            1,
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
            break (scored, kept);
        }
        left_out_targets.extend(new);
        left_out_targets.sort_unstable();
        left_out_targets.dedup();
        kept.breaks
            .extend(p.breaks.into_iter().filter(|b| b.table == Table::Targets));
    };
    timings.lap("scores", &mut t);
    Scorecards {
        facts,
        cards,
        scored,
        first_written: 1,
        problems,
        left_out_targets,
    }
}

/// The output tables of every written period: scorecards, kpi_scores and rollups, built on as
/// many threads as there are cores, a run of periods each.
fn partitions(plan: &Plan, l: &Ledger, sc: &Scorecards) -> Result<Vec<Partition>, Error> {
    let periods: Vec<usize> = (sc.first_written..sc.cards.len()).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = periods.len().div_ceil(threads).max(1);
    let built: Vec<Result<Vec<Partition>, Error>> = std::thread::scope(|scope| {
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

/// The three tables of the periods `ks` (indexes into the scored window).
fn period_tables(
    plan: &Plan,
    l: &Ledger,
    sc: &Scorecards,
    ks: &[usize],
) -> Result<Vec<Partition>, Error> {
    let w = sc.facts.window;
    let grain = w.cal.grain.name();
    let mut parts = Vec::with_capacity(ks.len() * 3);
    for &k in ks {
        let (cards, scores) = (&sc.cards[k], &sc.scored.rows[k]);
        let period = w.cal.label(w.first + k as i32);
        let what = "building the output tables";
        let tables = [
            (
                "scorecards",
                crate::scorecards::frame(l, &sc.facts, cards, scores),
            ),
            (
                "kpi_scores",
                crate::kpi_scores::frame(&plan.plans, l, cards, scores),
            ),
            (
                "rollups",
                crate::rollups::frame(&sc.facts, k, cards, scores),
            ),
        ];
        for (table, df) in tables {
            parts.push(Partition {
                table,
                grain,
                period: period.clone(),
                df: df.map_err(Error::polars(what))?,
            });
        }
    }
    Ok(parts)
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
    let output = OutputDir::open(&out_dir)?;
    let run_id = format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    let result = run_locked(
        plan,
        spec,
        opts.force,
        opts.progress,
        &output,
        &out_dir,
        &run_id,
        started,
    );
    if let Err(e) = &result {
        if output.existed() {
            let record = FailedRun::new(plan, &run_id, started, e);
            // The failure being reported matters more than a record of it that cannot be written.
            let _ = record.write(&out_dir);
        }
    }
    result
}

/// A run once its output folder is locked. Unless `force`, a run whose periods, inputs and
/// pipeline are those of the last run stops as soon as it knows: after reading the files when
/// the periods are named, after checking them when the data gives the periods.
#[allow(clippy::too_many_arguments)]
fn run_locked(
    plan: &Plan,
    spec: PeriodSpec,
    force: bool,
    progress: bool,
    output: &OutputDir,
    out_dir: &std::path::Path,
    run_id: &str,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<Ran, Error> {
    let mut timings = if progress {
        Timings::with_progress()
    } else {
        Timings::default()
    };
    let ran = run_timed(
        plan,
        spec,
        force,
        output,
        out_dir,
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
    force: bool,
    output: &OutputDir,
    out_dir: &std::path::Path,
    run_id: &str,
    started: chrono::DateTime<chrono::Utc>,
    timings: &mut Timings,
) -> Result<Ran, Error> {
    let raw = read_sources(plan, timings)?;
    // The committed snapshot, which the last manifest must describe: a run killed between its
    // commit and its manifest leaves the previous run's manifest beside its own tables.
    let committed = output.current()?;
    let unchanged = |window: Window, raw: &[RawTable]| {
        let periods: Vec<String> = window.periods().map(|p| window.cal.label(p)).collect();
        let last = crate::manifest::same_run(out_dir, plan, window.cal.grain.name(), &periods, raw);
        last.filter(|id| Some(id) == committed.as_ref())
            .map(|run_id| Ran::Unchanged { run_id, periods })
    };
    if let (false, Some(first), Some(last)) = (force, spec.from, spec.to) {
        let window = Window {
            cal: spec.cal,
            first,
            last,
        };
        if let Some(u) = unchanged(window, &raw) {
            return Ok(u);
        }
    }
    let loaded = check_sources(plan, raw, timings);
    let window = spec.window(&loaded.ledger)?;
    if !force && (spec.from.is_none() || spec.to.is_none()) {
        if let Some(u) = unchanged(window, &loaded.raw) {
            return Ok(u);
        }
    }
    let sc = score_window_timed(plan, &loaded, window, timings);
    let mut problems = loaded.problems.clone();
    problems.extend(sc.problems.clone());
    let problems = problems.into_result().map_err(Error::Rules)?;
    let inputs = reconcile::inputs(plan, &loaded.raw, &loaded.ledger, &problems, &sc.problems)?;
    let mut t = std::time::Instant::now();
    let mut parts = partitions(plan, &loaded.ledger, &sc)?;
    let rejects = crate::rejects::frame(&problems, &loaded.raw)
        .map_err(Error::polars("building the rejects table"))?;
    timings.lap("output tables", &mut t);
    let mut written: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
    for p in &parts {
        written
            .entry(p.table)
            .or_default()
            .insert(p.period.clone(), p.df.height());
    }
    let rejected = rejects.height();
    let periods: Vec<String> = window.periods().map(|p| window.cal.label(p)).collect();
    let mut whole = [WholeTable {
        table: "rejects",
        df: rejects,
    }];
    let files = output.commit(
        run_id,
        &mut parts,
        &mut whole,
        plan.compression,
        plan.compression_level,
    )?;
    timings.lap("write parquet", &mut t);
    timings.done();
    let manifest = Manifest::new(
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
    manifest.write(out_dir)?;
    Ok(Ran::Wrote(Box::new(manifest)))
}

/// What a run would do, found without writing anything.
pub struct DryRun {
    pub grain: &'static str,
    pub periods: Vec<String>,
    /// The partition folders it would replace, relative to the output folder.
    pub partitions: Vec<String>,
}

/// The periods and partitions a run with `opts` would replace. Reads the data only when the
/// options and the pipeline leave the window open.
pub fn dry_run(plan: &Plan, opts: &RunOptions) -> Result<DryRun, Error> {
    let spec = opts.periods(plan)?;
    let window = match (spec.from, spec.to) {
        (Some(first), Some(last)) => Window {
            cal: spec.cal,
            first,
            last,
        },
        _ => spec.window(&load(plan)?.ledger)?,
    };
    let grain = window.cal.grain.name();
    let periods: Vec<String> = window.periods().map(|p| window.cal.label(p)).collect();
    let partitions = ["scorecards", "kpi_scores", "rollups"]
        .iter()
        .flat_map(|t| {
            periods
                .iter()
                .map(move |p| format!("{t}/grain={grain}/period={p}/"))
        })
        .collect();
    Ok(DryRun {
        grain,
        periods,
        partitions,
    })
}
