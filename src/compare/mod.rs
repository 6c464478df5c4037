//! Comparing plans before they change (contract 5.4): the metrics of a window computed once, its
//! scorecard rows scored under the pipeline's plans (*current*, exactly as a run scores them) and
//! under a proposed set (*proposed*), each side with its own targets, appeals, calibration,
//! review flags and bonuses; then the rows side by side and the summaries a compensation
//! committee reads. `summary` renders them, `table` builds `plan_comparison`, `page` the HTML.

pub mod page;
pub mod summary;
pub mod table;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::config::{Plan, ScorePlan};
use crate::error::Error;
use crate::metrics::Window;
use crate::output::Partition;
use crate::outputs::OutputTable;
use crate::run::{Loaded, Scorecards, Scoring};
use crate::scoring::ForeignAppeals;

/// The two sides, in this order everywhere: `[current, proposed]`.
pub const SIDES: [&str; 2] = ["current", "proposed"];

/// The grade of a row that no plan of a side rates (5.4: `not rated` is a grade here).
pub const NOT_RATED: &str = "not rated";
/// The grade of a rated row without a composite (no KPI had a score).
pub const NO_GRADE: &str = "no grade";

/// A window scored under both plan sets.
pub struct Comparison<'l> {
    /// The current side, as a run computes it (facts, rows, scores).
    pub current: Scorecards<'l>,
    /// The proposed side's scores, parallel to `current.cards`.
    pub proposed: Scoring,
    /// The pipeline's plans and the proposed ones.
    pub current_plans: Vec<ScorePlan>,
    pub proposed_plans: Vec<ScorePlan>,
    /// Targets rows of the compared periods whose metric no plan of a side in force then scores:
    /// ignored on that side.
    pub ignored_targets: [usize; 2],
}

/// Scores `window` under the pipeline's plans and under `proposed`. The current side's rule
/// breaks fail as a run's would; an adjustment that fits no KPI of a proposed plan is ignored
/// on that side and counted, and any other rule break of the proposed side (a targets row out of
/// order once a proposed plan fills it) is reported like a run's.
pub fn compare<'l>(
    plan: &Plan,
    loaded: &'l Loaded,
    window: Window,
    proposed: Vec<ScorePlan>,
) -> Result<Comparison<'l>, Error> {
    let current = crate::run::score_window(plan, loaded, window)?;
    let scoring = crate::run::score_plans(
        &proposed,
        &plan.catalogue,
        loaded,
        &current.facts,
        &current.cards,
        current.first_written,
        ForeignAppeals::Ignore,
    );
    let problems = scoring.problems.clone();
    problems.into_result().map_err(Error::Rules)?;
    let ignored_targets = [
        ignored_targets(loaded, &current, &plan.plans),
        ignored_targets(loaded, &current, &proposed),
    ];
    Ok(Comparison {
        current,
        proposed: scoring,
        current_plans: plan.plans.clone(),
        proposed_plans: proposed,
        ignored_targets,
    })
}

/// Targets rows of the written periods (of the run's grain) whose metric is a KPI of no plan
/// in force in that period.
fn ignored_targets(loaded: &Loaded, sc: &Scorecards, plans: &[ScorePlan]) -> usize {
    let w = sc.facts.window;
    loaded
        .ledger
        .targets
        .iter()
        .filter(|t| t.period.grain == w.cal.grain)
        .filter(|t| {
            w.index_of_period(t.period.key)
                .is_some_and(|k| k >= sc.first_written)
        })
        .filter(|t| {
            let pe = w.cal.end(t.period.key);
            !plans
                .iter()
                .any(|p| p.in_force(pe) && p.kpis.iter().any(|k| k.metric == t.metric))
        })
        .count()
}

/// One scorecard row on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The period's index in the compared window (0 = the first written period).
    #[serde(skip)]
    pub k: usize,
    /// The row's index among its period's cards.
    #[serde(skip)]
    pub i: usize,
    pub period: String,
    pub employee_id: String,
    pub department: Option<String>,
    pub team: Option<String>,
    pub role: Option<String>,
    pub plan: [Option<String>; 2],
    pub composite: [Option<f64>; 2],
    pub grade: [Option<String>; 2],
    /// Cents.
    pub bonus: [i64; 2],
    /// Cents, before the plan's bonus pool (equal to `bonus` when none binds).
    pub bonus_uncapped: [i64; 2],
}

impl Row {
    /// The grade as the transition matrix counts it: `not rated` and `no grade` included.
    pub fn grade_label(&self, side: usize) -> &str {
        match (&self.plan[side], &self.grade[side]) {
            (None, _) => NOT_RATED,
            (Some(_), None) => NO_GRADE,
            (Some(_), Some(g)) => g,
        }
    }

    pub fn rated(&self, side: usize) -> bool {
        self.plan[side].is_some()
    }

    /// Cents.
    pub fn bonus_delta(&self) -> i64 {
        self.bonus[1] - self.bonus[0]
    }
}

impl Comparison<'_> {
    /// The compared periods' labels, in order.
    pub fn periods(&self) -> Vec<String> {
        let w = self.current.facts.window;
        (self.current.first_written..self.current.cards.len())
            .map(|k| w.cal.label(w.first + k as i32))
            .collect()
    }

    /// The grain's name.
    pub fn grain(&self) -> &'static str {
        self.current.facts.window.cal.grain.name()
    }

    /// Every row of the compared periods, each period's in employee id order.
    pub fn rows(&self, loaded: &Loaded) -> Vec<Row> {
        let sc = &self.current;
        let w = sc.facts.window;
        let names = &loaded.ledger.employees.ids;
        let plans: [&[ScorePlan]; 2] = [&self.current_plans, &self.proposed_plans];
        let sides = sc.scored.rows.iter().zip(&self.proposed.scored.rows);
        let mut out = Vec::new();
        for (k, (cards, (cur, pro))) in sc.cards.iter().zip(sides).enumerate() {
            if k < sc.first_written {
                continue;
            }
            let period = w.cal.label(w.first + k as i32);
            for (i, c) in cards.iter().enumerate() {
                let s = [&cur[i], &pro[i]];
                let plan = |j: usize| s[j].plan.map(|p| plans[j][p].name.clone());
                out.push(Row {
                    k: k - sc.first_written,
                    i,
                    period: period.clone(),
                    employee_id: names.name(c.employee).to_string(),
                    department: c.org.map(|o| o.department.clone()),
                    team: c.org.map(|o| o.team.clone()),
                    role: c.org.map(|o| o.role.clone()),
                    plan: [plan(0), plan(1)],
                    composite: [s[0].composite, s[1].composite],
                    grade: [s[0].grade_name.clone(), s[1].grade_name.clone()],
                    bonus: [s[0].bonus, s[1].bonus],
                    bonus_uncapped: [s[0].bonus_uncapped, s[1].bonus_uncapped],
                });
            }
        }
        out
    }
}

/// Headcount rated and total bonus on each side.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub rows: usize,
    pub rated: [usize; 2],
    /// Cents.
    pub bonus: [i128; 2],
}

impl Totals {
    fn add(&mut self, r: &Row) {
        self.rows += 1;
        for side in 0..2 {
            self.rated[side] += usize::from(r.rated(side));
            self.bonus[side] += i128::from(r.bonus[side]);
        }
    }

    /// Cents.
    pub fn delta(&self) -> i128 {
        self.bonus[1] - self.bonus[0]
    }

    /// The change in % of the current total; None when that is 0.
    pub fn delta_pct(&self) -> Option<f64> {
        (self.bonus[0] != 0).then(|| self.delta() as f64 / self.bonus[0] as f64 * 100.0)
    }
}

/// What `compare` prints: per period and in total, per department and role, the grade
/// transitions and the people who move.
#[derive(Debug, Clone)]
pub struct Summary {
    pub grain: String,
    pub periods: Vec<String>,
    pub per_period: Vec<(String, Totals)>,
    pub total: Totals,
    /// Keyed by (department, role); `(none)` for a row without an org.
    pub per_department_role: BTreeMap<(String, String), Totals>,
    /// (current grade, proposed grade) → rows.
    pub transitions: BTreeMap<(String, String), usize>,
    /// The grade labels in the order the matrix shows them: each side's plans' bands, highest
    /// first, then `no grade` and `not rated`.
    pub grades: [Vec<String>; 2],
    /// Rows whose grade differs between the sides, the largest bonus change first.
    pub moved: Vec<Row>,
    pub ignored_adjustments: usize,
    pub ignored_targets: [usize; 2],
    /// Each side's plans with a `bonus_pool`, against their pools.
    pub pools: Vec<PoolUse>,
}

/// A plan with a bonus pool on one side, over the compared periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUse {
    /// 0 current, 1 proposed.
    pub side: usize,
    pub plan: String,
    /// Cents per period.
    pub pool: i64,
    /// Periods in which the plan rated a row, and in which its bonuses before the pool exceeded
    /// it.
    pub periods: usize,
    pub binding: usize,
    /// Cents, over the compared periods: before the pool, and paid.
    pub uncapped: i128,
    pub paid: i128,
}

/// The plans with a pool of each side, from `rows`.
fn pools(c: &Comparison, rows: &[Row]) -> Vec<PoolUse> {
    let mut out = Vec::new();
    for (side, plans) in [&c.current_plans, &c.proposed_plans]
        .into_iter()
        .enumerate()
    {
        for p in plans {
            let Some(pool) = p.bonus_pool else { continue };
            // period -> (uncapped, paid)
            let mut per: BTreeMap<usize, (i128, i128)> = BTreeMap::new();
            for r in rows
                .iter()
                .filter(|r| r.plan[side].as_deref() == Some(&p.name))
            {
                let e = per.entry(r.k).or_default();
                e.0 += i128::from(r.bonus_uncapped[side]);
                e.1 += i128::from(r.bonus[side]);
            }
            out.push(PoolUse {
                side,
                plan: p.name.clone(),
                pool,
                periods: per.len(),
                binding: per.values().filter(|v| v.0 > i128::from(pool)).count(),
                uncapped: per.values().map(|v| v.0).sum(),
                paid: per.values().map(|v| v.1).sum(),
            });
        }
    }
    out
}

/// The summary of `rows`.
pub fn summarize(c: &Comparison, rows: &[Row]) -> Summary {
    let periods = c.periods();
    let mut per_period: Vec<(String, Totals)> = periods
        .iter()
        .map(|p| (p.clone(), Totals::default()))
        .collect();
    let mut total = Totals::default();
    let mut per_department_role: BTreeMap<(String, String), Totals> = BTreeMap::new();
    let mut transitions: BTreeMap<(String, String), usize> = BTreeMap::new();
    let none = || "(none)".to_string();
    for r in rows {
        per_period[r.k].1.add(r);
        total.add(r);
        per_department_role
            .entry((
                r.department.clone().unwrap_or_else(none),
                r.role.clone().unwrap_or_else(none),
            ))
            .or_default()
            .add(r);
        *transitions
            .entry((r.grade_label(0).to_string(), r.grade_label(1).to_string()))
            .or_default() += 1;
    }
    let mut moved: Vec<Row> = rows
        .iter()
        .filter(|r| r.grade_label(0) != r.grade_label(1))
        .cloned()
        .collect();
    moved.sort_by(|a, b| {
        b.bonus_delta()
            .abs()
            .cmp(&a.bonus_delta().abs())
            .then_with(|| a.employee_id.cmp(&b.employee_id))
            .then(a.k.cmp(&b.k))
    });
    Summary {
        grain: c.grain().to_string(),
        periods,
        per_period,
        total,
        per_department_role,
        transitions,
        grades: [
            grade_order(&c.current_plans),
            grade_order(&c.proposed_plans),
        ],
        moved,
        ignored_adjustments: c.proposed.scored.ignored_adjustments,
        ignored_targets: c.ignored_targets,
        pools: pools(c, rows),
    }
}

/// The grades of `plans` in band order (highest first, each name once), then `no grade` and
/// `not rated`.
fn grade_order(plans: &[ScorePlan]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in plans {
        for g in &p.grades {
            if !out.contains(&g.name) {
                out.push(g.name.clone());
            }
        }
    }
    out.push(NO_GRADE.into());
    out.push(NOT_RATED.into());
    out
}

/// The page's file name, beside the table in the output folder.
pub const PAGE: &str = "plan_comparison.html";

/// Writes `plan_comparison` into `out` (a folder, or an object-store prefix reached as the
/// pipeline's `storage` says), a partition per compared period, committed as a run commits its
/// tables (locally a snapshot and one rename: a reader sees all of it or the previous one; on an
/// object store each partition whole, old or new), then `page` beside it as [`PAGE`]. Returns
/// the partitions written. No run record is written: the output's manifest stays its last run's.
pub fn write(
    plan: &Plan,
    c: &Comparison,
    rows: &[Row],
    out: &Path,
    page: &str,
) -> Result<usize, Error> {
    let output = crate::output::Output::open(out, &plan.storage)?;
    let grain = c.grain();
    let mut parts = Vec::new();
    for (k, period) in c.periods().into_iter().enumerate() {
        let of_period: Vec<&Row> = rows.iter().filter(|r| r.k == k).collect();
        let part = Partition {
            table: OutputTable::PlanComparison,
            grain,
            period,
            df: table::frame(&of_period).map_err(Error::polars("building plan_comparison"))?,
        };
        parts.push(part.encode(plan.compression, plan.compression_level)?);
    }
    let run_id = format!(
        "{}-compare-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    output.commit(&run_id, &parts)?;
    output.put_file(PAGE, page.as_bytes())?;
    output.end_without_record()?;
    Ok(parts.len())
}
