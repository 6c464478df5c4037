//! The overview: headline figures, trends, grades, the heatmap, the flagged and the ranking.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::super::data::{Card, Rollup, Tables};
use super::super::format::{escape, int, money_cents, num, pct};
use super::super::svg::{self, Series, Unit};
use super::{employees, flag_reason, header, html, opt, plus, Scope};

fn company<'a>(t: &'a Tables, period: &str) -> Option<&'a Rollup> {
    t.rollups
        .iter()
        .find(|r| r.period == period && r.level == "company")
}

/// A headline card: the value at the period and its change from the previous one.
fn headline(
    scope: &Scope,
    label: &str,
    now: Option<Fig>,
    before: Option<Option<Fig>>,
    lower_is_better: bool,
) -> String {
    let v = now.map_or_else(
        || {
            let why = format!("na_{label}");
            scope.na(if super::super::labels::has(&why) {
                &why
            } else {
                "na_value"
            })
        },
        |f| f.show(),
    );
    let d = match (now, before) {
        (_, None) => scope.t("no_previous"),
        (Some(a), Some(Some(b))) => a.change(&b, scope, lower_is_better),
        _ => scope.na("na_value"),
    };
    format!(
        "<div class=\"card\" data-figure=\"{label}\"><div class=\"d\">{}</div><div class=\"v\">{v}</div><div class=\"d\">{d}</div></div>\n",
        scope.t(label)
    )
}

/// A headline figure.
#[derive(Clone, Copy)]
enum Fig {
    Money(i128),
    Ratio(f64),
    Count(i64),
}

impl Fig {
    fn show(&self) -> String {
        match self {
            Fig::Money(c) => money_cents(*c),
            Fig::Ratio(r) => pct(*r),
            Fig::Count(n) => int(*n),
        }
    }

    fn change(&self, before: &Fig, scope: &Scope, lower_is_better: bool) -> String {
        let prev = escape(scope.previous().unwrap_or(""));
        let (text, sign) = match (self, before) {
            (Fig::Money(a), Fig::Money(b)) => {
                let d = a - b;
                let rel = if *b != 0 {
                    format!(" ({})", pct(d as f64 / b.abs() as f64))
                } else {
                    String::new()
                };
                (
                    format!("{}{}{rel}", plus(d > 0), money_cents(d)),
                    d.signum() as i32,
                )
            }
            (Fig::Ratio(a), Fig::Ratio(b)) => {
                let d = (a - b) * 100.0;
                (
                    format!("{}{} {}", plus(d > 0.0), num(d, 1), scope.t("pp")),
                    sign_of(d),
                )
            }
            (Fig::Count(a), Fig::Count(b)) => {
                let d = a - b;
                (format!("{}{}", plus(d > 0), int(d)), d.signum() as i32)
            }
            _ => (String::new(), 0),
        };
        let sign = if lower_is_better { -sign } else { sign };
        let class = match sign {
            1 => " class=\"up\"",
            -1 => " class=\"down\"",
            _ => "",
        };
        format!("<span{class}>{text}</span> {} {prev}", scope.t("change"))
    }
}

fn sign_of(d: f64) -> i32 {
    if d > 1e-12 {
        1
    } else if d < -1e-12 {
        -1
    } else {
        0
    }
}

fn figures(t: &Tables, period: &str) -> Option<Vec<(&'static str, Option<Fig>)>> {
    let c = company(t, period)?;
    let mut out: Vec<(&'static str, Option<Fig>)> = Vec::new();
    for m in [
        "outstanding",
        "cash_collected",
        "funded_volume",
        "fee_income",
    ] {
        out.push((m, c.money.get(m).copied().flatten().map(Fig::Money)));
    }
    for m in ["cash_recovery_rate", "par30_rate", "bad_debt_rate"] {
        out.push((m, c.ratio.get(m).copied().flatten().map(Fig::Ratio)));
    }
    out.push(("rated", Some(Fig::Count(c.rated))));
    let bonus: i128 = t
        .cards
        .iter()
        .filter(|c| c.period == period)
        .map(|c| c.bonus_cents)
        .sum();
    out.push(("total_bonus", Some(Fig::Money(bonus))));
    Some(out)
}

fn headlines(scope: &Scope, t: &Tables) -> String {
    let mut s = format!("<h2>{}</h2>\n<div class=\"cards\">\n", scope.t("headline"));
    let now = figures(t, scope.period()).unwrap_or_default();
    let before = scope.previous().and_then(|p| figures(t, p));
    for (label, fig) in now {
        let b = before
            .as_ref()
            .map(|b| b.iter().find(|(l, _)| *l == label).and_then(|(_, f)| *f));
        // For these, a rise is bad news: it shows in red.
        let lower_is_better = matches!(label, "par30_rate" | "bad_debt_rate");
        s.push_str(&headline(scope, label, fig, b, lower_is_better));
    }
    s.push_str("</div>\n");
    s
}

/// The departments of the rollups, in name order.
fn departments(t: &Tables) -> Vec<String> {
    let set: BTreeSet<&str> = t
        .rollups
        .iter()
        .filter(|r| r.level == "department")
        .map(|r| r.key.as_str())
        .collect();
    set.into_iter().map(str::to_string).collect()
}

fn trends(scope: &Scope, t: &Tables) -> String {
    let mut s = format!("<h2>{}</h2>\n<div class=\"charts\">\n", scope.t("trends"));
    let depts = departments(t);
    let keys: Vec<(&str, String, String)> =
        std::iter::once(("company", "company".to_string(), scope.t("company")))
            .chain(depts.iter().map(|d| ("department", d.clone(), escape(d))))
            .collect();
    let value = |r: &Rollup, m: &str| -> Option<f64> {
        r.ratio
            .get(m)
            .copied()
            .flatten()
            .or_else(|| r.money.get(m).copied().flatten().map(|c| c as f64 / 100.0))
    };
    for (m, unit) in [
        ("cash_recovery_rate", Unit::Ratio),
        ("par30_rate", Unit::Ratio),
        ("bad_debt_rate", Unit::Ratio),
        ("funded_volume", Unit::Money),
        ("fee_income", Unit::Money),
    ] {
        let series: Vec<Series> = keys
            .iter()
            .map(|(level, key, name)| Series {
                name: name.clone(),
                values: scope
                    .periods
                    .iter()
                    .map(|p| {
                        t.rollups
                            .iter()
                            .find(|r| &r.period == p && r.level == *level && &r.key == key)
                            .and_then(|r| value(r, m))
                    })
                    .collect(),
            })
            .collect();
        let na = format!("{}: {}", scope.w("na"), scope.w(&scope.why_na(m)));
        s.push_str(&svg::line_chart(
            scope.w(m),
            scope.periods,
            &series,
            unit,
            &na,
        ));
        s.push('\n');
    }
    s.push_str("</div>\n");
    s
}

/// The grade bands seen, best first as the data orders them (by the lowest composite reaching
/// each), then `not rated`.
fn grade_order(cards: &[&Card]) -> Vec<String> {
    let mut lowest: BTreeMap<&str, f64> = BTreeMap::new();
    for c in cards {
        if let (Some(g), Some(x)) = (&c.grade, c.composite) {
            let e = lowest.entry(g.as_str()).or_insert(x);
            if x < *e {
                *e = x;
            }
        }
    }
    let mut grades: Vec<(&str, f64)> = lowest.into_iter().collect();
    grades.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    grades.into_iter().map(|g| g.0.to_string()).collect()
}

fn grades(scope: &Scope, t: &Tables) -> String {
    let all: Vec<&Card> = t.cards.iter().collect();
    let mut cats = grade_order(&all);
    let not_rated = scope.w("not_rated").to_string();
    cats.push(not_rated.clone());
    let count = |cs: &mut dyn Iterator<Item = &Card>| -> Vec<u64> {
        let mut v = vec![0u64; cats.len()];
        for c in cs {
            let i = c
                .grade
                .as_ref()
                .and_then(|g| cats.iter().position(|x| x == g))
                .unwrap_or(cats.len() - 1);
            v[i] += 1;
        }
        v
    };
    let transpose = |cols: Vec<Vec<u64>>| -> Vec<Vec<u64>> {
        (0..cats.len())
            .map(|k| cols.iter().map(|c| c[k]).collect())
            .collect()
    };
    let by_period = transpose(
        scope
            .periods
            .iter()
            .map(|p| count(&mut t.cards.iter().filter(|c| &c.period == p)))
            .collect(),
    );
    let depts = departments(t);
    let by_dept = transpose(
        depts
            .iter()
            .map(|d| {
                count(
                    &mut t
                        .cards
                        .iter()
                        .filter(|c| c.period == scope.period() && &c.department == d),
                )
            })
            .collect(),
    );
    format!(
        "<h2>{}</h2>\n<div class=\"charts\">\n{}\n{}\n</div>\n",
        scope.t("grades"),
        svg::stacked_bars(
            scope.w("grades_by_period"),
            scope.periods,
            &cats,
            &by_period
        ),
        svg::stacked_bars(scope.w("grades_by_department"), &depts, &cats, &by_dept),
    )
}

fn heatmap(scope: &Scope, t: &Tables) -> String {
    let p = scope.period();
    let team_of: BTreeMap<&str, &str> = t
        .cards
        .iter()
        .filter(|c| c.period == p)
        .map(|c| (c.employee_id.as_str(), c.team.as_str()))
        .collect();
    let mut metrics: Vec<&str> = Vec::new();
    let mut sums: BTreeMap<(&str, &str), (f64, u32)> = BTreeMap::new();
    for k in t.kpis.iter().filter(|k| k.period == p) {
        if !metrics.contains(&k.metric.as_str()) {
            metrics.push(&k.metric);
        }
        if let (Some(team), Some(score)) = (team_of.get(k.employee_id.as_str()), k.score) {
            let e = sums.entry((team, &k.metric)).or_insert((0.0, 0));
            e.0 += score;
            e.1 += 1;
        }
    }
    let teams: Vec<&str> = team_of
        .values()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let values: Vec<Vec<Option<f64>>> = teams
        .iter()
        .map(|team| {
            metrics
                .iter()
                .map(|m| sums.get(&(*team, *m)).map(|(s, n)| s / f64::from(*n)))
                .collect()
        })
        .collect();
    let rows: Vec<String> = teams.iter().map(|s| s.to_string()).collect();
    let cols: Vec<String> = metrics.iter().map(|s| s.to_string()).collect();
    format!(
        "<h2>{}</h2>\n{}\n",
        scope.t("heatmap"),
        svg::heatmap(
            scope.w("heatmap"),
            &rows,
            &cols,
            &values,
            scope.w("na_score")
        )
    )
}

/// The employee's name and id, linked to their statement when there is one.
fn who(link: &dyn Fn(&str) -> String, c: &Card) -> String {
    let text = format!("{} {}", escape(&c.employee_name), escape(&c.employee_id));
    match link(&c.employee_id) {
        href if href.is_empty() => text,
        href => format!("<a href=\"{}\">{text}</a>", escape(&href)),
    }
}

/// The rated rows of the period, best first (ties by employee id).
fn ranked<'a>(t: &'a Tables, period: &str) -> Vec<&'a Card> {
    let mut rows: Vec<&Card> = t
        .cards
        .iter()
        .filter(|c| c.period == period && c.composite.is_some())
        .collect();
    rows.sort_by(|a, b| {
        b.composite
            .unwrap_or(0.0)
            .total_cmp(&a.composite.unwrap_or(0.0))
            .then(a.employee_id.cmp(&b.employee_id))
    });
    rows
}

fn ranking(scope: &Scope, t: &Tables, link: &dyn Fn(&str) -> String) -> String {
    let mut s = format!(
        "<h2>{}</h2>\n<table class=\"ranking\">\n<tr><th class=\"n\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"n\">{}</th><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr>\n",
        scope.t("ranking"),
        scope.t("rank"),
        scope.t("employee"),
        scope.t("department"),
        scope.t("team"),
        scope.t("role"),
        scope.t("composite"),
        scope.t("grade"),
        scope.t("percentile"),
        scope.t("bonus")
    );
    for (i, c) in ranked(t, scope.period()).iter().enumerate() {
        let _ = writeln!(
            s,
            "<tr data-employee=\"{id}\"><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\" data-bonus=\"{bonus}\">{bonus}</td></tr>",
            i + 1,
            who(link, c),
            escape(&c.department),
            escape(&c.team),
            escape(&c.role),
            opt(scope, c.composite, "na_composite", |x| num(x, 1)),
            escape(c.grade.as_deref().unwrap_or("")),
            opt(scope, c.percentile, "na_group", pct),
            id = escape(&c.employee_id),
            bonus = money_cents(c.bonus_cents),
        );
    }
    s.push_str("</table>\n");
    s
}

fn flagged(scope: &Scope, t: &Tables, link: &dyn Fn(&str) -> String) -> String {
    let rows: Vec<&Card> = t
        .cards
        .iter()
        .filter(|c| c.period == scope.period() && c.review_flag)
        .collect();
    let mut s = format!("<h2>{}</h2>\n", scope.t("flagged"));
    if rows.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", scope.t("no_flagged"));
        return s;
    }
    let _ = writeln!(
        s,
        "<table class=\"flagged\">\n<tr><th>{}</th><th>{}</th><th class=\"n\">{}</th><th>{}</th></tr>",
        scope.t("employee"),
        scope.t("department"),
        scope.t("composite"),
        scope.t("reason")
    );
    for c in rows {
        let _ = writeln!(
            s,
            "<tr data-employee=\"{id}\"><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"flag\">{}</td></tr>",
            who(link, c),
            escape(&c.department),
            opt(scope, c.composite, "na_composite", |x| num(x, 1)),
            flag_reason(scope, t, c),
            id = escape(&c.employee_id),
        );
    }
    s.push_str("</table>\n");
    s
}

/// The overview's body; `statements` (inside the page) or links to `--split` pages.
pub fn overview(
    scope: &Scope,
    t: &Tables,
    link: &dyn Fn(&str) -> String,
    statements: &str,
) -> String {
    let title = scope.w("title").to_string();
    let mut body = header(scope, &title);
    body.push_str(&headlines(scope, t));
    body.push_str(&trends(scope, t));
    body.push_str(&grades(scope, t));
    body.push_str(&super::calibration::calibration(scope, t, &t.guidance));
    body.push_str(&heatmap(scope, t));
    body.push_str(&flagged(scope, t, link));
    body.push_str(&ranking(scope, t, link));
    let _ = writeln!(body, "<h2>{}</h2>", scope.t("statements"));
    if statements.is_empty() {
        // Split: a link to each person's own page.
        body.push_str("<p class=\"links\">");
        for c in employees(t, scope.period()) {
            let _ = write!(
                body,
                "<a href=\"{}\">{} {}</a> · ",
                escape(&link(&c.employee_id)),
                escape(&c.employee_name),
                escape(&c.employee_id)
            );
        }
        body.push_str("</p>\n");
    } else {
        body.push_str(statements);
    }
    html(scope, &title, &body)
}
