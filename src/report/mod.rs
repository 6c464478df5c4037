//! The HTML report (`factorscore report OUT`): a self-contained overview of one period with its
//! trends, and a statement per employee, read back from the output tables of any run.

pub mod data;
pub mod format;
pub mod labels;
pub mod page;
mod remote;
pub mod svg;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::output::write_atomic;
use crate::periods::{label_key, Grain};

pub use labels::Lang;

/// How many periods the trends show, ending at the report's period, when no range is given.
pub const TREND_PERIODS: usize = 12;

/// The most the statements inside an overview may take (bytes). Past it only the flagged
/// people's statements stay, so that an overview stays under 5 MB at any company size.
pub const STATEMENTS_BUDGET: usize = 4 << 20;

/// What to report, as given on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportOptions {
    /// The output folder of a run.
    pub out: PathBuf,
    /// The period to report: `2026-10`, `2026-Q4` or `2026`; the last one written by default.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,
    /// First period of the trends.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last period of the trends, and the period reported.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Period size; the finest the folder holds by default.
    #[arg(long, value_parser = |s: &str| s.parse::<Grain>())]
    pub grain: Option<Grain>,
    /// The overview file; OUT/report.html by default.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write each employee's statement as DIR/EMPLOYEE_ID.html instead of inside the overview.
    #[arg(long, value_name = "DIR")]
    pub split: Option<PathBuf>,
    /// The language of every label: `en` or `zh` (column names and metric ids stay as they are).
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// The most the statements inside the overview may take, in bytes (for tests).
    #[arg(long, hide = true, default_value_t = STATEMENTS_BUDGET)]
    pub statements_budget: usize,
}

/// What a report wrote.
#[derive(Debug)]
pub struct Written {
    pub overview: PathBuf,
    pub bytes: usize,
    pub grain: &'static str,
    pub period: String,
    pub periods: usize,
    pub statements: usize,
    /// Statements left out of an overview that would have grown past its budget.
    pub left_out: usize,
    /// The folder of the statement files, with `--split`.
    pub split: Option<PathBuf>,
}

fn grain_of(name: &str) -> Grain {
    match name {
        "quarter" => Grain::Quarter,
        "year" => Grain::Year,
        _ => Grain::Month,
    }
}

/// A label checked to be of `grain`.
fn check_label(label: &str, grain: Grain) -> Result<String, Error> {
    let (g, _) = label_key(label).map_err(Error::BadPeriod)?;
    if g != grain {
        return Err(Error::BadPeriod(format!(
            "`{label}` is a {} label, and the report is at {} grain (give --grain {})",
            g.name(),
            grain.name(),
            g.name()
        )));
    }
    Ok(label.trim().to_string())
}

/// The periods to read: the range asked, or the trend window ending at the period asked (the
/// last one written by default). Checked against what the output holds before any row is read.
fn select(o: &ReportOptions, grain: Grain, have: &[String]) -> Result<Vec<String>, Error> {
    let missing = |p: &str| {
        Error::BadPeriod(format!(
            "{} holds no {} scorecards for `{p}`: it has {}",
            o.out.display(),
            grain.name(),
            span(have)
        ))
    };
    if let (Some(f), Some(t)) = (&o.from, &o.to) {
        let (f, t) = (check_label(f, grain)?, check_label(t, grain)?);
        if f > t {
            return Err(Error::BadOption(format!("--from {f} is after --to {t}")));
        }
        let sel: Vec<String> = have
            .iter()
            .filter(|p| **p >= f && **p <= t)
            .cloned()
            .collect();
        if !have.contains(&t) {
            return Err(missing(&t));
        }
        return Ok(sel);
    }
    if o.from.is_some() || o.to.is_some() {
        return Err(Error::BadOption(
            "give both --from and --to, or --period".into(),
        ));
    }
    let last = match &o.period {
        Some(p) => check_label(p, grain)?,
        None => have.last().cloned().unwrap_or_default(),
    };
    let Some(i) = have.iter().position(|p| *p == last) else {
        return Err(missing(&last));
    };
    Ok(have[i.saturating_sub(TREND_PERIODS - 1)..=i].to_vec())
}

fn span(have: &[String]) -> String {
    match (have.first(), have.last()) {
        (Some(a), Some(b)) => format!("{} periods, {a} .. {b}", have.len()),
        _ => "none".into(),
    }
}

/// `to` as a link from a page in the folder `from_dir`: relative (`../report.html`,
/// `statements/E1.html`), `/`-separated.
fn relative(from_dir: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (base, target) = (abs(from_dir), abs(to));
    let (b, t): (Vec<_>, Vec<_>) = (base.components().collect(), target.components().collect());
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); b.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// Reads the output tables of the chosen periods and writes the overview (and, with `split`,
/// one statement file per employee).
pub fn report(o: &ReportOptions) -> Result<Written, Error> {
    let text = o.out.to_string_lossy().to_string();
    if crate::storage::is_url(&text) {
        return remote::report(o, &text);
    }
    report_from(o, &o.out.display().to_string())
}

/// The report of the local folder `o.out`, whose header names `source`.
fn report_from(o: &ReportOptions, source: &str) -> Result<Written, Error> {
    let (grain, have) = grain_and_periods(o)?;
    let periods = select(o, grain, &have)?;
    let tables = data::read(&o.out, grain.name(), &periods)?;
    let source = source.to_string();
    let scope = page::Scope {
        lang: o.lang,
        grain: grain.name(),
        periods: &periods,
        source: &source,
    };
    let overview_path = o.html.clone().unwrap_or_else(|| o.out.join("report.html"));
    let people = page::employees(&tables, scope.period());
    let (html, statements) = match &o.split {
        Some(dir) => {
            let overview_dir = overview_path
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            let rel = relative(&overview_dir, dir);
            let back = relative(dir, &overview_path);
            for c in &people {
                let body = format!(
                    "<p><a href=\"{}\">{}</a></p>\n{}",
                    format::escape(&back),
                    format::escape(labels::t(o.lang, "back")),
                    page::statement(&scope, &tables, c)
                );
                let title = format!("{} {} · {}", c.employee_name, c.employee_id, scope.period());
                write_atomic(
                    &dir.join(format!("{}.html", c.employee_id)),
                    page::html(&scope, &title, &body).as_bytes(),
                )?;
            }
            let link = |id: &str| format!("{rel}/{id}.html");
            (page::overview(&scope, &tables, &link, ""), people.len())
        }
        None => {
            let (inside, held) = inline_statements(&scope, &tables, &people, o.statements_budget);
            let link = |id: &str| {
                if held.contains(id) {
                    format!("#e-{id}")
                } else {
                    String::new()
                }
            };
            (page::overview(&scope, &tables, &link, &inside), held.len())
        }
    };
    write_atomic(&overview_path, html.as_bytes())?;
    Ok(Written {
        overview: overview_path,
        bytes: html.len(),
        grain: grain.name(),
        period: scope.period().to_string(),
        periods: periods.len(),
        statements,
        left_out: people.len() - statements,
        split: o.split.clone(),
    })
}

/// The grain to report (asked, or the finest the folder holds) and its periods in the folder.
fn grain_and_periods(o: &ReportOptions) -> Result<(Grain, Vec<String>), Error> {
    let grains = data::grains(&o.out);
    let grain = match o.grain {
        Some(g) => g,
        None => grains.first().map(|g| grain_of(g)).ok_or_else(|| {
            Error::BadOption(format!(
                "{} holds no scorecards: give the output folder of a run (`factorscore run` writes it)",
                o.out.display()
            ))
        })?,
    };
    let have = data::periods(&o.out, grain.name())?;
    if have.is_empty() {
        return Err(Error::BadOption(format!(
            "{} holds no {} scorecards, only {}: report --grain {}, or run at {} grain first",
            o.out.display(),
            grain.name(),
            grains.join(" and "),
            grains.first().copied().unwrap_or("month"),
            grain.name()
        )));
    }
    Ok((grain, have))
}

/// The statements the overview holds, and whose. All of them when they fit `budget` bytes;
/// else the flagged people's that fit (in id order), after a line saying how many are left out.
fn inline_statements<'a>(
    scope: &page::Scope,
    tables: &data::Tables,
    people: &[&'a data::Card],
    budget: usize,
) -> (String, std::collections::HashSet<&'a str>) {
    let each: Vec<String> = people
        .iter()
        .map(|c| page::statement(scope, tables, c))
        .collect();
    if each.iter().map(String::len).sum::<usize>() <= budget {
        let held = people.iter().map(|c| c.employee_id.as_str()).collect();
        return (each.concat(), held);
    }
    let mut held = std::collections::HashSet::new();
    let mut kept = String::new();
    for (c, one) in people.iter().zip(&each).filter(|(c, _)| c.review_flag) {
        if kept.len() + one.len() > budget {
            break;
        }
        kept.push_str(one);
        held.insert(c.employee_id.as_str());
    }
    let note =
        labels::t(scope.lang, "left_out").replace("{n}", &(people.len() - held.len()).to_string());
    (
        format!(
            "<p class=\"left-out\">{}</p>\n{kept}",
            format::escape(&note)
        ),
        held,
    )
}

#[cfg(test)]
mod tests {
    use super::relative;
    use std::path::Path;

    #[test]
    fn links_between_the_overview_and_the_statements_are_relative() {
        assert_eq!(relative(Path::new("/o"), Path::new("/o/st")), "st");
        assert_eq!(
            relative(Path::new("/o/st"), Path::new("/o/report.html")),
            "../report.html"
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/c/d.html")),
            "../../c/d.html"
        );
    }
}
