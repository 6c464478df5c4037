//! Generated invoices and how they are paid: collections, write-offs, recoveries and fees.
//!
//! Purchases grow by `growth` a year (with a dip at Chinese New Year and a push at half-year
//! and year end). Each invoice is paid on time, late, or defaults, with chances set by its
//! client's risk and the skill of the client's manager and of the originator; most are bought
//! under the client's latest approved application, and the skill of the risk officer who
//! approved it moves the chance of default and of paying more than 90 days late. A default is
//! partly paid, its remaining balance written off 181-200 days past due, and sometimes partly
//! recovered afterwards. Late payers always pay in full within 170 days past due, so no balance
//! stays more than about 180 days past due without being written off.

use std::io::Write;
use std::path::Path;

use rand::rngs::StdRng;
use rand::Rng;

use super::activity::Approvals;
use super::{cents, eid, normal, open, pick, split, werr, World, ACCOUNT_MANAGER, CURRENCIES};
use crate::error::Error;
use crate::periods::{month_end, month_start, Day};
use crate::tables::Table;

/// Chance that an invoice of an average client, with average staff, defaults.
const BASE_DEFAULT: f64 = 0.0028;
/// Chance that it is paid late.
const BASE_LATE: f64 = 0.30;
/// Chance that it is short-paid by 0.5-5% (dilution), the rest written off.
const BASE_DILUTION: f64 = 0.04;
/// Of the late payers, the share paying more than 90 days late, with an average approver.
const BASE_VERY_LATE: f64 = 0.08;
/// Share of invoices bought under an approved application (the rest predate the system).
const LINKED: f64 = 0.95;
/// Invoice terms in days, drawn uniformly (so 30 and 60 days are the most common).
const TENORS: [i32; 7] = [30, 30, 45, 60, 60, 90, 120];

/// Seasonal factor of the purchase volume by calendar month (0 = January).
fn season(month: i32) -> f64 {
    match month.rem_euclid(12) {
        0 => 0.95,
        1 => 0.8,
        5 => 1.06,
        11 => 1.12,
        _ => 1.0,
    }
}

/// Number of invoices purchased in each month of the span: growing, seasonal, summing to
/// `total`.
fn monthly_counts(first: i32, last: i32, growth: f64, total: usize) -> Vec<usize> {
    let w: Vec<f64> = (first..=last)
        .map(|m| (1.0 + growth).powf(f64::from(m - first) / 12.0) * season(m))
        .collect();
    let sum: f64 = w.iter().sum();
    let mut out = Vec::with_capacity(w.len());
    let (mut acc, mut given) = (0.0, 0usize);
    for x in w {
        acc += x;
        let upto = ((acc / sum) * total as f64).round() as usize;
        out.push(upto.min(total) - given);
        given = upto.min(total);
    }
    if let Some(l) = out.last_mut() {
        *l += total - given;
    }
    out
}

/// Writes invoices, collections, write-offs and fees; returns their row counts.
pub(super) fn invoices(
    w: &World,
    rng: &mut StdRng,
    dir: &Path,
    approvals: &Approvals,
) -> Result<Vec<(Table, usize)>, Error> {
    let (cfg, days, emps, clients) = (w.cfg, w.days, w.emps, w.clients);
    let end = month_end(cfg.last_month);
    let originators: Vec<usize> = (0..emps.len())
        .filter(|&i| emps[i].role != super::RISK_OFFICER)
        .collect();
    // Clients in order of joining, to draw among those already on the books.
    let mut order: Vec<usize> = (0..clients.len()).collect();
    order.sort_by_key(|&c| clients[c].on);
    let joined: Vec<Day> = order.iter().map(|&c| clients[c].on).collect();
    let mut invoiced = vec![false; clients.len()];

    let mut wi = open(dir, Table::Invoices)?;
    let mut wc = open(dir, Table::Collections)?;
    let mut ww = open(dir, Table::WriteOffs)?;
    let mut wf = open(dir, Table::Fees)?;
    let (mut n_inv, mut n_col, mut n_wo, mut n_fee) = (0usize, 0usize, 0usize, 0usize);
    let counts = monthly_counts(cfg.first_month, cfg.last_month, cfg.growth, cfg.invoices);
    let mut events: Vec<(Day, bool, i64)> = Vec::new(); // (day, is_write_off, amount)
    for (m, &n) in (cfg.first_month..=cfg.last_month).zip(&counts) {
        let (ms, me) = (month_start(m), month_end(m));
        let mut pds: Vec<Day> = (0..n).map(|_| rng.random_range(ms..=me)).collect();
        pds.sort_unstable();
        for pd in pds {
            // A client on the books that day.
            let k = joined.partition_point(|&o| o <= pd).max(1);
            let mut c = order[rng.random_range(0..k)];
            for _ in 0..20 {
                if clients[c].off > pd {
                    break;
                }
                c = order[rng.random_range(0..k)];
            }
            let cl = &clients[c];
            n_inv += 1;
            let id = format!("INV{n_inv:08}");
            let cur = match rng.random_range(0..100) {
                0..82 => 0,
                82..93 => 1,
                _ => 2,
            };
            let face_base = (300_000.0 * cl.size * (0.5 * normal(rng)).exp()).clamp(20_000.0, 3e7);
            let face = (face_base * 100.0 / CURRENCIES[cur].1) as i64 + rng.random_range(0..100);
            let advance_pct = if cl.risk > 1.3 { 80 } else { 90 } - rng.random_range(0..=5);
            let advance = face * advance_pct / 100;
            let tenor = TENORS[rng.random_range(0..TENORS.len())];
            let due = pd + tenor;
            let assignee = w.assign[c]
                .iter()
                .find(|a| a.0 <= pd && pd < a.1)
                .map(|a| a.2);
            let first = !std::mem::replace(&mut invoiced[c], true);
            let hunter = cl.hunter.filter(|&h| first && emps[h].employed(pd));
            let orig = match (hunter, assignee) {
                (Some(h), _) => h,
                (None, Some(a)) if emps[a].role == ACCOUNT_MANAGER && rng.random_bool(0.45) => a,
                _ => pick(rng, emps, w.sales, pd, 0.35)
                    .or_else(|| pick(rng, emps, &originators, pd, 0.0))
                    .unwrap_or(0),
            };
            // The client's latest approval decided by the purchase day.
            let approval = approvals[c]
                .get(
                    approvals[c]
                        .partition_point(|a| a.day <= pd)
                        .wrapping_sub(1),
                )
                .filter(|_| rng.random_bool(LINKED));
            writeln!(
                wi,
                "{id},C{:05},D{:06},{},{},{},{},{},{},{},{}",
                c + 1,
                rng.random_range(1..50_000),
                CURRENCIES[cur].0,
                cents(face),
                cents(advance),
                days.get(pd),
                days.get(due),
                eid(orig),
                rng.random_bool(0.6),
                approval.map_or(String::new(), |a| format!("A{:08}", a.number))
            )
            .map_err(werr)?;

            // How it gets paid: the manager's skill counts most, then the originator's.
            let manager_skill = assignee.map_or(-0.5, |a| emps[a].skill);
            let risk = cl.risk * (-0.45 * manager_skill - 0.2 * emps[orig].skill).exp();
            // How well the approver judged: a weak one lets through more invoices that end up
            // unpaid 90 days after due.
            let misjudged = approval
                .and_then(|a| a.officer)
                .map_or(1.0, |o| (-0.7 * emps[o].skill).exp());
            let p_default = (BASE_DEFAULT * risk * misjudged).min(0.3);
            let very_late = (BASE_VERY_LATE * misjudged).min(0.35);
            let p_late = (BASE_LATE * risk.powf(0.8)).min(0.85);
            let u: f64 = rng.random();
            events.clear();
            let mut late_days = 0;
            let installments = if rng.random_bool(0.8) {
                1
            } else {
                rng.random_range(2..=cfg.max_installments.max(2))
            };
            if u < p_default {
                // Pays a part, if anything; the rest is written off after 180 days past due.
                let paid = if rng.random_bool(0.5) {
                    0
                } else {
                    face * rng.random_range(5..60) / 100
                };
                if paid > 0 {
                    for a in split(rng, paid, installments) {
                        events.push((pd + rng.random_range(1..=tenor + 60), false, a));
                    }
                }
                let wo_day = due + rng.random_range(181..=200);
                events.push((wo_day, true, face - paid));
                if rng.random_bool(0.55) {
                    let rec = (face - paid) * rng.random_range(10..60) / 100;
                    let n = rng.random_range(1..=2);
                    for a in split(rng, rec, n) {
                        events.push((wo_day + rng.random_range(20..=300), false, a));
                    }
                }
                late_days = 181;
            } else if u < p_default + p_late {
                let v: f64 = rng.random();
                late_days = if v < 0.62 {
                    1 + ((-9.0 * rng.random_range(f64::EPSILON..1.0).ln()) as i32).min(29)
                } else if v < 1.0 - very_late {
                    rng.random_range(31..=90)
                } else {
                    rng.random_range(91..=170)
                };
                let mut rest = face;
                if rng.random_bool(0.35) {
                    let part = face * rng.random_range(30..70) / 100;
                    events.push((due - rng.random_range(0..=5.min(tenor - 1)), false, part));
                    rest -= part;
                }
                let parts = split(rng, rest, installments.min(2));
                let n = parts.len() as i32;
                for (j, a) in parts.into_iter().enumerate() {
                    // The last part lands `late_days` after due; earlier ones before it.
                    let d = due + late_days * (j as i32 + 1) / n;
                    events.push((d.max(due + 1), false, a));
                }
            } else if installments == 1 {
                events.push((due - rng.random_range(0..=7.min(tenor - 1)), false, face));
            } else {
                let parts = split(rng, face, installments);
                let n = parts.len() as i32;
                for (j, a) in parts.into_iter().enumerate() {
                    let d = pd + tenor * (j as i32 + 1) / n - rng.random_range(0..=3);
                    events.push((d.clamp(pd, due), false, a));
                }
            }
            // Dilution: the debtor short-pays an invoice it paid otherwise (a disputed delivery, a
            // volume rebate); the short part is written off once the dispute is settled, within
            // 180 days past due.
            if late_days <= 170
                && rng.random_bool((BASE_DILUTION * (-0.3 * manager_skill).exp()).min(0.5))
            {
                let short = face * rng.random_range(5..=50) / 1000;
                if let Some(big) = events.iter_mut().max_by_key(|e| e.2) {
                    if short > 0 && big.2 > short {
                        big.2 -= short;
                        let last_paid = events.iter().map(|e| e.0).max().unwrap_or(due);
                        let day = (last_paid + rng.random_range(30..=120)).min(due + 180);
                        events.push((day.max(last_paid), true, short));
                    }
                }
            }
            events.sort_unstable();
            for &(d, is_wo, a) in &events {
                if d > end || a <= 0 {
                    continue;
                }
                if is_wo {
                    n_wo += 1;
                    writeln!(ww, "W{:08},{id},{},{}", n_wo, days.get(d), cents(a)).map_err(werr)?;
                } else {
                    n_col += 1;
                    writeln!(wc, "K{:09},{id},{},{}", n_col, days.get(d), cents(a))
                        .map_err(werr)?;
                }
            }

            // Fees: the discount fee at purchase (0.6-1.0% per 30 days), now and then reversed
            // (a credit note), and a late fee on invoices more than 10 days late.
            let fee = (face * i64::from(tenor) * rng.random_range(60..=100) / 300_000).max(1);
            n_fee += 1;
            writeln!(wf, "F{:08},{id},{},{}", n_fee, days.get(pd), cents(fee)).map_err(werr)?;
            if rng.random_bool(0.03) {
                let d = pd + rng.random_range(1..20);
                if d <= end {
                    n_fee += 1;
                    writeln!(wf, "F{:08},{id},{},{}", n_fee, days.get(d), cents(-fee))
                        .map_err(werr)?;
                }
            }
            if late_days > 10 {
                let d = due + 10 + rng.random_range(1..=5);
                if d <= end {
                    n_fee += 1;
                    writeln!(
                        wf,
                        "F{:08},{id},{},{}",
                        n_fee,
                        days.get(d),
                        cents(face / 200 + 1)
                    )
                    .map_err(werr)?;
                }
            }
        }
    }
    for mut f in [wi, wc, ww, wf] {
        f.flush().map_err(werr)?;
    }

    Ok(vec![
        (Table::Invoices, n_inv),
        (Table::Collections, n_col),
        (Table::WriteOffs, n_wo),
        (Table::Fees, n_fee),
    ])
}
