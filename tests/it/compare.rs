//! `factorscore compare` (contract 5.4): the hand-worked comparison of tests/fixtures/compare,
//! read back from its Parquet; the summary and the proposed file's errors as snapshots; and the
//! property that a plan set compared with itself changes nothing.

use std::path::{Path, PathBuf};

use arrow::array::{Array, Decimal128Array, Float64Array, StringArray};
use factorscore::periods::Grain;
use factorscore::run::RunOptions;
use proptest::prelude::*;

use crate::cli::{bin, read_batches, transcript};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// One row of `plan_comparison` as read by arrow: (period, employee, plans, composites, grades,
/// bonuses in cents).
type Got = (
    String,
    String,
    [Option<String>; 2],
    [Option<f64>; 2],
    [Option<String>; 2],
    [i128; 3],
);

fn read_comparison(out: &Path, period: &str) -> Vec<Got> {
    let part = out.join(format!(
        "plan_comparison/grain=month/period={period}/part-0.parquet"
    ));
    let mut rows = Vec::new();
    for b in read_batches(&part) {
        let s = |n: &str| {
            let c = arrow::compute::cast(
                b.column_by_name(n).unwrap(),
                &arrow::datatypes::DataType::Utf8,
            )
            .unwrap();
            c.as_any().downcast_ref::<StringArray>().unwrap().clone()
        };
        let f = |n: &str| {
            b.column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .clone()
        };
        let d = |n: &str| {
            let c = b
                .column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<Decimal128Array>()
                .unwrap()
                .clone();
            assert_eq!((c.precision(), c.scale()), (38, 2), "{n}");
            c
        };
        let opt_s = |a: &StringArray, i: usize| (!a.is_null(i)).then(|| a.value(i).to_string());
        let opt_f = |a: &Float64Array, i: usize| (!a.is_null(i)).then(|| a.value(i));
        let (id, pc, pp) = (s("employee_id"), s("plan_current"), s("plan_proposed"));
        let (gc, gp) = (s("grade_current"), s("grade_proposed"));
        let (cc, cp) = (f("composite_current"), f("composite_proposed"));
        let (bc, bp, bd) = (d("bonus_current"), d("bonus_proposed"), d("bonus_delta"));
        for i in 0..b.num_rows() {
            rows.push((
                period.to_string(),
                id.value(i).to_string(),
                [opt_s(&pc, i), opt_s(&pp, i)],
                [opt_f(&cc, i), opt_f(&cp, i)],
                [opt_s(&gc, i), opt_s(&gp, i)],
                [bc.value(i), bp.value(i), bd.value(i)],
            ));
        }
    }
    rows
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// The comparison of tests/fixtures/compare/README.md, every cell of `plan_comparison`, and the
/// summary as printed.
#[test]
fn the_hand_worked_comparison() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let o = bin()
        .arg("compare")
        .arg(fixture("scoring/pipeline.yaml"))
        .arg("--plans")
        .arg(fixture("compare/proposed.yaml"))
        .args(["--out", "cmp"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let shown = transcript(&o, Path::new(env!("CARGO_MANIFEST_DIR")));
    assert_eq!(o.status.code(), Some(0), "{shown}");
    insta::assert_snapshot!(shown);
    let jan = read_comparison(&out, "2024-01");
    let e1_current = 50.0 + 0.3 * 106.11797719266822 + 0.2 * 106.66666666666667;
    let e1_proposed = 0.8 * 100.0 + 0.2 * 106.11797719266822;
    let want_jan: Vec<Got> = vec![
        (
            "2024-01".into(),
            "E1".into(),
            [some("am-collections"), some("am-all")],
            [Some(e1_current), Some(e1_proposed)],
            [some("A"), some("B")],
            [3_000_000, 2_000_000, -1_000_000],
        ),
        (
            "2024-01".into(),
            "E2".into(),
            [some("sales"), None],
            [Some(110.4), None],
            [some("S"), None],
            [1_645_161, 0, -1_645_161],
        ),
        (
            "2024-01".into(),
            "E3".into(),
            [some("am-collections"), some("am-all")],
            [Some(100.0), None],
            [some("A"), None],
            [2_700_000, 0, -2_700_000],
        ),
        (
            "2024-01".into(),
            "E4".into(),
            [None, None],
            [None, None],
            [None, None],
            [0, 0, 0],
        ),
    ];
    assert_eq!(jan.len(), want_jan.len());
    for (g, w) in jan.iter().zip(&want_jan) {
        assert_eq!(
            (&g.0, &g.1, &g.2, &g.4, &g.5),
            (&w.0, &w.1, &w.2, &w.4, &w.5)
        );
        for side in 0..2 {
            match (g.3[side], w.3[side]) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{} {a} {b}", g.1),
                (a, b) => assert_eq!(a, b, "{}", g.1),
            }
        }
    }
    let feb = read_comparison(&out, "2024-02");
    let grades: Vec<_> = feb.iter().map(|g| (g.1.as_str(), g.4.clone())).collect();
    assert_eq!(
        grades,
        [
            ("E1", [some("D"), some("D")]),
            ("E2", [some("D"), None]),
            ("E3", [None, None]),
            ("E4", [None, None]),
        ]
    );
    assert!(feb.iter().all(|g| g.5 == [0, 0, 0]));
    let page = std::fs::read_to_string(out.join("plan_comparison.html")).unwrap();
    assert!(page.contains("default-src 'none'"));
    assert!(!page.contains("<script"));
}

/// `--format json`: the totals and counts of the README, money as exact decimal strings.
#[test]
fn the_summary_as_json() {
    let o = bin()
        .arg("compare")
        .arg(fixture("scoring/pipeline.yaml"))
        .arg("--plans")
        .arg(fixture("compare/proposed.yaml"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"]["bonus_current"], "73451.61");
    assert_eq!(v["total"]["bonus_proposed"], "20000.00");
    assert_eq!(v["total"]["bonus_delta"], "-53451.61");
    assert_eq!(v["total"]["rated_current"], 6);
    assert_eq!(v["total"]["rated_proposed"], 4);
    assert_eq!(v["ignored_adjustments"], 1);
    assert_eq!(v["ignored_targets_proposed"], 2);
    assert_eq!(v["ignored_targets_current"], 0);
    let moved: Vec<(&str, &str)> = v["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["employee_id"].as_str().unwrap(),
                m["period"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        [
            ("E3", "2024-01"),
            ("E2", "2024-01"),
            ("E1", "2024-01"),
            ("E2", "2024-02")
        ]
    );
}

/// A proposed plans file is checked like the pipeline's plans before any row is read: every
/// error at once, with its place; and it holds `plans` only.
#[test]
fn a_bad_proposed_file_is_reported_with_every_error() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("proposed.yaml");
    std::fs::write(
        &bad,
        r#"plans:
  - name: am
    role: account_manager
    valid_from: 2024-01
    kpis:
      - { metric: cash_recovery_rat, weight: 0.5, perspective: financial, direction: higher, threshold: 0.5, target: 0.8, stretch: 0.9 }
      - { metric: overdue_rate, weight: 0.3, perspective: financial, direction: lower, threshold: 0.3, target: 0.1, stretch: 0.05 }
  - name: am
    role: account_manager
    valid_from: 2024-02
    kpis:
      - { metric: fee_income, weight: 1, perspective: financial, direction: higher, threshold: 10, target: 5, stretch: 30 }
"#,
    )
    .unwrap();
    let extra = tmp.path().join("extra.yaml");
    std::fs::write(&extra, "name: x\nplans: []\n").unwrap();
    let mut shown = String::new();
    for f in [&bad, &extra] {
        let o = bin()
            .arg("compare")
            .arg(fixture("scoring/pipeline.yaml"))
            .arg("--plans")
            .arg(f)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        shown.push_str(&transcript(&o, tmp.path()));
    }
    insta::assert_snapshot!(shown);
}

/// The plans of a pipeline, as a proposed plans file.
fn plans_file(pipeline: &Path, to: &Path) {
    let text = std::fs::read_to_string(pipeline).unwrap();
    let at = text.find("\nplans:").expect("the pipeline has plans");
    std::fs::write(to, &text[at + 1..]).unwrap();
}

/// A plan set compared with itself changes nothing: the same plan, composite, grade and bonus on
/// both sides of every row, every bonus_delta 0, and every transition on the diagonal.
fn check_self_comparison(seed: u64, grain: Grain) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = factorscore::generate::GenConfig::preset("tiny", seed).unwrap();
    factorscore::generate::write(&cfg, tmp.path(), false).unwrap();
    let pipeline = tmp.path().join("pipeline.yaml");
    std::fs::write(&pipeline, crate::property::PIPELINE).unwrap();
    let proposed = tmp.path().join("proposed.yaml");
    plans_file(&pipeline, &proposed);
    let plan = factorscore::config::load(&pipeline).unwrap();
    let plans = factorscore::config::load_plans(&proposed, &plan.catalogue).unwrap();
    let loaded = factorscore::run::load(&plan).unwrap();
    let opts = RunOptions {
        grain: Some(grain),
        ..Default::default()
    };
    let w = factorscore::run::window(&plan, &loaded.ledger, &opts).unwrap();
    let c = factorscore::compare::compare(&plan, &loaded, w, plans).unwrap();
    let rows = c.rows(&loaded);
    assert!(rows.iter().any(|r| r.rated(0)), "some rows are rated");
    for r in &rows {
        assert_eq!(r.plan[0], r.plan[1]);
        assert_eq!(
            r.composite[0].map(f64::to_bits),
            r.composite[1].map(f64::to_bits)
        );
        assert_eq!(r.grade[0], r.grade[1]);
        assert_eq!(r.bonus_delta(), 0);
    }
    let s = factorscore::compare::summarize(&c, &rows);
    assert!(s.moved.is_empty());
    assert!(s.transitions.keys().all(|(a, b)| a == b));
    assert_eq!(s.total.delta(), 0);
    assert_eq!(s.ignored_adjustments, 0);
    assert_eq!(s.ignored_targets[0], s.ignored_targets[1]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn a_plan_set_compared_with_itself_changes_nothing(seed in 0u64..1_000_000, quarter in any::<bool>()) {
        check_self_comparison(seed, if quarter { Grain::Quarter } else { Grain::Month });
    }
}
