//! What a scheduler and an analyst run: `--period previous` and `--as-of`, `--dry-run`, the run
//! records in `_runs/` (failed runs too) and `factorscore runs`.

use std::path::Path;

use crate::cli::{bin, copy_dir, transcript};
use crate::common::{edit_input, fixture};

fn case() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("worked_example"), tmp.path());
    tmp
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .arg("run")
        .arg(dir.join("pipeline.yaml"))
        .args(args)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/_manifest.json")).unwrap()).unwrap()
}

#[test]
fn previous_is_the_last_period_that_has_ended() {
    let cases: [(&[&str], &str); 4] = [
        (&["--as-of", "2024-03-01"], "2024-02"),
        (&["--as-of", "2024-03-31"], "2024-02"),
        (&["--as-of", "2024-02-29"], "2024-01"),
        (&["--as-of", "2024-04-01", "--grain", "quarter"], "2024-Q1"),
    ];
    for (extra, want) in cases {
        let dir = case();
        let mut args = vec!["--period", "previous"];
        args.extend_from_slice(extra);
        let o = run(dir.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir.path()));
        assert_eq!(
            manifest(dir.path())["periods"],
            serde_json::json!([want]),
            "{extra:?}"
        );
    }
}

#[test]
fn as_of_needs_previous_and_a_real_date() {
    let dir = case();
    let a = run(dir.path(), &["--as-of", "2024-03-01"]);
    let b = run(
        dir.path(),
        &["--period", "previous", "--as-of", "2024-02-30"],
    );
    assert!(!dir.path().join("out").exists());
    insta::assert_snapshot!(format!(
        "{}\n{}",
        transcript(&a, dir.path()),
        transcript(&b, dir.path())
    ));
}

#[test]
fn dry_run_lists_the_partitions_and_writes_nothing() {
    let dir = case();
    let o = run(dir.path(), &["--dry-run"]);
    assert!(!dir.path().join("out").exists());
    insta::assert_snapshot!(transcript(&o, dir.path()));
}

#[test]
fn the_manifest_records_each_partition_and_its_rows() {
    let dir = case();
    let o = run(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir.path()));
    let m = manifest(dir.path());
    assert_eq!(m["outcome"], "succeeded");
    assert_eq!(
        m["partitions"]["scorecards"],
        serde_json::json!({"2024-01": 3, "2024-02": 3})
    );
    assert_eq!(
        m["partitions"]["rollups"],
        serde_json::json!({"2024-01": 5, "2024-02": 5})
    );
    assert_eq!(m["rows_written"]["scorecards"], 6);
}

#[test]
fn a_failed_run_leaves_its_record_and_runs_lists_both() {
    let dir = case();
    let ok = run(dir.path(), &[]);
    assert_eq!(ok.status.code(), Some(0));
    let before = std::fs::read(dir.path().join("out/_manifest.json")).unwrap();
    edit_input(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        "K1,I1,2024-01-10,1000.005",
    );
    let failed = run(dir.path(), &["--period", "2024-02"]);
    assert_eq!(failed.status.code(), Some(1));
    // The last successful run's manifest stays; the failure has its own record.
    assert_eq!(
        std::fs::read(dir.path().join("out/_manifest.json")).unwrap(),
        before
    );
    let records: Vec<serde_json::Value> = std::fs::read_dir(dir.path().join("out/_runs"))
        .unwrap()
        .map(|e| serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap())
        .collect();
    let failed_record = records.iter().find(|r| r["outcome"] == "failed").unwrap();
    assert!(failed_record["error"]
        .as_str()
        .unwrap()
        .contains("collections.amount = `1000.005`"));
    let o = bin()
        .arg("runs")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.split_once("  ").map_or(l, |x| x.1).to_string())
        .collect();
    insta::assert_snapshot!(lines
        .join("\n")
        .replace(&dir.path().display().to_string(), "[DIR]"));
}

#[test]
fn an_unchanged_rerun_does_nothing_unless_forced() {
    let dir = case();
    let records = |dir: &Path| std::fs::read_dir(dir.join("out/_runs")).unwrap().count();
    assert_eq!(run(dir.path(), &[]).status.code(), Some(0));
    assert_eq!(records(dir.path()), 1);
    // The same periods, files and pipeline: nothing to do, and it says so.
    let again = run(dir.path(), &["--from", "2024-01", "--to", "2024-02"]);
    assert_eq!(again.status.code(), Some(0));
    let said = String::from_utf8(again.stdout).unwrap();
    assert!(said.starts_with("nothing to do: run "), "{said}");
    assert!(
        said.contains("wrote 2024-01 .. 2024-02 from the same input files and pipeline"),
        "{said}"
    );
    // It only fingerprinted the files: none was decoded.
    let err = String::from_utf8(again.stderr).unwrap();
    assert!(err.contains("phase  fingerprint inputs"), "{err}");
    assert!(!err.contains("phase  read "), "{err}");
    assert_eq!(records(dir.path()), 1);
    // Other periods, --force, or a changed file each run.
    assert_eq!(
        run(dir.path(), &["--period", "2024-02"]).status.code(),
        Some(0)
    );
    assert_eq!(records(dir.path()), 2);
    assert_eq!(
        run(dir.path(), &["--period", "2024-02", "--force"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(records(dir.path()), 3);
    edit_input(
        dir.path(),
        "fees.csv",
        "F2,I4,2024-01-06,1.20",
        "F2,I4,2024-01-06,1.30",
    );
    let changed = run(dir.path(), &["--period", "2024-02"]);
    assert!(String::from_utf8(changed.stdout)
        .unwrap()
        .starts_with("wrote "));
    assert_eq!(records(dir.path()), 4);
}

#[test]
fn an_unchanged_rerun_without_periods_stops_after_hashing_the_files() {
    let dir = case();
    // The data gives the periods: the pipeline names none.
    let pipeline = dir.path().join("pipeline.yaml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(
        &pipeline,
        text.replace("periods: { from: 2024-01, to: 2024-02 }\n", ""),
    )
    .unwrap();
    let records = |dir: &Path| std::fs::read_dir(dir.join("out/_runs")).unwrap().count();
    let stdout = |o: &std::process::Output| String::from_utf8(o.stdout.clone()).unwrap();
    let stderr = |o: &std::process::Output| String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(run(dir.path(), &[]).status.code(), Some(0));
    assert_eq!(
        manifest(dir.path())["asked"],
        serde_json::json!({"from": null, "to": null})
    );
    // Asked the same as the last run, the data giving the periods: the same files and pipeline
    // give the same periods, so it stops once the files are hashed, before any is decoded.
    let again = run(dir.path(), &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).starts_with("nothing to do: run ")
            && stdout(&again).contains(" from the same input files and pipeline"),
        "{}",
        stdout(&again)
    );
    assert!(stderr(&again).contains("phase  fingerprint inputs"));
    assert!(
        !stderr(&again).contains("phase  read "),
        "{}",
        stderr(&again)
    );
    assert_eq!(records(dir.path()), 1);
    // Asked otherwise (the end left to the data, the start named): the periods are known only
    // once the rows are checked; they and the files are the same, so nothing is written.
    let first = manifest(dir.path())["periods"][0]
        .as_str()
        .unwrap()
        .to_string();
    let from = run(dir.path(), &["--from", &first]);
    assert!(
        stdout(&from).starts_with("nothing to do: run "),
        "{}",
        stdout(&from)
    );
    assert!(stderr(&from).contains("phase  read "));
    assert_eq!(records(dir.path()), 1);
    // A changed file runs, and the run records what it was asked.
    edit_input(
        dir.path(),
        "fees.csv",
        "F2,I4,2024-01-06,1.20",
        "F2,I4,2024-01-06,1.30",
    );
    let changed = run(dir.path(), &[]);
    assert!(
        stdout(&changed).starts_with("wrote "),
        "{}",
        stdout(&changed)
    );
    assert_eq!(records(dir.path()), 2);
    let again = run(dir.path(), &[]);
    assert!(stdout(&again).starts_with("nothing to do: run "));
    assert!(!stderr(&again).contains("phase  read "));
}

#[test]
fn quiet_says_nothing_but_errors() {
    let dir = case();
    let o = run(dir.path(), &["--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!((o.stdout.len(), o.stderr.len()), (0, 0));
    let bad = run(dir.path(), &["--quiet", "--period", "2024-13"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("error: "));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = case();
    let o = run(dir.path(), &["--log-format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let events: Vec<serde_json::Value> = String::from_utf8(o.stderr)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |name: &str| events.iter().filter(|e| e["event"] == name).count();
    assert_eq!((of("input"), of("not_rated"), of("wrote")), (12, 2, 1));
    let invoices = events
        .iter()
        .find(|e| e["event"] == "input" && e["table"] == "invoices")
        .unwrap();
    assert_eq!(
        (
            &invoices["rows_read"],
            &invoices["rows_used"],
            &invoices["rows_rejected"]
        ),
        (
            &serde_json::json!(5),
            &serde_json::json!(5),
            &serde_json::json!(0)
        )
    );
    // Each phase is an event as it ends, before the run's summary.
    let phases: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "phase")
        .map(|e| e["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases.first(), Some(&"read employees"));
    assert_eq!(phases.last(), Some(&"write parquet"));
    let at = |name: &str| events.iter().position(|e| e["event"] == name).unwrap();
    assert!(at("phase") < at("input") && events.last().unwrap()["event"] == "wrote");
    let wrote = events.iter().find(|e| e["event"] == "wrote").unwrap();
    assert_eq!(wrote["rows_written"]["scorecards"], 6);
    assert_eq!(
        (&wrote["from"], &wrote["to"]),
        (&serde_json::json!("2024-01"), &serde_json::json!("2024-02"))
    );
    let bad = run(dir.path(), &["--log-format", "json", "--period", "2024-13"]);
    assert_eq!(bad.status.code(), Some(1));
    let e: serde_json::Value = serde_json::from_slice(bad.stderr.trim_ascii_end()).unwrap();
    assert_eq!(
        (&e["event"], &e["exit_code"]),
        (&serde_json::json!("error"), &serde_json::json!(1))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("`2024-13` is not a period"),
        "{e}"
    );
}

/// When stderr is not a terminal (cron mail, CI logs) each phase has a plain line as it ends,
/// in the order the run went; `--quiet` leaves them out.
#[test]
fn phases_are_plain_lines_without_a_terminal() {
    let dir = case();
    let o = run(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8(o.stderr).unwrap();
    let phases: Vec<String> = err
        .lines()
        .filter_map(|l| l.strip_prefix("phase  "))
        .map(|l| {
            let (name, ms) = l.trim_end().rsplit_once(' ').unwrap();
            assert_eq!(ms, "ms", "{l}");
            name.trim_end()
                .rsplit_once(' ')
                .map(|(n, v)| {
                    assert!(v.parse::<u64>().is_ok(), "{l}");
                    n.trim_end().to_string()
                })
                .unwrap()
        })
        .collect();
    // Each table is read just before the stage of the checks that needs it (the reader one
    // table ahead); a read's time is the reader's, reported as the checks take the table.
    let want: Vec<String> = [
        "read employees",
        "read org_history",
        "read fx_rates",
        "read assignments",
        "read targets",
        "read adjustments",
        "read applications",
        "check people and applications",
        "read invoices",
        "check invoices",
        "read collections",
        "check collections",
        "read fees",
        "read write_offs",
        "read reviews",
        "check invoice events and goals",
        "apply invoice events",
        "write checkpoint",
        "metrics",
        "scores",
        "output tables",
        "write parquet",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(phases, want, "{err}");
    // The lines come before the counts, which come when the run is done.
    let first_count = err.find("rows read").unwrap();
    assert!(err.rfind("phase  ").unwrap() < first_count, "{err}");
    let o = run(dir.path(), &["--quiet", "--force"]);
    assert_eq!((o.stdout.len(), o.stderr.len()), (0, 0));
}
