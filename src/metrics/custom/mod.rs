//! Custom metrics (contract 3.1) per entity and period, and per rollup group.
//!
//! An aggregate's rows (its table's rows dated in the window, credited, filtered by Polars from
//! the filter's SQL text) are kept, so that a rollup aggregates the union of its members' rows
//! rather than combining their values. Derived metrics are evaluated on each row's values
//! ([`derived`]), entity by entity and group by group, with `lag` reading the previous period.

pub mod derived;
pub mod rows;

use std::collections::HashMap;

use polars::prelude::*;

use super::registry::{self, Val};
use super::Facts;
use crate::catalogue::custom::{Aggregate, ColKind};
use crate::catalogue::{Agg, Catalogue, CustomTable, Kind, Metric, MetricId};
use rows::{cents_name, Source, ENTITY, PERIOD};

/// The value column of an aggregate's rows.
const VALUE: &str = "__v";

/// Custom metric values of every entity and period of the window.
#[derive(Debug, Default)]
pub struct CustomFacts {
    /// Custom metrics, in catalogue order.
    n: usize,
    /// Periods of the window.
    np: usize,
    /// Per (entity, period index): the `n` values.
    values: Vec<Val>,
    /// Per custom metric: its rows after its filter (`__e`, `__k`, `__v`), for aggregates.
    rows: Vec<Option<DataFrame>>,
}

/// A rollup group's values of the custom aggregates, by (level, key, period index).
pub type GroupValues = HashMap<(&'static str, String, usize), Vec<Val>>;

impl CustomFacts {
    /// The values of custom metric `i` (its index in the pipeline's list) for `entity` in the
    /// window's `k`-th period.
    pub fn value(&self, entity: u32, k: usize, i: usize) -> Val {
        self.values[(entity as usize * self.np + k) * self.n + i]
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Every custom aggregate over the union of the rows of each team, department and the
    /// company, for every period: `members` are the scorecard rows (entity, period index, team,
    /// department); the company takes every row.
    pub fn group_aggregates(
        &self,
        cat: &Catalogue,
        members: &[(u32, u32, &str, &str)],
    ) -> PolarsResult<GroupValues> {
        let mut out: GroupValues = HashMap::new();
        if !self.rows.iter().any(Option::is_some) {
            return Ok(out);
        }
        // Each row's team and department, found by (entity, period) in a dense table.
        let mut teams = Names::default();
        let mut departments = Names::default();
        let mut team_of: HashMap<(u32, u32), (u32, u32)> = HashMap::with_capacity(members.len());
        for &(e, k, team, dept) in members {
            team_of.insert((e, k), (teams.index(team), departments.index(dept)));
        }
        let (teams, departments) = (teams.names, departments.names);
        for (i, m) in cat.custom.iter().enumerate() {
            let (Some(rows), Some(a)) = (&self.rows[i], m.aggregate()) else {
                continue;
            };
            let es = rows.column(ENTITY)?.u32()?;
            let ks = rows.column(PERIOD)?.u32()?;
            let (mut ts, mut ds): (Vec<Option<u32>>, Vec<Option<u32>>) = (
                Vec::with_capacity(rows.height()),
                Vec::with_capacity(rows.height()),
            );
            for (e, k) in es.iter().zip(ks.iter()) {
                let g = e.zip(k).and_then(|ek| team_of.get(&ek));
                ts.push(g.map(|g| g.0));
                ds.push(g.map(|g| g.1));
            }
            let mut df = rows.clone();
            df.with_column(Column::new("__team".into(), ts))?;
            df.with_column(Column::new("__department".into(), ds))?;
            for (level, by, names) in [
                ("company", None, &[][..]),
                ("department", Some("__department"), &departments[..]),
                ("team", Some("__team"), &teams[..]),
            ] {
                let mut keys = vec![col(PERIOD)];
                let mut lf = df.clone().lazy();
                if let Some(b) = by {
                    lf = lf.filter(col(b).is_not_null());
                    keys.push(col(b));
                }
                let g = lf.group_by(keys).agg([agg_expr(a)]).collect()?;
                let gk = g.column(PERIOD)?.u32()?.clone();
                let gi = match by {
                    Some(b) => Some(g.column(b)?.u32()?.clone()),
                    None => None,
                };
                for (r, v) in values_of(&g, m.kind)?.into_iter().enumerate() {
                    let Some(k) = gk.get(r) else { continue };
                    let key = match &gi {
                        Some(ix) => match ix.get(r) {
                            Some(x) => names[x as usize].to_string(),
                            None => continue,
                        },
                        None => "company".to_string(),
                    };
                    let entry = out
                        .entry((level, key, k as usize))
                        .or_insert_with(|| empty_values(cat));
                    entry[i] = v;
                }
            }
        }
        Ok(out)
    }
}

/// Names given dense indexes in the order first seen.
#[derive(Default)]
struct Names<'a> {
    names: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
}

impl<'a> Names<'a> {
    fn index(&mut self, name: &'a str) -> u32 {
        *self.index.entry(name).or_insert_with(|| {
            self.names.push(name);
            (self.names.len() - 1) as u32
        })
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

/// The Polars aggregation of an aggregate metric over its rows' value column.
fn agg_expr(a: &Aggregate) -> Expr {
    let v = col(VALUE);
    let e = match a.agg {
        Agg::Sum => v.sum(),
        Agg::Count if a.column.is_none() => len(),
        Agg::Count => v.count(),
        Agg::CountDistinct => v.drop_nulls().n_unique(),
        Agg::Mean => v.mean(),
        Agg::Min => v.min(),
        Agg::Max => v.max(),
        Agg::Median | Agg::Quantile => v.quantile(lit(a.q.unwrap_or(0.5)), QuantileMethod::Linear),
    };
    e.alias("v")
}

/// The `v` column of an aggregation, as values of a metric of `kind`.
fn values_of(df: &DataFrame, kind: Kind) -> PolarsResult<Vec<Val>> {
    let v = df.column("v")?;
    Ok(match kind {
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

/// The columns an aggregate's rows need: its column and every column its filter reads.
fn columns_needed(cat: &Catalogue, table: CustomTable) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in cat.custom.iter().filter_map(|m| m.aggregate()) {
        if a.table != table {
            continue;
        }
        for c in a.column.iter().chain(&a.reads) {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    out
}

/// The value column `__v` of an aggregate: exact cents for a sum, min or max of money, the
/// amount as a number for the other aggregates of money, the column itself otherwise.
fn value_expr(a: &Aggregate, table: CustomTable) -> Option<Expr> {
    let c = a.column.as_ref()?;
    let kind = table.column(c)?;
    Some(
        match (kind, a.agg) {
            (ColKind::Money, Agg::Sum | Agg::Min | Agg::Max | Agg::CountDistinct) => {
                col(cents_name(c))
            }
            (ColKind::Money | ColKind::Number, _) => col(c.as_str()).cast(DataType::Float64),
            _ => col(c.as_str()),
        }
        .alias(VALUE),
    )
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
        values: Vec::new(),
        rows: vec![None; n],
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
        let df = rows::rows(src, table, &columns_needed(cat, table))?;
        for i in metrics {
            let m = &cat.custom[i];
            let Some(a) = m.aggregate() else { continue };
            let mut lf = df.clone().lazy();
            if let Some(sql) = &a.filter_sql {
                lf = lf.filter(polars::sql::sql_expr(sql)?);
            }
            let mut keep = vec![col(ENTITY), col(PERIOD)];
            keep.extend(value_expr(a, table));
            let kept = lf.select(keep).collect()?;
            let per = kept
                .clone()
                .lazy()
                .group_by([col(ENTITY), col(PERIOD)])
                .agg([agg_expr(a)])
                .collect()?;
            let es = per.column(ENTITY)?.u32()?.clone();
            let ks = per.column(PERIOD)?.u32()?.clone();
            for (r, v) in values_of(&per, m.kind)?.into_iter().enumerate() {
                if let (Some(e), Some(k)) = (es.get(r), ks.get(r)) {
                    cf.values[(e as usize * np + k as usize) * n + i] = v;
                }
            }
            cf.rows[i] = Some(kept);
        }
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
