//! A merge whose parts carry their large tables' rows (`docs/partials.md`, step 2): it reads and
//! checks only the small tables (employees, org history, rates, assignments, targets,
//! adjustments). The large tables' files, the rows each part used, and the breaks of the rows
//! the parts left out, with their cells, come from the parts ([`PartRows`]); the reconciliation,
//! `rejects` and the manifest are then those of a run reading every row.

use std::path::PathBuf;

use super::load::{apply_events, Loaded};
use super::stream::{read_and_check, Start};
use crate::buckets::BUCKETED;
use crate::checkpoint::CheckpointUse;
use crate::config::Plan;
use crate::error::Error;
use crate::manifest::InputFiles;
use crate::model::RowCounts;
use crate::partials::{PartRows, PartTable};
use crate::raw::{FileInfo, RawTable};
use crate::tables::Table;
use crate::timings::Timings;

fn part_table(rows: &PartRows, t: Table) -> Option<&PartTable> {
    rows.tables.iter().find(|x| x.table == t.name())
}

/// The input files as a run reading every one lists them: the small tables' fingerprinted here,
/// the large tables' as the parts read them.
pub(super) fn inputs(plan: &Plan, rows: &PartRows) -> Result<Vec<InputFiles>, Error> {
    plan.sources
        .iter()
        .map(|src| {
            let files = match part_table(rows, src.table) {
                Some(x) if BUCKETED.contains(&src.table) => x
                    .files
                    .iter()
                    .map(|f| (f.path.clone(), f.fingerprint.clone()))
                    .collect(),
                _ => crate::sources::fingerprints(plan, src)?,
            };
            Ok((src.table.name().to_string(), files))
        })
        .collect()
}

/// Large table `t` as its files alone: every row's place, and no cells.
fn files_only(t: Table, x: Option<&PartTable>) -> RawTable {
    let mut r = RawTable::empty(t);
    let Some(x) = x else {
        return r;
    };
    r.lines = x.lines;
    let mut first_row = 0;
    for f in &x.files {
        r.files.push(FileInfo {
            path: PathBuf::from(&f.path),
            rows: f.rows,
            fingerprint: f.fingerprint.clone(),
            first_row,
            line_marks: f.line_marks.clone(),
            origin: Vec::new(),
        });
        first_row += f.rows;
    }
    r
}

/// The small tables read and checked, and the large tables as their files, with the breaks of
/// their rows left out taken from the parts (in row order, after the small tables' breaks).
pub(super) fn load(plan: &Plan, rows: &PartRows, timings: &mut Timings) -> Result<Loaded, Error> {
    let start = Start {
        large: false,
        ..Start::nothing()
    };
    let c = read_and_check(plan, timings, start)?;
    let mut loaded = apply_events(c.raw, c.ledger, c.problems, timings);
    let mut small = std::mem::take(&mut loaded.raw).into_iter();
    for src in &plan.sources {
        let t = src.table;
        if !BUCKETED.contains(&t) {
            loaded.raw.extend(small.next());
            continue;
        }
        let x = part_table(rows, t);
        let r = files_only(t, x);
        let mut breaks: Vec<_> = x.map(|x| x.breaks.iter().collect()).unwrap_or_default();
        breaks.sort_by_key(|b| b.row);
        for b in breaks {
            let column = t.column(&b.column).map_or("", |c| c.name);
            loaded.problems.add_found_elsewhere(
                &r,
                b.row as usize,
                (column, &b.value),
                b.rule.clone(),
                b.cascade,
                b.cells.clone(),
            );
        }
        loaded.raw.push(r);
    }
    Ok(loaded)
}

/// The rows of each large table the run uses, as the parts count them.
pub(super) fn held(rows: &PartRows) -> RowCounts {
    RowCounts::from_fn(|t| part_table(rows, t).map_or(0, |x| x.used))
}

/// What the manifest says of the checkpoint of such a merge: none is read or written.
pub(super) fn no_checkpoint() -> CheckpointUse {
    CheckpointUse {
        read_all_because: Some(
            "a merge takes the large tables from its parts and keeps no checkpoint".into(),
        ),
        ..CheckpointUse::default()
    }
}
