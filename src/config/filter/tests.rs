//! The filter checks and rewrites (what the built filters give on rows is tested beside their
//! evaluation, `crate::metrics::custom::filter`).

use super::*;
use crate::config::sql::parse;

/// The filter as rewritten before it is built, once it checks.
fn lowered(text: &str, table: CustomTable) -> String {
    let e = parse(text).unwrap();
    check_filter(&e, table).unwrap();
    let mut x = e.clone();
    let mut errors = Vec::new();
    let _ = sqlparser::ast::visit_expressions_mut(&mut x, |n| {
        lower::lower(n, table, &mut errors);
        ControlFlow::<()>::Continue(())
    });
    assert!(errors.is_empty());
    x.to_string()
}

fn refused(text: &str, table: CustomTable) -> Vec<String> {
    check_filter(&parse(text).unwrap(), table)
        .unwrap_err()
        .into_iter()
        .map(|e| e.message)
        .collect()
}

#[test]
fn a_filter_on_invoice_columns_is_rewritten_and_built() {
    use crate::catalogue::cond::{Cmp, Lit, Node};
    let t = CustomTable::Collections;
    let text = "invoice.recourse = false AND amount >= 100000";
    let f = check_filter(&parse(text).unwrap(), t).unwrap();
    assert_eq!(
        lowered(text, t),
        "\"invoice.recourse\" = false AND amount >= 100000"
    );
    assert_eq!(f.reads, ["amount", "invoice.recourse"]);
    let col = |n: &str| Box::new(Node::Column(n.into()));
    assert_eq!(
        f.node,
        Node::And(
            Box::new(Node::Compare(
                Cmp::Eq,
                col("invoice.recourse"),
                Box::new(Node::Lit(Lit::Bool(false)))
            )),
            Box::new(Node::Compare(
                Cmp::GtEq,
                col("amount"),
                Box::new(Node::Lit(Lit::Exact(100000, 0)))
            ))
        )
    );
}

#[test]
fn names_in_any_case_are_read_in_lower_case() {
    let text = "Amount >= 1000 AND INVOICE.RECOURSE = FALSE";
    let f = check_filter(&parse(text).unwrap(), CustomTable::Collections).unwrap();
    assert_eq!(
        lowered(text, CustomTable::Collections),
        "amount >= 1000 AND \"invoice.recourse\" = false"
    );
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
fn what_a_filter_cannot_mean_is_reported_before_any_data_is_read() {
    let t = CustomTable::Collections;
    assert_eq!(
        refused("invoice_id > 5", t),
        ["compares text with a number"]
    );
    assert_eq!(
        refused("invoice.recourse AND amount", t),
        ["AND joins conditions, not a number"]
    );
    assert_eq!(
        refused("nosuchfn(amount) = 1", t),
        ["`nosuchfn` is not a function a filter can use"]
    );
    assert_eq!(refused("amount LIKE 'x%'", t), ["LIKE of a number"]);
    assert_eq!(
        refused("paid_on > TIMESTAMP '2024-01-01' + INTERVAL '1 month'", t),
        ["`INTERVAL '1 month'` is not an interval a filter can use"]
    );
    assert_eq!(
        refused("invoice_id || 'x' = 'y'", t),
        ["`||` is not an operator a filter can use"]
    );
}
