//! `factorscore shard` and `merge` (issue 17): a run split into N parts by client and merged
//! writes the tables `run` writes, byte for byte, and a merge of parts that are not exactly one
//! run's is refused with what is wrong.

use std::path::Path;

use proptest::prelude::*;

use crate::checkpoint::tables;
use crate::cli::{bin, transcript};
use crate::property::PIPELINE;

/// Runs `factorscore ARGS` in `dir`; asserts it succeeded.
pub(crate) fn ok(dir: &Path, args: &[&str]) {
    let o = bin().current_dir(dir).args(args).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}\n{}",
        transcript(&o, dir)
    );
}

/// Asserts output folders `a` and `b` of `dir` hold the same tables, byte for byte.
pub(crate) fn same_tables(dir: &Path, a: &str, b: &str) {
    let (ta, tb) = (tables(&dir.join(a)), tables(&dir.join(b)));
    assert!(!ta.is_empty());
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (path, bytes) in &ta {
        assert!(
            bytes == &tb[path],
            "{} of {b} differs from {a}'s",
            path.display()
        );
    }
}

/// `run` into `out-run`, and `count` shards (in reverse order) merged into `out-merge`; asserts
/// both wrote the same tables.
fn same_as_run(dir: &Path, count: u64, period_args: &[&str]) {
    same_as_run_with(dir, count, None, period_args)
}

/// [`same_as_run`]; with `slices`, the inputs are first split into buckets by that many slices
/// (in reverse order), and each shard reads its part's.
pub(crate) fn same_as_run_with(dir: &Path, count: u64, slices: Option<u64>, period_args: &[&str]) {
    let mut run = vec!["run", "pipeline.yaml", "-q", "--out", "out-run"];
    run.extend(period_args);
    ok(dir, &run);
    let mut extra = period_args.to_vec();
    if let Some(s) = slices {
        let _ = std::fs::remove_dir_all(dir.join("buckets"));
        for m in (0..s).rev() {
            bucket(dir, (m, s), count);
        }
        extra.extend(["--buckets", "buckets"]);
    }
    for k in (0..count).rev() {
        shard(dir, k, count, "parts", &extra);
    }
    let n = count.to_string();
    let mut merge = vec![
        "merge",
        "pipeline.yaml",
        "--partials",
        "parts",
        "--count",
        &n,
    ];
    merge.extend(["--out", "out-merge", "-q"]);
    merge.extend(period_args);
    ok(dir, &merge);
    same_tables(dir, "out-run", "out-merge");
}

/// Custom metrics of every kind: folded and grouped aggregates over each table, filters on an
/// event's invoice, and a derived metric reading the previous period.
pub(crate) const CUSTOM: &str = r#"metrics:
  - { name: c_cash, table: collections, agg: sum, column: amount, filter: "invoice.recourse = false" }
  - { name: c_recovered, table: collections, agg: max, column: recovery }
  - { name: c_debtors, table: invoices, agg: count_distinct, column: debtor_id }
  - { name: c_face_median, table: invoices, agg: median, column: face_amount }
  - { name: c_fee_mean, table: fees, agg: mean, column: amount }
  - { name: c_written, table: write_offs, agg: count }
  - { name: c_requested_p75, table: applications, agg: quantile, q: 0.75, column: requested_amount }
  - { name: c_review_mean, table: reviews, agg: mean, column: score }
  - { name: c_review_sum, table: reviews, agg: sum, column: score }
  - { name: c_late, table: balances, agg: sum, column: balance, filter: "days_past_due > 30" }
  - { name: c_days, table: balances, agg: mean, column: days_past_due }
  - { name: c_growth, expr: "c_cash / nullif(lag(c_cash), 0) - 1" }
"#;

/// A generated tiny company in a fresh folder, with `pipeline` as its `pipeline.yaml`.
pub(crate) fn company_with(seed: u64, pipeline: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = factorscore::generate::GenConfig::preset("tiny", seed).unwrap();
    factorscore::generate::write(&cfg, tmp.path(), false).unwrap();
    std::fs::write(tmp.path().join("pipeline.yaml"), pipeline).unwrap();
    tmp
}

/// [`company_with`] the property pipeline and custom metrics of every kind.
fn company(seed: u64) -> tempfile::TempDir {
    company_with(seed, &format!("{PIPELINE}{CUSTOM}"))
}

/// `factorscore shard pipeline.yaml --index K --count N --out OUT -q EXTRA` in `dir`, which
/// succeeds.
pub(crate) fn shard(dir: &Path, k: u64, count: u64, out: &str, extra: &[&str]) {
    let (k, n) = (k.to_string(), count.to_string());
    let args = [
        "shard",
        "pipeline.yaml",
        "--index",
        &k,
        "--count",
        &n,
        "--out",
        out,
        "-q",
    ];
    ok(dir, &[&args[..], extra].concat());
}

/// `factorscore bucket pipeline.yaml --slice M --slices S --count N --out buckets -q` in `dir`,
/// which succeeds.
pub(crate) fn bucket(dir: &Path, (m, s): (u64, u64), count: u64) {
    let (m, s, n) = (m.to_string(), s.to_string(), count.to_string());
    ok(
        dir,
        &[
            "bucket",
            "pipeline.yaml",
            "--slice",
            &m,
            "--slices",
            &s,
            "--count",
            &n,
            "--out",
            "buckets",
            "-q",
        ],
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn shards_merged_write_the_tables_of_a_run(
        seed in 0u64..1_000_000,
        count in prop::sample::select(vec![1u64, 2, 3, 7]),
        custom in any::<bool>(),
    ) {
        let tmp = if custom { company(seed) } else { company_with(seed, PIPELINE) };
        same_as_run(tmp.path(), count, &[]);
    }
}

#[test]
fn shards_merged_write_the_tables_of_a_run_at_a_quarter_and_with_rows_quarantined() {
    let tmp = company(11);
    same_as_run(tmp.path(), 3, &["--grain", "quarter"]);
    let q = crate::quarantine::quarantine_case("");
    crate::quarantine::inject(q.path());
    same_as_run(q.path(), 2, &[]);
}

#[test]
fn a_shard_takes_its_index_from_the_array_job() {
    let tmp = company(3);
    for (var, k) in [("JOB_COMPLETION_INDEX", "0"), ("SLURM_ARRAY_TASK_ID", "1")] {
        let o = bin()
            .current_dir(tmp.path())
            .args(["shard", "pipeline.yaml", "--count", "2", "--out", "parts"])
            .env(var, k)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
        let name = factorscore::partials::file_name(k.parse().unwrap(), 2);
        assert!(tmp.path().join("parts").join(name).exists());
    }
    let o = bin()
        .current_dir(tmp.path())
        .args(["shard", "pipeline.yaml", "--count", "2", "--out", "parts"])
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap();
    insta::assert_snapshot!(transcript(&o, tmp.path()), @r"
    exit: 1
    --- stdout
    --- stderr
    error: no part named: give --index K, or run as an array job that sets JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, SLURM_ARRAY_TASK_ID
    ");
}

#[test]
fn a_merge_with_a_part_missing_or_of_another_run_is_refused() {
    let tmp = company(4);
    let dir = tmp.path();
    shard(dir, 0, 2, "parts", &[]);
    let merge = || {
        bin()
            .current_dir(dir)
            .args([
                "merge",
                "pipeline.yaml",
                "--partials",
                "parts",
                "--count",
                "2",
            ])
            .args(["--out", "out", "-q"])
            .output()
            .unwrap()
    };
    insta::assert_snapshot!(transcript(&merge(), dir), @r"
    exit: 1
    --- stdout
    --- stderr
    error: merge of pipeline.yaml failed: part 1 of 2 is missing: run that part again, then merge
    ");
    shard(dir, 1, 2, "parts", &[]);
    // The pipeline changed after the parts were computed.
    let yaml = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
    std::fs::write(
        dir.join("pipeline.yaml"),
        yaml.replace(
            "threshold: 0.5, target: 0.8",
            "threshold: 0.5, target: 0.85",
        ),
    )
    .unwrap();
    insta::assert_snapshot!(transcript(&merge(), dir), @r"
    exit: 1
    --- stdout
    --- stderr
    error: merge of pipeline.yaml failed: the parts in parts are of another run (the pipeline differs): run `shard` again with this pipeline, inputs and period options, then merge
    ");
    assert!(
        !dir.join("out").join("_current").exists(),
        "nothing is written"
    );
}

#[test]
fn the_sample_pipeline_with_its_custom_metrics_splits_and_merges_to_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("pipelines/monthly.yaml")).unwrap();
    let data = root.join("sample_data").display().to_string();
    std::fs::write(
        tmp.path().join("pipeline.yaml"),
        text.replace("../sample_data", &data),
    )
    .unwrap();
    same_as_run(tmp.path(), 3, &["--from", "2025-07", "--to", "2026-03"]);
}

#[test]
fn a_merge_with_a_damaged_part_names_it() {
    let tmp = company(6);
    let dir = tmp.path();
    shard(dir, 0, 1, "parts", &[]);
    let part = dir
        .join("parts")
        .join(factorscore::partials::file_name(0, 1));
    let mut bytes = std::fs::read(&part).unwrap();
    let k = bytes.len() / 2;
    bytes[k] ^= 1;
    std::fs::write(&part, bytes).unwrap();
    let o = bin()
        .current_dir(dir)
        .args([
            "merge",
            "pipeline.yaml",
            "--partials",
            "parts",
            "--count",
            "1",
            "-q",
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!(transcript(&o, dir), @r"
    exit: 1
    --- stdout
    --- stderr
    error: merge of pipeline.yaml failed: the part parts/part-00000-of-00001.fspart cannot be read: it is cut short or changed since it was written
    ");
}

/// Rule breaks that span parts: an invoice id used again by a client of the other part, and a
/// collection id used again on an invoice of the other part. Every shard reads and checks every
/// row, so each fails with the run's own listing; quarantined, they leave the merge's tables and
/// its rejects exactly as they leave the run's.
#[test]
fn rule_breaks_across_parts_get_one_machines_verdicts() {
    use factorscore::partials::split::part_of;
    let tmp = company(12);
    let dir = tmp.path();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let invoices = read("invoices.csv");
    let rows: Vec<Vec<&str>> = invoices
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // Two invoices whose clients fall in different parts of 2.
    let a = &rows[0];
    let b = rows
        .iter()
        .find(|r| part_of(r[1], 2) != part_of(a[1], 2))
        .expect("clients in both parts");
    let mut again = b.clone();
    again[0] = a[0];
    let collections = read("collections.csv");
    let paid = collections
        .lines()
        .skip(1)
        .find(|l| l.split(',').nth(1) == Some(b[0]))
        .expect("a collection of b");
    let first_collection = collections
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let mut repeated: Vec<&str> = paid.split(',').collect();
    repeated[0] = first_collection;
    std::fs::write(
        dir.join("invoices.csv"),
        format!("{invoices}{}\n", again.join(",")),
    )
    .unwrap();
    std::fs::write(
        dir.join("collections.csv"),
        format!("{collections}{}\n", repeated.join(",")),
    )
    .unwrap();

    let listing = |args: &[&str]| {
        let o = bin().current_dir(dir).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", transcript(&o, dir));
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        let at = err.find(" failed: ").expect("a failure");
        err[at..].to_string()
    };
    let run = listing(&["run", "pipeline.yaml", "--out", "out-run", "-q"]);
    assert!(
        run.contains(a[0]) && run.contains(first_collection),
        "{run}"
    );
    for k in ["0", "1"] {
        let shard = listing(&[
            "shard",
            "pipeline.yaml",
            "--index",
            k,
            "--count",
            "2",
            "--out",
            "p",
        ]);
        assert_eq!(shard, run, "part {k}");
    }

    let yaml = read("pipeline.yaml").replace(".csv }", ".csv, on_error: quarantine }");
    std::fs::write(dir.join("pipeline.yaml"), yaml).unwrap();
    same_as_run(dir, 2, &[]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out-merge/_manifest.json")).unwrap())
            .unwrap();
    let rejected: Vec<(String, u64)> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["table"].as_str().unwrap().to_string(),
                i["rows_rejected"].as_u64().unwrap(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    // The repeated invoice id (both rows, and the events of each) and the repeated collection id.
    assert!(
        rejected.iter().any(|(t, _)| t == "invoices")
            && rejected.iter().any(|(t, _)| t == "collections"),
        "{rejected:?}"
    );
}
