//! The binary end to end: exit codes, messages (snapshots), and the Parquet it writes read back
//! with an independent reader (the `parquet`/`arrow` crates).

use std::fs::File;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Date32Type, Decimal128Type, Float64Type, Int64Type};
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::common::*;

pub fn bin() -> Command {
    Command::cargo_bin("factorscore").expect("binary")
}

/// Runs `factorscore run PIPELINE ARGS --out OUT` and asserts it succeeded.
pub fn run_ok(pipeline: &Path, args: &[&str], out: &Path) -> std::process::Output {
    let o = bin()
        .arg("run")
        .arg(pipeline)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, out));
    o
}

/// Exit code, stdout and stderr together, with `dir` replaced by `[DIR]` and the timed phase
/// lines (`phase  NAME  N ms`) left out.
pub fn transcript(out: &std::process::Output, dir: &Path) -> String {
    let clean = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .split_inclusive('\n')
            .filter(|l| !l.starts_with("phase  "))
            .collect::<String>()
            .replace(&dir.display().to_string(), "[DIR]")
    };
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        clean(&out.stdout),
        clean(&out.stderr)
    )
}

pub fn read_batches(path: &Path) -> Vec<arrow::record_batch::RecordBatch> {
    let file = File::open(path).expect("parquet file");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    reader.map(|b| b.expect("batch")).collect()
}

#[test]
fn run_writes_typed_parquet_partitions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "run",
            fixture("worked_example/pipeline.yaml").to_str().unwrap(),
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        transcript(&out, tmp.path())
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "wrote 6 scorecard, 0 kpi_scores and 10 rollups rows in 2 month periods (2024-01 .. 2024-02)"
        ),
        "{stdout}"
    );

    let part = tmp
        .path()
        .join("scorecards/grain=month/period=2024-01/part-0.parquet");
    let batches = read_batches(&part);
    let b = &batches[0];
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
    let schema = b.schema();
    let ty = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    assert_eq!(ty("outstanding"), DataType::Decimal128(38, 2));
    assert_eq!(ty("funded_volume"), DataType::Decimal128(38, 2));
    assert_eq!(ty("overdue_rate"), DataType::Float64);
    assert_eq!(ty("average_outstanding"), DataType::Float64);
    assert_eq!(ty("applications_received"), DataType::Int64);
    assert_eq!(ty("days_employed"), DataType::Int64);
    assert_eq!(ty("period_start"), DataType::Date32);
    assert!(matches!(
        ty("employee_id"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ));

    let col = |name: &str| b.column(schema.index_of(name).unwrap()).clone();
    let ids: Vec<String> = (0..3)
        .map(|i| arrow::util::display::array_value_to_string(&col("employee_id"), i).unwrap())
        .collect();
    assert_eq!(ids, ["E1", "E2", "E3"]);
    // Hive partition columns live in the path only.
    assert!(schema.field_with_name("period").is_err());
    assert!(schema.field_with_name("grain").is_err());
    let outstanding = col("outstanding");
    let outstanding = outstanding.as_primitive::<Decimal128Type>();
    assert_eq!(outstanding.value(0), 251_235);
    assert_eq!(outstanding.value(1), 0);
    let rate = col("overdue_rate");
    let rate = rate.as_primitive::<Float64Type>();
    assert_eq!(rate.value(0), 0.11941011403665891);
    assert!(rate.is_null(1));
    let days = col("days_employed");
    assert_eq!(
        days.as_primitive::<Int64Type>().values().to_vec(),
        vec![31, 17, 31]
    );
    let start = col("period_start");
    assert_eq!(
        start.as_primitive::<Date32Type>().value(0),
        factorscore::periods::parse_day("2024-01-01").unwrap()
    );
    let team: Vec<String> = (0..3)
        .map(|i| arrow::util::display::array_value_to_string(&col("team"), i).unwrap())
        .collect();
    assert_eq!(team, ["East-1", "East-1", "South-1"]);
    let mgr = col("manager_id");
    assert!(mgr.is_null(0));
    assert_eq!(
        arrow::util::display::array_value_to_string(&mgr, 1).unwrap(),
        "E1"
    );

    // The manifest records lineage.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scorecard_rows"], 6);
    assert_eq!(
        manifest["periods"],
        serde_json::json!(["2024-01", "2024-02"])
    );
    let inv = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["table"] == "invoices")
        .unwrap();
    assert_eq!(inv["rows_read"], 5);
    assert_eq!(inv["files"][0]["xxh3"].as_str().unwrap().len(), 16);
    assert_eq!(manifest["pipeline_sha256"].as_str().unwrap().len(), 64);
    // The worked example has no plans: every row is not rated, counted per role.
    assert_eq!(
        manifest["not_rated"],
        serde_json::json!({"account_manager": 4, "sales": 2})
    );
    assert_eq!(
        manifest["rows_written"],
        serde_json::json!({"kpi_scores": 0, "rejects": 0, "rollups": 10, "scorecards": 6})
    );
}

#[test]
fn rerun_replaces_only_its_periods() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = fixture("worked_example/pipeline.yaml");
    let run = |args: &[&str]| {
        bin()
            .arg("run")
            .arg(&pipeline)
            .args(args)
            .arg("--out")
            .arg(tmp.path())
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    let part = |table: &str, period: &str| {
        tmp.path().join(format!(
            "{table}/grain=month/period={period}/part-0.parquet"
        ))
    };
    let tables = ["scorecards", "kpi_scores", "rollups"];
    let feb_before: Vec<Vec<u8>> = tables
        .iter()
        .map(|t| std::fs::read(part(t, "2024-02")).unwrap())
        .collect();
    for t in tables {
        std::fs::write(part(t, "2024-01"), b"stale").unwrap();
    }
    assert_eq!(run(&["--period", "2024-01"]).status.code(), Some(0));
    assert_eq!(
        read_batches(&part("scorecards", "2024-01"))[0].num_rows(),
        3,
        "January was rewritten"
    );
    for (t, before) in tables.iter().zip(&feb_before) {
        assert_ne!(std::fs::read(part(t, "2024-01")).unwrap(), b"stale", "{t}");
        assert_eq!(
            &std::fs::read(part(t, "2024-02")).unwrap(),
            before,
            "February of {t} was left alone"
        );
    }
    let leftovers: Vec<_> = walk(tmp.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Every file under `dir` that readers see: symlinks are followed, and names starting with `_`
/// (the snapshot store, the run records) and the lock file are left out.
pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with('_') || e.file_name() == ".lock" {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every file under `dir` with its bytes, sorted.
fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = walk(dir)
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("_runs") && !p.ends_with("_manifest.json"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p.strip_prefix(dir).unwrap().to_path_buf(), bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_failed_run_leaves_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("case");
    copy_dir(&fixture("scoring"), &data);
    let out_dir = tmp.path().join("out");
    let run = || {
        bin()
            .arg("run")
            .arg(data.join("pipeline.yaml"))
            .arg("--out")
            .arg(&out_dir)
            .output()
            .unwrap()
    };
    assert_eq!(run().status.code(), Some(0));
    let before = snapshot(&out_dir);
    assert_eq!(
        before.len(),
        7,
        "three tables, two months, and rejects: {before:?}"
    );
    // Break the input: the run must fail and touch none of the three tables.
    let inv = data.join("input/collections.csv");
    let text = std::fs::read_to_string(&inv)
        .unwrap()
        .replace("K1,I1,2024-01-10,1000.00", "K1,I1,2024-01-10,1000.005");
    std::fs::write(&inv, text).unwrap();
    assert_eq!(run().status.code(), Some(1));
    assert_eq!(snapshot(&out_dir), before);
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.file_name().is_some_and(|n| n == "out") {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn the_same_inputs_give_the_same_files() {
    let pipeline = fixture("scoring/pipeline.yaml");
    let runs: Vec<Vec<(std::path::PathBuf, Vec<u8>)>> = (0..2)
        .map(|_| {
            let tmp = tempfile::tempdir().unwrap();
            let out = bin()
                .arg("run")
                .arg(&pipeline)
                .arg("--out")
                .arg(tmp.path())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0));
            snapshot(tmp.path())
        })
        .collect();
    assert_eq!(runs[0].len(), 7);
    assert_eq!(runs[0], runs[1]);
}
