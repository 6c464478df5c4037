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
    let inv = &l.invoices;
    let n = inv.face.len();
    let (col, wo) = (&l.collections, &l.write_offs);
    // Bucket events by invoice (a counting sort), then order each invoice's few events.
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
    for (j, &i) in col.invoice.iter().enumerate() {
        evs[fill[i as usize] as usize] = Ev {
            day: col.date[j],
            kind: 0,
            idx: j as u32,
        };
        fill[i as usize] += 1;
    }
    for (j, &i) in wo.invoice.iter().enumerate() {
        evs[fill[i as usize] as usize] = Ev {
            day: wo.date[j],
            kind: 1,
            idx: j as u32,
        };
        fill[i as usize] += 1;
    }
    drop(fill);
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

    let mut s = Swept {
        applied: vec![0; col.len()],
        collection_base: vec![0; col.len()],
        applied_base: vec![0; col.len()],
        recovery_base: vec![0; col.len()],
        write_off_base: vec![0; wo.len()],
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
        deltas: Vec::with_capacity(n + col.len() + wo.len()),
        left_out_collections: Vec::new(),
        left_out_write_offs: Vec::new(),
        paid_off: vec![Day::MAX; n],
    };
    for i in 0..n {
        let rate = inv.rate[i];
        let slice = &mut evs[start[i] as usize..start[i + 1] as usize];
        if slice.len() > 1 {
            slice.sort_by(|a, b| {
                (a.day, a.kind)
                    .cmp(&(b.day, b.kind))
                    .then_with(|| id_of(a).cmp(&id_of(b)))
            });
        }
        let mut bal = inv.face[i];
        let mut bal_base = s.face_base[i];
        s.deltas.push(BalanceDelta {
            invoice: i as u32,
            day: inv.purchase[i],
            amount: bal_base,
        });
        let mut written_off = false;
        for e in slice.iter() {
            let j = e.idx as usize;
            let new_bal = if e.kind == 0 {
                let a = col.amount[j];
                let applied = a.min(bal);
                let excess = a - applied;
                if excess > 0 && !written_off {
                    // Left out: the balance goes on as if the collection were not there.
                    s.left_out_collections.push(col.row[j]);
                    p.add(
                        raw_collections,
                        col.row[j] as usize,
                        "amount",
                        &crate::money::format_cents(a),
                        format!(
                            "overpayment: exceeds the invoice's balance of {} and the invoice has no write-off",
                            crate::money::format_cents(bal)
                        ),
                    );
                    continue;
                }
                s.applied[j] = applied;
                s.collection_base[j] = convert(a, rate);
                s.applied_base[j] = convert(applied, rate);
                s.recovery_base[j] = if written_off {
                    convert(excess, rate)
                } else {
                    0
                };
                bal - applied
            } else {
                let w = wo.amount[j];
                if w > bal {
                    s.left_out_write_offs.push(wo.row[j]);
                    p.add(
                        raw_write_offs,
                        wo.row[j] as usize,
                        "amount",
                        &crate::money::format_cents(w),
                        format!(
                            "write-off exceeds balance: the invoice's balance is {}",
                            crate::money::format_cents(bal)
                        ),
                    );
                    continue;
                }
                s.write_off_base[j] = convert(w, rate);
                written_off = true;
                bal - w
            };
            if new_bal != bal {
                bal = new_bal;
                if bal == 0 && s.paid_off[i] == Day::MAX {
                    s.paid_off[i] = e.day;
                }
                let nb = convert(bal, rate);
                if nb != bal_base {
                    s.deltas.push(BalanceDelta {
                        invoice: i as u32,
                        day: e.day,
                        amount: nb - bal_base,
                    });
                    bal_base = nb;
                }
            }
        }
    }
    s.left_out_collections.sort_unstable();
    s.left_out_write_offs.sort_unstable();
    s
}
