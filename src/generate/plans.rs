//! Targets and approved appeals (adjustments) that fit the scorecard plans of
//! `pipelines/monthly.yaml`, which [`PLANS`] mirrors: change both together.
//!
//! Targets are written for month labels within 2024-01 .. 2026-10 (the sample pipeline's
//! periods) that the company spans: role rows (the monthly cascade of the headline KPI), a few
//! department + role and department rows, a company row and some employee rows. Rows that leave
//! threshold or stretch empty take them from the plan default, and the filled values are strictly
//! ordered for the KPI's direction. Appeals name a rated scorecard row (employed that month, with
//! a plan in force for the role on the row's org date) and a KPI of its plan.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::summary::Engine;
use super::{
    eid, lead, month_label, open, werr, World, ACCOUNT_MANAGER, DEPARTMENTS, RISK_OFFICER, SALES,
    TEAMS,
};
use crate::error::Error;
use crate::periods::{month_end, month_start};
use crate::tables::Table;

/// A KPI of a plan with its default threshold, target and stretch.
pub(super) struct Kpi {
    pub metric: &'static str,
    pub lower: bool,
    pub threshold: f64,
    pub target: f64,
    pub stretch: f64,
}

/// A plan: a role scored from month `from` to month `to` (inclusive; `None` = open).
pub(super) struct PlanDef {
    pub role: &'static str,
    pub from: (i32, i32),
    pub to: Option<(i32, i32)>,
    pub kpis: &'static [Kpi],
}

const fn hi(metric: &'static str, threshold: f64, target: f64, stretch: f64) -> Kpi {
    Kpi {
        metric,
        lower: false,
        threshold,
        target,
        stretch,
    }
}

const fn lo(metric: &'static str, threshold: f64, target: f64, stretch: f64) -> Kpi {
    Kpi {
        metric,
        lower: true,
        threshold,
        target,
        stretch,
    }
}

/// The plans of `pipelines/monthly.yaml` (names, weights and perspectives live there only).
pub(super) const PLANS: &[PlanDef] = &[
    // account-managers-collections
    PlanDef {
        role: ACCOUNT_MANAGER,
        from: (2024, 1),
        to: Some((2025, 6)),
        kpis: &[
            hi("cash_recovery_rate", 0.5, 0.89, 0.985),
            lo("par30_rate", 0.18, 0.025, 0.002),
            hi("fee_income", 5000.0, 110000.0, 230000.0),
            hi("customer_satisfaction", 68.0, 86.0, 97.0),
            lo("bad_debt_rate", 0.004, 0.0008, 0.0001),
        ],
    },
    // account-managers-losses
    PlanDef {
        role: ACCOUNT_MANAGER,
        from: (2025, 7),
        to: None,
        kpis: &[
            hi("cash_recovery_rate", 0.5, 0.89, 0.985),
            lo("par30_rate", 0.18, 0.025, 0.002),
            lo("net_loss_rate", 0.004, 0.0008, 0.0001),
            hi("fee_income", 5000.0, 110000.0, 230000.0),
            hi("customer_satisfaction", 68.0, 86.0, 97.0),
        ],
    },
    // sales-2024
    PlanDef {
        role: SALES,
        from: (2024, 1),
        to: None,
        kpis: &[
            hi("funded_volume", 500000.0, 5000000.0, 11000000.0),
            hi("new_clients", 0.0, 1.0, 2.0),
            hi("approval_rate", 0.2, 0.65, 0.9),
            lo("time_to_fund_median_hours", 100.0, 42.0, 24.0),
            hi("customer_satisfaction", 66.0, 84.0, 96.0),
        ],
    },
    // risk-officers-2024
    PlanDef {
        role: RISK_OFFICER,
        from: (2024, 1),
        to: None,
        kpis: &[
            lo("par30_rate", 0.35, 0.08, 0.01),
            lo("net_loss_rate", 0.01, 0.0015, 0.0002),
            lo("overdue_rate", 0.5, 0.17, 0.05),
            hi("manager_review", 58.0, 83.0, 95.0),
        ],
    },
];

fn key(ym: (i32, i32)) -> i32 {
    ym.0 * 12 + ym.1 - 1
}

/// The plan in force for `role` in month `m`.
pub(super) fn plan_for(role: &str, m: i32) -> Option<&'static PlanDef> {
    PLANS
        .iter()
        .find(|p| p.role == role && key(p.from) <= m && p.to.is_none_or(|t| m <= key(t)))
}

fn kpi(plan: &'static PlanDef, metric: &str) -> Option<&'static Kpi> {
    plan.kpis.iter().find(|k| k.metric == metric)
}

/// Whether (threshold, target, stretch) is strictly ordered for the direction.
fn ordered(lower: bool, th: f64, t: f64, st: f64) -> bool {
    if lower {
        th > t && t > st
    } else {
        th < t && t < st
    }
}

struct TargetRow {
    month: i32,
    metric: &'static str,
    target: f64,
    threshold: Option<f64>,
    stretch: Option<f64>,
    employee: Option<usize>,
    role: Option<&'static str>,
    department: Option<&'static str>,
}

/// A number as written in the files: no more decimals than it needs.
fn num(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Months of target and appeal rows: those of 2024-01 .. 2026-10 the company spans.
fn months(w: &World) -> Vec<i32> {
    let first = w.cfg.first_month.max(key((2024, 1)));
    let last = w.cfg.last_month.min(key((2026, 10)));
    (first..=last).collect()
}

/// Writes `targets.csv`; returns its row count.
pub(super) fn targets(w: &World, dir: &Path) -> Result<usize, Error> {
    let cfg = w.cfg;
    let emps = w.emps;
    let months = months(w);
    let Some(&first) = months.first() else {
        open(dir, Table::Targets)?.flush().map_err(werr)?;
        return Ok(0);
    };
    let mut rows: Vec<TargetRow> = Vec::new();
    // Scale of volume targets: the company grows, and February is Chinese New Year.
    let scale = |m: i32| {
        (1.0 + cfg.growth).powf(f64::from(m - key((2024, 1))) / 12.0)
            * match m.rem_euclid(12) {
                1 => 0.8,
                11 => 1.1,
                _ => 1.0,
            }
    };
    for &m in &months {
        // Role rows: the headline KPI of each plan, cascaded every month.
        if let Some(p) = plan_for(ACCOUNT_MANAGER, m) {
            let k = kpi(p, "cash_recovery_rate").expect("KPI of the plan");
            let target = match m.rem_euclid(12) {
                1 => k.target - 0.3 * (k.target - k.threshold),
                11 => k.target + 0.3 * (k.stretch - k.target),
                _ => k.target,
            };
            let full = m.rem_euclid(2) == 0;
            rows.push(TargetRow {
                month: m,
                metric: k.metric,
                target,
                threshold: full.then_some(k.threshold),
                stretch: full.then_some(k.stretch),
                employee: None,
                role: Some(ACCOUNT_MANAGER),
                department: None,
            });
        }
        if let Some(p) = plan_for(SALES, m) {
            let k = kpi(p, "funded_volume").expect("KPI of the plan");
            let s = scale(m);
            rows.push(TargetRow {
                month: m,
                metric: k.metric,
                target: (k.target * s).round(),
                threshold: Some((k.threshold * s).round()),
                stretch: Some((k.stretch * s).round()),
                employee: None,
                role: Some(SALES),
                department: None,
            });
        }
        if m >= key((2025, 1)) {
            if let Some(p) = plan_for(RISK_OFFICER, m) {
                // Risk appetite tightened for 2025: the target moves, the bounds stay.
                let k = kpi(p, "par30_rate").expect("KPI of the plan");
                rows.push(TargetRow {
                    month: m,
                    metric: k.metric,
                    target: k.target - 0.2 * (k.target - k.stretch),
                    threshold: None,
                    stretch: None,
                    employee: None,
                    role: Some(RISK_OFFICER),
                    department: None,
                });
            }
        }
        // Department + role: North's account managers carry an older, slower-paying book in 2026.
        if m >= key((2026, 1)) {
            if let Some(k) = plan_for(ACCOUNT_MANAGER, m).and_then(|p| kpi(p, "par30_rate")) {
                rows.push(TargetRow {
                    month: m,
                    metric: k.metric,
                    target: k.target * 1.25,
                    threshold: Some(k.threshold * 1.15),
                    stretch: Some(k.stretch * 1.25),
                    employee: None,
                    role: Some(ACCOUNT_MANAGER),
                    department: Some(DEPARTMENTS[2]),
                });
            }
        }
        // Department: South runs a service push in 2025's second half: a higher floor.
        if (key((2025, 7))..=key((2025, 12))).contains(&m) {
            rows.push(TargetRow {
                month: m,
                metric: "customer_satisfaction",
                target: 86.0,
                threshold: Some(75.0),
                stretch: Some(94.0),
                employee: None,
                role: None,
                department: Some(DEPARTMENTS[1]),
            });
        }
        // Company: from 2026 one service standard for every role scored on it.
        if m >= key((2026, 1)) {
            rows.push(TargetRow {
                month: m,
                metric: "customer_satisfaction",
                target: 85.0,
                threshold: Some(74.0),
                stretch: Some(94.0),
                employee: None,
                role: None,
                department: None,
            });
        }
    }
    // Employees: salespeople hired during the span ramp up over their first three months.
    let start = month_start(first);
    let mut ramping = 0;
    for (i, e) in emps.iter().enumerate() {
        if ramping >= 4 || e.hire < start || e.role != SALES {
            continue;
        }
        let m0 = crate::periods::month_of(e.hire);
        for (j, m) in (m0..m0 + 3).enumerate() {
            if !months.contains(&m) || rated(w, i, m).is_none_or(|p| p.role != SALES) {
                continue;
            }
            let Some(k) = plan_for(SALES, m).and_then(|p| kpi(p, "funded_volume")) else {
                continue;
            };
            let f = [0.3, 0.5, 0.75][j] * scale(m);
            rows.push(TargetRow {
                month: m,
                metric: k.metric,
                target: (k.target * f).round(),
                threshold: Some((k.threshold * f).round()),
                stretch: Some((k.stretch * f).round()),
                employee: Some(i),
                role: None,
                department: None,
            });
        }
        ramping += 1;
    }

    // Check what a run will check, then write.
    let mut seen = HashSet::new();
    let mut out = open(dir, Table::Targets)?;
    let mut n_targets = 0;
    for r in &rows {
        let who = (r.employee, r.department, r.role);
        if !seen.insert((r.month, r.metric, who)) {
            return Err(bug(
                dir,
                format!("repeated target {} {}", month_label(r.month), r.metric),
            ));
        }
        // The plans a row may fill its empty bounds from.
        for p in PLANS.iter().filter(|p| {
            key(p.from) <= r.month
                && p.to.is_none_or(|t| r.month <= key(t))
                && r.role.is_none_or(|role| role == p.role)
        }) {
            if let Some(k) = kpi(p, r.metric) {
                let th = r.threshold.unwrap_or(k.threshold);
                let st = r.stretch.unwrap_or(k.stretch);
                if !ordered(k.lower, th, r.target, st) {
                    return Err(bug(
                        dir,
                        format!(
                            "target {} {} is not ordered",
                            month_label(r.month),
                            r.metric
                        ),
                    ));
                }
            }
        }
        let opt = |x: Option<f64>| x.map(num).unwrap_or_default();
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            month_label(r.month),
            r.metric,
            num(r.target),
            opt(r.threshold),
            opt(r.stretch),
            r.employee.map(eid).unwrap_or_default(),
            r.role.unwrap_or_default(),
            r.department.unwrap_or_default()
        )
        .map_err(werr)?;
        n_targets += 1;
    }
    out.flush().map_err(werr)?;

    Ok(n_targets)
}

/// Writes `adjustments.csv`: approved appeals of rated rows whose actual (from `engine`) missed
/// the KPI's plan target, each corrected part of the way towards it. Returns the row count.
pub(super) fn appeals(w: &World, dir: &Path, engine: &Engine) -> Result<usize, Error> {
    let emps = w.emps;
    let months = months(w);
    // A stream of its own, so the other tables do not depend on how many rows are written here.
    let mut rng = StdRng::seed_from_u64(w.cfg.seed ^ 0x6170_7065_616c);
    let mut out = open(dir, Table::Adjustments)?;
    let mut n_adj = 0;
    let mut seen = HashSet::new();
    if w.cfg.appeals && !months.is_empty() && !emps.is_empty() {
        for _ in 0..2000 {
            if n_adj == 8 {
                break;
            }
            let i = rng.random_range(0..emps.len());
            let m = months[rng.random_range(0..months.len())];
            let Some(p) = rated(w, i, m) else {
                continue;
            };
            let k = &p.kpis[rng.random_range(0..p.kpis.len())];
            let Some(raw) = engine.value(&eid(i), m, k.metric) else {
                continue;
            };
            let Some((value, reason)) = appeal(&mut rng, k, raw) else {
                continue;
            };
            if !seen.insert((i, m, k.metric)) {
                continue;
            }
            let org_day = month_end(m).min(emps[i].term.unwrap_or(month_end(m)));
            let team = emps[i].org_on(org_day).0;
            let approver = if lead(team) == i {
                lead((team + 1) % TEAMS)
            } else {
                lead(team)
            };
            writeln!(
                out,
                "{},{},{},{},{},{}",
                eid(i),
                month_label(m),
                k.metric,
                num(value),
                reason,
                eid(approver)
            )
            .map_err(werr)?;
            n_adj += 1;
        }
    }
    out.flush().map_err(werr)?;
    Ok(n_adj)
}

/// A target the generator should never write (a bug in it): the targets file cannot be written.
fn bug(dir: &Path, what: String) -> Error {
    Error::Write {
        path: dir.join(format!("{}.csv", Table::Targets.name())),
        source: std::io::Error::other(format!("generator bug: {what}")),
    }
}

/// The plan that scores employee `i`'s row of month `m`, if the row exists and is rated.
fn rated(w: &World, i: usize, m: i32) -> Option<&'static PlanDef> {
    let e = &w.emps[i];
    let (ms, me) = (month_start(m), month_end(m));
    if e.days_in(ms, me) == 0 {
        return None;
    }
    let org_day = e.term.map_or(me, |t| t.min(me));
    plan_for(e.org_on(org_day).1, m)
}

/// The corrected value and reason of an appeal of a KPI whose actual was `raw`, if `raw` missed
/// the plan target (nobody appeals a figure that met it).
fn appeal(rng: &mut StdRng, k: &Kpi, raw: f64) -> Option<(f64, &'static str)> {
    let missed = if k.lower {
        raw > k.target
    } else {
        raw < k.target
    };
    if !missed {
        return None;
    }
    let reasons: &[&str] = match k.metric {
        "cash_recovery_rate" | "par30_rate" | "overdue_rate" => &[
            "债务人已于月末前付款 银行入账延迟至次月",
            "Disputed invoice withdrawn by the client; not overdue",
            "Client moved into this book mid-month from a departed colleague",
        ],
        "bad_debt_rate" | "net_loss_rate" => &[
            "核销系总部统一决策 非本人经办",
            "Write-off booked to the wrong portfolio owner",
        ],
        "funded_volume" | "new_clients" | "approval_rate" | "applications_funded" => &[
            "系统误将业务记入其他员工名下",
            "Deal originated jointly; credit split agreed by the sales director",
        ],
        "time_to_fund_median_hours" => &[
            "Funding held by the bank over the national holiday",
            "放款系统故障两天 非本人原因",
        ],
        "fee_income" => &["Fee reversal belongs to a client transferred out last month"],
        _ => &[
            "Survey sent to the wrong contact at the client",
            "复核后更正评分",
        ],
    };
    let reason = reasons[rng.random_range(0..reasons.len())];
    // Part of the way to the target: the payment, deal or survey that should have counted.
    let f = rng.random_range(0.4..1.0);
    let x = raw + f * (k.target - raw);
    let value = match k.metric {
        "new_clients" | "applications_funded" => raw + 1.0,
        "funded_volume" | "fee_income" => x.round(),
        "customer_satisfaction" | "peer_review" | "manager_review" => (x * 10.0).round() / 10.0,
        "time_to_fund_median_hours" => (x * 10.0).round() / 10.0,
        _ => (x * 1e4).round() / 1e4,
    };
    let better = if k.lower { value < raw } else { value > raw };
    better.then_some((value, reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::def::Direction;

    /// [`PLANS`] mirrors the plans of `pipelines/monthly.yaml`, so the generated targets and
    /// appeals fit the sample pipeline.
    #[test]
    fn plans_mirror_the_sample_pipeline() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/monthly.yaml");
        let pipeline = crate::config::load(&path).expect("the sample pipeline loads");
        assert_eq!(pipeline.plans.len(), PLANS.len());
        for (got, want) in pipeline.plans.iter().zip(PLANS) {
            assert_eq!(got.role, want.role, "{}", got.name);
            assert_eq!(got.from_month, key(want.from), "{}", got.name);
            assert_eq!(got.to_month, want.to.map(key), "{}", got.name);
            assert_eq!(got.kpis.len(), want.kpis.len(), "{}", got.name);
            for (g, w) in got.kpis.iter().zip(want.kpis) {
                assert_eq!(g.metric.name, w.metric, "{}", got.name);
                assert_eq!(
                    g.direction == Direction::Lower,
                    w.lower,
                    "{} {}",
                    got.name,
                    w.metric
                );
                assert_eq!(
                    (g.threshold, g.target, g.stretch),
                    (w.threshold, w.target, w.stretch),
                    "{} {}",
                    got.name,
                    w.metric
                );
            }
        }
    }
}
