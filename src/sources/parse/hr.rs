//! Checks of the HR tables: employees, org history, assignments, reviews, targets, adjustments.

use super::{cells, next, show, Row, Rows};
use crate::diag::cut;
use crate::model::*;
use crate::money;
use crate::periods::{format_day, Day};
use crate::problems::Problems;
use crate::raw::RawTable;

pub(super) fn employees(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
    let (mut id, mut name, mut hire, mut term, mut sal) = (
        cells(t, "employee_id"),
        cells(t, "name"),
        cells(t, "hire_date"),
        cells(t, "termination_date"),
        cells(t, "base_salary"),
    );
    // Which of two rows with one id is right cannot be told: both leave.
    let dups = super::duplicate_rows(t, "employee_id");
    let mut dup = dups.iter().peekable();
    let e = &mut l.employees;
    for i in 0..t.height() {
        let mut r = Row::new(p, t, i);
        let idv = r.req("employee_id", next(&mut id)).unwrap_or("");
        let n = r.req("name", next(&mut name)).unwrap_or("").to_string();
        let h = r.date("hire_date", next(&mut hire), true).unwrap_or(0);
        let tv = next(&mut term);
        let td = r.date("termination_date", tv, false);
        if let Some(td) = td {
            if td < h {
                r.bad("termination_date", &show(tv), "is before hire_date");
            }
        }
        let s = r.money("base_salary", next(&mut sal)).unwrap_or(0);
        if s < 0 {
            r.bad("base_salary", &money::format_cents(s), "is negative");
        }
        if let Some(&(_, other)) = dup.next_if(|d| d.0 == i) {
            r.bad(
                "employee_id",
                idv,
                format!("is not unique: {} has it too", t.row_ref(other)),
            );
        }
        if r.broke {
            if !idv.is_empty() {
                let why = r.why();
                l.left_out.employees.entry(idv.to_string()).or_insert(why);
            }
            continue;
        }
        e.ids.intern(idv);
        e.name.push(n);
        e.hire.push(h);
        e.termination.push(td);
        e.base_salary.push(s);
        e.row.push(i as u32);
    }
}

/// An employee's org_history rows as read: the row, its `[from, to)`, and its raw row.
type OrgRows = Vec<(OrgRow, Day, Day, usize)>;

/// Checks org_history: each row, then each employee's rows together. An employee whose org
/// history is broken leaves with all their rows (see [`leave_unplaced`]).
pub(super) fn org_history(p: &mut Problems, l: &mut Ledger, t: &RawTable, emp: &RawTable) {
    let (mut per, mut broken) = org_rows(p, l, t);
    for (e, rows) in per.iter_mut().enumerate() {
        rows.sort_by_key(|r| r.1);
        if broken[e].is_none() {
            broken[e] = check_cover(p, l, t, emp, e, rows);
        }
    }
    leave_unplaced(p, l, t, emp, per, &broken);
}

/// The rows of every employee that break no rule of their own, and per employee the first row
/// that does.
fn org_rows(p: &mut Problems, l: &Ledger, t: &RawTable) -> (Vec<OrgRows>, Vec<Option<usize>>) {
    let mut c = Rows::new(
        t,
        &[
            "employee_id",
            "valid_from",
            "valid_to",
            "department",
            "team",
            "role",
            "manager_id",
        ],
    );
    let n = l.employees.ids.len();
    let mut per: Vec<OrgRows> = vec![Vec::new(); n];
    let mut broken: Vec<Option<usize>> = vec![None; n];
    for i in 0..t.height() {
        let v = c.next_row();
        let mut r = Row::new(p, t, i);
        let e = r.employee(l, "employee_id", v[0]);
        let from = r.date("valid_from", v[1], true);
        let to = r.date("valid_to", v[2], false).unwrap_or(Day::MAX);
        let dept = r.req("department", v[3]).unwrap_or("");
        let team = r.req("team", v[4]).unwrap_or("");
        let role = r.req("role", v[5]).unwrap_or("");
        let manager = r.text("manager_id", v[6]);
        if let (Some(f), false) = (from, r.broke) {
            if to <= f {
                r.bad(
                    "valid_to",
                    &show(v[2]),
                    "is not after valid_from (valid_to is exclusive)",
                );
            }
        }
        let Some(e) = e else { continue };
        if r.broke {
            broken[e as usize].get_or_insert(i);
            continue;
        }
        let Some(from) = from else { continue };
        let row = OrgRow {
            from,
            to,
            department: dept.into(),
            team: team.into(),
            role: role.into(),
            manager_id: manager.map(str::to_string),
        };
        per[e as usize].push((row, from, to, i));
    }
    (per, broken)
}

/// Checks that employee `e`'s rows (sorted by start) do not overlap and together cover every
/// day employed. Returns the first row that breaks a rule. An employee with no row at all
/// breaks a rule of `employees` and is left out at once.
fn check_cover(
    p: &mut Problems,
    l: &mut Ledger,
    t: &RawTable,
    emp: &RawTable,
    e: usize,
    rows: &OrgRows,
) -> Option<usize> {
    let id = cut(l.employees.ids.name(e as u32)).into_owned();
    let mut first = None;
    for w in rows.windows(2).filter(|w| w[1].1 < w[0].2) {
        p.add(
            t,
            w[1].3,
            "valid_from",
            &format_day(w[1].1),
            format!(
                "overlaps the org_history row of {id} at {} (valid_to is exclusive)",
                t.row_ref(w[0].3)
            ),
        );
        first.get_or_insert(w[1].3);
    }
    if first.is_some() {
        return first;
    }
    let hire = l.employees.hire[e];
    let end = l.employees.termination[e].map_or(Day::MAX, |d| d + 1);
    let mut covered = hire;
    for r in rows.iter() {
        if r.1 > covered {
            break;
        }
        covered = covered.max(r.2);
    }
    if covered >= end {
        return None;
    }
    let Some(r) = rows.iter().find(|r| r.2 >= covered).or(rows.last()) else {
        let erow = l.employees.row[e] as usize;
        let rule = "has no org_history row: add one from hire_date";
        p.add(emp, erow, "employee_id", &id, rule);
        l.left_out.employees.insert(id, super::why(p, emp, erow));
        return None;
    };
    let until = match l.employees.termination[e] {
        Some(t) => format!("to the termination_date {}", format_day(t)),
        None => "onwards (there is no termination_date)".to_string(),
    };
    let msg = format!(
        "leaves {} uncovered: the org_history rows of {id} must cover every day from the hire_date {} {until}; add a row from {}",
        format_day(covered),
        format_day(hire),
        format_day(covered)
    );
    // The gap opens before the first row, or where a row ends.
    if r.1 > covered {
        p.add(t, r.3, "valid_from", &format_day(r.1), msg);
    } else {
        p.add(t, r.3, "valid_to", &format_day(r.2), msg);
    }
    Some(r.3)
}

/// An employee whose org history is broken cannot be placed: every org_history row of theirs
/// and the employee leave, and with them every row that references the employee. The ledger
/// keeps the other employees and their org history.
fn leave_unplaced(
    p: &mut Problems,
    l: &mut Ledger,
    t: &RawTable,
    emp: &RawTable,
    per: Vec<OrgRows>,
    broken: &[Option<usize>],
) {
    let mut keep = vec![true; per.len()];
    for (e, first) in broken.iter().enumerate() {
        let id = cut(l.employees.ids.name(e as u32)).into_owned();
        let Some(first) = *first else {
            keep[e] = !l.left_out.employees.contains_key(&id);
            continue;
        };
        keep[e] = false;
        let why = super::why(p, t, first);
        for r in &per[e] {
            let own = p
                .breaks
                .iter()
                .any(|b| b.table == t.table && b.row as usize == r.3);
            if !own {
                let rule = format!("another org_history row of {id} is rejected: {why}");
                p.cascade(t, r.3, "employee_id", &id, rule);
            }
        }
        let erow = l.employees.row[e] as usize;
        let rule = format!("its org_history is rejected: {why}");
        p.cascade(emp, erow, "employee_id", &id, rule);
        l.left_out.employees.insert(id, super::why(p, emp, erow));
    }
    let old = std::mem::take(&mut l.employees);
    l.org = Vec::with_capacity(per.len());
    for (e, rows) in per.into_iter().enumerate().filter(|(e, _)| keep[*e]) {
        let ne = &mut l.employees;
        ne.ids.intern(old.ids.name(e as u32));
        ne.name.push(old.name[e].clone());
        ne.hire.push(old.hire[e]);
        ne.termination.push(old.termination[e]);
        ne.base_salary.push(old.base_salary[e]);
        ne.row.push(old.row[e]);
        l.org.push(rows.into_iter().map(|r| r.0).collect());
    }
}

pub(super) fn assignments(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
    let (mut cl, mut emp, mut from, mut to) = (
        cells(t, "client_id"),
        cells(t, "employee_id"),
        cells(t, "valid_from"),
        cells(t, "valid_to"),
    );
    let mut rows: Vec<(u32, Assignment, usize)> = Vec::new();
    for i in 0..t.height() {
        let mut r = Row::new(p, t, i);
        let c = r.req("client_id", next(&mut cl));
        let e = r.employee(l, "employee_id", next(&mut emp));
        let f = r.date("valid_from", next(&mut from), true);
        let tv = next(&mut to);
        let to_d = r.date("valid_to", tv, false).unwrap_or(Day::MAX);
        let (Some(c), Some(e), Some(f)) = (c, e, f) else {
            continue;
        };
        if to_d <= f {
            r.bad(
                "valid_to",
                &show(tv),
                "is not after valid_from (valid_to is exclusive)",
            );
            continue;
        }
        let hire = l.employees.hire[e as usize];
        let term = l.employees.termination[e as usize];
        if f < hire {
            r.bad(
                "valid_from",
                &format_day(f),
                format!("is before the employee's hire_date {}", format_day(hire)),
            );
        } else if let Some(term) = term {
            if to_d == Day::MAX || to_d - 1 > term {
                r.bad(
                    "valid_to",
                    &show(tv),
                    format!(
                        "runs past the employee's termination_date {}: close the assignment by {}",
                        format_day(term),
                        format_day(term + 1)
                    ),
                );
            }
        }
        if r.broke {
            continue;
        }
        rows.push((
            l.clients.intern(c),
            Assignment {
                from: f,
                to: to_d,
                employee: e,
            },
            i,
        ));
    }
    rows.sort_by_key(|r| (r.0, r.1.from));
    // Which of two overlapping rows owns the client cannot be told: both leave.
    let mut gone = vec![false; rows.len()];
    for k in 1..rows.len() {
        let (a, b) = (&rows[k - 1], &rows[k]);
        if a.0 == b.0 && b.1.from < a.1.to {
            for (this, other) in [(b, a), (a, b)] {
                p.add(
                    t,
                    this.2,
                    "valid_from",
                    &format_day(this.1.from),
                    format!(
                        "overlaps the assignment of the same client at {} (valid_to is exclusive)",
                        t.row_ref(other.2)
                    ),
                );
            }
            gone[k - 1] = true;
            gone[k] = true;
        }
    }
    l.assignments = vec![Vec::new(); l.clients.len()];
    for ((c, a, _), g) in rows.into_iter().zip(gone) {
        if !g {
            l.assignments[c as usize].push(a);
        }
    }
}

pub(super) fn reviews(p: &mut Problems, l: &Ledger, t: &RawTable) -> Reviews {
    let mut out = Reviews::default();
    let (mut emp, mut day, mut src, mut score) = (
        cells(t, "employee_id"),
        cells(t, "reviewed_on"),
        cells(t, "source"),
        cells(t, "score"),
    );
    for i in 0..t.height() {
        let mut r = Row::new(p, t, i);
        let e = r.employee(l, "employee_id", next(&mut emp));
        let d = r.date("reviewed_on", next(&mut day), true);
        let sv = r.req("source", next(&mut src));
        let s = match sv {
            Some("customer") => Some(ReviewSource::Customer),
            Some("peer") => Some(ReviewSource::Peer),
            Some("manager") => Some(ReviewSource::Manager),
            Some(other) => {
                r.bad("source", other, "is not customer, peer or manager");
                None
            }
            None => None,
        };
        let x = r.float("score", next(&mut score), true);
        let (Some(e), Some(d), Some(s), Some(x), false) = (e, d, s, x, r.broke) else {
            continue;
        };
        out.employee.push(e);
        out.day.push(d);
        out.source.push(s);
        out.score.push(x);
        out.row.push(i as u32);
    }
    out
}
