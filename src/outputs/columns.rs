//! The columns of each output table, by name: one constant per column with its type and
//! meaning, for the code that builds and reads the table and for the README's column tables.

use super::{col, ColumnDef, ColumnType};

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
    pub const BONUS_UNCAPPED: ColumnDef = col(
        "bonus_uncapped",
        ColumnType::MONEY,
        "base_salary × months in p × the grade's multiplier × days_employed / days in p, exact, rounded once",
    );
    pub const BONUS: ColumnDef = col(
        "bonus",
        ColumnType::MONEY,
        "`bonus_uncapped`, unless the bonuses of the plan's rows of the period add up to more than its `bonus_pool`: then its share `bonus_uncapped × bonus_pool / their sum`, cut to the cent, plus one of the cents the cut leaves for the rows that lost most (ties to the smaller employee_id), so that they add up to the pool",
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
    pub const BONUS_POOL: ColumnDef = col(
        "bonus_pool",
        ColumnType::MONEY,
        "the plan's `bonus_pool` for the period; null when not rated or the plan has none",
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
