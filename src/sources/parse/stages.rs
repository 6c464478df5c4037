//! The checks of section 1 in four stages, in the order the tables name one another: people
//! and applications, then invoices, then collections, then the other events and the rest. A run
//! reads each table just before the stage that checks it (while the stage before is checked) and
//! frees its cells after, so that about two large tables are held as text at once rather than
//! all of them.

use crate::catalogue::Catalogue;
use crate::error::Error;
use crate::model::Ledger;
use crate::problems::Problems;
use crate::raw::{RawTable, RowRef};
use crate::tables::Table;

use super::{
    applications, check_unique, duplicates_of, fx, goals, hr, id_hashes, ledger, sorted_hashes,
};

/// A stage of the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Employees, their org history, exchange rates and applications.
    People,
    /// Invoices, which name applications, employees and currencies.
    Invoices,
    /// Collections, which name invoices: the largest table, checked alone so that its text is
    /// freed before the other events are checked.
    Collections,
    /// Write-offs and fees, which name invoices; reviews, targets, adjustments and assignments;
    /// and the repeated ids of all three event tables.
    Events,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::People,
        Stage::Invoices,
        Stage::Collections,
        Stage::Events,
    ];

    /// The tables the stage checks. Rows of these tables break rules in this stage only (or,
    /// for collections, write-offs, targets and adjustments, later in the run too: collections'
    /// repeated ids in [`Stage::Events`], the balance rules and the scoring rules after the checks).
    pub fn checks(self) -> &'static [Table] {
        match self {
            Stage::People => &[
                Table::Employees,
                Table::OrgHistory,
                Table::FxRates,
                Table::Applications,
            ],
            Stage::Invoices => &[Table::Invoices],
            Stage::Collections => &[Table::Collections],
            Stage::Events => &[
                Table::WriteOffs,
                Table::Fees,
                Table::Reviews,
                Table::Targets,
                Table::Adjustments,
                Table::Assignments,
            ],
        }
    }

    /// The phase a run reports for the stage.
    pub fn phase(self) -> &'static str {
        match self {
            Stage::People => "check people and applications",
            Stage::Invoices => "check invoices",
            Stage::Collections => "check collections",
            Stage::Events => "check invoice events and goals",
        }
    }
}

/// How many stages of the checks are done before the reader reads table `t`. Collections wait
/// for the invoices' checks, so that the text of the two largest tables is never held at once
/// (it was a run's peak), and fees for the collections' (the fees read beside the collections'
/// checks were the full contract's peak at S10: 1,050 MiB against 992-1,010 MiB, the wall time
/// within the noise); every other table is read as soon as the reader gets to it, one table
/// ahead of the checks.
pub fn stages_before_read(t: Table) -> usize {
    match t {
        Table::Collections => Stage::Collections as usize,
        Table::Fees => Stage::Events as usize,
        _ => 0,
    }
}

/// The order tables are read in: the small ones first, then each large one just before the
/// stage that checks it. Every table once.
pub const READ_ORDER: [Table; 12] = [
    Table::Employees,
    Table::OrgHistory,
    Table::FxRates,
    Table::Assignments,
    Table::Targets,
    Table::Adjustments,
    Table::Applications,
    Table::Invoices,
    Table::Collections,
    Table::Fees,
    Table::WriteOffs,
    Table::Reviews,
];

/// A table as read, with the rows whose id another row repeats (see [`super::duplicate_rows`]).
#[derive(Debug)]
pub struct Read {
    pub raw: RawTable,
    /// Each row whose id another row repeats, with where that other row is.
    pub dups: Vec<(usize, RowRef)>,
    /// The sorted hashes of the ids of collections, write-offs or fees, when asked for: what a
    /// checkpoint keeps to find a later row repeating one of its ids.
    pub hashes: Vec<u64>,
}

impl Read {
    /// A table read, its repeated ids found (a sort of hashes; done by whoever read it).
    pub fn new(raw: RawTable) -> Self {
        Read::keeping_hashes(raw, false)
    }

    /// [`Read::new`], keeping the hashes of an event table's ids when `keep`.
    pub fn keeping_hashes(raw: RawTable, keep: bool) -> Self {
        let Some(c) = unique_id(raw.table) else {
            return Read {
                raw,
                dups: Vec::new(),
                hashes: Vec::new(),
            };
        };
        // The rows of equal hashes are found only when two hashes are equal (rarely).
        let hashes = sorted_hashes(&raw, c);
        let dups = if hashes.windows(2).any(|w| w[0] == w[1]) {
            let dups = duplicates_of(&raw, c, &id_hashes(&raw, c));
            dups.into_iter().map(|(i, o)| (i, raw.row_ref(o))).collect()
        } else {
            Vec::new()
        };
        let events = matches!(
            raw.table,
            Table::Collections | Table::WriteOffs | Table::Fees
        );
        let hashes = if keep && events { hashes } else { Vec::new() };
        Read { raw, dups, hashes }
    }
}

/// The rows the reader found malformed in `raw` (every table, in the order of the sources), then
/// the breaks the checks found: the order a failed run lists them in.
pub fn read_breaks(raw: &[RawTable], checks: Problems) -> Problems {
    let mut p = checks.child();
    for t in raw {
        for b in &t.breaks {
            p.add(t, b.row, b.column, &b.value, b.rule.clone());
        }
    }
    p.extend(checks);
    p
}

/// The column whose values must be unique in table `t`, if any.
pub fn unique_id(t: Table) -> Option<&'static str> {
    match t {
        Table::Applications => Some("application_id"),
        Table::Invoices => Some("invoice_id"),
        Table::Collections => Some("collection_id"),
        Table::WriteOffs => Some("write_off_id"),
        Table::Fees => Some("fee_id"),
        _ => None,
    }
}

/// Where a stage finds the tables it checks. A table may still be being read: it is waited for.
/// A table the pipeline has no source for is empty.
pub trait Tables<'r> {
    fn get(&self, t: Table) -> Result<&'r Read, Error>;
}

/// What the checks need besides the tables.
pub struct Context<'c> {
    pub base_currency: &'c str,
    pub tz: chrono_tz::Tz,
    pub catalogue: &'c Catalogue,
}

/// Runs one stage's checks. Rows that break a rule, or reference a row that does, are recorded
/// in `p` and left out of the ledger, so later checks see consistent data and a quarantining
/// run computes without them. Rows the reader found malformed are left out too, but recorded by
/// [`read_breaks`] once every table is read: a failed run lists them first, in the order of the
/// sources, whatever stage their table is checked in. Fails only when a table cannot be read.
pub fn check<'r>(
    stage: Stage,
    src: &dyn Tables<'r>,
    cx: &Context,
    l: &mut Ledger,
    p: &mut Problems,
) -> Result<(), Error> {
    match stage {
        Stage::People => people(src, cx, l, p),
        Stage::Invoices => {
            let inv = src.get(Table::Invoices)?;
            ledger::invoices(p, l, &inv.raw, &inv.dups);
            Ok(())
        }
        Stage::Collections => {
            let col = src.get(Table::Collections)?;
            let collections = ledger::invoice_events(p, l, &col.raw, "collection_id", "paid_on");
            // After the rows of a checkpoint, if any.
            l.collections.append(collections);
            Ok(())
        }
        Stage::Events => events(src, cx, l, p),
    }
}

fn people<'r>(
    src: &dyn Tables<'r>,
    cx: &Context,
    l: &mut Ledger,
    p: &mut Problems,
) -> Result<(), Error> {
    let (emp, org, fx) = (
        src.get(Table::Employees)?,
        src.get(Table::OrgHistory)?,
        src.get(Table::FxRates)?,
    );
    hr::employees(p, l, &emp.raw);
    hr::org_history(p, l, &org.raw, &emp.raw);
    fx::fx_rates(p, l, &fx.raw, cx.base_currency);
    let apps = src.get(Table::Applications)?;
    applications::applications(p, l, &apps.raw, cx.tz, &apps.dups);
    Ok(())
}

/// The events but collections, which only read what is checked so far, each table as it
/// arrives; then the repeated ids of the three event tables.
fn events<'r>(
    src: &dyn Tables<'r>,
    cx: &Context,
    l: &mut Ledger,
    p: &mut Problems,
) -> Result<(), Error> {
    let wo = src.get(Table::WriteOffs)?;
    let w = ledger::invoice_events(p, l, &wo.raw, "write_off_id", "written_off_on");
    let fees = src.get(Table::Fees)?;
    let f = ledger::invoice_events(p, l, &fees.raw, "fee_id", "booked_on");
    let (revs, tg, adj) = (
        src.get(Table::Reviews)?,
        src.get(Table::Targets)?,
        src.get(Table::Adjustments)?,
    );
    l.reviews = hr::reviews(p, l, &revs.raw);
    l.targets = goals::targets(p, l, &tg.raw, cx.catalogue);
    l.adjustments = goals::adjustments(p, l, &adj.raw, cx.catalogue);
    // After the rows of a checkpoint, if any.
    l.write_offs.append(w);
    l.fees.append(f);
    // Repeated ids are found beside the rows' other checks; their rows leave afterwards.
    for t in [Table::Collections, Table::WriteOffs, Table::Fees] {
        let r = src.get(t)?;
        let Some(column) = unique_id(t).filter(|_| !r.dups.is_empty()) else {
            continue;
        };
        check_unique(p, &r.raw, column, &r.dups);
        let gone: Vec<u32> = r.dups.iter().map(|d| d.0 as u32).collect();
        match t {
            Table::Collections => l.collections.drop_rows(&gone),
            Table::WriteOffs => l.write_offs.drop_rows(&gone),
            _ => l.fees.drop_rows(&gone),
        }
    }
    let asg = src.get(Table::Assignments)?;
    hr::assignments(p, l, &asg.raw);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_read_once_and_checked_in_one_stage() {
        for t in Table::ALL {
            assert_eq!(READ_ORDER.iter().filter(|&&r| r == t).count(), 1, "{t:?}");
            let stages = Stage::ALL
                .iter()
                .filter(|s| s.checks().contains(&t))
                .count();
            assert_eq!(stages, 1, "{t:?}");
        }
        // The large tables are read in the order of their stages.
        let at = |t: Table| READ_ORDER.iter().position(|&r| r == t).unwrap();
        assert!(at(Table::Applications) < at(Table::Invoices));
        assert!(at(Table::Invoices) < at(Table::Collections));
        assert!(at(Table::Collections) < at(Table::Fees));
        // A table is read only once the stages before its own are done, never later.
        for t in Table::ALL {
            let own = Stage::ALL.iter().position(|s| s.checks().contains(&t));
            assert!(Some(stages_before_read(t)) <= own, "{t:?}");
        }
        assert_eq!(stages_before_read(Table::Collections), 2);
        assert_eq!(stages_before_read(Table::Fees), 3);
    }
}
