//! A run: read and check the sources, compute the window's metrics, write the outputs.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::Plan;
use crate::error::Error;
use crate::ledger::{sweep, Swept};
use crate::metrics::{compute, Facts, Window};
use crate::model::Ledger;
use crate::output::{write_atomic, write_partitions, Partition};
use crate::periods::{Day, Grain};
use crate::tables::Table;
use crate::sources::{self, FileInfo, RawTable};

/// What a run computes, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub grain: Option<Grain>,
    pub out: Option<PathBuf>,
}

/// The loaded, checked input.
pub struct Loaded {
    pub raw: Vec<RawTable>,
    pub ledger: Ledger,
    pub swept: Swept,
}

/// Wall time of each phase of a run, in milliseconds.
#[derive(Debug, Default, Serialize)]
pub struct Timings(pub Vec<(String, u128)>);

impl Timings {
    fn lap(&mut self, phase: &str, since: &mut std::time::Instant) {
        self.0
            .push((phase.to_string(), since.elapsed().as_millis()));
        *since = std::time::Instant::now();
    }
}

/// Reads every source of the plan and checks it against the contract.
pub fn load(plan: &Plan) -> Result<Loaded, Error> {
    load_timed(plan, &mut Timings::default())
}

fn load_timed(plan: &Plan, timings: &mut Timings) -> Result<Loaded, Error> {
    let mut t = std::time::Instant::now();
    let mut raw = Vec::new();
    for src in &plan.sources {
        raw.push(sources::read(plan, src)?);
        timings.lap(&format!("read {}", src.table.name()), &mut t);
    }
    let (ledger, mut problems) = sources::parse::parse(&raw, &plan.base_currency, plan.timezone);
    if problems.total == 0 {
        // What the rest of the run reads of the raw tables: the ids that order same-day events.
        for r in &mut raw {
            r.retain_columns(&["collection_id", "write_off_id"]);
        }
    }
    timings.lap("check and type", &mut t);
    let empty = |t: Table| RawTable::empty(t);
    let find = |t: Table| raw.iter().find(|r| r.table == t);
    let (ec, ew) = (empty(Table::Collections), empty(Table::WriteOffs));
    let swept = sweep(
        &ledger,
        find(Table::Collections).unwrap_or(&ec),
        find(Table::WriteOffs).unwrap_or(&ew),
        &mut problems,
    );
    problems.into_result().map_err(Error::Rules)?;
    timings.lap("apply invoice events", &mut t);
    Ok(Loaded { raw, ledger, swept })
}

/// The periods a run covers.
pub fn window(plan: &Plan, l: &Ledger, opts: &RunOptions) -> Result<Window, Error> {
    let cal = plan.calendar(opts.grain.unwrap_or(plan.grain));
    let parse = |s: &str| cal.parse_label(s).map_err(Error::Input);
    let (first, last) = if let Some(p) = &opts.period {
        let p = parse(p)?;
        (p, p)
    } else if opts.from.is_some() || opts.to.is_some() {
        let (lo, hi) = data_extent(l)
            .ok_or_else(|| Error::Input("the ledger is empty: name --from and --to".into()))?;
        let from = opts
            .from
            .as_deref()
            .map(parse)
            .transpose()?
            .unwrap_or(cal.period_of_day(lo));
        let to = opts
            .to
            .as_deref()
            .map(parse)
            .transpose()?
            .unwrap_or(cal.period_of_day(hi));
        (from, to)
    } else if let Some((f, t)) = &plan.periods {
        (parse(f)?, parse(t)?)
    } else {
        let (lo, hi) = data_extent(l).ok_or_else(|| {
            Error::Input(
                "the ledger is empty: name the periods with --period or --from/--to".into(),
            )
        })?;
        (cal.period_of_day(lo), cal.period_of_day(hi))
    };
    if first > last {
        return Err(Error::Input(format!(
            "--from {} is after --to {}",
            cal.label(first),
            cal.label(last)
        )));
    }
    Ok(Window { cal, first, last })
}

/// First purchase day and last event day of the ledger.
fn data_extent(l: &Ledger) -> Option<(Day, Day)> {
    let lo = *l.invoices.purchase.iter().min()?;
    let hi = [
        &l.invoices.purchase,
        &l.collections.date,
        &l.write_offs.date,
        &l.fees.date,
    ]
    .iter()
    .filter_map(|v| v.iter().max())
    .max()
    .copied()?;
    Some((lo, hi))
}

#[derive(Debug, Serialize)]
pub struct InputReport {
    pub table: &'static str,
    pub rows_read: usize,
    pub rows_used: usize,
    pub rows_rejected: usize,
    pub files: Vec<FileReport>,
}

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    pub rows: usize,
    pub xxh3: String,
}

impl From<&FileInfo> for FileReport {
    fn from(f: &FileInfo) -> Self {
        FileReport {
            path: f.path.display().to_string(),
            rows: f.rows,
            xxh3: f.fingerprint.clone(),
        }
    }
}

/// The run manifest: lineage of every output.
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub run_id: String,
    pub tool: &'static str,
    pub version: &'static str,
    pub pipeline: String,
    pub pipeline_name: String,
    pub pipeline_sha256: String,
    pub grain: &'static str,
    pub periods: Vec<String>,
    pub inputs: Vec<InputReport>,
    pub scorecard_rows: usize,
    pub files: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    /// Milliseconds per phase.
    pub timings_ms: Timings,
}

/// Computes the facts of a window from loaded input.
pub fn facts(loaded: &Loaded, window: Window) -> Facts {
    compute(&loaded.ledger, &loaded.swept, window)
}

/// A whole run. Returns the manifest it wrote.
pub fn run(plan: &Plan, opts: &RunOptions) -> Result<Manifest, Error> {
    let started = chrono::Utc::now();
    let mut timings = Timings::default();
    let loaded = load_timed(plan, &mut timings)?;
    let mut t = std::time::Instant::now();
    let window = window(plan, &loaded.ledger, opts)?;
    let facts = facts(&loaded, window);
    timings.lap("metrics", &mut t);
    let tables = crate::scorecards::build(&loaded.ledger, &facts)?;
    timings.lap("scorecard rows", &mut t);
    let out_dir = opts.out.clone().unwrap_or_else(|| plan.output_dir.clone());
    let grain = window.cal.grain.name();
    let scorecard_rows = tables.iter().map(|t| t.df.height()).sum();
    let periods: Vec<String> = tables.iter().map(|t| t.label.clone()).collect();
    let mut parts: Vec<Partition> = tables
        .into_iter()
        .map(|t| Partition {
            table: "scorecards",
            grain,
            period: t.label,
            df: t.df,
        })
        .collect();
    let files = write_partitions(
        &out_dir,
        &mut parts,
        plan.compression,
        plan.compression_level,
    )?;
    timings.lap("write parquet", &mut t);
    let run_id = format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    let inputs = loaded
        .raw
        .iter()
        .map(|r| InputReport {
            table: r.table.name(),
            rows_read: r.height(),
            rows_used: r.height(),
            rows_rejected: 0,
            files: r.files.iter().map(FileReport::from).collect(),
        })
        .collect();
    let manifest = Manifest {
        run_id: run_id.clone(),
        tool: "factorscore",
        version: env!("CARGO_PKG_VERSION"),
        pipeline: plan.file.display().to_string(),
        pipeline_name: plan.name.clone(),
        pipeline_sha256: plan.hash.clone(),
        grain,
        periods,
        inputs,
        scorecard_rows,
        files: files
            .iter()
            .map(|f| f.strip_prefix(&out_dir).unwrap_or(f).display().to_string())
            .collect(),
        started_at: started.to_rfc3339(),
        finished_at: chrono::Utc::now().to_rfc3339(),
        timings_ms: timings,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
    write_atomic(&out_dir.join("_runs").join(format!("{run_id}.json")), &json)?;
    write_atomic(&out_dir.join("_manifest.json"), &json)?;
    Ok(manifest)
}
