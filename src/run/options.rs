//! What a run computes, resolved from the command line and the pipeline before any data is
//! read, and what a dry run reports.

use std::path::PathBuf;

use crate::config::Plan;
use crate::error::Error;
use crate::metrics::Window;
use crate::model::Ledger;
use crate::outputs::OutputTable;
use crate::periods::{Calendar, Day, Grain};

use super::load::load;

/// What a run computes, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// A period label, or `previous`: the last period that has ended.
    pub period: Option<String>,
    /// The day `previous` counts back from (`YYYY-MM-DD`); today in the pipeline's zone if unset.
    pub as_of: Option<String>,
    /// Run even when the last run wrote the same periods from the same inputs and pipeline.
    pub force: bool,
    /// Read every input file, not only those added since the output's checkpoint.
    pub full: bool,
    /// How each phase shows on stderr as it ends.
    pub progress: crate::timings::Progress,
    pub from: Option<String>,
    pub to: Option<String>,
    pub grain: Option<Grain>,
    pub out: Option<PathBuf>,
    /// A merge (`factorscore merge`): the built-in facts are the parts' in this folder, added.
    pub merge: Option<super::Parts>,
}

/// The periods named by the options or the pipeline, resolved before any data is read: a bad
/// label fails at once.
#[derive(Debug, Clone, Copy)]
pub struct PeriodSpec {
    pub cal: Calendar,
    pub from: Option<i32>,
    pub to: Option<i32>,
}

impl RunOptions {
    /// Resolves the period options against the pipeline.
    pub fn periods(&self, plan: &Plan) -> Result<PeriodSpec, Error> {
        let cal = plan.calendar(self.grain.unwrap_or(plan.grain));
        let parse = |s: &str| cal.parse_label(s).map_err(Error::BadPeriod);
        let (from, to) = if self.period.as_deref() == Some("previous") {
            let p = cal.period_of_day(self.today(plan)?) - 1;
            (Some(p), Some(p))
        } else if self.as_of.is_some() {
            return Err(Error::BadOption(
                "--as-of sets the day `--period previous` counts back from: give both".into(),
            ));
        } else if let Some(p) = &self.period {
            let p = parse(p)?;
            (Some(p), Some(p))
        } else if self.from.is_some() || self.to.is_some() {
            (
                self.from.as_deref().map(parse).transpose()?,
                self.to.as_deref().map(parse).transpose()?,
            )
        } else if let Some((f, t)) = &plan.periods {
            // Written at the pipeline's grain; `--grain` may read them at another.
            let (f, t) = cal.cover(f, t).map_err(Error::BadPeriod)?;
            (Some(f), Some(t))
        } else {
            (None, None)
        };
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(Error::BadOption(format!(
                    "--from {} is after --to {}",
                    cal.label(f),
                    cal.label(t)
                )));
            }
        }
        Ok(PeriodSpec { cal, from, to })
    }

    /// The day a run counts `previous` back from: `--as-of`, or today in the pipeline's time
    /// zone.
    fn today(&self, plan: &Plan) -> Result<Day, Error> {
        match &self.as_of {
            Some(s) => crate::periods::parse_day(s).ok_or_else(|| {
                Error::BadOption(format!(
                    "--as-of `{s}` is not a date YYYY-MM-DD, e.g. 2026-11-05"
                ))
            }),
            None => Ok(crate::periods::day_from_date(
                chrono::Utc::now()
                    .with_timezone(&plan.timezone)
                    .date_naive(),
            )),
        }
    }
}

impl PeriodSpec {
    /// The window, when the options name both its ends.
    pub fn named(&self) -> Option<Window> {
        Some(Window {
            cal: self.cal,
            first: self.from?,
            last: self.to?,
        })
    }

    /// The periods asked for, as the manifest records them: `None` at an end the data gives.
    pub fn asked(&self) -> crate::manifest::Asked {
        let label = |p: Option<i32>| p.map(|p| self.cal.label(p));
        crate::manifest::Asked {
            from: label(self.from),
            to: label(self.to),
        }
    }

    /// The window, taking what the options leave open from the ledger's extent.
    pub fn window(&self, l: &Ledger) -> Result<Window, Error> {
        self.window_of(data_extent(l))
    }

    /// The window over the data's first purchase and last event days (`extent`), where the
    /// options leave it open.
    pub fn window_of(&self, extent: Option<(Day, Day)>) -> Result<Window, Error> {
        let cal = self.cal;
        let extent = || {
            extent.ok_or(Error::EmptyLedger {
                hint: "name the periods with --period or --from/--to",
            })
        };
        let first = match self.from {
            Some(f) => f,
            None => cal.period_of_day(extent()?.0),
        };
        let last = match self.to {
            Some(t) => t,
            None => cal.period_of_day(extent()?.1),
        };
        if first > last {
            return Err(Error::BadOption(format!(
                "--from {} is after the last ledger period {}",
                cal.label(first),
                cal.label(last)
            )));
        }
        Ok(Window { cal, first, last })
    }
}

/// The periods a run covers.
pub fn window(plan: &Plan, l: &Ledger, opts: &RunOptions) -> Result<Window, Error> {
    opts.periods(plan)?.window(l)
}

/// First purchase day and last event day of the ledger.
pub(super) fn data_extent(l: &Ledger) -> Option<(Day, Day)> {
    let lo = *l.invoices.purchase.iter().min()?;
    let hi = [
        &l.invoices.purchase,
        &l.collections.date,
        &l.write_offs.date,
        &l.fees.date,
    ]
    .iter()
    .filter_map(|v| v.iter().max())
    .max()
    .copied()?;
    Some((lo, hi))
}

/// What a run would do, found without writing anything.
pub struct DryRun {
    pub grain: &'static str,
    pub periods: Vec<String>,
    /// The partition folders it would replace, relative to the output folder.
    pub partitions: Vec<String>,
}

/// The periods and partitions a run with `opts` would replace. Reads the data only when the
/// options and the pipeline leave the window open.
pub fn dry_run(plan: &Plan, opts: &RunOptions) -> Result<DryRun, Error> {
    let spec = opts.periods(plan)?;
    let window = match (spec.from, spec.to) {
        (Some(first), Some(last)) => Window {
            cal: spec.cal,
            first,
            last,
        },
        _ => spec.window(&load(plan)?.ledger)?,
    };
    let grain = window.cal.grain.name();
    let periods = window.labels();
    let partitions = OutputTable::partitioned()
        .flat_map(|t| {
            periods
                .iter()
                .map(move |p| format!("{}/grain={grain}/period={p}/", t.name()))
        })
        .collect();
    Ok(DryRun {
        grain,
        periods,
        partitions,
    })
}
