//! Contract 5.3, `bonus_pool`: when the bonuses of a plan's rows of one period add up to S, more
//! than the plan's pool B, each row's bonus b becomes its exact share b × B / S cut down to the
//! cent, and the cents the cut leaves (B less the sum of the cut shares) go one each to the rows
//! whose shares lost the most in the cut, ties to the smaller employee_id. The total is then B to
//! the cent. Integers only: b × B fits an i128 whatever the amounts.

use std::cmp::Reverse;

use crate::cards::Card;
use crate::config::ScorePlan;
use crate::model::Interner;

use super::RowScore;

/// How a row's bonus was scaled to its plan's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pooled {
    /// The plan's pool for the period, in cents.
    pub pool: i64,
    /// The bonuses of the plan's rows of the period before the pool (S), in cents; more than
    /// `pool`.
    pub total: i128,
    /// Whether the row got one of the cents the cut left.
    pub remainder_cent: bool,
}

/// Scales the bonuses of one period's rows, plan by plan, to the plans' pools. `cards` and
/// `scores` are the period's rows in the same order; `ids` are the employee ids by employee
/// index (ties go to the smaller id, in the byte order in which the rows are written).
pub fn apply(plans: &[ScorePlan], ids: &Interner, cards: &[Card], scores: &mut [RowScore]) {
    for (pi, plan) in plans.iter().enumerate() {
        let Some(pool) = plan.bonus_pool else {
            continue;
        };
        let rows: Vec<usize> = (0..scores.len())
            .filter(|&i| scores[i].plan == Some(pi))
            .collect();
        let uncapped: Vec<i64> = rows.iter().map(|&i| scores[i].bonus_uncapped).collect();
        let id = |i: usize| ids.name(cards[rows[i]].employee);
        let Some(shares) = scale(&uncapped, pool, id) else {
            continue;
        };
        let total: i128 = uncapped.iter().map(|&b| i128::from(b)).sum();
        for (j, &i) in rows.iter().enumerate() {
            let (bonus, remainder_cent) = shares[j];
            scores[i].bonus = bonus;
            scores[i].pool = Some(Pooled {
                pool,
                total,
                remainder_cent,
            });
        }
    }
}

/// The bonuses `b` scaled to `pool` when their sum exceeds it, each with whether it got a
/// remainder cent; `None` when the pool does not bind. `id(j)` is the employee id of `b[j]`.
pub fn scale<'a>(b: &[i64], pool: i64, id: impl Fn(usize) -> &'a str) -> Option<Vec<(i64, bool)>> {
    let total: i128 = b.iter().map(|&x| i128::from(x)).sum();
    let pool = i128::from(pool);
    if total <= pool {
        return None;
    }
    // b × B = share × S + remainder, 0 <= remainder < S: the remainders, all over S, are what
    // the cut took from each share.
    let cut: Vec<(i128, i128)> = b
        .iter()
        .map(|&x| {
            let n = i128::from(x) * pool;
            (n.div_euclid(total), n.rem_euclid(total))
        })
        .collect();
    let left = pool - cut.iter().map(|c| c.0).sum::<i128>();
    let mut order: Vec<usize> = (0..b.len()).collect();
    order.sort_by(|&x, &y| (Reverse(cut[x].1), id(x)).cmp(&(Reverse(cut[y].1), id(y))));
    let mut out: Vec<(i64, bool)> = cut.iter().map(|c| (c.0 as i64, false)).collect();
    // The remainders add up to `left` × S with each below S, so `left` < the rows that lost
    // anything: every cent goes to a row whose share was cut.
    for &j in order.iter().take(left as usize) {
        out[j] = (out[j].0 + 1, true);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::scale;

    fn ids(j: usize) -> &'static str {
        ["E1", "E2", "E3", "E4", "E5"][j]
    }

    #[test]
    fn a_pool_that_is_not_exceeded_changes_nothing() {
        assert_eq!(scale(&[100, 200], 300, ids), None);
        assert_eq!(scale(&[100, 200], 301, ids), None);
        assert_eq!(scale(&[0, 0], 0, ids), None);
    }

    #[test]
    fn the_cents_left_by_the_cut_go_by_the_largest_remainder() {
        // S = 1000, B = 700: shares 70, 210, 420 exactly; nothing left.
        assert_eq!(
            scale(&[100, 300, 600], 700, ids),
            Some(vec![(70, false), (210, false), (420, false)])
        );
        // S = 3, B = 2: each share 2/3 → 0 with 2/3 lost; 2 cents left go to E1 and E2, the
        // smaller ids of a three-way tie.
        assert_eq!(
            scale(&[1, 1, 1], 2, ids),
            Some(vec![(1, true), (1, true), (0, false)])
        );
        // S = 10, B = 7: 1 → 0.7, 2 → 1.4, 3 → 2.1, 4 → 2.8; floors 0 + 1 + 2 + 2 = 5, 2 cents
        // left: to 4 (lost 0.8) and 1 (lost 0.7).
        assert_eq!(
            scale(&[1, 2, 3, 4], 7, ids),
            Some(vec![(1, true), (1, false), (2, false), (3, true)])
        );
    }

    #[test]
    fn ties_go_to_the_smaller_id_in_byte_order_not_to_the_first_row() {
        let id = |j: usize| ["E2", "E10"][j];
        // 1 × 1 / 2 each: one cent left, to E10 ("E10" < "E2").
        assert_eq!(scale(&[1, 1], 1, id), Some(vec![(0, false), (1, true)]));
    }

    #[test]
    fn a_zero_pool_takes_every_bonus() {
        assert_eq!(scale(&[500, 0], 0, ids), Some(vec![(0, false), (0, false)]));
    }

    #[test]
    fn large_amounts_are_exact() {
        // Two bonuses of 10^15 cents under a pool of 10^15 + 1: b × B is past i64.
        let b = 1_000_000_000_000_000;
        let got = scale(&[b, b], b + 1, ids).unwrap();
        assert_eq!(got, vec![(b / 2 + 1, true), (b / 2, false)]);
        assert_eq!(got.iter().map(|g| g.0).sum::<i64>(), b + 1);
    }
}
