//! What a new user runs into on a first day (issue 14): an output folder changed by hand, a
//! header naming a column twice, `--out` naming a file, a source path naming a folder, a huge
//! cell. Each through the binary, with a snapshot of what the user sees.

use std::path::Path;

use crate::cli::{bin, read_batches, run_ok, transcript};
use crate::common::{edit_input, fixture};
use crate::messages::{case_of, run};

fn case() -> tempfile::TempDir {
    case_of("worked_example", |t| t)
}

/// Runs `factorscore run PIPELINE --out OUT`; returns the transcript with `dir` as `[DIR]`.
fn run_out(pipeline: &Path, out: &Path, dir: &Path) -> String {
    let o = bin()
        .arg("run")
        .arg(pipeline)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    transcript(&o, dir)
}

/// The stdout line of a run.
fn said(t: &str) -> &str {
    let out = t.split("--- stdout\n").nth(1).unwrap_or("");
    out.split("--- stderr").next().unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// (a) An unchanged re-run is skipped only when the tables are those the manifest lists

/// The names of the files in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn the_manifest_lists_every_file_written_with_its_size() {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(&fixture("worked_example/pipeline.yaml"), &[], tmp.path());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("_manifest.json")).unwrap()).unwrap();
    let files = m["files"].as_array().unwrap();
    // Three tables of two periods, and the rejects table.
    assert_eq!(files.len(), 7);
    assert_eq!(
        files[0]["path"],
        "scorecards/grain=month/period=2024-01/part-0.parquet"
    );
    assert_eq!(files[6]["path"], "rejects/part-0.parquet");
    for f in files {
        let on_disk = std::fs::metadata(tmp.path().join(f["path"].as_str().unwrap()))
            .unwrap()
            .len();
        assert_eq!(f["bytes"].as_u64(), Some(on_disk), "{f}");
    }
}

#[test]
fn a_stray_file_in_a_partition_makes_the_rerun_run_and_goes() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = fixture("worked_example/pipeline.yaml");
    run_ok(&pipeline, &[], tmp.path());
    let again = run_out(&pipeline, tmp.path(), tmp.path());
    assert!(said(&again).starts_with("nothing to do: run "), "{again}");

    let jan = tmp.path().join("scorecards/grain=month/period=2024-01");
    std::fs::copy(jan.join("part-0.parquet"), jan.join("stray.parquet")).unwrap();
    let rerun = run_out(&pipeline, tmp.path(), tmp.path());
    insta::assert_snapshot!(rerun);
    assert_eq!(names(&jan), ["part-0.parquet"]);
    let rows: usize = read_batches(&jan.join("part-0.parquet"))
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 3);
    // Now the tables are the manifest's again.
    let again = run_out(&pipeline, tmp.path(), tmp.path());
    assert!(said(&again).starts_with("nothing to do: run "), "{again}");
}

#[test]
fn a_file_removed_cut_short_or_added_to_rejects_makes_the_rerun_run() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = fixture("worked_example/pipeline.yaml");
    run_ok(&pipeline, &[], tmp.path());
    let feb = tmp
        .path()
        .join("rollups/grain=month/period=2024-02/part-0.parquet");
    let whole = std::fs::read(&feb).unwrap();
    type Edit<'a> = Box<dyn Fn() + 'a>;
    let edits: [(&str, Edit); 3] = [
        ("removed", Box::new(|| std::fs::remove_file(&feb).unwrap())),
        (
            "cut short",
            Box::new(|| std::fs::write(&feb, &whole[..whole.len() - 1]).unwrap()),
        ),
        (
            "a stray file in rejects/",
            Box::new(|| std::fs::write(tmp.path().join("rejects/other.parquet"), b"x").unwrap()),
        ),
    ];
    for (what, edit) in edits {
        edit();
        let t = run_out(&pipeline, tmp.path(), tmp.path());
        assert!(said(&t).starts_with("wrote 6 scorecard"), "{what}: {t}");
        assert_eq!(std::fs::read(&feb).unwrap(), whole, "{what}");
        assert_eq!(names(&tmp.path().join("rejects")), ["part-0.parquet"]);
    }
}

// ---------------------------------------------------------------------------------------------
// (b) A header that names a column twice

#[test]
fn a_header_naming_a_column_twice_is_refused() {
    let dir = case();
    edit_input(
        dir.path(),
        "collections.csv",
        "collection_id,invoice_id,paid_on,amount",
        "collection_id,invoice_id,paid_on,amount,amount",
    );
    let t = run(dir.path(), &["run"]);
    insta::assert_snapshot!(t);
    assert!(t.starts_with("exit: 1\n"), "{t}");
}

#[test]
fn a_rename_onto_a_column_the_file_has_is_refused() {
    let dir = case_of("worked_example", |t| {
        t.replace(
            "collections:  { path: input/collections.csv }",
            "collections:  { path: input/collections.csv, rename: { paid: amount } }",
        )
    });
    edit_input(
        dir.path(),
        "collections.csv",
        "collection_id,invoice_id,paid_on,amount",
        "collection_id,paid,invoice_id,paid_on,amount",
    );
    let t = run(dir.path(), &["validate"]);
    insta::assert_snapshot!(t);
    assert!(t.starts_with("exit: 1\n"), "{t}");
}

// ---------------------------------------------------------------------------------------------
// (c) An output path that is a file

#[test]
fn out_naming_a_file_is_bad_input() {
    let dir = case();
    let file = dir.path().join("out.txt");
    std::fs::write(&file, b"notes").unwrap();
    let t = run(dir.path(), &["run", "--out", file.to_str().unwrap()]);
    let inside = run(
        dir.path(),
        &["run", "--out", file.join("tables").to_str().unwrap()],
    );
    insta::assert_snapshot!(format!("{t}\n{inside}"));
    assert_eq!(std::fs::read(&file).unwrap(), b"notes");
}

#[test]
fn output_path_naming_a_file_is_bad_input() {
    let dir = case_of("worked_example", |t| {
        t.replace("path: out", "path: out.txt")
    });
    std::fs::write(dir.path().join("out.txt"), b"notes").unwrap();
    insta::assert_snapshot!(run(dir.path(), &["run"]));
}

// ---------------------------------------------------------------------------------------------
// (d) A source path that names a folder

/// Runs `factorscore ARGS pipeline.yaml` in the case folder, the pipeline named relatively.
fn run_here(dir: &Path, args: &[&str]) -> String {
    let o = bin()
        .args(args)
        .arg("pipeline.yaml")
        .current_dir(dir)
        .output()
        .unwrap();
    transcript(&o, dir)
}

#[test]
fn a_source_path_naming_a_folder_says_how_to_name_its_files() {
    let dir = case_of("worked_example", |t| {
        t.replace(
            "{ path: input/fees.csv }",
            "{ path: input/fee_files, format: csv }",
        )
    });
    std::fs::create_dir(dir.path().join("input/fee_files")).unwrap();
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}

#[test]
fn messages_about_paths_of_a_pipeline_in_the_current_folder_read_well() {
    let dir = case_of("worked_example", |t| {
        t.replace("{ path: input/fees.csv }", "{ path: input }")
            .replace("input/invoices.csv", "input/invoice.csv")
    });
    insta::assert_snapshot!(run_here(dir.path(), &["validate"]));
}

// ---------------------------------------------------------------------------------------------
// (e) A huge cell

#[test]
fn a_huge_cell_is_cut_in_messages() {
    let dir = case();
    let huge = "x".repeat(100_000);
    edit_input(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        &format!("K1,I1,2024-01-10,1000.00{huge}"),
    );
    edit_input(
        dir.path(),
        "fees.csv",
        "F1,I2,2024-01-05,24.00",
        &format!("F1,I2,2024-01-05,24.00,{huge}"),
    );
    let t = run(dir.path(), &["run"]);
    assert!(t.len() < 2_000, "{} bytes", t.len());
    insta::assert_snapshot!(t);
}

#[test]
fn the_rejects_table_keeps_a_huge_value_whole() {
    let dir = case_of("worked_example", |t| {
        t.replace(
            "collections:  { path: input/collections.csv }",
            "collections:  { path: input/collections.csv, on_error: quarantine, max_rejected_share: 0.5 }",
        )
    });
    let huge = format!("1000.00{}", "x".repeat(100_000));
    edit_input(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        &format!("K1,I1,2024-01-10,{huge}"),
    );
    let out = dir.path().join("out");
    let t = run_out(&dir.path().join("pipeline.yaml"), &out, dir.path());
    assert!(t.starts_with("exit: 0\n"), "{t}");
    let b = &read_batches(&out.join("rejects/part-0.parquet"))[0];
    let col = |name: &str| {
        let c = b.column(b.schema().index_of(name).unwrap()).clone();
        arrow::util::display::array_value_to_string(&c, 0).unwrap()
    };
    assert_eq!(col("value"), huge);
    assert!(col("raw").contains(&huge));
    let reason = col("reason");
    let shown = format!(
        "amount `{}… (100007 characters)` money is not ",
        &huge[..60]
    );
    assert!(reason.starts_with(&shown), "{reason}");
}
