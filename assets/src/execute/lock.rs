//! One materializing run per data folder at a time.
//!
//! Two runs writing the same `data_dir` would plan the same steps from the
//! same state and do the work twice. [`RunLock::acquire`] takes an exclusive
//! lock on `data_dir/.lock` (an OS file lock, `flock` on Unix, released by
//! the kernel when the process ends however it ends) before planning, and
//! holds it until the run is recorded as finished.
//!
//! While held, the file says who holds it (JSON: process id, run id, a
//! fingerprint of the metadata database, start time in UTC), so a second
//! `cairn materialize` can name the run it waits for. A holder that ends
//! normally empties the file. A file still naming a run when the lock is
//! next acquired therefore means that run's process died mid-run: the new
//! holder reports it as [`Acquired::interrupted`] (so the caller can mark
//! it failed in the store), and removes every staging folder, since no
//! other run can be writing there.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use cairn_core::store::RunId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::layout::STAGING_DIR;

/// Name of the lock file under `data_dir`.
pub const LOCK_FILE: &str = ".lock";

/// Who holds (or last held) the lock: the content of the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Process id of the holder.
    pub pid: u32,
    /// The run it is materializing, once started.
    pub run_id: Option<i64>,
    /// BLAKE3 hex digest of the metadata database URL the run is recorded
    /// in (a digest, so no password lands in the file).
    pub store: String,
    /// When the lock was taken, UTC.
    pub since: DateTime<Utc>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.run_id {
            Some(run) => write!(f, "run {} (process {}, started {})", RunId(run), self.pid, self.since.to_rfc3339()),
            None => write!(f, "process {} (planning since {})", self.pid, self.since.to_rfc3339()),
        }
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "another run is materializing into `{data_dir}`: {}; wait for it to finish (see `cairn logs`)",
        holder.as_ref().map_or_else(|| "a cairn process".to_owned(), ToString::to_string)
    )]
    Held {
        /// The data folder.
        data_dir: PathBuf,
        /// What the lock file says, if readable.
        holder: Option<LockHolder>,
    },
    /// The lock file could not be created or written (the message names it).
    #[error("cannot lock the data folder: {0}")]
    Io(String),
}

/// A held lock; released when dropped (and by the OS if the process dies).
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
    holder: LockHolder,
}

/// What [`RunLock::acquire`] returns.
#[derive(Debug)]
pub struct Acquired {
    /// The lock.
    pub lock: RunLock,
    /// A run of the same metadata database that a previous holder started
    /// and never finished: its process died. Mark it failed.
    pub interrupted: Option<RunId>,
}

impl RunLock {
    /// Takes the lock on `data_dir` (created if needed) for runs recorded in
    /// the metadata database at `store_url`, without waiting.
    ///
    /// # Errors
    /// [`LockError::Held`] naming the holder when another process has it;
    /// [`LockError::Io`] when the file cannot be opened or written.
    pub fn acquire(data_dir: &Path, store_url: &str) -> Result<Acquired, LockError> {
        let io = |error: std::io::Error| LockError::Io(error.to_string());
        fs_err::create_dir_all(data_dir).map_err(io)?;
        let path = data_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| LockError::Io(format!("{e} (opening `{}`)", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // The lock is advisory: our handle can still read what the holder wrote.
                return Err(LockError::Held { data_dir: data_dir.to_owned(), holder: read_holder(&file) });
            }
            Err(TryLockError::Error(error)) => {
                return Err(LockError::Io(format!("{error} (locking `{}`)", path.display())));
            }
        }
        let store = fingerprint(store_url);
        let previous = read_holder(&file);
        let interrupted = previous.and_then(|p| p.run_id.filter(|_| p.store == store)).map(RunId);
        let _ = std::fs::remove_dir_all(data_dir.join(STAGING_DIR));
        let mut lock = RunLock {
            file,
            path,
            holder: LockHolder { pid: std::process::id(), run_id: None, store, since: Utc::now() },
        };
        lock.write_holder()?;
        Ok(Acquired { lock, interrupted })
    }

    /// Records the run being materialized under this lock.
    ///
    /// # Errors
    /// [`LockError::Io`] if the lock file cannot be written.
    pub fn set_run(&mut self, run: RunId) -> Result<(), LockError> {
        self.holder.run_id = Some(run.0);
        self.write_holder()
    }

    /// Releases the lock after a run that ended normally (recorded as
    /// finished): empties the file so the next holder does not report the
    /// run as interrupted.
    pub fn release(self) {
        let _ = self.file.set_len(0);
        // Dropping `self.file` closes it, which releases the lock.
    }

    fn write_holder(&mut self) -> Result<(), LockError> {
        let text = serde_json::to_string(&self.holder).map_err(|e| LockError::Io(e.to_string()))?;
        let path = &self.path;
        let io = |error: std::io::Error| LockError::Io(format!("{error} (writing `{}`)", path.display()));
        self.file.set_len(0).map_err(io)?;
        self.file.seek(SeekFrom::Start(0)).map_err(io)?;
        self.file.write_all(text.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)
    }
}

/// BLAKE3 hex digest of a database URL.
fn fingerprint(url: &str) -> String {
    blake3::hash(url.as_bytes()).to_hex().to_string()
}

fn read_holder(mut file: &File) -> Option<LockHolder> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = RunLock::acquire(dir.path(), "sqlite://a.db").unwrap();
        assert_eq!(first.interrupted, None);
        first.lock.set_run(RunId(4)).unwrap();
        let error = RunLock::acquire(dir.path(), "sqlite://a.db").unwrap_err();
        let LockError::Held { holder: Some(holder), .. } = &error else { panic!("{error:?}") };
        assert_eq!((holder.pid, holder.run_id), (std::process::id(), Some(4)));
        assert!(error.to_string().contains("run r-4"), "{error}");
        first.lock.release();
        let second = RunLock::acquire(dir.path(), "sqlite://a.db").unwrap();
        assert_eq!(second.interrupted, None, "a released lock names no interrupted run");
    }

    #[test]
    fn a_run_left_in_the_file_is_interrupted_and_its_staging_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = RunLock::acquire(dir.path(), "sqlite://a.db").unwrap();
        first.lock.set_run(RunId(9)).unwrap();
        let staged = dir.path().join(STAGING_DIR).join("r-9/a/data.parquet");
        std::fs::create_dir_all(staged.parent().unwrap()).unwrap();
        std::fs::write(&staged, "half").unwrap();
        drop(first); // as if the process died: the OS releases the lock, the file keeps the run
        let other_store = RunLock::acquire(dir.path(), "postgres://elsewhere").unwrap();
        assert_eq!(other_store.interrupted, None, "a run of another database is not ours to mark");
        assert!(!dir.path().join(STAGING_DIR).exists());
        drop(other_store);
        // The file now names no run (the holder above never started one).
        let again = RunLock::acquire(dir.path(), "sqlite://a.db").unwrap();
        assert_eq!(again.interrupted, None);
        let mut third = again;
        third.lock.set_run(RunId(10)).unwrap();
        drop(third);
        assert_eq!(RunLock::acquire(dir.path(), "sqlite://a.db").unwrap().interrupted, Some(RunId(10)));
    }
}
