//! The bonus pool's line of a statement (contract 5.3): the plan's pool for the period, its
//! bonuses before it, and what the scaling did to the row's bonus, with the arithmetic written
//! out.

use serde::Serialize;

use crate::money::format_cents;
use crate::run::Scorecards;

/// The plan's bonus pool of the period and what it did to the row's bonus (contract 5.3).
#[derive(Debug, Serialize)]
pub struct PoolLine {
    pub pool: String,
    /// The bonuses of the plan's rows of the period before the pool.
    pub plan_bonuses: String,
    /// Whether the plan's bonuses exceed the pool, so that each is scaled down.
    pub binds: bool,
    /// Whether the row got one of the cents the cut left.
    pub remainder_cent: bool,
    pub working: String,
}

/// The plan's bonus pool of the `k`-th period and the `i`-th row's share of it; `None` when the
/// plan has no pool.
pub(super) fn pool_line(
    pl: &crate::config::ScorePlan,
    sc: &Scorecards,
    (k, i): (usize, usize),
    label: &str,
    money: impl Fn(i128) -> String,
) -> Option<PoolLine> {
    let pool = pl.bonus_pool?;
    let s = &sc.scored.rows[k][i];
    let plan_rows = sc.scored.rows[k].iter().filter(|r| r.plan == s.plan);
    let total: i128 = plan_rows.map(|r| i128::from(r.bonus_uncapped)).sum();
    let (b, p, t) = (i128::from(s.bonus_uncapped), i128::from(pool), total);
    let head = format!(
        "plan `{}` pays at most {} in {label} and its bonuses add up to {}",
        pl.name,
        money(p),
        money(t)
    );
    let working = match s.pool {
        None => format!("{head}: not scaled"),
        Some(pooled) => format!(
            "{head}, so each is scaled by {} / {}: {} × {} / {} = {}, cut to {}{} of the cents the cut leaves (one each to the shares that lost most, ties to the smaller employee id) = {}",
            money(p),
            money(t),
            money(b),
            money(p),
            money(t),
            exact_cents(b * p, t),
            money(b * p / t),
            if pooled.remainder_cent { ", + 0.01" } else { "; none" },
            money(i128::from(s.bonus))
        ),
    };
    Some(PoolLine {
        pool: money(p),
        plan_bonuses: money(t),
        binds: s.pool.is_some(),
        remainder_cent: s.pool.is_some_and(|x| x.remainder_cent),
        working,
    })
}

/// Cents (0 or more) as a plain amount, `1234567` as `12345.67`.
pub(super) fn plain_cents(c: i128) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

/// `num / den` cents (both positive) as an amount: to the cent when exact, else to 6 places cut
/// short with `…`.
fn exact_cents(num: i128, den: i128) -> String {
    let cents = num / den;
    let mut rem = num % den;
    let mut s = format_cents(cents as i64);
    if rem == 0 {
        return s;
    }
    for _ in 0..4 {
        rem *= 10;
        s.push(char::from(b'0' + (rem / den) as u8));
        rem %= den;
        if rem == 0 {
            return s;
        }
    }
    s.push('…');
    s
}
