//! Building the Polars columns of the output tables: exact money, dates, and the metric columns
//! in registry order; and the frames of the tables, columns as [`crate::outputs`] defines them.

use polars::prelude::*;

use crate::catalogue::{Catalogue, Kind};
use crate::metrics::registry::Val;
use crate::outputs::{ColumnDef, ColumnType, OutputTable};
use crate::periods::Day;

/// The metric columns of the output tables: every metric of the catalogue, in its order.
pub fn metric_defs(cat: &Catalogue) -> Vec<ColumnDef<'_>> {
    cat.ids()
        .map(|id| ColumnDef {
            name: cat.name(id),
            ty: match cat.kind(id) {
                Kind::Money => ColumnType::MONEY,
                Kind::Float => ColumnType::Float64,
                Kind::Count => ColumnType::Int64,
            },
            doc: cat.meaning(id),
        })
        .collect()
}

/// The frame of output table `t`, `height` rows: `cols` put in the table's order, with the
/// metric columns `metrics` where it has them. Every column of the table must be in `cols` once,
/// of its type, and nothing else: a column built under another name or type is an error.
pub fn table_frame(
    t: OutputTable,
    metrics: &[ColumnDef],
    height: usize,
    mut cols: Vec<Column>,
) -> PolarsResult<DataFrame> {
    let defs = t.columns(metrics);
    let mut ordered = Vec::with_capacity(defs.len());
    for d in &defs {
        let Some(i) = cols.iter().position(|c| c.name().as_str() == d.name) else {
            polars_bail!(ColumnNotFound: "{}.{} was not built", t.name(), d.name);
        };
        let c = cols.swap_remove(i);
        if c.dtype() != &d.ty.dtype() {
            polars_bail!(SchemaMismatch: "{}.{} is {}, not {}", t.name(), d.name, c.dtype(), d.ty.name());
        }
        ordered.push(c);
    }
    if let Some(c) = cols.first() {
        polars_bail!(ColumnNotFound: "{} has no column {}", t.name(), c.name());
    }
    DataFrame::new(height, ordered)
}

/// Output table `t` with no rows, every column typed.
pub fn empty_frame(t: OutputTable, metrics: &[ColumnDef]) -> PolarsResult<DataFrame> {
    let cols = t
        .columns(metrics)
        .iter()
        .map(|d| Column::new_empty(d.name.into(), &d.ty.dtype()))
        .collect();
    DataFrame::new(0, cols)
}

/// Money cents as a Decimal(38, 2) column.
pub fn money_column(name: &str, cents: impl Iterator<Item = Option<i64>>) -> PolarsResult<Column> {
    ColumnType::MONEY.decimals(name, cents)
}

/// Multipliers in ten-thousandths as a Decimal(38, 4) column.
pub fn multiplier_column(name: &str, m: impl Iterator<Item = Option<i64>>) -> PolarsResult<Column> {
    ColumnType::MULTIPLIER.decimals(name, m)
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
