//! The differential test: factorscore against an independent DuckDB SQL reference of the
//! contract (bench/reference.py with bench/reference*.sql): every metric (section 3 and the
//! pipeline's custom metrics of 3.1), score, KPI score and rollup of every row, at month and
//! quarter grain. The reference itself is checked against hand-computed custom metrics
//! (tests/reference/check_custom_metrics.py).

use std::path::Path;
use std::process::Command;

use factorscore::frame::metric_defs;
use factorscore::outputs::{kpi_scores, rollups, scorecards, ColumnDef, OutputTable};

use crate::cli::{run_ok, transcript};
use crate::common::fixture;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The tables compared, and the columns of each that are the row keys (with grain and period).
fn tables() -> [(OutputTable, Vec<ColumnDef<'static>>); 3] {
    [
        (OutputTable::Scorecards, vec![scorecards::EMPLOYEE_ID]),
        (
            OutputTable::KpiScores,
            vec![kpi_scores::EMPLOYEE_ID, kpi_scores::METRIC],
        ),
        (OutputTable::Rollups, vec![rollups::LEVEL, rollups::KEY]),
    ]
}

/// The columns factorscore writes and the reference does not compute: what the report reads of
/// how a scorecard row's bonus and calibration are worked out. Left out of the comparison by name.
fn not_in_reference() -> [(OutputTable, ColumnDef<'static>); 5] {
    [
        scorecards::PLAN,
        scorecards::BASE_SALARY,
        scorecards::MONTHS,
        scorecards::BONUS_MULTIPLIER,
        scorecards::CALIBRATION_GROUP,
    ]
    .map(|c| (OutputTable::Scorecards, c))
}

/// The columns compared per table besides the row keys, from the output-table registry with the
/// pipeline's metric catalogue: scorecards' 8 identity columns, the metrics (built-in and the
/// pipeline's own) and 6 score columns; kpi_scores' 16 columns; rollups' employees and rated and
/// the metrics.
fn columns(pipeline: &Path) -> [usize; 3] {
    let plan = factorscore::config::load(pipeline).expect("pipeline loads");
    let metrics = metric_defs(&plan.catalogue);
    let skipped = not_in_reference();
    tables().map(|(t, keys)| {
        t.columns(&metrics)
            .into_iter()
            .filter(|c| !keys.contains(c) && !skipped.contains(&(t, *c)))
            .count()
    })
}

/// Runs factorscore and the reference on the same inputs and compares them; returns the row
/// counts of scorecards, kpi_scores and rollups.
fn differential(
    pipeline: &Path,
    inputs: &Path,
    grain: &str,
    first: &str,
    last: &str,
) -> [usize; 3] {
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours");
    let reference = tmp.path().join("reference");
    run_ok(
        pipeline,
        &["--grain", grain, "--from", first, "--to", last],
        &ours,
    );
    let py = |args: &[&std::ffi::OsStr]| {
        let o = Command::new("python3")
            .args(args)
            .output()
            .expect("python3");
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let script = root().join("bench/reference.py");
    let (ok, log) = py(&[
        script.as_os_str(),
        inputs.as_os_str(),
        "csv".as_ref(),
        first.as_ref(),
        last.as_ref(),
        reference.as_os_str(),
        "--pipeline".as_ref(),
        pipeline.as_os_str(),
        "--grain".as_ref(),
        grain.as_ref(),
    ]);
    assert!(
        ok,
        "reference failed (DuckDB and PyYAML are installed by scripts/install-test-deps.sh):\n{log}"
    );
    let compare = root().join("bench/compare.py");
    let ours_only: Vec<String> = not_in_reference()
        .iter()
        .map(|(t, c)| format!("{}.{}", t.name(), c.name))
        .collect();
    let ours_only = ours_only.join(",");
    let (ok, log) = py(&[
        compare.as_os_str(),
        ours.as_os_str(),
        reference.as_os_str(),
        "--ours-only".as_ref(),
        ours_only.as_ref(),
    ]);
    assert!(ok, "factorscore and the SQL reference disagree:\n{log}");
    let mut rows = [0; 3];
    for (i, ((table, _), cols)) in tables().into_iter().zip(columns(pipeline)).enumerate() {
        let table = table.name();
        let line = log
            .lines()
            .find(|l| l.starts_with(&format!("{table}:")))
            .unwrap_or_else(|| panic!("no {table} line in:\n{log}"));
        let n: usize = line
            .split_whitespace()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no row count in {line}"));
        let want = if n == 0 {
            format!("{table}: compared 0 rows: no rows on either side")
        } else {
            format!("{table}: compared {n} rows x {cols} columns: all equal")
        };
        assert_eq!(line, want, "{log}");
        rows[i] = n;
    }
    rows
}

#[test]
fn sample_data_agrees_with_the_sql_reference() {
    let pipeline = root().join("pipelines/monthly.yaml");
    let data = root().join("sample_data");
    let [cards, kpis, rollups] = differential(&pipeline, &data, "month", "2024-01", "2026-10");
    assert_eq!(cards, 1808);
    assert!(
        kpis > cards,
        "most rows are rated, each with several KPIs: {kpis}"
    );
    assert!(
        rollups > 34 * 3,
        "company, departments and teams every month: {rollups}"
    );
    let [cards, _, _] = differential(&pipeline, &data, "quarter", "2024-Q1", "2026-Q3");
    assert_eq!(cards, 590, "employee-quarters employed, 2024-Q1 .. 2026-Q3");
}

#[test]
fn fixtures_agree_with_the_sql_reference() {
    let edge = differential(
        &fixture("edge/pipeline.yaml"),
        &fixture("edge/input"),
        "month",
        "2024-01",
        "2024-04",
    );
    assert_eq!(edge, [11, 0, 4 * 5]);
    let worked = differential(
        &fixture("worked_example/pipeline.yaml"),
        &fixture("worked_example/input"),
        "month",
        "2024-01",
        "2024-02",
    );
    assert_eq!(worked, [6, 0, 2 * 5]);
    let scoring = differential(
        &fixture("scoring/pipeline.yaml"),
        &fixture("scoring/input"),
        "month",
        "2024-01",
        "2024-02",
    );
    // 4 rows a month, 3 rated: January 3 + 2 + 3 KPIs, February 2 + 2 + 2.
    assert_eq!(scoring, [8, 14, 2 * 5]);
    let quarter = differential(
        &fixture("scoring/pipeline.yaml"),
        &fixture("scoring/input"),
        "quarter",
        "2024-Q1",
        "2024-Q1",
    );
    assert_eq!(quarter, [4, 6, 5]);
}

#[test]
fn the_sql_reference_matches_the_hand_computed_custom_metrics() {
    let script = root().join("tests/reference/check_custom_metrics.py");
    let o = Command::new("python3")
        .arg(&script)
        .output()
        .expect("python3");
    let log = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "the SQL reference disagrees with tests/fixtures/custom_metrics/README.md \
         (DuckDB and PyYAML are installed by scripts/install-test-deps.sh):\n{log}"
    );
}

#[test]
fn custom_metrics_agree_with_the_sql_reference() {
    let pipeline = fixture("custom_metrics/pipeline.yaml");
    let plan = factorscore::config::load(&pipeline).expect("pipeline loads");
    let custom: Vec<&str> = plan
        .catalogue
        .custom
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        custom,
        [
            "nonrecourse_cash",
            "collection_count",
            "distinct_debtors",
            "avg_fee",
            "max_cny_write_off",
            "min_face",
            "median_requested",
            "p75_customer_review",
            "late_balance",
            "cash_growth",
            "fee_yield",
            "growth_capped",
            "fee_yield_or_zero",
            "cash_swing",
        ]
    );
    let input = fixture("custom_metrics/input");
    // February: E1 to E4; March: E3 has left. Each rated row has 2 KPIs. Rollups: the company,
    // 2 departments and 2 teams a month.
    let month = differential(&pipeline, &input, "month", "2024-02", "2024-03");
    assert_eq!(month, [7, 14, 2 * 5]);
    let quarter = differential(&pipeline, &input, "quarter", "2024-Q1", "2024-Q1");
    assert_eq!(quarter, [4, 8, 5]);
}

/// `compare --out` writes the `plan_comparison` the SQL reference builds from two reference runs
/// (bench/reference_compare.py), cell by cell: the hand-worked comparison at month and quarter
/// grain, and the sample's proposed plans over ten months.
#[test]
fn plan_comparisons_agree_with_the_sql_reference() {
    let cases = [
        (
            "tests/fixtures/scoring/pipeline.yaml",
            "tests/fixtures/compare/proposed.yaml",
            "tests/fixtures/scoring/input",
            "month",
            "2024-01",
            "2024-02",
            8,
        ),
        (
            "tests/fixtures/scoring/pipeline.yaml",
            "tests/fixtures/compare/proposed.yaml",
            "tests/fixtures/scoring/input",
            "quarter",
            "2024-Q1",
            "2024-Q1",
            4,
        ),
        (
            "pipelines/monthly.yaml",
            "pipelines/proposed.yaml",
            "sample_data",
            "month",
            "2026-01",
            "2026-10",
            538,
        ),
    ];
    for (pipeline, proposed, data, grain, first, last, rows) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let (ours, reference) = (tmp.path().join("ours"), tmp.path().join("reference"));
        let o = crate::cli::bin()
            .arg("compare")
            .arg(root().join(pipeline))
            .arg("--plans")
            .arg(root().join(proposed))
            .args(["--grain", grain, "--from", first, "--to", last, "--out"])
            .arg(&ours)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
        let py = |args: Vec<&std::ffi::OsStr>| {
            let o = Command::new("python3")
                .args(args)
                .output()
                .expect("python3");
            (
                o.status.success(),
                String::from_utf8_lossy(&o.stdout).to_string()
                    + &String::from_utf8_lossy(&o.stderr),
            )
        };
        let script = root().join("bench/reference_compare.py");
        let (pipeline, proposed, data) = (
            root().join(pipeline),
            root().join(proposed),
            root().join(data),
        );
        let (ok, log) = py(vec![
            script.as_os_str(),
            data.as_os_str(),
            "csv".as_ref(),
            first.as_ref(),
            last.as_ref(),
            reference.as_os_str(),
            "--pipeline".as_ref(),
            pipeline.as_os_str(),
            "--proposed".as_ref(),
            proposed.as_os_str(),
            "--grain".as_ref(),
            grain.as_ref(),
        ]);
        assert!(ok, "reference failed:\n{log}");
        let compare = root().join("bench/compare.py");
        let (ok, log) = py(vec![
            compare.as_os_str(),
            ours.as_os_str(),
            reference.as_os_str(),
            "--tables".as_ref(),
            "plan_comparison".as_ref(),
        ]);
        assert!(ok, "factorscore and the SQL reference disagree:\n{log}");
        assert_eq!(
            log.trim(),
            format!("plan_comparison: compared {rows} rows x 12 columns: all equal"),
            "{pipeline:?} {grain}"
        );
    }
}
