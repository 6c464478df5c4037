//! Reading and checking at once: one thread reads the sources in [`READ_ORDER`] and finds their
//! repeated ids, handing each table over as the checks ask for it; this thread runs the stages of
//! the checks and, after each, frees the cells of the tables it checked that the rest of the run
//! does not read. The reader is one table ahead at most (it waits for the table it read to be
//! taken), collections wait for the invoices to be checked and fees for the collections
//! ([`stages_before_read`]), so the text of about two large tables is held at once, never of
//! invoices and collections, or collections and fees, together.

use std::cell::RefCell;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::OnceLock;
use std::time::Instant;

use crate::buckets::{Buckets, BUCKETED};
use crate::config::Plan;
use crate::error::Error;
use crate::model::Ledger;
use crate::problems::Problems;
use crate::raw::RawTable;
use crate::sources;
use crate::sources::parse::stages::{
    self, stages_before_read, Context, Read, Stage, Tables, READ_ORDER,
};
use crate::tables::Table;
use crate::timings::Timings;

/// What the reader hands over: a table read and the time it took, or why it could not be read.
type Handed = Result<(Read, u128), Error>;

const N: usize = Table::ALL.len();

/// The tables read so far, as the checks of one stage see them.
struct Inbox<'r> {
    rx: Receiver<Handed>,
    slots: &'r [OnceLock<Read>; N],
    present: [bool; N],
    empty: &'r [Read],
    /// Tables taken from the reader and how long each took to read, to be reported.
    taken: RefCell<Vec<(Table, u128)>>,
}

impl<'r> Tables<'r> for Inbox<'r> {
    fn get(&self, t: Table) -> Result<&'r Read, Error> {
        let k = t as usize;
        if !self.present[k] {
            return Ok(&self.empty[k]);
        }
        loop {
            if let Some(r) = self.slots[k].get() {
                return Ok(r);
            }
            let (read, ms) = self
                .rx
                .recv()
                .map_err(|_| Error::ReaderStopped { table: t.name() })??;
            let got = read.raw.table;
            self.taken.borrow_mut().push((got, ms));
            // Each table is read once (`READ_ORDER` lists each once), so its slot is empty.
            let _ = self.slots[got as usize].set(read);
        }
    }
}

/// What the checks give.
pub(super) struct Checked {
    /// The tables read, in the plan's order, freed of what is not read again.
    pub raw: Vec<RawTable>,
    pub ledger: Ledger,
    /// The rule breaks found.
    pub problems: Problems,
    /// The sorted hashes of the event tables' ids, when asked for.
    pub hashes: Vec<(Table, Vec<u64>)>,
}

/// Where the checks start: from nothing, or from a checkpoint's rows, reading only the files of
/// each held table after those it holds.
pub(super) struct Start<'b> {
    pub ledger: Ledger,
    pub skip: [usize; 5],
    /// Whether to keep the event tables' id hashes, for a checkpoint.
    pub hashes: bool,
    /// A shard's buckets and part: its large tables are read from there.
    pub buckets: Option<(&'b Buckets, u64)>,
    /// Whether to read the large tables ([`BUCKETED`]); a merge whose parts carry their rows
    /// does not.
    pub large: bool,
}

impl Start<'_> {
    pub fn nothing() -> Self {
        Start {
            ledger: Ledger::default(),
            skip: [0; 5],
            hashes: false,
            buckets: None,
            large: true,
        }
    }
}

/// Of the files of table `t`, how many the checkpoint holds (`skip`, per held table).
fn held_files(skip: &[usize; 5], t: Table) -> usize {
    let k = crate::checkpoint::HELD.iter().position(|&h| h == t);
    k.map_or(0, |k| skip[k])
}

/// Reads every source and checks it against the contract (see [`Checked`]).
pub(super) fn read_and_check(
    plan: &Plan,
    timings: &mut Timings,
    start: Start,
) -> Result<Checked, Error> {
    let mut slots: [OnceLock<Read>; N] = Default::default();
    let empty: Vec<Read> = Table::ALL
        .iter()
        .map(|&t| Read::new(RawTable::empty(t)))
        .collect();
    let read = |t: Table| start.large || !BUCKETED.contains(&t);
    let mut present = [false; N];
    for s in plan.sources.iter().filter(|s| read(s.table)) {
        present[s.table as usize] = true;
    }
    let order: Vec<_> = READ_ORDER
        .iter()
        .filter_map(|&t| plan.sources.iter().find(|s| s.table == t && read(t)))
        .collect();
    let cx = Context {
        base_currency: &plan.base_currency,
        tz: plan.timezone,
        catalogue: &plan.catalogue,
    };
    let (skip, keep_hashes, buckets) = (start.skip, start.hashes, start.buckets);
    let mut ledger = start.ledger;
    let mut problems = Problems::new(plan.policy());
    std::thread::scope(|scope| {
        let (tx, mut rx) = sync_channel::<Handed>(0);
        // One message per stage of the checks done.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        scope.spawn(move || {
            let mut done = 0;
            for src in order {
                while done < stages_before_read(src.table) {
                    // An error: the checks stopped and dropped their end.
                    if done_rx.recv().is_err() {
                        return;
                    }
                    done += 1;
                }
                let t = Instant::now();
                let read = match buckets.filter(|_| BUCKETED.contains(&src.table)) {
                    Some((b, k)) => b.read(src, k),
                    None => sources::read_after(plan, src, held_files(&skip, src.table))
                        .map(|r| Read::keeping_hashes(r, keep_hashes)),
                };
                let ms = t.elapsed().as_millis();
                let failed = read.is_err();
                // A refused send: the checks stopped and dropped their end.
                if tx.send(read.map(|r| (r, ms))).is_err() || failed {
                    return;
                }
            }
        });
        for stage in Stage::ALL {
            let mut t = Instant::now();
            let inbox = Inbox {
                rx,
                slots: &slots,
                present,
                empty: &empty,
                taken: RefCell::new(Vec::new()),
            };
            // On an error the inbox, and with it the channel, is dropped: the reader stops.
            let checked = stages::check(stage, &inbox, &cx, &mut ledger, &mut problems);
            for (table, ms) in inbox.taken.take() {
                timings.record(&format!("read {}", table.name()), ms);
            }
            checked?;
            rx = inbox.rx;
            timings.lap(stage.phase(), &mut t);
            for &table in stage.checks() {
                if let Some(r) = slots[table as usize].get_mut() {
                    // A table whose ids repeat keeps every column: collections' repeated rows
                    // are reported in the stage after theirs, with their cells.
                    if r.dups.is_empty() {
                        free_checked(plan, &mut r.raw, &problems);
                    }
                }
            }
            // Given back at once: the reader's next table is already read (it is one ahead).
            crate::memory::give_back();
            // The receiver is gone only once the reader is done.
            let _ = done_tx.send(());
        }
        Ok::<_, Error>(())
    })?;
    let mut hashes = Vec::new();
    let raw: Vec<RawTable> = plan
        .sources
        .iter()
        .filter_map(|s| {
            let r = slots[s.table as usize].take()?;
            if keep_hashes && !r.hashes.is_empty() {
                hashes.push((r.raw.table, r.hashes));
            }
            Some(r.raw)
        })
        .collect();
    let problems = stages::read_breaks(&raw, problems);
    Ok(Checked {
        raw,
        ledger,
        problems,
        hashes,
    })
}

/// Drops the columns of a checked table that the rest of the run does not read (their memory is
/// then given back, see [`crate::memory`]). Kept: the ids that order
/// same-day events (until the events are applied, see [`free_event_ids`]), the columns custom
/// metrics read, and every column of the rows to reject: of a table with rows left out, of the
/// scoring tables, which scoring checks, and, when they quarantine, of collections and
/// write-offs, which the balance rules check later.
fn free_checked(plan: &Plan, r: &mut RawTable, problems: &Problems) {
    let policy = problems.policy();
    let keep_all = matches!(r.table, Table::Targets | Table::Adjustments)
        || (matches!(r.table, Table::Collections | Table::WriteOffs)
            && policy.quarantines(r.table))
        || problems.leaves_out_rows_of(r);
    if !keep_all {
        let mut keep = vec!["collection_id", "write_off_id"];
        keep.extend(plan.catalogue.raw_columns(r.table));
        r.retain_columns(&keep);
    }
}

/// Once the invoice events are applied: drops the ids that ordered same-day collections and
/// write-offs, and the balance rules' whole rows, of the event tables with no row left out. What
/// the custom metrics read stays.
pub(super) fn free_event_ids(plan: &Plan, raw: &mut [RawTable], problems: &Problems) {
    for r in raw {
        if matches!(r.table, Table::Collections | Table::WriteOffs)
            && !problems.leaves_out_rows_of(r)
        {
            r.retain_columns(&plan.catalogue.raw_columns(r.table));
        }
    }
}
