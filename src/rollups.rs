//! Contract section 4: the same metrics per team, department and company. Each scorecard row
//! counts in the team and department it shows; the company holds every entity's facts,
//! `UNASSIGNED` included. Figures are recomputed from the members' summed facts (and pooled
//! time-to-fund samples and review rows) through the metric registry, never averaged.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::frame::{metric_columns, metric_defs, table_frame};
use crate::metrics::registry::{self, Ctx};
use crate::metrics::{Facts, Sums};
use crate::outputs::{rollups as r, OutputTable};
use crate::cards::Card;
use crate::scoring::RowScore;

/// One rollup group being summed.
#[derive(Default)]
struct Group {
    sums: Sums,
    ttf: Vec<f64>,
    employees: i64,
    rated: i64,
}

impl Group {
    fn add(&mut self, f: &Facts, entity: u32, k: usize) {
        self.sums.add(f.at(entity, k));
        if let Some(t) = f.time_to_fund.get(&(entity, k as u32)) {
            self.ttf.extend_from_slice(t);
        }
    }
}

/// The rollups table of the `k`-th period of the facts' window.
pub fn frame(f: &Facts, k: usize, cards: &[Card], scores: &[RowScore]) -> PolarsResult<DataFrame> {
    let mut company = Group::default();
    for e in 0..f.entities as u32 {
        company.add(f, e, k);
    }
    let mut departments: BTreeMap<&str, Group> = BTreeMap::new();
    let mut teams: BTreeMap<&str, Group> = BTreeMap::new();
    for (c, s) in cards.iter().zip(scores) {
        let rated = i64::from(s.plan.is_some());
        company.employees += 1;
        company.rated += rated;
        let Some(org) = c.org else { continue };
        for g in [
            departments.entry(org.department.as_str()).or_default(),
            teams.entry(org.team.as_str()).or_default(),
        ] {
            g.add(f, c.employee, k);
            g.employees += 1;
            g.rated += rated;
        }
    }
    let rows: Vec<(&str, &str, Group)> = std::iter::once(("company", "company", company))
        .chain(
            departments
                .into_iter()
                .map(|(key, g)| ("department", key, g)),
        )
        .chain(teams.into_iter().map(|(key, g)| ("team", key, g)))
        .collect();
    let (days, points) = f.shape(k);
    let values: Vec<_> = rows
        .iter()
        .map(|(_, _, g)| {
            let mut ttf = g.ttf.clone();
            ttf.sort_by(f64::total_cmp);
            registry::values(&Ctx {
                s: &g.sums,
                days,
                points,
                ttf: &ttf,
            })
        })
        .collect();
    let n = rows.len();
    let mut cols = vec![
        Column::new(
            r::LEVEL.name.into(),
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        ),
        Column::new(r::KEY.name.into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new(
            r::EMPLOYEES.name.into(),
            rows.iter().map(|r| r.2.employees).collect::<Vec<_>>(),
        ),
        Column::new(
            r::RATED.name.into(),
            rows.iter().map(|r| r.2.rated).collect::<Vec<_>>(),
        ),
    ];
    cols.extend(metric_columns(&values)?);
    table_frame(OutputTable::Rollups, &metric_defs(), n, cols)
}
