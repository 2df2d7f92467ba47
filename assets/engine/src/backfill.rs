//! Backfills: materializing a selection over a partition subset, as
//! Dagster's asset backfills.
//!
//! A backfill request is checked and stored at once (`REQUESTED`): that
//! is all `launchBackfill` and `cairn backfill --detach` wait for. A
//! backfill daemon (in `cairn serve`, `cairn worker` and `cairn backfill`)
//! then plans it from the state of the moment and stores its run, tagged
//! with the backfill's id (origin `backfill:<id>`), in one transaction that
//! happens exactly once even with several daemons. The run's steps are in
//! dependency order across assets (a downstream partition waits for the
//! upstream partitions it reads), executed by any executor, at most
//! `concurrency` at a time per executor. When the run ends, the backfill
//! ends with it (`COMPLETED`, `FAILED` or `CANCELED`), in the same
//! transaction. A server killed at any moment loses nothing: a backfill
//! without a run is planned again by the next daemon, and a run goes on
//! where its steps are.
//!
//! Which partitions of the target are planned:
//! * by default every one, fresh or not (reason `requested`);
//! * `only_missing_or_failed`: those never materialized and those whose
//!   latest attempt failed;
//! * `only_stale`: those missing or stale (what `cairn materialize` plans).
//!
//! The two filters are exclusive: a request with both is refused
//! ([`BackfillRequestError::ConflictingFilters`]), whether it comes from
//! the CLI or the API.
//!
//! Targeted partitions whose upstream data is missing and not in the
//! backfill cannot be planned; they are counted as `blocked`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use cairn_core::AssetKey;
use cairn_core::partitions::KeyRange;
use cairn_core::partitions::subset::{counted_ranges_of_positions, counted_runs_of};
use cairn_core::planner::{PartitionFilter, Plan, PlanMode};
use cairn_core::run::{BackfillId, RunTarget};
use cairn_core::state::AssetPartition;
use cairn_store::{
    BackfillRecord, BackfillStatus, BackfillTransition, NewBackfill, NewRun, RunOrigin, SkipReason, StepState,
    StepStatus,
};
use serde::Serialize;

use crate::error::EngineError;
use crate::instance::{Instance, Snapshot};

/// Which partitions a backfill targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionSubset {
    /// Every partition of the selected assets.
    All,
    /// The keys (or times) from `start` to `end`, both included; for time
    /// windows, every window overlapping that span.
    Range {
        /// First key or time.
        start: String,
        /// Last key or time.
        end: String,
    },
    /// These keys (or, for time windows, the windows containing these times).
    Keys(Vec<String>),
}

impl PartitionSubset {
    /// The planner's filter for this subset.
    pub fn filter(&self) -> PartitionFilter {
        match self {
            Self::All => PartitionFilter::All,
            Self::Range { start, end } => PartitionFilter::Range { from: start.clone(), to: end.clone() },
            Self::Keys(keys) => PartitionFilter::Keys(keys.clone()),
        }
    }

    /// `all`, `2013-01-01..2013-01-07` or `2013-01-01, 2013-01-05`.
    pub fn describe(&self) -> String {
        match self {
            Self::All => "all".to_owned(),
            Self::Range { start, end } => format!("{start}..{end}"),
            Self::Keys(keys) => keys.join(", "),
        }
    }
}

/// A backfill to request.
#[derive(Debug, Clone)]
pub struct BackfillRequest {
    /// Selection terms (`+key`, `key+`, `raw/*`).
    pub selection: String,
    /// Which partitions.
    pub partitions: PartitionSubset,
    /// Only partitions never materialized or whose latest attempt failed.
    pub only_missing_or_failed: bool,
    /// Only partitions missing or stale.
    pub only_stale: bool,
    /// Tags, copied to its runs.
    pub tags: BTreeMap<String, String>,
}

/// Why a backfill request is refused before anything is planned or stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackfillRequestError {
    /// Both `only_missing_or_failed` and `only_stale`: each names the
    /// partitions to keep, and they disagree (a stale partition that
    /// succeeded is in one and not the other).
    #[error(
        "a backfill takes one partition filter, not both: only missing or failed partitions, \
         or only missing or stale ones"
    )]
    ConflictingFilters,
}

impl BackfillRequest {
    /// Checks the request's options against each other.
    ///
    /// # Errors
    /// [`BackfillRequestError::ConflictingFilters`].
    pub fn check(&self) -> Result<(), BackfillRequestError> {
        if self.only_missing_or_failed && self.only_stale {
            return Err(BackfillRequestError::ConflictingFilters);
        }
        Ok(())
    }
}

/// What a backfill would materialize (or did plan).
#[derive(Debug, Clone, Serialize)]
pub struct BackfillPlan {
    /// Asset partitions to materialize.
    pub total: usize,
    /// Per asset, in the order they run.
    pub assets: Vec<PlannedAsset>,
    /// Targeted partitions that cannot be planned (upstream data missing).
    pub blocked: usize,
}

/// One asset of a [`BackfillPlan`].
#[derive(Debug, Clone, Serialize)]
pub struct PlannedAsset {
    /// The asset.
    pub asset: AssetKey,
    /// Its partitions to materialize.
    pub count: usize,
    /// Those partitions as ranges of consecutive keys, with their sizes.
    pub ranges: Vec<(KeyRange, usize)>,
    /// Distinct reasons (`missing`, `requested`, `code_version_changed`...).
    pub reasons: Vec<&'static str>,
}

/// Step counts of a backfill, or of one of its assets.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct BackfillCounts {
    /// Asset partitions in its run.
    pub targeted: usize,
    /// Waiting to run.
    pub queued: usize,
    /// Running now.
    pub in_progress: usize,
    /// Materialized.
    pub materialized: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped because an upstream partition failed.
    pub skipped: usize,
    /// Skipped because already fresh (materialized by another run meanwhile,
    /// or its upstream came out unchanged).
    pub up_to_date: usize,
    /// Canceled.
    pub canceled: usize,
}

impl BackfillCounts {
    fn add(&mut self, state: &StepState) {
        self.add_steps(state.status, state.skip_reason.as_ref(), 1);
    }

    /// Counts `steps` steps of `status` (skipped for `skip`).
    fn add_steps(&mut self, status: StepStatus, skip: Option<&SkipReason>, steps: usize) {
        self.targeted += steps;
        let count = match status {
            StepStatus::Queued => &mut self.queued,
            StepStatus::Running => &mut self.in_progress,
            StepStatus::Materialized => &mut self.materialized,
            StepStatus::Failed => &mut self.failed,
            StepStatus::Canceled => &mut self.canceled,
            StepStatus::Skipped => match skip {
                Some(SkipReason::UpstreamFailed { .. }) => &mut self.skipped,
                _ => &mut self.up_to_date,
            },
        };
        *count += steps;
    }
}

/// A backfill's progress, from its run's steps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BackfillProgress {
    /// Over all its assets.
    pub counts: BackfillCounts,
    /// Per asset, in run order.
    pub assets: Vec<AssetProgress>,
}

/// One asset's progress in a backfill.
#[derive(Debug, Clone, Serialize)]
pub struct AssetProgress {
    /// The asset.
    pub asset: AssetKey,
    /// Its counts.
    pub counts: BackfillCounts,
    /// Its targeted partitions in key order, as ranges sharing a step
    /// status (an unpartitioned asset: one range with empty keys), with
    /// their sizes.
    pub ranges: Vec<(KeyRange, StepStatus, usize)>,
}

/// What retrying a backfill did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// A new backfill of what failed or did not run.
    Requested(BackfillId),
    /// Nothing to retry; the reason.
    Nothing(String),
}

impl Instance {
    /// Checks a backfill request and stores it (`REQUESTED`); a backfill
    /// daemon plans and launches it. Fast: no source is read and nothing
    /// is planned yet.
    ///
    /// # Errors
    /// [`EngineError::Backfill`] for conflicting filters;
    /// [`EngineError::Selection`] for an unknown asset (with the closest
    /// name); [`EngineError::NotMaterializable`] for a selection of sources
    /// only; [`EngineError::Plan`] for
    /// partitions outside the definitions, a reversed range, a key that is
    /// not one; [`EngineError::Store`].
    pub async fn request_backfill(&self, request: &BackfillRequest) -> Result<BackfillId, EngineError> {
        let (target, _) = self.backfill_target(request)?;
        let backfill = NewBackfill {
            project: self.project().settings.name.clone(),
            selection: request.selection.clone(),
            partitions_text: request.partitions.describe(),
            target,
            only_missing_or_failed: request.only_missing_or_failed,
            only_stale: request.only_stale,
            tags: request.tags.clone(),
            retry_of: None,
            created_at: self.clock().now(),
        };
        Ok(self.store().create_backfill(&backfill).await?)
    }

    /// What a backfill of `request` would materialize now, without storing
    /// anything.
    ///
    /// # Errors
    /// As [`Self::request_backfill`].
    pub async fn preview_backfill(&self, request: &BackfillRequest) -> Result<BackfillPlan, EngineError> {
        let (target, mode) = self.backfill_target(request)?;
        let snapshot = self.snapshot_of(&target.assets.iter().cloned().collect()).await?;
        let plan = self.plan_backfill(&snapshot, &target, &mode, request.only_missing_or_failed).await?;
        Ok(self.summarize(&plan, snapshot.now))
    }

    /// Resolves and checks a request: the run target and the plan mode.
    fn backfill_target(&self, request: &BackfillRequest) -> Result<(RunTarget, PlanMode), EngineError> {
        request.check()?;
        let terms: Vec<String> = request.selection.split_whitespace().map(str::to_owned).collect();
        let selection = self.select(&terms)?;
        let materializable: BTreeSet<AssetKey> = selection
            .into_iter()
            .filter(|key| self.project().graph.spec(key).is_some_and(|spec| spec.is_materializable()))
            .collect();
        if materializable.is_empty() {
            return Err(EngineError::NotMaterializable(format!(
                "`{}` selects no asset Cairn materializes (sources are only observed)",
                request.selection
            )));
        }
        let filter = request.partitions.filter();
        // The planner says what is wrong with a filter that selects nothing
        // (without planning: the plan is made once, at preview or launch).
        cairn_core::planner::check_filter(self.project().specs(), &materializable, &filter, self.clock().now())?;
        let partitions = self.scope(&materializable, &filter, self.clock().now());
        let mode = match (request.only_missing_or_failed, request.only_stale) {
            (true, _) => PlanMode::MissingOrFailed { failed: HashSet::new() },
            (false, true) => PlanMode::MissingOrStale,
            (false, false) => PlanMode::All,
        };
        Ok((
            RunTarget { assets: materializable.into_iter().collect(), partitions, only_stale: mode != PlanMode::All },
            mode,
        ))
    }

    async fn plan_backfill(
        &self,
        snapshot: &Snapshot,
        target: &RunTarget,
        mode: &PlanMode,
        only_missing_or_failed: bool,
    ) -> Result<Plan, EngineError> {
        let mode = if only_missing_or_failed {
            let (failed, _) = self.store().attempt_states().await?;
            PlanMode::MissingOrFailed { failed: failed.into_iter().collect() }
        } else {
            mode.clone()
        };
        let selection: BTreeSet<AssetKey> = target.assets.iter().cloned().collect();
        self.plan(snapshot, selection, PartitionFilter::Scope(target.partitions.clone()), mode)
    }

    /// Plans and stores the run of every requested backfill of the project
    /// that has none yet (the backfill daemon's work). Returns how many
    /// runs it stored. A backfill that can no longer be planned (its
    /// assets were removed) ends `FAILED` with the reason.
    ///
    /// # Errors
    /// [`EngineError::Store`] when the store fails.
    pub async fn launch_requested_backfills(&self) -> Result<usize, EngineError> {
        let requested = self.store().backfills_to_launch(&self.project().settings.name).await?;
        if requested.is_empty() {
            return Ok(0);
        }
        // The state of what the backfills target (and its upstream), not
        // of the whole project.
        let targeted: BTreeSet<AssetKey> = requested
            .iter()
            .flat_map(|backfill| backfill.target.assets.iter())
            .filter(|asset| self.project().asset(asset).is_some())
            .cloned()
            .collect();
        let snapshot = self.snapshot_of(&targeted).await?;
        let mut launched = 0;
        for backfill in requested {
            match self.plan_stored_backfill(&snapshot, &backfill).await {
                Ok(plan) => {
                    let run = self.backfill_run(&snapshot, &backfill, &plan);
                    let blocked = plan.blocked.len() as i64;
                    if self.store().launch_backfill_run(backfill.id, &run, blocked).await?.is_some() {
                        launched += 1;
                    }
                }
                Err(error @ (EngineError::Store(_) | EngineError::Io(_))) => return Err(error),
                Err(error) => self.store().fail_backfill(backfill.id, &error.to_string(), self.clock().now()).await?,
            }
        }
        Ok(launched)
    }

    async fn plan_stored_backfill(&self, snapshot: &Snapshot, backfill: &BackfillRecord) -> Result<Plan, EngineError> {
        for asset in &backfill.target.assets {
            if self.project().asset(asset).is_none() {
                return Err(EngineError::NotMaterializable(format!(
                    "asset `{asset}` is no longer defined in the project"
                )));
            }
        }
        let mode = match (backfill.only_missing_or_failed, backfill.only_stale) {
            (true, _) => PlanMode::MissingOrFailed { failed: HashSet::new() },
            (false, true) => PlanMode::MissingOrStale,
            (false, false) => PlanMode::All,
        };
        self.plan_backfill(snapshot, &backfill.target, &mode, backfill.only_missing_or_failed).await
    }

    fn backfill_run(&self, snapshot: &Snapshot, backfill: &BackfillRecord, plan: &Plan) -> NewRun {
        let mut tags = backfill.tags.clone();
        tags.insert("backfill".to_owned(), backfill.id.to_string());
        NewRun {
            project: backfill.project.clone(),
            origin: RunOrigin::Backfill(backfill.id.0),
            tags,
            selection: backfill.selection.clone(),
            partition_filter: Some(backfill.partitions_text.clone()),
            target: backfill.target.clone(),
            steps: crate::instance::new_steps(plan),
            created_at: snapshot.now.max(self.clock().now()),
        }
    }

    /// Requests the cancellation of a backfill: nothing more is launched,
    /// and its run is canceled (running steps stop). Idempotent.
    ///
    /// # Errors
    /// [`EngineError::UnknownBackfill`] for an unknown backfill; [`EngineError::Store`].
    pub async fn cancel_backfill(&self, id: BackfillId) -> Result<BackfillTransition, EngineError> {
        let (transition, run) = match self.store().cancel_backfill(id, self.clock().now()).await {
            Err(cairn_store::StoreError::NotFound(_)) => {
                return Err(EngineError::UnknownBackfill(id));
            }
            other => other?,
        };
        if let Some(run) = run {
            self.cancel_run(run).await?;
        }
        Ok(transition)
    }

    /// Requests a new backfill of what failed or did not run in backfill
    /// `id` (its failed, skipped-after-a-failure, canceled and never-run
    /// partitions), every one of them materialized. A completed backfill, or
    /// one still running, has nothing to retry: the answer says so.
    ///
    /// # Errors
    /// [`EngineError::UnknownBackfill`] for an unknown backfill; [`EngineError::Store`].
    pub async fn retry_backfill(&self, id: BackfillId) -> Result<Retry, EngineError> {
        let backfill = self.store().backfill(id).await?.ok_or(EngineError::UnknownBackfill(id))?;
        match backfill.status {
            BackfillStatus::Completed => {
                return Ok(Retry::Nothing(format!("backfill {id} completed: nothing failed, nothing to retry")));
            }
            BackfillStatus::Requested | BackfillStatus::Canceling => {
                return Ok(Retry::Nothing(format!(
                    "backfill {id} is still {}; retry it once it has ended",
                    backfill.status
                )));
            }
            BackfillStatus::Failed | BackfillStatus::Canceled => {}
        }
        let states = match backfill.run_id {
            Some(run) => self.store().step_statuses(run).await?,
            None => Vec::new(),
        };
        let (target, text) = if states.is_empty() {
            // Never launched (canceled first, or could not be planned): all of it.
            (backfill.target.clone(), backfill.partitions_text.clone())
        } else {
            let undone: Vec<&AssetPartition> = states
                .iter()
                .filter(|s| {
                    matches!(s.status, StepStatus::Failed | StepStatus::Canceled | StepStatus::Queued)
                        || matches!(s.skip_reason, Some(SkipReason::UpstreamFailed { .. }))
                })
                .map(|s| &s.target)
                .collect();
            if undone.is_empty() {
                return Ok(Retry::Nothing(format!("every partition of backfill {id} materialized: nothing to retry")));
            }
            (self.target_of(&undone), format!("{} asset partition(s) of {id}", undone.len()))
        };
        let retry = NewBackfill {
            project: backfill.project.clone(),
            selection: backfill.selection.clone(),
            partitions_text: text,
            target,
            only_missing_or_failed: false,
            only_stale: false,
            tags: backfill.tags.clone(),
            retry_of: Some(id),
            created_at: self.clock().now(),
        };
        Ok(Retry::Requested(self.store().create_backfill(&retry).await?))
    }

    /// A run target of exactly these asset partitions (per asset, its keys
    /// as ranges of its own definition).
    fn target_of(&self, targets: &[&AssetPartition]) -> RunTarget {
        let mut by_asset: BTreeMap<&AssetKey, Vec<&cairn_core::partitions::PartitionKey>> = BTreeMap::new();
        for target in targets {
            let keys = by_asset.entry(&target.asset).or_default();
            keys.extend(target.partition.as_ref());
        }
        let now = self.clock().now();
        let mut groups = Vec::new();
        for (asset, keys) in &by_asset {
            let Some(definition) = self.project().graph.spec(asset).and_then(|s| s.partitions.clone()) else {
                continue;
            };
            let all = definition.keys(now);
            let wanted: HashSet<&str> = keys.iter().map(|k| k.as_str()).collect();
            let positions = all.iter().enumerate().filter(|(_, k)| wanted.contains(k.as_str())).map(|(i, _)| i);
            groups.push(cairn_core::run::PartitionRanges {
                definition: definition.describe(),
                assets: vec![(*asset).clone()],
                ranges: cairn_core::partitions::subset::ranges_of_positions(&all, positions),
            });
        }
        RunTarget {
            assets: by_asset.keys().map(|k| (*k).clone()).collect(),
            partitions: cairn_core::run::PartitionScope::Ranges { groups },
            only_stale: false,
        }
    }

    /// A backfill's counts, from one grouped read of its run's steps
    /// (all zero when its run is not launched yet); equal to
    /// [`Self::backfill_progress`]'s `counts`.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn backfill_counts(&self, backfill: &BackfillRecord) -> Result<BackfillCounts, EngineError> {
        let mut counts = BackfillCounts::default();
        let Some(run) = backfill.run_id else { return Ok(counts) };
        for (status, skip, steps) in self.store().step_status_counts(run).await? {
            counts.add_steps(status, skip.as_ref(), usize::try_from(steps).unwrap_or(usize::MAX));
        }
        Ok(counts)
    }

    /// A backfill's progress, from its run's steps (nothing yet when its
    /// run is not launched): counts, and per asset its targeted partitions
    /// as ranges of step statuses (reads every step of its run).
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn backfill_progress(&self, backfill: &BackfillRecord) -> Result<BackfillProgress, EngineError> {
        let Some(run) = backfill.run_id else { return Ok(BackfillProgress::default()) };
        Ok(progress(&self.store().step_statuses(run).await?))
    }
}

/// Counts and ranges per asset, from a run's step states in plan order.
pub fn progress(states: &[StepState]) -> BackfillProgress {
    let mut progress = BackfillProgress::default();
    let mut order: Vec<&AssetKey> = Vec::new();
    let mut per_asset: BTreeMap<&AssetKey, Vec<&StepState>> = BTreeMap::new();
    for state in states {
        progress.counts.add(state);
        let steps = per_asset.entry(&state.target.asset).or_default();
        if steps.is_empty() {
            order.push(&state.target.asset);
        }
        steps.push(state);
    }
    for asset in order {
        let steps = &per_asset[asset];
        let mut counts = BackfillCounts::default();
        steps.iter().for_each(|s| counts.add(s));
        let keys: Vec<cairn_core::partitions::PartitionKey> =
            steps.iter().map(|s| s.target.partition.clone().unwrap_or_else(unpartitioned_key)).collect();
        let ranges = counted_runs_of(&keys, |i| steps[i].status);
        progress.assets.push(AssetProgress { asset: asset.clone(), counts, ranges });
    }
    progress
}

/// The key shown for an unpartitioned asset's one "partition" in ranges.
fn unpartitioned_key() -> cairn_core::partitions::PartitionKey {
    cairn_core::partitions::PartitionKey::new("-").expect("a valid key")
}

impl Instance {
    /// A plan as a backfill preview: per asset, its planned partitions as
    /// ranges of consecutive keys of its definition (as of the plan's `now`).
    pub fn summarize(&self, plan: &Plan, now: chrono::DateTime<chrono::Utc>) -> BackfillPlan {
        let mut assets: Vec<PlannedAsset> = Vec::new();
        let mut partitions: Vec<Vec<&cairn_core::partitions::PartitionKey>> = Vec::new();
        for step in &plan.steps {
            let index = match assets.iter().position(|a| a.asset == step.target.asset) {
                Some(index) => index,
                None => {
                    assets.push(PlannedAsset {
                        asset: step.target.asset.clone(),
                        count: 0,
                        ranges: Vec::new(),
                        reasons: Vec::new(),
                    });
                    partitions.push(Vec::new());
                    assets.len() - 1
                }
            };
            let planned = &mut assets[index];
            planned.count += 1;
            for kind in step.reason_kinds() {
                if !planned.reasons.contains(&kind) {
                    planned.reasons.push(kind);
                }
            }
            partitions[index].extend(step.target.partition.as_ref());
        }
        for (planned, keys) in assets.iter_mut().zip(&partitions) {
            let Some(definition) = self.project().graph.spec(&planned.asset).and_then(|s| s.partitions.clone()) else {
                let whole = unpartitioned_key();
                planned.ranges = vec![(KeyRange::single(whole), 1)];
                continue;
            };
            let all = definition.keys(now);
            let index: std::collections::HashMap<&cairn_core::partitions::PartitionKey, usize> =
                all.iter().enumerate().map(|(i, k)| (k, i)).collect();
            planned.ranges = counted_ranges_of_positions(&all, keys.iter().filter_map(|k| index.get(k).copied()));
        }
        BackfillPlan { total: plan.steps.len(), assets, blocked: plan.blocked.len() }
    }
}
