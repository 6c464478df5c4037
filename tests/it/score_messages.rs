//! Snapshots of the scoring half's messages and of `explain`: exit code, stdout and stderr.

use std::path::Path;

use crate::messages::{case_of, run};

/// A copy of the scoring fixture with its pipeline text edited by `edit`.
fn case(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    case_of("scoring", edit)
}

fn write_input(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join("input").join(name), text).unwrap();
}

#[test]
fn every_plan_error_at_once() {
    let dir = case(|t| {
        t.replace(
            "weight: 0.5, perspective: financial, direction: higher, threshold: 0.5",
            "weight: 0.6, perspective: financial, direction: higher, threshold: 0.5",
        )
        .replace("metric: overdue_rate", "metric: overdue_rat")
        .replace(
            "threshold: 0, target: 10, stretch: 30",
            "threshold: 0, target: 40, stretch: 30",
        )
        .replace("    valid_from: 2024-02\n", "    valid_from: 2024-01\n")
        .replace(
            "calibration_group: [role]",
            "calibration_group: [role, region]",
        )
        .replace(
            "{ grade: A, min: 100, bonus_multiplier: 1.5 }",
            "{ grade: A, min: 110, bonus_multiplier: 1.55555 }",
        )
        .replace(
            "{ grade: D, bonus_multiplier: 0 }",
            "{ grade: D, min: 0, bonus_multiplier: 0 }",
        )
        .replace(
            "weight: 0.4, perspective: process, direction: higher, threshold: 0.5",
            "weight: -0.4, perspective: process, direction: higher, threshold: 0.5",
        )
        .replace("  - name: sales\n", "  - name: am-losses\n")
    });
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}

#[test]
fn a_plan_key_outside_the_contract_is_refused_with_its_place() {
    let dir = case(|t| t.replace("    swing_threshold: 25\n", "    swing_treshold: 25\n"));
    insta::assert_snapshot!(run(dir.path(), &["validate"]));
}

#[test]
fn targets_and_appeals_rule_breaks() {
    let dir = case(|t| t);
    write_input(
        dir.path(),
        "targets.csv",
        "period,metric,target,threshold,stretch,employee_id,role,department\n\
         2024-01,cash_recovery_rate,0.75,,,,,\n\
         2024-01,cash_recovery_rate,0.8,,,,,\n\
         2024-01,fee_income,15,,,E1,account_manager,\n\
         2024-01,cash_recovery_rat,0.8,,,,,\n\
         2024-13,fee_income,15,,,,,\n\
         2024-01,fee_income,50,,,,account_manager,\n",
    );
    write_input(
        dir.path(),
        "adjustments.csv",
        "employee_id,period,metric,value,reason,approved_by\n\
         E3,2024-01,fee_income,12.00,wrong manager,E1\n\
         E3,2024-01,fee_income,13.00,asked twice,E1\n\
         E4,2024-01,fee_income,1.00,analysts have no plan,E1\n\
         E1,2024-02,fee_income,1.00,not a KPI in February,E2\n\
         E9,2024-02,fee_income,1.00,nobody,E2\n",
    );
    insta::assert_snapshot!(run(dir.path(), &["run", "--out", "out"]));
    assert!(
        !dir.path().join("out").exists(),
        "a failed run writes nothing"
    );
}

#[test]
fn explain_an_appealed_row_and_a_swing() {
    let dir = case(|t| t);
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E3", "--period", "2024-01"]
    ));
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E1", "--period", "2024-02"]
    ));
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E4", "--period", "2024-02"]
    ));
    insta::assert_snapshot!(run(
        dir.path(),
        &[
            "explain",
            "--employee",
            "E2",
            "--period",
            "2024-01",
            "--format",
            "json"
        ]
    ));
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E3", "--period", "2024-03"]
    ));
}

/// The text writes each figure by its metric's unit: a custom money aggregate with separators, a
/// custom count, a derived Float64 metric with the values it reads (one through `lag`), a rate
/// as a percent and hours with a decimal.
#[test]
fn explain_writes_custom_metrics_and_units_for_people() {
    let dir = case_of("custom_metrics", |t| {
        t.replace(
            "      - { metric: distinct_debtors, weight: 0.5,",
            "      - { metric: cash_growth, weight: 0.25, perspective: financial, direction: higher, threshold: 0, target: 0.1, stretch: 0.5 }\n      - { metric: distinct_debtors, weight: 0.25,",
        )
    });
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E2", "--period", "2024-02"]
    ));
    insta::assert_snapshot!(run(
        dir.path(),
        &["explain", "--employee", "E4", "--period", "2024-02"]
    ));
}
