//! The lock that keeps two runs on one output folder apart: `OUT/.lock`, held with `flock`.
//!
//! The kernel drops a `flock` when its process ends, however it ends, so the lock of a killed
//! run is free at once: nothing to detect and no timeout. The file's text (the holder's pid and
//! start time) is only for the message of a run that has to wait; a killed holder's text is
//! overwritten by the next one. `flock` is local to one machine: on NFS it may not exclude runs
//! on other hosts (the README says so).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The name of the lock file in the output folder.
pub const LOCK_FILE: &str = ".lock";

/// A held lock; dropping it (or the process ending) releases it.
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    /// Takes the lock of output folder `root`, creating the folder and the file as needed. If
    /// another run holds it, says so on stderr in one line and waits for it.
    pub fn acquire(root: &Path) -> Result<Lock, Error> {
        let path = root.join(LOCK_FILE);
        let fail = |source| Error::Lock {
            path: path.clone(),
            source,
        };
        loop {
            // The folder may have been removed by a run that created it and then failed.
            std::fs::create_dir_all(root).map_err(|source| Error::Write {
                path: root.to_path_buf(),
                source,
            })?;
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(fail)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = holder_text(&mut file);
                    let holder = holder.trim();
                    let holder = if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" ({holder})")
                    };
                    eprintln!("waiting for the run holding {}{holder}…", path.display());
                    file.lock().map_err(fail)?;
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(fail(e)),
            }
            // A run that created the folder and failed removes the lock file while holding it;
            // a lock on a file no longer at `path` excludes nobody, so start again.
            if !is_at(&file, &path) {
                continue;
            }
            let text = format!(
                "pid {}, started {}\n",
                std::process::id(),
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
            );
            let write = |f: &mut File| -> std::io::Result<()> {
                f.set_len(0)?;
                f.seek(SeekFrom::Start(0))?;
                f.write_all(text.as_bytes())
            };
            write(&mut file).map_err(fail)?;
            return Ok(Lock { file, path });
        }
    }

    /// Removes the lock file, still holding the lock: for a run that created the output folder
    /// and leaves nothing in it.
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file);
    }
}

/// The holder's text. A holder that has just taken the lock writes it a moment later, so an
/// empty file is read again for up to 200 ms. The text is a courtesy: unreadable, it is left out.
fn holder_text(file: &mut File) -> String {
    let mut text = String::new();
    for _ in 0..20 {
        text.clear();
        let read = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_string(&mut text));
        if read.is_err() || !text.trim().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    text
}

/// Whether `file` is the file now at `path`.
fn is_at(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}
