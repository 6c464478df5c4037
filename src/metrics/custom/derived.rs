//! Evaluating a derived metric (contract 3.1) on one row's values: SQL arithmetic over metric
//! values, where division by zero and any null operand give null (`coalesce` aside). The
//! expression was parsed and checked with the pipeline; this only walks it.

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator, Value,
};

use crate::catalogue::{Builtin, Catalogue, MetricId};

/// The derived custom metrics (indexes into the pipeline's list) in an order where each comes
/// after the derived metrics it reads in the same period.
pub fn order(cat: &Catalogue) -> Vec<usize> {
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

/// The value of `e` where `now(id)` is a metric's value in the row's period and `before(id)` its
/// value in the previous period.
pub fn eval(
    e: &Expr,
    cat: &Catalogue,
    now: &dyn Fn(MetricId) -> Option<f64>,
    before: &dyn Fn(MetricId) -> Option<f64>,
) -> Option<f64> {
    let ev = |x: &Expr| eval(x, cat, now, before);
    let v = match e {
        Expr::Identifier(i) => now(cat.id(&name(i))?),
        Expr::Value(v) => match &v.value {
            Value::Number(s, _) => s.parse::<f64>().ok(),
            _ => None,
        },
        Expr::Nested(x) => ev(x),
        Expr::UnaryOp { op, expr } => {
            let x = ev(expr)?;
            match op {
                UnaryOperator::Minus => Some(-x),
                _ => Some(x),
            }
        }
        Expr::BinaryOp { left, op, right } => {
            let (a, b) = (ev(left)?, ev(right)?);
            match op {
                BinaryOperator::Plus => Some(a + b),
                BinaryOperator::Minus => Some(a - b),
                BinaryOperator::Multiply => Some(a * b),
                BinaryOperator::Divide => (b != 0.0).then(|| a / b),
                _ => None,
            }
        }
        Expr::Function(f) => {
            let fname = f.name.to_string().to_ascii_lowercase();
            let args = args(&f.args);
            if fname == "lag" {
                let Some(Expr::Identifier(i)) = args.first() else {
                    return None;
                };
                return before(cat.id(&name(i))?);
            }
            let vals: Vec<Option<f64>> = args.iter().map(|a| ev(a)).collect();
            match fname.as_str() {
                "coalesce" => vals.into_iter().flatten().next(),
                "nullif" => {
                    let (a, b) = (vals.first().copied()??, vals.get(1).copied()??);
                    (a != b).then_some(a)
                }
                "abs" => vals.first().copied()?.map(f64::abs),
                "least" => all(vals)?.into_iter().reduce(f64::min),
                "greatest" => all(vals)?.into_iter().reduce(f64::max),
                _ => None,
            }
        }
        _ => None,
    };
    v.filter(|x| x.is_finite())
}

/// Every value, or `None` when one is null.
fn all(vals: Vec<Option<f64>>) -> Option<Vec<f64>> {
    vals.into_iter().collect()
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
