//! The error type of `cairn-core` for broken invariants.

/// An error inside `cairn-core` that is not about user input: the callers
/// (loader, asset graph) guarantee the invariant that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// A broken invariant; the message says which.
    #[error("internal error: {0}")]
    Internal(String),
}
