//! Runs on the output's checkpoint (issue 16, part 5): a run whose older input files are
//! unchanged reads only the new ones, and writes byte for byte what a run reading every file
//! writes; any change to an older file, or a new row to leave out, makes it read every file, and
//! the manifest says why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use factorscore::checkpoint::CheckpointUse;
use factorscore::generate::{GenConfig, Layout};
use factorscore::run::{Ran, RunOptions};
use proptest::prelude::*;

use crate::common::append_lines;

/// `tests/it/property.rs`'s pipeline on monthly files, with custom metrics that read raw
/// columns of invoices and collections (kept by the checkpoint), and collections quarantined.
pub(crate) const PIPELINE: &str = r#"
name: checkpoint
base_currency: CNY
timezone: Asia/Shanghai
sources:
  invoices: { path: "invoices/*.csv" }
  collections: { path: "collections/*.csv", on_error: quarantine }
  write_offs: { path: "write_offs/*.csv" }
  fees: { path: "fees/*.csv" }
  applications: { path: "applications/*.csv" }
  assignments: { path: assignments.csv }
  employees: { path: employees.csv }
  org_history: { path: org_history.csv }
  fx_rates: { path: fx_rates.csv }
  reviews: { path: reviews.csv }
output: { path: out }
metrics:
- name: nonrecourse_cash
  description: Cash collected on non-recourse invoices
  table: collections
  agg: sum
  column: amount
  filter: invoice.recourse = false
- name: distinct_debtors
  description: Debtors of the invoices purchased in the period
  table: invoices
  agg: count_distinct
  column: debtor_id
- name: big_collections
  description: Collections of 100,000 or more
  table: collections
  agg: count
  filter: amount >= 100000
plans:
  - name: am
    role: account_manager
    valid_from: 2025-01
    kpis:
      - { metric: cash_recovery_rate, weight: 0.5, perspective: financial, direction: higher, threshold: 0.5, target: 0.8, stretch: 0.95 }
      - { metric: nonrecourse_cash, weight: 0.3, perspective: financial, direction: higher, threshold: 0, target: 100000, stretch: 500000 }
      - { metric: par30_rate, weight: 0.2, perspective: financial, direction: lower, threshold: 0.3, target: 0.1, stretch: 0.02 }
  - name: sales
    role: sales
    valid_from: 2025-01
    calibration_group: [department]
    kpis:
      - { metric: funded_volume, weight: 0.6, perspective: financial, direction: higher, threshold: 100000, target: 1000000, stretch: 3000000 }
      - { metric: distinct_debtors, weight: 0.4, perspective: customer, direction: higher, threshold: 1, target: 5, stretch: 10 }
"#;

/// The tables written one file per month.
const MONTHLY: [&str; 5] = [
    "applications",
    "invoices",
    "collections",
    "write_offs",
    "fees",
];

/// A generated tiny company in a fresh folder, its large tables one CSV file per month, with
/// `pipeline` as its `pipeline.yaml`.
pub(crate) fn monthly_files(seed: u64, pipeline: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = GenConfig::preset("tiny", seed).unwrap();
    let layout = Layout {
        parquet: false,
        monthly: true,
    };
    factorscore::generate::generate_as(&cfg, tmp.path(), layout).unwrap();
    std::fs::write(tmp.path().join("pipeline.yaml"), pipeline).unwrap();
    tmp
}

/// A tiny company, its large tables one CSV file per month, with its last `held` months moved
/// to `held/` (to be added later) and the pipeline beside it.
fn company(seed: u64, held: usize) -> (tempfile::TempDir, Vec<String>) {
    let tmp = monthly_files(seed, PIPELINE);
    let months = months(tmp.path());
    let later: Vec<String> = months[months.len() - held..].to_vec();
    for m in &later {
        for t in MONTHLY {
            let from = tmp.path().join(t).join(format!("{t}-{m}.csv"));
            let to = tmp.path().join("held").join(t);
            std::fs::create_dir_all(&to).unwrap();
            if from.exists() {
                std::fs::rename(&from, to.join(format!("{t}-{m}.csv"))).unwrap();
            }
        }
    }
    (tmp, later)
}

/// The names of table `t`'s monthly files, in order.
fn files(dir: &Path, t: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(t))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

/// The months of the invoices' files, in order.
fn months(dir: &Path) -> Vec<String> {
    let names = files(dir, "invoices");
    names
        .iter()
        .map(|n| n["invoices-".len()..n.len() - 4].to_string())
        .collect()
}

/// [`company`], its first run done (every file read, the checkpoint written): the folder, the
/// output folder and the held months.
fn backfilled(seed: u64, held: usize) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let (tmp, later) = company(seed, held);
    let out = tmp.path().join("out");
    run(tmp.path(), &out, None, false).unwrap();
    (tmp, out, later)
}

/// Moves month `m`'s held files back in.
fn add_month(dir: &Path, m: &str) {
    for t in MONTHLY {
        let from = dir.join("held").join(t).join(format!("{t}-{m}.csv"));
        if from.exists() {
            std::fs::rename(&from, dir.join(t).join(format!("{t}-{m}.csv"))).unwrap();
        }
    }
}

/// Runs the pipeline of `dir` into `out`; the manifest's record of the checkpoint, or the
/// error's text.
fn run(dir: &Path, out: &Path, period: Option<&str>, full: bool) -> Result<CheckpointUse, String> {
    let plan = factorscore::config::load(&dir.join("pipeline.yaml")).unwrap();
    let opts = RunOptions {
        period: period.map(str::to_string),
        out: Some(out.to_path_buf()),
        force: true,
        full,
        ..Default::default()
    };
    match factorscore::run::run(&plan, &opts) {
        Ok(Ran::Wrote(m)) => Ok(m
            .checkpoint
            .clone()
            .expect("a local run records its checkpoint")),
        Ok(Ran::Unchanged { .. }) => panic!("forced runs run"),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// Every Parquet file of the committed tables (not the checkpoint), by path, with its bytes.
pub(crate) fn tables(out: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, acc: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            if rel.starts_with(factorscore::checkpoint::DIR) {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, acc);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                acc.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let root = out.join("_current").canonicalize().unwrap();
    let mut acc = BTreeMap::new();
    walk(&root, &root, &mut acc);
    acc
}

/// Runs on the checkpoint of `out` and, into a fresh folder, reading every file; asserts both
/// give the same files, byte for byte, or the same error. Returns the first run's record.
fn same_as_full(dir: &Path, out: &Path, period: Option<&str>) -> Result<CheckpointUse, String> {
    let on_checkpoint = run(dir, out, period, false);
    let fresh = tempfile::tempdir().unwrap();
    let full = run(dir, fresh.path(), period, false);
    match (&on_checkpoint, &full) {
        (Ok(_), Ok(f)) => {
            assert!(!f.used, "{f:?}");
            let (a, b) = (tables(out), tables(fresh.path()));
            // A monthly run adds its period to the tables already there; compare what both hold.
            let mut compared = 0;
            for (path, bytes) in &b {
                assert!(a.get(path) == Some(bytes), "{} differs", path.display());
                compared += 1;
            }
            assert!(compared > 0);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("on the checkpoint: {on_checkpoint:?}\nreading every file: {full:?}"),
    }
    on_checkpoint
}

#[test]
fn a_month_added_is_read_alone_and_gives_the_tables_of_a_run_reading_every_file() {
    let (tmp, later) = company(3, 2);
    let (dir, out) = (tmp.path(), tmp.path().join("out"));
    let first = run(dir, &out, None, false).unwrap();
    assert_eq!(
        first,
        CheckpointUse {
            used: false,
            segments: 0,
            files_reused: 0,
            read_all_because: Some("the output folder has no checkpoint".into()),
            written: true,
        }
    );
    for (k, m) in later.iter().enumerate() {
        add_month(dir, m);
        // The scheduled job: the month just closed.
        let used = same_as_full(dir, &out, Some(m)).unwrap();
        assert!(used.used, "{used:?}");
        assert_eq!(used.segments, k + 1);
        assert!(used.written && used.read_all_because.is_none());
        // Every file but the month's came from the checkpoint.
        let files: usize = MONTHLY
            .iter()
            .map(|t| std::fs::read_dir(dir.join(t)).unwrap().count())
            .sum();
        let added = MONTHLY
            .iter()
            .filter(|t| dir.join(t).join(format!("{t}-{m}.csv")).exists())
            .count();
        assert_eq!(used.files_reused, files - added);
    }
    // A backfill of every period on the checkpoint's three segments, and `--full`.
    let backfill = same_as_full(dir, &out, None).unwrap();
    assert!(backfill.used && backfill.segments == 3);
    let full = run(dir, &out, None, true).unwrap();
    assert_eq!(
        full.read_all_because.as_deref(),
        Some("asked for with --full")
    );
    let again = run(dir, &out, None, false).unwrap();
    assert!(again.used && again.segments == 1 && again.files_reused > 0);
}

#[test]
fn an_older_file_changed_or_gone_makes_the_run_read_every_file_and_say_which() {
    let (tmp, out, later) = backfilled(5, 1);
    let dir = tmp.path();
    add_month(dir, &later[0]);
    let first = dir.join("collections").join(first_file(dir, "collections"));
    cut_first_amount(&first);
    let why = same_as_full(dir, &out, Some(&later[0])).unwrap();
    let want = format!(
        "{} changed since the checkpoint was written",
        first.display()
    );
    assert_eq!(why.read_all_because.as_deref(), Some(want.as_str()));
    // The run wrote a new checkpoint, which the next run uses.
    assert!(why.written);
    assert!(same_as_full(dir, &out, None).unwrap().used);
    let gone = dir.join("fees").join(first_file(dir, "fees"));
    std::fs::remove_file(&gone).unwrap();
    let why = same_as_full(dir, &out, None).unwrap();
    assert!(
        why.read_all_because
            .as_deref()
            .is_some_and(|w| w.contains("is no longer the 1st file of fees")),
        "{why:?}"
    );
}

#[test]
fn a_pipeline_changed_makes_the_run_read_every_file() {
    let (tmp, out, _) = backfilled(8, 1);
    let dir = tmp.path();
    let yaml = PIPELINE.replace("threshold: 1, target: 5", "threshold: 2, target: 5");
    std::fs::write(dir.join("pipeline.yaml"), yaml).unwrap();
    let why = same_as_full(dir, &out, None).unwrap();
    assert_eq!(
        why.read_all_because.as_deref(),
        Some("the pipeline changed since the checkpoint was written")
    );
}

#[test]
fn a_checkpoint_of_an_older_format_is_not_read_and_the_run_says_so() {
    let (tmp, out, _) = backfilled(9, 1);
    let segs = out.join("_current").join(factorscore::checkpoint::DIR);
    for seg in std::fs::read_dir(&segs).unwrap() {
        let meta = seg.unwrap().path().join("meta.json");
        let text = std::fs::read_to_string(&meta).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["format"] = 1.into();
        std::fs::write(&meta, v.to_string()).unwrap();
    }
    let why = same_as_full(tmp.path(), &out, None).unwrap();
    assert!(!why.used);
    let because = why.read_all_because.unwrap();
    assert!(
        because.contains("the checkpoint is of format 1, this build's is 2"),
        "{because}"
    );
}

/// The first of table `t`'s monthly files.
fn first_file(dir: &Path, t: &str) -> String {
    files(dir, t).remove(0)
}

/// Takes one cent off the first row's amount (the last column) of a collections file.
fn cut_first_amount(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (head, amount) = lines[1].rsplit_once(',').unwrap();
    let cents: i64 = amount.replace('.', "").parse().unwrap();
    lines[1] = format!("{head},{}.{:02}", (cents - 1) / 100, (cents - 1) % 100);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// An edit a month brings.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// The next held month's files are added.
    AddMonth,
    /// A cent less on an older collection.
    OlderCollectionChanged,
    /// A collection that breaks a rule, in the newest collections file (quarantined).
    BadCollection,
    /// A new hire in the employees file, rewritten as HR exports are.
    NewHire,
    /// A rate for a day after every row, in the fx_rates file.
    NewRate,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => Just(Edit::AddMonth),
        1 => Just(Edit::OlderCollectionChanged),
        1 => Just(Edit::BadCollection),
        1 => Just(Edit::NewHire),
        1 => Just(Edit::NewRate),
    ]
}

/// Applies `e`; whether a run after it can use the checkpoint, as far as `e` goes (an older
/// file changed makes the next run read every file).
fn apply(dir: &Path, e: Edit, held: &mut Vec<String>, bad_rows: &mut usize) -> bool {
    match e {
        Edit::AddMonth => {
            if !held.is_empty() {
                add_month(dir, &held.remove(0));
            }
            true
        }
        Edit::OlderCollectionChanged => {
            let first = first_file(dir, "collections");
            cut_first_amount(&dir.join("collections").join(first));
            false
        }
        Edit::BadCollection => {
            let last = files(dir, "collections").pop().unwrap();
            let last = dir.join("collections").join(last);
            *bad_rows += 1;
            let line = format!("KBAD{bad_rows},INV00000002,2026-10-01,-5.00");
            append_lines(&last, &[line]);
            false
        }
        Edit::NewHire => {
            let n = std::fs::read_to_string(dir.join("employees.csv"))
                .unwrap()
                .lines()
                .count();
            append_lines(
                &dir.join("employees.csv"),
                &[format!("N{n:05},New Hire {n},2026-10-01,,20000.00")],
            );
            append_lines(
                &dir.join("org_history.csv"),
                &[format!("N{n:05},2026-10-01,,East,East-1,account_manager,")],
            );
            true
        }
        Edit::NewRate => {
            let n = std::fs::read_to_string(dir.join("fx_rates.csv"))
                .unwrap()
                .lines()
                .count();
            append_lines(
                &dir.join("fx_rates.csv"),
                &[format!("USD,2027-01-{:02},7.2{n}", 1 + n % 28)],
            );
            true
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    /// For random edits month after month, every run on the checkpoint writes what a run
    /// reading every file writes, byte for byte, and uses the checkpoint exactly when no older
    /// file changed since the last run and no row is left out.
    #[test]
    fn runs_on_the_checkpoint_match_runs_reading_every_file(
        seed in 1u64..1000,
        edits in proptest::collection::vec(edit(), 1..5),
        monthly in any::<bool>(),
    ) {
        let (tmp, out, mut held) = backfilled(seed, 3);
        let dir = tmp.path();
        let mut bad_rows = 0;
        for e in edits {
            // Once a row is left out, no run writes a checkpoint or can use one.
            let before = held.len();
            let keeps = apply(dir, e, &mut held, &mut bad_rows);
            let period = months(dir).last().cloned().filter(|_| monthly);
            let got = same_as_full(dir, &out, period.as_deref()).unwrap();
            prop_assert_eq!(got.used, keeps && bad_rows == 0, "{:?} after {:?}", got, e);
            // A run on the checkpoint writes a segment only of new files.
            let new_files = held.len() < before;
            prop_assert_eq!(got.written, bad_rows == 0 && (new_files || !got.used));
        }
    }
}

#[test]
fn a_damaged_checkpoint_is_not_read() {
    let (tmp, out, later) = backfilled(11, 1);
    let dir = tmp.path();
    add_month(dir, &later[0]);
    let segs = out.join("_current").join(factorscore::checkpoint::DIR);
    let seg = std::fs::read_dir(&segs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let rows = seg.join("rows.bin");
    let mut bytes = std::fs::read(&rows).unwrap();
    let k = bytes.len() / 2;
    bytes[k] ^= 0x10;
    std::fs::write(&rows, bytes).unwrap();
    let snapshot = out.join("_current").canonicalize().unwrap();
    let why = same_as_full(dir, &out, None).unwrap();
    let want = format!(
        "the checkpoint in {} cannot be read: the run reads every file",
        snapshot.join(factorscore::checkpoint::DIR).display()
    );
    assert!(!why.used);
    assert_eq!(why.read_all_because.as_deref(), Some(want.as_str()));
}

#[test]
fn the_checkpoint_is_found_whichever_way_the_pipeline_is_named() {
    // The backfill names the pipeline by its absolute path; the monthly job from its folder.
    let (tmp, out, later) = backfilled(13, 1);
    let dir = tmp.path();
    add_month(dir, &later[0]);
    let monthly = |extra: &[&str]| {
        assert_cmd::Command::cargo_bin("factorscore")
            .unwrap()
            .current_dir(dir)
            .args(["run", "pipeline.yaml", "--period", &later[0], "-q"])
            .args(extra)
            .assert()
            .success();
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
        m
    };
    let on = monthly(&[]);
    assert_eq!(on["checkpoint"]["used"], true, "{}", on["checkpoint"]);
    // Every input file is listed as this run names it, as a run reading every file lists it.
    let full = monthly(&["--full", "--force"]);
    assert_eq!(full["checkpoint"]["used"], false);
    assert_eq!(on["inputs"], full["inputs"]);
    let first = &on["inputs"][0]["files"][0]["path"];
    assert!(first.as_str().unwrap().starts_with("invoices/"), "{first}");
}

#[test]
fn a_pipeline_without_a_checkpoint_neither_writes_nor_keeps_one() {
    let (tmp, out, later) = backfilled(17, 1);
    let dir = tmp.path();
    let held = || {
        out.join("_current")
            .join(factorscore::checkpoint::DIR)
            .exists()
    };
    assert!(held());
    let yaml = PIPELINE.replace(
        "output: { path: out }",
        "output: { path: out, checkpoint: false }",
    );
    std::fs::write(dir.join("pipeline.yaml"), yaml).unwrap();
    add_month(dir, &later[0]);
    let why = same_as_full(dir, &out, None).unwrap();
    assert_eq!(
        why,
        CheckpointUse {
            read_all_because: Some("the pipeline's output.checkpoint is false".into()),
            ..CheckpointUse::default()
        }
    );
    assert!(!held(), "the older checkpoint is not kept");
}

#[test]
fn a_company_written_a_file_per_month_scores_as_when_written_whole() {
    let whole = tempfile::tempdir().unwrap();
    let cfg = GenConfig::preset("tiny", 21).unwrap();
    factorscore::generate::generate_as(&cfg, whole.path(), Layout::default()).unwrap();
    let whole_yaml = MONTHLY.iter().fold(PIPELINE.to_string(), |y, t| {
        y.replace(&format!("\"{t}/*.csv\""), &format!("{t}.csv"))
    });
    std::fs::write(whole.path().join("pipeline.yaml"), whole_yaml).unwrap();
    let (split, out, _) = backfilled(21, 0);
    let whole_out = whole.path().join("out");
    run(whole.path(), &whole_out, None, false).unwrap();
    let (a, b) = (tables(&out), tables(&whole_out));
    assert!(a.len() > 20);
    assert!(a == b, "the monthly files score differently");
    assert!(split.path().join("invoices").is_dir());
}

#[test]
fn after_a_year_of_segments_one_of_all_the_rows_replaces_them() {
    let (tmp, out, later) = backfilled(23, 13);
    let dir = tmp.path();
    let held = || {
        let segs = out.join("_current").join(factorscore::checkpoint::DIR);
        std::fs::read_dir(segs).unwrap().count()
    };
    let mut read = Vec::new();
    for m in &later {
        add_month(dir, m);
        let used = same_as_full(dir, &out, Some(m)).unwrap();
        assert!(used.used && used.written, "{used:?}");
        read.push((used.segments, held()));
    }
    // Segments read, and held after the run: eleven runs add one each; the run that reads
    // twelve writes one of all the rows, which the next reads.
    let want: Vec<(usize, usize)> = (1..=11)
        .map(|k| (k, k + 1))
        .chain([(12, 1), (1, 2)])
        .collect();
    assert_eq!(read, want);
}

#[test]
fn a_retried_monthly_job_with_new_files_checks_them_with_the_fingerprints_it_took() {
    let (tmp, out, later) = backfilled(29, 1);
    let dir = tmp.path();
    let month = months(dir).last().unwrap().clone();
    let plan = factorscore::config::load(&dir.join("pipeline.yaml")).unwrap();
    // Not forced: the second run is asked for what the first wrote, so it fingerprints the
    // inputs first, finds them changed, and checks the checkpoint's files against those.
    let opts = RunOptions {
        period: Some(month.clone()),
        out: Some(out.clone()),
        ..Default::default()
    };
    let record = |ran| match ran {
        Ran::Wrote(m) => m.checkpoint.clone().unwrap(),
        Ran::Unchanged { .. } => panic!("the inputs changed"),
    };
    let first = record(factorscore::run::run(&plan, &opts).unwrap());
    assert!(first.used && !first.written, "{first:?}");
    add_month(dir, &later[0]);
    let second = factorscore::run::run(&plan, &opts).unwrap();
    let second = record(second);
    assert!(
        second.used && second.written && second.segments == 1,
        "{second:?}"
    );
    // And it wrote what a run reading every file writes.
    let fresh = tempfile::tempdir().unwrap();
    run(dir, fresh.path(), Some(&month), true).unwrap();
    let (a, b) = (tables(&out), tables(fresh.path()));
    assert_eq!(b.len(), 4, "the month's three tables and the rejects");
    assert!(b.iter().all(|(p, bytes)| a.get(p) == Some(bytes)));
}
