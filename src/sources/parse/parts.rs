//! Checking a large table on every core: its rows in one range per core, each range's problems
//! kept apart and added back in row order, and the checked rows of each range added to the ledger
//! in row order, so that the result is the same as one pass over the rows.

use std::ops::Range;

use super::{cells, joined, Cell, Cells};
use crate::model::Interner;
use crate::problems::Problems;
use crate::raw::RawTable;

/// The rows of repeated ids (see [`super::duplicate_rows`]) from row `start` on, to be taken in row
/// order as the rows are checked.
pub(super) fn dups_from<T>(
    dups: &[(usize, T)],
    start: usize,
) -> std::iter::Peekable<std::slice::Iter<'_, (usize, T)>> {
    dups[dups.partition_point(|d| d.0 < start)..]
        .iter()
        .peekable()
}

/// The checked rows of one range of a table, to be added to the ledger in row order: the typed
/// columns (with the row of each, whose ids [`KeptText`] finds when they are interned), and the
/// ids of the rows left out with why.
pub(super) struct Part<'t, C> {
    pub(super) cols: C,
    pub(super) left_out: Vec<(&'t str, String)>,
}

impl<C: Default> Part<'_, C> {
    pub(super) fn new() -> Self {
        Part::of(C::default())
    }
}

impl<C> Part<'_, C> {
    /// A part filling `cols` (made with room for its rows).
    pub(super) fn of(cols: C) -> Self {
        Part {
            cols,
            left_out: Vec::new(),
        }
    }
}

/// The text of one column at the rows kept, asked in row order: one pass over the column, rather
/// than a list of every kept row's text held while the parts are checked.
pub(super) struct KeptText<'t> {
    cells: Cells<'t>,
    next: usize,
}

impl<'t> KeptText<'t> {
    pub(super) fn new(t: &'t RawTable, column: &str) -> Self {
        KeptText {
            cells: cells(t, column),
            next: 0,
        }
    }

    /// The text at `row`, which is after the row asked before. A kept row's id is text (the
    /// checks leave out a row whose id is not).
    pub(super) fn at(&mut self, row: u32) -> &'t str {
        let row = row as usize;
        debug_assert!(row >= self.next, "rows asked in order");
        let cell = self.cells.nth(row - self.next).flatten();
        self.next = row + 1;
        match cell {
            Some(Cell::Text(s)) => s,
            _ => "",
        }
    }
}

/// Makes room in `ids` for the text of every row of `column`: interned one by one, the ids'
/// buffer would otherwise grow by doubling, to up to twice their size.
pub(super) fn reserve_ids(t: &RawTable, column: &str, ids: &mut Interner) {
    let bytes = t.column(column).map_or(0, |ca| {
        ca.iter().map(|v| v.map_or(0, |s| s.trim().len())).sum()
    });
    ids.reserve(bytes, t.height());
}

/// Appends one column of every part to `into`, in part order, freeing each part's column once
/// it is copied: gathered a column at a time, the checked rows are held twice only one column
/// at a time, not all of them.
pub(super) fn gather<C, T>(
    into: &mut Vec<T>,
    parts: &mut [C],
    column: impl Fn(&mut C) -> &mut Vec<T>,
) {
    into.reserve_exact(parts.iter_mut().map(|c| column(c).len()).sum());
    for c in parts {
        into.extend(std::mem::take(column(c)));
    }
}

/// Records why each left-out id of a part was left out; the first row of an id decides.
pub(super) fn record_left_out(
    to: &mut std::collections::HashMap<String, String>,
    left_out: Vec<(&str, String)>,
) {
    for (id, why) in left_out {
        to.entry(id.to_string()).or_insert(why);
    }
}

/// Fewest rows worth a thread of their own.
const MIN_PART: usize = 50_000;

/// Checks rows `0..n` of a table in one range of rows per core, each with problems of its own,
/// then adds their problems to `p` in row order: the same problems, in the same order, as one
/// pass over the rows. Returns each range's result in row order.
pub(super) fn in_parts<T: Send>(
    p: &mut Problems,
    n: usize,
    check: impl Fn(&mut Problems, Range<usize>) -> T + Sync,
) -> Vec<T> {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let k = cores.min(n / MIN_PART).max(1);
    if k == 1 {
        return vec![check(p, 0..n)];
    }
    let mut children: Vec<Problems> = (0..k).map(|_| p.child()).collect();
    let check = &check;
    let out = std::thread::scope(|scope| {
        let handles: Vec<_> = children
            .iter_mut()
            .enumerate()
            .map(|(j, c)| scope.spawn(move || check(c, j * n / k..(j + 1) * n / k)))
            .collect();
        handles
            .into_iter()
            .map(|h| joined(h.join()))
            .collect::<Vec<T>>()
    });
    for c in children {
        p.extend(c);
    }
    out
}
