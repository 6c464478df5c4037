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
        self.sums.add(&f.at(entity, k));
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

/// Each group's values of a period but the derived metrics', by (level, key).
type Base<'c> = HashMap<(&'static str, &'c str), Vec<Val>>;

/// The groups' values of the periods already computed for a run of periods, so that the
/// previous period's values `lag` reads are computed once, not again for the next period.
#[derive(Default)]
pub struct Memo<'c> {
    base: HashMap<usize, Base<'c>>,
}

/// Every metric but the derived ones of each group of `rows` (the groups of the `k`-th
/// period), in catalogue order.
fn base_values(
    cat: &Catalogue,
    f: &Facts,
    k: usize,
    rows: &[GroupRow],
    custom_groups: &GroupValues,
) -> Vec<Vec<Val>> {
    let (days, points) = f.shape(k);
    rows.iter()
        .map(|r| {
            let mut ttf = r.g.ttf.clone();
            ttf.sort_by(f64::total_cmp);
            let mut decision_hours = r.g.decision_hours.clone();
            decision_hours.sort_by(f64::total_cmp);
            let ctx = Ctx {
                s: r.g.sums,
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
            v
        })
        .collect()
}

/// What the rollups of a run of periods are computed from.
pub struct Inputs<'a, 'c> {
    pub cat: &'a Catalogue,
    pub f: &'a Facts,
    /// Every period's scorecard rows.
    pub cards: &'c [Vec<Card<'c>>],
    pub custom_groups: &'a GroupValues,
}

impl<'c> Inputs<'_, 'c> {
    fn lag_used(&self) -> bool {
        self.cat
            .custom
            .iter()
            .any(|m| m.derived().is_some_and(|d| !d.lags.is_empty()))
    }

    /// What `lag` reads in the `k`-th period, `depth` periods back at most: every metric of each
    /// group of the period before; none when no derived metric lags or nothing is left to read.
    fn previous(&self, memo: &mut Memo<'c>, k: usize, depth: usize) -> Option<Base<'c>> {
        (self.lag_used() && depth > 0 && k > 0).then(|| self.full(memo, k - 1, depth - 1))
    }

    /// Every metric of each group of the `k`-th period, derived ones included, with `lag`
    /// reading back at most `depth` periods.
    fn full(&self, memo: &mut Memo<'c>, k: usize, depth: usize) -> Base<'c> {
        let prev = self.previous(memo, k, depth);
        let base = memo.base.entry(k).or_insert_with(|| {
            let rows = groups(self.f, k, &self.cards[k], None);
            let vals = base_values(self.cat, self.f, k, &rows, self.custom_groups);
            rows.iter().map(|r| (r.level, r.key)).zip(vals).collect()
        });
        let formulas = derived::formulas(self.cat);
        base.iter()
            .map(|(&key, v)| {
                let mut v = v.clone();
                derive(&formulas, &mut v, prev.as_ref().and_then(|p| p.get(&key)));
                (key, v)
            })
            .collect()
    }
}

/// Evaluates the derived metrics of a group's values `v`, `lag` reading `before` (the same
/// group's values in the previous period).
fn derive(formulas: &[(usize, derived::Formula)], v: &mut [Val], before: Option<&Vec<Val>>) {
    for (i, formula) in formulas {
        let at = |vals: &[Val], id: MetricId| vals.get(id.index()).and_then(|x| x.as_f64());
        let x = formula.eval(&|id| at(v, id), &|id| before.and_then(|b| at(b, id)));
        v[Builtin::ALL.len() + i] = Val::Float(x);
    }
}

/// The rollups table of the `k`-th period of the facts' window, with the period's scores;
/// `memo` keeps the values of the run's periods for the next.
pub fn frame<'c>(
    inputs: &Inputs<'_, 'c>,
    memo: &mut Memo<'c>,
    k: usize,
    scores: &[RowScore],
) -> PolarsResult<DataFrame> {
    let (cat, f) = (inputs.cat, inputs.f);
    let depth = derived::lag_depth(cat);
    let groups = groups(f, k, &inputs.cards[k], Some(scores));
    let mut vals = base_values(cat, f, k, &groups, inputs.custom_groups);
    memo.base.insert(
        k,
        groups
            .iter()
            .map(|r| (r.level, r.key))
            .zip(vals.clone())
            .collect(),
    );
    let prev = inputs.previous(memo, k, depth);
    let formulas = derived::formulas(cat);
    for (r, v) in groups.iter().zip(&mut vals) {
        derive(
            &formulas,
            v,
            prev.as_ref().and_then(|p| p.get(&(r.level, r.key))),
        );
    }
    let n = groups.len();
    let mut cols = vec![
        Column::new(
            r::LEVEL.name.into(),
            groups.iter().map(|r| r.level).collect::<Vec<_>>(),
        ),
        Column::new(
            r::KEY.name.into(),
            groups.iter().map(|r| r.key).collect::<Vec<_>>(),
        ),
        Column::new(
            r::EMPLOYEES.name.into(),
            groups.iter().map(|r| r.g.employees).collect::<Vec<_>>(),
        ),
        Column::new(
            r::RATED.name.into(),
            groups.iter().map(|r| r.g.rated).collect::<Vec<_>>(),
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
