//! Checks of `fx_rates`, and the rate an amount of another currency is converted at.

use rustc_hash::FxHashMap as HashMap;

use super::{cells, next, show, Row};
use crate::diag::cut;
use crate::model::LeftOutRate;
use crate::model::*;
use crate::periods::{format_day, Day};
use crate::problems::Problems;
use crate::raw::RawTable;

pub(super) fn fx_rates(p: &mut Problems, l: &mut Ledger, t: &RawTable, base: &str) {
    let (mut cur, mut day, mut rate) = (
        cells(t, "currency"),
        cells(t, "rate_date"),
        cells(t, "rate_to_base"),
    );
    let fx = &mut l.fx;
    fx.base = Some(fx.currencies.intern(base));
    fx.rates.push(Vec::new());
    // Per (currency, date): the first row, and whether it is still in.
    let mut seen: HashMap<(u32, Day), (usize, bool)> = HashMap::default();
    let mut gone: Vec<(u32, Day)> = Vec::new();
    for i in 0..t.height() {
        let mut r = Row::new(p, t, i);
        let c = r.req("currency", next(&mut cur));
        let d = r.date("rate_date", next(&mut day), true);
        let rv = next(&mut rate);
        let x = r.rate("rate_to_base", rv);
        if x.is_some_and(|x| x <= 0) {
            r.bad("rate_to_base", &show(rv), "must be > 0");
        }
        if let (Some(c), Some(d), false) = (c, d, r.broke) {
            let ci = fx.currencies.intern(c);
            if fx.rates.len() <= ci as usize {
                fx.rates.push(Vec::new());
            }
            // Which of two rates of one date is right cannot be told: both leave.
            if let Some(&(first, still_in)) = seen.get(&(ci, d)) {
                r.bad(
                    "rate_date",
                    &format_day(d),
                    format!(
                        "gives a second {} rate for the same date: {} has one",
                        cut(c),
                        t.row_ref(first)
                    ),
                );
                if still_in {
                    r.p.add(
                        t,
                        first,
                        "rate_date",
                        &format_day(d),
                        format!(
                            "gives a second {} rate for the same date: {} has one",
                            cut(c),
                            t.row_ref(i)
                        ),
                    );
                    let why = super::why(r.p, t, first);
                    l.left_out.rates.push(LeftOutRate {
                        currency: Some(c.to_string()),
                        date: Some(d),
                        why,
                    });
                    gone.push((ci, d));
                    seen.insert((ci, d), (first, false));
                }
            } else {
                seen.insert((ci, d), (i, true));
            }
        }
        if r.broke {
            let why = r.why();
            l.left_out.rates.push(LeftOutRate {
                currency: c.map(str::to_string),
                date: d,
                why,
            });
            continue;
        }
        let (Some(c), Some(d), Some(x)) = (c, d, x) else {
            continue;
        };
        let ci = fx.currencies.intern(c);
        fx.rates[ci as usize].push((d, x));
    }
    for v in &mut fx.rates {
        v.sort_unstable();
    }
    for (ci, d) in gone {
        fx.rates[ci as usize].retain(|r| r.0 != d);
    }
}

/// The rule a missing rate breaks, and what to do.
pub(super) fn no_rate(cur: &str, d: Day) -> String {
    format!(
        "has no fx rate on or before {}: add a {} row to fx_rates dated on or before it",
        format_day(d),
        cut(cur)
    )
}

/// Why a rate of `cur` for day `d` may have come from a rejected fx_rates row: the rows of that
/// currency (or of an unreadable one) dated on or before `d` and not older than the rate found.
pub(super) fn rate_left_out<'l>(l: &'l Ledger, cur: &str, d: Day) -> Option<&'l str> {
    if l.left_out.rates.is_empty() {
        return None;
    }
    let ci = l.fx.currencies.get(cur);
    if ci.is_some() && ci == l.fx.base {
        return None;
    }
    let used = ci.and_then(|ci| {
        let rows = l.fx.rates.get(ci as usize)?;
        let k = rows.partition_point(|r| r.0 <= d);
        rows.get(k.checked_sub(1)?).map(|r| r.0)
    });
    l.left_out
        .rates
        .iter()
        .filter(|r| r.currency.as_deref().is_none_or(|c| c == cur))
        .find(|r| match r.date {
            Some(rd) => rd <= d && used.is_none_or(|u| rd >= u),
            None => true,
        })
        .map(|r| r.why.as_str())
}
