//! Custom metrics (contract 3.1): an aggregate that imitates a built-in agrees with it on every
//! row and rollup of the sample company; the checks of a pipeline's `metrics` with their
//! messages.

use std::path::{Path, PathBuf};

use factorscore::catalogue::Catalogue;
use factorscore::metrics::registry::Val;
use factorscore::run::RunOptions;

use crate::cli::{bin, transcript};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sample pipeline with `metrics` added, written into `dir`.
fn sample_with(dir: &Path, metrics: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("pipelines/monthly.yaml")).unwrap();
    let data = root().join("sample_data");
    let text = text.replace("../sample_data", &data.display().to_string());
    // Ahead of the sample's own metrics, so that an error's line is the same whatever they are.
    let at = "\nmetrics:\n";
    let text = match text.find(at) {
        Some(i) => format!(
            "{}{at}{}{}",
            &text[..i],
            metrics.trim_start_matches('\n'),
            &text[i + at.len()..]
        ),
        None => format!("{text}{at}{}", metrics.trim_start_matches('\n')),
    };
    let p = dir.join("pipeline.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

/// The rollups of period `k` of a scored window.
fn rollup_frame(
    cat: &Catalogue,
    sc: &factorscore::run::Scorecards<'_>,
    k: usize,
) -> polars::prelude::DataFrame {
    let inputs = factorscore::rollups::Inputs {
        cat,
        f: &sc.facts,
        cards: &sc.cards,
        custom_groups: &sc.custom_groups,
    };
    factorscore::rollups::frame(&inputs, &mut Default::default(), k, &sc.scored.rows[k]).unwrap()
}

/// Pairs (custom metric, built-in) that must agree on every row: the custom one written the way
/// a company would write the built-in.
const IMITATIONS: &str = r#"
  - { name: my_cash, table: collections, agg: sum, column: amount }
  - { name: my_cash_filtered, table: collections, agg: sum, column: amount, filter: "amount >= 0.01 AND amount * 2 > 0.015 AND paid_on >= DATE '2000-01-01'" }
  - { name: my_recoveries, table: collections, agg: sum, column: recovery }
  - { name: my_written_off, table: write_offs, agg: sum, column: amount }
  - { name: my_fees, table: fees, agg: sum, column: amount }
  - { name: my_funded, table: invoices, agg: sum, column: advance_amount }
  - { name: my_face, table: invoices, agg: sum, column: face_amount }
  - { name: my_received, table: applications, agg: count }
  - { name: my_outstanding, table: balances, agg: sum, column: balance }
  - { name: my_overdue, table: balances, agg: sum, column: balance, filter: "days_past_due >= 1" }
  - { name: my_par30, table: balances, agg: sum, column: balance, filter: "days_past_due > 30" }
  - { name: my_par90, table: balances, agg: sum, column: balance, filter: "days_past_due > 90" }
  - { name: my_customer, table: reviews, agg: mean, column: score, filter: "source = 'customer'" }
  - { name: my_overdue_rate, expr: "overdue / outstanding" }
  - { name: my_profit, expr: "fee_income + recoveries - written_off" }
"#;

const PAIRS: [(&str, &str); 15] = [
    ("my_cash", "cash_collected"),
    ("my_cash_filtered", "cash_collected"),
    ("my_recoveries", "recoveries"),
    ("my_written_off", "written_off"),
    ("my_fees", "fee_income"),
    ("my_funded", "funded_volume"),
    ("my_face", "purchased_face"),
    ("my_received", "applications_received"),
    ("my_outstanding", "outstanding"),
    ("my_overdue", "overdue"),
    ("my_par30", "par30"),
    ("my_par90", "par90"),
    ("my_customer", "customer_satisfaction"),
    ("my_overdue_rate", "overdue_rate"),
    ("my_profit", "profit_contribution"),
];

fn same(a: Val, b: Val) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

#[test]
fn custom_aggregates_agree_with_the_builtins_they_imitate_on_every_row_and_rollup() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = sample_with(tmp.path(), IMITATIONS);
    for grain in ["month", "quarter"] {
        let plan = factorscore::config::load(&pipeline).expect("pipeline loads");
        let loaded = factorscore::run::load(&plan).expect("input is valid");
        let opts = RunOptions {
            from: Some(
                if grain == "month" {
                    "2025-01"
                } else {
                    "2025-Q1"
                }
                .into(),
            ),
            to: Some(
                if grain == "month" {
                    "2025-12"
                } else {
                    "2025-Q4"
                }
                .into(),
            ),
            grain: Some(if grain == "month" {
                factorscore::periods::Grain::Month
            } else {
                factorscore::periods::Grain::Quarter
            }),
            ..Default::default()
        };
        let window = factorscore::run::window(&plan, &loaded.ledger, &opts).expect("window");
        let sc = factorscore::run::score_window(&plan, &loaded, window).expect("scores");
        let cat: &Catalogue = &plan.catalogue;
        let f = &sc.facts;
        let ids: Vec<_> = PAIRS
            .iter()
            .map(|(c, b)| (cat.id(c).unwrap(), cat.id(b).unwrap(), *c))
            .collect();
        let mut checked = 0;
        for k in 0..f.window.len() {
            for e in 0..f.entities as u32 {
                for &(c, b, name) in &ids {
                    let (x, y) = (f.value(cat, e, k, c), f.value(cat, e, k, b));
                    assert!(
                        same(x, y),
                        "{grain} entity {e} period {k} {name}: {x} vs {y}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 4_000, "{checked} values compared");
        for k in sc.first_written..sc.cards.len() {
            let df = rollup_frame(cat, &sc, k);
            for (c, b) in PAIRS {
                let (x, y) = (df.column(c).unwrap(), df.column(b).unwrap());
                let (x, y) = (
                    x.cast(&polars::prelude::DataType::Float64).unwrap(),
                    y.cast(&polars::prelude::DataType::Float64).unwrap(),
                );
                let (x, y) = (x.f64().unwrap(), y.f64().unwrap());
                for (i, (a, b2)) in x.iter().zip(y.iter()).enumerate() {
                    let ok = match (a, b2) {
                        (None, None) => true,
                        (Some(a), Some(b2)) => (a - b2).abs() <= 1e-9 * a.abs().max(1.0),
                        _ => false,
                    };
                    assert!(
                        ok,
                        "{grain} rollup row {i} of period {k}: {c} {a:?} vs {b} {b2:?}"
                    );
                }
            }
        }
    }
}

/// Every check of a pipeline's `metrics`, reported together with its place.
#[test]
fn every_custom_metric_error_is_reported_at_once_with_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let metrics = r#"
  - { name: Bad-Name, table: fees, agg: sum, column: amount }
  - { name: outstanding, table: fees, agg: sum, column: amount }
  - { name: twice, table: fees, agg: sum, column: amount }
  - { name: twice, table: fees, agg: sum, column: amount }
  - { name: t1, table: colections, agg: sum, column: amount }
  - { name: t2, table: fees, agg: summ, column: amount }
  - { name: t3, table: fees, agg: sum, column: amout }
  - { name: t4, table: invoices, agg: sum, column: debtor_id }
  - { name: t5, table: fees, agg: quantile, column: amount }
  - { name: t6, table: fees, agg: quantile, column: amount, q: 1.5 }
  - { name: t7, table: fees, agg: mean, column: amount, q: 0.5 }
  - { name: t8, table: invoices, agg: count, filter: "invoice.recourse = false" }
  - { name: t9, table: fees, agg: sum, column: amount, filter: "amount + 1" }
  - { name: t10, table: fees, agg: sum, column: amount, filter: "invoice.recours = true" }
  - { name: t11, table: fees, agg: sum }
  - { name: t12, expr: "fee_incom / funded_volume" }
  - { name: t13, expr: "sqrt(fee_income)" }
  - { name: t14, expr: "t15 + 1" }
  - { name: t15, expr: "t14 * 2" }
  - { name: t16, expr: "fee_income /", }
  - { name: t17, table: fees, agg: sum, column: amount, expr: "fee_income" }
  - { name: t18, expr: "'text' + 1" }
  - { name: months, table: fees, agg: count }
  - { name: t19, table: invoices, agg: count, column: debtor_id }
  - { name: t20, table: invoices, agg: count, filter: "purchase_date >= '10/02/2024'" }
  - { name: t21, table: collections, agg: count, filter: "paid_on > invoice.due_date + 1.5" }
  - { name: t22, table: applications, agg: count, filter: "decided_at - received_at > 100" }
  - { name: t23, table: collections, agg: count, filter: "invoice_id > 5" }
  - { name: t24, table: invoices, agg: count, filter: "due_date < DATE '2024-02-30'" }
"#;
    let pipeline = sample_with(tmp.path(), metrics);
    let o = bin().arg("validate").arg(&pipeline).output().unwrap();
    insta::assert_snapshot!(transcript(&o, tmp.path()));
}

/// A name declared first as an aggregate and then as a derived metric is reported as declared
/// twice, and the run stops with exit 1 (it once panicked, looking for the aggregate's `expr`).
#[test]
fn a_name_declared_as_an_aggregate_and_as_a_derived_metric_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let metrics = r#"
  - { name: x, table: fees, agg: sum, column: amount }
  - { name: x, expr: "fee_income" }
"#;
    let pipeline = sample_with(tmp.path(), metrics);
    let o = bin().arg("validate").arg(&pipeline).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", transcript(&o, tmp.path()));
    insta::assert_snapshot!(transcript(&o, tmp.path()));
}

/// `factorscore metrics PIPELINE` lists the custom metrics after the built-ins.
#[test]
fn the_metrics_command_lists_a_pipelines_custom_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let pipeline = sample_with(
        tmp.path(),
        "  - { name: my_nonrecourse, description: Cash on non-recourse invoices, table: collections, agg: sum, column: amount, filter: \"invoice.recourse = false\" }\n  - { name: my_yield, expr: \"fee_income / nullif(funded_volume, 0)\" }\n",
    );
    let o = bin().arg("metrics").arg(&pipeline).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let text = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let n = factorscore::catalogue::builtin::BUILTINS.len();
    // The built-ins, then the two declared here, then the sample's own five.
    assert_eq!(lines.len(), n + 2 + 5, "{text}");
    assert!(lines[n].starts_with("my_nonrecourse"), "{text}");
    assert!(lines[n].contains("Decimal(38, 2)"), "{text}");
    assert!(lines[n + 1].starts_with("my_yield"), "{text}");
    assert!(lines[n + 1].contains("Float64"), "{text}");
    assert!(lines[n + 2].starts_with("nonrecourse_cash"), "{text}");
}

/// The hand-computed fixture (tests/fixtures/custom_metrics/README.md): every aggregate kind and
/// table, filters on `invoice.` columns, money at the booking rate, `lag` across the window's edge,
/// count_distinct and a mean over the union of a team's rows, a derived ratio of sums.
#[test]
fn custom_metrics_match_the_hand_computed_fixture() {
    use factorscore::periods::Grain;
    let pipeline = crate::common::fixture("custom_metrics/pipeline.yaml");
    let plan = factorscore::config::load(&pipeline).expect("pipeline loads");
    let loaded = factorscore::run::load(&plan).expect("input is valid");
    let run = |grain: Grain, from: &str, to: &str| {
        let opts = RunOptions {
            from: Some(from.into()),
            to: Some(to.into()),
            grain: Some(grain),
            ..Default::default()
        };
        let w = factorscore::run::window(&plan, &loaded.ledger, &opts).unwrap();
        factorscore::run::score_window(&plan, &loaded, w).unwrap()
    };
    let cat = &plan.catalogue;
    let sc = run(Grain::Month, "2024-02", "2024-03");
    let f = &sc.facts;
    let k_of = |label: &str| {
        let p = f.window.cal.parse_label(label).unwrap();
        f.window.index_of_period(p).unwrap()
    };
    let emp = |id: &str| loaded.ledger.employees.ids.get(id).unwrap();
    let v = |id: &str, label: &str, m: &str| {
        f.value(cat, emp(id), k_of(label), cat.id(m).unwrap())
            .to_string()
    };
    let want = [
        ("E1", "2024-02", "nonrecourse_cash", "0.00"),
        ("E2", "2024-02", "nonrecourse_cash", "2137.04"),
        ("E2", "2024-03", "nonrecourse_cash", "1000.00"),
        ("E1", "2024-02", "collection_count", "2"),
        ("E2", "2024-03", "collection_count", "2"),
        ("E1", "2024-02", "distinct_debtors", "2"),
        ("E2", "2024-02", "distinct_debtors", "1"),
        ("E1", "2024-02", "avg_fee", "20"),
        ("E2", "2024-03", "avg_fee", "-10"),
        ("E1", "2024-02", "max_cny_write_off", "null"),
        ("E2", "2024-02", "max_cny_write_off", "4000.00"),
        ("E2", "2024-03", "max_cny_write_off", "null"),
        ("E1", "2024-02", "min_face", "1000.00"),
        ("E2", "2024-03", "min_face", "null"),
        ("E1", "2024-02", "median_requested", "1000"),
        ("E2", "2024-03", "median_requested", "3650"),
        ("E1", "2024-02", "p75_customer_review", "85"),
        ("E2", "2024-03", "p75_customer_review", "null"),
        ("E1", "2024-02", "late_balance", "3000.00"),
        ("E2", "2024-03", "late_balance", "712.35"),
        ("E1", "2024-02", "cash_growth", "2"),
        ("E1", "2024-02", "growth_capped", "1"),
        ("E1", "2024-02", "fee_yield", "0.05"),
        ("E2", "2024-03", "fee_yield", "null"),
        ("E2", "2024-03", "fee_yield_or_zero", "0"),
        ("E1", "2024-02", "cash_swing", "2000"),
        ("E4", "2024-02", "cash_growth", "null"),
        ("E4", "2024-02", "growth_capped", "null"),
        ("E4", "2024-02", "fee_yield_or_zero", "0"),
        // Filters as SQL reads them: date arithmetic in days, timestamps and the literals beside
        // them in the pipeline's timezone, text beside a date, a mixed IN list, names in any case.
        ("E1", "2024-02", "days_late_count", "1"),
        ("E2", "2024-02", "days_late_count", "1"),
        ("E1", "2024-02", "very_late_cash", "0.00"),
        ("E2", "2024-02", "very_late_cash", "2137.04"),
        ("E1", "2024-02", "apps_since_feb", "2"),
        ("E2", "2024-02", "apps_since_feb", "1"),
        ("E2", "2024-03", "apps_since_feb", "2"),
        ("E1", "2024-02", "decided_in_window", "0"),
        ("E2", "2024-02", "decided_in_window", "1"),
        ("E2", "2024-02", "funded_from_nine", "1"),
        ("E1", "2024-02", "bought_from_feb_10", "1"),
        ("E2", "2024-02", "bought_from_feb_10", "0"),
        ("E1", "2024-03", "bought_from_feb_10", "1"),
        ("E1", "2024-02", "round_cash_count", "1"),
        ("E2", "2024-02", "round_cash_count", "1"),
        ("E1", "2024-03", "round_cash_count", "1"),
        ("E2", "2024-03", "round_cash_count", "1"),
        ("E1", "2024-02", "big_nonrecourse_count", "0"),
        ("E2", "2024-02", "big_nonrecourse_count", "1"),
        ("E2", "2024-03", "big_nonrecourse_count", "1"),
    ];
    for (id, label, m, w) in want {
        assert_eq!(v(id, label, m), w, "{id} {label} {m}");
    }
    let e2_growth = f
        .value(
            cat,
            emp("E2"),
            k_of("2024-02"),
            cat.id("cash_growth").unwrap(),
        )
        .as_f64()
        .unwrap();
    assert!((e2_growth - (2137.04 / 3561.73 - 1.0)).abs() < 1e-15);
    // Team Collect: the union of its members' rows, and derived metrics on its own sums.
    let collect = |label: &str, m: &str| {
        let k = k_of(label);
        let df = rollup_frame(cat, &sc, k);
        let keys = df.column("key").unwrap().str().unwrap().clone();
        let levels = df.column("level").unwrap().str().unwrap().clone();
        let i = (0..df.height())
            .find(|&i| keys.get(i) == Some("Collect") && levels.get(i) == Some("team"))
            .unwrap();
        let c = df
            .column(m)
            .unwrap()
            .cast(&polars::prelude::DataType::Float64)
            .unwrap();
        c.f64().unwrap().get(i)
    };
    let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 1e-12);
    assert!(near(collect("2024-02", "distinct_debtors"), 2.0));
    // The mean of the union of the team's fees, not the mean of the two means (40).
    assert!(near(collect("2024-02", "avg_fee"), 100.0 / 3.0));
    assert!(near(collect("2024-02", "p75_customer_review"), 82.5));
    assert!(near(collect("2024-02", "median_requested"), 2000.0));
    // The ratio of the team's sums, not the mean of its members' ratios (0.0375).
    assert!(near(collect("2024-02", "fee_yield"), 0.03125));
    assert!(near(collect("2024-02", "nonrecourse_cash"), 2137.04));
    assert_eq!(collect("2024-03", "max_cny_write_off"), None);
    assert!(near(collect("2024-02", "days_late_count"), 2.0));
    assert!(near(collect("2024-02", "very_late_cash"), 2137.04));
    assert!(near(collect("2024-02", "apps_since_feb"), 3.0));
    assert!(near(collect("2024-02", "round_cash_count"), 2.0));
    assert!(near(
        collect("2024-02", "cash_growth"),
        5137.04 / 4561.73 - 1.0
    ));
    assert!(near(
        collect("2024-03", "cash_growth"),
        2600.0 / 5137.04 - 1.0
    ));
    // A quarter run: lag reads 2023-Q4, outside the window.
    let q = run(Grain::Quarter, "2024-Q1", "2024-Q1");
    let kq = q.facts.window.len() - 1;
    let qv = |id: &str, m: &str| {
        q.facts
            .value(cat, emp(id), kq, cat.id(m).unwrap())
            .to_string()
    };
    assert_eq!(qv("E1", "cash_growth"), "0.25");
    assert_eq!(qv("E2", "cash_growth"), "null");
    assert_eq!(qv("E1", "median_requested"), "1750");
}

/// The columns a run builds from the ledger are not kept raw (`CustomTable::from_ledger`): each
/// must then really be built from the ledger. A name listed there but read raw would be freed
/// after the checks and read as null: its count of non-null rows over the sample would be 0.
#[test]
fn every_column_built_from_the_ledger_has_values_once_the_raw_tables_are_freed() {
    use factorscore::catalogue::custom::{CustomTable, INVOICE_PREFIX};
    let mut metrics = String::new();
    let mut names = Vec::new();
    for t in CustomTable::ALL {
        for (col, _) in t.columns() {
            let inner = col.strip_prefix(INVOICE_PREFIX);
            let of = if inner.is_some() {
                CustomTable::Invoices
            } else {
                t
            };
            if !of.from_ledger(inner.unwrap_or(&col)) {
                continue;
            }
            let name = format!("nn_{}_{}", t.name(), col.replace('.', "_"));
            metrics.push_str(&format!(
                "  - {{ name: {name}, table: {}, agg: count, filter: \"{col} IS NOT NULL\" }}\n",
                t.name()
            ));
            names.push((name, t, col));
        }
    }
    assert!(names.len() > 30, "{names:?}");
    let dir = tempfile::tempdir().unwrap();
    let plan = factorscore::config::load(&sample_with(dir.path(), &metrics)).expect("loads");
    let loaded = factorscore::run::load(&plan).expect("input is valid");
    for t in factorscore::checkpoint::HELD {
        let raw = loaded.raw.iter().find(|r| r.table == t).unwrap();
        assert!(
            raw.df.width() <= 2,
            "{t:?} still holds {:?}: the test would not see a column freed",
            raw.df.get_column_names()
        );
    }
    let w = factorscore::run::window(&plan, &loaded.ledger, &RunOptions::default()).unwrap();
    let sc = factorscore::run::score_window(&plan, &loaded, w).unwrap();
    let (cat, f) = (&plan.catalogue, &sc.facts);
    for (name, t, col) in &names {
        let id = cat.id(name).unwrap();
        let total: i64 = (0..f.entities as u32)
            .flat_map(|e| (0..f.window.len()).map(move |k| (e, k)))
            .map(|(e, k)| match f.value(cat, e, k, id) {
                Val::Count(n) => n,
                v => panic!("{name}: {v:?}"),
            })
            .sum();
        assert!(total > 0, "{}.{col}: no row has a value", t.name());
    }
}
