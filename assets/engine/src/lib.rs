//! # cairn-engine
//!
//! Cairn's run engine: everything between a plan and recorded data.
//!
//! * [`Instance`] (as Dagster's `DagsterInstance`): a loaded project and its
//!   metadata store; observes sources, plans, launches runs (stored first,
//!   with their steps), cancels and resumes them, summarises each asset's
//!   state, collects garbage. The CLI, the server, the benchmarks and the
//!   tests all use it; it never prints and never reads signals.
//! * [`executor`]: claims steps from the store with leases, executes them,
//!   heartbeats, records how they ended, stops cleanly. Any number of
//!   executors, in any number of processes, share the work.
//! * `step` (private): one step: whether it still needs to run, reading
//!   its inputs through the store, running SQL with DataFusion or a command,
//!   checks, publishing (see [`layout`]).
//! * [`gc`]: removing data files nothing needs any more.
//! * [`follow`]: reading the event log with a cursor.
//!
//! ```text
//!  Instance::snapshot ─▶ plan ─▶ Instance::launch ─▶ store: run + steps (QUEUED)
//!                                                          │ claim (lease)
//!               executors (CLI, workers, server) ◀─────────┘
//!                 │ execute: inputs from the store, stage, check, publish
//!                 ▼
//!               store: materialization + step status + events (one commit)
//! ```

#![warn(missing_docs)]

pub mod automation;
pub mod backfill;
pub mod checks;
pub mod command;
pub mod error;
pub mod executor;
pub mod follow;
pub mod gc;
pub mod hashing;
pub mod instance;
pub mod layout;
pub mod owner;
pub mod run_request;
mod sources;
pub mod status;
mod step;
mod summary;
pub mod writer;

pub use automation::{AUTOMATION_LEASE, AutomationTickReport, AutomationWhy, SummaryState};
pub use backfill::{BackfillPlan, BackfillProgress, BackfillRequest, PartitionSubset, Retry};
pub use checks::CheckOutcome;
pub use error::{EngineError, ExecuteError};
pub use executor::{Executor, ExecutorOptions, ExecutorReport, StepReport};
pub use follow::EventFollower;
pub use gc::GcReport;
pub use instance::{BackfillDaemonStatus, Clock, Instance, Launch, Snapshot, Warning};
pub use run_request::{RequestedRun, RunRequest};
pub use status::{AssetStatus, StatusOptions, StatusReport};
pub use summary::{
    AssetFreshness, AssetSummary, FailingChecks, PartitionState, PartitionStats, ProjectSummary, StateChanges,
};
pub use tokio_util::sync::CancellationToken;
