//! The invoice event rules of contract section 2: collections and write-offs applied in order,
//! balances, recoveries, and every amount converted to base currency at the booking rate.

use crate::model::Ledger;
use crate::money::convert;
use crate::periods::Day;
use crate::problems::Problems;
use crate::raw::RawTable;

/// The outcome of applying every invoice's events. Vectors indexed like the ledger's events are
/// in base currency cents, each converted and rounded on its own.
#[derive(Debug, Default)]
pub struct Swept {
    /// The applied part of each collection in the invoice's own currency (cents).
    pub applied: Vec<i64>,
    pub collection_base: Vec<i64>,
    pub applied_base: Vec<i64>,
    pub recovery_base: Vec<i64>,
    pub write_off_base: Vec<i64>,
    pub fee_base: Vec<i64>,
    pub face_base: Vec<i64>,
    pub advance_base: Vec<i64>,
    /// Changes of an invoice's base-currency balance, in invoice then date order: the purchase
    /// (+face) and each event that moves the balance. Their running sum per invoice is
    /// `convert(bal_i(d))` exactly.
    pub deltas: Vec<BalanceDelta>,
    /// Raw rows of the collections and write-offs that break a balance rule, sorted by row.
    /// They are left out: the balance goes on as if they were not there.
    pub left_out_collections: Vec<u32>,
    pub left_out_write_offs: Vec<u32>,
    /// Per invoice, the day its balance in its own currency fell to 0 (`Day::MAX` while it is
    /// open): it has a balance at the end of day d exactly when purchase <= d < paid_off.
    pub paid_off: Vec<Day>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceDelta {
    pub invoice: u32,
    pub day: Day,
    pub amount: i64,
}

#[derive(Clone, Copy)]
struct Ev {
    day: Day,
    /// 0 = collection, 1 = write-off: collections come first on a day.
    kind: u8,
    idx: u32,
}

/// Applies every invoice's collections and write-offs in order. `raw_collections` and
/// `raw_write_offs` give the ids that break ties and the rows for messages.
/// Balance rule breaks (overpayment, write-off exceeding balance) are added to `p`.
pub fn sweep(
    l: &Ledger,
    raw_collections: &RawTable,
    raw_write_offs: &RawTable,
    p: &mut Problems,
) -> Swept {
    let (start, mut evs) = by_invoice(l);
    let (col, wo) = (&l.collections, &l.write_offs);
    let col_ids = raw_collections.column("collection_id");
    let wo_ids = raw_write_offs.column("write_off_id");
    let id_of = |e: &Ev| -> Option<&str> {
        let (ids, rows) = if e.kind == 0 {
            (col_ids, &col.row)
        } else {
            (wo_ids, &wo.row)
        };
        ids.and_then(|c| c.get(rows[e.idx as usize] as usize))
    };
    let mut s = converted(l);
    let raw = (raw_collections, raw_write_offs);
    for i in 0..l.invoices.len() {
        let slice = &mut evs[start[i] as usize..start[i + 1] as usize];
        if slice.len() > 1 {
            slice.sort_by(|a, b| {
                (a.day, a.kind)
                    .cmp(&(b.day, b.kind))
                    .then_with(|| id_of(a).cmp(&id_of(b)))
            });
        }
        apply(l, raw, &mut s, p, i, slice);
    }
    s.left_out_collections.sort_unstable();
    s.left_out_write_offs.sort_unstable();
    s
}

/// Every collection and write-off, bucketed by invoice (a counting sort): invoice `i`'s events
/// are `evs[start[i]..start[i + 1]]`, in no particular order yet.
fn by_invoice(l: &Ledger) -> (Vec<u32>, Vec<Ev>) {
    let n = l.invoices.len();
    let (col, wo) = (&l.collections, &l.write_offs);
    let mut start = vec![0u32; n + 1];
    for &i in col.invoice.iter().chain(wo.invoice.iter()) {
        start[i as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut evs = vec![
        Ev {
            day: 0,
            kind: 0,
            idx: 0
        };
        col.len() + wo.len()
    ];
    let kinds = [(0, &col.invoice, &col.date), (1, &wo.invoice, &wo.date)];
    for (kind, invoices, dates) in kinds {
        for (j, &i) in invoices.iter().enumerate() {
            evs[fill[i as usize] as usize] = Ev {
                day: dates[j],
                kind,
                idx: j as u32,
            };
            fill[i as usize] += 1;
        }
    }
    (start, evs)
}

/// The outcome before any event is applied: the amounts that do not depend on the order of
/// events (fees, face and advance in base currency), and room for the rest.
fn converted(l: &Ledger) -> Swept {
    let inv = &l.invoices;
    let (n, nc, nw) = (inv.len(), l.collections.len(), l.write_offs.len());
    Swept {
        applied: vec![0; nc],
        collection_base: vec![0; nc],
        applied_base: vec![0; nc],
        recovery_base: vec![0; nc],
        write_off_base: vec![0; nw],
        fee_base: l
            .fees
            .invoice
            .iter()
            .zip(&l.fees.amount)
            .map(|(&i, &a)| convert(a, inv.rate[i as usize]))
            .collect(),
        face_base: inv
            .face
            .iter()
            .zip(&inv.rate)
            .map(|(&f, &r)| convert(f, r))
            .collect(),
        advance_base: inv
            .advance
            .iter()
            .zip(&inv.rate)
            .map(|(&a, &r)| convert(a, r))
            .collect(),
        deltas: Vec::with_capacity(n + nc + nw),
        left_out_collections: Vec::new(),
        left_out_write_offs: Vec::new(),
        paid_off: vec![Day::MAX; n],
    }
}

/// One invoice's balance while its events are applied: in its own currency and in base
/// currency cents, and whether it has been written off.
struct Running {
    rate: i64,
    bal: i64,
    bal_base: i64,
    written_off: bool,
}

/// Applies invoice `i`'s events `evs`, in order, to `s`; a collection that overpays an invoice
/// never written off, or a write-off above the balance, is left out and reported to `p`.
fn apply(
    l: &Ledger,
    (raw_collections, raw_write_offs): (&RawTable, &RawTable),
    s: &mut Swept,
    p: &mut Problems,
    i: usize,
    evs: &[Ev],
) {
    let inv = &l.invoices;
    let mut r = Running {
        rate: inv.rate[i],
        bal: inv.face[i],
        bal_base: s.face_base[i],
        written_off: false,
    };
    s.deltas.push(BalanceDelta {
        invoice: i as u32,
        day: inv.purchase[i],
        amount: r.bal_base,
    });
    for e in evs {
        let j = e.idx as usize;
        let applied = if e.kind == 0 {
            collection(l, raw_collections, s, p, &r, j)
        } else {
            write_off(l, raw_write_offs, s, p, &mut r, j)
        };
        let Some(new_bal) = applied else { continue };
        if new_bal != r.bal {
            r.bal = new_bal;
            if r.bal == 0 && s.paid_off[i] == Day::MAX {
                s.paid_off[i] = e.day;
            }
            let nb = convert(r.bal, r.rate);
            if nb != r.bal_base {
                s.deltas.push(BalanceDelta {
                    invoice: i as u32,
                    day: e.day,
                    amount: nb - r.bal_base,
                });
                r.bal_base = nb;
            }
        }
    }
}

/// Applies collection `j` to a balance: the balance after it, or `None` when it overpays an
/// invoice never written off (left out, the balance going on as if it were not there).
fn collection(
    l: &Ledger,
    raw: &RawTable,
    s: &mut Swept,
    p: &mut Problems,
    r: &Running,
    j: usize,
) -> Option<i64> {
    let col = &l.collections;
    let a = col.amount[j];
    let applied = a.min(r.bal);
    let excess = a - applied;
    if excess > 0 && !r.written_off {
        let rule = format!(
            "overpayment: exceeds the invoice's balance of {} and the invoice has no write-off",
            crate::money::format_cents(r.bal)
        );
        leave_out(&mut s.left_out_collections, p, raw, col.row[j], a, rule);
        return None;
    }
    s.applied[j] = applied;
    s.collection_base[j] = convert(a, r.rate);
    s.applied_base[j] = convert(applied, r.rate);
    s.recovery_base[j] = if r.written_off {
        convert(excess, r.rate)
    } else {
        0
    };
    Some(r.bal - applied)
}

/// Applies write-off `j` to a balance: the balance after it, or `None` when it exceeds the
/// balance (left out).
fn write_off(
    l: &Ledger,
    raw: &RawTable,
    s: &mut Swept,
    p: &mut Problems,
    r: &mut Running,
    j: usize,
) -> Option<i64> {
    let wo = &l.write_offs;
    let w = wo.amount[j];
    if w > r.bal {
        let rule = format!(
            "write-off exceeds balance: the invoice's balance is {}",
            crate::money::format_cents(r.bal)
        );
        leave_out(&mut s.left_out_write_offs, p, raw, wo.row[j], w, rule);
        return None;
    }
    s.write_off_base[j] = convert(w, r.rate);
    r.written_off = true;
    Some(r.bal - w)
}

/// Leaves out raw row `row` of `raw`, an event whose `amount` breaks balance rule `rule`: it is
/// listed in `left_out` and reported to `p`.
fn leave_out(
    left_out: &mut Vec<u32>,
    p: &mut Problems,
    raw: &RawTable,
    row: u32,
    amount: i64,
    rule: String,
) {
    left_out.push(row);
    p.add(
        raw,
        row as usize,
        "amount",
        &crate::money::format_cents(amount),
        rule,
    );
}
