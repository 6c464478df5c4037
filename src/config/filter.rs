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
//! - a text literal compared with a date or timestamp to a `DATE` or `TIMESTAMP` literal;
//! - `x IN (a, b)` to `(x = a OR x = b)` and `x BETWEEN a AND b` to `(x >= a AND x <= b)`, so
//!   that every item compares as `=` does (Polars makes IN's items one list of one type).
//!
//! Timestamps are the wall-clock time in the pipeline's timezone ([`ColKind::dtype`]): a `DATE`
//! or `TIMESTAMP` literal compared with one is that moment there.

use std::ops::ControlFlow;

use polars::prelude::{DataFrame, IntoLazy};
use sqlparser::ast::{
    BinaryOperator as B, CastKind, DataType, Expr, Ident, TimezoneInfo, TypedString,
    UnaryOperator, Value, ValueWithSpan,
};

use super::sql::{ident_name, SqlError};
use crate::catalogue::custom::{ColKind, CustomTable, INVOICE_PREFIX};

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
        lower(x, table, &mut errors);
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
    let expr = polars::sql::sql_expr(sql)
        .map_err(|e| format!("this filter is not supported: {}", first_line(&e.to_string())))?;
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
    s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(s)
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

/// The type an expression gives, as far as a check before reading data can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bool,
    Number,
    Text,
    Date,
    Timestamp,
    /// A length of time: a timestamp minus a timestamp, or an `INTERVAL` literal.
    Interval,
    Null,
    /// A function or cast: not known here; Polars decides.
    Unknown,
}

impl Ty {
    fn of(k: ColKind) -> Ty {
        match k {
            ColKind::Text => Ty::Text,
            ColKind::Date => Ty::Date,
            ColKind::Timestamp => Ty::Timestamp,
            ColKind::Money | ColKind::Number => Ty::Number,
            ColKind::Bool => Ty::Bool,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "boolean",
            Ty::Number => "a number",
            Ty::Text => "text",
            Ty::Date => "a date",
            Ty::Timestamp => "a timestamp",
            Ty::Interval => "an interval",
            Ty::Null => "null",
            Ty::Unknown => "unknown",
        }
    }

    fn temporal(self) -> bool {
        matches!(self, Ty::Date | Ty::Timestamp)
    }

    /// Whether values of the two types can be compared (as far as known here).
    fn comparable(self, other: Ty) -> bool {
        use Ty::*;
        match (self, other) {
            (Unknown | Null, _) | (_, Unknown | Null) => true,
            (Date | Timestamp, Date | Timestamp) => true,
            (Date | Timestamp, _) | (_, Date | Timestamp) => false,
            (Interval, Interval) => true,
            (Interval, _) | (_, Interval) => false,
            _ => true,
        }
    }
}

fn ty(e: &Expr, table: CustomTable) -> Ty {
    match e {
        Expr::Identifier(i) => table.column(&ident_name(i)).map_or(Ty::Unknown, Ty::of),
        Expr::CompoundIdentifier(p) if p.len() == 2 => table
            .column(&format!("{INVOICE_PREFIX}{}", ident_name(&p[1])))
            .map_or(Ty::Unknown, Ty::of),
        Expr::Value(v) => match &v.value {
            Value::Number(..) => Ty::Number,
            Value::Boolean(_) => Ty::Bool,
            Value::Null => Ty::Null,
            Value::SingleQuotedString(_) | Value::DoubleQuotedString(_) => Ty::Text,
            _ => Ty::Unknown,
        },
        Expr::TypedString(t) => type_of(&t.data_type),
        Expr::Cast { data_type, .. } => type_of(data_type),
        Expr::Interval(_) => Ty::Interval,
        Expr::Nested(x) => ty(x, table),
        Expr::BinaryOp { left, op, right } => match op {
            B::And | B::Or | B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq | B::Xor => {
                Ty::Bool
            }
            B::Plus | B::Minus => match (ty(left, table), op, ty(right, table)) {
                (Ty::Timestamp, B::Minus, Ty::Timestamp) => Ty::Interval,
                (t @ (Ty::Date | Ty::Timestamp), _, Ty::Interval) => t,
                (Ty::Interval, _, Ty::Interval) => Ty::Interval,
                // Date arithmetic is rewritten ([`date_arithmetic`]); what is left was reported.
                (Ty::Date | Ty::Timestamp | Ty::Interval, _, _)
                | (_, _, Ty::Date | Ty::Timestamp | Ty::Interval) => Ty::Unknown,
                _ => Ty::Number,
            },
            B::Multiply | B::Divide | B::Modulo => Ty::Number,
            B::StringConcat => Ty::Text,
            _ => Ty::Unknown,
        },
        Expr::UnaryOp { op, .. } => match op {
            UnaryOperator::Not => Ty::Bool,
            UnaryOperator::Minus | UnaryOperator::Plus => Ty::Number,
            _ => Ty::Unknown,
        },
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::InList { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. } => Ty::Bool,
        _ => Ty::Unknown,
    }
}

fn type_of(d: &DataType) -> Ty {
    match d {
        DataType::Date => Ty::Date,
        DataType::Timestamp(..) | DataType::Datetime(_) => Ty::Timestamp,
        DataType::BigInt(_) | DataType::Int(_) | DataType::Integer(_) => Ty::Number,
        _ => Ty::Unknown,
    }
}

/// Rewrites one node whose children are rewritten already (see the module's documentation);
/// what cannot mean anything is reported.
fn lower(x: &mut Expr, table: CustomTable, errors: &mut Vec<SqlError>) {
    match x {
        Expr::Identifier(i) => {
            if i.quote_style.is_none() {
                i.value = i.value.to_ascii_lowercase();
            }
        }
        Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
            // Checked already to be `invoice.<column>`.
            *x = Expr::Identifier(Ident {
                value: format!("{INVOICE_PREFIX}{}", ident_name(&parts[1])),
                quote_style: Some('"'),
                span: parts[0].span.union(&parts[1].span),
            });
        }
        Expr::TypedString(t) => {
            if let Some(new) = typed_literal(t, errors) {
                *x = new;
            }
        }
        Expr::BinaryOp { left, op, right } => match op {
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => {
                compare(left, right, table, errors)
            }
            B::Plus | B::Minus => {
                if let Some(new) = date_arithmetic(left, op, right, table, errors) {
                    *x = new;
                }
            }
            B::Multiply | B::Divide | B::Modulo => {
                for side in [&**left, &**right] {
                    let t = ty(side, table);
                    if t.temporal() || t == Ty::Interval {
                        errors.push(SqlError::at(
                            side,
                            format!("`{op}` of {}", t.name()),
                            Some("dates and timestamps are compared, or dates subtracted (a number of days)".into()),
                        ));
                    }
                }
            }
            _ => {}
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => {
            let t = ty(expr, table);
            if t.temporal() {
                errors.push(SqlError::at(
                    &**expr,
                    format!("a sign before {}", t.name()),
                    None,
                ));
            }
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            compare(expr, low, table, errors);
            compare(expr, high, table, errors);
            let both = Expr::BinaryOp {
                left: Box::new(binary((**expr).clone(), B::GtEq, (**low).clone())),
                op: B::And,
                right: Box::new(binary((**expr).clone(), B::LtEq, (**high).clone())),
            };
            *x = negate(Expr::Nested(Box::new(both)), *negated);
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            if list.is_empty() {
                errors.push(SqlError::at(
                    &**expr,
                    "`IN` with an empty list".into(),
                    Some("write at least one value: `IN ('a', 'b')`".into()),
                ));
                return;
            }
            let mut any: Option<Expr> = None;
            for item in list.iter_mut() {
                let mut left = (**expr).clone();
                compare(&mut left, item, table, errors);
                let eq = binary(left, B::Eq, item.clone());
                any = Some(match any {
                    None => eq,
                    Some(a) => binary(a, B::Or, eq),
                });
            }
            if let Some(any) = any {
                *x = negate(Expr::Nested(Box::new(any)), *negated);
            }
        }
        _ => {}
    }
}

fn binary(left: Expr, op: B, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op,
        right: Box::new(right),
    }
}

fn negate(e: Expr, negated: bool) -> Expr {
    if negated {
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr: Box::new(e),
        }
    } else {
        e
    }
}

fn cast(e: Expr, data_type: DataType) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(e),
        data_type,
        array: false,
        format: None,
    }
}

/// The two sides of a comparison: a text literal beside a date or timestamp becomes a literal of
/// that type; sides that cannot be compared are reported.
fn compare(left: &mut Expr, right: &mut Expr, table: CustomTable, errors: &mut Vec<SqlError>) {
    let (lt, rt) = (ty(left, table), ty(right, table));
    let before = errors.len();
    if lt.temporal() {
        temporal_text(lt, right, errors);
    }
    if rt.temporal() {
        temporal_text(rt, left, errors);
    }
    let (lt, rt) = (ty(left, table), ty(right, table));
    if errors.len() == before && !lt.comparable(rt) {
        let hint = if lt == Ty::Interval || rt == Ty::Interval {
            "a timestamp minus a timestamp is an interval: compare it with e.g. INTERVAL '2 days', or compare the timestamps"
        } else {
            "compare a date or timestamp with a date or timestamp, e.g. `paid_on >= DATE '2024-02-01'`; `date - date` is a number of days"
        };
        errors.push(SqlError::at(
            &*left,
            format!("compares {} with {}", lt.name(), rt.name()),
            Some(hint.into()),
        ));
    }
}

/// A text literal compared with a value of type `t` (a date or timestamp) as a literal of that
/// type, when it reads as one; else reported.
fn temporal_text(t: Ty, e: &mut Expr, errors: &mut Vec<SqlError>) {
    let Expr::Value(v) = e else { return };
    let Value::SingleQuotedString(s) = &v.value else {
        return;
    };
    let lit = TypedString {
        data_type: match t {
            Ty::Date => DataType::Date,
            _ => DataType::Timestamp(None, TimezoneInfo::None),
        },
        value: v.clone(),
        uses_odbc_syntax: false,
    };
    let before = errors.len();
    match typed_literal(&lit, errors) {
        Some(new) => *e = new,
        None if errors.len() > before => {
            if let Some(last) = errors.last_mut() {
                last.message = format!("'{s}' is compared with {} but is not one", t.name());
            }
        }
        None => {}
    }
}

/// A `DATE` or `TIMESTAMP` literal checked, as Polars is to read it: a date as its day number
/// cast to a date (Polars warns on every cast of text to a date), a timestamp with its text in
/// full (`YYYY-MM-DD HH:MM:SS[.f]`, read in the pipeline's timezone). `None` for other literals
/// and on an error.
fn typed_literal(t: &TypedString, errors: &mut Vec<SqlError>) -> Option<Expr> {
    let Value::SingleQuotedString(s) = &t.value.value else {
        return None;
    };
    let span = t.value.span;
    match &t.data_type {
        DataType::Date => match crate::periods::parse_day(s) {
            Some(day) => Some(cast(
                Expr::Value(ValueWithSpan {
                    value: Value::Number(day.to_string(), false),
                    span,
                }),
                DataType::Date,
            )),
            None => {
                errors.push(SqlError::at_span(
                    span,
                    format!("'{s}' is not a date"),
                    Some("write a date as 'YYYY-MM-DD', e.g. DATE '2024-02-01'".into()),
                ));
                None
            }
        },
        DataType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone)
        | DataType::Datetime(_) => match local_timestamp(s) {
            Some(full) => Some(Expr::TypedString(TypedString {
                data_type: DataType::Timestamp(None, TimezoneInfo::None),
                value: ValueWithSpan {
                    value: Value::SingleQuotedString(full),
                    span,
                },
                uses_odbc_syntax: false,
            })),
            None => {
                errors.push(SqlError::at_span(
                    span,
                    format!("'{s}' is not a timestamp"),
                    Some("write 'YYYY-MM-DD HH:MM:SS' without an offset: it is read in the pipeline's timezone".into()),
                ));
                None
            }
        },
        DataType::Timestamp(..) => {
            errors.push(SqlError::at_span(
                span,
                format!("a timestamp with a time zone, '{s}'"),
                Some("write TIMESTAMP 'YYYY-MM-DD HH:MM:SS' without a zone: it is read in the pipeline's timezone".into()),
            ));
            None
        }
        _ => None,
    }
}

/// A timestamp without an offset, or a date (its midnight), written in full.
fn local_timestamp(s: &str) -> Option<String> {
    use chrono::{NaiveDate, NaiveDateTime};
    let s = s.trim();
    let t = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    Some(t.format("%Y-%m-%d %H:%M:%S%.f").to_string())
}

/// `date - date` as the number of days between them, `date ± n` (and `n + date`) as a date, in
/// the day numbers Polars casts dates to and from; other arithmetic on dates and timestamps is
/// reported, except a timestamp minus a timestamp and `± INTERVAL '…'`, which Polars reads as SQL
/// does.
fn date_arithmetic(
    left: &Expr,
    op: &B,
    right: &Expr,
    table: CustomTable,
    errors: &mut Vec<SqlError>,
) -> Option<Expr> {
    let (lt, rt) = (ty(left, table), ty(right, table));
    let days = |e: &Expr| cast(e.clone(), DataType::BigInt(None));
    let nested = |e: Expr| Expr::Nested(Box::new(e));
    match (lt, op, rt) {
        (Ty::Date, B::Minus, Ty::Date) => Some(nested(binary(days(left), B::Minus, days(right)))),
        (Ty::Date, B::Plus | B::Minus, Ty::Number | Ty::Unknown) => {
            let n = whole_days(right, errors)?;
            Some(cast(
                nested(binary(days(left), op.clone(), n)),
                DataType::Date,
            ))
        }
        (Ty::Number | Ty::Unknown, B::Plus, Ty::Date) => {
            let n = whole_days(left, errors)?;
            Some(cast(nested(binary(n, B::Plus, days(right))), DataType::Date))
        }
        (Ty::Timestamp, B::Minus, Ty::Timestamp) => None,
        (Ty::Date | Ty::Timestamp, _, Ty::Interval) if matches!(right, Expr::Interval(_)) => None,
        (Ty::Interval, _, Ty::Interval) => None,
        _ if lt.temporal() || rt.temporal() || lt == Ty::Interval || rt == Ty::Interval => {
            errors.push(SqlError::at(
                left,
                format!("{} {op} {}", lt.name(), rt.name()),
                Some("`date - date` is a number of days, `date + n` and `date - n` a date (n whole days); timestamps are compared, or subtracted from each other, or moved by INTERVAL '…'".into()),
            ));
            None
        }
        _ => None,
    }
}

/// The number of days added to a date: a whole number as written, anything else cast to one; a
/// literal with a fraction is reported.
fn whole_days(n: &Expr, errors: &mut Vec<SqlError>) -> Option<Expr> {
    let literal = match n {
        Expr::Value(v) => Some(&v.value),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => match &**expr {
            Expr::Value(v) => Some(&v.value),
            _ => None,
        },
        _ => None,
    };
    match literal {
        Some(Value::Number(s, _)) if s.contains(['.', 'e', 'E']) => {
            errors.push(SqlError::at(
                n,
                format!("{s} days: a date moves by whole days"),
                Some("write a whole number, e.g. `due_date + 90`".into()),
            ));
            None
        }
        Some(Value::Number(..)) => Some(n.clone()),
        _ => Some(cast(n.clone(), DataType::BigInt(None))),
    }
}

#[cfg(test)]
mod tests {
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
            Column::new(crate::catalogue::custom::ENTITY.into(), [0u32, 0]),
            Column::new(crate::catalogue::custom::PERIOD.into(), [0u32, 0]),
            Column::new("paid_on".into(), [19778i32, 19700])
                .cast(&DataType::Date)
                .unwrap(),
            Column::new("__cents.amount".into(), [213704i64, 100000]),
            crate::frame::money_column("amount", [Some(213704i64), Some(100000)].into_iter())
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
}
