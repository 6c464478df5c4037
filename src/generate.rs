//! A seeded synthetic factoring company in the canonical tables, at any scale.
//!
//! Everything it writes obeys the data contract: ids are unique, every assignment lies within
//! its employee's employment, org history covers every day employed, collections never overpay
//! an invoice that has not been written off, and write-offs never exceed the balance.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::Error;
use crate::periods::{format_day, month_end, month_start, Day};

/// Size and span of a generated company.
#[derive(Debug, Clone)]
pub struct GenConfig {
    pub seed: u64,
    pub employees: usize,
    pub clients: usize,
    pub invoices: usize,
    /// First and last month keys of purchases; ledger events stop at the last month's end.
    pub first_month: i32,
    pub last_month: i32,
    /// Mean applications per origination employee and month.
    pub applications_per_month: f64,
    /// Most collections an invoice is paid in.
    pub max_installments: usize,
}

impl GenConfig {
    pub fn preset(name: &str, seed: u64) -> Result<GenConfig, String> {
        let m = |y: i32, mo: i32| y * 12 + mo - 1;
        let base = GenConfig {
            seed,
            employees: 60,
            clients: 400,
            invoices: 20_000,
            first_month: m(2024, 1),
            last_month: m(2026, 10),
            applications_per_month: 3.0,
            max_installments: 6,
        };
        match name {
            "sample" => Ok(base),
            "tiny" => Ok(GenConfig {
                employees: 12,
                clients: 30,
                invoices: 400,
                first_month: m(2025, 1),
                ..base
            }),
            "s10" => Ok(GenConfig {
                employees: 3000,
                clients: 10_000,
                invoices: 2_000_000,
                first_month: m(2017, 1),
                last_month: m(2026, 12),
                applications_per_month: 3.6,
                max_installments: 9,
                ..base
            }),
            "s20" => Ok(GenConfig {
                employees: 6000,
                clients: 20_000,
                invoices: 4_000_000,
                first_month: m(2017, 1),
                last_month: m(2026, 12),
                applications_per_month: 3.6,
                max_installments: 9,
                ..base
            }),
            other => Err(format!(
                "unknown preset `{other}`: use sample, tiny, s10 or s20"
            )),
        }
    }
}

const DEPARTMENTS: [&str; 3] = ["East", "South", "North"];
const CURRENCIES: [(&str, f64); 3] = [("CNY", 1.0), ("USD", 7.15), ("HKD", 0.915)];

struct Emp {
    hire: Day,
    term: Option<Day>,
    role: &'static str,
    team: usize,
}

impl Emp {
    fn employed(&self, d: Day) -> bool {
        self.hire <= d && self.term.is_none_or(|t| d <= t)
    }
}

/// Cached `YYYY-MM-DD` strings of the days a generator writes.
struct Days {
    first: Day,
    text: Vec<String>,
}

impl Days {
    fn new(first: Day, last: Day) -> Days {
        Days {
            first,
            text: (first..=last).map(format_day).collect(),
        }
    }
    fn get(&self, d: Day) -> &str {
        let i = (d - self.first) as usize;
        self.text.get(i).map(String::as_str).unwrap_or("")
    }
}

fn cents(c: i64) -> String {
    crate::money::format_cents(c)
}

fn open(dir: &Path, name: &str, header: &str) -> Result<BufWriter<File>, Error> {
    let path = dir.join(format!("{name}.csv"));
    let f = File::create(&path)
        .map_err(|e| Error::Output(format!("cannot create {}: {e}", path.display())))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "{header}").map_err(werr)?;
    Ok(w)
}

fn werr(e: std::io::Error) -> Error {
    Error::Output(format!("cannot write generated data: {e}"))
}

/// Splits `total` cents into `n` positive parts at random.
fn split(rng: &mut StdRng, total: i64, n: usize) -> Vec<i64> {
    let n = n.clamp(1, total.max(1) as usize);
    let mut cuts: Vec<i64> = (0..n - 1)
        .map(|_| rng.random_range(1..total.max(2)))
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut parts = Vec::with_capacity(cuts.len() + 1);
    let mut prev = 0;
    for c in cuts {
        parts.push(c - prev);
        prev = c;
    }
    parts.push(total - prev);
    parts.retain(|&p| p > 0);
    parts
}

/// Writes the company as CSV files under `dir` (and converts them to Parquet when asked).
/// Returns the row count of each table.
pub fn write(
    cfg: &GenConfig,
    dir: &Path,
    parquet: bool,
) -> Result<Vec<(&'static str, usize)>, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Output(format!("cannot create {}: {e}", dir.display())))?;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let start = month_start(cfg.first_month);
    let end = month_end(cfg.last_month);
    let days = Days::new(start - 4000, end + 800);
    let mut counts = Vec::new();

    // Employees and their org history.
    let n_emp = cfg.employees;
    let mut emps = Vec::with_capacity(n_emp);
    for i in 0..n_emp {
        let role = match i % 10 {
            0..=4 => "account_manager",
            5..=7 => "sales",
            _ => "risk_officer",
        };
        let hire = if i < 6 || rng.random_bool(0.7) {
            start - rng.random_range(30..3000)
        } else {
            rng.random_range(start..end - 30)
        };
        // A few fixed edge cases: a hire on a month's last day, a termination on a month's first.
        let hire = match i {
            7 => month_end(cfg.first_month + 2),
            8 => start - 400,
            _ => hire,
        };
        let term = if i == 8 {
            Some(month_start(cfg.first_month + 5))
        } else if i >= 6 && rng.random_bool(0.2) {
            let t = rng.random_range(hire.max(start) + 60..end + 200);
            (t <= end).then_some(t)
        } else {
            None
        };
        emps.push(Emp {
            hire,
            term,
            role,
            team: i % 6,
        });
    }
    let lead = |team: usize| team; // employees 0..6 lead teams 0..6 and are never terminated
    let eid = |i: usize| format!("E{:05}", i + 1);
    let mut w = open(
        dir,
        "employees",
        "employee_id,name,hire_date,termination_date,base_salary",
    )?;
    for (i, e) in emps.iter().enumerate() {
        let salary = match e.role {
            "account_manager" => rng.random_range(15_000..40_000),
            "sales" => rng.random_range(12_000..35_000),
            _ => rng.random_range(18_000..45_000),
        } * 100;
        let t = e.term.map(|t| days.get(t).to_string()).unwrap_or_default();
        writeln!(
            w,
            "{},Employee {},{},{},{}",
            eid(i),
            i + 1,
            days.get(e.hire),
            t,
            cents(salary)
        )
        .map_err(werr)?;
    }
    counts.push(("employees", n_emp));
    let mut w = open(
        dir,
        "org_history",
        "employee_id,valid_from,valid_to,department,team,role,manager_id",
    )?;
    let mut org_rows = 0;
    for i in 0..n_emp {
        let e = &emps[i];
        let last = e.term.unwrap_or(end);
        let team_name = |t: usize| format!("{}-{}", DEPARTMENTS[t / 2], t % 2 + 1);
        let mgr = |t: usize| {
            if i == lead(t) {
                String::new()
            } else {
                eid(lead(t))
            }
        };
        let close = e
            .term
            .map(|t| days.get(t + 1).to_string())
            .unwrap_or_default();
        if i >= 6 && last - e.hire > 120 && rng.random_bool(0.25) {
            let moved = rng.random_range(e.hire + 30..last - 30);
            let new_team = (e.team + rng.random_range(1..6)) % 6;
            let new_role = if rng.random_bool(0.1) && e.role == "sales" {
                "account_manager"
            } else {
                e.role
            };
            writeln!(
                w,
                "{},{},{},{},{},{},{}",
                eid(i),
                days.get(e.hire),
                days.get(moved),
                DEPARTMENTS[e.team / 2],
                team_name(e.team),
                e.role,
                mgr(e.team)
            )
            .map_err(werr)?;
            writeln!(
                w,
                "{},{},{},{},{},{},{}",
                eid(i),
                days.get(moved),
                close,
                DEPARTMENTS[new_team / 2],
                team_name(new_team),
                new_role,
                mgr(new_team)
            )
            .map_err(werr)?;
            org_rows += 2;
        } else {
            writeln!(
                w,
                "{},{},{},{},{},{},{}",
                eid(i),
                days.get(e.hire),
                close,
                DEPARTMENTS[e.team / 2],
                team_name(e.team),
                e.role,
                mgr(e.team)
            )
            .map_err(werr)?;
            org_rows += 1;
        }
    }
    counts.push(("org_history", org_rows));

    let ams: Vec<usize> = (0..n_emp)
        .filter(|&i| emps[i].role == "account_manager")
        .collect();
    let originators: Vec<usize> = (0..n_emp)
        .filter(|&i| emps[i].role != "risk_officer")
        .collect();
    let pick = |rng: &mut StdRng, pool: &[usize], d: Day| -> Option<usize> {
        for _ in 0..64 {
            let c = pool[rng.random_range(0..pool.len())];
            if emps[c].employed(d) {
                return Some(c);
            }
        }
        pool.iter().copied().find(|&c| emps[c].employed(d))
    };

    // Clients and their account managers over time.
    let n_cli = cfg.clients;
    let mut onboard = Vec::with_capacity(n_cli);
    let mut assign: Vec<Vec<(Day, Day, usize)>> = Vec::with_capacity(n_cli);
    let mut w = open(
        dir,
        "assignments",
        "client_id,employee_id,valid_from,valid_to",
    )?;
    let mut n_assign = 0;
    for c in 0..n_cli {
        let on = rng.random_range(start - 90..end - 60);
        onboard.push(on.max(start));
        let mut rows = Vec::new();
        let mut d = if rng.random_bool(0.03) {
            on + rng.random_range(10..120)
        } else {
            on
        };
        while d <= end {
            let Some(am) = pick(&mut rng, &ams, d) else {
                d += 7;
                continue;
            };
            let mut to = d + rng.random_range(120..1500);
            if rng.random_bool(0.1) {
                to = month_end(crate::periods::month_of(to)); // reassigned on a month end
            }
            if let Some(t) = emps[am].term {
                to = to.min(t + 1);
            }
            let open_ended = to > end && emps[am].term.is_none();
            let vt = if open_ended {
                String::new()
            } else {
                days.get(to).to_string()
            };
            writeln!(w, "C{:05},{},{},{}", c + 1, eid(am), days.get(d), vt).map_err(werr)?;
            n_assign += 1;
            rows.push((d, if open_ended { Day::MAX } else { to }, am));
            if open_ended {
                break;
            }
            // A gap after a departure, and now and then for no reason.
            d = to
                + if emps[am].term == Some(to - 1) || rng.random_bool(0.05) {
                    rng.random_range(0..25)
                } else {
                    0
                };
        }
        assign.push(rows);
    }
    counts.push(("assignments", n_assign));

    // Daily fx rates on weekdays.
    let mut w = open(dir, "fx_rates", "currency,rate_date,rate_to_base")?;
    let mut n_fx = 0;
    for (cur, level) in CURRENCIES.iter().skip(1) {
        let mut x = *level;
        for d in start - 14..=end {
            if (d + 3).rem_euclid(7) >= 5 {
                continue; // 1970-01-01 was a Thursday: this skips Saturdays and Sundays
            }
            x *= 1.0 + rng.random_range(-0.002..0.002);
            let scaled = (x * 1e7).round() as i64 * 1000;
            writeln!(
                w,
                "{cur},{},{}.{:07}",
                days.get(d),
                scaled / 10_000_000_000,
                (scaled % 10_000_000_000) / 1000
            )
            .map_err(werr)?;
            n_fx += 1;
        }
    }
    counts.push(("fx_rates", n_fx));

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
            _ => pick(&mut rng, &originators, pd).unwrap_or(0),
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
                for (j, a) in split(&mut rng, face, installments).into_iter().enumerate() {
                    events.push((
                        pd + ((due - pd) * (j as i32 + 1) / installments as i32).max(1),
                        false,
                        a,
                    ));
                }
            }
            55..65 => {
                for a in split(&mut rng, face, installments) {
                    events.push((pd + rng.random_range(1..=(due - pd).max(2) / 2), false, a));
                }
            }
            65..82 => {
                for a in split(&mut rng, face, installments) {
                    events.push((due + rng.random_range(1..150), false, a));
                }
            }
            82..90 => {
                let paid = face * rng.random_range(10..90) / 100;
                for a in split(&mut rng, paid, installments) {
                    events.push((pd + rng.random_range(1..=(due - pd + 60)), false, a));
                }
            }
            90..96 => {
                let paid = face * rng.random_range(0..60) / 100;
                let mut last = pd;
                for a in split(&mut rng, paid, installments)
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
                    for a in split(&mut rng, rec, n) {
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
    counts.extend([
        ("invoices", inv.len()),
        ("collections", n_col),
        ("write_offs", n_wo),
        ("fees", n_fee),
    ]);
    for mut f in [wi, wc, ww, wf] {
        f.flush().map_err(werr)?;
    }

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
    for &e in &originators {
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
    counts.push(("applications", n_app));

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
    counts.push(("reviews", n_rev));
    drop(w);
    open(
        dir,
        "targets",
        "period,metric,target,threshold,stretch,employee_id,role",
    )?
    .flush()
    .map_err(werr)?;
    open(
        dir,
        "adjustments",
        "employee_id,period,metric,value,reason,approved_by",
    )?
    .flush()
    .map_err(werr)?;
    counts.extend([("targets", 0), ("adjustments", 0)]);
    if parquet {
        to_parquet(dir)?;
    }
    Ok(counts)
}

/// Converts every generated CSV file of `dir` to Parquet beside it (strings, as read).
fn to_parquet(dir: &Path) -> Result<(), Error> {
    use polars::prelude::*;
    for t in crate::sources::schema::Table::ALL {
        let csv = dir.join(format!("{}.csv", t.name()));
        let mut df = CsvReadOptions::default()
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(csv.clone()))
            .and_then(|r| r.finish())?;
        let file = File::create(dir.join(format!("{}.parquet", t.name())))
            .map_err(|e| Error::Output(e.to_string()))?;
        ParquetWriter::new(file).finish(&mut df)?;
        std::fs::remove_file(&csv).map_err(|e| Error::Output(e.to_string()))?;
    }
    Ok(())
}
