//! `factorscore bucket` and `shard --buckets` (issue 17): each shard reads only its part's rows,
//! from buckets written by slices of the input files, and the merge still writes the tables
//! `run` writes, byte for byte; rule breaks whose rows lie in other slices and parts get one
//! machine's verdicts and messages.

use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;

use crate::checkpoint::{monthly_files, PIPELINE};
use crate::cli::{bin, transcript};
use crate::shard_merge::{bucket, same_as_run_with, shard, CUSTOM};

/// A generated tiny company in monthly files (so that slices split them), with
/// `tests/it/checkpoint.rs`'s sources (collections quarantined, no periods named: the window is
/// the data's), and custom metrics of every kind when `custom`.
fn monthly_company(seed: u64, custom: bool) -> tempfile::TempDir {
    let sources = &PIPELINE[..PIPELINE.find("metrics:").unwrap()];
    let metrics = if custom { CUSTOM } else { "" };
    monthly_files(seed, &format!("{sources}{metrics}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn shards_of_buckets_merged_write_the_tables_of_a_run(
        seed in 0u64..1_000_000,
        count in prop::sample::select(vec![1u64, 2, 3, 7]),
        slices in 1u64..=3,
        custom in any::<bool>(),
    ) {
        let tmp = monthly_company(seed, custom);
        same_as_run_with(tmp.path(), count, Some(slices), &[]);
    }
}

/// The files of table `t`, in the order a run reads them.
fn files(dir: &Path, t: &str) -> Vec<std::path::PathBuf> {
    let mut f: Vec<_> = std::fs::read_dir(dir.join(t))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    f.sort();
    f
}

/// Appends `line` to `path`.
fn append(path: &Path, line: &str) {
    let mut text = std::fs::read_to_string(path).unwrap();
    text.push_str(line);
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

/// The lines of a failure's listing that name a row (`file:line (row R) ...`).
fn listed(o: &std::process::Output, dir: &Path) -> BTreeSet<String> {
    assert_eq!(o.status.code(), Some(1), "{}", transcript(o, dir));
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains(".csv:"))
        .map(|l| l.trim().to_string())
        .collect()
}

/// An invoice id used again in a later month's file (another slice of 2, and a client of
/// another part), a collection id used again in another file, and a ragged collection row. Under
/// the fail policy every break is listed by the shard of its row, with one machine's words and
/// places: the shards' listings together are the run's. Quarantined, the merge's tables and
/// rejects are the run's.
#[test]
fn rule_breaks_in_other_slices_and_parts_get_one_machines_verdicts() {
    use factorscore::partials::split::part_of;
    let tmp = monthly_company(21, true);
    let dir = tmp.path();
    let yaml = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
    std::fs::write(
        dir.join("pipeline.yaml"),
        yaml.replace(", on_error: quarantine", ""),
    )
    .unwrap();
    let invoices = files(dir, "invoices");
    let first = std::fs::read_to_string(&invoices[0]).unwrap();
    let a: Vec<&str> = first.lines().nth(1).unwrap().split(',').collect();
    let later = std::fs::read_to_string(&invoices[1]).unwrap();
    let b: Vec<String> = later
        .lines()
        .skip(1)
        .map(|l| l.to_string())
        .find(|l| part_of(l.split(',').nth(1).unwrap(), 2) != part_of(a[1], 2))
        .expect("an invoice of a client in the other part")
        .split(',')
        .map(String::from)
        .collect();
    let mut again = b.clone();
    again[0] = a[0].to_string();
    append(&invoices[1], &again.join(","));
    let collections = files(dir, "collections");
    let c0 = std::fs::read_to_string(&collections[0]).unwrap();
    let k0: Vec<&str> = c0.lines().nth(1).unwrap().split(',').collect();
    let last = collections.last().unwrap();
    let cl = std::fs::read_to_string(last).unwrap();
    let mut repeated: Vec<&str> = cl.lines().nth(1).unwrap().split(',').collect();
    repeated[0] = k0[0];
    append(last, &repeated.join(","));
    append(&collections[1], "K-RAGGED,I-NONE");
    // An invoice naming the (approved) application of a client of the other part.
    let linked: Vec<String> = later
        .lines()
        .skip(1)
        .find(|l| {
            let c: Vec<&str> = l.split(',').collect();
            c.len() > 10 && !c[10].is_empty() && part_of(c[1], 2) != part_of(a[1], 2)
        })
        .expect("an invoice with an application, of a client in the other part")
        .split(',')
        .map(String::from)
        .collect();
    let mut crossed: Vec<String> = a.iter().map(|c| c.to_string()).collect();
    crossed[0] = "I-CROSSED".into();
    crossed[10] = linked[10].clone();
    append(&invoices[0], &crossed.join(","));

    let run = bin()
        .current_dir(dir)
        .args(["run", "pipeline.yaml", "--out", "out-run", "-q"])
        .output()
        .unwrap();
    let run = listed(&run, dir);
    assert!(
        run.iter()
            .any(|l| l.contains(a[0]) && l.contains("is not unique"))
            && run
                .iter()
                .any(|l| l.contains(k0[0]) && l.contains("is not unique"))
            && run.iter().any(|l| l.contains("K-RAGGED"))
            && run
                .iter()
                .any(|l| l.contains("names an application of client")),
        "{run:#?}"
    );
    for m in [1, 0] {
        bucket(dir, (m, 2), 2);
    }
    let mut shards = BTreeSet::new();
    for k in ["0", "1"] {
        let o = bin()
            .current_dir(dir)
            .args(["shard", "pipeline.yaml", "--index", k, "--count", "2"])
            .args(["--buckets", "buckets", "--out", "p", "-q"])
            .output()
            .unwrap();
        let got = listed(&o, dir);
        assert!(got.is_subset(&run), "part {k}: {got:#?}\nnot in {run:#?}");
        shards.extend(got);
    }
    assert_eq!(shards, run);

    let yaml = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
    let yaml = yaml.replace(".csv\" }", ".csv\", on_error: quarantine }");
    std::fs::write(dir.join("pipeline.yaml"), &yaml).unwrap();
    same_as_run_with(dir, 2, Some(2), &[]);
    same_rejects_and_counts(dir);
    // Without custom metrics too. The merge reads only the small tables: the rejected rows, their
    // cells and the counts come from the parts, with buckets or without.
    let without_metrics = &yaml[..yaml.find("metrics:").unwrap()];
    std::fs::write(dir.join("pipeline.yaml"), without_metrics).unwrap();
    same_as_run_with(dir, 2, Some(2), &[]);
    same_rejects_and_counts(dir);
    same_as_run_with(dir, 3, None, &[]);
    same_rejects_and_counts(dir);
}

/// The manifests of `out-run` and `out-merge` in `dir` reconcile every input alike, and some
/// rows are rejected.
fn same_rejects_and_counts(dir: &Path) {
    let inputs = |out: &str| {
        let path = dir.join(out).join("_manifest.json");
        let m: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        m["inputs"].clone()
    };
    let run = inputs("out-run");
    let rejected = |i: &serde_json::Value| i["rows_rejected"].as_u64().unwrap() > 0;
    assert!(run.as_array().unwrap().iter().any(rejected), "{run}");
    assert_eq!(run, inputs("out-merge"));
}

#[test]
fn a_shard_refuses_buckets_missing_a_slice_or_of_another_count() {
    let tmp = monthly_company(5, true);
    let dir = tmp.path();
    bucket(dir, (1, 2), 2);
    let shard_of = |count: &str| {
        bin()
            .current_dir(dir)
            .args(["shard", "pipeline.yaml", "--index", "0", "--count", count])
            .args(["--buckets", "buckets", "--out", "p", "-q"])
            .output()
            .unwrap()
    };
    insta::assert_snapshot!(transcript(&shard_of("2"), dir), @r"
    exit: 1
    --- stdout
    --- stderr
    error: part 0 of 2 of pipeline.yaml failed: slice 0 of 2 is missing from buckets: run that slice again
    ");
    bucket(dir, (0, 2), 2);
    insta::assert_snapshot!(transcript(&shard_of("3"), dir), @r"
    exit: 1
    --- stdout
    --- stderr
    error: part 0 of 3 of pipeline.yaml failed: slice 0 in buckets is of another run (the number of parts differs): run `factorscore bucket` again for every slice with this pipeline, inputs and --count
    ");
    shard(dir, 0, 2, "p", &["--buckets", "buckets"]);
}

/// Every file under `dir`, by its path relative to `dir`, with its bytes.
fn files_under(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A retried slice replaces its folder with the same bytes, and a retried shard (custom
/// aggregates included) its part.
#[test]
fn a_retried_slice_and_shard_write_the_same_bytes() {
    let tmp = monthly_company(8, true);
    let dir = tmp.path();
    for m in [0, 1] {
        bucket(dir, (m, 2), 3);
    }
    let buckets = files_under(&dir.join("buckets"));
    assert!(buckets.len() > 10, "{:?}", buckets.keys());
    bucket(dir, (1, 2), 3);
    assert!(
        files_under(&dir.join("buckets")) == buckets,
        "slice 1 again"
    );
    shard(dir, 2, 3, "p", &["--buckets", "buckets"]);
    let part = files_under(&dir.join("p"));
    shard(dir, 2, 3, "p", &["--buckets", "buckets"]);
    assert!(files_under(&dir.join("p")) == part, "part 2 again");
}
