//! The rewriting of a filter, node by node (see the parent module's documentation).

use sqlparser::ast::{
    BinaryOperator as B, CastKind, DataType, Expr, Ident, TimezoneInfo, TypedString, UnaryOperator,
    Value, ValueWithSpan,
};

use super::types::{compare_hint, ty, Ty};
use crate::catalogue::custom::{CustomTable, INVOICE_PREFIX};
use crate::config::sql::{ident_name, SqlError};

/// Rewrites one node whose children are rewritten already (see the module's documentation);
/// what cannot mean anything is reported.
pub(super) fn lower(x: &mut Expr, table: CustomTable, errors: &mut Vec<SqlError>) {
    match x {
        Expr::Identifier(i) if i.quote_style.is_none() => {
            i.value = i.value.to_ascii_lowercase();
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
                    not_temporal(side, &format!("`{op}` of"), table, errors);
                }
            }
            _ => {}
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => not_temporal(expr, "a sign before", table, errors),
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            compare(expr, low, table, errors);
            compare(expr, high, table, errors);
            let both = binary(
                binary((**expr).clone(), B::GtEq, (**low).clone()),
                B::And,
                binary((**expr).clone(), B::LtEq, (**high).clone()),
            );
            *x = negate(Expr::Nested(Box::new(both)), *negated);
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            if let Some(any) = any_equal(expr, list, table, errors) {
                *x = negate(Expr::Nested(Box::new(any)), *negated);
            }
        }
        _ => {}
    }
}

/// A date, timestamp or interval where none may be, reported as `what` it.
fn not_temporal(e: &Expr, what: &str, table: CustomTable, errors: &mut Vec<SqlError>) {
    let t = ty(e, table);
    if t.temporal() || t == Ty::Interval {
        errors.push(SqlError::at(
            e,
            format!("{what} {}", t.name()),
            Some(
                "dates and timestamps are compared, or dates subtracted (a number of days)".into(),
            ),
        ));
    }
}

/// `x IN (a, b, ...)` as `x = a OR x = b OR ...`, each item compared as `=` compares.
fn any_equal(
    x: &Expr,
    list: &mut [Expr],
    table: CustomTable,
    errors: &mut Vec<SqlError>,
) -> Option<Expr> {
    if list.is_empty() {
        errors.push(SqlError::at(
            x,
            "`IN` with an empty list".into(),
            Some("write at least one value: `IN ('a', 'b')`".into()),
        ));
        return None;
    }
    let mut any: Option<Expr> = None;
    for item in list.iter_mut() {
        let mut left = x.clone();
        compare(&mut left, item, table, errors);
        let eq = binary(left, B::Eq, item.clone());
        any = Some(match any {
            None => eq,
            Some(a) => binary(a, B::Or, eq),
        });
    }
    any
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
        errors.push(SqlError::at(
            &*left,
            format!("compares {} with {}", lt.name(), rt.name()),
            Some(compare_hint(lt, rt).into()),
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

/// A `DATE` or `TIMESTAMP` literal checked: a date as its day number cast to a date, a
/// timestamp with its text in full (`YYYY-MM-DD HH:MM:SS[.f]`, read in the pipeline's
/// timezone). `None` for other literals and on an error.
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
/// day numbers; other arithmetic on dates and timestamps is reported, except a timestamp minus
/// a timestamp and `± INTERVAL '…'`, which the tree reads as SQL does.
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
            Some(cast(
                nested(binary(n, B::Plus, days(right))),
                DataType::Date,
            ))
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
