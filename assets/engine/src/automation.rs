//! Declarative automation in the engine: one tick evaluates every asset's
//! `automation:` condition ([`cairn_core::automation`]) against the state
//! summary of the asset-state index, requests one run of the asset
//! partitions it chose, and records the tick with each asset's evaluation
//! and cursor in the store, so a restart neither repeats nor skips a
//! request.
//!
//! ```text
//!  ProjectSummary + StateIndex ──▶ facts per asset partition (SummaryState)
//!  stored cursors, unfinished runs ─┐        │
//!                                   ▼        ▼
//!                      cairn_core::automation::evaluate_tick (pure)
//!                                   │ requested asset partitions
//!                                   ▼
//!            one run (origin `automation`, exactly those partitions)
//!                                   │
//!                                   ▼
//!      store: tick + changed evaluations + changed cursors (one transaction)
//! ```
//!
//! An evaluation is stored when it differs from the asset's previous one
//! (or requested something): a tick where nothing changed writes one row,
//! the tick's own. Who ticks is elected through the store
//! ([`AUTOMATION_LEASE`]): with two servers on one database, one evaluates.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use cairn_assets::observe::SourceObservation;
use cairn_core::automation::{
    AssetEvaluation, AutomationCursor, AutomationPolicy, AutomationState, PartitionFacts, TickInput, evaluate_tick,
};
use cairn_core::partitions::PartitionKey;
use cairn_core::partitions::subset::ranges_of_positions;
use cairn_core::planner::{PartitionFilter, PlanMode};
use cairn_core::run::{PartitionRanges, PartitionScope};
use cairn_core::staleness::{StaleCause, StaleStatusKind};
use cairn_core::{AssetKey, AssetSpec};
use cairn_store::{
    AutomationEvaluationRecord, AutomationTickRecord, AutomationTickStatus, NewAutomationEvaluation, NewAutomationTick,
    RunFilter, RunId, RunOrigin, RunStatus, StateIndex,
};
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::instance::{Instance, Launch};
use crate::summary::{PartitionState, ProjectSummary};

/// The name of the lease (in the store) the automation evaluator holds:
/// exactly one process evaluates at a time.
pub const AUTOMATION_LEASE: &str = "automation";

/// Unfinished automation runs read per tick, at most.
const UNFINISHED_RUNS_LIMIT: u64 = 10_000;

/// What one [`Instance::automation_tick`] did.
#[derive(Debug, Clone)]
pub struct AutomationTickReport {
    /// The tick's id in the store; `None` when nothing was evaluated (no
    /// asset under automation, or automation paused).
    pub tick: Option<i64>,
    /// The run requested, if any.
    pub run: Option<RunId>,
    /// Every automated asset's evaluation.
    pub evaluations: Vec<AssetEvaluation>,
    /// Evaluations stored (changed since the asset's previous one).
    pub stored: usize,
}

impl AutomationTickReport {
    /// Asset partitions requested.
    pub fn requested(&self) -> usize {
        self.evaluations.iter().map(|e| e.requested.len()).sum()
    }
}

/// The cursor as stored: the core's, plus a fingerprint of the asset's
/// latest stored evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct StoredCursor {
    cursor: AutomationCursor,
    /// [`fingerprint`] of the latest stored evaluation.
    recorded: Option<String>,
}

/// A fingerprint of what an evaluation stores (std's `DefaultHasher`,
/// fixed keys, hex): an evaluation is stored again only when it changes.
/// Cheaper than serializing every evaluation at every tick. A Rust
/// release that changes the hasher makes each asset's next evaluation
/// stored once more; a collision (2^-64) would skip storing one changed
/// evaluation.
fn fingerprint(evaluation: &AssetEvaluation) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    evaluation.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The facts automation reads, from a summary and the index it was
/// computed from (data versions), with the sources as last observed.
pub struct SummaryState<'a> {
    specs: HashMap<&'a AssetKey, &'a AssetSpec>,
    summary: &'a ProjectSummary,
    index: &'a StateIndex,
    observations: HashMap<&'a AssetKey, &'a SourceObservation>,
}

impl<'a> SummaryState<'a> {
    /// The facts of `summary` (computed from `index` and `observations`).
    pub fn new(
        specs: &'a [AssetSpec],
        summary: &'a ProjectSummary,
        index: &'a StateIndex,
        observations: &'a [SourceObservation],
    ) -> Self {
        Self {
            specs: specs.iter().map(|spec| (&spec.key, spec)).collect(),
            summary,
            index,
            observations: observations.iter().map(|o| (&o.asset, o)).collect(),
        }
    }

    fn version(&self, asset: &AssetKey, partition: Option<&PartitionKey>) -> u64 {
        let text = match self.observations.get(asset) {
            Some(observation) => observation.result.as_ref().ok().map(|o| o.data_version.as_str()),
            None => self.index.state().materialization(asset, partition).map(|r| r.data_version.as_str()),
        };
        text.map_or(0, |text| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut hasher);
            hasher.finish().max(1)
        })
    }
}

impl AutomationState for SummaryState<'_> {
    fn facts(&self, asset: &AssetKey, partition: Option<&PartitionKey>) -> Option<PartitionFacts> {
        let spec = self.specs.get(asset)?;
        let summary = self.summary.assets.get(asset)?;
        let position = match (spec.partitions.as_ref(), partition) {
            (None, None) => 0,
            (Some(definition), Some(key)) => self.summary.partition_indexes.get(definition)?.position(key)?,
            _ => return None,
        };
        let state = *summary.states.get(position)?;
        let causes: &[StaleCause] = summary.stale_causes.get(&position).map_or(&[], Vec::as_slice);
        Some(PartitionFacts {
            status: summary.stale_kinds.get(position).copied().unwrap_or(StaleStatusKind::Missing),
            upstream_changed: causes.iter().any(|cause| {
                matches!(cause, StaleCause::UpstreamDataChanged { .. } | StaleCause::DependenciesChanged { .. })
            }),
            code_changed: causes.iter().any(|cause| matches!(cause, StaleCause::CodeVersionChanged { .. })),
            running: state == PartitionState::Materializing,
            failed: state == PartitionState::Failed,
            updated_at: summary.materialized_at.get(position).copied().flatten(),
            version: self.version(asset, partition),
        })
    }

    fn keys(&self, asset: &AssetKey) -> Option<&[PartitionKey]> {
        let definition = self.specs.get(asset)?.partitions.as_ref()?;
        Some(self.summary.partition_indexes.get(definition).map_or(&[][..], |index| index.keys()))
    }
}

impl Instance {
    /// The assets with `automation:`, by key.
    pub fn automation_policies(&self) -> BTreeMap<AssetKey, AutomationPolicy> {
        self.project().assets().filter_map(|asset| Some((asset.key().clone(), asset.automation.clone()?))).collect()
    }

    /// One automation tick at the instance's clock's `now` (see the module
    /// docs): evaluates the unpaused assets with `automation:` against
    /// `summary` (computed from `index`, with the sources as
    /// `observations` saw them), requests one run (origin `automation`) of
    /// exactly the asset partitions chosen, and records the tick as
    /// `owner`'s. The caller holds [`AUTOMATION_LEASE`].
    ///
    /// # Errors
    /// [`EngineError::Store`] if the store cannot be read or written;
    /// [`EngineError::Plan`] if the run cannot be planned (definitions
    /// changed under the summary). A tick that failed after the run was
    /// stored is recorded as `FAILURE` with its error when possible.
    pub async fn automation_tick(
        &self,
        summary: &ProjectSummary,
        index: &StateIndex,
        observations: &[SourceObservation],
        owner: &str,
    ) -> Result<AutomationTickReport, EngineError> {
        let started_at = self.clock().now();
        let timer = std::time::Instant::now();
        let pauses = self.store().automation_pauses().await?;
        let mut policies = self.automation_policies();
        if pauses.all {
            policies.clear();
        }
        policies.retain(|key, _| !pauses.assets.contains(key));
        if policies.is_empty() {
            return Ok(AutomationTickReport { tick: None, run: None, evaluations: Vec::new(), stored: 0 });
        }
        let stored: BTreeMap<AssetKey, StoredCursor> = self
            .store()
            .automation_cursors()
            .await?
            .into_iter()
            .map(|(asset, json)| {
                let cursor = serde_json::from_str(&json).unwrap_or_else(|error| {
                    tracing::warn!("automation cursor of `{asset}` unreadable ({error}); starting it again");
                    StoredCursor::default()
                });
                (asset, cursor)
            })
            .collect();
        let cursors: BTreeMap<AssetKey, AutomationCursor> =
            stored.iter().map(|(asset, stored)| (asset.clone(), stored.cursor.clone())).collect();
        let filter = RunFilter {
            statuses: Some(vec![RunStatus::Queued, RunStatus::Started, RunStatus::Canceling]),
            origin: Some(RunOrigin::Automation),
            ..RunFilter::default()
        };
        let unfinished: BTreeSet<i64> =
            self.store().runs(&filter, UNFINISHED_RUNS_LIMIT).await?.into_iter().map(|run| run.id.0).collect();
        let read_ms = timer.elapsed().as_secs_f64() * 1e3;
        let specs = self.project().specs();
        let state = SummaryState::new(specs, summary, index, observations);
        let now = started_at;
        let mut evaluations = evaluate_tick(&TickInput {
            specs,
            policies: &policies,
            state: &state,
            cursors: &cursors,
            unfinished_runs: &unfinished,
            now,
        });
        let evaluate_ms = timer.elapsed().as_secs_f64() * 1e3 - read_ms;
        let outcome = self.request_automation_run(&evaluations).await;
        let launch_ms = timer.elapsed().as_secs_f64() * 1e3 - read_ms - evaluate_ms;
        let (run, status, error) = match &outcome {
            Ok(run) => (*run, AutomationTickStatus::Success, None),
            Err(error) => (None, AutomationTickStatus::Failure, Some(error.to_string())),
        };
        let mut new_evaluations = Vec::new();
        let mut new_cursors = Vec::new();
        for evaluation in &mut evaluations {
            for memo in evaluation.cursor.requested.values_mut() {
                if memo.at == now && memo.run.is_none() {
                    match run {
                        Some(run) => memo.run = Some(run.0),
                        // Not stored: forget the request, so the next tick
                        // tries again.
                        None => memo.trigger.clear(),
                    }
                }
            }
            if run.is_none() {
                evaluation.cursor.requested.retain(|_, memo| !memo.trigger.is_empty());
            }
            let fingerprint = fingerprint(evaluation);
            let previous = stored.get(&evaluation.asset);
            let changed = previous.and_then(|p| p.recorded.as_deref()) != Some(fingerprint.as_str());
            if changed || !evaluation.requested.is_empty() {
                new_evaluations.push(NewAutomationEvaluation {
                    asset: evaluation.asset.clone(),
                    requested: evaluation.requested.len() as i64,
                    candidates: evaluation.candidates as i64,
                    result: serde_json::to_string(&evaluation).unwrap_or_default(),
                });
            }
            let cursor = StoredCursor { cursor: evaluation.cursor.clone(), recorded: Some(fingerprint) };
            if previous != Some(&cursor) {
                new_cursors.push((evaluation.asset.clone(), serde_json::to_string(&cursor).unwrap_or_default()));
            }
        }
        let stored_count = new_evaluations.len();
        let requested: usize = evaluations.iter().map(|e| e.requested.len()).sum();
        let tick = NewAutomationTick {
            owner: owner.to_owned(),
            started_at,
            finished_at: self.clock().now(),
            status,
            run_id: run,
            requested: if run.is_some() { requested as i64 } else { 0 },
            error,
            evaluations: new_evaluations,
            cursors: new_cursors,
        };
        let tick = self.store().record_automation_tick(&tick).await?;
        tracing::debug!(
            "automation tick {tick}: read {read_ms:.1} ms, evaluated {evaluate_ms:.1} ms, run requested {launch_ms:.1} ms, \
             recorded {:.1} ms",
            timer.elapsed().as_secs_f64() * 1e3 - read_ms - evaluate_ms - launch_ms
        );
        outcome?;
        Ok(AutomationTickReport { tick: Some(tick), run, evaluations, stored: stored_count })
    }

    /// Stores one run of the requested asset partitions of `evaluations`
    /// (every one materialized, fresh or not: automation decided), or
    /// `None` when nothing was requested.
    async fn request_automation_run(&self, evaluations: &[AssetEvaluation]) -> Result<Option<RunId>, EngineError> {
        let requested: Vec<&AssetEvaluation> = evaluations.iter().filter(|e| !e.requested.is_empty()).collect();
        if requested.is_empty() {
            return Ok(None);
        }
        let selection: BTreeSet<AssetKey> = requested.iter().map(|e| e.asset.clone()).collect();
        let mut groups = Vec::new();
        for evaluation in &requested {
            let Some(spec) = self.project().asset(&evaluation.asset).map(|a| &a.spec) else { continue };
            let Some(definition) = spec.partitions.as_deref() else { continue };
            let snapshot_keys = definition.keys(self.clock().now());
            let positions: HashMap<&PartitionKey, usize> =
                snapshot_keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
            let selected = evaluation.requested.iter().flatten().filter_map(|key| positions.get(key).copied());
            groups.push(PartitionRanges {
                definition: definition.describe(),
                assets: vec![evaluation.asset.clone()],
                ranges: ranges_of_positions(&snapshot_keys, selected),
            });
        }
        let snapshot = self.snapshot_of(&selection).await?;
        let scope = PartitionScope::Ranges { groups };
        let plan = self.plan(&snapshot, selection.clone(), PartitionFilter::Scope(scope.clone()), PlanMode::All)?;
        if plan.steps.is_empty() {
            return Ok(None);
        }
        let described: Vec<String> = requested
            .iter()
            .map(|e| {
                let keys: Vec<&str> = e.requested.iter().flatten().map(PartitionKey::as_str).collect();
                if keys.is_empty() { e.asset.to_string() } else { format!("{} [{}]", e.asset, keys.join(", ")) }
            })
            .collect();
        let launch = Launch {
            origin: RunOrigin::Automation,
            tags: BTreeMap::new(),
            selection_text: selection.iter().map(AssetKey::to_string).collect::<Vec<_>>().join(" "),
            partition_text: requested
                .iter()
                .any(|e| e.requested.iter().any(Option::is_some))
                .then(|| described.join("; ")),
            selection,
            partitions: PartitionFilter::Scope(scope),
            only_stale: false,
        };
        Ok(Some(self.launch(&snapshot, &plan, &launch).await?))
    }
}

/// What automation says of one asset ([`Instance::automation_why`]).
#[derive(Debug, Clone)]
pub struct AutomationWhy {
    /// The asset.
    pub asset: AssetKey,
    /// Its `automation:`, if any.
    pub policy: Option<AutomationPolicy>,
    /// Whether its automation is paused (itself, or every asset's).
    pub paused: bool,
    /// Its latest stored evaluation (the evaluation of every later tick
    /// was the same), with what the store says of it.
    pub latest: Option<(AutomationEvaluationRecord, AssetEvaluation)>,
    /// The latest tick of any asset, to say how recent `latest` is.
    pub latest_tick: Option<AutomationTickRecord>,
}

impl Instance {
    /// Why `asset` was or was not requested by automation: its latest
    /// stored evaluation (`cairn automation why`).
    ///
    /// # Errors
    /// [`EngineError::Selection`] for an unknown asset (naming the closest
    /// key); [`EngineError::Store`].
    pub async fn automation_why(&self, asset: &str) -> Result<AutomationWhy, EngineError> {
        let key = self.one_asset(asset)?;
        let policy = self.project().asset(&key).and_then(|a| a.automation.clone());
        let pauses = self.store().automation_pauses().await?;
        let latest = self.automation_evaluations(key.as_str(), 1).await?.into_iter().next();
        let latest_tick = self.store().automation_ticks(1).await?.into_iter().next();
        Ok(AutomationWhy {
            paused: pauses.all || pauses.assets.contains(&key),
            asset: key,
            policy,
            latest,
            latest_tick,
        })
    }

    /// Pauses (`paused = true`) or resumes automation of one asset (a key)
    /// or, with `None`, of every asset. A paused asset is not evaluated; on
    /// resume, only what its condition says then is requested (a cron tick
    /// missed while paused is the latest tick, handled once).
    ///
    /// # Errors
    /// [`EngineError::Selection`] for an unknown asset;
    /// [`EngineError::Store`].
    pub async fn set_automation_paused(&self, asset: Option<&str>, paused: bool) -> Result<(), EngineError> {
        let key = asset.map(|asset| self.one_asset(asset)).transpose()?;
        Ok(self.store().set_automation_paused(key.as_ref(), paused, self.clock().now()).await?)
    }

    /// The asset named `text` exactly, or the selection's error (with the
    /// closest key) for an unknown one.
    fn one_asset(&self, text: &str) -> Result<AssetKey, EngineError> {
        if let Ok(key) = AssetKey::new(text)
            && self.project().asset(&key).is_some()
        {
            return Ok(key);
        }
        let selected = self.select(&[text.to_owned()])?;
        match selected.into_iter().next() {
            Some(key) if key.as_str() == text => Ok(key),
            _ => Err(EngineError::RunState(format!("`{text}` is a selection, not one asset key"))),
        }
    }
}

impl Instance {
    /// The latest `limit` stored evaluations of `asset`, newest first, each
    /// with its record (tick, time, run). An evaluation is stored when it
    /// changed, so each holds until the next one.
    ///
    /// # Errors
    /// [`EngineError::Selection`] for an unknown asset;
    /// [`EngineError::Store`]; [`EngineError::RunState`] for a stored
    /// evaluation that cannot be read back.
    pub async fn automation_evaluations(
        &self,
        asset: &str,
        limit: u64,
    ) -> Result<Vec<(AutomationEvaluationRecord, AssetEvaluation)>, EngineError> {
        let key = self.one_asset(asset)?;
        let records = self.store().automation_evaluations(&key, limit).await?;
        records
            .into_iter()
            .map(|record| match serde_json::from_str::<AssetEvaluation>(&record.result) {
                Ok(evaluation) => Ok((record, evaluation)),
                Err(error) => Err(EngineError::RunState(format!(
                    "automation evaluation {} of `{key}` is unreadable: {error}",
                    record.id
                ))),
            })
            .collect()
    }
}
