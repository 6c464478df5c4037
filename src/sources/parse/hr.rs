//! Checks of the HR tables: employees, org history, assignments, reviews, targets, adjustments.

use super::{cells, next, show, Problems, Row, Rows};
use crate::model::*;
use crate::money;
use crate::periods::{format_day, Day};
use crate::sources::RawTable;

pub(super) fn employees(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
    let (mut id, mut name, mut hire, mut term, mut sal) = (
        cells(t, "employee_id"),
        cells(t, "name"),
        cells(t, "hire_date"),
        cells(t, "termination_date"),
        cells(t, "base_salary"),
    );
    let e = &mut l.employees;
    for i in 0..t.height() {
        let mut r = Row { p, t, i };
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
        if e.ids.get(idv).is_some() {
            r.bad("employee_id", idv, "is not unique");
            continue;
        }
        e.ids.intern(idv);
        e.name.push(n);
        e.hire.push(h);
        e.termination.push(td);
        e.base_salary.push(s);
    }
}

/// Checks that sorted `[from, to)` intervals do not overlap; returns the rows that do.
pub(super) fn overlaps<T>(rows: &[(T, Day, Day, usize)]) -> Vec<usize> {
    rows.windows(2)
        .filter(|w| w[1].1 < w[0].2)
        .map(|w| w[1].3)
        .collect()
}

pub(super) fn org_history(p: &mut Problems, l: &mut Ledger, t: &RawTable) {
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
    let mut per: Vec<Vec<(OrgRow, Day, Day, usize)>> = vec![Vec::new(); l.employees.ids.len()];
    for i in 0..t.height() {
        let v = c.next_row();
        let mut r = Row { p, t, i };
        let e = r.employee(l, "employee_id", v[0]);
        let from = r.date("valid_from", v[1], true);
        let to = r.date("valid_to", v[2], false).unwrap_or(Day::MAX);
        let dept = r.req("department", v[3]).unwrap_or("");
        let team = r.req("team", v[4]).unwrap_or("");
        let role = r.req("role", v[5]).unwrap_or("");
        let manager = r.text("manager_id", v[6]);
        let (Some(e), Some(from)) = (e, from) else {
            continue;
        };
        if to <= from {
            r.bad(
                "valid_to",
                &show(v[2]),
                "is not after valid_from (valid_to is exclusive)",
            );
            continue;
        }
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
    for (e, rows) in per.iter_mut().enumerate() {
        rows.sort_by_key(|r| r.1);
        for i in overlaps(rows) {
            p.add(
                t,
                i,
                "valid_from",
                &format_day(rows.iter().find(|r| r.3 == i).map_or(0, |r| r.1)),
                "overlaps another org_history row of the employee",
            );
        }
        // Together the rows must cover every day of employment.
        let hire = l.employees.hire[e];
        let end = l.employees.termination[e].map_or(Day::MAX, |d| d + 1);
        let mut covered = hire;
        for r in rows.iter() {
            if r.1 > covered {
                break;
            }
            covered = covered.max(r.2);
        }
        if covered < end {
            let id = &l.employees.ids.names[e];
            let at = rows.first().map(|r| r.3);
            let msg = format!("the org_history rows of {id} leave {} uncovered (they must cover every day employed)", format_day(covered));
            match at {
                Some(i) => p.add(t, i, "valid_from", id, msg),
                None => p.add(t, 0, "employee_id", id, msg),
            }
        }
    }
    l.org = per
        .into_iter()
        .map(|v| v.into_iter().map(|r| r.0).collect())
        .collect();
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
        let mut r = Row { p, t, i };
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
    l.assignments = vec![Vec::new(); l.clients.len()];
    rows.sort_by_key(|r| (r.0, r.1.from));
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 && w[1].1.from < w[0].1.to {
            p.add(
                t,
                w[1].2,
                "valid_from",
                &format_day(w[1].1.from),
                "overlaps another assignment of the client",
            );
        }
    }
    for (c, a, _) in rows {
        l.assignments[c as usize].push(a);
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
        let mut r = Row { p, t, i };
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
        let (Some(e), Some(d), Some(s), Some(x)) = (e, d, s, x) else {
            continue;
        };
        out.employee.push(e);
        out.day.push(d);
        out.source.push(s);
        out.score.push(x);
    }
    out
}
