//! The canonical input tables of the data contract (section 1) and their column types.

/// Type of a canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Str,
    Date,
    Timestamp,
    Money,
    Rate,
    Float,
    Bool,
}

impl ColType {
    pub fn name(self) -> &'static str {
        match self {
            ColType::Str => "str",
            ColType::Date => "date",
            ColType::Timestamp => "timestamp",
            ColType::Money => "money",
            ColType::Rate => "rate",
            ColType::Float => "float",
            ColType::Bool => "bool",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
    pub required: bool,
}

const fn req(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        required: true,
    }
}

const fn opt(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        required: false,
    }
}

use ColType::*;

/// A canonical table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Invoices,
    Collections,
    WriteOffs,
    Fees,
    Applications,
    Assignments,
    Employees,
    OrgHistory,
    FxRates,
    Reviews,
    Targets,
    Adjustments,
}

impl Table {
    pub const ALL: [Table; 12] = [
        Table::Invoices,
        Table::Collections,
        Table::WriteOffs,
        Table::Fees,
        Table::Applications,
        Table::Assignments,
        Table::Employees,
        Table::OrgHistory,
        Table::FxRates,
        Table::Reviews,
        Table::Targets,
        Table::Adjustments,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Invoices => "invoices",
            Table::Collections => "collections",
            Table::WriteOffs => "write_offs",
            Table::Fees => "fees",
            Table::Applications => "applications",
            Table::Assignments => "assignments",
            Table::Employees => "employees",
            Table::OrgHistory => "org_history",
            Table::FxRates => "fx_rates",
            Table::Reviews => "reviews",
            Table::Targets => "targets",
            Table::Adjustments => "adjustments",
        }
    }

    /// Whether a pipeline must name a source for this table.
    pub fn required(self) -> bool {
        !matches!(self, Table::Reviews | Table::Targets | Table::Adjustments)
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Invoices => {
                const C: &[Column] = &[
                    req("invoice_id", Str),
                    req("client_id", Str),
                    req("debtor_id", Str),
                    req("currency", Str),
                    req("face_amount", Money),
                    req("advance_amount", Money),
                    req("purchase_date", Date),
                    req("due_date", Date),
                    req("originator_id", Str),
                    opt("recourse", Bool),
                ];
                C
            }
            Table::Collections => {
                const C: &[Column] = &[
                    req("collection_id", Str),
                    req("invoice_id", Str),
                    req("paid_on", Date),
                    req("amount", Money),
                ];
                C
            }
            Table::WriteOffs => {
                const C: &[Column] = &[
                    req("write_off_id", Str),
                    req("invoice_id", Str),
                    req("written_off_on", Date),
                    req("amount", Money),
                ];
                C
            }
            Table::Fees => {
                const C: &[Column] = &[
                    req("fee_id", Str),
                    req("invoice_id", Str),
                    req("booked_on", Date),
                    req("amount", Money),
                ];
                C
            }
            Table::Applications => {
                const C: &[Column] = &[
                    req("application_id", Str),
                    req("client_id", Str),
                    req("employee_id", Str),
                    req("received_at", Timestamp),
                    opt("decided_at", Timestamp),
                    opt("decision", Str),
                    opt("funded_at", Timestamp),
                    req("requested_amount", Money),
                    req("currency", Str),
                ];
                C
            }
            Table::Assignments => {
                const C: &[Column] = &[
                    req("client_id", Str),
                    req("employee_id", Str),
                    req("valid_from", Date),
                    opt("valid_to", Date),
                ];
                C
            }
            Table::Employees => {
                const C: &[Column] = &[
                    req("employee_id", Str),
                    req("name", Str),
                    req("hire_date", Date),
                    opt("termination_date", Date),
                    req("base_salary", Money),
                ];
                C
            }
            Table::OrgHistory => {
                const C: &[Column] = &[
                    req("employee_id", Str),
                    req("valid_from", Date),
                    opt("valid_to", Date),
                    req("department", Str),
                    req("team", Str),
                    req("role", Str),
                    opt("manager_id", Str),
                ];
                C
            }
            Table::FxRates => {
                const C: &[Column] = &[
                    req("currency", Str),
                    req("rate_date", Date),
                    req("rate_to_base", Rate),
                ];
                C
            }
            Table::Reviews => {
                const C: &[Column] = &[
                    req("employee_id", Str),
                    req("reviewed_on", Date),
                    req("source", Str),
                    req("score", Float),
                ];
                C
            }
            Table::Targets => {
                const C: &[Column] = &[
                    req("period", Str),
                    req("metric", Str),
                    req("target", Float),
                    opt("threshold", Float),
                    opt("stretch", Float),
                    opt("employee_id", Str),
                    opt("role", Str),
                ];
                C
            }
            Table::Adjustments => {
                const C: &[Column] = &[
                    req("employee_id", Str),
                    req("period", Str),
                    req("metric", Str),
                    req("value", Float),
                    req("reason", Str),
                    req("approved_by", Str),
                ];
                C
            }
        }
    }

    pub fn column(self, name: &str) -> Option<&'static Column> {
        self.columns().iter().find(|c| c.name == name)
    }
}
