//! The sample's report opened in a real browser: Debian's Chromium driven by Playwright
//! (`tests/browser/check_report.py`), offline. Skipped when either is missing, except under CI.

use std::path::Path;

use crate::cli::{bin, run_ok, transcript};

/// Whether the browser and Playwright are here; under `CI` their absence fails the test.
fn browser_ready() -> bool {
    let chromium = Path::new("/usr/bin/chromium").exists();
    let playwright = std::process::Command::new("python3")
        .args(["-c", "import playwright.sync_api"])
        .status()
        .is_ok_and(|s| s.success());
    if chromium && playwright {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium ({chromium}) or playwright ({playwright}) is missing: run scripts/install-test-deps.sh"
    );
    eprintln!(
        "skipped: chromium or playwright is missing (scripts/install-test-deps.sh installs them)"
    );
    false
}

#[test]
fn the_sample_report_renders_offline_with_the_parquet_figures() {
    if !browser_ready() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&root.join("pipelines/monthly.yaml"), &[], &out);
    let o = bin().arg("report").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let bonuses = crate::report::bonuses(&out, "2026-10");
    // A person with a bonus, the first by id.
    let (id, cents) = bonuses
        .iter()
        .find(|(_, c)| **c > 0)
        .map(|(i, c)| (i.clone(), *c))
        .unwrap();
    let svgs = html.matches("<svg ").count();
    assert!(svgs > 100, "{svgs} charts");
    let shot = tmp.path().join("overview.png");
    let o = std::process::Command::new("python3")
        .arg(root.join("tests/browser/check_report.py"))
        .arg(&page)
        .args(["--sections", &bonuses.len().to_string()])
        .args(["--svgs", &svgs.to_string()])
        .args(["--employee", &id, "--bonus", &crate::report::money(cents)])
        .arg("--screenshot")
        .arg(&shot)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", transcript(&o, tmp.path()));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 50_000, "a {} byte screenshot", png.len());
}

/// The sample's plan comparison page (`compare --out`) opens offline in Chromium with no console
/// error and no request, with both charts and a section per moved person it details.
#[test]
fn the_sample_comparison_page_renders_offline() {
    if !browser_ready() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let o = bin()
        .arg("compare")
        .arg(root.join("pipelines/monthly.yaml"))
        .arg("--plans")
        .arg(root.join("pipelines/proposed.yaml"))
        .args(["--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let moved = summary["moved"].as_array().unwrap().len();
    assert!(moved > 0, "the proposed plans move someone");
    let sections = moved.min(factorscore::compare::page::MOVED_DETAILED);
    let page = out.join(factorscore::compare::PAGE);
    let shot = tmp.path().join("comparison.png");
    let o = std::process::Command::new("python3")
        .arg(root.join("tests/browser/check_report.py"))
        .arg(&page)
        .args(["--sections", &sections.to_string(), "--svgs", "2"])
        .arg("--screenshot")
        .arg(&shot)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", transcript(&o, tmp.path()));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}
