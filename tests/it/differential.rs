//! The differential test: factorscore against an independent DuckDB SQL reference of the
//! contract (bench/reference.sql), every metric of every employee and month.

use std::path::Path;
use std::process::Command;

use crate::cli::run_ok;
use crate::common::fixture;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs factorscore and the reference on the same inputs and compares them.
fn differential(pipeline: &Path, inputs: &Path, first: &str, last: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours");
    let reference = tmp.path().join("reference");
    run_ok(pipeline, &["--from", first, "--to", last], &ours);
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
    ]);
    assert!(
        ok,
        "reference failed (DuckDB is installed by scripts/install-test-deps.sh):\n{log}"
    );
    let compare = root().join("bench/compare.py");
    let (ok, log) = py(&[compare.as_os_str(), ours.as_os_str(), reference.as_os_str()]);
    assert!(ok, "factorscore and the SQL reference disagree:\n{log}");
    log.trim().to_string()
}

#[test]
fn sample_data_agrees_with_the_sql_reference() {
    let log = differential(
        &root().join("pipelines/monthly.yaml"),
        &root().join("sample_data"),
        "2024-01",
        "2026-10",
    );
    assert_eq!(log, "compared 1566 rows x 41 columns: all equal");
}

#[test]
fn edge_cases_agree_with_the_sql_reference() {
    let log = differential(
        &fixture("edge/pipeline.yaml"),
        &fixture("edge/input"),
        "2024-01",
        "2024-04",
    );
    assert_eq!(log, "compared 11 rows x 41 columns: all equal");
    let log = differential(
        &fixture("worked_example/pipeline.yaml"),
        &fixture("worked_example/input"),
        "2024-01",
        "2024-02",
    );
    assert_eq!(log, "compared 6 rows x 41 columns: all equal");
}
