//! Fuzzing of the parsers of what users write: pipeline files, money, dates and timestamps.
//! Each property runs 256 cases by default; `PROPTEST_CASES=20000 cargo test --test it fuzz`
//! runs a longer campaign (see TESTING in the README).

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use factorscore::money::{format_cents, parse_money, DecimalError};
use factorscore::periods::{day_from_date, parse_day};
use factorscore::sources::parse::parse_timestamp;
use proptest::prelude::*;

use crate::common::fixture;

fn valid_pipeline() -> String {
    std::fs::read_to_string(fixture("worked_example/pipeline.yaml")).unwrap()
}

/// Loads pipeline text; a panic fails the property, and every error must carry a line.
fn load(text: &str) -> Result<(), TestCaseError> {
    match factorscore::config::load_str(Path::new("fuzz/pipeline.yaml"), text) {
        Ok(_) => Ok(()),
        Err(factorscore::Error::Config(c)) => {
            prop_assert!(!c.0.is_empty());
            for d in &c.0 {
                prop_assert!(d.line >= 1, "no line: {}", d);
                prop_assert!(d.column >= 1, "no column: {}", d);
                prop_assert!(!d.message.is_empty());
            }
            Ok(())
        }
        Err(e) => Err(TestCaseError::fail(format!("not a pipeline error: {e}"))),
    }
}

/// One edit of a text: delete, insert or replace a span, or repeat a line.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, usize, String),
    RepeatLine(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        "[ -~]{0,12}",
        Just(":".to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just("- ".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        Just("\"".to_string()),
        Just("2024-Q1".to_string()),
        Just("quarter".to_string()),
        Just("\u{feff}".to_string()),
        Just("中".to_string()),
        Just("\t".to_string()),
    ];
    prop_oneof![
        (any::<usize>(), 0usize..20).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), snippet.clone()).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), 0usize..10, snippet).prop_map(|(a, n, s)| Mutation::Replace(a, n, s)),
        any::<usize>().prop_map(Mutation::RepeatLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let at = |a: usize| {
        let mut i = a % (text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let end = |i: usize, n: usize| {
        let mut j = (i + n).min(text.len());
        while !text.is_char_boundary(j) {
            j -= 1;
        }
        j
    };
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    match m {
        Mutation::Delete(a, n) => {
            let i = at(*a);
            format!("{}{}", &text[..i], &text[end(i, *n)..])
        }
        Mutation::Insert(a, s) => {
            let i = at(*a);
            format!("{}{s}{}", &text[..i], &text[i..])
        }
        Mutation::Replace(a, n, s) => {
            let i = at(*a);
            format!("{}{s}{}", &text[..i], &text[end(i, *n)..])
        }
        Mutation::RepeatLine(a) if !lines.is_empty() => {
            let k = a % lines.len();
            lines.insert(k, lines[k]);
            lines.concat()
        }
        Mutation::SwapLines(a, b) if !lines.is_empty() => {
            let n = lines.len();
            lines.swap(a % n, b % n);
            lines.concat()
        }
        _ => text.to_string(),
    }
}

/// A timestamp read as chrono reads each accepted shape, in a fixed order: RFC 3339, an offset
/// without seconds, then the four local shapes in `tz`. The reference for `parse_timestamp`,
/// which tries the shapes in another order.
fn chrono_timestamp(v: &str, tz: chrono_tz::Tz) -> Option<(i64, i32)> {
    let instant = if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        dt.timestamp_micros()
    } else if let Ok(dt) = DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M%:z") {
        dt.timestamp_micros()
    } else {
        let naive = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())?;
        tz.from_local_datetime(&naive)
            .earliest()?
            .timestamp_micros()
    };
    let local = DateTime::from_timestamp_micros(instant)?
        .with_timezone(&tz)
        .date_naive();
    Some((instant, day_from_date(local)))
}

proptest! {
    #[test]
    fn fuzz_pipeline_arbitrary_text(text in "\\PC{0,400}") {
        load(&text)?;
    }

    #[test]
    fn fuzz_pipeline_yamlish_text(text in "([a-z_]{1,10}: ?|  |- |\\[|\\]|\\{|\\}|, |&a |\\*a|\"|'|#|\n|[0-9]{1,4}|-Q[1-4]){0,60}") {
        load(&text)?;
    }

    #[test]
    fn fuzz_pipeline_mutated(ms in proptest::collection::vec(mutation(), 1..6)) {
        let mut text = valid_pipeline();
        for m in &ms {
            text = apply(&text, m);
        }
        load(&text)?;
    }

    #[test]
    fn fuzz_money_round_trips(cents in any::<i64>()) {
        prop_assert_eq!(parse_money(&format_cents(cents)), Ok(cents));
    }

    #[test]
    fn fuzz_money_refuses_more_than_2_decimals(int in 0u64..1_000_000_000_000, frac in 0u32..100, last in 1u32..10, zeros in 0usize..3) {
        let s = format!("{int}.{frac:02}{}{last}", "0".repeat(zeros));
        prop_assert_eq!(parse_money(&s), Err(DecimalError::TooManyDecimals { max: 2 }));
        // Trailing zeros carry no value and are accepted.
        let z = format!("{int}.{frac:02}{}", "0".repeat(zeros + 1));
        prop_assert_eq!(parse_money(&z), Ok(int as i64 * 100 + i64::from(frac)));
    }

    #[test]
    fn fuzz_money_refuses_exponents_and_separators(int in 1u64..1_000_000, exp in -5i32..6, sep in prop_oneof![Just(","), Just("_"), Just(" "), Just("'")]) {
        for s in [
            format!("{int}e{exp}"),
            format!("{int}E{exp}"),
            format!("{int}{sep}000.00"),
            format!("{int}.5{sep}0"),
        ] {
            prop_assert!(parse_money(&s).is_err(), "{:?} accepted", s);
        }
    }

    #[test]
    fn fuzz_money_never_panics(s in "\\PC{0,40}") {
        if let Ok(c) = parse_money(&s) {
            // Whatever is accepted is a plain decimal: digits, sign, one point, spaces around.
            let t = s.trim();
            let plain = t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
            prop_assert!(plain, "{:?} -> {}", s, c);
        }
    }

    #[test]
    fn fuzz_dates_near_valid_agree_with_chrono(y in 0i32..=9999, m in 0u32..=13, d in 0u32..=32) {
        let s = format!("{y:04}-{m:02}-{d:02}");
        let chrono = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok().map(day_from_date);
        prop_assert_eq!(parse_day(&s), chrono, "{}", s);
    }

    #[test]
    fn fuzz_dates_leap_years(y in 0i32..=9999) {
        let s = format!("{y:04}-02-29");
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        prop_assert_eq!(parse_day(&s).is_some(), leap, "{}", s);
    }

    #[test]
    fn fuzz_dates_arbitrary(s in "[0-9 +-]{0,12}|\\PC{0,16}") {
        // Whatever parse_day accepts, chrono reads as the same day; it is strict where chrono
        // is lenient (`2024-1-5`, `+2024-01-05`).
        if let Some(day) = parse_day(&s) {
            let c = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().map(day_from_date);
            prop_assert_eq!(Some(day), c, "{:?}", s);
        }
    }

    #[test]
    fn fuzz_timestamps_never_panic(s in "\\PC{0,40}|[0-9T:+. -]{0,30}") {
        let _ = parse_timestamp(&s, chrono_tz::Europe::Berlin);
        let _ = parse_timestamp(&s, chrono_tz::Asia::Shanghai);
    }

    #[test]
    fn fuzz_timestamps_of_every_shape_agree_with_chrono(
        day in 1u32..=31, mo in prop::sample::select(vec![1u32, 3, 10, 11]), h in 0u32..24,
        mi in prop::sample::select(vec![0u32, 30, 59]),
        sep in prop::sample::select(vec!["T", " ", "t"]),
        secs in prop::sample::select(vec!["", ":00", ":07", ":59.5", ":01.123456", ":60"]),
        suffix in prop::sample::select(vec![
            "", "Z", "z", "+08:00", "-05:30", "+0800", " UTC", "+08", "\u{2212}08:00", "+24:00", "x",
        ]),
        berlin in any::<bool>(),
    ) {
        // Berlin's clocks skip 02:00-03:00 on 2024-03-31 and repeat 02:00-03:00 on 2024-10-27.
        let s = format!("2024-{mo:02}-{day:02}{sep}{h:02}:{mi:02}{secs}{suffix}");
        let tz = if berlin { chrono_tz::Europe::Berlin } else { chrono_tz::Asia::Shanghai };
        let got = parse_timestamp(&s, tz).ok();
        prop_assert_eq!(got, chrono_timestamp(&s, tz), "{}", s);
        // A local time with `T` or a space, on a day every month has, outside the clock change, is
        // read (a lowercase `t` is read only with an offset, by RFC 3339).
        let plain = suffix.is_empty() && sep != "t" && day <= 28 && secs != ":60"
            && !(berlin && mo == 3);
        prop_assert!(!plain || got.is_some(), "{} is not read", s);
    }

    #[test]
    fn fuzz_timestamps_rfc3339_agree_with_chrono(
        y in 1i32..=9999, mo in 1u32..=12, d in 1u32..=28, h in 0u32..24, mi in 0u32..60,
        sec in 0u32..60, frac in prop::option::of(0u32..1_000_000), z in prop::option::of((any::<bool>(), 0u32..24, 0u32..60)),
    ) {
        let frac = frac.map(|f| format!(".{f:06}")).unwrap_or_default();
        let z = match z {
            None => "Z".to_string(),
            Some((neg, oh, om)) => format!("{}{oh:02}:{om:02}", if neg { '-' } else { '+' }),
        };
        let s = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}{frac}{z}");
        let want = DateTime::parse_from_rfc3339(&s).unwrap();
        let (micros, day) = parse_timestamp(&s, chrono_tz::Asia::Shanghai).unwrap();
        prop_assert_eq!(micros, want.timestamp_micros(), "{}", s);
        let local = want.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        prop_assert_eq!(day, day_from_date(local), "{}", s);
    }
}
