//! A custom aggregate's filter as checked (contract 3.1): a typed expression tree over the
//! columns of its table's rows. Built and type-checked in `crate::config::filter` before any data
//! is read; evaluated row by row in `crate::metrics::custom::filter`.
//!
//! Values, as the evaluator represents them:
//! - numbers are exact decimals (an integer and a scale: money is its cents at scale 2, a literal
//!   `2137.04` is 213704 at scale 2, `90` is 90 at scale 0) except a `number` column and a
//!   literal with an exponent, which are Float64; `+ - *` and `%` of exact numbers are exact, `/`
//!   gives Float64 (null on division by zero);
//! - a date is its day number (days since 1970-01-01), a timestamp the wall-clock time in the
//!   pipeline's timezone in microseconds, an interval a length in microseconds.

/// A node of a filter, its operands checked to fit.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A column of the table's rows, by its name as a filter reads it (its kind is the
    /// table's, `CustomTable::column`).
    Column(String),
    Lit(Lit),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(Cmp, Box<Node>, Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    /// `x IS NULL`: never null itself.
    IsNull(Box<Node>),
    /// `x IS TRUE` (`true`) or `x IS FALSE` (`false`): never null.
    Is(Box<Node>, bool),
    /// `a IS DISTINCT FROM b`: nulls compare equal to each other; never null.
    DistinctFrom(Box<Node>, Box<Node>),
    /// `x LIKE 'pattern'` (`%` any text, `_` one character), case-insensitive for `ILIKE`.
    Like {
        value: Box<Node>,
        pattern: Vec<LikePart>,
        fold_case: bool,
    },
    /// A date as its day number, or a number cut to a whole number (`CAST(x AS BIGINT)`).
    WholeNumber(Box<Node>),
    /// A whole number of days as a date (`CAST(n AS DATE)`).
    DateOf(Box<Node>),
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    /// An exact number: `value / 10^scale`.
    Exact(i128, u32),
    Float(f64),
    Text(String),
    Date(i32),
    Timestamp(i64),
    Interval(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A step of a `LIKE` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikePart {
    /// This character, as written.
    Char(char),
    /// `_`: one character.
    One,
    /// `%`: any number of characters.
    Any,
}

impl Node {
    /// The columns the node reads, each once, in the order first read.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |n| {
            if let Node::Column(c) = n {
                if !out.contains(&c.as_str()) {
                    out.push(c.as_str());
                }
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        f(self);
        match self {
            Node::Column(_) | Node::Lit(_) => {}
            Node::Not(x)
            | Node::Neg(x)
            | Node::IsNull(x)
            | Node::Is(x, _)
            | Node::WholeNumber(x)
            | Node::DateOf(x) => x.walk(f),
            Node::Like { value, .. } => value.walk(f),
            Node::And(a, b)
            | Node::Or(a, b)
            | Node::Compare(_, a, b)
            | Node::Arith(_, a, b)
            | Node::DistinctFrom(a, b) => {
                a.walk(f);
                b.walk(f);
            }
        }
    }
}
