//! BI readers: each output table of the sample opened by the readers data teams use.
//! (See README "Output tables".)
//!
//! The sample backfill is written once; then DuckDB, pyarrow, pandas and Polars each read every
//! table folder as one Hive-partitioned table (`grain` and `period` from the folder names) and
//! report the row count, the distinct periods, the first and last period, the grains, a total
//! (money summed exactly as decimals; `weighted_score` to 6 places) and how `period` was typed.
//! All four must agree, and agree with what the run says it wrote. No sample-data figure is
//! pinned: the counts come from the run and the Parquet footers.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::Value;

use crate::cli::run_ok;

const TABLES: [&str; 3] = ["scorecards", "kpi_scores", "rollups"];

/// Shared by every reader's snippet: `report(figures)` calls `figures(table_folder, column)` per
/// table and prints one JSON object, table -> figures, with the totals made exact strings.
const PRELUDE: &str = r#"
import json, sys
from decimal import Decimal
OUT = sys.argv[1]
# The column totalled per table: money is Decimal(38,2), summed exactly; weighted_score is Float64.
TABLES = {'scorecards': 'bonus', 'kpi_scores': 'weighted_score', 'rollups': 'cash_collected'}
def total(col, x):
    if col == 'weighted_score':
        s = f'{float(x or 0.0):.6f}'
        return '0.000000' if s == '-0.000000' else s
    x = 0 if x is None else x  # a sum over no rows: null in SQL, 0 in pandas
    assert isinstance(x, (Decimal, int)), f'{col} summed to a {type(x).__name__}, not a Decimal: {x!r}'
    return str(Decimal(x).quantize(Decimal('0.01')))
def report(figures):
    res = {}
    for t, col in TABLES.items():
        f = figures(f'{OUT}/{t}', col)
        f['total'] = total(col, f['total'])
        if f['rows'] == 0:  # min/max/first value of nothing differ by reader and mean nothing
            f['first'] = f['last'] = f['period_value_type'] = None
        res[t] = f
    print(json.dumps(res))
"#;

/// (reader, snippet defining `figures` and calling `report`).
const READERS: [(&str, &str); 4] = [
    (
        "duckdb",
        r#"
import duckdb
c = duckdb.connect(); c.execute('SET enable_progress_bar = false')
def figures(path, col):
    t = f"read_parquet('{path}/**/*.parquet', hive_partitioning = true)"
    rows, periods, first, last, grains, tot = c.sql(
        f"select count(*), count(distinct period), min(period), max(period), "
        f"coalesce(string_agg(distinct grain, ',' order by grain), ''), sum({col}) from {t}").fetchone()
    types = dict(c.sql(f"select column_name, column_type from (describe select * from {t})").fetchall())
    v = c.sql(f"select period from {t} limit 1").fetchone()
    return dict(rows=rows, periods=periods, first=first, last=last, grains=grains, total=tot,
                period_type=types['period'], period_value_type=type(v[0]).__name__ if v else None)
report(figures)
"#,
    ),
    (
        "pyarrow",
        r#"
import pyarrow.dataset as ds, pyarrow.compute as pc
def figures(path, col):
    d = ds.dataset(path, format='parquet', partitioning='hive')
    t = d.to_table(columns=[col, 'period', 'grain'])
    p = t.column('period')
    return dict(rows=t.num_rows, periods=pc.count_distinct(p).as_py(), first=pc.min(p).as_py(),
                last=pc.max(p).as_py(), grains=','.join(sorted(set(t.column('grain').to_pylist()))),
                total=pc.sum(t.column(col)).as_py(), period_type=str(d.schema.field('period').type),
                period_value_type=type(p[0].as_py()).__name__ if len(p) else None)
report(figures)
"#,
    ),
    (
        "pandas",
        r#"
import pandas
def figures(path, col):
    df = pandas.read_parquet(path)
    p = df['period']
    values = p.tolist()
    ptype = str(p.dtype) + (f'<{p.cat.categories.dtype}>' if str(p.dtype) == 'category' else '')
    return dict(rows=len(df), periods=int(p.nunique()), first=min(values, default=None),
                last=max(values, default=None), grains=','.join(sorted(set(df['grain'].tolist()))),
                total=df[col].sum(), period_type=ptype,
                period_value_type=type(values[0]).__name__ if values else None)
report(figures)
"#,
    ),
    (
        "polars",
        r#"
import polars
def figures(path, col):
    df = polars.read_parquet(f'{path}/**/*.parquet', hive_partitioning=True)
    p = df['period']
    return dict(rows=df.height, periods=p.n_unique(), first=p.min(), last=p.max(),
                grains=','.join(sorted(set(df['grain'].to_list()))), total=df[col].sum(),
                period_type=str(p.dtype), period_value_type=type(p[0]).__name__ if len(p) else None)
report(figures)
"#,
    ),
];

/// Runs one reader's snippet on `out`; returns its figures per table. On failure, panics with the
/// command, the snippet and its output.
fn read_with(reader: &str, snippet: &str, out: &Path) -> BTreeMap<String, Value> {
    let script = format!("{PRELUDE}{snippet}");
    let o = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .arg(out)
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let shown = || {
        format!(
            "{reader}: `python3 -c SCRIPT {}` exited {:?} \
             (the readers are installed by `bash scripts/install-test-deps.sh`)\n\
             --- SCRIPT\n{script}\n--- stdout\n{stdout}\n--- stderr\n{}",
            out.display(),
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert!(o.status.success(), "{}", shown());
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}\n{}", shown()))
}

/// Rows per partition folder of `table`, from the Parquet footers: period -> rows.
fn footer_rows(out: &Path, table: &str) -> BTreeMap<String, i64> {
    let grain_dir = out.join(table).join("grain=month");
    let mut rows = BTreeMap::new();
    for e in std::fs::read_dir(&grain_dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let period = name
            .strip_prefix("period=")
            .expect("period=P folder")
            .to_string();
        let mut n = 0;
        for f in std::fs::read_dir(e.path()).unwrap().flatten() {
            let reader = SerializedFileReader::new(std::fs::File::open(f.path()).unwrap())
                .unwrap_or_else(|err| panic!("{}: {err}", f.path().display()));
            n += reader.metadata().file_metadata().num_rows();
        }
        rows.insert(period, n);
    }
    rows
}

/// "wrote N scorecard, M kpi_scores and K rollups rows in ..." -> [N, M, K].
fn reported_rows(stdout: &str) -> [u64; 3] {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("wrote "))
        .unwrap_or_else(|| panic!("no `wrote ...` line:\n{stdout}"));
    let w: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize, word: &str| {
        assert_eq!(w.get(i + 1).copied(), Some(word), "{line}");
        w[i].parse::<u64>().unwrap_or_else(|_| panic!("{line}"))
    };
    [
        num(1, "scorecard,"),
        num(3, "kpi_scores"),
        num(6, "rollups"),
    ]
}

#[test]
fn bi_readers_agree_on_every_table_of_the_sample() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let run = run_ok(&root.join("pipelines/monthly.yaml"), &[], out);
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();

    // What the run says it wrote: its message and its manifest agree.
    let reported = reported_rows(&stdout);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let periods: Vec<&str> = manifest["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(periods.len(), 34, "{periods:?}");
    for (t, n) in TABLES.iter().zip(reported) {
        assert_eq!(
            manifest["rows_written"][t], n,
            "{t}: message vs manifest\n{stdout}"
        );
    }

    let figures: Vec<(&str, BTreeMap<String, Value>)> = READERS
        .iter()
        .map(|(reader, snippet)| (*reader, read_with(reader, snippet, out)))
        .collect();
    let all = |t: &str| {
        figures
            .iter()
            .map(|(r, f)| format!("  {r:8} {}", f[t]))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (t, written) in TABLES.iter().zip(reported) {
        println!("{t}:\n{}", all(t));
        // One partition folder per period of the run, in every table; the footers hold its rows.
        let footers = footer_rows(out, t);
        assert_eq!(
            footers.keys().map(String::as_str).collect::<Vec<_>>(),
            periods,
            "{t}: partition folders"
        );
        assert_eq!(
            footers.values().sum::<i64>(),
            written as i64,
            "{t}: footer rows"
        );
        let non_empty = footers.values().filter(|&&n| n > 0).count();

        let (_, duck) = &figures[0];
        let d = &duck[*t];
        for (reader, f) in &figures[1..] {
            for key in ["rows", "periods", "first", "last", "grains", "total"] {
                assert_eq!(
                    f[*t][key],
                    d[key],
                    "{t}.{key}: {reader} differs from duckdb\n{}",
                    all(t)
                );
            }
        }
        assert_eq!(d["rows"], written, "{t}: rows read vs written\n{}", all(t));
        assert_eq!(d["periods"], non_empty, "{t}: distinct periods\n{}", all(t));
        if written > 0 {
            assert_eq!(d["grains"], "month", "{t}\n{}", all(t));
        }
        if *t != "kpi_scores" {
            // Every employee-month and every company-month has a row.
            assert_eq!(d["periods"], 34, "{t}\n{}", all(t));
            assert_eq!(d["first"], periods[0], "{t}\n{}", all(t));
            assert_eq!(d["last"], periods[33], "{t}\n{}", all(t));
        }

        // `period` reads as a string (`2024-01`), so BI tools group and sort by it as a label.
        for (reader, f) in &figures {
            let ty = f[*t]["period_type"].as_str().unwrap_or_default();
            let stringy = match *reader {
                "duckdb" => ty == "VARCHAR",
                "pyarrow" => {
                    ["string", "large_string", "string_view"].contains(&ty)
                        || ty.starts_with("dictionary<values=string")
                }
                "pandas" => [
                    "category<str>",
                    "category<object>",
                    "str",
                    "object",
                    "string",
                ]
                .contains(&ty),
                "polars" => ty == "String",
                _ => unreachable!(),
            };
            assert!(stringy, "{t}: {reader} typed `period` as {ty}\n{}", all(t));
            if written > 0 {
                assert_eq!(
                    f[*t]["period_value_type"],
                    "str",
                    "{t}: {reader}\n{}",
                    all(t)
                );
            }
        }
    }
    assert_eq!(
        figures[0].1["scorecards"]["rows"], reported[0],
        "scorecards rows read = the scorecards rows the run reported"
    );
}
