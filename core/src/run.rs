//! Runs and their steps: the vocabulary the metadata store, the engine,
//! the CLI and the API share.
//!
//! A **run** materializes a planned set of asset partitions. Its plan is
//! stored as **run steps**, one per asset partition, so any executor
//! process can claim and execute them, and a run whose process died can be
//! resumed. Statuses use Dagster's names: [`RunStatus`] is
//! `DagsterRunStatus` (without its `NOT_STARTED`, `MANAGED` and `STARTING`,
//! which Cairn has no use for); event kinds follow `DagsterEventType`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::AssetKey;
use crate::partitions::KeyRange;
use crate::state::AssetPartition;

/// The id of a run; shown as `r-42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r-{}", self.0)
    }
}

/// A run (or backfill) id that is neither `r-<number>` (`b-<number>`)
/// nor `<number>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an id (like `r-12`, `b-3` or `12`)")]
pub struct RunIdError(pub String);

impl FromStr for RunId {
    type Err = RunIdError;

    /// Accepts `r-12` and `12`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.trim().strip_prefix("r-").unwrap_or(text.trim());
        match digits.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Self(id)),
            _ => Err(RunIdError(text.to_owned())),
        }
    }
}

/// Defines a status enum stored and shown by its upper-case name.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name as stored, shown and used in GraphQL.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value named `text` (exactly as [`Self::as_str`] gives it).
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// The status of a run, as Dagster's `DagsterRunStatus`.
    ///
    /// `QUEUED` → `STARTED` (an executor claimed its first step) →
    /// `SUCCESS` (every step materialized or was skipped) or `FAILURE` (a
    /// step failed). A cancellation moves a queued or started run to
    /// `CANCELING` while steps are still running, then `CANCELED`.
    RunStatus {
        /// Stored, no step claimed yet.
        Queued => "QUEUED",
        /// At least one step was claimed by an executor.
        Started => "STARTED",
        /// Finished; no step failed.
        Success => "SUCCESS",
        /// Finished; at least one step failed.
        Failure => "FAILURE",
        /// Cancellation requested; running steps are being stopped.
        Canceling => "CANCELING",
        /// Canceled; no step runs any more.
        Canceled => "CANCELED",
    }
}

impl RunStatus {
    /// Whether the run is over (`SUCCESS`, `FAILURE` or `CANCELED`).
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Success | Self::Failure | Self::Canceled)
    }
}

named_enum! {
    /// The status of one run step (one asset partition of a run).
    StepStatus {
        /// Waiting to be claimed (possibly for steps it waits for).
        Queued => "QUEUED",
        /// Claimed by an executor that holds its lease.
        Running => "RUNNING",
        /// New data was published and recorded.
        Materialized => "MATERIALIZED",
        /// Not executed; the step's skip reason says why.
        Skipped => "SKIPPED",
        /// Failed; the previous data (if any) is untouched.
        Failed => "FAILED",
        /// Stopped or never started because the run was canceled.
        Canceled => "CANCELED",
    }
}

impl StepStatus {
    /// Whether the step is over (anything but `QUEUED` and `RUNNING`).
    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

named_enum! {
    /// Severity of a log line.
    EventLevel {
        /// Details.
        Debug => "DEBUG",
        /// Progress.
        Info => "INFO",
        /// Something to look at (a `warn` check failed, a lease expired).
        Warn => "WARN",
        /// A failure.
        Error => "ERROR",
    }
}

named_enum! {
    /// What an entry of the event log records; names follow Dagster's
    /// `DagsterEventType` where it has one.
    EventKind {
        /// A run was stored with its steps.
        RunEnqueued => "RUN_ENQUEUED",
        /// An executor claimed the run's first step.
        RunStart => "RUN_START",
        /// The run finished without failures.
        RunSuccess => "RUN_SUCCESS",
        /// The run finished with at least one failed step.
        RunFailure => "RUN_FAILURE",
        /// Cancellation was requested.
        RunCanceling => "RUN_CANCELING",
        /// The run was canceled.
        RunCanceled => "RUN_CANCELED",
        /// An executor claimed a step.
        StepStart => "STEP_START",
        /// A step was skipped.
        StepSkipped => "STEP_SKIPPED",
        /// A step failed.
        StepFailure => "STEP_FAILURE",
        /// A step was canceled.
        StepCanceled => "STEP_CANCELED",
        /// A materialization was recorded (the step succeeded).
        AssetMaterialization => "ASSET_MATERIALIZATION",
        /// A new data version of a source was observed.
        AssetObservation => "ASSET_OBSERVATION",
        /// An asset check was evaluated.
        AssetCheckEvaluation => "ASSET_CHECK_EVALUATION",
        /// The current materialization of an asset partition was wiped
        /// because its data file is gone (found by a step that read it, or
        /// by `--verify`): the partition is missing until materialized
        /// again. Dagster's `ASSET_WIPED`.
        AssetWiped => "ASSET_WIPED",
        /// Something the engine did (a lease expired, a step was released).
        EngineEvent => "ENGINE_EVENT",
        /// A log line (a command's output, a warning).
        Log => "LOG",
        /// A backfill was stored.
        BackfillRequested => "BACKFILL_REQUESTED",
        /// A backfill's run succeeded.
        BackfillCompleted => "BACKFILL_COMPLETED",
        /// A backfill's run failed.
        BackfillFailed => "BACKFILL_FAILED",
        /// A backfill's cancellation was requested.
        BackfillCanceling => "BACKFILL_CANCELING",
        /// A backfill was canceled.
        BackfillCanceled => "BACKFILL_CANCELED",
        /// An asset's freshness status changed.
        FreshnessChanged => "FRESHNESS_CHANGED",
    }
}

named_enum! {
    /// The status of a backfill, as Dagster's `BulkActionStatus`.
    ///
    /// `REQUESTED` while its run is being launched or executed, then
    /// `COMPLETED` (every step materialized or was skipped), `FAILED` (a
    /// step failed, or it could not be launched) or, after a
    /// cancellation, `CANCELING` then `CANCELED`.
    BackfillStatus {
        /// Stored; its run is launched or running.
        Requested => "REQUESTED",
        /// Its run succeeded.
        Completed => "COMPLETED",
        /// Its run failed, or it could not be launched.
        Failed => "FAILED",
        /// Cancellation requested; running steps are being stopped.
        Canceling => "CANCELING",
        /// Canceled.
        Canceled => "CANCELED",
    }
}

impl BackfillStatus {
    /// Whether the backfill is over.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Canceled)
    }
}

/// The id of a backfill; shown as `b-3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BackfillId(pub i64);

impl fmt::Display for BackfillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b-{}", self.0)
    }
}

impl FromStr for BackfillId {
    type Err = RunIdError;

    /// Accepts `b-3` and `3`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.trim().strip_prefix("b-").unwrap_or(text.trim());
        match digits.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Self(id)),
            _ => Err(RunIdError(text.to_owned())),
        }
    }
}

/// Who launched a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunOrigin {
    /// `cairn materialize`.
    Cli,
    /// The GraphQL API.
    Api,
    /// A backfill, by its id.
    Backfill(i64),
    /// Automation (schedules, sensors, freshness).
    Automation,
}

impl fmt::Display for RunOrigin {
    /// `cli`, `api`, `backfill:7` or `automation`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cli => f.write_str("cli"),
            Self::Api => f.write_str("api"),
            Self::Backfill(id) => write!(f, "backfill:{id}"),
            Self::Automation => f.write_str("automation"),
        }
    }
}

impl FromStr for RunOrigin {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "cli" => Ok(Self::Cli),
            "api" => Ok(Self::Api),
            "automation" => Ok(Self::Automation),
            other => other
                .strip_prefix("backfill:")
                .and_then(|id| id.parse::<BackfillId>().ok())
                .map(|id| Self::Backfill(id.0))
                .ok_or_else(|| format!("unknown run origin `{other}`")),
        }
    }
}

/// What a run targets, stored structurally (never as the text typed) so
/// it can be shown, re-planned and retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTarget {
    /// The selected assets (the selection resolved to keys), sorted.
    pub assets: Vec<AssetKey>,
    /// The partitions of the selected partitioned assets.
    pub partitions: PartitionScope,
    /// `true` for a run of only the missing or stale asset partitions (what
    /// `cairn materialize` plans); `false` for a run that materializes every
    /// targeted partition (a backfill without `onlyStale`).
    pub only_stale: bool,
}

/// Which partitions of the targeted partitioned assets a run covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartitionScope {
    /// Every partition.
    All,
    /// Ranges of keys, per group of assets sharing one partitions definition.
    Ranges {
        /// One entry per partitions definition.
        groups: Vec<PartitionRanges>,
    },
}

/// Key ranges of one partitions definition, and the assets they apply to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRanges {
    /// The definition, described (`daily partitions from 2013-01-01 ...`).
    pub definition: String,
    /// The targeted assets with this definition.
    pub assets: Vec<AssetKey>,
    /// The selected keys, as inclusive ranges in key order.
    pub ranges: Vec<KeyRange>,
}

impl PartitionScope {
    /// The ranges that apply to `asset`, or `None` when every partition is
    /// targeted (scope [`PartitionScope::All`]).
    pub fn ranges_of(&self, asset: &AssetKey) -> Option<&[KeyRange]> {
        match self {
            Self::All => None,
            Self::Ranges { groups } => {
                Some(groups.iter().find(|group| group.assets.contains(asset)).map_or(&[][..], |g| g.ranges.as_slice()))
            }
        }
    }
}

/// Why a step was not executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkipReason {
    /// A step it waits for failed (or was skipped because of a failure).
    UpstreamFailed {
        /// The failed upstream asset partition.
        upstream: AssetPartition,
    },
    /// It was planned only because upstream data would change, and the
    /// upstream steps produced the same data versions as before.
    UpstreamUnchanged,
    /// Another run materialized it while this one waited, and it is fresh.
    MaterializedByOtherRun {
        /// That run.
        run: RunId,
    },
    /// It was fresh when its turn came (nothing it reads changed).
    AlreadyFresh,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UpstreamFailed { upstream } => write!(f, "upstream {upstream} failed"),
            Self::UpstreamUnchanged => f.write_str("upstream data did not change"),
            Self::MaterializedByOtherRun { run } => write!(f, "materialized by run {run} meanwhile"),
            Self::AlreadyFresh => f.write_str("already fresh"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_parse_with_or_without_prefix() {
        assert_eq!("r-12".parse::<RunId>(), Ok(RunId(12)));
        assert_eq!("12".parse::<RunId>(), Ok(RunId(12)));
        assert!("r-".parse::<RunId>().is_err());
        assert!("r-0".parse::<RunId>().is_err());
        assert!("run-3".parse::<RunId>().is_err());
        assert_eq!(RunId(7).to_string(), "r-7");
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in RunStatus::ALL {
            assert_eq!(RunStatus::parse(status.as_str()), Some(*status));
        }
        for status in StepStatus::ALL {
            assert_eq!(StepStatus::parse(status.as_str()), Some(*status));
        }
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(RunStatus::parse("running"), None);
        assert!(RunStatus::Canceled.is_finished() && !RunStatus::Canceling.is_finished());
        assert!(StepStatus::Skipped.is_finished() && !StepStatus::Running.is_finished());
    }

    #[test]
    fn origins_round_trip() {
        for origin in [RunOrigin::Cli, RunOrigin::Api, RunOrigin::Backfill(7), RunOrigin::Automation] {
            assert_eq!(origin.to_string().parse::<RunOrigin>(), Ok(origin));
        }
        assert!("backfill:x".parse::<RunOrigin>().is_err());
        // The backfill as the API and the CLI name it.
        assert_eq!("backfill:b-7".parse::<RunOrigin>(), Ok(RunOrigin::Backfill(7)));
    }
}
