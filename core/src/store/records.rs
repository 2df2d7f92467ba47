//! The records the metadata store reads and writes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::partitions::PartitionKey;
use crate::state::InputVersion;
use crate::{AssetKey, CodeVersion, DataVersion};

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
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
}

/// The id of a run; shown as `r-42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "r-{}", self.0)
    }
}

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Started, not finished (or the process died).
    Running,
    /// Every step succeeded or was skipped as up to date.
    Succeeded,
    /// At least one step failed.
    Failed,
}

/// Severity of an asset check, as in Dagster's `AssetCheckSeverity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CheckSeverity {
    /// A failure fails the materialization; the previous data stays.
    #[default]
    Error,
    /// A failure is recorded and reported; the data is published.
    Warn,
}

/// Level of a run event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventLevel {
    /// Progress.
    Info,
    /// Something to look at (a `warn` check failed, a step was skipped).
    Warn,
    /// A failure.
    Error,
}

/// A run to record when it starts.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Selection as typed (`+flights_daily`), empty for all.
    pub selection: String,
    /// Partition filter as typed (`2013-01-05`, `2013-01-01..2013-01-31`), if any.
    pub partition_filter: Option<String>,
    /// Number of steps in the plan.
    pub planned_steps: i64,
    /// Start time, UTC.
    pub started_at: DateTime<Utc>,
}

/// A run as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Its id.
    pub id: RunId,
    /// Current status.
    pub status: RunStatus,
    /// Selection as typed.
    pub selection: String,
    /// Partition filter as typed.
    pub partition_filter: Option<String>,
    /// Steps planned.
    pub planned_steps: i64,
    /// Steps that materialized data.
    pub materialized_steps: i64,
    /// Steps that failed.
    pub failed_steps: i64,
    /// Steps skipped (upstream failed, or upstream data unchanged).
    pub skipped_steps: i64,
    /// Start, UTC.
    pub started_at: DateTime<Utc>,
    /// End, UTC, once finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Counts recorded when a run finishes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunCounts {
    /// Steps that materialized data.
    pub materialized: i64,
    /// Steps that failed.
    pub failed: i64,
    /// Steps skipped.
    pub skipped: i64,
}

/// A successful materialization to record.
#[derive(Debug, Clone)]
pub struct NewMaterialization {
    /// The run that produced it.
    pub run_id: RunId,
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
    /// Where the data is, relative to the project's data_dir.
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
    /// Path relative to data_dir.
    pub path: String,
    /// UTC.
    pub materialized_at: DateTime<Utc>,
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

/// The result of one asset check on one asset partition.
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

/// A log line of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunEvent {
    /// The run.
    pub run_id: RunId,
    /// The asset, if the event is about one.
    pub asset: Option<AssetKey>,
    /// The partition, if any.
    pub partition: Option<PartitionKey>,
    /// Level.
    pub level: EventLevel,
    /// The message (may span lines, e.g. a command's stderr tail).
    pub message: String,
    /// UTC.
    pub at: DateTime<Utc>,
}
