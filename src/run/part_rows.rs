//! A shard's record of its large tables' rows ([`PartRows`]), so that the merge need not read
//! them: every file of each table, the rows the part uses, and the breaks of the rows it left out
//! with their cells, each row numbered among all the table's rows as one machine numbers it.

use crate::buckets::{Buckets, BUCKETED};
use crate::model::Ledger;
use crate::partials::{PartBreak, PartFile, PartRows, PartTable};
use crate::problems::Problems;
use crate::raw::RawTable;
use crate::tables::Table;

/// Every file of `r`'s table: from the buckets' summaries, or `r` itself when it holds every
/// row.
fn files(r: &RawTable, buckets: Option<&Buckets>) -> Vec<PartFile> {
    match buckets.filter(|_| BUCKETED.contains(&r.table)) {
        Some(b) => b.files(r.table).into_iter().map(PartFile::from).collect(),
        None => r.files.iter().map(PartFile::from).collect(),
    }
}

/// Each file of `r`'s table's first row among all of the table's rows: from the buckets'
/// summaries, or `r`'s own when it holds every row.
fn first_rows(r: &RawTable, buckets: Option<&Buckets>) -> Vec<usize> {
    let Some(b) = buckets.filter(|_| BUCKETED.contains(&r.table)) else {
        return r.files.iter().map(|f| f.first_row).collect();
    };
    b.files(r.table)
        .into_iter()
        .scan(0, |at, e| {
            let first = *at;
            *at += e.rows;
            Some(first)
        })
        .collect()
}

/// Row `i` of `r` among all of its table's rows (`first`: each file's first row there).
fn global_row(r: &RawTable, first: &[usize], i: usize) -> usize {
    match r.file_row(i) {
        Some((k, row)) => first.get(k).copied().unwrap_or(0) + row,
        None => i,
    }
}

/// The part's record of its large tables, from its raw tables (their rows left out still whole),
/// its checked ledger and its problems.
pub(super) fn part_rows(
    raw: &[RawTable],
    l: &Ledger,
    problems: &Problems,
    buckets: Option<&Buckets>,
) -> PartRows {
    let tables = raw
        .iter()
        .filter(|r| BUCKETED.contains(&r.table))
        .map(|r| {
            let files = files(r, buckets);
            let first = first_rows(r, buckets);
            let breaks = problems
                .breaks
                .iter()
                .filter(|b| b.table == r.table)
                .map(|b| PartBreak {
                    row: global_row(r, &first, b.row as usize) as u32,
                    column: b.column.to_string(),
                    value: b.value.clone(),
                    rule: b.rule.clone(),
                    cascade: b.cascade,
                    cells: crate::rejects::values(r, b.row as usize),
                })
                .collect();
            PartTable {
                table: r.table.name().to_string(),
                lines: r.lines,
                files,
                used: l.row_counts().get(r.table).unwrap_or(0),
                breaks,
            }
        })
        .collect();
    PartRows {
        extent: super::options::data_extent(l),
        tables,
    }
}

/// Each fact's place among one machine's rows of its table: its raw row among all the table's
/// rows, by model index, per table (see [`crate::metrics::custom::parts`]).
pub(super) struct Places {
    invoices: Vec<u64>,
    collections: Vec<u64>,
    write_offs: Vec<u64>,
    fees: Vec<u64>,
    applications: Vec<u64>,
    reviews: Vec<u64>,
}

impl Places {
    pub(super) fn of(raw: &[RawTable], l: &Ledger, buckets: Option<&Buckets>) -> Places {
        let global = |t: Table, rows: &[u32]| -> Vec<u64> {
            let Some(r) = raw.iter().find(|r| r.table == t) else {
                return rows.iter().map(|&i| i as u64).collect();
            };
            let first = first_rows(r, buckets);
            rows.iter()
                .map(|&i| global_row(r, &first, i as usize) as u64)
                .collect()
        };
        Places {
            invoices: global(Table::Invoices, &l.invoices.row),
            collections: global(Table::Collections, &l.collections.row),
            write_offs: global(Table::WriteOffs, &l.write_offs.row),
            fees: global(Table::Fees, &l.fees.row),
            applications: global(Table::Applications, &l.applications.row),
            reviews: global(Table::Reviews, &l.reviews.row),
        }
    }

    /// The place of a row of custom table `t`: its fact's raw row, then (for a balance) its
    /// period.
    pub(super) fn place(&self, t: crate::catalogue::CustomTable, fact: u32, k: usize) -> u64 {
        use crate::catalogue::CustomTable as C;
        let rows = match t {
            C::Invoices | C::Balances => &self.invoices,
            C::Collections => &self.collections,
            C::WriteOffs => &self.write_offs,
            C::Fees => &self.fees,
            C::Applications => &self.applications,
            C::Reviews => &self.reviews,
        };
        let row = rows.get(fact as usize).copied().unwrap_or(u64::MAX >> 16);
        let k = if t == C::Balances { k as u64 } else { 0 };
        (row << 16) | k
    }
}
