//! The run manifest (contract section 6): the lineage of every output, written after each run
//! as `_runs/<run_id>.json` and `_manifest.json` (the last successful run), and a record of each
//! failed run. Records are written and read back as the same types.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Plan;
use crate::error::Error;
use crate::output::{Output, OutputFile, RUNS};
use crate::outputs::OutputTable;
use crate::raw::RawTable;
use crate::reconcile::InputReport;
use crate::timings::Timings;

/// One input table's files (see [`crate::sources::InputFiles`]).
pub use crate::sources::InputFiles;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    Failed,
}

/// What every run record starts with: the run, its outcome, the tool and the pipeline.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunHeader {
    pub run_id: String,
    pub outcome: Outcome,
    pub tool: String,
    pub version: String,
    pub pipeline: String,
    pub pipeline_name: String,
    pub pipeline_sha256: String,
}

impl RunHeader {
    fn new(plan: &Plan, run_id: &str, outcome: Outcome) -> Self {
        RunHeader {
            run_id: run_id.to_string(),
            outcome,
            tool: "factorscore".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            // Absolute, so that a later reader finds it from anywhere.
            pipeline: std::path::absolute(&plan.file)
                .unwrap_or_else(|_| plan.file.clone())
                .display()
                .to_string(),
            pipeline_name: plan.name.clone(),
            pipeline_sha256: plan.hash.clone(),
        }
    }
}

/// The periods a run was asked for: each end named (`--period`, `--from`/`--to`, the pipeline's
/// `periods`, `previous` as it resolved), or `None` where the ledger's extent gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asked {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The record of a successful run.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Which run, of which pipeline, and how it ended.
    #[serde(flatten)]
    pub run: RunHeader,
    pub grain: String,
    pub periods: Vec<String>,
    /// The periods the run was asked for, before the data gave what was left open. Absent in
    /// manifests of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked: Option<Asked>,
    /// Rows read, used and rejected per input table, with every file and its fingerprint.
    pub inputs: Vec<InputReport>,
    pub scorecard_rows: usize,
    /// Rows written per output table.
    pub rows_written: BTreeMap<String, usize>,
    /// The partitions written per partitioned table: period and rows.
    pub partitions: BTreeMap<String, BTreeMap<String, usize>>,
    /// Scorecard rows whose role had no plan in force, per role.
    pub not_rated: BTreeMap<String, usize>,
    /// The pipeline's custom metrics (contract 3.1), each as defined.
    pub metrics: Vec<crate::catalogue::custom::Record>,
    /// For the plans with a `grade_guidance` (contract 5.3): each written period's calibration
    /// groups and departments, every grade's share against its guidance, and whether it departs.
    #[serde(default)]
    pub guidance: Vec<crate::scoring::guidance::GroupShares>,
    /// Whether the run read only the input files added since the output's checkpoint, or every
    /// file and why; and whether it wrote a checkpoint segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<crate::checkpoint::CheckpointUse>,
    /// The files written, relative to the output folder, with their sizes: what the unchanged
    /// check finds in their folders before it skips a run.
    pub files: Vec<OutputFile>,
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
        grain: &str,
        periods: Vec<String>,
        inputs: Vec<InputReport>,
        partitions: BTreeMap<String, BTreeMap<String, usize>>,
        rejected: usize,
        not_rated: BTreeMap<String, usize>,
        files: Vec<OutputFile>,
        started: chrono::DateTime<chrono::Utc>,
        timings: Timings,
    ) -> Manifest {
        let mut rows_written: BTreeMap<String, usize> = partitions
            .iter()
            .map(|(t, ps)| (t.clone(), ps.values().sum()))
            .collect();
        rows_written.insert(OutputTable::Rejects.name().to_string(), rejected);
        Manifest {
            run: RunHeader::new(plan, run_id, Outcome::Succeeded),
            grain: grain.to_string(),
            periods,
            inputs,
            scorecard_rows: rows_written
                .get(OutputTable::Scorecards.name())
                .copied()
                .unwrap_or(0),
            rows_written,
            partitions,
            not_rated,
            metrics: plan.catalogue.custom.iter().map(Into::into).collect(),
            guidance: Vec::new(),
            checkpoint: None,
            asked: None,
            files,
            started_at: started.to_rfc3339(),
            finished_at: chrono::Utc::now().to_rfc3339(),
            timings_ms: timings,
        }
    }

    /// The manifest of a successful run, as [`Manifest::write`] wrote it; an error for anything
    /// else, a failed run's record included.
    pub fn parse(json: &[u8]) -> Result<Manifest, serde_json::Error> {
        match RunRecord::parse(json)? {
            RunRecord::Succeeded(m) => Ok(*m),
            RunRecord::Failed(_) => Err(serde::de::Error::custom("the record of a failed run")),
        }
    }

    /// Writes `_runs/<run_id>.json` and `_manifest.json`.
    pub fn write(&self, out: &Output) -> Result<(), Error> {
        let json = serde_json::to_vec_pretty(self).map_err(Error::Json)?;
        out.write_record(&self.run.run_id, &json, true)
    }

    /// Whether this run wrote exactly `periods` at `grain` with this tool version, this pipeline
    /// and these input files (paths and fingerprints, per table), so that running again would
    /// change nothing.
    pub fn same_run(
        &self,
        plan: &Plan,
        grain: &str,
        periods: &[String],
        inputs: &[InputFiles],
    ) -> bool {
        self.same_request(plan, grain, periods) && self.same_inputs(inputs)
    }

    /// Whether this run succeeded writing exactly `periods` at `grain` with this tool version
    /// and this pipeline.
    pub fn same_request(&self, plan: &Plan, grain: &str, periods: &[String]) -> bool {
        self.run.outcome == Outcome::Succeeded
            && self.run.version == env!("CARGO_PKG_VERSION")
            && self.run.pipeline_sha256 == plan.hash
            && self.grain == grain
            && self.periods == periods
    }

    /// Whether this run read exactly these files (paths and fingerprints, in order) per table.
    pub fn same_inputs(&self, inputs: &[InputFiles]) -> bool {
        self.inputs.len() == inputs.len()
            && self.inputs.iter().zip(inputs).all(|(i, (table, files))| {
                i.table == *table
                    && i.files.len() == files.len()
                    && i.files
                        .iter()
                        .zip(files)
                        .all(|(f, (path, fp))| f.path == *path && f.xxh3 == *fp)
            })
    }
}

/// The input files of tables read.
pub fn input_files(raw: &[RawTable]) -> Vec<InputFiles> {
    raw.iter()
        .map(|r| {
            let files = r.files.iter();
            let files = files.map(|f| (f.path.display().to_string(), f.fingerprint.clone()));
            (r.table.name().to_string(), files.collect())
        })
        .collect()
}

/// The record of a failed run: what was asked and why it failed. Nothing else was written.
#[derive(Debug, Serialize, Deserialize)]
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
            run: RunHeader::new(plan, run_id, Outcome::Failed),
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

/// A run record read back: a successful run's manifest, or a failed run's record.
#[derive(Debug)]
pub enum RunRecord {
    Succeeded(Box<Manifest>),
    Failed(Box<FailedRun>),
}

impl RunRecord {
    /// A record as [`Manifest::write`] or [`FailedRun::write`] wrote it.
    pub fn parse(json: &[u8]) -> Result<RunRecord, serde_json::Error> {
        #[derive(Deserialize)]
        struct Head {
            outcome: Outcome,
        }
        Ok(match serde_json::from_slice::<Head>(json)?.outcome {
            Outcome::Succeeded => RunRecord::Succeeded(serde_json::from_slice(json)?),
            Outcome::Failed => RunRecord::Failed(serde_json::from_slice(json)?),
        })
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
        let line = match RunRecord::parse(&text) {
            Err(_) => format!("{name}  unreadable record"),
            Ok(RunRecord::Failed(f)) => {
                // The error's first line, with the first line it introduces.
                let mut ls = f.error.lines();
                let mut first = ls.next().unwrap_or("").to_string();
                if first.ends_with(':') {
                    if let Some(next) = ls.next() {
                        first = format!("{first} {}", next.trim());
                    }
                }
                format!("{}  failed     {first}", f.run.run_id)
            }
            Ok(RunRecord::Succeeded(m)) => {
                let label = |p: Option<&String>| p.cloned().unwrap_or_default();
                let rejected: usize = m.inputs.iter().map(|i| i.rows_rejected).sum();
                format!(
                    "{}  succeeded  {} {} .. {} ({} periods), {} scorecard rows, {} rows rejected",
                    m.run.run_id,
                    m.grain,
                    label(m.periods.first()),
                    label(m.periods.last()),
                    m.periods.len(),
                    m.scorecard_rows,
                    rejected
                )
            }
        };
        lines.push(line);
    }
    Ok(lines)
}
