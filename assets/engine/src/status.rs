//! Each asset's state, summarised over its partitions: fresh, stale (with
//! causes) or missing, partition counts, the latest result of each check,
//! and where each partition's current data is. What `cairn status` and the
//! API show.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use cairn_core::partitions::PartitionKey;
use cairn_core::planner::PlanReason;
use cairn_core::{AssetKey, AssetKind};
use cairn_store::{CheckResult, CheckSeverity};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::EngineError;
use crate::instance::{Instance, Snapshot};

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
    /// The causes of staleness over all partitions.
    pub causes: Vec<PlanReason>,
    /// Latest materialization (or observation, for a source), UTC.
    pub last_updated: Option<DateTime<Utc>>,
    /// The latest result of each check the asset defines, over its partitions.
    pub checks: Vec<CheckSummary>,
    /// The current data file of each materialized partition (absolute
    /// paths), where a reader outside Cairn finds the asset's data.
    pub files: Vec<PartitionFile>,
    /// Its freshness policy evaluated at the snapshot's time (absent
    /// without `freshness:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness: Option<crate::summary::AssetFreshness>,
}

/// Partition counts of a partitioned asset.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize)]
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

impl Instance {
    /// The state of each selected asset in `snapshot`, in topological
    /// order, with its freshness evaluated at the snapshot's time: one
    /// staleness pass ([`Instance::summarize_state`]), the latest check
    /// results and the current files.
    ///
    /// # Errors
    /// [`EngineError::Store`] if the state cannot be read.
    pub async fn status(
        &self,
        snapshot: &Snapshot,
        selected: &BTreeSet<AssetKey>,
    ) -> Result<Vec<AssetStatus>, EngineError> {
        let project = self.project();
        let summary = self.summarize_state(snapshot).await?;
        let checks = self.store().latest_check_results().await?;
        // Only checks the asset still defines: a removed check's old results
        // say nothing about the data any more.
        let mut checks_by_asset: BTreeMap<&AssetKey, Vec<&CheckResult>> = BTreeMap::new();
        for result in &checks {
            let defined = project
                .asset(&result.asset)
                .is_some_and(|asset| asset.checks.iter().any(|check| check.name == result.check_name));
            if defined {
                checks_by_asset.entry(&result.asset).or_default().push(result);
            }
        }
        let mut rows = Vec::new();
        for spec in project.specs() {
            if !selected.contains(&spec.key) {
                continue;
            }
            let Some(asset) = summary.assets.get(&spec.key) else { continue };
            let mut files: Vec<PartitionFile> = snapshot
                .state
                .materializations_of(&spec.key)
                .map(|(partition, record)| PartitionFile {
                    partition: partition.cloned(),
                    path: project.settings.data_dir.join(&record.path),
                })
                .collect();
            files.sort_by(|a, b| a.partition.cmp(&b.partition));
            rows.push(AssetStatus {
                asset: spec.key.clone(),
                kind: spec.kind,
                state: asset.stale_status,
                partitions: spec.partitions.as_ref().map(|_| asset.staleness),
                causes: asset.causes.clone(),
                last_updated: asset.last_updated,
                checks: summarize_checks(checks_by_asset.get(&spec.key).map(Vec::as_slice).unwrap_or(&[])),
                files,
                freshness: self.asset_freshness(&spec.key, asset, snapshot.now),
            });
        }
        Ok(rows)
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
