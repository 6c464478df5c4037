//! The catalogue of rule breaks of the data contract (sections 1 and 2), one defect per test:
//! each message names the file, line and row, the column, the value and the rule. The reading
//! and pipeline cases are in `catalogue.rs`.

use std::path::Path;

use crate::common::{append_lines, edit_input};
use crate::messages::{case_of, run};

/// Appends a line to input file `name`.
fn add(dir: &Path, name: &str, line: &str) {
    append_lines(&dir.join("input").join(name), &[line]);
}

/// Adds column `column` to input file `name`: on the rows that start with one of the prefixes
/// of `values` its value, on the others nothing.
fn add_column(dir: &Path, name: &str, column: &str, values: &[(&str, &str)]) {
    let p = dir.join("input").join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let v = match i {
            0 => column,
            _ => values
                .iter()
                .find(|(prefix, _)| line.starts_with(prefix))
                .map_or("", |x| x.1),
        };
        out.push_str(&format!("{line},{v}\n"));
    }
    std::fs::write(&p, out).unwrap();
}

/// The run's transcript on the worked example after `defect`.
fn after(defect: impl Fn(&Path)) -> String {
    after_in(|t| t, defect)
}

/// The run's transcript on the worked example, its pipeline edited by `edit`, after `defect`.
fn after_in(edit: impl Fn(String) -> String, defect: impl Fn(&Path)) -> String {
    let dir = case_of("worked_example", edit);
    defect(dir.path());
    run(dir.path(), &["run", "--out", "out"])
}

#[test]
fn negative_amount() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "collections.csv",
        "K2,I3,2024-01-20,200.00",
        "K2,I3,2024-01-20,-200.00"
    )));
}

#[test]
fn zero_amount() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "write_offs.csv",
        "W1,I3,2024-02-15,300.00",
        "W1,I3,2024-02-15,0.00"
    )));
}

#[test]
fn zero_face_amount() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "invoices.csv",
        "I1,C1,D1,CNY,1000.00",
        "I1,C1,D1,CNY,0.00"
    )));
}

#[test]
fn duplicate_invoice_id_names_both_places() {
    insta::assert_snapshot!(after(|d| add(
        d,
        "invoices.csv",
        "I2,C1,D2,CNY,10.00,8.00,2024-01-05,2024-02-04,E1,true"
    )));
}

#[test]
fn duplicate_employee_id_names_both_places() {
    insta::assert_snapshot!(after(|d| add(
        d,
        "employees.csv",
        "E2,Bob again,2024-01-15,,15000.00"
    )));
}

#[test]
fn collection_before_the_purchase_date() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "collections.csv",
        "K3,I2,2024-01-31",
        "K3,I2,2024-01-04"
    )));
}

#[test]
fn overpayment() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "collections.csv",
        "K3,I2,2024-01-31,500.00",
        "K3,I2,2024-01-31,2500.00"
    )));
}

#[test]
fn write_off_exceeding_the_balance() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "write_offs.csv",
        "W1,I3,2024-02-15,300.00",
        "W1,I3,2024-02-15,300.01"
    )));
}

#[test]
fn overlapping_assignments() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "assignments.csv",
        "C2,E1,2024-01-31,",
        "C2,E1,2024-01-20,"
    )));
}

#[test]
fn assignment_past_the_termination_date() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "assignments.csv",
        "C2,E3,2023-01-01,2024-01-31",
        "C2,E3,2023-01-01,"
    )));
}

#[test]
fn org_history_gap_inside_the_employment() {
    insta::assert_snapshot!(after(|d| {
        edit_input(
            d,
            "org_history.csv",
            "E1,2020-01-01,,East,East-1,account_manager,",
            "E1,2020-01-01,2023-06-01,East,East-1,account_manager,",
        );
        add(
            d,
            "org_history.csv",
            "E1,2023-07-01,,East,East-1,account_manager,",
        );
    }));
}

#[test]
fn overlapping_org_history() {
    insta::assert_snapshot!(after(|d| add(
        d,
        "org_history.csv",
        "E1,2023-07-01,,East,East-2,account_manager,"
    )));
}

#[test]
fn employee_without_org_history() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "org_history.csv",
        "E2,2024-01-15,,East,East-1,sales,E1\n",
        ""
    )));
}

#[test]
fn originator_not_employed_on_the_purchase_date() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "invoices.csv",
        "2024-01-06,2024-02-29,E1",
        "2024-01-06,2024-02-29,E2"
    )));
}

#[test]
fn termination_before_hire() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "employees.csv",
        "E3,Carol,2020-01-01,2024-02-10",
        "E3,Carol,2020-01-01,2019-02-10"
    )));
}

#[test]
fn unknown_decision_value() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "applications.csv",
        ",rejected,,500.00",
        ",declined,,500.00"
    )));
}

#[test]
fn funded_without_approval() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "applications.csv",
        ",rejected,,500.00",
        ",rejected,2024-02-02T10:00:00,500.00"
    )));
}

#[test]
fn decided_before_received() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "applications.csv",
        "2024-01-16T15:00:00+08:00",
        "2024-01-15T15:00:00+08:00"
    )));
}

#[test]
fn fx_rate_of_zero() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "fx_rates.csv",
        "USD,2024-01-05,7.1234567",
        "USD,2024-01-05,0"
    )));
}

#[test]
fn missing_fx_rate() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "invoices.csv",
        "I4,C2,D4,USD,100.00,80.00,2024-01-06",
        "I4,C2,D4,EUR,100.00,80.00,2024-01-06"
    )));
}

#[test]
fn second_fx_rate_for_a_date_names_both_rows() {
    insta::assert_snapshot!(after(|d| add(
        d,
        "fx_rates.csv",
        "USD,2024-01-08,7.3000000"
    )));
}

#[test]
fn unknown_employee_reference() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "reviews.csv",
        "E2,2024-02-02,peer,70",
        "E5,2024-02-02,peer,70"
    )));
}

#[test]
fn advance_above_face() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "invoices.csv",
        "I1,C1,D1,CNY,1000.00,800.00",
        "I1,C1,D1,CNY,1000.00,1800.00"
    )));
}

#[test]
fn due_before_purchase() {
    insta::assert_snapshot!(after(|d| edit_input(
        d,
        "invoices.csv",
        "2024-01-05,2024-02-04,E1",
        "2024-01-05,2024-01-04,E1"
    )));
}

#[test]
fn decider_without_a_decision_time() {
    insta::assert_snapshot!(after(|d| {
        edit_input(
            d,
            "applications.csv",
            "2024-02-06T10:00:00+08:00,withdrawn",
            ",withdrawn",
        );
        add_column(d, "applications.csv", "decided_by", &[("A5,", "E1")]);
    }));
}

#[test]
fn decider_not_employed_on_the_decided_date() {
    insta::assert_snapshot!(after(|d| add_column(
        d,
        "applications.csv",
        "decided_by",
        &[("A3,", "E2")]
    )));
}

#[test]
fn unknown_decider() {
    insta::assert_snapshot!(after(|d| add_column(
        d,
        "applications.csv",
        "decided_by",
        &[("A1,", "E9")]
    )));
}

#[test]
fn unknown_application_reference() {
    insta::assert_snapshot!(after(|d| add_column(
        d,
        "invoices.csv",
        "application_id",
        &[("I2,", "A9")]
    )));
}

#[test]
fn invoice_under_an_application_not_approved() {
    insta::assert_snapshot!(after(|d| add_column(
        d,
        "invoices.csv",
        "application_id",
        &[("I5,", "A2")]
    )));
}

#[test]
fn invoice_under_another_clients_application() {
    insta::assert_snapshot!(after(|d| add_column(
        d,
        "invoices.csv",
        "application_id",
        &[("I5,", "A3")]
    )));
}

#[test]
fn invoice_bought_before_its_application_was_decided() {
    insta::assert_snapshot!(after(|d| add_column(
        d,
        "invoices.csv",
        "application_id",
        &[("I1,", "A3")]
    )));
}

#[test]
fn invoice_under_a_rejected_application_row_is_left_out_with_its_events() {
    insta::assert_snapshot!(after_in(
        |t| t.replace(
            "applications: { path: input/applications.csv }",
            "applications: { path: input/applications.csv, on_error: quarantine }"
        ),
        |d| {
            edit_input(
                d,
                "applications.csv",
                "2024-01-03T01:00:00Z,approved",
                "2024-01-03T01:00:00Z,declined",
            );
            add_column(d, "invoices.csv", "application_id", &[("I2,", "A3")]);
        }
    ));
}
