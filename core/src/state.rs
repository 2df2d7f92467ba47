//! The stored state the planner reads: the latest materialization of every
//! asset partition and the latest observation of every source.
//!
//! [`StoredState`] is plain data, loaded from the metadata store in one go
//! (`cairn_store::MetadataStore::load_state`) or built by hand in tests,
//! so staleness and planning are pure functions of definitions and state.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::partitions::PartitionKey;
use crate::{AssetKey, CodeVersion, DataVersion};

/// One asset partition (`partition` is `None` for unpartitioned assets).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct AssetPartition {
    /// The asset.
    pub asset: AssetKey,
    /// Its partition, if the asset is partitioned.
    pub partition: Option<PartitionKey>,
}

impl AssetPartition {
    /// Pairs an asset and an optional partition.
    pub fn new(asset: AssetKey, partition: Option<PartitionKey>) -> Self {
        Self { asset, partition }
    }
}

impl std::fmt::Display for AssetPartition {
    /// `flights_daily[2013-01-05]`, or just `delays_by_carrier`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.partition {
            Some(partition) => write!(f, "{}[{}]", self.asset, partition),
            None => write!(f, "{}", self.asset),
        }
    }
}

/// The data version of one upstream asset partition that a materialization
/// read (Dagster's "data provenance").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputVersion {
    /// Upstream asset.
    pub asset: AssetKey,
    /// Upstream partition, `None` if the upstream is unpartitioned.
    pub partition: Option<PartitionKey>,
    /// Its data version at the time it was read.
    pub data_version: DataVersion,
}

/// What staleness needs to know about the latest materialization of an
/// asset partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterializationRecord {
    /// Store id of the materialization.
    pub id: i64,
    /// Store id of the run that produced it.
    pub run_id: i64,
    /// Code version of the asset definition used.
    pub code_version: CodeVersion,
    /// Version of the data written.
    pub data_version: DataVersion,
    /// Versions of every upstream partition read, sorted by asset then
    /// partition (see [`MaterializationRecord::input_version`]).
    pub inputs: Vec<InputVersion>,
    /// When it finished, UTC.
    pub materialized_at: DateTime<Utc>,
    /// Its data file, relative to the project's data folder (where readers
    /// find the asset partition's current data).
    pub path: String,
}

impl MaterializationRecord {
    /// Sorts `inputs` so [`Self::input_version`] can binary-search them.
    pub fn sort_inputs(&mut self) {
        self.inputs.sort_by(|a, b| (&a.asset, &a.partition).cmp(&(&b.asset, &b.partition)));
    }

    /// The recorded version of one upstream partition, if it was read.
    pub fn input_version(&self, asset: &AssetKey, partition: Option<&PartitionKey>) -> Option<&DataVersion> {
        self.inputs
            .binary_search_by(|input| (&input.asset, input.partition.as_ref()).cmp(&(asset, partition)))
            .ok()
            .map(|index| &self.inputs[index].data_version)
    }

    /// Whether any partition of `asset` was read.
    pub fn read_asset(&self, asset: &AssetKey) -> bool {
        let start = self.inputs.partition_point(|input| &input.asset < asset);
        self.inputs.get(start).is_some_and(|input| &input.asset == asset)
    }

    /// The distinct upstream assets read, in key order.
    pub fn input_assets(&self) -> impl Iterator<Item = &AssetKey> {
        let mut previous: Option<&AssetKey> = None;
        self.inputs.iter().map(|input| &input.asset).filter(move |asset| {
            let new = previous != Some(*asset);
            previous = Some(*asset);
            new
        })
    }
}

/// The latest observation of a source asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservationRecord {
    /// Data version observed (content hash, or size and mtime for large files).
    pub data_version: DataVersion,
    /// When it was observed, UTC.
    pub observed_at: DateTime<Utc>,
}

/// A hash map with aHash: the index holds millions of partition keys, and
/// looking them up with the standard library's SipHash was a tenth of the
/// summary's time.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// The latest materializations of one asset: unpartitioned, or by
/// partition key (looked up without cloning the key).
#[derive(Debug, Clone, Default)]
struct AssetRecords {
    whole: Option<MaterializationRecord>,
    partitions: HashMap<PartitionKey, MaterializationRecord>,
}

/// Latest materializations and observations, keyed by asset then partition.
///
/// Cloning is cheap: each asset's records are shared (`Arc`) until one of
/// the copies changes them, and then only that asset's records are copied.
/// So a reader can take a snapshot of a large state (the server's index)
/// and change a few sources' observations in it, at a cost per asset, not
/// per partition.
#[derive(Debug, Clone, Default)]
pub struct StoredState {
    materializations: HashMap<AssetKey, Arc<AssetRecords>>,
    observations: HashMap<AssetKey, ObservationRecord>,
}

impl StoredState {
    /// An empty state: nothing materialized or observed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `record` as the latest materialization of `asset`/`partition`,
    /// replacing any earlier one. Sorts its inputs.
    pub fn insert_materialization(
        &mut self,
        asset: AssetKey,
        partition: Option<PartitionKey>,
        mut record: MaterializationRecord,
    ) {
        record.sort_inputs();
        let records = Arc::make_mut(self.materializations.entry(asset).or_default());
        match partition {
            Some(key) => {
                records.partitions.insert(key, record);
            }
            None => records.whole = Some(record),
        }
    }

    /// Forgets the latest materialization of one asset partition (its data
    /// is gone), so it counts as missing.
    pub fn remove_materialization(&mut self, asset: &AssetKey, partition: Option<&PartitionKey>) {
        let Some(records) = self.materializations.get_mut(asset) else { return };
        let present = match partition {
            Some(key) => records.partitions.contains_key(key),
            None => records.whole.is_some(),
        };
        // Copy shared records only when something is removed from them.
        if present {
            let records = Arc::make_mut(records);
            match partition {
                Some(key) => {
                    records.partitions.remove(key);
                }
                None => records.whole = None,
            }
        }
    }

    /// Records the latest observation of a source.
    pub fn insert_observation(&mut self, asset: AssetKey, record: ObservationRecord) {
        self.observations.insert(asset, record);
    }

    /// Forgets the observation of a source (its file disappeared).
    pub fn remove_observation(&mut self, asset: &AssetKey) {
        self.observations.remove(asset);
    }

    /// The latest materialization of one asset partition.
    pub fn materialization(
        &self,
        asset: &AssetKey,
        partition: Option<&PartitionKey>,
    ) -> Option<&MaterializationRecord> {
        let records = self.materializations.get(asset)?;
        match partition {
            Some(key) => records.partitions.get(key),
            None => records.whole.as_ref(),
        }
    }

    /// Every materialized partition of an asset.
    pub fn materializations_of(
        &self,
        asset: &AssetKey,
    ) -> impl Iterator<Item = (Option<&PartitionKey>, &MaterializationRecord)> {
        self.materializations.get(asset).into_iter().flat_map(|records| {
            let whole = records.whole.iter().map(|record| (None, record));
            whole.chain(records.partitions.iter().map(|(key, record)| (Some(key), record)))
        })
    }

    /// The latest observation of a source.
    pub fn observation(&self, asset: &AssetKey) -> Option<&ObservationRecord> {
        self.observations.get(asset)
    }

    /// The current data version of an asset partition: its latest
    /// materialization's, or for a source its latest observation's.
    pub fn current_data_version(&self, asset: &AssetKey, partition: Option<&PartitionKey>) -> Option<&DataVersion> {
        self.materialization(asset, partition)
            .map(|record| &record.data_version)
            .or_else(|| partition.is_none().then(|| self.observations.get(asset).map(|o| &o.data_version)).flatten())
    }

    /// Number of materialized asset partitions.
    pub fn materialization_count(&self) -> usize {
        self.materializations
            .values()
            .map(|records| records.partitions.len() + usize::from(records.whole.is_some()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: i64, version: &str) -> MaterializationRecord {
        MaterializationRecord {
            id,
            run_id: 1,
            code_version: CodeVersion::from_stored("code"),
            data_version: DataVersion::from_stored(version),
            inputs: Vec::new(),
            materialized_at: DateTime::<Utc>::UNIX_EPOCH,
            path: format!("a/{id}.parquet"),
        }
    }

    fn key(text: &str) -> PartitionKey {
        PartitionKey::new(text).unwrap()
    }

    #[test]
    fn a_clone_shares_records_until_one_side_changes_them() {
        let a = AssetKey::new("a").unwrap();
        let b = AssetKey::new("b").unwrap();
        let mut original = StoredState::new();
        original.insert_materialization(a.clone(), Some(key("2024-01-01")), record(1, "v1"));
        original.insert_materialization(b.clone(), None, record(2, "v2"));

        let mut copy = original.clone();
        assert!(Arc::ptr_eq(&original.materializations[&a], &copy.materializations[&a]));
        copy.insert_materialization(a.clone(), Some(key("2024-01-01")), record(3, "v3"));
        copy.remove_materialization(&b, None);
        // Removing what is absent copies nothing.
        copy.remove_materialization(&a, Some(&key("1999-01-01")));

        // The original still sees its own records...
        assert_eq!(original.materialization(&a, Some(&key("2024-01-01"))).map(|r| r.id), Some(1));
        assert_eq!(original.materialization(&b, None).map(|r| r.id), Some(2));
        assert_eq!(original.materialization_count(), 2);
        // ... and the copy its changes.
        assert_eq!(copy.materialization(&a, Some(&key("2024-01-01"))).map(|r| r.id), Some(3));
        assert_eq!(copy.materialization(&b, None), None);
        assert_eq!(copy.materialization_count(), 1);
        assert!(!Arc::ptr_eq(&original.materializations[&a], &copy.materializations[&a]));
    }
}
