//! Partials (issue 17, `docs/partials.md`): the built-in facts of one part of a run's clients,
//! stored so that the parts' facts add up exactly, in any order, to the facts of the whole.
//!
//! A part's facts are integer sums per entity and period (cents and counts, [`Balances`] and
//! [`Flows`]), the time-to-fund and decision-time samples per entity and period, and the review
//! score sums, each employee's on the one part its reviews go to ([`split`]). Adding integers is
//! exact in any order; the samples are a multiset, sorted after the union as one machine sorts
//! them; a review sum is added only to the zeros of the other parts. So [`merge`] gives the facts
//! of a run over every client, bit for bit.
//!
//! What a part holds is tied to its run ([`Run`]): the program's version, the pipeline, the input
//! files' fingerprints, the window and the number of parts. A merge refuses a set of parts that is
//! not exactly one part of each index of one run.

mod custom;
mod file;
mod rows;
pub mod split;

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::metrics::custom::parts::CustomPart;
use crate::metrics::{Balances, Credited, Facts, Flows, Window};

pub use file::{decode, encode, file_name, read, write, ReadError};
pub use rows::{PartBreak, PartFile, PartRows, PartTable};

/// Samples per (entity, period index), as [`Facts::time_to_fund`] holds them.
pub type Samples = HashMap<(u32, u32), Vec<f64>>;

/// What every part of one run shares: two parts merge only when these are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub version: String,
    pub pipeline_sha256: String,
    /// The xxh3 of the input files' paths and fingerprints, in the manifest's order.
    pub inputs_xxh3: String,
    /// The window's grain and first and last period labels.
    pub grain: String,
    pub first: String,
    pub last: String,
    /// The entities each table is laid out by: the employees, then `UNASSIGNED`.
    pub entities: usize,
    /// How many parts the run is split into.
    pub count: u64,
}

/// One part's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    pub run: Run,
    /// Which part, `0..run.count`.
    pub index: u64,
    pub balances: Vec<Balances>,
    pub flows: Vec<Flows>,
    pub time_to_fund: Samples,
    pub decision_hours: Samples,
    /// The part's large tables' rows as far as the merge needs them ([`PartRows`]).
    pub rows: PartRows,
    /// The custom aggregates of the part's rows, when the run has any and the part carries them
    /// (a shard's does; the one part a run makes of its own ledger does not).
    pub custom: Option<CustomPart>,
}

/// Why a set of parts does not merge.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("no part was given: a merge needs every part of the run")]
    NoParts,
    #[error("part {index} of {count} is missing: run that part again, then merge")]
    Missing { index: u64, count: u64 },
    #[error("part {index} is given twice: keep one copy of each part")]
    Duplicated { index: u64 },
    #[error(
        "part {index} is of another run ({what} differs from part {first}'s): \
         merge only the parts written by one run of the same pipeline and inputs"
    )]
    OtherRun {
        index: u64,
        first: u64,
        what: &'static str,
    },
    #[error("part {index} of {count} does not exist (parts are numbered 0 to {count} - 1)")]
    OutOfRange { index: u64, count: u64 },
    #[error("part {index} is damaged: its tables are not of the run's size")]
    Damaged { index: u64 },
}

impl Partial {
    /// The part `index` of a run, from the facts computed over its clients alone.
    pub fn of(facts: Facts, run: Run, index: u64) -> Partial {
        Partial {
            run,
            index,
            balances: facts.balances,
            flows: facts.flows,
            time_to_fund: facts.time_to_fund,
            decision_hours: facts.decision_hours,
            rows: PartRows::default(),
            custom: None,
        }
    }

    /// The merged facts over `window`, which must be the run's ([`Run`]'s labels say which).
    pub fn into_facts(self, window: Window) -> Facts {
        Facts {
            window,
            entities: self.run.entities,
            balances: self.balances,
            flows: self.flows,
            time_to_fund: self.time_to_fund,
            decision_hours: self.decision_hours,
            custom: Default::default(),
            credited: Credited::default(),
        }
    }

    /// Keeps the periods `first` to `last` of the part's, when it holds them all (and the labels
    /// are of its grain); returns whether it did. The periods of a run's window do not depend on
    /// the window's other periods, so a part computed over more periods holds the run's.
    pub fn trim(&mut self, first: &str, last: &str) -> bool {
        let key = |s: &str| crate::periods::label_key(s).ok();
        let (Some(a), Some(b), Some(f), Some(l)) = (
            key(&self.run.first),
            key(&self.run.last),
            key(first),
            key(last),
        ) else {
            return false;
        };
        if a.0 != f.0 || b.0 != l.0 || f.1 < a.1 || l.1 > b.1 || f.1 > l.1 {
            return false;
        }
        if (f.1, l.1) == (a.1, b.1) {
            return true;
        }
        let (have, off, len) = (
            window_len(&self.run),
            (f.1 - a.1) as usize,
            (l.1 - f.1 + 1) as usize,
        );
        if let Some(c) = &mut self.custom {
            c.trim(off, len);
        }
        let kept: Vec<usize> = (0..self.run.entities)
            .flat_map(|e| e * have + off..e * have + off + len)
            .collect();
        self.balances = kept.iter().map(|&i| self.balances[i]).collect();
        self.flows = kept.iter().map(|&i| self.flows[i]).collect();
        for s in [&mut self.time_to_fund, &mut self.decision_hours] {
            *s = std::mem::take(s)
                .into_iter()
                .filter_map(|((e, k), v)| {
                    let k = (k as usize).checked_sub(off).filter(|&k| k < len)?;
                    Some(((e, k as u32), v))
                })
                .collect();
        }
        self.run.first = first.to_string();
        self.run.last = last.to_string();
        true
    }

    fn add(&mut self, o: Partial) {
        for (a, b) in self.balances.iter_mut().zip(&o.balances) {
            a.add(b);
        }
        for (a, b) in self.flows.iter_mut().zip(&o.flows) {
            a.add(b);
        }
        for (key, v) in o.time_to_fund {
            self.time_to_fund.entry(key).or_default().extend(v);
        }
        for (key, v) in o.decision_hours {
            self.decision_hours.entry(key).or_default().extend(v);
        }
        self.rows.add(o.rows);
        match (&mut self.custom, o.custom) {
            (Some(mine), Some(theirs)) => mine.add(theirs),
            (None, theirs) => self.custom = theirs,
            (Some(_), None) => {}
        }
    }
}

/// The cells of a part's tables: entities × periods. A part's tables are checked against it; the
/// labels themselves are checked against the pipeline by the caller.
pub(crate) fn window_len(run: &Run) -> usize {
    let key = |s: &str| crate::periods::label_key(s).map(|(_, p)| p);
    match (key(&run.first), key(&run.last)) {
        (Ok(a), Ok(b)) if b >= a => (b - a + 1) as usize,
        _ => 0,
    }
}

/// The first field in which `b` is not of run `a`.
pub fn differs(a: &Run, b: &Run) -> Option<&'static str> {
    let fields: [(&'static str, bool); 8] = [
        ("the program's version", a.version == b.version),
        ("the pipeline", a.pipeline_sha256 == b.pipeline_sha256),
        ("the input files", a.inputs_xxh3 == b.inputs_xxh3),
        ("the grain", a.grain == b.grain),
        ("the first period", a.first == b.first),
        ("the last period", a.last == b.last),
        ("the employees", a.entities == b.entities),
        ("the number of parts", a.count == b.count),
    ];
    fields.into_iter().find(|(_, same)| !same).map(|(w, _)| w)
}

/// Parts added up one at a time, each checked as it comes: a merge holds the sum and the part
/// being added, never all the parts.
#[derive(Debug, Default)]
pub struct Merger {
    all: Option<Partial>,
    /// The index of the first part added, which the others are checked against.
    first: u64,
    seen: BTreeSet<u64>,
}

impl Merger {
    /// Adds part `p`: refused when it is of another run than the first, out of range, given
    /// before, or its tables are not of the run's size.
    pub fn add(&mut self, p: Partial) -> Result<(), MergeError> {
        if let Some(all) = &self.all {
            if let Some(what) = differs(&all.run, &p.run) {
                return Err(MergeError::OtherRun {
                    index: p.index,
                    first: self.first,
                    what,
                });
            }
        }
        let count = p.run.count;
        if p.index >= count {
            return Err(MergeError::OutOfRange {
                index: p.index,
                count,
            });
        }
        if !self.seen.insert(p.index) {
            return Err(MergeError::Duplicated { index: p.index });
        }
        let cells = p.run.entities * window_len(&p.run);
        if p.balances.len() != cells || p.flows.len() != cells {
            return Err(MergeError::Damaged { index: p.index });
        }
        match &mut self.all {
            Some(all) => all.add(p),
            None => {
                self.first = p.index;
                self.all = Some(p);
            }
        }
        Ok(())
    }

    /// The facts of one run over all the clients, exactly, once every part of the run was added.
    pub fn finish(self) -> Result<Partial, MergeError> {
        let mut all = self.all.ok_or(MergeError::NoParts)?;
        let count = all.run.count;
        if let Some(index) = (0..count).find(|k| !self.seen.contains(k)) {
            return Err(MergeError::Missing { index, count });
        }
        for v in all
            .time_to_fund
            .values_mut()
            .chain(all.decision_hours.values_mut())
        {
            v.sort_by(f64::total_cmp);
        }
        Ok(all)
    }
}

/// The facts of every part added up ([`Merger`]): the facts of one run over all the clients,
/// exactly. The parts may come in any order.
pub fn merge(parts: Vec<Partial>) -> Result<Partial, MergeError> {
    let mut m = Merger::default();
    for p in parts {
        m.add(p)?;
    }
    m.finish()
}
