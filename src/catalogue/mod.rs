//! The metric catalogue: every metric a run computes and a plan can score, by id: the section 3
//! built-ins ([`builtin`]) and the pipeline's own custom metrics ([`custom`], contract 3.1).
//! Names, types, units and meanings only; how a metric is computed is in `crate::metrics`.
//!
//! A [`MetricId`] is the metric's column position: the built-ins in contract order, then the
//! pipeline's custom metrics in the order declared. The scorecards and rollups columns, the plan
//! checks, `explain`, the manifest and `factorscore metrics` all read the catalogue.

pub mod builtin;
pub mod cond;
pub mod custom;

pub use builtin::Builtin;
pub use custom::{Agg, CustomDef, CustomMetric, CustomTable};

use crate::numbers::Style;

/// How a metric column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Decimal(38, 2), exact.
    Money,
    /// Float64, null when undefined.
    Float,
    /// Int64.
    Count,
}

impl Kind {
    /// The column type as the README and the schema docs name it.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Money => "Decimal(38, 2)",
            Kind::Float => "Float64",
            Kind::Count => "Int64",
        }
    }
}

/// What a metric is measured in: the unit the README and `factorscore metrics` name, and, through
/// [`Unit::style`], how `explain` writes its values for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    BaseCurrency,
    Ratio,
    Count,
    Hours,
    Days,
    Score,
    /// No known unit (a custom Float64 metric).
    Number,
}

impl Unit {
    /// The unit as the README and `factorscore metrics` name it (empty for [`Unit::Number`]).
    pub fn name(self) -> &'static str {
        match self {
            Unit::BaseCurrency => "base currency",
            Unit::Ratio => "ratio",
            Unit::Count => "count",
            Unit::Hours => "hours",
            Unit::Days => "days",
            Unit::Score => "score",
            Unit::Number => "",
        }
    }

    /// How a value in this unit is written for people: ratios as percents, money with 2
    /// decimals, counts whole, hours, days and scores with 1 decimal.
    pub fn style(self) -> Style {
        match self {
            Unit::BaseCurrency => Style::Money,
            Unit::Ratio => Style::Rate,
            Unit::Count => Style::Count,
            Unit::Hours | Unit::Days | Unit::Score => Style::Tenths,
            Unit::Number => Style::Plain,
        }
    }
}

/// A metric of a run's catalogue: its column position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricId(pub u16);

impl MetricId {
    pub fn of(b: Builtin) -> MetricId {
        MetricId(b as u16)
    }

    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// One metric of the catalogue.
#[derive(Debug, Clone, Copy)]
pub enum Metric<'a> {
    Builtin(Builtin),
    Custom(&'a CustomMetric),
}

/// Every metric of a run: the built-ins, then the pipeline's custom metrics.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub custom: Vec<CustomMetric>,
}

impl Catalogue {
    /// The built-ins and `custom`, in the order declared.
    pub fn new(custom: Vec<CustomMetric>) -> Catalogue {
        Catalogue { custom }
    }

    pub fn len(&self) -> usize {
        Builtin::ALL.len() + self.custom.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Every metric id, in column order.
    pub fn ids(&self) -> impl Iterator<Item = MetricId> {
        (0..self.len() as u16).map(MetricId)
    }

    /// The id of the custom metric at `i` of the pipeline's list.
    pub fn custom_id(i: usize) -> MetricId {
        MetricId((Builtin::ALL.len() + i) as u16)
    }

    pub fn get(&self, id: MetricId) -> Metric<'_> {
        match id.index().checked_sub(Builtin::ALL.len()) {
            None => Metric::Builtin(Builtin::ALL[id.index()]),
            Some(i) => Metric::Custom(&self.custom[i]),
        }
    }

    /// The metric called `name`.
    pub fn id(&self, name: &str) -> Option<MetricId> {
        if let Some(b) = Builtin::by_name(name) {
            return Some(MetricId::of(b));
        }
        let i = self.custom.iter().position(|m| m.name == name)?;
        Some(Self::custom_id(i))
    }

    pub fn name(&self, id: MetricId) -> &str {
        match self.get(id) {
            Metric::Builtin(b) => b.name(),
            Metric::Custom(m) => &m.name,
        }
    }

    pub fn kind(&self, id: MetricId) -> Kind {
        match self.get(id) {
            Metric::Builtin(b) => b.kind(),
            Metric::Custom(m) => m.kind,
        }
    }

    /// The unit: the built-in's, `base currency` for a custom money metric, `count` for a
    /// custom count, else [`Unit::Number`].
    pub fn unit(&self, id: MetricId) -> Unit {
        match self.get(id) {
            Metric::Builtin(b) => b.info().unit,
            Metric::Custom(m) => m.unit(),
        }
    }

    /// One line: what it measures.
    pub fn meaning(&self, id: MetricId) -> &str {
        match self.get(id) {
            Metric::Builtin(b) => b.info().meaning,
            Metric::Custom(m) => m.description.as_deref().unwrap_or("custom metric"),
        }
    }

    /// How it is computed: the contract's formula, or the custom metric's definition.
    pub fn formula(&self, id: MetricId) -> String {
        match self.get(id) {
            Metric::Builtin(b) => b.info().formula.to_string(),
            Metric::Custom(m) => m.def.to_string(),
        }
    }

    /// Every metric name, in column order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.ids().map(|id| self.name(id))
    }

    /// What to tell a user who named `name`, which is not a metric.
    pub fn unknown_hint(&self, name: &str) -> String {
        match crate::suggest::closest(name, self.names()) {
            Some(s) => format!("did you mean `{s}`? `factorscore metrics` lists every metric"),
            None => "`factorscore metrics` lists every metric".into(),
        }
    }

    /// The columns of canonical table `table` that the custom aggregates read from the raw table
    /// (a superset is harmless; those built from the ledger are left out, see
    /// [`CustomTable::from_ledger`]): the run keeps them when it frees the rest of the raw tables.
    pub fn raw_columns(&self, table: crate::tables::Table) -> Vec<&str> {
        let mut out = Vec::new();
        for a in self.custom.iter().filter_map(|m| m.aggregate()) {
            for c in a.column.iter().chain(&a.reads) {
                let (of, name) = match c.strip_prefix(custom::INVOICE_PREFIX) {
                    Some(inner) => (CustomTable::Invoices, inner),
                    None => (a.table, c.as_str()),
                };
                // A balance's columns are its invoice's.
                let t = match of {
                    CustomTable::Balances => Some(crate::tables::Table::Invoices),
                    _ => of.canonical(),
                };
                if t == Some(table) && !of.from_ledger(name) && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// The README's metric table (a test keeps the README in sync with the built-ins').
    pub fn markdown_table(&self) -> String {
        let mut out =
            String::from("| column | type | unit | meaning | formula |\n|---|---|---|---|---|\n");
        for id in self.ids() {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                self.name(id),
                self.kind(id).type_name(),
                self.unit(id).name(),
                self.meaning(id),
                self.formula(id).replace('|', "\\|")
            ));
        }
        out
    }
}
