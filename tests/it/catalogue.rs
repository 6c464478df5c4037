//! The bad-input catalogue (issue 7): one defect per test in a fresh copy of the worked example,
//! the binary run on it, and a snapshot of what the user sees. Every message names the file, the
//! line or row, the column or key, the value and the rule, and says what to do; none panics.

use std::path::Path;

use polars::prelude::*;

use crate::messages::{case_of, run};

fn case(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    case_of("worked_example", edit)
}

/// Replaces `from` by `to` in the bytes of input file `name`.
fn edit_bytes(dir: &Path, name: &str, from: &[u8], to: &[u8]) {
    let p = dir.join("input").join(name);
    let text = std::fs::read(&p).unwrap();
    let at = text
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{} not in {name}", String::from_utf8_lossy(from)));
    let mut out = text[..at].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&text[at + from.len()..]);
    std::fs::write(&p, out).unwrap();
}

fn edit(dir: &Path, name: &str, from: &str, to: &str) {
    edit_bytes(dir, name, from.as_bytes(), to.as_bytes());
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join("input").join(name), bytes).unwrap();
}

/// Asserts no panic slipped into a transcript.
fn checked(t: String) -> String {
    assert!(!t.contains("panicked"), "{t}");
    t
}

fn validate(dir: &Path) -> String {
    checked(run(dir, &["validate"]))
}

fn run_it(dir: &Path, args: &[&str]) -> String {
    let mut a = vec!["run"];
    a.extend_from_slice(args);
    checked(run(dir, &a))
}

// ---------------------------------------------------------------------------------------------
// The pipeline file

#[test]
fn yaml_syntax_error() {
    let dir = case(|t| {
        t.replace(
            "{ from: 2024-01, to: 2024-02 }",
            "{ from: 2024-01, to: 2024-02",
        )
    });
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn duplicate_key() {
    let dir = case(|t| t.replace("grain: month\n", "grain: month\ngrain: quarter\n"));
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn alias_bomb_is_refused_by_a_limit() {
    let dir = case(|t| {
        let mut bomb = String::from("x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..12 {
            bomb += &format!(
                "x{i}: &x{i} [{}]\n",
                vec![format!("*x{}", i - 1); 9].join(", ")
            );
        }
        bomb + &t
    });
    let started = std::time::Instant::now();
    let t = validate(dir.path());
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
    insta::assert_snapshot!(t);
}

#[test]
fn many_aliases_are_refused_by_a_limit() {
    let dir = case(|t| {
        let aliases = vec!["*n"; 100].join(", ");
        t.replace(
            "name: worked-example",
            &format!("name: &n worked-example\nplans: [{aliases}]"),
        )
    });
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn deep_nesting_is_refused_by_a_limit() {
    let dir = case(|t| {
        t.replace(
            "output:",
            &format!("plans: {}{}\noutput:", "[".repeat(5000), "]".repeat(5000)),
        )
    });
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn deep_block_nesting_is_refused_by_a_limit() {
    let dir = case(|t| {
        let mut deep = String::from("plans:\n");
        for i in 1..60 {
            deep += &format!("{}- \n", "  ".repeat(i));
        }
        t.replace("output:", &format!("{deep}output:"))
    });
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn a_50_mib_pipeline_is_refused_before_parsing() {
    let dir = case(|t| t + "# " + &"x".repeat(50 * 1024 * 1024) + "\n");
    let started = std::time::Instant::now();
    let t = validate(dir.path());
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
    insta::assert_snapshot!(t);
}

#[test]
fn wrong_type_grain_as_a_list() {
    let dir = case(|t| t.replace("grain: month", "grain: [month]"));
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn wrong_type_periods_as_a_number() {
    let dir = case(|t| t.replace("periods: { from: 2024-01, to: 2024-02 }", "periods: 5"));
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn unknown_key_in_a_source() {
    let dir = case(|t| {
        t.replace(
            "{ path: input/invoices.csv }",
            "{ path: input/invoices.csv, delimiter: \";\" }",
        )
    });
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn pipeline_file_not_utf8() {
    let dir = case(|t| t);
    let p = dir.path().join("pipeline.yaml");
    let mut b = std::fs::read(&p).unwrap();
    let at = b.windows(12).position(|w| w == b"worked-examp").unwrap();
    b.splice(at..at, [0xd6, 0xd0]);
    std::fs::write(&p, b).unwrap();
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn quarter_labels_at_quarter_grain_are_valid() {
    let dir = case(|t| {
        t.replace("grain: month", "grain: quarter").replace(
            "{ from: 2024-01, to: 2024-02 }",
            "{ from: 2024-Q1, to: 2024-Q1 }",
        )
    });
    insta::assert_snapshot!(validate(dir.path()));
    let t = run_it(dir.path(), &[]);
    assert!(t.starts_with("exit: 0"), "{t}");
    assert!(
        t.contains("in 1 quarter periods (2024-Q1 .. 2024-Q1)"),
        "{t}"
    );
}

#[test]
fn year_labels_at_year_grain_are_valid() {
    let dir = case(|t| {
        t.replace("grain: month", "grain: year")
            .replace("{ from: 2024-01, to: 2024-02 }", "{ from: 2024, to: 2024 }")
    });
    insta::assert_snapshot!(validate(dir.path()));
    let t = run_it(dir.path(), &[]);
    assert!(t.contains("in 1 year periods (2024 .. 2024)"), "{t}");
}

#[test]
fn month_label_at_quarter_grain_is_refused() {
    let dir = case(|t| {
        t.replace("grain: month", "grain: quarter").replace(
            "{ from: 2024-01, to: 2024-02 }",
            "{ from: 2024-01, to: 2024-Q1 }",
        )
    });
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn quarter_labels_read_at_month_grain_cover_their_months() {
    let dir = case(|t| {
        t.replace("grain: month", "grain: quarter").replace(
            "{ from: 2024-01, to: 2024-02 }",
            "{ from: 2024-Q1, to: 2024-Q1 }",
        )
    });
    let t = run_it(dir.path(), &["--grain", "month"]);
    assert!(t.contains("in 3 month periods (2024-01 .. 2024-03)"), "{t}");
}

#[test]
fn period_of_the_wrong_grain_is_refused_before_any_row_is_read() {
    let dir = case(|t| t);
    // A file that cannot be read: the period error must come first.
    edit_bytes(dir.path(), "invoices.csv", b"I3,C2", b"I3,C\xd6\xd0");
    insta::assert_snapshot!(run_it(
        dir.path(),
        &["--period", "2026-10", "--grain", "quarter"]
    ));
    let t = checked(run(
        dir.path(),
        &[
            "explain",
            "--employee",
            "E1",
            "--period",
            "2026-10",
            "--grain",
            "quarter",
        ],
    ));
    assert!(
        t.contains("is a month label, but the run is at quarter grain"),
        "{t}"
    );
}

#[test]
fn period_month_13() {
    let dir = case(|t| t);
    insta::assert_snapshot!(run_it(dir.path(), &["--period", "2026-13"]));
}

#[test]
fn from_after_to() {
    let dir = case(|t| t);
    insta::assert_snapshot!(run_it(
        dir.path(),
        &["--from", "2024-02", "--to", "2024-01"]
    ));
}

// ---------------------------------------------------------------------------------------------
// Files

#[test]
fn missing_file_suggests_the_near_name() {
    let dir = case(|t| t.replace("input/invoices.csv", "input/invoice.csv"));
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn missing_folder() {
    let dir = case(|t| t.replace("input/invoices.csv", "data/invoices.csv"));
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn glob_matching_nothing() {
    let dir = case(|t| t.replace("input/invoices.csv", "input/invoices-2024-*.csv"));
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn empty_file() {
    let dir = case(|t| t);
    write(dir.path(), "fees.csv", b"");
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn header_only_file_is_a_table_of_no_rows() {
    let dir = case(|t| t);
    write(
        dir.path(),
        "reviews.csv",
        b"employee_id,reviewed_on,source,score\n",
    );
    insta::assert_snapshot!(checked(run(dir.path(), &["scan"])));
    let t = run_it(dir.path(), &[]);
    assert!(t.starts_with("exit: 0"), "{t}");
    assert!(t.contains("reviews               0 rows read"), "{t}");
}

#[test]
fn wrong_delimiter() {
    let dir = case(|t| t);
    let p = dir.path().join("input/invoices.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace(',', ";")).unwrap();
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn utf8_bom_is_read() {
    let dir = case(|t| t);
    let p = dir.path().join("input/invoices.csv");
    let mut b = b"\xef\xbb\xbf".to_vec();
    b.extend(std::fs::read(&p).unwrap());
    std::fs::write(&p, b).unwrap();
    let t = run_it(dir.path(), &[]);
    assert!(t.starts_with("exit: 0"), "{t}");
    insta::assert_snapshot!(checked(run(dir.path(), &["scan"])));
}

#[test]
fn non_utf8_bytes() {
    let dir = case(|t| t);
    // 中 in GBK.
    edit_bytes(dir.path(), "employees.csv", b"E2,Bob", b"E2,Bob \xd6\xd0");
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn quoted_line_breaks_keep_line_numbers_true() {
    let dir = case(|t| t);
    edit(
        dir.path(),
        "invoices.csv",
        "I2,C1,D2,",
        "I2,C1,\"D2\nsecond line\",",
    );
    edit(
        dir.path(),
        "invoices.csv",
        "I4,C2,D4,USD,100.00,80.00",
        "I4,C2,D4,USD,100.00,180.00",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn blank_lines_are_skipped() {
    let dir = case(|t| t);
    edit(dir.path(), "invoices.csv", ",false\nI4", ",false\n\nI4");
    edit(
        dir.path(),
        "invoices.csv",
        "I5,C3,D5,CNY,300.00,240.00",
        "I5,C3,D5,CNY,300.00,340.00",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn short_ragged_row() {
    let dir = case(|t| t);
    edit(dir.path(), "invoices.csv", ",E3,false\n", ",E3\n");
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn long_ragged_row() {
    let dir = case(|t| t);
    edit(
        dir.path(),
        "invoices.csv",
        ",E3,false\n",
        ",E3,false,late fee, waived\n",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn crlf_line_ends_are_read() {
    let dir = case(|t| t);
    let p = dir.path().join("input/invoices.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace('\n', "\r\n")).unwrap();
    let t = run_it(dir.path(), &[]);
    assert!(t.starts_with("exit: 0"), "{t}");
}

// ---------------------------------------------------------------------------------------------
// Parquet

/// Writes invoices.csv as invoices.parquet (text columns), with `change` applied to the frame,
/// and points the pipeline at it.
fn parquet_case(change: impl Fn(DataFrame) -> DataFrame) -> tempfile::TempDir {
    let dir = case(|t| t.replace("input/invoices.csv", "input/invoices.parquet"));
    let csv = dir.path().join("input/invoices.csv");
    let df = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(csv))
        .unwrap()
        .finish()
        .unwrap();
    let mut df = change(df);
    let f = std::fs::File::create(dir.path().join("input/invoices.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    dir
}

fn cast(mut df: DataFrame, col: &str, to: DataType) -> DataFrame {
    let c = df.column(col).unwrap().strict_cast(&to).unwrap();
    df.with_column(c).unwrap();
    df
}

#[test]
fn parquet_money_as_float64() {
    let dir = parquet_case(|df| cast(df, "face_amount", DataType::Float64));
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn parquet_date_as_int() {
    let dir = parquet_case(|df| {
        let days: Int64Chunked = df
            .column("purchase_date")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(|v| v.replace('-', "").parse::<i64>().unwrap()))
            .collect();
        let mut df = df;
        df.with_column(days.with_name("purchase_date".into()).into_column())
            .unwrap();
        df
    });
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn parquet_id_as_float() {
    let dir = parquet_case(|df| {
        let ids: Float64Chunked = df
            .column("invoice_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(|v| v[1..].parse::<f64>().unwrap()))
            .collect();
        let mut df = df;
        df.with_column(ids.with_name("invoice_id".into()).into_column())
            .unwrap();
        df
    });
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn parquet_missing_required_column() {
    let dir = parquet_case(|df| df.drop("due_date").unwrap());
    insta::assert_snapshot!(validate(dir.path()));
}

#[test]
fn parquet_that_is_not_parquet() {
    let dir = case(|t| t.replace("input/invoices.csv", "input/invoices.parquet"));
    std::fs::copy(
        dir.path().join("input/invoices.csv"),
        dir.path().join("input/invoices.parquet"),
    )
    .unwrap();
    insta::assert_snapshot!(validate(dir.path()));
}

// ---------------------------------------------------------------------------------------------
// Values (checked by the parse step)

#[test]
fn money_with_a_thousands_separator() {
    let dir = case(|t| t);
    edit(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        "K1,I1,2024-01-10,\"1,000.00\"",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn money_with_a_decimal_comma_thousands_point() {
    let dir = case(|t| t);
    edit(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        "K1,I1,2024-01-10,1.000",
    );
    edit(
        dir.path(),
        "collections.csv",
        "K2,I3,2024-01-20,200.00",
        "K2,I3,2024-01-20,12.345",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn money_with_an_exponent() {
    let dir = case(|t| t);
    edit(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        "K1,I1,2024-01-10,1e3",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn money_with_surrounding_spaces_is_trimmed() {
    let dir = case(|t| t);
    edit(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,1000.00",
        "K1,I1,2024-01-10, 1000.00 ",
    );
    let t = run_it(dir.path(), &[]);
    assert!(t.starts_with("exit: 0"), "{t}");
}

#[test]
fn date_that_does_not_exist() {
    let dir = case(|t| t);
    edit(
        dir.path(),
        "collections.csv",
        "K1,I1,2024-01-10,",
        "K1,I1,2026-02-30,",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn timestamp_with_an_offset_out_of_range() {
    let dir = case(|t| t);
    edit(
        dir.path(),
        "applications.csv",
        "2024-01-16T09:00:00+08:00",
        "2024-01-16T09:00:00+25:00",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}

#[test]
fn local_time_skipped_by_a_clock_change() {
    let dir = case(|t| t.replace("timezone: Asia/Shanghai", "timezone: Europe/Berlin"));
    edit(
        dir.path(),
        "applications.csv",
        "2024-01-31T23:30:00,",
        "2024-03-31T02:30:00,",
    );
    insta::assert_snapshot!(run_it(dir.path(), &[]));
}
