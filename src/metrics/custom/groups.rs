//! The custom aggregates of each rollup group (contract section 4), over the union of the
//! group's members' rows. A folded aggregate's value over the union combines the members' values
//! exactly ([`super::fold::combine`]); the others are computed from the rows again
//! ([`super::grouped`]), each table and level in parallel.

use std::collections::HashMap;

use super::grouped::Grouping;
use super::{empty_values, fold, in_parallel, is_folded, CustomFacts, TableRows};
use crate::catalogue::Catalogue;
use crate::metrics::registry::Val;

/// A rollup group's values of the custom aggregates, by (level, key, period index).
pub type GroupValues = HashMap<(&'static str, String, usize), Vec<Val>>;

/// The rollup levels.
#[derive(Clone, Copy)]
enum Level {
    Company,
    Department,
    Team,
}

impl Level {
    const ALL: [Level; 3] = [Level::Company, Level::Department, Level::Team];

    /// The names of the groups of this level, by index.
    fn names<'a>(self, departments: &'a Names, teams: &'a Names) -> &'a [&'a str] {
        match self {
            Level::Company => &["company"],
            Level::Department => &departments.names,
            Level::Team => &teams.names,
        }
    }

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
    ) -> GroupValues {
        let mut out: GroupValues = HashMap::new();
        if self.n == 0 {
            return out;
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
        self.combine_folded(cat, &group_of, &departments, &teams, &mut out);
        let np = self.np as u32;
        let jobs: Vec<(&TableRows, Level)> = self
            .tables
            .iter()
            .flat_map(|t| Level::ALL.map(|level| (t, level)))
            .collect();
        let done = in_parallel(&jobs, |&(t, level)| {
            let names = level.names(&departments, &teams);
            // Each row's group at this level and its period; none when the row's entity has no
            // scorecard row in the period.
            let key = |r: usize| {
                let g = t.keys[r];
                let k = g % np;
                match level {
                    Level::Company => Some(k),
                    Level::Department => Some(group_of.get(g as usize)?.1? * np + k),
                    Level::Team => Some(group_of.get(g as usize)?.0? * np + k),
                }
            };
            let grouping = Grouping::new(t.keys.len(), key, names.len() * self.np);
            let values: Vec<(usize, Vec<Val>)> = t
                .values
                .iter()
                .filter_map(|(i, v)| {
                    let (m, a) = (&cat.custom[*i], cat.custom[*i].aggregate()?);
                    Some((*i, grouping.aggregate(a.agg, a.q, m.kind, v)))
                })
                .collect();
            (level, names, grouping, values)
        });
        for (level, names, grouping, values) in done {
            for g in (0..grouping.groups()).filter(|&g| grouping.has_rows(g)) {
                let (name, k) = (names[g / self.np], g % self.np);
                let entry = out
                    .entry((level.name(), name.to_string(), k))
                    .or_insert_with(|| empty_values(cat));
                for (i, v) in &values {
                    entry[*i] = v[g];
                }
            }
        }
        out
    }

    /// The folded aggregates of every group and period: the combination of the values of the
    /// group's members (every entity, for the company). `group_of` is each (entity, period)'s
    /// (team, department).
    fn combine_folded(
        &self,
        cat: &Catalogue,
        group_of: &[(Option<u32>, Option<u32>)],
        departments: &Names,
        teams: &Names,
        out: &mut GroupValues,
    ) {
        let folded: Vec<(usize, crate::catalogue::Agg)> = (0..self.n)
            .filter(|&i| is_folded(cat, i))
            .filter_map(|i| Some((i, cat.custom[i].aggregate()?.agg)))
            .collect();
        if folded.is_empty() {
            return;
        }
        let (n, np) = (self.n, self.np);
        for level in Level::ALL {
            let names = level.names(departments, teams);
            let mut acc: Vec<Option<Vec<Val>>> = vec![None; names.len() * np];
            for (slot, groups) in group_of.iter().enumerate() {
                let group = match level {
                    Level::Company => Some(0),
                    Level::Department => groups.1,
                    Level::Team => groups.0,
                };
                let Some(group) = group else { continue };
                let k = slot % np;
                let a = acc[group as usize * np + k].get_or_insert_with(|| empty_values(cat));
                for &(i, agg) in &folded {
                    a[i] = fold::combine(agg, a[i], self.values[slot * n + i]);
                }
            }
            for (at, values) in acc.into_iter().enumerate() {
                if let Some(values) = values {
                    let key = (level.name(), names[at / np].to_string(), at % np);
                    out.insert(key, values);
                }
            }
        }
    }
}
