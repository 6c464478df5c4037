//! Targets and approved appeals (adjustments) that fit the scorecard plans of
//! `pipelines/monthly.yaml`, read from that file (embedded at build time) so that the plans are
//! written once.
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
use std::sync::OnceLock;

use crate::catalogue::Catalogue;
use crate::config::def::Direction;
use crate::config::{Kpi, ScorePlan};
use crate::error::Error;
use crate::periods::{month_end, month_start};
use crate::tables::Table;

/// The sample pipeline, whose plans the targets and appeals fit.
const SAMPLE_PIPELINE: &str = include_str!("../../pipelines/monthly.yaml");

/// The plans of `pipelines/monthly.yaml` and its metric catalogue (empty if it did not load: a
/// test keeps it loading).
fn sample() -> &'static (Vec<ScorePlan>, Catalogue) {
    static SAMPLE: OnceLock<(Vec<ScorePlan>, Catalogue)> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        crate::config::load_str(Path::new("pipelines/monthly.yaml"), SAMPLE_PIPELINE)
            .map(|p| (p.plans, p.catalogue))
            .unwrap_or_default()
    })
}

/// The plans of `pipelines/monthly.yaml`.
pub(super) fn plans() -> &'static [ScorePlan] {
    &sample().0
}

/// The name of a sample KPI's metric.
fn metric(k: &Kpi) -> &'static str {
    sample().1.name(k.metric)
}

fn key(ym: (i32, i32)) -> i32 {
    ym.0 * 12 + ym.1 - 1
}

fn in_force(p: &ScorePlan, m: i32) -> bool {
    p.from_month <= m && p.to_month.is_none_or(|t| m <= t)
}

/// The plan in force for `role` in month `m`.
pub(super) fn plan_for(role: &str, m: i32) -> Option<&'static ScorePlan> {
    plans().iter().find(|p| p.role == role && in_force(p, m))
}

fn kpi(plan: &'static ScorePlan, metric: &str) -> Option<&'static Kpi> {
    plan.kpis.iter().find(|k| self::metric(k) == metric)
}

fn lower(k: &Kpi) -> bool {
    k.direction == Direction::Lower
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
        if let Some(k) = plan_for(ACCOUNT_MANAGER, m).and_then(|p| kpi(p, "cash_recovery_rate")) {
            let target = match m.rem_euclid(12) {
                1 => k.target - 0.3 * (k.target - k.threshold),
                11 => k.target + 0.3 * (k.stretch - k.target),
                _ => k.target,
            };
            let full = m.rem_euclid(2) == 0;
            rows.push(TargetRow {
                month: m,
                metric: metric(k),
                target,
                threshold: full.then_some(k.threshold),
                stretch: full.then_some(k.stretch),
                employee: None,
                role: Some(ACCOUNT_MANAGER),
                department: None,
            });
        }
        if let Some(k) = plan_for(SALES, m).and_then(|p| kpi(p, "funded_volume")) {
            let s = scale(m);
            rows.push(TargetRow {
                month: m,
                metric: metric(k),
                target: (k.target * s).round(),
                threshold: Some((k.threshold * s).round()),
                stretch: Some((k.stretch * s).round()),
                employee: None,
                role: Some(SALES),
                department: None,
            });
        }
        if m >= key((2025, 1)) {
            // Risk appetite tightened for 2025: the target moves, the bounds stay.
            if let Some(k) = plan_for(RISK_OFFICER, m).and_then(|p| kpi(p, "par30_rate")) {
                rows.push(TargetRow {
                    month: m,
                    metric: metric(k),
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
                    metric: metric(k),
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
                metric: metric(k),
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
        for p in plans()
            .iter()
            .filter(|p| in_force(p, r.month) && r.role.is_none_or(|role| role == p.role))
        {
            if let Some(k) = kpi(p, r.metric) {
                let th = r.threshold.unwrap_or(k.threshold);
                let st = r.stretch.unwrap_or(k.stretch);
                if !k.direction.ordered(th, r.target, st) {
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
            let Some(raw) = engine.value(&eid(i), m, metric(k)) else {
                continue;
            };
            let Some((value, reason)) = appeal(&mut rng, k, raw) else {
                continue;
            };
            if !seen.insert((i, m, metric(k))) {
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
                metric(k),
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
fn rated(w: &World, i: usize, m: i32) -> Option<&'static ScorePlan> {
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
    let missed = if lower(k) {
        raw > k.target
    } else {
        raw < k.target
    };
    if !missed {
        return None;
    }
    let reasons: &[&str] = match metric(k) {
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
        "approved_default_rate" => &[
            "Invoice linked to the wrong approval; the approving officer was a colleague",
            "债务人破产系行业性风险 审批时无法预见",
        ],
        "decision_time_median_hours" => &[
            "Decisions waited on documents the client sent late",
            "审批系统停机一天 非本人原因",
        ],
        _ => &[
            "Survey sent to the wrong contact at the client",
            "复核后更正评分",
        ],
    };
    let reason = reasons[rng.random_range(0..reasons.len())];
    // Part of the way to the target: the payment, deal or survey that should have counted.
    let f = rng.random_range(0.4..1.0);
    let x = raw + f * (k.target - raw);
    let value = match metric(k) {
        "new_clients" | "applications_funded" => raw + 1.0,
        "funded_volume" | "fee_income" => x.round(),
        "customer_satisfaction" | "peer_review" | "manager_review" => (x * 10.0).round() / 10.0,
        "time_to_fund_median_hours" | "decision_time_median_hours" => (x * 10.0).round() / 10.0,
        _ => (x * 1e4).round() / 1e4,
    };
    let better = if lower(k) { value < raw } else { value > raw };
    better.then_some((value, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded sample pipeline loads, and its plans are those the generator fits.
    #[test]
    fn the_sample_plans_load() {
        let names: Vec<&str> = plans().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "account-managers-collections",
                "account-managers-losses",
                "sales-2024",
                "risk-officers-2024"
            ]
        );
        for (role, metric) in [
            (ACCOUNT_MANAGER, "cash_recovery_rate"),
            (ACCOUNT_MANAGER, "par30_rate"),
            (SALES, "funded_volume"),
            (RISK_OFFICER, "par30_rate"),
        ] {
            let p = plan_for(role, key((2024, 1))).expect("a plan in force");
            assert!(kpi(p, metric).is_some(), "{role} {metric}");
        }
    }
}
