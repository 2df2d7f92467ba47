//! Observing sources: listing a source's files and hashing them into its
//! data version, as Dagster's observable source assets do.
//!
//! A source's data version is a BLAKE3 hash of its files' paths (relative
//! to the source's folder) and contents; files larger than
//! [`CONTENT_HASH_LIMIT_BYTES`] contribute their size and modification time
//! instead, so a 50 GB source is observed in microseconds.

use std::io::Read;
use std::path::{Path, PathBuf};

use cairn_core::state::{ObservationRecord, StoredState};
use cairn_core::{AssetKey, DataVersion};
use chrono::{DateTime, Utc};

use crate::definition::{AssetDefinition, SourceDefinition};
use crate::project::Project;
use crate::tables::{ReadError, source_files};

/// The current state of one source.
#[derive(Debug, Clone)]
pub struct SourceObservation {
    /// The source asset.
    pub asset: AssetKey,
    /// Its data version and files, or why it could not be observed.
    pub result: Result<ObservedSource, ReadError>,
}

/// A source that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedSource {
    /// Hash of the files (content, or size and mtime above
    /// [`CONTENT_HASH_LIMIT_BYTES`]).
    pub data_version: DataVersion,
    /// The files, sorted.
    pub files: Vec<PathBuf>,
    /// Their total size, bytes.
    pub bytes: u64,
}

/// Observes every source of the project: lists its files and hashes them.
/// Runs the hashing on blocking threads, all sources at once.
pub async fn observe_sources(project: &Project) -> Vec<SourceObservation> {
    let mut tasks = Vec::new();
    for asset in project.assets() {
        let AssetDefinition::Source(source) = &asset.definition else { continue };
        let key = asset.key().clone();
        let source = source.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let result = observe_source(&key, &source);
            SourceObservation { asset: key, result }
        }));
    }
    let mut observations = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(observation) => observations.push(observation),
            Err(error) => tracing::error!("source observation task failed: {error}"),
        }
    }
    observations
}

/// Observes one source (blocking: it reads the files).
///
/// # Errors
/// [`ReadError::SourceMissing`] when it has no files, [`ReadError::Io`]
/// naming a file that cannot be read.
pub fn observe_source(key: &AssetKey, source: &SourceDefinition) -> Result<ObservedSource, ReadError> {
    let files = source_files(key, source)?;
    let mut hasher = blake3::Hasher::new();
    let mut bytes = 0;
    for file in &files {
        let relative = file.strip_prefix(source.resolved.parent().unwrap_or(&source.resolved)).unwrap_or(file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(&[0]);
        bytes += hash_file_into(&mut hasher, file)?;
    }
    Ok(ObservedSource { data_version: DataVersion::from_hash(&hasher.finalize()), files, bytes })
}

/// Puts the observations into `state` (as of `now`): existing sources get
/// their current data version, missing ones lose theirs. Returns the
/// sources whose data version is new (to be recorded as observations).
pub fn apply_observations(
    state: &mut StoredState,
    observations: &[SourceObservation],
    now: DateTime<Utc>,
) -> Vec<AssetKey> {
    let mut changed = Vec::new();
    for observation in observations {
        match &observation.result {
            Ok(observed) => {
                let unchanged = state
                    .observation(&observation.asset)
                    .is_some_and(|previous| previous.data_version == observed.data_version);
                if !unchanged {
                    changed.push(observation.asset.clone());
                    state.insert_observation(
                        observation.asset.clone(),
                        ObservationRecord { data_version: observed.data_version.clone(), observed_at: now },
                    );
                }
            }
            Err(_) => state.remove_observation(&observation.asset),
        }
    }
    changed
}

/// Files larger than this are versioned by size and modification time
/// instead of content (256 MiB).
pub const CONTENT_HASH_LIMIT_BYTES: u64 = 256 * 1024 * 1024;

/// Feeds one file into `hasher`: its content (BLAKE3) if it is at most
/// [`CONTENT_HASH_LIMIT_BYTES`], else its size and modification time.
/// Returns its size in bytes.
///
/// # Errors
/// [`ReadError::Io`] naming the file.
pub fn hash_file_into(hasher: &mut blake3::Hasher, path: &Path) -> Result<u64, ReadError> {
    let io = |e: std::io::Error| ReadError::Io(e.to_string());
    let metadata = fs_err::metadata(path).map_err(io)?;
    let size = metadata.len();
    if size <= CONTENT_HASH_LIMIT_BYTES {
        let mut file = fs_err::File::open(path).map_err(io)?;
        let mut buffer = vec![0u8; 1 << 16];
        let mut content = blake3::Hasher::new();
        loop {
            let read = file.read(&mut buffer).map_err(io)?;
            if read == 0 {
                break;
            }
            content.update(&buffer[..read]);
        }
        hasher.update(b"content\0");
        hasher.update(content.finalize().as_bytes());
    } else {
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        hasher.update(b"size-mtime\0");
        hasher.update(&size.to_le_bytes());
        hasher.update(&modified.to_le_bytes());
    }
    Ok(size)
}

/// The data version of one opaque file, and its size in bytes.
///
/// # Errors
/// [`ReadError::Io`] naming the file.
pub fn file_data_version(path: &Path) -> Result<(DataVersion, u64), ReadError> {
    let mut hasher = blake3::Hasher::new();
    let size = hash_file_into(&mut hasher, path)?;
    Ok((DataVersion::from_hash(&hasher.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_hash_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "hello").unwrap();
        let (first, size) = file_data_version(&path).unwrap();
        assert_eq!(size, 5);
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(file_data_version(&path).unwrap().0, first);
        std::fs::write(&path, "hellO").unwrap();
        assert_ne!(file_data_version(&path).unwrap().0, first);
        assert!(file_data_version(&dir.path().join("missing")).unwrap_err().to_string().contains("missing"));
    }
}
