//! Partitions: how an asset is split into independently materialized pieces.
//!
//! A [`PartitionsDefinition`] lists the [`PartitionKey`]s of an asset. Two
//! kinds exist today, matching Dagster's definitions of the same name:
//!
//! * [`TimeWindowPartitions`]: hourly, daily, weekly or monthly windows in an
//!   IANA time zone, keyed like Dagster (`2013-01-05`, `2013-01-05-14:00`).
//! * [`StaticPartitions`]: a fixed list of keys (`[us, eu, apac]`).
//!
//! How a downstream partition reads its upstream partitions is a
//! [`PartitionMapping`] (see [`mapping`]). Dynamic and multi-dimensional
//! partitions are meant to become further variants of
//! [`PartitionsDefinition`], and offset mappings further variants of
//! [`PartitionMapping`].

pub mod mapping;
pub mod subset;
pub mod time_window;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use mapping::{PartitionMapping, UpstreamPartitions};
pub use subset::KeyRange;
pub use time_window::{Cadence, TimeWindow, TimeWindowConfig, TimeWindowPartitions};

/// Longest partition key accepted, in bytes.
pub const MAX_PARTITION_KEY_LEN: usize = 255;

/// One partition of an asset, such as `2013-01-05` or `eu`.
///
/// A key is also a directory name under the asset's data folder, so it must
/// be 1 to [`MAX_PARTITION_KEY_LEN`] bytes, not `.` or `..`, and free of `/`,
/// `\`, control characters and the characters Dagster forbids in static keys
/// (`,` `[` `]` `{` `}` `"` `'` `*` `|` `?` `<` `>`). Cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PartitionKey(Arc<str>);

impl PartitionKey {
    /// Validates and wraps a partition key.
    ///
    /// # Errors
    /// [`PartitionsError::InvalidKey`] when the key breaks the rules above.
    pub fn new(key: &str) -> Result<Self, PartitionsError> {
        let invalid = |reason: &str| PartitionsError::InvalidKey { key: key.to_owned(), reason: reason.to_owned() };
        if key.is_empty() {
            return Err(invalid("it is empty"));
        }
        if key.len() > MAX_PARTITION_KEY_LEN {
            return Err(invalid("it is longer than 255 bytes"));
        }
        if key == "." || key == ".." {
            return Err(invalid("`.` and `..` are not partition keys"));
        }
        if let Some(c) = key.chars().find(|c| {
            c.is_control()
                || matches!(c, '/' | '\\' | ',' | '[' | ']' | '{' | '}' | '"' | '\'' | '*' | '|' | '?' | '<' | '>')
        }) {
            return Err(invalid(&format!("it contains {c:?}")));
        }
        Ok(Self(Arc::from(key)))
    }

    /// Wraps a key produced by Cairn itself (a formatted time window), which
    /// is valid by construction.
    pub(crate) fn from_generated(key: String) -> Self {
        debug_assert!(Self::new(&key).is_ok(), "generated invalid partition key {key}");
        Self(Arc::from(key))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartitionKey({})", self.0)
    }
}

impl<'de> Deserialize<'de> for PartitionKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Errors from building or querying partitions definitions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionsError {
    /// A key that breaks the [`PartitionKey`] rules.
    #[error("invalid partition key `{key}`: {reason}")]
    InvalidKey {
        /// The rejected key.
        key: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A key that is well formed but not part of the definition.
    #[error("partition key `{key}` is not in {definition}")]
    UnknownKey {
        /// The key asked for.
        key: String,
        /// The definition, described for people (`daily partitions from 2013-01-01`).
        definition: String,
    },
    /// A text that is neither a key of the definition nor a date or time.
    #[error("`{text}` is not a partition key or time of {definition}")]
    UnparsableTime {
        /// The text given.
        text: String,
        /// The definition, described for people.
        definition: String,
    },
    /// An IANA time zone name that chrono-tz does not know.
    #[error("unknown time zone `{0}`: not a name of the IANA time zone database (like `America/New_York` or `UTC`)")]
    UnknownTimezone(String),
    /// A start or end that cannot be parsed.
    #[error("invalid {field} `{value}`: expected {expected}")]
    InvalidDate {
        /// `start` or `end`.
        field: &'static str,
        /// The value given.
        value: String,
        /// The accepted formats.
        expected: String,
    },
    /// Any other inconsistent setting (end before start, offset out of range,
    /// duplicate static key, ...).
    #[error("{0}")]
    Invalid(String),
}

/// The set of partitions of an asset.
///
/// Equality and hashing compare the whole definition, so two assets with
/// equal definitions map partition to partition by identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PartitionsDefinition {
    /// Hourly, daily, weekly or monthly time windows.
    TimeWindow(TimeWindowPartitions),
    /// A fixed list of keys.
    Static(StaticPartitions),
}

impl PartitionsDefinition {
    /// Every partition key in order, as of `now` (UTC).
    ///
    /// For time windows without an `end`, the last key is that of the last
    /// window that has ended by `now` (plus `end_offset`), as in Dagster.
    pub fn keys(&self, now: DateTime<Utc>) -> Vec<PartitionKey> {
        match self {
            Self::TimeWindow(windows) => windows.keys(now),
            Self::Static(list) => list.keys().to_vec(),
        }
    }

    /// The end (UTC) of the last time window as of `now`
    /// ([`TimeWindowPartitions::keys_end`]); `None` for static partitions,
    /// whose keys do not move with time, or when there is no window yet.
    /// Two instants with the same answer have the same [`Self::keys`].
    pub fn keys_end(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::TimeWindow(windows) => windows.keys_end(now),
            Self::Static(_) => None,
        }
    }

    /// Whether `key` is one of [`Self::keys`] as of `now`.
    pub fn has_key(&self, key: &str, now: DateTime<Utc>) -> bool {
        match self {
            Self::TimeWindow(windows) => windows.has_key(key, now),
            Self::Static(list) => list.position(key).is_some(),
        }
    }

    /// The time window of `key`, or `None` for static partitions or a key
    /// that does not parse.
    pub fn time_window(&self, key: &str) -> Option<TimeWindow> {
        match self {
            Self::TimeWindow(windows) => windows.time_window_for_key(key).ok(),
            Self::Static(_) => None,
        }
    }

    /// A short description for messages: `daily partitions from 2013-01-01
    /// to 2013-04-01 (America/New_York)` or `static partitions [a, b]`.
    pub fn describe(&self) -> String {
        match self {
            Self::TimeWindow(windows) => windows.describe(),
            Self::Static(list) => list.describe(),
        }
    }
}

/// A fixed, ordered list of partition keys; Dagster's
/// `StaticPartitionsDefinition`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StaticPartitions {
    keys: Vec<PartitionKey>,
}

impl StaticPartitions {
    /// Builds the definition from keys in the order given.
    ///
    /// # Errors
    /// [`PartitionsError::Invalid`] for an empty list or a duplicate key.
    pub fn new(keys: Vec<PartitionKey>) -> Result<Self, PartitionsError> {
        if keys.is_empty() {
            return Err(PartitionsError::Invalid("static partitions need at least one key".to_owned()));
        }
        let mut seen = std::collections::HashSet::new();
        for key in &keys {
            if !seen.insert(key.as_str()) {
                return Err(PartitionsError::Invalid(format!("static partition key `{key}` is listed twice")));
            }
        }
        Ok(Self { keys })
    }

    /// The keys in declaration order.
    pub fn keys(&self) -> &[PartitionKey] {
        &self.keys
    }

    /// Index of `key` in [`Self::keys`].
    pub fn position(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| k.as_str() == key)
    }

    fn describe(&self) -> String {
        const SHOWN: usize = 5;
        let mut shown: Vec<&str> = self.keys.iter().take(SHOWN).map(PartitionKey::as_str).collect();
        if self.keys.len() > SHOWN {
            shown.push("...");
        }
        format!("static partitions [{}]", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_keys_must_be_safe_directory_names() {
        assert!(PartitionKey::new("2013-01-05").is_ok());
        assert!(PartitionKey::new("2024-11-03-01:00-0500").is_ok());
        assert!(PartitionKey::new("eu").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", "a,b", "x\n", "[x]"] {
            assert!(PartitionKey::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(PartitionKey::new(&"x".repeat(256)).is_err());
    }

    #[test]
    fn static_partitions_reject_duplicates_and_empty_lists() {
        let key = |k| PartitionKey::new(k).unwrap();
        assert!(StaticPartitions::new(vec![]).is_err());
        assert!(StaticPartitions::new(vec![key("a"), key("a")]).is_err());
        let list = StaticPartitions::new(vec![key("b"), key("a")]).unwrap();
        assert_eq!(list.position("a"), Some(1));
        let definition = PartitionsDefinition::Static(list);
        assert!(definition.has_key("b", Utc::now()));
        assert!(!definition.has_key("c", Utc::now()));
        assert_eq!(definition.keys(Utc::now()), vec![key("b"), key("a")]);
    }
}
