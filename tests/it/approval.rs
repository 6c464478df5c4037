//! Decisions and the quality of approved business on the hand-computed `approval` fixture. Every
//! expected value is worked out in tests/fixtures/approval/README.md.

use factorscore::run::{RunOptions, Scorecards};
use polars::prelude::DataFrame;

use crate::common::*;

/// The fixture's figures of employee `who` in month `period`, checked against `want`.
fn expect(who: &str, period: &str, want: &[(&str, &str)]) {
    let (loaded, facts) = compute(
        &fixture("approval").join("pipeline.yaml"),
        &RunOptions::default(),
    );
    let m = metrics(&loaded, &facts, who, period);
    for (name, value) in want {
        check(&format!("{who} {period}"), name, get(&m, name), value);
    }
}

fn ratio(num: f64, den: f64) -> String {
    format!("{:?}", num / den)
}

#[test]
fn decisions_are_counted_and_timed_for_who_decided() {
    // R1: P1 (6 h), P2 (24 h, decided_at with an offset), P3 (1.5 h, in UTC); P4 was withdrawn.
    expect(
        "R1",
        "2024-01",
        &[
            ("decisions_made", "3"),
            ("decision_time_median_hours", "6.0"),
        ],
    );
    expect(
        "R1",
        "2024-02",
        &[
            ("decisions_made", "1"),
            ("decision_time_median_hours", "48.0"),
        ],
    );
    expect(
        "R2",
        "2024-01",
        &[
            ("decisions_made", "1"),
            ("decision_time_median_hours", "12.0"),
        ],
    );
    // The applicant is not the decider; the origination counts stay theirs.
    expect(
        "S1",
        "2024-01",
        &[
            ("decisions_made", "0"),
            ("decision_time_median_hours", ""),
            ("applications_decided", "5"),
        ],
    );
}

#[test]
fn a_matured_invoice_partly_collected_before_and_after_its_maturity() {
    // I1: 1000.00 due 01-31 matures 04-30; 300.00 and 200.00 (on 04-30) count, 100.00 on
    // 05-10 does not.
    expect(
        "R1",
        "2024-04",
        &[
            ("approved_matured_face", "1000.00"),
            ("approved_defaulted", "500.00"),
            ("approved_default_rate", "0.5"),
        ],
    );
    expect(
        "R1",
        "2024-03",
        &[
            ("approved_matured_face", "0.00"),
            ("approved_defaulted", "0.00"),
            ("approved_default_rate", ""),
        ],
    );
}

#[test]
fn a_write_off_before_maturity_does_not_reduce_the_unpaid_amount() {
    // I2: 400.00 - 100.00 collected = 300.00 unpaid, although 300.00 was written off on 03-01
    // and 50.00 recovered on 04-01 (no applied part). I7: 200.00 paid in full, 0.00 unpaid.
    expect(
        "R1",
        "2024-05",
        &[
            ("approved_matured_face", "600.00"),
            ("approved_defaulted", "300.00"),
            ("approved_default_rate", "0.5"),
        ],
    );
}

#[test]
fn a_foreign_invoice_is_converted_at_its_booking_rate_and_rounded_once() {
    // I3: 100.00 USD at 7.1234567 = 712.35; 66.67 USD unpaid = 474.92 (not 712.35 - 237.42).
    expect(
        "R1",
        "2024-06",
        &[
            ("approved_matured_face", "712.35"),
            ("approved_defaulted", "474.92"),
            ("approved_default_rate", &ratio(47492.0, 71235.0)),
        ],
    );
}

/// The fixture scored, and its rollups of month `label`.
fn rollups(label: &str) -> (DataFrame, Vec<String>) {
    let plan = factorscore::config::load(&fixture("approval/pipeline.yaml")).expect("pipeline");
    let loaded = factorscore::run::load(&plan).expect("input");
    let w = factorscore::run::window(&plan, &loaded.ledger, &RunOptions::default()).unwrap();
    let sc: Scorecards = factorscore::run::score_window(&plan, &loaded, w).expect("scores");
    let fw = sc.facts.window;
    let k = fw
        .index_of_period(fw.cal.parse_label(label).unwrap())
        .unwrap();
    let ids = &loaded.ledger.employees.ids;
    let rows = sc.cards[k]
        .iter()
        .map(|c| ids.name(c.employee).to_string())
        .collect();
    let inputs = factorscore::rollups::Inputs {
        cat: &plan.catalogue,
        f: &sc.facts,
        cards: &sc.cards,
        custom_groups: &sc.custom_groups,
    };
    let df = factorscore::rollups::frame(&inputs, &mut Default::default(), k, &sc.scored.rows[k])
        .unwrap();
    (df, rows)
}

fn text(df: &DataFrame, c: &str) -> Vec<String> {
    let col = df.column(c).unwrap().str().unwrap();
    col.iter().map(|v| v.unwrap().to_string()).collect()
}

fn cents(df: &DataFrame, c: &str) -> Vec<i64> {
    let col = df.column(c).unwrap().decimal().unwrap();
    col.physical().iter().map(|v| v.unwrap() as i64).collect()
}

fn floats(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c).unwrap().f64().unwrap().iter().collect()
}

#[test]
fn a_decision_by_someone_who_left_counts_in_the_company_when_it_matures() {
    // R2 approved P5 and left on 2024-02-15; I4 matures on 05-15 with 500.00 of 2000.00 unpaid.
    expect(
        "R2",
        "2024-05",
        &[
            ("approved_matured_face", "2000.00"),
            ("approved_defaulted", "500.00"),
            ("approved_default_rate", "0.25"),
        ],
    );
    let (df, rows) = rollups("2024-05");
    // Scorecard rows come in employee id order.
    assert_eq!(rows, ["A1", "R1", "S1"], "R2 has no scorecard row in May");
    assert_eq!(
        text(&df, "key"),
        ["company", "East", "East-1"],
        "levels: company, department, team"
    );
    // The company holds R2's facts; East holds the May rows of S1, R1 and A1 only. I5 (under P6,
    // which has no decider) counts nowhere.
    assert_eq!(
        cents(&df, "approved_matured_face"),
        [260_000, 60_000, 60_000]
    );
    assert_eq!(cents(&df, "approved_defaulted"), [80_000, 30_000, 30_000]);
    // The ratio of the sums, 800 / 2600, not the mean of R1's 0.5 and R2's 0.25.
    assert_eq!(
        floats(&df, "approved_default_rate"),
        [Some(800.0 / 2600.0), Some(0.5), Some(0.5)]
    );
}

#[test]
fn rollups_pool_the_decision_times() {
    let (df, rows) = rollups("2024-01");
    assert_eq!(rows, ["A1", "R1", "R2", "S1"]);
    assert_eq!(text(&df, "key"), ["company", "East", "East-1", "East-2"]);
    let decisions = df.column("decisions_made").unwrap().i64().unwrap();
    assert_eq!(
        decisions.iter().map(Option::unwrap).collect::<Vec<_>>(),
        [4, 4, 3, 1]
    );
    // Pooled 1.5, 6, 12 and 24 hours: 9, not the mean of R1's 6 and R2's 12 medians.
    assert_eq!(
        floats(&df, "decision_time_median_hours"),
        [Some(9.0), Some(9.0), Some(6.0), Some(12.0)]
    );
}
