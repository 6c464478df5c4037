//! The `plan_comparison` table (contract 5.4): a row per scorecard row of a period, both sides,
//! columns as the output-table registry defines them.

use polars::prelude::*;

use super::Row;
use crate::frame::{float_column, money_column, table_frame};
use crate::outputs::{plan_comparison as pc, ColumnDef, OutputTable};

/// The table of one period's `rows`.
pub fn frame(rows: &[&Row]) -> PolarsResult<DataFrame> {
    let text = |c: ColumnDef, get: &dyn Fn(&Row) -> Option<&str>| {
        Column::new(
            c.name.into(),
            rows.iter().map(|r| get(r)).collect::<Vec<_>>(),
        )
    };
    let cols = vec![
        text(pc::EMPLOYEE_ID, &|r| Some(&r.employee_id)),
        text(pc::DEPARTMENT, &|r| r.department.as_deref()),
        text(pc::TEAM, &|r| r.team.as_deref()),
        text(pc::ROLE, &|r| r.role.as_deref()),
        text(pc::PLAN_CURRENT, &|r| r.plan[0].as_deref()),
        text(pc::PLAN_PROPOSED, &|r| r.plan[1].as_deref()),
        float_column(
            pc::COMPOSITE_CURRENT.name,
            rows.iter().map(|r| r.composite[0]),
        ),
        float_column(
            pc::COMPOSITE_PROPOSED.name,
            rows.iter().map(|r| r.composite[1]),
        ),
        text(pc::GRADE_CURRENT, &|r| r.grade[0].as_deref()),
        text(pc::GRADE_PROPOSED, &|r| r.grade[1].as_deref()),
        money_column(
            pc::BONUS_CURRENT.name,
            rows.iter().map(|r| Some(r.bonus[0])),
        )?,
        money_column(
            pc::BONUS_PROPOSED.name,
            rows.iter().map(|r| Some(r.bonus[1])),
        )?,
        money_column(
            pc::BONUS_DELTA.name,
            rows.iter().map(|r| Some(r.bonus_delta())),
        )?,
    ];
    table_frame(OutputTable::PlanComparison, &[], rows.len(), cols)
}
