//! `generate --monthly`: the large tables as one file per month, as ledgers exported each month
//! are, so that a month's new data is new files and the older files stay as they were (which is
//! what lets a run use the output's checkpoint).

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::Error;
use crate::tables::Table;

/// The tables split, and the column whose month names each row's file.
pub const SPLIT: [(Table, &str); 5] = [
    (Table::Applications, "received_at"),
    (Table::Invoices, "purchase_date"),
    (Table::Collections, "paid_on"),
    (Table::WriteOffs, "written_off_on"),
    (Table::Fees, "booked_on"),
];

/// The folder of table `t`'s monthly files under `dir`.
pub fn folder(dir: &Path, t: Table) -> PathBuf {
    dir.join(t.name())
}

/// Splits each of the [`SPLIT`] tables' CSV files under `dir` into `TABLE/TABLE-YYYY-MM.csv`,
/// in the rows' order, and removes the whole file.
pub fn by_month(dir: &Path) -> Result<(), Error> {
    let what = "splitting generated data by month";
    for (t, column) in SPLIT {
        let csv = dir.join(format!("{}.csv", t.name()));
        let df = read_text(&csv).map_err(Error::polars(what))?;
        let dates = df
            .column(column)
            .and_then(|c| c.str().cloned())
            .map_err(Error::polars(what))?;
        let mut months: Vec<(String, Vec<IdxSize>)> = Vec::new();
        for (i, d) in dates.iter().enumerate() {
            let m = d.and_then(|d| d.get(..7)).unwrap_or("0000-00");
            match months.iter_mut().find(|x| x.0 == m) {
                Some(x) => x.1.push(i as IdxSize),
                None => months.push((m.to_string(), vec![i as IdxSize])),
            }
        }
        months.sort_by(|a, b| a.0.cmp(&b.0));
        let out = folder(dir, t);
        std::fs::create_dir_all(&out).map_err(|source| Error::Write {
            path: out.clone(),
            source,
        })?;
        for (m, rows) in months {
            let mut part = df
                .take(&IdxCa::from_vec("i".into(), rows))
                .map_err(Error::polars(what))?;
            let path = out.join(format!("{}-{m}.csv", t.name()));
            let file = std::fs::File::create(&path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            CsvWriter::new(file)
                .finish(&mut part)
                .map_err(|source| Error::WriteParquet { path, source })?;
        }
        std::fs::remove_file(&csv).map_err(|source| Error::Write { path: csv, source })?;
    }
    Ok(())
}

/// A generated CSV file, every column as text.
pub(super) fn read_text(csv: &Path) -> PolarsResult<DataFrame> {
    CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .try_into_reader_with_file_path(Some(csv.to_path_buf()))
        .and_then(|r| r.finish())
}

/// The CSV files of table `t` under `dir`: its one file, or its monthly files in order.
pub fn csv_files(dir: &Path, t: Table) -> Vec<PathBuf> {
    let whole = dir.join(format!("{}.csv", t.name()));
    if whole.exists() {
        return vec![whole];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder(dir, t))
        .map(|list| {
            list.filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "csv"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
