//! A seeded synthetic factoring company in the canonical tables, at any scale.
//!
//! Everything it writes obeys the data contract: ids are unique, every assignment lies within
//! its employee's employment, org history covers every day employed, collections never overpay
//! an invoice that has not been written off, and write-offs never exceed the balance.
//!
//! The company behaves like a healthy factor: a portfolio growing by about 10-15% a year, most
//! invoices paid around their due date, some paid late, a few defaulting and written off about
//! 180 days past due (some later partly recovered). Every employee has a persistent *skill* that
//! moves their clients' payment behaviour, their approval rate, speed to fund, volume and
//! reviews, so scorecards separate good from weak performers. Clients on the watch list (the
//! riskiest) are managed by risk officers; the others by account managers. Risk officers decide
//! every application; most invoices are bought under their client's latest approval, and the
//! skill of the officer who approved it moves the chance that the invoice is still unpaid 90
//! days after due.
//!
//! After writing, [`summary`] computes the company's headline figures with factorscore's own
//! engine over the files just written (which also checks them against every rule).

mod activity;
mod ledger;
mod people;
mod plans;
pub mod split;
mod summary;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::Error;
use crate::periods::{format_day, month_end, month_start, Day};
use crate::tables::Table;
use people::{employees, write_employees, write_org};

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
    /// Mean applications per salesperson and month (account managers get a third of it).
    pub applications_per_month: f64,
    /// Most collections an invoice is paid in.
    pub max_installments: usize,
    /// Growth of the monthly purchase volume per year (0.12 = 12%).
    pub growth: f64,
    /// Whether to write approved appeals (`adjustments`). They name KPIs of the plans of
    /// `pipelines/monthly.yaml`, so a pipeline without those plans would reject them.
    pub appeals: bool,
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
            applications_per_month: 8.0,
            max_installments: 4,
            growth: 0.12,
            appeals: true,
        };
        match name {
            "sample" => Ok(base),
            "tiny" => Ok(GenConfig {
                employees: 12,
                clients: 30,
                invoices: 400,
                first_month: m(2025, 1),
                applications_per_month: 4.0,
                ..base
            }),
            // The scaling curve's companies (BENCHMARKS.md): ten years, S10 is two million
            // invoices, and each size scales the staff, clients and invoices together.
            "s1" | "s5" | "s10" | "s20" | "s40" => {
                let n: usize = name[1..].parse().unwrap_or(10);
                Ok(GenConfig {
                    employees: 300 * n,
                    clients: 1000 * n,
                    invoices: 200_000 * n,
                    first_month: m(2017, 1),
                    last_month: m(2026, 12),
                    applications_per_month: 6.0,
                    max_installments: 5,
                    growth: 0.10,
                    appeals: false,
                    ..base
                })
            }
            other => Err(format!(
                "unknown preset `{other}`: use sample, tiny, s1, s5, s10, s20 or s40"
            )),
        }
    }
}

const DEPARTMENTS: [&str; 3] = ["East", "South", "North"];
const CURRENCIES: [(&str, f64); 3] = [("CNY", 1.0), ("USD", 7.15), ("HKD", 0.915)];
const TEAMS: usize = 6;

pub(crate) const ACCOUNT_MANAGER: &str = "account_manager";
pub(crate) const SALES: &str = "sales";
pub(crate) const RISK_OFFICER: &str = "risk_officer";

struct Emp {
    hire: Day,
    term: Option<Day>,
    role: &'static str,
    team: usize,
    /// Persistent performance, about standard normal: higher is better.
    skill: f64,
    /// A transfer: from this day on, the employee is in `team` with `role`.
    moved: Option<(Day, usize, &'static str)>,
}

impl Emp {
    fn employed(&self, d: Day) -> bool {
        self.hire <= d && self.term.is_none_or(|t| d <= t)
    }

    /// Team and role on day `d` (as org_history says).
    fn org_on(&self, d: Day) -> (usize, &'static str) {
        match self.moved {
            Some((from, team, role)) if d >= from => (team, role),
            _ => (self.team, self.role),
        }
    }

    /// Days employed in `[a, b]`.
    fn days_in(&self, a: Day, b: Day) -> i32 {
        let lo = a.max(self.hire);
        let hi = self.term.map_or(b, |t| t.min(b));
        (hi - lo + 1).max(0)
    }
}

/// The team lead of team `t`: employees `0..TEAMS` lead the teams and are never terminated.
fn lead(team: usize) -> usize {
    team
}

fn team_name(t: usize) -> String {
    format!("{}-{}", DEPARTMENTS[t / 2], t % 2 + 1)
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

/// `YYYY-MM` of a month key.
fn month_label(m: i32) -> String {
    format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A Poisson draw (Knuth; small means only).
fn poisson(rng: &mut StdRng, mean: f64) -> usize {
    let l = (-mean).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// An employee of `pool` employed on `d`, at random; with `bias` > 0 the more skilled are
/// likelier (weight `exp(bias * skill)`).
fn pick(rng: &mut StdRng, emps: &[Emp], pool: &[usize], d: Day, bias: f64) -> Option<usize> {
    if pool.is_empty() {
        return None;
    }
    let top = (bias * 2.5).exp();
    for _ in 0..64 {
        let c = pool[rng.random_range(0..pool.len())];
        if emps[c].employed(d)
            && (bias == 0.0 || rng.random::<f64>() * top < (bias * emps[c].skill).exp())
        {
            return Some(c);
        }
    }
    pool.iter().copied().find(|&c| emps[c].employed(d))
}

fn cents(c: i64) -> String {
    crate::money::format_cents(c)
}

/// Creates `<table>.csv` in `dir` with the table's canonical header.
fn open(dir: &Path, table: Table) -> Result<BufWriter<File>, Error> {
    let path = dir.join(format!("{}.csv", table.name()));
    let f = File::create(&path).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "{}", table.csv_header()).map_err(werr)?;
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

/// A client: when it joins and leaves, how risky and how large it is.
struct Client {
    on: Day,
    /// First day without new invoices (`Day::MAX`: stays).
    off: Day,
    /// Multiplier of the chance of late payment and default (about 1 on average).
    risk: f64,
    /// Multiplier of invoice size.
    size: f64,
    /// On the watch list: managed by risk officers.
    watch: bool,
    /// The salesperson who brought the client in.
    hunter: Option<usize>,
}

/// What [`generate`] wrote.
pub struct Generated {
    /// Rows written per table, in the contract's order.
    pub counts: Vec<(&'static str, usize)>,
    /// The company's headline figures, one line each (the first is empty).
    pub figures: Vec<String>,
}

/// Writes the company as CSV files under `dir` (and converts them to Parquet when asked).
/// Returns the row count of each table.
pub fn write(
    cfg: &GenConfig,
    dir: &Path,
    parquet: bool,
) -> Result<Vec<(&'static str, usize)>, Error> {
    Ok(generate(cfg, dir, parquet)?.counts)
}

/// How the company's files are written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    /// Parquet rather than CSV.
    pub parquet: bool,
    /// The large tables as one file per month (see [`split`]).
    pub monthly: bool,
}

/// Writes the company as [`write`] does; returns the row counts and the figures, printing
/// nothing.
pub fn generate(cfg: &GenConfig, dir: &Path, parquet: bool) -> Result<Generated, Error> {
    let layout = Layout {
        parquet,
        monthly: false,
    };
    generate_as(cfg, dir, layout)
}

/// [`generate`], its files laid out as `layout` says.
pub fn generate_as(cfg: &GenConfig, dir: &Path, layout: Layout) -> Result<Generated, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let start = month_start(cfg.first_month);
    let end = month_end(cfg.last_month);
    let days = Days::new(start - 4000, end + 800);
    let mut counts: Vec<(Table, usize)> = Vec::new();

    let emps = employees(cfg, &mut rng);
    counts.push((
        Table::Employees,
        write_employees(dir, &mut rng, &days, &emps)?,
    ));
    counts.push((Table::OrgHistory, write_org(dir, &days, &emps)?));

    let pool =
        |role: &str| -> Vec<usize> { (0..emps.len()).filter(|&i| emps[i].role == role).collect() };
    let (ams, sales, ros) = (pool(ACCOUNT_MANAGER), pool(SALES), pool(RISK_OFFICER));

    // Clients: a book at the start, and new ones joining over the span; a few leave.
    let mut clients = Vec::with_capacity(cfg.clients);
    for _ in 0..cfg.clients {
        let on = if clients.is_empty() || rng.random_bool(0.45) {
            start
        } else {
            rng.random_range(start..end - 60)
        };
        let off = if rng.random_bool(0.25) {
            on + rng.random_range(200..4000)
        } else {
            Day::MAX
        };
        let risk = (0.7 * normal(&mut rng) - 0.245).exp();
        let size = (0.6 * normal(&mut rng) - 0.18).exp();
        let hunter = pick(&mut rng, &emps, &sales, on, 0.5);
        clients.push(Client {
            on,
            off,
            risk,
            size,
            watch: risk > 1.6,
            hunter,
        });
    }

    // Who owns each client's receivables over time.
    let mut assign: Vec<Vec<(Day, Day, usize)>> = Vec::with_capacity(cfg.clients);
    let mut w = open(dir, Table::Assignments)?;
    let mut n_assign = 0;
    for (c, cl) in clients.iter().enumerate() {
        let book = if cl.watch && !ros.is_empty() {
            &ros
        } else {
            &ams
        };
        let mut rows = Vec::new();
        let mut d = if rng.random_bool(0.03) {
            cl.on + rng.random_range(10..120)
        } else {
            cl.on
        };
        while d <= end {
            let Some(am) = pick(&mut rng, &emps, book, d, 0.3) else {
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
    counts.push((Table::Assignments, n_assign));

    // Daily fx rates on weekdays, from before the first onboarding application.
    let mut w = open(dir, Table::FxRates)?;
    let mut n_fx = 0;
    for (cur, level) in CURRENCIES.iter().skip(1) {
        let mut x = *level;
        for d in start - 30..=end {
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
    counts.push((Table::FxRates, n_fx));

    let world = World {
        cfg,
        days: &days,
        emps: &emps,
        sales: &sales,
        ros: &ros,
        clients: &clients,
        assign: &assign,
    };
    // Applications first: invoices are bought under their approvals.
    let (n_apps, approvals) = activity::applications(&world, &mut rng, dir)?;
    counts.push((Table::Applications, n_apps));
    counts.extend(ledger::invoices(&world, &mut rng, dir, &approvals)?);
    counts.push((Table::Reviews, activity::reviews(&world, &mut rng, dir)?));
    counts.push((Table::Targets, plans::targets(&world, dir)?));
    // Read back by the engine: checks every rule, gives the actuals appeals correct and the
    // company figures.
    let engine = summary::Engine::load(cfg, dir)?;
    counts.push((Table::Adjustments, plans::appeals(&world, dir, &engine)?));
    let figures = engine.figures(cfg);
    drop(engine); // before the Parquet conversion, which needs its own memory

    // Every canonical table was written, in the contract's order.
    counts.sort_by_key(|c| c.0);
    debug_assert!(counts.iter().map(|c| c.0).eq(Table::ALL));
    if layout.monthly {
        split::by_month(dir)?;
    }
    if layout.parquet {
        to_parquet(dir)?;
    }
    Ok(Generated {
        counts: counts.into_iter().map(|(t, n)| (t.name(), n)).collect(),
        figures,
    })
}

/// What the table writers share.
struct World<'a> {
    cfg: &'a GenConfig,
    days: &'a Days,
    emps: &'a [Emp],
    sales: &'a [usize],
    /// Risk officers, who decide applications.
    ros: &'a [usize],
    clients: &'a [Client],
    assign: &'a [Vec<(Day, Day, usize)>],
}

/// Converts every generated CSV file of `dir` to Parquet beside it, typed: money as
/// Decimal(18, 2), dates as Date, everything else as text.
fn to_parquet(dir: &Path) -> Result<(), Error> {
    use crate::tables::ColType;
    use polars::prelude::*;
    for (t, csv) in crate::tables::Table::ALL
        .into_iter()
        .flat_map(|t| split::csv_files(dir, t).into_iter().map(move |f| (t, f)))
    {
        let df = split::read_text(&csv)
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
        let path = csv.with_extension("parquet");
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
