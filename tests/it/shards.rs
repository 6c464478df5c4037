//! The premise of issue 17 (docs/partials.md): the ledger split by the xxh3 of each client's id,
//! each part swept and its facts computed alone, then the facts added, gives the facts of the
//! whole ledger exactly: every sum of every entity and period, and every time-to-fund and
//! decision-time sample. Reviews, which name no client, are split by the employee's id, so that
//! one employee's review scores are summed on one part in file order, as one machine sums them.

use std::collections::HashMap;

use factorscore::generate::GenConfig;
use factorscore::metrics::{Facts, Sums};
use factorscore::model::{Interner, Ledger};
use factorscore::run::RunOptions;
use factorscore::tables::Table;
use proptest::prelude::*;

use crate::common::compute;
use crate::property::PIPELINE;

/// The part of `n` an id falls in.
fn part_of(id: &str, n: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes()) % n
}

/// Keeps the values whose flag is set.
fn keep<T>(v: &mut Vec<T>, mask: &[bool]) {
    let mut flags = mask.iter();
    v.retain(|_| *flags.next().expect("one flag per value"));
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

/// Leaves in `l` only part `k` of `n`: the applications and invoices of its clients, their
/// events, and the reviews of its employees. Clients and employees keep their indexes.
fn restrict(l: &mut Ledger, k: u64, n: u64) {
    let a = &mut l.applications;
    let mask: Vec<bool> = a
        .client
        .iter()
        .map(|&c| part_of(a.clients.name(c), n) == k)
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

    let v = &mut l.invoices;
    let mask: Vec<bool> = v
        .client
        .iter()
        .map(|&c| part_of(l.clients.name(c), n) == k)
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
    for x in v.application.iter_mut().flatten() {
        *x = app[*x as usize].expect("an invoice's application is of its client");
    }

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
            *i = inv[*i as usize].expect("kept");
        }
    }

    let r = &mut l.reviews;
    let ids = &l.employees.ids;
    let mask: Vec<bool> = r
        .employee
        .iter()
        .map(|&e| part_of(ids.name(e), n) == k)
        .collect();
    keep(&mut r.employee, &mask);
    keep(&mut r.day, &mask);
    keep(&mut r.source, &mask);
    keep(&mut r.score, &mask);
    keep(&mut r.row, &mask);
}

/// The facts of part `k` of `n` over `whole`'s window.
fn part_facts(pipeline: &std::path::Path, whole: &Facts, k: u64, n: u64) -> Facts {
    let (mut loaded, _) = compute(pipeline, &RunOptions::default());
    restrict(&mut loaded.ledger, k, n);
    let raw = |t: Table| loaded.raw.iter().find(|r| r.table == t).expect("read");
    let mut problems = loaded.problems.child();
    let swept = factorscore::ledger::sweep(
        &loaded.ledger,
        raw(Table::Collections),
        raw(Table::WriteOffs),
        &mut problems,
    );
    assert!(problems.is_empty(), "a generated company breaks no rule");
    factorscore::metrics::compute(&loaded.ledger, &swept, whole.window, true)
}

type Samples = HashMap<(u32, u32), Vec<f64>>;

/// Adds `b`'s samples to `a`'s.
fn add_samples(a: &mut Samples, b: Samples) {
    for (key, v) in b {
        a.entry(key).or_default().extend(v);
    }
}

fn sorted(mut s: Samples) -> Samples {
    for v in s.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    s
}

fn check_parts(seed: u64, n: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = GenConfig::preset("tiny", seed).unwrap();
    factorscore::generate::write(&cfg, tmp.path(), false).unwrap();
    let pipeline = tmp.path().join("pipeline.yaml");
    std::fs::write(&pipeline, PIPELINE).unwrap();
    let (_, whole) = compute(&pipeline, &RunOptions::default());
    let mut sums = vec![Sums::default(); whole.sums().len()];
    let (mut ttf, mut hours) = (Samples::new(), Samples::new());
    let mut nonempty = 0;
    for k in 0..n {
        let f = part_facts(&pipeline, &whole, k, n);
        nonempty += usize::from(f.sums().any(|s| s.flow.purchased_face != 0));
        for (a, b) in sums.iter_mut().zip(f.sums()) {
            a.add(&b);
        }
        add_samples(&mut ttf, f.time_to_fund);
        add_samples(&mut hours, f.decision_hours);
    }
    assert!(
        nonempty > 1 || n == 1,
        "the clients fall in more than one part"
    );
    assert!(
        sums.into_iter().eq(whole.sums()),
        "the parts' sums add up to the whole's"
    );
    assert_eq!(sorted(ttf), whole.time_to_fund);
    assert_eq!(sorted(hours), whole.decision_hours);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn facts_of_client_parts_add_up_to_the_whole(
        seed in 0u64..1_000_000,
        n in prop::sample::select(vec![1u64, 2, 3, 7]),
    ) {
        check_parts(seed, n);
    }
}
