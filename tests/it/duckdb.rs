//! BI compatibility: the output folder read as one Hive-partitioned table by DuckDB.

use std::process::Command;

use crate::cli::run_ok;

/// Runs a Python snippet with DuckDB imported as `duckdb`; returns its stdout.
pub fn duckdb(script: &str) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!("import duckdb\n{script}"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "DuckDB for Python is needed: run `bash scripts/install-test-deps.sh`\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn duckdb_reads_the_sample_backfill_as_one_table() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    run_ok(&root.join("pipelines/monthly.yaml"), &[], tmp.path());
    let got = duckdb(&format!(
        r#"
c = duckdb.connect(); c.execute('SET enable_progress_bar = false')
t = "read_parquet('{out}/scorecards/**/*.parquet', hive_partitioning = true)"
rows, periods, first, last, grains = c.sql(f"select count(*), count(distinct period), min(period), max(period), string_agg(distinct grain) from {{t}}").fetchone()
# Employee-months employed, from the HR file alone.
expected = c.sql("""
  with months as (select unnest(generate_series(date '2024-01-01', date '2026-10-01', interval 1 month)) as ms),
       e as (select * from read_csv('{emp}', all_varchar = true))
  select count(*) from months, e
  where cast(hire_date as date) <= last_day(ms)
    and (termination_date is null or cast(termination_date as date) >= ms)
""").fetchone()[0]
types = dict(c.sql(f"select column_name, column_type from (describe select * from {{t}})").fetchall())
print(rows, expected, periods, first, last, grains, types['outstanding'], types['dso'], types['new_clients'], types['period_end'], types['period'])
"#,
        out = tmp.path().display(),
        emp = root.join("sample_data/employees.csv").display()
    ));
    let parts: Vec<&str> = got.split_whitespace().collect();
    assert_eq!(parts[0], parts[1], "rows = employee-months employed: {got}");
    assert_eq!(
        &parts[2..],
        [
            "34",
            "2024-01",
            "2026-10",
            "month",
            "DECIMAL(38,2)",
            "DOUBLE",
            "BIGINT",
            "DATE",
            "VARCHAR"
        ],
        "{got}"
    );
}

/// Typed Parquet sources (decimal money, date columns, written by DuckDB) give the same
/// scorecards as the CSV files they came from.
#[test]
fn typed_parquet_sources_match_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let src = crate::common::fixture("worked_example");
    let pq = tmp.path().join("pq");
    std::fs::create_dir_all(pq.join("input")).unwrap();
    duckdb(&format!(
        r#"
import os
c = duckdb.connect(); c.execute('SET enable_progress_bar = false')
src, dst = '{src}', '{dst}'
money = {{'face_amount', 'advance_amount', 'amount', 'requested_amount', 'base_salary'}}
dates = {{'purchase_date', 'due_date', 'paid_on', 'written_off_on', 'booked_on', 'valid_from', 'valid_to', 'hire_date', 'termination_date', 'rate_date', 'reviewed_on'}}
for f in os.listdir(src + '/input'):
    t = f[:-4]
    cols = [r[0] for r in c.sql(f"describe select * from read_csv('{{src}}/input/{{f}}', all_varchar = true)").fetchall()]
    sel = ', '.join(
        f"cast({{x}} as decimal(18,2)) as {{x}}" if x in money else f"cast({{x}} as date) as {{x}}" if x in dates else x
        for x in cols)
    c.sql(f"copy (select {{sel}} from read_csv('{{src}}/input/{{f}}', all_varchar = true)) to '{{dst}}/input/{{t}}.parquet'")
"#,
        src = src.display(),
        dst = pq.display()
    ));
    let yaml = std::fs::read_to_string(src.join("pipeline.yaml"))
        .unwrap()
        .replace(".csv", ".parquet");
    std::fs::write(pq.join("pipeline.yaml"), yaml).unwrap();
    let run = |pipeline: &std::path::Path, out: &std::path::Path| {
        run_ok(pipeline, &[], out);
    };
    run(&src.join("pipeline.yaml"), &tmp.path().join("out_csv"));
    run(&pq.join("pipeline.yaml"), &tmp.path().join("out_pq"));
    let diff = duckdb(&format!(
        r#"
c = duckdb.connect(); c.execute('SET enable_progress_bar = false')
a = "read_parquet('{a}/scorecards/**/*.parquet')"
b = "read_parquet('{b}/scorecards/**/*.parquet')"
n = c.sql(f"select count(*) from {{a}}").fetchone()[0]
d = c.sql(f"select count(*) from (select * from {{a}} except select * from {{b}})").fetchone()[0]
print(n, d)
"#,
        a = tmp.path().join("out_csv").display(),
        b = tmp.path().join("out_pq").display()
    ));
    assert_eq!(diff, "6 0");
}
