//! Staleness: whether each asset partition is missing, stale (and why) or
//! fresh, following Dagster's definitions (`dagster/_core/definitions/data_version.py`):
//!
//! * **missing**: never materialized (a source: never observed, e.g. its
//!   file does not exist);
//! * **stale** with causes:
//!   * `code_version_changed`: the definition's code version differs from the
//!     one recorded with the latest materialization;
//!   * `dependencies_changed`: the asset now depends on assets it did not
//!     read, or no longer depends on assets it read;
//!   * `upstream_data_changed`: an upstream partition it reads now has a data
//!     version different from the one it read (or appeared, or disappeared);
//!   * `upstream_stale`: an upstream partition it reads is itself stale or
//!     missing, so this one will change once that is refreshed;
//! * **fresh**: none of the above.
//!
//! Everything here is a pure function of [`AssetSpec`]s (in topological
//! order), a [`StoredState`] and the evaluation time `now` (UTC), which fixes
//! the set of time-window partitions.

use std::collections::HashMap;

/// aHash for the maps looked up once per partition (see `crate::state`).
type FastMap<K, V> = HashMap<K, V, ahash::RandomState>;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::partitions::{PartitionKey, PartitionMapping, PartitionsDefinition, UpstreamPartitions};
use crate::spec::{AssetDep, AssetSpec};
use crate::state::{AssetPartition, StoredState};
use crate::{AssetKey, CodeVersion, CoreError};

/// One reason an asset partition is stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StaleCause {
    /// The definition changed since the latest materialization.
    CodeVersionChanged {
        /// Code version recorded with the latest materialization.
        recorded: CodeVersion,
        /// Code version of the current definition.
        current: CodeVersion,
    },
    /// The set of upstream assets changed.
    DependenciesChanged {
        /// Upstream assets now declared but not read last time.
        added: Vec<AssetKey>,
        /// Upstream assets read last time but no longer declared.
        removed: Vec<AssetKey>,
    },
    /// An upstream partition has another data version than the one read.
    UpstreamDataChanged {
        /// The upstream asset partition.
        upstream: AssetPartition,
        /// `true` in a plan when the upstream partition is itself planned
        /// earlier in the same run: its data is expected to change, which is
        /// checked again before this step runs.
        pending: bool,
    },
    /// An upstream partition is stale or missing.
    UpstreamStale {
        /// The upstream asset partition.
        upstream: AssetPartition,
    },
}

impl StaleCause {
    /// The cause's name: `code_version_changed`, `dependencies_changed`,
    /// `upstream_data_changed` or `upstream_stale`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CodeVersionChanged { .. } => "code_version_changed",
            Self::DependenciesChanged { .. } => "dependencies_changed",
            Self::UpstreamDataChanged { .. } => "upstream_data_changed",
            Self::UpstreamStale { .. } => "upstream_stale",
        }
    }

    /// The upstream asset partition the cause names, if any.
    pub fn upstream(&self) -> Option<&AssetPartition> {
        match self {
            Self::UpstreamDataChanged { upstream, .. } | Self::UpstreamStale { upstream } => Some(upstream),
            _ => None,
        }
    }
}

/// The causes of staleness over an asset's partitions, grouped by kind and
/// upstream asset: `upstream_data_changed` of `a` in 12 partitions is one
/// group, whatever partitions of `a` changed. What `cairn status` and the
/// asset page show; an asset's groups are bounded by its kinds of cause
/// and its upstream assets, not by its partitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleCauseGroup {
    /// The first cause of the group, in partition order (its upstream
    /// partition, its code versions, its dependencies added and removed).
    pub example: StaleCause,
    /// Partitions of the asset with a cause of this group.
    pub partitions: usize,
}

impl StaleCauseGroup {
    /// The group's kind ([`StaleCause::kind`]).
    pub fn kind(&self) -> &'static str {
        self.example.kind()
    }

    /// For upstream causes, the upstream asset.
    pub fn upstream(&self) -> Option<&AssetKey> {
        self.example.upstream().map(|upstream| &upstream.asset)
    }

    /// Groups `causes` (of the partitions of one asset, in partition
    /// order), counting each partition once per group; groups sorted by
    /// kind, then upstream asset.
    pub fn group<'a>(partitions: impl IntoIterator<Item = &'a [StaleCause]>) -> Vec<Self> {
        let mut groups: std::collections::BTreeMap<(&'static str, Option<AssetKey>), Self> =
            std::collections::BTreeMap::new();
        for causes in partitions {
            let mut seen: Vec<(&'static str, Option<&AssetKey>)> = Vec::new();
            for cause in causes {
                let upstream = cause.upstream().map(|upstream| &upstream.asset);
                if seen.contains(&(cause.kind(), upstream)) {
                    continue;
                }
                seen.push((cause.kind(), upstream));
                groups
                    .entry((cause.kind(), upstream.cloned()))
                    .and_modify(|group| group.partitions += 1)
                    .or_insert_with(|| Self { example: cause.clone(), partitions: 1 });
            }
        }
        groups.into_values().collect()
    }
}

/// Dagster's `StaleStatus`, with the causes of staleness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaleStatus {
    /// Never materialized (or, for a source, not observed).
    Missing,
    /// Materialized, and nothing it depends on has changed.
    Fresh,
    /// Materialized, with at least one cause.
    Stale(Vec<StaleCause>),
}

impl StaleStatus {
    /// `missing`, `fresh` or `stale`.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The status without its causes.
    pub fn kind(&self) -> StaleStatusKind {
        match self {
            Self::Missing => StaleStatusKind::Missing,
            Self::Fresh => StaleStatusKind::Fresh,
            Self::Stale(_) => StaleStatusKind::Stale,
        }
    }
}

/// Dagster's `StaleStatus` values without their causes: what one asset
/// partition is, or one asset over all its partitions (`stale` if any
/// partition is stale, else `missing` if any is missing, else `fresh`, as
/// `cairn status` says). Serialized as `missing`, `fresh` or `stale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaleStatusKind {
    /// Never materialized (or, for a source, not observed).
    Missing,
    /// Materialized, and nothing it depends on has changed.
    Fresh,
    /// Materialized, with at least one cause.
    Stale,
}

impl StaleStatusKind {
    /// `missing`, `fresh` or `stale`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Fresh => "fresh",
            Self::Stale => "stale",
        }
    }
}

/// The keys of one partitions definition, with their positions.
#[derive(Debug)]
pub struct PartitionIndex {
    keys: Arc<Vec<PartitionKey>>,
    positions: FastMap<PartitionKey, usize>,
}

impl PartitionIndex {
    fn new(keys: Vec<PartitionKey>) -> Self {
        let positions = keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
        Self { keys: Arc::new(keys), positions }
    }

    /// The keys in order.
    pub fn keys(&self) -> &[PartitionKey] {
        &self.keys
    }

    /// The keys in order, shared: every asset of one partitions definition
    /// holds the same list.
    pub fn shared_keys(&self) -> Arc<Vec<PartitionKey>> {
        self.keys.clone()
    }

    /// The position of `key` in [`Self::keys`].
    pub fn position(&self, key: &PartitionKey) -> Option<usize> {
        self.positions.get(key).copied()
    }
}

/// Evaluates staleness over a set of asset specs and a stored state.
///
/// Built once per request; partition keys of each distinct definition are
/// computed once and shared.
pub struct Staleness<'a> {
    specs: &'a [AssetSpec],
    index: FastMap<&'a AssetKey, usize>,
    state: &'a StoredState,
    now: DateTime<Utc>,
    partitions: Vec<Option<Arc<PartitionIndex>>>,
}

/// The [`PartitionIndex`] of each partitions definition as of one moment,
/// shared between evaluations: building one lists every key of the
/// definition (43,800 for five years of hours), so an evaluation that
/// changes a few partitions reuses the indexes of the one before, as long
/// as the keys did not move ([`PartitionsDefinition::keys_end`]).
pub type PartitionIndexes = HashMap<Arc<PartitionsDefinition>, Arc<PartitionIndex>>;

impl<'a> Staleness<'a> {
    /// Prepares evaluation as of `now` (UTC).
    ///
    /// # Errors
    /// [`CoreError::Internal`] if `specs` are not in topological order or name
    /// a dependency that is not among them: the loader and the asset graph
    /// guarantee both, so this is a broken invariant, not a user error.
    pub fn new(specs: &'a [AssetSpec], state: &'a StoredState, now: DateTime<Utc>) -> Result<Self, CoreError> {
        Self::with_partition_indexes(specs, state, now, &PartitionIndexes::new())
    }

    /// [`Self::new`], taking the partition index of each definition from
    /// `known` when it holds one. `known` must have been built as of a
    /// moment with the same keys as `now` (see [`PartitionIndexes`]).
    ///
    /// # Errors
    /// As [`Self::new`].
    pub fn with_partition_indexes(
        specs: &'a [AssetSpec],
        state: &'a StoredState,
        now: DateTime<Utc>,
        known: &PartitionIndexes,
    ) -> Result<Self, CoreError> {
        let mut index = FastMap::with_capacity_and_hasher(specs.len(), ahash::RandomState::new());
        let mut by_definition: HashMap<&PartitionsDefinition, Arc<PartitionIndex>> = HashMap::new();
        let mut partitions = Vec::with_capacity(specs.len());
        for (position, spec) in specs.iter().enumerate() {
            for dep in &spec.deps {
                if !index.contains_key(&dep.key) {
                    return Err(CoreError::Internal(format!(
                        "asset `{}` depends on `{}`, which is not before it in topological order",
                        spec.key, dep.key
                    )));
                }
            }
            index.insert(&spec.key, position);
            partitions.push(spec.partitions.as_deref().map(|definition| {
                by_definition
                    .entry(definition)
                    .or_insert_with(|| {
                        known
                            .get(definition)
                            .cloned()
                            .unwrap_or_else(|| Arc::new(PartitionIndex::new(definition.keys(now))))
                    })
                    .clone()
            }));
        }
        Ok(Self { specs, index, state, now, partitions })
    }

    /// The partition index of every partitions definition of the specs,
    /// to reuse in a later evaluation with the same keys
    /// ([`Self::with_partition_indexes`]).
    pub fn partition_indexes(&self) -> PartitionIndexes {
        self.specs
            .iter()
            .zip(&self.partitions)
            .filter_map(|(spec, index)| Some((spec.partitions.clone()?, index.clone()?)))
            .collect()
    }

    /// The specs, in topological order.
    pub fn specs(&self) -> &'a [AssetSpec] {
        self.specs
    }

    /// The stored state evaluated against.
    pub fn state(&self) -> &'a StoredState {
        self.state
    }

    /// The evaluation time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Position of `key` in the specs.
    pub fn position(&self, key: &AssetKey) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// The partition index of the asset at `position`, `None` if unpartitioned.
    pub fn partition_index(&self, position: usize) -> Option<&PartitionIndex> {
        self.partitions[position].as_deref()
    }

    /// The partitions of the asset at `position`: its keys in order, or a
    /// single `None` if unpartitioned.
    pub fn partitions_of(&self, position: usize) -> Vec<Option<PartitionKey>> {
        match self.partition_index(position) {
            Some(index) => index.keys.iter().cloned().map(Some).collect(),
            None => vec![None],
        }
    }

    /// The upstream partitions that `partition` of the asset at `position`
    /// reads through `dep`.
    pub fn upstream_partitions(
        &self,
        position: usize,
        dep: &AssetDep,
        partition: Option<&PartitionKey>,
    ) -> UpstreamPartitions {
        let spec = &self.specs[position];
        let upstream_position = self.index[&dep.key];
        let upstream = &self.specs[upstream_position];
        let upstream_keys = self.partition_index(upstream_position).map_or(&[][..], |i| i.keys());
        dep.mapping.upstream_partitions(
            spec.partitions.as_deref(),
            partition,
            upstream.partitions.as_deref(),
            upstream_keys,
            self.now,
        )
    }

    /// Calls `visit(dep, upstream_partition)` for every upstream partition
    /// that `partition` of the asset at `position` reads.
    pub fn for_each_upstream(
        &self,
        position: usize,
        partition: Option<&PartitionKey>,
        mut visit: impl FnMut(&AssetDep, Option<&PartitionKey>),
    ) {
        for dep in &self.specs[position].deps {
            // The common mappings need no allocation; the general case does.
            match dep.mapping {
                PartitionMapping::Whole => visit(dep, None),
                PartitionMapping::Identity => {
                    if let Some(key) = partition {
                        visit(dep, Some(key));
                    }
                }
                PartitionMapping::AllPartitions => {
                    let upstream = self.index[&dep.key];
                    if let Some(index) = self.partition_index(upstream) {
                        index.keys.iter().for_each(|key| visit(dep, Some(key)));
                    }
                }
                PartitionMapping::TimeWindow => match self.upstream_partitions(position, dep, partition) {
                    UpstreamPartitions::Whole => visit(dep, None),
                    UpstreamPartitions::Keys(keys) => keys.iter().for_each(|key| visit(dep, Some(key))),
                },
            }
        }
    }

    /// Status from the asset partition's own record only: missing, or the
    /// causes `code_version_changed`, `dependencies_changed` and
    /// `upstream_data_changed` (never `upstream_stale`, which needs the
    /// status of upstream partitions; see [`Self::all_statuses`]).
    ///
    /// This is what decides whether materializing the partition again can
    /// produce different data.
    pub fn direct_status(&self, position: usize, partition: Option<&PartitionKey>) -> StaleStatus {
        let spec = &self.specs[position];
        if !spec.is_materializable() {
            return match self.state.observation(&spec.key) {
                Some(_) => StaleStatus::Fresh,
                None => StaleStatus::Missing,
            };
        }
        let Some(record) = self.state.materialization(&spec.key, partition) else {
            return StaleStatus::Missing;
        };
        let mut causes = Vec::new();
        if record.code_version != spec.code_version {
            causes.push(StaleCause::CodeVersionChanged {
                recorded: record.code_version.clone(),
                current: spec.code_version.clone(),
            });
        }
        let mut added = Vec::new();
        for dep in &spec.deps {
            if !record.read_asset(&dep.key) && self.reads_anything(position, dep, partition) {
                added.push(dep.key.clone());
            }
        }
        let removed: Vec<AssetKey> =
            record.input_assets().filter(|asset| !spec.deps.iter().any(|dep| &dep.key == *asset)).cloned().collect();
        if !added.is_empty() || !removed.is_empty() {
            causes.push(StaleCause::DependenciesChanged { added: added.clone(), removed });
        }
        self.for_each_upstream(position, partition, |dep, upstream_partition| {
            if added.contains(&dep.key) {
                return;
            }
            let current = self.state.current_data_version(&dep.key, upstream_partition);
            let recorded = record.input_version(&dep.key, upstream_partition);
            if current != recorded {
                causes.push(StaleCause::UpstreamDataChanged {
                    upstream: AssetPartition::new(dep.key.clone(), upstream_partition.cloned()),
                    pending: false,
                });
            }
        });
        if causes.is_empty() { StaleStatus::Fresh } else { StaleStatus::Stale(causes) }
    }

    fn reads_anything(&self, position: usize, dep: &AssetDep, partition: Option<&PartitionKey>) -> bool {
        match self.upstream_partitions(position, dep, partition) {
            UpstreamPartitions::Whole => true,
            UpstreamPartitions::Keys(keys) => !keys.is_empty(),
        }
    }

    /// The full status of every asset partition: for each spec (in order),
    /// one status per entry of [`Self::partitions_of`] ([`Self::status`]
    /// of each, upstream assets first).
    pub fn all_statuses(&self) -> Vec<Vec<StaleStatus>> {
        let mut statuses: Vec<Vec<StaleStatus>> = Vec::with_capacity(self.specs.len());
        for position in 0..self.specs.len() {
            let partitions = self.partitions_of(position);
            let mut row = Vec::with_capacity(partitions.len());
            for partition in &partitions {
                let upstream = |upstream: usize, slot: usize| statuses[upstream].get(slot).map(StaleStatus::kind);
                row.push(self.status(position, partition.as_ref(), upstream));
            }
            statuses.push(row);
        }
        statuses
    }

    /// The full status of one asset partition: [`Self::direct_status`],
    /// plus an `upstream_stale` cause for each upstream partition it reads
    /// that is stale or missing, as `upstream_kind(upstream position, slot
    /// in that asset's [`Self::partitions_of`])` says (`None`: unknown,
    /// not a cause). So a caller that keeps the statuses of the upstream
    /// assets evaluates one partition without the rest of the asset.
    pub fn status(
        &self,
        position: usize,
        partition: Option<&PartitionKey>,
        upstream_kind: impl Fn(usize, usize) -> Option<StaleStatusKind>,
    ) -> StaleStatus {
        let status = self.direct_status(position, partition);
        if !matches!(status, StaleStatus::Fresh | StaleStatus::Stale(_)) || !self.specs[position].is_materializable() {
            return status;
        }
        let mut stale = Vec::new();
        self.for_each_upstream(position, partition, |dep, upstream_partition| {
            let upstream_position = self.index[&dep.key];
            let slot = match (upstream_partition, self.partition_index(upstream_position)) {
                (None, _) => Some(0),
                (Some(key), Some(index)) => index.position(key),
                (Some(_), None) => None,
            };
            if let Some(StaleStatusKind::Stale | StaleStatusKind::Missing) =
                slot.and_then(|slot| upstream_kind(upstream_position, slot))
            {
                stale.push(AssetPartition::new(dep.key.clone(), upstream_partition.cloned()));
            }
        });
        add_upstream_stale(status, stale)
    }
}

fn add_upstream_stale(status: StaleStatus, stale_upstream: Vec<AssetPartition>) -> StaleStatus {
    if stale_upstream.is_empty() {
        return status;
    }
    let mut causes = match status {
        StaleStatus::Stale(causes) => causes,
        _ => Vec::new(),
    };
    for upstream in stale_upstream {
        let already_named = causes.iter().any(|cause| cause.upstream() == Some(&upstream));
        if !already_named {
            causes.push(StaleCause::UpstreamStale { upstream });
        }
    }
    StaleStatus::Stale(causes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(asset: &str, partition: &str) -> StaleCause {
        let upstream = AssetPartition::new(AssetKey::new(asset).unwrap(), Some(PartitionKey::new(partition).unwrap()));
        StaleCause::UpstreamDataChanged { upstream, pending: false }
    }

    fn upstream_stale(asset: &str, partition: &str) -> StaleCause {
        let upstream = AssetPartition::new(AssetKey::new(asset).unwrap(), Some(PartitionKey::new(partition).unwrap()));
        StaleCause::UpstreamStale { upstream }
    }

    #[test]
    fn causes_are_grouped_by_kind_and_upstream_asset_counting_partitions() {
        let code = StaleCause::CodeVersionChanged {
            recorded: CodeVersion::from_stored("old"),
            current: CodeVersion::from_stored("new"),
        };
        let partitions: Vec<Vec<StaleCause>> = vec![
            vec![code.clone()],
            vec![changed("a", "1"), upstream_stale("b", "1")],
            // A rolling window reads two partitions of `a`: one partition.
            vec![changed("a", "2"), changed("a", "3")],
            vec![changed("c", "1"), code],
        ];
        let groups = StaleCauseGroup::group(partitions.iter().map(Vec::as_slice));
        let summary: Vec<(&str, Option<&str>, usize)> =
            groups.iter().map(|g| (g.kind(), g.upstream().map(AssetKey::as_str), g.partitions)).collect();
        assert_eq!(
            summary,
            [
                ("code_version_changed", None, 2),
                ("upstream_data_changed", Some("a"), 2),
                ("upstream_data_changed", Some("c"), 1),
                ("upstream_stale", Some("b"), 1),
            ]
        );
        assert_eq!(groups[1].example, changed("a", "1"), "the first partition's cause stands for the group");
        assert!(StaleCauseGroup::group(std::iter::empty()).is_empty());
    }
}
