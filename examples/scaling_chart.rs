//! Draws BENCHMARKS.md's scaling curve with the report's own chart code: time and peak memory
//! against input rows, factorscore and the DuckDB reference side by side.
//!
//! `cargo run --example scaling_chart -- bench/scaling.csv docs/`
//! reads a CSV with the header
//! `preset,input_rows,factorscore_s,factorscore_mib,duckdb_s,duckdb_mib` (one row per preset;
//! an empty cell is a gap) and writes `scaling-time.svg` and `scaling-memory.svg` in the folder.

use factorscore::report::svg::{line_chart, Series, Unit};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (csv, out) = match args.as_slice() {
        [_, csv, out] => (csv, std::path::Path::new(out)),
        _ => return Err("usage: scaling_chart SCALING.csv OUT_DIR".into()),
    };
    let text = std::fs::read_to_string(csv)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty CSV")?.split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let rows: Vec<Vec<&str>> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').collect())
        .collect();
    let cell = |r: &Vec<&str>, name: &str| -> Option<f64> {
        r.get(col(name)?).and_then(|v| v.trim().parse().ok())
    };
    let x: Vec<String> = rows
        .iter()
        .map(|r| {
            let millions = cell(r, "input_rows").unwrap_or(0.0) / 1e6;
            format!("{} ({millions:.1}M rows)", r[0].to_uppercase())
        })
        .collect();
    let series = |name: &str, column: &str| Series {
        name: name.into(),
        values: rows.iter().map(|r| cell(r, column)).collect(),
    };
    let charts = [
        (
            "scaling-time.svg",
            "Backfill wall time (s) against input rows",
            [
                ("factorscore", "factorscore_s"),
                ("DuckDB SQL reference", "duckdb_s"),
            ],
        ),
        (
            "scaling-memory.svg",
            "Peak RSS (MiB) against input rows",
            [
                ("factorscore", "factorscore_mib"),
                ("DuckDB SQL reference", "duckdb_mib"),
            ],
        ),
    ];
    for (file, title, pairs) in charts {
        let s: Vec<Series> = pairs.iter().map(|(n, c)| series(n, c)).collect();
        let svg = line_chart(title, &x, &s, Unit::Plain, "not measured");
        std::fs::write(out.join(file), svg)?;
    }
    Ok(())
}
