//! What a merge would otherwise read the large tables for (`docs/partials.md`, step 2): each
//! table's files (for the manifest and the reconciliation), the rows the part used, the rows it
//! left out with their rule breaks and cells (for `rejects`), and the part's first and last days
//! (for a window the data gives). A merge of parts that carry these reads only the small tables.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::periods::Day;

/// A part's record of its large tables' rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRows {
    /// The first purchase day and the last day of an invoice or event of the part's used rows.
    pub extent: Option<(Day, Day)>,
    pub tables: Vec<PartTable>,
}

/// One large table, as far as a part knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartTable {
    pub table: String,
    /// Whether its files are text with a header (CSV), whose rows have lines.
    pub lines: bool,
    /// Every file of the table (not only the part's), with its rows.
    pub files: Vec<PartFile>,
    /// The part's rows the run uses.
    pub used: usize,
    /// The rule breaks of the rows the part left out, in its order.
    pub breaks: Vec<PartBreak>,
}

/// An input file: where, how many rows, its fingerprint, and where rows start a line later than
/// the row before plus one (see [`crate::raw::FileInfo`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartFile {
    pub path: String,
    pub rows: usize,
    pub fingerprint: String,
    pub line_marks: Vec<(usize, usize)>,
}

impl From<&crate::raw::FileInfo> for PartFile {
    fn from(f: &crate::raw::FileInfo) -> Self {
        PartFile {
            path: f.path.display().to_string(),
            rows: f.rows,
            fingerprint: f.fingerprint.clone(),
            line_marks: f.line_marks.clone(),
        }
    }
}

/// A rule break of a row left out: its row among all the table's rows, the break, and the row's
/// cells as the `rejects` table shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartBreak {
    pub row: u32,
    pub column: String,
    pub value: String,
    pub rule: String,
    pub cascade: bool,
    pub cells: String,
}

impl PartRows {
    /// Adds `o`, a later part's. Without buckets every part read every row and lists the same
    /// breaks: a row's breaks are taken from the first part that lists the row.
    pub fn add(&mut self, o: PartRows) {
        self.extent = match (self.extent, o.extent) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        for t in o.tables {
            let Some(mine) = self.tables.iter_mut().find(|m| m.table == t.table) else {
                self.tables.push(t);
                continue;
            };
            mine.used += t.used;
            let seen: HashSet<u32> = mine.breaks.iter().map(|b| b.row).collect();
            mine.breaks
                .extend(t.breaks.into_iter().filter(|b| !seen.contains(&b.row)));
        }
    }
}
