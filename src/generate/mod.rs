//! A seeded synthetic factoring company in the canonical tables, at any scale.
//!
//! Everything it writes obeys the data contract: ids are unique, every assignment lies within
//! its employee's employment, org history covers every day employed, collections never overpay
//! an invoice that has not been written off, and write-offs never exceed the balance.

mod activity;
mod ledger;

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

fn eid(i: usize) -> String {
    format!("E{:05}", i + 1)
}

/// An employee of `pool` employed on `d`, at random.
fn pick(rng: &mut StdRng, emps: &[Emp], pool: &[usize], d: Day) -> Option<usize> {
    for _ in 0..64 {
        let c = pool[rng.random_range(0..pool.len())];
        if emps[c].employed(d) {
            return Some(c);
        }
    }
    pool.iter().copied().find(|&c| emps[c].employed(d))
}

fn cents(c: i64) -> String {
    crate::money::format_cents(c)
}

fn open(dir: &Path, name: &str, header: &str) -> Result<BufWriter<File>, Error> {
    let path = dir.join(format!("{name}.csv"));
    let f = File::create(&path).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "{header}").map_err(werr)?;
    Ok(w)
}

fn werr(source: std::io::Error) -> Error {
    Error::Write {
        path: "the generated data".into(),
        source,
    }
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
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
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
    w.flush().map_err(werr)?;
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
    w.flush().map_err(werr)?;
    counts.push(("org_history", org_rows));

    let ams: Vec<usize> = (0..n_emp)
        .filter(|&i| emps[i].role == "account_manager")
        .collect();
    let originators: Vec<usize> = (0..n_emp)
        .filter(|&i| emps[i].role != "risk_officer")
        .collect();

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
            let Some(am) = pick(&mut rng, &emps, &ams, d) else {
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
    w.flush().map_err(werr)?;
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
    w.flush().map_err(werr)?;
    counts.push(("fx_rates", n_fx));

    counts.extend(ledger::invoices(
        cfg,
        &mut rng,
        dir,
        &days,
        &emps,
        &originators,
        &onboard,
        &assign,
    )?);
    counts.extend(activity::applications(
        cfg,
        &mut rng,
        dir,
        &days,
        &emps,
        &originators,
    )?);
    counts.push((
        "reviews",
        activity::reviews(cfg, &mut rng, dir, &days, &emps)?,
    ));
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

/// Converts every generated CSV file of `dir` to Parquet beside it, typed: money as
/// Decimal(18, 2), dates as Date, everything else as text.
fn to_parquet(dir: &Path) -> Result<(), Error> {
    use crate::tables::ColType;
    use polars::prelude::*;
    for t in crate::tables::Table::ALL {
        let csv = dir.join(format!("{}.csv", t.name()));
        let df = CsvReadOptions::default()
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(false)
            .try_into_reader_with_file_path(Some(csv.clone()))
            .and_then(|r| r.finish())
            .map_err(Error::polars("converting generated data to Parquet"))?;
        let mut cols = Vec::new();
        for c in df.columns() {
            let ty = t.column(c.name().as_str()).map(|c| c.ty);
            let text = c
                .str()
                .map_err(Error::polars("converting generated data to Parquet"))?;
            let c = match ty {
                Some(ColType::Money) => {
                    let v: Int128Chunked = text
                        .iter()
                        .map(|x| {
                            x.and_then(|x| crate::money::parse_money(x).ok())
                                .map(i128::from)
                        })
                        .collect();
                    v.with_name(c.name().clone())
                        .into_decimal(18, 2)
                        .map_err(Error::polars("converting generated data to Parquet"))?
                        .into_column()
                }
                Some(ColType::Date) => {
                    let v: Int32Chunked = text
                        .iter()
                        .map(|x| x.and_then(crate::periods::parse_day))
                        .collect();
                    v.with_name(c.name().clone()).into_date().into_column()
                }
                _ => c.clone(),
            };
            cols.push(c);
        }
        let mut df = DataFrame::new(df.height(), cols)
            .map_err(Error::polars("converting generated data to Parquet"))?;
        let path = dir.join(format!("{}.parquet", t.name()));
        let file = File::create(&path).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        ParquetWriter::new(file)
            .finish(&mut df)
            .map_err(|source| Error::WriteParquet { path, source })?;
        std::fs::remove_file(&csv).map_err(|source| Error::Write { path: csv, source })?;
    }
    Ok(())
}
