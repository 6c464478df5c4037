//! How each section 3 metric is computed from an entity's [`Sums`] over a period, and the
//! figures behind it that `explain` shows. What the metrics are (names, types, units, meanings)
//! is the catalogue's ([`crate::catalogue::builtin`]); [`value`] and [`parts`] match on every
//! [`Builtin`], so no metric is described there and left uncomputed here.

use super::Sums;
use crate::catalogue::Builtin;
use crate::stats::quantile_cont;

/// One metric value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// Cents.
    Money(i64),
    Float(Option<f64>),
    Count(i64),
    /// No value: a custom metric's min, max, mean or quantile over no rows, or a derived
    /// metric not yet evaluated.
    Null,
}

impl Val {
    /// The value as a number, as plans score it: money as its decimal value.
    pub fn as_f64(self) -> Option<f64> {
        match self {
            Val::Money(c) => Some(c as f64 / 100.0),
            Val::Float(x) => x,
            Val::Count(n) => Some(n as f64),
            Val::Null => None,
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
            Val::Null => f.write_str("null"),
        }
    }
}

/// What a metric is computed from: an entity's sums over a period, and the period's shape.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub s: Sums,
    /// Days in the period.
    pub days: i64,
    /// Month-end balances in the period's average: its months + 1.
    pub points: i64,
    /// Hours from received to funded of the applications funded in the period, sorted.
    pub ttf: &'a [f64],
    /// Hours from received to decided of the applications decided in the period, sorted.
    pub decision_hours: &'a [f64],
}

/// A figure behind a metric's value, shown by `explain`.
pub struct Part {
    pub label: &'static str,
    pub value: fn(&Ctx) -> Val,
}

fn ratio(num: i64, den: i64) -> Val {
    Val::Float((den != 0).then(|| num as f64 / den as f64))
}

fn collectible(s: &Sums) -> i64 {
    s.bal.br + s.bal.s - s.bal.ecr
}

fn review_mean(s: &Sums, k: usize) -> Val {
    Val::Float(
        (s.flow.review_count[k] > 0).then(|| s.flow.review_sum[k] / s.flow.review_count[k] as f64),
    )
}

const OUTSTANDING: Part = Part {
    label: "outstanding at period end",
    value: |c| Val::Money(c.s.bal.outstanding),
};
const COLLECTIBLE: Part = Part {
    label: "collectible",
    value: |c| Val::Money(collectible(&c.s)),
};
const WRITTEN_OFF: Part = Part {
    label: "written off in the period",
    value: |c| Val::Money(c.s.flow.written_off),
};
const AVERAGE: Part = Part {
    label: "average outstanding",
    value: |c| average_outstanding(c),
};
const DECIDED: Part = Part {
    label: "applications decided",
    value: |c| Val::Count(c.s.flow.applications_decided),
};
const DECISIONS: Part = Part {
    label: "decisions made",
    value: |c| Val::Count(c.s.bal.decisions_made),
};
const MATURED_FACE: Part = Part {
    label: "face of the approved invoices maturing in the period",
    value: |c| Val::Money(c.s.bal.approved_matured_face),
};
const FUNDED: Part = Part {
    label: "applications funded",
    value: |c| Val::Count(c.s.flow.applications_funded),
};

fn average_outstanding(c: &Ctx) -> Val {
    Val::Float(Some(
        c.s.bal.month_end_balances as f64 / (100 * c.points) as f64,
    ))
}

const PARTS_OVERDUE_RATE: &[Part] = &[
    Part {
        label: "overdue",
        value: |c| Val::Money(c.s.bal.overdue),
    },
    OUTSTANDING,
];
const PARTS_PAR30_RATE: &[Part] = &[
    Part {
        label: "par30",
        value: |c| Val::Money(c.s.bal.par30),
    },
    OUTSTANDING,
];
const PARTS_PROFIT_CONTRIBUTION: &[Part] = &[
    Part {
        label: "fee income",
        value: |c| Val::Money(c.s.flow.fee_income),
    },
    Part {
        label: "recoveries",
        value: |c| Val::Money(c.s.flow.recoveries),
    },
    WRITTEN_OFF,
];
const PARTS_COLLECTIBLE: &[Part] = &[
    Part {
        label: "opening balance (BR)",
        value: |c| Val::Money(c.s.bal.br),
    },
    Part {
        label: "purchased in the period (S)",
        value: |c| Val::Money(c.s.bal.s),
    },
    Part {
        label: "balance not yet due at pe (ECR)",
        value: |c| Val::Money(c.s.bal.ecr),
    },
];
const PARTS_CASH_RECOVERY_RATE: &[Part] = &[
    Part {
        label: "applied collections on the credited invoices (C)",
        value: |c| Val::Money(c.s.bal.c),
    },
    COLLECTIBLE,
];
const PARTS_COLLECTION_EFFECTIVENESS: &[Part] = &[
    Part {
        label: "opening balance + purchases - closing balance",
        value: |c| Val::Money(c.s.bal.br + c.s.bal.s - c.s.bal.er),
    },
    COLLECTIBLE,
];
const PARTS_RECEIVABLES_COLLECTION_RATE: &[Part] = &[
    Part {
        label: "applied collections paid by pe on invoices due in p",
        value: |c| Val::Money(c.s.bal.rcr_collected),
    },
    Part {
        label: "face of the invoices due in p",
        value: |c| Val::Money(c.s.bal.rcr_face),
    },
];
const PARTS_DSO: &[Part] = &[
    OUTSTANDING,
    Part {
        label: "face purchased in the period (S)",
        value: |c| Val::Money(c.s.bal.s),
    },
    Part {
        label: "days in the period",
        value: |c| Val::Count(c.days),
    },
];
const PARTS_AVERAGE_OUTSTANDING: &[Part] = &[
    Part {
        label: "sum of the month-end balances",
        value: |c| Val::Money(c.s.bal.month_end_balances),
    },
    Part {
        label: "month ends",
        value: |c| Val::Count(c.points),
    },
];
const PARTS_NET_LOSS_RATE: &[Part] = &[
    WRITTEN_OFF,
    Part {
        label: "recoveries",
        value: |c| Val::Money(c.s.flow.recoveries),
    },
    AVERAGE,
];
const PARTS_APPROVAL_RATE: &[Part] = &[
    Part {
        label: "applications approved",
        value: |c| Val::Count(c.s.flow.applications_approved),
    },
    DECIDED,
];
const PARTS_APPROVED_DEFAULT_RATE: &[Part] = &[
    Part {
        label: "unpaid 90 days after due",
        value: |c| Val::Money(c.s.bal.approved_defaulted),
    },
    MATURED_FACE,
];
const PARTS_CUSTOMER_SATISFACTION: &[Part] = &[Part {
    label: "customer reviews",
    value: |c| Val::Count(c.s.flow.review_count[0]),
}];
const PARTS_PEER_REVIEW: &[Part] = &[Part {
    label: "peer reviews",
    value: |c| Val::Count(c.s.flow.review_count[1]),
}];
const PARTS_MANAGER_REVIEW: &[Part] = &[Part {
    label: "manager reviews",
    value: |c| Val::Count(c.s.flow.review_count[2]),
}];

/// The value of built-in metric `b` for one entity and period.
pub fn value(b: Builtin, c: &Ctx) -> Val {
    match b {
        Builtin::Outstanding => Val::Money(c.s.bal.outstanding),
        Builtin::Overdue => Val::Money(c.s.bal.overdue),
        Builtin::Par30 => Val::Money(c.s.bal.par30),
        Builtin::Par60 => Val::Money(c.s.bal.par60),
        Builtin::Par90 => Val::Money(c.s.bal.par90),
        Builtin::OverdueRate => ratio(c.s.bal.overdue, c.s.bal.outstanding),
        Builtin::Par30Rate => ratio(c.s.bal.par30, c.s.bal.outstanding),
        Builtin::CashCollected => Val::Money(c.s.flow.cash_collected),
        Builtin::WrittenOff => Val::Money(c.s.flow.written_off),
        Builtin::Recoveries => Val::Money(c.s.flow.recoveries),
        Builtin::FeeIncome => Val::Money(c.s.flow.fee_income),
        Builtin::ProfitContribution => {
            Val::Money(c.s.flow.fee_income + c.s.flow.recoveries - c.s.flow.written_off)
        }
        Builtin::Collectible => Val::Money(collectible(&c.s)),
        Builtin::CashRecoveryRate => ratio(c.s.bal.c, collectible(&c.s)),
        Builtin::CollectionEffectiveness => {
            ratio(c.s.bal.br + c.s.bal.s - c.s.bal.er, collectible(&c.s))
        }
        Builtin::ReceivablesCollectionRate => ratio(c.s.bal.rcr_collected, c.s.bal.rcr_face),
        Builtin::Dso => ratio(c.s.bal.outstanding * c.days, c.s.bal.s),
        Builtin::AverageOutstanding => average_outstanding(c),
        Builtin::BadDebtRate => ratio(c.s.flow.written_off * c.points, c.s.bal.month_end_balances),
        Builtin::NetLossRate => ratio(
            (c.s.flow.written_off - c.s.flow.recoveries) * c.points,
            c.s.bal.month_end_balances,
        ),
        Builtin::ApplicationsReceived => Val::Count(c.s.flow.applications_received),
        Builtin::ApplicationsDecided => Val::Count(c.s.flow.applications_decided),
        Builtin::ApplicationsApproved => Val::Count(c.s.flow.applications_approved),
        Builtin::ApprovalRate => ratio(
            c.s.flow.applications_approved,
            c.s.flow.applications_decided,
        ),
        Builtin::ApplicationsFunded => Val::Count(c.s.flow.applications_funded),
        Builtin::TimeToFundMedianHours => Val::Float(quantile_cont(c.ttf, 0.5)),
        Builtin::TimeToFundP90Hours => Val::Float(quantile_cont(c.ttf, 0.9)),
        Builtin::FundedVolume => Val::Money(c.s.flow.funded_volume),
        Builtin::PurchasedFace => Val::Money(c.s.flow.purchased_face),
        Builtin::NewClients => Val::Count(c.s.flow.new_clients),
        Builtin::CustomerSatisfaction => review_mean(&c.s, 0),
        Builtin::PeerReview => review_mean(&c.s, 1),
        Builtin::ManagerReview => review_mean(&c.s, 2),
        Builtin::DecisionsMade => Val::Count(c.s.bal.decisions_made),
        Builtin::DecisionTimeMedianHours => Val::Float(quantile_cont(c.decision_hours, 0.5)),
        Builtin::ApprovedMaturedFace => Val::Money(c.s.bal.approved_matured_face),
        Builtin::ApprovedDefaulted => Val::Money(c.s.bal.approved_defaulted),
        Builtin::ApprovedDefaultRate => {
            ratio(c.s.bal.approved_defaulted, c.s.bal.approved_matured_face)
        }
    }
}

/// The figures behind built-in metric `b`, shown by `explain`.
pub fn parts(b: Builtin) -> &'static [Part] {
    match b {
        Builtin::Outstanding => &[],
        Builtin::Overdue => &[OUTSTANDING],
        Builtin::Par30 => &[OUTSTANDING],
        Builtin::Par60 => &[OUTSTANDING],
        Builtin::Par90 => &[OUTSTANDING],
        Builtin::OverdueRate => PARTS_OVERDUE_RATE,
        Builtin::Par30Rate => PARTS_PAR30_RATE,
        Builtin::CashCollected => &[],
        Builtin::WrittenOff => &[],
        Builtin::Recoveries => &[],
        Builtin::FeeIncome => &[],
        Builtin::ProfitContribution => PARTS_PROFIT_CONTRIBUTION,
        Builtin::Collectible => PARTS_COLLECTIBLE,
        Builtin::CashRecoveryRate => PARTS_CASH_RECOVERY_RATE,
        Builtin::CollectionEffectiveness => PARTS_COLLECTION_EFFECTIVENESS,
        Builtin::ReceivablesCollectionRate => PARTS_RECEIVABLES_COLLECTION_RATE,
        Builtin::Dso => PARTS_DSO,
        Builtin::AverageOutstanding => PARTS_AVERAGE_OUTSTANDING,
        Builtin::BadDebtRate => &[WRITTEN_OFF, AVERAGE],
        Builtin::NetLossRate => PARTS_NET_LOSS_RATE,
        Builtin::ApplicationsReceived => &[],
        Builtin::ApplicationsDecided => &[],
        Builtin::ApplicationsApproved => &[],
        Builtin::ApprovalRate => PARTS_APPROVAL_RATE,
        Builtin::ApplicationsFunded => &[],
        Builtin::TimeToFundMedianHours => &[FUNDED],
        Builtin::TimeToFundP90Hours => &[FUNDED],
        Builtin::FundedVolume => &[],
        Builtin::PurchasedFace => &[],
        Builtin::NewClients => &[],
        Builtin::CustomerSatisfaction => PARTS_CUSTOMER_SATISFACTION,
        Builtin::PeerReview => PARTS_PEER_REVIEW,
        Builtin::ManagerReview => PARTS_MANAGER_REVIEW,
        Builtin::DecisionsMade => &[],
        Builtin::DecisionTimeMedianHours => &[DECISIONS],
        Builtin::ApprovedMaturedFace => &[],
        Builtin::ApprovedDefaulted => &[MATURED_FACE],
        Builtin::ApprovedDefaultRate => PARTS_APPROVED_DEFAULT_RATE,
    }
}

/// Every built-in metric's value for one entity and period, in [`Builtin::ALL`] order.
pub fn values(c: &Ctx) -> Vec<Val> {
    Builtin::ALL.iter().map(|&b| value(b, c)).collect()
}
