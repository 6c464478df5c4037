//! Statistics the metrics share, with SQL's definitions.

/// Quantile by linear interpolation between closest ranks (SQL `quantile_cont`).
pub fn quantile_cont(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

#[cfg(test)]
mod tests {
    use super::quantile_cont;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile_cont(&[], 0.5), None);
        assert_eq!(quantile_cont(&[24.0], 0.9), Some(24.0));
        assert_eq!(quantile_cont(&[1.0, 2.0, 3.0, 10.0], 0.5), Some(2.5));
        assert_eq!(
            quantile_cont(&[1.0, 2.0, 3.0, 10.0], 0.9),
            Some(3.0 + 7.0 * (0.9 * 3.0 - 2.0))
        );
    }
}
