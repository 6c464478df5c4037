//! The shape of a pipeline file, exactly as written. Nothing here is checked beyond its type:
//! [`super::validate`] turns it into a [`super::Plan`].

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

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
    /// Where the Parquet tables are written.
    pub output: OutputDef,
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
}
