//! Checks the pipeline's `metrics` (contract 3.1) into the run's [`Catalogue`]: names, tables,
//! aggregates, columns, filters and derived expressions, every error at once with its place.

use serde_saphyr::Spanned;

use super::check::Checker;
use super::def::MetricDef;
use super::filter;
use super::sql::{self, SqlError};
use crate::catalogue::custom::{Aggregate, ColKind, Derived};
use crate::catalogue::{Agg, Builtin, Catalogue, CustomDef, CustomMetric, CustomTable, Kind};

/// Checks every custom metric; the catalogue holds those whose shape is sound.
pub(super) fn check_metrics(
    c: &mut Checker<'_>,
    text: &str,
    defs: &Spanned<Vec<Spanned<MetricDef>>>,
) -> Catalogue {
    let names: Vec<String> = defs
        .value
        .iter()
        .map(|d| d.value.name.value.clone())
        .collect();
    let mut out = Vec::new();
    for (i, d) in defs.value.iter().enumerate() {
        let key = format!("metrics[{i}]");
        let d = &d.value;
        check_name(c, d, &key, &names[..i]);
        let def = if let Some(expr) = &d.expr {
            for (k, present) in [
                ("table", d.table.is_some()),
                ("agg", d.agg.is_some()),
                ("column", d.column.is_some()),
                ("q", d.q.is_some()),
                ("filter", d.filter.is_some()),
            ] {
                if present {
                    c.at(
                        &d.name,
                        &format!("{key}.{k}"),
                        format!("a derived metric (`expr`) has no `{k}`"),
                        Some("declare either `table` and `agg` (an aggregate) or `expr` (derived), not both".into()),
                    );
                }
            }
            derived(c, text, expr, &format!("{key}.expr"))
        } else {
            aggregate(c, text, d, &key)
        };
        if let Some((kind, def)) = def {
            out.push(CustomMetric {
                name: d.name.value.clone(),
                description: d.description.as_ref().map(|s| s.value.clone()),
                kind,
                def,
            });
        }
    }
    let mut catalogue = Catalogue::new(out);
    resolve_derived(c, text, defs, &mut catalogue);
    catalogue
}

fn check_name(c: &mut Checker<'_>, d: &MetricDef, key: &str, earlier: &[String]) {
    let n = &d.name.value;
    let shaped = n.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let key = format!("{key}.name");
    if !shaped {
        c.at(
            &d.name,
            &key,
            format!("`{n}` is not a metric name"),
            Some("a name is a lower-case letter, then lower-case letters, digits and _, e.g. `nonrecourse_cash`".into()),
        );
    } else if Builtin::by_name(n).is_some() {
        c.at(
            &d.name,
            &key,
            format!("`{n}` is a section 3 metric already"),
            Some("give the custom metric a name of its own".into()),
        );
    } else if crate::outputs::OutputTable::reserved_for_metrics().contains(&n.as_str()) {
        c.at(
            &d.name,
            &key,
            format!("`{n}` is a column of scorecards or rollups already"),
            Some("give the custom metric a name of its own".into()),
        );
    } else if earlier.contains(n) {
        c.at(
            &d.name,
            &key,
            format!("`{n}` is declared twice"),
            Some("each custom metric has a name of its own".into()),
        );
    }
}

/// Reports the SQL errors of a YAML string at their place in the file.
fn sql_errors(
    c: &mut Checker<'_>,
    text: &str,
    s: &Spanned<String>,
    key: &str,
    errors: Vec<SqlError>,
) {
    for e in errors {
        let (line, column) = place_in(text, s, &e);
        c.at_place(line, column, key, e.message, e.hint);
    }
}

/// The file's line and column of a place in a YAML string scalar: after its opening quote on
/// its first line, from the line's start on the next (a block scalar's lines).
fn place_in(text: &str, s: &Spanned<String>, e: &SqlError) -> (u64, u64) {
    let (line, column) = (s.referenced.line(), s.referenced.column());
    if e.line == 0 {
        return (line, column);
    }
    let quoted = text
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .and_then(|l| l.chars().nth(column.saturating_sub(1) as usize))
        .is_some_and(|ch| ch == '"' || ch == '\'');
    if e.line == 1 {
        (line, column + u64::from(quoted) + e.column - 1)
    } else {
        (line + e.line - 1, e.column)
    }
}

fn aggregate(
    c: &mut Checker<'_>,
    text: &str,
    d: &MetricDef,
    key: &str,
) -> Option<(Kind, CustomDef)> {
    let table = check_table(c, d, key);
    let agg = check_agg(c, d, key);
    let q = check_q(c, d, agg, key);
    let table = table?;
    let col = column(c, d, table, agg, key);
    let filter = d
        .filter
        .as_ref()
        .map(|f| check_filter(c, text, f, table, key));
    let (agg, col) = (agg?, col?);
    let filter = filter.map_or(Some(None), |f| f.map(Some))?;
    Some((
        agg.kind(col.as_ref().map(|x| x.1)),
        CustomDef::Aggregate(Aggregate {
            table,
            agg,
            column: col.map(|x| x.0),
            q: match agg {
                Agg::Median => Some(0.5),
                _ => q,
            },
            filter: d.filter.as_ref().map(|f| f.value.clone()),
            reads: filter.as_ref().map_or_else(Vec::new, |f| f.reads.clone()),
            cond: filter.map(|f| f.node),
        }),
    ))
}

/// The aggregate's `table`, reported when missing or unknown.
fn check_table(c: &mut Checker<'_>, d: &MetricDef, key: &str) -> Option<CustomTable> {
    let Some(t) = &d.table else {
        c.at(
            &d.name,
            &format!("{key}.table"),
            "a metric needs a `table` (an aggregate) or an `expr` (derived)",
            Some(format!(
                "e.g. `table: collections`; the tables are {}",
                table_names()
            )),
        );
        return None;
    };
    let found = CustomTable::by_name(&t.value);
    if found.is_none() {
        c.at(
            t,
            &format!("{key}.table"),
            format!("`{}` is not a table a metric can aggregate", t.value),
            Some(nearest(&t.value, CustomTable::ALL.map(|x| x.name()))),
        );
    }
    found
}

/// The aggregate's `agg`, reported when missing (beside a `table`) or unknown.
fn check_agg(c: &mut Checker<'_>, d: &MetricDef, key: &str) -> Option<Agg> {
    let Some(a) = &d.agg else {
        if d.table.is_some() {
            let names: Vec<&str> = Agg::ALL.iter().map(|a| a.name()).collect();
            c.at(
                &d.name,
                &format!("{key}.agg"),
                "an aggregate metric needs `agg`",
                Some(format!("one of {}", names.join(", "))),
            );
        }
        return None;
    };
    let found = Agg::by_name(&a.value);
    if found.is_none() {
        c.at(
            a,
            &format!("{key}.agg"),
            format!("`{}` is not an aggregate", a.value),
            Some(nearest(&a.value, Agg::ALL.map(|x| x.name()))),
        );
    }
    found
}

/// The aggregate's `filter`, parsed and checked against `table`; its errors reported at their
/// place inside the string.
fn check_filter(
    c: &mut Checker<'_>,
    text: &str,
    f: &Spanned<String>,
    table: CustomTable,
    key: &str,
) -> Option<filter::Filter> {
    let checked = sql::parse(&f.value)
        .map_err(|e| vec![e])
        .and_then(|e| filter::check_filter(&e, table));
    match checked {
        Ok(s) => Some(s),
        Err(errors) => {
            sql_errors(c, text, f, &format!("{key}.filter"), errors);
            None
        }
    }
}

fn check_q(c: &mut Checker<'_>, d: &MetricDef, agg: Option<Agg>, key: &str) -> Option<f64> {
    let qkey = format!("{key}.q");
    match (&d.q, agg) {
        (Some(q), Some(a)) if a != Agg::Quantile => {
            c.at(
                q,
                &qkey,
                format!("`q` applies to `quantile` only, not `{}`", a.name()),
                Some("remove `q`, or write `agg: quantile`".into()),
            );
            None
        }
        (Some(q), _) if !(q.value > 0.0 && q.value < 1.0) => {
            c.at(
                q,
                &qkey,
                format!("q = {} is outside (0, 1)", q.value),
                Some("write the quantile as a fraction, e.g. 0.9 for the 90th percentile".into()),
            );
            None
        }
        (Some(q), _) => Some(q.value),
        (None, Some(Agg::Quantile)) => {
            c.at(
                &d.name,
                &qkey,
                "`quantile` needs `q`",
                Some("e.g. `q: 0.9` for the 90th percentile".into()),
            );
            None
        }
        (None, _) => None,
    }
}

/// The aggregated column and its kind: `Some(None)` for a count of rows, `None` on an error.
fn column(
    c: &mut Checker<'_>,
    d: &MetricDef,
    table: CustomTable,
    agg: Option<Agg>,
    key: &str,
) -> Option<Option<(String, ColKind)>> {
    let ckey = format!("{key}.column");
    let Some(col) = &d.column else {
        if agg.is_some_and(|a| a != Agg::Count) {
            c.at(
                &d.name,
                &ckey,
                format!("`{}` needs a `column`", agg.map_or("", Agg::name)),
                Some(format!(
                    "the columns of {} are {}",
                    table.name(),
                    columns_of(table)
                )),
            );
            return None;
        }
        return Some(None);
    };
    let Some(kind) = table.column(&col.value) else {
        let cols = table.columns();
        let hint = match crate::suggest::closest(&col.value, cols.iter().map(|x| x.0.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None if col
                .value
                .starts_with(crate::catalogue::custom::INVOICE_PREFIX)
                && !table.has_invoice_columns() =>
            {
                "`invoice.<column>` is on collections, write_offs and fees".into()
            }
            None => format!("the columns of {} are {}", table.name(), columns_of(table)),
        };
        c.at(
            col,
            &ckey,
            format!("`{}` is not a column of {}", col.value, table.name()),
            Some(hint),
        );
        return None;
    };
    let numeric = matches!(kind, ColKind::Money | ColKind::Number);
    match agg {
        // Contract 3.1: of a text column, count_distinct only.
        Some(Agg::Count) if kind == ColKind::Text => {
            c.at(
                col,
                &ckey,
                format!(
                    "`count` of `{}`, a text column: only count_distinct takes a text column",
                    col.value
                ),
                Some(format!(
                    "remove `column` to count the rows, or write `agg: count_distinct` to count the distinct values of `{}`",
                    col.value
                )),
            );
            None
        }
        Some(a) if !numeric && !matches!(a, Agg::Count | Agg::CountDistinct) => {
            c.at(
                col,
                &ckey,
                format!(
                    "`{}` of `{}`, a {} column: only {} take{} a {} column",
                    a.name(),
                    col.value,
                    kind.name(),
                    if kind == ColKind::Text {
                        "count_distinct"
                    } else {
                        "count and count_distinct"
                    },
                    if kind == ColKind::Text { "s" } else { "" },
                    kind.name()
                ),
                Some("write `agg: count_distinct`, or aggregate a money or number column".into()),
            );
            None
        }
        _ => Some(Some((col.value.clone(), kind))),
    }
}

fn columns_of(table: CustomTable) -> String {
    table
        .columns()
        .iter()
        .map(|x| x.0.as_str())
        .filter(|n| !n.starts_with(crate::catalogue::custom::INVOICE_PREFIX))
        .collect::<Vec<_>>()
        .join(", ")
        + if table.has_invoice_columns() {
            ", invoice.<column>"
        } else {
            ""
        }
}

fn table_names() -> String {
    CustomTable::ALL.map(|t| t.name()).join(", ")
}

fn nearest<const N: usize>(word: &str, names: [&str; N]) -> String {
    match crate::suggest::closest(word, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("one of {}", names.join(", ")),
    }
}

/// Parses and checks the shape of a derived expression; its names are resolved once every
/// custom metric is known ([`resolve_derived`]).
fn derived(
    c: &mut Checker<'_>,
    text: &str,
    expr: &Spanned<String>,
    key: &str,
) -> Option<(Kind, CustomDef)> {
    let parsed = sql::parse(&expr.value)
        .map_err(|e| vec![e])
        .and_then(|e| sql::check_derived(&e).map(|_| e));
    match parsed {
        Ok(e) => Some((
            Kind::Float,
            CustomDef::Derived(Box::new(Derived {
                text: expr.value.clone(),
                expr: e,
                reads: Vec::new(),
                lags: Vec::new(),
            })),
        )),
        Err(errors) => {
            sql_errors(c, text, expr, key, errors);
            None
        }
    }
}

/// Resolves the names each derived metric reads into ids, reporting unknown names and cycles.
fn resolve_derived(
    c: &mut Checker<'_>,
    text: &str,
    defs: &Spanned<Vec<Spanned<MetricDef>>>,
    catalogue: &mut Catalogue,
) {
    let index_of = |name: &str| defs.value.iter().position(|d| d.value.name.value == name);
    let mut resolved = Vec::new();
    for (j, m) in catalogue.custom.iter().enumerate() {
        let Some(d) = m.derived() else { continue };
        let Some(i) = index_of(&m.name) else { continue };
        // A name declared twice (reported already) may find another declaration's entry.
        let Some(expr) = defs.value[i].value.expr.as_ref() else {
            continue;
        };
        let key = format!("metrics[{i}].expr");
        let refs = sql::check_derived(&d.expr).unwrap_or_default();
        let ids = |list: Vec<(String, SqlError)>, c: &mut Checker<'_>| {
            let mut out = Vec::new();
            for (name, at) in list {
                match catalogue.id(&name) {
                    Some(id) => {
                        if !out.contains(&id) {
                            out.push(id)
                        }
                    }
                    None => {
                        let err = SqlError {
                            message: format!("`{name}` is not a metric"),
                            hint: Some(catalogue.unknown_hint(&name)),
                            ..at
                        };
                        sql_errors(c, text, expr, &key, vec![err]);
                    }
                }
            }
            out
        };
        let reads = ids(refs.reads, c);
        let lags = ids(refs.lags, c);
        resolved.push((j, reads, lags));
    }
    for (j, reads, lags) in resolved {
        if let CustomDef::Derived(d) = &mut catalogue.custom[j].def {
            d.reads = reads;
            d.lags = lags;
        }
    }
    report_cycles(c, defs, catalogue);
}

/// A derived metric that reads itself, directly, through others or through `lag`, cannot be
/// computed: each such metric is reported once, with the loop.
fn report_cycles(
    c: &mut Checker<'_>,
    defs: &Spanned<Vec<Spanned<MetricDef>>>,
    catalogue: &Catalogue,
) {
    let n = catalogue.custom.len();
    let deps = |j: usize| -> Vec<usize> {
        catalogue.custom[j].derived().map_or_else(Vec::new, |d| {
            d.reads
                .iter()
                .chain(&d.lags)
                .filter_map(|id| id.index().checked_sub(Builtin::ALL.len()))
                .collect()
        })
    };
    for start in 0..n {
        // A path from `start` back to itself, found depth first.
        let mut stack = vec![(start, vec![start])];
        let mut seen = vec![false; n];
        let mut cycle = None;
        while let Some((j, path)) = stack.pop() {
            for k in deps(j) {
                if k == start {
                    cycle = Some(path.clone());
                    break;
                }
                if !seen[k] {
                    seen[k] = true;
                    let mut p = path.clone();
                    p.push(k);
                    stack.push((k, p));
                }
            }
            if cycle.is_some() {
                break;
            }
        }
        let Some(path) = cycle else { continue };
        let name = &catalogue.custom[start].name;
        let Some(i) = defs.value.iter().position(|d| &d.value.name.value == name) else {
            continue;
        };
        let Some(expr) = &defs.value[i].value.expr else {
            continue;
        };
        let loop_text: Vec<&str> = path
            .iter()
            .chain(std::iter::once(&start))
            .map(|&k| catalogue.custom[k].name.as_str())
            .collect();
        c.at(
            expr,
            &format!("metrics[{i}].expr"),
            format!("`{name}` depends on itself: {}", loop_text.join(" -> ")),
            Some("break the loop: a derived metric reads other metrics, never itself".into()),
        );
    }
}
