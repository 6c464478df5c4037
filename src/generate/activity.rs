//! Generated applications (timestamped three ways), who decided them, and reviews.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use rand::rngs::StdRng;
use rand::Rng;

use super::{
    eid, normal, open, pick, poisson, werr, World, ACCOUNT_MANAGER, CURRENCIES, RISK_OFFICER, SALES,
};
use crate::error::Error;
use crate::periods::{month_end, month_start, Day};
use crate::tables::Table;

/// An approved application of a client: the day it was decided, its number and who decided it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Approval {
    pub day: Day,
    pub number: usize,
    pub officer: Option<usize>,
}

/// Approved applications per client index, in order of decided day.
pub(super) type Approvals = Vec<Vec<Approval>>;

/// Median hours from receipt to decision of a risk officer of average skill, and from decision
/// to funding of an applicant of average skill.
const DECISION_HOURS: f64 = 18.0;
const FUNDING_HOURS: f64 = 20.0;

/// A local time (seconds since the epoch in UTC+8) in one of three spellings.
fn stamp(w: &World, secs: i64, form: u32) -> String {
    let (d, s) = (secs.div_euclid(86_400) as Day, secs.rem_euclid(86_400));
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    match form {
        0 => format!("{}T{h:02}:{m:02}:{sec:02}+08:00", w.days.get(d)),
        1 => format!("{}T{h:02}:{m:02}:{sec:02}", w.days.get(d)),
        _ => {
            let u = secs - 8 * 3600;
            let (d, s) = (u.div_euclid(86_400) as Day, u.rem_euclid(86_400));
            format!(
                "{}T{:02}:{:02}:{:02}Z",
                w.days.get(d),
                s / 3600,
                s % 3600 / 60,
                s % 60
            )
        }
    }
}

fn day_of(secs: i64) -> Day {
    secs.div_euclid(86_400) as Day
}

/// Hours (as seconds) of a step whose median is `median` hours.
fn hours(rng: &mut StdRng, median: f64) -> i64 {
    let h = median * (0.6 * normal(rng)).exp();
    (h.clamp(0.5, 300.0) * 3600.0) as i64 + rng.random_range(0..600)
}

/// Writes applications one at a time and keeps the approved ones per client.
struct Apps<'a> {
    w: &'a World<'a>,
    out: BufWriter<File>,
    n: usize,
    end_secs: i64,
    approvals: Approvals,
}

/// One application to write.
struct App {
    /// Client number (1-based); past the clients, a prospect that never became one.
    client: usize,
    employee: usize,
    /// Received, in local seconds.
    rec: i64,
    p_approve: f64,
    /// Whether it may be withdrawn or stay pending.
    open: bool,
}

impl Apps<'_> {
    /// Writes `a`: a risk officer employed on the received day decides it at their speed (if
    /// they have left by the decision, another one employed then signs it), and most approved
    /// ones are funded at the applicant's speed.
    fn write(&mut self, rng: &mut StdRng, a: App) -> Result<(), Error> {
        let (w, emps) = (self.w, self.w.emps);
        self.n += 1;
        let form = match rng.random_range(0..10) {
            0..7 => 0,
            7..9 => 1,
            _ => 2,
        };
        let officer = pick(rng, emps, w.ros, day_of(a.rec), 0.0);
        let slow = officer.map_or(1.0, |o| (-0.3 * emps[o].skill).exp());
        let dec = a.rec + hours(rng, DECISION_HOURS * slow);
        let outcome = match rng.random_range(0..100) {
            0..5 if a.open => "withdrawn",
            5..8 if a.open => "",
            _ if rng.random_bool(a.p_approve) => "approved",
            _ => "rejected",
        };
        let decided = !outcome.is_empty() && dec < self.end_secs;
        let outcome = if decided { outcome } else { "" };
        let officer = match officer {
            Some(o) if emps[o].employed(day_of(dec)) => Some(o),
            _ => pick(rng, emps, w.ros, day_of(dec), 0.0),
        }
        .filter(|&o| decided && emps[o].org_on(day_of(dec)).1 == RISK_OFFICER);
        let speed = (-0.2 * emps[a.employee].skill).exp();
        let fund = dec + hours(rng, FUNDING_HOURS * speed);
        let funded = outcome == "approved" && rng.random_bool(0.93) && fund < self.end_secs;
        let k = if rng.random_bool(0.85) { 0 } else { 1 };
        let amount = (400_000.0 * (0.8 * normal(rng)).exp()).clamp(20_000.0, 2e7) / CURRENCIES[k].1;
        let opt = |on: bool, secs: i64| {
            if on {
                stamp(w, secs, form)
            } else {
                String::new()
            }
        };
        writeln!(
            self.out,
            "A{:08},C{:05},{},{},{},{outcome},{},{},{},{}",
            self.n,
            a.client,
            eid(a.employee),
            stamp(w, a.rec, form),
            opt(decided, dec),
            opt(funded, fund),
            super::cents((amount * 100.0) as i64 + 100),
            CURRENCIES[k].0,
            officer.map(eid).unwrap_or_default()
        )
        .map_err(werr)?;
        if outcome == "approved" && a.client <= self.approvals.len() {
            self.approvals[a.client - 1].push(Approval {
                day: day_of(dec),
                number: self.n,
                officer,
            });
        }
        Ok(())
    }
}

/// Writes applications; returns their row count and the approved ones per client.
///
/// Salespeople receive `applications_per_month` a month on average, account managers a third
/// of that; the more skilled receive more, get more approved and fund faster. About 5% are
/// withdrawn and a few stay pending; most approved ones are funded 1-4 days after receipt.
/// Every client also has an approved onboarding application received 2-20 days before it
/// joins. Risk officers decide; the more skilled decide faster.
pub(super) fn applications(
    w: &World,
    rng: &mut StdRng,
    dir: &Path,
) -> Result<(usize, Approvals), Error> {
    let (cfg, emps) = (w.cfg, w.emps);
    let end = month_end(cfg.last_month);
    let mut apps = Apps {
        w,
        out: open(dir, Table::Applications)?,
        n: 0,
        end_secs: i64::from(end + 1) * 86_400,
        approvals: vec![Vec::new(); w.clients.len()],
    };
    for (e, emp) in emps.iter().enumerate() {
        let per_month = match emp.role {
            SALES => cfg.applications_per_month,
            ACCOUNT_MANAGER => cfg.applications_per_month / 3.0,
            _ => continue,
        } * (0.25 * emp.skill).exp();
        let p_approve = (0.64 + 0.08 * emp.skill).clamp(0.3, 0.92);
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
                let rec = i64::from(rng.random_range(ms..=me)) * 86_400
                    + rng.random_range(8 * 3600..20 * 3600);
                let client = rng.random_range(1..cfg.clients + 200);
                apps.write(
                    rng,
                    App {
                        client,
                        employee: e,
                        rec,
                        p_approve,
                        open: true,
                    },
                )?;
            }
        }
    }
    for (c, cl) in w.clients.iter().enumerate() {
        let day = cl.on - rng.random_range(2..=20);
        let applicant = cl
            .hunter
            .filter(|&h| emps[h].employed(day))
            .or_else(|| pick(rng, emps, w.sales, day, 0.5));
        let Some(employee) = applicant else { continue };
        let rec = i64::from(day) * 86_400 + rng.random_range(8 * 3600..20 * 3600);
        apps.write(
            rng,
            App {
                client: c + 1,
                employee,
                rec,
                p_approve: 1.0,
                open: false,
            },
        )?;
    }
    apps.out.flush().map_err(werr)?;
    for a in &mut apps.approvals {
        a.sort_by_key(|x| (x.day, x.number));
    }
    Ok((apps.n, apps.approvals))
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
