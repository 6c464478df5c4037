//! The bonus pool (contract 5.3, `bonus_pool`) on the hand-computed `pool` fixture: every cent
//! is worked out in tests/fixtures/pool/README.md.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Decimal128Type;
use factorscore::run::RunOptions;

use crate::cli::{read_batches, run_ok, transcript};
use crate::common::fixture;
use crate::messages::{case_of, run};

/// Per employee of a period: (bonus_uncapped, bonus, whether the row got a remainder cent), in
/// cents, from scoring.
fn scored(label: &str) -> BTreeMap<String, (i64, i64, bool)> {
    let plan = factorscore::config::load(&fixture("pool/pipeline.yaml")).expect("pipeline");
    let loaded = factorscore::run::load(&plan).expect("input");
    let window =
        factorscore::run::window(&plan, &loaded.ledger, &RunOptions::default()).expect("window");
    let sc = factorscore::run::score_window(&plan, &loaded, window).expect("scores");
    let w = sc.facts.window;
    let k = w
        .index_of_period(w.cal.parse_label(label).unwrap())
        .expect("period");
    sc.cards[k]
        .iter()
        .zip(&sc.scored.rows[k])
        .map(|(c, s)| {
            let id = loaded.ledger.employees.ids.name(c.employee).to_string();
            let cent = s.pool.is_some_and(|p| p.remainder_cent);
            (id, (s.bonus_uncapped, s.bonus, cent))
        })
        .collect()
}

fn want(rows: &[(&str, i64, i64, bool)]) -> BTreeMap<String, (i64, i64, bool)> {
    rows.iter()
        .map(|(id, u, b, c)| (id.to_string(), (*u, *b, *c)))
        .collect()
}

#[test]
fn a_binding_pool_scales_to_the_cent_and_the_left_cents_go_by_the_largest_remainder() {
    // March: `am` (pool 30,000.00) binds: S = 35,000.00, shares b × 6/7. E3 lost 6/7 of a cent,
    // E10 and E2 3/7 each (the tie goes to `E10`, the smaller id as text), E1 2/7: the 2 cents
    // left go to E3 and E10. `sales` (pool 16,000.00) is met exactly: not scaled.
    assert_eq!(
        scored("2024-03"),
        want(&[
            ("E1", 1_500_000, 1_285_714, false),
            ("E10", 500_000, 428_572, true),
            ("E2", 500_000, 428_571, false),
            ("E3", 1_000_000, 857_143, true),
            ("E4", 1_200_000, 1_200_000, false),
            ("E5", 400_000, 400_000, false),
        ])
    );
    // April: `am` adds up to 25,000.00, within its pool; `sales` binds at 24,000.00 over
    // 16,000.00 and each share is 8,000.00 exactly, so no cent is left.
    assert_eq!(
        scored("2024-04"),
        want(&[
            ("E1", 1_000_000, 1_000_000, false),
            ("E10", 500_000, 500_000, false),
            ("E2", 0, 0, false),
            ("E3", 1_000_000, 1_000_000, false),
            ("E4", 1_200_000, 800_000, false),
            ("E5", 1_200_000, 800_000, false),
        ])
    );
}

/// (employee_id, bonus_uncapped, bonus, bonus_pool) of a written scorecards partition.
fn written(out: &Path, period: &str) -> Vec<(String, i128, i128, Option<i128>)> {
    let path = out.join(format!(
        "scorecards/grain=month/period={period}/part-0.parquet"
    ));
    let mut rows = Vec::new();
    for b in read_batches(&path) {
        let ids = arrow::compute::cast(
            b.column_by_name("employee_id").unwrap(),
            &arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let ids = ids.as_string::<i32>();
        let money = |name: &str| {
            b.column_by_name(name)
                .unwrap()
                .as_primitive::<Decimal128Type>()
                .clone()
        };
        let (u, bonus, pool) = (money("bonus_uncapped"), money("bonus"), money("bonus_pool"));
        for i in 0..b.num_rows() {
            rows.push((
                ids.value(i).to_string(),
                u.value(i),
                bonus.value(i),
                pool.is_valid(i).then(|| pool.value(i)),
            ));
        }
    }
    rows
}

#[test]
fn scorecards_hold_the_bonus_before_the_pool_and_the_pool() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&fixture("pool/pipeline.yaml"), &[], &out);
    let march = written(&out, "2024-03");
    let s = |id: &str, u: i128, b: i128, p: i128| (id.to_string(), u, b, Some(p));
    assert_eq!(
        march,
        [
            s("E1", 1_500_000, 1_285_714, 3_000_000),
            s("E10", 500_000, 428_572, 3_000_000),
            s("E2", 500_000, 428_571, 3_000_000),
            s("E3", 1_000_000, 857_143, 3_000_000),
            s("E4", 1_200_000, 1_200_000, 1_600_000),
            s("E5", 400_000, 400_000, 1_600_000),
        ]
    );
    let am: i128 = march.iter().take(4).map(|r| r.2).sum();
    assert_eq!(am, 3_000_000, "the plan's bonuses add up to its pool");
    // The column order of the contract: bonus_uncapped just before bonus.
    let b = &read_batches(&out.join("scorecards/grain=month/period=2024-03/part-0.parquet"))[0];
    let names: Vec<&str> = b
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let at = names.iter().position(|n| *n == "bonus").unwrap();
    assert_eq!(names[at - 1], "bonus_uncapped");
}

#[test]
fn explain_shows_the_scaling() {
    let dir = case_of("pool", |t| t);
    // E10: scaled, with a cent left by the cut; E2: scaled, lost the tie; E1 in April: the pool
    // does not bind.
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E10", "--period", "2024-03"]
    ));
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E2", "--period", "2024-03"]
    ));
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E1", "--period", "2024-04"]
    ));
}

#[test]
fn the_statement_shows_the_scaling() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_ok(&fixture("pool/pipeline.yaml"), &[], &out);
    let o = crate::cli::bin()
        .arg("report")
        .arg(&out)
        .args(["--period", "2024-03"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let statement = |id: &str| {
        let from = html.find(&format!("id=\"e-{id}\"")).unwrap();
        let len = html[from..].find("</section>").unwrap();
        html[from..from + len].to_string()
    };
    let e10 = statement("E10");
    assert!(
        e10.contains("data-pool=\"30,000.00\" data-plan-bonuses=\"35,000.00\""),
        "{e10}"
    );
    assert!(
        e10.contains("5,000.00 × 30,000.00 ÷ 35,000.00 = 4,285.71 + 0.01"),
        "{e10}"
    );
    assert!(e10.contains("= <b>4,285.72</b>"), "{e10}");
    let e2 = statement("E2");
    assert!(
        e2.contains("5,000.00 × 30,000.00 ÷ 35,000.00 = 4,285.71 = <b>4,285.71</b>"),
        "{e2}"
    );
    // Met exactly: no scaling shown.
    assert!(!statement("E4").contains("bonus-pool"));
}

#[test]
fn a_bad_bonus_pool_is_refused_with_its_place() {
    let dir = case_of("pool", |t| {
        t.replace("bonus_pool: \"30000.00\"", "bonus_pool: \"30000.005\"")
            .replace("bonus_pool: 16000", "bonus_pool: -16000")
    });
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
    let dir = case_of("pool", |t| {
        t.replace("bonus_pool: \"30000.00\"", "bonus_pool: \"30,000\"")
            .replace("bonus_pool: 16000", "bonus_pool: 16000.5")
    });
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}
