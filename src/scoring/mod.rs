//! Contract section 5: scores of every scorecard row of every period, in one pass with the
//! period index as the key. A row is scored by the plan for its role in force on its period's
//! end; each KPI's actual (after approved appeals) is scored against the most specific target,
//! the scored KPIs' weights are renormalised into a composite, which gives the grade, the
//! calibration within the plan's group, the review flag and the bonus, scaled to the plan's
//! bonus pool when the period's bonuses exceed it.

mod calibrate;
pub mod curve;
pub mod guidance;
pub mod pool;
pub mod targets;

pub use calibrate::group_label;
pub use pool::Pooled;

use std::collections::{BTreeMap, HashMap};

use crate::cards::Card;
use crate::catalogue::{Catalogue, MetricId};
use crate::config::{Kpi, ScorePlan};
use crate::metrics::Facts;
use crate::model::{LabelKey, Ledger};
use crate::problems::Problems;
use crate::raw::RawTable;
use targets::{Resolved, Targets};

/// The score of one KPI of a rated row.
#[derive(Debug, Clone)]
pub struct KpiScore {
    /// Index of the KPI in its plan.
    pub kpi: usize,
    /// The section 3 value, as a number.
    pub raw_actual: Option<f64>,
    /// The value scored: the approved appeal's, else the raw actual.
    pub actual: Option<f64>,
    /// Index of the applied `adjustments` row in the ledger.
    pub adjustment: Option<usize>,
    pub target: Resolved,
    pub effective_weight: f64,
    pub score: Option<f64>,
    pub segment: Option<curve::Segment>,
    pub weighted_score: f64,
}

/// The scores of one scorecard row. A row with no plan in force is not rated: every score is
/// null, the flag false and the bonus 0.
#[derive(Debug, Clone, Default)]
pub struct RowScore {
    /// Index of the plan in the pipeline's `plans`.
    pub plan: Option<usize>,
    pub kpis: Vec<KpiScore>,
    pub composite: Option<f64>,
    /// Index of the grade in the plan's bands, and its name.
    pub grade: Option<usize>,
    pub grade_name: Option<String>,
    pub percentile: Option<f64>,
    pub zscore: Option<f64>,
    /// Members of the calibration group (rows with a composite), and this row's rank (1 = lowest).
    pub group_size: usize,
    pub group_rank: usize,
    /// The employee's composite in the previous period, when scored.
    pub previous: Option<f64>,
    pub review_flag: bool,
    /// The grade's bonus multiplier, in ten-thousandths.
    pub multiplier: i64,
    /// Cents: `bonus_uncapped`, or its share of the plan's pool when the pool binds.
    pub bonus: i64,
    /// Cents, before the plan's bonus pool.
    pub bonus_uncapped: i64,
    /// How the bonus was scaled to the plan's pool; `None` when the pool does not bind or the
    /// plan has none.
    pub pool: Option<Pooled>,
}

/// Scores of every row of the window, parallel to the cards.
pub struct Scored {
    pub rows: Vec<Vec<RowScore>>,
    /// Rows of the written periods whose role has no plan in force, per role.
    pub not_rated: BTreeMap<String, usize>,
    /// Adjustments of the written periods that fit no KPI of the plans, ignored (with
    /// [`ForeignAppeals::Ignore`]; with `Break` they are rule breaks and this is 0).
    pub ignored_adjustments: usize,
}

/// What an adjustment of a written period is when it names no rated row or a metric that is
/// not a KPI of the row's plan: a rule break (a run, 5.2), or ignored and counted (the proposed
/// side of a comparison, 5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignAppeals {
    Break,
    Ignore,
}

/// The raw scoring tables, for the messages of rule breaks.
pub struct ScoringInputs<'a> {
    pub targets: &'a RawTable,
    pub adjustments: &'a RawTable,
    /// Raw rows of `targets` left out, sorted.
    pub left_out_targets: &'a [u32],
    pub foreign_appeals: ForeignAppeals,
}

/// Scores every card, recording the rule breaks of 5.2 in `problems`. Periods before `first_written` (the look-back period that gives the
/// review flag its previous composite) are scored but neither checked for appeals nor counted.
#[allow(clippy::too_many_arguments)]
pub fn score(
    plans: &[ScorePlan],
    l: &Ledger,
    cat: &Catalogue,
    f: &Facts,
    cards: &[Vec<Card>],
    first_written: usize,
    raw: &ScoringInputs,
    problems: &mut Problems,
) -> Scored {
    let grain = f.window.cal.grain;
    let mut appeals: HashMap<(u32, LabelKey, MetricId), usize> = HashMap::new();
    for (i, a) in l.adjustments.iter().enumerate() {
        if a.period.grain == grain {
            appeals.insert((a.employee, a.period, a.metric), i);
        }
    }
    let targets = Targets::index(l, grain, raw.left_out_targets);
    let policy = problems.child();
    // Rows, calibration and bonus pools are per period, so runs of periods are scored on as many
    // threads as there are cores; a targets row names one period, so no row is reported twice.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = cards.len().div_ceil(threads).max(1);
    let scored: Vec<(Vec<Vec<RowScore>>, Problems)> = std::thread::scope(|scope| {
        let workers: Vec<_> = cards
            .chunks(chunk)
            .enumerate()
            .map(|(i, periods)| {
                let (targets, appeals, policy) = (&targets, &appeals, &policy);
                scope.spawn(move || {
                    let mut s = Scorer {
                        plans,
                        l,
                        cat,
                        f,
                        targets,
                        appeals,
                        raw,
                        bad_targets: Vec::new(),
                        problems: policy.child(),
                    };
                    let rows = periods
                        .iter()
                        .enumerate()
                        .map(|(j, period_cards)| {
                            let k = i * chunk + j;
                            let mut scores: Vec<RowScore> =
                                period_cards.iter().map(|c| s.card(k, c)).collect();
                            calibrate::calibrate(plans, period_cards, &mut scores);
                            pool::apply(plans, &l.employees.ids, period_cards, &mut scores);
                            scores
                        })
                        .collect();
                    (rows, s.problems)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut rows: Vec<Vec<RowScore>> = Vec::with_capacity(cards.len());
    for (r, p) in scored {
        rows.extend(r);
        problems.extend(p);
    }
    for k in 1..rows.len() {
        let (before, now) = rows.split_at_mut(k);
        flag_swings(plans, &cards[k - 1], &before[k - 1], &cards[k], &mut now[0]);
    }
    let foreign = foreign_appeals(plans, l, f, cards, &rows, first_written);
    let ignored_adjustments = match raw.foreign_appeals {
        ForeignAppeals::Ignore => foreign.len(),
        ForeignAppeals::Break => {
            report_appeals(plans, l, cat, f, &foreign, raw.adjustments, problems);
            0
        }
    };
    let mut not_rated = BTreeMap::new();
    for (cs, ss) in cards.iter().zip(&rows).skip(first_written) {
        for (c, s) in cs.iter().zip(ss) {
            if s.plan.is_none() {
                let role = c.org.map_or("(no org)", |o| o.role.as_str());
                *not_rated.entry(role.to_string()).or_insert(0) += 1;
            }
        }
    }
    Scored {
        rows,
        not_rated,
        ignored_adjustments,
    }
}

/// What scoring a row needs: the plans, the facts, the targets and appeals of the run's grain.
struct Scorer<'a> {
    plans: &'a [ScorePlan],
    l: &'a Ledger,
    cat: &'a Catalogue,
    f: &'a Facts,
    targets: &'a Targets<'a>,
    appeals: &'a HashMap<(u32, LabelKey, MetricId), usize>,
    raw: &'a ScoringInputs<'a>,
    /// Targets rows already reported as out of order.
    bad_targets: Vec<u32>,
    problems: Problems,
}

impl Scorer<'_> {
    /// The scores of one card of the `k`-th period, before calibration and swings.
    fn card(&mut self, k: usize, c: &Card) -> RowScore {
        let w = self.f.window;
        let p = w.first + k as i32;
        let role = c.org.map(|o| o.role.as_str());
        let Some(pi) = self
            .plans
            .iter()
            .position(|pl| Some(pl.role.as_str()) == role && pl.in_force(w.cal.end(p)))
        else {
            return RowScore::default();
        };
        let plan = &self.plans[pi];
        let label = LabelKey {
            grain: w.cal.grain,
            key: p,
        };
        let kpis = plan
            .kpis
            .iter()
            .enumerate()
            .map(|(i, kpi)| {
                let raw_actual = self.f.value(self.cat, c.employee, k, kpi.metric).as_f64();
                let adjustment = self.appeals.get(&(c.employee, label, kpi.metric)).copied();
                let actual = adjustment.map_or(raw_actual, |a| Some(self.l.adjustments[a].value));
                let target = self.targets.resolve(kpi, p, c.employee, c.org);
                self.check_order(plan, kpi, &target);
                kpi_score(i, kpi, raw_actual, actual, adjustment, target)
            })
            .collect();
        rate(pi, plan, kpis, self.l, c, self.f)
    }

    /// A chosen targets row whose three values, once the plan fills its gaps, are not strictly
    /// ordered for the KPI's direction breaks a rule (reported once per row).
    fn check_order(&mut self, plan: &ScorePlan, kpi: &Kpi, t: &Resolved) {
        if kpi.direction.ordered(t.threshold, t.target, t.stretch) {
            return;
        }
        let Some(row) = t.row.filter(|r| !self.bad_targets.contains(r)) else {
            return;
        };
        self.bad_targets.push(row);
        self.problems.add(
            self.raw.targets,
            row as usize,
            "target",
            &format!(
                "{} (threshold {}, stretch {})",
                t.target, t.threshold, t.stretch
            ),
            format!(
                "is not strictly ordered for `{}` ({}: {}) once the plan `{}` fills what the row leaves out",
                self.cat.name(kpi.metric),
                kpi.direction.name(),
                kpi.direction.order_rule(),
                plan.name
            ),
        );
    }
}

fn kpi_score(
    i: usize,
    kpi: &Kpi,
    raw_actual: Option<f64>,
    actual: Option<f64>,
    adjustment: Option<usize>,
    target: Resolved,
) -> KpiScore {
    let scored = actual.map(|a| {
        curve::score(
            kpi.direction,
            a,
            target.threshold,
            target.target,
            target.stretch,
        )
    });
    KpiScore {
        kpi: i,
        raw_actual,
        actual,
        adjustment,
        target,
        effective_weight: 0.0,
        score: scored.map(|s| s.0),
        segment: scored.map(|s| s.1),
        weighted_score: 0.0,
    }
}

/// Renormalises the weights over the scored KPIs and derives composite, grade and bonus.
fn rate(
    pi: usize,
    plan: &ScorePlan,
    mut kpis: Vec<KpiScore>,
    l: &Ledger,
    c: &Card,
    f: &Facts,
) -> RowScore {
    let scored_weight: f64 = kpis
        .iter()
        .filter(|k| k.score.is_some())
        .map(|k| plan.kpis[k.kpi].weight)
        .sum();
    let mut composite = None;
    for k in &mut kpis {
        if let Some(s) = k.score {
            k.effective_weight = plan.kpis[k.kpi].weight / scored_weight;
            k.weighted_score = k.effective_weight * s;
            composite = Some(composite.unwrap_or(0.0) + k.weighted_score);
        }
    }
    let grade = composite.and_then(|x| curve::grade(&plan.grades, x));
    let multiplier = grade.map_or(0, |g| plan.grades[g].multiplier);
    let bonus = grade.map_or(0, |_| bonus(l, c, f, multiplier));
    RowScore {
        plan: Some(pi),
        review_flag: kpis.iter().any(|k| k.adjustment.is_some()),
        kpis,
        composite,
        grade,
        grade_name: grade.map(|g| plan.grades[g].name.clone()),
        multiplier,
        bonus,
        bonus_uncapped: bonus,
        ..RowScore::default()
    }
}

/// base_salary × months in p × multiplier × days_employed / days in p, exact, rounded once to
/// the cent, half away from zero. The multiplier is in ten-thousandths.
pub fn bonus(l: &Ledger, c: &Card, f: &Facts, multiplier: i64) -> i64 {
    let (days, _) = f.shape(c.k);
    let months = i128::from(f.window.cal.grain.months());
    let num = i128::from(l.employees.base_salary[c.employee as usize])
        * months
        * i128::from(multiplier)
        * i128::from(c.days_employed);
    crate::money::div_round(num, i128::from(days) * 10_000) as i64
}

/// Flags rows whose composite moved by the plan's swing threshold or more since the
/// employee's previous period.
fn flag_swings(
    plans: &[ScorePlan],
    prev_cards: &[Card],
    prev_scores: &[RowScore],
    cards: &[Card],
    scores: &mut [RowScore],
) {
    let prev: HashMap<u32, f64> = prev_cards
        .iter()
        .zip(prev_scores)
        .filter_map(|(c, s)| Some((c.employee, s.composite?)))
        .collect();
    for (c, s) in cards.iter().zip(scores.iter_mut()) {
        let (Some(pi), Some(now)) = (s.plan, s.composite) else {
            continue;
        };
        s.previous = prev.get(&c.employee).copied();
        if let Some(before) = s.previous {
            if (now - before).abs() >= plans[pi].swing_threshold - curve::TOLERANCE {
                s.review_flag = true;
            }
        }
    }
}

/// An adjustment of a written period that fits no rated row's plan: its index in the ledger's
/// adjustments, the period's index, and the plan of the row it names (None: no rated row).
struct Foreign {
    adjustment: usize,
    k: usize,
    plan: Option<usize>,
}

/// The adjustments of the written periods that name no rated scorecard row, or a metric that is
/// not a KPI of the row's plan.
fn foreign_appeals(
    plans: &[ScorePlan],
    l: &Ledger,
    f: &Facts,
    cards: &[Vec<Card>],
    rows: &[Vec<RowScore>],
    first_written: usize,
) -> Vec<Foreign> {
    let w = f.window;
    let mut out = Vec::new();
    for (i, a) in l.adjustments.iter().enumerate() {
        if a.period.grain != w.cal.grain {
            continue;
        }
        let Some(k) = w
            .index_of_period(a.period.key)
            .filter(|k| *k >= first_written)
        else {
            continue;
        };
        let at = cards[k].iter().position(|c| c.employee == a.employee);
        let plan = at.and_then(|i| rows[k][i].plan);
        if plan.is_some_and(|pi| plans[pi].kpis.iter().any(|k| k.metric == a.metric)) {
            continue;
        }
        out.push(Foreign {
            adjustment: i,
            k,
            plan,
        });
    }
    out
}

/// An appeal of a written period must name a rated row and a KPI of its plan: the rule breaks
/// of the `foreign` ones.
fn report_appeals(
    plans: &[ScorePlan],
    l: &Ledger,
    cat: &Catalogue,
    f: &Facts,
    foreign: &[Foreign],
    raw: &RawTable,
    problems: &mut Problems,
) {
    let w = f.window;
    for x in foreign {
        let a = &l.adjustments[x.adjustment];
        let label = w.cal.label(w.first + x.k as i32);
        let who = l.employees.ids.name(a.employee);
        match x.plan {
            None => problems.add(
                raw,
                a.row as usize,
                "employee_id",
                who,
                format!("names no rated scorecard row in {label}: the employee is not employed then, or their role has no plan in force"),
            ),
            Some(pi) => problems.add(
                raw,
                a.row as usize,
                "metric",
                cat.name(a.metric),
                format!("is not a KPI of plan `{}`, which scores {who} in {label}", plans[pi].name),
            ),
        }
    }
}
