//! The executor: claims ready steps from the store, executes them, keeps
//! their leases alive, records how they ended, and stops cleanly.
//!
//! One executor runs in `cairn materialize` (steps of its own run only),
//! `cairn run resume`, `cairn worker` and `cairn serve` (steps of every
//! queued or started run of the project). Several executors, in one
//! process or many, on one machine or many (sharing a PostgreSQL store and
//! a data folder), share the work: the store gives each step to one of
//! them at a time (see `cairn_store`'s "Leases and fencing").
//!
//! The loop, as long as it runs:
//! * claims up to `concurrency` steps; as a step ends, the transaction
//!   that records its end also claims the next one (one commit, so one
//!   disk sync per step on SQLite), and the loop tops up the rest;
//! * every `heartbeat` renews the leases of the steps it holds; a lease
//!   that is no longer its own stops that step without recording anything;
//! * about every 250 ms looks whether a held step's run is being canceled
//!   (the step stops, its staged data is discarded, it is recorded
//!   `CANCELED`), and about every second re-queues the steps of executors
//!   whose lease expired;
//! * on shutdown (the token it was given is cancelled) stops claiming, lets
//!   running steps finish for up to `shutdown_grace`, then stops them and
//!   gives their steps back to the queue.
//!
//! It never prints and never reads signals: the caller owns the token.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cairn_assets::project::ExecutorSettings;
use cairn_core::state::AssetPartition;
use cairn_store::{
    ClaimRequest, ClaimedStep, Lease, NewExecutor, RunId, RunStatus, StepId, StepOutcome, StepStatus, StoreError,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::EngineError;
use crate::gc::remove_superseded_by_run;
use crate::step::{StepContext, execute};

/// How often an executor looks for cancellations and new work when idle.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How often an executor re-queues steps whose lease expired.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(1);

/// Attempts at recording a step's end when the store reports a transient
/// error (a deadlock, a busy database).
const FINISH_ATTEMPTS: u32 = 5;

/// What an executor does.
#[derive(Debug, Clone, Copy)]
pub struct ExecutorOptions {
    /// Only steps of this run, and stop once it has finished; `None`: steps
    /// of every run of the project, until shut down.
    pub run: Option<RunId>,
    /// Most steps executing at once (at least 1).
    pub concurrency: usize,
}

/// How one step this executor held ended.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// The run.
    pub run: RunId,
    /// The step.
    pub step: StepId,
    /// The asset partition.
    pub target: AssetPartition,
    /// What was recorded: its final status; `None` when nothing was
    /// (its lease was lost, or it was given back at shutdown).
    pub recorded: Option<StepStatus>,
    /// Wall time of the step's execution.
    pub duration: Duration,
    /// Time DataFusion spent planning and running its query.
    pub query_time: Duration,
    /// Time spent recording how it ended (the commit), retries included.
    pub record_time: Duration,
    /// Why the end could not be recorded, if it could not.
    pub error: Option<String>,
}

/// What an executor did before it stopped.
#[derive(Debug, Clone, Default)]
pub struct ExecutorReport {
    /// The steps it held, in the order they ended.
    pub steps: Vec<StepReport>,
    /// Steps given back to the queue at shutdown.
    pub released: usize,
    /// Claims that returned at least one step.
    pub claims: usize,
    /// Time spent in those claims.
    pub claim_time: Duration,
}

/// Why a held step is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Its run is being canceled: record it `CANCELED`.
    RunCanceled,
    /// Its lease is no longer ours: record nothing.
    LeaseLost,
    /// The executor is shutting down: give the step back.
    Shutdown,
}

/// A held step's stop switch.
#[derive(Default)]
struct Control {
    token: CancellationToken,
    reason: Mutex<Option<Stop>>,
}

impl Control {
    fn stop(&self, reason: Stop) {
        let mut current = self.reason.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if current.is_none() {
            *current = Some(reason);
        }
        self.token.cancel();
    }

    fn reason(&self) -> Option<Stop> {
        *self.reason.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

struct Held {
    lease: Lease,
    control: Arc<Control>,
}

/// What a step task needs to claim the executor's next step as it records
/// its own end.
struct NextClaim {
    owner: String,
    run: Option<RunId>,
    lease: Duration,
    /// Cleared when the executor stops claiming (shutdown).
    claiming: Arc<AtomicBool>,
}

/// What a step task hands back to the loop.
struct TaskEnd {
    step: StepId,
    report: StepReport,
    run_finished: Option<RunStatus>,
    /// The steps claimed with its end, if any: the loop now holds them.
    claimed: Vec<ClaimedStep>,
    /// Whether it tried to claim with its end (and so whether an empty
    /// `claimed` means nothing was ready a moment ago).
    tried_claim: bool,
}

/// Claims and executes steps until done (see the module docs).
pub struct Executor {
    ctx: Arc<StepContext>,
    settings: ExecutorSettings,
    owner: String,
    options: ExecutorOptions,
    retention: Duration,
}

impl Executor {
    pub(crate) fn new(
        ctx: Arc<StepContext>,
        settings: ExecutorSettings,
        retention: Duration,
        options: ExecutorOptions,
    ) -> Self {
        Self { ctx, settings, owner: crate::owner::new_owner_id(), options, retention }
    }

    /// This executor's id in the store (`host:pid:nonce`).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Runs until the run it executes has finished (with
    /// [`ExecutorOptions::run`]), or until `shutdown` is cancelled and its
    /// steps are finished or given back.
    ///
    /// # Errors
    /// [`EngineError::Store`] when the store fails for longer than a
    /// transient error; steps held then are left to their leases.
    pub async fn run(self, shutdown: CancellationToken) -> Result<ExecutorReport, EngineError> {
        let store = self.ctx.store.clone();
        let concurrency = self.options.concurrency.max(1);
        let mut report = ExecutorReport::default();
        let mut tasks: JoinSet<TaskEnd> = JoinSet::new();
        let claiming = Arc::new(AtomicBool::new(true));
        // Set when a step's end claimed nothing: the loop need not ask
        // again before its next tick.
        let mut nothing_ready = false;
        let mut held: HashMap<StepId, Held> = HashMap::new();
        let mut task_steps: HashMap<tokio::task::Id, StepId> = HashMap::new();
        let mut heartbeat = tokio::time::interval(self.settings.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut poll = tokio::time::interval(POLL_INTERVAL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_expiry = tokio::time::Instant::now();
        let mut grace_deadline: Option<tokio::time::Instant> = None;
        crate::owner::requeue_steps_of_dead_local_owners(&store, self.ctx.clock.now()).await?;
        self.register().await;
        loop {
            if grace_deadline.is_none() && !shutdown.is_cancelled() && held.len() < concurrency && !nothing_ready {
                let request = ClaimRequest {
                    owner: &self.owner,
                    project: &self.ctx.project.settings.name,
                    run: self.options.run,
                    limit: concurrency - held.len(),
                    lease: self.settings.lease,
                    now: self.ctx.clock.now(),
                };
                let started = std::time::Instant::now();
                match store.claim_steps(&request).await {
                    Ok(claimed) => {
                        if !claimed.is_empty() {
                            report.claims += 1;
                            report.claim_time += started.elapsed();
                            metrics::histogram!("cairn_step_claim_seconds").record(started.elapsed().as_secs_f64());
                        }
                        for step in claimed {
                            self.spawn(step, &claiming, &mut tasks, &mut held, &mut task_steps);
                        }
                    }
                    Err(error) if error.is_transient() => tracing::debug!("claim: {error}; trying again"),
                    Err(error) => return Err(error.into()),
                }
            }
            if held.is_empty() {
                if grace_deadline.is_some() || shutdown.is_cancelled() {
                    break;
                }
                if let Some(run) = self.options.run {
                    match store.run(run).await {
                        Ok(Some(record)) if record.status.is_finished() => break,
                        Ok(Some(_)) => {}
                        Ok(None) => return Err(EngineError::UnknownRun(run)),
                        // This process was stopped inside a transaction and
                        // the server ended its session: ask again next tick.
                        Err(error) if error.is_transient() => tracing::debug!("read run {run}: {error}; trying again"),
                        Err(error) => return Err(error.into()),
                    }
                }
            }
            nothing_ready = false;
            tokio::select! {
                joined = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    let Some(joined) = joined else { continue };
                    match joined {
                        Ok((task, end)) => {
                            task_steps.remove(&task);
                            held.remove(&end.step);
                            nothing_ready = end.tried_claim && end.claimed.is_empty();
                            for step in end.claimed {
                                if grace_deadline.is_some() || shutdown.is_cancelled() {
                                    // Claimed as the shutdown began: give it back.
                                    if let Err(error) = store.release_steps(std::slice::from_ref(&step.lease), self.ctx.clock.now()).await {
                                        tracing::warn!("cannot give step {} back: {error}", step.step.id);
                                    }
                                } else {
                                    self.spawn(step, &claiming, &mut tasks, &mut held, &mut task_steps);
                                }
                            }
                            if let Some(status) = end.run_finished {
                                self.run_finished(end.report.run, status).await;
                            }
                            report.steps.push(end.report);
                        }
                        Err(error) => {
                            // A step task panicked: its lease expires and
                            // another attempt takes the step over.
                            tracing::error!("a step task ended abnormally: {error}");
                            if let Some(step) = task_steps.remove(&error.id()) {
                                held.remove(&step);
                            }
                        }
                    }
                }
                _ = heartbeat.tick() => {
                    self.renew(&held).await;
                    self.beat().await;
                }
                _ = poll.tick() => {
                    if !held.is_empty() {
                        self.stop_canceled(&held).await;
                    }
                    if last_expiry.elapsed() >= EXPIRY_INTERVAL {
                        last_expiry = tokio::time::Instant::now();
                        if let Err(error) = store.expire_leases(self.ctx.clock.now()).await {
                            tracing::warn!("cannot re-queue steps with expired leases: {error}");
                        }
                    }
                }
                _ = shutdown.cancelled(), if grace_deadline.is_none() => {
                    claiming.store(false, Ordering::SeqCst);
                    grace_deadline = Some(tokio::time::Instant::now() + self.settings.shutdown_grace);
                }
                _ = sleep_until(grace_deadline), if grace_deadline.is_some() && !held.is_empty() => {
                    for step in held.values() {
                        step.control.stop(Stop::Shutdown);
                    }
                }
            }
        }
        report.released = report.steps.iter().filter(|s| s.recorded.is_none() && s.error.is_none()).count();
        if let Err(error) = store.executor_stopped(&self.owner, self.ctx.clock.now()).await {
            tracing::warn!("cannot record that executor {} stopped: {error}", self.owner);
        }
        Ok(report)
    }

    /// Registers this executor for the deployment page (best effort: the
    /// work does not depend on it).
    async fn register(&self) {
        let executor = NewExecutor {
            id: self.owner.clone(),
            host: crate::owner::host_name(),
            pid: std::process::id(),
            run: self.options.run,
            concurrency: self.options.concurrency.max(1),
            lease_ms: u64::try_from(self.settings.lease.as_millis()).unwrap_or(u64::MAX),
        };
        if let Err(error) = self.ctx.store.register_executor(&executor, self.ctx.clock.now()).await {
            tracing::warn!("cannot register executor {}: {error}", self.owner);
        }
    }

    /// Renews this executor's heartbeat; registers it again if the store
    /// lost it (best effort).
    async fn beat(&self) {
        match self.ctx.store.executor_heartbeat(&self.owner, self.ctx.clock.now()).await {
            Ok(true) => {}
            Ok(false) => self.register().await,
            Err(error) => tracing::debug!("cannot renew the heartbeat of executor {}: {error}", self.owner),
        }
    }

    /// Starts a claimed step's task; the executor holds the step until the
    /// task ends.
    fn spawn(
        &self,
        step: ClaimedStep,
        claiming: &Arc<AtomicBool>,
        tasks: &mut JoinSet<TaskEnd>,
        held: &mut HashMap<StepId, Held>,
        task_steps: &mut HashMap<tokio::task::Id, StepId>,
    ) {
        metrics::counter!("cairn_steps_claimed_total").increment(1);
        let control = Arc::new(Control::default());
        held.insert(step.step.id, Held { lease: step.lease.clone(), control: control.clone() });
        let next = NextClaim {
            owner: self.owner.clone(),
            run: self.options.run,
            lease: self.settings.lease,
            claiming: claiming.clone(),
        };
        let id = step.step.id;
        task_steps.insert(tasks.spawn(run_step(self.ctx.clone(), step, control, next)).id(), id);
    }

    async fn renew(&self, held: &HashMap<StepId, Held>) {
        if held.is_empty() {
            return;
        }
        let leases: Vec<Lease> = held.values().map(|h| h.lease.clone()).collect();
        let until = self.ctx.clock.now() + self.settings.lease;
        match self.ctx.store.renew_leases(&leases, until).await {
            Ok(renewal) => {
                for step in &renewal.lost {
                    if let Some(held) = held.get(step) {
                        tracing::warn!("lost the lease of step {step}; stopping it without recording anything");
                        held.control.stop(Stop::LeaseLost);
                    }
                }
                self.stop_runs(held, &renewal.canceling);
            }
            Err(error) => tracing::warn!("cannot renew leases: {error}"),
        }
    }

    async fn stop_canceled(&self, held: &HashMap<StepId, Held>) {
        let mut runs: Vec<RunId> = held.values().map(|h| h.lease.run).collect();
        runs.sort_unstable();
        runs.dedup();
        let mut canceling = Vec::new();
        for run in runs {
            match self.ctx.store.run(run).await {
                Ok(Some(record)) if record.status == RunStatus::Canceling => canceling.push(run),
                Ok(_) => {}
                Err(error) => tracing::warn!("cannot read run {run}: {error}"),
            }
        }
        self.stop_runs(held, &canceling);
    }

    fn stop_runs(&self, held: &HashMap<StepId, Held>, canceling: &[RunId]) {
        for step in held.values().filter(|h| canceling.contains(&h.lease.run)) {
            step.control.stop(Stop::RunCanceled);
        }
    }

    /// Once a run's last step is recorded: forget its caches and remove the
    /// data files it superseded, when the retention allows.
    async fn run_finished(&self, run: RunId, status: RunStatus) {
        tracing::debug!("run {run} finished: {status}");
        match self.ctx.store.run(run).await {
            Ok(Some(record)) => self.ctx.forget_run(run, record.created_at),
            Ok(None) => {}
            Err(error) => tracing::warn!("cannot read run {run}: {error}"),
        }
        if let Err(error) = remove_superseded_by_run(&self.ctx, run, self.retention).await {
            tracing::warn!("cannot remove the data files run {run} superseded: {error}");
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Executes one step, then records how it ended (retrying transient store
/// errors) and claims the executor's next step with it, or records what its
/// stop means.
async fn run_step(ctx: Arc<StepContext>, claimed: ClaimedStep, control: Arc<Control>, next: NextClaim) -> TaskEnd {
    let lease = claimed.lease.clone();
    let target = claimed.step.target.clone();
    let mut report = StepReport {
        run: lease.run,
        step: lease.step,
        target: target.clone(),
        recorded: None,
        duration: Duration::ZERO,
        query_time: Duration::ZERO,
        record_time: Duration::ZERO,
        error: None,
    };
    let execution = tokio::select! {
        execution = execute(&ctx, &claimed) => Some(execution),
        _ = control.token.cancelled() => None,
    };
    let end = |report: StepReport| TaskEnd {
        step: lease.step,
        report,
        run_finished: None,
        claimed: Vec::new(),
        tried_claim: false,
    };
    let (outcome, logs, published) = match execution {
        Some(execution) => {
            report.duration = execution.duration;
            report.query_time = execution.query_time;
            (execution.outcome, execution.logs, execution.published)
        }
        None => match control.reason() {
            Some(Stop::RunCanceled) => (StepOutcome::Canceled, Vec::new(), None),
            Some(Stop::Shutdown) => {
                if let Err(error) = ctx.store.release_steps(std::slice::from_ref(&lease), ctx.clock.now()).await {
                    report.error = Some(error.to_string());
                }
                return end(report);
            }
            Some(Stop::LeaseLost) | None => return end(report),
        },
    };
    let mut attempt = 0;
    let recording = std::time::Instant::now();
    loop {
        attempt += 1;
        let now = ctx.clock.now();
        let tried_claim = next.claiming.load(Ordering::SeqCst);
        let request = ClaimRequest {
            owner: &next.owner,
            project: &ctx.project.settings.name,
            run: next.run,
            limit: 1,
            lease: next.lease,
            now,
        };
        let finished = ctx
            .store
            .finish_step_and_claim(&lease, &target, &outcome, &logs, now, tried_claim.then_some(&request))
            .await;
        report.record_time = recording.elapsed();
        match finished {
            Ok((finished, claimed)) => {
                report.recorded = Some(outcome.status());
                metrics::counter!("cairn_steps_finished_total", "status" => outcome.status().as_str()).increment(1);
                metrics::histogram!("cairn_step_seconds").record(report.duration.as_secs_f64());
                return TaskEnd { step: lease.step, report, run_finished: finished.run_finished, claimed, tried_claim };
            }
            Err(error @ StoreError::LeaseLost { .. }) => {
                // Another executor has the step; our file is nobody's.
                tracing::warn!("{error}");
                if let Some(file) = &published {
                    let _ = std::fs::remove_file(file);
                }
                report.error = Some(error.to_string());
                return end(report);
            }
            Err(error) if error.is_transient() && attempt < FINISH_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
            }
            Err(error) => {
                // The lease expires and another attempt redoes the step; the
                // published file stays unrecorded until `cairn gc`.
                tracing::error!("cannot record the end of {target}: {error}");
                report.error = Some(error.to_string());
                return end(report);
            }
        }
    }
}
