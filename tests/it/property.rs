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

pub(crate) const PIPELINE: &str = r#"
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
plans:
  - name: am
    role: account_manager
    valid_from: 2025-01
    valid_to: 2025-06
    kpis:
      - { metric: cash_recovery_rate, weight: 0.5, perspective: financial, direction: higher, threshold: 0.5, target: 0.8, stretch: 0.95 }
      - { metric: par30_rate, weight: 0.3, perspective: financial, direction: lower, threshold: 0.3, target: 0.1, stretch: 0.02 }
      - { metric: fee_income, weight: 0.2, perspective: financial, direction: higher, threshold: 0, target: 50000, stretch: 150000 }
  - name: am-late
    role: account_manager
    valid_from: 2025-07
    calibration_group: [team]
    swing_threshold: 10
    kpis:
      - { metric: bad_debt_rate, weight: 0.7, perspective: financial, direction: lower, threshold: 0.05, target: 0.01, stretch: 0 }
      - { metric: customer_satisfaction, weight: 0.3, perspective: customer, direction: higher, threshold: 50, target: 75, stretch: 90 }
  - name: sales
    role: sales
    valid_from: 2025-01
    calibration_group: [department]
    kpis:
      - { metric: funded_volume, weight: 0.6, perspective: financial, direction: higher, threshold: 100000, target: 1000000, stretch: 3000000 }
      - { metric: approval_rate, weight: 0.4, perspective: process, direction: higher, threshold: 0.3, target: 0.7, stretch: 0.9 }
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
        .names()
        .map(str::to_string)
        .chain(["UNASSIGNED".to_string()])
        .collect();
    let all_cards = factorscore::cards::cards(l, &w);
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
        // The company rollup of the period: its money is the ledger's.
        let k = w.index_of_period(p).unwrap();
        let scores = vec![factorscore::scoring::RowScore::default(); all_cards[k].len()];
        let cat = factorscore::catalogue::Catalogue::default();
        let custom_groups = Default::default();
        let inputs = factorscore::rollups::Inputs {
            cat: &cat,
            f: &facts,
            cards: &all_cards,
            custom_groups: &custom_groups,
        };
        let df = factorscore::rollups::frame(&inputs, &mut Default::default(), k, &scores).unwrap();
        let company = |name: &str| -> i64 {
            let v = df
                .column(name)
                .unwrap()
                .decimal()
                .unwrap()
                .physical()
                .get(0)
                .unwrap();
            i64::try_from(v).unwrap()
        };
        assert_eq!(
            df.column("level").unwrap().str().unwrap().get(0),
            Some("company")
        );
        assert_eq!(
            company("cash_collected"),
            want_cash,
            "company cash_collected {label}"
        );
        assert_eq!(
            company("written_off"),
            want_wo,
            "company written_off {label}"
        );
        assert_eq!(
            company("fee_income"),
            want_fees,
            "company fee_income {label}"
        );
        assert_eq!(
            company("recoveries"),
            want_rec,
            "company recoveries {label}"
        );
        assert_eq!(
            company("outstanding"),
            want_out,
            "company outstanding {label}"
        );
    }
    assert!(
        l.collections.len() > 100 && !l.write_offs.is_empty(),
        "the generated ledger is not trivial"
    );
}

/// Checks of the scores of a generated company: every composite is the sum of its KPIs'
/// weighted scores, and a one-period run gives every period the backfill's scores and sums.
fn check_scores(seed: u64, grain: Grain) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = GenConfig::preset("tiny", seed).unwrap();
    factorscore::generate::write(&cfg, tmp.path(), false).unwrap();
    std::fs::write(tmp.path().join("pipeline.yaml"), PIPELINE).unwrap();
    let plan = factorscore::config::load(&tmp.path().join("pipeline.yaml")).unwrap();
    let loaded = factorscore::run::load(&plan).unwrap();
    let opts = RunOptions {
        grain: Some(grain),
        ..Default::default()
    };
    let w = factorscore::run::window(&plan, &loaded.ledger, &opts).unwrap();
    let full = factorscore::run::score_window(&plan, &loaded, w).unwrap();
    let mut rated = 0;
    for (k, rows) in full.scored.rows.iter().enumerate() {
        for s in rows {
            let sum: f64 = s.kpis.iter().map(|k| k.weighted_score).sum();
            match s.composite {
                Some(c) => assert_eq!(c, sum, "composite = sum of weighted scores"),
                None => assert!(s.kpis.iter().all(|k| k.score.is_none())),
            }
            rated += usize::from(s.plan.is_some());
        }
        if k == 0 {
            continue;
        }
        // A run of this period alone scores it as the backfill did.
        let p = w.first + k as i32 - 1;
        let one = factorscore::run::score_window(
            &plan,
            &loaded,
            factorscore::metrics::Window {
                first: p,
                last: p,
                ..w
            },
        )
        .unwrap();
        let key = |s: &factorscore::scoring::RowScore| {
            (
                s.plan,
                s.composite.map(f64::to_bits),
                s.grade,
                s.percentile.map(f64::to_bits),
                s.zscore.map(f64::to_bits),
                s.review_flag,
                s.bonus_uncapped,
                s.bonus,
            )
        };
        let a: Vec<_> = rows.iter().map(key).collect();
        let b: Vec<_> = one.scored.rows[1].iter().map(key).collect();
        assert_eq!(a, b, "period {} alone", w.cal.label(p));
        // So are its sums: the backfill's balance grid, built a block of months at a time and
        // carried from block to block, gives each period end the balances of a grid of the
        // period alone.
        for e in 0..full.facts.entities as u32 {
            assert_eq!(
                full.facts.at(e, k),
                one.facts.at(e, 1),
                "sums of entity {e} in {} alone",
                w.cal.label(p)
            );
        }
    }
    assert!(rated > 0, "the plans rate some rows");
}

/// The rows of each invoice event file in an order of `seed`'s choosing (reversed, or rotated
/// by a seeded amount, or interleaved), with the header first.
fn reorder_events(dir: &std::path::Path, seed: u64) {
    for name in ["collections.csv", "write_offs.csv", "fees.csv"] {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let header = lines.remove(0);
        let n = lines.len().max(1);
        match seed % 3 {
            0 => lines.reverse(),
            1 => lines.rotate_left(seed as usize % n),
            _ => {
                let (even, odd): (Vec<_>, Vec<_>) =
                    lines.iter().enumerate().partition(|(i, _)| i % 2 == 0);
                lines = odd.into_iter().chain(even).map(|(_, l)| *l).collect();
            }
        }
        let mut out = String::from(header);
        for l in lines {
            out.push('\n');
            out.push_str(l);
        }
        out.push('\n');
        std::fs::write(&path, out).unwrap();
    }
}

/// Events found by the invoice after the last one found (files listed by invoice) and through the
/// hash table (any other order) give the same figures.
fn check_event_order(seed: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = GenConfig::preset("tiny", seed).unwrap();
    factorscore::generate::write(&cfg, tmp.path(), false).unwrap();
    std::fs::write(tmp.path().join("pipeline.yaml"), PIPELINE).unwrap();
    let pipeline = tmp.path().join("pipeline.yaml");
    // As generated, collections are listed by invoice in the invoices' order.
    let rows = read_csv(&tmp.path().join("collections.csv"));
    let at = rows[0].iter().position(|c| c == "invoice_id").unwrap();
    assert!(rows[1..].windows(2).all(|w| w[0][at] <= w[1][at]));
    let (_, listed) = compute(&pipeline, &RunOptions::default());
    reorder_events(tmp.path(), seed);
    let (_, shuffled) = compute(&pipeline, &RunOptions::default());
    assert_eq!(listed.window, shuffled.window);
    assert!(listed.sums().any(|s| s.flow.cash_collected != 0));
    assert!(
        listed.sums().eq(shuffled.sums()),
        "the figures depend on the order of the events"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn the_order_of_event_rows_changes_no_figure(seed in 0u64..1_000_000) {
        check_event_order(seed);
    }

    #[test]
    fn company_totals_equal_the_ledger(seed in 0u64..1_000_000, quarter in any::<bool>()) {
        check_company(seed, if quarter { Grain::Quarter } else { Grain::Month });
    }

    #[test]
    fn scores_add_up_and_do_not_depend_on_the_window(seed in 0u64..1_000_000, quarter in any::<bool>()) {
        check_scores(seed, if quarter { Grain::Quarter } else { Grain::Month });
    }
}
