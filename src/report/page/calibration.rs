//! The overview's calibration section (contract 5.3): for each plan rated in the period, its
//! departments side by side, each grade's share of the department's graded rows, and, when the
//! plan sets a `grade_guidance` (as the run's manifest records it), the expected share beside
//! them and the groups that depart from it by more than the plan's tolerance.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Scope;
use crate::report::data::Tables;
use crate::report::format::{escape, int, pct};
use crate::scoring::guidance::{GroupShares, BY_DEPARTMENT};

/// The section; empty when no row of the period is rated.
pub fn calibration(scope: &Scope, t: &Tables, guidance: &[GroupShares]) -> String {
    let p = scope.period();
    // plan -> department -> grade -> rows
    let mut plans: BTreeMap<&str, BTreeMap<&str, BTreeMap<&str, usize>>> = BTreeMap::new();
    for c in t.cards.iter().filter(|c| c.period == p) {
        if let (Some(plan), Some(g)) = (&c.plan, &c.grade) {
            *plans
                .entry(plan)
                .or_default()
                .entry(&c.department)
                .or_default()
                .entry(g)
                .or_default() += 1;
        }
    }
    if plans.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "<h2>{}</h2>\n<p class=\"meta\">{}</p>\n",
        scope.t("calibration_across"),
        scope.t("calibration_note")
    );
    for (plan, depts) in &plans {
        let of_plan: Vec<&GroupShares> = guidance
            .iter()
            .filter(|g| g.period == p && g.plan == *plan)
            .collect();
        plan_table(&mut s, scope, t, plan, depts, &of_plan);
        departures(&mut s, scope, &of_plan);
    }
    s
}

/// One plan's departments side by side: each grade's share of the graded rows, with the
/// guidance's row above them and the departing shares marked.
fn plan_table(
    s: &mut String,
    scope: &Scope,
    t: &Tables,
    plan: &str,
    depts: &BTreeMap<&str, BTreeMap<&str, usize>>,
    of_plan: &[&GroupShares],
) {
    let grades = grade_names(t, plan, of_plan);
    let _ = write!(
        s,
        "<h3>{} {}</h3>\n<table><tr><th>{}</th><th class=\"n\">{}</th>",
        scope.t("plan"),
        escape(plan),
        scope.t("department"),
        scope.t("graded")
    );
    for g in &grades {
        let _ = write!(s, "<th class=\"n\">{}</th>", escape(g));
    }
    s.push_str("</tr>\n");
    if let Some(first) = of_plan.first() {
        let _ = write!(s, "<tr><td><i>{}</i></td><td></td>", scope.t("guidance"));
        for g in &grades {
            let expected = first
                .grades
                .iter()
                .find(|x| &x.grade == g)
                .map_or(0.0, |x| x.guidance);
            let _ = write!(s, "<td class=\"n\"><i>{}</i></td>", pct(expected));
        }
        s.push_str("</tr>\n");
    }
    for (dept, counts) in depts {
        let graded: usize = counts.values().sum();
        let departs: Vec<&str> = of_plan
            .iter()
            .find(|g| g.by == BY_DEPARTMENT && g.key == *dept)
            .map(|g| g.departs.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td>",
            escape(dept),
            int(graded as i64)
        );
        for g in &grades {
            let n = counts.get(g.as_str()).copied().unwrap_or(0);
            let class = if departs.contains(&g.as_str()) {
                "n flag"
            } else {
                "n"
            };
            let _ = write!(
                s,
                "<td class=\"{class}\">{} ({})</td>",
                pct(n as f64 / graded.max(1) as f64),
                int(n as i64)
            );
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
}

/// The grades of `plan` in the order its guidance lists them (band order), else as the rows of
/// the period show them, highest composite first.
fn grade_names(t: &Tables, plan: &str, of_plan: &[&GroupShares]) -> Vec<String> {
    if let Some(g) = of_plan.first() {
        return g.grades.iter().map(|x| x.grade.clone()).collect();
    }
    let mut lowest: BTreeMap<&str, f64> = BTreeMap::new();
    for c in t.cards.iter().filter(|c| c.plan.as_deref() == Some(plan)) {
        if let (Some(g), Some(x)) = (&c.grade, c.composite) {
            let e = lowest.entry(g).or_insert(x);
            *e = e.min(x);
        }
    }
    let mut v: Vec<(&str, f64)> = lowest.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter().map(|x| x.0.to_string()).collect()
}

/// The groups of the plan that depart from its guidance, or a line saying none does.
fn departures(s: &mut String, scope: &Scope, of_plan: &[&GroupShares]) {
    if of_plan.is_empty() {
        return;
    }
    let departing: Vec<&&GroupShares> = of_plan.iter().filter(|g| !g.departs.is_empty()).collect();
    let small = of_plan.iter().filter(|g| !g.reported).count();
    if departing.is_empty() {
        let _ = writeln!(s, "<p class=\"meta\">{}</p>", scope.t("no_departures"));
    } else {
        let _ = writeln!(
            s,
            "<table><tr><th>{}</th><th class=\"n\">{}</th><th>{}</th></tr>",
            scope.t("departing_group"),
            scope.t("graded"),
            scope.t("departing_grades")
        );
        for g in departing {
            let grades: Vec<String> = g
                .grades
                .iter()
                .filter(|x| g.departs.contains(&x.grade))
                .map(|x| {
                    format!(
                        "{} {} / {}",
                        escape(&x.grade),
                        pct(x.share),
                        pct(x.guidance)
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "<tr class=\"flag\"><td>{}: {}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                scope.t(&g.by),
                escape(&g.key),
                int(g.graded as i64),
                grades.join(" · ")
            );
        }
        s.push_str("</table>\n");
    }
    if small > 0 {
        let _ = writeln!(
            s,
            "<p class=\"meta\">{} {}</p>",
            int(small as i64),
            scope.t("small_groups")
        );
    }
}
