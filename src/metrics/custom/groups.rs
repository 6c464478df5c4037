//! The custom aggregates of each rollup group (contract section 4): computed over the union of
//! the group's members' rows, not combined from their values. One grouping per table and level
//! serves all of the table's aggregates.

use std::collections::HashMap;

use polars::prelude::*;

use super::rows::GROUP;
use super::{agg_expr, empty_values, values_of, CustomFacts};
use crate::catalogue::Catalogue;
use crate::metrics::registry::Val;

/// A rollup group's values of the custom aggregates, by (level, key, period index).
pub type GroupValues = HashMap<(&'static str, String, usize), Vec<Val>>;

/// A row's group at a level and its period, as one key (group × periods + period).
const KEY: &str = "__key";

/// The rollup levels.
#[derive(Clone, Copy)]
enum Level {
    Company,
    Department,
    Team,
}

impl Level {
    const ALL: [Level; 3] = [Level::Company, Level::Department, Level::Team];

    fn name(self) -> &'static str {
        match self {
            Level::Company => "company",
            Level::Department => "department",
            Level::Team => "team",
        }
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
        let mut group_of: Vec<(Option<u32>, Option<u32>)> =
            vec![(None, None); self.entities * self.np];
        for &(e, k, team, dept) in members {
            if let Some(g) = group_of.get_mut(slot(e, k)) {
                *g = (Some(teams.index(team)), Some(departments.index(dept)));
            }
        }
        let np = self.np as u32;
        for t in &self.tables {
            let gs = t.df.column(GROUP)?.u32()?;
            let aggs: Vec<Expr> = t.metrics.iter().map(|&i| agg_expr(cat, i)).collect();
            for level in Level::ALL {
                let names = match level {
                    Level::Company => &[][..],
                    Level::Department => &departments.names[..],
                    Level::Team => &teams.names[..],
                };
                // Each row's group at this level and its period; none when the row's entity has
                // no scorecard row in the period.
                let keys: UInt32Chunked = gs
                    .iter()
                    .map(|g| {
                        let g = g?;
                        let k = g % np;
                        match level {
                            Level::Company => Some(k),
                            Level::Department => Some(group_of.get(g as usize)?.1? * np + k),
                            Level::Team => Some(group_of.get(g as usize)?.0? * np + k),
                        }
                    })
                    .collect();
                let mut df = t.df.clone();
                df.with_column(keys.with_name(KEY.into()).into_column())?;
                let g = df
                    .lazy()
                    .filter(col(KEY).is_not_null())
                    .group_by([col(KEY)])
                    .agg(aggs.clone())
                    .collect()?;
                // Each result row's group and period.
                let at: Vec<Option<(String, usize)>> = g
                    .column(KEY)?
                    .u32()?
                    .iter()
                    .map(|key| {
                        let key = key?;
                        let name = match level {
                            Level::Company => "company",
                            _ => names.get((key / np) as usize)?,
                        };
                        Some((name.to_string(), (key % np) as usize))
                    })
                    .collect();
                for &i in &t.metrics {
                    for (place, v) in at.iter().zip(values_of(&g, cat, i)?) {
                        let Some((key, k)) = place else { continue };
                        let entry = out
                            .entry((level.name(), key.clone(), *k))
                            .or_insert_with(|| empty_values(cat));
                        entry[i] = v;
                    }
                }
            }
        }
        Ok(out)
    }
}
