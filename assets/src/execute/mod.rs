//! Execution: observe sources, then run a [`Plan`] step by step with
//! bounded parallelism, writing data atomically and recording everything in
//! the metadata store.
//!
//! * [`observe_sources`] hashes every source's files (its data version);
//! * [`run_plan`] materializes the plan's steps in dependency order, at
//!   most `concurrency` at a time. A step runs once the steps it reads from
//!   are done; if one of them failed, it is skipped, while independent
//!   branches go on. A step planned only because an upstream step would
//!   change data is skipped when that upstream's data version came out
//!   unchanged.
//! * Each step writes into the run's staging folder, runs the asset checks
//!   on that new data, and only then renames it into place and records the
//!   materialization (see [`layout`]).

pub mod checks;
pub mod command;
pub mod hashing;
pub mod layout;
pub mod lock;
mod run;
mod step;
pub mod tables;
pub mod writer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use cairn_core::planner::{BlockedStep, Plan};
use cairn_core::state::{AssetPartition, ObservationRecord, StoredState};
use cairn_core::store::{RunId, StoreError};
use cairn_core::{AssetKey, DataVersion};
use chrono::{DateTime, Utc};

pub use checks::CheckOutcome;
pub use lock::{Acquired, LockError, RunLock};
pub use run::{RunOptions, run_plan};
pub(crate) use step::partition_parameters;

use crate::definition::AssetDefinition;
use crate::project::Project;

/// Errors while materializing. Each names its subject.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExecuteError {
    /// A file system error (the message names the path).
    #[error("{0}")]
    Io(String),
    /// DataFusion rejected or failed the asset's query.
    #[error("asset `{asset}`: query failed: {message}")]
    Query {
        /// The asset.
        asset: String,
        /// DataFusion's message.
        message: String,
    },
    /// Upstream data could not be read.
    #[error("cannot read upstream `{asset}`: {message}")]
    Input {
        /// The upstream asset.
        asset: String,
        /// What went wrong.
        message: String,
    },
    /// A source's files do not exist.
    #[error("source `{asset}`: `{path}` does not exist")]
    SourceMissing {
        /// The source asset.
        asset: String,
        /// Its path as written.
        path: String,
    },
    /// A command asset's program failed.
    #[error("asset `{asset}`: {message}")]
    Command {
        /// The asset.
        asset: String,
        /// What happened (exit status, timeout...).
        message: String,
        /// The last lines the program wrote to stderr.
        stderr_tail: Vec<String>,
    },
    /// Error-severity checks failed; the new data was not published.
    #[error("asset `{asset}`: check failed, previous data kept: {}", failed.join("; "))]
    CheckFailed {
        /// The asset.
        asset: String,
        /// One summary per failed check.
        failed: Vec<String>,
    },
    /// The materialization ran past the asset's `timeout_secs` and was stopped.
    #[error("asset `{asset}`: timed out after {seconds} s and was stopped")]
    Timeout {
        /// The asset.
        asset: String,
        /// The limit, in seconds.
        seconds: u64,
    },
    /// The metadata store failed.
    #[error("{0}")]
    Store(String),
    /// A broken invariant.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ExecuteError {
    /// Wraps an I/O error (from `fs-err`, so it names the path).
    pub fn io(error: std::io::Error) -> Self {
        Self::Io(error.to_string())
    }
}

impl From<StoreError> for ExecuteError {
    fn from(error: StoreError) -> Self {
        Self::Store(error.to_string())
    }
}

/// The current state of one source.
#[derive(Debug, Clone)]
pub struct SourceObservation {
    /// The source asset.
    pub asset: AssetKey,
    /// Its data version and files, or why it could not be observed.
    pub result: Result<ObservedSource, ExecuteError>,
}

/// A source that exists.
#[derive(Debug, Clone)]
pub struct ObservedSource {
    /// Hash of the files (content, or size and mtime above
    /// [`hashing::CONTENT_HASH_LIMIT_BYTES`]).
    pub data_version: DataVersion,
    /// The files, sorted.
    pub files: Vec<PathBuf>,
    /// Their total size.
    pub bytes: u64,
}

/// Observes every source of the project: lists its files and hashes them.
/// Runs the hashing on blocking threads.
pub async fn observe_sources(project: &Project) -> Vec<SourceObservation> {
    let mut tasks = Vec::new();
    for asset in project.assets() {
        let AssetDefinition::Source(source) = &asset.definition else { continue };
        let key = asset.key().clone();
        let source = source.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let result = observe_one(&key, &source);
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

fn observe_one(key: &AssetKey, source: &crate::definition::SourceDefinition) -> Result<ObservedSource, ExecuteError> {
    let files = tables::source_files(key, source)?;
    let mut hasher = blake3::Hasher::new();
    let mut bytes = 0;
    for file in &files {
        let relative = file.strip_prefix(source.resolved.parent().unwrap_or(&source.resolved)).unwrap_or(file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(&[0]);
        bytes += hashing::hash_file_into(&mut hasher, file)?;
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

/// Drops from `state` the materializations whose published data file no
/// longer exists (deleted by hand, or `data_dir` changed), so they count as
/// missing and are planned again. Returns the asset partitions dropped.
pub fn forget_vanished_data(project: &Project, state: &mut StoredState) -> Vec<AssetPartition> {
    let layout = layout::DataLayout::new(project.settings.data_dir.clone());
    let mut vanished = Vec::new();
    for asset in project.assets() {
        let Some(output) = asset.output() else { continue };
        for (partition, _) in state.materializations_of(asset.key()) {
            if !layout.published_path(asset.key(), partition, output.extension()).is_file() {
                vanished.push(AssetPartition::new(asset.key().clone(), partition.cloned()));
            }
        }
    }
    for target in &vanished {
        state.remove_materialization(&target.asset, target.partition.as_ref());
    }
    vanished
}

/// Progress of a run, reported to a [`RunObserver`] as it happens.
#[derive(Debug, Clone)]
pub enum RunProgress<'a> {
    /// The run started with this many steps.
    Started {
        /// The run.
        run_id: RunId,
        /// Steps planned.
        steps: usize,
    },
    /// A step started.
    StepStarted {
        /// The asset partition.
        target: &'a AssetPartition,
    },
    /// A step finished.
    StepFinished {
        /// The asset partition.
        target: &'a AssetPartition,
        /// How it went.
        outcome: &'a StepOutcome,
    },
}

/// Receives [`RunProgress`]; the CLI draws a progress bar from it.
pub trait RunObserver: Send + Sync {
    /// Called for each progress event, from any task.
    fn progress(&self, event: RunProgress<'_>);
}

/// An observer that ignores everything.
pub struct NoProgress;

impl RunObserver for NoProgress {
    fn progress(&self, _event: RunProgress<'_>) {}
}

/// How one step ended.
#[derive(Debug, Clone)]
pub enum StepOutcome {
    /// New data was published.
    Materialized(Materialized),
    /// Not run.
    Skipped(SkipReason),
    /// Failed; the previous data (if any) is untouched.
    Failed {
        /// What went wrong.
        error: ExecuteError,
        /// Check results, when the failure came from checks.
        checks: Vec<CheckOutcome>,
    },
}

impl StepOutcome {
    /// `materialized`, `skipped` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Materialized(_) => "materialized",
            Self::Skipped(_) => "skipped",
            Self::Failed { .. } => "failed",
        }
    }
}

/// Details of a published materialization.
#[derive(Debug, Clone)]
pub struct Materialized {
    /// The store id of the materialization.
    pub id: i64,
    /// Version of the data written.
    pub data_version: DataVersion,
    /// Whether it differs from the previous materialization's.
    pub changed: bool,
    /// Rows, for tables.
    pub rows: Option<u64>,
    /// Bytes written.
    pub bytes: u64,
    /// Wall time of the whole step.
    pub duration: Duration,
    /// Time DataFusion spent planning and running the query (zero for commands).
    pub query_time: Duration,
    /// Check results (all passed, or only `warn` checks failed).
    pub checks: Vec<CheckOutcome>,
    /// Published file, relative to the data folder.
    pub path: PathBuf,
}

/// Why a step did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A step it reads from failed (or was skipped because of a failure).
    UpstreamFailed {
        /// The failed upstream step.
        upstream: AssetPartition,
    },
    /// It was planned because upstream data would change, and it did not.
    UpstreamUnchanged,
}

/// One step and how it ended.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// The asset partition.
    pub target: AssetPartition,
    /// How it ended.
    pub outcome: StepOutcome,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run.
    pub run_id: RunId,
    /// Every step, in plan order.
    pub results: Vec<StepResult>,
    /// Selected partitions that could not be planned.
    pub blocked: Vec<BlockedStep>,
    /// Wall time.
    pub duration: Duration,
}

impl RunSummary {
    /// Number of steps that ended with `name` (`materialized`, `skipped`, `failed`).
    pub fn count(&self, name: &str) -> usize {
        self.results.iter().filter(|r| r.outcome.name() == name).count()
    }

    /// Whether nothing failed and nothing was blocked.
    pub fn succeeded(&self) -> bool {
        self.count("failed") == 0 && self.blocked.is_empty()
    }

    /// Failed `warn` checks across materialized steps, by asset partition.
    pub fn check_warnings(&self) -> BTreeMap<String, Vec<&CheckOutcome>> {
        let mut warnings: BTreeMap<String, Vec<&CheckOutcome>> = BTreeMap::new();
        for result in &self.results {
            if let StepOutcome::Materialized(done) = &result.outcome {
                for check in done.checks.iter().filter(|c| !c.passed) {
                    warnings.entry(result.target.to_string()).or_default().push(check);
                }
            }
        }
        warnings
    }
}

/// A plan with the state and source observations it was made from: the
/// input of [`run_plan`].
pub struct PlannedRun {
    /// The plan to run.
    pub plan: Plan,
    /// The state the plan was made from (with current source observations).
    pub state: StoredState,
    /// The source observations made before planning.
    pub observations: Vec<SourceObservation>,
    /// Sources whose data version is new since the last recorded
    /// observation (from [`apply_observations`]).
    pub changed_sources: Vec<AssetKey>,
    /// The lock on the data folder taken before planning, if any:
    /// [`run_plan`] records its run in it and releases it once the run is
    /// recorded as finished.
    pub lock: Option<RunLock>,
}
