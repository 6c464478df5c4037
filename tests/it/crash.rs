//! Atomic, idempotent outputs: the real binary killed at random moments, two runs at once,
//! foreign files in partitions, failed runs. The outputs are read back with DuckDB.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::cli::copy_dir;
use crate::common::fixture;

const TABLES: [&str; 3] = ["scorecards", "kpi_scores", "rollups"];

fn factorscore() -> Command {
    Command::new(env!("CARGO_BIN_EXE_factorscore"))
}

fn run_cmd(pipeline: &Path, args: &[&str], out: &Path) -> Command {
    let mut c = factorscore();
    c.arg("run").arg(pipeline).args(args).arg("--out").arg(out);
    c
}

/// Every entry under `dir`, symlinks shown with their targets and not followed.
fn listing(dir: &Path) -> String {
    fn go(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut es: Vec<_> = rd.flatten().collect();
        es.sort_by_key(|e| e.file_name());
        for e in es {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            let ty = e.file_type().unwrap();
            if ty.is_symlink() {
                let t = std::fs::read_link(&p).unwrap_or_default();
                out.push(format!("{rel} -> {}", t.display()));
            } else if ty.is_dir() {
                out.push(format!("{rel}/"));
                go(root, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut lines = Vec::new();
    go(dir, dir, &mut lines);
    lines.join("\n")
}

/// What a failing test shows: the command, the output folder and what the command printed.
fn shown(what: &str, cmd: &Command, out: &Path, o: Option<&Output>) -> String {
    let printed = o.map_or(String::new(), |o| {
        format!(
            "\n--- exit: {:?}\n--- stdout\n{}--- stderr\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    format!(
        "{what}\n--- command\n{cmd:?}\n--- {}\n{}{printed}",
        out.display(),
        listing(out)
    )
}

fn run_ok(pipeline: &Path, args: &[&str], out: &Path) -> Output {
    let mut cmd = run_cmd(pipeline, args, out);
    let o = cmd.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        shown("run failed", &cmd, out, Some(&o))
    );
    o
}

/// The output as readers see it, per table: the files (relative to the table folder) and, per
/// period, `rows:sum of row hashes`, read by DuckDB through the table symlinks.
#[derive(Debug, PartialEq)]
struct Seen {
    files: BTreeMap<String, BTreeSet<String>>,
    sigs: BTreeMap<String, BTreeMap<String, String>>,
}

fn seen(out: &Path) -> Result<Seen, String> {
    let script = r#"
import duckdb, json, sys
out = sys.argv[1]
c = duckdb.connect(); c.execute('SET enable_progress_bar = false')
res = {}
for t in ['scorecards', 'kpi_scores', 'rollups']:
    files = [f for (f,) in c.sql(f"select file from glob('{out}/{t}/**/*')").fetchall()]
    sigs = {}
    if any(f.endswith('.parquet') for f in files):
        sigs = dict(c.sql(f"""select period, count(*)::varchar || ':' || sum(hash(r))::varchar
            from read_parquet('{out}/{t}/**/*.parquet', hive_partitioning = true) r
            group by period""").fetchall())
    res[t] = {'files': [f[len(out) + len(t) + 2:] for f in files], 'sigs': sigs}
print(json.dumps(res))
"#;
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(out)
        .output()
        .expect("python3");
    if !o.status.success() {
        return Err(format!(
            "DuckDB could not read the output (DuckDB for Python is installed by \
             `bash scripts/install-test-deps.sh`):\n{}",
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    let v: Value = serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?;
    let mut s = Seen {
        files: BTreeMap::new(),
        sigs: BTreeMap::new(),
    };
    for t in TABLES {
        let files = v[t]["files"].as_array().unwrap();
        s.files.insert(
            t.to_string(),
            files
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect(),
        );
        let sigs = v[t]["sigs"].as_object().unwrap();
        s.sigs.insert(
            t.to_string(),
            sigs.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect(),
        );
    }
    Ok(s)
}

impl Seen {
    /// The periods, from the partition folders of the scorecards.
    fn periods(&self) -> Vec<String> {
        self.files["scorecards"]
            .iter()
            .filter_map(|f| f.split('/').nth(1)?.strip_prefix("period="))
            .map(str::to_string)
            .collect()
    }

    /// The figures of `period` in every table (an empty partition has none).
    fn period(&self, period: &str) -> Vec<Option<&String>> {
        TABLES.iter().map(|t| self.sigs[*t].get(period)).collect()
    }
}

/// Checks that `got` is a whole output of one of the `refs`, period by period and across
/// periods: every period has its file in every table and nothing else is visible, and each
/// period's three tables equal one reference's. Returns the names of the references it equals.
fn from_one_run(got: &Seen, refs: &[(&'static str, &Seen)]) -> Result<Vec<&'static str>, String> {
    let expected = &refs[0].1.files;
    if &got.files != expected {
        return Err(format!(
            "the files readers see differ from a complete output:\n got {:?}\n want {:?}",
            got.files, expected
        ));
    }
    let mut runs: Vec<&'static str> = refs.iter().map(|r| r.0).collect();
    for p in refs[0].1.periods() {
        let here: Vec<&'static str> = refs
            .iter()
            .filter(|r| r.1.period(&p) == got.period(&p))
            .map(|r| r.0)
            .collect();
        if here.is_empty() {
            return Err(format!(
                "period {p}: the tables are from no single run: {:?}",
                got.period(&p)
            ));
        }
        runs.retain(|r| here.contains(r));
        if runs.is_empty() {
            return Err(format!(
                "period {p} is from another run than earlier periods"
            ));
        }
    }
    Ok(runs)
}

/// A synthetic company bigger than the sample (a debug run takes a few seconds: 118 months,
/// 160k invoices) made with seed `seed`, and its pipeline: the sample's, from 2017-01.
fn company(dir: &Path, seed: u64) -> PathBuf {
    let m = |y: i32, mo: i32| y * 12 + mo - 1;
    let cfg = factorscore::generate::GenConfig {
        employees: 300,
        clients: 2500,
        invoices: 160_000,
        first_month: m(2017, 1),
        ..factorscore::generate::GenConfig::preset("sample", seed).unwrap()
    };
    factorscore::generate::generate(&cfg, &dir.join("sample_data"), false).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(root.join("pipelines/monthly.yaml")).unwrap();
    let yaml = yaml.replace("  from: 2024-01\n", "  from: 2017-01\n");
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    let p = dir.join("pipelines/monthly.yaml");
    std::fs::write(&p, yaml).unwrap();
    p
}

/// The entries of `_store`.
fn store(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(out.join("_store"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Temporary names in the folder or in `_runs`.
fn tmp_names(out: &Path) -> Vec<String> {
    [out.to_path_buf(), out.join("_runs")]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|rd| rd.flatten())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

fn current(out: &Path) -> PathBuf {
    std::fs::read_link(out.join("_current")).unwrap()
}

/// SIGKILLs runs at random moments, alternating two inputs; after each kill DuckDB
/// reads a complete output, every period of it from one run.
#[test]
fn killed_runs_leave_a_complete_output_from_one_run() {
    let test_start = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    // Two inputs whose every figure differs: two companies made with two seeds.
    let a = company(&tmp.path().join("a"), 1);
    let b = company(&tmp.path().join("b"), 2);
    // The references, each from a complete run in a folder of its own; B's run is timed.
    let (ref_a, ref_b) = (tmp.path().join("ref_a"), tmp.path().join("ref_b"));
    run_ok(&a, &[], &ref_a);
    let t = Instant::now();
    run_ok(&b, &[], &ref_b);
    let full = t.elapsed();
    let seen_a = seen(&ref_a).unwrap();
    let seen_b = seen(&ref_b).unwrap();
    let differing = seen_a
        .periods()
        .iter()
        .filter(|p| seen_a.period(p) != seen_b.period(p))
        .count();
    assert_eq!(
        seen_a.files, seen_b.files,
        "A and B have the same partitions"
    );
    assert!(
        differing >= 100,
        "B differs from A in {differing} periods only"
    );
    let refs = [("A", &seen_a), ("B", &seen_b)];

    let out = tmp.path().join("out");
    run_ok(&a, &[], &out);
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    let trials = 24;
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut litter_after_kill = 0;
    for trial in 0..trials {
        let (input, name) = if trial % 2 == 0 { (&b, "B") } else { (&a, "A") };
        // Half the kills anywhere in the run, half in its second half, where the files are
        // written and the snapshot committed; up to 1.3 times its length, as a run beside other
        // tests takes longer than the timed one, and some runs should get to commit.
        let lo = if trial % 4 < 2 { 0.0 } else { 0.5 };
        let delay = full.mul_f64(rng.random_range(lo..1.3));
        let mut cmd = run_cmd(input, &[], &out);
        let log = tmp.path().join("stderr.txt");
        cmd.stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let what = format!(
            "trial {trial}: run of {name} killed after {delay:?} ({status}); stderr:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let got = seen(&out).unwrap_or_else(|e| panic!("{}", shown(&e, &cmd, &out, None)));
        let runs = from_one_run(&got, &refs)
            .unwrap_or_else(|e| panic!("{}", shown(&format!("{what}\n{e}"), &cmd, &out, None)));
        *outcomes.entry(runs[0]).or_default() += 1;
        if store(&out).len() > 1 || !tmp_names(&out).is_empty() {
            litter_after_kill += 1;
        }
    }
    // What killed runs leave, and more of it, is deleted by the next run.
    std::fs::create_dir_all(out.join("_store/20990101T000000.000Z-1.tmp/scorecards")).unwrap();
    std::fs::create_dir_all(out.join("_store/20990101T000000.000Z-2/rollups")).unwrap();
    std::os::unix::fs::symlink("_store/x", out.join("_current.tmp-1")).unwrap();
    std::fs::write(out.join("_manifest.tmp-1"), "{").unwrap();
    std::fs::write(out.join("_runs/x.tmp-1"), "{").unwrap();
    let mut cmd = run_cmd(&a, &[], &out);
    let o = cmd.output().unwrap();
    let fail = |e: &str| shown(e, &cmd, &out, Some(&o));
    assert_eq!(o.status.code(), Some(0), "{}", fail("final run"));
    // The killed runs' locks went with them.
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("waiting"),
        "{}",
        fail("the final run waited")
    );
    assert_eq!(
        store(&out),
        [current(&out).file_name().unwrap().to_string_lossy()],
        "{}",
        fail("one snapshot, the current one")
    );
    assert!(tmp_names(&out).is_empty(), "{}", fail("temporary names"));
    let got = seen(&out).unwrap();
    assert_eq!(
        from_one_run(&got, &refs),
        Ok(vec!["A"]),
        "{}",
        fail("final")
    );
    eprintln!(
        "{trials} kills over a {full:?} run: output from {outcomes:?}; \
         {litter_after_kill} kills left leftovers; test took {:?}",
        test_start.elapsed()
    );
}

/// Two runs started at once on one folder: one waits for the other; both succeed and the output
/// is a single run's.
#[test]
fn two_runs_at_once_take_turns() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pipeline = root.join("pipelines/monthly.yaml");
    let out = tmp.path().join("out");
    let reference = tmp.path().join("reference");
    run_ok(&pipeline, &[], &reference);
    let mut cmds = [run_cmd(&pipeline, &[], &out), run_cmd(&pipeline, &[], &out)];
    let children: Vec<_> = cmds
        .iter_mut()
        .map(|c| {
            c.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let all = || {
        cmds.iter()
            .zip(&outs)
            .map(|(c, o)| shown("", c, &out, Some(o)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(outs.iter().all(|o| o.status.code() == Some(0)), "{}", all());
    let waited = outs
        .iter()
        .filter(|o| {
            String::from_utf8_lossy(&o.stderr).contains(&format!(
                "waiting for the run holding {}/.lock (pid ",
                out.display()
            ))
        })
        .count();
    assert_eq!(waited, 1, "one run waited\n{}", all());
    assert_eq!(store(&out).len(), 1, "{}", all());
    assert_eq!(seen(&out).unwrap(), seen(&reference).unwrap(), "{}", all());
}

/// The lock file of a killed run (its text still there) does not stop the next run.
#[test]
fn a_stale_lock_is_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = fixture("worked_example/pipeline.yaml");
    std::fs::write(
        tmp.path().join(".lock"),
        "pid 999999999, started 2020-01-01T00:00:00Z\n",
    )
    .unwrap();
    let o = run_ok(&pipeline, &[], tmp.path());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("waiting"), "{stderr}");
    let text = std::fs::read_to_string(tmp.path().join(".lock")).unwrap();
    assert!(
        text.starts_with("pid ") && !text.contains("999999999"),
        "{text}"
    );
}

/// A re-run of a period replaces its whole folder: a foreign file in it goes. A foreign file in
/// a period not re-run stays as it was.
#[test]
fn a_rerun_leaves_no_foreign_file_in_its_partitions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let pipeline = fixture("worked_example/pipeline.yaml");
    run_ok(&pipeline, &[], out);
    let other = |period: &str| {
        out.join(format!(
            "scorecards/grain=month/period={period}/other.parquet"
        ))
    };
    let jan = out.join("scorecards/grain=month/period=2024-01/part-0.parquet");
    for p in ["2024-01", "2024-02"] {
        std::fs::copy(&jan, other(p)).unwrap();
    }
    let feb = std::fs::read(other("2024-02")).unwrap();
    let o = run_ok(&pipeline, &["--period", "2024-01"], out);
    let fail = |e: &str| {
        shown(
            e,
            &run_cmd(&pipeline, &["--period", "2024-01"], out),
            out,
            Some(&o),
        )
    };
    assert!(
        !other("2024-01").exists(),
        "{}",
        fail("other.parquet of 2024-01 survived")
    );
    assert_eq!(
        std::fs::read(other("2024-02")).ok().as_ref(),
        Some(&feb),
        "{}",
        fail("other.parquet of 2024-02 changed")
    );
    let got = seen(out).unwrap();
    assert_eq!(
        got.files["scorecards"],
        BTreeSet::from([
            "grain=month/period=2024-01/part-0.parquet".to_string(),
            "grain=month/period=2024-02/other.parquet".to_string(),
            "grain=month/period=2024-02/part-0.parquet".to_string(),
        ]),
        "{}",
        fail("files")
    );
    assert_eq!(store(out).len(), 1, "{}", fail("one snapshot"));
}

/// A run that fails after taking the lock leaves the committed snapshot, its pointer and the
/// files readers see as they were, and no litter.
#[test]
fn a_failed_run_keeps_the_current_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("case");
    copy_dir(&fixture("scoring"), &data);
    let out = tmp.path().join("out");
    let pipeline = data.join("pipeline.yaml");
    run_ok(&pipeline, &[], &out);
    let (before, cur, snaps) = (seen(&out).unwrap(), current(&out), store(&out));
    let inv = data.join("input/collections.csv");
    let text = std::fs::read_to_string(&inv)
        .unwrap()
        .replace("K1,I1,2024-01-10,1000.00", "K1,I1,2024-01-10,1000.005");
    std::fs::write(&inv, text).unwrap();
    let mut cmd = run_cmd(&pipeline, &[], &out);
    let o = cmd.output().unwrap();
    let fail = |e: &str| shown(e, &cmd, &out, Some(&o));
    assert_eq!(o.status.code(), Some(1), "{}", fail("exit code"));
    assert_eq!(current(&out), cur, "{}", fail("_current"));
    assert_eq!(store(&out), snaps, "{}", fail("_store"));
    assert!(tmp_names(&out).is_empty(), "{}", fail("temporary names"));
    assert_eq!(seen(&out).unwrap(), before, "{}", fail("what readers see"));
}

/// A run in an output folder of the older layout (real table folders) moves them into a
/// snapshot, foreign files and all, and replaces its own periods.
#[test]
fn the_older_layout_is_migrated() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = fixture("worked_example/pipeline.yaml");
    let new = tmp.path().join("new");
    run_ok(&pipeline, &[], &new);
    let old = tmp.path().join("old");
    std::fs::create_dir_all(&old).unwrap();
    for t in TABLES {
        // `copy_dir` follows the symlinks: real folders, as the older version wrote them.
        copy_dir(&new.join(t), &old.join(t));
    }
    let feb = old.join("scorecards/grain=month/period=2024-02");
    std::fs::write(feb.join("other.parquet"), b"foreign").unwrap();
    std::fs::write(feb.join(".part-0.parquet.tmp-1"), b"half").unwrap();
    let o = run_ok(&pipeline, &["--period", "2024-01"], &old);
    let fail = |e: &str| {
        shown(
            e,
            &run_cmd(&pipeline, &["--period", "2024-01"], &old),
            &old,
            Some(&o),
        )
    };
    for t in TABLES {
        let target = std::fs::read_link(old.join(t));
        assert_eq!(
            target.ok(),
            Some(Path::new("_current").join(t)),
            "{}",
            fail(t)
        );
    }
    assert_eq!(
        std::fs::read(feb.join("other.parquet")).ok().as_deref(),
        Some(&b"foreign"[..]),
        "{}",
        fail("foreign file kept")
    );
    assert!(
        !feb.join(".part-0.parquet.tmp-1").exists(),
        "{}",
        fail("staging file")
    );
    assert_eq!(store(&old).len(), 1, "{}", fail("one snapshot"));
    assert!(tmp_names(&old).is_empty(), "{}", fail("temporary names"));
}

/// A run that fails while it writes its snapshot (here a file stands where a partition folder
/// goes) leaves the committed snapshot as it was and deletes the unfinished one.
#[test]
fn a_run_that_cannot_write_keeps_the_current_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let pipeline = fixture("worked_example/pipeline.yaml");
    run_ok(&pipeline, &[], out);
    std::fs::write(out.join("rollups/grain=quarter"), b"in the way").unwrap();
    let (before, cur, snaps) = (seen(out).unwrap(), current(out), store(out));
    let mut cmd = run_cmd(&pipeline, &["--grain", "quarter"], out);
    let o = cmd.output().unwrap();
    let fail = |e: &str| shown(e, &cmd, out, Some(&o));
    assert_eq!(o.status.code(), Some(2), "{}", fail("exit code"));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot write"),
        "{}",
        fail("message")
    );
    assert_eq!(current(out), cur, "{}", fail("_current"));
    assert_eq!(store(out), snaps, "{}", fail("_store"));
    assert!(tmp_names(out).is_empty(), "{}", fail("temporary names"));
    assert_eq!(seen(out).unwrap(), before, "{}", fail("what readers see"));
}
