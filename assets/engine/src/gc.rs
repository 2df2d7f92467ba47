//! Removing data files nothing needs any more, never one a reader might
//! still use.
//!
//! * A **superseded** file (a later materialization of the same asset
//!   partition exists) is removed once it has been superseded for longer
//!   than `retention.superseded_data`, and only if no step that is running
//!   now was claimed before it was superseded (such a step may have
//!   resolved its inputs to it). At the end of each run, the executor that
//!   recorded its last step removes the files that run superseded; `cairn
//!   gc` removes all that qualify.
//! * An **orphan** file (no materialization points to it: a process died
//!   between publishing its file and recording it, or its record was
//!   refused because its lease was lost) is removed unless the attempt
//!   that wrote it is still running.
//! * A **staged** file (`.staging/r<run>-s<step>-a<attempt>.<ext>`, or a
//!   folder of that name left by an earlier version) is removed unless its
//!   attempt is still running. The `.staging` folder itself stays.
//!
//! The current file of every asset partition is never touched, nor any
//! file Cairn did not name (only `r<run>-s<step>-a<attempt>.<ext>` files
//! and Cairn 0.1's `data.<ext>` files are considered).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use cairn_store::{RunId, StepId, StoreError, SupersededFile};
use chrono::{DateTime, Utc};

use crate::error::EngineError;
use crate::instance::Instance;
use crate::layout::{Attempt, STAGING_DIR};
use crate::step::StepContext;

/// What a collection removed and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Files of superseded materializations removed.
    pub superseded: usize,
    /// Unrecorded files removed.
    pub orphans: usize,
    /// Staged files (or earlier versions' staging folders) removed.
    pub staging: usize,
    /// Superseded files kept for now (retention, or a running step may
    /// read them).
    pub kept: usize,
    /// Bytes freed.
    pub bytes: u64,
    /// Records pruned from the store (`retention:`; `cairn gc` only).
    pub records: cairn_store::PruneReport,
}

/// The running attempts, and the earliest time one of them was claimed.
struct Running {
    attempts: HashSet<(StepId, u32)>,
    earliest_start: Option<DateTime<Utc>>,
}

async fn running(store: &cairn_store::MetadataStore) -> Result<Running, StoreError> {
    let steps = store.running_steps(None).await?;
    Ok(Running {
        attempts: steps.iter().map(|s| (s.id, s.attempt)).collect(),
        earliest_start: steps.iter().filter_map(|s| s.started_at).min(),
    })
}

/// Whether a file superseded at `superseded_at` may go now.
fn removable(superseded_at: DateTime<Utc>, running: &Running, retention: Duration, now: DateTime<Utc>) -> bool {
    let old_enough = chrono::Duration::from_std(retention).is_ok_and(|kept| superseded_at + kept <= now);
    let unread = running.earliest_start.is_none_or(|start| superseded_at < start);
    old_enough && unread
}

/// Removes the files run `run` superseded, when the retention and the
/// running steps allow (see the module docs).
pub(crate) async fn remove_superseded_by_run(
    ctx: &StepContext,
    run: RunId,
    retention: Duration,
) -> Result<GcReport, EngineError> {
    let superseded = ctx.store.superseded_by_run(run).await?;
    if superseded.is_empty() {
        return Ok(GcReport::default());
    }
    let current: HashSet<String> = ctx.store.current_files().await?.into_iter().collect();
    let running = running(&ctx.store).await?;
    let mut report = GcReport::default();
    remove_superseded(ctx.layout.data_dir(), &superseded, &current, &running, retention, ctx.clock.now(), &mut report);
    Ok(report)
}

fn remove_superseded(
    data_dir: &Path,
    superseded: &[SupersededFile],
    current: &HashSet<String>,
    running: &Running,
    retention: Duration,
    now: DateTime<Utc>,
    report: &mut GcReport,
) {
    // A file may be listed once per later materialization: keep the
    // latest time it was superseded at, the safest.
    let mut latest: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for file in superseded {
        let at = latest.entry(file.path.as_str()).or_insert(file.superseded_at);
        *at = (*at).max(file.superseded_at);
    }
    for (path, superseded_at) in latest {
        // Two materializations with the same path (0.1 wrote every version
        // of a partition to one file): the current one wins.
        if current.contains(path) {
            continue;
        }
        let absolute = data_dir.join(path);
        if !absolute.is_file() {
            continue;
        }
        if removable(superseded_at, running, retention, now) {
            report.bytes += remove_file(&absolute).unwrap_or(0);
            report.superseded += 1;
        } else {
            report.kept += 1;
        }
    }
}

/// Size of the file, removed (`None` if it could not be).
fn remove_file(path: &Path) -> Option<u64> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    std::fs::remove_file(path).ok().map(|()| size)
}

impl Instance {
    /// Removes superseded files past their retention, unrecorded files and
    /// staged files of attempts that are no longer running, and empty
    /// folders (see the module docs); then prunes the store's records past
    /// `retention:` (events and automation ticks, steps of finished runs,
    /// superseded materializations: see `cairn_store::MetadataStore::prune`). Files go
    /// first: a superseded file whose record is pruned later would
    /// otherwise be left to the orphan rule.
    ///
    /// # Errors
    /// [`EngineError::Store`] if the store cannot be read or pruned,
    /// [`EngineError::Io`] if the data folder cannot be listed.
    pub async fn gc(&self) -> Result<GcReport, EngineError> {
        let mut report = self.collect_files().await?;
        let now = self.clock().now();
        let retention = self.project().settings.retention;
        // A retention too long to subtract from now keeps everything.
        let cutoff = |kept: Option<Duration>| {
            kept.and_then(|kept| chrono::Duration::from_std(kept).ok()).and_then(|kept| now.checked_sub_signed(kept))
        };
        let cutoffs = cairn_store::PruneCutoffs {
            events_before: cutoff(retention.events),
            run_steps_before: cutoff(retention.run_steps),
            superseded_before: cutoff(retention.superseded_materializations),
        };
        report.records = self.store().prune(&cutoffs).await?;
        Ok(report)
    }

    async fn collect_files(&self) -> Result<GcReport, EngineError> {
        let store = self.store();
        let data_dir = self.project().settings.data_dir.clone();
        let now = self.clock().now();
        let current: HashSet<String> = store.current_files().await?.into_iter().collect();
        let superseded = store.superseded_files().await?;
        let recorded: HashSet<&str> = superseded.iter().map(|f| f.path.as_str()).collect();
        let running = running(store).await?;
        let mut report = GcReport::default();
        remove_superseded(
            &data_dir,
            &superseded,
            &current,
            &running,
            self.project().settings.superseded_retention,
            now,
            &mut report,
        );
        if !data_dir.exists() {
            return Ok(report);
        }
        for entry in walkdir::WalkDir::new(&data_dir).min_depth(1).contents_first(true) {
            let entry = entry.map_err(|e| EngineError::Io(format!("cannot list `{}`: {e}", data_dir.display())))?;
            let path = entry.path();
            let Ok(relative) = path.strip_prefix(&data_dir) else { continue };
            if relative.starts_with(STAGING_DIR) {
                if relative.components().count() == 2 {
                    // `r12-s340-a1.parquet`, or an earlier version's folder
                    // `r12-s340-a1`: the attempt is what precedes the first dot.
                    let name = entry.file_name().to_string_lossy();
                    let stem = name.split('.').next().unwrap_or_default();
                    let live = Attempt::parse(stem).is_some_and(|a| running.attempts.contains(&(a.step, a.attempt)));
                    if !live {
                        let removed = if entry.file_type().is_dir() {
                            let size = folder_size(path);
                            std::fs::remove_dir_all(path).ok().map(|()| size)
                        } else {
                            remove_file(path)
                        };
                        if let Some(bytes) = removed {
                            report.bytes += bytes;
                            report.staging += 1;
                        }
                    }
                }
                continue;
            }
            if entry.file_type().is_dir() {
                // Fails, harmlessly, unless the folder is empty.
                let _ = std::fs::remove_dir(path);
                continue;
            }
            let relative_text = relative.to_string_lossy();
            if current.contains(relative_text.as_ref()) || recorded.contains(relative_text.as_ref()) {
                continue;
            }
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let orphan = match Attempt::parse(&stem) {
                Some(attempt) => !running.attempts.contains(&(attempt.step, attempt.attempt)),
                None => false,
            };
            if orphan {
                report.bytes += remove_file(path).unwrap_or(0);
                report.orphans += 1;
            }
        }
        Ok(report)
    }
}

fn folder_size(folder: &Path) -> u64 {
    walkdir::WalkDir::new(folder)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}
