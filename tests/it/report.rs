//! `factorscore report`: the HTML read back from a run's output, checked against the Parquet
//! tables with an independent reader, golden files of the worked example, and its messages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, Decimal128Array, StringArray};

use crate::cli::{bin, read_batches, run_ok, transcript};
use crate::common::fixture;

/// The worked example with plans, targets and an appeal (the `scoring` fixture) run into
/// `dir/out`.
fn worked_example(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    run_ok(&fixture("scoring/pipeline.yaml"), &[], &out);
    out
}

fn report(out: &Path, args: &[&str]) -> std::process::Output {
    bin().arg("report").arg(out).args(args).output().unwrap()
}

/// Employee id → bonus in cents, read from the scorecards partition with arrow.
pub fn bonuses(out: &Path, period: &str) -> BTreeMap<String, i128> {
    let mut m = BTreeMap::new();
    let path = out.join(format!(
        "scorecards/grain=month/period={period}/part-0.parquet"
    ));
    for b in read_batches(&path) {
        let ids = arrow::compute::cast(
            b.column_by_name("employee_id").unwrap(),
            &arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let ids = ids.as_any().downcast_ref::<StringArray>().unwrap();
        let bonus = b
            .column_by_name("bonus")
            .unwrap()
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap()
            .clone();
        assert_eq!(bonus.scale(), 2);
        for i in 0..b.num_rows() {
            m.insert(ids.value(i).to_string(), bonus.value(i));
        }
    }
    m
}

/// `12345` cents as the report writes it: `123.45`, thousands separated.
pub fn money(cents: i128) -> String {
    let neg = cents < 0;
    let c = cents.unsigned_abs();
    let units = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{:02}", if neg { "-" } else { "" }, c % 100)
}

/// The values of `attr="..."` in `html`, in order.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let pat = format!("{attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The `<title>` text of every `tag` element in `svg`, in order.
fn attrs_text(svg: &str, tag: &str, title: &str) -> Vec<String> {
    svg.match_indices(tag)
        .filter_map(|(i, _)| {
            let rest = &svg[i..];
            let end = rest.find("</circle>")?;
            let t = rest[..end].find(title)? + title.len();
            Some(rest[t..rest[..end].find("</title>")?].to_string())
        })
        .collect()
}

/// Nothing in the page loads from anywhere: a CSP that allows no source, no script, and no
/// URL but the SVG namespace.
fn assert_offline(html: &str) {
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"),
        "no CSP"
    );
    assert!(!html.contains("<script"), "a script");
    assert!(!html.contains(" src="), "an external source");
    let urls = html.matches("http").count();
    let ns = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(urls, ns + 1, "a URL other than the SVG namespace"); // + http-equiv
}

#[test]
fn the_overview_holds_every_statement_with_the_parquet_bonus() {
    let tmp = tempfile::tempdir().unwrap();
    let out = worked_example(tmp.path());
    // January: the month with bonuses (February's are all 0).
    let o = report(&out, &["--period", "2024-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("month 2024-01 with trends over 1 periods; 4 statements inside"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_offline(&html);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    // One statement per employee with a scorecard row in 2024-02, in id order.
    let pat = "<section class=\"employee\" id=\"e-";
    let sections: Vec<String> = html
        .match_indices(pat)
        .map(|(i, _)| html[i + pat.len()..].split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(sections, ["E1", "E2", "E3", "E4"]);
    // Every bonus shown (ranking and statements) is the Parquet value to the cent.
    let want = bonuses(&out, "2024-01");
    assert_eq!(
        want.values().copied().collect::<Vec<_>>(),
        [3_000_000, 1_645_161, 2_700_000, 0],
        "the fixture's hand-computed bonuses"
    );
    let shown = attrs(&html, "data-bonus");
    assert!(shown.len() >= 3, "{shown:?}");
    for (id, cents) in &want {
        let statement = &html[html.find(&format!("id=\"e-{id}\"")).unwrap()..];
        let b = attrs(statement, "data-bonus")[0].clone();
        assert_eq!(b, money(*cents), "{id}");
    }
    // The same tables give the same bytes.
    let again = report(&out, &["--html"]).status;
    assert!(!again.success(), "--html needs a value");
    let copy = tmp.path().join("again.html");
    let o = report(
        &out,
        &["--period", "2024-01", "--html", copy.to_str().unwrap()],
    );
    assert!(o.status.success());
    assert_eq!(std::fs::read(&copy).unwrap(), html.as_bytes());
}

#[test]
fn golden_overview_and_statement_of_the_worked_example() {
    let tmp = tempfile::tempdir().unwrap();
    let out = worked_example(tmp.path());
    let split = out.join("statements");
    let o = report(&out, &["--split", split.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let clean = |s: String| s.replace(&out.display().to_string(), "[OUT]");
    insta::assert_snapshot!("report_overview", clean(html.clone()));
    let files: Vec<String> = std::fs::read_dir(&split)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(files, ["E1.html", "E2.html", "E3.html", "E4.html"]);
    // The overview links each person's own page and holds no statement.
    assert!(!html.contains("<section class=\"employee\""));
    assert!(html.contains("href=\"statements/E1.html\""));
    let e1 = std::fs::read_to_string(split.join("E1.html")).unwrap();
    assert_offline(&e1);
    assert_eq!(e1.matches("<section class=\"employee\"").count(), 1);
    assert!(e1.contains("href=\"../report.html\""));
    // January's statement of E3: an approved appeal, and the bonus worked out.
    let jan = out.join("january");
    let o = report(
        &out,
        &[
            "--period",
            "2024-01",
            "--html",
            jan.join("report.html").to_str().unwrap(),
            "--split",
            jan.join("statements").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let e3 = std::fs::read_to_string(jan.join("statements/E3.html")).unwrap();
    assert!(
        e3.contains("Bonus = 18,000.00 × 1 × 1.5 (Grade A) × 31 ÷ 31 = <b>27,000.00</b>"),
        "{e3}"
    );
    assert!(e3.contains("an approved appeal changed a KPI"));
    // `am-collections` calibrates by role: E1 (103.2, East) and E3 (100.0, South) are one group.
    let strip = &e3[e3.find("aria-label=\"Calibration in group\"").unwrap()..];
    let strip = &strip[..strip.find("</svg>").unwrap()];
    assert_eq!(
        attrs_text(strip, "<circle", "<title>"),
        [
            "103.2",
            "100.0",
            "100.0 · Percentile in group 0.0% · z-score in group -0.71"
        ]
    );
    insta::assert_snapshot!("report_statement_e3_january", clean(e3));
}

#[test]
fn chinese_labels_keep_column_names_and_metric_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let out = worked_example(tmp.path());
    let o = report(&out, &["--lang", "zh", "--period", "2024-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    for word in ["绩效考核报告", "综合得分", "奖金", "现金回收率"] {
        assert!(html.contains(word), "{word}");
    }
    assert!(html.contains("cash_recovery_rate"));
    assert!(!html.contains("Headline figures"));
    assert!(
        html.contains("无上期数据"),
        "2024-01 has no previous period"
    );
}

#[test]
fn bad_periods_and_folders_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = worked_example(tmp.path());
    let mut seen = String::new();
    for args in [
        &["--period", "2024-13"][..],
        &["--period", "2023-12"],
        &["--period", "2024-Q1"],
        &["--from", "2024-02", "--to", "2024-01"],
        &["--grain", "quarter"],
    ] {
        let o = report(&out, args);
        seen.push_str(&format!("$ report OUT {}\n", args.join(" ")));
        seen.push_str(&transcript(&o, tmp.path()));
    }
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = report(&empty, &[]);
    seen.push_str("$ report EMPTY\n");
    seen.push_str(&transcript(&o, tmp.path()));
    insta::assert_snapshot!(seen);
    assert!(!out.join("report.html").exists());
}

/// An overview whose statements would pass the budget keeps the flagged people's only, says so
/// on the page and on stderr, and links only the statements it holds.
#[test]
fn a_large_overview_keeps_only_the_flagged_statements() {
    let tmp = tempfile::tempdir().unwrap();
    let out = worked_example(tmp.path());
    // Room for the two flagged statements (E1's and E2's), not for the others.
    let o = report(&out, &["--statements-budget", "24000"]);
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o, tmp.path()));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("note: 2 statements are left out of the overview"),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("; 2 statements inside"), "{stdout}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // February flags E1 and E2 (their composites swung).
    let pat = "<section class=\"employee\" id=\"e-";
    let ids: Vec<&str> = html
        .match_indices(pat)
        .map(|(i, _)| html[i + pat.len()..].split('"').next().unwrap())
        .collect();
    assert_eq!(ids, ["E1", "E2"]);
    assert!(html.contains("2 statements are left out to keep this page small"));
    assert!(html.contains("href=\"#e-E1\"") && !html.contains("href=\"#e-E3\""));
}
