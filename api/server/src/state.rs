//! What the server keeps between requests: the engine's [`Instance`]
//! (replaced on reload), the definitions' diagnostics, the asset-state
//! index ([`StateIndex`], loaded once from current state and advanced from
//! the event log), the latest [`ProjectSummary`] computed from it (in the
//! background when the event log moves, never per request, on the blocking
//! pool), and the event log's head, which subscriptions wait on instead of
//! polling the store themselves.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use cairn_assets::observe::{SourceObservation, observe_sources};
use cairn_assets::{Diagnostics, Project};
use cairn_core::AssetKey;
use cairn_core::freshness::FreshnessStatus;
use cairn_engine::{CancellationToken, ExecutorOptions, Instance, ProjectSummary, StateChanges};
use cairn_store::{EventKind, EventLevel, NewEvent, StateIndex};
use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// How often the event log's head is read.
const HEAD_POLL: Duration = Duration::from_millis(100);
/// Shortest time between two summaries while events stream in.
const SUMMARY_DEBOUNCE: Duration = Duration::from_millis(250);
/// How often the summary is recomputed anyway (freshness moves with time).
const SUMMARY_MAX_AGE: Duration = Duration::from_secs(10);
/// How often sources are observed again (their files hashed).
const OBSERVE_EVERY: Duration = Duration::from_secs(30);
/// How often the backfill daemon looks for backfills to launch.
pub const BACKFILL_DAEMON_INTERVAL: Duration = Duration::from_millis(500);

/// The definitions in use, and what the last reload said.
#[derive(Debug, Clone)]
pub struct Definitions {
    /// When they were loaded (UTC).
    pub loaded_at: DateTime<Utc>,
    /// Warnings of the loaded project, or the errors of a refused reload.
    pub diagnostics: Diagnostics,
}

/// How the server executes runs.
#[derive(Debug, Clone, Copy)]
pub struct Execution {
    /// Executor concurrency; `None`: no executor (separate workers do the work).
    pub executors: Option<usize>,
}

/// The server's shared state.
pub struct AppState {
    instance: RwLock<Instance>,
    definitions: RwLock<Definitions>,
    summary: RwLock<Option<Arc<ProjectSummary>>>,
    /// The asset-state index the summaries are computed from, advanced
    /// from the event log (kept across reloads: it is the store's state).
    index: tokio::sync::Mutex<Option<Arc<StateIndex>>>,
    observations: RwLock<Vec<SourceObservation>>,
    head: watch::Sender<i64>,
    /// `Some(token)`: mutations and subscriptions need `Bearer <token>`.
    pub token: Option<String>,
    project_dir: PathBuf,
    database_url: Option<String>,
    execution: Execution,
    /// Stops the current executor and daemon (replaced on reload).
    executor_stop: RwLock<CancellationToken>,
    /// Stops everything.
    pub shutdown: CancellationToken,
    /// Each asset's freshness status at the last summary, to append a
    /// `FRESHNESS_CHANGED` event when it changes.
    freshness: std::sync::Mutex<Option<HashMap<AssetKey, FreshnessStatus>>>,
    /// Held while a summary is computed: one at a time, whoever asks.
    refreshing: tokio::sync::Mutex<()>,
    /// What the backfill daemon did lately.
    backfill_daemon: Arc<std::sync::Mutex<cairn_engine::BackfillDaemonStatus>>,
    /// The running executor, waited for on shutdown.
    executor_task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The runtime the executor and the backfill daemon run on, apart from
    /// the one answering HTTP: DataFusion queries, Parquet encoding,
    /// hashing and planning never hold up a request.
    execution_runtime: ExecutionRuntime,
}

/// The name of the execution runtime's threads (workers and blocking pool).
const EXECUTION_THREAD_NAME: &str = "cairn-execution";

/// The nice value of the execution runtime's threads: the OS runs them when
/// the threads answering HTTP have nothing to do, so during a backfill at
/// full speed a request waits for no step (with equal priority, pages
/// waited their turn behind DataFusion and Parquet work on 2 cores). The
/// backfill loses only the CPU the requests use.
const EXECUTION_NICE: i32 = 10;

/// Lowers the calling thread's CPU priority to [`EXECUTION_NICE`] (on
/// Linux a nice value is per thread); where the OS refuses, the thread
/// keeps its priority.
fn lower_priority() {
    #[cfg(unix)]
    // SAFETY: `setpriority` only reads its arguments; `who = 0` is the
    // calling thread on Linux (the calling process elsewhere).
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, EXECUTION_NICE);
    }
}

/// A multi-threaded tokio runtime of its own for step execution (its
/// threads at a lower CPU priority, [`EXECUTION_NICE`]), shut down without
/// blocking when the server's state is dropped (a runtime dropped inside
/// another one would panic).
struct ExecutionRuntime(Option<tokio::runtime::Runtime>);

impl ExecutionRuntime {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name(EXECUTION_THREAD_NAME)
            .on_thread_start(lower_priority)
            .enable_all()
            .build()
            // Only fails when the OS refuses threads: nothing can run then.
            .expect("start the execution runtime");
        Self(Some(runtime))
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        match &self.0 {
            Some(runtime) => runtime.handle(),
            None => unreachable!("the execution runtime lives as long as the state"),
        }
    }
}

impl Drop for ExecutionRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl AppState {
    /// State for `instance`, loaded from `project_dir` (reloads read it
    /// again, with `database_url` when given).
    pub fn new(
        instance: Instance,
        project_dir: PathBuf,
        database_url: Option<String>,
        token: Option<String>,
        execution: Execution,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let definitions = Definitions { loaded_at: Utc::now(), diagnostics: instance.project().warnings.clone() };
        let (head, _) = watch::channel(0);
        Arc::new(Self {
            instance: RwLock::new(instance),
            definitions: RwLock::new(definitions),
            summary: RwLock::new(None),
            index: tokio::sync::Mutex::new(None),
            observations: RwLock::new(Vec::new()),
            head,
            token,
            project_dir,
            database_url,
            execution,
            executor_stop: RwLock::new(shutdown.child_token()),
            shutdown,
            executor_task: std::sync::Mutex::new(None),
            backfill_daemon: Arc::default(),
            freshness: std::sync::Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            execution_runtime: ExecutionRuntime::new(),
        })
    }

    /// The instance in use (cheap clone).
    pub fn instance(&self) -> Instance {
        self.instance.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// What the backfill daemon did lately.
    pub fn backfill_daemon(&self) -> cairn_engine::BackfillDaemonStatus {
        self.backfill_daemon.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// This server's executor concurrency; `None` with `--no-executor`.
    pub fn executor_concurrency(&self) -> Option<usize> {
        self.execution.executors
    }

    /// The definitions' load time and diagnostics.
    pub fn definitions(&self) -> Definitions {
        self.definitions.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The summary of the state as of now: the cached one when no event was
    /// appended since it was computed, else a new one (one at a time:
    /// concurrent requests wait for the same computation). So a query made
    /// after an event (a backfill completed) always reflects it.
    ///
    /// # Errors
    /// The engine's error when the store cannot be read.
    pub async fn summary(&self) -> Result<Arc<ProjectSummary>, cairn_engine::EngineError> {
        let head = self.instance().store().last_event_seq().await?;
        if let Some(summary) = self.cached_summary(head) {
            return Ok(summary);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(summary) = self.cached_summary(head) {
            return Ok(summary);
        }
        self.compute_summary(false).await
    }

    fn cached_summary(&self, head: i64) -> Option<Arc<ProjectSummary>> {
        let cached = self.summary.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        cached.filter(|summary| summary.seq >= head)
    }

    /// Computes a new summary (observing sources again when asked, or when
    /// they never were) and keeps it. Its `seq` is the event log's head
    /// read before the state, so no event is counted that it misses.
    ///
    /// # Errors
    /// The engine's error.
    pub async fn refresh_summary(&self, observe: bool) -> Result<Arc<ProjectSummary>, cairn_engine::EngineError> {
        // One summary at a time: the background refresh and a request
        // arriving together share the index instead of copying it.
        let _one_at_a_time = self.refreshing.lock().await;
        self.compute_summary(observe).await
    }

    /// [`Self::refresh_summary`], with `refreshing` held by the caller.
    ///
    /// After the first, a summary is computed again only for the asset
    /// partitions the index's advance changed (materialized, wiped,
    /// checked, failed, started or stopped running), the sources observed
    /// again, and their downstream assets
    /// ([`Instance::summarize_index_changes`]); the whole project only when
    /// the index was loaded again, the definitions were reloaded, or a new
    /// time window began. So during a backfill of one asset each summary
    /// costs the partitions its steps ended and what reads that asset.
    async fn compute_summary(&self, observe: bool) -> Result<Arc<ProjectSummary>, cairn_engine::EngineError> {
        let instance = self.instance();
        let previous_observations = self.observations.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let observations = if observe || previous_observations.is_empty() {
            let fresh = observe_sources(instance.project()).await;
            *self.observations.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh.clone();
            fresh
        } else {
            previous_observations.clone()
        };
        let previous = self.summary.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        // What changed since `previous`; `None`: anything may have.
        let mut changed: Option<StateChanges> = None;
        let index = {
            let mut kept = self.index.lock().await;
            let index = match kept.take() {
                // Advanced from its cursor: reads what changed since.
                Some(mut index) => {
                    let started = std::time::Instant::now();
                    let changes = instance.store().advance_index(Arc::make_mut(&mut index)).await?;
                    tracing::debug!(
                        "index advanced to event {} in {} µs",
                        index.cursor(),
                        started.elapsed().as_micros()
                    );
                    if !changes.reloaded {
                        let mut state_changes = StateChanges::from(&changes);
                        state_changes.assets.extend(changed_sources(&previous_observations, &observations));
                        changed = Some(state_changes);
                    }
                    index
                }
                // Loaded from current state, never the history.
                None => {
                    let started = std::time::Instant::now();
                    let index = instance.store().load_index().await?;
                    tracing::info!(
                        "asset-state index loaded: {} materialized partition(s) as of event {} in {} ms",
                        index.state().materialization_count(),
                        index.cursor(),
                        started.elapsed().as_millis()
                    );
                    Arc::new(index)
                }
            };
            *kept = Some(index.clone());
            index
        };
        let now = instance.clock().now();
        let incremental = match (previous, changed) {
            (Some(previous), Some(changed)) if !instance.partition_keys_moved(previous.at, now) => {
                Some((previous, changed))
            }
            _ => None,
        };
        // The staleness pass is CPU work: off the runtime that answers HTTP.
        let summary = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let summary = match &incremental {
                Some((previous, changed)) => {
                    instance.summarize_index_changes(previous, &index, changed, &observations, now)
                }
                None => instance.summarize_index(&index, &observations, now),
            };
            tracing::debug!(
                "state summarized as of event {} in {} ms ({})",
                index.cursor(),
                started.elapsed().as_millis(),
                match &incremental {
                    Some((_, changed)) => format!(
                        "{} asset partition(s) and {} asset(s) changed",
                        changed.partitions.len(),
                        changed.assets.len()
                    ),
                    None => "every asset".to_owned(),
                }
            );
            summary
        })
        .await
        .map_err(|e| cairn_engine::EngineError::RunState(format!("the state summary stopped: {e}")))??;
        let summary = Arc::new(summary);
        *self.summary.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(summary.clone());
        Ok(summary)
    }

    /// A receiver of the event log's head (the latest sequence number).
    pub fn head(&self) -> watch::Receiver<i64> {
        self.head.subscribe()
    }

    /// Reads the project again. Valid definitions replace the current ones
    /// (and the executor restarts with them); invalid ones are refused, the
    /// current ones stay, and their diagnostics are kept for `definitions`.
    /// Returns whether the new definitions were taken.
    pub async fn reload(self: &Arc<Self>) -> Result<bool, cairn_engine::EngineError> {
        // Reading and planning every query is CPU work: on the blocking pool.
        let dir = self.project_dir.clone();
        let loaded = tokio::task::spawn_blocking(move || Project::load(&dir))
            .await
            .map_err(|e| cairn_engine::EngineError::RunState(format!("reading the definitions stopped: {e}")))?;
        let project = match loaded {
            Ok(project) => project,
            Err(diagnostics) => {
                let mut definitions = self.definitions.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                definitions.diagnostics = diagnostics;
                return Ok(false);
            }
        };
        let warnings = project.warnings.clone();
        let instance = Instance::with_project(project, self.database_url.as_deref()).await?;
        *self.instance.write().unwrap_or_else(std::sync::PoisonError::into_inner) = instance;
        *self.definitions.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Definitions { loaded_at: Utc::now(), diagnostics: warnings };
        self.observations.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
        // New definitions: every asset's summary is computed again.
        *self.summary.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.refresh_summary(true).await?;
        self.restart_execution();
        Ok(true)
    }

    /// Starts the background work: the event log's head, the summary, and
    /// (unless `--no-executor`) an executor of every run and the backfill
    /// daemon.
    pub fn start_background(self: &Arc<Self>) {
        tokio::spawn(self.clone().follow_head());
        tokio::spawn(self.clone().keep_summary());
        tokio::spawn(self.clone().keep_automation());
        self.restart_execution();
    }

    /// The automation daemon: every `automation.tick_interval`, while some
    /// asset has `automation:`, takes (or renews) the store's automation
    /// lease and, holding it, observes the sources, brings the summary up
    /// to date and runs one tick ([`Instance::automation_tick`]) on the
    /// execution runtime. With several servers on one store, the one
    /// holding the lease evaluates; another takes over once it lapses
    /// (three intervals, at least 10 s). The lease is given up on shutdown.
    async fn keep_automation(self: Arc<Self>) {
        let owner = cairn_engine::owner::new_owner_id();
        loop {
            let instance = self.instance();
            let interval = instance.project().settings.automation_tick;
            if !instance.automation_policies().is_empty()
                && let Err(error) = self.automation_tick(&instance, &owner, interval).await
            {
                tracing::warn!("automation tick failed: {error}");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.shutdown.cancelled() => {
                    let _ = instance.store().release_lease(cairn_engine::AUTOMATION_LEASE, &owner).await;
                    return;
                }
            }
        }
    }

    async fn automation_tick(
        &self,
        instance: &Instance,
        owner: &str,
        interval: Duration,
    ) -> Result<(), cairn_engine::EngineError> {
        let now = instance.clock().now();
        let lease = chrono::Duration::from_std((interval * 3).max(Duration::from_secs(10)))
            .unwrap_or(chrono::Duration::seconds(30));
        if !instance.store().acquire_lease(cairn_engine::AUTOMATION_LEASE, owner, now, now + lease).await? {
            return Ok(());
        }
        let summary = self.refresh_summary(true).await?;
        let index = self.index.lock().await.clone();
        let Some(index) = index else { return Ok(()) };
        let observations = self.observations.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let (instance, owner) = (instance.clone(), owner.to_owned());
        let started = std::time::Instant::now();
        let report = self
            .execution_runtime
            .handle()
            .spawn(async move { instance.automation_tick(&summary, &index, &observations, &owner).await })
            .await
            .map_err(|e| cairn_engine::EngineError::RunState(format!("the automation tick stopped: {e}")))??;
        tracing::info!(
            "automation tick {}: {} asset(s) evaluated, {} asset partition(s) requested{}, {} evaluation(s) stored, \
             in {} ms",
            report.tick.map_or_else(|| "skipped".to_owned(), |tick| tick.to_string()),
            report.evaluations.len(),
            report.requested(),
            report.run.map(|run| format!(" in run {run}")).unwrap_or_default(),
            report.stored,
            started.elapsed().as_millis()
        );
        Ok(())
    }

    /// (Re)starts the backfill daemon, which launches the runs of
    /// requested backfills (always: runs are then executed by this server's
    /// executor or by separate workers), and the executor unless
    /// `--no-executor`.
    fn restart_execution(self: &Arc<Self>) {
        let stop = self.shutdown.child_token();
        let previous = std::mem::replace(
            &mut *self.executor_stop.write().unwrap_or_else(std::sync::PoisonError::into_inner),
            stop.clone(),
        );
        previous.cancel();
        let instance = self.instance();
        if let Some(concurrency) = self.execution.executors {
            let executor = instance.executor(ExecutorOptions { run: None, concurrency });
            let executor_stop = stop.clone();
            let task = self.execution_runtime.handle().spawn(async move {
                if let Err(error) = executor.run(executor_stop).await {
                    tracing::error!("the server's executor stopped: {error}");
                }
            });
            // A replaced executor finishes on its own (its token is cancelled).
            *self.executor_task.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(task);
        }
        let status = self.backfill_daemon.clone();
        self.execution_runtime
            .handle()
            .spawn(async move { instance.run_backfill_daemon(BACKFILL_DAEMON_INTERVAL, stop, status).await });
    }

    /// Waits for the executor to stop after [`Self::shutdown`]: its running
    /// steps finish within the shutdown grace, the rest are given back.
    pub async fn wait_for_executor(&self) {
        let task = self.executor_task.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    async fn follow_head(self: Arc<Self>) {
        loop {
            match self.instance().store().last_event_seq().await {
                Ok(seq) => {
                    self.head.send_if_modified(|head| {
                        let moved = *head != seq;
                        *head = seq;
                        moved
                    });
                }
                Err(error) => tracing::warn!("cannot read the event log: {error}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(HEAD_POLL) => {}
                _ = self.shutdown.cancelled() => return,
            }
        }
    }

    /// Appends a `FRESHNESS_CHANGED` event (data: `from`, `to`,
    /// `overdueBySecs`) for each asset whose freshness status differs from
    /// the previous summary's. The first summary after start only sets the
    /// baseline.
    async fn record_freshness_changes(&self, summary: &ProjectSummary) -> Result<(), cairn_store::StoreError> {
        let instance = self.instance();
        let now = instance.clock().now();
        let mut current = HashMap::new();
        let mut evaluated = HashMap::new();
        for (key, asset) in &summary.assets {
            if let Some(freshness) = instance.asset_freshness(key, asset, now) {
                current.insert(key.clone(), freshness.freshness.status);
                evaluated.insert(key.clone(), freshness);
            }
        }
        let previous =
            self.freshness.lock().unwrap_or_else(std::sync::PoisonError::into_inner).replace(current.clone());
        let Some(previous) = previous else { return Ok(()) };
        let mut events = Vec::new();
        for (key, status) in &current {
            let before = previous.get(key).copied();
            if before == Some(*status) || before.is_none() {
                continue;
            }
            let from = before.map_or("NONE", FreshnessStatus::as_str);
            let overdue = evaluated.get(key).and_then(|f| f.freshness.overdue_by).map(|d| d.as_secs_f64());
            events.push(NewEvent {
                kind: EventKind::FreshnessChanged,
                run_id: None,
                step_id: None,
                asset: Some(key.clone()),
                partition: None,
                level: if matches!(status, FreshnessStatus::Fail | FreshnessStatus::Warn) {
                    EventLevel::Warn
                } else {
                    EventLevel::Info
                },
                message: format!("freshness {from} -> {}", status.as_str()),
                data: Some(serde_json::json!({ "from": from, "to": status.as_str(), "overdueBySecs": overdue })),
                at: now,
            });
        }
        if events.is_empty() { Ok(()) } else { instance.store().append_events(&events).await }
    }

    async fn keep_summary(self: Arc<Self>) {
        let mut head = self.head();
        let mut last_observed = tokio::time::Instant::now();
        loop {
            let observe = last_observed.elapsed() >= OBSERVE_EVERY;
            if observe {
                last_observed = tokio::time::Instant::now();
            }
            match self.refresh_summary(observe).await {
                Ok(summary) => {
                    if let Err(error) = self.record_freshness_changes(&summary).await {
                        tracing::warn!("cannot record freshness changes: {error}");
                    }
                }
                Err(error) => tracing::warn!("cannot summarize the project's state: {error}"),
            }
            tokio::select! {
                _ = head.changed() => tokio::time::sleep(SUMMARY_DEBOUNCE).await,
                _ = tokio::time::sleep(SUMMARY_MAX_AGE) => {}
                _ = self.shutdown.cancelled() => return,
            }
        }
    }
}

/// The sources whose observation differs between `before` and `after`
/// (another data version, or observed in one and not the other).
fn changed_sources(before: &[SourceObservation], after: &[SourceObservation]) -> Vec<AssetKey> {
    let seen = |observation: &SourceObservation| match &observation.result {
        Ok(observed) => Ok(observed.data_version.clone()),
        Err(error) => Err(error.to_string()),
    };
    let before: HashMap<&AssetKey, _> = before.iter().map(|o| (&o.asset, seen(o))).collect();
    after.iter().filter(|o| before.get(&o.asset) != Some(&seen(o))).map(|o| o.asset.clone()).collect()
}
