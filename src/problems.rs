//! Rule breaks and what becomes of them. A row that breaks a rule is left out of every figure.
//! Its table's policy then decides: `fail` stops the run and lists the breaks; `quarantine`
//! writes the row to the `rejects` table. A row left out only because a row it references was
//! (a *cascade*) is rejected whatever its own table's policy, since it breaks no rule itself.

use crate::diag::{InputErrors, RuleBreak};
use crate::raw::RawTable;
use crate::tables::Table;

/// How many rule breaks a failed run lists.
pub const SHOWN: usize = 50;

/// Which tables quarantine the rows that break a rule, rather than failing the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    quarantine: [bool; Table::ALL.len()],
}

impl Policy {
    /// Every table fails on a rule break.
    pub fn strict() -> Self {
        Policy::default()
    }

    pub fn with_quarantine(mut self, t: Table) -> Self {
        self.quarantine[t as usize] = true;
        self
    }

    pub fn quarantines(&self, t: Table) -> bool {
        self.quarantine[t as usize]
    }
}

/// One rule break of one row.
#[derive(Debug, Clone)]
pub struct Break {
    pub table: Table,
    /// 0-based row of the table (all its files).
    pub row: u32,
    /// `file:line (row n)`.
    pub at: String,
    pub column: &'static str,
    pub value: String,
    pub rule: String,
    /// Left out because a row it references was.
    pub cascade: bool,
    /// The row's cells as `rejects` shows them, when its table's rows are not held here (a merge
    /// takes the large tables' breaks from its parts).
    pub cells: Option<String>,
}

impl Break {
    /// The break as a failed run lists it.
    fn into_rule_break(self) -> RuleBreak {
        RuleBreak {
            at: self.at,
            table: self.table.name(),
            column: self.column,
            value: self.value,
            rule: self.rule,
        }
    }

    /// The break as a sentence.
    pub fn reason(&self) -> String {
        if self.cascade {
            self.rule.clone()
        } else {
            reason(self.column, &self.value, &self.rule)
        }
    }
}

/// A break of `rule` by `value` in `column` (`""` for the whole row) as a sentence.
pub fn reason(column: &str, value: &str, rule: &str) -> String {
    if column.is_empty() {
        rule.to_string()
    } else {
        format!("{column} `{}` {rule}", crate::diag::cut(value))
    }
}

/// Rule breaks found so far.
#[derive(Debug, Default, Clone)]
pub struct Problems {
    policy: Policy,
    /// Breaks of quarantining tables and cascades, all of them; breaks of failing tables, the
    /// first [`SHOWN`].
    pub breaks: Vec<Break>,
    /// Breaks of failing tables (cascades aside): the run fails when there is one.
    pub failing: usize,
}

impl Problems {
    pub fn new(policy: Policy) -> Self {
        Problems {
            policy,
            ..Problems::default()
        }
    }

    /// An empty set under the same policy, for work done on another thread.
    pub fn child(&self) -> Self {
        Problems::new(self.policy)
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Row `row` of `t` breaks `rule` in `column`.
    pub fn add(
        &mut self,
        t: &RawTable,
        row: usize,
        column: &'static str,
        value: &str,
        rule: impl Into<String>,
    ) {
        self.push(t, row, column, value, rule.into(), false);
    }

    /// Row `row` of `t` is left out because a row it references was; `why` says which.
    pub fn cascade(
        &mut self,
        t: &RawTable,
        row: usize,
        column: &'static str,
        value: &str,
        why: String,
    ) {
        self.push(t, row, column, value, why, true);
    }

    fn push(
        &mut self,
        t: &RawTable,
        row: usize,
        column: &'static str,
        value: &str,
        rule: String,
        cascade: bool,
    ) {
        let failing = !cascade && !self.policy.quarantines(t.table);
        if failing {
            self.failing += 1;
        }
        // Once the run is bound to fail, only the first breaks are kept for the message.
        let keep = if failing {
            self.failing <= SHOWN
        } else {
            self.failing == 0
        };
        if keep {
            self.breaks.push(Break {
                table: t.table,
                row: row as u32,
                at: t.row_ref(row).to_string(),
                column,
                value: value.to_string(),
                rule,
                cascade,
                cells: None,
            });
        }
    }

    /// A break found where the row was read (a shard's), with the row's cells: a merge, which
    /// does not read the row, lists it as the shard did.
    pub fn add_found_elsewhere(
        &mut self,
        t: &RawTable,
        row: usize,
        (column, value): (&'static str, &str),
        rule: String,
        cascade: bool,
        cells: String,
    ) {
        self.push(t, row, column, value, rule, cascade);
        if let Some(b) = self.breaks.last_mut().filter(|b| b.row as usize == row) {
            b.cells = Some(cells);
        }
    }

    /// Adds the problems of `other` after these.
    pub fn extend(&mut self, other: Problems) {
        self.failing += other.failing;
        self.breaks.extend(other.breaks);
    }

    /// Whether no row breaks a rule, or is left out.
    pub fn is_empty(&self) -> bool {
        self.failing == 0 && self.breaks.is_empty()
    }

    /// Whether the run must stop.
    pub fn fails(&self) -> bool {
        self.failing > 0
    }

    /// The breaks that fail the run, as an error; `Ok` when none do.
    pub fn into_result(self) -> Result<Problems, InputErrors> {
        if self.failing == 0 {
            return Ok(self);
        }
        let shown = self
            .breaks
            .into_iter()
            .filter(|b| !b.cascade && !self.policy.quarantines(b.table))
            .take(SHOWN)
            .map(Break::into_rule_break)
            .collect();
        Err(InputErrors {
            shown,
            total: self.failing,
            hint: "fix these rows in the source files; or, to leave bad rows out of every figure and list them in the `rejects` table, set `on_error: quarantine` on their sources",
        })
    }

    /// Every break, the first [`SHOWN`] of them listed.
    pub fn listing(self) -> InputErrors {
        let total = self.breaks.len();
        let shown = self
            .breaks
            .into_iter()
            .take(SHOWN)
            .map(Break::into_rule_break)
            .collect();
        InputErrors {
            shown,
            total,
            hint: "fix these rows in the source files, or raise max_rejected_share in the pipeline",
        }
    }

    /// Whether rows of `t` are left out: a break recorded here, or a row the reader found
    /// malformed (recorded here only once every table is read, see
    /// [`crate::sources::parse::stages::read_breaks`]). Such a table keeps every column for the
    /// rejects table.
    pub fn leaves_out_rows_of(&self, t: &RawTable) -> bool {
        !t.breaks.is_empty() || self.breaks.iter().any(|b| b.table == t.table)
    }

    /// The rows of `t` that are left out, sorted.
    pub fn rejected_rows(&self, t: Table) -> Vec<u32> {
        let mut rows: Vec<u32> = self
            .breaks
            .iter()
            .filter(|b| b.table == t)
            .map(|b| b.row)
            .collect();
        rows.sort_unstable();
        rows.dedup();
        rows
    }

    /// The number of distinct rows left out, per table.
    pub fn rejected_count(&self, t: Table) -> usize {
        self.rejected_rows(t).len()
    }
}
