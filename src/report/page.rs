//! The report's HTML: the overview of one period with its trends, and one statement per
//! employee. Plain strings, written in a fixed order, so the same tables give the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::data::{Card, Kpi, Rollup, Tables};
use super::format::{escape, int, money_cents, num, pct};
use super::labels::{t, Lang};
use super::svg::{self, Series, Unit};

/// What a page is about.
pub struct Scope<'a> {
    pub lang: Lang,
    pub grain: &'a str,
    /// The periods read, in order; the last is the report's period.
    pub periods: &'a [String],
    /// The output folder, as the header shows it.
    pub source: &'a str,
    /// Base salaries and multipliers, or why they are not known.
    pub basis: &'a Result<super::basis::Basis, super::basis::Missing>,
    /// Months in one period of the grain.
    pub months: i64,
}

impl Scope<'_> {
    pub fn period(&self) -> &str {
        self.periods.last().map_or("", String::as_str)
    }

    fn previous(&self) -> Option<&str> {
        self.periods
            .len()
            .checked_sub(2)
            .map(|i| self.periods[i].as_str())
    }

    /// The word for `key`, escaped for HTML.
    fn t(&self, key: &str) -> String {
        escape(t(self.lang, key))
    }

    /// The word for `key` as it is (the SVG module escapes what it is given).
    fn w<'k>(&self, key: &'k str) -> &'k str {
        t(self.lang, key)
    }

    /// `n/a` with a tooltip saying why.
    fn na(&self, why: &str) -> String {
        format!(
            "<span class=\"na\" title=\"{}\">{}</span>",
            self.t(why),
            self.t("na")
        )
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:16px 24px;color:#1d2430;background:#fff}\
h1{font-size:24px;margin:8px 0}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #d9dee7;padding-bottom:4px}\
h3{font-size:16px;margin:18px 0 6px}.meta{color:#5b6575;font-size:13px}\
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #d9dee7;border-radius:6px;padding:8px 12px;min-width:150px}\
.card .v{font-size:20px;font-weight:600}.card .d{font-size:12px;color:#5b6575}.up{color:#0b7a3e}.down{color:#b42318}\
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border-bottom:1px solid #e6e9ef;padding:3px 8px;text-align:left}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.na{color:#8a94a6;border-bottom:1px dotted #8a94a6}\
.charts{display:flex;flex-wrap:wrap;gap:12px}section.employee{border-top:3px solid #1d2430;margin-top:32px}\
.flag{color:#b42318}.arith{font-family:ui-monospace,monospace;font-size:13px;background:#f5f7fa;padding:8px}";

/// The page around `body`.
pub fn html(scope: &Scope, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        scope.lang.code(),
        escape(title)
    )
}

fn header(scope: &Scope, title: &str) -> String {
    format!(
        "<h1>{}</h1>\n<p class=\"meta\">{}: {} ({}) · {}: {}</p>\n<p class=\"meta\">{}</p>\n",
        escape(title),
        scope.t("period"),
        escape(scope.period()),
        scope.t(scope.grain),
        scope.t("generated_from"),
        escape(scope.source),
        scope.t("figures_note")
    )
}

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
    let v = now.map_or_else(|| scope.na(&format!("na_{label}")), |f| f.show());
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
                (format!("{}{} pp", plus(d > 0.0), num(d, 1)), sign_of(d))
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

fn plus(positive: bool) -> &'static str {
    if positive {
        "+"
    } else {
        ""
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
        let na = format!("{}: {}", t_na(scope.lang), scope.w(&format!("na_{m}")));
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

fn t_na(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "n/a",
        Lang::Zh => "无",
    }
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

fn opt(scope: &Scope, v: Option<f64>, why: &str, show: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| scope.na(why), show)
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
            "<tr data-employee=\"{id}\"><td class=\"n\">{}</td><td><a href=\"{}\">{} {id}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\" data-bonus=\"{bonus}\">{bonus}</td></tr>",
            i + 1,
            escape(&link(&c.employee_id)),
            escape(&c.employee_name),
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

/// Why a row is flagged: an approved appeal, or the swing of its composite.
fn flag_reason(scope: &Scope, t: &Tables, c: &Card) -> String {
    let appealed = t
        .kpis_of(&c.period, &c.employee_id)
        .iter()
        .any(|k| k.adjusted);
    if appealed {
        return scope.t("flag_appeal");
    }
    // The previous period read, if the employee had a row in it.
    let prev = scope
        .periods
        .iter()
        .position(|p| *p == c.period)
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| t.card_of(&scope.periods[i], &c.employee_id))
        .and_then(|p| p.composite);
    match (prev, c.composite) {
        (Some(a), Some(b)) => format!(
            "{} {} {} {} ({}{})",
            scope.t("flag_swing"),
            num(a, 1),
            scope.t("to"),
            num(b, 1),
            plus(b > a),
            num(b - a, 1)
        ),
        _ => String::new(),
    }
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
            "<tr data-employee=\"{id}\"><td><a href=\"{}\">{} {id}</a></td><td>{}</td><td class=\"n\">{}</td><td class=\"flag\">{}</td></tr>",
            escape(&link(&c.employee_id)),
            escape(&c.employee_name),
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

/// The employees with a scorecard row in the period, by id.
pub fn employees<'a>(t: &'a Tables, period: &str) -> Vec<&'a Card> {
    let mut v: Vec<&Card> = t.cards.iter().filter(|c| c.period == period).collect();
    v.sort_by(|a, b| a.employee_id.cmp(&b.employee_id));
    v
}

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
    let kpis: Vec<&Kpi> = t.kpis_of(&c.period, &c.employee_id);
    if !kpis.is_empty() {
        s.push_str(&kpi_table(scope, &kpis));
        let _ = writeln!(s, "<h3>{}</h3>\n<div class=\"charts\">", scope.t("curves"));
        let marks: Vec<&str> = scope.w("curve_marks_higher").split('|').collect();
        let marks = [
            marks.first().copied().unwrap_or(""),
            marks.get(1).copied().unwrap_or(""),
            marks.get(2).copied().unwrap_or(""),
        ];
        for k in &kpis {
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
    }
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
    // The calibration strip: the rated rows of the same plan, department and role.
    let plan = kpis.first().map(|k| k.plan.as_str());
    let group: &[f64] = plan
        .and_then(|p| {
            t.ix.groups.get(&(
                c.period.clone(),
                c.department.clone(),
                c.role.clone(),
                p.to_string(),
            ))
        })
        .map_or(&[], Vec::as_slice);
    let caption = format!(
        "{} {} · {} {}",
        scope.w("percentile"),
        c.percentile
            .map_or_else(|| t_na(scope.lang).to_string(), pct),
        scope.w("zscore"),
        c.zscore
            .map_or_else(|| t_na(scope.lang).to_string(), |z| num(z, 2)),
    );
    s.push_str(&svg::strip(
        scope.w("calibration"),
        group,
        c.composite,
        &caption,
    ));
    let _ = writeln!(s, "\n</div>");
    // The bonus.
    let _ = writeln!(
        s,
        "<h3>{}</h3>\n<p class=\"arith\">{}",
        scope.t("bonus_math"),
        scope.t("bonus_formula")
    );
    s.push_str(&bonus_line(scope, c, plan));
    s.push_str("</p>\n");
    s.push_str("</section>\n");
    s
}

/// The bonus arithmetic with this row's figures, or why it cannot be written out.
fn bonus_line(scope: &Scope, c: &Card, plan: Option<&str>) -> String {
    let (Some(g), Some(_), Some(plan)) = (&c.grade, c.composite, plan) else {
        return format!("<br>{}", scope.t("bonus_not_rated"));
    };
    let figures = match scope.basis {
        Ok(b) => match (
            b.salary.get(&c.employee_id),
            b.multiplier.get(&(plan.to_string(), g.clone())),
        ) {
            (Some(s), Some(m)) => Ok((*s, *m)),
            _ => Err(scope.w("basis_unknown").to_string()),
        },
        Err(why) => Err(why.clone()),
    };
    match figures {
        Ok((salary, m)) => format!(
            "<br><span class=\"bonus-arith\">{} = {} × {} × {} ({} {}) × {} ÷ {} = <b>{}</b></span>",
            scope.t("bonus"),
            money_cents(i128::from(salary)),
            scope.months,
            super::basis::show_multiplier(m),
            scope.t("grade"),
            escape(g),
            c.days_employed,
            c.days_in_period,
            money_cents(c.bonus_cents)
        ),
        Err(why) => format!(
            "<br>{} {} · {} {} → {} = {} <span class=\"na\">({})</span>",
            scope.t("grade"),
            escape(g),
            c.days_employed,
            scope.t("days_employed"),
            scope.t("bonus"),
            money_cents(c.bonus_cents),
            escape(&why)
        ),
    }
}

fn unit_of(metric: &str) -> Unit {
    match crate::metrics::registry::metric(metric).map(|m| m.unit) {
        Some("ratio") => Unit::Ratio,
        Some("base currency") => Unit::Money,
        Some("count") => Unit::Count,
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
