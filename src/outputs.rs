//! The output tables (contract section 6): one definition per table, with its name, whether it
//! is partitioned by grain and period, and its columns in order with their types and meanings.
//! The table builders, the writers, the manifest, the report and the README's column tables all
//! take them from here.
//!
//! The metric columns of `scorecards` and `rollups` are not fixed here: a table says where they
//! go, and the metrics of a run are given to [`OutputTable::columns`].

use polars::prelude::DataType;

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

/// The columns of `scorecards`, by name, for the code that builds and reads the table.
pub mod scorecards {
    use super::{col, ColumnDef, ColumnType, ColumnType::*};

    const ORG: &str = "org_history on the row's *org date* `min(pe, termination_date)`";
    pub const EMPLOYEE_ID: ColumnDef = col("employee_id", Text, "from `employees`");
    pub const EMPLOYEE_NAME: ColumnDef = col("employee_name", Text, "from `employees`");
    pub const PERIOD_START: ColumnDef = col("period_start", Date, "`ps`, `pe`");
    pub const PERIOD_END: ColumnDef = col("period_end", Date, "`ps`, `pe`");
    pub const DEPARTMENT: ColumnDef = col("department", Text, ORG);
    pub const TEAM: ColumnDef = col("team", Text, ORG);
    pub const ROLE: ColumnDef = col("role", Text, ORG);
    pub const MANAGER_ID: ColumnDef = col("manager_id", Text, ORG);
    pub const DAYS_EMPLOYED: ColumnDef = col(
        "days_employed",
        Int64,
        "days of the period from hire to termination, inclusive",
    );
    pub const COMPOSITE_SCORE: ColumnDef = col(
        "composite_score",
        Float64,
        "sum of the KPIs' weighted scores (5.3); null when not rated or no KPI has a score",
    );
    pub const GRADE: ColumnDef = col(
        "grade",
        Text,
        "the plan's first band, highest first, whose `min` the composite reaches",
    );
    pub const PERCENTILE_IN_GROUP: ColumnDef = col(
        "percentile_in_group",
        Float64,
        "SQL `percent_rank` of the composite in its calibration group; null when the group has fewer than 2",
    );
    pub const ZSCORE_IN_GROUP: ColumnDef = col(
        "zscore_in_group",
        Float64,
        "(composite − group mean) / sample standard deviation; null when fewer than 2 or no spread",
    );
    pub const REVIEW_FLAG: ColumnDef = col(
        "review_flag",
        Boolean,
        "an approved appeal changed a KPI, or the composite moved by `swing_threshold` or more since the previous period",
    );
    pub const BONUS: ColumnDef = col(
        "bonus",
        ColumnType::MONEY,
        "base_salary × months in p × the grade's multiplier × days_employed / days in p, exact, rounded once",
    );
    pub const PLAN: ColumnDef = col(
        "plan",
        Text,
        "the name of the plan in force; null when not rated",
    );
    pub const BASE_SALARY: ColumnDef = col(
        "base_salary",
        ColumnType::MONEY,
        "the employee's monthly base salary (`employees`), in base currency",
    );
    pub const MONTHS: ColumnDef = col("months", Int64, "months in the period: 1, 3 or 12");
    pub const BONUS_MULTIPLIER: ColumnDef = col(
        "bonus_multiplier",
        ColumnType::MULTIPLIER,
        "the grade's bonus multiplier in the plan; null when not rated or no grade",
    );
    pub const CALIBRATION_GROUP: ColumnDef = col(
        "calibration_group",
        Text,
        "the row's calibration group within its plan and period: the plan's `calibration_group` columns with the row's values, e.g. `department=East\\|role=account_manager` (a null value as `manager_id=`, and a backslash before a `\\|` or a backslash in a value); null when not rated",
    );
}

/// The columns of `kpi_scores`, by name.
pub mod kpi_scores {
    use super::{col, ColumnDef, ColumnType::*};

    const KPI: &str = "the KPI as the plan defines it";
    const APPEAL: &str = "from the appeal; null when none";
    const RESOLVED: &str =
        "as resolved (5.2): the chosen targets row, its gaps filled from the plan";
    pub const EMPLOYEE_ID: ColumnDef = col("employee_id", Text, "the scorecard row's employee");
    pub const PLAN: ColumnDef = col("plan", Text, "the plan in force");
    pub const METRIC: ColumnDef = col("metric", Text, KPI);
    pub const PERSPECTIVE: ColumnDef = col("perspective", Text, KPI);
    pub const DIRECTION: ColumnDef = col("direction", Text, KPI);
    pub const RAW_ACTUAL: ColumnDef = col(
        "raw_actual",
        Float64,
        "the section 3 value (money as its decimal value, counts as numbers)",
    );
    pub const ACTUAL: ColumnDef = col(
        "actual",
        Float64,
        "the approved appeal's value when there is one, else `raw_actual`",
    );
    pub const ADJUSTED: ColumnDef = col("adjusted", Boolean, "whether an appeal was applied");
    pub const ADJUSTMENT_REASON: ColumnDef = col("adjustment_reason", Text, APPEAL);
    pub const APPROVED_BY: ColumnDef = col("approved_by", Text, APPEAL);
    pub const TARGET: ColumnDef = col("target", Float64, RESOLVED);
    pub const THRESHOLD: ColumnDef = col("threshold", Float64, RESOLVED);
    pub const STRETCH: ColumnDef = col("stretch", Float64, RESOLVED);
    pub const TARGET_SOURCE: ColumnDef = col(
        "target_source",
        Text,
        "`employee`, `department_role`, `role`, `department`, `company` or `plan`",
    );
    pub const WEIGHT: ColumnDef = col("weight", Float64, "the plan's weight");
    pub const EFFECTIVE_WEIGHT: ColumnDef = col(
        "effective_weight",
        Float64,
        "weight / sum of the weights of the row's scored KPIs; 0 when not scored",
    );
    pub const SCORE: ColumnDef = col(
        "score",
        Float64,
        "the curve: 0 up to the threshold, 100 at the target, 120 from the stretch, linear between; null when the actual is null",
    );
    pub const WEIGHTED_SCORE: ColumnDef = col(
        "weighted_score",
        Float64,
        "effective_weight × score; 0 when not scored",
    );
}

/// The columns of `rollups`, by name.
pub mod rollups {
    use super::{col, ColumnDef, ColumnType::*};

    pub const LEVEL: ColumnDef = col("level", Text, "`team`, `department` or `company`");
    pub const KEY: ColumnDef = col(
        "key",
        Text,
        "the team's name (a team is known by its name alone), the department's, or `company`",
    );
    pub const EMPLOYEES: ColumnDef = col("employees", Int64, "scorecard rows counted");
    pub const RATED: ColumnDef = col("rated", Int64, "of those, rows with a plan in force");
}

/// The columns of `rejects`, by name.
pub mod rejects {
    use super::{col, ColumnDef, ColumnType::*};

    pub const SOURCE: ColumnDef = col("source", Text, "canonical table, e.g. `collections`");
    pub const FILE: ColumnDef = col("file", Text, "the file the row came from");
    pub const ROW: ColumnDef = col("row", Int64, "1-based data row within the file");
    pub const LINE: ColumnDef = col(
        "line",
        Int64,
        "1-based line of a CSV file (the header is line 1); null for Parquet",
    );
    pub const COLUMN: ColumnDef = col(
        "column",
        Text,
        "the column of the first rule the row breaks (null for a whole-row break)",
    );
    pub const VALUE: ColumnDef = col(
        "value",
        Text,
        "that column's value as read, whole (for a whole-row break: the row's text, cut to 120 characters)",
    );
    pub const RULE: ColumnDef = col(
        "rule",
        Text,
        "the first rule it breaks, e.g. `must be > 0`; `references a rejected row` for a cascade",
    );
    pub const CASCADE: ColumnDef = col(
        "cascade",
        Boolean,
        "left out only because a row it references was",
    );
    pub const REASON: ColumnDef = col(
        "reason",
        Text,
        "every rule it breaks, as sentences; a cascade names the row it follows and why that row left",
    );
    pub const RAW: ColumnDef = col(
        "raw",
        Text,
        "the row's canonical columns as read, a JSON object",
    );
}

/// The columns of `plan_comparison` (contract 5.4), by name.
pub mod plan_comparison {
    use super::{col, ColumnDef, ColumnType, ColumnType::*};

    const ORG: &str = "as in `scorecards`";
    const GRADE: &str = "`grade` on each side (5.3); null when not rated or without a composite";
    pub const EMPLOYEE_ID: ColumnDef = col("employee_id", Text, "the scorecard row's employee");
    pub const DEPARTMENT: ColumnDef = col("department", Text, ORG);
    pub const TEAM: ColumnDef = col("team", Text, ORG);
    pub const ROLE: ColumnDef = col("role", Text, ORG);
    pub const PLAN_CURRENT: ColumnDef = col(
        "plan_current",
        Text,
        "the plan in force under the pipeline's plans, and under the proposed ones; null when not rated on that side",
    );
    pub const PLAN_PROPOSED: ColumnDef = col(
        "plan_proposed",
        Text,
        "the plan in force under the pipeline's plans, and under the proposed ones; null when not rated on that side",
    );
    pub const COMPOSITE_CURRENT: ColumnDef = col(
        "composite_current",
        Float64,
        "`composite_score` on each side (5.3)",
    );
    pub const COMPOSITE_PROPOSED: ColumnDef = col(
        "composite_proposed",
        Float64,
        "`composite_score` on each side (5.3)",
    );
    pub const GRADE_CURRENT: ColumnDef = col("grade_current", Text, GRADE);
    pub const GRADE_PROPOSED: ColumnDef = col("grade_proposed", Text, GRADE);
    pub const BONUS_CURRENT: ColumnDef = col(
        "bonus_current",
        ColumnType::MONEY,
        "`bonus` on each side (5.3); 0 when not rated",
    );
    pub const BONUS_PROPOSED: ColumnDef = col(
        "bonus_proposed",
        ColumnType::MONEY,
        "`bonus` on each side (5.3); 0 when not rated",
    );
    pub const BONUS_DELTA: ColumnDef = col(
        "bonus_delta",
        ColumnType::MONEY,
        "bonus_proposed − bonus_current, exact",
    );
}

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
                C(s::BONUS),
                C(s::PLAN),
                C(s::BASE_SALARY),
                C(s::MONTHS),
                C(s::BONUS_MULTIPLIER),
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
}
