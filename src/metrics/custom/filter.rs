//! A custom aggregate's filter evaluated on its table's rows: the rows where it is true (a row
//! whose filter is null or false is left out, as SQL's `WHERE` leaves it). The tree was checked
//! to fit before any data was read ([`crate::config::filter`]); values are as
//! [`crate::catalogue::cond`] describes them, and `AND`, `OR` and `NOT` are SQL's three-valued
//! logic.

use std::cmp::Ordering;

use polars::prelude::*;

use crate::catalogue::cond::{Arith, Cmp, LikePart, Lit, Node};
use crate::catalogue::custom::{cents_name, ColKind};
use crate::catalogue::CustomTable;

const DAY_MICROS: i64 = 86_400_000_000;

/// A value on one row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum V<'a> {
    Null,
    Bool(bool),
    /// `value / 10^scale`.
    Exact(i128, u32),
    Float(f64),
    Text(&'a str),
    Date(i32),
    Timestamp(i64),
    Interval(i64),
}

/// A column of the rows as the filter reads it.
enum Col<'a> {
    Text(&'a StringChunked),
    Date(Vec<Option<i32>>),
    Timestamp(Vec<Option<i64>>),
    /// Money: its exact cents.
    Cents(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(&'a BooleanChunked),
}

/// A filter ready to run on one frame of rows: the columns it reads, found once.
struct Prepared<'a> {
    columns: Vec<(&'a str, Col<'a>)>,
}

/// Whether `node` is true on each row of `rows`, rows of `table` built by [`super::rows::rows`]
/// with the columns the filter reads.
pub fn mask(node: &Node, table: CustomTable, rows: &DataFrame) -> PolarsResult<BooleanChunked> {
    let mut columns = Vec::new();
    for name in node.columns() {
        let kind = table.column(name).unwrap_or(ColKind::Text);
        let col = match kind {
            ColKind::Money => Col::Cents(rows.column(&cents_name(name))?.i64()?.iter().collect()),
            ColKind::Text => Col::Text(rows.column(name)?.str()?),
            ColKind::Date => Col::Date(rows.column(name)?.date()?.physical().iter().collect()),
            ColKind::Timestamp => {
                Col::Timestamp(rows.column(name)?.datetime()?.physical().iter().collect())
            }
            ColKind::Number => Col::Float(
                rows.column(name)?
                    .cast(&DataType::Float64)?
                    .f64()?
                    .iter()
                    .collect(),
            ),
            ColKind::Bool => Col::Bool(rows.column(name)?.bool()?),
        };
        columns.push((name, col));
    }
    let p = Prepared { columns };
    let keep: Vec<bool> = (0..rows.height())
        .map(|r| p.eval(node, r) == V::Bool(true))
        .collect();
    Ok(BooleanChunked::from_slice(PlSmallStr::EMPTY, &keep))
}

impl<'a> Prepared<'a> {
    fn column(&self, name: &str, r: usize) -> V<'a> {
        let Some((_, c)) = self.columns.iter().find(|(n, _)| *n == name) else {
            return V::Null;
        };
        let v = match c {
            Col::Text(ca) => ca.get(r).map(V::Text),
            Col::Date(v) => v[r].map(V::Date),
            Col::Timestamp(v) => v[r].map(V::Timestamp),
            Col::Cents(v) => v[r].map(|c| V::Exact(c as i128, 2)),
            Col::Float(v) => v[r].map(V::Float),
            Col::Bool(ca) => ca.get(r).map(V::Bool),
        };
        v.unwrap_or(V::Null)
    }

    fn eval<'n>(&self, n: &'n Node, r: usize) -> V<'n>
    where
        'a: 'n,
    {
        match n {
            Node::Column(name) => self.column(name, r),
            Node::Lit(l) => literal(l),
            Node::Not(x) => match self.eval(x, r) {
                V::Bool(b) => V::Bool(!b),
                _ => V::Null,
            },
            Node::And(a, b) => match (self.eval(a, r), self.eval(b, r)) {
                (V::Bool(false), _) | (_, V::Bool(false)) => V::Bool(false),
                (V::Bool(true), V::Bool(true)) => V::Bool(true),
                _ => V::Null,
            },
            Node::Or(a, b) => match (self.eval(a, r), self.eval(b, r)) {
                (V::Bool(true), _) | (_, V::Bool(true)) => V::Bool(true),
                (V::Bool(false), V::Bool(false)) => V::Bool(false),
                _ => V::Null,
            },
            Node::Compare(c, a, b) => match order(self.eval(a, r), self.eval(b, r)) {
                Some(o) => V::Bool(holds(*c, o)),
                None => V::Null,
            },
            Node::Arith(op, a, b) => arith(*op, self.eval(a, r), self.eval(b, r)),
            Node::Neg(x) => match self.eval(x, r) {
                V::Exact(v, s) => v.checked_neg().map_or(V::Null, |v| V::Exact(v, s)),
                V::Float(f) => V::Float(-f),
                V::Interval(i) => V::Interval(-i),
                _ => V::Null,
            },
            Node::IsNull(x) => V::Bool(self.eval(x, r) == V::Null),
            Node::Is(x, want) => V::Bool(self.eval(x, r) == V::Bool(*want)),
            Node::DistinctFrom(a, b) => match (self.eval(a, r), self.eval(b, r)) {
                (V::Null, V::Null) => V::Bool(false),
                (V::Null, _) | (_, V::Null) => V::Bool(true),
                (a, b) => V::Bool(order(a, b) != Some(Ordering::Equal)),
            },
            Node::Like {
                value,
                pattern,
                fold_case,
            } => match self.eval(value, r) {
                V::Text(t) => V::Bool(like(t, pattern, *fold_case)),
                _ => V::Null,
            },
            Node::WholeNumber(x) => match self.eval(x, r) {
                V::Date(d) => V::Exact(d as i128, 0),
                V::Exact(v, s) => V::Exact(v / pow10(s), 0),
                V::Float(f) if f.is_finite() && f.abs() < 1e38 => V::Exact(f.trunc() as i128, 0),
                _ => V::Null,
            },
            Node::DateOf(x) => match self.eval(x, r) {
                V::Exact(v, s) => i32::try_from(v / pow10(s)).map_or(V::Null, V::Date),
                V::Float(f) if f.is_finite() && f.abs() < 2e9 => V::Date(f.trunc() as i32),
                _ => V::Null,
            },
        }
    }
}

fn literal(l: &Lit) -> V<'_> {
    match l {
        Lit::Null => V::Null,
        Lit::Bool(b) => V::Bool(*b),
        Lit::Exact(v, s) => V::Exact(*v, *s),
        Lit::Float(f) => V::Float(*f),
        Lit::Text(t) => V::Text(t),
        Lit::Date(d) => V::Date(*d),
        Lit::Timestamp(t) => V::Timestamp(*t),
        Lit::Interval(i) => V::Interval(*i),
    }
}

fn holds(c: Cmp, o: Ordering) -> bool {
    match c {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::NotEq => o != Ordering::Equal,
        Cmp::Lt => o == Ordering::Less,
        Cmp::LtEq => o != Ordering::Greater,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::GtEq => o != Ordering::Less,
    }
}

fn pow10(s: u32) -> i128 {
    10i128.pow(s.min(38))
}

/// Two exact numbers at one scale, or `None` when that does not fit.
fn aligned(a: i128, s: u32, b: i128, t: u32) -> Option<(i128, i128, u32)> {
    let scale = s.max(t);
    let a = a.checked_mul(10i128.checked_pow(scale - s)?)?;
    let b = b.checked_mul(10i128.checked_pow(scale - t)?)?;
    Some((a, b, scale))
}

fn as_f64(v: V) -> Option<f64> {
    match v {
        V::Exact(x, s) => Some(x as f64 / pow10(s) as f64),
        V::Float(f) => Some(f),
        _ => None,
    }
}

/// How `a` compares with `b`; `None` when either is null (or NaN).
fn order(a: V, b: V) -> Option<Ordering> {
    let micros = |v: V| match v {
        V::Date(d) => Some(d as i64 * DAY_MICROS),
        V::Timestamp(t) => Some(t),
        _ => None,
    };
    match (a, b) {
        (V::Null, _) | (_, V::Null) => None,
        (V::Exact(x, s), V::Exact(y, t)) => match aligned(x, s, y, t) {
            Some((x, y, _)) => Some(x.cmp(&y)),
            None => as_f64(a)?.partial_cmp(&as_f64(b)?),
        },
        (V::Exact(..) | V::Float(_), V::Exact(..) | V::Float(_)) => {
            as_f64(a)?.partial_cmp(&as_f64(b)?)
        }
        (V::Text(x), V::Text(y)) => Some(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(&y)),
        (V::Date(x), V::Date(y)) => Some(x.cmp(&y)),
        (V::Interval(x), V::Interval(y)) => Some(x.cmp(&y)),
        _ => Some(micros(a)?.cmp(&micros(b)?)),
    }
}

/// `a op b`: exact for exact numbers (`/` aside), Float64 when either is; null on a null
/// operand, a division by zero or a result too large.
fn arith<'n>(op: Arith, a: V<'n>, b: V<'n>) -> V<'n> {
    let micros = |d: i32| d as i64 * DAY_MICROS;
    match (a, op, b) {
        (V::Null, ..) | (.., V::Null) => V::Null,
        (V::Exact(x, s), _, V::Exact(y, t)) if op != Arith::Div => exact(op, x, s, y, t)
            .unwrap_or_else(|| float(op, as_f64(a).unwrap_or(0.0), as_f64(b).unwrap_or(0.0))),
        (V::Exact(..) | V::Float(_), _, V::Exact(..) | V::Float(_)) => match (as_f64(a), as_f64(b))
        {
            (Some(x), Some(y)) => float(op, x, y),
            _ => V::Null,
        },
        (V::Timestamp(x), Arith::Sub, V::Timestamp(y)) => {
            x.checked_sub(y).map_or(V::Null, V::Interval)
        }
        (V::Timestamp(x), _, V::Interval(i)) => shift(x, op, i, V::Timestamp),
        (V::Date(d), _, V::Interval(i)) => shift(micros(d), op, i, V::Timestamp),
        (V::Interval(i), Arith::Add, V::Timestamp(x)) => shift(x, op, i, V::Timestamp),
        (V::Interval(i), Arith::Add, V::Date(d)) => shift(micros(d), op, i, V::Timestamp),
        (V::Interval(x), _, V::Interval(y)) => shift(x, op, y, V::Interval),
        _ => V::Null,
    }
}

fn shift<'n>(x: i64, op: Arith, by: i64, f: fn(i64) -> V<'n>) -> V<'n> {
    let r = match op {
        Arith::Add => x.checked_add(by),
        Arith::Sub => x.checked_sub(by),
        _ => None,
    };
    r.map_or(V::Null, f)
}

/// Exact `+ - * %`; `None` when the result does not fit (it is then computed in Float64).
fn exact<'n>(op: Arith, x: i128, s: u32, y: i128, t: u32) -> Option<V<'n>> {
    if op == Arith::Mul {
        let scale = s + t;
        return (scale <= 38)
            .then(|| x.checked_mul(y))
            .flatten()
            .map(|v| V::Exact(v, scale));
    }
    let (x, y, scale) = aligned(x, s, y, t)?;
    let v = match op {
        Arith::Add => x.checked_add(y)?,
        Arith::Sub => x.checked_sub(y)?,
        _ if y == 0 => return Some(V::Null),
        _ => x % y,
    };
    Some(V::Exact(v, scale))
}

fn float<'n>(op: Arith, x: f64, y: f64) -> V<'n> {
    match op {
        Arith::Add => V::Float(x + y),
        Arith::Sub => V::Float(x - y),
        Arith::Mul => V::Float(x * y),
        _ if y == 0.0 => V::Null,
        Arith::Div => V::Float(x / y),
        Arith::Mod => V::Float(x % y),
    }
}

/// Whether `text` matches a `LIKE` pattern (the whole text): `%` any characters, `_` one.
fn like(text: &str, pattern: &[LikePart], fold_case: bool) -> bool {
    let same = |a: char, b: char| a == b || (fold_case && a.to_lowercase().eq(b.to_lowercase()));
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut back: Option<(usize, usize)> = None;
    loop {
        let here = text[ti..].chars().next();
        let advanced = match (pattern.get(pi), here) {
            (Some(LikePart::Any), _) => {
                back = Some((pi + 1, ti));
                pi += 1;
                continue;
            }
            (Some(LikePart::One), Some(c)) => Some(c),
            (Some(LikePart::Char(p)), Some(c)) if same(c, *p) => Some(c),
            (None, None) => return true,
            _ => None,
        };
        if let Some(c) = advanced {
            ti += c.len_utf8();
            pi += 1;
            continue;
        }
        // No match here: the last `%` takes one more character, or the match fails.
        let Some((after, from)) = back else {
            return false;
        };
        let Some(c) = text[from..].chars().next() else {
            return false;
        };
        back = Some((after, from + c.len_utf8()));
        (pi, ti) = (after, from + c.len_utf8());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> Vec<LikePart> {
        let mut out = Vec::new();
        for c in p.chars() {
            out.push(match c {
                '%' => LikePart::Any,
                '_' => LikePart::One,
                c => LikePart::Char(c),
            });
        }
        out
    }

    #[test]
    fn like_matches_the_whole_text() {
        let m = |t: &str, p: &str| like(t, &parts(p), false);
        assert!(m("D-100", "D-1%"));
        assert!(!m("XD-100", "D-1%"));
        assert!(m("D-100", "%0"));
        assert!(m("D-100", "D__00"));
        assert!(!m("D-100", "D_00"));
        assert!(m("abcabc", "%abc"));
        assert!(m("", "%"));
        assert!(!m("", "_"));
        assert!(m("aXbXc", "a%b%c"));
        assert!(m("żółw", "_ół_"));
        assert!(like("Customer", &parts("cust%"), true));
        assert!(!like("Customer", &parts("cust%"), false));
    }

    #[test]
    fn exact_numbers_compare_and_add_exactly() {
        let e = |v, s| V::Exact(v, s);
        assert_eq!(order(e(213704, 2), e(213704, 2)), Some(Ordering::Equal));
        assert_eq!(order(e(213704, 2), e(2137, 0)), Some(Ordering::Greater));
        assert_eq!(order(e(1, 2), e(15, 3)), Some(Ordering::Less));
        // 0.01 * 2 = 0.02 > 0.015
        assert_eq!(
            order(arith(Arith::Mul, e(1, 2), e(2, 0)), e(15, 3)),
            Some(Ordering::Greater)
        );
        assert_eq!(arith(Arith::Add, e(10, 1), e(2, 2)), e(102, 2));
        assert_eq!(arith(Arith::Mod, e(7, 0), e(-2, 0)), e(1, 0));
        assert_eq!(arith(Arith::Div, e(7, 0), e(2, 0)), V::Float(3.5));
        assert_eq!(arith(Arith::Div, e(7, 0), e(0, 0)), V::Null);
        assert_eq!(order(V::Null, e(1, 0)), None);
    }

    #[test]
    fn dates_and_timestamps_compare_as_moments() {
        let ts = 19778 * DAY_MICROS + 3_600_000_000;
        assert_eq!(
            order(V::Date(19778), V::Timestamp(ts)),
            Some(Ordering::Less)
        );
        assert_eq!(
            arith(Arith::Sub, V::Timestamp(ts), V::Timestamp(ts - 5)),
            V::Interval(5)
        );
        assert_eq!(
            arith(Arith::Add, V::Date(1), V::Interval(3_600_000_000)),
            V::Timestamp(DAY_MICROS + 3_600_000_000)
        );
    }

    /// Three rows typed as at run time: paid 2024-02-25 (19778) and 2023-12-09 (19700), due
    /// 2023-11-20 (19681); the third row all nulls.
    fn three_rows() -> DataFrame {
        let cols = vec![
            Column::new(crate::catalogue::custom::GROUP.into(), [0u32, 0, 0]),
            Column::new("paid_on".into(), [Some(19778i32), Some(19700), None])
                .cast(&DataType::Date)
                .unwrap(),
            Column::new(
                "__cents.amount".into(),
                [Some(213704i64), Some(100000), None],
            ),
            Column::new(
                "invoice.due_date".into(),
                [Some(19681i32), Some(19681), None],
            )
            .cast(&DataType::Date)
            .unwrap(),
            Column::new(
                "invoice.debtor_id".into(),
                [Some("D-100"), Some("d-200"), None],
            ),
            Column::new("invoice.recourse".into(), [Some(true), Some(false), None]),
        ];
        DataFrame::new(3, cols).unwrap()
    }

    /// Which of [`three_rows`] a filter, checked as a pipeline's is, keeps.
    fn kept(text: &str) -> Vec<bool> {
        use crate::config::filter::check_filter;
        use crate::config::sql::parse;
        let t = CustomTable::Collections;
        let f = check_filter(&parse(text).unwrap(), t).unwrap();
        let m = mask(&f.node, t, &three_rows()).unwrap();
        m.iter().map(|b| b == Some(true)).collect()
    }

    #[test]
    fn dates_and_money_in_filters_give_sql_answers_on_rows() {
        assert_eq!(
            kept("paid_on - invoice.due_date = 97"),
            [true, false, false]
        );
        assert_eq!(
            kept("paid_on - invoice.due_date > 19"),
            [true, false, false]
        );
        assert_eq!(
            kept("paid_on > invoice.due_date + 96"),
            [true, false, false]
        );
        assert_eq!(
            kept("paid_on >= invoice.due_date - -97"),
            [true, false, false]
        );
        assert_eq!(
            kept("paid_on > invoice.due_date + 97"),
            [false, false, false]
        );
        assert_eq!(kept("paid_on >= '2024-02-25'"), [true, false, false]);
        assert_eq!(kept("paid_on < DATE '2024-01-01'"), [false, true, false]);
        assert_eq!(kept("amount IN (1000, 2137.04)"), [true, true, false]);
        assert_eq!(kept("amount IN (2137.04)"), [true, false, false]);
        assert_eq!(kept("amount NOT IN (1000, 2137.05)"), [true, false, false]);
        assert_eq!(kept("amount BETWEEN 1000 AND 2137.04"), [true, true, false]);
        assert_eq!(kept("amount * 2 > 4274.07"), [true, false, false]);
        assert_eq!(kept("amount / 3 > 333.33"), [true, true, false]);
        assert_eq!(kept("amount % 1000 = 137.04"), [true, false, false]);
        assert_eq!(
            kept("amount >= 0.01 AND amount * 2 > 0.015"),
            [true, true, false]
        );
    }

    #[test]
    fn text_and_logic_in_filters_give_sql_answers_on_rows() {
        assert_eq!(kept("invoice.debtor_id LIKE 'D-%'"), [true, false, false]);
        assert_eq!(kept("invoice.debtor_id ILIKE 'd-%'"), [true, true, false]);
        assert_eq!(
            kept("invoice.debtor_id NOT LIKE '%00'"),
            [false, false, false]
        );
        assert_eq!(kept("invoice.recourse = false"), [false, true, false]);
        assert_eq!(kept("NOT invoice.recourse"), [false, true, false]);
        assert_eq!(kept("invoice.recourse IS NOT TRUE"), [false, true, true]);
        assert_eq!(kept("amount IS NULL"), [false, false, true]);
        // Null OR true is true; null AND false is false, and NOT of it true; null AND true is
        // null, and NOT of it null.
        assert_eq!(kept("amount > 0 OR paid_on IS NULL"), [true, true, true]);
        assert_eq!(
            kept("NOT (amount > 0 AND paid_on IS NOT NULL)"),
            [false, false, true]
        );
        assert_eq!(
            kept("NOT (amount > 0 AND paid_on IS NULL)"),
            [true, true, false]
        );
        assert_eq!(kept("amount IS DISTINCT FROM 1000"), [true, false, true]);
    }
}
