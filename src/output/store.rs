//! The output folder as snapshots and one pointer:
//!
//! ```text
//! OUT/.lock                     held by the running run (see `lock`)
//! OUT/_current -> _store/<run>  the committed snapshot; replaced with one rename
//! OUT/_store/<run>/scorecards/grain=month/period=2026-10/part-0.parquet, ...
//! OUT/scorecards -> _current/scorecards   one static symlink per table
//! ```
//!
//! A run builds `_store/<run>.tmp/`: hard links to every file of the partitions it does not
//! replace (whole folders, foreign files included), then its own partitions and whole tables,
//! all synced to disk (one `syncfs` on Linux). It renames the folder to `_store/<run>`, points
//! `_current` at it (a new symlink renamed over the old one: the commit), and deletes the old
//! snapshot; files it shares
//! through hard links live on. A replaced partition is a new folder, so it holds only what the
//! run wrote. Until the commit nothing a reader can reach has changed, so a failed or killed run
//! leaves the previous output; the next run deletes what it left in `_store`.

use std::cell::Cell;
use std::collections::HashSet;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::outputs::OutputTable;

use super::lock::{Lock, LOCK_FILE};
use super::{io, Encoded, OutputFile, PART_FILE};

/// The folder of snapshots.
const STORE: &str = "_store";
/// The pointer to the committed snapshot.
const CURRENT: &str = "_current";

/// An output folder, locked for one run.
pub struct OutputDir {
    root: PathBuf,
    lock: Option<Lock>,
    /// The folder did not exist before this run opened it.
    created: bool,
    committed: Cell<bool>,
    /// The run wrote a checkpoint that replaces the committed one (see [`crate::checkpoint`]).
    fresh_checkpoint: Cell<bool>,
}

impl OutputDir {
    /// Creates the output folder if needed, takes its lock (waiting for a run holding it, with a
    /// message on stderr), deletes what killed runs left, and moves tables of an older version's
    /// layout into a snapshot.
    pub fn open(root: &Path) -> Result<OutputDir, Error> {
        refuse_file(root)?;
        let created = std::fs::symlink_metadata(root).is_err();
        let lock = Lock::acquire(root)?;
        let dir = OutputDir {
            root: root.to_path_buf(),
            lock: Some(lock),
            created,
            committed: Cell::new(false),
            fresh_checkpoint: Cell::new(false),
        };
        dir.clean()?;
        dir.migrate()?;
        Ok(dir)
    }

    /// Writes a new snapshot: the current one's files except the folders of `files`, which are
    /// written anew (each as `rel_dir/part-0.parquet`); then commits it. Returns the files
    /// written, relative to the output folder.
    pub fn commit(&self, run_id: &str, files: &[Encoded]) -> Result<Vec<OutputFile>, Error> {
        let tmp = self.store().join(format!("{run_id}.tmp"));
        let result = (|| {
            let mut replaced: HashSet<&Path> = files.iter().map(|f| f.rel_dir.as_path()).collect();
            if self.fresh_checkpoint.get() {
                replaced.insert(Path::new(crate::checkpoint::DIR));
            }
            std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
            if let Some(cur) = self.current()? {
                link_tree(&self.store().join(cur), &tmp, Path::new(""), &|rel| {
                    replaced.contains(rel)
                })?;
            }
            let mut written = Vec::with_capacity(files.len());
            for f in files {
                let dir = tmp.join(&f.rel_dir);
                std::fs::create_dir_all(&dir).map_err(io(&dir))?;
                // Nothing references the snapshot yet, so each file is written under its name.
                let path = dir.join(PART_FILE);
                std::fs::write(&path, &f.bytes).map_err(io(&path))?;
                written.push(OutputFile {
                    path: f.path(),
                    bytes: f.bytes.len() as u64,
                });
            }
            sync_snapshot(&tmp)?;
            self.publish(run_id, &tmp)?;
            Ok(written)
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    /// Whether the committed snapshot holds exactly `files` in their folders; see
    /// [`super::Output::holds`]. No snapshot holds nothing.
    pub fn holds(&self, files: &[OutputFile]) -> Result<bool, Error> {
        let Some(cur) = self.current()? else {
            return Ok(files.is_empty());
        };
        let snap = self.store().join(cur);
        let mut dirs: Vec<&str> = files.iter().map(OutputFile::dir).collect();
        dirs.sort_unstable();
        dirs.dedup();
        for dir in dirs {
            let listed: Vec<&OutputFile> = files.iter().filter(|f| f.dir() == dir).collect();
            let found = entries(&snap.join(dir))?;
            if found.len() != listed.len() {
                return Ok(false);
            }
            for f in listed {
                // Not followed: a symlink or a folder put there is not the file written.
                let meta = std::fs::symlink_metadata(snap.join(&f.path));
                if !meta.is_ok_and(|m| m.is_file() && m.len() == f.bytes) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The folder for run `run_id`'s checkpoint segment, in the snapshot the run is building:
    /// committed with its tables. A `fresh` segment replaces the committed checkpoint; any other
    /// is added to it.
    pub fn checkpoint_segment(&self, run_id: &str, fresh: bool) -> PathBuf {
        self.fresh_checkpoint.set(fresh);
        self.store()
            .join(format!("{run_id}.tmp"))
            .join(crate::checkpoint::DIR)
            .join(run_id)
    }

    /// Deletes what run `run_id` wrote of a snapshot it will not commit (its checkpoint
    /// segment, written before the tables); left behind, the next run would delete it.
    pub fn discard(&self, run_id: &str) {
        let _ = std::fs::remove_dir_all(self.store().join(format!("{run_id}.tmp")));
    }

    /// Leaves the committed checkpoint out of the snapshot this run commits.
    pub fn drop_checkpoint(&self) {
        self.fresh_checkpoint.set(true);
    }

    /// The committed snapshot `name`'s folder.
    pub fn snapshot(&self, name: &str) -> PathBuf {
        self.store().join(name)
    }

    /// Whether the folder existed before this run opened it.
    pub fn existed(&self) -> bool {
        !self.created
    }

    fn store(&self) -> PathBuf {
        self.root.join(STORE)
    }

    /// The committed snapshot's name, if any: the id of the run that wrote it.
    pub fn current(&self) -> Result<Option<String>, Error> {
        let path = self.root.join(CURRENT);
        let target = match std::fs::read_link(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    what: format!("{} cannot be read", path.display()),
                    source,
                })
            }
        };
        let name = target
            .strip_prefix(STORE)
            .ok()
            .filter(|n| n.components().count() == 1)
            .and_then(|n| n.to_str());
        match name {
            Some(n) if is_real_dir(&self.store().join(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(Error::Io {
                what: format!(
                    "{} points at {}, which does not exist (remove the link to start the output \
                     afresh)",
                    path.display(),
                    target.display()
                ),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }),
            None => Err(Error::Io {
                what: format!(
                    "{} points at {}, not at a snapshot in {STORE}/",
                    path.display(),
                    target.display()
                ),
                source: std::io::Error::from(std::io::ErrorKind::InvalidData),
            }),
        }
    }

    /// Deletes what killed runs left: every snapshot but the committed one (unfinished `.tmp`
    /// ones included), and temporary names (`*.tmp-<pid>`) in the folder and in `_runs`.
    fn clean(&self) -> Result<(), Error> {
        let cur = self.current()?;
        for e in entries(&self.store())? {
            if Some(e.file_name().to_string_lossy().as_ref()) != cur.as_deref() {
                remove(&e.path())?;
            }
        }
        for dir in [self.root.clone(), self.root.join("_runs")] {
            for e in entries(&dir)? {
                if e.file_name().to_string_lossy().contains(".tmp-") {
                    remove(&e.path())?;
                }
            }
        }
        Ok(())
    }

    /// Moves tables that are real folders (an older version's layout) into a new snapshot and
    /// puts symlinks in their place. Between moving a folder aside and renaming its symlink in,
    /// a reader finds no table there: a short window, once.
    fn migrate(&self) -> Result<(), Error> {
        // Tables an older version wrote as real folders.
        let old: Vec<&str> = OutputTable::ALL
            .into_iter()
            .map(OutputTable::name)
            .filter(|t| is_real_dir(&self.root.join(t)))
            .collect();
        if old.is_empty() {
            return Ok(());
        }
        let id = format!(
            "migrated-{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
            std::process::id()
        );
        let tmp = self.store().join(format!("{id}.tmp"));
        let result = (|| {
            std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
            if let Some(cur) = self.current()? {
                let skip = |rel: &Path| old.iter().any(|t| rel == Path::new(t));
                link_tree(&self.store().join(cur), &tmp, Path::new(""), &skip)?;
            }
            for t in &old {
                // The older version staged files as `.part-0.parquet.tmp-<pid>`.
                let skip = |rel: &Path| rel.to_string_lossy().contains(".tmp-");
                link_tree(&self.root.join(t), &tmp.join(t), Path::new(""), &skip)?;
            }
            sync_snapshot(&tmp)?;
            self.publish(&id, &tmp)
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        // Not this run's commit: a run that fails after it still leaves the folder in place.
        self.committed.set(false);
        result
    }

    /// Renames snapshot `tmp` to `_store/<id>`, points `_current` at it, links the tables and
    /// deletes the previous snapshot.
    fn publish(&self, id: &str, tmp: &Path) -> Result<(), Error> {
        let store = self.store();
        let fin = store.join(id);
        std::fs::rename(tmp, &fin).map_err(io(&fin))?;
        sync_dir(&store)?;
        let old = self.current()?;
        self.replace_link(CURRENT, &Path::new(STORE).join(id))?;
        self.committed.set(true);
        self.link_tables(&fin)?;
        if let Some(old) = old.filter(|o| o != id) {
            // Files shared with the new snapshot live on. What cannot be deleted now is deleted
            // by the next run.
            let _ = std::fs::remove_dir_all(store.join(old));
        }
        Ok(())
    }

    /// Points symlink `name` in the folder at `target`, atomically: a new symlink under a
    /// temporary name renamed over it. A real folder there (older layout) is moved aside first
    /// and deleted after.
    fn replace_link(&self, name: &str, target: &Path) -> Result<(), Error> {
        let path = self.root.join(name);
        let tmp = self.root.join(format!("{name}.tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        symlink(target, &tmp).map_err(io(&tmp))?;
        let aside = if is_real_dir(&path) {
            let aside = self
                .root
                .join(format!("{name}.tmp-{}-old", std::process::id()));
            std::fs::rename(&path, &aside).map_err(io(&path))?;
            Some(aside)
        } else {
            None
        };
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        sync_dir(&self.root)?;
        if let Some(aside) = aside {
            std::fs::remove_dir_all(&aside).map_err(io(&aside))?;
        }
        Ok(())
    }

    /// Gives every table of snapshot `snap` its symlink `table -> _current/table`, and removes
    /// the symlinks of tables the snapshot does not have.
    fn link_tables(&self, snap: &Path) -> Result<(), Error> {
        let mut tables = HashSet::new();
        for e in entries(snap)? {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with(['_', '.']) || !e.path().is_dir() {
                continue;
            }
            let target = Path::new(CURRENT).join(&name);
            if std::fs::read_link(self.root.join(&name)).ok().as_ref() != Some(&target) {
                self.replace_link(&name, &target)?;
            }
            tables.insert(name);
        }
        for e in entries(&self.root)? {
            let name = e.file_name().to_string_lossy().to_string();
            let ours =
                std::fs::read_link(e.path()).is_ok_and(|t| t.parent() == Some(Path::new(CURRENT)));
            if ours && !tables.contains(&name) {
                remove(&e.path())?;
            }
        }
        Ok(())
    }
}

impl Drop for OutputDir {
    /// A run that created the folder and committed nothing leaves no folder behind.
    fn drop(&mut self) {
        let Some(lock) = self.lock.take() else { return };
        if !self.created || self.committed.get() {
            return;
        }
        let _ = std::fs::remove_dir(self.store());
        let only_lock =
            entries(&self.root).is_ok_and(|es| es.iter().all(|e| e.file_name() == LOCK_FILE));
        if only_lock {
            lock.remove();
            let _ = std::fs::remove_dir(&self.root);
        }
    }
}

/// Refuses an output path that names a file, or a folder inside a file: bad input, not a
/// folder that cannot be written.
fn refuse_file(root: &Path) -> Result<(), Error> {
    let file = root
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| std::fs::metadata(a).is_ok_and(|m| !m.is_dir()));
    match file {
        Some(file) => Err(Error::OutputNotFolder {
            path: root.to_path_buf(),
            file: file.to_path_buf(),
        }),
        None => Ok(()),
    }
}

/// The entries of a folder; none if it does not exist.
fn entries(dir: &Path) -> Result<Vec<std::fs::DirEntry>, Error> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd.collect::<Result<_, _>>().map_err(io(dir)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(Error::Write {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Removes a file, a symlink or a whole folder.
fn remove(path: &Path) -> Result<(), Error> {
    if is_real_dir(path) {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
    .map_err(io(path))
}

/// Recreates folder `src/rel` as `dst/rel` with hard links to its files (symlinks copied),
/// leaving out every entry whose path relative to `src` is `skip`ped.
fn link_tree(
    src: &Path,
    dst: &Path,
    rel: &Path,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<(), Error> {
    let to = dst.join(rel);
    std::fs::create_dir_all(&to).map_err(io(&to))?;
    let from = src.join(rel);
    let list = std::fs::read_dir(&from).map_err(|source| Error::Write {
        path: from.clone(),
        source,
    })?;
    for e in list {
        let e = e.map_err(io(&from))?;
        let r = rel.join(e.file_name());
        if skip(&r) {
            continue;
        }
        let (s, d) = (src.join(&r), dst.join(&r));
        let ty = e.file_type().map_err(io(&s))?;
        if ty.is_dir() {
            link_tree(src, dst, &r, skip)?;
        } else if ty.is_file() {
            std::fs::hard_link(&s, &d).map_err(io(&d))?;
        } else if ty.is_symlink() {
            let target = std::fs::read_link(&s).map_err(io(&s))?;
            symlink(target, &d).map_err(io(&d))?;
        }
    }
    Ok(())
}

/// Syncs a folder's entries to disk.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))
}

/// Makes a snapshot durable before it is published: its files' contents and every folder entry
/// under it. On Linux this is one `syncfs` of the file system the snapshot is on, which writes
/// back all of it at once: a backfill's 360 files and 500 folders took 868 `fsync` calls before.
/// It also writes back whatever else is dirty on that file system, so on a disk busy with other
/// writes it waits for those too. Elsewhere each file and folder is synced in turn.
fn sync_snapshot(dir: &Path) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    {
        let f = std::fs::File::open(dir).map_err(io(dir))?;
        rustix::fs::syncfs(&f).map_err(|e| io(dir)(e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    sync_tree(dir)
}

/// Syncs every file and folder under `dir`, `dir` included.
#[cfg(not(target_os = "linux"))]
fn sync_tree(dir: &Path) -> Result<(), Error> {
    for e in entries(dir)? {
        let ty = e.file_type().map_err(io(&e.path()))?;
        if ty.is_dir() {
            sync_tree(&e.path())?;
        } else if ty.is_file() {
            let p = e.path();
            std::fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(io(&p))?;
        }
    }
    sync_dir(dir)
}
