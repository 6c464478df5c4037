//! Evaluating a derived metric (contract 3.1) on one row's values: SQL arithmetic over metric
//! values, where division by zero and any null operand give null (`coalesce` aside). The
//! expression was parsed and checked with the pipeline; this resolves its names once
//! ([`Formula`]) and evaluates it row after row.

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator, Value,
};

use crate::catalogue::{Builtin, Catalogue, MetricId};

/// The derived custom metrics (indexes into the pipeline's list) in an order where each comes
/// after the derived metrics it reads in the same period.
fn order(cat: &Catalogue) -> Vec<usize> {
    let n = cat.custom.len();
    let mut done = vec![false; n];
    let mut out = Vec::new();
    fn visit(cat: &Catalogue, i: usize, done: &mut [bool], out: &mut Vec<usize>, depth: usize) {
        if done[i] || depth > cat.custom.len() {
            return;
        }
        let Some(d) = cat.custom[i].derived() else {
            done[i] = true;
            return;
        };
        for id in &d.reads {
            if let Some(j) = id.index().checked_sub(Builtin::ALL.len()) {
                visit(cat, j, done, out, depth + 1);
            }
        }
        done[i] = true;
        out.push(i);
    }
    for i in 0..n {
        visit(cat, i, &mut done, &mut out, 0);
    }
    out.retain(|&i| cat.custom[i].derived().is_some());
    out
}

/// The derived custom metrics in [`order`], each with its [`Formula`].
pub fn formulas(cat: &Catalogue) -> Vec<(usize, Formula)> {
    order(cat)
        .into_iter()
        .filter_map(|i| Some((i, Formula::new(&cat.custom[i].derived()?.expr, cat))))
        .collect()
}

/// How many periods back a derived metric reads, through `lag` and the derived metrics it reads:
/// the run computes that many periods before the first it scores.
pub fn lag_depth(cat: &Catalogue) -> usize {
    fn depth(cat: &Catalogue, id: MetricId, seen: usize) -> usize {
        let Some(j) = id.index().checked_sub(Builtin::ALL.len()) else {
            return 0;
        };
        let Some(d) = cat.custom[j].derived() else {
            return 0;
        };
        if seen > cat.custom.len() {
            return 0;
        }
        let direct = d.reads.iter().map(|&r| depth(cat, r, seen + 1));
        let lagged = d.lags.iter().map(|&r| 1 + depth(cat, r, seen + 1));
        direct.chain(lagged).max().unwrap_or(0)
    }
    (0..cat.custom.len())
        .map(|j| depth(cat, Catalogue::custom_id(j), 0))
        .max()
        .unwrap_or(0)
}

/// A derived metric's expression with its metrics resolved, to evaluate on row after row
/// without walking names: each node is the SQL construct it was parsed from.
#[derive(Debug, Clone)]
pub enum Formula {
    /// A metric's value in the row's period (`None`: no such metric).
    Metric(Option<MetricId>),
    /// `lag(metric)`: its value in the previous period.
    Lag(Option<MetricId>),
    Number(Option<f64>),
    Negate(Box<Formula>),
    /// Parentheses, or a unary operator that leaves the value as it is.
    Same(Box<Formula>),
    Binary(Op, Box<Formula>, Box<Formula>),
    Call(Func, Vec<Formula>),
    /// A construct with no value.
    Null,
}

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Add,
    Subtract,
    Multiply,
    Divide,
    /// An operator with no numeric value.
    Other,
}

#[derive(Debug, Clone, Copy)]
pub enum Func {
    Coalesce,
    Nullif,
    Abs,
    Least,
    Greatest,
    /// A function with no value.
    Other,
}

impl Formula {
    /// `e` with its metric names resolved in `cat`.
    pub fn new(e: &Expr, cat: &Catalogue) -> Formula {
        let f = |x: &Expr| Box::new(Formula::new(x, cat));
        match e {
            Expr::Identifier(i) => Formula::Metric(cat.id(&name(i))),
            Expr::Value(v) => match &v.value {
                Value::Number(s, _) => Formula::Number(s.parse::<f64>().ok()),
                _ => Formula::Null,
            },
            Expr::Nested(x) => Formula::Same(f(x)),
            Expr::UnaryOp { op, expr } => match op {
                UnaryOperator::Minus => Formula::Negate(f(expr)),
                _ => Formula::Same(f(expr)),
            },
            Expr::BinaryOp { left, op, right } => {
                let op = match op {
                    BinaryOperator::Plus => Op::Add,
                    BinaryOperator::Minus => Op::Subtract,
                    BinaryOperator::Multiply => Op::Multiply,
                    BinaryOperator::Divide => Op::Divide,
                    _ => Op::Other,
                };
                Formula::Binary(op, f(left), f(right))
            }
            Expr::Function(call) => {
                let fname = call.name.to_string().to_ascii_lowercase();
                let args = args(&call.args);
                if fname == "lag" {
                    return match args.first() {
                        Some(Expr::Identifier(i)) => Formula::Lag(cat.id(&name(i))),
                        _ => Formula::Null,
                    };
                }
                let func = match fname.as_str() {
                    "coalesce" => Func::Coalesce,
                    "nullif" => Func::Nullif,
                    "abs" => Func::Abs,
                    "least" => Func::Least,
                    "greatest" => Func::Greatest,
                    _ => Func::Other,
                };
                Formula::Call(
                    func,
                    args.into_iter().map(|a| Formula::new(a, cat)).collect(),
                )
            }
            _ => Formula::Null,
        }
    }

    /// The value where `now(id)` is a metric's value in the row's period and `before(id)` its
    /// value in the previous period. Division by zero, a null operand and a value that is not
    /// finite give null.
    pub fn eval(
        &self,
        now: &dyn Fn(MetricId) -> Option<f64>,
        before: &dyn Fn(MetricId) -> Option<f64>,
    ) -> Option<f64> {
        let ev = |x: &Formula| x.eval(now, before);
        let v = match self {
            Formula::Metric(id) => now((*id)?),
            Formula::Lag(id) => return before((*id)?),
            Formula::Number(x) => *x,
            Formula::Negate(x) => Some(-ev(x)?),
            Formula::Same(x) => ev(x),
            Formula::Binary(op, left, right) => {
                let (a, b) = (ev(left)?, ev(right)?);
                match op {
                    Op::Add => Some(a + b),
                    Op::Subtract => Some(a - b),
                    Op::Multiply => Some(a * b),
                    Op::Divide => (b != 0.0).then(|| a / b),
                    Op::Other => None,
                }
            }
            Formula::Call(func, args) => match func {
                Func::Coalesce => args.iter().find_map(ev),
                Func::Nullif => {
                    let (a, b) = (ev(args.first()?)?, ev(args.get(1)?)?);
                    (a != b).then_some(a)
                }
                Func::Abs => ev(args.first()?).map(f64::abs),
                Func::Least | Func::Greatest => {
                    let mut acc: Option<f64> = None;
                    for a in args {
                        let x = ev(a)?;
                        acc = Some(match (func, acc) {
                            (_, None) => x,
                            (Func::Least, Some(m)) => m.min(x),
                            (_, Some(m)) => m.max(x),
                        });
                    }
                    acc
                }
                Func::Other => None,
            },
            Formula::Null => None,
        };
        v.filter(|x| x.is_finite())
    }
}

fn name(i: &sqlparser::ast::Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_ascii_lowercase(),
    }
}

fn args(a: &FunctionArguments) -> Vec<&Expr> {
    let FunctionArguments::List(list) = a else {
        return Vec::new();
    };
    list.args
        .iter()
        .filter_map(|x| match x {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect()
}
