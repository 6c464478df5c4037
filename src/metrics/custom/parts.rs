//! The custom aggregates of one part of a run's rows, kept so that the parts of a run add up to
//! one machine's values exactly (`docs/partials.md`, step 1):
//! - a folded aggregate (count; sum, min, max of money) as its value in each slot the part
//!   touched, combined across parts by [`fold::combine`] (integers added, extremes taken);
//! - a grouped aggregate (means, medians, quantiles, distinct counts, sums of numbers) as its
//!   rows: each row's slot, its value, and its place among one machine's rows (the global raw row
//!   of its fact; for a balance, of its invoice, then the period). The merge puts the union of
//!   the parts' rows in that order and groups them as [`compute`] does, so a float sum is added
//!   in one machine's order and the rollups read the same rows. A distinct count of text keeps
//!   the text: codes are numbered per part.

use polars::prelude::*;

use super::grouped::{Grouping, Values};
use super::rows::{Source, GROUP};
use super::{columns_needed, empty, empty_values, fold, is_folded, masked_values, TableRows};
use super::{evaluate_derived, CustomFacts, BALANCE_PERIODS};
use crate::catalogue::{Agg, Catalogue, CustomTable};
use crate::metrics::registry::Val;
use crate::metrics::Facts;

/// One grouped aggregate's value on each of a part's rows.
#[derive(Debug, Clone, PartialEq)]
pub enum RowValues {
    Numbers(Vec<Option<f64>>),
    /// Distinct-count keys equal for equal values (not text).
    Keys(Vec<Option<u64>>),
    /// Text, for a distinct count.
    Texts(Texts),
}

/// Text values one after the other: row `r`'s ends at `ends[r]`, absent where `present` is 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Texts {
    pub bytes: String,
    pub ends: Vec<u64>,
    pub present: Vec<u8>,
}

impl Texts {
    fn push(&mut self, v: Option<&str>) {
        self.bytes.push_str(v.unwrap_or(""));
        self.ends.push(self.bytes.len() as u64);
        self.present.push(v.is_some() as u8);
    }

    fn get(&self, r: usize) -> Option<&str> {
        if self.present.get(r).copied() != Some(1) {
            return None;
        }
        let start = r.checked_sub(1).map_or(0, |p| self.ends[p] as usize);
        self.bytes.get(start..self.ends[r] as usize)
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

impl RowValues {
    fn len(&self) -> usize {
        match self {
            RowValues::Numbers(v) => v.len(),
            RowValues::Keys(v) => v.len(),
            RowValues::Texts(v) => v.len(),
        }
    }

    fn extend(&mut self, o: RowValues) {
        match (self, o) {
            (RowValues::Numbers(a), RowValues::Numbers(b)) => a.extend(b),
            (RowValues::Keys(a), RowValues::Keys(b)) => a.extend(b),
            (RowValues::Texts(a), RowValues::Texts(b)) => {
                for r in 0..b.len() {
                    a.push(b.get(r));
                }
            }
            _ => {}
        }
    }

    /// The values of the rows `keep`, in that order.
    fn pick(&self, keep: &[u32]) -> RowValues {
        match self {
            RowValues::Numbers(v) => {
                RowValues::Numbers(keep.iter().map(|&r| v[r as usize]).collect())
            }
            RowValues::Keys(v) => RowValues::Keys(keep.iter().map(|&r| v[r as usize]).collect()),
            RowValues::Texts(v) => {
                let mut t = Texts::default();
                for &r in keep {
                    t.push(v.get(r as usize));
                }
                RowValues::Texts(t)
            }
        }
    }

    /// The values as [`grouped::Values`] reads them: text numbered by first appearance.
    fn into_values(self) -> Values {
        match self {
            RowValues::Numbers(v) => Values::Numbers(v.into_iter().collect()),
            RowValues::Keys(v) => Values::Keys(v),
            RowValues::Texts(v) => {
                let mut codes: PlHashMap<&str, u64> = PlHashMap::default();
                Values::Keys(
                    (0..v.len())
                        .map(|r| {
                            v.get(r).map(|s| {
                                let next = codes.len() as u64;
                                *codes.entry(s).or_insert(next)
                            })
                        })
                        .collect(),
                )
            }
        }
    }
}

/// A folded aggregate of a part: its value in each slot the part touched, by slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded {
    /// Its index among the custom metrics.
    pub metric: usize,
    pub agg: Agg,
    pub cells: Vec<(u32, Val)>,
}

/// One custom table's aggregates of a part.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePart {
    pub table: CustomTable,
    pub folded: Vec<Folded>,
    /// The grouped aggregates' rows: each one's place among one machine's rows, its slot, and
    /// each grouped aggregate's value on it.
    pub order: Vec<u64>,
    pub slots: Vec<u32>,
    pub grouped: Vec<(usize, RowValues)>,
}

/// A part's custom aggregates, over a window of `periods` periods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomPart {
    pub periods: usize,
    pub tables: Vec<TablePart>,
}

/// A grouped aggregate's value column as rows to keep.
fn row_values(agg: Agg, c: &Column) -> PolarsResult<RowValues> {
    if agg == Agg::CountDistinct {
        if let Ok(s) = c.str() {
            let mut t = Texts::default();
            for v in s.iter() {
                t.push(v);
            }
            return Ok(RowValues::Texts(t));
        }
        return match Values::of(agg, c)? {
            Values::Keys(k) => Ok(RowValues::Keys(k)),
            Values::Numbers(_) => Err(polars_err!(ComputeError: "a distinct count read numbers")),
        };
    }
    let f = c.cast(&DataType::Float64)?;
    Ok(RowValues::Numbers(f.f64()?.iter().collect()))
}

/// The custom aggregates of the rows of `src` (a part's), each grouped row placed by `order_of`
/// (its table, its fact's model index, its period index).
pub fn part(
    cat: &Catalogue,
    src: &Source,
    entities: usize,
    order_of: &(dyn Fn(CustomTable, u32, usize) -> u64 + Sync),
) -> PolarsResult<CustomPart> {
    let np = src.window.len();
    let slots = entities * np;
    let mut out = CustomPart {
        periods: np,
        tables: Vec::new(),
    };
    let mut jobs: Vec<(CustomTable, Vec<usize>)> = CustomTable::ALL
        .into_iter()
        .map(|table| {
            let metrics = (0..cat.custom.len())
                .filter(|&i| cat.custom[i].aggregate().is_some_and(|a| a.table == table))
                .collect();
            (table, metrics)
        })
        .filter(|(_, metrics): &(CustomTable, Vec<usize>)| !metrics.is_empty())
        .collect();
    // The order `compute` keeps its tables' rows in.
    jobs.sort_by_key(|(table, _)| *table != CustomTable::Balances);
    // One table at a time: the rows of two tables at once were 20 MiB more at the S10 full
    // contract's peak (999 against 979 MiB) for 4 % of the wall time.
    for (table, metrics) in &jobs {
        out.tables
            .push(table_part(cat, src, (*table, metrics), slots, order_of)?);
        crate::memory::give_back();
    }
    Ok(out)
}

/// The place of a row among one machine's rows when a run's rows are the part's own, in its
/// model order: its fact's model index, then (for a balance) its period.
pub fn in_model_order(t: CustomTable, fact: u32, k: usize) -> u64 {
    let k = if t == CustomTable::Balances { k } else { 0 };
    ((fact as u64) << 16) | k as u64
}

fn table_part(
    cat: &Catalogue,
    src: &Source,
    (table, metrics): (CustomTable, &[usize]),
    slots: usize,
    order_of: &(dyn Fn(CustomTable, u32, usize) -> u64 + Sync),
) -> PolarsResult<TablePart> {
    let (folded, grouped): (Vec<usize>, Vec<usize>) =
        metrics.iter().partition(|&&i| is_folded(cat, i));
    let np = src.window.len();
    let block = if grouped.is_empty() && table == CustomTable::Balances {
        BALANCE_PERIODS
    } else {
        np.max(1)
    };
    let mut dense: Vec<(usize, Vec<Val>)> = folded
        .iter()
        .filter_map(|&i| {
            let a = cat.custom[i].aggregate()?;
            Some((i, vec![empty(a, cat.custom[i].kind); slots]))
        })
        .collect();
    let mut part = TablePart {
        table,
        folded: Vec::new(),
        order: Vec::new(),
        slots: Vec::new(),
        grouped: Vec::new(),
    };
    let columns = columns_needed(cat, table);
    for start in (0..np.max(1)).step_by(block) {
        let range = start..(start + block).min(np);
        let (rows, facts) = super::rows::rows_of_facts(src, table, &columns, range)?;
        let keys = rows.column(GROUP)?.u32()?.clone();
        for (i, column) in &mut dense {
            if let Some(a) = cat.custom[*i].aggregate() {
                let v = masked_values(a, table, &rows)?;
                fold::fold(a.agg, &keys, &v, column, 1, 0)?;
            }
        }
        if grouped.is_empty() {
            continue;
        }
        let keys: Vec<u32> = keys.into_no_null_iter().collect();
        part.order = facts
            .iter()
            .zip(&keys)
            .map(|(&f, &g)| order_of(table, f, g as usize % np.max(1)))
            .collect();
        part.slots = keys;
        for &i in &grouped {
            if let Some(a) = cat.custom[i].aggregate() {
                let v = masked_values(a, table, &rows)?;
                part.grouped.push((i, row_values(a.agg, &v)?));
            }
        }
    }
    part.folded = dense
        .into_iter()
        .filter_map(|(i, column)| {
            let a = cat.custom[i].aggregate()?;
            let none = empty(a, cat.custom[i].kind);
            let cells = column
                .into_iter()
                .enumerate()
                .filter(|(_, v)| *v != none)
                .map(|(s, v)| (s as u32, v))
                .collect();
            Some(Folded {
                metric: i,
                agg: a.agg,
                cells,
            })
        })
        .collect();
    Ok(part)
}

impl TablePart {
    /// Adds `o`, another part's of the same table: folded values combined slot by slot, grouped
    /// rows appended (put in order when the facts are computed).
    fn add(&mut self, o: TablePart) {
        for f in o.folded {
            let (agg, theirs) = (f.agg, f.cells);
            let Some(mine) = self.folded.iter_mut().find(|m| m.metric == f.metric) else {
                self.folded.push(Folded { cells: theirs, ..f });
                continue;
            };
            let mine = &mut mine.cells;
            let mut all = Vec::with_capacity(mine.len() + theirs.len());
            let (mut a, mut b) = (
                std::mem::take(mine).into_iter().peekable(),
                theirs.into_iter().peekable(),
            );
            loop {
                let next = match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) if x.0 == y.0 => {
                        let (x, y) = (a.next(), b.next());
                        x.zip(y).map(|(x, y)| (x.0, fold::combine(agg, x.1, y.1)))
                    }
                    (Some(x), Some(y)) if x.0 < y.0 => a.next(),
                    (Some(_), Some(_)) => b.next(),
                    (Some(_), None) => a.next(),
                    (None, Some(_)) => b.next(),
                    (None, None) => None,
                };
                match next {
                    Some(v) => all.push(v),
                    None => break,
                }
            }
            *mine = all;
        }
        self.order.extend(o.order);
        self.slots.extend(o.slots);
        for (i, v) in o.grouped {
            match self.grouped.iter_mut().find(|(j, _)| *j == i) {
                Some((_, mine)) => mine.extend(v),
                None => self.grouped.push((i, v)),
            }
        }
    }

    /// Keeps the periods `off..off + len` of a window of `periods`, re-keyed to them.
    fn trim(&mut self, (periods, off, len): (usize, usize, usize)) {
        let rekey = |s: u32| {
            let (e, k) = (s as usize / periods, s as usize % periods);
            (k >= off && k < off + len).then(|| (e * len + k - off) as u32)
        };
        for f in &mut self.folded {
            f.cells = f
                .cells
                .iter()
                .filter_map(|&(s, x)| Some((rekey(s)?, x)))
                .collect();
        }
        let keep: Vec<u32> = (0..self.slots.len() as u32)
            .filter(|&r| rekey(self.slots[r as usize]).is_some())
            .collect();
        if keep.len() == self.slots.len() {
            self.slots = self.slots.iter().map(|&s| rekey(s).unwrap_or(s)).collect();
            return;
        }
        self.order = keep.iter().map(|&r| self.order[r as usize]).collect();
        self.slots = keep
            .iter()
            .filter_map(|&r| rekey(self.slots[r as usize]))
            .collect();
        for (_, v) in &mut self.grouped {
            *v = v.pick(&keep);
        }
    }
}

impl CustomPart {
    /// Adds `o`, another part's.
    pub fn add(&mut self, o: CustomPart) {
        for t in o.tables {
            match self.tables.iter_mut().find(|m| m.table == t.table) {
                Some(mine) => mine.add(t),
                None => self.tables.push(t),
            }
        }
    }

    /// Keeps the periods `off..off + len` of its window (see [`crate::partials::Partial::trim`]).
    pub fn trim(&mut self, off: usize, len: usize) {
        if off == 0 && len == self.periods {
            return;
        }
        for t in &mut self.tables {
            t.trim((self.periods, off, len));
        }
        self.periods = len;
    }

    /// Every custom metric of every entity and period of `f`'s window, from the parts' aggregates
    /// added up: as [`super::compute`] gives them from one machine's rows.
    pub fn into_facts(
        self,
        cat: &Catalogue,
        f: &Facts,
        has_row: &dyn Fn(u32, usize) -> bool,
    ) -> PolarsResult<CustomFacts> {
        let n = cat.custom.len();
        let np = f.window.len();
        let slots = f.entities * np;
        let defaults = empty_values(cat);
        let mut cf = CustomFacts {
            n,
            np,
            entities: f.entities,
            values: (0..slots).flat_map(|_| defaults.iter().copied()).collect(),
            tables: Vec::new(),
        };
        for t in self.tables {
            for f in &t.folded {
                for &(s, v) in &f.cells {
                    if let Some(x) = cf.values.get_mut(s as usize * n + f.metric) {
                        *x = v;
                    }
                }
            }
            if t.grouped.is_empty() {
                continue;
            }
            // One machine's row order (a run's one part is in it already).
            let sorted = t.order.is_sorted();
            let mut by: Vec<u32> = Vec::new();
            if !sorted {
                by = (0..t.order.len() as u32).collect();
                by.sort_by_key(|&r| t.order[r as usize]);
            }
            let keys: Vec<u32> = match sorted {
                true => t.slots,
                false => by.iter().map(|&r| t.slots[r as usize]).collect(),
            };
            if keys.iter().any(|&k| k as usize >= slots) {
                return Err(
                    polars_err!(ComputeError: "a part's custom rows are of another window"),
                );
            }
            let grouping = Grouping::new(keys.len(), |r| Some(keys[r]), slots);
            let mut values = Vec::with_capacity(t.grouped.len());
            for (i, v) in t.grouped {
                let (m, Some(a)) = (&cat.custom[i], cat.custom[i].aggregate()) else {
                    continue;
                };
                if v.len() != keys.len() {
                    return Err(polars_err!(ComputeError: "a part's custom rows do not line up"));
                }
                let v = match sorted {
                    true => v.into_values(),
                    false => v.pick(&by).into_values(),
                };
                let column = grouping.aggregate(a.agg, a.q, m.kind, &v);
                for (s, x) in column.into_iter().enumerate() {
                    cf.values[s * n + i] = x;
                }
                values.push((i, v));
            }
            cf.tables.push(TableRows { keys, values });
        }
        evaluate_derived(cat, f, &mut cf, has_row);
        Ok(cf)
    }
}
