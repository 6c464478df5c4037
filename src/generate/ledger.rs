//! Generated invoices and how they are paid: collections, write-offs, recoveries and fees.

use std::io::Write;
use std::path::Path;

use rand::rngs::StdRng;
use rand::Rng;

use super::{cents, eid, open, pick, split, werr, Days, Emp, GenConfig, CURRENCIES};
use crate::error::Error;
use crate::periods::{month_end, Day};

/// Writes invoices, collections, write-offs and fees; returns their row counts.
#[allow(clippy::too_many_arguments)]
pub(super) fn invoices(
    cfg: &GenConfig,
    rng: &mut StdRng,
    dir: &Path,
    days: &Days,
    emps: &[Emp],
    originators: &[usize],
    onboard: &[Day],
    assign: &[Vec<(Day, Day, usize)>],
) -> Result<Vec<(&'static str, usize)>, Error> {
    let end = month_end(cfg.last_month);
    let n_cli = cfg.clients;
    // Invoices, in purchase order.
    let mut inv: Vec<(Day, usize)> = (0..cfg.invoices)
        .map(|_| {
            let c = rng.random_range(0..n_cli);
            (rng.random_range(onboard[c]..=end), c)
        })
        .collect();
    inv.sort_unstable();
    let mut wi = open(dir, "invoices", "invoice_id,client_id,debtor_id,currency,face_amount,advance_amount,purchase_date,due_date,originator_id,recourse")?;
    let mut wc = open(
        dir,
        "collections",
        "collection_id,invoice_id,paid_on,amount",
    )?;
    let mut ww = open(
        dir,
        "write_offs",
        "write_off_id,invoice_id,written_off_on,amount",
    )?;
    let mut wf = open(dir, "fees", "fee_id,invoice_id,booked_on,amount")?;
    let (mut n_col, mut n_wo, mut n_fee) = (0usize, 0usize, 0usize);
    for (n, &(pd, c)) in inv.iter().enumerate() {
        let id = format!("INV{:08}", n + 1);
        let k = match rng.random_range(0..100) {
            0..80 => 0,
            80..92 => 1,
            _ => 2,
        };
        let face: i64 = rng.random_range(1_000_000..200_000_000) / CURRENCIES[k].1.max(1.0) as i64
            + rng.random_range(0..100);
        let advance = face * rng.random_range(70..=90) / 100;
        let due = pd + [30, 45, 60, 90, 120][rng.random_range(0..5)];
        let assignee = assign[c]
            .iter()
            .find(|a| a.0 <= pd && pd < a.1)
            .map(|a| a.2);
        let orig = match assignee {
            Some(a) if rng.random_bool(0.7) => a,
            _ => pick(rng, emps, originators, pd).unwrap_or(0),
        };
        writeln!(
            wi,
            "{id},C{:05},D{:06},{},{},{},{},{},{},{}",
            c + 1,
            rng.random_range(1..50_000),
            CURRENCIES[k].0,
            cents(face),
            cents(advance),
            days.get(pd),
            days.get(due),
            eid(orig),
            rng.random_bool(0.6)
        )
        .map_err(werr)?;

        // How it gets paid.
        let mut events: Vec<(Day, bool, i64)> = Vec::new(); // (day, is_write_off, amount)
        let style = rng.random_range(0..100);
        let installments = rng.random_range(1..=cfg.max_installments);
        match style {
            0..55 => {
                for (j, a) in split(rng, face, installments).into_iter().enumerate() {
                    events.push((
                        pd + ((due - pd) * (j as i32 + 1) / installments as i32).max(1),
                        false,
                        a,
                    ));
                }
            }
            55..65 => {
                for a in split(rng, face, installments) {
                    events.push((pd + rng.random_range(1..=(due - pd).max(2) / 2), false, a));
                }
            }
            65..82 => {
                for a in split(rng, face, installments) {
                    events.push((due + rng.random_range(1..150), false, a));
                }
            }
            82..90 => {
                let paid = face * rng.random_range(10..90) / 100;
                for a in split(rng, paid, installments) {
                    events.push((pd + rng.random_range(1..=(due - pd + 60)), false, a));
                }
            }
            90..96 => {
                let paid = face * rng.random_range(0..60) / 100;
                let mut last = pd;
                for a in split(rng, paid, installments)
                    .into_iter()
                    .filter(|_| paid > 0)
                {
                    let d = pd + rng.random_range(1..=(due - pd + 30));
                    last = last.max(d);
                    events.push((d, false, a));
                }
                let wo_day = last.max(due) + rng.random_range(60..200);
                events.push((wo_day, true, face - paid));
                if rng.random_bool(0.6) {
                    let rec = (face - paid) * rng.random_range(5..60) / 100;
                    let n = rng.random_range(1..3);
                    for a in split(rng, rec, n) {
                        events.push((wo_day + rng.random_range(1..300), false, a));
                    }
                }
            }
            _ => {}
        }
        events.sort_unstable();
        for (d, is_wo, a) in events {
            if d > end || a <= 0 {
                continue;
            }
            if is_wo {
                n_wo += 1;
                writeln!(ww, "W{:08},{id},{},{}", n_wo, days.get(d), cents(a)).map_err(werr)?;
            } else {
                n_col += 1;
                writeln!(wc, "K{:09},{id},{},{}", n_col, days.get(d), cents(a)).map_err(werr)?;
            }
        }
        // Fees: a discount fee at purchase, sometimes a late fee, now and then a reversal.
        let fee = face * rng.random_range(150..300) / 10_000;
        n_fee += 1;
        writeln!(wf, "F{:08},{id},{},{}", n_fee, days.get(pd), cents(fee)).map_err(werr)?;
        if rng.random_bool(0.04) {
            let d = pd + rng.random_range(1..20);
            if d <= end {
                n_fee += 1;
                writeln!(wf, "F{:08},{id},{},{}", n_fee, days.get(d), cents(-fee)).map_err(werr)?;
            }
        }
        if rng.random_bool(0.45) && due + 10 <= end {
            n_fee += 1;
            writeln!(
                wf,
                "F{:08},{id},{},{}",
                n_fee,
                days.get(due + rng.random_range(1..10)),
                cents(face / 200 + 1)
            )
            .map_err(werr)?;
        }
    }
    for mut f in [wi, wc, ww, wf] {
        f.flush().map_err(werr)?;
    }

    Ok(vec![
        ("invoices", inv.len()),
        ("collections", n_col),
        ("write_offs", n_wo),
        ("fees", n_fee),
    ])
}
