//! The section 3 metrics, by name, type, unit and meaning: one entry per metric, in the contract's
//! order (the order of the columns). How each is computed is in `crate::metrics::registry`, which
//! matches on [`Builtin`], so a metric cannot be described here and left uncomputed there.

use super::{Kind, Unit};

/// A section 3 metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    Outstanding,
    Overdue,
    Par30,
    Par60,
    Par90,
    OverdueRate,
    Par30Rate,
    CashCollected,
    WrittenOff,
    Recoveries,
    FeeIncome,
    ProfitContribution,
    Collectible,
    CashRecoveryRate,
    CollectionEffectiveness,
    ReceivablesCollectionRate,
    Dso,
    AverageOutstanding,
    BadDebtRate,
    NetLossRate,
    ApplicationsReceived,
    ApplicationsDecided,
    ApplicationsApproved,
    ApprovalRate,
    ApplicationsFunded,
    TimeToFundMedianHours,
    TimeToFundP90Hours,
    FundedVolume,
    PurchasedFace,
    NewClients,
    CustomerSatisfaction,
    PeerReview,
    ManagerReview,
    DecisionsMade,
    DecisionTimeMedianHours,
    ApprovedMaturedFace,
    ApprovedDefaulted,
    ApprovedDefaultRate,
}

/// What a built-in metric is: its column name, storage kind, unit, meaning and formula.
#[derive(Debug)]
pub struct Info {
    pub builtin: Builtin,
    pub name: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    /// One line: what it measures.
    pub meaning: &'static str,
    /// How it is computed, in the contract's terms.
    pub formula: &'static str,
}

/// Every section 3 metric, in the contract's order. [`Builtin`] indexes into it.
pub static BUILTINS: &[Info] = &[
    Info {
        builtin: Builtin::Outstanding,
        name: "outstanding",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "balance of the invoices credited at period end",
        formula: "sum of bal(pe) of the invoices credited at pe",
    },
    Info {
        builtin: Builtin::Overdue,
        name: "overdue",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "the part of `outstanding` at least 1 day past due",
        formula: "sum of bal(pe) where pe > due_date",
    },
    Info {
        builtin: Builtin::Par30,
        name: "par30",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "the part of `outstanding` more than 30 days past due",
        formula: "sum of bal(pe) where dpd(pe) > 30",
    },
    Info {
        builtin: Builtin::Par60,
        name: "par60",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "the part of `outstanding` more than 60 days past due",
        formula: "sum of bal(pe) where dpd(pe) > 60",
    },
    Info {
        builtin: Builtin::Par90,
        name: "par90",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "the part of `outstanding` more than 90 days past due",
        formula: "sum of bal(pe) where dpd(pe) > 90",
    },
    Info {
        builtin: Builtin::OverdueRate,
        name: "overdue_rate",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "逾期率: share of the balance past due",
        formula: "overdue / outstanding",
    },
    Info {
        builtin: Builtin::Par30Rate,
        name: "par30_rate",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "share of the balance more than 30 days past due",
        formula: "par30 / outstanding",
    },
    Info {
        builtin: Builtin::CashCollected,
        name: "cash_collected",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "collections paid in the period, recoveries included",
        formula: "sum of collections with paid_on in p",
    },
    Info {
        builtin: Builtin::WrittenOff,
        name: "written_off",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "write-offs dated in the period",
        formula: "sum of write-offs with written_off_on in p",
    },
    Info {
        builtin: Builtin::Recoveries,
        name: "recoveries",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "collections in the period beyond the balance of a written-off invoice",
        formula: "sum of the recovery parts of collections with paid_on in p",
    },
    Info {
        builtin: Builtin::FeeIncome,
        name: "fee_income",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "fees booked in the period, reversals (negative) included",
        formula: "sum of fees with booked_on in p",
    },
    Info {
        builtin: Builtin::ProfitContribution,
        name: "profit_contribution",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "fee income and recoveries less write-offs",
        formula: "fee_income + recoveries - written_off",
    },
    Info {
        builtin: Builtin::Collectible,
        name: "collectible",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "what could have been collected from the invoices credited at pe",
        formula: "sum(BR + S - ECR): opening balance + purchases - balance not yet due at pe",
    },
    Info {
        builtin: Builtin::CashRecoveryRate,
        name: "cash_recovery_rate",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "现金回收率: applied collections over what was collectible",
        formula: "sum C / collectible",
    },
    Info {
        builtin: Builtin::CollectionEffectiveness,
        name: "collection_effectiveness",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "CEI (CRF, N = 1)",
        formula: "sum(BR + S - ER) / collectible",
    },
    Info {
        builtin: Builtin::ReceivablesCollectionRate,
        name: "receivables_collection_rate",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "应收账款回收率: of the credited invoices due in the period, the share paid by pe",
        formula: "applied collections paid by pe / face, over the credited invoices due in p",
    },
    Info {
        builtin: Builtin::Dso,
        name: "dso",
        kind: Kind::Float,
        unit: Unit::Days,
        meaning: "days sales outstanding",
        formula: "outstanding / face purchased in p * days in p",
    },
    Info {
        builtin: Builtin::AverageOutstanding,
        name: "average_outstanding",
        kind: Kind::Float,
        unit: Unit::BaseCurrency,
        meaning: "mean month-end outstanding of the period's months and the month before",
        formula: "sum of the 2, 4 or 13 month-end balances / their number",
    },
    Info {
        builtin: Builtin::BadDebtRate,
        name: "bad_debt_rate",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "坏账率 (SEEP write-off ratio), not annualised",
        formula: "written_off / average_outstanding",
    },
    Info {
        builtin: Builtin::NetLossRate,
        name: "net_loss_rate",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "write-offs net of recoveries over the average balance",
        formula: "(written_off - recoveries) / average_outstanding",
    },
    Info {
        builtin: Builtin::ApplicationsReceived,
        name: "applications_received",
        kind: Kind::Count,
        unit: Unit::Count,
        meaning: "applications received in the period (date in the pipeline's zone)",
        formula: "count of applications with received date in p",
    },
    Info {
        builtin: Builtin::ApplicationsDecided,
        name: "applications_decided",
        kind: Kind::Count,
        unit: Unit::Count,
        meaning: "applications decided in the period as approved or rejected",
        formula: "count with decided date in p and decision approved or rejected",
    },
    Info {
        builtin: Builtin::ApplicationsApproved,
        name: "applications_approved",
        kind: Kind::Count,
        unit: Unit::Count,
        meaning: "of those decided, the approved",
        formula: "count decided in p as approved",
    },
    Info {
        builtin: Builtin::ApprovalRate,
        name: "approval_rate",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "share of the decided applications that were approved",
        formula: "applications_approved / applications_decided",
    },
    Info {
        builtin: Builtin::ApplicationsFunded,
        name: "applications_funded",
        kind: Kind::Count,
        unit: Unit::Count,
        meaning: "applications funded in the period",
        formula: "count with funded date in p",
    },
    Info {
        builtin: Builtin::TimeToFundMedianHours,
        name: "time_to_fund_median_hours",
        kind: Kind::Float,
        unit: Unit::Hours,
        meaning: "median hours from received to funded of the applications funded in p",
        formula: "quantile_cont(hours, 0.5)",
    },
    Info {
        builtin: Builtin::TimeToFundP90Hours,
        name: "time_to_fund_p90_hours",
        kind: Kind::Float,
        unit: Unit::Hours,
        meaning: "90th percentile of the hours from received to funded",
        formula: "quantile_cont(hours, 0.9)",
    },
    Info {
        builtin: Builtin::FundedVolume,
        name: "funded_volume",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "advances of the invoices purchased in the period, by originator",
        formula: "sum of advance_amount of invoices with purchase_date in p",
    },
    Info {
        builtin: Builtin::PurchasedFace,
        name: "purchased_face",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "face of the invoices purchased in the period, by originator",
        formula: "sum of face_amount of invoices with purchase_date in p",
    },
    Info {
        builtin: Builtin::NewClients,
        name: "new_clients",
        kind: Kind::Count,
        unit: Unit::Count,
        meaning: "clients whose first invoice was purchased in the period, by its originator",
        formula: "first invoice: earliest purchase_date, then smallest invoice_id",
    },
    Info {
        builtin: Builtin::CustomerSatisfaction,
        name: "customer_satisfaction",
        kind: Kind::Float,
        unit: Unit::Score,
        meaning: "mean customer review score in the period",
        formula: "mean score of reviews with source customer and reviewed_on in p",
    },
    Info {
        builtin: Builtin::PeerReview,
        name: "peer_review",
        kind: Kind::Float,
        unit: Unit::Score,
        meaning: "mean peer review score in the period",
        formula: "mean score of reviews with source peer and reviewed_on in p",
    },
    Info {
        builtin: Builtin::ManagerReview,
        name: "manager_review",
        kind: Kind::Float,
        unit: Unit::Score,
        meaning: "mean manager review score in the period",
        formula: "mean score of reviews with source manager and reviewed_on in p",
    },
    Info {
        builtin: Builtin::DecisionsMade,
        name: "decisions_made",
        kind: Kind::Count,
        unit: Unit::Count,
        meaning: "applications the employee decided (decided_by) in the period as approved or rejected",
        formula: "count with decided_by e, decided date in p and decision approved or rejected",
    },
    Info {
        builtin: Builtin::DecisionTimeMedianHours,
        name: "decision_time_median_hours",
        kind: Kind::Float,
        unit: Unit::Hours,
        meaning: "median hours from received to decided of the applications the employee decided in p",
        formula: "quantile_cont(hours from received_at to decided_at, 0.5)",
    },
    Info {
        builtin: Builtin::ApprovedMaturedFace,
        name: "approved_matured_face",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "face of the invoices bought under the employee's approvals that mature (due + 90 days) in p",
        formula: "sum of face_amount of the invoices whose application e approved, with due_date + 90 days in p",
    },
    Info {
        builtin: Builtin::ApprovedDefaulted,
        name: "approved_defaulted",
        kind: Kind::Money,
        unit: Unit::BaseCurrency,
        meaning: "of those, what was still unpaid 90 days after due, written off or not",
        formula: "sum of face - applied collections paid by due_date + 90 days, converted as a balance",
    },
    Info {
        builtin: Builtin::ApprovedDefaultRate,
        name: "approved_default_rate",
        kind: Kind::Float,
        unit: Unit::Ratio,
        meaning: "新增业务的风险评估准确性: share of the matured approved face unpaid 90 days after due",
        formula: "approved_defaulted / approved_matured_face",
    },
];

impl Builtin {
    /// Every built-in metric, in [`BUILTINS`] order.
    pub const ALL: [Builtin; 38] = [
        Builtin::Outstanding,
        Builtin::Overdue,
        Builtin::Par30,
        Builtin::Par60,
        Builtin::Par90,
        Builtin::OverdueRate,
        Builtin::Par30Rate,
        Builtin::CashCollected,
        Builtin::WrittenOff,
        Builtin::Recoveries,
        Builtin::FeeIncome,
        Builtin::ProfitContribution,
        Builtin::Collectible,
        Builtin::CashRecoveryRate,
        Builtin::CollectionEffectiveness,
        Builtin::ReceivablesCollectionRate,
        Builtin::Dso,
        Builtin::AverageOutstanding,
        Builtin::BadDebtRate,
        Builtin::NetLossRate,
        Builtin::ApplicationsReceived,
        Builtin::ApplicationsDecided,
        Builtin::ApplicationsApproved,
        Builtin::ApprovalRate,
        Builtin::ApplicationsFunded,
        Builtin::TimeToFundMedianHours,
        Builtin::TimeToFundP90Hours,
        Builtin::FundedVolume,
        Builtin::PurchasedFace,
        Builtin::NewClients,
        Builtin::CustomerSatisfaction,
        Builtin::PeerReview,
        Builtin::ManagerReview,
        Builtin::DecisionsMade,
        Builtin::DecisionTimeMedianHours,
        Builtin::ApprovedMaturedFace,
        Builtin::ApprovedDefaulted,
        Builtin::ApprovedDefaultRate,
    ];

    pub fn info(self) -> &'static Info {
        &BUILTINS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn kind(self) -> Kind {
        self.info().kind
    }

    /// The built-in metric called `name`.
    pub fn by_name(name: &str) -> Option<Builtin> {
        BUILTINS.iter().find(|i| i.name == name).map(|i| i.builtin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_indexes_its_own_entry() {
        assert_eq!(Builtin::ALL.len(), BUILTINS.len());
        for b in Builtin::ALL {
            assert_eq!(b.info().builtin, b);
            assert_eq!(Builtin::by_name(b.name()), Some(b));
        }
    }
}
