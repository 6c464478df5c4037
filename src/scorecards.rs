//! Scorecard rows: one per employee and period employed, with identity, org as of the row's org
//! date (the period's end or the last day employed), every metric and the scores.

use polars::prelude::*;

use crate::cards::Card;
use crate::frame::{date_column, metric_columns, money_column};
use crate::metrics::Facts;
use crate::model::{Ledger, OrgRow};
use crate::scoring::RowScore;

/// The scorecards table of one period: `cards` and their `scores`, in the same order.
pub fn frame(
    l: &Ledger,
    f: &Facts,
    cards: &[Card],
    scores: &[RowScore],
) -> PolarsResult<DataFrame> {
    let n = cards.len();
    let Some(k) = cards.first().map(|c| c.k) else {
        return empty_frame();
    };
    let w = f.window;
    let p = w.first + k as i32;
    let emp = &l.employees;
    let org = |get: fn(&OrgRow) -> Option<&str>| -> Vec<Option<&str>> {
        cards.iter().map(|c| c.org.and_then(get)).collect()
    };
    let mut cols = vec![
        Column::new(
            "employee_id".into(),
            cards
                .iter()
                .map(|c| emp.ids.names[c.employee as usize].as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "employee_name".into(),
            cards
                .iter()
                .map(|c| emp.name[c.employee as usize].as_str())
                .collect::<Vec<_>>(),
        ),
        date_column("period_start", w.cal.start(p), n)?,
        date_column("period_end", w.cal.end(p), n)?,
        Column::new("department".into(), org(|o| Some(&o.department))),
        Column::new("team".into(), org(|o| Some(&o.team))),
        Column::new("role".into(), org(|o| Some(&o.role))),
        Column::new("manager_id".into(), org(|o| o.manager_id.as_deref())),
        Column::new(
            "days_employed".into(),
            cards
                .iter()
                .map(|c| i64::from(c.days_employed))
                .collect::<Vec<_>>(),
        ),
    ];
    let values: Vec<_> = cards.iter().map(|c| f.values(c.employee, k)).collect();
    cols.extend(metric_columns(&values)?);
    cols.extend(score_columns(scores)?);
    DataFrame::new(n, cols)
}

fn score_columns(scores: &[RowScore]) -> PolarsResult<Vec<Column>> {
    let float = |name: &str, get: fn(&RowScore) -> Option<f64>| {
        Column::new(name.into(), scores.iter().map(get).collect::<Vec<_>>())
    };
    Ok(vec![
        float("composite_score", |s| s.composite),
        Column::new(
            "grade".into(),
            scores
                .iter()
                .map(|s| s.grade_name.as_deref())
                .collect::<Vec<_>>(),
        ),
        float("percentile_in_group", |s| s.percentile),
        float("zscore_in_group", |s| s.zscore),
        Column::new(
            "review_flag".into(),
            scores.iter().map(|s| s.review_flag).collect::<Vec<_>>(),
        ),
        money_column("bonus", scores.iter().map(|s| Some(s.bonus)))?,
    ])
}

/// A scorecards table with no rows, with every column typed.
fn empty_frame() -> PolarsResult<DataFrame> {
    let text = |n: &str| Column::new(n.into(), Vec::<Option<&str>>::new());
    let mut cols = vec![
        text("employee_id"),
        text("employee_name"),
        date_column("period_start", 0, 0)?,
        date_column("period_end", 0, 0)?,
        text("department"),
        text("team"),
        text("role"),
        text("manager_id"),
        Column::new("days_employed".into(), Vec::<i64>::new()),
    ];
    cols.extend(metric_columns(&[])?);
    cols.extend(score_columns(&[])?);
    DataFrame::new(0, cols)
}
