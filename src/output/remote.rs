//! Outputs on an object store (S3, GCS, Azure), where there are no symlinks and no renames.
//!
//! ```text
//! PREFIX/scorecards/grain=month/period=2026-10/part-0.parquet   (and kpi_scores, rollups)
//! PREFIX/rejects/part-0.parquet
//! PREFIX/_manifest.json, PREFIX/_runs/RUN_ID.json
//! ```
//!
//! Every partition is one object with a fixed name, written with one PUT, which replaces the
//! object atomically: a reader of a partition gets the old file or the new one, never a mix.
//! A run encodes every file first, then PUTs them (several at a time), then deletes any other
//! object under the partition folders it replaced and under `rejects/`, then writes the manifest.
//! Before its first PUT it writes `_pending` (its run id), and deletes it after the manifest: a
//! run stopped in between leaves it, and the next run then knows the manifest may not describe
//! the tables (so it is not skipped as unchanged). There is no lock: one writer per prefix.

use std::collections::{BTreeMap, HashSet};

use bytes::Bytes;

use crate::error::Error;
use crate::storage::{ObjUrl, StorageConfig, Store};

use super::{slashed, Encoded, OutputFile, MANIFEST, RUNS};

/// An output prefix on an object store.
pub struct RemoteOutput {
    store: Store,
    /// `_manifest.json` when the run opened the prefix.
    manifest: Option<Bytes>,
    /// Whether `_pending` was there: a run stopped between its first PUT and its manifest.
    pending: bool,
}

/// Written before a run's first PUT, deleted after its manifest.
const PENDING: &str = "_pending";

impl RemoteOutput {
    /// Connects to the store of `url` and reads the last manifest and the pending marker.
    pub fn open(url: &ObjUrl, cfg: &StorageConfig) -> Result<RemoteOutput, Error> {
        let store = crate::storage::connect(url, cfg)?;
        let manifest = store.get(&url.join(MANIFEST))?;
        let pending = store.get(&url.join(PENDING))?.is_some();
        Ok(RemoteOutput {
            store,
            manifest,
            pending,
        })
    }

    /// `_manifest.json` as it was when the run opened the prefix.
    pub fn last_manifest(&self) -> Option<&[u8]> {
        self.manifest.as_deref()
    }

    /// The manifest's run (`manifest_run`), unless a later run stopped part way.
    pub fn committed_run(&self, manifest_run: Option<&str>) -> Option<String> {
        if self.pending {
            return None;
        }
        manifest_run.map(str::to_string)
    }

    /// Writes each encoded partition and whole table as one object, then deletes the other
    /// objects of the folders it replaced. Returns the files written, relative to the
    /// prefix. A run that fails part way leaves each partition whole, old or new.
    pub fn commit(&self, run_id: &str, encoded: &[Encoded]) -> Result<Vec<OutputFile>, Error> {
        let url = &self.store.url;
        // Folder (relative, `/`-separated) of each file.
        let dirs: Vec<String> = encoded.iter().map(|e| slashed(&e.rel_dir)).collect();
        let files: Vec<String> = encoded.iter().map(Encoded::path).collect();
        let sizes: Vec<u64> = encoded.iter().map(|e| e.bytes.len() as u64).collect();
        self.store.put_all(vec![(
            url.join(PENDING),
            Bytes::copy_from_slice(run_id.as_bytes()),
        )])?;
        self.store.put_all(
            files
                .iter()
                .zip(encoded)
                .map(|(f, e)| (url.join(f), e.bytes.clone()))
                .collect(),
        )?;
        // Other objects of the replaced folders: one listing per table.
        let ours: HashSet<String> = files.iter().map(|f| url.join(f)).collect();
        let replaced: HashSet<String> = dirs.iter().map(|d| url.join(d)).collect();
        let mut tables: BTreeMap<&str, ()> = BTreeMap::new();
        for d in &dirs {
            tables.insert(d.split('/').next().unwrap_or(d), ());
        }
        let mut stale = Vec::new();
        for t in tables.keys() {
            let whole_table = encoded
                .iter()
                .any(|e| e.period.is_none() && e.table.name() == *t);
            for key in self.store.list(&url.join(t))? {
                let dir = key.rsplit_once('/').map_or("", |(d, _)| d);
                let in_replaced = whole_table || replaced.contains(dir);
                if in_replaced && !ours.contains(&key) {
                    stale.push(key);
                }
            }
        }
        self.store.delete_all(stale)?;
        Ok(files
            .into_iter()
            .zip(sizes)
            .map(|(path, bytes)| OutputFile { path, bytes })
            .collect())
    }

    /// Whether the prefix holds exactly `files` in the folders a run replaces (see
    /// [`super::Output::holds`]): one listing per table, sizes from the listing.
    pub fn holds(&self, files: &[OutputFile]) -> Result<bool, Error> {
        let url = &self.store.url;
        let want: BTreeMap<String, u64> =
            files.iter().map(|f| (url.join(&f.path), f.bytes)).collect();
        // Folders replaced as they are (partitions), and with all below them (whole tables).
        let dirs: HashSet<String> = files.iter().map(|f| url.join(f.dir())).collect();
        let wholes: Vec<String> = files
            .iter()
            .filter(|f| f.is_whole_table())
            .map(|f| format!("{}/", url.join(f.dir())))
            .collect();
        let mut tables: Vec<&str> = files
            .iter()
            .map(|f| f.path.split('/').next().unwrap_or(""))
            .collect();
        tables.sort_unstable();
        tables.dedup();
        let mut found = 0;
        for t in tables {
            for (key, bytes) in self.store.list_sized(&url.join(t))? {
                let dir = key.rsplit_once('/').map_or("", |(d, _)| d);
                if !dirs.contains(dir) && !wholes.iter().any(|w| key.starts_with(w.as_str())) {
                    continue;
                }
                if want.get(&key) != Some(&bytes) {
                    return Ok(false);
                }
                found += 1;
            }
        }
        Ok(found == want.len())
    }

    /// Puts `bytes` as the object `name` at the top of the prefix, beside the tables.
    pub fn put_file(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let key = self.store.url.join(name);
        self.store
            .put_all(vec![(key, Bytes::copy_from_slice(bytes))])
    }

    /// Ends a commit that records no run (a comparison's tables): deletes `_pending`, unless a
    /// run had left one before (that run's stop must stay known).
    pub fn end_without_record(&self) -> Result<(), Error> {
        if self.pending {
            return Ok(());
        }
        self.store.delete_all(vec![self.store.url.join(PENDING)])
    }

    /// Writes a run record as `_runs/RUN_ID.json`; when `last`, then as `_manifest.json`, and
    /// deletes `_pending`. One PUT each.
    pub fn write_record(&self, run_id: &str, json: &[u8], last: bool) -> Result<(), Error> {
        let url = &self.store.url;
        let json = Bytes::copy_from_slice(json);
        self.store.put_all(vec![(
            url.join(&format!("{RUNS}/{run_id}.json")),
            json.clone(),
        )])?;
        if last {
            self.store.put_all(vec![(url.join(MANIFEST), json)])?;
            self.store.delete_all(vec![url.join(PENDING)])?;
        }
        Ok(())
    }
}
