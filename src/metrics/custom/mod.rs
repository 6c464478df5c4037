//! Custom metrics (contract 3.1) per entity and period, and per rollup group.
//!
//! A table's rows (dated in the window, credited) are built once, with a value column per
//! aggregate over it that is null where the aggregate's filter ([`filter`]) does not hold.
//! Counts and sums, minima and maxima of money are folded into each entity and period in exact
//! integers ([`fold`]), and a rollup group's value combines its members'. The other
//! aggregates (means, medians, quantiles, distinct counts, sums of numbers) are computed per
//! group from the rows in group order ([`grouped`]); their rows are kept, so that a rollup
//! aggregates the union of its members' rows rather than combining their values ([`groups`]).
//! The tables are worked on in parallel. Derived metrics are evaluated on each row's values
//! ([`derived`]), entity by entity and group by group, with `lag` reading the previous period.

pub mod amounts;
pub mod derived;
pub mod filter;
mod fold;
mod grouped;
mod groups;
pub mod parts;
pub mod rows;

pub use groups::GroupValues;

use polars::prelude::*;

use super::registry::{self, Val};
use super::Facts;
use crate::catalogue::custom::{Aggregate, ColKind};
use crate::catalogue::{Agg, Catalogue, CustomTable, Kind, Metric, MetricId};
use rows::{cents_name, Source};

/// The rows of a table with grouped (not folded) custom aggregates, kept for the rollups: each
/// row's entity and period as one key (entity × periods + period), and each grouped aggregate's
/// value on each row (none where the row does not pass its filter).
#[derive(Debug)]
struct TableRows {
    keys: Vec<u32>,
    /// By index in the catalogue's list of custom metrics.
    values: Vec<(usize, grouped::Values)>,
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

/// Whether custom metric `i` is an aggregate folded in integers ([`fold`]) rather than grouped.
fn is_folded(cat: &Catalogue, i: usize) -> bool {
    let m = &cat.custom[i];
    m.aggregate().is_some_and(|a| fold::folds(a, m.kind))
}

/// The columns the rows of `table` need: every column its aggregates and their filters read.
fn columns_needed(cat: &Catalogue, table: CustomTable) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for a in cat.custom.iter().filter_map(|m| m.aggregate()) {
        if a.table != table {
            continue;
        }
        for c in a.column.iter().chain(&a.reads) {
            if !all.contains(c) {
                all.push(c.clone());
            }
        }
    }
    all
}

/// An aggregate's value on each row before its filter: exact cents for a sum, min, max or
/// distinct count of money, the amount as a number for the other aggregates of money (cents /
/// 100, correctly rounded), the column itself otherwise; 1 for a count of rows.
fn values(a: &Aggregate, table: CustomTable, rows: &DataFrame) -> PolarsResult<Column> {
    let Some(c) = a.column.as_ref() else {
        return Ok(Column::new_scalar(
            PlSmallStr::EMPTY,
            Scalar::new(DataType::UInt32, AnyValue::UInt32(1)),
            rows.height(),
        ));
    };
    Ok(match (table.column(c), a.agg) {
        (Some(ColKind::Money), Agg::Sum | Agg::Min | Agg::Max | Agg::CountDistinct) => {
            rows.column(&cents_name(c))?.clone()
        }
        (Some(ColKind::Money), _) => {
            let cents = rows.column(&cents_name(c))?.i64()?;
            Column::new(
                PlSmallStr::EMPTY,
                cents
                    .iter()
                    .map(|v| v.map(|v| v as f64 / 100.0))
                    .collect::<Vec<_>>(),
            )
        }
        (Some(ColKind::Number), _) => rows.column(c)?.cast(&DataType::Float64)?,
        _ => rows.column(c)?.clone(),
    })
}

/// Aggregate `a`'s value on each row where its filter holds, null elsewhere (a filter that is
/// null leaves the row out, as SQL's `WHERE` does).
fn masked_values(a: &Aggregate, table: CustomTable, rows: &DataFrame) -> PolarsResult<Column> {
    let v = values(a, table, rows)?;
    match &a.cond {
        Some(cond) => {
            let keep = filter::mask(cond, table, rows)?;
            let nulls = Column::full_null(PlSmallStr::EMPTY, v.len(), v.dtype());
            v.zip_with(&keep, &nulls)
        }
        None => Ok(v),
    }
}

/// Computes every custom metric for every entity and period of `f`'s window, from rows that are
/// the whole run's: as the one part of the run's own ([`parts`]), added up as a merge adds N.
/// `has_row(e, k)` tells whether employee `e` has a scorecard row in the `k`-th period (`lag` is
/// null when not).
pub fn compute(
    cat: &Catalogue,
    src: &Source,
    f: &Facts,
    has_row: &dyn Fn(u32, usize) -> bool,
) -> PolarsResult<CustomFacts> {
    parts::part(cat, src, f.entities, &parts::in_model_order)?.into_facts(cat, f, has_row)
}

/// `work` done on every job, the jobs shared out in order among as many threads as the machine
/// runs at once; the results in the jobs' order.
fn in_parallel<J: Sync, R: Send>(jobs: &[J], work: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(job) = jobs.get(j) else { break };
                        out.push((j, work(job)));
                        // The job's rows, freed in this thread: given back before the next.
                        crate::memory::give_back();
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(j, _)| *j);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Periods of the balances' rows built and folded at once, when every aggregate over them folds:
/// one block's rows are held rather than the window's (see [`parts`]).
const BALANCE_PERIODS: usize = 24;

/// Evaluates every derived metric for every entity, period by period, so that `lag` reads
/// values already computed.
fn evaluate_derived(
    cat: &Catalogue,
    f: &Facts,
    cf: &mut CustomFacts,
    has_row: &dyn Fn(u32, usize) -> bool,
) {
    let formulas = derived::formulas(cat);
    if formulas.is_empty() {
        return;
    }
    let (n, np) = (cf.n, cf.np);
    for e in 0..f.entities as u32 {
        // The previous period's inputs, kept from the step before.
        let mut before_ctx = None;
        for k in 0..np {
            let ctx = f.ctx(e, k);
            let prev = (k > 0 && has_row(e, k - 1)).then_some(before_ctx).flatten();
            for (i, formula) in &formulas {
                let read = |c: &registry::Ctx, k: usize, id: MetricId| -> Option<f64> {
                    match cat.get(id) {
                        Metric::Builtin(b) => registry::value(b, c).as_f64(),
                        Metric::Custom(_) => {
                            let j = id.index() - crate::catalogue::Builtin::ALL.len();
                            cf.values[(e as usize * np + k) * n + j].as_f64()
                        }
                    }
                };
                let now = |id: MetricId| read(&ctx, k, id);
                let before = |id: MetricId| read(prev.as_ref()?, k - 1, id);
                let v = formula.eval(&now, &before);
                cf.values[(e as usize * np + k) * n + i] = Val::Float(v);
            }
            before_ctx = Some(ctx);
        }
    }
}
