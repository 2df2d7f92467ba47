//! Where materialized data lives, and how it is published.
//!
//! ```text
//! data_dir/
//!   <asset key>/r12-s340-a1.parquet               unpartitioned asset
//!   <asset key>/<partition key>/r12-s340-a1.parquet   one partition
//!   .staging/r12-s340-a1.parquet                  written and checked here first
//! ```
//!
//! Every materialization gets a file of its own, named after the run, the
//! step and the attempt that wrote it (`r12-s340-a1`), so a new
//! materialization never overwrites the file readers are using, and an
//! executor that lost its lease can never overwrite the data of the one
//! that replaced it. A step writes and checks its data under `.staging`,
//! renames it to its own path (same file system: atomic, never seen
//! half-written), and then records it in the metadata store: the record is
//! the commit point. Readers find an asset partition's data through its
//! latest materialization's recorded path, never by listing folders.
//! Files no record points to (a crash between rename and record), staged
//! files of finished attempts and superseded files are removed by
//! `cairn gc` (see [`crate::gc`]). The `.staging` folder itself stays once
//! created (removing it while another executor is about to stage a file
//! there would make that step fail); folders starting with `.` are ignored
//! by Arrow dataset readers.

use std::path::{Path, PathBuf};

use cairn_core::AssetKey;
use cairn_core::partitions::PartitionKey;
use cairn_store::{RunId, StepId};

use crate::error::ExecuteError;

/// Name of the staging folder under `data_dir`.
pub const STAGING_DIR: &str = ".staging";

/// The run, step and attempt that wrote a file: `r12-s340-a1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attempt {
    /// The run.
    pub run: RunId,
    /// The step.
    pub step: StepId,
    /// The attempt number (the lease's fencing token).
    pub attempt: u32,
}

impl Attempt {
    /// `r12-s340-a1`.
    pub fn stem(&self) -> String {
        format!("r{}-s{}-a{}", self.run.0, self.step.0, self.attempt)
    }

    /// Reads a file stem or folder name written by [`Self::stem`].
    pub fn parse(stem: &str) -> Option<Self> {
        let mut parts = stem.split('-');
        let run = parts.next()?.strip_prefix('r')?.parse().ok()?;
        let step = parts.next()?.strip_prefix('s')?.parse().ok()?;
        let attempt = parts.next()?.strip_prefix('a')?.parse().ok()?;
        parts.next().is_none().then_some(Self { run: RunId(run), step: StepId(step), attempt })
    }
}

/// Paths of materialized data under one `data_dir`.
#[derive(Debug, Clone)]
pub struct DataLayout {
    data_dir: PathBuf,
}

impl DataLayout {
    /// A layout rooted at `data_dir` (absolute).
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self { data_dir: data_dir.into() }
    }

    /// The root folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The folder of an asset partition's files, relative to `data_dir`:
    /// `<key segments>/[<partition>]`.
    pub fn relative_folder(&self, asset: &AssetKey, partition: Option<&PartitionKey>) -> PathBuf {
        let mut path: PathBuf = asset.segments().collect();
        if let Some(partition) = partition {
            path.push(partition.as_str());
        }
        path
    }

    /// The file one attempt publishes, relative to `data_dir`:
    /// `<key>/[<partition>/]r12-s340-a1.<extension>`.
    pub fn relative_path(
        &self,
        asset: &AssetKey,
        partition: Option<&PartitionKey>,
        attempt: Attempt,
        extension: &str,
    ) -> PathBuf {
        self.relative_folder(asset, partition).join(format!("{}.{extension}", attempt.stem()))
    }

    /// An absolute path for a path recorded relative to `data_dir`.
    pub fn absolute(&self, relative: &str) -> PathBuf {
        self.data_dir.join(relative)
    }

    /// The staging folder, `data_dir/.staging`.
    pub fn staging_folder(&self) -> PathBuf {
        self.data_dir.join(STAGING_DIR)
    }

    /// Where an attempt stages its data before publishing it:
    /// `data_dir/.staging/r12-s340-a1.<extension>` (a file of its own, no
    /// folder per attempt: creating and removing one cost a quarter of a
    /// trivial step's time).
    pub fn staging_path(&self, attempt: Attempt, extension: &str) -> PathBuf {
        self.staging_folder().join(format!("{}.{extension}", attempt.stem()))
    }

    /// Creates the parent folder of `path`.
    ///
    /// `cairn gc` may remove an empty folder of the path (a partition's
    /// folder whose files were collected) while it is being created:
    /// creating fails with "not found" then, and is tried again.
    ///
    /// # Errors
    /// [`ExecuteError::Io`] naming the folder.
    pub fn prepare(&self, path: &Path) -> Result<(), ExecuteError> {
        let Some(parent) = path.parent() else { return Ok(()) };
        let mut tries = 0;
        loop {
            match fs_err::create_dir_all(parent) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && tries < 100 => tries += 1,
                Err(e) => return Err(ExecuteError::io(e)),
            }
        }
    }

    /// Moves a staged file to its own published path (a path no other
    /// attempt uses) in one atomic rename, after syncing its content to
    /// disk, so a record never points at data a crash could lose.
    ///
    /// # Errors
    /// [`ExecuteError::Io`] naming the paths.
    pub fn publish(&self, staged: &Path, published: &Path) -> Result<(), ExecuteError> {
        fs_err::File::open(staged).and_then(|file| file.sync_all()).map_err(ExecuteError::io)?;
        self.prepare(published)?;
        fs_err::rename(staged, published).map_err(ExecuteError::io)
    }
}

/// Removes an attempt's staged file when dropped: whether the step
/// published it (then there is nothing left to remove), failed, or was
/// stopped half-way (its future dropped).
pub struct StagingGuard {
    file: PathBuf,
}

impl StagingGuard {
    /// Guards the staged file at `file` (from [`DataLayout::staging_path`]).
    pub fn new(file: PathBuf) -> Self {
        Self { file }
    }
}

impl Drop for StagingGuard {
    fn drop(&mut self) {
        // Errors are ignored: staged files are never read, and `cairn gc`
        // removes what is left.
        let _ = std::fs::remove_file(&self.file);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn attempt() -> Attempt {
        Attempt { run: RunId(12), step: StepId(340), attempt: 2 }
    }

    fn staged_files(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir.join(STAGING_DIR))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// Executors stage at once in the one staging folder; each guard
    /// removes only its own file, and nothing is left.
    #[test]
    fn staging_at_once_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Arc::new(DataLayout::new(dir.path()));
        let threads: Vec<_> = (0..4u32)
            .map(|thread| {
                let layout = layout.clone();
                std::thread::spawn(move || {
                    for step in 0..300 {
                        let attempt = Attempt { run: RunId(1), step: StepId(step), attempt: thread + 1 };
                        let staged = layout.staging_path(attempt, "parquet");
                        let guard = StagingGuard::new(staged.clone());
                        layout.prepare(&staged).unwrap();
                        std::fs::write(&staged, b"x").unwrap();
                        drop(guard);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(staged_files(dir.path()), Vec::<String>::new(), "every guard removed its file");
    }

    #[test]
    fn a_guard_dropped_before_publishing_discards_the_staged_file() {
        let dir = tempfile::tempdir().unwrap();
        let layout = DataLayout::new(dir.path());
        let kept = layout.staging_path(Attempt { attempt: 1, ..attempt() }, "parquet");
        layout.prepare(&kept).unwrap();
        std::fs::write(&kept, b"another attempt's").unwrap();
        let staged = layout.staging_path(attempt(), "parquet");
        let guard = StagingGuard::new(staged.clone());
        layout.prepare(&staged).unwrap();
        std::fs::write(&staged, b"half-written").unwrap();
        drop(guard);
        assert_eq!(staged_files(dir.path()), vec!["r12-s340-a1.parquet".to_owned()], "only its own file goes");
    }

    #[test]
    fn paths_follow_keys_partitions_and_attempts() {
        let layout = DataLayout::new("/data");
        let key = AssetKey::new("raw/flights").unwrap();
        let day = PartitionKey::new("2013-01-05").unwrap();
        assert_eq!(
            layout.relative_path(&key, None, attempt(), "parquet"),
            PathBuf::from("raw/flights/r12-s340-a2.parquet")
        );
        assert_eq!(
            layout.relative_path(&key, Some(&day), attempt(), "parquet"),
            PathBuf::from("raw/flights/2013-01-05/r12-s340-a2.parquet")
        );
        assert_eq!(layout.staging_path(attempt(), "md"), PathBuf::from("/data/.staging/r12-s340-a2.md"));
        assert_eq!(Attempt::parse("r12-s340-a2"), Some(attempt()));
        for bad in ["data", "r12-s340", "r1-s2-a3-x", "rx-s1-a1", ""] {
            assert_eq!(Attempt::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn publishing_moves_the_staged_file_and_the_guard_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let layout = DataLayout::new(dir.path());
        let key = AssetKey::new("a").unwrap();
        let staged = layout.staging_path(attempt(), "txt");
        let guard = StagingGuard::new(staged.clone());
        layout.prepare(&staged).unwrap();
        std::fs::write(&staged, "new").unwrap();
        let published = layout.absolute(&layout.relative_path(&key, None, attempt(), "txt").display().to_string());
        layout.publish(&staged, &published).unwrap();
        assert_eq!(std::fs::read_to_string(&published).unwrap(), "new");
        assert!(!staged.exists());
        drop(guard);
        assert_eq!(staged_files(dir.path()), Vec::<String>::new(), "nothing is left in staging");
        assert!(published.exists(), "the published file stays");
    }
}
