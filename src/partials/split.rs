//! Which part of a run's clients a row belongs to, and a checked ledger left with one part.
//!
//! A client's part is the xxh3 (64-bit, seed 0) of its id's UTF-8 bytes, modulo the number of
//! parts: stable across machines, runs and languages (never an engine's or a language's own hash).
//! Applications and invoices go with their client, events with their invoice, and reviews, which
//! name no client, with their employee's id hashed the same way: one employee's review scores are
//! then summed on one part in file order, as one machine sums them (their sum is a float).

use crate::model::{Interner, Ledger};

/// The part of `count` that id `id` falls in.
pub fn part_of(id: &str, count: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes()) % count.max(1)
}

/// Keeps the values whose flag is set.
fn keep<T>(v: &mut Vec<T>, mask: &[bool]) {
    let mut flags = mask.iter();
    v.retain(|_| flags.next().copied().unwrap_or(false));
}

/// The kept ids, interned anew in order, and each old index's new one.
fn kept_ids(ids: &Interner, mask: &[bool]) -> (Interner, Vec<Option<u32>>) {
    let mut kept = Interner::default();
    let new = mask
        .iter()
        .enumerate()
        .map(|(i, &k)| k.then(|| kept.intern(ids.name(i as u32))))
        .collect();
    (kept, new)
}

/// Leaves in `l` only part `index` of `count`: the applications and invoices of its clients,
/// their events, and the reviews of its employees. Clients and employees keep their indexes, so
/// that every part's facts are laid out alike.
pub fn restrict(l: &mut Ledger, index: u64, count: u64) {
    let app = restrict_applications(l, index, count);
    let inv = restrict_invoices(l, index, count, &app);
    for e in [&mut l.collections, &mut l.write_offs, &mut l.fees] {
        let mask: Vec<bool> = e
            .invoice
            .iter()
            .map(|&i| inv[i as usize].is_some())
            .collect();
        keep(&mut e.invoice, &mask);
        keep(&mut e.date, &mask);
        keep(&mut e.amount, &mask);
        keep(&mut e.row, &mask);
        for i in &mut e.invoice {
            *i = inv[*i as usize].unwrap_or(u32::MAX);
        }
    }
    let r = &mut l.reviews;
    let ids = &l.employees.ids;
    let mask: Vec<bool> = r
        .employee
        .iter()
        .map(|&e| part_of(ids.name(e), count) == index)
        .collect();
    keep(&mut r.employee, &mask);
    keep(&mut r.day, &mask);
    keep(&mut r.source, &mask);
    keep(&mut r.score, &mask);
    keep(&mut r.row, &mask);
}

/// The part's applications; each old index's new one.
fn restrict_applications(l: &mut Ledger, index: u64, count: u64) -> Vec<Option<u32>> {
    let a = &mut l.applications;
    let mask: Vec<bool> = a
        .client
        .iter()
        .map(|&c| part_of(a.clients.name(c), count) == index)
        .collect();
    let (ids, app) = kept_ids(&a.ids, &mask);
    a.ids = ids;
    keep(&mut a.client, &mask);
    keep(&mut a.employee, &mask);
    keep(&mut a.received_at, &mask);
    keep(&mut a.received_day, &mask);
    keep(&mut a.decided_at, &mask);
    keep(&mut a.decided_day, &mask);
    keep(&mut a.decided_by, &mask);
    keep(&mut a.decision, &mask);
    keep(&mut a.funded_at, &mask);
    keep(&mut a.funded_day, &mask);
    keep(&mut a.requested_base, &mask);
    keep(&mut a.row, &mask);
    app
}

/// The part's invoices, their applications renumbered (`app`); each old index's new one.
fn restrict_invoices(
    l: &mut Ledger,
    index: u64,
    count: u64,
    app: &[Option<u32>],
) -> Vec<Option<u32>> {
    let v = &mut l.invoices;
    let mask: Vec<bool> = v
        .client
        .iter()
        .map(|&c| part_of(l.clients.name(c), count) == index)
        .collect();
    let (ids, inv) = kept_ids(&v.ids, &mask);
    v.ids = ids;
    keep(&mut v.client, &mask);
    keep(&mut v.currency, &mask);
    keep(&mut v.face, &mask);
    keep(&mut v.advance, &mask);
    keep(&mut v.purchase, &mask);
    keep(&mut v.due, &mask);
    keep(&mut v.originator, &mask);
    keep(&mut v.rate, &mask);
    keep(&mut v.row, &mask);
    keep(&mut v.application, &mask);
    // An invoice's application is one of its own client's (contract 1), so it is kept too.
    for x in &mut v.application {
        *x = x.and_then(|a| app[a as usize]);
    }
    inv
}
