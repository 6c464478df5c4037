//! `factorscore explain`: the statement an employee reads for one period, every figure of a
//! score traced back to the metric, the appeal, the target and the plan.
//!
//! The JSON form keeps every number at full precision; the text form writes them for people
//! (see [`people`]).

use serde::Serialize;

use crate::catalogue::{Metric, MetricId};
use crate::config::def::Direction;
use crate::config::{Kpi, OrgField, Plan};
use crate::error::Error;
use crate::metrics::registry::{self, Val};
use crate::metrics::Facts;
use crate::money::format_cents;
use crate::numbers::{money_cents, num, pct, show_multiplier, Style};
use crate::periods::format_day;
use crate::run::{Loaded, Scorecards};
use crate::scoring::curve::Segment;
use crate::scoring::{KpiScore, RowScore};
use crate::tables::Table;

mod people;
mod pool;

pub use pool::PoolLine;
use pool::{plain_cents, pool_line};

/// A figure behind a metric.
#[derive(Debug, Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
    /// The value, for the text.
    #[serde(skip)]
    pub val: Val,
    /// How the text writes a float value: by the unit of the metric it is.
    #[serde(skip)]
    pub style: Style,
}

/// An approved appeal applied to a KPI.
#[derive(Debug, Serialize)]
pub struct Appeal {
    pub value: f64,
    pub reason: String,
    pub approved_by: String,
    /// Where the adjustments row is.
    pub row: String,
}

/// One KPI line of the statement.
#[derive(Debug, Serialize)]
pub struct KpiLine {
    pub metric: String,
    pub meaning: String,
    pub formula: String,
    pub perspective: &'static str,
    pub direction: &'static str,
    pub raw_actual: Option<f64>,
    pub figures: Vec<Figure>,
    pub appeal: Option<Appeal>,
    pub actual: Option<f64>,
    pub target: f64,
    pub threshold: f64,
    pub stretch: f64,
    pub target_source: &'static str,
    /// Where the chosen targets row is, when one was chosen.
    pub target_row: Option<String>,
    pub score: Option<f64>,
    /// The score's arithmetic on its segment of the curve.
    pub score_working: String,
    pub weight: f64,
    pub effective_weight: f64,
    pub weighted_score: f64,
    /// How the text writes the metric's values: by its unit.
    #[serde(skip)]
    pub style: Style,
    #[serde(skip)]
    pub dir: Direction,
    /// The segment of the curve the actual fell on.
    #[serde(skip)]
    pub segment: Option<Segment>,
}

/// Why a row is flagged for review.
#[derive(Debug)]
pub enum Reason {
    /// An approved appeal changed the actual of this metric.
    Appeal(String),
    /// The composite moved at least the swing threshold since the previous period.
    Swing {
        swing: f64,
        since: String,
        threshold: f64,
    },
}

impl Reason {
    /// The reason in words: its numbers in full (`people` false) or for people.
    pub fn words(&self, people: bool) -> String {
        match self {
            Reason::Appeal(metric) => format!("an appeal changed {metric}"),
            Reason::Swing {
                swing,
                since,
                threshold,
            } => {
                let (sw, th) = if people {
                    (people::signed(*swing), people::score(*threshold))
                } else {
                    (format!("{swing:+}"), format!("{threshold}"))
                };
                format!("the composite moved {sw} points since {since}, at least the swing threshold {th}")
            }
        }
    }
}

/// The statement of one employee and period.
#[derive(Debug, Serialize)]
pub struct Statement {
    pub employee_id: String,
    pub employee_name: String,
    pub grain: &'static str,
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    pub department: Option<String>,
    pub team: Option<String>,
    pub role: Option<String>,
    pub manager_id: Option<String>,
    pub days_employed: i32,
    pub plan: Option<String>,
    pub kpis: Vec<KpiLine>,
    pub composite_score: Option<f64>,
    pub grade: Option<String>,
    pub calibration_group: Vec<(String, Option<String>)>,
    pub group_size: usize,
    /// 1 = lowest composite of the group.
    pub group_rank: usize,
    pub percentile_in_group: Option<f64>,
    pub zscore_in_group: Option<f64>,
    pub previous_composite: Option<f64>,
    pub swing: Option<f64>,
    pub swing_threshold: Option<f64>,
    pub review_flag: bool,
    pub review_reasons: Vec<String>,
    pub bonus: String,
    pub bonus_working: String,
    /// The bonus before the plan's pool (equal to `bonus` when the pool does not bind).
    pub bonus_uncapped: String,
    /// The plan's bonus pool for the period, when it has one.
    pub bonus_pool: Option<PoolLine>,
    #[serde(skip)]
    pub reasons: Vec<Reason>,
    /// `bonus_working` with money for people.
    #[serde(skip)]
    pub bonus_text: String,
    /// `bonus_pool`'s working with money for people.
    #[serde(skip)]
    pub pool_text: Option<String>,
}

fn opt(x: Option<f64>) -> String {
    x.map_or("null".into(), |x| format!("{x}"))
}

/// Builds the statement of employee `id` in the window's last period.
pub fn statement(
    plan: &Plan,
    loaded: &Loaded,
    sc: &Scorecards,
    id: &str,
) -> Result<Statement, Error> {
    let l = &loaded.ledger;
    let f = &sc.facts;
    let w = f.window;
    let k = sc.cards.len() - 1;
    let p = w.first + k as i32;
    let label = w.cal.label(p);
    let e = l.employees.ids.get(id).ok_or_else(|| {
        Error::NoScorecard(format!("`{id}` names no employee in the employees table"))
    })?;
    let i = sc.cards[k]
        .iter()
        .position(|c| c.employee == e)
        .ok_or_else(|| {
            Error::NoScorecard(format!(
                "{id} is not employed in {label}, so has no scorecard"
            ))
        })?;
    let card = &sc.cards[k][i];
    let s: &RowScore = &sc.scored.rows[k][i];
    let org = card.org;
    let sp = s.plan.map(|pi| &plan.plans[pi]);
    let kpis: Vec<KpiLine> = sp.map_or_else(Vec::new, |pl| {
        s.kpis
            .iter()
            .map(|ks| kpi_line(plan, loaded, f, (e, k), &pl.kpis[ks.kpi], ks))
            .collect()
    });
    let swing = s.composite.zip(s.previous).map(|(a, b)| a - b);
    let mut reasons: Vec<Reason> = kpis
        .iter()
        .filter(|k| k.appeal.is_some())
        .map(|k| Reason::Appeal(k.metric.clone()))
        .collect();
    if let (Some(sw), Some(pl)) = (swing, sp) {
        if sw.abs() >= pl.swing_threshold - crate::scoring::curve::TOLERANCE {
            reasons.push(Reason::Swing {
                swing: sw,
                since: w.cal.label(p - 1),
                threshold: pl.swing_threshold,
            });
        }
    }
    Ok(Statement {
        employee_id: id.to_string(),
        employee_name: l.employees.name[e as usize].clone(),
        grain: w.cal.grain.name(),
        period: label,
        period_start: format_day(w.cal.start(p)),
        period_end: format_day(w.cal.end(p)),
        department: org.map(|o| o.department.clone()),
        team: org.map(|o| o.team.clone()),
        role: org.map(|o| o.role.clone()),
        manager_id: org.and_then(|o| o.manager_id.clone()),
        days_employed: card.days_employed,
        plan: sp.map(|pl| pl.name.clone()),
        kpis,
        composite_score: s.composite,
        grade: s.grade_name.clone(),
        calibration_group: sp.map_or_else(Vec::new, |pl| {
            pl.calibration_group
                .iter()
                .map(|g| (g.name().to_string(), org_value(org, *g)))
                .collect()
        }),
        group_size: s.group_size,
        group_rank: s.group_rank,
        percentile_in_group: s.percentile,
        zscore_in_group: s.zscore,
        previous_composite: s.previous,
        swing,
        swing_threshold: sp.map(|pl| pl.swing_threshold),
        review_flag: s.review_flag,
        review_reasons: reasons.iter().map(|r| r.words(false)).collect(),
        bonus: format_cents(s.bonus),
        bonus_working: bonus_working(l, sc, (k, i), format_cents),
        bonus_uncapped: format_cents(s.bonus_uncapped),
        bonus_pool: sp.and_then(|pl| pool_line(pl, sc, (k, i), &w.cal.label(p), plain_cents)),
        pool_text: sp
            .and_then(|pl| pool_line(pl, sc, (k, i), &w.cal.label(p), money_cents))
            .map(|x| x.working),
        reasons,
        bonus_text: bonus_working(l, sc, (k, i), |c| money_cents(c.into())),
    })
}

/// The value of an org column of a row's org.
fn org_value(org: Option<&crate::model::OrgRow>, g: OrgField) -> Option<String> {
    let o = org?;
    match g {
        OrgField::Department => Some(o.department.clone()),
        OrgField::Team => Some(o.team.clone()),
        OrgField::Role => Some(o.role.clone()),
        OrgField::ManagerId => o.manager_id.clone(),
    }
}

/// One KPI of the statement: the metric and the figures behind it, the appeal, the target and
/// where it came from, and the score's arithmetic.
fn kpi_line(
    plan: &Plan,
    loaded: &Loaded,
    f: &Facts,
    (e, k): (u32, usize),
    kpi: &Kpi,
    ks: &KpiScore,
) -> KpiLine {
    let l = &loaded.ledger;
    let cat = &plan.catalogue;
    let raw = |t: Table| loaded.raw.iter().find(|r| r.table == t);
    let m = kpi.metric;
    let t = ks.target;
    let appeal = ks.adjustment.map(|a| {
        let a = &l.adjustments[a];
        Appeal {
            value: a.value,
            reason: a.reason.clone(),
            approved_by: a.approved_by.clone(),
            row: raw(Table::Adjustments)
                .map_or_else(String::new, |t| t.row_ref(a.row as usize).to_string()),
        }
    });
    KpiLine {
        metric: cat.name(m).to_string(),
        meaning: cat.meaning(m).to_string(),
        formula: cat.formula(m),
        perspective: kpi.perspective.name(),
        direction: kpi.direction.name(),
        raw_actual: ks.raw_actual,
        figures: figures(cat, f, e, k, m),
        appeal,
        actual: ks.actual,
        target: t.target,
        threshold: t.threshold,
        stretch: t.stretch,
        target_source: t.source.name(),
        target_row: t
            .row
            .and_then(|r| raw(Table::Targets).map(|tb| tb.row_ref(r as usize).to_string())),
        score: ks.score,
        score_working: score_working(kpi, ks),
        weight: kpi.weight,
        effective_weight: ks.effective_weight,
        weighted_score: ks.weighted_score,
        style: cat.unit(m).style(),
        dir: kpi.direction,
        segment: ks.segment,
    }
}

/// The arithmetic of a KPI's score on its segment of the curve.
fn score_working(kpi: &Kpi, ks: &KpiScore) -> String {
    let t = ks.target;
    let d = |x: f64, y: f64| kpi.direction.d(x, y);
    match (ks.actual, ks.segment) {
        (Some(a), Some(Segment::Floor)) => {
            format!("{a} is not beyond the threshold {}: 0", t.threshold)
        }
        (Some(a), Some(Segment::ToTarget)) => format!(
            "100 × {} / {} = {}",
            d(a, t.threshold),
            d(t.target, t.threshold),
            opt(ks.score)
        ),
        (Some(a), Some(Segment::ToStretch)) => format!(
            "100 + 20 × {} / {} = {}",
            d(a, t.target),
            d(t.stretch, t.target),
            opt(ks.score)
        ),
        (Some(a), Some(Segment::Cap)) => format!("{a} reaches the stretch {}: 120", t.stretch),
        _ => "no actual: not scored, its weight goes to the scored KPIs".into(),
    }
}

/// The bonus arithmetic of the `i`-th row of the `k`-th period, amounts written by `money`.
fn bonus_working(
    l: &crate::model::Ledger,
    sc: &Scorecards,
    (k, i): (usize, usize),
    money: fn(i64) -> String,
) -> String {
    let (card, s) = (&sc.cards[k][i], &sc.scored.rows[k][i]);
    let months = sc.facts.window.cal.grain.months();
    let (days, _) = sc.facts.shape(k);
    let salary = money(l.employees.base_salary[card.employee as usize]);
    match (s.plan, s.grade) {
        (Some(_), Some(_)) => format!(
            "base salary {salary} × {months} month(s) × multiplier {} (grade {}) × {} / {days} days employed = {}",
            show_multiplier(s.multiplier.into()),
            s.grade_name.as_deref().unwrap_or(""),
            card.days_employed,
            money(s.bonus_uncapped)
        ),
        (Some(_), None) => "no KPI has a score, so no composite and no bonus: 0.00".into(),
        (None, _) => "not rated (no plan in force for this role): 0.00".into(),
    }
}

/// The statement as text, for a person.
pub fn text(s: &Statement) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let dash = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(
        o,
        "{} {} — {} {} ({} .. {})",
        s.employee_id, s.employee_name, s.grain, s.period, s.period_start, s.period_end
    );
    let _ = writeln!(
        o,
        "org: department {}, team {}, role {}, manager {}; {} days employed",
        dash(&s.department),
        dash(&s.team),
        dash(&s.role),
        dash(&s.manager_id),
        s.days_employed
    );
    let Some(plan) = &s.plan else {
        let _ = writeln!(
            o,
            "\nnot rated: no plan for role {} is in force on {}",
            dash(&s.role),
            s.period_end
        );
        let _ = writeln!(o, "bonus: {}", s.bonus_text);
        return o;
    };
    let _ = writeln!(o, "plan: {plan}\n");
    for (n, k) in s.kpis.iter().enumerate() {
        kpi_text(&mut o, n, k);
    }
    let _ = writeln!(o, "\ncomposite: {}", people::composite(s));
    let _ = writeln!(o, "grade: {}", dash(&s.grade));
    let group: Vec<String> = s
        .calibration_group
        .iter()
        .map(|(k, v)| format!("{k}={}", v.clone().unwrap_or_else(|| "null".into())))
        .collect();
    let _ = writeln!(
        o,
        "calibration group ({}): rank {} of {} from the lowest, percentile {}, z-score {}",
        group.join(", "),
        s.group_rank,
        s.group_size,
        people::or_na(s.percentile_in_group, pct),
        people::or_na(s.zscore_in_group, |z| num(z, 2))
    );
    let _ = writeln!(
        o,
        "previous period composite: {}, swing {} (threshold {})",
        people::or_na(s.previous_composite, people::score),
        people::or_na(s.swing, people::signed),
        people::or_na(s.swing_threshold, people::score)
    );
    if s.review_flag {
        let reasons: Vec<String> = s.reasons.iter().map(|r| r.words(true)).collect();
        let _ = writeln!(o, "review flag: yes — {}", reasons.join("; "));
    } else {
        let _ = writeln!(o, "review flag: no");
    }
    let _ = writeln!(o, "bonus: {}", s.bonus_text);
    if let Some(p) = &s.pool_text {
        let _ = writeln!(o, "bonus pool: {p}");
    }
    o
}

/// The figures behind metric `m` of entity `e` in the `k`-th period: a built-in's parts, or the
/// values a derived metric reads (those read through `lag` from the previous period).
fn figures(
    cat: &crate::catalogue::Catalogue,
    f: &Facts,
    e: u32,
    k: usize,
    m: MetricId,
) -> Vec<Figure> {
    match cat.get(m) {
        Metric::Builtin(b) => {
            let ctx = f.ctx(e, k);
            registry::parts(b)
                .iter()
                .map(|part| figure(part.label.to_string(), (part.value)(&ctx), Style::Plain))
                .collect()
        }
        Metric::Custom(c) => {
            let Some(d) = c.derived() else {
                return Vec::new();
            };
            let style = |id| cat.unit(id).style();
            let now = d
                .reads
                .iter()
                .map(|&id| figure(cat.name(id).to_string(), f.value(cat, e, k, id), style(id)));
            let before = d.lags.iter().map(|&id| {
                figure(
                    format!("lag({}), the previous period", cat.name(id)),
                    k.checked_sub(1)
                        .map_or(Val::Null, |p| f.value(cat, e, p, id)),
                    style(id),
                )
            });
            now.chain(before).collect()
        }
    }
}

/// A figure: `val` in full, and `style` for the text of a float.
fn figure(label: String, val: Val, style: Style) -> Figure {
    Figure {
        label,
        value: val.to_string(),
        val,
        style,
    }
}

/// One KPI of the statement as text: its values as its metric's unit is written (see [`people`]).
fn kpi_text(o: &mut String, n: usize, k: &KpiLine) {
    use std::fmt::Write;
    let v = |x: Option<f64>| people::or_na(x, |x| k.style.show(x));
    let _ = writeln!(
        o,
        "{}. {} ({}, {} is better) — {}",
        n + 1,
        k.metric,
        k.perspective,
        k.direction,
        k.meaning
    );
    let _ = writeln!(o, "   formula: {}", k.formula);
    let _ = writeln!(o, "   actual from the ledger: {}", v(k.raw_actual));
    for fig in &k.figures {
        let _ = writeln!(o, "     {}: {}", fig.label, people::figure(fig));
    }
    if let Some(a) = &k.appeal {
        let _ = writeln!(
            o,
            "   appeal: {} approved by {} ({}): \"{}\"",
            v(Some(a.value)),
            a.approved_by,
            a.row,
            a.reason
        );
    }
    let _ = writeln!(o, "   actual scored: {}", v(k.actual));
    let from = match &k.target_row {
        Some(r) => format!("{} target, {r}", k.target_source),
        None => "plan default".into(),
    };
    let _ = writeln!(
        o,
        "   threshold {} / target {} / stretch {} ({from})",
        v(Some(k.threshold)),
        v(Some(k.target)),
        v(Some(k.stretch))
    );
    let _ = writeln!(o, "   score: {}", people::score_working(k));
    let _ = writeln!(
        o,
        "   weight {} → effective {} → weighted score {}",
        pct(k.weight),
        pct(k.effective_weight),
        num(k.weighted_score, 2)
    );
}
