//! A run: read and check the sources, compute the window's metrics, write the outputs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::Plan;
use crate::error::Error;
use crate::ledger::{sweep, Swept};
use crate::metrics::{compute, Facts, Window};
use crate::model::Ledger;
use crate::output::{Output, Partition, WholeTable};
use crate::periods::{Calendar, Day, Grain};
use crate::reconcile::{self, InputReport};
use crate::scorecards::Card;
use crate::scoring::{Scored, ScoringInputs};
use crate::sources::parse::{Policy, Problems};
use crate::sources::{self, RawTable};
use crate::tables::Table;

/// What a run computes, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub period: Option<String>,
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

/// Wall time of each phase of a run, in milliseconds.
#[derive(Debug, Default, Serialize)]
pub struct Timings(pub Vec<(String, u128)>);

impl Timings {
    fn lap(&mut self, phase: &str, since: &mut std::time::Instant) {
        self.0
            .push((phase.to_string(), since.elapsed().as_millis()));
        *since = std::time::Instant::now();
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
    let mut t = std::time::Instant::now();
    let mut raw = Vec::new();
    for src in &plan.sources {
        raw.push(sources::read(plan, src)?);
        timings.lap(&format!("read {}", src.table.name()), &mut t);
    }
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
    Ok(Loaded {
        raw,
        ledger,
        swept,
        problems,
    })
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
        let (from, to) = if let Some(p) = &self.period {
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

/// The run manifest: lineage of every output.
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub run_id: String,
    pub tool: &'static str,
    pub version: &'static str,
    pub pipeline: String,
    pub pipeline_name: String,
    pub pipeline_sha256: String,
    pub grain: &'static str,
    pub periods: Vec<String>,
    pub inputs: Vec<InputReport>,
    pub scorecard_rows: usize,
    /// Rows written per output table.
    pub rows_written: BTreeMap<&'static str, usize>,
    /// Scorecard rows whose role had no plan in force, per role.
    pub not_rated: BTreeMap<String, usize>,
    pub files: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    /// Milliseconds per phase.
    pub timings_ms: Timings,
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

/// A whole run. Returns the manifest it wrote.
pub fn run(plan: &Plan, opts: &RunOptions) -> Result<Manifest, Error> {
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
    let mut timings = Timings::default();
    let loaded = load_timed(plan, &mut timings)?;
    let window = spec.window(&loaded.ledger)?;
    let sc = score_window_timed(plan, &loaded, window, &mut timings);
    let mut problems = loaded.problems.clone();
    problems.extend(sc.problems.clone());
    let problems = problems.into_result().map_err(Error::Rules)?;
    let inputs = reconcile::inputs(plan, &loaded.raw, &loaded.ledger, &problems, &sc.problems)?;
    let mut t = std::time::Instant::now();
    let mut parts = partitions(plan, &loaded.ledger, &sc)?;
    let rejects = crate::rejects::frame(&problems, &loaded.raw)
        .map_err(Error::polars("building the rejects table"))?;
    timings.lap("output tables", &mut t);
    let grain = window.cal.grain.name();
    let mut rows = BTreeMap::new();
    for p in &parts {
        *rows.entry(p.table).or_insert(0) += p.df.height();
    }
    rows.insert("rejects", rejects.height());
    let periods: Vec<String> = window.periods().map(|p| window.cal.label(p)).collect();
    let mut whole = [WholeTable {
        table: "rejects",
        df: rejects,
    }];
    let files = output.commit(
        &run_id,
        &mut parts,
        &mut whole,
        plan.compression,
        plan.compression_level,
    )?;
    timings.lap("write parquet", &mut t);
    let manifest = Manifest {
        run_id: run_id.clone(),
        tool: "factorscore",
        version: env!("CARGO_PKG_VERSION"),
        pipeline: plan.file.display().to_string(),
        pipeline_name: plan.name.clone(),
        pipeline_sha256: plan.hash.clone(),
        grain,
        periods,
        inputs,
        scorecard_rows: rows.get("scorecards").copied().unwrap_or(0),
        rows_written: rows,
        not_rated: sc.scored.not_rated.clone(),
        files: files
            .iter()
            .map(|f| f.strip_prefix(&out_dir).unwrap_or(f).display().to_string())
            .collect(),
        started_at: started.to_rfc3339(),
        finished_at: chrono::Utc::now().to_rfc3339(),
        timings_ms: timings,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(Error::Json)?;
    output.write_manifest(&run_id, &json)?;
    Ok(manifest)
}
