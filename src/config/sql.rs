//! The SQL of custom metrics (contract 3.1), parsed by the parser Polars' own SQL uses
//! (`sqlparser`, generic dialect) and checked before any data is read: a filter's columns and
//! that it is boolean, a derived expression's metrics and functions. Nothing here evaluates.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident,
    Spanned, UnaryOperator, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::catalogue::custom::{ColKind, CustomTable, INVOICE_PREFIX};

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
    fn at(node: &impl Spanned, message: String, hint: Option<String>) -> SqlError {
        Self::at_span(node.span(), message, hint)
    }

    fn at_ident(i: &Ident, message: String, hint: Option<String>) -> SqlError {
        Self::at_span(i.span, message, hint)
    }

    fn at_span(
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
fn ident_name(i: &Ident) -> String {
    match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_ascii_lowercase(),
    }
}

/// The type an expression gives, as far as a check before reading data can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bool,
    Number,
    Text,
    Date,
    Timestamp,
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
            Ty::Null => "null",
            Ty::Unknown => "unknown",
        }
    }
}

/// A filter as checked: its text for Polars and the columns it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// `invoice.<column>` quoted as one column name.
    pub sql: String,
    pub reads: Vec<String>,
}

/// Checks a filter over `table`'s columns: every column exists, and the whole is boolean.
/// Returns the filter rewritten for Polars, or every problem found.
pub fn check_filter(e: &Expr, table: CustomTable) -> Result<Filter, Vec<SqlError>> {
    let mut errors = Vec::new();
    let mut reads: Vec<String> = Vec::new();
    let mut rewritten = e.clone();
    let _ = sqlparser::ast::visit_expressions_mut(&mut rewritten, |x| {
        if let Expr::CompoundIdentifier(parts) = x {
            if parts.len() == 2 && ident_name(&parts[0]) == "invoice" {
                let name = format!("{INVOICE_PREFIX}{}", ident_name(&parts[1]));
                *x = Expr::Identifier(Ident::with_quote('"', name));
            }
        }
        ControlFlow::<()>::Continue(())
    });
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
    if errors.is_empty() {
        let t = ty(e, table);
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
    // Polars reads the filter text; what it cannot translate is reported now, not at run time.
    let sql = rewritten.to_string();
    reads.sort();
    reads.dedup();
    match polars::sql::sql_expr(&sql) {
        Ok(_) => Ok(Filter { sql, reads }),
        Err(err) => Err(vec![SqlError::at(
            e,
            format!("this filter is not supported: {err}"),
            Some("use comparisons, AND/OR/NOT, IN, BETWEEN, IS [NOT] NULL, LIKE, arithmetic and DATE 'YYYY-MM-DD' literals".into()),
        )]),
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

fn ty(e: &Expr, table: CustomTable) -> Ty {
    use BinaryOperator as B;
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
        Expr::TypedString(t) => match t.data_type {
            DataType::Date => Ty::Date,
            DataType::Timestamp(..) | DataType::Datetime(_) => Ty::Timestamp,
            _ => Ty::Unknown,
        },
        Expr::Nested(x) => ty(x, table),
        Expr::BinaryOp { op, .. } => match op {
            B::And | B::Or | B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq | B::Xor => {
                Ty::Bool
            }
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => Ty::Number,
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
    fn a_filter_on_invoice_columns_is_rewritten_for_polars() {
        let e = parse("invoice.recourse = false AND amount >= 100000").unwrap();
        let f = check_filter(&e, CustomTable::Collections).unwrap();
        assert_eq!(f.sql, "\"invoice.recourse\" = false AND amount >= 100000");
        assert_eq!(f.reads, ["amount", "invoice.recourse"]);
    }

    #[test]
    fn a_filter_that_is_a_number_is_refused() {
        let e = parse("amount + 1").unwrap();
        let errs = check_filter(&e, CustomTable::Collections).unwrap_err();
        assert_eq!(
            errs[0].message,
            "the filter gives a number, not true or false"
        );
    }

    #[test]
    fn derived_names_are_read_directly_and_through_lag() {
        let e = parse("new_clients / nullif(lag(new_clients), 0) - 1").unwrap();
        let r = check_derived(&e).unwrap();
        assert_eq!(r.reads.len(), 1);
        assert_eq!(r.lags[0].0, "new_clients");
    }
}
