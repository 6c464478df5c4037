//! Scorecard plans (contract 5.1): checked into [`ScorePlan`]s, every problem reported with its
//! place in the file.

use serde_saphyr::Spanned;

use super::check::Checker;
use super::def::{DecimalText, Direction, GradeDef, KpiDef, Perspective, PlanDef};
use crate::catalogue::{Catalogue, MetricId};
use crate::periods::{month_of, Calendar, Day, Grain};

/// An org_history column a calibration group can be keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgField {
    Department,
    Team,
    Role,
    ManagerId,
}

impl OrgField {
    pub const ALL: [OrgField; 4] = [
        OrgField::Department,
        OrgField::Team,
        OrgField::Role,
        OrgField::ManagerId,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OrgField::Department => "department",
            OrgField::Team => "team",
            OrgField::Role => "role",
            OrgField::ManagerId => "manager_id",
        }
    }
}

/// A grade band.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub name: String,
    /// `None` on the last band, which takes the rest.
    pub min: Option<f64>,
    /// Bonus multiplier in ten-thousandths (exact).
    pub multiplier: i64,
}

/// A checked KPI.
#[derive(Debug, Clone)]
pub struct Kpi {
    pub metric: MetricId,
    pub weight: f64,
    pub perspective: Perspective,
    pub direction: Direction,
    pub threshold: f64,
    pub target: f64,
    pub stretch: f64,
}

/// A checked plan.
#[derive(Debug, Clone)]
pub struct ScorePlan {
    pub name: String,
    pub role: String,
    /// Month keys of valid_from and valid_to (inclusive); `None` is open.
    pub from_month: i32,
    pub to_month: Option<i32>,
    pub calibration_group: Vec<OrgField>,
    pub swing_threshold: f64,
    pub grades: Vec<Grade>,
    /// The most the plan's bonuses of one period may add up to, in cents; `None`: no pool.
    pub bonus_pool: Option<i64>,
    pub kpis: Vec<Kpi>,
    /// The grade distribution guidance, when the plan sets one.
    pub guidance: Option<super::guidance::Guidance>,
}

impl ScorePlan {
    /// Whether the plan is in force for a period ending on `pe`.
    pub fn in_force(&self, pe: Day) -> bool {
        let m = month_of(pe);
        m >= self.from_month && self.to_month.is_none_or(|t| m <= t)
    }
}

/// The grades of a plan that names none.
pub fn default_grades() -> Vec<Grade> {
    let g = |name: &str, min: Option<f64>, multiplier: i64| Grade {
        name: name.to_string(),
        min,
        multiplier,
    };
    vec![
        g("S", Some(110.0), 20_000),
        g("A", Some(100.0), 15_000),
        g("B", Some(85.0), 10_000),
        g("C", Some(70.0), 5_000),
        g("D", None, 0),
    ]
}

const WEIGHT_TOLERANCE: f64 = 1e-9;

pub(super) fn check_plans(
    c: &mut Checker<'_>,
    plans: &Spanned<Vec<Spanned<PlanDef>>>,
    catalogue: &Catalogue,
) -> Vec<ScorePlan> {
    let out: Vec<ScorePlan> = plans
        .value
        .iter()
        .enumerate()
        .map(|(i, p)| check_plan(c, &p.value, &format!("plans[{i}]"), catalogue))
        .collect();
    check_names_and_overlaps(c, &plans.value, &out);
    out
}

fn check_plan(c: &mut Checker<'_>, def: &PlanDef, key: &str, catalogue: &Catalogue) -> ScorePlan {
    if def.name.value.trim().is_empty() {
        c.at(
            &def.name,
            &format!("{key}.name"),
            "the plan name is empty",
            None,
        );
    }
    if def.role.value.trim().is_empty() {
        c.at(
            &def.role,
            &format!("{key}.role"),
            "the role is empty",
            Some("name an org_history role, e.g. account_manager".into()),
        );
    }
    let from = month(c, &def.valid_from, &format!("{key}.valid_from"));
    let to = def
        .valid_to
        .as_ref()
        .and_then(|t| month(c, t, &format!("{key}.valid_to")));
    if let (Some(f), Some(t), Some(vt)) = (from, to, &def.valid_to) {
        if t < f {
            c.at(
                vt,
                &format!("{key}.valid_to"),
                "valid_to is before valid_from",
                Some("swap the two months".into()),
            );
        }
    }
    let swing_threshold = match &def.swing_threshold {
        Some(s) if !(s.value.is_finite() && s.value >= 0.0) => {
            c.at(
                s,
                &format!("{key}.swing_threshold"),
                format!("{} is not a number of composite points >= 0", s.value),
                Some("write e.g. 20".into()),
            );
            20.0
        }
        Some(s) => s.value,
        None => 20.0,
    };
    let grades = match &def.grades {
        Some(g) => grades(c, g, key),
        None => default_grades(),
    };
    ScorePlan {
        name: def.name.value.clone(),
        role: def.role.value.clone(),
        // A bad month is reported above; the plan is never used then.
        from_month: from.unwrap_or(i32::MAX),
        to_month: if def.valid_to.is_some() {
            Some(to.unwrap_or(i32::MIN))
        } else {
            None
        },
        calibration_group: calibration(c, def, key),
        swing_threshold,
        guidance: super::guidance::check(
            c,
            def,
            &grades.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
            key,
        ),
        grades,
        bonus_pool: def
            .bonus_pool
            .as_ref()
            .and_then(|p| pool(c, p, &format!("{key}.bonus_pool"))),
        kpis: kpis(c, &def.kpis, key, catalogue),
    }
}

/// Plan names are unique, and plans of one role never overlap in time.
fn check_names_and_overlaps(c: &mut Checker<'_>, defs: &[Spanned<PlanDef>], plans: &[ScorePlan]) {
    let months_ok = |p: &ScorePlan| p.from_month != i32::MAX && p.to_month != Some(i32::MIN);
    for (i, (def, p)) in defs.iter().zip(plans).enumerate() {
        let def = &def.value;
        let key = format!("plans[{i}]");
        if let Some(j) = plans[..i].iter().position(|q| q.name == p.name) {
            c.at(
                &def.name,
                &format!("{key}.name"),
                format!("plan name `{}` is used again (first by plans[{j}])", p.name),
                Some("give every plan its own name".into()),
            );
        }
        if !months_ok(p) {
            continue;
        }
        let end = |q: &ScorePlan| q.to_month.unwrap_or(i32::MAX);
        for (j, q) in plans[..i].iter().enumerate() {
            if q.role == p.role && months_ok(q) && p.from_month <= end(q) && q.from_month <= end(p)
            {
                c.at(
                    &def.valid_from,
                    &format!("{key}.valid_from"),
                    format!(
                        "plan `{}` overlaps plan `{}` (plans[{j}]) for role `{}`",
                        p.name, q.name, p.role
                    ),
                    Some("plans of one role must not overlap in time: end the earlier one with valid_to before the later one's valid_from".into()),
                );
            }
        }
    }
}

/// A month label such as `2024-01`.
fn month(c: &mut Checker<'_>, s: &Spanned<String>, key: &str) -> Option<i32> {
    let cal = Calendar {
        grain: Grain::Month,
        fiscal_start: 1,
    };
    let v = s.value.trim();
    let is_month = v.len() == 7 && v.as_bytes().get(4) == Some(&b'-') && !v.contains('Q');
    match cal.parse_label(v) {
        Ok(m) if is_month => Some(m),
        _ => {
            c.at(
                s,
                key,
                format!("`{}` is not a month label", s.value),
                Some("write a month such as 2024-01".into()),
            );
            None
        }
    }
}

fn calibration(c: &mut Checker<'_>, def: &PlanDef, key: &str) -> Vec<OrgField> {
    let Some(g) = &def.calibration_group else {
        return vec![OrgField::Department, OrgField::Role];
    };
    let mut out = Vec::new();
    for (i, f) in g.value.iter().enumerate() {
        match OrgField::ALL.iter().find(|o| o.name() == f.value) {
            Some(o) if out.contains(o) => c.at(
                f,
                &format!("{key}.calibration_group[{i}]"),
                format!("`{}` is named twice", f.value),
                Some("name each column once".into()),
            ),
            Some(o) => out.push(*o),
            None => {
                let names: Vec<&str> = OrgField::ALL.iter().map(|o| o.name()).collect();
                c.at(
                    f,
                    &format!("{key}.calibration_group[{i}]"),
                    format!("`{}` is not a calibration column", f.value),
                    Some(
                        match crate::suggest::closest(&f.value, names.iter().copied()) {
                            Some(s) => {
                                format!("did you mean `{s}`? Use any of: {}", names.join(", "))
                            }
                            None => format!("use any of: {}", names.join(", ")),
                        },
                    ),
                );
            }
        }
    }
    out
}

fn grades(c: &mut Checker<'_>, g: &Spanned<Vec<Spanned<GradeDef>>>, key: &str) -> Vec<Grade> {
    if g.value.is_empty() {
        c.at(
            g,
            &format!("{key}.grades"),
            "a plan needs at least one grade",
            Some("leave `grades` out for the default S, A, B, C, D".into()),
        );
    }
    let n = g.value.len();
    let mut out: Vec<Grade> = Vec::new();
    for (i, band) in g.value.iter().enumerate() {
        let b = &band.value;
        let gkey = format!("{key}.grades[{i}]");
        if out.iter().any(|o| o.name == b.grade.value) {
            c.at(
                &b.grade,
                &format!("{gkey}.grade"),
                format!("grade `{}` is named twice", b.grade.value),
                None,
            );
        }
        let last = i + 1 == n;
        match (&b.min, last) {
            (Some(m), true) => c.at(
                m,
                &format!("{gkey}.min"),
                "the last band has a min",
                Some("remove `min` from the last band: it takes every composite below the band above".into()),
            ),
            (None, false) => c.at(
                band,
                &gkey,
                format!("band `{}` has no min", b.grade.value),
                Some("only the last band may leave `min` out".into()),
            ),
            (Some(m), false) => {
                if !m.value.is_finite() {
                    c.at(m, &format!("{gkey}.min"), "min is not a number", None);
                } else if let Some(prev) = out.last().and_then(|o| o.min) {
                    if m.value >= prev {
                        c.at(
                            m,
                            &format!("{gkey}.min"),
                            format!(
                                "grade mins must strictly decrease: {} follows {prev}",
                                m.value
                            ),
                            Some("list the bands highest first".into()),
                        );
                    }
                }
            }
            (None, true) => {}
        }
        let multiplier = multiplier(c, &b.bonus_multiplier, &format!("{gkey}.bonus_multiplier"));
        out.push(Grade {
            name: b.grade.value.clone(),
            min: if last {
                None
            } else {
                b.min.as_ref().map(|m| m.value)
            },
            multiplier,
        });
    }
    out
}

fn multiplier(c: &mut Checker<'_>, m: &Spanned<DecimalText>, key: &str) -> i64 {
    match crate::money::parse_scaled(&m.value.0, 4) {
        Ok(v) if v >= 0 => v,
        Ok(_) => {
            c.at(
                m,
                key,
                format!("`{}` is negative", m.value.0),
                Some("a multiplier is 0 or more".into()),
            );
            0
        }
        Err(e) => {
            c.at(
                m,
                key,
                format!("`{}` {e}", m.value.0),
                Some("write an exact decimal with at most 4 places, e.g. 1.25".into()),
            );
            0
        }
    }
}

/// A bonus pool: money in base currency, exact to the cent, 0 or more.
fn pool(c: &mut Checker<'_>, p: &Spanned<DecimalText>, key: &str) -> Option<i64> {
    let hint = "write the most the plan's bonuses of one period may add up to, in base currency with at most 2 decimals, e.g. \"100000.00\"";
    match crate::money::parse_money(&p.value.0) {
        Ok(v) if v >= 0 => Some(v),
        Ok(_) => {
            c.at(
                p,
                key,
                format!("`{}` is negative", p.value.0),
                Some("a bonus pool is 0 or more".into()),
            );
            None
        }
        Err(e) => {
            c.at(p, key, format!("`{}` {e}", p.value.0), Some(hint.into()));
            None
        }
    }
}

fn kpis(
    c: &mut Checker<'_>,
    k: &Spanned<Vec<Spanned<KpiDef>>>,
    key: &str,
    catalogue: &Catalogue,
) -> Vec<Kpi> {
    if k.value.is_empty() {
        c.at(
            k,
            &format!("{key}.kpis"),
            "a plan needs at least one KPI",
            None,
        );
        return Vec::new();
    }
    let mut out: Vec<Kpi> = Vec::new();
    for (i, kpi) in k.value.iter().enumerate() {
        if let Some(kpi) = check_kpi(c, &kpi.value, &format!("{key}.kpis[{i}]"), &out, catalogue) {
            out.push(kpi);
        }
    }
    let weights = k.value.iter().map(|d| d.value.weight.value);
    let sum: f64 = weights.clone().sum();
    let weights_ok = weights.into_iter().all(|w| w.is_finite() && w > 0.0);
    if weights_ok && (sum - 1.0).abs() > WEIGHT_TOLERANCE {
        c.at(
            k,
            &format!("{key}.kpis"),
            format!("the weights sum to {sum}, not 1"),
            Some("make the KPI weights add up to 1, e.g. 0.4 + 0.3 + 0.3".into()),
        );
    }
    out
}

/// One KPI: its metric (known, not repeated in `earlier`), weight and ordered defaults. `None`
/// when the metric is unknown.
fn check_kpi(
    c: &mut Checker<'_>,
    d: &KpiDef,
    key: &str,
    earlier: &[Kpi],
    catalogue: &Catalogue,
) -> Option<Kpi> {
    let metric = catalogue.id(&d.metric.value);
    match metric {
        None => c.at(
            &d.metric,
            &format!("{key}.metric"),
            format!("`{}` is not a metric", d.metric.value),
            Some(catalogue.unknown_hint(&d.metric.value)),
        ),
        Some(m) if earlier.iter().any(|o| o.metric == m) => c.at(
            &d.metric,
            &format!("{key}.metric"),
            format!("`{}` is a KPI of this plan already", catalogue.name(m)),
            Some("score each metric once per plan".into()),
        ),
        _ => {}
    }
    let w = d.weight.value;
    if !(w.is_finite() && w > 0.0) {
        c.at(
            &d.weight,
            &format!("{key}.weight"),
            format!("weight {w} is not positive"),
            Some("every KPI weighs more than 0".into()),
        );
    }
    let dir = d.direction.value;
    let (t, g, s) = (d.threshold.value, d.target.value, d.stretch.value);
    if ![t, g, s].iter().all(|x| x.is_finite()) || !dir.ordered(t, g, s) {
        c.at(
            &d.threshold,
            &format!("{key}.threshold"),
            format!(
                "threshold {t}, target {g} and stretch {s} are out of order for direction `{}`",
                dir.name()
            ),
            Some(format!(
                "for `{}` is better, write {}",
                dir.name(),
                dir.order_rule()
            )),
        );
    }
    Some(Kpi {
        metric: metric?,
        weight: w,
        perspective: d.perspective.value,
        direction: dir,
        threshold: t,
        target: g,
        stretch: s,
    })
}
