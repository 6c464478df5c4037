//! Numbers for people, the one definition the report and `explain` share: thousands separators,
//! fixed decimals, rounding half away from zero, never `-0`, and `n/a` for NaN and infinities. The
//! same input gives the same text on every platform. [`Style`] says how a quantity of each kind
//! (rate, money, count, hours, score...) is written.
//!
//! Floats are rounded on their shortest decimal form (Rust's `Display`, which never writes an
//! exponent), not on their binary value, so `money(1.005)` is `1.01` as a person expects, and
//! `pct(0.1235)` is `12.4%`; no `log10` or `powi` is involved.

/// What a number that is not finite shows as.
pub const NOT_A_NUMBER: &str = "n/a";

/// An amount of cents as money: `-1234567` is `-12,345.67`, `5` is `0.05`.
pub fn money_cents(cents: i128) -> String {
    let abs = cents.unsigned_abs();
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", group(&(abs / 100).to_string()), abs % 100)
}

/// An amount as money: rounded half away from zero to cents, thousands separators, 2 decimals.
pub fn money(v: f64) -> String {
    fixed(v, 0, 2)
}

/// A ratio as a percent with 1 decimal: `0.1234` is `12.3%`.
pub fn pct(ratio: f64) -> String {
    if ratio.is_finite() {
        format!("{}%", fixed(ratio, 2, 1))
    } else {
        NOT_A_NUMBER.to_string()
    }
}

/// A number with thousands separators and `decimals` fixed decimals.
pub fn num(v: f64, decimals: usize) -> String {
    fixed(v, 0, decimals)
}

/// An integer with thousands separators: `1234567` is `1,234,567`.
pub fn int(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!("{sign}{}", group(&v.unsigned_abs().to_string()))
}

/// A short number for axis ticks: `1.2K`, `3.4M`, `5.6B` (one decimal, `.0` dropped); below 1,000
/// as is with at most one decimal (`12.5`, `3`). Beyond 999.9B it stays in B (`1,234.5B`).
pub fn compact(v: f64) -> String {
    if !v.is_finite() {
        return NOT_A_NUMBER.to_string();
    }
    let steps: [(i32, &str); 4] = [(0, ""), (-3, "K"), (-6, "M"), (-9, "B")];
    for (k, (shift, suffix)) in steps.iter().enumerate() {
        let (int, frac) = round_abs(v, *shift, 1);
        if int.len() > 3 && k + 1 < steps.len() {
            continue;
        }
        let body = if frac == "0" {
            group(&int)
        } else {
            format!("{}.{frac}", group(&int))
        };
        let sign = if v < 0.0 && (int != "0" || frac != "0") {
            "-"
        } else {
            ""
        };
        return format!("{sign}{body}{suffix}");
    }
    NOT_A_NUMBER.to_string()
}

/// The most decimals [`rate`] writes: a percent to a millionth (a ratio to 1e-8).
pub const RATE_MAX_DECIMALS: usize = 6;
/// The most decimals [`plain`] writes.
pub const PLAIN_MAX_DECIMALS: usize = 10;

/// A ratio as a percent, for a statement: the report's 1 decimal, or more so that two significant
/// digits show (`0.0000678` is `0.0068%`, `0.0012` is `0.12%`), but not more than the ratio has
/// (`0.001` is `0.1%`), and at most [`RATE_MAX_DECIMALS`]; one that rounds to zero there is `0.0%`.
pub fn rate(ratio: f64) -> String {
    Style::Rate.show(ratio)
}

/// A number of no known unit: 2 decimals, or more so that three significant digits show
/// (`0.0123456` is `0.0123`), but not more than it has, and at most [`PLAIN_MAX_DECIMALS`].
pub fn plain(v: f64) -> String {
    Style::Plain.show(v)
}

/// How a quantity is written for people, by what it measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A ratio, as a percent: see [`rate`].
    Rate,
    /// Money: 2 decimals, as [`money`].
    Money,
    /// A whole number, as [`int`]; one with a fraction (a target, say) as [`Style::Plain`].
    Count,
    /// Hours, days and scores: 1 decimal.
    Tenths,
    /// Any other number: see [`plain`].
    Plain,
}

impl Style {
    /// `v` written in this style (`n/a` when it is not finite).
    pub fn show(self, v: f64) -> String {
        self.show_at(v, self.decimals(v))
    }

    /// `v` with exactly `decimals` decimals (of the percent, for a rate), with separators.
    pub fn show_at(self, v: f64, decimals: usize) -> String {
        match self {
            Style::Rate if v.is_finite() => format!("{}%", fixed(v, 2, decimals)),
            _ => fixed(v, 0, decimals),
        }
    }

    /// The decimals [`Style::show`] writes `v` with.
    pub fn decimals(self, v: f64) -> usize {
        if !v.is_finite() {
            return 0;
        }
        match self {
            Style::Rate => significant(v, 2, 2, 1, RATE_MAX_DECIMALS),
            Style::Money => 2,
            Style::Count if v.fract() == 0.0 => 0,
            Style::Count | Style::Plain => significant(v, 0, 3, 2, PLAIN_MAX_DECIMALS),
            Style::Tenths => 1,
        }
    }

    /// The decimals that write `v` exactly in this style: `0.125` as a rate (`12.5%`) has 1,
    /// `1200` as money has 0, `0.1 + 0.2` has 17.
    pub fn exact_decimals(self, v: f64) -> usize {
        exact_decimals(v, self.shift())
    }

    /// How many written units one unit of the value is: 100 for a rate (percent), else 1.
    pub fn scale(self) -> f64 {
        match self {
            Style::Rate => 100.0,
            _ => 1.0,
        }
    }

    fn shift(self) -> i32 {
        match self {
            Style::Rate => 2,
            _ => 0,
        }
    }
}

/// The decimals that write `v * 10^shift` with `sig` significant digits, but not more than it
/// has, within `min..=max`; `min` when it rounds to zero at `max` decimals. `v` must be finite.
fn significant(v: f64, shift: i32, sig: usize, min: usize, max: usize) -> usize {
    let (int, frac) = round_abs(v, shift, max);
    let wanted = if int != "0" {
        sig.saturating_sub(int.len())
    } else {
        match frac.bytes().position(|b| b != b'0') {
            Some(first) => first + sig,
            None => min,
        }
    };
    wanted.min(exact_decimals(v, shift)).clamp(min, max)
}

/// The fraction digits of the shortest decimal form of `v * 10^shift` (0 when not finite).
fn exact_decimals(v: f64, shift: i32) -> usize {
    if !v.is_finite() {
        return 0;
    }
    let text = format!("{}", v.abs());
    let frac = text.split_once('.').map_or(0, |(_, f)| f.len());
    usize::try_from(frac as i64 - i64::from(shift)).unwrap_or(0)
}

/// `v * 10^shift` with thousands separators and `decimals` decimals; `n/a` when not finite.
fn fixed(v: f64, shift: i32, decimals: usize) -> String {
    if !v.is_finite() {
        return NOT_A_NUMBER.to_string();
    }
    let (int, frac) = round_abs(v, shift, decimals);
    let zero = int == "0" && frac.bytes().all(|b| b == b'0');
    let sign = if v < 0.0 && !zero { "-" } else { "" };
    if decimals == 0 {
        format!("{sign}{}", group(&int))
    } else {
        format!("{sign}{}.{frac}", group(&int))
    }
}

/// `|v| * 10^shift` rounded half away from zero to `decimals` places, on the shortest decimal
/// form of `v`: the integer digits (no leading zeros, at least one) and exactly `decimals`
/// fraction digits. `v` must be finite.
fn round_abs(v: f64, shift: i32, decimals: usize) -> (String, String) {
    let text = format!("{}", v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    // Where the point falls, counted in digits from the left.
    let mut point = int.len() as i64 + i64::from(shift);
    if point < 1 {
        let pad = (1 - point) as usize;
        digits.splice(0..0, std::iter::repeat_n(0, pad));
        point = 1;
    }
    let keep = point as usize + decimals;
    let up = digits.get(keep).is_some_and(|&d| d >= 5);
    digits.resize(keep, 0);
    if up {
        let mut i = keep;
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - decimals;
    let first = digits[..split]
        .iter()
        .position(|&d| d != 0)
        .unwrap_or(split.saturating_sub(1));
    let as_text = |ds: &[u8]| ds.iter().map(|d| char::from(b'0' + d)).collect::<String>();
    (as_text(&digits[first..split]), as_text(&digits[split..]))
}

/// Digits with a comma between each group of three from the right.
fn group(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A multiplier in ten-thousandths as a decimal: `15000` → `1.5`.
pub fn show_multiplier(m: i128) -> String {
    let whole = m / 10_000;
    let frac = (m % 10_000).abs();
    if frac == 0 {
        return whole.to_string();
    }
    let f = format!("{frac:04}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers_are_shown_exactly() {
        assert_eq!(show_multiplier(15_000), "1.5");
        assert_eq!(show_multiplier(20_000), "2");
        assert_eq!(show_multiplier(1), "0.0001");
        assert_eq!(show_multiplier(0), "0");
        assert_eq!(show_multiplier(12_345), "1.2345");
    }

    #[test]
    fn money_from_cents() {
        assert_eq!(money_cents(-1_234_567), "-12,345.67");
        assert_eq!(money_cents(5), "0.05");
        assert_eq!(money_cents(-5), "-0.05");
        assert_eq!(money_cents(0), "0.00");
        assert_eq!(money_cents(100), "1.00");
        assert_eq!(money_cents(99_999), "999.99");
        assert_eq!(money_cents(100_000), "1,000.00");
        assert_eq!(
            money_cents(i128::MIN),
            "-1,701,411,834,604,692,317,316,873,037,158,841,057.28"
        );
    }

    #[test]
    fn money_from_floats_rounds_half_away_from_zero() {
        assert_eq!(money(1234.5), "1,234.50");
        assert_eq!(money(-1234567.891), "-1,234,567.89");
        assert_eq!(money(1.005), "1.01");
        assert_eq!(money(-1.005), "-1.01");
        assert_eq!(money(0.125), "0.13");
        assert_eq!(money(2.675), "2.68");
        assert_eq!(money(999.995), "1,000.00");
        assert_eq!(money(-0.004), "0.00");
        assert_eq!(money(-0.0), "0.00");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(money(1e15), "1,000,000,000,000,000.00");
        assert_eq!(money(f64::NAN), "n/a");
        assert_eq!(money(f64::INFINITY), "n/a");
        assert_eq!(money(f64::NEG_INFINITY), "n/a");
    }

    #[test]
    fn percents() {
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(pct(0.1235), "12.4%");
        assert_eq!(pct(-0.1235), "-12.4%");
        assert_eq!(pct(0.00049), "0.0%");
        assert_eq!(pct(0.0005), "0.1%");
        assert_eq!(pct(-0.0004), "0.0%");
        assert_eq!(pct(-0.0), "0.0%");
        assert_eq!(pct(1.0), "100.0%");
        assert_eq!(pct(123.456), "12,345.6%");
        assert_eq!(pct(1e-300), "0.0%");
        assert_eq!(pct(f64::NAN), "n/a");
        assert_eq!(pct(f64::NEG_INFINITY), "n/a");
    }

    #[test]
    fn rates_keep_two_significant_digits() {
        assert_eq!(rate(0.12699218998031622), "12.7%");
        assert_eq!(rate(0.1235), "12.4%");
        assert_eq!(rate(-0.1235), "-12.4%");
        assert_eq!(rate(0.05), "5.0%");
        assert_eq!(rate(1.0), "100.0%");
        assert_eq!(rate(0.0), "0.0%");
        assert_eq!(rate(-0.0), "0.0%");
        // Small rates show two significant digits, not more than they have.
        assert_eq!(rate(0.00006776089859496035), "0.0068%");
        assert_eq!(rate(0.0012345), "0.12%");
        assert_eq!(rate(0.001), "0.1%");
        assert_eq!(rate(0.000015), "0.0015%");
        assert_eq!(rate(-0.00006776), "-0.0068%");
        // Rounding up across a place: 0.995% to 2 decimals.
        assert_eq!(rate(0.00995), "1.00%");
        // Down to a millionth of a percent, then zero.
        assert_eq!(rate(0.0000000123), "0.000001%");
        assert_eq!(rate(0.000000004), "0.0%");
        assert_eq!(rate(1e-300), "0.0%");
        assert_eq!(rate(-1e-300), "0.0%");
        // Very large rates keep 1 decimal and separators.
        assert_eq!(rate(123.456), "12,345.6%");
        assert_eq!(rate(1e10), "1,000,000,000,000.0%");
        assert_eq!(rate(f64::NAN), "n/a");
        assert_eq!(rate(f64::INFINITY), "n/a");
    }

    #[test]
    fn plain_numbers_keep_three_significant_digits() {
        assert_eq!(plain(2_362.346_666_666_667), "2,362.35");
        assert_eq!(plain(5.5), "5.50");
        assert_eq!(plain(0.0123456), "0.0123");
        assert_eq!(plain(-0.0123456), "-0.0123");
        assert_eq!(plain(0.5), "0.50");
        assert_eq!(plain(0.0), "0.00");
        assert_eq!(plain(-0.0), "0.00");
        assert_eq!(plain(1e-12), "0.00");
        assert_eq!(plain(f64::NEG_INFINITY), "n/a");
    }

    #[test]
    fn styles_by_unit() {
        // Money: 2 decimals, separators, half away from zero, no `-0`.
        assert_eq!(Style::Money.show(-1_234_567.891), "-1,234,567.89");
        assert_eq!(Style::Money.show(-1.005), "-1.01");
        assert_eq!(Style::Money.show(2.675), "2.68");
        assert_eq!(Style::Money.show(-0.004), "0.00");
        assert_eq!(Style::Money.show(-0.0), "0.00");
        assert_eq!(Style::Money.show(61686.609999999986), "61,686.61");
        assert_eq!(Style::Money.show(f64::NAN), "n/a");
        // Counts whole, with separators; a fractional one (a target) as a plain number.
        assert_eq!(Style::Count.show(1_234_567.0), "1,234,567");
        assert_eq!(Style::Count.show(-3.0), "-3");
        assert_eq!(Style::Count.show(0.0), "0");
        assert_eq!(Style::Count.show(2.5), "2.50");
        // Hours, days and scores: 1 decimal.
        assert_eq!(Style::Tenths.show(110.28110166666667), "110.3");
        assert_eq!(Style::Tenths.show(-0.04), "0.0");
        assert_eq!(Style::Tenths.show(0.05), "0.1");
        // More decimals on demand, in the style's scale.
        assert_eq!(Style::Rate.show_at(0.12699218998031622, 2), "12.70%");
        assert_eq!(Style::Rate.show_at(f64::NAN, 2), "n/a");
        assert_eq!(Style::Money.show_at(30.25, 0), "30");
        assert_eq!(Style::Rate.exact_decimals(0.125), 1);
        assert_eq!(Style::Rate.exact_decimals(0.2), 0);
        assert_eq!(Style::Money.exact_decimals(1200.0), 0);
        assert_eq!(Style::Plain.exact_decimals(0.1 + 0.2), 17);
        assert_eq!(Style::Plain.exact_decimals(f64::NAN), 0);
    }

    #[test]
    fn numbers_with_fixed_decimals() {
        assert_eq!(num(1234567.891, 2), "1,234,567.89");
        assert_eq!(num(0.5, 0), "1");
        assert_eq!(num(-0.5, 0), "-1");
        assert_eq!(num(2.5, 0), "3");
        assert_eq!(num(-0.04, 1), "0.0");
        assert_eq!(num(-0.05, 1), "-0.1");
        assert_eq!(num(99.95, 1), "100.0");
        assert_eq!(num(0.0, 3), "0.000");
        assert_eq!(num(7.0, 0), "7");
        assert_eq!(num(1e21, 0), "1,000,000,000,000,000,000,000");
        assert_eq!(num(1e-7, 2), "0.00");
        assert_eq!(num(5e-7, 6), "0.000001");
        assert_eq!(num(f64::MAX, 0).len(), 309 + 102);
        assert_eq!(num(f64::NAN, 1), "n/a");
        assert_eq!(num(f64::INFINITY, 0), "n/a");
    }

    #[test]
    fn integers() {
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(0), "0");
        assert_eq!(int(-999), "-999");
        assert_eq!(int(-1000), "-1,000");
        assert_eq!(int(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(int(i64::MAX), "9,223,372,036,854,775,807");
    }

    #[test]
    fn compact_ticks() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(-0.0), "0");
        assert_eq!(compact(3.0), "3");
        assert_eq!(compact(12.5), "12.5");
        assert_eq!(compact(0.25), "0.3");
        assert_eq!(compact(-0.04), "0");
        assert_eq!(compact(999.9), "999.9");
        assert_eq!(compact(999.96), "1K");
        assert_eq!(compact(1000.0), "1K");
        assert_eq!(compact(1234.0), "1.2K");
        assert_eq!(compact(1250.0), "1.3K");
        assert_eq!(compact(-1250.0), "-1.3K");
        assert_eq!(compact(3_400_000.0), "3.4M");
        assert_eq!(compact(999_950.0), "1M");
        assert_eq!(compact(5_600_000_000.0), "5.6B");
        assert_eq!(compact(1_234_500_000_000.0), "1,234.5B");
        assert_eq!(compact(f64::NAN), "n/a");
        assert_eq!(compact(f64::INFINITY), "n/a");
    }
}
