//! The metric registry: one entry per section 3 metric, holding its column name, storage kind,
//! unit, meaning, formula and how it is computed from an entity's [`Sums`]. The scorecards and
//! rollups columns, the README's metric table, the plan validator's list of valid names, the
//! figures `explain` shows behind a value and the differential test's columns all come from
//! [`METRICS`]; nothing is matched by position.

use super::origination::quantile_cont;
use super::Sums;

/// How a metric column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// One metric value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// Cents.
    Money(i64),
    Float(Option<f64>),
    Count(i64),
}

impl Val {
    /// The value as a number, as plans score it: money as its decimal value.
    pub fn as_f64(self) -> Option<f64> {
        match self {
            Val::Money(c) => Some(c as f64 / 100.0),
            Val::Float(x) => x,
            Val::Count(n) => Some(n as f64),
        }
    }
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Money(c) => f.write_str(&crate::money::format_cents(*c)),
            Val::Float(Some(x)) => write!(f, "{x}"),
            Val::Float(None) => f.write_str("null"),
            Val::Count(n) => write!(f, "{n}"),
        }
    }
}

/// What a metric is computed from: an entity's sums over a period, and the period's shape.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub s: &'a Sums,
    /// Days in the period.
    pub days: i64,
    /// Month-end balances in the period's average: its months + 1.
    pub points: i64,
    /// Hours from received to funded of the applications funded in the period, sorted.
    pub ttf: &'a [f64],
}

/// A figure behind a metric's value, shown by `explain`.
pub struct Part {
    pub label: &'static str,
    pub value: fn(&Ctx) -> Val,
}

/// One metric of contract section 3.
pub struct MetricDef {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    /// One line: what it measures.
    pub meaning: &'static str,
    /// How it is computed, in the contract's terms.
    pub formula: &'static str,
    pub value: fn(&Ctx) -> Val,
    /// The figures the value is computed from (numerator, denominator, ...).
    pub parts: &'static [Part],
}

impl std::fmt::Debug for MetricDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MetricDef({})", self.name)
    }
}

fn ratio(num: i64, den: i64) -> Val {
    Val::Float((den != 0).then(|| num as f64 / den as f64))
}

fn collectible(s: &Sums) -> i64 {
    s.br + s.s - s.ecr
}

fn review_mean(s: &Sums, k: usize) -> Val {
    Val::Float((s.review_count[k] > 0).then(|| s.review_sum[k] / s.review_count[k] as f64))
}

const OUTSTANDING: Part = Part {
    label: "outstanding at period end",
    value: |c| Val::Money(c.s.outstanding),
};
const COLLECTIBLE: Part = Part {
    label: "collectible",
    value: |c| Val::Money(collectible(c.s)),
};
const WRITTEN_OFF: Part = Part {
    label: "written off in the period",
    value: |c| Val::Money(c.s.written_off),
};
const AVERAGE: Part = Part {
    label: "average outstanding",
    value: |c| average_outstanding(c),
};
const DECIDED: Part = Part {
    label: "applications decided",
    value: |c| Val::Count(c.s.applications_decided),
};
const FUNDED: Part = Part {
    label: "applications funded",
    value: |c| Val::Count(c.s.applications_funded),
};

fn average_outstanding(c: &Ctx) -> Val {
    Val::Float(Some(
        c.s.month_end_balances as f64 / (100 * c.points) as f64,
    ))
}

/// Every metric of contract section 3, in the contract's order (the order of the columns).
pub static METRICS: &[MetricDef] = &[
    MetricDef {
        name: "outstanding",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "balance of the invoices credited at period end",
        formula: "sum of bal(pe) of the invoices credited at pe",
        value: |c| Val::Money(c.s.outstanding),
        parts: &[],
    },
    MetricDef {
        name: "overdue",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "the part of `outstanding` at least 1 day past due",
        formula: "sum of bal(pe) where pe > due_date",
        value: |c| Val::Money(c.s.overdue),
        parts: &[OUTSTANDING],
    },
    MetricDef {
        name: "par30",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "the part of `outstanding` more than 30 days past due",
        formula: "sum of bal(pe) where dpd(pe) > 30",
        value: |c| Val::Money(c.s.par30),
        parts: &[OUTSTANDING],
    },
    MetricDef {
        name: "par60",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "the part of `outstanding` more than 60 days past due",
        formula: "sum of bal(pe) where dpd(pe) > 60",
        value: |c| Val::Money(c.s.par60),
        parts: &[OUTSTANDING],
    },
    MetricDef {
        name: "par90",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "the part of `outstanding` more than 90 days past due",
        formula: "sum of bal(pe) where dpd(pe) > 90",
        value: |c| Val::Money(c.s.par90),
        parts: &[OUTSTANDING],
    },
    MetricDef {
        name: "overdue_rate",
        kind: Kind::Float,
        unit: "ratio",
        meaning: "逾期率: share of the balance past due",
        formula: "overdue / outstanding",
        value: |c| ratio(c.s.overdue, c.s.outstanding),
        parts: &[
            Part {
                label: "overdue",
                value: |c| Val::Money(c.s.overdue),
            },
            OUTSTANDING,
        ],
    },
    MetricDef {
        name: "par30_rate",
        kind: Kind::Float,
        unit: "ratio",
        meaning: "share of the balance more than 30 days past due",
        formula: "par30 / outstanding",
        value: |c| ratio(c.s.par30, c.s.outstanding),
        parts: &[
            Part {
                label: "par30",
                value: |c| Val::Money(c.s.par30),
            },
            OUTSTANDING,
        ],
    },
    MetricDef {
        name: "cash_collected",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "collections paid in the period, recoveries included",
        formula: "sum of collections with paid_on in p",
        value: |c| Val::Money(c.s.cash_collected),
        parts: &[],
    },
    MetricDef {
        name: "written_off",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "write-offs dated in the period",
        formula: "sum of write-offs with written_off_on in p",
        value: |c| Val::Money(c.s.written_off),
        parts: &[],
    },
    MetricDef {
        name: "recoveries",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "collections in the period beyond the balance of a written-off invoice",
        formula: "sum of the recovery parts of collections with paid_on in p",
        value: |c| Val::Money(c.s.recoveries),
        parts: &[],
    },
    MetricDef {
        name: "fee_income",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "fees booked in the period, reversals (negative) included",
        formula: "sum of fees with booked_on in p",
        value: |c| Val::Money(c.s.fee_income),
        parts: &[],
    },
    MetricDef {
        name: "profit_contribution",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "fee income and recoveries less write-offs",
        formula: "fee_income + recoveries - written_off",
        value: |c| Val::Money(c.s.fee_income + c.s.recoveries - c.s.written_off),
        parts: &[
            Part {
                label: "fee income",
                value: |c| Val::Money(c.s.fee_income),
            },
            Part {
                label: "recoveries",
                value: |c| Val::Money(c.s.recoveries),
            },
            WRITTEN_OFF,
        ],
    },
    MetricDef {
        name: "collectible",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "what could have been collected from the invoices credited at pe",
        formula: "sum(BR + S - ECR): opening balance + purchases - balance not yet due at pe",
        value: |c| Val::Money(collectible(c.s)),
        parts: &[
            Part {
                label: "opening balance (BR)",
                value: |c| Val::Money(c.s.br),
            },
            Part {
                label: "purchased in the period (S)",
                value: |c| Val::Money(c.s.s),
            },
            Part {
                label: "balance not yet due at pe (ECR)",
                value: |c| Val::Money(c.s.ecr),
            },
        ],
    },
    MetricDef {
        name: "cash_recovery_rate",
        kind: Kind::Float,
        unit: "ratio",
        meaning: "现金回收率: applied collections over what was collectible",
        formula: "sum C / collectible",
        value: |c| ratio(c.s.c, collectible(c.s)),
        parts: &[
            Part {
                label: "applied collections on the credited invoices (C)",
                value: |c| Val::Money(c.s.c),
            },
            COLLECTIBLE,
        ],
    },
    MetricDef {
        name: "collection_effectiveness",
        kind: Kind::Float,
        unit: "ratio",
        meaning: "CEI (CRF, N = 1)",
        formula: "sum(BR + S - ER) / collectible",
        value: |c| ratio(c.s.br + c.s.s - c.s.er, collectible(c.s)),
        parts: &[
            Part {
                label: "opening balance + purchases - closing balance",
                value: |c| Val::Money(c.s.br + c.s.s - c.s.er),
            },
            COLLECTIBLE,
        ],
    },
    MetricDef {
        name: "receivables_collection_rate",
        kind: Kind::Float,
        unit: "ratio",
        meaning: "应收账款回收率: of the credited invoices due in the period, the share paid by pe",
        formula: "applied collections paid by pe / face, over the credited invoices due in p",
        value: |c| ratio(c.s.rcr_collected, c.s.rcr_face),
        parts: &[
            Part {
                label: "applied collections paid by pe on invoices due in p",
                value: |c| Val::Money(c.s.rcr_collected),
            },
            Part {
                label: "face of the invoices due in p",
                value: |c| Val::Money(c.s.rcr_face),
            },
        ],
    },
    MetricDef {
        name: "dso",
        kind: Kind::Float,
        unit: "days",
        meaning: "days sales outstanding",
        formula: "outstanding / face purchased in p * days in p",
        value: |c| ratio(c.s.outstanding * c.days, c.s.s),
        parts: &[
            OUTSTANDING,
            Part {
                label: "face purchased in the period (S)",
                value: |c| Val::Money(c.s.s),
            },
            Part {
                label: "days in the period",
                value: |c| Val::Count(c.days),
            },
        ],
    },
    MetricDef {
        name: "average_outstanding",
        kind: Kind::Float,
        unit: "base currency",
        meaning: "mean month-end outstanding of the period's months and the month before",
        formula: "sum of the 2, 4 or 13 month-end balances / their number",
        value: average_outstanding,
        parts: &[
            Part {
                label: "sum of the month-end balances",
                value: |c| Val::Money(c.s.month_end_balances),
            },
            Part {
                label: "month ends",
                value: |c| Val::Count(c.points),
            },
        ],
    },
    MetricDef {
        name: "bad_debt_rate",
        kind: Kind::Float,
        unit: "ratio",
        meaning: "坏账率 (SEEP write-off ratio), not annualised",
        formula: "written_off / average_outstanding",
        value: |c| ratio(c.s.written_off * c.points, c.s.month_end_balances),
        parts: &[WRITTEN_OFF, AVERAGE],
    },
    MetricDef {
        name: "net_loss_rate",
        kind: Kind::Float,
        unit: "ratio",
        meaning: "write-offs net of recoveries over the average balance",
        formula: "(written_off - recoveries) / average_outstanding",
        value: |c| {
            ratio(
                (c.s.written_off - c.s.recoveries) * c.points,
                c.s.month_end_balances,
            )
        },
        parts: &[
            WRITTEN_OFF,
            Part {
                label: "recoveries",
                value: |c| Val::Money(c.s.recoveries),
            },
            AVERAGE,
        ],
    },
    MetricDef {
        name: "applications_received",
        kind: Kind::Count,
        unit: "count",
        meaning: "applications received in the period (date in the pipeline's zone)",
        formula: "count of applications with received date in p",
        value: |c| Val::Count(c.s.applications_received),
        parts: &[],
    },
    MetricDef {
        name: "applications_decided",
        kind: Kind::Count,
        unit: "count",
        meaning: "applications decided in the period as approved or rejected",
        formula: "count with decided date in p and decision approved or rejected",
        value: |c| Val::Count(c.s.applications_decided),
        parts: &[],
    },
    MetricDef {
        name: "applications_approved",
        kind: Kind::Count,
        unit: "count",
        meaning: "of those decided, the approved",
        formula: "count decided in p as approved",
        value: |c| Val::Count(c.s.applications_approved),
        parts: &[],
    },
    MetricDef {
        name: "approval_rate",
        kind: Kind::Float,
        unit: "ratio",
        meaning: "share of the decided applications that were approved",
        formula: "applications_approved / applications_decided",
        value: |c| ratio(c.s.applications_approved, c.s.applications_decided),
        parts: &[
            Part {
                label: "applications approved",
                value: |c| Val::Count(c.s.applications_approved),
            },
            DECIDED,
        ],
    },
    MetricDef {
        name: "applications_funded",
        kind: Kind::Count,
        unit: "count",
        meaning: "applications funded in the period",
        formula: "count with funded date in p",
        value: |c| Val::Count(c.s.applications_funded),
        parts: &[],
    },
    MetricDef {
        name: "time_to_fund_median_hours",
        kind: Kind::Float,
        unit: "hours",
        meaning: "median hours from received to funded of the applications funded in p",
        formula: "quantile_cont(hours, 0.5)",
        value: |c| Val::Float(quantile_cont(c.ttf, 0.5)),
        parts: &[FUNDED],
    },
    MetricDef {
        name: "time_to_fund_p90_hours",
        kind: Kind::Float,
        unit: "hours",
        meaning: "90th percentile of the hours from received to funded",
        formula: "quantile_cont(hours, 0.9)",
        value: |c| Val::Float(quantile_cont(c.ttf, 0.9)),
        parts: &[FUNDED],
    },
    MetricDef {
        name: "funded_volume",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "advances of the invoices purchased in the period, by originator",
        formula: "sum of advance_amount of invoices with purchase_date in p",
        value: |c| Val::Money(c.s.funded_volume),
        parts: &[],
    },
    MetricDef {
        name: "purchased_face",
        kind: Kind::Money,
        unit: "base currency",
        meaning: "face of the invoices purchased in the period, by originator",
        formula: "sum of face_amount of invoices with purchase_date in p",
        value: |c| Val::Money(c.s.purchased_face),
        parts: &[],
    },
    MetricDef {
        name: "new_clients",
        kind: Kind::Count,
        unit: "count",
        meaning: "clients whose first invoice was purchased in the period, by its originator",
        formula: "first invoice: earliest purchase_date, then smallest invoice_id",
        value: |c| Val::Count(c.s.new_clients),
        parts: &[],
    },
    MetricDef {
        name: "customer_satisfaction",
        kind: Kind::Float,
        unit: "score",
        meaning: "mean customer review score in the period",
        formula: "mean score of reviews with source customer and reviewed_on in p",
        value: |c| review_mean(c.s, 0),
        parts: &[Part {
            label: "customer reviews",
            value: |c| Val::Count(c.s.review_count[0]),
        }],
    },
    MetricDef {
        name: "peer_review",
        kind: Kind::Float,
        unit: "score",
        meaning: "mean peer review score in the period",
        formula: "mean score of reviews with source peer and reviewed_on in p",
        value: |c| review_mean(c.s, 1),
        parts: &[Part {
            label: "peer reviews",
            value: |c| Val::Count(c.s.review_count[1]),
        }],
    },
    MetricDef {
        name: "manager_review",
        kind: Kind::Float,
        unit: "score",
        meaning: "mean manager review score in the period",
        formula: "mean score of reviews with source manager and reviewed_on in p",
        value: |c| review_mean(c.s, 2),
        parts: &[Part {
            label: "manager reviews",
            value: |c| Val::Count(c.s.review_count[2]),
        }],
    },
];

/// The metric called `name`.
pub fn metric(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.name == name)
}

/// Every metric's value for one entity and period, in [`METRICS`] order.
pub fn values(c: &Ctx) -> Vec<Val> {
    METRICS.iter().map(|m| (m.value)(c)).collect()
}

/// The README's metric table, generated from the registry (a test keeps the README in sync).
pub fn markdown_table() -> String {
    let mut out =
        String::from("| column | type | unit | meaning | formula |\n|---|---|---|---|---|\n");
    for m in METRICS {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            m.name,
            m.kind.type_name(),
            m.unit,
            m.meaning,
            m.formula
        ));
    }
    out
}

/// What to tell a user who named `name`, which is not a metric.
pub fn unknown_metric_hint(name: &str) -> String {
    match crate::suggest::closest(name, METRICS.iter().map(|m| m.name)) {
        Some(s) => format!("did you mean `{s}`? `factorscore metrics` lists every metric"),
        None => "`factorscore metrics` lists every metric".into(),
    }
}
