//! Contract section 4: the same metrics per team, department and company. Each scorecard row
//! counts in the team and department it shows; the company holds every entity's facts,
//! `UNASSIGNED` included. Figures are recomputed from the members' summed facts (and pooled
//! time-to-fund and decision-time samples and review rows) through the metric registry, never
//! averaged; a custom aggregate is taken over the union of the members' rows, and a derived
//! metric is evaluated on the group's own values, `lag` reading the same group's previous period.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use crate::cards::Card;
use crate::catalogue::{Builtin, Catalogue, MetricId};
use crate::frame::{metric_columns, metric_defs, table_frame};
use crate::metrics::custom::{self, derived, GroupValues};
use crate::metrics::registry::{self, Ctx, Val};
use crate::metrics::{Facts, Sums};
use crate::outputs::{rollups as r, OutputTable};
use crate::scoring::RowScore;

/// One rollup group being summed.
#[derive(Default)]
struct Group {
    sums: Sums,
    ttf: Vec<f64>,
    decision_hours: Vec<f64>,
    employees: i64,
    rated: i64,
}

impl Group {
    fn add(&mut self, f: &Facts, entity: u32, k: usize) {
        self.sums.add(f.at(entity, k));
        if let Some(t) = f.time_to_fund.get(&(entity, k as u32)) {
            self.ttf.extend_from_slice(t);
        }
        if let Some(t) = f.decision_hours.get(&(entity, k as u32)) {
            self.decision_hours.extend_from_slice(t);
        }
    }
}

/// A group of a period: its level, key and summed facts.
struct GroupRow<'c> {
    level: &'static str,
    key: &'c str,
    g: Group,
}

/// The groups of the `k`-th period: the company, then departments and teams by name.
fn groups<'c>(
    f: &Facts,
    k: usize,
    cards: &'c [Card],
    scores: Option<&[RowScore]>,
) -> Vec<GroupRow<'c>> {
    let mut company = Group::default();
    for e in 0..f.entities as u32 {
        company.add(f, e, k);
    }
    let mut departments: BTreeMap<&str, Group> = BTreeMap::new();
    let mut teams: BTreeMap<&str, Group> = BTreeMap::new();
    for (i, c) in cards.iter().enumerate() {
        let rated = i64::from(scores.is_some_and(|s| s[i].plan.is_some()));
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
    let row = |level, key, g| GroupRow { level, key, g };
    std::iter::once(row("company", "company", company))
        .chain(
            departments
                .into_iter()
                .map(|(key, g)| row("department", key, g)),
        )
        .chain(teams.into_iter().map(|(key, g)| row("team", key, g)))
        .collect()
}

/// Every metric of each group of the `k`-th period, in catalogue order. `depth` is how many
/// periods back `lag` may still read.
fn values<'c>(
    cat: &Catalogue,
    f: &Facts,
    k: usize,
    cards: &'c [Vec<Card>],
    custom_groups: &GroupValues,
    depth: usize,
    scores: Option<&[RowScore]>,
) -> Vec<(GroupRow<'c>, Vec<Val>)> {
    let rows = groups(f, k, &cards[k], scores);
    let (days, points) = f.shape(k);
    let lag_used = cat
        .custom
        .iter()
        .any(|m| m.derived().is_some_and(|d| !d.lags.is_empty()));
    let prev: HashMap<(&str, &str), Vec<Val>> = if lag_used && depth > 0 && k > 0 {
        values(cat, f, k - 1, cards, custom_groups, depth - 1, None)
            .into_iter()
            .map(|(r, v)| ((r.level, r.key), v))
            .collect()
    } else {
        HashMap::new()
    };
    let order = derived::order(cat);
    rows.into_iter()
        .map(|r| {
            let mut ttf = r.g.ttf.clone();
            ttf.sort_by(f64::total_cmp);
            let mut decision_hours = r.g.decision_hours.clone();
            decision_hours.sort_by(f64::total_cmp);
            let ctx = Ctx {
                s: &r.g.sums,
                days,
                points,
                ttf: &ttf,
                decision_hours: &decision_hours,
            };
            let mut v = registry::values(&ctx);
            match custom_groups.get(&(r.level, r.key.to_string(), k)) {
                Some(c) => v.extend_from_slice(c),
                None => v.extend(custom::empty_values(cat)),
            }
            let before = prev.get(&(r.level, r.key));
            for &i in &order {
                let Some(d) = cat.custom[i].derived() else {
                    continue;
                };
                let at = |vals: &[Val], id: MetricId| vals.get(id.index()).and_then(|x| x.as_f64());
                let now = |id: MetricId| at(&v, id);
                let was = |id: MetricId| before.and_then(|b| at(b, id));
                let x = derived::eval(&d.expr, cat, &now, &was);
                v[Builtin::ALL.len() + i] = Val::Float(x);
            }
            (r, v)
        })
        .collect()
}

/// The rollups table of the `k`-th period of the facts' window; `cards` are every period's rows.
pub fn frame(
    cat: &Catalogue,
    f: &Facts,
    k: usize,
    cards: &[Vec<Card>],
    scores: &[RowScore],
    custom_groups: &GroupValues,
) -> PolarsResult<DataFrame> {
    let depth = derived::lag_depth(cat);
    let rows = values(cat, f, k, cards, custom_groups, depth, Some(scores));
    let n = rows.len();
    let vals: Vec<Vec<Val>> = rows.iter().map(|r| r.1.clone()).collect();
    let mut cols = vec![
        Column::new(
            r::LEVEL.name.into(),
            rows.iter().map(|r| r.0.level).collect::<Vec<_>>(),
        ),
        Column::new(
            r::KEY.name.into(),
            rows.iter().map(|r| r.0.key).collect::<Vec<_>>(),
        ),
        Column::new(
            r::EMPLOYEES.name.into(),
            rows.iter().map(|r| r.0.g.employees).collect::<Vec<_>>(),
        ),
        Column::new(
            r::RATED.name.into(),
            rows.iter().map(|r| r.0.g.rated).collect::<Vec<_>>(),
        ),
    ];
    cols.extend(metric_columns(cat, &vals)?);
    table_frame(OutputTable::Rollups, &metric_defs(cat), n, cols)
}

/// The scorecard rows of every period as rollup members: (entity, period index, team,
/// department), for the custom aggregates over their union.
pub fn members<'c>(cards: &'c [Vec<Card>]) -> Vec<(u32, u32, &'c str, &'c str)> {
    cards
        .iter()
        .flatten()
        .filter_map(|c| {
            let o = c.org?;
            Some((
                c.employee,
                c.k as u32,
                o.team.as_str(),
                o.department.as_str(),
            ))
        })
        .collect()
}
