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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cairn_core::AssetKey;
use cairn_core::partitions::PartitionKey;
use cairn_core::spec::AssetSpec;
use cairn_core::staleness::{StaleCauseGroup, StaleStatus, StaleStatusKind, Staleness};
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
        self.summarize_project(self.project().specs(), &snapshot.state, snapshot.now, seq, attempts, checks.iter())
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
        self.summarize_project(self.project().specs(), &state, now, index.cursor(), attempts, index.check_results())
    }

    /// [`Self::summarize_index`] computed again only for the assets in
    /// `changed` and their downstream assets (a new materialization, check
    /// result, attempt or observation of an asset changes its own summary
    /// and, through staleness, its downstream assets' summaries, never
    /// another's), from their state and their upstream assets'. The other
    /// assets' summaries are `previous`'s, shared. `previous` must have
    /// been computed by this instance (the same definitions) from the same
    /// index before it was advanced, with the same partition keys
    /// ([`Self::partition_keys_moved`] says when they are not). The
    /// answer equals [`Self::summarize_index`]'s; its cost follows the
    /// changed assets, not the project.
    ///
    /// # Errors
    /// As [`Self::summarize_index`].
    pub fn summarize_index_changes(
        &self,
        previous: &ProjectSummary,
        index: &cairn_store::StateIndex,
        changed: &std::collections::BTreeSet<AssetKey>,
        observations: &[cairn_assets::observe::SourceObservation],
        now: DateTime<Utc>,
    ) -> Result<ProjectSummary, EngineError> {
        let graph = &self.project().graph;
        let mut dirty = std::collections::BTreeSet::new();
        for key in changed {
            if self.project().asset(key).is_some() && dirty.insert(key.clone()) {
                dirty.extend(graph.descendants(key, None));
            }
        }
        let mut scope = dirty.clone();
        for key in &dirty {
            scope.extend(graph.ancestors(key, None));
        }
        let specs: Vec<AssetSpec> =
            self.project().specs().iter().filter(|spec| scope.contains(&spec.key)).cloned().collect();
        let mut state = index.state().clone();
        cairn_assets::observe::apply_observations(&mut state, observations, now);
        let attempts = Attempts { failed: index.failed(), running: index.running() };
        let checks = dirty.iter().flat_map(|key| index.check_results_of(key));
        let partial = self.summarize_project(&specs, &state, now, index.cursor(), attempts, checks)?;
        let mut assets = previous.assets.clone();
        for (key, summary) in partial.assets {
            if dirty.contains(&key) {
                assets.insert(key, summary);
            }
        }
        Ok(ProjectSummary { at: now, seq: index.cursor(), assets })
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
    /// assets among them) from `state`.
    pub(crate) fn summarize_project<'c>(
        &self,
        specs: &[AssetSpec],
        state: &StoredState,
        now: DateTime<Utc>,
        seq: i64,
        attempts: Attempts<'_>,
        checks: impl Iterator<Item = &'c cairn_store::CheckResult>,
    ) -> Result<ProjectSummary, EngineError> {
        let Attempts { failed, running } = attempts;
        let mut failing_checks: HashMap<AssetKey, FailingChecks> = HashMap::new();
        // Only the checks still defined count.
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
        let staleness = Staleness::new(specs, state, now).map_err(|e| EngineError::RunState(e.to_string()))?;
        let statuses = staleness.all_statuses();
        // Running and failed partitions by asset: most assets have none,
        // and then no partition of theirs is looked up.
        let (running, failed) = (by_asset(running), by_asset(failed));
        let mut assets = HashMap::with_capacity(specs.len());
        for (position, spec) in specs.iter().enumerate() {
            // One list per partitions definition, shared by its assets.
            let keys: Arc<Vec<PartitionKey>> =
                staleness.partition_index(position).map_or_else(Arc::default, |index| index.shared_keys());
            let row = &statuses[position];
            let mut stats = PartitionStats { total: row.len(), ..PartitionStats::default() };
            let mut states = Vec::with_capacity(row.len());
            let materialized_at: Vec<Option<DateTime<Utc>>> = (0..row.len())
                .map(|slot| state.materialization(&spec.key, keys.get(slot)).map(|r| r.materialized_at))
                .collect();
            let (running, failed) = (running.get(&spec.key), failed.get(&spec.key));
            for (slot, status) in row.iter().enumerate() {
                let partition = keys.get(slot);
                let state = if running.is_some_and(|partitions| partitions.contains(&partition)) {
                    PartitionState::Materializing
                } else if failed.is_some_and(|partitions| partitions.contains(&partition)) {
                    PartitionState::Failed
                } else {
                    match status {
                        StaleStatus::Missing => PartitionState::Missing,
                        StaleStatus::Stale(_) => PartitionState::Stale,
                        StaleStatus::Fresh => PartitionState::Materialized,
                    }
                };
                match state {
                    PartitionState::Materializing => stats.materializing += 1,
                    PartitionState::Failed => stats.failed += 1,
                    PartitionState::Missing => stats.missing += 1,
                    PartitionState::Stale => stats.stale += 1,
                    PartitionState::Materialized => {}
                }
                if !matches!(status, StaleStatus::Missing) {
                    stats.materialized += 1;
                }
                states.push(state);
            }
            let causes = StaleCauseGroup::group(row.iter().filter_map(|status| match status {
                StaleStatus::Stale(causes) => Some(causes.as_slice()),
                _ => None,
            }));
            let fresh = row.iter().filter(|s| matches!(s, StaleStatus::Fresh)).count();
            let missing = row.iter().filter(|s| matches!(s, StaleStatus::Missing)).count();
            let stale = row.len() - fresh - missing;
            let staleness =
                crate::status::PartitionCounts { total: row.len(), materialized: fresh + stale, fresh, stale, missing };
            let stale_status = if stale > 0 {
                StaleStatusKind::Stale
            } else if missing > 0 {
                StaleStatusKind::Missing
            } else {
                StaleStatusKind::Fresh
            };
            let last_updated = if spec.is_materializable() {
                state.materializations_of(&spec.key).map(|(_, r)| r.materialized_at).max()
            } else {
                state.observation(&spec.key).map(|o| o.observed_at)
            };
            assets.insert(
                spec.key.clone(),
                Arc::new(AssetSummary {
                    stale_status,
                    causes,
                    keys,
                    states,
                    stats,
                    staleness,
                    last_updated,
                    failing_checks: failing_checks.get(&spec.key).copied().unwrap_or_default(),
                    materialized_at,
                }),
            );
        }
        Ok(ProjectSummary { at: now, seq, assets })
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
