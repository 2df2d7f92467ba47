//! The engine's errors: [`ExecuteError`] for one step (it becomes the
//! step's `FAILED` status and message), [`EngineError`] for everything
//! else (opening the project, the store, launching and executing runs).

use cairn_assets::Diagnostics;
use cairn_assets::tables::ReadError;
use cairn_core::planner::PlanError;
use cairn_store::StoreError;

/// Why one materialization failed. Each variant names its subject.
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
        /// The upstream asset partition.
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
    #[error("asset `{asset}`: check failed, {}: {}", if *.had_data { "previous data kept" } else { "nothing published" }, failed.join("; "))]
    CheckFailed {
        /// The asset.
        asset: String,
        /// One summary per failed check.
        failed: Vec<String>,
        /// Whether the asset partition had data before (which stays).
        had_data: bool,
    },
    /// The materialization ran past the asset's `timeout_secs` and was stopped.
    #[error("asset `{asset}`: timed out after {seconds} s and was stopped")]
    Timeout {
        /// The asset.
        asset: String,
        /// The limit, in seconds.
        seconds: u64,
    },
    /// The asset is no longer defined in the project (it was removed after
    /// the run was launched).
    #[error("asset `{0}` is no longer defined in the project")]
    Undefined(String),
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

    /// The message with the tail of a command's stderr, for the run log.
    pub fn with_details(&self) -> String {
        match self {
            Self::Command { stderr_tail, .. } if !stderr_tail.is_empty() => {
                format!("{self}\nstderr (last {} lines):\n{}", stderr_tail.len(), stderr_tail.join("\n"))
            }
            _ => self.to_string(),
        }
    }
}

impl From<StoreError> for ExecuteError {
    fn from(error: StoreError) -> Self {
        Self::Store(error.to_string())
    }
}

impl From<ReadError> for ExecuteError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::SourceMissing { asset, path } => Self::SourceMissing { asset, path },
            ReadError::Input { asset, message } => Self::Input { asset, message },
            ReadError::Io(message) => Self::Io(message),
            ReadError::Internal(message) => Self::Internal(message),
        }
    }
}

/// Errors of the engine outside a single step.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The project has errors (every one, with file, line and column).
    #[error("project `{project}` has {} error{}", .diagnostics.error_count(), if .diagnostics.error_count() == 1 { "" } else { "s" })]
    InvalidProject {
        /// The project folder.
        project: String,
        /// The problems found.
        diagnostics: Diagnostics,
    },
    /// The metadata database URL given is not usable.
    #[error("{0}")]
    DatabaseUrl(String),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A selection that is malformed, names an unknown asset (with the
    /// closest key) or matches nothing.
    #[error(transparent)]
    Selection(#[from] cairn_lineage::SelectionError),
    /// A selection or stored target with nothing Cairn can materialize in
    /// it (only sources, or assets no longer defined).
    #[error("{0}")]
    NotMaterializable(String),
    /// A partition filter that selects nothing, or is malformed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A backfill request whose options contradict each other.
    #[error(transparent)]
    Backfill(#[from] crate::backfill::BackfillRequestError),
    /// No run with this id.
    #[error("no run {0}")]
    UnknownRun(cairn_store::RunId),
    /// No backfill with this id.
    #[error("no backfill {0}")]
    UnknownBackfill(cairn_store::BackfillId),
    /// The run cannot do what was asked (resume a finished run...).
    #[error("{0}")]
    RunState(String),
    /// A file system error outside a step (the message names the path).
    #[error("{0}")]
    Io(String),
}
