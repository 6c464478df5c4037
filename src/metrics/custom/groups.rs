//! The custom aggregates of each rollup group (contract section 4): computed over the union of
//! the group's members' rows, not combined from their values. One grouping per table and level
//! serves all of the table's aggregates.

use std::collections::HashMap;

use polars::prelude::*;

use super::rows::{ENTITY, PERIOD};
use super::{agg_expr, empty_values, values_of, CustomFacts};
use crate::catalogue::Catalogue;
use crate::metrics::registry::Val;

/// A rollup group's values of the custom aggregates, by (level, key, period index).
pub type GroupValues = HashMap<(&'static str, String, usize), Vec<Val>>;

const TEAM: &str = "__team";
const DEPARTMENT: &str = "__department";

/// The rollup levels, and the column holding each row's group at that level (none for the
/// company, which takes every row).
const LEVELS: [(&str, Option<&str>); 3] = [
    ("company", None),
    ("department", Some(DEPARTMENT)),
    ("team", Some(TEAM)),
];

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

impl CustomFacts {
    /// Every custom aggregate over the union of the rows of each team, department and the
    /// company, for every period: `members` are the scorecard rows (entity, period index, team,
    /// department).
    pub fn group_aggregates(
        &self,
        cat: &Catalogue,
        members: &[(u32, u32, &str, &str)],
    ) -> PolarsResult<GroupValues> {
        let mut out: GroupValues = HashMap::new();
        if self.tables.is_empty() {
            return Ok(out);
        }
        // Each scorecard row's team and department, by (entity, period) in a dense table.
        let mut teams = Names::default();
        let mut departments = Names::default();
        let slot = |e: u32, k: u32| e as usize * self.np + k as usize;
        let mut group_of = vec![(None, None); self.entities * self.np];
        for &(e, k, team, dept) in members {
            if let Some(g) = group_of.get_mut(slot(e, k)) {
                *g = (Some(teams.index(team)), Some(departments.index(dept)));
            }
        }
        for t in &self.tables {
            let es = t.df.column(ENTITY)?.u32()?;
            let ks = t.df.column(PERIOD)?.u32()?;
            let (ts, ds): (Vec<Option<u32>>, Vec<Option<u32>>) = es
                .iter()
                .zip(ks.iter())
                .map(|ek| match ek {
                    (Some(e), Some(k)) => group_of.get(slot(e, k)).copied().unwrap_or_default(),
                    _ => (None, None),
                })
                .unzip();
            let mut df = t.df.clone();
            df.with_column(Column::new(TEAM.into(), ts))?;
            df.with_column(Column::new(DEPARTMENT.into(), ds))?;
            let aggs: Vec<Expr> = t.metrics.iter().map(|&i| agg_expr(cat, i)).collect();
            for (level, by) in LEVELS {
                let names = match by {
                    Some(TEAM) => &teams.names[..],
                    Some(_) => &departments.names[..],
                    None => &[][..],
                };
                let mut keys = vec![col(PERIOD)];
                let mut lf = df.clone().lazy();
                if let Some(b) = by {
                    lf = lf.filter(col(b).is_not_null());
                    keys.push(col(b));
                }
                let g = lf.group_by(keys).agg(aggs.clone()).collect()?;
                let gk = g.column(PERIOD)?.u32()?;
                let gi = by.map(|b| g.column(b)?.u32()).transpose()?;
                // Each result row's group and period.
                let at: Vec<Option<(String, usize)>> = (0..g.height())
                    .map(|r| {
                        let k = gk.get(r)? as usize;
                        let key = match gi {
                            Some(ix) => names.get(ix.get(r)? as usize)?.to_string(),
                            None => "company".to_string(),
                        };
                        Some((key, k))
                    })
                    .collect();
                for &i in &t.metrics {
                    for (place, v) in at.iter().zip(values_of(&g, cat, i)?) {
                        let Some((key, k)) = place else { continue };
                        let entry = out
                            .entry((level, key.clone(), *k))
                            .or_insert_with(|| empty_values(cat));
                        entry[i] = v;
                    }
                }
            }
        }
        Ok(out)
    }
}
