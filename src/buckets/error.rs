//! Why a folder of buckets cannot be read (a leaf: `crate::error` wraps it).

use std::path::PathBuf;

/// Why a folder of buckets cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("{dir} holds no slice: run `factorscore bucket` for every slice, then the shards")]
    NoSlices { dir: PathBuf },
    #[error("slice {slice} of {slices} is missing from {dir}: run that slice again")]
    Missing {
        dir: PathBuf,
        slice: u64,
        slices: u64,
    },
    #[error(
        "slice {slice} in {dir} is of another run ({what} differs): run `factorscore bucket` \
         again for every slice with this pipeline, inputs and --count"
    )]
    OtherRun {
        dir: PathBuf,
        slice: u64,
        what: &'static str,
    },
    #[error("{path} cannot be read: {message}")]
    Unreadable { path: PathBuf, message: String },
}
