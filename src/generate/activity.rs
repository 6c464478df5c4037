//! Generated applications (timestamped three ways) and reviews.

use std::io::Write;
use std::path::Path;

use rand::rngs::StdRng;
use rand::Rng;

use super::{
    eid, normal, open, poisson, werr, World, ACCOUNT_MANAGER, CURRENCIES, RISK_OFFICER, SALES,
};
use crate::error::Error;
use crate::periods::{month_end, month_start, Day};
use crate::tables::Table;

/// Writes applications; returns their row count.
///
/// Salespeople receive `applications_per_month` a month on average, account managers a third
/// of that; the more skilled receive more, get more approved and fund faster. About 5% are
/// withdrawn and a few stay pending; most approved ones are funded 1-4 days after receipt.
pub(super) fn applications(w: &World, rng: &mut StdRng, dir: &Path) -> Result<usize, Error> {
    let (cfg, days, emps) = (w.cfg, w.days, w.emps);
    let end = month_end(cfg.last_month);
    let n_cli = cfg.clients;
    // Applications, timestamped in Asia/Shanghai (UTC+8) in three spellings.
    let mut out = open(dir, Table::Applications)?;
    let mut n_app = 0;
    let stamp = |secs: i64, form: u32| -> String {
        let (d, s) = (secs.div_euclid(86_400) as Day, secs.rem_euclid(86_400));
        let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
        match form {
            0 => format!("{}T{h:02}:{m:02}:{sec:02}+08:00", days.get(d)),
            1 => format!("{}T{h:02}:{m:02}:{sec:02}", days.get(d)),
            _ => {
                let u = secs - 8 * 3600;
                let (d, s) = (u.div_euclid(86_400) as Day, u.rem_euclid(86_400));
                format!(
                    "{}T{:02}:{:02}:{:02}Z",
                    days.get(d),
                    s / 3600,
                    s % 3600 / 60,
                    s % 60
                )
            }
        }
    };
    let end_secs = i64::from(end + 1) * 86_400;
    for (e, emp) in emps.iter().enumerate() {
        let per_month = match emp.role {
            SALES => cfg.applications_per_month,
            ACCOUNT_MANAGER => cfg.applications_per_month / 3.0,
            _ => continue,
        } * (0.25 * emp.skill).exp();
        let p_approve = (0.64 + 0.08 * emp.skill).clamp(0.3, 0.92);
        let speed = (-0.2 * emp.skill).exp();
        for m in cfg.first_month..=cfg.last_month {
            let (ms, me) = (
                month_start(m).max(emp.hire),
                month_end(m).min(emp.term.unwrap_or(end)),
            );
            if ms > me {
                continue;
            }
            let share = f64::from(me - ms + 1) / f64::from(month_end(m) - month_start(m) + 1);
            for _ in 0..poisson(rng, per_month * share) {
                n_app += 1;
                let rec = i64::from(rng.random_range(ms..=me)) * 86_400
                    + rng.random_range(8 * 3600..20 * 3600);
                let form = match rng.random_range(0..10) {
                    0..7 => 0,
                    7..9 => 1,
                    _ => 2,
                };
                let hours = |rng: &mut StdRng, median: f64| -> i64 {
                    let h = median * speed * (0.6 * normal(rng)).exp();
                    (h.clamp(0.5, 300.0) * 3600.0) as i64 + rng.random_range(0..600)
                };
                let dec = rec + hours(rng, 18.0);
                let outcome = match rng.random_range(0..100) {
                    0..5 => "withdrawn",
                    5..8 => "",
                    _ if rng.random_bool(p_approve) => "approved",
                    _ => "rejected",
                };
                let (dec_s, outcome) = if outcome.is_empty() || dec >= end_secs {
                    (String::new(), "")
                } else {
                    (stamp(dec, form), outcome)
                };
                let fund = dec + hours(rng, 20.0);
                let fund_s = if outcome == "approved" && rng.random_bool(0.93) && fund < end_secs {
                    stamp(fund, form)
                } else {
                    String::new()
                };
                let k = if rng.random_bool(0.85) { 0 } else { 1 };
                let amount =
                    (400_000.0 * (0.8 * normal(rng)).exp()).clamp(20_000.0, 2e7) / CURRENCIES[k].1;
                writeln!(
                    out,
                    // decided_by is left empty: the sample names no deciding risk officer.
                    "A{:08},C{:05},{},{},{dec_s},{outcome},{fund_s},{},{},",
                    n_app,
                    rng.random_range(1..n_cli + 200),
                    eid(e),
                    stamp(rec, form),
                    super::cents((amount * 100.0) as i64 + 100),
                    CURRENCIES[k].0
                )
                .map_err(werr)?;
            }
        }
    }

    out.flush().map_err(werr)?;
    Ok(n_app)
}

/// Writes reviews; returns their row count.
///
/// Each month every employee gets a manager review (月度考核) near the month's end; each
/// quarter a peer review; account managers and salespeople get customer survey scores most
/// months. Scores are out of 100 and move with the employee's skill.
pub(super) fn reviews(w: &World, rng: &mut StdRng, dir: &Path) -> Result<usize, Error> {
    let (cfg, days, emps) = (w.cfg, w.days, w.emps);
    let end = month_end(cfg.last_month);
    let mut out = open(dir, Table::Reviews)?;
    let mut n_rev = 0;
    let score = |rng: &mut StdRng, base: f64, slope: f64, noise: f64, skill: f64| {
        (base + slope * skill + noise * normal(rng)).clamp(40.0, 100.0)
    };
    for (i, e) in emps.iter().enumerate() {
        for m in cfg.first_month..=cfg.last_month {
            let lo = month_start(m).max(e.hire);
            let hi = month_end(m).min(e.term.unwrap_or(end));
            if lo > hi {
                continue;
            }
            let mut rows: Vec<(Day, &str, f64)> = Vec::new();
            let d = hi - rng.random_range(0..=(hi - lo).min(6));
            rows.push((d, "manager", score(rng, 78.0, 7.0, 4.0, e.skill)));
            if m.rem_euclid(3) == 2 {
                let d = hi - rng.random_range(0..=(hi - lo).min(20));
                rows.push((d, "peer", score(rng, 80.0, 4.0, 6.0, e.skill)));
            }
            let role = e.org_on(hi).1;
            if role != RISK_OFFICER {
                let n = match rng.random_range(0..100) {
                    0..15 => 0,
                    15..65 => 1,
                    _ => 2,
                };
                for _ in 0..n {
                    let d = rng.random_range(lo..=hi);
                    rows.push((d, "customer", score(rng, 84.0, 5.0, 6.0, e.skill)));
                }
            }
            for (d, src, s) in rows {
                n_rev += 1;
                writeln!(out, "{},{},{src},{s:.1}", eid(i), days.get(d)).map_err(werr)?;
            }
        }
    }
    out.flush().map_err(werr)?;
    Ok(n_rev)
}
