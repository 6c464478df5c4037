//! The comparison as a compensation committee reads it (`--format text`) and as a program does
//! (`--format json`, full precision, money as exact decimal strings).

use std::fmt::Write;

use serde_json::{json, Value};

use super::{Row, Summary, Totals, SIDES};
use crate::report::format::{int, money_cents, num};

/// How many moved people the text shows (the JSON has them all).
pub const MOVED_SHOWN: usize = 20;

/// The summary as text: bonus and headcount per period and in total, per department and role,
/// the grade transitions, the people who move most, and what the proposed side ignored.
pub fn text(s: &Summary, current: &str, proposed: &str) -> String {
    let mut o = String::new();
    let (first, last) = (
        s.periods.first().cloned().unwrap_or_default(),
        s.periods.last().cloned().unwrap_or_default(),
    );
    let _ = writeln!(
        o,
        "current: the plans of {current}\nproposed: the plans of {proposed}\n{} {} periods ({first} .. {last}), {} scorecard rows\n",
        s.periods.len(),
        s.grain,
        int(s.total.rows as i64)
    );
    let _ = writeln!(o, "Bonus and rated headcount per period");
    totals_table(
        &mut o,
        "period",
        s.per_period
            .iter()
            .map(|(p, t)| (p.clone(), t))
            .chain(std::iter::once(("total".to_string(), &s.total))),
    );
    let _ = writeln!(
        o,
        "\nBonus and rated headcount per department and role, all periods"
    );
    totals_table(
        &mut o,
        "department / role",
        s.per_department_role
            .iter()
            .map(|((d, r), t)| (format!("{d} / {r}"), t)),
    );
    transitions(&mut o, s);
    moved(&mut o, &s.moved);
    let _ = writeln!(
        o,
        "\nIgnored on the proposed side: {} (their metric is not a KPI of the proposed plan that rates the row, or the row is not rated) and {} (their metric is a KPI of no proposed plan in force then). Ignored on the current side: {}.",
        count(s.ignored_adjustments, "adjustment"),
        count(s.ignored_targets[1], "targets row"),
        count(s.ignored_targets[0], "targets row")
    );
    o
}

/// `1 adjustment`, `2 adjustments`.
fn count(n: usize, what: &str) -> String {
    let what = match (n, what) {
        (1, w) => w.to_string(),
        (_, "targets row") => "targets rows".to_string(),
        (_, w) => format!("{w}s"),
    };
    format!("{} {what}", int(n as i64))
}

/// A change in % with one decimal and its sign; `n/a` when the current total is 0.
fn pct_change(t: &Totals) -> String {
    t.delta_pct()
        .map_or("n/a".into(), |p| format!("{}{}%", sign(p), num(p, 1)))
}

fn sign(v: f64) -> &'static str {
    if v > 0.0 {
        "+"
    } else {
        ""
    }
}

fn totals_table<'a>(o: &mut String, what: &str, rows: impl Iterator<Item = (String, &'a Totals)>) {
    let rows: Vec<(String, &Totals)> = rows.collect();
    let w = rows
        .iter()
        .map(|r| r.0.chars().count())
        .chain([what.len()])
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        o,
        "  {what:<w$}  {:>9} {:>9}  {:>18} {:>18} {:>18} {:>8}",
        "rated cur", "rated pro", "bonus current", "bonus proposed", "change", "change %"
    );
    for (label, t) in rows {
        let delta = t.delta();
        let _ = writeln!(
            o,
            "  {label:<w$}  {:>9} {:>9}  {:>18} {:>18} {:>18} {:>8}",
            int(t.rated[0] as i64),
            int(t.rated[1] as i64),
            money_cents(t.bonus[0]),
            money_cents(t.bonus[1]),
            format!("{}{}", if delta > 0 { "+" } else { "" }, money_cents(delta)),
            pct_change(t)
        );
    }
}

/// The grade transition matrix: current grades down, proposed across; only the grades that
/// occur.
fn transitions(o: &mut String, s: &Summary) {
    let used = |side: usize| -> Vec<&String> {
        s.grades[side]
            .iter()
            .filter(|g| {
                s.transitions.iter().any(|((a, b), _)| {
                    let x = if side == 0 { a } else { b };
                    x == *g
                })
            })
            .collect()
    };
    let (down, across) = (used(0), used(1));
    let w = down
        .iter()
        .map(|g| g.chars().count())
        .chain(["current \\ proposed".len()])
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        o,
        "\nGrade transitions (rows; current grade down, proposed across)"
    );
    let mut head = format!("  {:<w$}", "current \\ proposed");
    for g in &across {
        let _ = write!(head, " {:>9}", g);
    }
    let _ = writeln!(o, "{head}");
    for a in &down {
        let mut line = format!("  {:<w$}", a);
        for b in &across {
            let n = s
                .transitions
                .get(&((*a).clone(), (*b).clone()))
                .copied()
                .unwrap_or(0);
            let _ = write!(line, " {:>9}", int(n as i64));
        }
        let _ = writeln!(o, "{line}");
    }
}

/// The people whose grade changes, the largest bonus change first.
fn moved(o: &mut String, moved: &[Row]) {
    let _ = writeln!(
        o,
        "\nPeople whose grade changes: {} rows{}",
        int(moved.len() as i64),
        if moved.len() > MOVED_SHOWN {
            format!(
                ", the {MOVED_SHOWN} with the largest bonus change shown (--format json lists all)"
            )
        } else {
            String::new()
        }
    );
    if moved.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "  {:<10} {:<8} {:<14} {:<16} {:>7} {:>7} {:>9} {:>9} {:>16}",
        "employee",
        "period",
        "department",
        "role",
        "grade",
        "grade",
        "composite",
        "composite",
        "bonus change"
    );
    let _ = writeln!(
        o,
        "  {:<10} {:<8} {:<14} {:<16} {:>7} {:>7} {:>9} {:>9}",
        "", "", "", "", "current", "proposed", "current", "proposed"
    );
    for r in moved.iter().take(MOVED_SHOWN) {
        let comp = |x: Option<f64>| x.map_or("n/a".into(), |v| num(v, 1));
        let d = r.bonus_delta();
        let _ = writeln!(
            o,
            "  {:<10} {:<8} {:<14} {:<16} {:>9} {:>9} {:>9} {:>9} {:>16}",
            r.employee_id,
            r.period,
            r.department.as_deref().unwrap_or("(none)"),
            r.role.as_deref().unwrap_or("(none)"),
            r.grade_label(0),
            r.grade_label(1),
            comp(r.composite[0]),
            comp(r.composite[1]),
            format!(
                "{}{}",
                if d > 0 { "+" } else { "" },
                money_cents(i128::from(d))
            )
        );
    }
}

/// Exact cents as a decimal string: `-12345` is `"-123.45"`.
fn decimal(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

fn totals_json(t: &Totals) -> Value {
    let mut v = json!({ "rows": t.rows });
    for (i, side) in SIDES.iter().enumerate() {
        v[format!("rated_{side}")] = json!(t.rated[i]);
        v[format!("bonus_{side}")] = json!(decimal(t.bonus[i]));
    }
    v["bonus_delta"] = json!(decimal(t.delta()));
    v["bonus_delta_pct"] = json!(t.delta_pct());
    v
}

/// The summary as JSON: every moved row, money as exact decimal strings.
pub fn json(s: &Summary, current: &str, proposed: &str) -> Value {
    json!({
        "current": current,
        "proposed": proposed,
        "grain": s.grain,
        "periods": s.periods,
        "total": totals_json(&s.total),
        "per_period": s.per_period.iter().map(|(p, t)| {
            let mut v = totals_json(t);
            v["period"] = json!(p);
            v
        }).collect::<Vec<_>>(),
        "per_department_role": s.per_department_role.iter().map(|((d, r), t)| {
            let mut v = totals_json(t);
            v["department"] = json!(d);
            v["role"] = json!(r);
            v
        }).collect::<Vec<_>>(),
        "transitions": s.transitions.iter().map(|((a, b), n)| json!({
            "grade_current": a, "grade_proposed": b, "rows": n
        })).collect::<Vec<_>>(),
        "moved": s.moved.iter().map(|r| json!({
            "employee_id": r.employee_id,
            "period": r.period,
            "department": r.department,
            "team": r.team,
            "role": r.role,
            "plan_current": r.plan[0],
            "plan_proposed": r.plan[1],
            "grade_current": r.grade_label(0),
            "grade_proposed": r.grade_label(1),
            "composite_current": r.composite[0],
            "composite_proposed": r.composite[1],
            "bonus_current": decimal(i128::from(r.bonus[0])),
            "bonus_proposed": decimal(i128::from(r.bonus[1])),
            "bonus_delta": decimal(i128::from(r.bonus_delta())),
        })).collect::<Vec<_>>(),
        "ignored_adjustments": s.ignored_adjustments,
        "ignored_targets_current": s.ignored_targets[0],
        "ignored_targets_proposed": s.ignored_targets[1],
    })
}
