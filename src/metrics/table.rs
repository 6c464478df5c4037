//! Derived metric values (ratios from sums) and their columns, in the contract's order.

use polars::prelude::*;

use super::origination::quantile_cont;
use super::Sums;

/// How a metric column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Decimal(38, 2), exact.
    Money,
    /// Float64, null when undefined.
    Float,
    /// Int64.
    Count,
}

/// The metric columns of contract section 3, in order.
pub const METRICS: &[(&str, Kind)] = &[
    ("outstanding", Kind::Money),
    ("overdue", Kind::Money),
    ("par30", Kind::Money),
    ("par60", Kind::Money),
    ("par90", Kind::Money),
    ("overdue_rate", Kind::Float),
    ("par30_rate", Kind::Float),
    ("cash_collected", Kind::Money),
    ("written_off", Kind::Money),
    ("recoveries", Kind::Money),
    ("fee_income", Kind::Money),
    ("profit_contribution", Kind::Money),
    ("collectible", Kind::Money),
    ("cash_recovery_rate", Kind::Float),
    ("collection_effectiveness", Kind::Float),
    ("receivables_collection_rate", Kind::Float),
    ("dso", Kind::Float),
    ("average_outstanding", Kind::Float),
    ("bad_debt_rate", Kind::Float),
    ("net_loss_rate", Kind::Float),
    ("applications_received", Kind::Count),
    ("applications_decided", Kind::Count),
    ("applications_approved", Kind::Count),
    ("approval_rate", Kind::Float),
    ("applications_funded", Kind::Count),
    ("time_to_fund_median_hours", Kind::Float),
    ("time_to_fund_p90_hours", Kind::Float),
    ("funded_volume", Kind::Money),
    ("purchased_face", Kind::Money),
    ("new_clients", Kind::Count),
    ("customer_satisfaction", Kind::Float),
    ("peer_review", Kind::Float),
    ("manager_review", Kind::Float),
];

/// One metric value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// Cents.
    Money(i64),
    Float(Option<f64>),
    Count(i64),
}

fn ratio(num: i64, den: i64) -> Val {
    Val::Float((den != 0).then(|| num as f64 / den as f64))
}

/// Every metric of one entity and period, in [`METRICS`] order.
///
/// `days` is the number of days in the period, `points` the number of month-end balances in
/// its average (months + 1), and `time_to_fund` the hours of the applications funded in it.
pub fn values(s: &Sums, days: i64, points: i64, time_to_fund: Option<&[f64]>) -> Vec<Val> {
    let mut ttf: Vec<f64> = time_to_fund.map(<[f64]>::to_vec).unwrap_or_default();
    ttf.sort_by(f64::total_cmp);
    let collectible = s.br + s.s - s.ecr;
    let mean = |k: usize| {
        Val::Float((s.review_count[k] > 0).then(|| s.review_sum[k] / s.review_count[k] as f64))
    };
    vec![
        Val::Money(s.outstanding),
        Val::Money(s.overdue),
        Val::Money(s.par30),
        Val::Money(s.par60),
        Val::Money(s.par90),
        ratio(s.overdue, s.outstanding),
        ratio(s.par30, s.outstanding),
        Val::Money(s.cash_collected),
        Val::Money(s.written_off),
        Val::Money(s.recoveries),
        Val::Money(s.fee_income),
        Val::Money(s.fee_income + s.recoveries - s.written_off),
        Val::Money(collectible),
        ratio(s.c, collectible),
        ratio(s.br + s.s - s.er, collectible),
        ratio(s.rcr_collected, s.rcr_face),
        ratio(s.outstanding * days, s.s),
        Val::Float(Some(s.month_end_balances as f64 / (100 * points) as f64)),
        ratio(s.written_off * points, s.month_end_balances),
        ratio(
            (s.written_off - s.recoveries) * points,
            s.month_end_balances,
        ),
        Val::Count(s.applications_received),
        Val::Count(s.applications_decided),
        Val::Count(s.applications_approved),
        ratio(s.applications_approved, s.applications_decided),
        Val::Count(s.applications_funded),
        Val::Float(quantile_cont(&ttf, 0.5)),
        Val::Float(quantile_cont(&ttf, 0.9)),
        Val::Money(s.funded_volume),
        Val::Money(s.purchased_face),
        Val::Count(s.new_clients),
        mean(0),
        mean(1),
        mean(2),
    ]
}

/// Money cents as a Decimal(38, 2) column.
pub fn money_column(name: &str, cents: impl Iterator<Item = Option<i64>>) -> PolarsResult<Column> {
    let ca: Int128Chunked = cents.map(|v| v.map(i128::from)).collect();
    Ok(ca.with_name(name.into()).into_decimal(38, 2)?.into_column())
}

/// Builds the metric columns of many rows.
pub fn columns(rows: &[Vec<Val>]) -> PolarsResult<Vec<Column>> {
    let mut out = Vec::with_capacity(METRICS.len());
    for (i, (name, kind)) in METRICS.iter().enumerate() {
        let col = match kind {
            Kind::Money => money_column(
                name,
                rows.iter().map(|r| match r[i] {
                    Val::Money(c) => Some(c),
                    _ => None,
                }),
            )?,
            Kind::Float => Column::new(
                (*name).into(),
                rows.iter()
                    .map(|r| match r[i] {
                        Val::Float(x) => x,
                        _ => None,
                    })
                    .collect::<Vec<Option<f64>>>(),
            ),
            Kind::Count => Column::new(
                (*name).into(),
                rows.iter()
                    .map(|r| match r[i] {
                        Val::Count(c) => c,
                        _ => 0,
                    })
                    .collect::<Vec<i64>>(),
            ),
        };
        out.push(col);
    }
    Ok(out)
}
