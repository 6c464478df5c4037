//! Calibration within groups (contract 5.3): rows of one period scored by one plan, with the
//! same values of the plan's `calibration_group` columns and a composite. `percentile_in_group`
//! is SQL's percent_rank, `zscore_in_group` uses the sample standard deviation. As for grades,
//! composites within [`TOLERANCE`] of each other are equal here: float noise in a sum of
//! weighted scores (120.00000000000001 against 119.99999999999999 for two rows capped at 120)
//! never splits a tie or makes a spread out of none.

use std::collections::HashMap;

use super::curve::TOLERANCE;
use super::RowScore;
use crate::cards::Card;
use crate::config::{OrgField, ScorePlan};

fn field<'a>(c: &Card<'a>, f: OrgField) -> Option<&'a str> {
    let o = c.org?;
    match f {
        OrgField::Department => Some(&o.department),
        OrgField::Team => Some(&o.team),
        OrgField::Role => Some(&o.role),
        OrgField::ManagerId => o.manager_id.as_deref(),
    }
}

/// The calibration group of a row scored by `plan`, as text: each of the plan's group columns
/// with the row's value, `department=East|role=account_manager`. A null value is left empty
/// (`manager_id=`); a `|` or `\` in a value gets a `\` before it, so that two groups never read
/// alike.
pub fn group_label(plan: &ScorePlan, c: &Card) -> String {
    let parts: Vec<String> = plan
        .calibration_group
        .iter()
        .map(|f| {
            let v = field(c, *f).unwrap_or("");
            format!(
                "{}={}",
                f.name(),
                v.replace('\\', "\\\\").replace('|', "\\|")
            )
        })
        .collect();
    parts.join("|")
}

/// Fills percentile, z-score, group size and rank of one period's rows.
pub(super) fn calibrate(plans: &[ScorePlan], cards: &[Card], scores: &mut [RowScore]) {
    let mut groups: HashMap<(usize, Vec<Option<&str>>), Vec<usize>> = HashMap::new();
    for (i, (c, s)) in cards.iter().zip(scores.iter()).enumerate() {
        let (Some(pi), Some(_)) = (s.plan, s.composite) else {
            continue;
        };
        let key: Vec<Option<&str>> = plans[pi]
            .calibration_group
            .iter()
            .map(|f| field(c, *f))
            .collect();
        groups.entry((pi, key)).or_default().push(i);
    }
    for members in groups.values() {
        let xs: Vec<f64> = members
            .iter()
            .filter_map(|&i| scores[i].composite)
            .collect();
        let n = xs.len();
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        let mean = xs.iter().sum::<f64>() / n as f64;
        let spread = sorted
            .last()
            .zip(sorted.first())
            .map_or(0.0, |(hi, lo)| hi - lo);
        let sd = if n > 1 && spread >= TOLERANCE {
            (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        for (&i, &x) in members.iter().zip(&xs) {
            let lower = sorted.partition_point(|y| *y <= x - TOLERANCE);
            let s = &mut scores[i];
            s.group_size = n;
            s.group_rank = lower + 1;
            if n >= 2 {
                s.percentile = Some(lower as f64 / (n - 1) as f64);
                s.zscore = (sd > 0.0).then(|| (x - mean) / sd);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_grades;
    use crate::model::OrgRow;

    fn plan(group: Vec<OrgField>) -> ScorePlan {
        ScorePlan {
            name: "p".into(),
            role: "r".into(),
            from_month: 0,
            to_month: None,
            calibration_group: group,
            swing_threshold: 20.0,
            grades: default_grades(),
            kpis: Vec::new(),
            guidance: None,
        }
    }

    fn org(team: &str) -> OrgRow {
        OrgRow {
            from: 0,
            to: i32::MAX,
            department: "D".into(),
            team: team.into(),
            role: "r".into(),
            manager_id: None,
        }
    }

    fn run(group: Vec<OrgField>, rows: &[(&OrgRow, Option<f64>)]) -> Vec<RowScore> {
        let plans = [plan(group)];
        let cards: Vec<Card> = rows
            .iter()
            .enumerate()
            .map(|(i, (o, _))| Card {
                employee: i as u32,
                k: 0,
                org: Some(o),
                days_employed: 30,
            })
            .collect();
        let mut scores: Vec<RowScore> = rows
            .iter()
            .map(|(_, c)| RowScore {
                plan: Some(0),
                composite: *c,
                ..RowScore::default()
            })
            .collect();
        calibrate(&plans, &cards, &mut scores);
        scores
    }

    #[test]
    fn a_group_reads_as_its_columns_and_values() {
        let (o, odd) = (org("T|1"), org("a\\b"));
        let card = |o| Card {
            employee: 0,
            k: 0,
            org: Some(o),
            days_employed: 30,
        };
        let p = plan(vec![OrgField::Department, OrgField::Role]);
        assert_eq!(group_label(&p, &card(&o)), "department=D|role=r");
        let p = plan(vec![OrgField::Team, OrgField::ManagerId]);
        assert_eq!(group_label(&p, &card(&o)), "team=T\\|1|manager_id=");
        assert_eq!(group_label(&p, &card(&odd)), "team=a\\\\b|manager_id=");
    }

    #[test]
    fn ties_share_the_lowest_rank_as_percent_rank_does() {
        let a = org("T");
        let s = run(
            vec![OrgField::Team],
            &[
                (&a, Some(80.0)),
                (&a, Some(90.0)),
                (&a, Some(90.0)),
                (&a, Some(100.0)),
            ],
        );
        let pct: Vec<_> = s.iter().map(|r| r.percentile).collect();
        assert_eq!(
            pct,
            [Some(0.0), Some(1.0 / 3.0), Some(1.0 / 3.0), Some(1.0)]
        );
        // mean 90, sample deviation sqrt(200 / 3)
        let sd = (200.0f64 / 3.0).sqrt();
        assert_eq!(s[0].zscore, Some(-10.0 / sd));
        assert_eq!(s[1].zscore, Some(0.0));
        assert_eq!(
            (s[1].group_rank, s[3].group_rank, s[3].group_size),
            (2, 4, 4)
        );
    }

    #[test]
    fn float_noise_neither_splits_a_tie_nor_makes_a_spread() {
        let a = org("T");
        let s = run(
            vec![OrgField::Team],
            &[
                (&a, Some(120.00000000000001)),
                (&a, Some(119.99999999999999)),
            ],
        );
        assert_eq!((s[0].percentile, s[0].zscore), (Some(0.0), None));
        assert_eq!((s[1].percentile, s[1].zscore), (Some(0.0), None));
    }

    #[test]
    fn a_group_of_one_and_a_group_with_no_spread_have_no_calibration() {
        let (a, b) = (org("A"), org("B"));
        let s = run(
            vec![OrgField::Team],
            &[
                (&a, Some(70.0)),
                (&b, Some(95.0)),
                (&b, Some(95.0)),
                (&b, None),
            ],
        );
        assert_eq!(
            (s[0].percentile, s[0].zscore, s[0].group_size),
            (None, None, 1)
        );
        // Equal composites: percent_rank 0 for both, deviation 0 so no z-score.
        assert_eq!((s[1].percentile, s[1].zscore), (Some(0.0), None));
        assert_eq!((s[2].percentile, s[2].zscore), (Some(0.0), None));
        // A row with no composite is in no group.
        assert_eq!((s[3].percentile, s[3].group_size), (None, 0));
    }
}
