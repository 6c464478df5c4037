//! A plan's grade distribution guidance (contract 5.3, `grade_guidance`): the expected share of
//! each of its grades, with the tolerance and the smallest group it is reported for. Advisory:
//! it never changes a grade.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::check::Checker;
use super::def::PlanDef;

/// The default tolerance: a grade's share may differ from its guidance by 5 points.
pub const DEFAULT_TOLERANCE: f64 = 0.05;
/// The default smallest group (graded rows) whose departures are reported.
pub const DEFAULT_MIN_GROUP: usize = 10;

/// A checked grade guidance.
#[derive(Debug, Clone, PartialEq)]
pub struct Guidance {
    /// The expected share of each grade, in the plan's band order (a grade left out: 0).
    pub shares: Vec<f64>,
    pub tolerance: f64,
    /// Groups with fewer graded rows are shown, not reported.
    pub min_group: usize,
}

/// The plan's guidance, checked against the names of its grades, in band order; `None` when it
/// sets none (then the tolerance and minimum group may not be set either).
pub(super) fn check(
    c: &mut Checker<'_>,
    def: &PlanDef,
    grades: &[&str],
    key: &str,
) -> Option<Guidance> {
    let Some(g) = &def.grade_guidance else {
        let stray = |k: &str| {
            (
                format!("{key}.{k}"),
                format!("`{k}` applies to a `grade_guidance`, which the plan does not set"),
                Some("add `grade_guidance: { S: 0.1, A: 0.2, B: 0.4, C: 0.2, D: 0.1 }` or remove the key".to_string()),
            )
        };
        if let Some(t) = &def.guidance_tolerance {
            let (k, m, h) = stray("guidance_tolerance");
            c.at(t, &k, m, h);
        }
        if let Some(t) = &def.guidance_min_group {
            let (k, m, h) = stray("guidance_min_group");
            c.at(t, &k, m, h);
        }
        return None;
    };
    let shares = shares(c, g, grades, &format!("{key}.grade_guidance"));
    let tolerance = match &def.guidance_tolerance {
        Some(t) if !(t.value.is_finite() && (0.0..=1.0).contains(&t.value)) => {
            c.at(
                t,
                &format!("{key}.guidance_tolerance"),
                format!("{} is not a share between 0 and 1", t.value),
                Some("write e.g. 0.05 for 5 points".into()),
            );
            DEFAULT_TOLERANCE
        }
        Some(t) => t.value,
        None => DEFAULT_TOLERANCE,
    };
    let min_group = match &def.guidance_min_group {
        Some(m) if m.value == 0 => {
            c.at(
                m,
                &format!("{key}.guidance_min_group"),
                "0 is not a group size",
                Some(
                    "write the smallest number of graded rows a departure is reported for, e.g. 10"
                        .into(),
                ),
            );
            DEFAULT_MIN_GROUP
        }
        Some(m) => m.value as usize,
        None => DEFAULT_MIN_GROUP,
    };
    Some(Guidance {
        shares,
        tolerance,
        min_group,
    })
}

/// The shares of `grade_guidance`: each a grade of the plan, between 0 and 1, summing to 1.
fn shares(
    c: &mut Checker<'_>,
    g: &Spanned<BTreeMap<String, Spanned<f64>>>,
    names: &[&str],
    key: &str,
) -> Vec<f64> {
    let mut out = vec![0.0; names.len()];
    for (name, share) in &g.value {
        let k = format!("{key}.{name}");
        match names.iter().position(|n| n == name) {
            None => c.at(
                share,
                &k,
                format!("`{name}` is not a grade of the plan"),
                Some(match crate::suggest::closest(name, names.iter().copied()) {
                    Some(s) => format!(
                        "did you mean `{s}`? The plan's grades are {}",
                        names.join(", ")
                    ),
                    None => format!("the plan's grades are {}", names.join(", ")),
                }),
            ),
            Some(_) if !(share.value.is_finite() && (0.0..=1.0).contains(&share.value)) => c.at(
                share,
                &k,
                format!("{} is not a share between 0 and 1", share.value),
                Some("write the expected share of the grade, e.g. 0.2 for a fifth".into()),
            ),
            Some(i) => out[i] = share.value,
        }
    }
    let sum: f64 = out.iter().sum();
    if (sum - 1.0).abs() > 1e-9 {
        c.at(
            g,
            key,
            format!("the shares sum to {}, not 1", (sum * 1e9).round() / 1e9),
            Some(
                "make the grades' expected shares add up to 1; a grade left out expects none"
                    .into(),
            ),
        );
    }
    out
}
