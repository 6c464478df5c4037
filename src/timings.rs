//! The wall time of each phase of a run, and how the phases show on stderr as they end: a
//! spinner, a line or a JSON event each. [`crate::runlog`] says the rest of what a run reports.

use serde::{Deserialize, Serialize};
use serde_json::json;

/// How the phases of a run show on stderr as they end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Progress {
    /// Nothing (`--quiet`, and library callers).
    #[default]
    Off,
    /// A spinner naming the last phase: text on a terminal.
    Bar,
    /// One line per phase: text when stderr is not a terminal (cron mail, CI logs).
    Lines,
    /// One `phase` event per phase: `--log-format json`.
    Json,
}

/// The line of a finished phase when stderr is not a terminal.
pub fn phase_line(phase: &str, ms: u128) {
    eprintln!("{PHASE_PREFIX}{phase:<30} {ms:>8} ms");
}

/// What each phase line starts with.
pub const PHASE_PREFIX: &str = "phase  ";

/// The event of a finished phase.
pub fn phase_event(phase: &str, ms: u128) {
    event("phase", "debug", json!({"phase": phase, "ms": ms}));
}

/// One JSON log line on stderr, with its time.
pub fn event(name: &str, level: &str, mut fields: serde_json::Value) {
    if let Some(m) = fields.as_object_mut() {
        m.insert("time".into(), json!(chrono::Utc::now().to_rfc3339()));
        m.insert("level".into(), json!(level));
        m.insert("event".into(), json!(name));
    }
    eprintln!("{fields}");
}

/// Wall time of each phase of a run, in milliseconds, reported as each phase ends the way
/// [`Progress`] says.
#[derive(Debug, Default)]
pub struct Timings {
    pub laps: Vec<(String, u128)>,
    live: Live,
}

/// How the phases show while a run goes.
#[derive(Debug, Default)]
enum Live {
    #[default]
    Off,
    Bar(indicatif::ProgressBar),
    Lines,
    Json,
}

impl Serialize for Timings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.laps.serialize(s)
    }
}

/// The laps of a run read back (from its manifest), shown nowhere.
impl<'de> Deserialize<'de> for Timings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Timings {
            laps: Vec::deserialize(d)?,
            live: Live::Off,
        })
    }
}

impl Timings {
    /// Timings that report each phase as it ends: a spinner, a line or a JSON event on stderr.
    pub fn new(progress: Progress) -> Self {
        let live = match progress {
            Progress::Off => Live::Off,
            Progress::Lines => Live::Lines,
            Progress::Json => Live::Json,
            Progress::Bar => {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bar.set_message("reading the sources");
                Live::Bar(bar)
            }
        };
        Timings {
            laps: Vec::new(),
            live,
        }
    }

    /// Ends `phase`, begun at `since`: records and shows its time, and starts the next at now.
    pub fn lap(&mut self, phase: &str, since: &mut std::time::Instant) {
        self.record(phase, since.elapsed().as_millis());
        *since = std::time::Instant::now();
    }

    /// Records and shows `phase`, timed elsewhere (on another thread, beside other phases).
    pub fn record(&mut self, phase: &str, ms: u128) {
        self.laps.push((phase.to_string(), ms));
        match &self.live {
            Live::Off => {}
            Live::Bar(bar) => bar.set_message(format!("{phase}: {ms} ms")),
            Live::Lines => phase_line(phase, ms),
            Live::Json => phase_event(phase, ms),
        }
    }

    /// Clears the spinner.
    pub fn done(&mut self) {
        if let Live::Bar(bar) = std::mem::take(&mut self.live) {
            bar.finish_and_clear();
        }
    }
}
