//! A source as read, before any of its cells is checked: a Polars `DataFrame` of string columns
//! under their canonical names ([`RawTable`]), with the file and row every value came from.

use std::path::PathBuf;

use polars::prelude::*;

use crate::tables::Table;

/// One file a source matched.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub path: PathBuf,
    pub rows: usize,
    /// xxh3-64 of the file's bytes, hex.
    pub fingerprint: String,
    /// Global index of the file's first row in its table.
    pub first_row: usize,
    /// CSV only: `(row, line)` for each row (0-based within the file) that starts on another
    /// line than the row before it plus one, because a quoted value holds a line break; later
    /// rows count on from it. Empty when every row `r` is on line `r + 2`.
    pub line_marks: Vec<(usize, usize)>,
    /// A shard's bucket ([`crate::buckets`]): the row within the file (0-based) of each of the
    /// table's rows from this file, in order. Empty when they are the file's rows, all of them.
    pub origin: Vec<u32>,
}

impl FileInfo {
    /// Where row `r` (0-based) of the file is; with its line when the file is text (`lines`).
    pub fn row_ref(&self, r: usize, lines: bool) -> RowRef {
        let k = self.line_marks.partition_point(|m| m.0 <= r);
        let line = match k.checked_sub(1).map(|k| self.line_marks[k]) {
            Some((r0, l0)) => l0 + (r - r0),
            None => r + 2,
        };
        RowRef {
            file: self.path.clone(),
            row: r + 1,
            line: lines.then_some(line),
        }
    }
}

/// A row found malformed while a file is read, before any of its cells is checked: a CSV row
/// with more or fewer fields than the header. The parse step reports it like a rule break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBreak {
    /// 0-based global row of the table.
    pub row: usize,
    /// Canonical column name, or "" for the whole row.
    pub column: &'static str,
    /// The row's text as read (cut to 120 characters).
    pub value: String,
    pub rule: String,
}

/// A source read into memory: canonical string columns, and where each row came from.
#[derive(Debug)]
pub struct RawTable {
    pub table: Table,
    /// Whether the rows were read from text with a header line (CSV), so that each has a line
    /// number; Parquet rows have none.
    pub lines: bool,
    pub files: Vec<FileInfo>,
    pub df: DataFrame,
    /// Rows found malformed while reading, in row order.
    pub breaks: Vec<ReadBreak>,
}

/// Where a row of a table came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRef {
    pub file: PathBuf,
    /// 1-based data row within the file.
    pub row: usize,
    /// 1-based line of a CSV file (the header is line 1); `None` for Parquet.
    pub line: Option<usize>,
}

impl std::fmt::Display for RowRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{} (row {})", self.file.display(), l, self.row),
            None => write!(f, "{} (row {})", self.file.display(), self.row),
        }
    }
}

impl RawTable {
    /// Rows read, in all files.
    pub fn height(&self) -> usize {
        self.files
            .iter()
            .map(|f| f.rows)
            .sum::<usize>()
            .max(self.df.height())
    }

    /// Drops every column but `keep`, once the rows are checked, so that the memory is reused
    /// by the rest of the run instead of fresh pages the kernel must zero.
    pub fn retain_columns(&mut self, keep: &[&str]) {
        let cols: Vec<Column> = self
            .df
            .columns()
            .iter()
            .filter(|c| keep.contains(&c.name().as_str()))
            .cloned()
            .collect();
        self.df = DataFrame::new(self.df.height(), cols).unwrap_or_default();
        // A source of many files is a chunk per file: the columns kept are copied into one, so
        // that their chunks do not hold the pages of everything freed around them.
        self.df.rechunk_mut();
    }

    /// Whether the reader found row `i` malformed.
    pub fn read_broken(&self, i: usize) -> bool {
        !self.breaks.is_empty() && self.breaks.binary_search_by_key(&i, |b| b.row).is_ok()
    }

    /// The file row `i` (0-based) came from (its index in [`RawTable::files`]) and its row there
    /// (0-based); `None` when the table lists no file.
    pub fn file_row(&self, i: usize) -> Option<(usize, usize)> {
        let k = self
            .files
            .partition_point(|f| f.first_row <= i)
            .saturating_sub(1);
        let f = self.files.get(k)?;
        let r = i - f.first_row;
        Some((k, f.origin.get(r).map_or(r, |&o| o as usize)))
    }

    /// Where global row `i` (0-based) came from.
    pub fn row_ref(&self, i: usize) -> RowRef {
        match self.file_row(i) {
            Some((k, r)) => self.files[k].row_ref(r, self.lines),
            None => RowRef {
                file: PathBuf::new(),
                row: i + 1,
                line: None,
            },
        }
    }

    /// A canonical text column; `None` when it is absent or typed.
    pub fn column(&self, name: &str) -> Option<&StringChunked> {
        self.df.column(name).ok().and_then(|c| c.str().ok())
    }

    /// An empty table with every canonical column, for optional tables a pipeline leaves out.
    pub fn empty(table: Table) -> RawTable {
        let cols: Vec<Column> = table
            .columns()
            .iter()
            .map(|c| Column::new(c.name.into(), Vec::<Option<String>>::new()))
            .collect();
        RawTable {
            table,
            lines: true,
            files: Vec::new(),
            df: DataFrame::new_infer_height(cols).unwrap_or_default(),
            breaks: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_kept_of_a_table_of_many_files_are_one_chunk_each() {
        let file = |ids: &[&str]| {
            let ids = Column::new("collection_id".into(), ids.to_vec());
            let n = ids.len();
            let amounts = Column::new("amount".into(), vec!["1.00"; n]);
            DataFrame::new(n, vec![ids, amounts]).unwrap()
        };
        let mut df = file(&["C1", "C2"]);
        df.vstack_mut(&file(&["C3"])).unwrap();
        let mut t = RawTable {
            df,
            ..RawTable::empty(Table::Collections)
        };
        assert_eq!(t.df.column("collection_id").unwrap().n_chunks(), 2);
        t.retain_columns(&["collection_id"]);
        let kept = t.column("collection_id").unwrap();
        assert_eq!(t.df.get_column_names(), ["collection_id"]);
        assert_eq!(kept.chunks().len(), 1);
        let ids: Vec<_> = kept.iter().flatten().collect();
        assert_eq!(ids, ["C1", "C2", "C3"]);
    }
}
