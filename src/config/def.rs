//! The shape of a pipeline file, exactly as written. Nothing here is checked beyond its type:
//! [`super::validate`] turns it into a [`super::Plan`].

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::catalogue::custom::{Agg, CustomTable};

/// A factorscore pipeline: where the ledgers and HR data are, how to read them, and where the
/// scorecards go.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineDef {
    /// A name for the pipeline, recorded in the run manifest.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// ISO 4217 code of the base currency, e.g. `CNY`. Amounts are reported in it.
    #[schemars(with = "String")]
    pub base_currency: Spanned<String>,
    /// IANA time zone in which timestamps without an offset are read and days are cut,
    /// e.g. `Asia/Shanghai`.
    #[schemars(with = "String")]
    pub timezone: Spanned<String>,
    /// Default period size of a run: `month`, `quarter` or `year`. `--grain` overrides it.
    #[serde(default)]
    pub grain: Option<crate::periods::Grain>,
    /// First month (1-12) of the fiscal year; quarters and years count from it. Default 1.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub fiscal_year_start: Option<Spanned<u32>>,
    /// Default periods of a run when the command line names none.
    #[serde(default)]
    pub periods: Option<PeriodsDef>,
    /// One source per canonical table.
    #[schemars(with = "SourcesDef")]
    pub sources: Spanned<SourcesDef>,
    /// The largest share of all rows read (0 to 1) that may be rejected; past it the run fails
    /// and writes nothing.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub max_rejected_share: Option<Spanned<f64>>,
    /// Where the Parquet tables are written.
    pub output: OutputDef,
    /// How `s3://`, `gs://` and `az://` sources and outputs are reached: options, retries and
    /// timeouts.
    #[serde(default)]
    #[schemars(with = "Option<StorageDef>")]
    pub storage: Option<Spanned<StorageDef>>,
    /// The pipeline's own metrics (contract 3.1): aggregates over one table, or expressions over
    /// other metrics. They become columns of scorecards and rollups and may be KPIs of plans.
    #[serde(default)]
    #[schemars(with = "Option<Vec<MetricDef>>")]
    pub metrics: Option<Spanned<Vec<Spanned<MetricDef>>>>,
    /// Scorecard plans (contract 5.1): each scores one role over a range of months.
    #[serde(default)]
    #[schemars(with = "Option<Vec<PlanDef>>")]
    pub plans: Option<Spanned<Vec<Spanned<PlanDef>>>>,
}

/// A custom metric (contract 3.1): either an aggregate (`table`, `agg`, `column`, `q`,
/// `filter`) or a derived metric (`expr`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricDef {
    /// The column name: `[a-z][a-z0-9_]*`, unique, not a section 3 metric's name nor a column of
    /// `scorecards` or `rollups`.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// What it measures, shown by `factorscore metrics`, `explain` and the report.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    /// The table aggregated (an aggregate only).
    #[serde(default)]
    #[schemars(schema_with = "custom_table_schema")]
    pub table: Option<Spanned<String>>,
    /// The aggregate function (an aggregate only).
    #[serde(default)]
    #[schemars(schema_with = "agg_schema")]
    pub agg: Option<Spanned<String>>,
    /// The column aggregated; required except for `count`. May be an extra column of the table
    /// (`applied`, `recovery`, `balance`, `days_past_due`, `invoice.<column>`). A text column
    /// takes `count_distinct` only; a date, timestamp or boolean column `count` and
    /// `count_distinct`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub column: Option<Spanned<String>>,
    /// The quantile of `quantile`, 0 < q < 1.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub q: Option<Spanned<f64>>,
    /// A SQL boolean expression over the table's columns; rows where it is false or null are
    /// left out, e.g. `invoice.recourse = false AND amount >= 100000`. `date - date` is a number
    /// of days; timestamps and the literals compared with them are in the pipeline's timezone.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub filter: Option<Spanned<String>>,
    /// A derived metric: SQL arithmetic over other metrics of the same row, with `nullif`,
    /// `coalesce`, `abs`, `least`, `greatest` and `lag(name)`, e.g.
    /// `new_clients / nullif(lag(new_clients), 0) - 1`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub expr: Option<Spanned<String>>,
}

/// The JSON Schema of an optional name out of `names` (the catalogue's, so the schema cannot
/// drift from what the checks accept).
fn one_of(names: impl Iterator<Item = &'static str>) -> schemars::Schema {
    let mut values: Vec<serde_json::Value> = names.map(serde_json::Value::from).collect();
    values.push(serde_json::Value::Null);
    schemars::json_schema!({ "type": ["string", "null"], "enum": values })
}

/// The tables a custom aggregate may run over.
fn custom_table_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    one_of(CustomTable::ALL.into_iter().map(CustomTable::name))
}

/// The aggregate functions of a custom metric.
fn agg_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    one_of(Agg::ALL.into_iter().map(Agg::name))
}

/// An inclusive range of period labels such as `2024-01` .. `2026-10`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodsDef {
    #[schemars(with = "String")]
    pub from: Spanned<String>,
    #[schemars(with = "String")]
    pub to: Spanned<String>,
}

/// The canonical tables. Those marked optional may be left out; they are then empty.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcesDef {
    pub invoices: Option<SourceDef>,
    pub collections: Option<SourceDef>,
    pub write_offs: Option<SourceDef>,
    pub fees: Option<SourceDef>,
    pub applications: Option<SourceDef>,
    pub assignments: Option<SourceDef>,
    pub employees: Option<SourceDef>,
    pub org_history: Option<SourceDef>,
    pub fx_rates: Option<SourceDef>,
    /// Optional.
    pub reviews: Option<SourceDef>,
    /// Optional.
    pub targets: Option<SourceDef>,
    /// Optional.
    pub adjustments: Option<SourceDef>,
}

impl SourcesDef {
    /// The source named for `table`, if any.
    pub fn get(&self, table: crate::tables::Table) -> Option<&SourceDef> {
        use crate::tables::Table;
        match table {
            Table::Invoices => self.invoices.as_ref(),
            Table::Collections => self.collections.as_ref(),
            Table::WriteOffs => self.write_offs.as_ref(),
            Table::Fees => self.fees.as_ref(),
            Table::Applications => self.applications.as_ref(),
            Table::Assignments => self.assignments.as_ref(),
            Table::Employees => self.employees.as_ref(),
            Table::OrgHistory => self.org_history.as_ref(),
            Table::FxRates => self.fx_rates.as_ref(),
            Table::Reviews => self.reviews.as_ref(),
            Table::Targets => self.targets.as_ref(),
            Table::Adjustments => self.adjustments.as_ref(),
        }
    }
}

/// File format of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Parquet,
}

/// One input: a file or glob, its format, and how its columns map onto the canonical ones.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    /// A path or glob, relative to the pipeline file. Every matching file is read, in name order.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// `csv` or `parquet`; when left out, taken from the file extension.
    #[serde(default)]
    #[schemars(with = "Option<Format>")]
    pub format: Option<Spanned<Format>>,
    /// Options for CSV files.
    #[serde(default)]
    #[schemars(with = "Option<CsvOptionsDef>")]
    pub csv: Option<Spanned<CsvOptionsDef>>,
    /// Column renames: `the_file_column: canonical_column`.
    #[serde(default)]
    #[schemars(with = "Option<HashMap<String, String>>")]
    pub rename: Option<HashMap<Spanned<String>, Spanned<String>>>,
    /// What a row that breaks a rule of the data contract does: `fail` (the default) stops the
    /// run and lists the rule breaks; `quarantine` leaves the row out of every figure and writes
    /// it, with the reason, to the `rejects` table.
    #[serde(default)]
    pub on_error: Option<OnError>,
    /// The largest share of this source's rows (0 to 1) that may be rejected; past it the run
    /// fails and writes nothing.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub max_rejected_share: Option<Spanned<f64>>,
}

/// What a row that breaks a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Stop the run and list the rule breaks.
    #[default]
    Fail,
    /// Leave the row out and write it to the `rejects` table.
    Quarantine,
}

/// How a CSV file is written. Files always have a header row.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvOptionsDef {
    /// Field separator, one character. Default `,`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub delimiter: Option<Spanned<String>>,
    /// Quote character, one character. Default `"`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub quote: Option<Spanned<String>>,
}

/// Parquet compression codec of the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    Zstd,
    Snappy,
    Uncompressed,
}

/// Where and how the output tables are written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputDef {
    /// Output folder, relative to the pipeline file. `--out` overrides it.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// Default `zstd`.
    #[serde(default)]
    pub compression: Option<Compression>,
    /// zstd level 1-22. Default 3.
    #[serde(default)]
    #[schemars(with = "Option<i32>")]
    pub compression_level: Option<Spanned<i32>>,
    /// Keep the checked rows of the large tables beside the outputs, so that the next run reads
    /// only the input files added since (a local folder only). Default true.
    #[serde(default)]
    pub checkpoint: Option<bool>,
}

/// Object storage settings. Credentials and endpoints are read from the usual environment
/// variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`) first; `options` override them. No option value is
/// ever printed, logged or written to the manifest.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageDef {
    /// `object_store` configuration keys and values, e.g. `aws_endpoint`, `aws_region`,
    /// `aws_allow_http`, `azure_storage_account_name`, `google_service_account`.
    #[serde(default)]
    #[schemars(with = "Option<HashMap<String, OptionValue>>")]
    pub options: Option<HashMap<Spanned<String>, OptionValue>>,
    /// Retries of a failed request (after the first try). Default 5.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub retries: Option<Spanned<u32>>,
    /// Time limit of one request in seconds, from connecting to the last byte. Default 60.
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub timeout_secs: Option<Spanned<u64>>,
    /// Time limit of connecting in seconds. Default 10.
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub connect_timeout_secs: Option<Spanned<u64>>,
    /// No retry starts this many seconds after a request's first try. Default 120.
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub retry_timeout_secs: Option<Spanned<u64>>,
}

/// A storage option's value: text, or a YAML boolean or number, passed on as text.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OptionValue {
    Text(String),
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl OptionValue {
    pub fn text(&self) -> String {
        match self {
            OptionValue::Text(s) => s.clone(),
            OptionValue::Bool(b) => b.to_string(),
            OptionValue::Int(i) => i.to_string(),
            OptionValue::Float(f) => f.to_string(),
        }
    }
}

impl std::fmt::Debug for OptionValue {
    /// Hidden: a value may be a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A proposed plans file (`factorscore compare --plans`, contract 5.4): a `plans` list in the
/// shape of a pipeline's, nothing else.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlansFileDef {
    /// The proposed plans, scored beside the pipeline's.
    #[schemars(with = "Vec<PlanDef>")]
    pub plans: Spanned<Vec<Spanned<PlanDef>>>,
}

/// A scorecard plan: the KPIs, weights and grades that score one role over a range of months.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDef {
    /// Unique name, e.g. `account-managers-2024`.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The org_history role it scores, e.g. `account_manager`.
    #[schemars(with = "String")]
    pub role: Spanned<String>,
    /// First month (`2024-01`) of the periods it scores: those whose end date lies in
    /// [first day of valid_from, last day of valid_to].
    #[schemars(with = "String")]
    pub valid_from: Spanned<String>,
    /// Last month (`2024-12`); open when left out.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub valid_to: Option<Spanned<String>>,
    /// The org columns whose values define a calibration group: any of department, team,
    /// role, manager_id. Default `[department, role]`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub calibration_group: Option<Spanned<Vec<Spanned<String>>>>,
    /// Composite points of change against the previous period that flag a row for review.
    /// Default 20.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub swing_threshold: Option<Spanned<f64>>,
    /// Grade bands, highest first; the last has no `min`. Default S 110 ×2.0, A 100 ×1.5,
    /// B 85 ×1.0, C 70 ×0.5, D ×0.
    #[serde(default)]
    #[schemars(with = "Option<Vec<GradeDef>>")]
    pub grades: Option<Spanned<Vec<Spanned<GradeDef>>>>,
    /// The most the bonuses of the plan's rows may add up to in one period of the run's grain,
    /// in base currency: exact, at most 2 decimals, 0 or more, e.g. `"100000.00"`. When they add
    /// up to more, each is scaled down to its share of the pool, cut to the cent, and the cents
    /// left go by the largest remainder (contract 5.3). No pool when left out.
    #[serde(default)]
    #[schemars(with = "Option<DecimalText>")]
    pub bonus_pool: Option<Spanned<DecimalText>>,
    /// The KPIs; their weights sum to 1.
    #[schemars(with = "Vec<KpiDef>")]
    pub kpis: Spanned<Vec<Spanned<KpiDef>>>,
    /// Expected share of each grade (contract 5.3), e.g. `{ S: 0.1, A: 0.2, B: 0.4, C: 0.2, D:
    /// 0.1 }`, summing to 1: advisory, it never changes a grade. The manifest and the report show
    /// each calibration group's and department's actual shares against it.
    #[serde(default)]
    #[schemars(with = "Option<std::collections::BTreeMap<String, f64>>")]
    pub grade_guidance: Option<Spanned<std::collections::BTreeMap<String, Spanned<f64>>>>,
    /// How far (a share, default 0.05) a grade's actual share may differ from its guidance
    /// before the group is reported.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub guidance_tolerance: Option<Spanned<f64>>,
    /// Groups with fewer graded rows (default 10) are shown, not reported.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub guidance_min_group: Option<Spanned<u32>>,
}

/// A grade band.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeDef {
    /// The grade's name, e.g. `A`.
    #[schemars(with = "String")]
    pub grade: Spanned<String>,
    /// Lowest composite score of the band; left out on the last band only.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub min: Option<Spanned<f64>>,
    /// Exact decimal with at most 4 places: bonus = base_salary × months × multiplier × share
    /// of the period employed.
    #[schemars(with = "DecimalText")]
    pub bonus_multiplier: Spanned<DecimalText>,
}

/// A KPI of a plan.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiDef {
    /// A section 3 metric, e.g. `cash_recovery_rate` (`factorscore metrics` lists them).
    #[schemars(with = "String")]
    pub metric: Spanned<String>,
    /// Share of the composite, > 0; a plan's weights sum to 1.
    #[schemars(with = "f64")]
    pub weight: Spanned<f64>,
    /// Balanced-scorecard perspective.
    #[schemars(with = "Perspective")]
    pub perspective: Spanned<Perspective>,
    /// Whether a higher or a lower value is better.
    #[schemars(with = "Direction")]
    pub direction: Spanned<Direction>,
    /// The plan default below which the score is 0.
    #[schemars(with = "f64")]
    pub threshold: Spanned<f64>,
    /// The plan default that scores 100.
    #[schemars(with = "f64")]
    pub target: Spanned<f64>,
    /// The plan default that scores 120.
    #[schemars(with = "f64")]
    pub stretch: Spanned<f64>,
}

/// Balanced-scorecard perspective of a KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Perspective {
    Financial,
    Customer,
    Process,
    Learning,
}

impl Perspective {
    pub fn name(self) -> &'static str {
        match self {
            Perspective::Financial => "financial",
            Perspective::Customer => "customer",
            Perspective::Process => "process",
            Perspective::Learning => "learning",
        }
    }
}

/// Whether a higher or a lower value of a KPI is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }

    /// How far `x` is beyond `y` in the good direction: `x - y` for higher, `y - x` for lower.
    pub fn d(self, x: f64, y: f64) -> f64 {
        match self {
            Direction::Higher => x - y,
            Direction::Lower => y - x,
        }
    }

    /// Whether threshold, target and stretch are strictly ordered for this direction.
    pub fn ordered(self, threshold: f64, target: f64, stretch: f64) -> bool {
        self.d(target, threshold) > 0.0 && self.d(stretch, target) > 0.0
    }

    /// How the three values must be ordered, for messages.
    pub fn order_rule(self) -> &'static str {
        match self {
            Direction::Higher => "threshold < target < stretch",
            Direction::Lower => "threshold > target > stretch",
        }
    }
}

/// A decimal written as a YAML number or string, kept as its shortest text so its places can
/// be counted exactly.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct DecimalText(#[schemars(schema_with = "decimal_schema")] pub String);

/// A decimal's JSON Schema: a number, or a string (which keeps every place as written).
fn decimal_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": ["number", "string"] })
}

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DecimalText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a decimal number such as 1.5")
            }
            fn visit_f64<E>(self, v: f64) -> Result<DecimalText, E> {
                Ok(DecimalText(format!("{v}")))
            }
            fn visit_i64<E>(self, v: i64) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<DecimalText, E> {
                Ok(DecimalText(v.trim().to_string()))
            }
        }
        d.deserialize_any(V)
    }
}
