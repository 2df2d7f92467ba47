//! Where materialized data lives, and how it is published atomically.
//!
//! ```text
//! data_dir/
//!   <asset key>/data.parquet                      unpartitioned asset
//!   <asset key>/<partition key>/data.parquet      one partition
//!   .staging/<run id>/<asset key>/<partition>/... written here first
//!   .lock                                         the run lock (see [`super::lock`])
//! ```
//!
//! Data is written and checked under `.staging`, then renamed into place
//! (same file system, so the rename is atomic): a reader never sees a
//! half-written or unchecked file, and a failed materialization leaves the
//! previous data untouched. Folders starting with `.` are ignored by Arrow
//! dataset readers, so `data_dir/<asset>/` stays readable by any Arrow tool.

use std::path::{Path, PathBuf};

use cairn_core::AssetKey;
use cairn_core::partitions::PartitionKey;
use cairn_core::store::RunId;

use super::ExecuteError;

/// Name of the staging folder under `data_dir`.
pub const STAGING_DIR: &str = ".staging";

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

    /// Path of the published data file, relative to `data_dir`:
    /// `<key>/[<partition>/]data.<extension>`.
    pub fn relative_path(&self, asset: &AssetKey, partition: Option<&PartitionKey>, extension: &str) -> PathBuf {
        let mut path: PathBuf = asset.segments().collect();
        if let Some(partition) = partition {
            path.push(partition.as_str());
        }
        path.push(format!("data.{extension}"));
        path
    }

    /// Absolute path of the published data file.
    pub fn published_path(&self, asset: &AssetKey, partition: Option<&PartitionKey>, extension: &str) -> PathBuf {
        self.data_dir.join(self.relative_path(asset, partition, extension))
    }

    /// Absolute path where a run stages the file before publishing it.
    pub fn staging_path(
        &self,
        run: RunId,
        asset: &AssetKey,
        partition: Option<&PartitionKey>,
        extension: &str,
    ) -> PathBuf {
        self.data_dir.join(STAGING_DIR).join(run.to_string()).join(self.relative_path(asset, partition, extension))
    }

    /// Creates the parent folder of `path`.
    ///
    /// # Errors
    /// [`ExecuteError::Io`] naming the folder.
    pub fn prepare(&self, path: &Path) -> Result<(), ExecuteError> {
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(ExecuteError::io)?;
        }
        Ok(())
    }

    /// Moves a staged file into place, replacing the previous version in one
    /// atomic rename.
    ///
    /// # Errors
    /// [`ExecuteError::Io`] naming both paths.
    pub fn publish(&self, staged: &Path, published: &Path) -> Result<(), ExecuteError> {
        self.prepare(published)?;
        fs_err::rename(staged, published).map_err(ExecuteError::io)
    }

    /// Removes the staging folder of a finished run, and the staging
    /// folder itself once no run uses it. Errors are ignored: staging
    /// folders are never read. (Folders of runs that died are removed by the
    /// next run, see [`super::lock`].)
    pub fn clean_staging(&self, run: RunId) {
        let root = self.data_dir.join(STAGING_DIR);
        let _ = std::fs::remove_dir_all(root.join(run.to_string()));
        // Fails, harmlessly, while another run is staging data.
        let _ = std::fs::remove_dir(&root);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_keys_and_partitions() {
        let layout = DataLayout::new("/data");
        let key = AssetKey::new("raw/flights").unwrap();
        let day = PartitionKey::new("2013-01-05").unwrap();
        assert_eq!(layout.published_path(&key, None, "parquet"), PathBuf::from("/data/raw/flights/data.parquet"));
        assert_eq!(
            layout.published_path(&key, Some(&day), "parquet"),
            PathBuf::from("/data/raw/flights/2013-01-05/data.parquet")
        );
        assert_eq!(
            layout.staging_path(RunId(7), &key, Some(&day), "parquet"),
            PathBuf::from("/data/.staging/r-7/raw/flights/2013-01-05/data.parquet")
        );
    }

    #[test]
    fn publish_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let layout = DataLayout::new(dir.path());
        let key = AssetKey::new("a").unwrap();
        let published = layout.published_path(&key, None, "txt");
        layout.prepare(&published).unwrap();
        std::fs::write(&published, "old").unwrap();
        let staged = layout.staging_path(RunId(1), &key, None, "txt");
        layout.prepare(&staged).unwrap();
        std::fs::write(&staged, "new").unwrap();
        layout.publish(&staged, &published).unwrap();
        assert_eq!(std::fs::read_to_string(&published).unwrap(), "new");
        assert!(!staged.exists());
        layout.clean_staging(RunId(1));
        assert!(!dir.path().join(STAGING_DIR).exists(), "an empty staging folder is removed");
    }
}
