//! The output tables (contract section 6): one definition per table, with its name, whether it
//! is partitioned by grain and period, and its columns in order with their types and meanings.
//! The table builders, the writers, the manifest, the report and the README's column tables all
//! take them from here.
//!
//! The metric columns of `scorecards` and `rollups` are not fixed here: a table says where they
//! go, and the metrics of a run are given to [`OutputTable::columns`].

use polars::prelude::{polars_bail, Column, DataType, Int128Chunked, IntoColumn, PolarsResult};

mod columns;

pub use columns::{kpi_scores, plan_comparison, rejects, rollups, scorecards};

/// An output table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutputTable {
    Scorecards,
    KpiScores,
    Rollups,
    Rejects,
    PlanComparison,
}

/// The command that writes a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// `factorscore run`.
    Run,
    /// `factorscore compare --out`.
    Compare,
}

/// The type of an output column, as Parquet holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Date,
    Int64,
    Float64,
    Boolean,
    /// Exact, with (precision, scale).
    Decimal(u8, u8),
}

impl ColumnType {
    /// Money: cents exactly.
    pub const MONEY: ColumnType = ColumnType::Decimal(38, 2);
    /// A multiplier in ten-thousandths exactly.
    pub const MULTIPLIER: ColumnType = ColumnType::Decimal(38, 4);

    /// Integers `v` read as decimals of this type (its scale places: cents for money), exactly.
    pub fn decimals(
        self,
        name: &str,
        v: impl Iterator<Item = Option<i64>>,
    ) -> PolarsResult<Column> {
        let DataType::Decimal(precision, scale) = self.dtype() else {
            polars_bail!(InvalidOperation: "{} is not a decimal type", self.name());
        };
        let ca: Int128Chunked = v.map(|v| v.map(i128::from)).collect();
        Ok(ca
            .with_name(name.into())
            .into_decimal(precision, scale)?
            .into_column())
    }

    /// The type as the README names it: `String`, `Decimal(38, 2)`, ...
    pub fn name(self) -> String {
        match self {
            ColumnType::Text => "String".into(),
            ColumnType::Date => "Date".into(),
            ColumnType::Int64 => "Int64".into(),
            ColumnType::Float64 => "Float64".into(),
            ColumnType::Boolean => "Boolean".into(),
            ColumnType::Decimal(p, s) => format!("Decimal({p}, {s})"),
        }
    }

    /// The Polars type of the column.
    pub fn dtype(self) -> DataType {
        match self {
            ColumnType::Text => DataType::String,
            ColumnType::Date => DataType::Date,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Decimal(p, s) => DataType::Decimal(usize::from(p), usize::from(s)),
        }
    }
}

/// One column of an output table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef<'a> {
    pub name: &'a str,
    pub ty: ColumnType,
    /// What the column holds, for the README.
    pub doc: &'a str,
}

const fn col(name: &'static str, ty: ColumnType, doc: &'static str) -> ColumnDef<'static> {
    ColumnDef { name, ty, doc }
}

/// A stretch of a table's columns: one fixed column, or the metric columns of the run.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    Column(ColumnDef<'static>),
    /// The metric columns, in the order given; `label` and `doc` stand for them in the README.
    Metrics {
        label: &'static str,
        doc: &'static str,
    },
}

/// The keys of a partitioned table's folders (`grain=G/period=P`), which readers of the hive
/// layout see as columns.
pub const PARTITION_KEYS: [&str; 2] = ["grain", "period"];

/// The definition of one output table.
#[derive(Debug)]
pub struct TableDef {
    pub table: OutputTable,
    pub name: &'static str,
    /// Hive-partitioned by grain and period (`TABLE/grain=G/period=P/part-0.parquet`); else one
    /// file, `TABLE/part-0.parquet`, that each run replaces.
    pub partitioned: bool,
    pub writer: Writer,
    pub parts: &'static [Part],
}

use Part::Column as C;

/// Every output table. [`OutputTable`] indexes into it.
pub static OUTPUT_TABLES: [TableDef; 5] = {
    use kpi_scores as k;
    use plan_comparison as pc;
    use rejects as x;
    use rollups as r;
    use scorecards as s;
    [
        TableDef {
            table: OutputTable::Scorecards,
            name: "scorecards",
            partitioned: true,
            writer: Writer::Run,
            parts: &[
                C(s::EMPLOYEE_ID),
                C(s::EMPLOYEE_NAME),
                C(s::PERIOD_START),
                C(s::PERIOD_END),
                C(s::DEPARTMENT),
                C(s::TEAM),
                C(s::ROLE),
                C(s::MANAGER_ID),
                C(s::DAYS_EMPLOYED),
                Part::Metrics {
                    label: "*every metric below*",
                    doc: "under its name",
                },
                C(s::COMPOSITE_SCORE),
                C(s::GRADE),
                C(s::PERCENTILE_IN_GROUP),
                C(s::ZSCORE_IN_GROUP),
                C(s::REVIEW_FLAG),
                C(s::BONUS_UNCAPPED),
                C(s::BONUS),
                C(s::PLAN),
                C(s::BASE_SALARY),
                C(s::MONTHS),
                C(s::BONUS_MULTIPLIER),
                C(s::BONUS_POOL),
                C(s::CALIBRATION_GROUP),
            ],
        },
        TableDef {
            table: OutputTable::KpiScores,
            name: "kpi_scores",
            partitioned: true,
            writer: Writer::Run,
            parts: &[
                C(k::EMPLOYEE_ID),
                C(k::PLAN),
                C(k::METRIC),
                C(k::PERSPECTIVE),
                C(k::DIRECTION),
                C(k::RAW_ACTUAL),
                C(k::ACTUAL),
                C(k::ADJUSTED),
                C(k::ADJUSTMENT_REASON),
                C(k::APPROVED_BY),
                C(k::TARGET),
                C(k::THRESHOLD),
                C(k::STRETCH),
                C(k::TARGET_SOURCE),
                C(k::WEIGHT),
                C(k::EFFECTIVE_WEIGHT),
                C(k::SCORE),
                C(k::WEIGHTED_SCORE),
            ],
        },
        TableDef {
            table: OutputTable::Rollups,
            name: "rollups",
            partitioned: true,
            writer: Writer::Run,
            parts: &[
                C(r::LEVEL),
                C(r::KEY),
                C(r::EMPLOYEES),
                C(r::RATED),
                Part::Metrics {
                    label: "*every metric*",
                    doc: "as in `scorecards`, recomputed from the members' facts",
                },
            ],
        },
        TableDef {
            table: OutputTable::Rejects,
            name: "rejects",
            partitioned: false,
            writer: Writer::Run,
            parts: &[
                C(x::SOURCE),
                C(x::FILE),
                C(x::ROW),
                C(x::LINE),
                C(x::COLUMN),
                C(x::VALUE),
                C(x::RULE),
                C(x::CASCADE),
                C(x::REASON),
                C(x::RAW),
            ],
        },
        TableDef {
            table: OutputTable::PlanComparison,
            name: "plan_comparison",
            partitioned: true,
            writer: Writer::Compare,
            parts: &[
                C(pc::EMPLOYEE_ID),
                C(pc::DEPARTMENT),
                C(pc::TEAM),
                C(pc::ROLE),
                C(pc::PLAN_CURRENT),
                C(pc::PLAN_PROPOSED),
                C(pc::COMPOSITE_CURRENT),
                C(pc::COMPOSITE_PROPOSED),
                C(pc::GRADE_CURRENT),
                C(pc::GRADE_PROPOSED),
                C(pc::BONUS_CURRENT),
                C(pc::BONUS_PROPOSED),
                C(pc::BONUS_DELTA),
            ],
        },
    ]
};

impl OutputTable {
    pub const ALL: [OutputTable; 5] = [
        OutputTable::Scorecards,
        OutputTable::KpiScores,
        OutputTable::Rollups,
        OutputTable::Rejects,
        OutputTable::PlanComparison,
    ];

    /// The tables a run writes a partition of per grain and period.
    pub fn partitioned() -> impl Iterator<Item = OutputTable> {
        OutputTable::ALL
            .into_iter()
            .filter(|t| t.def().partitioned && t.def().writer == Writer::Run)
    }

    pub fn def(self) -> &'static TableDef {
        &OUTPUT_TABLES[self as usize]
    }

    /// The table's folder name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Whether the table has the metric columns.
    pub fn has_metrics(self) -> bool {
        self.def()
            .parts
            .iter()
            .any(|p| matches!(p, Part::Metrics { .. }))
    }

    /// The names a metric may not take: every fixed column of a table with metric columns, and
    /// the partition keys of such a table that is partitioned.
    pub fn reserved_for_metrics() -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for t in OutputTable::ALL.into_iter().filter(|t| t.has_metrics()) {
            let keys = if t.def().partitioned {
                &PARTITION_KEYS[..]
            } else {
                &[]
            };
            let fixed = t.def().parts.iter().filter_map(|p| match p {
                Part::Column(c) => Some(c.name),
                Part::Metrics { .. } => None,
            });
            for name in fixed.chain(keys.iter().copied()) {
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// Every column in order, `metrics` (the run's metric columns) where the table has them.
    pub fn columns<'a>(self, metrics: &[ColumnDef<'a>]) -> Vec<ColumnDef<'a>> {
        let mut out = Vec::new();
        for p in self.def().parts {
            match p {
                Part::Column(c) => out.push(*c),
                Part::Metrics { .. } => out.extend_from_slice(metrics),
            }
        }
        out
    }

    /// The README's table of the columns: a row per column, consecutive columns of one type and
    /// meaning on one row, and one row standing for the metric columns.
    pub fn markdown(self) -> String {
        // (names, the type with a space before it, or nothing, meaning)
        let mut rows: Vec<(String, String, &str)> = Vec::new();
        for p in self.def().parts {
            match p {
                Part::Column(c) => match rows.last_mut() {
                    Some(last) if last.1 == format!(" {}", c.ty.name()) && last.2 == c.doc => {
                        last.0.push_str(", ");
                        last.0.push_str(c.name);
                    }
                    _ => rows.push((c.name.to_string(), format!(" {}", c.ty.name()), c.doc)),
                },
                Part::Metrics { label, doc } => rows.push((label.to_string(), String::new(), doc)),
            }
        }
        let mut s = String::from("| column | type | meaning |\n|---|---|---|\n");
        for (names, ty, doc) in rows {
            s.push_str(&format!("| {names} |{ty} | {doc} |\n"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_in_their_own_order_with_unique_columns() {
        for (i, t) in OutputTable::ALL.into_iter().enumerate() {
            assert_eq!(t as usize, i);
            assert_eq!(t.def().table, t);
            let metric = [col("m", ColumnType::Int64, "")];
            let cols = t.columns(&metric);
            let mut names: Vec<&str> = cols.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), cols.len(), "{}", t.name());
        }
        assert_eq!(
            OutputTable::partitioned().collect::<Vec<_>>(),
            [
                OutputTable::Scorecards,
                OutputTable::KpiScores,
                OutputTable::Rollups
            ]
        );
    }

    #[test]
    fn the_metric_columns_go_where_the_table_says() {
        let m = [
            col("a", ColumnType::Int64, ""),
            col("b", ColumnType::MONEY, ""),
        ];
        let names =
            |t: OutputTable| -> Vec<&str> { t.columns(&m).iter().map(|c| c.name).collect() };
        assert_eq!(
            names(OutputTable::Rollups),
            ["level", "key", "employees", "rated", "a", "b"]
        );
        let sc = names(OutputTable::Scorecards);
        assert_eq!(&sc[8..12], ["days_employed", "a", "b", "composite_score"]);
        assert!(!OutputTable::KpiScores.has_metrics());
        assert!(!names(OutputTable::Rejects).contains(&"a"));
    }

    #[test]
    fn the_names_a_metric_may_not_take_are_the_fixed_columns_of_scorecards_and_rollups() {
        let reserved = OutputTable::reserved_for_metrics();
        for name in [
            "employee_id",
            "months",
            "calibration_group",
            "bonus_multiplier",
            "level",
            "rated",
            "grain",
            "period",
        ] {
            assert!(reserved.contains(&name), "{name}");
        }
        // kpi_scores has no metric columns: its own are free.
        assert!(!reserved.contains(&"raw_actual"));
    }
}
