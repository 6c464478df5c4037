//! The `rejects` table (contract section 6): every input row left out of the figures, with its
//! source, file, row, raw values, the rule it breaks and a readable reason.

use polars::prelude::*;

use crate::frame::table_frame;
use crate::outputs::{rejects as x, OutputTable};
use crate::problems::{Break, Problems};
use crate::raw::RawTable;

/// One row per rejected input row, in table then row order. A row that breaks several rules
/// lists them all in `reason`; `column`, `value` and `rule` are those of its first break.
pub fn frame(problems: &Problems, raw: &[RawTable]) -> PolarsResult<DataFrame> {
    let mut breaks: Vec<&Break> = problems.breaks.iter().collect();
    breaks.sort_by_key(|b| (b.table as usize, b.row));
    let rows: Vec<&[&Break]> = breaks
        .chunk_by(|a, b| a.table == b.table && a.row == b.row)
        .collect();
    let n = rows.len();
    let (mut source, mut file, mut row, mut line) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut column, mut value, mut rule, mut reason, mut raw_values, mut cascade) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for group in rows {
        let first = group[0];
        let t = raw.iter().find(|r| r.table == first.table);
        let at = t.map(|t| t.row_ref(first.row as usize));
        source.push(first.table.name());
        file.push(at.as_ref().map(|a| a.file.display().to_string()));
        row.push(at.as_ref().map_or(first.row as i64 + 1, |a| a.row as i64));
        line.push(at.as_ref().and_then(|a| a.line.map(|l| l as i64)));
        column.push((!first.column.is_empty()).then_some(first.column));
        value.push(first.value.clone());
        // A row that breaks a rule of its own is reported by that rule, not by its cascade.
        let own = group.iter().find(|b| !b.cascade);
        rule.push(match own {
            Some(b) => b.rule.clone(),
            None => "references a rejected row".to_string(),
        });
        cascade.push(own.is_none());
        let reasons: Vec<String> = group.iter().map(|b| b.reason()).collect();
        reason.push(reasons.join("; "));
        raw_values.push(match &first.cells {
            Some(cells) => cells.clone(),
            None => t.map_or_else(String::new, |t| values(t, first.row as usize)),
        });
    }
    let cols = vec![
        Column::new(x::SOURCE.name.into(), source),
        Column::new(x::FILE.name.into(), file),
        Column::new(x::ROW.name.into(), row),
        Column::new(x::LINE.name.into(), line),
        Column::new(x::COLUMN.name.into(), column),
        Column::new(x::VALUE.name.into(), value),
        Column::new(x::RULE.name.into(), rule),
        Column::new(x::CASCADE.name.into(), cascade),
        Column::new(x::REASON.name.into(), reason),
        Column::new(x::RAW.name.into(), raw_values),
    ];
    table_frame(OutputTable::Rejects, &[], n, cols)
}

/// Row `i` of `t` as read: a JSON object of its canonical columns, values as text.
pub fn values(t: &RawTable, i: usize) -> String {
    let mut m = serde_json::Map::new();
    for c in t.df.columns() {
        let v = match c.get(i) {
            Ok(AnyValue::Null) | Err(_) => serde_json::Value::Null,
            Ok(AnyValue::String(s)) => s.into(),
            Ok(AnyValue::StringOwned(s)) => s.as_str().into(),
            Ok(AnyValue::Int64(cents)) => crate::money::format_cents(cents).into(),
            Ok(AnyValue::Date(d)) => crate::periods::format_day(d).into(),
            Ok(other) => other.to_string().into(),
        };
        m.insert(c.name().to_string(), v);
    }
    serde_json::Value::Object(m).to_string()
}
