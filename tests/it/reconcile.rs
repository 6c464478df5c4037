//! Reconciliation under bad input: random bad rows mixed into good data are quarantined, every
//! row read is used or rejected, and the figures of every employee the bad rows do not touch
//! equal those of the clean data.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use factorscore::metrics::registry::Val;
use factorscore::run::{load, score_window, window, RunOptions};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::common::{append_lines, read_csv};

const TABLES: [&str; 12] = [
    "invoices",
    "collections",
    "write_offs",
    "fees",
    "applications",
    "assignments",
    "employees",
    "org_history",
    "fx_rates",
    "reviews",
    "targets",
    "adjustments",
];

/// A pipeline over the CSV files of `dir`, every source quarantining.
fn pipeline(dir: &Path, plans_from: &Path) -> std::path::PathBuf {
    let mut text =
        String::from("name: reconcile\nbase_currency: CNY\ntimezone: Asia/Shanghai\nsources:\n");
    for t in TABLES {
        text.push_str(&format!(
            "  {t}: {{ path: {t}.csv, on_error: quarantine }}\n"
        ));
    }
    text.push_str("output: { path: out }\n");
    // The custom metrics and plans of the sample pipeline, so that composites are compared too.
    let sample = std::fs::read_to_string(plans_from).unwrap();
    if let Some(i) = sample
        .find("\nmetrics:")
        .or_else(|| sample.find("\nplans:"))
    {
        text.push_str(&sample[i + 1..]);
    }
    let p = dir.join("pipeline.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Bad rows added to a company, and what they are expected to do.
#[derive(Default)]
struct Injected {
    /// Rows expected in `rejects`, per table.
    rejected: HashMap<&'static str, usize>,
    /// Employees whose figures may change.
    touched: BTreeSet<String>,
}

impl Injected {
    fn add(&mut self, dir: &Path, table: &'static str, lines: Vec<String>) {
        *self.rejected.entry(table).or_insert(0) += lines.len();
        append_lines(&dir.join(format!("{table}.csv")), &lines);
    }
}

/// Mixes `n` random bad rows, each with a fresh id, into the company in `dir`. With
/// `repeat_existing`, one also repeats an existing collection's id, which rejects the original
/// too and touches the employees of that client.
fn inject(dir: &Path, seed: u64, n: usize, repeat_existing: bool) -> Injected {
    let mut rng = StdRng::seed_from_u64(seed);
    let invoices = read_csv(&dir.join("invoices.csv"));
    let written_off: BTreeSet<String> = read_csv(&dir.join("write_offs.csv"))
        .into_iter()
        .skip(1)
        .map(|r| r[1].clone())
        .collect();
    // CNY invoices never written off: an overpayment on them is always a rule break.
    let plain: Vec<&Vec<String>> = invoices
        .iter()
        .skip(1)
        .filter(|r| r[3] == "CNY" && !written_off.contains(&r[0]))
        .collect();
    let employees = read_csv(&dir.join("employees.csv"));
    let some_employee = employees[1][0].clone();
    let mut inj = Injected::default();
    for k in 0..n {
        let inv = plain[rng.random_range(0..plain.len())];
        let (id, face, purchase) = (&inv[0], &inv[4], &inv[6]);
        match rng.random_range(0..12) {
            0 => {
                // A bad invoice, its collections and its fee.
                let bad = format!("BADINV{k}");
                inj.add(
                    dir,
                    "invoices",
                    vec![format!(
                        "{bad},C00001,D1,CNY,0.00,0.00,2025-03-01,2025-04-01,{some_employee},true"
                    )],
                );
                let m = rng.random_range(1..3);
                inj.add(
                    dir,
                    "collections",
                    (0..m)
                        .map(|j| format!("BADK{k}x{j},{bad},2025-03-1{j},10.00"))
                        .collect(),
                );
                inj.add(dir, "fees", vec![format!("BADF{k},{bad},2025-03-02,5.00")]);
            }
            1 => inj.add(
                dir,
                "collections",
                vec![format!("BADK{k},{id},{purchase},\"1,234.50\"")],
            ),
            2 => inj.add(
                dir,
                "collections",
                vec![format!("BADK{k},{id},{purchase},12.345")],
            ),
            3 => inj.add(
                dir,
                "collections",
                vec![format!("BADK{k},{id},2000-01-01,1.00")],
            ),
            4 => {
                let over = factorscore::money::parse_money(face).unwrap() + 100;
                let amount = factorscore::money::format_cents(over);
                inj.add(
                    dir,
                    "collections",
                    vec![format!("BADK{k},{id},{purchase},{amount}")],
                );
            }
            5 => {
                let over = factorscore::money::parse_money(face).unwrap() * 2;
                let amount = factorscore::money::format_cents(over);
                inj.add(
                    dir,
                    "write_offs",
                    vec![format!("BADW{k},{id},{purchase},{amount}")],
                );
            }
            6 => {
                // A bad employee and what references them.
                let e = format!("BADE{k}");
                inj.add(
                    dir,
                    "employees",
                    vec![format!("{e},Ghost,2025-02-30,,1000.00")],
                );
                inj.add(
                    dir,
                    "org_history",
                    vec![format!("{e},2025-01-01,,East,East-1,sales,")],
                );
                inj.add(dir, "assignments", vec![format!("BADC{k},{e},2025-01-01,")]);
                inj.add(dir, "reviews", vec![format!("{e},2025-03-01,peer,50")]);
            }
            7 => inj.add(
                dir,
                "applications",
                vec![format!(
                    "BADA{k},C00001,{some_employee},2025-03-01T10:00:00,,maybe,,100.00,CNY"
                )],
            ),
            8 => inj.add(dir, "fees", vec![format!("BADF{k},{id},{purchase},0.00")]),
            9 => inj.add(
                dir,
                "reviews",
                vec![format!("{some_employee},2025-03-01,peer,abc")],
            ),
            10 => inj.add(
                dir,
                "fx_rates",
                vec![format!("XYZ,2025-01-0{},0", 1 + k % 9)],
            ),
            _ => inj.add(
                dir,
                "targets",
                vec![format!(
                    "2025-13,cash_recovery_rate,0.9,,,,account_manager,"
                )],
            ),
        }
    }
    if repeat_existing {
        let collections = read_csv(&dir.join("collections.csv"));
        let row = &collections[1 + rng.random_range(0..collections.len() - 1)];
        inj.add(
            dir,
            "collections",
            vec![format!("{},{},{},1.00", row[0], row[1], row[2])],
        );
        // The original leaves too.
        *inj.rejected.entry("collections").or_insert(0) += 1;
        let client = invoices.iter().find(|r| r[0] == row[1]).unwrap()[1].clone();
        for a in read_csv(&dir.join("assignments.csv")).iter().skip(1) {
            if a[0] == client {
                inj.touched.insert(a[1].clone());
            }
        }
    }
    inj
}

/// Every figure of every employee and period, and the composite, by employee id.
type Figures = HashMap<(String, usize), (Vec<Val>, Option<f64>)>;

fn figures(pipeline: &Path) -> (Figures, serde_json::Value) {
    let plan = factorscore::config::load(pipeline).unwrap();
    let loaded = load(&plan).unwrap();
    let w = window(&plan, &loaded.ledger, &RunOptions::default()).unwrap();
    let sc = score_window(&plan, &loaded, w).unwrap();
    let mut out = Figures::new();
    for (k, (cards, scores)) in sc.cards.iter().zip(&sc.scored.rows).enumerate() {
        for (c, s) in cards.iter().zip(scores) {
            let id = loaded.ledger.employees.ids.name(c.employee).to_string();
            out.insert(
                (id, k),
                (sc.facts.values(&plan.catalogue, c.employee, k), s.composite),
            );
        }
    }
    // The counts as a run reports them.
    let tmp = tempfile::tempdir().unwrap();
    let opts = RunOptions {
        out: Some(tmp.path().to_path_buf()),
        ..RunOptions::default()
    };
    let factorscore::run::Ran::Wrote(m) = factorscore::run::run(&plan, &opts).unwrap() else {
        panic!("a run into a new folder writes");
    };
    (out, serde_json::to_value(&m.inputs).unwrap())
}

fn check(make: impl Fn(&Path), seed: u64, n: usize, repeat_existing: bool) {
    let clean = tempfile::tempdir().unwrap();
    let dirty = tempfile::tempdir().unwrap();
    make(clean.path());
    make(dirty.path());
    let plans = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/monthly.yaml");
    let (want, _) = figures(&pipeline(clean.path(), &plans));
    let inj = inject(dirty.path(), seed, n, repeat_existing);
    let (got, inputs) = figures(&pipeline(dirty.path(), &plans));
    for i in inputs.as_array().unwrap() {
        let table = i["table"].as_str().unwrap();
        let (read, used, rejected) = (
            i["rows_read"].as_u64().unwrap(),
            i["rows_used"].as_u64().unwrap(),
            i["rows_rejected"].as_u64().unwrap(),
        );
        assert_eq!(read, used + rejected, "{table}: {i}");
        let expected = inj.rejected.get(table).copied().unwrap_or(0) as u64;
        assert_eq!(
            rejected, expected,
            "{table}: rejects are the injected rows and their cascades"
        );
    }
    let mut compared = 0;
    for (key, figs) in &want {
        if inj.touched.contains(&key.0) {
            continue;
        }
        assert_eq!(got.get(key), Some(figs), "{} in period {}", key.0, key.1);
        compared += 1;
    }
    assert!(compared > 0);
    if inj.touched.is_empty() {
        assert_eq!(got.len(), want.len());
    }
}

fn tiny(seed: u64) -> impl Fn(&Path) {
    move |dir: &Path| {
        let cfg = factorscore::generate::GenConfig::preset("tiny", seed).unwrap();
        factorscore::generate::write(&cfg, dir, false).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn bad_rows_are_rejected_and_leave_the_clean_figures(seed in 0u64..1_000_000, n in 1usize..25) {
        check(tiny(seed), seed, n, false);
    }
}

#[test]
fn a_repeated_id_rejects_both_rows_and_touches_only_that_clients_employees() {
    check(tiny(11), 11, 10, true);
}

/// The acceptance: the sample company with bad rows gives the clean figures for every
/// untouched employee, and its rejects are exactly the injected rows and their cascades.
#[test]
fn the_sample_with_bad_rows_gives_the_clean_figures_for_untouched_employees() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let copy = |dir: &Path| {
        for t in TABLES {
            std::fs::copy(
                sample.join(format!("{t}.csv")),
                dir.join(format!("{t}.csv")),
            )
            .unwrap();
        }
    };
    check(copy, 7, 30, true);
}
