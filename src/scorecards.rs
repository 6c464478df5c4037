//! Scorecard rows: one per employee and period employed, with identity, org as of the row's org
//! date (the period's end or the last day employed), every metric and the scores.

use polars::prelude::*;

use crate::cards::Card;
use crate::catalogue::Catalogue;
use crate::config::ScorePlan;
use crate::frame::{
    date_column, empty_frame, float_column, metric_columns, metric_defs, money_column,
    multiplier_column, table_frame,
};
use crate::metrics::Facts;
use crate::model::{Ledger, OrgRow};
use crate::outputs::{scorecards as sc, ColumnDef, OutputTable};
use crate::scoring::{group_label, RowScore};

/// The scorecards table of one period: `cards` and their `scores`, in the same order, scored by
/// `plans`.
pub fn frame(
    cat: &Catalogue,
    plans: &[ScorePlan],
    l: &Ledger,
    f: &Facts,
    cards: &[Card],
    scores: &[RowScore],
) -> PolarsResult<DataFrame> {
    let metrics = metric_defs(cat);
    let n = cards.len();
    let Some(k) = cards.first().map(|c| c.k) else {
        return empty_frame(OutputTable::Scorecards, &metrics);
    };
    let w = f.window;
    let p = w.first + k as i32;
    let emp = &l.employees;
    let text = |c: ColumnDef, get: &dyn for<'c> Fn(&'c Card<'c>) -> Option<&'c str>| {
        Column::new(c.name.into(), cards.iter().map(get).collect::<Vec<_>>())
    };
    let org =
        |c: ColumnDef, get: fn(&OrgRow) -> Option<&str>| text(c, &|card| card.org.and_then(get));
    let mut cols = vec![
        Column::new(
            sc::EMPLOYEE_ID.name.into(),
            cards
                .iter()
                .map(|c| emp.ids.name(c.employee))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            sc::EMPLOYEE_NAME.name.into(),
            cards
                .iter()
                .map(|c| emp.name[c.employee as usize].as_str())
                .collect::<Vec<_>>(),
        ),
        date_column(sc::PERIOD_START.name, w.cal.start(p), n)?,
        date_column(sc::PERIOD_END.name, w.cal.end(p), n)?,
        org(sc::DEPARTMENT, |o| Some(&o.department)),
        org(sc::TEAM, |o| Some(&o.team)),
        org(sc::ROLE, |o| Some(&o.role)),
        org(sc::MANAGER_ID, |o| o.manager_id.as_deref()),
        Column::new(
            sc::DAYS_EMPLOYED.name.into(),
            cards
                .iter()
                .map(|c| i64::from(c.days_employed))
                .collect::<Vec<_>>(),
        ),
    ];
    let values: Vec<_> = cards.iter().map(|c| f.values(cat, c.employee, k)).collect();
    cols.extend(metric_columns(cat, &values)?);
    cols.extend(score_columns(scores)?);
    cols.extend(basis_columns(plans, l, f, cards, scores)?);
    table_frame(OutputTable::Scorecards, &metrics, n, cols)
}

/// What the bonus and the calibration of each row are worked out from, so that a reader of the
/// table (the report) can show the arithmetic: the plan, the base salary, the months of the
/// period, the grade's multiplier, the plan's bonus pool and the calibration group.
fn basis_columns(
    plans: &[ScorePlan],
    l: &Ledger,
    f: &Facts,
    cards: &[Card],
    scores: &[RowScore],
) -> PolarsResult<Vec<Column>> {
    let months = i64::from(f.window.cal.grain.months());
    Ok(vec![
        Column::new(
            sc::PLAN.name.into(),
            scores
                .iter()
                .map(|s| s.plan.map(|p| plans[p].name.as_str()))
                .collect::<Vec<_>>(),
        ),
        money_column(
            sc::BASE_SALARY.name,
            cards
                .iter()
                .map(|c| Some(l.employees.base_salary[c.employee as usize])),
        )?,
        Column::new(sc::MONTHS.name.into(), vec![months; cards.len()]),
        multiplier_column(
            sc::BONUS_MULTIPLIER.name,
            scores.iter().map(|s| s.grade.map(|_| s.multiplier)),
        )?,
        money_column(
            sc::BONUS_POOL.name,
            scores
                .iter()
                .map(|s| s.plan.and_then(|p| plans[p].bonus_pool)),
        )?,
        Column::new(
            sc::CALIBRATION_GROUP.name.into(),
            cards
                .iter()
                .zip(scores)
                .map(|(c, s)| s.plan.map(|p| group_label(&plans[p], c)))
                .collect::<Vec<_>>(),
        ),
    ])
}

fn score_columns(scores: &[RowScore]) -> PolarsResult<Vec<Column>> {
    let float = |c: ColumnDef, get: fn(&RowScore) -> Option<f64>| {
        float_column(c.name, scores.iter().map(get))
    };
    Ok(vec![
        float(sc::COMPOSITE_SCORE, |s| s.composite),
        Column::new(
            sc::GRADE.name.into(),
            scores
                .iter()
                .map(|s| s.grade_name.as_deref())
                .collect::<Vec<_>>(),
        ),
        float(sc::PERCENTILE_IN_GROUP, |s| s.percentile),
        float(sc::ZSCORE_IN_GROUP, |s| s.zscore),
        Column::new(
            sc::REVIEW_FLAG.name.into(),
            scores.iter().map(|s| s.review_flag).collect::<Vec<_>>(),
        ),
        money_column(
            sc::BONUS_UNCAPPED.name,
            scores.iter().map(|s| Some(s.bonus_uncapped)),
        )?,
        money_column(sc::BONUS.name, scores.iter().map(|s| Some(s.bonus)))?,
    ])
}
