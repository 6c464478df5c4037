//! Custom metrics (contract 3.1) per entity and period, and per rollup group.
//!
//! A table's rows (dated in the window, credited) are built once, with a value column per
//! aggregate over it that is null where the aggregate's filter (its SQL text, run by Polars) does
//! not hold; one grouping by entity and period serves all of them. The rows are kept, so that a
//! rollup aggregates the union of its members' rows rather than combining their values
//! ([`groups`]). Derived metrics are evaluated on each row's values ([`derived`]), entity by
//! entity and group by group, with `lag` reading the previous period.

pub mod derived;
mod groups;
pub mod rows;

pub use groups::GroupValues;

use polars::prelude::*;

use super::registry::{self, Val};
use super::Facts;
use crate::catalogue::custom::{Aggregate, ColKind};
use crate::catalogue::{Agg, Catalogue, CustomTable, Kind, Metric, MetricId};
use rows::{cents_name, Source, GROUP};

/// The name of custom aggregate `i`'s value column in its table's rows, and of its value in an
/// aggregation.
fn value_name(i: usize) -> String {
    format!("__v{i}")
}

/// A table's rows dated in the window (their entity and period as one key, [`GROUP`]), with a
/// value column per custom aggregate over the table ([`value_name`]): its value where the row
/// passes its filter, else null.
#[derive(Debug)]
struct TableRows {
    df: DataFrame,
    /// The custom aggregates over the table, by index in the catalogue's list.
    metrics: Vec<usize>,
}

/// Custom metric values of every entity and period of the window.
#[derive(Debug, Default)]
pub struct CustomFacts {
    /// Custom metrics, in catalogue order.
    n: usize,
    /// Periods of the window.
    np: usize,
    /// Entities of the window.
    entities: usize,
    /// Per (entity, period index): the `n` values.
    values: Vec<Val>,
    /// The rows of each table with custom aggregates.
    tables: Vec<TableRows>,
}

impl CustomFacts {
    /// The values of custom metric `i` (its index in the pipeline's list) for `entity` in the
    /// window's `k`-th period.
    pub fn value(&self, entity: u32, k: usize, i: usize) -> Val {
        self.values[(entity as usize * self.np + k) * self.n + i]
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

/// The values of the custom metrics of a group with no rows: counts and sums 0, the rest null.
pub fn empty_values(cat: &Catalogue) -> Vec<Val> {
    cat.custom
        .iter()
        .map(|m| match m.aggregate() {
            Some(a) => empty(a, m.kind),
            None => Val::Null,
        })
        .collect()
}

fn empty(a: &Aggregate, kind: Kind) -> Val {
    match (a.agg, kind) {
        (Agg::Count | Agg::CountDistinct, _) => Val::Count(0),
        (Agg::Sum, Kind::Money) => Val::Money(0),
        (Agg::Sum, _) => Val::Float(Some(0.0)),
        _ => Val::Null,
    }
}

/// The Polars aggregation of custom aggregate `i` over its value column, which is null where a
/// row does not pass its filter: every aggregation skips nulls, and a sum or count of none is 0.
fn agg_expr(cat: &Catalogue, i: usize) -> Expr {
    let name = value_name(i);
    let v = col(name.as_str());
    let Some(a) = cat.custom[i].aggregate() else {
        return lit(NULL).alias(name);
    };
    let e = match a.agg {
        Agg::Sum => v.sum(),
        Agg::Count => v.count(),
        Agg::CountDistinct => v.drop_nulls().n_unique(),
        Agg::Mean => v.mean(),
        Agg::Min => v.min(),
        Agg::Max => v.max(),
        Agg::Median | Agg::Quantile => v.quantile(lit(a.q.unwrap_or(0.5)), QuantileMethod::Linear),
    };
    e.alias(name)
}

/// Custom metric `i`'s column of an aggregation, as values of its kind.
fn values_of(df: &DataFrame, cat: &Catalogue, i: usize) -> PolarsResult<Vec<Val>> {
    let v = df.column(&value_name(i))?;
    Ok(match cat.custom[i].kind {
        Kind::Count => v
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|x| Val::Count(x.unwrap_or(0)))
            .collect(),
        Kind::Money => v
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|x| x.map_or(Val::Null, Val::Money))
            .collect(),
        Kind::Float => v
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(Val::Float)
            .collect(),
    })
}

/// The columns the rows of `table` need: every column its aggregates read, and of those, the
/// columns their filters read.
fn columns_needed(cat: &Catalogue, table: CustomTable) -> (Vec<String>, Vec<String>) {
    let (mut all, mut filtered): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for a in cat.custom.iter().filter_map(|m| m.aggregate()) {
        if a.table != table {
            continue;
        }
        for c in a.column.iter().chain(&a.reads) {
            if !all.contains(c) {
                all.push(c.clone());
            }
        }
        for c in &a.reads {
            if !filtered.contains(c) {
                filtered.push(c.clone());
            }
        }
    }
    (all, filtered)
}

/// An aggregate's value on a row before its filter: exact cents for a sum, min or max of money,
/// the amount as a number for the other aggregates of money (cents / 100, as Polars converts a
/// decimal), the column itself otherwise; 1 for a count of rows.
fn value_expr(a: &Aggregate, table: CustomTable) -> Expr {
    let Some(c) = a.column.as_ref() else {
        return lit(1u32);
    };
    match (table.column(c), a.agg) {
        (Some(ColKind::Money), Agg::Sum | Agg::Min | Agg::Max | Agg::CountDistinct) => {
            col(cents_name(c))
        }
        (Some(ColKind::Money), _) => col(cents_name(c)).cast(DataType::Float64) / lit(100.0),
        (Some(ColKind::Number), _) => col(c.as_str()).cast(DataType::Float64),
        _ => col(c.as_str()),
    }
}

/// Custom aggregate `i`'s value column: its value where its filter holds, else null. A filter
/// that is null leaves the row out, as SQL's `WHERE` does.
fn masked_value(cat: &Catalogue, i: usize, table: CustomTable) -> PolarsResult<Expr> {
    let name = value_name(i);
    let Some(a) = cat.custom[i].aggregate() else {
        return Ok(lit(NULL).alias(name));
    };
    let v = value_expr(a, table);
    Ok(match &a.filter_sql {
        Some(sql) => when(polars::sql::sql_expr(sql)?.fill_null(lit(false)))
            .then(v)
            .otherwise(lit(NULL)),
        None => v,
    }
    .alias(name))
}

/// Computes every custom metric for every entity and period of `f`'s window. `has_row(e, k)`
/// tells whether employee `e` has a scorecard row in the `k`-th period (`lag` is null when not).
pub fn compute(
    cat: &Catalogue,
    src: &Source,
    f: &Facts,
    has_row: &dyn Fn(u32, usize) -> bool,
) -> PolarsResult<CustomFacts> {
    let n = cat.custom.len();
    let np = f.window.len();
    let mut cf = CustomFacts {
        n,
        np,
        entities: f.entities,
        values: Vec::new(),
        tables: Vec::new(),
    };
    if n == 0 {
        return Ok(cf);
    }
    let defaults = empty_values(cat);
    cf.values = (0..f.entities * np)
        .flat_map(|_| defaults.iter().copied())
        .collect();
    for table in CustomTable::ALL {
        let metrics: Vec<usize> = (0..n)
            .filter(|&i| cat.custom[i].aggregate().is_some_and(|a| a.table == table))
            .collect();
        if metrics.is_empty() {
            continue;
        }
        let (columns, filtered) = columns_needed(cat, table);
        let rows = rows::rows(src, table, &columns, &filtered)?;
        let mut keep = vec![col(GROUP)];
        for &i in &metrics {
            keep.push(masked_value(cat, i, table)?);
        }
        let df = rows.lazy().select(keep).collect()?;
        let aggs: Vec<Expr> = metrics.iter().map(|&i| agg_expr(cat, i)).collect();
        let per = df
            .clone()
            .lazy()
            .group_by([col(GROUP)])
            .agg(aggs)
            .collect()?;
        let gs = per.column(GROUP)?.u32()?;
        for &i in &metrics {
            for (g, v) in gs.iter().zip(values_of(&per, cat, i)?) {
                if let Some(g) = g {
                    // The group key is entity × periods + period: the values' own layout.
                    cf.values[g as usize * n + i] = v;
                }
            }
        }
        cf.tables.push(TableRows { df, metrics });
    }
    evaluate_derived(cat, f, &mut cf, has_row);
    Ok(cf)
}

/// Evaluates every derived metric for every entity, period by period, so that `lag` reads
/// values already computed.
fn evaluate_derived(
    cat: &Catalogue,
    f: &Facts,
    cf: &mut CustomFacts,
    has_row: &dyn Fn(u32, usize) -> bool,
) {
    let order = derived::order(cat);
    if order.is_empty() {
        return;
    }
    let (n, np) = (cf.n, cf.np);
    for k in 0..np {
        for e in 0..f.entities as u32 {
            let ctx = f.ctx(e, k);
            let prev = (k > 0 && has_row(e, k - 1)).then(|| f.ctx(e, k - 1));
            for &i in &order {
                let Some(d) = cat.custom[i].derived() else {
                    continue;
                };
                let now = |id: MetricId| -> Option<f64> {
                    match cat.get(id) {
                        Metric::Builtin(b) => registry::value(b, &ctx).as_f64(),
                        Metric::Custom(_) => {
                            let j = id.index() - crate::catalogue::Builtin::ALL.len();
                            cf.values[(e as usize * np + k) * n + j].as_f64()
                        }
                    }
                };
                let before = |id: MetricId| -> Option<f64> {
                    let p = prev.as_ref()?;
                    match cat.get(id) {
                        Metric::Builtin(b) => registry::value(b, p).as_f64(),
                        Metric::Custom(_) => {
                            let j = id.index() - crate::catalogue::Builtin::ALL.len();
                            cf.values[(e as usize * np + k - 1) * n + j].as_f64()
                        }
                    }
                };
                let v = derived::eval(&d.expr, cat, &now, &before);
                cf.values[(e as usize * np + k) * n + i] = Val::Float(v);
            }
        }
    }
}
