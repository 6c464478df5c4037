//! The typed, checked input a run computes from. Ids are interned to dense `u32` indexes;
//! days are [`Day`]s; money is cents in the row's own currency unless a name says `_base`.

use crate::periods::Day;

/// Dense indexes for string ids: each id is stored once, in one buffer, and found through a
/// table of indexes, so that millions of ids cost two allocations rather than two per id.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    /// Every id, one after the other.
    bytes: String,
    /// Where each id ends in `bytes`.
    ends: Vec<usize>,
    /// Indexes into `ends`, by the hash of their id.
    table: hashbrown::HashTable<u32>,
}

fn hash(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

impl Interner {
    pub fn with_capacity(n: usize) -> Self {
        Interner {
            bytes: String::new(),
            ends: Vec::with_capacity(n),
            table: hashbrown::HashTable::with_capacity(n),
        }
    }

    /// The id of index `i`.
    pub fn name(&self, i: u32) -> &str {
        name_in(&self.bytes, &self.ends, i)
    }

    /// Every id, in index order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len() as u32).map(|i| self.name(i))
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.table.find(hash(s), |&i| self.name(i) == s).copied()
    }

    pub fn intern(&mut self, s: &str) -> u32 {
        let h = hash(s);
        if let Some(&i) = self
            .table
            .find(h, |&i| name_in(&self.bytes, &self.ends, i) == s)
        {
            return i;
        }
        let i = self.ends.len() as u32;
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table
            .insert_unique(h, i, |&j| hash(name_in(bytes, ends, j)));
        i
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The ids from index `k` on: the buffer, where id `k` starts in it, and where each ends.
    pub fn parts_from(&self, k: usize) -> (&str, usize, &[usize]) {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        (&self.bytes, start, &self.ends[k..])
    }

    /// Makes room for `bytes` more bytes of ids and `ids` more ids.
    pub fn reserve(&mut self, bytes: usize, ids: usize) {
        self.bytes.reserve(bytes);
        self.ends.reserve(ids);
        let (all, at) = (&self.bytes, &self.ends);
        self.table.reserve(ids, |&j| hash(name_in(all, at, j)));
    }

    /// Adds ids known to be new (none is here, and each once), given as a buffer and where
    /// each ends in it: no lookup, only the insert. A checkpoint's ids are.
    pub fn extend_new(&mut self, bytes: &str, ends: &[usize]) {
        let base = self.bytes.len();
        self.bytes.push_str(bytes);
        self.ends.reserve(ends.len());
        let (all, at) = (&self.bytes, &self.ends);
        self.table
            .reserve(ends.len(), |&j| hash(name_in(all, at, j)));
        let mut start = 0;
        for &e in ends {
            let i = self.ends.len() as u32;
            let h = hash(&bytes[start..e]);
            self.ends.push(base + e);
            let (all, at) = (&self.bytes, &self.ends);
            self.table
                .insert_unique(h, i, |&j| hash(name_in(all, at, j)));
            start = e;
        }
    }
}

/// Id `i` of an interner's buffer and ends.
fn name_in<'a>(bytes: &'a str, ends: &[usize], i: u32) -> &'a str {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

#[derive(Debug, Default)]
pub struct Employees {
    pub ids: Interner,
    pub name: Vec<String>,
    pub hire: Vec<Day>,
    pub termination: Vec<Option<Day>>,
    pub base_salary: Vec<i64>,
    /// Row in the raw table.
    pub row: Vec<u32>,
}

impl Employees {
    /// Whether employee `e` is employed on day `d` (termination is the last day employed).
    pub fn employed(&self, e: u32, d: Day) -> bool {
        let e = e as usize;
        self.hire[e] <= d && self.termination[e].is_none_or(|t| d <= t)
    }

    /// Days of `[start, end]` on which `e` is employed.
    pub fn days_employed(&self, e: u32, start: Day, end: Day) -> i32 {
        let e = e as usize;
        let from = start.max(self.hire[e]);
        let to = end.min(self.termination[e].unwrap_or(Day::MAX));
        (to - from + 1).max(0)
    }
}

/// One org_history row.
#[derive(Debug, Clone)]
pub struct OrgRow {
    pub from: Day,
    /// Exclusive; `Day::MAX` when open.
    pub to: Day,
    pub department: String,
    pub team: String,
    pub role: String,
    pub manager_id: Option<String>,
}

/// One assignment of a client to an account manager.
#[derive(Debug, Clone, Copy)]
pub struct Assignment {
    pub from: Day,
    /// Exclusive; `Day::MAX` when open.
    pub to: Day,
    pub employee: u32,
}

/// Intervals per owner, sorted by start and not overlapping.
pub fn find_interval<T>(
    rows: &[T],
    d: Day,
    from: impl Fn(&T) -> Day,
    to: impl Fn(&T) -> Day,
) -> Option<&T> {
    let k = rows.partition_point(|r| from(r) <= d);
    let r = rows.get(k.checked_sub(1)?)?;
    (d < to(r)).then_some(r)
}

#[derive(Debug, Default)]
pub struct Invoices {
    pub ids: Interner,
    pub client: Vec<u32>,
    pub currency: Vec<u32>,
    pub face: Vec<i64>,
    pub advance: Vec<i64>,
    pub purchase: Vec<Day>,
    pub due: Vec<Day>,
    pub originator: Vec<u32>,
    /// Booking rate (scaled by [`crate::money::RATE_SCALE`]).
    pub rate: Vec<i64>,
    /// Row in the raw table.
    pub row: Vec<u32>,
    /// The approved application the invoice was bought under (`application_id`), as an index
    /// into [`Applications`].
    pub application: Vec<Option<u32>>,
}

impl Invoices {
    /// Room for `n` rows in every typed column (the ids are interned apart).
    pub fn with_capacity(n: usize) -> Self {
        Invoices {
            ids: Interner::default(),
            client: Vec::with_capacity(n),
            currency: Vec::with_capacity(n),
            face: Vec::with_capacity(n),
            advance: Vec::with_capacity(n),
            purchase: Vec::with_capacity(n),
            due: Vec::with_capacity(n),
            originator: Vec::with_capacity(n),
            rate: Vec::with_capacity(n),
            row: Vec::with_capacity(n),
            application: Vec::with_capacity(n),
        }
    }

    /// How many invoices there are (their amounts may be freed, see [`Ledger::free_amounts`]).
    pub fn len(&self) -> usize {
        self.client.len()
    }

    pub fn is_empty(&self) -> bool {
        self.client.is_empty()
    }
}

/// Dated money events tied to an invoice: collections, write-offs or fees.
#[derive(Debug, Default)]
pub struct InvoiceEvents {
    pub invoice: Vec<u32>,
    pub date: Vec<Day>,
    pub amount: Vec<i64>,
    /// Row in the raw table, for messages and id order.
    pub row: Vec<u32>,
}

impl InvoiceEvents {
    pub fn with_capacity(n: usize) -> Self {
        InvoiceEvents {
            invoice: Vec::with_capacity(n),
            date: Vec::with_capacity(n),
            amount: Vec::with_capacity(n),
            row: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.invoice.len()
    }

    pub fn is_empty(&self) -> bool {
        self.invoice.is_empty()
    }

    /// Adds `more` after these events.
    pub fn append(&mut self, mut more: InvoiceEvents) {
        if self.is_empty() {
            *self = more;
            return;
        }
        self.invoice.append(&mut more.invoice);
        self.date.append(&mut more.date);
        self.amount.append(&mut more.amount);
        self.row.append(&mut more.row);
    }

    /// Leaves out the events of the raw rows `rows` (sorted).
    pub fn drop_rows(&mut self, rows: &[u32]) {
        let keep = kept(&self.row, rows);
        retain(&mut self.invoice, &keep);
        retain(&mut self.date, &keep);
        retain(&mut self.amount, &keep);
        retain(&mut self.row, &keep);
    }
}

/// Per raw row of `row`, whether it is not among `gone` (sorted).
fn kept(row: &[u32], gone: &[u32]) -> Vec<bool> {
    row.iter().map(|r| gone.binary_search(r).is_err()).collect()
}

/// Keeps the items of `v` whose flag in `keep` is set.
fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| k.next().copied().unwrap_or(true));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
}

#[derive(Debug, Default)]
pub struct Applications {
    /// Application ids; an application's index is its index here.
    pub ids: Interner,
    /// Client per application, an index into [`Applications::clients`] (applications may name
    /// clients that have no invoice, so they are kept apart from the ledger's clients).
    pub client: Vec<u32>,
    pub clients: Interner,
    pub employee: Vec<u32>,
    /// Microseconds since the epoch, UTC.
    pub received_at: Vec<i64>,
    pub received_day: Vec<Day>,
    /// Microseconds since the epoch, UTC.
    pub decided_at: Vec<Option<i64>>,
    pub decided_day: Vec<Option<Day>>,
    /// Who decided (`decided_by`), set only with a decided_at.
    pub decided_by: Vec<Option<u32>>,
    pub decision: Vec<Decision>,
    pub funded_at: Vec<Option<i64>>,
    pub funded_day: Vec<Option<Day>>,
    /// Requested amount in base currency, at the rate of the received date.
    pub requested_base: Vec<i64>,
    /// Row in the raw table.
    pub row: Vec<u32>,
}

impl Applications {
    pub fn len(&self) -> usize {
        self.row.len()
    }

    pub fn is_empty(&self) -> bool {
        self.row.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewSource {
    Customer = 0,
    Peer = 1,
    Manager = 2,
}

#[derive(Debug, Default)]
pub struct Reviews {
    pub employee: Vec<u32>,
    pub day: Vec<Day>,
    pub source: Vec<ReviewSource>,
    pub score: Vec<f64>,
    /// Row in the raw table.
    pub row: Vec<u32>,
}

/// Rates per currency, sorted by date.
#[derive(Debug, Default)]
pub struct FxRates {
    pub currencies: Interner,
    /// Per currency index: `(rate_date, rate)` sorted by date.
    pub rates: Vec<Vec<(Day, i64)>>,
    pub base: Option<u32>,
}

impl FxRates {
    /// The latest rate of `currency` on or before `d`; 1 for the base currency.
    pub fn rate_on(&self, currency: u32, d: Day) -> Option<i64> {
        if Some(currency) == self.base {
            return Some(crate::money::RATE_SCALE);
        }
        let rows = self.rates.get(currency as usize)?;
        let k = rows.partition_point(|r| r.0 <= d);
        rows.get(k.checked_sub(1)?).map(|r| r.1)
    }
}

/// A period label as checked: its grain and its period key on that grain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LabelKey {
    pub grain: crate::periods::Grain,
    pub key: i32,
}

/// One `targets` row (contract 5.2).
#[derive(Debug, Clone)]
pub struct TargetRow {
    /// Row of the raw table, for messages.
    pub row: u32,
    pub period: LabelKey,
    pub metric: crate::catalogue::MetricId,
    pub target: f64,
    pub threshold: Option<f64>,
    pub stretch: Option<f64>,
    pub employee: Option<u32>,
    pub role: Option<String>,
    pub department: Option<String>,
}

/// One approved appeal (`adjustments` row).
#[derive(Debug, Clone)]
pub struct AdjustmentRow {
    pub row: u32,
    pub employee: u32,
    pub period: LabelKey,
    pub metric: crate::catalogue::MetricId,
    pub value: f64,
    pub reason: String,
    pub approved_by: String,
}

/// Everything a run computes from.
#[derive(Debug, Default)]
pub struct Ledger {
    pub employees: Employees,
    pub org: Vec<Vec<OrgRow>>,
    pub clients: Interner,
    /// Per client index, sorted.
    pub assignments: Vec<Vec<Assignment>>,
    pub fx: FxRates,
    pub invoices: Invoices,
    pub collections: InvoiceEvents,
    pub write_offs: InvoiceEvents,
    pub fees: InvoiceEvents,
    pub applications: Applications,
    pub reviews: Reviews,
    pub targets: Vec<TargetRow>,
    pub adjustments: Vec<AdjustmentRow>,
    /// What was left out, for the rows that reference it.
    pub left_out: LeftOut,
}

/// Ids of rows left out (rejected), each with why, so that a row referencing one is left out
/// too with a reason naming it.
#[derive(Debug, Default)]
pub struct LeftOut {
    pub employees: std::collections::HashMap<String, String>,
    pub invoices: std::collections::HashMap<String, String>,
    pub applications: std::collections::HashMap<String, String>,
    /// Rejected fx rates: currency and date when they could be read, and why.
    pub rates: Vec<LeftOutRate>,
}

#[derive(Debug, Clone)]
pub struct LeftOutRate {
    pub currency: Option<String>,
    pub date: Option<Day>,
    pub why: String,
}

/// How many rows the ledger held of the invoices, their events, the applications and the reviews
/// ([`Ledger::row_counts`]), kept when a run frees them ([`Ledger::free_rows`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct RowCounts {
    pub invoices: usize,
    pub collections: usize,
    pub write_offs: usize,
    pub fees: usize,
    pub applications: usize,
    pub reviews: usize,
}

impl RowCounts {
    /// The counts `count` gives each table counted.
    pub fn from_fn(count: impl Fn(crate::tables::Table) -> usize) -> RowCounts {
        use crate::tables::Table as T;
        RowCounts {
            invoices: count(T::Invoices),
            collections: count(T::Collections),
            write_offs: count(T::WriteOffs),
            fees: count(T::Fees),
            applications: count(T::Applications),
            reviews: count(T::Reviews),
        }
    }

    /// The rows of table `t`, if it is one counted here.
    pub fn get(&self, t: crate::tables::Table) -> Option<usize> {
        use crate::tables::Table as T;
        match t {
            T::Invoices => Some(self.invoices),
            T::Collections => Some(self.collections),
            T::WriteOffs => Some(self.write_offs),
            T::Fees => Some(self.fees),
            T::Applications => Some(self.applications),
            T::Reviews => Some(self.reviews),
            _ => None,
        }
    }
}

impl Ledger {
    /// Frees the invoices, their events and the applications, and says how many rows each
    /// held. Once the facts are computed a run reads only the people, the plans' inputs and
    /// these counts (S10: the output tables' peak went from 1,251 to 876 MiB).
    /// Frees the amounts in each invoice's and event's own currency, and the invoices' booking
    /// rates, once the built-in facts are computed: the custom metrics read the sweep's amounts
    /// in base cents (S10: 90 MB).
    pub fn free_amounts(&mut self) {
        let inv = &mut self.invoices;
        for v in [&mut inv.face, &mut inv.advance, &mut inv.rate] {
            *v = Vec::new();
        }
        for e in [&mut self.collections, &mut self.write_offs, &mut self.fees] {
            e.amount = Vec::new();
        }
    }

    /// The rows held of each table [`RowCounts`] counts.
    pub fn row_counts(&self) -> RowCounts {
        RowCounts {
            invoices: self.invoices.len(),
            collections: self.collections.len(),
            write_offs: self.write_offs.len(),
            fees: self.fees.len(),
            applications: self.applications.len(),
            reviews: self.reviews.employee.len(),
        }
    }

    pub fn free_rows(&mut self) -> RowCounts {
        let counts = self.row_counts();
        self.invoices = Invoices::default();
        self.collections = InvoiceEvents::default();
        self.write_offs = InvoiceEvents::default();
        self.fees = InvoiceEvents::default();
        self.applications = Applications::default();
        counts
    }

    /// The account manager of client `c` on day `d`, if any.
    pub fn assignee(&self, c: u32, d: Day) -> Option<u32> {
        let rows = self.assignments.get(c as usize)?;
        find_interval(rows, d, |a| a.from, |a| a.to).map(|a| a.employee)
    }

    /// The org row of employee `e` on day `d`.
    pub fn org_on(&self, e: u32, d: Day) -> Option<&OrgRow> {
        find_interval(self.org.get(e as usize)?, d, |r| r.from, |r| r.to)
    }
}

#[cfg(test)]
mod tests {
    use super::Interner;

    #[test]
    fn an_interner_gives_each_id_one_index_in_the_order_first_seen() {
        let mut ids = Interner::with_capacity(2);
        let seen = ["INV-2", "", "INV-10", "INV-2", "é", "", "INV-1"];
        let got: Vec<u32> = seen.iter().map(|s| ids.intern(s)).collect();
        assert_eq!(got, [0, 1, 2, 0, 3, 1, 4]);
        assert_eq!(ids.len(), 5);
        let names: Vec<&str> = ids.names().collect();
        assert_eq!(names, ["INV-2", "", "INV-10", "é", "INV-1"]);
        assert_eq!(ids.get("INV-10"), Some(2));
        assert_eq!(ids.get("INV-1"), Some(4));
        assert_eq!(ids.get("INV-"), None);
        assert_eq!(ids.name(3), "é");
        // Many more ids than the capacity asked for: the table grows and finds them all.
        for i in 0..10_000 {
            ids.intern(&format!("C{i}"));
        }
        assert_eq!(ids.get("C9999"), Some(5 + 9999));
        assert_eq!(ids.name(5 + 1234), "C1234");
    }

    #[test]
    fn ids_added_without_lookups_are_found_as_if_interned() {
        let mut a = Interner::default();
        let mut b = Interner::default();
        a.intern("INV-1");
        b.intern("INV-1");
        // Ids from index 1 of another interner, as a checkpoint segment holds them.
        let mut src = Interner::default();
        for s in ["X", "INV-2", "", "客户-3"] {
            src.intern(s);
        }
        let (bytes, start, ends) = src.parts_from(1);
        let rel: Vec<usize> = ends.iter().map(|e| e - start).collect();
        a.extend_new(&bytes[start..], &rel);
        for s in ["INV-2", "", "客户-3"] {
            b.intern(s);
        }
        assert_eq!(a.names().collect::<Vec<_>>(), b.names().collect::<Vec<_>>());
        for s in ["INV-1", "INV-2", "", "客户-3", "X"] {
            assert_eq!(a.get(s), b.get(s), "{s}");
        }
        // Many more than the table held: it grows and keeps finding them.
        let many: String = (0..5000).map(|i| format!("C{i}")).collect();
        let mut at = 0;
        let ends: Vec<usize> = (0..5000)
            .map(|i| {
                at += format!("C{i}").len();
                at
            })
            .collect();
        a.extend_new(&many, &ends);
        assert_eq!(a.get("C4999"), Some(4 + 4999));
        assert_eq!(a.intern("C17"), 4 + 17);
    }
}
