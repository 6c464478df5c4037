//! How the text statement writes its numbers, with the formats of [`crate::numbers`] (the
//! report's): a metric's values as its unit says (rates as percents, money with 2 decimals and
//! separators, counts whole, hours, days and scores with 1 decimal), weights as percents, scores
//! and swings with 1 decimal, weighted scores with 2, and `n/a` for a missing number.
//!
//! The arithmetic still adds up at the precision shown. A score's operands are written with the
//! decimals the metric's unit gives the most precise of them, and, when one of them is not exact
//! at those, with more: enough that rounding it moves the score by at most half of the score's
//! last place, so redoing the sum from the text gives the score shown (give or take the last
//! digit on a rounding edge). The composite's parts have 2 decimals, so up to ten of them add up
//! to the composite's 1.

use super::{KpiLine, Statement};
use crate::config::def::Direction;
use crate::metrics::registry::Val;
use crate::numbers::{int, money_cents, num, Style, NOT_A_NUMBER};
use crate::scoring::curve::Segment;

/// The most decimals a score's operands get.
const MAX_OPERAND_DECIMALS: usize = 9;

/// `x` written by `show`, or `n/a`.
pub(super) fn or_na(x: Option<f64>, show: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| NOT_A_NUMBER.to_string(), show)
}

/// A score, a composite or a swing threshold: 1 decimal.
pub(super) fn score(x: f64) -> String {
    num(x, 1)
}

/// A change of score with its sign: `+12.3`, `-4.0`, `0.0`.
pub(super) fn signed(x: f64) -> String {
    let t = score(x);
    if x > 0.0 && t.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        format!("+{t}")
    } else {
        t
    }
}

/// A figure behind a metric: money and counts as such, a float in the figure's style.
pub(super) fn figure(f: &super::Figure) -> String {
    match f.val {
        Val::Money(c) => money_cents(c.into()),
        Val::Count(n) => int(n),
        Val::Float(Some(x)) => f.style.show(x),
        Val::Float(None) | Val::Null => NOT_A_NUMBER.to_string(),
    }
}

/// The composite as the sum of the weighted scores of the scored KPIs: `29.20 + 6.67 = 35.9`.
pub(super) fn composite(s: &Statement) -> String {
    let parts: Vec<String> = s
        .kpis
        .iter()
        .filter(|k| k.score.is_some())
        .map(|k| num(k.weighted_score, 2))
        .collect();
    let total = or_na(s.composite_score, score);
    if parts.is_empty() {
        total
    } else {
        format!("{} = {total}", parts.join(" + "))
    }
}

/// The arithmetic of a KPI's score on its segment of the curve, with its operands in the
/// metric's unit: `100 × (20.00% − 12.70%) / (20.00% − 5.00%) = 48.7` (lower is better, so the
/// threshold comes first).
pub(super) fn score_working(k: &KpiLine) -> String {
    let st = k.style;
    let (Some(a), Some(seg)) = (k.actual, k.segment) else {
        return "no actual: not scored, its weight goes to the scored KPIs".into();
    };
    let s = or_na(k.score, score);
    // `x` minus `y` in the direction of better, written with `d` decimals.
    let diff = |x: f64, y: f64, d: usize| {
        let (x, y) = match k.dir {
            Direction::Higher => (x, y),
            Direction::Lower => (y, x),
        };
        format!("({} − {})", st.show_at(x, d), st.show_at(y, d))
    };
    match seg {
        Segment::Floor => {
            let d = operand_decimals(st, None, &[a, k.threshold]);
            format!(
                "{} is not beyond the threshold {}: {s}",
                st.show_at(a, d),
                st.show_at(k.threshold, d)
            )
        }
        Segment::ToTarget => {
            let range = k.dir.d(k.target, k.threshold);
            let d = operand_decimals(st, Some((100.0, range)), &[a, k.threshold, k.target]);
            format!(
                "100 × {} / {} = {s}",
                diff(a, k.threshold, d),
                diff(k.target, k.threshold, d)
            )
        }
        Segment::ToStretch => {
            let range = k.dir.d(k.stretch, k.target);
            let d = operand_decimals(st, Some((20.0, range)), &[a, k.target, k.stretch]);
            format!(
                "100 + 20 × {} / {} = {s}",
                diff(a, k.target, d),
                diff(k.stretch, k.target, d)
            )
        }
        Segment::Cap => {
            let d = operand_decimals(st, None, &[a, k.stretch]);
            format!(
                "{} reaches the stretch {}: {s}",
                st.show_at(a, d),
                st.show_at(k.stretch, d)
            )
        }
    }
}

/// The decimals to write the operands of a score with: the most the style gives any of them;
/// and for a score `factor × (x − y) / range`, when an operand is not exact at those, more, until
/// rounding it (by half a written unit, `0.5 × 10^-d / scale`) moves the score by at most 0.05:
/// `factor × 10 ≤ range × scale × 10^d`. Only `×` and comparisons, so the same on every platform.
fn operand_decimals(st: Style, score: Option<(f64, f64)>, operands: &[f64]) -> usize {
    let mut d = operands.iter().map(|&x| st.decimals(x)).max().unwrap_or(0);
    let exact = operands.iter().all(|&x| st.exact_decimals(x) <= d);
    let Some((factor, range)) = score.filter(|_| !exact) else {
        return d;
    };
    let range = range.abs() * st.scale();
    let mut p = 1.0;
    for _ in 0..d {
        p *= 10.0;
    }
    while factor * 10.0 > range * p && d < MAX_OPERAND_DECIMALS {
        d += 1;
        p *= 10.0;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(style: Style, dir: Direction, actual: f64, t: [f64; 3], seg: Segment) -> KpiLine {
        let score = match seg {
            Segment::Floor => 0.0,
            Segment::ToTarget => 100.0 * dir.d(actual, t[0]) / dir.d(t[1], t[0]),
            Segment::ToStretch => 100.0 + 20.0 * dir.d(actual, t[1]) / dir.d(t[2], t[1]),
            Segment::Cap => 120.0,
        };
        KpiLine {
            metric: "m".into(),
            meaning: String::new(),
            formula: String::new(),
            perspective: "financial",
            direction: dir.name(),
            raw_actual: Some(actual),
            figures: Vec::new(),
            appeal: None,
            actual: Some(actual),
            target: t[1],
            threshold: t[0],
            stretch: t[2],
            target_source: "plan",
            target_row: None,
            score: Some(score),
            score_working: String::new(),
            weight: 1.0,
            effective_weight: 1.0,
            weighted_score: score,
            style,
            dir,
            segment: Some(seg),
        }
    }

    #[test]
    fn a_rate_score_gets_the_decimals_that_keep_it_right() {
        // (0.2 - 0.12699218998031622) / 0.15 = 0.4867187: over a range of 15%, 2 decimals keep
        // the score within 0.05 (1 could move it by 0.33); the plan's figures are exact.
        let k = line(
            Style::Rate,
            Direction::Lower,
            0.12699218998031622,
            [0.2, 0.05, 0.0],
            Segment::ToTarget,
        );
        assert_eq!(
            score_working(&k),
            "100 × (20.00% − 12.70%) / (20.00% − 5.00%) = 48.7"
        );
        // 0.0000678 / 0.0002 = 0.3388: a range of 0.02% needs 5 decimals (0.0068% gives 34.0).
        let k = line(
            Style::Rate,
            Direction::Higher,
            0.00006776089859496035,
            [0.0, 0.0002, 0.0004],
            Segment::ToTarget,
        );
        assert_eq!(
            score_working(&k),
            "100 × (0.00678% − 0.00000%) / (0.02000% − 0.00000%) = 33.9"
        );
    }

    #[test]
    fn exact_money_keeps_its_cents_and_ends_are_words() {
        let k = line(
            Style::Money,
            Direction::Higher,
            181_686.61,
            [60_000.0, 120_000.0, 240_000.0],
            Segment::ToStretch,
        );
        assert_eq!(
            score_working(&k),
            "100 + 20 × (181,686.61 − 120,000.00) / (240,000.00 − 120,000.00) = 110.3"
        );
        let k = line(
            Style::Count,
            Direction::Higher,
            3.0,
            [4.0, 6.0, 9.0],
            Segment::Floor,
        );
        assert_eq!(score_working(&k), "3 is not beyond the threshold 4: 0.0");
        let k = line(
            Style::Tenths,
            Direction::Lower,
            1.25,
            [48.0, 24.0, 2.0],
            Segment::Cap,
        );
        assert_eq!(score_working(&k), "1.3 reaches the stretch 2.0: 120.0");
    }

    #[test]
    fn hours_off_the_tenths_get_more_decimals() {
        // (48 - 30.25) / 24 = 0.7395833: 30.3 would give 73.8, so 30.25 is written.
        let k = line(
            Style::Tenths,
            Direction::Lower,
            30.25,
            [48.0, 24.0, 12.0],
            Segment::ToTarget,
        );
        assert_eq!(
            score_working(&k),
            "100 × (48.00 − 30.25) / (48.00 − 24.00) = 74.0"
        );
    }

    #[test]
    fn signs_and_missing_numbers() {
        assert_eq!(signed(67.29893581659363), "+67.3");
        assert_eq!(signed(-67.29893581659363), "-67.3");
        assert_eq!(signed(0.04), "0.0");
        assert_eq!(signed(-0.0), "0.0");
        assert_eq!(or_na(None, score), "n/a");
        assert_eq!(or_na(Some(f64::NAN), score), "n/a");
    }
}
