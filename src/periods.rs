//! Calendar arithmetic: days, integer month keys, and periods of a grain.
//!
//! A day is an `i32` count of days since 1970-01-01 (Polars' `Date`). A month key is
//! `year * 12 + (month - 1)`. A period of a grain is an integer key too: months are month keys,
//! quarters and years count from the fiscal year start, so grouping never truncates dates.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days since 1970-01-01.
pub type Day = i32;

const EPOCH_CE_DAYS: i32 = 719_163; // NaiveDate(1970-01-01).num_days_from_ce()

pub fn day_from_date(d: NaiveDate) -> Day {
    d.num_days_from_ce() - EPOCH_CE_DAYS
}

pub fn date_from_day(d: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d + EPOCH_CE_DAYS).unwrap_or(NaiveDate::MIN)
}

/// Parses a strict ISO `YYYY-MM-DD` date (surrounding spaces ignored).
pub fn parse_day(s: &str) -> Option<Day> {
    let b = s.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i32> {
        b[r].iter().try_fold(0i32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

pub fn days_in_month(y: i32, m: i32) -> i32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Hinnant's days-from-civil).
fn days_from_civil(y: i32, m: i32, d: i32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn format_day(d: Day) -> String {
    date_from_day(d).format("%Y-%m-%d").to_string()
}

/// The month key of a day. Days of 2000 to 2099 are looked up in a table built at compile
/// time (73 KB, kept in the CPU's cache): the metrics ask for the month of every event and
/// balance change, tens of millions of times in a backfill, and the arithmetic costs several
/// times the lookup. Other days are computed.
#[inline]
pub fn month_of(d: Day) -> i32 {
    match MONTH_OF_DAY.get(d.wrapping_sub(TABLE_FIRST_DAY) as u32 as usize) {
        Some(&m) => TABLE_FIRST_MONTH + i32::from(m),
        None => civil_month_of(d),
    }
}

/// 2000-01-01, the first day of the month table.
const TABLE_FIRST_DAY: Day = 10_957;
/// Its month key.
const TABLE_FIRST_MONTH: i32 = 2000 * 12;
/// The days of 2000 to 2099.
const TABLE_DAYS: usize = 36_525;

/// The month of each day of the table, counted from January 2000.
static MONTH_OF_DAY: [u16; TABLE_DAYS] = {
    let mut t = [0u16; TABLE_DAYS];
    let mut i = 0;
    while i < TABLE_DAYS {
        t[i] = (civil_month_of(TABLE_FIRST_DAY + i as i32) - TABLE_FIRST_MONTH) as u16;
        i += 1;
    }
    t
};

/// The month key of a day, by integer arithmetic (Hinnant's civil-from-days).
const fn civil_month_of(d: Day) -> i32 {
    let z = d as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    (y * 12 + m - 1) as i32
}

/// First day of a month key.
pub fn month_start(m: i32) -> Day {
    let y = m.div_euclid(12);
    let mo = m.rem_euclid(12) as u32 + 1;
    NaiveDate::from_ymd_opt(y, mo, 1)
        .map(day_from_date)
        .unwrap_or(0)
}

/// Last day of a month key.
pub fn month_end(m: i32) -> Day {
    month_start(m + 1) - 1
}

/// The size of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Month,
    Quarter,
    Year,
}

impl Grain {
    pub fn months(self) -> i32 {
        match self {
            Grain::Month => 1,
            Grain::Quarter => 3,
            Grain::Year => 12,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
        }
    }
}

impl std::str::FromStr for Grain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "month" => Ok(Grain::Month),
            "quarter" => Ok(Grain::Quarter),
            "year" => Ok(Grain::Year),
            other => Err(format!(
                "unknown grain `{other}`: use month, quarter or year"
            )),
        }
    }
}

/// A grain on a calendar whose fiscal year starts in `fiscal_start` (1 = January).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    pub grain: Grain,
    pub fiscal_start: u32,
}

impl Calendar {
    fn offset(&self) -> i32 {
        self.fiscal_start as i32 - 1
    }

    /// The period key holding month key `m`.
    pub fn period_of_month(&self, m: i32) -> i32 {
        match self.grain {
            Grain::Month => m,
            g => (m - self.offset()).div_euclid(g.months()),
        }
    }

    pub fn period_of_day(&self, d: Day) -> i32 {
        self.period_of_month(month_of(d))
    }

    /// First month key of period `p`.
    pub fn first_month(&self, p: i32) -> i32 {
        match self.grain {
            Grain::Month => p,
            g => p * g.months() + self.offset(),
        }
    }

    pub fn last_month(&self, p: i32) -> i32 {
        self.first_month(p) + self.grain.months() - 1
    }

    pub fn start(&self, p: i32) -> Day {
        month_start(self.first_month(p))
    }

    pub fn end(&self, p: i32) -> Day {
        month_end(self.last_month(p))
    }

    /// The label of period `p`: `2026-10`, `2026-Q4` or `2026`. A fiscal year is named by the
    /// calendar year in which it starts.
    pub fn label(&self, p: i32) -> String {
        match self.grain {
            Grain::Month => format!("{:04}-{:02}", p.div_euclid(12), p.rem_euclid(12) + 1),
            Grain::Quarter => format!("{:04}-Q{}", p.div_euclid(4), p.rem_euclid(4) + 1),
            Grain::Year => format!("{p:04}"),
        }
    }

    /// Parses a period label of this calendar's grain: `2026-10` for a month, `2026-Q4` for a
    /// quarter, `2026` for a year. A label of another grain is refused with an example of the
    /// right one (the period holding it, or the first period it holds).
    pub fn parse_label(&self, s: &str) -> Result<i32, String> {
        let (grain, key) = label_key(s)?;
        if grain == self.grain {
            return Ok(key);
        }
        let months = Calendar {
            grain,
            fiscal_start: self.fiscal_start,
        };
        let example = self.label(self.period_of_month(months.first_month(key)));
        let mut hint = String::new();
        if self.fiscal_start != 1 && grain != Grain::Month && self.grain != Grain::Month {
            hint = format!(" (fiscal years start in month {})", self.fiscal_start);
        }
        Err(format!(
            "`{}` is a {} label, but the run is at {} grain: give a {} label such as `{example}`{hint}",
            s.trim(),
            grain.name(),
            self.grain.name(),
            self.grain.name(),
        ))
    }

    /// The periods of this calendar's grain covering the labels `from` .. `to`, which may be of
    /// any grain: a range written for one grain (a pipeline's `periods`) read at another
    /// (`--grain`). `2024-02` .. `2024-03` at quarter grain is `2024-Q1` .. `2024-Q1`;
    /// `2024-Q1` .. `2024-Q2` at month grain is `2024-01` .. `2024-06`.
    pub fn cover(&self, from: &str, to: &str) -> Result<(i32, i32), String> {
        let month = |s: &str, last: bool| -> Result<i32, String> {
            let (grain, key) = label_key(s)?;
            let c = Calendar {
                grain,
                fiscal_start: self.fiscal_start,
            };
            Ok(if last {
                c.last_month(key)
            } else {
                c.first_month(key)
            })
        };
        Ok((
            self.period_of_month(month(from, false)?),
            self.period_of_month(month(to, true)?),
        ))
    }
}

/// The grain of a period label and its period key on that grain: `2026-10` is a month,
/// `2026-Q4` a quarter (fiscal year 2026, quarter 4) and `2026` a year.
pub fn label_key(s: &str) -> Result<(Grain, i32), String> {
    Ok(match parse_period_label(s)? {
        Label::Month(m) => (Grain::Month, m),
        Label::Quarter(y, q) => (Grain::Quarter, y * 4 + q - 1),
        Label::Year(y) => (Grain::Year, y),
    })
}

enum Label {
    Month(i32),
    Quarter(i32, i32),
    Year(i32),
}

fn parse_period_label(s: &str) -> Result<Label, String> {
    let bad = || {
        format!(
            "`{s}` is not a period: write a month `2026-10`, a quarter `2026-Q4` or a year `2026`"
        )
    };
    let s = s.trim();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    match s.split_once('-') {
        None if s.len() == 4 && digits(s) => Ok(Label::Year(s.parse().map_err(|_| bad())?)),
        Some((y, rest)) if y.len() == 4 && digits(y) => {
            let y: i32 = y.parse().map_err(|_| bad())?;
            if let Some(q) = rest.strip_prefix('Q') {
                match q {
                    "1" | "2" | "3" | "4" => Ok(Label::Quarter(y, q.parse().map_err(|_| bad())?)),
                    _ => Err(bad()),
                }
            } else if rest.len() == 2 && digits(rest) {
                let m: i32 = rest.parse().map_err(|_| bad())?;
                if (1..=12).contains(&m) {
                    Ok(Label::Month(y * 12 + m - 1))
                } else {
                    Err(bad())
                }
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(grain: Grain, fiscal_start: u32) -> Calendar {
        Calendar {
            grain,
            fiscal_start,
        }
    }

    #[test]
    fn days_and_months() {
        let d = parse_day("2024-02-29").unwrap();
        assert_eq!(format_day(d), "2024-02-29");
        assert_eq!(month_of(d), 2024 * 12 + 1);
        assert_eq!(format_day(month_end(2024 * 12 + 1)), "2024-02-29");
        assert_eq!(format_day(month_start(2024 * 12)), "2024-01-01");
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("2024-1-05"), None);
        assert_eq!(parse_day("1970-01-01"), Some(0));
        // The ends of the month table, and the days either side of it.
        assert_eq!(parse_day("2000-01-01"), Some(TABLE_FIRST_DAY));
        assert_eq!(
            parse_day("2099-12-31"),
            Some(TABLE_FIRST_DAY + TABLE_DAYS as i32 - 1)
        );
        for day in -800_000..800_000 {
            let date = date_from_day(day);
            assert_eq!(month_of(day), date.year() * 12 + date.month0() as i32);
            if date.year() >= 0 && date.year() <= 9999 {
                assert_eq!(parse_day(&date.format("%Y-%m-%d").to_string()), Some(day));
            }
        }
        assert_eq!(parse_day("2024-02-30"), None);
        assert_eq!(parse_day("1900-02-29"), None);
        assert_eq!(
            parse_day("2000-02-29"),
            Some(day_from_date(NaiveDate::from_ymd_opt(2000, 2, 29).unwrap()))
        );
        assert_eq!(parse_day("2024-00-10"), None);
        assert_eq!(parse_day("2024/01/10"), None);
        assert_eq!(parse_day("+024-01-10"), None);
    }

    #[test]
    fn quarters_and_fiscal_years() {
        let q = cal(Grain::Quarter, 1);
        let p = q.parse_label("2026-Q4").unwrap();
        assert_eq!(q.label(p), "2026-Q4");
        assert_eq!(format_day(q.start(p)), "2026-10-01");
        assert_eq!(format_day(q.end(p)), "2026-12-31");
        assert_eq!(q.cover("2026-11", "2026-11").unwrap(), (p, p));
        assert_eq!(
            q.parse_label("2026-11").unwrap_err(),
            "`2026-11` is a month label, but the run is at quarter grain: give a quarter label such as `2026-Q4`"
        );
        let fy = cal(Grain::Year, 4);
        let p = fy.cover("2026-03", "2026-03").unwrap().0;
        assert_eq!(fy.label(p), "2025");
        assert_eq!(fy.parse_label("2025").unwrap(), p);
        assert!(fy.parse_label("2025-Q1").is_err());
        assert_eq!(format_day(fy.start(p)), "2025-04-01");
        assert_eq!(format_day(fy.end(p)), "2026-03-31");
        let fq = cal(Grain::Quarter, 4);
        let p = fq.cover("2026-04", "2026-04").unwrap().0;
        assert_eq!(fq.label(p), "2026-Q1");
        assert_eq!(fq.parse_label("2026-Q1").unwrap(), p);
        // A quarter range read at month grain covers its months.
        let (f, t) = cal(Grain::Month, 1).cover("2024-Q1", "2024-Q2").unwrap();
        assert_eq!((f, t), (2024 * 12, 2024 * 12 + 5));
        let (f, t) = cal(Grain::Quarter, 1).cover("2024", "2025").unwrap();
        assert_eq!((f, t), (2024 * 4, 2025 * 4 + 3));
        assert!(cal(Grain::Month, 1).parse_label("2026-Q1").is_err());
        assert!(cal(Grain::Month, 1).parse_label("2026-13").is_err());
        assert!(cal(Grain::Month, 1).parse_label("26-01").is_err());
    }
}
