//! Every input row is accounted for: per table, the rows read, the rows used and the rows
//! rejected are each measured on their own (the reader's count, the checked ledger's count,
//! the distinct rejected rows), and a run stops when read ≠ used + rejected.

use serde::{Deserialize, Serialize};

use crate::config::Plan;
use crate::error::Error;
use crate::model::{Ledger, RowCounts};
use crate::problems::Problems;
use crate::raw::{FileInfo, RawTable};
use crate::tables::Table;

#[derive(Debug, Serialize, Deserialize)]
pub struct InputReport {
    pub table: String,
    pub rows_read: usize,
    pub rows_used: usize,
    pub rows_rejected: usize,
    pub files: Vec<FileReport>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    pub rows: usize,
    pub xxh3: String,
}

impl From<&FileInfo> for FileReport {
    fn from(f: &FileInfo) -> Self {
        FileReport {
            path: f.path.display().to_string(),
            rows: f.rows,
            xxh3: f.fingerprint.clone(),
        }
    }
}

/// Rows of `t` in the checked ledger, the rows scoring left out (`scoring`) aside. `held` counts
/// the tables the run freed once it had the facts.
pub fn rows_used(l: &Ledger, held: &RowCounts, t: Table, scoring: &Problems) -> usize {
    let kept = |rows: &mut dyn Iterator<Item = u32>| {
        let gone = scoring.rejected_rows(t);
        rows.filter(|r| gone.binary_search(r).is_err()).count()
    };
    if let Some(n) = held.get(t) {
        return n;
    }
    match t {
        Table::Assignments => l.assignments.iter().map(Vec::len).sum(),
        Table::Employees => l.employees.ids.len(),
        Table::OrgHistory => l.org.iter().map(Vec::len).sum(),
        Table::FxRates => l.fx.rates.iter().map(Vec::len).sum(),
        Table::Targets => kept(&mut l.targets.iter().map(|r| r.row)),
        Table::Adjustments => kept(&mut l.adjustments.iter().map(|r| r.row)),
        // Counted in `held`.
        Table::Invoices
        | Table::Collections
        | Table::WriteOffs
        | Table::Fees
        | Table::Applications
        | Table::Reviews => 0,
    }
}

/// The counts of every source, checked: read = used + rejected, and the rejected shares
/// within the pipeline's limits. `problems` holds every row left out; `scoring` those that
/// scoring left out, which the ledger still holds.
pub fn inputs(
    plan: &Plan,
    raw: &[RawTable],
    (l, held): (&Ledger, &RowCounts),
    problems: &Problems,
    scoring: &Problems,
) -> Result<Vec<InputReport>, Error> {
    let mut reports = Vec::with_capacity(raw.len());
    let mut over = Vec::new();
    for r in raw {
        let rejected = problems.rejected_count(r.table);
        let report = InputReport {
            table: r.table.name().to_string(),
            rows_read: r.height(),
            rows_used: rows_used(l, held, r.table, scoring),
            rows_rejected: rejected,
            files: r.files.iter().map(FileReport::from).collect(),
        };
        if report.rows_read != report.rows_used + report.rows_rejected {
            return Err(Error::Unreconciled {
                table: r.table.name(),
                read: report.rows_read,
                used: report.rows_used,
                rejected: report.rows_rejected,
            });
        }
        let limit = plan.source(r.table).and_then(|s| s.max_rejected_share);
        if let Some(max) = limit {
            if exceeds(rejected, report.rows_read, max) {
                over.push(share_line(r.table.name(), rejected, report.rows_read, max));
            }
        }
        reports.push(report);
    }
    if let Some(max) = plan.max_rejected_share {
        let read: usize = reports.iter().map(|r| r.rows_read).sum();
        let rejected: usize = reports.iter().map(|r| r.rows_rejected).sum();
        if exceeds(rejected, read, max) {
            over.push(share_line("all sources", rejected, read, max));
        }
    }
    if !over.is_empty() {
        let mut listing = problems.clone();
        listing.breaks.sort_by_key(|b| b.cascade);
        return Err(Error::TooManyRejected {
            over,
            rows: listing.listing(),
        });
    }
    Ok(reports)
}

fn exceeds(rejected: usize, read: usize, max: f64) -> bool {
    read > 0 && rejected as f64 > max * read as f64
}

fn share_line(what: &str, rejected: usize, read: usize, max: f64) -> String {
    format!(
        "{what}: {rejected} of {read} rows rejected ({:.2} %), more than max_rejected_share {max} ({:.2} %)",
        100.0 * rejected as f64 / read as f64,
        100.0 * max
    )
}
