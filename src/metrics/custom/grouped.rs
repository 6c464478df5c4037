//! The custom aggregates that are not folded (means, medians, quantiles, distinct counts, and
//! sums, minima and maxima of numbers), computed per group in Rust: the rows are put in group
//! order once (a stable counting sort on the group key), and each group's values are read in
//! row order. So every value is the same from run to run and thread count to thread count, which
//! a grouping that splits a group's rows over threads does not give for a sum of floats.

use polars::prelude::*;

use crate::catalogue::{Agg, Kind};
use crate::metrics::registry::Val;

/// A column of numbers in one piece (Arrow's `PrimitiveArray<f64>`).
type Numbers = <Float64Type as PolarsDataType>::Array;

/// One aggregate's value on each row, `None` where the row's filter does not hold.
#[derive(Debug)]
pub enum Values {
    /// Numbers (money as its decimal value, cents / 100), for every aggregate but
    /// `count_distinct`: the value column itself, in one piece.
    Numbers(Numbers),
    /// Each value as a key equal for equal values, for `count_distinct`.
    Keys(Vec<Option<u64>>),
}

impl Values {
    /// The values of a value column, as aggregate `agg` reads them.
    pub fn of(agg: Agg, c: &Column) -> PolarsResult<Values> {
        if agg != Agg::CountDistinct {
            let f = c.cast(&DataType::Float64)?;
            let ca = f.f64()?.rechunk();
            return Ok(Values::Numbers(match ca.chunks().len() {
                1 => ca.downcast_as_array().clone(),
                _ => Numbers::from_vec(Vec::new()),
            }));
        }
        Ok(Values::Keys(match c.dtype() {
            DataType::String => {
                let mut codes: PlHashMap<&str, u64> = PlHashMap::default();
                c.str()?
                    .iter()
                    .map(|v| {
                        v.map(|s| {
                            let next = codes.len() as u64;
                            *codes.entry(s).or_insert(next)
                        })
                    })
                    .collect()
            }
            DataType::Float32 | DataType::Float64 => c
                .cast(&DataType::Float64)?
                .f64()?
                .iter()
                .map(|v| v.map(float_key))
                .collect(),
            DataType::Boolean => c.bool()?.iter().map(|v| v.map(u64::from)).collect(),
            _ => c
                .to_physical_repr()
                .cast(&DataType::Int64)?
                .i64()?
                .iter()
                .map(|v| v.map(|x| x as u64))
                .collect(),
        }))
    }
}

/// A number's key: equal numbers (0.0 and -0.0, every NaN) have equal keys.
fn float_key(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// Rows in group order: the rows of group `g` are `order[starts[g]..starts[g + 1]]`, in row
/// order.
pub struct Grouping {
    order: Vec<u32>,
    starts: Vec<u32>,
}

impl Grouping {
    /// Groups rows `0..rows` by their key (`None`: the row is in no group), keys below `groups`.
    pub fn new(rows: usize, key: impl Fn(usize) -> Option<u32>, groups: usize) -> Grouping {
        let mut starts = vec![0u32; groups + 1];
        for g in (0..rows).filter_map(&key) {
            starts[g as usize + 1] += 1;
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; starts[groups] as usize];
        for row in 0..rows {
            if let Some(g) = key(row) {
                let at = &mut next[g as usize];
                order[*at as usize] = row as u32;
                *at += 1;
            }
        }
        Grouping { order, starts }
    }

    pub fn groups(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn has_rows(&self, g: usize) -> bool {
        self.starts[g] < self.starts[g + 1]
    }

    /// The rows of group `g`, in row order.
    fn rows(&self, g: usize) -> &[u32] {
        &self.order[self.starts[g] as usize..self.starts[g + 1] as usize]
    }

    /// Aggregate `agg` (quantile `q`) of `values` in each group, as values of `kind`.
    pub fn aggregate(&self, agg: Agg, q: Option<f64>, kind: Kind, values: &Values) -> Vec<Val> {
        let mut numbers: Vec<f64> = Vec::new();
        let mut keys: Vec<u64> = Vec::new();
        (0..self.groups())
            .map(|g| {
                let rows = self.rows(g);
                match values {
                    Values::Keys(v) => {
                        keys.clear();
                        keys.extend(rows.iter().filter_map(|&r| v[r as usize]));
                        keys.sort_unstable();
                        keys.dedup();
                        Val::Count(keys.len() as i64)
                    }
                    Values::Numbers(v) => {
                        numbers.clear();
                        numbers.extend(rows.iter().filter_map(|&r| v.get(r as usize)));
                        let x = of_numbers(agg, q, &mut numbers);
                        match kind {
                            Kind::Count => Val::Count(x.map_or(0, |x| x as i64)),
                            Kind::Money => x.map_or(Val::Null, |x| Val::Money(x as i64)),
                            Kind::Float => Val::Float(x),
                        }
                    }
                }
            })
            .collect()
    }
}

/// Aggregate `agg` of one group's numbers, in row order; reorders them for a quantile. A sum of
/// none is 0; the rest of none are null.
fn of_numbers(agg: Agg, q: Option<f64>, x: &mut [f64]) -> Option<f64> {
    match agg {
        Agg::Sum => Some(x.iter().sum()),
        Agg::Count | Agg::CountDistinct => Some(x.len() as f64),
        _ if x.is_empty() => None,
        Agg::Mean => Some(x.iter().sum::<f64>() / x.len() as f64),
        Agg::Min => x.iter().copied().reduce(f64::min),
        Agg::Max => x.iter().copied().reduce(f64::max),
        Agg::Median | Agg::Quantile => Some(quantile(x, q.unwrap_or(0.5))),
    }
}

/// Quantile `q` of non-empty `x` with linear interpolation between the two nearest ranks:
/// Polars' `QuantileMethod::Linear`, step for step (the lower rank found by selection, the upper
/// as the least of the values above it), so the same value as sorting gives. Reorders `x`.
fn quantile(x: &mut [f64], q: f64) -> f64 {
    let float_idx = (x.len() as f64 - 1.0) * q;
    let idx = (float_idx as usize).min(x.len() - 1);
    let top = float_idx.ceil() as usize;
    let (_, &mut lower, above) = x.select_nth_unstable_by(idx, f64::total_cmp);
    if idx == top {
        return lower;
    }
    let Some(upper) = above.iter().copied().min_by(f64::total_cmp) else {
        return lower;
    };
    if lower == upper {
        lower
    } else {
        (float_idx - idx as f64) * (upper - lower) + lower
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(v: &[Option<f64>]) -> Values {
        Values::Numbers(super::Numbers::from(v.to_vec()))
    }

    fn grouping(keys: &[Option<u32>], groups: usize) -> Grouping {
        Grouping::new(keys.len(), |r| keys[r], groups)
    }

    #[test]
    fn groups_keep_row_order_and_skip_rows_in_none() {
        let g = grouping(&[Some(1), None, Some(0), Some(1), Some(1)], 3);
        assert_eq!(g.rows(0), [2]);
        assert_eq!(g.rows(1), [0, 3, 4]);
        assert!(g.rows(2).is_empty());
    }

    #[test]
    fn each_aggregate_of_a_hand_computed_group() {
        let g = grouping(&[Some(0), Some(0), Some(0), Some(0), Some(1)], 2);
        let v = numbers(&[Some(4.0), Some(1.0), None, Some(2.5), None]);
        let of = |agg, q| g.aggregate(agg, q, Kind::Float, &v);
        assert_eq!(
            of(Agg::Sum, None),
            [Val::Float(Some(7.5)), Val::Float(Some(0.0))]
        );
        assert_eq!(
            of(Agg::Mean, None),
            [Val::Float(Some(2.5)), Val::Float(None)]
        );
        assert_eq!(of(Agg::Min, None)[0], Val::Float(Some(1.0)));
        assert_eq!(of(Agg::Max, None)[0], Val::Float(Some(4.0)));
        // Sorted 1, 2.5, 4: the median is the middle value; q = 0.9 is 2.5 + 0.8 × 1.5.
        assert_eq!(of(Agg::Median, Some(0.5))[0], Val::Float(Some(2.5)));
        assert_eq!(
            of(Agg::Quantile, Some(0.9))[0],
            Val::Float(Some((1.8 - 1.0) * 1.5 + 2.5))
        );
        assert_eq!(of(Agg::Quantile, Some(1.0))[0], Val::Float(Some(4.0)));
        assert_eq!(of(Agg::Quantile, Some(0.0))[0], Val::Float(Some(1.0)));
    }

    #[test]
    fn distinct_counts_of_text_and_numbers() {
        let g = grouping(&[Some(0), Some(0), Some(0), Some(1)], 2);
        let text = Column::new("t".into(), [Some("a"), Some("b"), Some("a"), None]);
        let v = Values::of(Agg::CountDistinct, &text).unwrap();
        let counts = g.aggregate(Agg::CountDistinct, None, Kind::Count, &v);
        assert_eq!(counts, [Val::Count(2), Val::Count(0)]);
        let zeros = Column::new("x".into(), [0.0f64, -0.0, 1.5, 2.0]);
        let v = Values::of(Agg::CountDistinct, &zeros).unwrap();
        assert_eq!(
            g.aggregate(Agg::CountDistinct, None, Kind::Count, &v)[0],
            Val::Count(2)
        );
    }

    proptest::proptest! {
        /// A quantile by selection is the quantile of the sorted values (Polars' linear rule).
        #[test]
        fn a_quantile_by_selection_is_the_quantile_of_the_sorted_values(
            x in proptest::collection::vec(-1.0e6f64..1.0e6, 1..40),
            q in 0.0f64..=1.0,
        ) {
            let mut sorted = x.clone();
            sorted.sort_by(f64::total_cmp);
            let float_idx = (sorted.len() as f64 - 1.0) * q;
            let lo = float_idx as usize;
            let hi = (float_idx.ceil() as usize).min(sorted.len() - 1);
            let want = if sorted[lo] == sorted[hi] {
                sorted[lo]
            } else {
                (float_idx - lo as f64) * (sorted[hi] - sorted[lo]) + sorted[lo]
            };
            let mut y = x.clone();
            proptest::prop_assert_eq!(quantile(&mut y, q), want);
        }
    }
}
