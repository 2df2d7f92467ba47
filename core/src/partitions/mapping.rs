//! Partition mappings: which upstream partitions a downstream partition reads.
//!
//! The default mapping between two assets follows Dagster's defaults:
//!
//! | downstream      | upstream          | mapping                                  |
//! |-----------------|-------------------|------------------------------------------|
//! | any             | unpartitioned     | the whole upstream asset                 |
//! | unpartitioned   | partitioned       | all upstream partitions ([`PartitionMapping::AllPartitions`]) |
//! | same definition | same definition   | identity ([`PartitionMapping::Identity`]) |
//! | time windows    | time windows      | overlapping windows ([`PartitionMapping::TimeWindow`]), Dagster's `TimeWindowPartitionMapping` |
//!
//! Any other pair (static lists that differ, static against time windows) has
//! no default and is reported as an error when the project is validated.

use chrono::{DateTime, Utc};

use super::{PartitionKey, PartitionsDefinition};

/// How the partitions of a downstream asset map to those of one upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartitionMapping {
    /// The upstream asset is unpartitioned: every downstream partition reads
    /// all of it.
    Whole,
    /// The downstream asset is unpartitioned and reads every upstream partition.
    AllPartitions,
    /// Same definition on both sides: partition `k` reads partition `k`.
    Identity,
    /// Both sides are time windows: a downstream window reads the upstream
    /// windows that overlap it (a monthly partition reads its days).
    TimeWindow,
}

/// The upstream partitions one downstream partition reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamPartitions {
    /// The upstream asset is unpartitioned.
    Whole,
    /// These partitions of the upstream asset, in order.
    Keys(Vec<PartitionKey>),
}

/// Why two assets cannot be connected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no partition mapping from {upstream} to {downstream}: {reason}")]
pub struct MappingError {
    /// The upstream definition, described.
    pub upstream: String,
    /// The downstream definition, described.
    pub downstream: String,
    /// What would be needed.
    pub reason: String,
}

impl PartitionMapping {
    /// The default mapping for a dependency of an asset partitioned by
    /// `downstream` on one partitioned by `upstream` (see the module table).
    ///
    /// # Errors
    /// [`MappingError`] when no default mapping exists.
    pub fn default_for(
        downstream: Option<&PartitionsDefinition>,
        upstream: Option<&PartitionsDefinition>,
    ) -> Result<Self, MappingError> {
        match (downstream, upstream) {
            (_, None) => Ok(Self::Whole),
            (None, Some(_)) => Ok(Self::AllPartitions),
            (Some(down), Some(up)) if down == up => Ok(Self::Identity),
            (Some(PartitionsDefinition::TimeWindow(_)), Some(PartitionsDefinition::TimeWindow(_))) => {
                Ok(Self::TimeWindow)
            }
            (Some(down), Some(up)) => Err(MappingError {
                upstream: up.describe(),
                downstream: down.describe(),
                reason: "only identical definitions, two time-window definitions, or an \
                         unpartitioned side can be connected"
                    .to_owned(),
            }),
        }
    }

    /// The upstream partitions that `downstream_key` (or the whole
    /// downstream asset, when `None`) reads, as of `now`.
    ///
    /// `upstream_keys` are the upstream definition's keys as of `now`
    /// (callers cache them); `upstream` is `None` for an unpartitioned
    /// upstream. A downstream key that does not parse maps to no keys.
    pub fn upstream_partitions(
        self,
        downstream: Option<&PartitionsDefinition>,
        downstream_key: Option<&PartitionKey>,
        upstream: Option<&PartitionsDefinition>,
        upstream_keys: &[PartitionKey],
        now: DateTime<Utc>,
    ) -> UpstreamPartitions {
        match self {
            Self::Whole => UpstreamPartitions::Whole,
            Self::AllPartitions => UpstreamPartitions::Keys(upstream_keys.to_vec()),
            // Identity is only chosen for equal definitions, so the key
            // exists upstream whenever it exists downstream.
            Self::Identity => UpstreamPartitions::Keys(downstream_key.cloned().into_iter().collect()),
            Self::TimeWindow => {
                let window =
                    downstream.zip(downstream_key).and_then(|(definition, key)| definition.time_window(key.as_str()));
                match (window, upstream) {
                    (Some(window), Some(PartitionsDefinition::TimeWindow(up))) => UpstreamPartitions::Keys(
                        up.keys_overlapping(window.start.with_timezone(&Utc), window.end.with_timezone(&Utc), now),
                    ),
                    _ => UpstreamPartitions::Keys(Vec::new()),
                }
            }
        }
    }
}
