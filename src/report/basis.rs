//! What the bonus is computed from but the outputs do not hold: each employee's base salary and
//! each grade's multiplier. They come from the pipeline the last run recorded in its manifest,
//! and only when that file is still the one the run read (same SHA-256); otherwise the statement
//! shows the bonus rule without the figures, and says why.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::config::OrgField;
use crate::tables::Table;

/// Base salaries and multipliers, as the run that wrote the tables had them.
#[derive(Debug, Default)]
pub struct Basis {
    /// Employee id → monthly base salary in cents.
    pub salary: HashMap<String, i64>,
    /// (plan, grade) → the grade's bonus multiplier in ten-thousandths.
    pub multiplier: HashMap<(String, String), i64>,
    /// Plan → the org columns its calibration groups are keyed on.
    pub groups: HashMap<String, Vec<OrgField>>,
}

/// The group columns a plan has when the pipeline does not say (`calibration_group`'s default).
pub const DEFAULT_GROUP: [OrgField; 2] = [OrgField::Department, OrgField::Role];

/// Why there is no basis: a sentence for the statement.
pub type Missing = String;

/// The basis of the output folder `out`, from the pipeline its manifest names.
pub fn load(out: &Path) -> Result<Basis, Missing> {
    let text = std::fs::read(out.join(crate::output::MANIFEST))
        .map_err(|_| "the output folder has no manifest".to_string())?;
    let m = crate::manifest::Manifest::parse(&text)
        .map_err(|_| "the manifest cannot be read".to_string())?;
    let (file, hash) = (m.run.pipeline.as_str(), m.run.pipeline_sha256.as_str());
    let plan = crate::config::load(Path::new(file))
        .map_err(|_| format!("the pipeline {file} the run read cannot be loaded now"))?;
    if plan.hash != hash {
        return Err(format!("the pipeline {file} has changed since the run"));
    }
    let mut basis = Basis::default();
    for p in &plan.plans {
        basis
            .groups
            .insert(p.name.clone(), p.calibration_group.clone());
        for g in &p.grades {
            basis
                .multiplier
                .insert((p.name.clone(), g.name.clone()), g.multiplier);
        }
    }
    let src = plan
        .sources
        .iter()
        .find(|s| s.table == Table::Employees)
        .ok_or_else(|| "the pipeline has no employees source".to_string())?;
    let raw = crate::sources::read(&plan, src)
        .map_err(|_| "the employees source cannot be read now".to_string())?;
    let ids = raw
        .df
        .column("employee_id")
        .and_then(|c| c.str().cloned())
        .map_err(|_| "the employees source has no employee_id".to_string())?;
    let salary = raw
        .df
        .column("base_salary")
        .map_err(|_| "the employees source has no base_salary".to_string())?;
    let cents: Vec<Option<i64>> = match salary.dtype() {
        DataType::String => salary
            .str()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| v.and_then(|s| crate::money::parse_money(s.trim()).ok()))
            .collect(),
        _ => salary
            .cast(&DataType::Int64)
            .map_err(|e| e.to_string())?
            .i64()
            .map_err(|e| e.to_string())?
            .iter()
            .collect(),
    };
    for (id, c) in ids.iter().zip(cents) {
        if let (Some(id), Some(c)) = (id, c) {
            basis.salary.insert(id.to_string(), c);
        }
    }
    Ok(basis)
}

/// A multiplier in ten-thousandths as a decimal: `15000` → `1.5`.
pub fn show_multiplier(m: i64) -> String {
    let whole = m / 10_000;
    let frac = (m % 10_000).abs();
    if frac == 0 {
        return whole.to_string();
    }
    let f = format!("{frac:04}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::show_multiplier;

    #[test]
    fn multipliers_are_shown_exactly() {
        assert_eq!(show_multiplier(15_000), "1.5");
        assert_eq!(show_multiplier(20_000), "2");
        assert_eq!(show_multiplier(1), "0.0001");
        assert_eq!(show_multiplier(0), "0");
        assert_eq!(show_multiplier(12_345), "1.2345");
    }
}
