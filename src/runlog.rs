//! What `run` tells its user: text lines for a person (counts on stderr, the summary on
//! stdout), JSON lines on stderr for a log collector, or, with `--quiet`, nothing but errors.

use std::path::Path;

use serde_json::json;

use crate::manifest::Manifest;
use crate::outputs::OutputTable;
use crate::timings::{event, Progress};

/// How a run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for a person.
    Text,
    /// One JSON object per line on stderr, for log collectors.
    Json,
}

/// Where and how a run reports.
#[derive(Debug, Clone, Copy)]
pub struct RunLog {
    pub format: LogFormat,
    pub quiet: bool,
    /// Also the time of each phase.
    pub verbose: bool,
}

impl RunLog {
    /// How phases show while the run goes: a spinner on a terminal, lines otherwise.
    pub fn progress(&self) -> Progress {
        use std::io::IsTerminal;
        match (self.quiet, self.format) {
            (true, _) => Progress::Off,
            (false, LogFormat::Json) => Progress::Json,
            (false, LogFormat::Text) if std::io::stderr().is_terminal() => Progress::Bar,
            (false, LogFormat::Text) => Progress::Lines,
        }
    }

    /// The rows of each input, the rows not rated, the phases and what was written.
    pub fn wrote(&self, m: &Manifest, out: &Path) {
        if self.quiet {
            return;
        }
        let n = |t: OutputTable| m.rows_written.get(t.name()).copied().unwrap_or(0);
        let (a, b) = (
            m.periods.first().cloned().unwrap_or_default(),
            m.periods.last().cloned().unwrap_or_default(),
        );
        if self.format == LogFormat::Json {
            for i in &m.inputs {
                event(
                    "input",
                    "info",
                    json!({"table": i.table, "rows_read": i.rows_read, "rows_used": i.rows_used,
                           "rows_rejected": i.rows_rejected}),
                );
            }
            for (role, rows) in &m.not_rated {
                event("not_rated", "warn", json!({"role": role, "rows": rows}));
            }
            event(
                "wrote",
                "info",
                json!({"run_id": m.run.run_id, "grain": m.grain, "from": a, "to": b,
                       "periods": m.periods.len(), "rows_written": m.rows_written,
                       "out": out.display().to_string()}),
            );
            return;
        }
        for i in &m.inputs {
            eprintln!(
                "{:<13} {:>9} rows read, {:>9} used, {} rejected",
                i.table, i.rows_read, i.rows_used, i.rows_rejected
            );
        }
        for (role, rows) in &m.not_rated {
            eprintln!("not rated: {rows} rows of role {role} (no plan in force)");
        }
        // Without a terminal every phase already had its line.
        if self.verbose && self.progress() == Progress::Bar {
            for (phase, ms) in &m.timings_ms.laps {
                eprintln!("{phase:<22} {ms:>8} ms");
            }
        }
        let (kpis, rollups) = (OutputTable::KpiScores, OutputTable::Rollups);
        println!(
            "wrote {} scorecard, {} {} and {} {} rows in {} {} periods ({a} .. {b}) under {}",
            n(OutputTable::Scorecards),
            n(kpis),
            kpis.name(),
            n(rollups),
            rollups.name(),
            m.periods.len(),
            m.grain,
            out.display()
        );
    }

    /// The last run wrote the same periods from the same inputs: nothing was done.
    pub fn unchanged(&self, run_id: &str, periods: &[String], out: &Path) {
        if self.quiet {
            return;
        }
        let (a, b) = (
            periods.first().cloned().unwrap_or_default(),
            periods.last().cloned().unwrap_or_default(),
        );
        match self.format {
            LogFormat::Json => event(
                "unchanged",
                "info",
                json!({"run_id": run_id, "from": a, "to": b, "out": out.display().to_string()}),
            ),
            LogFormat::Text => println!(
                "nothing to do: run {run_id} wrote {a} .. {b} from the same input files and pipeline under {} (--force runs again)",
                out.display()
            ),
        }
    }

    /// A failed run's error and exit code; always reported, `--quiet` or not.
    pub fn error(format: LogFormat, message: &str, exit_code: i32) {
        match format {
            LogFormat::Json => event(
                "error",
                "error",
                json!({"message": message, "exit_code": exit_code}),
            ),
            LogFormat::Text => eprintln!("error: {message}"),
        }
    }
}
