//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use factorscore::metrics::registry::Val;
use factorscore::metrics::Facts;
use factorscore::run::{Loaded, RunOptions};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Loads a pipeline and computes its default window.
pub fn compute(pipeline: &Path, opts: &RunOptions) -> (Loaded, Facts) {
    let plan = factorscore::config::load(pipeline).expect("pipeline loads");
    let loaded = factorscore::run::load(&plan).expect("input is valid");
    let window = factorscore::run::window(&plan, &loaded.ledger, opts).expect("window");
    let facts = factorscore::run::facts(&plan, &loaded, window).expect("facts");
    (loaded, facts)
}

/// The metrics of employee `id` (or `UNASSIGNED`) in period label `period`, by name.
pub fn metrics(loaded: &Loaded, facts: &Facts, id: &str, period: &str) -> Vec<(&'static str, Val)> {
    let e = if id == "UNASSIGNED" {
        facts.unassigned()
    } else {
        loaded.ledger.employees.ids.get(id).expect("employee")
    };
    let p = facts.window.cal.parse_label(period).expect("label");
    let k = facts.window.index_of_period(p).expect("period in window");
    let cat = factorscore::catalogue::Catalogue::default();
    let vals = facts.values(&cat, e, k);
    factorscore::catalogue::builtin::BUILTINS
        .iter()
        .map(|m| m.name)
        .zip(vals)
        .collect()
}

pub fn get(m: &[(&'static str, Val)], name: &str) -> Val {
    m.iter()
        .find(|x| x.0 == name)
        .map(|x| x.1)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// Asserts a metric against its expected text: money with 2 places, a float, a count, or
/// empty for null.
pub fn check(who: &str, name: &str, got: Val, want: &str) {
    match got {
        Val::Money(c) => assert_eq!(factorscore::money::format_cents(c), want, "{who} {name}"),
        Val::Count(n) => assert_eq!(n.to_string(), want, "{who} {name}"),
        Val::Float(None) => assert!(want.is_empty(), "{who} {name}: got null, want {want}"),
        Val::Null => assert!(want.is_empty(), "{who} {name}: got null, want {want}"),
        Val::Float(Some(x)) => {
            let w: f64 = want
                .parse()
                .unwrap_or_else(|_| panic!("{who} {name}: got {x}, want null"));
            let tol = 1e-12 * w.abs().max(1e-300);
            assert!((x - w).abs() <= tol, "{who} {name}: got {x:?}, want {w:?}");
        }
    }
}

/// A simple CSV reader for expectation files (quoted fields may hold commas).
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("csv");
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            for ch in line.chars() {
                match ch {
                    '"' => quoted = !quoted,
                    ',' if !quoted => out.push(std::mem::take(&mut cur)),
                    c => cur.push(c),
                }
            }
            out.push(cur);
            out
        })
        .collect()
}

/// Replaces the first `from` in input file `name` of case folder `dir` (`dir/input/name`) by
/// `to`; `from` must be there.
pub fn edit_input(dir: &Path, name: &str, from: &str, to: &str) {
    let p = dir.join("input").join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{from} not in {name}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

/// Appends `lines` to the file at `path`, each on a line of its own.
pub fn append_lines<S: AsRef<str>>(path: &Path, lines: &[S]) {
    let mut text = std::fs::read_to_string(path).unwrap();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for l in lines {
        text.push_str(l.as_ref());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}
