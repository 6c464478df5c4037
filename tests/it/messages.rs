//! Snapshots of what a user sees: exit code, stdout and stderr together.

use std::path::Path;

use crate::cli::{bin, copy_dir, transcript};
use crate::common::{edit_input, fixture};

/// A copy of the worked example in a temporary folder, with its pipeline text edited by `edit`.
fn case(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    case_of("worked_example", edit)
}

/// A copy of fixture `name` in a temporary folder, with its pipeline text edited by `edit`.
pub fn case_of(name: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture(name), tmp.path());
    let p = tmp.path().join("pipeline.yaml");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, edit(text)).unwrap();
    tmp
}

/// Runs the binary with `args` and the case's pipeline; returns the transcript.
pub fn run(dir: &Path, args: &[&str]) -> String {
    let out = bin()
        .args(args)
        .arg(dir.join("pipeline.yaml"))
        .current_dir(dir)
        .output()
        .unwrap();
    transcript(&out, dir)
}

#[test]
fn unknown_key_names_file_line_and_column() {
    let dir = case(|t| t.replace("grain: month", "grain: month\nsourcez: {}"));
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}

#[test]
fn unknown_grain() {
    let dir = case(|t| t.replace("grain: month", "grain: weekly"));
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}

#[test]
fn every_validation_error_at_once() {
    let dir = case(|t| {
        t.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghia")
            .replace("base_currency: CNY", "base_currency: rmb")
            .replace("from: 2024-01", "from: 2024-13")
            .replace("  fx_rates:     { path: input/fx_rates.csv }\n", "")
            .replace(
                "{ path: input/invoices.csv }",
                "{ path: input/invoices.csv, rename: { inv: invoice_no } }",
            )
    });
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}

#[test]
fn headers_are_checked_without_reading_rows() {
    let dir = case(|t| {
        t.replace(
            "{ path: input/fees.csv }",
            "{ path: input/fees.csv, rename: { fee_no: fee_id } }",
        )
    });
    edit_input(
        dir.path(),
        "collections.csv",
        "collection_id,invoice_id,paid_on,amount",
        "collection_id,invoice_id,paid,amount",
    );
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}

#[test]
fn a_valid_pipeline_validates() {
    let dir = case(|t| t);
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}

#[test]
fn money_with_three_decimals_is_refused_not_cut() {
    let dir = case(|t| t);
    edit_input(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        "K1,I1,2024-01-10,100.005",
    );
    insta::assert_snapshot!(run(dir.path(), &["run"]));
}

#[test]
fn rule_breaks_are_listed_with_row_column_value_and_rule() {
    let dir = case(|t| t);
    edit_input(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        "K1,I1,2024-01-10,1000.01",
    );
    edit_input(
        dir.path(),
        "collections.csv",
        "K5,I3,2024-02-20,50.00",
        "K2,I3,2024-02-20,50.00",
    );
    edit_input(
        dir.path(),
        "write_offs.csv",
        "W1,I3,2024-02-15,300.00",
        "W1,I3,2024-02-15,300.01",
    );
    edit_input(
        dir.path(),
        "invoices.csv",
        "I2,C1,D2,CNY,2000.00,1600.00",
        "I2,C1,D2,CNY,2000.00,2600.00",
    );
    edit_input(
        dir.path(),
        "applications.csv",
        "A5,C1,E1,2024-02-05T10:00:00+08:00",
        "A5,C1,E9,2024-02-05T10:00:00+08:00",
    );
    edit_input(
        dir.path(),
        "assignments.csv",
        "C2,E1,2024-01-31,",
        "C2,E1,2024-01-30,",
    );
    insta::assert_snapshot!(run(dir.path(), &["run"]));
}

#[test]
fn help_shows_examples() {
    let out = bin().arg("--help").output().unwrap();
    insta::assert_snapshot!(transcript(&out, Path::new("/nonexistent")));
    let out = bin().args(["run", "--help"]).output().unwrap();
    insta::assert_snapshot!(transcript(&out, Path::new("/nonexistent")));
}

#[test]
fn bad_options_exit_1() {
    let dir = case(|t| t);
    insta::assert_snapshot!(run(dir.path(), &["run", "--grain", "weekly"]));
    insta::assert_snapshot!(run(dir.path(), &["run", "--period", "2024-1"]));
}

#[test]
fn schema_is_json_schema() {
    let out = bin().arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["title"], "PipelineDef");
    assert!(v["properties"]["sources"].is_object());
    assert_eq!(v["additionalProperties"], false);
    let required: Vec<&str> = v["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        ["name", "base_currency", "timezone", "sources", "output"]
    );
    // An exact decimal (a bonus multiplier or pool) may be quoted, which keeps it exact.
    let plan = &v["$defs"]["PlanDef"]["properties"];
    assert_eq!(
        plan["bonus_pool"]["anyOf"][0]["$ref"],
        "#/$defs/DecimalText"
    );
    assert_eq!(
        v["$defs"]["DecimalText"]["type"],
        serde_json::json!(["number", "string"])
    );
}

/// The sources are read on one thread while the tables read so far are checked on another: a
/// source that cannot be read stops the run with its message, whether it is read first
/// (employees) or last of the large ones (fees, read while the invoices are checked), and the
/// run neither hangs nor writes anything.
#[test]
fn a_source_refused_while_others_are_checked_stops_the_run() {
    for (file, from, to) in [
        (
            "fees.csv",
            "fee_id,invoice_id,booked_on,amount",
            "fee_id,invoice_id,booked,amount",
        ),
        (
            "employees.csv",
            "employee_id,name,hire_date",
            "employee_id,name,hired",
        ),
    ] {
        let dir = case(|t| t);
        edit_input(dir.path(), file, from, to);
        let t = run(dir.path(), &["run"]);
        assert!(t.starts_with("exit: 1\n"), "{t}");
        assert!(t.contains(file), "{t}");
        assert!(!dir.path().join("out/_current").exists(), "{t}");
        let name = format!("refused_{}", file.trim_end_matches(".csv"));
        insta::assert_snapshot!(name, t);
    }
}
