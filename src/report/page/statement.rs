//! One employee's statement: KPIs, curves, trend, calibration and the bonus.

use std::fmt::Write;

use super::super::data::{Card, Kpi, Own, Tables};
use super::super::format::{escape, money_cents, num, pct, show_multiplier};
use super::super::svg::{self, Series, Unit};
use super::{flag_reason, opt, Scope};

/// One employee's statement as a `<section>`.
pub fn statement(scope: &Scope, t: &Tables, c: &Card) -> String {
    let mut s = format!(
        "<section class=\"employee\" id=\"e-{id}\" data-employee=\"{id}\">\n<h3>{} {id}</h3>\n<p class=\"meta\">{} · {} · {} · {} {}</p>\n",
        escape(&c.employee_name),
        escape(&c.department),
        escape(&c.team),
        escape(&c.role),
        c.days_employed,
        scope.t("days_employed"),
        id = escape(&c.employee_id),
    );
    s.push_str(&summary(scope, t, c));
    let kpis: Vec<&Kpi> = t.kpis_of(&c.period, &c.employee_id);
    if !kpis.is_empty() {
        s.push_str(&kpi_table(scope, &kpis));
        s.push_str(&curves(scope, &kpis));
    }
    s.push_str(&own_measures(scope, c));
    s.push_str(&trend_and_group(scope, t, c));
    // The bonus.
    let _ = writeln!(
        s,
        "<h3>{}</h3>\n<p class=\"arith\">{}",
        scope.t("bonus_math"),
        scope.t("bonus_formula")
    );
    let pool = pool_line(scope, t, c);
    s.push_str(&bonus_line(scope, c, pool.is_some()));
    s.push_str(&pool.unwrap_or_default());
    s.push_str("</p>\n");
    s.push_str("</section>\n");
    s
}

/// The pipeline's own metrics of the row (contract 3.1), when it declares any.
fn own_measures(scope: &Scope, c: &Card) -> String {
    if c.own.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "<h3>{}</h3>\n<table class=\"kpis own\">\n<tr><th>{}</th><th class=\"n\">{}</th></tr>\n",
        scope.t("own_measures"),
        scope.t("measure"),
        scope.t("value")
    );
    for (name, v) in &c.own {
        let shown = match *v {
            Own::Money(Some(x)) => money_cents(x),
            Own::Count(Some(n)) => num(n as f64, 0),
            Own::Number(Some(x)) => num(x, 4),
            _ => scope.na("na_value"),
        };
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"n\">{shown}</td></tr>",
            escape(name)
        );
    }
    s.push_str("</table>\n");
    s
}

/// The row's figures as cards: composite, grade, percentile, z-score, bonus, and the flag.
fn summary(scope: &Scope, t: &Tables, c: &Card) -> String {
    let mut s = String::new();
    let flag = if c.review_flag {
        format!(
            "<div class=\"card\"><div class=\"d\">{}</div><div class=\"v flag\">{}</div></div>",
            scope.t("flagged"),
            flag_reason(scope, t, c)
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "<div class=\"cards\"><div class=\"card\"><div class=\"d\">{}</div><div class=\"v\">{}</div></div><div class=\"card\"><div class=\"d\">{}</div><div class=\"v\">{}</div></div><div class=\"card\"><div class=\"d\">{}</div><div class=\"v\">{}</div></div><div class=\"card\"><div class=\"d\">{}</div><div class=\"v\">{}</div></div><div class=\"card\"><div class=\"d\">{}</div><div class=\"v\" data-bonus=\"{bonus}\">{bonus}</div></div>{flag}</div>",
        scope.t("composite"),
        opt(scope, c.composite, "na_composite", |x| num(x, 1)),
        scope.t("grade"),
        c.grade.as_deref().map_or_else(|| scope.na("na_composite"), escape),
        scope.t("percentile"),
        opt(scope, c.percentile, "na_group", pct),
        scope.t("zscore"),
        opt(scope, c.zscore, "na_group", |z| num(z, 2)),
        scope.t("bonus"),
        bonus = money_cents(c.bonus_cents),
    );
    s
}

/// The score curve of each KPI with its threshold, target and stretch, the actual marked.
fn curves(scope: &Scope, kpis: &[&Kpi]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<h3>{}</h3>\n<div class=\"charts\">", scope.t("curves"));
    let marks: Vec<&str> = scope.w("curve_marks_higher").split('|').collect();
    let marks = [
        marks.first().copied().unwrap_or(""),
        marks.get(1).copied().unwrap_or(""),
        marks.get(2).copied().unwrap_or(""),
    ];
    for k in kpis {
        if let (Some(th), Some(ta), Some(st)) = (k.threshold, k.target, k.stretch) {
            s.push_str(&svg::score_curve(
                &k.metric,
                k.direction != "lower",
                th,
                ta,
                st,
                k.actual,
                k.score,
                unit_of(&k.metric),
                marks,
            ));
            s.push('\n');
        }
    }
    s.push_str("</div>\n");
    s
}

/// The composite over the periods read, and the calibration strip: the rated rows of the row's
/// calibration group (same period and plan, same values of the plan's group columns).
fn trend_and_group(scope: &Scope, t: &Tables, c: &Card) -> String {
    let mut s = String::new();
    // The composite over the periods read.
    let trend: Vec<Option<f64>> = scope
        .periods
        .iter()
        .map(|p| t.card_of(p, &c.employee_id).and_then(|x| x.composite))
        .collect();
    let _ = writeln!(s, "<div class=\"charts\">");
    s.push_str(&svg::line_chart(
        scope.w("composite_trend"),
        scope.periods,
        &[Series {
            name: scope.w("composite").to_string(),
            values: trend,
        }],
        Unit::Score,
        scope.w("na_composite"),
    ));
    s.push('\n');
    let group: &[f64] = Tables::group_key(c)
        .and_then(|k| t.ix.groups.get(&k))
        .map_or(&[], Vec::as_slice);
    let caption = format!(
        "{} {} · {} {}",
        scope.w("percentile"),
        c.percentile.map_or_else(|| scope.w("na").to_string(), pct),
        scope.w("zscore"),
        c.zscore
            .map_or_else(|| scope.w("na").to_string(), |z| num(z, 2)),
    );
    s.push_str(&svg::strip(
        scope.w("calibration"),
        group,
        c.composite,
        &caption,
    ));
    let _ = writeln!(s, "\n</div>");
    s
}

/// The bonus arithmetic with this row's figures (as the scorecards table holds them), or why it
/// cannot be written out. When the plan's pool scales it (`scaled`), the arithmetic gives the
/// bonus before the pool and the pool's line follows.
fn bonus_line(scope: &Scope, c: &Card, scaled: bool) -> String {
    let (Some(g), Some(_)) = (&c.grade, c.composite) else {
        return format!("<br>{}", scope.t("bonus_not_rated"));
    };
    let figures = match (c.base_salary_cents, c.months, c.multiplier) {
        (Some(salary), Some(months), Some(m)) => Ok((salary, months, m)),
        _ => Err(scope.w("basis_unknown")),
    };
    match figures {
        Ok((salary, months, m)) => format!(
            "<br><span class=\"bonus-arith\">{} = {} × {} × {} ({} {}) × {} ÷ {} = {}</span>",
            scope.t("bonus"),
            money_cents(salary),
            months,
            show_multiplier(m),
            scope.t("grade"),
            escape(g),
            c.days_employed,
            c.days_in_period,
            if scaled {
                money_cents(c.bonus_uncapped_cents.unwrap_or(c.bonus_cents))
            } else {
                format!("<b>{}</b>", money_cents(c.bonus_cents))
            }
        ),
        Err(why) => format!(
            "<br>{} {} · {} {} → {} = {} <span class=\"na\">({})</span>",
            scope.t("grade"),
            escape(g),
            c.days_employed,
            scope.t("days_employed"),
            scope.t("bonus"),
            money_cents(c.bonus_cents),
            escape(why)
        ),
    }
}

/// When the plan's bonus pool for the period (contract 5.3) is exceeded by its rows' bonuses S:
/// the bonus before the pool scaled by pool ÷ S, cut to the cent, and the cent the cut left when
/// the row got one. `None` when the plan has no pool, the pool is not exceeded, or the table
/// does not hold the bonus before the pool.
fn pool_line(scope: &Scope, t: &Tables, c: &Card) -> Option<String> {
    let (pool, uncapped, total) = (
        c.bonus_pool_cents?,
        c.bonus_uncapped_cents?,
        t.plan_bonuses(c)?,
    );
    if total <= pool {
        return None;
    }
    let cut = uncapped * pool / total;
    let cent = if c.bonus_cents > cut {
        format!(
            " + {} ({})",
            money_cents(c.bonus_cents - cut),
            scope.t("pool_cent")
        )
    } else {
        String::new()
    };
    Some(format!(
        "<br><span class=\"bonus-pool\" data-pool=\"{}\" data-plan-bonuses=\"{}\">{}: {} × {} ÷ {} = {}{cent} = <b>{}</b></span><br>{} {} {} {}; {}.",
        money_cents(pool),
        money_cents(total),
        scope.t("pool_scaled"),
        money_cents(uncapped),
        money_cents(pool),
        money_cents(total),
        money_cents(cut),
        money_cents(c.bonus_cents),
        scope.t("pool_of_plan"),
        money_cents(pool),
        scope.t("pool_exceeded_by"),
        money_cents(total),
        scope.t("pool_rule"),
    ))
}

fn unit_of(metric: &str) -> Unit {
    use crate::catalogue::Unit as U;
    match crate::catalogue::Builtin::by_name(metric).map(|m| m.info().unit) {
        Some(U::Ratio) => Unit::Ratio,
        Some(U::BaseCurrency) => Unit::Money,
        Some(U::Count) => Unit::Count,
        _ => Unit::Plain,
    }
}

fn kpi_table(scope: &Scope, kpis: &[&Kpi]) -> String {
    let mut s = format!(
        "<table class=\"kpis\">\n<tr><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th>{}</th></tr>\n",
        scope.t("metric"),
        scope.t("actual"),
        scope.t("target"),
        scope.t("target_source"),
        scope.t("threshold"),
        scope.t("stretch"),
        scope.t("score"),
        scope.t("weight"),
        scope.t("effective_weight"),
        scope.t("weighted_score"),
        scope.t("appeal"),
    );
    for k in kpis {
        let unit = unit_of(&k.metric);
        let v = |x: Option<f64>, why: &str| x.map_or_else(|| scope.na(why), |x| svg::show(x, unit));
        let appeal = if k.adjusted {
            format!(
                "{} {} · {} · {} {}",
                scope.t("appeal_from"),
                k.raw_actual
                    .map_or_else(|| scope.t("na"), |x| svg::show(x, unit)),
                escape(k.adjustment_reason.as_deref().unwrap_or("")),
                scope.t("approved_by"),
                escape(k.approved_by.as_deref().unwrap_or(""))
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "<tr data-metric=\"{m}\"><td>{m}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{appeal}</td></tr>",
            v(k.actual, "na_value"),
            v(k.target, "na_target"),
            escape(&k.target_source),
            v(k.threshold, "na_target"),
            v(k.stretch, "na_target"),
            k.score.map_or_else(|| scope.na("na_score"), |x| num(x, 1)),
            pct(k.weight),
            pct(k.effective_weight),
            num(k.weighted_score, 2),
            m = escape(&k.metric),
        );
    }
    s.push_str("</table>\n");
    s
}
