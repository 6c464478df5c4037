//! The contract's worked example: every section 3 figure, by hand, for two months.

use factorscore::metrics::registry::Val;
use factorscore::run::RunOptions;

use crate::common::*;

#[test]
fn every_metric_of_the_worked_example() {
    let dir = fixture("worked_example");
    let (loaded, facts) = compute(&dir.join("pipeline.yaml"), &RunOptions::default());
    let rows = read_csv(&dir.join("expected-month.csv"));
    let header = &rows[0];
    let mut checked = 0;
    for row in &rows[1..] {
        let (who, period) = (&row[0], &row[1]);
        if who.starts_with("(company") {
            // Company totals: every employee plus UNASSIGNED.
            for (i, name) in header.iter().enumerate().skip(7) {
                if row[i].is_empty() {
                    continue;
                }
                let mut total = 0i64;
                for id in loaded.ledger.employees.ids.names().chain(["UNASSIGNED"]) {
                    match get(&metrics(&loaded, &facts, id, period), name) {
                        Val::Money(c) => total += c,
                        other => panic!("company total of a non-money metric {name}: {other:?}"),
                    }
                }
                check(
                    &format!("company {period}"),
                    name,
                    Val::Money(total),
                    &row[i],
                );
                checked += 1;
            }
            continue;
        }
        let m = metrics(&loaded, &facts, who, period);
        for (i, name) in header.iter().enumerate().skip(7) {
            check(&format!("{who} {period}"), name, get(&m, name), &row[i]);
            checked += 1;
        }
    }
    assert_eq!(checked, 6 * 33 + 5 * 2);
}
