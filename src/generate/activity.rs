//! Generated applications (timestamped three ways) and reviews.

use std::io::Write;
use std::path::Path;

use rand::rngs::StdRng;
use rand::Rng;

use super::{cents, eid, open, werr, Days, Emp, GenConfig, CURRENCIES};
use crate::error::Error;
use crate::periods::{month_end, month_start, Day};

/// Writes applications; returns their row count.
pub(super) fn applications(
    cfg: &GenConfig,
    rng: &mut StdRng,
    dir: &Path,
    days: &Days,
    emps: &[Emp],
    originators: &[usize],
) -> Result<Vec<(&'static str, usize)>, Error> {
    let end = month_end(cfg.last_month);
    let n_cli = cfg.clients;
    // Applications, timestamped in Asia/Shanghai (UTC+8) in three spellings.
    let mut w = open(dir, "applications", "application_id,client_id,employee_id,received_at,decided_at,decision,funded_at,requested_amount,currency")?;
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
    for &e in originators {
        for m in cfg.first_month..=cfg.last_month {
            let (ms, me) = (
                month_start(m).max(emps[e].hire),
                month_end(m).min(emps[e].term.unwrap_or(end)),
            );
            if ms > me {
                continue;
            }
            let k = (cfg.applications_per_month * 2.0 * rng.random::<f64>()).round() as usize;
            for _ in 0..k {
                n_app += 1;
                let rec = i64::from(rng.random_range(ms..=me)) * 86_400
                    + rng.random_range(8 * 3600..20 * 3600);
                let form = match rng.random_range(0..10) {
                    0..7 => 0,
                    7..9 => 1,
                    _ => 2,
                };
                let dec = rec + rng.random_range(3600..96 * 3600);
                let outcome = match rng.random_range(0..10) {
                    0..6 => "approved",
                    6..8 => "rejected",
                    8 => "withdrawn",
                    _ => "",
                };
                let (dec_s, outcome) = if outcome.is_empty() || dec >= end_secs {
                    (String::new(), "")
                } else {
                    (stamp(dec, form), outcome)
                };
                let fund = dec + rng.random_range(3600..400 * 3600);
                let fund_s = if outcome == "approved" && rng.random_bool(0.85) && fund < end_secs {
                    stamp(fund, form)
                } else {
                    String::new()
                };
                let k = if rng.random_bool(0.85) { 0 } else { 1 };
                writeln!(
                    w,
                    "A{:08},C{:05},{},{},{dec_s},{outcome},{fund_s},{},{}",
                    n_app,
                    rng.random_range(1..n_cli + 200),
                    eid(e),
                    stamp(rec, form),
                    cents(rng.random_range(1_000_000..50_000_000)),
                    CURRENCIES[k].0
                )
                .map_err(werr)?;
            }
        }
    }

    w.flush().map_err(werr)?;
    Ok(vec![("applications", n_app)])
}

/// Writes reviews; returns their row count.
pub(super) fn reviews(
    cfg: &GenConfig,
    rng: &mut StdRng,
    dir: &Path,
    days: &Days,
    emps: &[Emp],
) -> Result<usize, Error> {
    let end = month_end(cfg.last_month);
    // Reviews: a manager review each quarter, customer reviews of account managers, peer reviews.
    let mut w = open(dir, "reviews", "employee_id,reviewed_on,source,score")?;
    let mut n_rev = 0;
    for (i, e) in emps.iter().enumerate() {
        for q in (cfg.first_month..=cfg.last_month).step_by(3) {
            let d = month_end(q + 2).min(end);
            if !e.employed(d) {
                continue;
            }
            let mut srcs = vec!["manager", "peer"];
            if e.role == "account_manager" {
                srcs.extend(["customer"; 2]);
            }
            for s in srcs {
                n_rev += 1;
                let day = d - rng.random_range(0..60);
                writeln!(
                    w,
                    "{},{},{s},{:.1}",
                    eid(i),
                    days.get(day.max(e.hire)),
                    rng.random_range(500..1000) as f64 / 10.0
                )
                .map_err(werr)?;
            }
        }
    }
    w.flush().map_err(werr)?;
    Ok(n_rev)
}
