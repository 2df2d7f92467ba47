//! The records the metadata store reads and writes.

use std::collections::BTreeMap;

use cairn_core::partitions::PartitionKey;
use cairn_core::planner::PlanReason;
use cairn_core::state::{AssetPartition, InputVersion};
use cairn_core::{AssetKey, CodeVersion, DataVersion};
use chrono::{DateTime, Utc};
use serde::Serialize;

pub use cairn_core::check::CheckSeverity;
pub use cairn_core::run::{
    BackfillId, BackfillStatus, EventKind, EventLevel, RunId, RunOrigin, RunStatus, RunTarget, SkipReason, StepStatus,
};

/// Errors from the metadata store. Every variant names what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Could not open or create the database.
    #[error("cannot open metadata database `{url}`: {source}")]
    Connect {
        /// The URL with any password removed.
        url: String,
        /// The driver's error.
        #[source]
        source: sea_orm::DbErr,
    },
    /// Migrations failed.
    #[error("cannot migrate metadata database `{url}`: {source}")]
    Migrate {
        /// The URL with any password removed.
        url: String,
        /// The driver's error.
        #[source]
        source: sea_orm::DbErr,
    },
    /// A query failed.
    #[error("metadata store: cannot {action}: {source}")]
    Query {
        /// What was being done (`record materialization of flights_daily[2013-01-05]`).
        action: String,
        /// The driver's error.
        #[source]
        source: sea_orm::DbErr,
    },
    /// A stored value that Cairn cannot read back (a corrupted row).
    #[error("metadata store: corrupt {what}: {detail}")]
    Corrupt {
        /// Which record.
        what: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The URL's scheme is neither `sqlite:` nor `postgres:`/`postgresql:`.
    /// The URL is shown with any password removed.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// The executor's lease on a step is no longer current: it expired and
    /// another executor claimed the step, or the run was canceled and the
    /// step released. Nothing was recorded.
    #[error(
        "run step {step} of run {run}: lease of attempt {attempt} is no longer held by `{owner}`; nothing recorded"
    )]
    LeaseLost {
        /// The step.
        step: StepId,
        /// Its run.
        run: RunId,
        /// The attempt (fencing token) the write came from.
        attempt: u32,
        /// The executor that wrote.
        owner: String,
    },
    /// No record with this id.
    #[error("no {0}")]
    NotFound(String),
    /// The events after this cursor were pruned by `cairn gc` (see
    /// `retention:` in cairn.yaml): a reader resuming from it would miss
    /// them. Read current state again and continue from the log's head.
    #[error(
        "the event log after cursor {cursor} was pruned (events through {pruned_through} are gone): \
         read current state again and resume from a newer cursor"
    )]
    CursorPruned {
        /// The cursor asked for.
        cursor: i64,
        /// The highest sequence number pruned.
        pruned_through: i64,
    },
}

impl StoreError {
    /// Whether retrying the same operation may succeed: a deadlock, a
    /// serialization failure or a lost connection on PostgreSQL, a busy
    /// database on SQLite.
    ///
    /// Classified by the driver's error code (SQLSTATE on PostgreSQL,
    /// SQLite's result code) and variant, never by message text: see
    /// `DbErrorKind::Transient` for the codes. A PostgreSQL session ended
    /// by the store's `idle_in_transaction_session_timeout` (a process
    /// paused inside a transaction) is transient for that process: its
    /// transaction was rolled back whole.
    pub fn is_transient(&self) -> bool {
        let StoreError::Query { source, .. } = self else { return false };
        crate::db_error::classify(source) == crate::db_error::DbErrorKind::Transient
    }
}

/// The id of a run step; shown as `s-7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StepId(pub i64);

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s-{}", self.0)
    }
}

/// A run to store, with its plan, before anything executes.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The project's name (`name:` in cairn.yaml).
    pub project: String,
    /// Who launched it.
    pub origin: RunOrigin,
    /// Free-form tags (`backfill: "3"`, `user: ana`).
    pub tags: BTreeMap<String, String>,
    /// Selection as typed (`+flights_daily`), empty for all: for display.
    pub selection: String,
    /// Partition filter as typed (`2013-01-01..2013-01-31`): for display.
    pub partition_filter: Option<String>,
    /// What it targets, structurally.
    pub target: RunTarget,
    /// The plan, in order; a step waits only for earlier steps.
    pub steps: Vec<NewStep>,
    /// When it was launched, UTC.
    pub created_at: DateTime<Utc>,
}

/// One step of a [`NewRun`].
#[derive(Debug, Clone)]
pub struct NewStep {
    /// The asset partition to materialize.
    pub target: AssetPartition,
    /// Why (from the plan).
    pub reasons: Vec<PlanReason>,
    /// Whether it runs only if an upstream step of the run changes data.
    pub conditional: bool,
    /// Positions of the earlier steps it waits for.
    pub waits_for: Vec<usize>,
}

/// A run as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Its id.
    pub id: RunId,
    /// Current status.
    pub status: RunStatus,
    /// Project name; empty for runs of Cairn 0.1.
    pub project: String,
    /// Who launched it.
    #[serde(serialize_with = "display")]
    pub origin: RunOrigin,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Selection as typed.
    pub selection: String,
    /// Partition filter as typed.
    pub partition_filter: Option<String>,
    /// What it targets; `None` for runs of Cairn 0.1.
    pub target: Option<RunTarget>,
    /// Steps planned.
    pub planned_steps: i64,
    /// Steps that materialized data so far.
    pub materialized_steps: i64,
    /// Steps that failed so far.
    pub failed_steps: i64,
    /// Steps skipped so far (upstream failed, upstream unchanged, already fresh).
    pub skipped_steps: i64,
    /// Steps canceled.
    pub canceled_steps: i64,
    /// When it was stored, UTC.
    pub created_at: DateTime<Utc>,
    /// When its first step was claimed, UTC.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished, UTC.
    pub finished_at: Option<DateTime<Utc>>,
}

fn display<T: std::fmt::Display, S: serde::Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// A run step as stored.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Its id.
    pub id: StepId,
    /// Its run.
    pub run_id: RunId,
    /// Index in the run's plan.
    pub position: usize,
    /// The asset partition.
    #[serde(flatten)]
    pub target: AssetPartition,
    /// Current status.
    pub status: StepStatus,
    /// Why it was planned.
    pub reasons: Vec<PlanReason>,
    /// Whether it runs only if an upstream step of the run changes data.
    pub conditional: bool,
    /// Positions of the steps it waits for.
    pub waits_for: Vec<usize>,
    /// Positions of the steps that wait for it.
    #[serde(skip)]
    pub dependents: Vec<usize>,
    /// Claims so far (the current lease's fencing token).
    pub attempt: u32,
    /// The executor that holds (or last held) it.
    pub owner: Option<String>,
    /// When its lease expires, UTC, while `RUNNING`.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// When the latest claim happened, UTC.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished, UTC.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it was skipped.
    pub skip_reason: Option<SkipReason>,
    /// Why it failed.
    pub error: Option<String>,
    /// The materialization it recorded.
    pub materialization_id: Option<i64>,
}

/// The right to execute one step: what an executor got from
/// [`crate::MetadataStore::claim_steps`] and must present with every write
/// about the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The step.
    pub step: StepId,
    /// Its run.
    pub run: RunId,
    /// The executor (`host:pid:nonce`).
    pub owner: String,
    /// The attempt number, which is the fencing token: each claim increments
    /// it, so a write carrying an older attempt is refused.
    pub attempt: u32,
}

/// What a claim asks for.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    /// The claiming executor's id.
    pub owner: &'a str,
    /// Only runs of this project.
    pub project: &'a str,
    /// Only steps of this run, if given.
    pub run: Option<RunId>,
    /// Most steps to claim.
    pub limit: usize,
    /// Lease length.
    pub lease: std::time::Duration,
    /// The claim time, UTC.
    pub now: DateTime<Utc>,
}

/// A step claimed with its lease.
#[derive(Debug, Clone)]
pub struct ClaimedStep {
    /// The step as it is now (status `RUNNING`).
    pub step: StepRecord,
    /// The lease to present.
    pub lease: Lease,
    /// When the run was created, UTC (a materialization of the same asset
    /// partition recorded after it came from another run).
    pub run_created_at: DateTime<Utc>,
    /// Whether the run materializes only missing or stale partitions.
    pub only_stale: bool,
}

/// What a heartbeat learned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renewal {
    /// Steps whose lease is no longer this executor's: stop them, record nothing.
    pub lost: Vec<StepId>,
    /// Runs of held steps that are being canceled: stop their steps.
    pub canceling: Vec<RunId>,
}

/// How a step ended, to record with [`crate::MetadataStore::finish_step`].
#[derive(Debug, Clone)]
pub enum StepOutcome {
    /// New data was published: record the materialization (the commit point).
    Materialized {
        /// The materialization.
        materialization: NewMaterialization,
        /// Check results on the new data.
        checks: Vec<NewCheckResult>,
        /// Whether its data version differs from the previous
        /// materialization's (shown in the event; downstream steps planned
        /// only because of this one are skipped when it does not).
        data_changed: bool,
    },
    /// Not executed.
    Skipped(SkipReason),
    /// Failed; the previous data is untouched.
    Failed {
        /// What went wrong, for people.
        error: String,
        /// Check results, when checks stopped publication.
        checks: Vec<NewCheckResult>,
    },
    /// Stopped because the run was canceled.
    Canceled,
}

impl StepOutcome {
    /// The step status it leads to.
    pub fn status(&self) -> StepStatus {
        match self {
            Self::Materialized { .. } => StepStatus::Materialized,
            Self::Skipped(_) => StepStatus::Skipped,
            Self::Failed { .. } => StepStatus::Failed,
            Self::Canceled => StepStatus::Canceled,
        }
    }
}

/// What [`crate::MetadataStore::finish_step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The materialization recorded, if any.
    pub materialization_id: Option<i64>,
    /// Steps skipped because this one failed.
    pub skipped_downstream: usize,
    /// The run's final status, if this step was its last.
    pub run_finished: Option<RunStatus>,
}

/// What [`crate::MetadataStore::cancel_run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// The run is `CANCELING`: steps are still running and will stop.
    Canceling {
        /// Steps still running.
        running: usize,
    },
    /// The run is `CANCELED` (nothing was running).
    Canceled,
    /// Cancellation was already requested; nothing changed.
    AlreadyCanceling,
    /// The run had finished with this status; nothing changed.
    AlreadyFinished(RunStatus),
}

/// A successful materialization to record.
#[derive(Debug, Clone)]
pub struct NewMaterialization {
    /// The asset.
    pub asset: AssetKey,
    /// The partition, `None` if unpartitioned.
    pub partition: Option<PartitionKey>,
    /// Code version of the definition used.
    pub code_version: CodeVersion,
    /// Version of the data written.
    pub data_version: DataVersion,
    /// Data versions of every upstream partition read.
    pub inputs: Vec<InputVersion>,
    /// Rows written, for tables.
    pub rows: Option<i64>,
    /// Bytes written.
    pub bytes: i64,
    /// Wall time of the materialization, milliseconds.
    pub duration_ms: i64,
    /// Where the data is, relative to the project's data folder.
    pub path: String,
    /// When it was published, UTC.
    pub materialized_at: DateTime<Utc>,
}

/// A materialization as stored, for history and status.
#[derive(Debug, Clone, Serialize)]
pub struct MaterializationDetails {
    /// Store id.
    pub id: i64,
    /// The run.
    pub run_id: RunId,
    /// The step that recorded it (`None` for Cairn 0.1 records).
    pub step_id: Option<StepId>,
    /// The asset.
    pub asset: AssetKey,
    /// The partition.
    pub partition: Option<PartitionKey>,
    /// Code version used.
    pub code_version: CodeVersion,
    /// Data version written.
    pub data_version: DataVersion,
    /// Rows written.
    pub rows: Option<i64>,
    /// Bytes written.
    pub bytes: i64,
    /// Milliseconds.
    pub duration_ms: i64,
    /// Path relative to the data folder.
    pub path: String,
    /// UTC.
    pub materialized_at: DateTime<Utc>,
}

/// The current data of one upstream asset partition, as a step reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentData {
    /// Its data version.
    pub data_version: DataVersion,
    /// Its file, relative to the data folder (materializations only).
    pub path: Option<String>,
    /// The materialization, if it is one.
    pub materialization_id: Option<i64>,
}

/// An observation of a source asset to record.
#[derive(Debug, Clone)]
pub struct NewObservation {
    /// The run it was made in, if any.
    pub run_id: Option<RunId>,
    /// The source asset.
    pub asset: AssetKey,
    /// Its data version.
    pub data_version: DataVersion,
    /// UTC.
    pub observed_at: DateTime<Utc>,
}

/// A check result to record.
#[derive(Debug, Clone)]
pub struct NewCheckResult {
    /// The check's name.
    pub check_name: String,
    /// Its severity.
    pub severity: CheckSeverity,
    /// Whether it passed.
    pub passed: bool,
    /// Number of violating rows.
    pub violations: i64,
    /// Up to a few violating rows, as a JSON array of objects.
    pub sample: serde_json::Value,
    /// Why the check could not run, if it could not.
    pub error: Option<String>,
    /// UTC.
    pub evaluated_at: DateTime<Utc>,
}

/// The result of one asset check on one asset partition, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// The run.
    pub run_id: RunId,
    /// The materialization it checked, if it was published (`None` when an
    /// error-severity failure stopped publication).
    pub materialization_id: Option<i64>,
    /// The asset.
    pub asset: AssetKey,
    /// The partition.
    pub partition: Option<PartitionKey>,
    /// The check's name (`not_null(carrier, origin)`, or the name given).
    pub check_name: String,
    /// Its severity.
    pub severity: CheckSeverity,
    /// Whether it passed.
    pub passed: bool,
    /// Number of violating rows.
    pub violations: i64,
    /// Up to a few violating rows, as JSON objects.
    pub sample: serde_json::Value,
    /// An error message if the check could not run at all.
    pub error: Option<String>,
    /// UTC.
    pub evaluated_at: DateTime<Utc>,
}

/// An event to append to the event log.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The run, if it is about one.
    pub run_id: Option<RunId>,
    /// The step, if any.
    pub step_id: Option<StepId>,
    /// The asset, if any.
    pub asset: Option<AssetKey>,
    /// The partition, if any.
    pub partition: Option<PartitionKey>,
    /// Severity.
    pub level: EventLevel,
    /// Text for people.
    pub message: String,
    /// Details for programs.
    pub data: Option<serde_json::Value>,
    /// UTC.
    pub at: DateTime<Utc>,
}

impl NewEvent {
    /// A log line of a run (kind [`EventKind::Log`]).
    pub fn log(run_id: RunId, level: EventLevel, message: impl Into<String>, at: DateTime<Utc>) -> Self {
        Self {
            kind: EventKind::Log,
            run_id: Some(run_id),
            step_id: None,
            asset: None,
            partition: None,
            level,
            message: message.into(),
            data: None,
            at,
        }
    }

    /// The same event about `target`.
    pub fn about(mut self, target: &AssetPartition) -> Self {
        self.asset = Some(target.asset.clone());
        self.partition = target.partition.clone();
        self
    }
}

/// An event read back from the log.
#[derive(Debug, Clone, Serialize)]
pub struct StoredEvent {
    /// Sequence number: a reader that remembers the last one it saw and
    /// asks for the events after it never misses one.
    pub seq: i64,
    /// What happened.
    pub kind: EventKind,
    /// The run.
    pub run_id: Option<RunId>,
    /// The step.
    pub step_id: Option<StepId>,
    /// The asset.
    pub asset: Option<AssetKey>,
    /// The partition.
    pub partition: Option<PartitionKey>,
    /// Severity.
    pub level: EventLevel,
    /// Text for people.
    pub message: String,
    /// Details for programs.
    pub data: Option<serde_json::Value>,
    /// UTC.
    pub at: DateTime<Utc>,
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events of this run.
    pub run: Option<RunId>,
    /// Only events about these assets.
    pub assets: Option<Vec<AssetKey>>,
    /// Only these kinds.
    pub kinds: Option<Vec<EventKind>>,
}

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only runs with one of these statuses.
    pub statuses: Option<Vec<RunStatus>>,
    /// Only runs with this origin.
    pub origin: Option<RunOrigin>,
    /// Only runs with a step of this asset.
    pub asset: Option<AssetKey>,
    /// Only runs created at or after this time (UTC).
    pub created_after: Option<DateTime<Utc>>,
    /// Only runs created before this time (UTC).
    pub created_before: Option<DateTime<Utc>>,
    /// Only runs with an id below this one (paging, newest first).
    pub before: Option<RunId>,
}

/// Which backfills to list (every field `None`: all of them).
#[derive(Debug, Clone, Default)]
pub struct BackfillFilter {
    /// Only backfills with one of these statuses.
    pub statuses: Option<Vec<BackfillStatus>>,
    /// Only backfills whose run has a step of this asset (a backfill whose
    /// run is not launched yet has no steps and is left out).
    pub asset: Option<AssetKey>,
    /// Only backfills requested at or after this time (UTC).
    pub created_after: Option<DateTime<Utc>>,
    /// Only backfills requested before this time (UTC).
    pub created_before: Option<DateTime<Utc>>,
    /// Only backfills with an id below this one (paging, newest first).
    pub before: Option<BackfillId>,
}

/// A backfill to store.
#[derive(Debug, Clone)]
pub struct NewBackfill {
    /// The project's name.
    pub project: String,
    /// The selection as given (for display).
    pub selection: String,
    /// The partitions as given (for display: `2013-01-01..2013-01-07`, `all`).
    pub partitions_text: String,
    /// What it targets: the selected assets and the partition scope.
    pub target: RunTarget,
    /// Only partitions missing or whose latest attempt failed.
    pub only_missing_or_failed: bool,
    /// Only partitions missing or stale.
    pub only_stale: bool,
    /// Tags, copied to its runs.
    pub tags: BTreeMap<String, String>,
    /// The backfill this one retries.
    pub retry_of: Option<BackfillId>,
    /// UTC.
    pub created_at: DateTime<Utc>,
}

/// A backfill as stored.
#[derive(Debug, Clone, Serialize)]
pub struct BackfillRecord {
    /// Its id.
    pub id: BackfillId,
    /// The project.
    pub project: String,
    /// Current status.
    pub status: BackfillStatus,
    /// The selection as given.
    pub selection: String,
    /// The partitions as given.
    pub partitions_text: String,
    /// What it targets.
    pub target: RunTarget,
    /// Only partitions missing or whose latest attempt failed.
    pub only_missing_or_failed: bool,
    /// Only partitions missing or stale.
    pub only_stale: bool,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Its run, once launched.
    pub run_id: Option<RunId>,
    /// Targeted partitions that could not be planned.
    pub blocked: i64,
    /// The backfill it retries.
    pub retry_of: Option<BackfillId>,
    /// Why it could not be launched.
    pub error: Option<String>,
    /// UTC.
    pub created_at: DateTime<Utc>,
    /// UTC.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What a backfill state change did. Every transition is idempotent: asking
/// again, or asking a finished backfill, changes nothing and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackfillTransition {
    /// The change happened; the backfill now has this status.
    Changed(BackfillStatus),
    /// Nothing to do: the backfill already has this status.
    Unchanged(BackfillStatus),
}
