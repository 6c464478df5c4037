//! The premise of issue 17 (docs/partials.md): the ledger split by the xxh3 of each client's id,
//! each part swept and its facts computed alone, then the facts added, gives the facts of the
//! whole ledger exactly: every sum of every entity and period, and every time-to-fund and
//! decision-time sample. Reviews, which name no client, are split by the employee's id, so that
//! one employee's review scores are summed on one part in file order, as one machine sums them.
//! The parts' facts go through their files (`factorscore::partials`) and are merged from them.

use factorscore::generate::GenConfig;
use factorscore::metrics::Facts;
use factorscore::partials::split::restrict;
use factorscore::partials::{merge, MergeError, Partial, Run};
use factorscore::run::RunOptions;
use factorscore::tables::Table;
use proptest::prelude::*;

use crate::common::compute;
use crate::property::PIPELINE;

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

/// A generated tiny company in a fresh folder, its pipeline, and the facts of a run over it.
fn tiny(seed: u64) -> (tempfile::TempDir, std::path::PathBuf, Facts) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = GenConfig::preset("tiny", seed).unwrap();
    factorscore::generate::write(&cfg, tmp.path(), false).unwrap();
    let pipeline = tmp.path().join("pipeline.yaml");
    std::fs::write(&pipeline, PIPELINE).unwrap();
    let (_, whole) = compute(&pipeline, &RunOptions::default());
    (tmp, pipeline, whole)
}

/// The run the parts of `whole` are of, split `count` ways.
fn run_of(whole: &Facts, count: u64) -> Run {
    let w = whole.window;
    Run {
        version: "test".into(),
        pipeline_sha256: "p".into(),
        inputs_xxh3: "i".into(),
        grain: format!("{:?}", w.cal.grain),
        first: w.cal.label(w.first),
        last: w.cal.label(w.last),
        entities: whole.entities,
        count,
    }
}

fn check_parts(seed: u64, n: u64) {
    let (tmp, pipeline, whole) = tiny(seed);
    let parts_dir = tmp.path().join("parts");
    let mut nonempty = 0;
    let mut paths = Vec::new();
    // Written last to first: the merge does not depend on the order the parts come in.
    for k in (0..n).rev() {
        let f = part_facts(&pipeline, &whole, k, n);
        nonempty += usize::from(f.sums().any(|s| s.flow.purchased_face != 0));
        let part = Partial::of(f, run_of(&whole, n), k);
        let path = factorscore::partials::write(&parts_dir, &part).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        factorscore::partials::write(&parts_dir, &part).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a part written again is the same bytes"
        );
        paths.push(path);
    }
    assert!(
        nonempty > 1 || n == 1,
        "the clients fall in more than one part"
    );
    let parts = paths
        .iter()
        .map(|p| factorscore::partials::read(p).unwrap())
        .collect();
    let merged = merge(parts).unwrap().into_facts(whole.window);
    assert!(
        merged.sums().eq(whole.sums()),
        "the parts' sums add up to the whole's"
    );
    assert_eq!(merged.time_to_fund, whole.time_to_fund);
    assert_eq!(merged.decision_hours, whole.decision_hours);
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

/// Parts that are not exactly one of each index of one run are refused, each with what is wrong.
#[test]
fn a_merge_refuses_a_part_missing_twice_out_of_range_or_of_another_run() {
    let (_tmp, pipeline, whole) = tiny(5);
    let part = |k: u64| Partial::of(part_facts(&pipeline, &whole, k, 3), run_of(&whole, 3), k);
    let (p0, p1, p2) = (part(0), part(1), part(2));
    assert_eq!(
        merge(vec![p0.clone(), p2.clone()]),
        Err(MergeError::Missing { index: 1, count: 3 })
    );
    assert_eq!(
        merge(vec![p0.clone(), p1.clone(), p1.clone(), p2.clone()]),
        Err(MergeError::Duplicated { index: 1 })
    );
    let mut other = p2.clone();
    other.run.pipeline_sha256 = "another".into();
    let err = merge(vec![p0.clone(), p1.clone(), other]).unwrap_err();
    assert_eq!(
        err,
        MergeError::OtherRun {
            index: 2,
            first: 0,
            what: "the pipeline"
        }
    );
    insta::assert_snapshot!(err.to_string(), @"part 2 is of another run (the pipeline differs from part 0's): merge only the parts written by one run of the same pipeline and inputs");
    let mut beyond = p2.clone();
    beyond.index = 3;
    assert_eq!(
        merge(vec![p0.clone(), p1.clone(), beyond]),
        Err(MergeError::OutOfRange { index: 3, count: 3 })
    );
    assert_eq!(merge(Vec::new()), Err(MergeError::NoParts));
    assert_eq!(
        MergeError::NoParts.to_string(),
        "no part was given: a merge needs every part of the run"
    );
    assert!(merge(vec![p2, p0, p1]).is_ok());
}

/// A part's file cut short or with a byte changed is refused, never merged.
#[test]
fn a_damaged_part_file_is_refused() {
    let (tmp, pipeline, whole) = tiny(6);
    let p = Partial::of(part_facts(&pipeline, &whole, 0, 1), run_of(&whole, 1), 0);
    let path = factorscore::partials::write(&tmp.path().join("parts"), &p).unwrap();
    assert_eq!(factorscore::partials::read(&path).unwrap(), p);
    let bytes = std::fs::read(&path).unwrap();
    // A byte of the tables, and a digit of the run's description (its employees' count).
    let head = String::from_utf8_lossy(&bytes[..200])
        .find("\"entities\":")
        .unwrap()
        + 11;
    for k in [bytes.len() - 100, head] {
        let mut changed = bytes.clone();
        changed[k] ^= 1;
        std::fs::write(&path, &changed).unwrap();
        let err = factorscore::partials::read(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is cut short or changed since it was written"
        );
    }
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    assert!(factorscore::partials::read(&path).is_err());
    std::fs::write(&path, b"not a part").unwrap();
    assert_eq!(
        factorscore::partials::read(&path).unwrap_err().to_string(),
        "it is not a factorscore part, or of another format"
    );
}

/// A part's file holds only the cells its clients and employees touched: a part of 7 is a
/// fraction of the whole's (a dense part of 7 would be the whole's size), and still reads back as
/// the same dense tables.
#[test]
fn a_part_holds_only_the_cells_it_touched() {
    let (tmp, pipeline, whole) = tiny(8);
    let size = |k: u64, n: u64| {
        let p = Partial::of(part_facts(&pipeline, &whole, k, n), run_of(&whole, n), k);
        let path = factorscore::partials::write(&tmp.path().join("parts"), &p).unwrap();
        assert_eq!(factorscore::partials::read(&path).unwrap(), p);
        std::fs::metadata(&path).unwrap().len()
    };
    let all = size(0, 1);
    let sevenths: Vec<u64> = (0..7).map(|k| size(k, 7)).collect();
    // The tiny company's few account managers each have clients in most parts: 40-70 % here.
    assert!(
        sevenths.iter().all(|&s| s < all * 7 / 10) && sevenths.iter().any(|&s| s < all / 2),
        "whole {all} bytes, parts of 7 {sevenths:?}"
    );
}
