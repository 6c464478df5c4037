//! Hand-computed edge cases (tests/fixtures/edge): a leap-day period end, events on a period's
//! first and last days, a hire on a month's last day and a termination on a month's first, a
//! reassignment after a termination, a collection split into applied and recovery parts, rounding
//! of a converted balance that differs from the sum of converted events, DPD buckets, timestamps
//! in three spellings, fee reversal, and month and quarter grains.

use factorscore::metrics::registry::Val;
use factorscore::periods::Grain;
use factorscore::run::RunOptions;

use crate::common::*;

fn f(x: f64) -> String {
    format!("{x:?}")
}

/// Expected metrics: (employee, period, [(metric, value)]).
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, String)]);

fn expect(grain: Grain, cases: &[Case]) {
    let opts = RunOptions {
        grain: Some(grain),
        ..Default::default()
    };
    let (loaded, facts) = compute(&fixture("edge").join("pipeline.yaml"), &opts);
    for (who, period, want) in cases {
        let m = metrics(&loaded, &facts, who, period);
        for (name, value) in want.iter() {
            check(&format!("{who} {period}"), name, get(&m, name), value);
        }
    }
}

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn february_of_a_leap_year() {
    expect(
        Grain::Month,
        &[
            (
                "M1",
                "2024-02",
                &[
                    // J1 600.00 current (due on the period end), J2 212.90 (333.36 - 100.00 HKD
                    // converted as a balance; 304.14 - 91.23 would be 212.91) 29 days past due.
                    ("outstanding", s("812.90")),
                    ("overdue", s("212.90")),
                    ("par30", s("0.00")),
                    ("overdue_rate", f(21290.0 / 81290.0)),
                    ("par30_rate", f(0.0)),
                    ("cash_collected", s("491.23")),
                    ("fee_income", s("0.00")),
                    ("profit_contribution", s("0.00")),
                    ("collectible", s("704.14")),
                    ("cash_recovery_rate", f(49123.0 / 70414.0)),
                    ("collection_effectiveness", f(49124.0 / 70414.0)),
                    ("receivables_collection_rate", f(0.4)),
                    ("dso", f(81290.0 * 29.0 / 100000.0)),
                    ("average_outstanding", f(558.52)),
                    ("bad_debt_rate", f(0.0)),
                    ("applications_received", s("1")),
                    ("applications_decided", s("0")),
                    ("approval_rate", s("")),
                    ("funded_volume", s("900.00")),
                    ("purchased_face", s("1000.00")),
                    ("new_clients", s("0")),
                ],
            ),
            (
                "M3",
                "2024-02",
                &[
                    ("outstanding", s("150.00")),
                    ("overdue", s("150.00")),
                    ("par30", s("150.00")),
                    ("par60", s("150.00")),
                    ("par90", s("0.00")),
                    ("cash_collected", s("100.00")),
                    ("written_off", s("400.00")),
                    ("profit_contribution", s("-400.00")),
                    ("collectible", s("650.00")),
                    ("cash_recovery_rate", f(100.0 / 650.0)),
                    ("collection_effectiveness", f(500.0 / 650.0)),
                    ("receivables_collection_rate", s("")),
                    ("dso", s("")),
                    ("average_outstanding", f(400.0)),
                    ("bad_debt_rate", f(1.0)),
                    ("net_loss_rate", f(1.0)),
                    ("applications_received", s("1")),
                ],
            ),
            (
                "M2",
                "2024-02",
                &[
                    ("outstanding", s("0.00")),
                    ("average_outstanding", f(0.0)),
                    ("bad_debt_rate", s("")),
                    ("manager_review", f(85.0)),
                    ("customer_satisfaction", s("")),
                ],
            ),
            (
                "M1",
                "2024-03",
                &[
                    ("outstanding", s("812.90")),
                    ("overdue", s("812.90")),
                    ("par30", s("812.90")),
                    ("par60", s("0.00")),
                    ("collectible", s("812.90")),
                    ("cash_recovery_rate", f(0.0)),
                    ("collection_effectiveness", f(0.0)),
                    ("average_outstanding", f(812.9)),
                    ("applications_decided", s("1")),
                    ("applications_approved", s("1")),
                    ("approval_rate", f(1.0)),
                    ("applications_funded", s("1")),
                    ("time_to_fund_median_hours", f(10.0 + 1.0 / 3600.0)),
                    ("time_to_fund_p90_hours", f(10.0 + 1.0 / 3600.0)),
                ],
            ),
            (
                "M2",
                "2024-03",
                &[
                    ("outstanding", s("0.00")),
                    ("cash_collected", s("140.00")),
                    ("recoveries", s("90.00")),
                    ("written_off", s("0.00")),
                    ("profit_contribution", s("90.00")),
                    ("collectible", s("150.00")),
                    ("cash_recovery_rate", f(50.0 / 150.0)),
                    ("collection_effectiveness", f(1.0)),
                    ("average_outstanding", f(0.0)),
                    ("bad_debt_rate", s("")),
                    ("net_loss_rate", s("")),
                ],
            ),
            (
                "M3",
                "2024-03",
                &[
                    ("outstanding", s("0.00")),
                    ("written_off", s("100.00")),
                    ("profit_contribution", s("-100.00")),
                    ("average_outstanding", f(75.0)),
                    ("bad_debt_rate", f(100.0 / 75.0)),
                    ("applications_decided", s("1")),
                    ("applications_approved", s("0")),
                    ("approval_rate", f(0.0)),
                ],
            ),
        ],
    );
}

#[test]
fn first_quarter() {
    expect(
        Grain::Quarter,
        &[
            (
                "M1",
                "2024-Q1",
                &[
                    ("outstanding", s("812.90")),
                    ("par30", s("812.90")),
                    ("cash_collected", s("491.23")),
                    ("collectible", s("1304.14")),
                    ("cash_recovery_rate", f(49123.0 / 130414.0)),
                    ("collection_effectiveness", f(49124.0 / 130414.0)),
                    ("receivables_collection_rate", f(49123.0 / 130414.0)),
                    ("dso", f(81290.0 * 91.0 / 130414.0)),
                    ("average_outstanding", f(482.485)),
                    ("funded_volume", s("900.00")),
                    ("applications_received", s("1")),
                    ("applications_funded", s("1")),
                ],
            ),
            (
                "M2",
                "2024-Q1",
                &[
                    ("collectible", s("700.00")),
                    ("cash_recovery_rate", f(200.0 / 700.0)),
                    ("collection_effectiveness", f(1.0)),
                    ("cash_collected", s("140.00")),
                    ("recoveries", s("90.00")),
                    ("funded_volume", s("273.70")),
                    ("purchased_face", s("304.14")),
                    ("new_clients", s("1")),
                    ("average_outstanding", f(0.0)),
                    ("manager_review", f(85.0)),
                ],
            ),
            (
                "M3",
                "2024-Q1",
                &[
                    ("cash_collected", s("150.00")),
                    ("written_off", s("500.00")),
                    ("average_outstanding", f(375.0)),
                    ("bad_debt_rate", f(500.0 / 375.0)),
                    ("applications_received", s("1")),
                    ("applications_decided", s("1")),
                ],
            ),
            (
                "UNASSIGNED",
                "2024-Q1",
                &[("outstanding", s("0.00")), ("cash_collected", s("0.00"))],
            ),
        ],
    );
}

#[test]
fn quarter_company_totals_reconcile() {
    let opts = RunOptions {
        grain: Some(Grain::Quarter),
        ..Default::default()
    };
    let (loaded, facts) = compute(&fixture("edge").join("pipeline.yaml"), &opts);
    let total = |name: &str| -> i64 {
        ["M1", "M2", "M3", "UNASSIGNED"]
            .iter()
            .map(
                |id| match get(&metrics(&loaded, &facts, id, "2024-Q1"), name) {
                    Val::Money(c) => c,
                    _ => unreachable!(),
                },
            )
            .sum()
    };
    assert_eq!(total("cash_collected"), 78123);
    assert_eq!(total("written_off"), 50000);
    assert_eq!(total("recoveries"), 9000);
    assert_eq!(total("outstanding"), 81290);
}
