//! The deployment: where the metadata lives, which executors (of every
//! process sharing the store: `cairn worker`, `cairn serve`, `cairn
//! materialize`) ran lately with their heartbeats, and what this server
//! itself runs.

use async_graphql::{Enum, ID, SimpleObject};
use cairn_store::{ExecutorRecord, ExecutorStatus as StoreStatus};
use chrono::{DateTime, Utc};

use super::root::Definitions;

/// The deployment (the `deployment` query).
#[derive(SimpleObject)]
pub struct Deployment {
    /// `sqlite` or `postgresql`.
    pub store_backend: String,
    /// The store's URL, any password replaced by `***`.
    pub store_url: String,
    /// The executors with a heartbeat in the queried window, newest start
    /// first.
    pub executors: Vec<Executor>,
    /// This server's executor concurrency; null with `--no-executor`
    /// (separate `cairn worker` processes execute the runs).
    pub server_executor_concurrency: Option<i32>,
    /// How often this server's backfill daemon looks for backfills to
    /// launch, in milliseconds.
    pub backfill_daemon_interval_ms: i32,
    /// When the daemon's last pass ended (UTC); null before the first.
    pub backfill_daemon_last_pass_at: Option<DateTime<Utc>>,
    /// The error of its last pass, if it failed (it tries again).
    pub backfill_daemon_error: Option<String>,
    /// The backfill runs it launched since the server started.
    pub backfill_daemon_launched: i64,
    /// The loaded definitions: load time and diagnostics.
    pub definitions: Definitions,
}

/// An executor: it claims steps, holds their leases and renews its
/// heartbeat with them (`executor.heartbeat` in `cairn.yaml`).
#[derive(SimpleObject)]
pub struct Executor {
    /// `host:pid:nonce`, as the run log names the owner of a step.
    pub id: String,
    /// The machine it runs on.
    pub host: String,
    /// Its process id there.
    pub pid: i64,
    /// The run it is limited to (`cairn materialize`, `cairn run
    /// resume`); null for every run (`cairn worker`, `cairn serve`).
    pub run_id: Option<ID>,
    /// Most steps it executes at once.
    pub concurrency: i32,
    /// Its lease, in milliseconds.
    pub lease_ms: i64,
    /// When it started (UTC).
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat (UTC).
    pub heartbeat_at: DateTime<Utc>,
    /// When it stopped (UTC), if it said so.
    pub stopped_at: Option<DateTime<Utc>>,
    pub status: ExecutorStatus,
    /// The steps it holds a lease on now.
    pub running_steps: i32,
}

/// Where an executor stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ExecutorStatus {
    /// Its last heartbeat is within its lease.
    Running,
    /// It stopped and said so.
    Stopped,
    /// It stopped renewing without saying so (killed, hung, cut off from
    /// the store): its lease has passed since its last heartbeat, so its
    /// steps are taken over.
    Lost,
}

impl From<ExecutorRecord> for Executor {
    fn from(record: ExecutorRecord) -> Self {
        Self {
            id: record.executor.id,
            host: record.executor.host,
            pid: i64::from(record.executor.pid),
            run_id: record.executor.run.map(|run| ID(run.to_string())),
            concurrency: super::int(record.executor.concurrency),
            lease_ms: i64::try_from(record.executor.lease_ms).unwrap_or(i64::MAX),
            started_at: record.started_at,
            heartbeat_at: record.heartbeat_at,
            stopped_at: record.stopped_at,
            status: match record.status {
                StoreStatus::Running => ExecutorStatus::Running,
                StoreStatus::Stopped => ExecutorStatus::Stopped,
                StoreStatus::Lost => ExecutorStatus::Lost,
            },
            running_steps: super::int(record.running_steps),
        }
    }
}
