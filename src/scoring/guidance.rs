//! Grade distribution against a plan's guidance (contract 5.3, `grade_guidance`): per period, plan
//! and calibration group, and per period, plan and department, each grade's actual share of the
//! graded rows beside its expected share. A group of at least the plan's `guidance_min_group`
//! graded rows is reported when a grade's share differs from its guidance by more than the
//! tolerance; a smaller one is shown only. Advisory: no grade changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{group_label, RowScore};
use crate::cards::Card;
use crate::config::ScorePlan;

/// How a group is formed.
pub const BY_GROUP: &str = "calibration_group";
pub const BY_DEPARTMENT: &str = "department";

/// Shares beyond the tolerance by less than this are float noise, not a departure.
const NOISE: f64 = 1e-9;

/// One grade of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeShare {
    pub grade: String,
    pub rows: usize,
    /// rows / graded.
    pub share: f64,
    pub guidance: f64,
}

/// The grades of one group of one plan in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupShares {
    pub period: String,
    pub plan: String,
    /// [`BY_GROUP`] or [`BY_DEPARTMENT`].
    pub by: String,
    /// The calibration group's label (as `scorecards.calibration_group`), or the department.
    pub key: String,
    /// Rows of the plan in the group with a grade.
    pub graded: usize,
    /// Every grade of the plan, in band order.
    pub grades: Vec<GradeShare>,
    /// At least the plan's minimum group size: its departures are reported.
    pub reported: bool,
    /// The grades whose share differs from the guidance by more than the tolerance (reported
    /// groups only).
    pub departs: Vec<String>,
}

/// The groups of one period's rows, for the plans with guidance: calibration groups first, then
/// departments, each in key order.
pub fn period_shares(
    plans: &[ScorePlan],
    period: &str,
    cards: &[Card],
    scores: &[RowScore],
) -> Vec<GroupShares> {
    // (plan, by, key) -> rows per grade index
    let mut counts: BTreeMap<(usize, &str, String), Vec<usize>> = BTreeMap::new();
    for (c, s) in cards.iter().zip(scores) {
        let (Some(pi), Some(g)) = (s.plan, s.grade) else {
            continue;
        };
        let plan = &plans[pi];
        if plan.guidance.is_none() {
            continue;
        }
        let n = plan.grades.len();
        let department = c.org.map_or(String::new(), |o| o.department.clone());
        for key in [
            (pi, BY_GROUP, group_label(plan, c)),
            (pi, BY_DEPARTMENT, department),
        ] {
            counts.entry(key).or_insert_with(|| vec![0; n])[g] += 1;
        }
    }
    counts
        .into_iter()
        .filter_map(|((pi, by, key), rows)| {
            let plan = &plans[pi];
            let guidance = plan.guidance.as_ref()?;
            let graded: usize = rows.iter().sum();
            let reported = graded >= guidance.min_group;
            let grades: Vec<GradeShare> = plan
                .grades
                .iter()
                .zip(&rows)
                .zip(&guidance.shares)
                .map(|((g, &n), &expected)| GradeShare {
                    grade: g.name.clone(),
                    rows: n,
                    share: n as f64 / graded as f64,
                    guidance: expected,
                })
                .collect();
            let departs = if reported {
                grades
                    .iter()
                    .filter(|g| (g.share - g.guidance).abs() > guidance.tolerance + NOISE)
                    .map(|g| g.grade.clone())
                    .collect()
            } else {
                Vec::new()
            };
            Some(GroupShares {
                period: period.to_string(),
                plan: plan.name.clone(),
                by: by.to_string(),
                key,
                graded,
                grades,
                reported,
                departs,
            })
        })
        .collect()
}
