//! Each asset's state, summarised over its partitions: fresh, stale (with
//! causes) or missing, partition counts, the latest result of each check,
//! its freshness and, when asked, where each partition's current data is.
//! What `cairn status` shows.
//!
//! # The asset status cache
//!
//! [`Instance::status`] keeps each asset's status in the store's asset
//! status cache (Dagster's `AssetStatusCacheValue`, advanced from a storage
//! cursor), with the event log's sequence number it is valid as of and a
//! fingerprint of what it was computed from: the asset's definition and
//! checks, the end of its partitions as of now and its latest complete
//! time window, a source's observed data version, and the fingerprints of
//! its upstream assets (so a change upstream reaches every downstream
//! asset). A cached status is used when its fingerprint matches and no
//! event after its sequence number materialized, wiped, checked or
//! observed the asset or one of its upstream assets. The others are
//! recomputed from the state of those assets and their upstream assets
//! only, and written back; what `cairn status` prints is the same either
//! way, only the cost differs (what changed, not the whole history).
//! Freshness is evaluated at each call from the cached latest update, as
//! it moves with time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use cairn_assets::observe::{SourceObservation, apply_observations, observe_sources};
use cairn_core::partitions::{PartitionKey, PartitionsDefinition};
use cairn_core::spec::AssetSpec;
use cairn_core::staleness::{StaleCauseGroup, StaleStatusKind};
use cairn_core::{AssetKey, AssetKind};
use cairn_store::{CheckResult, CheckSeverity, StatusCacheEntry, StatusCacheWrite, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::instance::{Instance, Warning, observation_warnings};

/// One asset's state.
#[derive(Debug, Clone, Serialize)]
pub struct AssetStatus {
    /// The asset.
    pub asset: AssetKey,
    /// `source`, `sql` or `command`.
    pub kind: AssetKind,
    /// `stale` if any partition is stale, else `missing` if any is
    /// missing, else `fresh`.
    pub state: cairn_core::staleness::StaleStatusKind,
    /// Partition counts, for partitioned assets.
    pub partitions: Option<PartitionCounts>,
    /// The causes of staleness over its partitions, grouped by kind and
    /// upstream asset, each with its count of partitions.
    pub causes: Vec<StaleCauseGroup>,
    /// Latest materialization (or observation, for a source), UTC.
    pub last_updated: Option<DateTime<Utc>>,
    /// The latest result of each check the asset defines, over its partitions.
    pub checks: Vec<CheckSummary>,
    /// The current data file of each materialized partition (absolute
    /// paths), where a reader outside Cairn finds the asset's data; only
    /// when asked ([`StatusOptions::files`]), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<PartitionFile>>,
    /// Its freshness policy evaluated at the call's time (absent
    /// without `freshness:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness: Option<crate::summary::AssetFreshness>,
}

/// Partition counts of a partitioned asset.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartitionCounts {
    /// Partitions as of now.
    pub total: usize,
    /// Partitions with data (fresh or stale).
    pub materialized: usize,
    /// Fresh partitions.
    pub fresh: usize,
    /// Stale partitions.
    pub stale: usize,
    /// Partitions never materialized.
    pub missing: usize,
}

/// The latest results of one check over an asset's partitions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckSummary {
    /// The check's name.
    pub name: String,
    /// Its severity.
    pub severity: CheckSeverity,
    /// Partitions where the latest result passed.
    pub passed: usize,
    /// Partitions where it failed.
    pub failed: usize,
    /// Violating rows over the failed partitions.
    pub violations: i64,
}

/// Where a partition's current data is.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionFile {
    /// The partition (`None` for an unpartitioned asset).
    pub partition: Option<PartitionKey>,
    /// The data file, absolute.
    pub path: PathBuf,
}

/// What [`Instance::status`] is asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusOptions {
    /// List the current data file of every materialized partition of the
    /// selected assets ([`AssetStatus::files`]): a read of their current
    /// materializations, proportional to their partitions.
    pub files: bool,
}

/// What [`Instance::status`] answers.
#[derive(Debug, Clone)]
pub struct StatusReport {
    /// Each selected asset, in topological order.
    pub assets: Vec<AssetStatus>,
    /// Sources that could not be observed.
    pub warnings: Vec<Warning>,
    /// The selected assets whose status was computed again (not in the
    /// asset status cache, or changed since), sorted.
    pub recomputed: BTreeSet<AssetKey>,
}

/// An asset's status as the asset status cache keeps it (JSON): what
/// [`AssetStatus`] shows, less what depends on the time of the call
/// (freshness) or is read only when asked (files).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct CachedStatus {
    state: StaleStatusKind,
    counts: PartitionCounts,
    causes: Vec<StaleCauseGroup>,
    last_updated: Option<DateTime<Utc>>,
    checks: Vec<CheckSummary>,
    /// For a time-partitioned asset: the latest complete window's key as
    /// of the computation, and when it was materialized (freshness of the
    /// latest partition).
    latest_partition: Option<(PartitionKey, Option<DateTime<Utc>>)>,
}

/// Changes when the cached value's shape or meaning changes: every
/// fingerprint changes with it, so old rows are recomputed.
const CACHE_FORMAT: &str = concat!("cairn status cache 1, cairn ", env!("CARGO_PKG_VERSION"));

/// Above this many assets to recompute, check results are read for the
/// whole project in one query rather than per asset.
const CHECKS_PER_ASSET_LIMIT: usize = 64;

impl Instance {
    /// The state of each asset of `selected`, in topological order, with
    /// its freshness evaluated now: observes every source, then answers
    /// from the asset status cache where nothing changed and computes the
    /// rest from the state of the changed assets and their upstream assets
    /// only (see the module docs), writing them back to the cache. A
    /// failed write to the cache is logged and changes nothing else.
    ///
    /// # Errors
    /// [`EngineError::Store`] if the state cannot be read;
    /// [`EngineError::RunState`] if the definitions and the state disagree.
    pub async fn status(
        &self,
        selected: &BTreeSet<AssetKey>,
        options: StatusOptions,
    ) -> Result<StatusReport, EngineError> {
        let observations = observe_sources(self.project()).await;
        let now = self.clock().now();
        // Read first: every event up to it is seen by what follows.
        let head = self.store().last_event_seq().await?;
        let fingerprints = self.status_fingerprints(&observations, now);
        let cached: BTreeMap<AssetKey, StatusCacheEntry> = self
            .store()
            .status_cache(Some(selected))
            .await?
            .into_iter()
            .map(|entry| (entry.asset.clone(), entry))
            .collect();
        // The latest event touching each asset or one of its upstream
        // assets after the oldest cached row (`None`: pruned, so unknown).
        let touched = match cached.values().map(|entry| entry.seq).min() {
            None => Some(HashMap::new()),
            Some(oldest) => match self.store().assets_changed_since(oldest).await {
                Ok(changed) => Some(self.latest_upstream_change(&changed)),
                Err(StoreError::CursorPruned { .. }) => None,
                Err(error) => return Err(error.into()),
            },
        };
        let mut values: BTreeMap<AssetKey, CachedStatus> = BTreeMap::new();
        let mut recomputed = BTreeSet::new();
        let mut writes = Vec::new();
        for key in selected {
            let valid = cached.get(key).filter(|entry| {
                Some(&entry.fingerprint) == fingerprints.get(key)
                    && touched.as_ref().is_some_and(|touched| touched.get(key).is_none_or(|&seq| seq <= entry.seq))
            });
            match valid.and_then(|entry| serde_json::from_str::<CachedStatus>(&entry.value).ok().map(|v| (entry, v))) {
                Some((entry, value)) => {
                    if entry.seq < head {
                        writes.push(StatusCacheWrite {
                            asset: key.clone(),
                            expected_seq: Some(entry.seq),
                            seq: head,
                            value: None,
                        });
                    }
                    values.insert(key.clone(), value);
                }
                None => {
                    recomputed.insert(key.clone());
                }
            }
        }
        if !recomputed.is_empty() {
            let (computed, changed_sources) = self.compute_statuses(&recomputed, &observations, now).await?;
            for (key, value) in computed {
                // A source seen changed but not yet recorded: its latest
                // update is now, at every call until it is recorded.
                if !changed_sources.contains(&key)
                    && let (Some(fingerprint), Ok(json)) = (fingerprints.get(&key), serde_json::to_string(&value))
                {
                    writes.push(StatusCacheWrite {
                        asset: key.clone(),
                        expected_seq: cached.get(&key).map(|entry| entry.seq),
                        seq: head,
                        value: Some((fingerprint.clone(), json)),
                    });
                }
                values.insert(key, value);
            }
        }
        if !writes.is_empty()
            && let Err(error) = self.store().write_status_cache(&writes).await
        {
            tracing::warn!("the asset status cache was not updated: {error}");
        }
        let files = if options.files { Some(self.store().load_state_of(selected).await?) } else { None };
        let mut assets = Vec::with_capacity(selected.len());
        for spec in self.project().specs() {
            let Some(value) = values.remove(&spec.key) else { continue };
            let files = files.as_ref().map(|state| {
                let mut files: Vec<PartitionFile> = state
                    .materializations_of(&spec.key)
                    .map(|(partition, record)| PartitionFile {
                        partition: partition.cloned(),
                        path: self.project().settings.data_dir.join(&record.path),
                    })
                    .collect();
                files.sort_by(|a, b| a.partition.cmp(&b.partition));
                files
            });
            let latest = value.latest_partition.clone();
            let freshness = self.freshness_with(&spec.key, value.last_updated, now, |key| {
                latest.as_ref().filter(|(latest, _)| latest == key).and_then(|(_, at)| *at)
            });
            assets.push(AssetStatus {
                asset: spec.key.clone(),
                kind: spec.kind,
                state: value.state,
                partitions: spec.partitions.as_ref().map(|_| value.counts),
                causes: value.causes,
                last_updated: value.last_updated,
                checks: value.checks,
                files,
                freshness,
            });
        }
        Ok(StatusReport { assets, warnings: observation_warnings(&observations), recomputed })
    }

    /// Each asset's status fingerprint (see the module docs), in
    /// topological order so each includes its upstream assets'.
    fn status_fingerprints(&self, observations: &[SourceObservation], now: DateTime<Utc>) -> HashMap<AssetKey, String> {
        let observed: HashMap<&AssetKey, String> = observations
            .iter()
            .map(|observation| {
                let seen = match &observation.result {
                    Ok(observed) => format!("observed {}", observed.data_version),
                    Err(error) => format!("unavailable: {error}"),
                };
                (&observation.asset, seen)
            })
            .collect();
        let mut fingerprints: HashMap<AssetKey, String> = HashMap::with_capacity(self.project().specs().len());
        for spec in self.project().specs() {
            let mut hasher = blake3::Hasher::new();
            hasher.update(CACHE_FORMAT.as_bytes());
            hasher.update(format!("{spec:?}").as_bytes());
            if let Some(asset) = self.project().asset(&spec.key) {
                hasher.update(format!("{:?}", asset.checks).as_bytes());
            }
            if let Some(definition) = spec.partitions.as_deref() {
                hasher.update(format!("{:?}", definition.keys_end(now)).as_bytes());
                if let PartitionsDefinition::TimeWindow(windows) = definition {
                    let latest = windows.last_complete_window(now).map(|(key, _)| key);
                    hasher.update(format!("{latest:?}").as_bytes());
                }
            }
            if let Some(seen) = observed.get(&spec.key) {
                hasher.update(seen.as_bytes());
            }
            for dep in &spec.deps {
                if let Some(upstream) = fingerprints.get(&dep.key) {
                    hasher.update(upstream.as_bytes());
                }
            }
            fingerprints.insert(spec.key.clone(), hasher.finalize().to_hex().to_string());
        }
        fingerprints
    }

    /// For each asset, the latest of `changed` (event sequence numbers by
    /// asset) over the asset and all its upstream assets.
    fn latest_upstream_change(&self, changed: &BTreeMap<AssetKey, i64>) -> HashMap<AssetKey, i64> {
        let mut latest: HashMap<AssetKey, i64> = HashMap::new();
        for spec in self.project().specs() {
            let own = changed.get(&spec.key).copied();
            let upstream = spec.deps.iter().filter_map(|dep| latest.get(&dep.key).copied());
            if let Some(seq) = own.into_iter().chain(upstream).max() {
                latest.insert(spec.key.clone(), seq);
            }
        }
        latest
    }

    /// The status of each of `assets` from the store's state of them and
    /// their upstream assets, with the sources as `observations` saw them;
    /// and the sources seen changed (not yet recorded).
    async fn compute_statuses(
        &self,
        assets: &BTreeSet<AssetKey>,
        observations: &[SourceObservation],
        now: DateTime<Utc>,
    ) -> Result<(BTreeMap<AssetKey, CachedStatus>, Vec<AssetKey>), EngineError> {
        let project = self.project();
        let mut scope = assets.clone();
        for key in assets {
            scope.extend(project.graph.ancestors(key, None));
        }
        let mut state = self.store().load_state_of(&scope).await?;
        let changed_sources = apply_observations(&mut state, observations, now);
        let checks: Vec<CheckResult> = if assets.len() > CHECKS_PER_ASSET_LIMIT {
            let mut all = self.store().latest_check_results().await?;
            all.retain(|result| assets.contains(&result.asset));
            all
        } else {
            let mut results = Vec::new();
            for key in assets {
                results.extend(self.store().latest_check_results_of(key).await?);
            }
            results
        };
        let specs: Vec<AssetSpec> = project.specs().iter().filter(|spec| scope.contains(&spec.key)).cloned().collect();
        let instance = self.clone();
        let assets = assets.clone();
        let statuses = tokio::task::spawn_blocking(move || {
            let none = std::collections::HashSet::new();
            let attempts = crate::summary::Attempts { failed: &none, running: &none };
            let summary = instance.summarize_project(
                &specs,
                &state,
                now,
                0,
                attempts,
                std::iter::empty(),
                &cairn_core::staleness::PartitionIndexes::new(),
            )?;
            let mut checks_by_asset: BTreeMap<&AssetKey, Vec<&CheckResult>> = BTreeMap::new();
            for result in &checks {
                // Only checks the asset still defines: a removed check's
                // old results say nothing about the data any more.
                let defined = instance
                    .project()
                    .asset(&result.asset)
                    .is_some_and(|asset| asset.checks.iter().any(|check| check.name == result.check_name));
                if defined {
                    checks_by_asset.entry(&result.asset).or_default().push(result);
                }
            }
            let mut statuses = BTreeMap::new();
            for key in &assets {
                let Some(asset) = summary.assets.get(key) else { continue };
                let latest_partition = match instance.project().asset(key).and_then(|a| a.spec.partitions.clone()) {
                    Some(definition) => match definition.as_ref() {
                        PartitionsDefinition::TimeWindow(windows) => {
                            windows.last_complete_window(now).map(|(latest, _)| {
                                let at = state.materialization(key, Some(&latest)).map(|record| record.materialized_at);
                                (latest, at)
                            })
                        }
                        PartitionsDefinition::Static(_) => None,
                    },
                    None => None,
                };
                let value = CachedStatus {
                    state: asset.stale_status,
                    counts: asset.staleness,
                    causes: asset.causes.clone(),
                    last_updated: asset.last_updated,
                    checks: summarize_checks(checks_by_asset.get(key).map(Vec::as_slice).unwrap_or(&[])),
                    latest_partition,
                };
                statuses.insert(key.clone(), value);
            }
            Ok::<_, EngineError>(statuses)
        })
        .await
        .map_err(|e| EngineError::RunState(format!("computing the status stopped: {e}")))??;
        Ok((statuses, changed_sources))
    }
}

fn summarize_checks(results: &[&CheckResult]) -> Vec<CheckSummary> {
    let mut by_name: BTreeMap<&str, CheckSummary> = BTreeMap::new();
    for result in results {
        let entry = by_name.entry(result.check_name.as_str()).or_insert_with(|| CheckSummary {
            name: result.check_name.clone(),
            severity: result.severity,
            passed: 0,
            failed: 0,
            violations: 0,
        });
        if result.passed {
            entry.passed += 1;
        } else {
            entry.failed += 1;
            entry.violations += result.violations;
        }
    }
    by_name.into_values().collect()
}
