//! The run loop: steps in dependency order with bounded parallelism.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use cairn_core::planner::PlanStep;
use cairn_core::state::AssetPartition;
use cairn_core::store::{EventLevel, MetadataStore, NewObservation, NewRun, RunCounts, RunEvent, RunStatus};
use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use super::layout::DataLayout;
use super::step::{Shared, materialize};
use super::{ExecuteError, PlannedRun, RunObserver, RunProgress, RunSummary, SkipReason, StepOutcome, StepResult};
use crate::project::Project;

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Most steps running at once (at least 1).
    pub concurrency: usize,
    /// Selection as typed, recorded with the run.
    pub selection: String,
    /// Partition filter as typed, recorded with the run.
    pub partition_filter: Option<String>,
    /// Evaluation time the plan was made at (UTC).
    pub now: DateTime<Utc>,
}

/// Runs a plan: records the run, the source observations that changed,
/// every materialization, check result and event, and returns what
/// happened to each step. Stops scheduling new steps on Ctrl-C.
///
/// # Errors
/// [`ExecuteError::Store`] when the run itself cannot be recorded. Step
/// failures are not errors: they are in the summary.
pub async fn run_plan(
    project: Arc<Project>,
    store: MetadataStore,
    planned: PlannedRun,
    options: RunOptions,
    observer: Arc<dyn RunObserver>,
) -> Result<RunSummary, ExecuteError> {
    let started = Instant::now();
    let PlannedRun { plan, state, observations, changed_sources, mut lock } = planned;
    let run_id = store
        .start_run(&NewRun {
            selection: options.selection.clone(),
            partition_filter: options.partition_filter.clone(),
            planned_steps: plan.steps.len() as i64,
            started_at: Utc::now(),
        })
        .await?;
    if let Some(Err(error)) = lock.as_mut().map(|lock| lock.set_run(run_id)) {
        // Only the interrupted-run report depends on it; the lock itself holds.
        tracing::warn!("{error}");
    }
    observer.progress(RunProgress::Started { run_id, steps: plan.steps.len() });
    let mut source_files = HashMap::new();
    for observation in &observations {
        if let Ok(observed) = &observation.result {
            source_files.insert(observation.asset.clone(), observed.files.clone());
            if changed_sources.contains(&observation.asset) {
                store
                    .record_observation(&NewObservation {
                        run_id: Some(run_id),
                        asset: observation.asset.clone(),
                        data_version: observed.data_version.clone(),
                        observed_at: options.now,
                    })
                    .await?;
            }
        }
    }
    let partition_keys = project
        .specs()
        .iter()
        .filter_map(|spec| Some((spec.key.clone(), Arc::new(spec.partitions.as_ref()?.keys(options.now)))))
        .collect();
    let shared = Arc::new(Shared {
        layout: DataLayout::new(project.settings.data_dir.clone()),
        project,
        store: store.clone(),
        run_id,
        state: RwLock::new(state),
        source_files,
        partition_keys,
        now: options.now,
    });
    let mut scheduler = Scheduler::new(&plan.steps);
    let interrupted = scheduler.run(&shared, &plan.steps, options.concurrency.max(1), observer.as_ref()).await;
    let results: Vec<StepResult> = plan
        .steps
        .iter()
        .zip(scheduler.outcomes)
        .map(|(step, outcome)| StepResult {
            target: step.target.clone(),
            outcome: outcome.unwrap_or_else(|| StepOutcome::Failed {
                error: ExecuteError::Internal("interrupted before it ran".into()),
                checks: Vec::new(),
            }),
        })
        .collect();
    let summary = RunSummary { run_id, results, blocked: plan.blocked, duration: started.elapsed() };
    let counts = RunCounts {
        materialized: summary.count("materialized") as i64,
        failed: summary.count("failed") as i64,
        skipped: summary.count("skipped") as i64,
    };
    if interrupted {
        let _ = store
            .append_event(&RunEvent {
                run_id,
                asset: None,
                partition: None,
                level: EventLevel::Error,
                message: "interrupted (Ctrl-C); running steps were stopped and their data discarded".into(),
                at: Utc::now(),
            })
            .await;
    }
    let status = if summary.count("failed") > 0 || interrupted { RunStatus::Failed } else { RunStatus::Succeeded };
    store.finish_run(run_id, status, counts, Utc::now()).await?;
    shared.layout.clean_staging(run_id);
    if let Some(lock) = lock {
        lock.release();
    }
    Ok(summary)
}

/// Dependency bookkeeping for the steps of one run.
struct Scheduler {
    remaining: Vec<usize>,
    dependents: Vec<Vec<usize>>,
    failed_upstream: Vec<Option<AssetPartition>>,
    changed_upstream: Vec<bool>,
    outcomes: Vec<Option<StepOutcome>>,
    ready: VecDeque<usize>,
}

impl Scheduler {
    fn new(steps: &[PlanStep]) -> Self {
        let mut dependents = vec![Vec::new(); steps.len()];
        for (index, step) in steps.iter().enumerate() {
            for &upstream in &step.waits_for {
                dependents[upstream].push(index);
            }
        }
        let remaining: Vec<usize> = steps.iter().map(|s| s.waits_for.len()).collect();
        let ready = (0..steps.len()).filter(|&i| remaining[i] == 0).collect();
        Self {
            remaining,
            dependents,
            failed_upstream: vec![None; steps.len()],
            changed_upstream: vec![false; steps.len()],
            outcomes: vec![None; steps.len()],
            ready,
        }
    }

    /// Runs until every step has an outcome; returns whether Ctrl-C
    /// stopped it early.
    async fn run(
        &mut self,
        shared: &Arc<Shared>,
        steps: &[PlanStep],
        concurrency: usize,
        observer: &dyn RunObserver,
    ) -> bool {
        let mut running: JoinSet<StepOutcome> = JoinSet::new();
        let mut task_steps: HashMap<tokio::task::Id, usize> = HashMap::new();
        let interrupt = tokio::signal::ctrl_c();
        tokio::pin!(interrupt);
        loop {
            while running.len() < concurrency {
                let Some(index) = self.ready.pop_front() else { break };
                let step = &steps[index];
                if let Some(upstream) = self.failed_upstream[index].clone() {
                    self.finish(index, step, StepOutcome::Skipped(SkipReason::UpstreamFailed { upstream }), observer);
                    continue;
                }
                if step.is_conditional() && !self.changed_upstream[index] {
                    self.finish(index, step, StepOutcome::Skipped(SkipReason::UpstreamUnchanged), observer);
                    continue;
                }
                observer.progress(RunProgress::StepStarted { target: &step.target });
                let handle = running.spawn(materialize(shared.clone(), step.target.clone()));
                task_steps.insert(handle.id(), index);
            }
            if running.is_empty() {
                return false;
            }
            tokio::select! {
                joined = running.join_next_with_id() => {
                    let (index, outcome) = match joined {
                        Some(Ok((id, outcome))) => (task_steps[&id], outcome),
                        Some(Err(error)) => (task_steps[&error.id()], StepOutcome::Failed {
                            error: ExecuteError::Internal(format!("step crashed: {error}")),
                            checks: Vec::new(),
                        }),
                        None => continue,
                    };
                    self.finish(index, &steps[index], outcome, observer);
                }
                _ = &mut interrupt => {
                    running.abort_all();
                    while running.join_next().await.is_some() {}
                    return true;
                }
            }
        }
    }

    fn finish(&mut self, index: usize, step: &PlanStep, outcome: StepOutcome, observer: &dyn RunObserver) {
        observer.progress(RunProgress::StepFinished { target: &step.target, outcome: &outcome });
        let failed = match &outcome {
            StepOutcome::Failed { .. } => Some(step.target.clone()),
            StepOutcome::Skipped(SkipReason::UpstreamFailed { upstream }) => Some(upstream.clone()),
            _ => None,
        };
        let changed = matches!(&outcome, StepOutcome::Materialized(done) if done.changed);
        for position in 0..self.dependents[index].len() {
            let dependent = self.dependents[index][position];
            if self.failed_upstream[dependent].is_none() {
                self.failed_upstream[dependent] = failed.clone();
            }
            self.changed_upstream[dependent] |= changed;
            self.remaining[dependent] -= 1;
            if self.remaining[dependent] == 0 {
                self.ready.push_back(dependent);
            }
        }
        self.outcomes[index] = Some(outcome);
    }
}
