//! Scorecard rows: one per employee and period employed, with identity, org as of the row's org
//! date (the period's end or the last day employed), every metric and the scores.

use polars::prelude::*;

use crate::catalogue::Catalogue;
use crate::frame::{date_column, metric_columns, money_column};
use crate::metrics::{Facts, Window};
use crate::model::{Ledger, OrgRow};
use crate::periods::Day;
use crate::scoring::RowScore;

/// One scorecard row: employee `employee` in the `k`-th period of the facts' window.
#[derive(Debug, Clone)]
pub struct Card<'l> {
    pub employee: u32,
    pub k: usize,
    /// The org on the row's org date, `min(pe, termination_date)`.
    pub org: Option<&'l OrgRow>,
    pub days_employed: i32,
}

/// The rows of every period of the window, each period's in employee id order.
pub fn cards<'l>(l: &'l Ledger, w: &Window) -> Vec<Vec<Card<'l>>> {
    let emp = &l.employees;
    let mut order: Vec<u32> = (0..emp.ids.len() as u32).collect();
    order.sort_by(|a, b| emp.ids.names[*a as usize].cmp(&emp.ids.names[*b as usize]));
    w.periods()
        .enumerate()
        .map(|(k, p)| {
            let (ps, pe) = (w.cal.start(p), w.cal.end(p));
            order
                .iter()
                .filter_map(|&e| {
                    let d = emp.days_employed(e, ps, pe);
                    (d > 0).then(|| Card {
                        employee: e,
                        k,
                        org: l.org_on(e, org_date(l, e, pe)),
                        days_employed: d,
                    })
                })
                .collect()
        })
        .collect()
}

/// The org date of employee `e`'s row of a period ending `pe`.
pub fn org_date(l: &Ledger, e: u32, pe: Day) -> Day {
    l.employees.termination[e as usize].map_or(pe, |t| t.min(pe))
}

/// The scorecards table of one period: `cards` and their `scores`, in the same order.
pub fn frame(
    cat: &Catalogue,
    l: &Ledger,
    f: &Facts,
    cards: &[Card],
    scores: &[RowScore],
) -> PolarsResult<DataFrame> {
    let n = cards.len();
    let Some(k) = cards.first().map(|c| c.k) else {
        return empty_frame(cat);
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
    let values: Vec<_> = cards.iter().map(|c| f.values(cat, c.employee, k)).collect();
    cols.extend(metric_columns(cat, &values)?);
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
fn empty_frame(cat: &Catalogue) -> PolarsResult<DataFrame> {
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
    cols.extend(metric_columns(cat, &[])?);
    cols.extend(score_columns(&[])?);
    DataFrame::new(0, cols)
}
