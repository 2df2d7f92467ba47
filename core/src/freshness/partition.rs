//! The freshness of the latest partition of a time-partitioned asset.

use chrono::{DateTime, Utc};

use super::{Freshness, FreshnessStatus};
use crate::partitions::{PartitionKey, TimeWindowPartitions};

/// Whether the partition that should exist by now was materialized.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionFreshness {
    /// The partition that should exist: the latest complete time window.
    pub key: PartitionKey,
    /// Inclusive start of its window (UTC).
    pub window_start: DateTime<Utc>,
    /// Exclusive end of its window (UTC): from then on it should exist.
    pub window_end: DateTime<Utc>,
    /// `PASS` when materialized, else `FAIL` with `overdue_by` counted from
    /// [`Self::window_end`]; never `WARN` or `UNKNOWN`.
    pub freshness: Freshness,
}

/// Which partition of `partitions` should exist by `now` (UTC), and whether
/// it was materialized; `None` while no window of the definition has ended.
///
/// `materialized_at` gives the time (UTC) of the latest materialization of a
/// partition, or `None` if it was never materialized.
///
/// The partition is the latest window among the definition's keys as of
/// `now` that has ended at or before `now`
/// ([`TimeWindowPartitions::last_complete_window`]), as Dagster's
/// `build_time_partition_freshness_checks` expects the most recent complete
/// window once a deadline has passed (here the deadline is the window's
/// end). Then:
///
/// * materialized: `PASS`; `next_deadline` is the end of the next window,
///   when the next partition becomes due (`None` once the definition has
///   ended);
/// * not materialized: `FAIL`, `overdue_by` = `now - window_end` (the time
///   since the window's data became complete, also with a negative
///   `end_offset`). Dagster's check fails in that case too, whether or not
///   any other partition was ever materialized, so there is no `UNKNOWN`.
pub fn latest_partition_freshness(
    partitions: &TimeWindowPartitions,
    now: DateTime<Utc>,
    materialized_at: impl Fn(&PartitionKey) -> Option<DateTime<Utc>>,
) -> Option<PartitionFreshness> {
    let (key, window) = partitions.last_complete_window(now)?;
    let (window_start, window_end) = (window.start.to_utc(), window.end.to_utc());
    let last_materialized_at = materialized_at(&key);
    let freshness = match last_materialized_at {
        Some(_) => Freshness {
            status: FreshnessStatus::Pass,
            last_materialized_at,
            overdue_by: None,
            next_deadline: next_partition_due(partitions, &key, now),
        },
        None => Freshness {
            status: FreshnessStatus::Fail,
            last_materialized_at,
            overdue_by: (now - window_end).to_std().ok(),
            next_deadline: None,
        },
    };
    Some(PartitionFreshness { key, window_start, window_end, freshness })
}

/// The instant after `now` at which a partition after `key` becomes the
/// latest complete one: the end of the window containing `now`, unless the
/// definition has no further window by then.
fn next_partition_due(
    partitions: &TimeWindowPartitions,
    key: &PartitionKey,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let current = partitions.unbounded_key_for_timestamp(now)?;
    let next_tick = partitions.time_window_for_key(current.as_str()).ok()?.end.to_utc();
    let (next_key, _) = partitions.last_complete_window(next_tick)?;
    (next_key != *key).then_some(next_tick)
}
