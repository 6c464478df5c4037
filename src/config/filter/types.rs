//! The type a filter's expression gives, as far as a check before reading data can tell.

use sqlparser::ast::{BinaryOperator as B, DataType, Expr, UnaryOperator, Value};

use crate::catalogue::custom::{ColKind, CustomTable, INVOICE_PREFIX};
use crate::config::sql::ident_name;

/// A type of SQL values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Bool,
    Number,
    Text,
    Date,
    Timestamp,
    /// A length of time: a timestamp minus a timestamp, or an `INTERVAL` literal.
    Interval,
    Null,
    /// Not known: an expression a filter cannot use (reported when the filter is built).
    Unknown,
}

impl Ty {
    pub(super) fn of(k: ColKind) -> Ty {
        match k {
            ColKind::Text => Ty::Text,
            ColKind::Date => Ty::Date,
            ColKind::Timestamp => Ty::Timestamp,
            ColKind::Money | ColKind::Number => Ty::Number,
            ColKind::Bool => Ty::Bool,
        }
    }

    pub(super) fn name(self) -> &'static str {
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

    pub(super) fn temporal(self) -> bool {
        matches!(self, Ty::Date | Ty::Timestamp)
    }

    /// Whether values of the two types can be compared (as far as known here).
    pub(super) fn comparable(self, other: Ty) -> bool {
        use Ty::*;
        match (self, other) {
            (Unknown | Null, _) | (_, Unknown | Null) => true,
            (Date | Timestamp, Date | Timestamp) => true,
            (Date | Timestamp, _) | (_, Date | Timestamp) => false,
            (Interval, Interval) | (Number, Number) | (Text, Text) | (Bool, Bool) => true,
            _ => false,
        }
    }
}

/// The fix for comparing a value of type `a` with one of type `b`, which cannot be compared.
pub(super) fn compare_hint(a: Ty, b: Ty) -> &'static str {
    if a == Ty::Interval || b == Ty::Interval {
        "a timestamp minus a timestamp is an interval: compare it with e.g. INTERVAL '2 days', or compare the timestamps"
    } else if a.temporal() || b.temporal() {
        "compare a date or timestamp with a date or timestamp, e.g. `paid_on >= DATE '2024-02-01'`; `date - date` is a number of days"
    } else {
        "compare text with text ('…'), numbers with numbers, true/false with a condition"
    }
}

pub(super) fn ty(e: &Expr, table: CustomTable) -> Ty {
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
