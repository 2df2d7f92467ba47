//! The state of every asset and every partition at one moment, computed in
//! one pass: what the API's lineage graph, asset pages and partition bars
//! read. The server computes it from its asset-state index
//! ([`Instance::summarize_index`], no store or file-system reads) when the
//! event log moves, not per request, and after the first only for the
//! assets that changed and their downstream assets
//! ([`Instance::summarize_index_changes`]); `cairn lineage` from a
//! snapshot ([`Instance::summarize_state`]); `cairn status` for the assets
//! its cache lacks (see `crate::status`).
//!
//! Each partition has one [`PartitionState`], by precedence:
//! `MATERIALIZING` (a step is running it now), `FAILED` (its latest attempt
//! failed; the previous data, if any, stays), `MISSING` (never
//! materialized), `STALE` (materialized, but Dagster's staleness rules say
//! it is stale, `upstream_stale` included), else `MATERIALIZED`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use cairn_core::AssetKey;
use cairn_core::partitions::PartitionKey;
use cairn_core::spec::AssetSpec;
use cairn_core::staleness::{PartitionIndexes, StaleCause, StaleCauseGroup, StaleStatus, StaleStatusKind, Staleness};
use cairn_core::state::{AssetPartition, StoredState};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::EngineError;
use crate::instance::{Instance, Snapshot};

/// The state of one asset partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartitionState {
    /// Materialized and fresh.
    Materialized,
    /// Materialized, but stale.
    Stale,
    /// Its latest materialization attempt failed.
    Failed,
    /// A step is materializing it now.
    Materializing,
    /// Never materialized.
    Missing,
}

/// Partition counts by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PartitionStats {
    /// All partitions (1 for an unpartitioned asset).
    pub total: usize,
    /// Materialized (fresh or stale).
    pub materialized: usize,
    /// Stale.
    pub stale: usize,
    /// Latest attempt failed.
    pub failed: usize,
    /// Running now.
    pub materializing: usize,
    /// Never materialized.
    pub missing: usize,
}

impl PartitionState {
    /// The state of a partition whose staleness is `status`, a step
    /// materializing it now (`running`) or its latest attempt failed
    /// (`failed`): see the module docs for the precedence.
    fn of(running: bool, failed: bool, status: &StaleStatus) -> Self {
        if running {
            Self::Materializing
        } else if failed {
            Self::Failed
        } else {
            match status {
                StaleStatus::Missing => Self::Missing,
                StaleStatus::Stale(_) => Self::Stale,
                StaleStatus::Fresh => Self::Materialized,
            }
        }
    }
}

impl PartitionStats {
    /// Counts one partition in `state` whose staleness is `kind`, or with
    /// `remove` takes it out of the counts (not out of `total`).
    fn tally(&mut self, state: PartitionState, kind: StaleStatusKind, remove: bool) {
        let step = |count: &mut usize| if remove { *count -= 1 } else { *count += 1 };
        match state {
            PartitionState::Materializing => step(&mut self.materializing),
            PartitionState::Failed => step(&mut self.failed),
            PartitionState::Missing => step(&mut self.missing),
            PartitionState::Stale => step(&mut self.stale),
            PartitionState::Materialized => {}
        }
        if kind != StaleStatusKind::Missing {
            step(&mut self.materialized);
        }
    }
}

impl crate::status::PartitionCounts {
    /// Counts one partition whose staleness is `kind`, or with `remove`
    /// takes it out of the counts (not out of `total`).
    fn tally(&mut self, kind: StaleStatusKind, remove: bool) {
        let step = |count: &mut usize| if remove { *count -= 1 } else { *count += 1 };
        match kind {
            StaleStatusKind::Fresh => step(&mut self.fresh),
            StaleStatusKind::Stale => step(&mut self.stale),
            StaleStatusKind::Missing => step(&mut self.missing),
        }
        if kind != StaleStatusKind::Missing {
            step(&mut self.materialized);
        }
    }

    /// Over the partitions counted: `stale` if any is stale, else
    /// `missing` if any is missing, else `fresh`.
    fn overall(&self) -> StaleStatusKind {
        if self.stale > 0 {
            StaleStatusKind::Stale
        } else if self.missing > 0 {
            StaleStatusKind::Missing
        } else {
            StaleStatusKind::Fresh
        }
    }
}

/// One asset's state.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetSummary {
    /// Over its partitions, as `cairn status`.
    pub stale_status: StaleStatusKind,
    /// Causes over its partitions.
    pub causes: Vec<StaleCauseGroup>,
    /// The partition keys as of the summary's time (empty: unpartitioned).
    pub keys: Arc<Vec<PartitionKey>>,
    /// One state per key (one state for an unpartitioned asset).
    pub states: Vec<PartitionState>,
    /// Counts by [`PartitionState`] (precedence: materializing, failed,
    /// missing, stale).
    pub stats: PartitionStats,
    /// Counts by staleness alone (fresh, stale, missing), as `cairn status`
    /// shows them.
    pub staleness: crate::status::PartitionCounts,
    /// The latest materialization (or observation, for a source), UTC.
    pub last_updated: Option<DateTime<Utc>>,
    /// Its checks whose latest result failed, by severity.
    pub failing_checks: FailingChecks,
    /// When each partition (same order as `keys`; one entry when
    /// unpartitioned) was last materialized, UTC.
    pub materialized_at: Vec<Option<DateTime<Utc>>>,
    /// The staleness of each partition (same order as `states`), which
    /// `states` hides for partitions running or failed: what the
    /// downstream assets' `upstream_stale` causes are computed from.
    pub stale_kinds: Vec<StaleStatusKind>,
    /// The causes of each stale partition, by position in `keys` (`0`
    /// when unpartitioned), in partition order: what `causes` groups.
    pub stale_causes: BTreeMap<usize, Vec<StaleCause>>,
}

/// How many of an asset's checks failed at their latest evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailingChecks {
    /// `error` checks (they kept the data from being published).
    pub error: usize,
    /// `warn` checks (recorded; the data was published).
    pub warn: usize,
}

/// The asset partitions whose latest attempt failed, and those running.
#[derive(Clone, Copy)]
pub(crate) struct Attempts<'a> {
    pub(crate) failed: &'a HashSet<AssetPartition>,
    pub(crate) running: &'a HashSet<AssetPartition>,
}

/// Every asset's state at one moment.
#[derive(Debug, Clone)]
pub struct ProjectSummary {
    /// When it was computed (UTC).
    pub at: DateTime<Utc>,
    /// The event log's sequence number it reflects.
    pub seq: i64,
    /// Per asset (shared with the summaries computed from this one by
    /// [`Instance::summarize_index_changes`]).
    pub assets: HashMap<AssetKey, Arc<AssetSummary>>,
    /// The keys of each partitions definition as of `at`, with their
    /// positions: reused by [`Instance::summarize_index_changes`].
    pub partition_indexes: PartitionIndexes,
}

/// What changed in the state since a summary: what
/// [`Instance::summarize_index_changes`] computes again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Asset partitions materialized, wiped, failed, checked, or started
    /// or stopped running: only these partitions of their asset are
    /// evaluated again (and every partition of the downstream assets).
    pub partitions: BTreeSet<AssetPartition>,
    /// Assets changed as a whole (sources observed again): evaluated again
    /// with their downstream assets.
    pub assets: BTreeSet<AssetKey>,
}

impl From<&cairn_store::IndexChanges> for StateChanges {
    /// The asset partitions an index advance read again or whose attempts
    /// moved ([`cairn_store::IndexChanges::partitions`]), and the sources
    /// it saw observed. Meaningless when the index was reloaded.
    fn from(changes: &cairn_store::IndexChanges) -> Self {
        Self { partitions: changes.partitions(), assets: changes.observed.clone() }
    }
}

impl Instance {
    /// Summarises every asset of `snapshot` (see the module docs), reading
    /// the running and failed attempts and the latest check results.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn summarize_state(&self, snapshot: &Snapshot) -> Result<ProjectSummary, EngineError> {
        let seq = self.store().last_event_seq().await?;
        let (failed, running) = self.store().attempt_states().await?;
        let failed: HashSet<AssetPartition> = failed.into_iter().collect();
        let running: HashSet<AssetPartition> = running.into_iter().collect();
        let checks = self.store().latest_check_results().await?;
        let attempts = Attempts { failed: &failed, running: &running };
        self.summarize_project(
            self.project().specs(),
            &snapshot.state,
            snapshot.now,
            seq,
            attempts,
            checks.iter(),
            &PartitionIndexes::new(),
        )
    }

    /// Summarises every asset from `index` (advanced by the caller), with
    /// the sources as `observations` saw them, at `now` (UTC). Reads
    /// nothing from the store or the file system: a materialization whose
    /// file is gone is found by the step that reads it, and by `cairn gc
    /// --verify`, not here.
    ///
    /// # Errors
    /// [`EngineError::RunState`] if the definitions and state disagree.
    pub fn summarize_index(
        &self,
        index: &cairn_store::StateIndex,
        observations: &[cairn_assets::observe::SourceObservation],
        now: DateTime<Utc>,
    ) -> Result<ProjectSummary, EngineError> {
        let mut state = index.state().clone();
        cairn_assets::observe::apply_observations(&mut state, observations, now);
        let attempts = Attempts { failed: index.failed(), running: index.running() };
        self.summarize_project(
            self.project().specs(),
            &state,
            now,
            index.cursor(),
            attempts,
            index.check_results(),
            &PartitionIndexes::new(),
        )
    }

    /// [`Self::summarize_index`] computed again only where the state
    /// changed since `previous`: for an asset with `changes.partitions`,
    /// only those partitions (a partition's staleness follows its own
    /// record and the upstream partitions it reads, never its siblings');
    /// for an asset changed as a whole (`changes.assets`) and for every
    /// asset downstream of a change, all its partitions, from its state
    /// and its upstream assets'. The other assets' summaries are
    /// `previous`'s, shared. `previous` must have been computed by this
    /// instance (the same definitions) from the same index before it was
    /// advanced, with the same partition keys
    /// ([`Self::partition_keys_moved`] says when they are not). The
    /// answer equals [`Self::summarize_index`]'s; its cost follows what
    /// changed: a backfill's step costs its partition, not its asset's
    /// 43,800 hours.
    ///
    /// # Errors
    /// As [`Self::summarize_index`].
    pub fn summarize_index_changes(
        &self,
        previous: &ProjectSummary,
        index: &cairn_store::StateIndex,
        changes: &StateChanges,
        observations: &[cairn_assets::observe::SourceObservation],
        now: DateTime<Utc>,
    ) -> Result<ProjectSummary, EngineError> {
        let project = self.project();
        let graph = &project.graph;
        let mut touched: BTreeMap<&AssetKey, Vec<Option<&PartitionKey>>> = BTreeMap::new();
        for target in &changes.partitions {
            if project.asset(&target.asset).is_some() {
                touched.entry(&target.asset).or_default().push(target.partition.as_ref());
            }
        }
        // Every partition of these may have changed.
        let mut whole: BTreeSet<AssetKey> =
            changes.assets.iter().filter(|key| project.asset(key).is_some()).cloned().collect();
        for key in touched.keys().copied().chain(&changes.assets).filter(|key| project.asset(key).is_some()) {
            whole.extend(graph.descendants(key, None));
        }
        let mut scope = whole.clone();
        for key in &whole {
            scope.extend(graph.ancestors(key, None));
        }
        let mut state = index.state().clone();
        cairn_assets::observe::apply_observations(&mut state, observations, now);
        let attempts = Attempts { failed: index.failed(), running: index.running() };
        let mut assets = previous.assets.clone();
        let mut partition_indexes = previous.partition_indexes.clone();
        if !scope.is_empty() {
            let specs: Vec<AssetSpec> =
                project.specs().iter().filter(|spec| scope.contains(&spec.key)).cloned().collect();
            let checks = scope.iter().flat_map(|key| index.check_results_of(key));
            let known = &previous.partition_indexes;
            let computed = self.summarize_project(&specs, &state, now, index.cursor(), attempts, checks, known)?;
            for (key, summary) in computed.assets {
                // An asset with changed partitions that is upstream of a
                // change was evaluated whole anyway.
                if whole.contains(&key) || touched.contains_key(&key) {
                    assets.insert(key, summary);
                }
            }
            partition_indexes.extend(computed.partition_indexes);
        }
        touched.retain(|key, _| !scope.contains(*key));
        if !touched.is_empty() {
            let staleness = Staleness::with_partition_indexes(project.specs(), &state, now, &partition_indexes)
                .map_err(|e| EngineError::RunState(e.to_string()))?;
            for (key, partitions) in touched {
                let Some(before) = previous.assets.get(key) else {
                    return Err(EngineError::RunState(format!("the previous summary lacks asset `{key}`")));
                };
                let summary =
                    self.summarize_partitions(&staleness, before, key, &partitions, &previous.assets, index)?;
                assets.insert(key.clone(), Arc::new(summary));
            }
        }
        Ok(ProjectSummary { at: now, seq: index.cursor(), assets, partition_indexes })
    }

    /// `before` (the summary of `key`) with `partitions` evaluated again
    /// from `staleness` (over every spec of the project), the upstream
    /// partitions' staleness read from `upstream` (current: no upstream
    /// asset of `key` changed), attempts and checks from `index`.
    fn summarize_partitions(
        &self,
        staleness: &Staleness<'_>,
        before: &AssetSummary,
        key: &AssetKey,
        partitions: &[Option<&PartitionKey>],
        upstream: &HashMap<AssetKey, Arc<AssetSummary>>,
        index: &cairn_store::StateIndex,
    ) -> Result<AssetSummary, EngineError> {
        let missing = || EngineError::RunState(format!("asset `{key}` is not among the definitions"));
        let position = staleness.position(key).ok_or_else(missing)?;
        let spec = &staleness.specs()[position];
        let state = staleness.state();
        let mut summary = before.clone();
        let upstream_kind = |upstream_position: usize, slot: usize| {
            let summary = upstream.get(&staleness.specs()[upstream_position].key)?;
            summary.stale_kinds.get(slot).copied()
        };
        let mut last_updated_lowered = false;
        for &partition in partitions {
            let slot = match (partition, staleness.partition_index(position)) {
                (None, None) => 0,
                (Some(partition), Some(keys)) => match keys.position(partition) {
                    Some(slot) => slot,
                    // A partition the definitions no longer have.
                    None => continue,
                },
                _ => continue,
            };
            let status = staleness.status(position, partition, upstream_kind);
            let target = AssetPartition::new(key.clone(), partition.cloned());
            let state_now =
                PartitionState::of(index.running().contains(&target), index.failed().contains(&target), &status);
            let (old_state, old_kind) = (summary.states[slot], summary.stale_kinds[slot]);
            summary.stats.tally(old_state, old_kind, true);
            summary.staleness.tally(old_kind, true);
            summary.stats.tally(state_now, status.kind(), false);
            summary.staleness.tally(status.kind(), false);
            summary.states[slot] = state_now;
            summary.stale_kinds[slot] = status.kind();
            match status {
                StaleStatus::Stale(causes) => summary.stale_causes.insert(slot, causes),
                _ => summary.stale_causes.remove(&slot),
            };
            if spec.is_materializable() {
                let at = state.materialization(key, partition).map(|record| record.materialized_at);
                let old = std::mem::replace(&mut summary.materialized_at[slot], at);
                last_updated_lowered |= old.is_some() && old == before.last_updated && at < old;
                summary.last_updated = summary.last_updated.max(at);
            }
        }
        summary.causes = StaleCauseGroup::group(summary.stale_causes.values().map(Vec::as_slice));
        summary.stale_status = summary.staleness.overall();
        if !spec.is_materializable() {
            summary.last_updated = state.observation(key).map(|o| o.observed_at);
        } else if last_updated_lowered {
            // The latest materialization was wiped: the next latest.
            summary.last_updated = state.materializations_of(key).map(|(_, r)| r.materialized_at).max();
        }
        summary.failing_checks = self.failing_checks(index.check_results_of(key)).remove(key).unwrap_or_default();
        Ok(summary)
    }

    /// The failing checks among `checks` (latest results) by asset: only
    /// the checks still defined count.
    fn failing_checks<'c>(
        &self,
        checks: impl Iterator<Item = &'c cairn_store::CheckResult>,
    ) -> HashMap<AssetKey, FailingChecks> {
        let mut failing_checks: HashMap<AssetKey, FailingChecks> = HashMap::new();
        let defined = |c: &cairn_store::CheckResult| {
            self.project().asset(&c.asset).is_some_and(|a| a.checks.iter().any(|k| k.name == c.check_name))
        };
        for check in checks.filter(|c| !c.passed && defined(c)) {
            let counts = failing_checks.entry(check.asset.clone()).or_default();
            match check.severity {
                cairn_store::CheckSeverity::Error => counts.error += 1,
                cairn_store::CheckSeverity::Warn => counts.warn += 1,
            }
        }
        failing_checks
    }

    /// Whether any asset's partition keys as of `now` differ from those as
    /// of `then` (UTC): a new time window began (or, with an `end`, the
    /// last one ended), so every summary's keys moved.
    pub fn partition_keys_moved(&self, then: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let definitions: HashSet<&cairn_core::partitions::PartitionsDefinition> =
            self.project().specs().iter().filter_map(|spec| spec.partitions.as_deref()).collect();
        definitions.into_iter().any(|definition| definition.keys_end(then) != definition.keys_end(now))
    }

    /// Summarises `specs` (in topological order, each with its upstream
    /// assets among them) from `state`, with the partition indexes in
    /// `known` (built as of a moment with the same keys as `now`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn summarize_project<'c>(
        &self,
        specs: &[AssetSpec],
        state: &StoredState,
        now: DateTime<Utc>,
        seq: i64,
        attempts: Attempts<'_>,
        checks: impl Iterator<Item = &'c cairn_store::CheckResult>,
        known: &PartitionIndexes,
    ) -> Result<ProjectSummary, EngineError> {
        let Attempts { failed, running } = attempts;
        let failing_checks = self.failing_checks(checks);
        let staleness = Staleness::with_partition_indexes(specs, state, now, known)
            .map_err(|e| EngineError::RunState(e.to_string()))?;
        let statuses = staleness.all_statuses();
        // Running and failed partitions by asset: most assets have none,
        // and then no partition of theirs is looked up.
        let (running, failed) = (by_asset(running), by_asset(failed));
        let mut assets = HashMap::with_capacity(specs.len());
        for ((position, spec), row) in specs.iter().enumerate().zip(statuses) {
            // One list per partitions definition, shared by its assets.
            let keys: Arc<Vec<PartitionKey>> =
                staleness.partition_index(position).map_or_else(Arc::default, |index| index.shared_keys());
            let mut stats = PartitionStats { total: row.len(), ..PartitionStats::default() };
            let mut staleness_counts = crate::status::PartitionCounts { total: row.len(), ..Default::default() };
            let mut states = Vec::with_capacity(row.len());
            let mut stale_kinds = Vec::with_capacity(row.len());
            let mut stale_causes = BTreeMap::new();
            let materialized_at: Vec<Option<DateTime<Utc>>> = (0..row.len())
                .map(|slot| state.materialization(&spec.key, keys.get(slot)).map(|r| r.materialized_at))
                .collect();
            let (running, failed) = (running.get(&spec.key), failed.get(&spec.key));
            for (slot, status) in row.into_iter().enumerate() {
                let partition = keys.get(slot);
                let state = PartitionState::of(
                    running.is_some_and(|partitions| partitions.contains(&partition)),
                    failed.is_some_and(|partitions| partitions.contains(&partition)),
                    &status,
                );
                stats.tally(state, status.kind(), false);
                staleness_counts.tally(status.kind(), false);
                states.push(state);
                stale_kinds.push(status.kind());
                if let StaleStatus::Stale(causes) = status {
                    stale_causes.insert(slot, causes);
                }
            }
            let causes = StaleCauseGroup::group(stale_causes.values().map(Vec::as_slice));
            let last_updated = if spec.is_materializable() {
                state.materializations_of(&spec.key).map(|(_, r)| r.materialized_at).max()
            } else {
                state.observation(&spec.key).map(|o| o.observed_at)
            };
            assets.insert(
                spec.key.clone(),
                Arc::new(AssetSummary {
                    stale_status: staleness_counts.overall(),
                    causes,
                    keys,
                    states,
                    stats,
                    staleness: staleness_counts,
                    last_updated,
                    failing_checks: failing_checks.get(&spec.key).copied().unwrap_or_default(),
                    materialized_at,
                    stale_kinds,
                    stale_causes,
                }),
            );
        }
        Ok(ProjectSummary { at: now, seq, assets, partition_indexes: staleness.partition_indexes() })
    }
}

/// `targets` grouped by asset: the partitions of each.
fn by_asset(targets: &HashSet<AssetPartition>) -> HashMap<&AssetKey, HashSet<Option<&PartitionKey>>> {
    let mut grouped: HashMap<&AssetKey, HashSet<Option<&PartitionKey>>> = HashMap::new();
    for target in targets {
        grouped.entry(&target.asset).or_default().insert(target.partition.as_ref());
    }
    grouped
}

/// An asset's freshness (Dagster's `FreshnessPolicy`), and for a
/// time-partitioned asset the freshness of the latest partition that should
/// exist by now.
#[derive(Debug, Clone, Serialize)]
pub struct AssetFreshness {
    /// The policy, described (`materialized less than 6h ago (warn after 3h)`).
    pub policy: String,
    /// The asset's freshness: its latest materialization against the policy.
    pub freshness: cairn_core::freshness::Freshness,
    /// The latest partition that should exist by now, and its freshness.
    pub latest_partition: Option<cairn_core::freshness::PartitionFreshness>,
}

impl Instance {
    /// The freshness of `key` at `now` (UTC) from `summary`; `None` when the
    /// asset has no `freshness:` policy.
    pub fn asset_freshness(
        &self,
        key: &AssetKey,
        summary: &AssetSummary,
        now: DateTime<Utc>,
    ) -> Option<AssetFreshness> {
        // Asked once, for the latest partition only (and not at all
        // without a policy): a scan, not a map of every key per call.
        self.freshness_with(key, summary.last_updated, now, |key| {
            let position = summary.keys.iter().position(|k| k == key)?;
            summary.materialized_at.get(position).copied().flatten()
        })
    }

    /// The freshness of `key` at `now` (UTC), from its latest update and
    /// when a partition was materialized (asked for the latest partition
    /// that should exist by `now` only); `None` without a policy.
    pub(crate) fn freshness_with(
        &self,
        key: &AssetKey,
        last_updated: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        materialized_at: impl Fn(&PartitionKey) -> Option<DateTime<Utc>>,
    ) -> Option<AssetFreshness> {
        let asset = self.project().asset(key)?;
        let policy = asset.freshness.as_ref()?;
        let freshness = cairn_core::freshness::evaluate(policy, last_updated, now);
        let latest_partition = match asset.spec.partitions.as_deref() {
            Some(cairn_core::partitions::PartitionsDefinition::TimeWindow(windows)) => {
                cairn_core::freshness::latest_partition_freshness(windows, now, materialized_at)
            }
            _ => None,
        };
        Some(AssetFreshness { policy: policy.describe(), freshness, latest_partition })
    }
}
