//! The KPI score curve and the grade bands (contract 5.2 and 5.3).

use crate::config::def::Direction;
use crate::config::Grade;

/// Composite points within which a composite counts as reaching a grade's min or a swing
/// threshold, so that float noise in a sum of weighted scores never moves a grade or a flag.
pub const TOLERANCE: f64 = 1e-9;

/// Which part of the curve an actual falls on, for `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// At or below the threshold: 0.
    Floor,
    /// Between threshold and target: 0..100.
    ToTarget,
    /// Between target and stretch: 100..120.
    ToStretch,
    /// At or beyond the stretch: 120.
    Cap,
}

/// The score of `actual` against threshold, target and stretch, and the segment it fell on.
pub fn score(
    dir: Direction,
    actual: f64,
    threshold: f64,
    target: f64,
    stretch: f64,
) -> (f64, Segment) {
    let d = |x, y| dir.d(x, y);
    if d(actual, threshold) <= 0.0 {
        (0.0, Segment::Floor)
    } else if d(actual, target) < 0.0 {
        (
            100.0 * d(actual, threshold) / d(target, threshold),
            Segment::ToTarget,
        )
    } else if d(actual, stretch) < 0.0 {
        (
            100.0 + 20.0 * d(actual, target) / d(stretch, target),
            Segment::ToStretch,
        )
    } else {
        (120.0, Segment::Cap)
    }
}

/// The band of a composite: the first, highest first, whose min it reaches.
pub fn grade(grades: &[Grade], composite: f64) -> Option<usize> {
    grades
        .iter()
        .position(|g| g.min.is_none_or(|m| composite >= m - TOLERANCE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_at_and_beyond_each_point_in_both_directions() {
        let h = Direction::Higher;
        // threshold 0.70, target 0.90, stretch 0.98
        assert_eq!(score(h, 0.5, 0.7, 0.9, 0.98).0, 0.0);
        assert_eq!(score(h, 0.7, 0.7, 0.9, 0.98), (0.0, Segment::Floor));
        assert!((score(h, 0.8, 0.7, 0.9, 0.98).0 - 50.0).abs() < 1e-9);
        assert_eq!(score(h, 0.9, 0.7, 0.9, 0.98), (100.0, Segment::ToStretch));
        assert!((score(h, 0.94, 0.7, 0.9, 0.98).0 - 110.0).abs() < 1e-9);
        assert_eq!(score(h, 0.98, 0.7, 0.9, 0.98), (120.0, Segment::Cap));
        assert_eq!(score(h, 1.5, 0.7, 0.9, 0.98).0, 120.0);
        let l = Direction::Lower;
        // threshold 10, target 5, stretch 2 (lower is better)
        assert_eq!(score(l, 12.0, 10.0, 5.0, 2.0).0, 0.0);
        assert_eq!(score(l, 10.0, 10.0, 5.0, 2.0).0, 0.0);
        assert_eq!(score(l, 7.5, 10.0, 5.0, 2.0).0, 50.0);
        assert_eq!(score(l, 5.0, 10.0, 5.0, 2.0).0, 100.0);
        assert_eq!(score(l, 3.5, 10.0, 5.0, 2.0).0, 110.0);
        assert_eq!(score(l, 2.0, 10.0, 5.0, 2.0).0, 120.0);
        assert_eq!(score(l, -1.0, 10.0, 5.0, 2.0).0, 120.0);
    }

    #[test]
    fn grades_take_the_first_band_reached() {
        let g = crate::config::default_grades();
        assert_eq!(grade(&g, 110.0), Some(0));
        assert_eq!(grade(&g, 109.99), Some(1));
        assert_eq!(grade(&g, 99.999_999_999_9), Some(1));
        assert_eq!(grade(&g, 84.0), Some(3));
        assert_eq!(grade(&g, 0.0), Some(4));
    }
}
