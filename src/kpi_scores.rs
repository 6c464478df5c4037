//! The `kpi_scores` table (contract 5.3): a row per rated scorecard row and KPI of its plan.

use polars::prelude::*;

use crate::config::ScorePlan;
use crate::frame::float_column;
use crate::model::Ledger;
use crate::cards::Card;
use crate::scoring::{KpiScore, RowScore};

/// One output row: the employee id, the plan and the KPI's score.
type Line<'a> = (&'a str, &'a ScorePlan, &'a KpiScore);

/// The kpi_scores table of one period.
pub fn frame<'a>(
    plans: &'a [ScorePlan],
    l: &'a Ledger,
    cards: &'a [Card],
    scores: &'a [RowScore],
) -> PolarsResult<DataFrame> {
    // (employee id, plan, the KPI's score), rated rows only, in scorecard order.
    let rows: Vec<Line<'a>> = cards
        .iter()
        .zip(scores)
        .filter_map(|(c, s)| Some((c, &plans[s.plan?], s)))
        .flat_map(|(c, plan, s)| {
            let id = l.employees.ids.names[c.employee as usize].as_str();
            s.kpis.iter().map(move |k| (id, plan, k))
        })
        .collect();
    let text = |name: &str, get: &dyn Fn(&Line<'a>) -> Option<&'a str>| {
        Column::new(name.into(), rows.iter().map(get).collect::<Vec<_>>())
    };
    let float =
        |name: &str, get: &dyn Fn(&Line) -> Option<f64>| float_column(name, rows.iter().map(get));
    let appeal = |k: &KpiScore| k.adjustment.map(|a| &l.adjustments[a]);
    let cols = vec![
        text("employee_id", &|r| Some(r.0)),
        text("plan", &|r| Some(r.1.name.as_str())),
        text("metric", &|r| Some(r.1.kpis[r.2.kpi].metric.name)),
        text("perspective", &|r| {
            Some(r.1.kpis[r.2.kpi].perspective.name())
        }),
        text("direction", &|r| Some(r.1.kpis[r.2.kpi].direction.name())),
        float("raw_actual", &|r| r.2.raw_actual),
        float("actual", &|r| r.2.actual),
        Column::new(
            "adjusted".into(),
            rows.iter()
                .map(|r| r.2.adjustment.is_some())
                .collect::<Vec<_>>(),
        ),
        text("adjustment_reason", &|r| {
            appeal(r.2).map(|a| a.reason.as_str())
        }),
        text("approved_by", &|r| {
            appeal(r.2).map(|a| a.approved_by.as_str())
        }),
        float("target", &|r| Some(r.2.target.target)),
        float("threshold", &|r| Some(r.2.target.threshold)),
        float("stretch", &|r| Some(r.2.target.stretch)),
        text("target_source", &|r| Some(r.2.target.source.name())),
        float("weight", &|r| Some(r.1.kpis[r.2.kpi].weight)),
        float("effective_weight", &|r| Some(r.2.effective_weight)),
        float("score", &|r| r.2.score),
        float("weighted_score", &|r| Some(r.2.weighted_score)),
    ];
    DataFrame::new(rows.len(), cols)
}
