//! The output tables read back for the report: the partitions of the chosen grain and periods of
//! `scorecards`, `kpi_scores` and `rollups`, as plain rows. The report reads nothing else, so it
//! works on the output of any past run.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::Error;
use crate::output::PART_FILE;
use crate::outputs::{kpi_scores as k, rollups as r, scorecards as sc, OutputTable};

/// A `scorecards` row, the columns the report shows.
#[derive(Debug, Clone)]
pub struct Card {
    pub period: String,
    pub employee_id: String,
    pub employee_name: String,
    pub department: String,
    pub team: String,
    pub role: String,
    pub manager_id: Option<String>,
    pub days_employed: i64,
    /// Days from period_start to period_end, inclusive.
    pub days_in_period: i64,
    pub composite: Option<f64>,
    pub grade: Option<String>,
    pub percentile: Option<f64>,
    pub zscore: Option<f64>,
    pub review_flag: bool,
    pub bonus_cents: i128,
    /// The plan in force; `None` when not rated.
    pub plan: Option<String>,
    /// What the bonus is worked out from: the monthly base salary in cents, the months of the
    /// period and the grade's multiplier in ten-thousandths. `None` when the table does not hold
    /// them (an output of an older version), and the multiplier when there is no grade.
    pub base_salary_cents: Option<i128>,
    pub months: Option<i64>,
    pub multiplier: Option<i128>,
    /// The calibration group within the plan and period, as scoring keys it.
    pub calibration_group: Option<String>,
    /// The pipeline's own metrics (contract 3.1), in column order: the columns of the table that
    /// the output-table registry and the built-in metrics do not name.
    pub own: Vec<(String, Own)>,
}

/// A custom metric's value, typed as its column is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Own {
    Money(Option<i128>),
    Count(Option<i64>),
    Number(Option<f64>),
}

/// A `kpi_scores` row.
#[derive(Debug, Clone)]
pub struct Kpi {
    pub period: String,
    pub employee_id: String,
    pub plan: String,
    pub metric: String,
    pub direction: String,
    pub raw_actual: Option<f64>,
    pub actual: Option<f64>,
    pub adjusted: bool,
    pub adjustment_reason: Option<String>,
    pub approved_by: Option<String>,
    pub target: Option<f64>,
    pub threshold: Option<f64>,
    pub stretch: Option<f64>,
    pub target_source: String,
    pub weight: f64,
    pub effective_weight: f64,
    pub score: Option<f64>,
    pub weighted_score: f64,
}

/// The figures of a `rollups` row the overview charts.
#[derive(Debug, Clone)]
pub struct Rollup {
    pub period: String,
    pub level: String,
    pub key: String,
    pub employees: i64,
    pub rated: i64,
    /// Money, in cents.
    pub money: BTreeMap<&'static str, Option<i128>>,
    /// Ratios.
    pub ratio: BTreeMap<&'static str, Option<f64>>,
}

/// The money columns of `rollups` the report shows.
pub const ROLLUP_MONEY: [&str; 6] = [
    "outstanding",
    "cash_collected",
    "written_off",
    "funded_volume",
    "fee_income",
    "par30",
];
/// The ratio columns of `rollups` the report shows.
pub const ROLLUP_RATIOS: [&str; 3] = ["cash_recovery_rate", "par30_rate", "bad_debt_rate"];

/// The rows of some periods of one grain.
#[derive(Debug, Default)]
pub struct Tables {
    pub cards: Vec<Card>,
    pub kpis: Vec<Kpi>,
    pub rollups: Vec<Rollup>,
    /// The grade shares against the plans' guidance, as the last run's manifest records them
    /// (empty without a manifest or guidance).
    pub guidance: Vec<crate::scoring::guidance::GroupShares>,
    /// Lookups by (period, employee), built once: a statement must not scan every row.
    pub ix: Index,
}

/// A calibration group: period, plan, and the plan's group columns with the row's values.
pub type GroupKey = (String, String, String);

/// Rows by (period, employee id).
#[derive(Debug, Default)]
pub struct Index {
    pub kpis: HashMap<(String, String), Vec<usize>>,
    pub card: HashMap<(String, String), usize>,
    /// The composites of the rated rows per calibration group, in row order; see
    /// [`Tables::group_key`].
    pub groups: HashMap<GroupKey, Vec<f64>>,
}

impl Tables {
    /// The KPI rows of one scorecard row, in the plan's order.
    pub fn kpis_of(&self, period: &str, employee: &str) -> Vec<&Kpi> {
        self.ix
            .kpis
            .get(&(period.to_string(), employee.to_string()))
            .map(|v| v.iter().map(|i| &self.kpis[*i]).collect())
            .unwrap_or_default()
    }

    /// One employee's scorecard row of a period.
    pub fn card_of(&self, period: &str, employee: &str) -> Option<&Card> {
        self.ix
            .card
            .get(&(period.to_string(), employee.to_string()))
            .map(|i| &self.cards[*i])
    }

    fn index(&mut self) {
        let mut ix = Index::default();
        for (i, k) in self.kpis.iter().enumerate() {
            ix.kpis
                .entry((k.period.clone(), k.employee_id.clone()))
                .or_default()
                .push(i);
        }
        for (i, c) in self.cards.iter().enumerate() {
            ix.card.insert((c.period.clone(), c.employee_id.clone()), i);
            if let (Some(x), Some(k)) = (c.composite, Tables::group_key(c)) {
                ix.groups.entry(k).or_default().push(x);
            }
        }
        self.ix = ix;
    }

    /// The calibration group of a rated row: its period, its plan and its group in the plan.
    pub fn group_key(c: &Card) -> Option<GroupKey> {
        Some((
            c.period.clone(),
            c.plan.clone()?,
            c.calibration_group.clone()?,
        ))
    }
}

/// The periods of `grain` the output holds in `scorecards`, in order.
pub fn periods(out: &Path, grain: &str) -> Result<Vec<String>, Error> {
    let dir = out
        .join(OutputTable::Scorecards.name())
        .join(format!("grain={grain}"));
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                what: format!("cannot list {}", dir.display()),
                source,
            })
        }
    };
    let mut out: Vec<String> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("period="))
                .map(str::to_string)
        })
        .collect();
    // Labels of one grain sort as their periods: `2026-09` < `2026-10`, `2026-Q3` < `2026-Q4`.
    out.sort();
    Ok(out)
}

/// The grains the output holds, `month` first.
pub fn grains(out: &Path) -> Vec<&'static str> {
    ["month", "quarter", "year"]
        .into_iter()
        .filter(|g| {
            out.join(OutputTable::Scorecards.name())
                .join(format!("grain={g}"))
                .is_dir()
        })
        .collect()
}

/// Reads the three tables' partitions of `periods`.
pub fn read(out: &Path, grain: &str, periods: &[String]) -> Result<Tables, Error> {
    let mut t = Tables::default();
    for p in periods {
        let (sc, kpi, ro) = (
            OutputTable::Scorecards,
            OutputTable::KpiScores,
            OutputTable::Rollups,
        );
        let df = part(out, sc, grain, p)?;
        t.cards
            .extend(cards(&df, p).map_err(bad(out, sc, grain, p))?);
        let df = part(out, kpi, grain, p)?;
        t.kpis
            .extend(kpis(&df, p).map_err(bad(out, kpi, grain, p))?);
        let df = part(out, ro, grain, p)?;
        t.rollups
            .extend(rollups(&df, p).map_err(bad(out, ro, grain, p))?);
    }
    // The manifest of the run that wrote the tables: a missing or unreadable one (an older
    // version's) only leaves the guidance out.
    if let Some(m) = std::fs::read(out.join(crate::output::MANIFEST))
        .ok()
        .and_then(|j| crate::manifest::Manifest::parse(&j).ok())
    {
        let grain_of = m.grain == grain;
        t.guidance = m
            .guidance
            .into_iter()
            .filter(|g| grain_of && periods.contains(&g.period))
            .collect();
    }
    t.index();
    Ok(t)
}

fn file(out: &Path, table: OutputTable, grain: &str, period: &str) -> PathBuf {
    out.join(table.name())
        .join(format!("grain={grain}"))
        .join(format!("period={period}"))
        .join(PART_FILE)
}

fn bad<'a>(
    out: &'a Path,
    table: OutputTable,
    grain: &'a str,
    period: &'a str,
) -> impl FnOnce(PolarsError) -> Error + 'a {
    move |source| Error::ReadSource {
        path: file(out, table, grain, period),
        format: "Parquet",
        source,
    }
}

fn part(out: &Path, table: OutputTable, grain: &str, period: &str) -> Result<DataFrame, Error> {
    let path = file(out, table, grain, period);
    let f = std::fs::File::open(&path).map_err(|source| Error::Io {
        what: format!(
            "cannot read {}: is {} the output folder of a run at {grain} grain?",
            path.display(),
            out.display()
        ),
        source,
    })?;
    ParquetReader::new(f)
        .finish()
        .map_err(bad(out, table, grain, period))
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?
        .iter()
        .map(|v| v.filter(|x| x.is_finite()))
        .collect())
}

fn i64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    Ok(df.column(name)?.i64()?.iter().collect())
}

fn dates(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i32>>> {
    Ok(df.column(name)?.date()?.physical().iter().collect())
}

fn bools(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<bool>>> {
    Ok(df.column(name)?.bool()?.iter().collect())
}

/// A money column (Decimal with at most 2 places) in cents.
fn cents(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i128>>> {
    scaled(df, name, 2)
}

/// A Decimal column with at most `places` places, as integers of `10^-places`.
fn scaled(df: &DataFrame, name: &str, places: usize) -> PolarsResult<Vec<Option<i128>>> {
    let c = df.column(name)?;
    let DataType::Decimal(_, scale) = c.dtype() else {
        polars_bail!(SchemaMismatch: "`{name}` is {}, not a decimal", c.dtype());
    };
    let scale = *scale;
    if scale > places {
        polars_bail!(SchemaMismatch: "`{name}` has {scale} decimal places, not {places}");
    }
    let factor = 10i128.pow((places - scale) as u32);
    Ok(c.decimal()?
        .physical()
        .iter()
        .map(|v| v.map(|v| v * factor))
        .collect())
}

/// A column that an output of an older version may lack: all `None` then.
fn optional<T: Clone>(
    df: &DataFrame,
    name: &str,
    read: impl Fn(&DataFrame, &str) -> PolarsResult<Vec<Option<T>>>,
) -> PolarsResult<Vec<Option<T>>> {
    if df.column(name).is_err() {
        return Ok(vec![None; df.height()]);
    }
    read(df, name)
}

fn cards(df: &DataFrame, period: &str) -> PolarsResult<Vec<Card>> {
    let id = strs(df, sc::EMPLOYEE_ID.name)?;
    let name = strs(df, sc::EMPLOYEE_NAME.name)?;
    let dept = strs(df, sc::DEPARTMENT.name)?;
    let team = strs(df, sc::TEAM.name)?;
    let role = strs(df, sc::ROLE.name)?;
    let manager = strs(df, sc::MANAGER_ID.name)?;
    let days = i64s(df, sc::DAYS_EMPLOYED.name)?;
    let start = dates(df, sc::PERIOD_START.name)?;
    let end = dates(df, sc::PERIOD_END.name)?;
    let comp = f64s(df, sc::COMPOSITE_SCORE.name)?;
    let grade = strs(df, sc::GRADE.name)?;
    let pct = f64s(df, sc::PERCENTILE_IN_GROUP.name)?;
    let z = f64s(df, sc::ZSCORE_IN_GROUP.name)?;
    let flag = bools(df, sc::REVIEW_FLAG.name)?;
    let bonus = cents(df, sc::BONUS.name)?;
    let plan = optional(df, sc::PLAN.name, strs)?;
    let salary = optional(df, sc::BASE_SALARY.name, cents)?;
    let months = optional(df, sc::MONTHS.name, i64s)?;
    let multiplier = optional(df, sc::BONUS_MULTIPLIER.name, |df, n| scaled(df, n, 4))?;
    let group = optional(df, sc::CALIBRATION_GROUP.name, strs)?;
    let own = own_columns(df)?;
    Ok((0..df.height())
        .map(|i| Card {
            period: period.to_string(),
            employee_id: id[i].clone().unwrap_or_default(),
            employee_name: name[i].clone().unwrap_or_default(),
            department: dept[i].clone().unwrap_or_default(),
            team: team[i].clone().unwrap_or_default(),
            role: role[i].clone().unwrap_or_default(),
            manager_id: manager[i].clone(),
            days_employed: days[i].unwrap_or(0),
            days_in_period: match (start[i], end[i]) {
                (Some(a), Some(b)) => i64::from(b - a) + 1,
                _ => 0,
            },
            composite: comp[i],
            grade: grade[i].clone(),
            percentile: pct[i],
            zscore: z[i],
            review_flag: flag[i].unwrap_or(false),
            bonus_cents: bonus[i].unwrap_or(0),
            plan: plan[i].clone(),
            base_salary_cents: salary[i],
            months: months[i],
            multiplier: multiplier[i],
            calibration_group: group[i].clone(),
            own: own.iter().map(|(n, v)| (n.clone(), v[i])).collect(),
        })
        .collect())
}

/// The custom metric columns of a scorecards partition, each with its values.
fn own_columns(df: &DataFrame) -> PolarsResult<Vec<(String, Vec<Own>)>> {
    let cat = crate::catalogue::Catalogue::default();
    let known = OutputTable::Scorecards.columns(&crate::frame::metric_defs(&cat));
    let mut out = Vec::new();
    for c in df.columns() {
        let name = c.name().as_str();
        if known.iter().any(|k| k.name == name) || name == "grain" || name == "period" {
            continue;
        }
        let vals: Vec<Own> = match c.dtype() {
            DataType::Decimal(..) => cents(df, name)?.into_iter().map(Own::Money).collect(),
            DataType::Int64 => i64s(df, name)?.into_iter().map(Own::Count).collect(),
            _ => f64s(df, name)?.into_iter().map(Own::Number).collect(),
        };
        out.push((name.to_string(), vals));
    }
    Ok(out)
}

fn kpis(df: &DataFrame, period: &str) -> PolarsResult<Vec<Kpi>> {
    let id = strs(df, k::EMPLOYEE_ID.name)?;
    let plan = strs(df, k::PLAN.name)?;
    let metric = strs(df, k::METRIC.name)?;
    let direction = strs(df, k::DIRECTION.name)?;
    let raw = f64s(df, k::RAW_ACTUAL.name)?;
    let actual = f64s(df, k::ACTUAL.name)?;
    let adjusted = bools(df, k::ADJUSTED.name)?;
    let reason = strs(df, k::ADJUSTMENT_REASON.name)?;
    let approver = strs(df, k::APPROVED_BY.name)?;
    let target = f64s(df, k::TARGET.name)?;
    let threshold = f64s(df, k::THRESHOLD.name)?;
    let stretch = f64s(df, k::STRETCH.name)?;
    let source = strs(df, k::TARGET_SOURCE.name)?;
    let weight = f64s(df, k::WEIGHT.name)?;
    let eff = f64s(df, k::EFFECTIVE_WEIGHT.name)?;
    let score = f64s(df, k::SCORE.name)?;
    let weighted = f64s(df, k::WEIGHTED_SCORE.name)?;
    Ok((0..df.height())
        .map(|i| Kpi {
            period: period.to_string(),
            employee_id: id[i].clone().unwrap_or_default(),
            plan: plan[i].clone().unwrap_or_default(),
            metric: metric[i].clone().unwrap_or_default(),
            direction: direction[i].clone().unwrap_or_default(),
            raw_actual: raw[i],
            actual: actual[i],
            adjusted: adjusted[i].unwrap_or(false),
            adjustment_reason: reason[i].clone(),
            approved_by: approver[i].clone(),
            target: target[i],
            threshold: threshold[i],
            stretch: stretch[i],
            target_source: source[i].clone().unwrap_or_default(),
            weight: weight[i].unwrap_or(0.0),
            effective_weight: eff[i].unwrap_or(0.0),
            score: score[i],
            weighted_score: weighted[i].unwrap_or(0.0),
        })
        .collect())
}

fn rollups(df: &DataFrame, period: &str) -> PolarsResult<Vec<Rollup>> {
    let level = strs(df, r::LEVEL.name)?;
    let key = strs(df, r::KEY.name)?;
    let employees = i64s(df, r::EMPLOYEES.name)?;
    let rated = i64s(df, r::RATED.name)?;
    let money: Vec<(&'static str, Vec<Option<i128>>)> = ROLLUP_MONEY
        .iter()
        .map(|m| cents(df, m).map(|v| (*m, v)))
        .collect::<PolarsResult<_>>()?;
    let ratios: Vec<(&'static str, Vec<Option<f64>>)> = ROLLUP_RATIOS
        .iter()
        .map(|m| f64s(df, m).map(|v| (*m, v)))
        .collect::<PolarsResult<_>>()?;
    Ok((0..df.height())
        .map(|i| Rollup {
            period: period.to_string(),
            level: level[i].clone().unwrap_or_default(),
            key: key[i].clone().unwrap_or_default(),
            employees: employees[i].unwrap_or(0),
            rated: rated[i].unwrap_or(0),
            money: money.iter().map(|(m, v)| (*m, v[i])).collect(),
            ratio: ratios.iter().map(|(m, v)| (*m, v[i])).collect(),
        })
        .collect())
}
