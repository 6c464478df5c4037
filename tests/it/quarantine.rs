//! Quarantine: rows that break a rule leave every figure and go to the `rejects` table with
//! their reason, rows that reference them follow, and every row read is used or rejected.

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;

use crate::cli::{bin, copy_dir, read_batches, transcript};
use crate::common::{append_lines, fixture};

/// Appends `lines` to the input file `name` of case folder `dir`.
fn append(dir: &Path, name: &str, lines: &[&str]) {
    append_lines(&dir.join("input").join(name), lines);
}

/// The worked example with every source quarantining, and `extra` pipeline text.
pub(crate) fn quarantine_case(extra: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("worked_example"), tmp.path());
    let p = tmp.path().join("pipeline.yaml");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace(".csv }", ".csv, on_error: quarantine }")
        .replace("output:", &format!("{extra}output:"));
    std::fs::write(&p, text).unwrap();
    tmp
}

/// Bad rows of every kind, each with a fresh id, so that the figures are those of the clean
/// data: a bad invoice with its collection and fee, an overpayment, a repeated collection id,
/// an employee with a bad salary with the rows that reference them, a zero fx rate, a bad
/// review source, a funded application that was not approved, a targets row with a typo.
pub(crate) fn inject(dir: &Path) {
    append(
        dir,
        "invoices.csv",
        &["I9,C1,D9,CNY,0.00,0.00,2024-01-05,2024-02-04,E1,true"],
    );
    append(
        dir,
        "collections.csv",
        &[
            "K9,I9,2024-01-20,10.00",
            "K8,I2,2024-02-01,5000.00",
            "K7,I2,2024-02-03,1.00",
            "K7,I2,2024-02-04,1.00",
        ],
    );
    append(dir, "fees.csv", &["F9,I9,2024-01-21,1.00"]);
    append(dir, "employees.csv", &["E7,Ghost,2024-01-01,,12.345"]);
    append(
        dir,
        "org_history.csv",
        &["E7,2024-01-01,,East,East-1,sales,"],
    );
    append(dir, "assignments.csv", &["C9,E7,2024-01-01,"]);
    append(
        dir,
        "applications.csv",
        &[
            "A9,C9,E7,2024-01-05T10:00:00+08:00,,,,100.00,CNY",
            "A8,C1,E1,2024-01-10T10:00:00+08:00,,,2024-01-11T10:00:00+08:00,100.00,CNY",
        ],
    );
    append(dir, "fx_rates.csv", &["EUR,2024-01-05,0"]);
    append(dir, "reviews.csv", &["E1,2024-01-20,boss,50"]);
    append(
        dir,
        "targets.csv",
        &["2024-01,cash_recovery_rat,0.9,,,,account_manager"],
    );
    // The worked example has no plans, so no row is rated and no appeal can apply.
    append(
        dir,
        "adjustments.csv",
        &["E1,2024-01,cash_collected,1,typo,E2"],
    );
}

const PARTS: [&str; 6] = [
    "scorecards/grain=month/period=2024-01/part-0.parquet",
    "scorecards/grain=month/period=2024-02/part-0.parquet",
    "kpi_scores/grain=month/period=2024-01/part-0.parquet",
    "kpi_scores/grain=month/period=2024-02/part-0.parquet",
    "rollups/grain=month/period=2024-01/part-0.parquet",
    "rollups/grain=month/period=2024-02/part-0.parquet",
];

fn run_case(dir: &Path) -> std::process::Output {
    bin()
        .arg("run")
        .arg(dir.join("pipeline.yaml"))
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap()
}

/// The rejects table as lines: source, row, line, column, value, rule, cascade, reason.
fn rejects(out: &Path) -> String {
    let mut lines = Vec::new();
    for b in read_batches(&out.join("rejects/part-0.parquet")) {
        let s = |name: &str, i: usize| {
            let c = arrow::compute::cast(
                b.column_by_name(name).unwrap(),
                &arrow::datatypes::DataType::Utf8,
            )
            .unwrap();
            let c = c.as_string::<i32>();
            if c.is_null(i) {
                String::new()
            } else {
                c.value(i).to_string()
            }
        };
        let n = |name: &str, i: usize| {
            let c = b.column_by_name(name).unwrap().as_primitive::<Int64Type>();
            if c.is_null(i) {
                String::new()
            } else {
                c.value(i).to_string()
            }
        };
        let cascade = b.column_by_name("cascade").unwrap().as_boolean();
        for i in 0..b.num_rows() {
            let file = s("file", i);
            let file = Path::new(&file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            lines.push(format!(
                "{} {file} row {} line {} | {} = `{}` | {} | cascade {} | {}",
                s("source", i),
                n("row", i),
                n("line", i),
                s("column", i),
                s("value", i),
                s("rule", i),
                cascade.value(i),
                s("reason", i),
            ));
            lines.push(format!("    raw {}", s("raw", i)));
        }
    }
    lines.join("\n")
}

#[test]
fn quarantined_rows_leave_every_figure_and_are_listed_with_their_reasons() {
    let clean = quarantine_case("");
    let o = run_case(clean.path());
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, clean.path()));
    let dirty = quarantine_case("");
    inject(dirty.path());
    let o = run_case(dirty.path());
    let shown = transcript(&o, dirty.path());
    assert_eq!(o.status.code(), Some(0), "{shown}");
    // Every figure of every period is the clean data's, to the byte.
    for part in PARTS {
        let a = std::fs::read(clean.path().join("out").join(part)).unwrap();
        let b = std::fs::read(dirty.path().join("out").join(part)).unwrap();
        assert!(a == b, "{part} differs from the clean run");
    }
    // Counts per table: read = used + rejected, each measured.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dirty.path().join("out/_manifest.json")).unwrap())
            .unwrap();
    let counts: Vec<String> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} read {} used {} rejected {}",
                i["table"].as_str().unwrap(),
                i["rows_read"],
                i["rows_used"],
                i["rows_rejected"]
            )
        })
        .collect();
    assert_eq!(manifest["rows_written"]["rejects"], 15);
    insta::assert_snapshot!(format!(
        "{shown}\n--- counts\n{}\n--- rejects\n{}",
        counts.join("\n"),
        rejects(&dirty.path().join("out")).replace(&dirty.path().display().to_string(), "[DIR]")
    ));
}

#[test]
fn a_clean_run_writes_an_empty_rejects_table() {
    let case = quarantine_case("");
    let o = run_case(case.path());
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, case.path()));
    assert_eq!(rejects(&case.path().join("out")), "");
}

#[test]
fn too_many_rejected_rows_fail_the_run_and_write_nothing() {
    let case = quarantine_case("max_rejected_share: 0.05\n");
    let p = case.path().join("pipeline.yaml");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "input/collections.csv, on_error: quarantine }",
        "input/collections.csv, on_error: quarantine, max_rejected_share: 0.25 }",
    );
    std::fs::write(&p, text).unwrap();
    inject(case.path());
    let o = run_case(case.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(!case.path().join("out").exists(), "nothing is written");
    insta::assert_snapshot!(transcript(&o, case.path()));
}

#[test]
fn a_failing_source_still_lists_only_its_own_rule_breaks() {
    // Invoices fail, collections quarantine: the bad invoice stops the run, and the collection
    // that references it is not listed as a rule break of its own.
    let case = quarantine_case("");
    let p = case.path().join("pipeline.yaml");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "input/invoices.csv, on_error: quarantine }",
        "input/invoices.csv }",
    );
    std::fs::write(&p, text).unwrap();
    append(
        case.path(),
        "invoices.csv",
        &["I9,C1,D9,CNY,0.00,0.00,2024-01-05,2024-02-04,E1,true"],
    );
    append(case.path(), "collections.csv", &["K9,I9,2024-01-20,10.00"]);
    let o = run_case(case.path());
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(transcript(&o, case.path()));
}

#[test]
fn a_target_out_of_order_once_filled_leaves_and_its_rows_fall_through() {
    // E1's own fee_income target of 50 is above the plan's stretch of 30: quarantined, E1 is
    // scored against the next target of the cascade, as if the row were not there.
    let setup = |bad: bool| {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&fixture("scoring"), tmp.path());
        let p = tmp.path().join("pipeline.yaml");
        let text = std::fs::read_to_string(&p).unwrap().replace(
            "{ path: input/targets.csv }",
            "{ path: input/targets.csv, on_error: quarantine }",
        );
        std::fs::write(&p, text).unwrap();
        if bad {
            append(tmp.path(), "targets.csv", &["2024-01,fee_income,50,,,E1,,"]);
        }
        tmp
    };
    let (clean, dirty) = (setup(false), setup(true));
    for dir in [&clean, &dirty] {
        let o = run_case(dir.path());
        assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir.path()));
    }
    for part in PARTS {
        let a = std::fs::read(clean.path().join("out").join(part)).unwrap();
        let b = std::fs::read(dirty.path().join("out").join(part)).unwrap();
        assert!(a == b, "{part} differs from the clean run");
    }
    insta::assert_snapshot!(
        rejects(&dirty.path().join("out")).replace(&dirty.path().display().to_string(), "[DIR]")
    );
}

/// Rows the reader finds malformed (a CSV row with a field too many) are quarantined with their
/// text, whatever stage of the checks their table is in: the reader hands each table over as
/// the checks need it, and a table whose rows it refused keeps every column for the rejects
/// table. A collection of a malformed invoice follows it with the reader's reason.
#[test]
fn malformed_rows_of_any_table_are_listed_with_their_text() {
    let dir = quarantine_case("");
    append(
        dir.path(),
        "invoices.csv",
        &["I9,C1,D9,CNY,100.00,80.00,2024-01-05,2024-02-04,E1,true,x"],
    );
    append(dir.path(), "collections.csv", &["K9,I9,2024-01-20,10.00"]);
    append(dir.path(), "fees.csv", &["F9,I2,2024-01-21,1.00,x"]);
    let o = run_case(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir.path()));
    let listed =
        rejects(&dir.path().join("out")).replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(listed);
}
