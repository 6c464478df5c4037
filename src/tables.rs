//! The canonical input tables of the data contract (section 1): one definition per table, with
//! its name, whether a pipeline must name it, and its columns. The pipeline checks, the readers,
//! the row checks and the generator all take the list of tables from here.

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

/// The definition of one canonical table.
pub struct TableDef {
    pub table: Table,
    pub name: &'static str,
    /// Whether a pipeline must name a source for it; optional tables are empty when left out.
    pub required: bool,
    pub columns: &'static [Column],
}

/// Every canonical table, in the contract's order. [`Table`] indexes into it.
pub static TABLES: [TableDef; 12] = [
    TableDef {
        table: Table::Invoices,
        name: "invoices",
        required: true,
        columns: &[
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
            opt("application_id", Str),
        ],
    },
    TableDef {
        table: Table::Collections,
        name: "collections",
        required: true,
        columns: &[
            req("collection_id", Str),
            req("invoice_id", Str),
            req("paid_on", Date),
            req("amount", Money),
        ],
    },
    TableDef {
        table: Table::WriteOffs,
        name: "write_offs",
        required: true,
        columns: &[
            req("write_off_id", Str),
            req("invoice_id", Str),
            req("written_off_on", Date),
            req("amount", Money),
        ],
    },
    TableDef {
        table: Table::Fees,
        name: "fees",
        required: true,
        columns: &[
            req("fee_id", Str),
            req("invoice_id", Str),
            req("booked_on", Date),
            req("amount", Money),
        ],
    },
    TableDef {
        table: Table::Applications,
        name: "applications",
        required: true,
        columns: &[
            req("application_id", Str),
            req("client_id", Str),
            req("employee_id", Str),
            req("received_at", Timestamp),
            opt("decided_at", Timestamp),
            opt("decision", Str),
            opt("funded_at", Timestamp),
            req("requested_amount", Money),
            req("currency", Str),
            opt("decided_by", Str),
        ],
    },
    TableDef {
        table: Table::Assignments,
        name: "assignments",
        required: true,
        columns: &[
            req("client_id", Str),
            req("employee_id", Str),
            req("valid_from", Date),
            opt("valid_to", Date),
        ],
    },
    TableDef {
        table: Table::Employees,
        name: "employees",
        required: true,
        columns: &[
            req("employee_id", Str),
            req("name", Str),
            req("hire_date", Date),
            opt("termination_date", Date),
            req("base_salary", Money),
        ],
    },
    TableDef {
        table: Table::OrgHistory,
        name: "org_history",
        required: true,
        columns: &[
            req("employee_id", Str),
            req("valid_from", Date),
            opt("valid_to", Date),
            req("department", Str),
            req("team", Str),
            req("role", Str),
            opt("manager_id", Str),
        ],
    },
    TableDef {
        table: Table::FxRates,
        name: "fx_rates",
        required: true,
        columns: &[
            req("currency", Str),
            req("rate_date", Date),
            req("rate_to_base", Rate),
        ],
    },
    TableDef {
        table: Table::Reviews,
        name: "reviews",
        required: false,
        columns: &[
            req("employee_id", Str),
            req("reviewed_on", Date),
            req("source", Str),
            req("score", Float),
        ],
    },
    TableDef {
        table: Table::Targets,
        name: "targets",
        required: false,
        columns: &[
            req("period", Str),
            req("metric", Str),
            req("target", Float),
            opt("threshold", Float),
            opt("stretch", Float),
            opt("employee_id", Str),
            opt("role", Str),
            opt("department", Str),
        ],
    },
    TableDef {
        table: Table::Adjustments,
        name: "adjustments",
        required: false,
        columns: &[
            req("employee_id", Str),
            req("period", Str),
            req("metric", Str),
            req("value", Float),
            req("reason", Str),
            req("approved_by", Str),
        ],
    },
];

impl Table {
    /// Every table, in [`TABLES`] order.
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

    pub fn def(self) -> &'static TableDef {
        &TABLES[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Whether a pipeline must name a source for this table.
    pub fn required(self) -> bool {
        self.def().required
    }

    pub fn columns(self) -> &'static [Column] {
        self.def().columns
    }

    pub fn column(self, name: &str) -> Option<&'static Column> {
        self.columns().iter().find(|c| c.name == name)
    }

    /// The table called `name`.
    pub fn by_name(name: &str) -> Option<Table> {
        TABLES.iter().find(|d| d.name == name).map(|d| d.table)
    }

    /// The header line of the table's canonical CSV file.
    pub fn csv_header(self) -> String {
        let names: Vec<&str> = self.columns().iter().map(|c| c.name).collect();
        names.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_indexes_its_own_definition() {
        for t in Table::ALL {
            assert_eq!(t.def().table, t);
            assert_eq!(Table::by_name(t.name()), Some(t));
        }
        assert_eq!(
            Table::Targets.csv_header(),
            "period,metric,target,threshold,stretch,employee_id,role,department"
        );
    }
}
