//! # cairn-store
//!
//! Cairn's metadata store: runs and their steps, materializations (with
//! the upstream data versions they read), source observations, check
//! results and the event log, kept in SQLite (embedded default) or
//! PostgreSQL through sea-orm. Every process of a project (the CLI, workers,
//! the server) shares it, and it is the only place where they meet.
//!
//! # Schema
//!
//! Built by the migrations in `migration/` (identical on both databases;
//! a database written by an earlier release is migrated forward, never
//! recreated). Ids are autoincrement `i64`s; of two materializations of
//! the same asset partition the one with the higher id is the later one.
//! Keys are stored as text (`raw/flights`, `2013-01-05`), a missing
//! partition as NULL; timestamps are UTC (`timestamptz` on PostgreSQL,
//! RFC 3339 text on SQLite) with microsecond precision.
//!
//! * `runs`: status (Dagster's `QUEUED STARTED SUCCESS FAILURE CANCELING
//!   CANCELED`), project, origin, tags, the structural target, live step
//!   counts, created / started / finished times.
//! * `run_steps` (→ `runs`): the run's plan, one row per asset partition:
//!   reasons, the steps it waits for, status, attempt, lease.
//! * `materializations` (→ `runs`, → `run_steps`): asset, partition, code
//!   and data versions, rows, bytes, duration (ms), the data file's path.
//! * `materialization_inputs` (→ `materializations`): the upstream asset,
//!   partition and data version of every input read (provenance).
//! * `asset_partitions`: current state, one row per asset partition ever
//!   materialized or attempted: its current materialization and how its
//!   latest ended attempt ended. The step-end transaction keeps it current,
//!   so readers of current state ([`MetadataStore::load_state`],
//!   [`MetadataStore::attempt_states`]) never group the whole history; an
//!   unpartitioned asset's partition is stored as `''`.
//! * `observations`: data versions of source assets.
//! * `check_results` (→ `runs`, → `materializations` optional).
//! * `event_log`: every change, with a gap-free sequence number.
//! * `asset_status_cache`: each asset's status as `cairn status` shows it,
//!   with the event sequence number it is valid as of (see
//!   [`MetadataStore::status_cache`]).
//! * `automation_ticks`, `automation_evaluations` (→ `automation_ticks`),
//!   `automation_cursors`, `automation_pauses`: declarative automation's
//!   history of evaluation passes, each asset's cursor and what is paused;
//!   `leases`: named leases that elect one process for a job (`automation`:
//!   one evaluator at a time). See [`MetadataStore::record_automation_tick`]
//!   and [`MetadataStore::acquire_lease`].
//!
//! # Leases and fencing
//!
//! An executor claims ready steps ([`MetadataStore::claim_steps`]): in one
//! transaction it sets their owner, a lease expiry and a new attempt number
//! (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent claimers
//! never wait for each other; SQLite: one short write transaction). A step
//! is ready when every step it waits for is done and no other step of the
//! same asset partition is `RUNNING` in any run: a unique partial index
//! (`asset_key, partition_key WHERE status = 'RUNNING'`) makes that a rule
//! of the database, not of the code. The executor renews its leases
//! ([`MetadataStore::renew_leases`]); a step whose lease expired is
//! re-queued by the next claim, and claimed again with a higher attempt.
//! Every write about a step ([`MetadataStore::finish_step`]) carries the
//! [`Lease`] and is refused with [`StoreError::LeaseLost`] unless the
//! owner and attempt still match: an executor that was paused past its
//! lease cannot overwrite the work of the one that replaced it. Every
//! change of a step's status, by its executor or by a take-over
//! ([`MetadataStore::expire_leases`], [`MetadataStore::release_steps`]),
//! is one `UPDATE` whose `WHERE` names the status, attempt and owner it
//! expects (a compare-and-set), so of a step's end and the expiry of its
//! lease exactly one takes effect, at any isolation level. Locks are taken
//! in one order, the step's row before its run's. A run ends when its
//! counters reach its plan *and* its steps, counted in the same
//! transaction, agree.
//!
//! A process stopped inside a PostgreSQL write transaction holds its locks
//! for at most [`WRITE_IDLE_TIMEOUT`]: the server then ends its session
//! (`idle_in_transaction_session_timeout`, set per write transaction).
//! Recording the materialization is the commit point of a step: it is the
//! same transaction as the step's new status, the asset partition's
//! current-state row, the check results, the events and the bookkeeping of
//! the steps that wait for it. An executor
//! can claim its next step in that same transaction
//! ([`MetadataStore::finish_step_and_claim`]): one commit per step, which
//! on SQLite means one disk sync per step instead of two.
//!
//! # Event log
//!
//! Events carry a sequence number taken from a one-row counter
//! (`event_sequence`) updated at the end of the appending transaction.
//! The counter row is locked until commit, so sequence numbers are given
//! out in commit order, without gaps, even with many writers on
//! PostgreSQL (where identity columns are not in commit order). A reader
//! that asks for the events after the last number it saw
//! ([`MetadataStore::events_after`]) never misses one.
//!
//! # Concurrency
//!
//! SQLite runs in WAL mode with a busy timeout, so processes and tasks can
//! write concurrently (writes queue on SQLite's lock) while readers go on;
//! writes are `BEGIN IMMEDIATE` transactions. [`MetadataStore::load_state`]
//! reads from one snapshot (`REPEATABLE READ` on PostgreSQL).

#![warn(missing_docs)]

mod automation;
mod backfills;
mod claims;
mod connect;
mod current;
mod db_error;
mod db_url;
mod entities;
mod events;
mod executors;
mod index;
mod migration;
#[cfg_attr(not(feature = "test-support"), allow(dead_code))]
mod pauses;
mod records;
mod retention;
mod rows;
mod runs;
mod sql;
mod state;
mod status_cache;
#[cfg(feature = "test-support")]
pub mod testing;

#[cfg(feature = "test-support")]
pub use pauses::{PauseHook, with_pauses};

use std::sync::Arc;

pub use automation::{
    AutomationEvaluationRecord, AutomationPauses, AutomationTickRecord, AutomationTickStatus, NewAutomationEvaluation,
    NewAutomationTick,
};
pub use backfills::StepState;
pub use current::LostData;
pub use executors::{ExecutorRecord, ExecutorStatus, NewExecutor};
pub use index::{IndexChanges, StateIndex};
pub use records::{
    BackfillFilter, BackfillId, BackfillRecord, BackfillStatus, BackfillTransition, Cancellation, CheckResult,
    CheckSeverity, ClaimRequest, ClaimedStep, CurrentData, EventFilter, EventKind, EventLevel, Finished, Lease,
    MaterializationDetails, NewBackfill, NewCheckResult, NewEvent, NewMaterialization, NewObservation, NewRun, NewStep,
    Renewal, RunFilter, RunId, RunOrigin, RunRecord, RunStatus, RunTarget, SkipReason, StepId, StepOutcome, StepRecord,
    StepStatus, StoreError, StoredEvent,
};
pub use retention::{PruneCutoffs, PruneReport};
use rows::During;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, IsolationLevel,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
pub use state::SupersededFile;
pub use status_cache::{StatusCacheEntry, StatusCacheWrite};

/// How long a PostgreSQL write transaction may sit idle (its process sent
/// nothing) before the server ends its session, releasing its locks (see
/// `MetadataStore::begin_write`). The store's transactions send their
/// statements back to back, so a live process is idle inside one for
/// microseconds; a process that is stopped is not, and must not hold up the
/// executors that would take its steps over after their leases (a lease is
/// a few seconds at the least).
pub const WRITE_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Handle on the metadata database. Cheap to clone (a connection pool).
#[derive(Clone)]
pub struct MetadataStore {
    db: DatabaseConnection,
    /// The URL, password masked.
    url: Arc<str>,
}

impl std::fmt::Debug for MetadataStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataStore").field("url", &self.url).finish_non_exhaustive()
    }
}

/// `url` with any password (in the user info or a `password=` query
/// parameter) replaced by `***`, fit for messages and logs. Works on any
/// scheme, supported or not.
pub fn redact_url(url: &str) -> String {
    db_url::redact(url)
}

impl MetadataStore {
    /// Connects to `url` and applies pending migrations.
    ///
    /// * `sqlite://PATH` (relative to the working directory, or absolute as
    ///   in `sqlite:///var/lib/cairn/cairn.db`): the file and its parent
    ///   directories are created if missing. The database runs in WAL mode
    ///   with foreign keys on and a 30 s busy timeout.
    /// * `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (or `postgresql://`):
    ///   one connection is opened first (15 s timeout) so an unreachable
    ///   server or a refused login is reported at once.
    ///
    /// Migrations run under a lock (PostgreSQL: an advisory lock; SQLite:
    /// a write transaction), so processes opening a new or old database at
    /// the same time never race: one migrates, the others wait and find
    /// nothing to do.
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`] for another scheme,
    /// [`StoreError::Connect`] or [`StoreError::Migrate`] otherwise. No
    /// error text contains the URL's password.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self { db: connect::open(url).await?, url: Arc::from(db_url::redact(url)) })
    }

    /// The URL the store was opened with, any password replaced by `***`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is a PostgreSQL store (else SQLite).
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// Closes the connection pool shared by this store and all its clones,
    /// waiting for connections in use (on SQLite the last connection to
    /// close checkpoints the WAL). Dropping every clone also closes the
    /// pool, without waiting.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a connection could not be closed cleanly.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.during(|| "close the metadata database".to_owned())
    }

    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// A write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write
    /// lock is taken (waiting up to the busy timeout) before the first
    /// statement, so a transaction never fails half-way on a lock. On
    /// PostgreSQL the transaction's session is ended by the server when it
    /// sits idle inside the transaction for [`WRITE_IDLE_TIMEOUT`] (`SET
    /// LOCAL idle_in_transaction_session_timeout`): a process stopped
    /// (SIGSTOP, a debugger, a frozen VM) while it holds row locks blocks
    /// other processes for at most that long, not for as long as it stays
    /// stopped. Its transaction is rolled back whole, and its next store
    /// call gets a transient error ([`StoreError::is_transient`]).
    async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await?;
        if self.backend() == DbBackend::Postgres {
            txn.execute_unprepared(&format!(
                "SET LOCAL idle_in_transaction_session_timeout = {}",
                WRITE_IDLE_TIMEOUT.as_millis()
            ))
            .await?;
        }
        Ok(txn)
    }

    /// A read-only transaction whose statements all see one snapshot.
    /// SQLite transactions are serializable already (and sea-orm warns if
    /// given an isolation level for them); PostgreSQL's default `READ
    /// COMMITTED` takes a snapshot per statement, so ask for `REPEATABLE
    /// READ`.
    async fn begin_snapshot(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.backend() {
            DbBackend::Postgres => {
                self.db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await
            }
            _ => self.db.begin().await,
        }
    }
}
