//! A custom aggregate's `filter` (contract 3.1), before any data is read: its columns checked
//! against the table's, the text rewritten where a literal or an operator means something that
//! depends on its operands' types, then built into a typed tree ([`Node`], evaluated by
//! `crate::metrics::custom::filter`) whose every operand is checked to fit. What a filter cannot
//! use or mean is reported now, at its place in the pipeline; nothing fails at run time.
//!
//! What is rewritten, knowing each column's kind ([`CustomTable::columns`]):
//! - names to the lower case SQL reads an unquoted name in, and `invoice.<column>` to one quoted
//!   column name;
//! - `date - date` to the whole number of days between them, `date + n` and `date - n` to a date;
//! - a text literal compared with a date or timestamp to a literal of that type, and a `DATE`
//!   literal to its day number cast to a date;
//! - `x IN (a, b)` to `(x = a OR x = b)` and `x BETWEEN a AND b` to `(x >= a AND x <= b)`, so
//!   that every item compares as `=` does.
//!
//! Timestamps are the wall-clock time in the pipeline's timezone
//! ([`crate::catalogue::custom::ColKind::dtype`]): a `DATE` or `TIMESTAMP` literal compared with
//! one is that moment there.

mod build;
mod lower;
mod types;

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Ident};

use super::sql::{ident_name, SqlError};
use crate::catalogue::cond::Node;
use crate::catalogue::custom::{CustomTable, INVOICE_PREFIX};
use types::Ty;

/// What a filter may use, for hints.
pub const SUBSET: &str = "use comparisons, AND/OR/NOT, IN, BETWEEN, IS [NOT] NULL, LIKE, arithmetic (date - date in days, date + n days) and DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD HH:MM:SS' literals";

/// A filter as checked: its typed tree and the columns it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub node: Node,
    pub reads: Vec<String>,
}

/// Checks a filter over `table`'s columns and builds its tree: every column exists, the types
/// fit, the whole is boolean. Returns the filter built, or every problem found.
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
    if !errors.is_empty() {
        return Err(errors);
    }
    let built = build::build(&rewritten, table, &mut errors);
    match built {
        Some((node, Ty::Bool | Ty::Null)) if errors.is_empty() => {
            reads.sort();
            reads.dedup();
            Ok(Filter { node, reads })
        }
        Some((_, t)) if errors.is_empty() => Err(vec![SqlError::at(
            e,
            format!("the filter gives {}, not true or false", t.name()),
            Some("write a condition, e.g. `amount >= 100000 AND invoice.recourse = false`".into()),
        )]),
        _ => Err(errors),
    }
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
