//! The run manifest (contract section 6): the lineage of every output, written after each run
//! as `_runs/<run_id>.json` and `_manifest.json` (the last successful run), and a record of each
//! failed run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Plan;
use crate::error::Error;
use crate::output::{Output, RUNS};
use crate::outputs::OutputTable;
use crate::reconcile::InputReport;
use crate::timings::Timings;

/// What every run record starts with: the run, its outcome, the tool and the pipeline.
#[derive(Debug, Serialize)]
pub struct RunHeader {
    pub run_id: String,
    /// `succeeded` or `failed`.
    pub outcome: &'static str,
    pub tool: &'static str,
    pub version: &'static str,
    pub pipeline: String,
    pub pipeline_name: String,
    pub pipeline_sha256: String,
}

impl RunHeader {
    fn new(plan: &Plan, run_id: &str, outcome: &'static str) -> Self {
        RunHeader {
            run_id: run_id.to_string(),
            outcome,
            tool: "factorscore",
            version: env!("CARGO_PKG_VERSION"),
            // Absolute, so that a later reader (the report) finds it from anywhere.
            pipeline: std::path::absolute(&plan.file)
                .unwrap_or_else(|_| plan.file.clone())
                .display()
                .to_string(),
            pipeline_name: plan.name.clone(),
            pipeline_sha256: plan.hash.clone(),
        }
    }
}

/// The record of a successful run.
#[derive(Debug, Serialize)]
pub struct Manifest {
    /// Which run, of which pipeline, and how it ended.
    #[serde(flatten)]
    pub run: RunHeader,
    pub grain: &'static str,
    pub periods: Vec<String>,
    /// Rows read, used and rejected per input table, with every file and its fingerprint.
    pub inputs: Vec<InputReport>,
    pub scorecard_rows: usize,
    /// Rows written per output table.
    pub rows_written: BTreeMap<&'static str, usize>,
    /// The partitions written per partitioned table: period and rows.
    pub partitions: BTreeMap<&'static str, BTreeMap<String, usize>>,
    /// Scorecard rows whose role had no plan in force, per role.
    pub not_rated: BTreeMap<String, usize>,
    /// The files written, relative to the output folder.
    pub files: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    /// Milliseconds per phase.
    pub timings_ms: Timings,
}

impl Manifest {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: &Plan,
        run_id: &str,
        grain: &'static str,
        periods: Vec<String>,
        inputs: Vec<InputReport>,
        partitions: BTreeMap<&'static str, BTreeMap<String, usize>>,
        rejected: usize,
        not_rated: BTreeMap<String, usize>,
        files: Vec<PathBuf>,
        started: chrono::DateTime<chrono::Utc>,
        timings: Timings,
    ) -> Manifest {
        let mut rows_written: BTreeMap<&'static str, usize> = partitions
            .iter()
            .map(|(t, ps)| (*t, ps.values().sum()))
            .collect();
        rows_written.insert(OutputTable::Rejects.name(), rejected);
        Manifest {
            run: RunHeader::new(plan, run_id, "succeeded"),
            grain,
            periods,
            inputs,
            scorecard_rows: rows_written
                .get(OutputTable::Scorecards.name())
                .copied()
                .unwrap_or(0),
            rows_written,
            partitions,
            not_rated,
            files: files.iter().map(|f| f.display().to_string()).collect(),
            started_at: started.to_rfc3339(),
            finished_at: chrono::Utc::now().to_rfc3339(),
            timings_ms: timings,
        }
    }

    /// Writes `_runs/<run_id>.json` and `_manifest.json`.
    pub fn write(&self, out: &Output) -> Result<(), Error> {
        let json = serde_json::to_vec_pretty(self).map_err(Error::Json)?;
        out.write_record(&self.run.run_id, &json, true)
    }
}

/// The record of a failed run: what was asked and why it failed. Nothing else was written.
#[derive(Debug, Serialize)]
pub struct FailedRun {
    /// Which run, of which pipeline, and how it ended.
    #[serde(flatten)]
    pub run: RunHeader,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
}

impl FailedRun {
    pub fn new(
        plan: &Plan,
        run_id: &str,
        started: chrono::DateTime<chrono::Utc>,
        e: &Error,
    ) -> Self {
        FailedRun {
            run: RunHeader::new(plan, run_id, "failed"),
            error: e.to_string(),
            started_at: started.to_rfc3339(),
            finished_at: chrono::Utc::now().to_rfc3339(),
        }
    }

    /// Writes `_runs/<run_id>.json`; `_manifest.json` stays the last successful run's.
    pub fn write(&self, out: &Output) -> Result<(), Error> {
        let json = serde_json::to_vec_pretty(self).map_err(Error::Json)?;
        out.write_record(&self.run.run_id, &json, false)
    }
}

/// Every run record in `out/_runs/` (a folder or an object-store prefix), by name.
fn records(out: &Path) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let text = out.to_string_lossy();
    if crate::storage::is_url(&text) {
        let url = crate::storage::parse_url(&text)
            .map_err(|e| Error::BadOption(format!("the output path: {e}")))?;
        // Credentials and endpoints from the environment, as a pipeline without `storage`.
        let store = crate::storage::connect(&url, &crate::storage::StorageConfig::default())?;
        let mut out = Vec::new();
        for key in store.list(&url.join(RUNS))? {
            if key.ends_with(".json") {
                if let Some(b) = store.get(&key)? {
                    out.push((url.show(&key), b.to_vec()));
                }
            }
        }
        out.sort();
        return Ok(out);
    }
    let dir = out.join(RUNS);
    let rd = std::fs::read_dir(&dir).map_err(|source| Error::Io {
        what: format!(
            "{} holds no run records: is it an output folder?",
            dir.display()
        ),
        source,
    })?;
    let mut paths: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let text = std::fs::read(&p).map_err(|source| Error::Io {
            what: format!("cannot read {}", p.display()),
            source,
        })?;
        out.push((p.display().to_string(), text));
    }
    Ok(out)
}

/// One line per run recorded in `out/_runs/`, oldest first: id, outcome, grain, periods and
/// rows, or the first line of the error.
pub fn list(out: &Path) -> Result<Vec<String>, Error> {
    let records = records(out)?;
    let mut lines = Vec::with_capacity(records.len());
    for (name, text) in records {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&text) else {
            lines.push(format!("{name}  unreadable record"));
            continue;
        };
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let line = if s("outcome") == "failed" {
            // The error's first line, with the first line it introduces.
            let error = s("error");
            let mut ls = error.lines();
            let mut first = ls.next().unwrap_or("").to_string();
            if first.ends_with(':') {
                if let Some(next) = ls.next() {
                    first = format!("{first} {}", next.trim());
                }
            }
            format!("{}  failed     {first}", s("run_id"))
        } else {
            let periods = v["periods"].as_array().cloned().unwrap_or_default();
            let label = |i: Option<&serde_json::Value>| {
                i.and_then(|x| x.as_str()).unwrap_or("").to_string()
            };
            let rejected: u64 = v["inputs"]
                .as_array()
                .map(|a| a.iter().filter_map(|i| i["rows_rejected"].as_u64()).sum())
                .unwrap_or(0);
            format!(
                "{}  succeeded  {} {} .. {} ({} periods), {} scorecard rows, {} rows rejected",
                s("run_id"),
                s("grain"),
                label(periods.first()),
                label(periods.last()),
                periods.len(),
                v["scorecard_rows"].as_u64().unwrap_or(0),
                rejected
            )
        };
        lines.push(line);
    }
    Ok(lines)
}

/// The id of the last successful run (its manifest `last`) when it wrote exactly `periods` at `grain` with
/// this tool version, this pipeline and these input files (paths and fingerprints).
pub fn same_run(
    last: &[u8],
    plan: &Plan,
    grain: &str,
    periods: &[String],
    raw: &[crate::raw::RawTable],
) -> Option<String> {
    let last: serde_json::Value = serde_json::from_slice(last).ok()?;
    let inputs: Vec<serde_json::Value> = raw
        .iter()
        .map(|r| {
            let files: Vec<serde_json::Value> = r
                .files
                .iter()
                .map(|f| serde_json::json!([f.path.display().to_string(), f.fingerprint]))
                .collect();
            serde_json::json!([r.table.name(), files])
        })
        .collect();
    let recorded: Vec<serde_json::Value> = last["inputs"]
        .as_array()?
        .iter()
        .map(|i| {
            let files: Vec<serde_json::Value> = i["files"]
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .map(|f| serde_json::json!([f["path"], f["xxh3"]]))
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!([i["table"], files])
        })
        .collect();
    let same = last["outcome"] == "succeeded"
        && last["version"] == env!("CARGO_PKG_VERSION")
        && last["pipeline_sha256"] == plan.hash.as_str()
        && last["grain"] == grain
        && last["periods"] == serde_json::json!(periods)
        && recorded == inputs;
    same.then(|| last["run_id"].as_str().unwrap_or("").to_string())
}
