//! The library's error type and the process exit codes it maps to.

use std::path::PathBuf;

use polars::error::PolarsError;

use crate::diag::{ConfigErrors, InputErrors};

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code for bad input data or a bad pipeline.
pub const EXIT_BAD_INPUT: i32 = 1;
/// Exit code for an internal error.
pub const EXIT_INTERNAL: i32 = 2;

/// Everything that can stop a run, one variant per case. Causes are kept as `#[source]`; the
/// command line prints the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pipeline file is malformed or inconsistent.
    #[error("{0}")]
    Config(ConfigErrors),
    /// A proposed plans file (`compare --plans`) is malformed or inconsistent.
    #[error("{}", .0.titled("the proposed plans"))]
    Plans(ConfigErrors),
    /// Input rows break the data contract.
    #[error("{0}")]
    Rules(InputErrors),
    /// A period label on the command line or in the pipeline is not one.
    #[error("{0}")]
    BadPeriod(String),
    /// A command-line option has a bad value.
    #[error("{0}")]
    BadOption(String),
    /// The run's periods cannot be told from the options and the data.
    #[error("the ledger is empty: {hint}")]
    EmptyLedger { hint: &'static str },
    /// `explain` names an employee or period with no scorecard.
    #[error("{0}")]
    NoScorecard(String),
    /// A source file cannot be read as its format.
    #[error("{path}: cannot be read as {format}")]
    ReadSource {
        path: PathBuf,
        format: &'static str,
        #[source]
        source: PolarsError,
    },
    /// A source file's columns cannot be brought to the canonical types.
    #[error("{path}")]
    SourceColumns {
        path: PathBuf,
        #[source]
        source: PolarsError,
    },
    /// A source file is not what its source says it is (not UTF-8, empty, a column of a type
    /// that cannot hold its values); the message says what to do.
    #[error("{path}: {message}")]
    SourceFile { path: PathBuf, message: String },
    /// A file or folder cannot be read.
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// An object store cannot be reached, refuses a request, or cannot be set up from the
    /// environment and `storage.options`. The message names the object, never a credential.
    #[error("{what}: {detail}")]
    Storage {
        what: String,
        /// The object-store error and its causes, each message once.
        detail: String,
        /// The store did not answer in time, or answered with a server error, after every
        /// retry: the same run may succeed later (exit 2). Otherwise the object is missing or
        /// the credentials or options are wrong (exit 1).
        transient: bool,
    },
    /// The output path (`--out` or `output.path`) names a file, or a folder inside one.
    #[error(
        "the output must be a folder, but {}: name a folder with `--out` or the pipeline's \
         `output.path` (a folder that does not exist is created)",
        not_a_folder(path, file)
    )]
    OutputNotFolder {
        /// The output path as given.
        path: PathBuf,
        /// The file it is, or the file on its way.
        file: PathBuf,
    },
    /// An output file or folder cannot be written.
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The output folder's lock file cannot be created or locked.
    #[error("cannot lock {path}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A Parquet output cannot be encoded or written.
    #[error("cannot write {path}")]
    WriteParquet {
        path: PathBuf,
        #[source]
        source: PolarsError,
    },
    /// A Polars operation that should not fail did.
    #[error("internal error while {what}")]
    Polars {
        what: &'static str,
        #[source]
        source: PolarsError,
    },
    /// More rows were rejected than the pipeline allows.
    #[error("too many rows rejected, so nothing was written:\n{}\n{rows}", over.join("\n"))]
    TooManyRejected {
        /// A line per limit passed.
        over: Vec<String>,
        /// The first rule breaks, as a listing.
        rows: InputErrors,
    },
    /// A part's file (`factorscore shard`) cannot be read as one.
    #[error("the part {path} cannot be read")]
    Part {
        path: PathBuf,
        #[source]
        source: crate::partials::ReadError,
    },
    /// The parts given to `factorscore merge` are not exactly one of each of one run's.
    #[error(transparent)]
    Merge(#[from] crate::partials::MergeError),
    /// A part does not belong to the run `merge` is asked for.
    #[error(
        "the parts in {dir} are of another run ({what} differs): run `shard` again with this \
         pipeline, inputs and period options, then merge"
    )]
    PartsOfAnotherRun { dir: PathBuf, what: &'static str },
    /// The buckets given to `factorscore shard` are missing, foreign or unreadable.
    #[error(transparent)]
    Bucket(#[from] crate::buckets::error::BucketError),
    /// Rows went missing between reading and computing: a bug.
    #[error("internal error: {table} does not reconcile: {read} rows read, but {used} used and {rejected} rejected")]
    Unreconciled {
        table: &'static str,
        read: usize,
        used: usize,
        rejected: usize,
    },
    /// The thread reading the sources ended before handing over a table: a bug (it panicked).
    #[error("internal error: the sources' reader stopped before reading {table}")]
    ReaderStopped { table: &'static str },
    /// A column a checkpoint keeps is not held as text after the checks.
    #[error("internal error: the checkpoint cannot keep {table}.{column}, which is not text")]
    CheckpointColumn { table: &'static str, column: String },
    /// The manifest or a statement cannot be serialised.
    #[error("internal error while writing JSON")]
    Json(#[source] serde_json::Error),
}

/// Why output path `path` is not a folder: it is the file `file`, or `file` is on its way.
fn not_a_folder(path: &std::path::Path, file: &std::path::Path) -> String {
    if path == file {
        format!("{} is a file", path.display())
    } else {
        format!(
            "{} is a file (on the way to {})",
            file.display(),
            path.display()
        )
    }
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_)
            | Error::Plans(_)
            | Error::Rules(_)
            | Error::BadPeriod(_)
            | Error::BadOption(_)
            | Error::EmptyLedger { .. }
            | Error::NoScorecard(_)
            | Error::ReadSource { .. }
            | Error::SourceColumns { .. }
            | Error::SourceFile { .. }
            | Error::OutputNotFolder { .. }
            | Error::Io { .. }
            | Error::Storage {
                transient: false, ..
            }
            | Error::TooManyRejected { .. }
            | Error::Part { .. }
            | Error::Merge(_)
            | Error::PartsOfAnotherRun { .. }
            | Error::Bucket(_) => EXIT_BAD_INPUT,
            Error::Write { .. }
            | Error::Storage {
                transient: true, ..
            }
            | Error::Lock { .. }
            | Error::WriteParquet { .. }
            | Error::Polars { .. }
            | Error::Unreconciled { .. }
            | Error::ReaderStopped { .. }
            | Error::CheckpointColumn { .. }
            | Error::Json(_) => EXIT_INTERNAL,
        }
    }

    /// Wraps a Polars error of an operation that should not fail.
    pub fn polars(what: &'static str) -> impl FnOnce(PolarsError) -> Error {
        move |source| Error::Polars { what, source }
    }
}
