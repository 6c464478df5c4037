//! `factorscore report s3://bucket/out` (and `az://`, `gs://`): the committed tables of an
//! object-store prefix, read as a folder is. Credentials and endpoints come from the environment,
//! as for `runs`. The tables' keys are listed once and laid out as empty folders in a scratch
//! folder, so that the grain and periods are chosen exactly as for a local folder; then only the
//! chosen periods' files (and the run's manifest) are downloaded, the report is made from there,
//! and the overview is put back as `report.html` under the prefix unless `--html` names a local
//! file. The scratch folder is deleted afterwards.

use std::path::{Path, PathBuf};

use super::{grain_and_periods, report_from, select, ReportOptions, Written};
use crate::error::Error;
use crate::outputs::OutputTable;
use crate::storage::{connect, is_url, parse_url, StorageConfig};

/// A folder deleted when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn report(o: &ReportOptions, text: &str) -> Result<Written, Error> {
    if o.split
        .as_ref()
        .is_some_and(|d| is_url(&d.to_string_lossy()))
    {
        return Err(Error::BadOption(
            "--split writes the statements into a local folder".into(),
        ));
    }
    let url = parse_url(text).map_err(|e| Error::BadOption(format!("the output path: {e}")))?;
    let store = connect(&url, &StorageConfig::default())?;
    let scratch = Scratch(std::env::temp_dir().join(format!(
        "factorscore-report-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    )));
    let io = |what: String| move |source| Error::Io { what, source };
    let root = url.join("");
    let rel = |key: &str| -> String {
        key.strip_prefix(&root)
            .unwrap_or(key)
            .trim_start_matches('/')
            .to_string()
    };
    // Every partition file of the run's tables, laid out as folders.
    let mut files: Vec<String> = Vec::new();
    for t in OutputTable::partitioned() {
        for key in store.list(&url.join(t.name()))? {
            let r = rel(&key);
            if let Some(parent) = Path::new(&r).parent() {
                let dir = scratch.0.join(parent);
                std::fs::create_dir_all(&dir)
                    .map_err(io(format!("cannot create {}", dir.display())))?;
            }
            files.push(r);
        }
    }
    let local = ReportOptions {
        out: scratch.0.clone(),
        html: Some(
            o.html
                .clone()
                .unwrap_or_else(|| scratch.0.join("report.html")),
        ),
        ..o.clone()
    };
    let (grain, have) = grain_and_periods(&local).map_err(|e| name_url(e, &scratch.0, text))?;
    let periods = select(&local, grain, &have)?;
    let wanted = |r: &str| {
        periods
            .iter()
            .any(|p| r.contains(&format!("/grain={}/period={p}/", grain.name())))
    };
    for r in files
        .iter()
        .filter(|r| wanted(r))
        .map(String::as_str)
        .chain([crate::output::MANIFEST])
    {
        if let Some(bytes) = store.get(&url.join(r))? {
            let path = scratch.0.join(r);
            std::fs::write(&path, &bytes)
                .map_err(io(format!("cannot write {}", path.display())))?;
        }
    }
    let mut w = report_from(&local, text)?;
    if o.html.is_none() {
        let page = std::fs::read(&w.overview)
            .map_err(io(format!("cannot read {}", w.overview.display())))?;
        let key = url.join("report.html");
        store.put_all(vec![(key.clone(), page.into())])?;
        w.overview = PathBuf::from(url.show(&key));
    }
    Ok(w)
}

/// An error about the scratch folder, told about the URL instead.
fn name_url(e: Error, scratch: &Path, url: &str) -> Error {
    match e {
        Error::BadOption(m) => Error::BadOption(m.replace(&scratch.display().to_string(), url)),
        other => other,
    }
}
