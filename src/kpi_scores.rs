//! The `kpi_scores` table (contract 5.3): a row per rated scorecard row and KPI of its plan.

use polars::prelude::*;

use crate::cards::Card;
use crate::catalogue::Catalogue;
use crate::config::ScorePlan;
use crate::frame::{float_column, table_frame};
use crate::model::Ledger;
use crate::outputs::{kpi_scores as k, ColumnDef, OutputTable};
use crate::scoring::{KpiScore, RowScore};

/// One output row: the employee id, the plan and the KPI's score.
type Line<'a> = (&'a str, &'a ScorePlan, &'a KpiScore);

/// The kpi_scores table of one period.
pub fn frame<'a>(
    cat: &'a Catalogue,
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
            let id = l.employees.ids.name(c.employee);
            s.kpis.iter().map(move |k| (id, plan, k))
        })
        .collect();
    let text = |c: ColumnDef, get: &dyn Fn(&Line<'a>) -> Option<&'a str>| {
        Column::new(c.name.into(), rows.iter().map(get).collect::<Vec<_>>())
    };
    let float = |c: ColumnDef, get: &dyn Fn(&Line) -> Option<f64>| {
        float_column(c.name, rows.iter().map(get))
    };
    let appeal = |k: &KpiScore| k.adjustment.map(|a| &l.adjustments[a]);
    let cols = vec![
        text(k::EMPLOYEE_ID, &|r| Some(r.0)),
        text(k::PLAN, &|r| Some(r.1.name.as_str())),
        text(k::METRIC, &|r| Some(cat.name(r.1.kpis[r.2.kpi].metric))),
        text(k::PERSPECTIVE, &|r| {
            Some(r.1.kpis[r.2.kpi].perspective.name())
        }),
        text(k::DIRECTION, &|r| Some(r.1.kpis[r.2.kpi].direction.name())),
        float(k::RAW_ACTUAL, &|r| r.2.raw_actual),
        float(k::ACTUAL, &|r| r.2.actual),
        Column::new(
            k::ADJUSTED.name.into(),
            rows.iter()
                .map(|r| r.2.adjustment.is_some())
                .collect::<Vec<_>>(),
        ),
        text(k::ADJUSTMENT_REASON, &|r| {
            appeal(r.2).map(|a| a.reason.as_str())
        }),
        text(k::APPROVED_BY, &|r| {
            appeal(r.2).map(|a| a.approved_by.as_str())
        }),
        float(k::TARGET, &|r| Some(r.2.target.target)),
        float(k::THRESHOLD, &|r| Some(r.2.target.threshold)),
        float(k::STRETCH, &|r| Some(r.2.target.stretch)),
        text(k::TARGET_SOURCE, &|r| Some(r.2.target.source.name())),
        float(k::WEIGHT, &|r| Some(r.1.kpis[r.2.kpi].weight)),
        float(k::EFFECTIVE_WEIGHT, &|r| Some(r.2.effective_weight)),
        float(k::SCORE, &|r| r.2.score),
        float(k::WEIGHTED_SCORE, &|r| Some(r.2.weighted_score)),
    ];
    table_frame(OutputTable::KpiScores, &[], rows.len(), cols)
}
