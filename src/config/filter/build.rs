//! The rewritten filter as a typed tree ([`Node`]): each node's operands checked to fit, and
//! what a filter cannot use reported at its place.

use sqlparser::ast::{
    BinaryOperator as B, DataType, Expr, Interval, TimezoneInfo, UnaryOperator, Value,
};

use super::types::{compare_hint, Ty};
use super::SUBSET;
use crate::catalogue::cond::{Arith, Cmp, LikePart, Lit, Node};
use crate::catalogue::custom::CustomTable;
use crate::config::sql::{ident_name, SqlError};

/// `e` (rewritten) as a node and its type; `None` after reporting why it cannot be one.
pub(super) fn build(
    e: &Expr,
    table: CustomTable,
    errors: &mut Vec<SqlError>,
) -> Option<(Node, Ty)> {
    let mut b = Builder { table, errors };
    b.node(e)
}

struct Builder<'e> {
    table: CustomTable,
    errors: &'e mut Vec<SqlError>,
}

fn boxed(n: Node) -> Box<Node> {
    Box::new(n)
}

impl Builder<'_> {
    fn refuse(&mut self, e: &Expr, message: String, hint: &str) -> Option<(Node, Ty)> {
        self.errors
            .push(SqlError::at(e, message, Some(hint.to_string())));
        None
    }

    fn node(&mut self, e: &Expr) -> Option<(Node, Ty)> {
        match e {
            Expr::Identifier(i) => {
                let name = ident_name(i);
                let kind = self.table.column(&name)?;
                Some((Node::Column(name), Ty::of(kind)))
            }
            Expr::Value(v) => self.value(e, &v.value),
            Expr::TypedString(t) => match (&t.data_type, &t.value.value) {
                (DataType::Timestamp(None, TimezoneInfo::None), Value::SingleQuotedString(s)) => {
                    match timestamp_micros(s) {
                        Some(t) => Some((Node::Lit(Lit::Timestamp(t)), Ty::Timestamp)),
                        None => self.refuse(e, format!("'{s}' is not a timestamp"), SUBSET),
                    }
                }
                _ => self.refuse(e, format!("`{e}` is not a literal a filter can use"), SUBSET),
            },
            Expr::Interval(iv) => match interval(iv) {
                Some(us) => Some((Node::Lit(Lit::Interval(us)), Ty::Interval)),
                None => self.refuse(
                    e,
                    format!("`{e}` is not an interval a filter can use"),
                    "write a length in weeks, days, hours, minutes or seconds, e.g. INTERVAL '36 hours' or INTERVAL '2 days 12 hours'",
                ),
            },
            Expr::Nested(x) => self.node(x),
            Expr::Cast {
                expr, data_type, ..
            } => self.cast(e, expr, data_type),
            Expr::BinaryOp { left, op, right } => self.binary(e, left, op, right),
            Expr::UnaryOp { op, expr } => self.unary(e, op, expr),
            Expr::IsNull(x) => self.test(x, |n| Node::IsNull(boxed(n))),
            Expr::IsNotNull(x) => self.test(x, |n| Node::Not(boxed(Node::IsNull(boxed(n))))),
            Expr::IsTrue(x) => self.truth(x, true, false),
            Expr::IsFalse(x) => self.truth(x, false, false),
            Expr::IsNotTrue(x) => self.truth(x, true, true),
            Expr::IsNotFalse(x) => self.truth(x, false, true),
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                let (a, b) = (self.node(a), self.node(b));
                let ((a, at), (b, bt)) = (a?, b?);
                self.comparable(e, at, bt)?;
                let d = Node::DistinctFrom(boxed(a), boxed(b));
                let negated = matches!(e, Expr::IsNotDistinctFrom(..));
                Some((if negated { Node::Not(boxed(d)) } else { d }, Ty::Bool))
            }
            Expr::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            }
            | Expr::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            } => {
                let fold_case = matches!(e, Expr::ILike { .. });
                let escape = escape_char.as_ref().map(|v| &v.value);
                self.like(e, expr, pattern, escape, fold_case, *negated)
            }
            Expr::Function(f) => self.refuse(
                e,
                format!("`{}` is not a function a filter can use", f.name),
                SUBSET,
            ),
            _ => self.refuse(e, format!("`{e}` is not something a filter can use"), SUBSET),
        }
    }

    fn value(&mut self, e: &Expr, v: &Value) -> Option<(Node, Ty)> {
        let lit = match v {
            Value::Number(s, _) => match number(s) {
                Some(l) => l,
                None => return self.refuse(e, format!("`{s}` is not a number"), SUBSET),
            },
            Value::Boolean(b) => Lit::Bool(*b),
            Value::Null => return Some((Node::Lit(Lit::Null), Ty::Null)),
            Value::SingleQuotedString(s) => Lit::Text(s.clone()),
            _ => {
                return self.refuse(
                    e,
                    format!("`{v}` is not a literal a filter can use"),
                    SUBSET,
                )
            }
        };
        let ty = match lit {
            Lit::Bool(_) => Ty::Bool,
            Lit::Text(_) => Ty::Text,
            _ => Ty::Number,
        };
        Some((Node::Lit(lit), ty))
    }

    /// The casts the rewriting writes: a date as its day number or a number cut to a whole
    /// one (`BIGINT`), a whole number of days as a date (`DATE`).
    fn cast(&mut self, e: &Expr, x: &Expr, to: &DataType) -> Option<(Node, Ty)> {
        let (n, t) = self.node(x)?;
        match to {
            DataType::BigInt(_) | DataType::Int(_) | DataType::Integer(_)
                if matches!(t, Ty::Date | Ty::Number | Ty::Null) =>
            {
                Some((Node::WholeNumber(boxed(n)), Ty::Number))
            }
            DataType::Date if matches!(t, Ty::Number | Ty::Null) => match n {
                Node::Lit(Lit::Exact(day, 0)) if i32::try_from(day).is_ok() => {
                    Some((Node::Lit(Lit::Date(day as i32)), Ty::Date))
                }
                n => Some((Node::DateOf(boxed(n)), Ty::Date)),
            },
            _ => self.refuse(
                e,
                format!("`{e}`: a filter does not cast {} to {to}", t.name()),
                SUBSET,
            ),
        }
    }

    fn binary(&mut self, e: &Expr, left: &Expr, op: &B, right: &Expr) -> Option<(Node, Ty)> {
        let (l, r) = (self.node(left), self.node(right));
        let ((l, lt), (r, rt)) = (l?, r?);
        let (l, r) = (boxed(l), boxed(r));
        match op {
            B::And | B::Or => {
                for (side, t) in [(left, lt), (right, rt)] {
                    if !matches!(t, Ty::Bool | Ty::Null) {
                        return self.refuse(
                            side,
                            format!("{op} joins conditions, not {}", t.name()),
                            "write a condition on each side, e.g. `amount >= 100000 AND invoice.recourse = false`",
                        );
                    }
                }
                let n = match op {
                    B::And => Node::And(l, r),
                    _ => Node::Or(l, r),
                };
                Some((n, Ty::Bool))
            }
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => {
                self.comparable(left, lt, rt)?;
                let c = match op {
                    B::Eq => Cmp::Eq,
                    B::NotEq => Cmp::NotEq,
                    B::Lt => Cmp::Lt,
                    B::LtEq => Cmp::LtEq,
                    B::Gt => Cmp::Gt,
                    _ => Cmp::GtEq,
                };
                Some((Node::Compare(c, l, r), Ty::Bool))
            }
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
                let a = match op {
                    B::Plus => Arith::Add,
                    B::Minus => Arith::Sub,
                    B::Multiply => Arith::Mul,
                    B::Divide => Arith::Div,
                    _ => Arith::Mod,
                };
                match arith_type(a, lt, rt) {
                    Some(t) => Some((Node::Arith(a, l, r), t)),
                    None => self.refuse(
                        left,
                        format!("{} {op} {}", lt.name(), rt.name()),
                        "numbers are added, subtracted, multiplied and divided; timestamps are subtracted from each other or moved by INTERVAL '…'",
                    ),
                }
            }
            _ => self.refuse(
                e,
                format!("`{op}` is not an operator a filter can use"),
                SUBSET,
            ),
        }
    }

    fn unary(&mut self, e: &Expr, op: &UnaryOperator, x: &Expr) -> Option<(Node, Ty)> {
        let (n, t) = self.node(x)?;
        match (op, t) {
            (UnaryOperator::Not, Ty::Bool | Ty::Null) => Some((Node::Not(boxed(n)), Ty::Bool)),
            (UnaryOperator::Minus, Ty::Number | Ty::Interval | Ty::Null) => {
                Some((Node::Neg(boxed(n)), t))
            }
            (UnaryOperator::Plus, Ty::Number | Ty::Interval | Ty::Null) => Some((n, t)),
            _ => self.refuse(
                e,
                format!("`{op}` before {}", t.name()),
                "NOT goes before a condition, a sign before a number",
            ),
        }
    }

    fn test(&mut self, x: &Expr, f: impl FnOnce(Node) -> Node) -> Option<(Node, Ty)> {
        let (n, _) = self.node(x)?;
        Some((f(n), Ty::Bool))
    }

    /// `x IS [NOT] TRUE` / `FALSE`.
    fn truth(&mut self, x: &Expr, value: bool, negated: bool) -> Option<(Node, Ty)> {
        let (n, t) = self.node(x)?;
        if !matches!(t, Ty::Bool | Ty::Null) {
            return self.refuse(
                x,
                format!("IS TRUE / IS FALSE of {}", t.name()),
                "test a condition or a boolean column",
            );
        }
        let is = Node::Is(boxed(n), value);
        Some((if negated { Node::Not(boxed(is)) } else { is }, Ty::Bool))
    }

    fn like(
        &mut self,
        e: &Expr,
        x: &Expr,
        pattern: &Expr,
        escape: Option<&Value>,
        fold_case: bool,
        negated: bool,
    ) -> Option<(Node, Ty)> {
        let (n, t) = self.node(x)?;
        if !matches!(t, Ty::Text | Ty::Null) {
            return self.refuse(
                x,
                format!("LIKE of {}", t.name()),
                "LIKE matches text, e.g. `debtor_id LIKE 'D-1%'`",
            );
        }
        let escape = match escape {
            None => None,
            Some(Value::SingleQuotedString(s)) if s.chars().count() == 1 => s.chars().next(),
            Some(v) => {
                return self.refuse(
                    e,
                    format!("ESCAPE {v}: one character is escaped"),
                    "e.g. `note LIKE '100\\%' ESCAPE '\\'`",
                )
            }
        };
        let text = match pattern {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) => s,
                _ => return self.refuse(pattern, "a LIKE pattern is text".into(), SUBSET),
            },
            _ => {
                return self.refuse(
                    pattern,
                    "a LIKE pattern is written as text".into(),
                    "e.g. `debtor_id LIKE 'D-1%'`",
                )
            }
        };
        let like = Node::Like {
            value: boxed(n),
            pattern: like_parts(text, escape),
            fold_case,
        };
        Some((
            if negated {
                Node::Not(boxed(like))
            } else {
                like
            },
            Ty::Bool,
        ))
    }

    /// Reports values of types `a` and `b` that cannot be compared.
    fn comparable(&mut self, at: &Expr, a: Ty, b: Ty) -> Option<()> {
        if a.comparable(b) {
            return Some(());
        }
        let hint = compare_hint(a, b);
        self.refuse(at, format!("compares {} with {}", a.name(), b.name()), hint)?;
        None
    }
}

/// The type of `a op b`, or `None` when it means nothing. Date arithmetic was rewritten into
/// day numbers before.
fn arith_type(op: Arith, a: Ty, b: Ty) -> Option<Ty> {
    use Ty::*;
    match (a, op, b) {
        (Number | Null, _, Number | Null) => Some(Number),
        (Timestamp, Arith::Sub, Timestamp) => Some(Interval),
        (Date | Timestamp, Arith::Add | Arith::Sub, Interval) => Some(Timestamp),
        (Interval, Arith::Add, Date | Timestamp) => Some(Timestamp),
        (Interval, Arith::Add | Arith::Sub, Interval) => Some(Interval),
        (Null, Arith::Add | Arith::Sub, t @ (Date | Timestamp | Interval)) => Some(t),
        (t @ (Date | Timestamp | Interval), Arith::Add | Arith::Sub, Null) => Some(t),
        _ => None,
    }
}

/// A number as written: exact with up to 18 decimals and 38 digits, else Float64 (as an
/// exponent is).
fn number(s: &str) -> Option<Lit> {
    if s.contains(['e', 'E']) {
        return s.parse().ok().map(Lit::Float);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = format!("{whole}{frac}");
    match (digits.parse::<i128>(), u32::try_from(frac.len())) {
        (Ok(v), Ok(scale)) if scale <= 18 && digits.len() <= 38 => Some(Lit::Exact(v, scale)),
        _ => s.parse().ok().map(Lit::Float),
    }
}

/// A timestamp as the rewriting writes it (`YYYY-MM-DD HH:MM:SS[.f]`), in microseconds.
fn timestamp_micros(s: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_micros())
}

/// An interval literal's length in microseconds: `'N unit [N unit …]'`, or `'N' UNIT`, in
/// weeks, days, hours, minutes, seconds, milliseconds or microseconds (months and years have no
/// fixed length).
fn interval(iv: &Interval) -> Option<i64> {
    let Expr::Value(v) = &*iv.value else {
        return None;
    };
    let (Value::SingleQuotedString(s) | Value::Number(s, _)) = &v.value else {
        return None;
    };
    if iv.last_field.is_some() {
        return None;
    }
    let text = match &iv.leading_field {
        Some(f) => format!("{s} {f}"),
        None => s.clone(),
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return None;
    }
    let mut total: i64 = 0;
    for pair in words.chunks(2) {
        let n: f64 = pair[0].parse().ok()?;
        let unit: i64 = match pair[1].to_ascii_lowercase().as_str() {
            "week" | "weeks" | "w" => 7 * 86_400_000_000,
            "day" | "days" | "d" => 86_400_000_000,
            "hour" | "hours" | "h" | "hr" | "hrs" => 3_600_000_000,
            "minute" | "minutes" | "min" | "mins" | "m" => 60_000_000,
            "second" | "seconds" | "sec" | "secs" | "s" => 1_000_000,
            "millisecond" | "milliseconds" | "ms" => 1_000,
            "microsecond" | "microseconds" | "us" => 1,
            _ => return None,
        };
        let part = n * unit as f64;
        if !part.is_finite() || part.fract() != 0.0 || part.abs() > 9.0e18 {
            return None;
        }
        total = total.checked_add(part as i64)?;
    }
    Some(total)
}

/// A `LIKE` pattern in steps; the character after `escape` is itself.
fn like_parts(pattern: &str, escape: Option<char>) -> Vec<LikePart> {
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let step = match c {
            c if Some(c) == escape => match chars.next() {
                Some(c) => LikePart::Char(c),
                None => continue,
            },
            '%' => LikePart::Any,
            '_' => LikePart::One,
            c => LikePart::Char(c),
        };
        // `%%` is one `%`.
        if !(step == LikePart::Any && parts.last() == Some(&LikePart::Any)) {
            parts.push(step);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_exact_unless_written_with_an_exponent() {
        assert_eq!(number("2137.04"), Some(Lit::Exact(213704, 2)));
        assert_eq!(number("90"), Some(Lit::Exact(90, 0)));
        assert_eq!(number("0.015"), Some(Lit::Exact(15, 3)));
        assert_eq!(number("1e3"), Some(Lit::Float(1000.0)));
    }

    #[test]
    fn like_patterns_are_split_at_their_wildcards() {
        use LikePart::*;
        assert_eq!(
            like_parts("D-1%", None),
            [Char('D'), Char('-'), Char('1'), Any]
        );
        assert_eq!(like_parts("a_%%b", None), [Char('a'), One, Any, Char('b')]);
        assert_eq!(like_parts("1\\%", Some('\\')), [Char('1'), Char('%')]);
    }
}
