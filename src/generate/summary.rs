//! The generated company's headline figures, computed by factorscore's own engine over the
//! files just written. Loading them also checks every row against the contract, so a
//! generator bug that breaks a rule fails here, with the engine's message.
//!
//! Library calls (kept in this one file so an API change is easy to follow):
//! `config::load_str`, `run::load`, `run::window`, `run::facts`, `metrics::Facts::at` and
//! `shape`, `metrics::Sums::add`, and `metrics::registry::value` with its `Ctx`.

use std::path::Path;

use super::{month_label, GenConfig};
use crate::catalogue::Builtin;
use crate::error::Error;
use crate::metrics::registry::{self, Ctx};
use crate::metrics::Sums;
use crate::periods::Grain;
use crate::run::RunOptions;
use crate::tables::Table;

/// Months at the start left out of the "steady state" figures (the book fills up).
const RAMP_UP: usize = 6;

/// The generated company as factorscore's engine reads it: checked input and monthly facts.
pub(super) struct Engine {
    loaded: crate::run::Loaded,
    facts: crate::metrics::Facts,
}

impl Engine {
    /// Reads the CSV tables of `dir` (all but targets and adjustments) through a pipeline of
    /// its own, checks them, and computes the facts of every month of the span.
    pub(super) fn load(cfg: &GenConfig, dir: &Path) -> Result<Engine, Error> {
        let mut text = String::from(
            "name: generated\nbase_currency: CNY\ntimezone: Asia/Shanghai\ngrain: month\nsources:\n",
        );
        for t in Table::ALL {
            if t != Table::Targets && t != Table::Adjustments {
                text.push_str(&format!("  {0}: {{ path: {0}.csv }}\n", t.name()));
            }
        }
        text.push_str("output: { path: _unused }\n");
        let plan = crate::config::load_str(&dir.join("generated.yaml"), &text)?;
        let loaded = crate::run::load(&plan)?;
        let opts = RunOptions {
            from: Some(month_label(cfg.first_month)),
            to: Some(month_label(cfg.last_month)),
            grain: Some(Grain::Month),
            ..Default::default()
        };
        let window = crate::run::window(&plan, &loaded.ledger, &opts)?;
        let facts = crate::run::facts(&plan, &loaded, window)?;
        Ok(Engine { loaded, facts })
    }

    /// The value of metric `name` of employee `id` in month `m` (a month key), as scored.
    pub(super) fn value(&self, id: &str, m: i32, name: &str) -> Option<f64> {
        let e = self.loaded.ledger.employees.ids.get(id)?;
        let k = self
            .facts
            .window
            .index_of_day(crate::periods::month_end(m))?;
        registry::value(Builtin::by_name(name)?, &self.facts.ctx(e, k)).as_f64()
    }

    /// Lines describing the company.
    pub(super) fn figures(&self, cfg: &GenConfig) -> Vec<String> {
        figures(cfg, &self.loaded, &self.facts)
    }
}

fn figures(
    cfg: &GenConfig,
    loaded: &crate::run::Loaded,
    facts: &crate::metrics::Facts,
) -> Vec<String> {
    let window = facts.window;
    // Company sums per month: every employee plus UNASSIGNED.
    let n = window.len();
    let mut months = vec![Sums::default(); n];
    for e in 0..facts.entities as u32 {
        for (k, m) in months.iter_mut().enumerate() {
            m.add(&facts.at(e, k));
        }
    }
    let mut hours: Vec<f64> = facts.time_to_fund.values().flatten().copied().collect();
    hours.sort_by(f64::total_cmp);
    // A metric of summed sums shaped like month k; `ttf` (sorted) feeds the time-to-fund
    // quantiles only.
    let metric_with = |s: &Sums, k: usize, name: &str, ttf: &[f64]| -> Option<f64> {
        let (days, points) = facts.shape(k);
        let b = Builtin::by_name(name)?;
        registry::value(
            b,
            &Ctx {
                s: *s,
                days,
                points,
                ttf,
                decision_hours: &[],
            },
        )
        .as_f64()
    };
    let metric = |s: &Sums, k: usize, name: &str| metric_with(s, k, name, &[]);
    let mut total = Sums::default();
    for m in &months {
        total.add(m);
    }
    let pct = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{:.1}%", 100.0 * x));
    let money = |c: i64| {
        let y = c as f64 / 100.0;
        if y.abs() >= 1e6 {
            format!("{:.1}m", y / 1e6)
        } else {
            format!("{:.0}k", y / 1e3)
        }
    };
    let median = |mut v: Vec<f64>| -> Option<f64> {
        v.retain(|x| x.is_finite());
        v.sort_by(f64::total_cmp);
        (!v.is_empty()).then(|| {
            let h = (v.len() - 1) as f64 / 2.0;
            (v[h.floor() as usize] + v[h.ceil() as usize]) / 2.0
        })
    };
    let steady = RAMP_UP.min(n.saturating_sub(1));
    let last = n - 1;
    let series = |name: &str| -> Vec<f64> {
        (steady..n)
            .filter_map(|k| metric(&months[k], k, name))
            .collect()
    };
    let range = |v: &[f64]| -> String {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{} .. {}", pct(Some(lo)), pct(Some(hi)))
    };

    // Losses over the last (up to) 12 months, over the mean of their month-end balances.
    let span = 12.min(n - 1).max(1);
    let from = n - span;
    let (wo, rec): (i64, i64) = months[from..].iter().fold((0, 0), |a, m| {
        (a.0 + m.flow.written_off, a.1 + m.flow.recoveries)
    });
    let avg_out = months[from - 1..]
        .iter()
        .map(|m| m.bal.outstanding as f64)
        .sum::<f64>()
        / (span + 1) as f64;
    let per_year = 12.0 / span as f64;
    let base = steady.min(last);
    let (o0, o1) = (
        months[base].bal.outstanding as f64,
        months[last].bal.outstanding as f64,
    );
    let years = (last - base) as f64 / 12.0;
    let growth = (years > 0.0 && o0 > 0.0).then(|| (o1 / o0).powf(1.0 / years) - 1.0);
    let label = |k: usize| month_label(cfg.first_month + k as i32);
    let ttf = metric_with(&total, last, "time_to_fund_median_hours", &hours).map(|h| h / 24.0);
    vec![
        String::new(),
        format!(
            "company figures ({} .. {}, CNY, computed by factorscore over the files written):",
            label(0),
            label(last)
        ),
        format!(
            "  outstanding at {}      {}",
            label(last),
            money(months[last].bal.outstanding)
        ),
        format!(
            "  PAR30 rate at {}       {}   (month ends from {}: {})",
            label(last),
            pct(metric(&months[last], last, "par30_rate")),
            label(steady),
            range(&series("par30_rate"))
        ),
        format!(
            "  overdue rate at {}     {}   (month ends from {}: {})",
            label(last),
            pct(metric(&months[last], last, "overdue_rate")),
            label(steady),
            range(&series("overdue_rate"))
        ),
        format!(
            "  net loss per year          {}   (gross write-offs {}, last {span} months, over their mean outstanding)",
            pct((avg_out > 0.0).then(|| (wo - rec) as f64 / avg_out * per_year)),
            pct((avg_out > 0.0).then(|| wo as f64 / avg_out * per_year)),
        ),
        format!(
            "  DSO, median month          {:.0} days   (months from {})",
            median(series("dso")).unwrap_or(f64::NAN),
            label(steady)
        ),
        format!(
            "  approval rate              {}   (approved / decided, whole span)",
            pct(metric(&total, last, "approval_rate"))
        ),
        format!(
            "  time to fund, median       {} days",
            ttf.map_or("n/a".into(), |d| format!("{d:.1}"))
        ),
        format!(
            "  approved default rate      {}   (unpaid 90 days after due / face maturing, whole span)",
            pct(metric(&total, last, "approved_default_rate"))
        ),
        format!(
            "  outstanding growth         {} a year   ({} {} -> {} {})",
            pct(growth),
            label(base),
            money(months[base].bal.outstanding),
            label(last),
            money(months[last].bal.outstanding)
        ),
        format!(
            "  write-offs                 {} rows, {}; recoveries {}",
            loaded.ledger.write_offs.len(),
            money(total.flow.written_off),
            money(total.flow.recoveries)
        ),
    ]
}
