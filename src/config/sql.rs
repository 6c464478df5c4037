//! The SQL of custom metrics (contract 3.1), parsed by `sqlparser` (generic dialect) and
//! checked before any data is read: here a derived expression's metrics and functions; a filter
//! in [`super::filter`]. Nothing here evaluates.

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Spanned,
    UnaryOperator, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

/// A problem in a SQL text: where in the text (1-based line and column; 0 when unknown), what,
/// and the fix.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlError {
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
}

impl SqlError {
    pub(super) fn at(node: &impl Spanned, message: String, hint: Option<String>) -> SqlError {
        Self::at_span(node.span(), message, hint)
    }

    pub(super) fn at_ident(i: &Ident, message: String, hint: Option<String>) -> SqlError {
        Self::at_span(i.span, message, hint)
    }

    pub(super) fn at_span(
        span: sqlparser::tokenizer::Span,
        message: String,
        hint: Option<String>,
    ) -> SqlError {
        let s = span.start;
        SqlError {
            line: s.line,
            column: s.column,
            message,
            hint,
        }
    }
}

/// Parses one SQL expression (the whole text).
pub fn parse(text: &str) -> Result<Expr, SqlError> {
    let err = |e: sqlparser::parser::ParserError| {
        let msg = e.to_string();
        let msg = msg.strip_prefix("sql parser error: ").unwrap_or(&msg);
        // The parser's messages end with "at Line: L, Column: C"; keep the place apart.
        let (message, line, column) = match msg.rsplit_once(" at Line: ") {
            Some((m, lc)) => {
                let mut it = lc.split(", Column: ");
                let l = it.next().and_then(|x| x.trim().parse().ok()).unwrap_or(0);
                let c = it.next().and_then(|x| x.trim().parse().ok()).unwrap_or(0);
                (m.to_string(), l, c)
            }
            None => (msg.to_string(), 0, 0),
        };
        SqlError {
            line,
            column,
            message: format!("cannot read the SQL: {message}"),
            hint: None,
        }
    };
    let mut p = Parser::new(&GenericDialect)
        .try_with_sql(text)
        .map_err(err)?;
    let e = p.parse_expr().map_err(err)?;
    let next = p.peek_token();
    if next.token != sqlparser::tokenizer::Token::EOF {
        return Err(SqlError {
            line: next.span.start.line,
            column: next.span.start.column,
            message: format!("cannot read the SQL: `{}` after the expression", next.token),
            hint: Some("write one expression; join conditions with AND / OR".into()),
        });
    }
    Ok(e)
}

/// An unquoted SQL name, as SQL reads it (case-insensitive: lower case).
pub(super) fn ident_name(i: &Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_ascii_lowercase(),
    }
}

/// The functions a derived metric may call, with their argument counts (min, max).
const DERIVED_FUNCTIONS: [(&str, usize, usize); 6] = [
    ("nullif", 2, 2),
    ("coalesce", 1, usize::MAX),
    ("abs", 1, 1),
    ("least", 1, usize::MAX),
    ("greatest", 1, usize::MAX),
    ("lag", 1, 1),
];

/// The metric names a derived expression reads, directly and through `lag`, each with where it
/// is written.
#[derive(Debug, Default)]
pub struct DerivedRefs {
    pub reads: Vec<(String, SqlError)>,
    pub lags: Vec<(String, SqlError)>,
}

/// Checks that a derived expression is arithmetic over metric names with the allowed functions;
/// returns the names it reads. Whether each name is a metric is the caller's check.
pub fn check_derived(e: &Expr) -> Result<DerivedRefs, Vec<SqlError>> {
    let mut refs = DerivedRefs::default();
    let mut errors = Vec::new();
    walk_derived(e, false, &mut refs, &mut errors);
    if errors.is_empty() {
        Ok(refs)
    } else {
        Err(errors)
    }
}

fn place(i: &Ident) -> SqlError {
    SqlError::at_ident(i, String::new(), None)
}

fn walk_derived(e: &Expr, in_lag: bool, refs: &mut DerivedRefs, errors: &mut Vec<SqlError>) {
    use BinaryOperator as B;
    match e {
        Expr::Identifier(i) => {
            let list = if in_lag {
                &mut refs.lags
            } else {
                &mut refs.reads
            };
            list.push((ident_name(i), place(i)));
        }
        Expr::Value(v) if matches!(v.value, Value::Number(..)) => {}
        Expr::Nested(x) => walk_derived(x, in_lag, refs, errors),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => walk_derived(expr, in_lag, refs, errors),
        Expr::BinaryOp {
            left,
            op: B::Plus | B::Minus | B::Multiply | B::Divide,
            right,
        } => {
            walk_derived(left, in_lag, refs, errors);
            walk_derived(right, in_lag, refs, errors);
        }
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            let Some(&(_, min, max)) = DERIVED_FUNCTIONS.iter().find(|d| d.0 == name) else {
                errors.push(SqlError::at(
                    &f.name,
                    format!("`{name}` is not a function a derived metric may use"),
                    Some(function_hint(&name)),
                ));
                return;
            };
            let args = plain_args(&f.args);
            match args {
                Some(a) if (min..=max).contains(&a.len()) => {
                    if name == "lag" && !matches!(a[0], Expr::Identifier(_)) {
                        errors.push(SqlError::at(
                            a[0],
                            "`lag` takes the name of a metric".into(),
                            Some("write e.g. `lag(new_clients)`".into()),
                        ));
                    } else if name == "lag" && in_lag {
                        errors.push(SqlError::at(
                            &f.name,
                            "`lag` inside `lag` is not supported".into(),
                            Some("declare the inner lag as a metric of its own".into()),
                        ));
                    } else {
                        for x in a {
                            walk_derived(x, in_lag || name == "lag", refs, errors);
                        }
                    }
                }
                _ => errors.push(SqlError::at(
                    &f.name,
                    format!(
                        "`{name}` takes {}",
                        match (min, max) {
                            (1, 1) => "one argument".to_string(),
                            (a, b) if a == b => format!("{a} arguments"),
                            _ => "one or more arguments".into(),
                        }
                    ),
                    None,
                )),
            }
        }
        other => errors.push(SqlError::at(
            other,
            format!("`{other}` is not allowed in a derived metric"),
            Some("a derived metric is arithmetic (+ - * /, parentheses, numbers) over metric names, with nullif, coalesce, abs, least, greatest and lag(name)".into()),
        )),
    }
}

fn function_hint(name: &str) -> String {
    let names = DERIVED_FUNCTIONS.iter().map(|d| d.0);
    match crate::suggest::closest(name, names) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "use nullif, coalesce, abs, least, greatest or lag".into(),
    }
}

/// The arguments of a call written `f(a, b)`, if that is how it is written.
fn plain_args(args: &FunctionArguments) -> Option<Vec<&Expr>> {
    let FunctionArguments::List(list) = args else {
        return None;
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return None;
    }
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_are_read_directly_and_through_lag() {
        let e = parse("new_clients / nullif(lag(new_clients), 0) - 1").unwrap();
        let r = check_derived(&e).unwrap();
        assert_eq!(r.reads.len(), 1);
        assert_eq!(r.lags[0].0, "new_clients");
    }
}
