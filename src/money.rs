//! Exact money and rate arithmetic.
//!
//! Money is held as `i64` cents from parsing to output; rates as `i64` scaled by 10^10. Nothing
//! here passes through binary floating point.

/// Scale of a rate: rates carry at most 10 decimals.
pub const RATE_SCALE: i64 = 10_000_000_000;

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecimalError {
    Empty,
    NotANumber,
    TooManyDecimals { max: u32 },
    OutOfRange,
}

impl std::fmt::Display for DecimalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecimalError::Empty => write!(f, "is empty"),
            DecimalError::NotANumber => write!(
                f,
                "is not a plain decimal number: write digits with an optional sign and one point, e.g. 1234.50, with no thousands separator, currency sign or exponent"
            ),
            DecimalError::TooManyDecimals { max } => {
                write!(
                    f,
                    "has more than {max} decimals; it would have to be rounded, so it is refused"
                )
            }
            DecimalError::OutOfRange => write!(f, "is out of range"),
        }
    }
}

/// Parses a plain decimal string into an integer scaled by `10^scale`, refusing more than `scale`
/// decimals. Accepts an optional sign, digits and an optional point; surrounding spaces are ignored.
pub fn parse_scaled(raw: &str, scale: u32) -> Result<i64, DecimalError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(DecimalError::NotANumber);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(DecimalError::NotANumber);
    }
    if body.ends_with('.') && frac_part.is_empty() && int_part.is_empty() {
        return Err(DecimalError::NotANumber);
    }
    // Trailing zeros beyond the scale carry no value ("1.500" is 1.50), anything else would be cut.
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > scale as usize {
        return Err(DecimalError::TooManyDecimals { max: scale });
    }
    let mut v: i128 = 0;
    for b in int_part.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > i128::from(i64::MAX) {
            return Err(DecimalError::OutOfRange);
        }
    }
    let mut frac_digits = 0u32;
    for b in frac_trimmed.bytes() {
        v = v * 10 + i128::from(b - b'0');
        frac_digits += 1;
    }
    v *= 10i128.pow(scale - frac_digits);
    if neg {
        v = -v;
    }
    i64::try_from(v).map_err(|_| DecimalError::OutOfRange)
}

/// Parses money: at most 2 decimals, into cents.
pub fn parse_money(raw: &str) -> Result<i64, DecimalError> {
    parse_scaled(raw, 2)
}

/// Parses an fx rate: at most 10 decimals, scaled by [`RATE_SCALE`].
pub fn parse_rate(raw: &str) -> Result<i64, DecimalError> {
    parse_scaled(raw, 10)
}

/// Converts an amount in cents at a scaled rate, rounding to the cent half away from zero.
pub fn convert(cents: i64, rate: i64) -> i64 {
    if rate == RATE_SCALE {
        return cents;
    }
    div_round(i128::from(cents) * i128::from(rate), i128::from(RATE_SCALE)) as i64
}

/// `num / den` rounded to the nearest integer, halves away from zero. `den` must be positive.
pub fn div_round(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

/// Formats cents as a decimal string with 2 places.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_money_exactly() {
        assert_eq!(parse_money("100.00"), Ok(10000));
        assert_eq!(parse_money("100.5"), Ok(10050));
        assert_eq!(parse_money("-4"), Ok(-400));
        assert_eq!(parse_money(" 7.10 "), Ok(710));
        assert_eq!(parse_money("1.500"), Ok(150));
        assert_eq!(parse_money(".5"), Ok(50));
        assert_eq!(
            parse_money("100.005"),
            Err(DecimalError::TooManyDecimals { max: 2 })
        );
        assert_eq!(parse_money("1e3"), Err(DecimalError::NotANumber));
        assert_eq!(parse_money("1,000.00"), Err(DecimalError::NotANumber));
        assert_eq!(parse_money(""), Err(DecimalError::Empty));
        assert_eq!(parse_money("."), Err(DecimalError::NotANumber));
        assert_eq!(
            parse_money("99999999999999999999"),
            Err(DecimalError::OutOfRange)
        );
    }

    #[test]
    fn converts_half_away_from_zero() {
        let r = parse_rate("7.1234567").unwrap();
        assert_eq!(convert(10000, r), 71235); // 712.34567 -> 712.35
        assert_eq!(convert(8000, r), 56988); // 569.876536 -> 569.88
        assert_eq!(convert(120, r), 855); // 8.5481... -> 8.55
        assert_eq!(convert(-120, r), -855);
        assert_eq!(convert(1, parse_rate("0.5").unwrap()), 1); // 0.005 -> 0.01
        assert_eq!(convert(-1, parse_rate("0.5").unwrap()), -1);
        assert_eq!(convert(12345, RATE_SCALE), 12345);
        assert_eq!(format_cents(-25000), "-250.00");
        assert_eq!(format_cents(5), "0.05");
    }
}
