//! A custom aggregate's `filter` (contract 3.1), before any data is read: its columns checked
//! against the table's, the whole checked to be a condition, the text rewritten where Polars'
//! SQL means something else than SQL (as DuckDB runs it) does, and the result tried on empty rows
//! of the table's rows schema, so that what would fail at run time is reported now, at its
//! place in the pipeline.
//!
//! What is rewritten, knowing each column's kind ([`CustomTable::columns`]):
//! - names to the lower case SQL reads an unquoted name in, and `invoice.<column>` to one quoted
//!   column name;
//! - `date - date` to the whole number of days between them, `date + n` and `date - n` to a date;
//! - a text literal compared with a date or timestamp to a literal of that type, and a `DATE`
//!   literal to its day number cast to a date (Polars warns on each cast of text to a date);
//! - `x IN (a, b)` to `(x = a OR x = b)` and `x BETWEEN a AND b` to `(x >= a AND x <= b)`, so
//!   that every item compares as `=` does (Polars makes IN's items one list of one type).
//!
//! Timestamps are the wall-clock time in the pipeline's timezone
//! ([`crate::catalogue::custom::ColKind::dtype`]): a `DATE` or `TIMESTAMP` literal compared with
//! one is that moment there.

mod lower;
mod types;

use std::ops::ControlFlow;

use polars::prelude::{DataFrame, IntoLazy};
use sqlparser::ast::{Expr, Ident};

use super::sql::{ident_name, SqlError};
use crate::catalogue::custom::{CustomTable, INVOICE_PREFIX};
use types::{ty, Ty};

/// What a filter may use, for hints.
pub const SUBSET: &str = "use comparisons, AND/OR/NOT, IN, BETWEEN, IS [NOT] NULL, LIKE, arithmetic (date - date in days, date + n days) and DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD HH:MM:SS' literals";

/// A filter as checked: its text for Polars and the columns it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The filter as Polars reads it (see the module's documentation).
    pub sql: String,
    pub reads: Vec<String>,
}

/// Checks a filter over `table`'s columns and rewrites it for Polars: every column exists, the
/// types fit, the whole is boolean, and Polars evaluates it on the table's (empty) rows.
/// Returns the filter rewritten, or every problem found.
pub fn check_filter(e: &Expr, table: CustomTable) -> Result<Filter, Vec<SqlError>> {
    let mut errors = Vec::new();
    let mut reads: Vec<String> = Vec::new();
    let _ = sqlparser::ast::visit_expressions(e, |x| {
        match x {
            Expr::Identifier(i) => match unknown_column(i, &ident_name(i), table) {
                Some(err) => errors.push(err),
                None => reads.push(ident_name(i)),
            },
            Expr::CompoundIdentifier(parts) => match compound_column(x, parts, table) {
                Some(err) => errors.push(err),
                None => reads.push(format!("{INVOICE_PREFIX}{}", ident_name(&parts[1]))),
            },
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rewritten = e.clone();
    // Children first: each node is rewritten knowing its operands' types.
    let _ = sqlparser::ast::visit_expressions_mut(&mut rewritten, |x| {
        lower::lower(x, table, &mut errors);
        ControlFlow::<()>::Continue(())
    });
    if errors.is_empty() {
        let t = ty(&rewritten, table);
        if !matches!(t, Ty::Bool | Ty::Unknown | Ty::Null) {
            errors.push(SqlError::at(
                e,
                format!("the filter gives {}, not true or false", t.name()),
                Some(
                    "write a condition, e.g. `amount >= 100000 AND invoice.recourse = false`"
                        .into(),
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let sql = rewritten.to_string();
    reads.sort();
    reads.dedup();
    match try_on_empty_rows(&sql, table) {
        Ok(()) => Ok(Filter { sql, reads }),
        Err(err) => Err(vec![SqlError::at(e, err, Some(SUBSET.into()))]),
    }
}

/// Polars' translation of the filter, run on every column of `table` typed exactly as the rows
/// at run time are ([`CustomTable::rows_schema`]): no rows, and one row of nulls.
fn try_on_empty_rows(sql: &str, table: CustomTable) -> Result<(), String> {
    let expr = polars::sql::sql_expr(sql).map_err(|e| {
        format!(
            "this filter is not supported: {}",
            first_line(&e.to_string())
        )
    })?;
    let names: Vec<String> = table.columns().into_iter().map(|c| c.0).collect();
    let schema = table.rows_schema(&names);
    [0, 1]
        .into_iter()
        .try_for_each(|height| {
            DataFrame::full_null(&schema, height)
                .lazy()
                .filter(expr.clone())
                .collect()
                .map(|_| ())
        })
        .map_err(|e| {
            format!(
                "this filter cannot be evaluated on the rows of {}: {}",
                table.name(),
                first_line(&e.to_string())
            )
        })
}

/// The first line of a Polars error (the rest is its query plan).
fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(s)
}

fn unknown_column(i: &Ident, name: &str, table: CustomTable) -> Option<SqlError> {
    if table.column(name).is_some() {
        return None;
    }
    let cols = table.columns();
    let hint = match crate::suggest::closest(name, cols.iter().map(|(n, _)| n.as_str())) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "the columns of {} are {}",
            table.name(),
            cols.iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| !n.starts_with(INVOICE_PREFIX))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(SqlError::at_ident(
        i,
        format!("`{name}` is not a column of {}", table.name()),
        Some(hint),
    ))
}

fn compound_column(x: &Expr, parts: &[Ident], table: CustomTable) -> Option<SqlError> {
    let names: Vec<String> = parts.iter().map(ident_name).collect();
    if names.len() == 2 && names[0] == "invoice" {
        if !table.has_invoice_columns() {
            return Some(SqlError::at(
                x,
                format!(
                    "`invoice.{}`: the rows of {} have no `invoice.` columns",
                    names[1],
                    table.name()
                ),
                Some(match table {
                    CustomTable::Invoices | CustomTable::Balances => format!(
                        "the rows of {} are invoices: write `{}`",
                        table.name(),
                        names[1]
                    ),
                    _ => "`invoice.<column>` is on collections, write_offs and fees".into(),
                }),
            ));
        }
        return unknown_column(&parts[1], &format!("{INVOICE_PREFIX}{}", names[1]), table);
    }
    Some(SqlError::at(
        x,
        format!("`{}` is not a column of {}", names.join("."), table.name()),
        Some(
            "name a column of the table, or `invoice.<column>` on collections, write_offs and fees"
                .into(),
        ),
    ))
}

#[cfg(test)]
mod tests;
