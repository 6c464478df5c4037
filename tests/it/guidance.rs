//! Grade distribution guidance (contract 5.3): advisory shares per plan, reported in the manifest
//! per calibration group and department when a group of at least `guidance_min_group` graded rows
//! departs by more than the tolerance; at the tolerance it does not. Worked on the scoring
//! fixture (tests/fixtures/scoring/README.md): in 2024-01 plan `am-collections` (calibration by
//! `[role]`) grades E1 (East) A and E3 (South) A, so its one group `role=account_manager` has 2
//! graded rows, both A; the departments East and South have 1 each.

use std::path::Path;

use factorscore::manifest::Manifest;
use factorscore::scoring::guidance::GroupShares;

use crate::cli::{bin, run_ok, transcript};

/// The scoring fixture with `settings` added to plan `am-collections`, run; the manifest's
/// guidance of 2024-01.
fn run_with(settings: &str) -> Vec<GroupShares> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scoring");
    let tmp = tempfile::tempdir().unwrap();
    crate::cli::copy_dir(&root, tmp.path());
    let p = tmp.path().join("pipeline.yaml");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "    calibration_group: [role]\n",
        &format!("    calibration_group: [role]\n{settings}"),
    );
    std::fs::write(&p, text).unwrap();
    let out = tmp.path().join("out");
    run_ok(&p, &[], &out);
    let m = Manifest::parse(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    m.guidance
        .into_iter()
        .filter(|g| g.period == "2024-01")
        .collect()
}

fn shares(g: &GroupShares) -> Vec<(&str, usize, f64, f64)> {
    g.grades
        .iter()
        .map(|s| (s.grade.as_str(), s.rows, s.share, s.guidance))
        .collect()
}

#[test]
fn a_group_departing_by_the_tolerance_is_not_reported_and_beyond_it_is() {
    let at = run_with(
        "    grade_guidance: { A: 0.5, B: 0.5 }\n    guidance_tolerance: 0.5\n    guidance_min_group: 2\n",
    );
    let keys: Vec<(&str, &str, usize, bool)> = at
        .iter()
        .map(|g| (g.by.as_str(), g.key.as_str(), g.graded, g.reported))
        .collect();
    assert_eq!(
        keys,
        [
            ("calibration_group", "role=account_manager", 2, true),
            ("department", "East", 1, false),
            ("department", "South", 1, false),
        ]
    );
    assert_eq!(
        shares(&at[0]),
        [
            ("S", 0, 0.0, 0.0),
            ("A", 2, 1.0, 0.5),
            ("B", 0, 0.0, 0.5),
            ("C", 0, 0.0, 0.0),
            ("D", 0, 0.0, 0.0)
        ]
    );
    // |1.0 − 0.5| and |0 − 0.5| are the tolerance itself: not more than it.
    assert!(at[0].departs.is_empty());
    let beyond = run_with(
        "    grade_guidance: { A: 0.5, B: 0.5 }\n    guidance_tolerance: 0.49\n    guidance_min_group: 2\n",
    );
    assert_eq!(beyond[0].departs, ["A", "B"]);
    // Departments of one graded row are shown, never reported.
    assert!(beyond[1..]
        .iter()
        .all(|g| !g.reported && g.departs.is_empty()));
    // The default minimum group, 10, leaves the group of 2 unreported.
    let small = run_with("    grade_guidance: { A: 0.5, B: 0.5 }\n    guidance_tolerance: 0.01\n");
    assert!(small.iter().all(|g| !g.reported && g.departs.is_empty()));
    // Without guidance, nothing.
    assert!(run_with("").is_empty());
}

#[test]
fn guidance_errors_are_reported_with_their_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scoring");
    let tmp = tempfile::tempdir().unwrap();
    crate::cli::copy_dir(&root, tmp.path());
    let p = tmp.path().join("pipeline.yaml");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replacen(
            "    calibration_group: [role]\n",
            "    calibration_group: [role]\n    grade_guidance: { A: 0.5, Z: 0.3, B: 1.5 }\n    guidance_min_group: 0\n",
            1,
        )
        .replacen(
            "    swing_threshold: 25\n",
            "    swing_threshold: 25\n    guidance_tolerance: 0.1\n",
            1,
        );
    std::fs::write(&p, text).unwrap();
    let o = bin().arg("validate").arg(&p).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(transcript(&o, tmp.path()));
}
