//! Asset check vocabulary shared by the loader, the engine and the store.

use serde::{Deserialize, Serialize};

/// Severity of an asset check, as in Dagster's `AssetCheckSeverity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CheckSeverity {
    /// A failure fails the materialization; the previous data stays.
    #[default]
    Error,
    /// A failure is recorded and reported; the data is published.
    Warn,
}

impl CheckSeverity {
    /// `error` or `warn`: as written in YAML and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
        }
    }

    /// The severity named `text` (`error` or `warn`).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Error, Self::Warn].into_iter().find(|severity| severity.as_str() == text)
    }
}
