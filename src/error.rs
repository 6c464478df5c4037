//! The library's error type and the process exit codes it maps to.

use crate::config::ConfigErrors;

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code for bad input data or a bad pipeline.
pub const EXIT_BAD_INPUT: i32 = 1;
/// Exit code for an internal error.
pub const EXIT_INTERNAL: i32 = 2;

/// One row that breaks a rule of the data contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBreak {
    /// `file:line (row n)`.
    pub at: String,
    pub table: &'static str,
    pub column: &'static str,
    pub value: String,
    pub rule: String,
}

impl std::fmt::Display for RuleBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}.{} = `{}`: {}",
            self.at, self.table, self.column, self.value, self.rule
        )
    }
}

/// Rule breaks found in the input, the first few of them listed.
#[derive(Debug, thiserror::Error)]
pub struct InputErrors {
    pub shown: Vec<RuleBreak>,
    pub total: usize,
}

impl std::fmt::Display for InputErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (rows, verb) = if self.total == 1 {
            ("row", "breaks")
        } else {
            ("rows", "break")
        };
        writeln!(f, "{} {rows} {verb} the data contract:", self.total)?;
        for r in &self.shown {
            writeln!(f, "{r}")?;
        }
        if self.total > self.shown.len() {
            writeln!(f, "... and {} more", self.total - self.shown.len())?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(ConfigErrors),
    #[error("{0}")]
    Rules(InputErrors),
    #[error("{0}")]
    Input(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the output: {0}")]
    Output(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Rules(_) | Error::Input(_) => EXIT_BAD_INPUT,
            Error::Io { .. } => EXIT_BAD_INPUT,
            Error::Output(_) | Error::Internal(_) => EXIT_INTERNAL,
        }
    }
}

impl From<polars::error::PolarsError> for Error {
    fn from(e: polars::error::PolarsError) -> Self {
        Error::Internal(e.to_string())
    }
}
