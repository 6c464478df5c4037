//! `python3 -m factorscore_ray` (issue 17) on a local Ray cluster it starts: three bucket tasks,
//! three shard tasks and the merge task write the tables `run` writes, byte for byte; a bucket
//! slice or a shard whose process is killed is run again; bad input fails the job with the program's message and exit code 1.
//! Needs Ray and the package (`bash scripts/install-test-deps.sh`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::transcript;
use crate::property::PIPELINE;
use crate::shard_merge::{company_with, ok, same_tables};

fn factorscore() -> PathBuf {
    assert_cmd::cargo::cargo_bin("factorscore")
}

/// `python3 -m factorscore_ray pipeline.yaml ARGS` in `dir`.
fn ray(dir: &Path, binary: &Path, args: &[&str]) -> std::process::Output {
    let o = Command::new("python3")
        .current_dir(dir)
        .args(["-m", "factorscore_ray", "pipeline.yaml", "--bin"])
        .arg(binary)
        .args(args)
        .env_remove("RAY_ADDRESS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("No module named"),
        "factorscore_ray or Ray is not installed: run `bash scripts/install-test-deps.sh`\n{stderr}"
    );
    o
}

/// A tiny company with the property pipeline, and `run`'s tables of it in `out-run`.
fn company(seed: u64) -> tempfile::TempDir {
    let tmp = company_with(seed, PIPELINE);
    ok(
        tmp.path(),
        &["run", "pipeline.yaml", "-q", "--out", "out-run"],
    );
    tmp
}

#[test]
fn ray_runs_three_shards_and_the_merge_and_retries_a_killed_shard() {
    let tmp = company(21);
    let dir = tmp.path();
    let o = ray(
        dir,
        &factorscore(),
        &["--shards", "3", "--out", "out-ray", "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir));
    same_tables(dir, "out-run", "out-ray");

    // The first time bucket slice 1 and shard 1 start, their processes are killed; Ray runs
    // them again.
    let marker = dir.join("killed-once");
    let sliced = dir.join("slice-killed-once");
    let wrapper = dir.join("factorscore-killed-once");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\ncase \"$*\" in\n  *\"shard\"*\"--index 1 \"*) [ -e '{m}' ] || {{ touch '{m}'; kill -9 $$; }} ;;\n  *\"bucket\"*\"--slice 1 \"*) [ -e '{s}' ] || {{ touch '{s}'; kill -9 $$; }} ;;\nesac\nexec '{b}' \"$@\"\n",
            m = marker.display(),
            s = sliced.display(),
            b = factorscore().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = ray(
        dir,
        &wrapper,
        &["--shards", "3", "--out", "out-retried", "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir));
    assert!(marker.exists(), "shard 1 was killed once");
    assert!(sliced.exists(), "bucket slice 1 was killed once");
    same_tables(dir, "out-run", "out-retried");

    // Bad input is not retried: the job fails with the program's message and exit code.
    let o = ray(
        dir,
        &factorscore(),
        &["--shards", "2", "--out", "out-bad", "--period", "2025-13"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", transcript(&o, dir));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("2025-13"), "{stderr}");
}

#[test]
fn ray_computes_the_previous_period_as_run_does() {
    let tmp = company(22);
    let dir = tmp.path();
    let month = ["--period", "previous"];
    ok(
        dir,
        &[
            &["run", "pipeline.yaml", "-q", "--out", "out-run-prev"][..],
            &month,
        ]
        .concat(),
    );
    // Without the bucket stage: each shard reads every input.
    let args = [
        &["--shards", "2", "--slices", "0", "--out", "out-prev", "-q"][..],
        &month,
    ]
    .concat();
    let o = ray(dir, &factorscore(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, dir));
    same_tables(dir, "out-run-prev", "out-prev");
}
