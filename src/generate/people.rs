//! The company's people: employees with their skill and employment, and their org history.

use super::*;

/// Employees, their skill and their one transfer, if any.
pub(super) fn employees(cfg: &GenConfig, rng: &mut StdRng) -> Vec<Emp> {
    let start = month_start(cfg.first_month);
    let end = month_end(cfg.last_month);
    let mut emps = Vec::with_capacity(cfg.employees);
    for i in 0..cfg.employees {
        let role = match i % 10 {
            0..=4 => ACCOUNT_MANAGER,
            5..=7 => SALES,
            _ => RISK_OFFICER,
        };
        let skill = if i < TEAMS {
            0.5 + 0.5 * normal(rng) // team leads: experienced
        } else {
            normal(rng)
        }
        .clamp(-2.5, 2.5);
        let hire = if i < TEAMS || rng.random_bool(0.7) {
            start - rng.random_range(30..3000)
        } else {
            rng.random_range(start..end - 30)
        };
        // A few fixed edge cases: a hire on a month's last day, a termination on a month's first.
        let hire = match i {
            7 => month_end(cfg.first_month + 2),
            8 => start - 400,
            _ => hire,
        };
        // The weaker leave more often.
        let p_leave = (0.2 * (-0.4 * skill).exp()).min(0.5);
        let term = if i == 8 {
            Some(month_start(cfg.first_month + 5))
        } else if i >= TEAMS && rng.random_bool(p_leave) {
            let t = rng.random_range(hire.max(start) + 60..end + 200);
            (t <= end).then_some(t)
        } else {
            None
        };
        let team = i % TEAMS;
        let last = term.unwrap_or(end);
        let moved = if i >= TEAMS && last - hire > 120 && rng.random_bool(0.25) {
            let day = rng.random_range(hire + 30..last - 30);
            let new_team = (team + rng.random_range(1..TEAMS)) % TEAMS;
            let new_role = if role == SALES && rng.random_bool(0.1) {
                ACCOUNT_MANAGER
            } else {
                role
            };
            Some((day, new_team, new_role))
        } else {
            None
        };
        emps.push(Emp {
            hire,
            term,
            role,
            team,
            skill,
            moved,
        });
    }
    emps
}

pub(super) fn write_employees(
    dir: &Path,
    rng: &mut StdRng,
    days: &Days,
    emps: &[Emp],
) -> Result<usize, Error> {
    let mut w = open(dir, Table::Employees)?;
    for (i, e) in emps.iter().enumerate() {
        let base = match e.role {
            ACCOUNT_MANAGER => rng.random_range(15_000..35_000),
            SALES => rng.random_range(12_000..30_000),
            _ => rng.random_range(18_000..40_000),
        };
        let lead_bonus = if i < TEAMS { 10_000 } else { 0 };
        let salary = (base + lead_bonus) * 100;
        let t = e.term.map(|t| days.get(t).to_string()).unwrap_or_default();
        writeln!(
            w,
            "{},Employee {},{},{},{}",
            eid(i),
            i + 1,
            days.get(e.hire),
            t,
            cents(salary)
        )
        .map_err(werr)?;
    }
    w.flush().map_err(werr)?;
    Ok(emps.len())
}

pub(super) fn write_org(dir: &Path, days: &Days, emps: &[Emp]) -> Result<usize, Error> {
    let mut w = open(dir, Table::OrgHistory)?;
    let mut rows = 0;
    for (i, e) in emps.iter().enumerate() {
        let mgr = |t: usize| {
            if i == lead(t) {
                String::new()
            } else {
                eid(lead(t))
            }
        };
        let close = e
            .term
            .map(|t| days.get(t + 1).to_string())
            .unwrap_or_default();
        let mut spans = vec![(e.hire, e.team, e.role)];
        if let Some((day, team, role)) = e.moved {
            spans.push((day, team, role));
        }
        for (k, &(from, team, role)) in spans.iter().enumerate() {
            let to = match spans.get(k + 1) {
                Some(next) => days.get(next.0).to_string(),
                None => close.clone(),
            };
            writeln!(
                w,
                "{},{},{},{},{},{},{}",
                eid(i),
                days.get(from),
                to,
                DEPARTMENTS[team / 2],
                team_name(team),
                role,
                mgr(team)
            )
            .map_err(werr)?;
            rows += 1;
        }
    }
    w.flush().map_err(werr)?;
    Ok(rows)
}
