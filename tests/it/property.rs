//! Invariants on generated companies: every fact lands with exactly one entity, so company totals
//! (employees plus UNASSIGNED) equal the ledger, and outstanding at each period end equals the
//! ledger balance replayed invoice by invoice.

use factorscore::generate::GenConfig;
use factorscore::metrics::registry::Val;
use factorscore::money::convert;
use factorscore::periods::Grain;
use factorscore::run::RunOptions;
use proptest::prelude::*;

use crate::common::*;

const PIPELINE: &str = r#"
name: property
base_currency: CNY
timezone: Asia/Shanghai
sources:
  invoices: { path: invoices.csv }
  collections: { path: collections.csv }
  write_offs: { path: write_offs.csv }
  fees: { path: fees.csv }
  applications: { path: applications.csv }
  assignments: { path: assignments.csv }
  employees: { path: employees.csv }
  org_history: { path: org_history.csv }
  fx_rates: { path: fx_rates.csv }
  reviews: { path: reviews.csv }
output: { path: out }
"#;

fn money(v: Val) -> i64 {
    match v {
        Val::Money(c) => c,
        other => panic!("not money: {other:?}"),
    }
}

fn check_company(seed: u64, grain: Grain) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = GenConfig::preset("tiny", seed).unwrap();
    factorscore::generate::write(&cfg, tmp.path(), false).unwrap();
    std::fs::write(tmp.path().join("pipeline.yaml"), PIPELINE).unwrap();
    let opts = RunOptions {
        grain: Some(grain),
        ..Default::default()
    };
    let (loaded, facts) = compute(&tmp.path().join("pipeline.yaml"), &opts);
    let (l, s, w) = (&loaded.ledger, &loaded.swept, facts.window);
    let ids: Vec<String> = l
        .employees
        .ids
        .names
        .iter()
        .cloned()
        .chain(["UNASSIGNED".to_string()])
        .collect();
    for p in w.periods() {
        let label = w.cal.label(p);
        let (ps, pe) = (w.cal.start(p), w.cal.end(p));
        let total = |name: &str| -> i64 {
            ids.iter()
                .map(|id| money(get(&metrics(&loaded, &facts, id, &label), name)))
                .sum()
        };
        let in_p = |d: i32| ps <= d && d <= pe;
        let col = &l.collections;
        let want_cash: i64 = (0..col.len())
            .filter(|&j| in_p(col.date[j]))
            .map(|j| convert(col.amount[j], l.invoices.rate[col.invoice[j] as usize]))
            .sum();
        let want_wo: i64 = (0..l.write_offs.len())
            .filter(|&j| in_p(l.write_offs.date[j]))
            .map(|j| {
                convert(
                    l.write_offs.amount[j],
                    l.invoices.rate[l.write_offs.invoice[j] as usize],
                )
            })
            .sum();
        let want_fees: i64 = (0..l.fees.len())
            .filter(|&j| in_p(l.fees.date[j]))
            .map(|j| {
                convert(
                    l.fees.amount[j],
                    l.invoices.rate[l.fees.invoice[j] as usize],
                )
            })
            .sum();
        let want_rec: i64 = (0..col.len())
            .filter(|&j| in_p(col.date[j]))
            .map(|j| s.recovery_base[j])
            .sum();
        assert_eq!(total("cash_collected"), want_cash, "cash_collected {label}");
        assert_eq!(total("written_off"), want_wo, "written_off {label}");
        assert_eq!(total("fee_income"), want_fees, "fee_income {label}");
        assert_eq!(total("recoveries"), want_rec, "recoveries {label}");
        // Outstanding: replay each invoice's events up to the period end.
        let mut want_out = 0i64;
        for i in 0..l.invoices.face.len() {
            if l.invoices.purchase[i] > pe {
                continue;
            }
            let mut ev: Vec<(i32, u8, i64)> = (0..col.len())
                .filter(|&j| col.invoice[j] as usize == i && col.date[j] <= pe)
                .map(|j| (col.date[j], 0, col.amount[j]))
                .collect();
            ev.extend(
                (0..l.write_offs.len())
                    .filter(|&j| {
                        l.write_offs.invoice[j] as usize == i && l.write_offs.date[j] <= pe
                    })
                    .map(|j| (l.write_offs.date[j], 1, l.write_offs.amount[j])),
            );
            ev.sort();
            let bal = ev.iter().fold(l.invoices.face[i], |b, e| (b - e.2).max(0));
            want_out += convert(bal, l.invoices.rate[i]);
        }
        assert_eq!(total("outstanding"), want_out, "outstanding {label}");
    }
    assert!(
        l.collections.len() > 100 && l.write_offs.len() > 0,
        "the generated ledger is not trivial"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn company_totals_equal_the_ledger(seed in 0u64..1_000_000, quarter in any::<bool>()) {
        check_company(seed, if quarter { Grain::Quarter } else { Grain::Month });
    }
}
