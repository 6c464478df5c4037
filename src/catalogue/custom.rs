//! Custom metrics (contract 3.1) as checked: the tables they aggregate, with the columns each
//! table shows a metric, and the two kinds of definition, an aggregate over one table and a
//! derived expression over other metrics.

use std::fmt;

use polars::prelude::{DataType, Field, Schema, TimeUnit};

use super::{Kind, MetricId, Unit};
use crate::outputs::ColumnType;
use crate::tables::{ColType, Table};

/// The type of a column a custom metric or filter sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColKind {
    Text,
    Date,
    Timestamp,
    /// In base currency, exact to the cent.
    Money,
    /// Float or integer.
    Number,
    Bool,
}

impl ColKind {
    fn of(t: ColType) -> ColKind {
        match t {
            ColType::Str => ColKind::Text,
            ColType::Date => ColKind::Date,
            ColType::Timestamp => ColKind::Timestamp,
            ColType::Money => ColKind::Money,
            ColType::Rate | ColType::Float => ColKind::Number,
            ColType::Bool => ColKind::Bool,
        }
    }

    /// The Polars type of a column of this kind in the rows a filter runs over. A timestamp is
    /// the wall-clock time in the pipeline's timezone, without a zone (contract section 1), so
    /// that `DATE '2024-02-01'` or `TIMESTAMP '2024-02-01 00:00:00'` in a filter means that
    /// moment there.
    pub fn dtype(self) -> DataType {
        match self {
            ColKind::Text => DataType::String,
            ColKind::Date => DataType::Date,
            ColKind::Timestamp => DataType::Datetime(TimeUnit::Microseconds, None),
            ColKind::Money => ColumnType::MONEY.dtype(),
            ColKind::Number => DataType::Float64,
            ColKind::Bool => DataType::Boolean,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ColKind::Text => "text",
            ColKind::Date => "date",
            ColKind::Timestamp => "timestamp",
            ColKind::Money => "money",
            ColKind::Number => "number",
            ColKind::Bool => "bool",
        }
    }
}

/// A table a custom aggregate runs over (contract 3.1's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CustomTable {
    Invoices,
    Collections,
    WriteOffs,
    Fees,
    Applications,
    Reviews,
    Balances,
}

/// The prefix of an invoice's columns seen from the tables of its events.
pub const INVOICE_PREFIX: &str = "invoice.";

/// The column of every rows frame holding each row's entity (credited) and period index as one
/// key: entity × periods + period.
pub const GROUP: &str = "__g";

/// The name of the exact-cents twin of money column `name` in a rows frame.
pub fn cents_name(name: &str) -> String {
    format!("__cents.{name}")
}

impl CustomTable {
    pub const ALL: [CustomTable; 7] = [
        CustomTable::Invoices,
        CustomTable::Collections,
        CustomTable::WriteOffs,
        CustomTable::Fees,
        CustomTable::Applications,
        CustomTable::Reviews,
        CustomTable::Balances,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CustomTable::Balances => "balances",
            t => t.canonical().map_or("", Table::name),
        }
    }

    pub fn by_name(name: &str) -> Option<CustomTable> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The canonical input table whose rows this table's rows are; `None` for `balances`.
    pub fn canonical(self) -> Option<Table> {
        match self {
            CustomTable::Invoices => Some(Table::Invoices),
            CustomTable::Collections => Some(Table::Collections),
            CustomTable::WriteOffs => Some(Table::WriteOffs),
            CustomTable::Fees => Some(Table::Fees),
            CustomTable::Applications => Some(Table::Applications),
            CustomTable::Reviews => Some(Table::Reviews),
            CustomTable::Balances => None,
        }
    }

    /// The date that places a row in a period, and who is credited (for docs and messages).
    pub fn dated_and_credited(self) -> (&'static str, &'static str) {
        match self {
            CustomTable::Invoices => ("purchase_date", "originator_id"),
            CustomTable::Collections => ("paid_on", "the client's assignee on that date"),
            CustomTable::WriteOffs => ("written_off_on", "the client's assignee on that date"),
            CustomTable::Fees => ("booked_on", "the client's assignee on that date"),
            CustomTable::Applications => ("received date", "employee_id"),
            CustomTable::Reviews => ("reviewed_on", "employee_id"),
            CustomTable::Balances => ("the period end", "the client's assignee on the period end"),
        }
    }

    /// Whether the table's rows are tied to an invoice whose columns show as `invoice.<column>`.
    pub fn has_invoice_columns(self) -> bool {
        matches!(
            self,
            CustomTable::Collections | CustomTable::WriteOffs | CustomTable::Fees
        )
    }

    /// Every column a metric or filter over this table sees, with its type, in order: the
    /// canonical columns, the extra columns of contract 3.1, then `invoice.<column>`s.
    pub fn columns(self) -> Vec<(String, ColKind)> {
        let canonical = |t: Table, prefix: &str| {
            t.columns()
                .iter()
                .map(|c| (format!("{prefix}{}", c.name), ColKind::of(c.ty)))
                .collect::<Vec<_>>()
        };
        let mut out = match self.canonical() {
            Some(t) => canonical(t, ""),
            None => vec![
                ("balance".to_string(), ColKind::Money),
                ("days_past_due".to_string(), ColKind::Number),
            ],
        };
        if self == CustomTable::Collections {
            out.push(("applied".into(), ColKind::Money));
            out.push(("recovery".into(), ColKind::Money));
        }
        if self == CustomTable::Balances {
            out.extend(canonical(Table::Invoices, ""));
        }
        if self.has_invoice_columns() {
            out.extend(canonical(Table::Invoices, INVOICE_PREFIX));
        }
        out
    }

    /// Whether column `name` (no `invoice.` prefix) is built from the checked ledger, not read
    /// from the raw table: ids, dates, amounts in base cents, balances. The run keeps only the
    /// other columns of the raw tables for the custom metrics ([`super::Catalogue::raw_columns`]);
    /// `metrics::custom::rows` builds these (a test of `tests/it/custom_metrics.rs` holds the two
    /// together).
    pub fn from_ledger(self, name: &str) -> bool {
        let names: &[&str] = match self {
            CustomTable::Invoices | CustomTable::Balances => &[
                "invoice_id",
                "client_id",
                "currency",
                "face_amount",
                "advance_amount",
                "purchase_date",
                "due_date",
                "originator_id",
                "balance",
                "days_past_due",
            ],
            CustomTable::Collections => &["invoice_id", "paid_on", "amount", "applied", "recovery"],
            CustomTable::WriteOffs => &["invoice_id", "written_off_on", "amount"],
            CustomTable::Fees => &["invoice_id", "booked_on", "amount"],
            CustomTable::Applications => &[
                "employee_id",
                "requested_amount",
                "received_at",
                "funded_at",
                "decision",
            ],
            CustomTable::Reviews => &["employee_id", "reviewed_on", "score"],
        };
        names.contains(&name)
    }

    pub fn column(self, name: &str) -> Option<ColKind> {
        self.columns()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, k)| k)
    }

    /// The schema of the rows a filter or aggregate over this table runs on, holding `columns`
    /// (names as [`CustomTable::columns`] gives them): [`GROUP`], then each column, a money
    /// column as its exact cents ([`cents_name`]). The rows are built to exactly this schema.
    pub fn rows_schema(self, columns: &[String]) -> Schema {
        let mut fields = vec![Field::new(GROUP.into(), DataType::UInt32)];
        for name in columns {
            let field = match self.column(name).unwrap_or(ColKind::Text) {
                ColKind::Money => Field::new(cents_name(name).into(), DataType::Int64),
                kind => Field::new(name.as_str().into(), kind.dtype()),
            };
            fields.push(field);
        }
        Schema::from_iter(fields)
    }
}

/// An aggregate function of contract 3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Sum,
    Count,
    CountDistinct,
    Mean,
    Min,
    Max,
    Median,
    Quantile,
}

impl Agg {
    pub const ALL: [Agg; 8] = [
        Agg::Sum,
        Agg::Count,
        Agg::CountDistinct,
        Agg::Mean,
        Agg::Min,
        Agg::Max,
        Agg::Median,
        Agg::Quantile,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Agg::Sum => "sum",
            Agg::Count => "count",
            Agg::CountDistinct => "count_distinct",
            Agg::Mean => "mean",
            Agg::Min => "min",
            Agg::Max => "max",
            Agg::Median => "median",
            Agg::Quantile => "quantile",
        }
    }

    pub fn by_name(name: &str) -> Option<Agg> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The kind of the metric's column when it aggregates a column of kind `col` (contract 3.1's
    /// types): counts are Int64; sum, min and max of money are money; the rest Float64.
    pub fn kind(self, col: Option<ColKind>) -> Kind {
        match (self, col) {
            (Agg::Count | Agg::CountDistinct, _) => Kind::Count,
            (Agg::Sum | Agg::Min | Agg::Max, Some(ColKind::Money)) => Kind::Money,
            _ => Kind::Float,
        }
    }
}

/// An aggregate over the rows of one table credited to an entity in a period.
#[derive(Debug, Clone)]
pub struct Aggregate {
    pub table: CustomTable,
    pub agg: Agg,
    /// The column aggregated; `None` only for `count` (rows are counted).
    pub column: Option<String>,
    /// The quantile of `quantile`; 0.5 for `median`.
    pub q: Option<f64>,
    /// The filter as written.
    pub filter: Option<String>,
    /// The filter as checked, evaluated on each row.
    pub cond: Option<super::cond::Node>,
    /// The columns the filter reads.
    pub reads: Vec<String>,
}

/// A derived metric: SQL arithmetic over other metrics of the same row.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The expression as written.
    pub text: String,
    pub expr: sqlparser::ast::Expr,
    /// The metrics it reads (each once), and those it reads through `lag`.
    pub reads: Vec<MetricId>,
    pub lags: Vec<MetricId>,
}

/// How a custom metric is computed.
#[derive(Debug, Clone)]
pub enum CustomDef {
    Aggregate(Aggregate),
    Derived(Box<Derived>),
}

impl fmt::Display for CustomDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomDef::Aggregate(a) => {
                write!(f, "{}(", a.agg.name())?;
                match &a.column {
                    Some(c) => write!(f, "{c}")?,
                    None => write!(f, "*")?,
                }
                if let (Agg::Quantile, Some(q)) = (a.agg, a.q) {
                    write!(f, ", {q}")?;
                }
                write!(f, ") over {}", a.table.name())?;
                if let Some(flt) = &a.filter {
                    write!(f, " where {flt}")?;
                }
                Ok(())
            }
            CustomDef::Derived(d) => f.write_str(&d.text),
        }
    }
}

/// A custom metric of the pipeline.
#[derive(Debug, Clone)]
pub struct CustomMetric {
    pub name: String,
    pub description: Option<String>,
    pub kind: Kind,
    pub def: CustomDef,
}

impl CustomMetric {
    pub fn unit(&self) -> Unit {
        match self.kind {
            Kind::Money => Unit::BaseCurrency,
            Kind::Count => Unit::Count,
            Kind::Float => Unit::Number,
        }
    }

    pub fn aggregate(&self) -> Option<&Aggregate> {
        match &self.def {
            CustomDef::Aggregate(a) => Some(a),
            CustomDef::Derived(_) => None,
        }
    }

    pub fn derived(&self) -> Option<&Derived> {
        match &self.def {
            CustomDef::Derived(d) => Some(d),
            CustomDef::Aggregate(_) => None,
        }
    }
}

/// A custom metric as the run manifest records it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The column type: `money`, `float` or `count`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
}

impl From<&CustomMetric> for Record {
    fn from(m: &CustomMetric) -> Record {
        let a = m.aggregate();
        Record {
            name: m.name.clone(),
            description: m.description.clone(),
            kind: match m.kind {
                Kind::Money => "money",
                Kind::Float => "float",
                Kind::Count => "count",
            }
            .into(),
            table: a.map(|a| a.table.name().to_string()),
            agg: a.map(|a| a.agg.name().to_string()),
            column: a.and_then(|a| a.column.clone()),
            q: a.filter(|a| a.agg == Agg::Quantile).and_then(|a| a.q),
            filter: a.and_then(|a| a.filter.clone()),
            expr: m.derived().map(|d| d.text.clone()),
        }
    }
}
