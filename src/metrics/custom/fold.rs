//! The custom aggregates folded exactly in integers, row by row, rather than grouped by Polars:
//! counts, and sums, minima and maxima of money (cents). The value of each over a union of row
//! sets is the combination of its values over the sets ([`combine`]), so that a rollup group's
//! value combines its members' values, exactly, without going back to the rows.

use polars::prelude::*;

use crate::catalogue::custom::Aggregate;
use crate::catalogue::{Agg, Kind};
use crate::metrics::registry::Val;

/// Whether custom aggregate `a`, of kind `kind`, is folded here.
pub fn folds(a: &Aggregate, kind: Kind) -> bool {
    matches!(
        (a.agg, kind),
        (Agg::Count, _) | (Agg::Sum | Agg::Min | Agg::Max, Kind::Money)
    )
}

/// The value of a folded aggregate `agg` over the union of two row sets whose values are `a`
/// and `b`. A minimum or maximum over no rows is null; a count or a sum over none is 0.
pub fn combine(agg: Agg, a: Val, b: Val) -> Val {
    match (agg, a, b) {
        (_, Val::Null, x) | (_, x, Val::Null) => x,
        (Agg::Count, Val::Count(a), Val::Count(b)) => Val::Count(a + b),
        // Polars' sum of Int64 wraps; so does this one, and neither reaches 2^63 cents.
        (Agg::Sum, Val::Money(a), Val::Money(b)) => Val::Money(a.wrapping_add(b)),
        (Agg::Min, Val::Money(a), Val::Money(b)) => Val::Money(a.min(b)),
        (Agg::Max, Val::Money(a), Val::Money(b)) => Val::Money(a.max(b)),
        // Not a folded aggregate: nothing is combined.
        (_, a, _) => a,
    }
}

/// Folds custom aggregate `i`'s value column `v` (null where a row's filter does not hold) into
/// `values[key * n + i]`, by each row's key (entity × periods + period). The slots start at the
/// aggregate's value over no rows.
pub fn fold(
    agg: Agg,
    keys: &UInt32Chunked,
    v: &Column,
    values: &mut [Val],
    n: usize,
    i: usize,
) -> PolarsResult<()> {
    if agg == Agg::Count {
        let present = v.is_not_null();
        for (g, p) in keys.into_no_null_iter().zip(present.iter()) {
            if let (Some(true), Val::Count(c)) = (p, &mut values[g as usize * n + i]) {
                *c += 1;
            }
        }
        return Ok(());
    }
    let v = v.cast(&DataType::Int64)?;
    for (g, x) in keys.into_no_null_iter().zip(v.i64()?.iter()) {
        if let Some(x) = x {
            let slot = &mut values[g as usize * n + i];
            *slot = combine(agg, *slot, Val::Money(x));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combining_is_the_aggregate_over_the_union() {
        use Val::{Count, Money, Null};
        assert_eq!(combine(Agg::Count, Count(2), Count(3)), Count(5));
        assert_eq!(combine(Agg::Sum, Money(150), Money(-50)), Money(100));
        assert_eq!(combine(Agg::Min, Null, Money(7)), Money(7));
        assert_eq!(combine(Agg::Min, Money(7), Money(-1)), Money(-1));
        assert_eq!(combine(Agg::Max, Money(7), Null), Money(7));
        assert_eq!(combine(Agg::Max, Money(7), Money(9)), Money(9));
        assert_eq!(combine(Agg::Max, Null, Null), Null);
    }

    #[test]
    fn folding_skips_the_rows_a_filter_leaves_out() {
        let keys = UInt32Chunked::from_vec("k".into(), vec![0, 1, 0, 1, 0]);
        let v = Column::new("v".into(), [Some(5i64), None, Some(-2), Some(4), None]);
        let mut sums = vec![Val::Money(0); 2];
        fold(Agg::Sum, &keys, &v, &mut sums, 1, 0).unwrap();
        assert_eq!(sums, [Val::Money(3), Val::Money(4)]);
        let mut mins = vec![Val::Null; 2];
        fold(Agg::Min, &keys, &v, &mut mins, 1, 0).unwrap();
        assert_eq!(mins, [Val::Money(-2), Val::Money(4)]);
        let mut counts = vec![Val::Count(0); 2];
        fold(Agg::Count, &keys, &v, &mut counts, 1, 0).unwrap();
        assert_eq!(counts, [Val::Count(2), Val::Count(1)]);
    }
}
