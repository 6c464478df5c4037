//! The filter checks and rewrites, and what the rewritten filters give on rows.

use super::*;
use crate::config::sql::parse;

fn lowered(text: &str, table: CustomTable) -> String {
    check_filter(&parse(text).unwrap(), table).unwrap().sql
}

fn refused(text: &str, table: CustomTable) -> Vec<String> {
    check_filter(&parse(text).unwrap(), table)
        .unwrap_err()
        .into_iter()
        .map(|e| e.message)
        .collect()
}

#[test]
fn a_filter_on_invoice_columns_is_rewritten_for_polars() {
    let e = parse("invoice.recourse = false AND amount >= 100000").unwrap();
    let f = check_filter(&e, CustomTable::Collections).unwrap();
    assert_eq!(f.sql, "\"invoice.recourse\" = false AND amount >= 100000");
    assert_eq!(f.reads, ["amount", "invoice.recourse"]);
}

#[test]
fn names_in_any_case_are_read_in_lower_case() {
    let e = parse("Amount >= 1000 AND INVOICE.RECOURSE = FALSE").unwrap();
    let f = check_filter(&e, CustomTable::Collections).unwrap();
    assert_eq!(f.sql, "amount >= 1000 AND \"invoice.recourse\" = false");
    assert_eq!(f.reads, ["amount", "invoice.recourse"]);
}

#[test]
fn a_filter_that_is_a_number_is_refused() {
    assert_eq!(
        refused("amount + 1", CustomTable::Collections),
        ["the filter gives a number, not true or false"]
    );
}

#[test]
fn date_arithmetic_is_in_whole_days() {
    let t = CustomTable::Collections;
    assert_eq!(
        lowered("paid_on - invoice.due_date > 90", t),
        "(CAST(paid_on AS BIGINT) - CAST(\"invoice.due_date\" AS BIGINT)) > 90"
    );
    assert_eq!(
        lowered("paid_on > invoice.due_date + 90", t),
        "paid_on > CAST((CAST(\"invoice.due_date\" AS BIGINT) + 90) AS DATE)"
    );
    assert_eq!(
        lowered("paid_on <= 30 + invoice.purchase_date", t),
        "paid_on <= CAST((30 + CAST(\"invoice.purchase_date\" AS BIGINT)) AS DATE)"
    );
    assert_eq!(
        refused("paid_on > invoice.due_date + 1.5", t),
        ["1.5 days: a date moves by whole days"]
    );
    assert_eq!(
        refused("paid_on + invoice.due_date > 0", t),
        ["a date + a date"]
    );
}

#[test]
fn text_beside_a_date_or_timestamp_is_a_literal_of_its_type() {
    assert_eq!(
        lowered("purchase_date >= '2024-02-10'", CustomTable::Invoices),
        "purchase_date >= CAST(19763 AS DATE)"
    );
    assert_eq!(
        lowered("funded_at >= '2024-02-05T09:00'", CustomTable::Applications),
        "funded_at >= TIMESTAMP '2024-02-05 09:00:00'"
    );
    assert_eq!(
        lowered(
            "received_at BETWEEN '2024-02-01' AND TIMESTAMP '2024-02-29 12:00:00.5'",
            CustomTable::Applications
        ),
        "(received_at >= TIMESTAMP '2024-02-01 00:00:00' AND received_at <= TIMESTAMP '2024-02-29 12:00:00.500')"
    );
    assert_eq!(
        refused("purchase_date >= '10/02/2024'", CustomTable::Invoices),
        ["'10/02/2024' is compared with a date but is not one"]
    );
    assert_eq!(
        refused("purchase_date >= DATE '2024-02-30'", CustomTable::Invoices),
        ["'2024-02-30' is not a date"]
    );
    assert_eq!(
        refused("purchase_date >= 20240210", CustomTable::Invoices),
        ["compares a date with a number"]
    );
}

#[test]
fn in_lists_and_between_compare_item_by_item() {
    assert_eq!(
        lowered("amount IN (1000, 2137.04)", CustomTable::Collections),
        "(amount = 1000 OR amount = 2137.04)"
    );
    assert_eq!(
        lowered("score NOT IN (75, 90.5)", CustomTable::Reviews),
        "NOT (score = 75 OR score = 90.5)"
    );
    assert_eq!(
        lowered("amount NOT BETWEEN 1000 AND 2137.04", CustomTable::Fees),
        "NOT (amount >= 1000 AND amount <= 2137.04)"
    );
}

#[test]
fn a_timestamp_difference_is_compared_with_an_interval() {
    let t = CustomTable::Applications;
    assert_eq!(
        refused("decided_at - received_at > 100", t),
        ["compares an interval with a number"]
    );
    lowered("decided_at - received_at > INTERVAL '2 days'", t);
    lowered("decided_at < received_at + INTERVAL '36 hours'", t);
}

#[test]
fn what_polars_cannot_evaluate_is_reported_before_any_data_is_read() {
    let t = CustomTable::Collections;
    assert_eq!(
        refused("invoice_id > 5", t),
        ["this filter cannot be evaluated on the rows of collections: cannot compare string with numeric type (i32)"]
    );
    assert_eq!(
        refused("invoice.recourse AND amount", t),
        ["this filter cannot be evaluated on the rows of collections: filter predicate must be of type `Boolean`, got `Decimal(38, 2)`"]
    );
    assert_eq!(
        refused("nosuchfn(amount) = 1", t),
        ["this filter is not supported: unsupported function 'nosuchfn'"]
    );
}

/// The rewritten filters run on rows typed as at run time give SQL's answers.
#[test]
fn rewritten_filters_give_sql_answers_on_rows() {
    use polars::prelude::*;
    let t = CustomTable::Collections;
    let names = ["paid_on", "amount", "invoice.due_date"].map(String::from);
    let schema = t.rows_schema(&names);
    // paid 2024-02-25 (19778), due 2023-11-20 (19681): 97 days late.
    let cols = vec![
        Column::new(crate::catalogue::custom::GROUP.into(), [0u32, 0]),
        Column::new("paid_on".into(), [19778i32, 19700])
            .cast(&DataType::Date)
            .unwrap(),
        Column::new("__cents.amount".into(), [213704i64, 100000]),
        crate::outputs::ColumnType::MONEY
            .decimals("amount", [Some(213704i64), Some(100000)].into_iter())
            .unwrap(),
        Column::new("invoice.due_date".into(), [19681i32, 19681])
            .cast(&DataType::Date)
            .unwrap(),
    ];
    let df = DataFrame::new(2, cols).unwrap();
    assert_eq!(df.schema().as_ref(), &schema);
    let kept = |text: &str| {
        let sql = lowered(text, t);
        df.clone()
            .lazy()
            .filter(polars::sql::sql_expr(&sql).unwrap())
            .collect()
            .unwrap()
            .height()
    };
    assert_eq!(kept("paid_on - invoice.due_date = 97"), 1);
    assert_eq!(kept("paid_on - invoice.due_date > 19"), 1);
    assert_eq!(kept("paid_on > invoice.due_date + 96"), 1);
    assert_eq!(kept("paid_on >= invoice.due_date - -97"), 1);
    assert_eq!(kept("paid_on > invoice.due_date + 97"), 0);
    assert_eq!(kept("paid_on >= '2024-02-25'"), 1);
    assert_eq!(kept("amount IN (1000, 2137.04)"), 2);
    assert_eq!(kept("amount IN (2137.04)"), 1);
    assert_eq!(kept("amount NOT IN (1000, 2137.05)"), 1);
    assert_eq!(kept("amount BETWEEN 1000 AND 2137.04"), 2);
}
