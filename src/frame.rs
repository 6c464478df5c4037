//! Building the Polars columns of the output tables: exact money, dates, and the metric columns
//! in registry order.

use polars::prelude::*;

use crate::catalogue::{Catalogue, Kind};
use crate::metrics::registry::Val;
use crate::periods::Day;

/// Money cents as a Decimal(38, 2) column.
pub fn money_column(name: &str, cents: impl Iterator<Item = Option<i64>>) -> PolarsResult<Column> {
    let ca: Int128Chunked = cents.map(|v| v.map(i128::from)).collect();
    Ok(ca.with_name(name.into()).into_decimal(38, 2)?.into_column())
}

/// A Date column of `n` copies of day `d`.
pub fn date_column(name: &str, d: Day, n: usize) -> PolarsResult<Column> {
    Ok(Column::new(name.into(), vec![d; n])
        .cast(&DataType::Date)?
        .with_name(name.into()))
}

/// A Float64 column.
pub fn float_column(name: &str, v: impl Iterator<Item = Option<f64>>) -> Column {
    Column::new(name.into(), v.collect::<Vec<_>>())
}

/// The metric columns of many rows, each row's values in catalogue order.
pub fn metric_columns(cat: &Catalogue, rows: &[Vec<Val>]) -> PolarsResult<Vec<Column>> {
    let mut out = Vec::with_capacity(cat.len());
    for (i, id) in cat.ids().enumerate() {
        let name = cat.name(id);
        let col = match cat.kind(id) {
            Kind::Money => money_column(
                name,
                rows.iter().map(|r| match r[i] {
                    Val::Money(c) => Some(c),
                    _ => None,
                }),
            )?,
            Kind::Float => float_column(
                name,
                rows.iter().map(|r| match r[i] {
                    Val::Float(x) => x,
                    _ => None,
                }),
            ),
            Kind::Count => Column::new(
                name.into(),
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
