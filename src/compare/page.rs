//! The comparison as one self-contained HTML page (`plan_comparison.html`): the bonus bill on
//! each side per period and per department and role, the grade transitions as a heat map, the
//! composite scores' distribution on each side, and every moved person with both sides' KPI
//! figures. No script and nothing loaded: the report's style and its SVG charts.

use std::fmt::Write;

use super::{Comparison, Row, Summary, Totals};
use crate::catalogue::Catalogue;
use crate::config::ScorePlan;
use crate::report::format::{escape, int, money_cents, num, pct};
use crate::report::page::document;
use crate::report::svg::{line_chart, Series, Unit};
use crate::scoring::RowScore;

/// The most moved people the page details (the table and `--format json` have them all).
pub const MOVED_DETAILED: usize = 200;

/// The page.
pub fn html(c: &Comparison, cat: &Catalogue, s: &Summary, names: [&str; 2]) -> String {
    let mut b = String::new();
    let (first, last) = (
        s.periods.first().cloned().unwrap_or_default(),
        s.periods.last().cloned().unwrap_or_default(),
    );
    let _ = write!(
        b,
        "<h1>Plan comparison</h1>\n<p class=\"meta\">current: the plans of {} · proposed: the plans of {} · {} {} periods ({} .. {}) · {} scorecard rows</p>\n",
        escape(names[0]),
        escape(names[1]),
        s.periods.len(),
        escape(&s.grain),
        escape(&first),
        escape(&last),
        int(s.total.rows as i64)
    );
    cards(&mut b, &s.total);
    b.push_str("<h2>Bonus per period</h2>\n<div class=\"charts\">");
    let per = |side: usize| Series {
        name: super::SIDES[side].to_string(),
        values: s
            .per_period
            .iter()
            .map(|(_, t)| Some(t.bonus[side] as f64 / 100.0))
            .collect(),
    };
    b.push_str(&line_chart(
        "Total bonus per period",
        &s.periods,
        &[per(0), per(1)],
        Unit::Money,
        "no rows",
    ));
    b.push_str(&line_chart(
        "Distribution of composite scores (rated rows per 10 points)",
        &bins_labels(),
        &[distribution(c, 0), distribution(c, 1)],
        Unit::Count,
        "none",
    ));
    b.push_str("</div>\n<h2>Cost by department and role</h2>\n");
    totals_table(
        &mut b,
        s.per_department_role
            .iter()
            .map(|((d, r), t)| (format!("{d} / {r}"), t)),
    );
    transitions(&mut b, s);
    moved(&mut b, c, cat, &s.moved);
    document("en", "Plan comparison", &b)
}

fn cards(b: &mut String, t: &Totals) {
    let d = t.delta();
    let card = |b: &mut String, v: String, what: &str| {
        let _ = write!(
            b,
            "<div class=\"card\"><div class=\"v\">{}</div><div class=\"d\">{}</div></div>",
            escape(&v),
            escape(what)
        );
    };
    b.push_str("<div class=\"cards\">");
    card(b, money_cents(t.bonus[0]), "total bonus, current");
    card(b, money_cents(t.bonus[1]), "total bonus, proposed");
    card(
        b,
        format!(
            "{}{} ({})",
            if d > 0 { "+" } else { "" },
            money_cents(d),
            t.delta_pct()
                .map_or("n/a".into(), |p| format!("{}%", num(p, 1)))
        ),
        "change",
    );
    card(
        b,
        format!("{} → {}", int(t.rated[0] as i64), int(t.rated[1] as i64)),
        "rated rows, current → proposed",
    );
    b.push_str("</div>\n");
}

fn totals_table<'a>(b: &mut String, rows: impl Iterator<Item = (String, &'a Totals)>) {
    b.push_str("<table><tr><th>department / role</th><th class=\"n\">rated, current</th><th class=\"n\">rated, proposed</th><th class=\"n\">bonus, current</th><th class=\"n\">bonus, proposed</th><th class=\"n\">change</th><th class=\"n\">change %</th></tr>\n");
    for (label, t) in rows {
        let d = t.delta();
        let class = if d > 0 {
            " up"
        } else if d < 0 {
            " down"
        } else {
            ""
        };
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n{class}\">{}{}</td><td class=\"n{class}\">{}</td></tr>",
            escape(&label),
            int(t.rated[0] as i64),
            int(t.rated[1] as i64),
            money_cents(t.bonus[0]),
            money_cents(t.bonus[1]),
            if d > 0 { "+" } else { "" },
            money_cents(d),
            t.delta_pct().map_or("n/a".into(), |p| format!("{}%", num(p, 1)))
        );
    }
    b.push_str("</table>\n");
}

/// Composite bins of 10 points, 0 to 120 (a composite of 120 in the last).
fn bins_labels() -> Vec<String> {
    (0..12)
        .map(|i| format!("{}–{}", i * 10, i * 10 + 10))
        .collect()
}

fn distribution(c: &Comparison, side: usize) -> Series {
    let rows: &[Vec<RowScore>] = if side == 0 {
        &c.current.scored.rows
    } else {
        &c.proposed.scored.rows
    };
    let mut counts = [0u32; 12];
    for period in &rows[c.current.first_written..] {
        for r in period {
            if let Some(x) = r.composite {
                counts[((x / 10.0).floor().max(0.0) as usize).min(11)] += 1;
            }
        }
    }
    Series {
        name: super::SIDES[side].to_string(),
        values: counts.iter().map(|&n| Some(f64::from(n))).collect(),
    }
}

/// The transition matrix as a table whose cells are shaded by their share of the rows; the
/// diagonal (no change) outlined.
fn transitions(b: &mut String, s: &Summary) {
    let used = |side: usize| -> Vec<&String> {
        s.grades[side]
            .iter()
            .filter(|g| {
                s.transitions
                    .keys()
                    .any(|(a, x)| if side == 0 { a == *g } else { x == *g })
            })
            .collect()
    };
    let (down, across) = (used(0), used(1));
    let max = s.transitions.values().copied().max().unwrap_or(0).max(1);
    b.push_str("<h2>Grade transitions</h2>\n<p class=\"meta\">Rows per current grade (down) and proposed grade (across); the darker, the more rows; the outlined cells keep their grade.</p>\n<table><tr><th>current \\ proposed</th>");
    for g in &across {
        let _ = write!(b, "<th class=\"n\">{}</th>", escape(g));
    }
    b.push_str("</tr>\n");
    for a in &down {
        let _ = write!(b, "<tr><th>{}</th>", escape(a));
        for x in &across {
            let n = s
                .transitions
                .get(&((*a).clone(), (*x).clone()))
                .copied()
                .unwrap_or(0);
            // Sky blue (Okabe-Ito) at the largest count, white at none.
            let t = n as f64 / max as f64;
            let mix = |full: f64| (255.0 - (255.0 - full) * t).round() as u8;
            let outline = if a == x {
                "outline:2px solid #1d2430;"
            } else {
                ""
            };
            let _ = write!(
                b,
                "<td class=\"n\" style=\"background:#{:02X}{:02X}{:02X};{outline}\" title=\"{} → {}: {} rows ({})\">{}</td>",
                mix(86.0),
                mix(180.0),
                mix(233.0),
                escape(a),
                escape(x),
                int(n as i64),
                pct(n as f64 / s.total.rows.max(1) as f64),
                int(n as i64)
            );
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n");
}

/// Every moved row in a table, and the first [`MOVED_DETAILED`] with both sides' KPIs.
fn moved(b: &mut String, c: &Comparison, cat: &Catalogue, moved: &[Row]) {
    let _ = writeln!(
        b,
        "<h2>People whose grade changes</h2>\n<p class=\"meta\">{} rows, the largest bonus change first.</p>",
        int(moved.len() as i64)
    );
    b.push_str("<table><tr><th>employee</th><th>period</th><th>department</th><th>role</th><th>grade</th><th class=\"n\">composite</th><th class=\"n\">bonus</th><th class=\"n\">change</th></tr>\n");
    let comp = |x: Option<f64>| x.map_or("n/a".into(), |v| num(v, 1));
    for r in moved {
        let d = r.bonus_delta();
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td class=\"n\">{} → {}</td><td class=\"n\">{} → {}</td><td class=\"n {}\">{}{}</td></tr>",
            escape(&r.employee_id),
            escape(&r.period),
            escape(r.department.as_deref().unwrap_or("")),
            escape(r.role.as_deref().unwrap_or("")),
            escape(r.grade_label(0)),
            escape(r.grade_label(1)),
            comp(r.composite[0]),
            comp(r.composite[1]),
            money_cents(i128::from(r.bonus[0])),
            money_cents(i128::from(r.bonus[1])),
            if d > 0 { "up" } else { "down" },
            if d > 0 { "+" } else { "" },
            money_cents(i128::from(d))
        );
    }
    b.push_str("</table>\n");
    for r in moved.iter().take(MOVED_DETAILED) {
        statement_pair(b, c, cat, r);
    }
}

/// One moved row's KPIs on both sides: metric, actual, target, score and weighted score.
fn statement_pair(b: &mut String, c: &Comparison, cat: &Catalogue, r: &Row) {
    let k = r.k + c.current.first_written;
    let scores = [
        &c.current.scored.rows[k][r.i],
        &c.proposed.scored.rows[k][r.i],
    ];
    let plans: [&[ScorePlan]; 2] = [&c.current_plans, &c.proposed_plans];
    let _ = writeln!(
        b,
        "<section class=\"employee\"><h3>{} · {} · {} → {}</h3><div class=\"charts\">",
        escape(&r.employee_id),
        escape(&r.period),
        escape(r.grade_label(0)),
        escape(r.grade_label(1))
    );
    for side in 0..2 {
        let s = scores[side];
        let Some(pi) = s.plan else {
            let _ = write!(b, "<div><h3>{}: not rated</h3></div>", super::SIDES[side]);
            continue;
        };
        let plan = &plans[side][pi];
        let _ = write!(
            b,
            "<div><h3>{}: plan {}</h3><table><tr><th>KPI</th><th class=\"n\">weight</th><th class=\"n\">actual</th><th class=\"n\">target</th><th class=\"n\">score</th><th class=\"n\">weighted</th></tr>",
            super::SIDES[side],
            escape(&plan.name)
        );
        for ks in &s.kpis {
            let kpi = &plan.kpis[ks.kpi];
            let v = |x: Option<f64>| x.map_or("n/a".into(), |v| num(v, 4));
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(cat.name(kpi.metric)),
                pct(kpi.weight),
                v(ks.actual),
                v(Some(ks.target.target)),
                v(ks.score),
                num(ks.weighted_score, 1)
            );
        }
        let _ = write!(
            b,
            "<tr><th>composite</th><td></td><td></td><td></td><td></td><th class=\"n\">{}</th></tr></table></div>",
            s.composite.map_or("n/a".into(), |x| num(x, 1))
        );
    }
    b.push_str("</div></section>\n");
}
