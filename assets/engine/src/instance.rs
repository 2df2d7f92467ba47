//! [`Instance`]: a project and its metadata store, and everything the CLI,
//! the server, workers, benchmarks and tests do with them, as Dagster's
//! `DagsterInstance`. It never prints and never reads signals: it returns
//! typed results and warnings, reports progress through the store's event
//! log, and takes a cancellation token where work can be stopped.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cairn_assets::Project;
use cairn_assets::observe::{SourceObservation, apply_observations, observe_sources};
use cairn_assets::project::{ExecutorSettings, resolve_database_url};
use cairn_core::AssetKey;
use cairn_core::partitions::PartitionsDefinition;
use cairn_core::partitions::subset::ranges_of_positions;
use cairn_core::planner::{PartitionFilter, Plan, PlanMode, PlanRequest, plan, selected_partitions};
use cairn_core::run::{PartitionRanges, PartitionScope, RunTarget};
use cairn_core::state::{AssetPartition, StoredState};
use cairn_lineage::Selection;
use cairn_store::{
    Cancellation, LostData, MetadataStore, NewObservation, NewRun, NewStep, RunId, RunOrigin, RunStatus,
};
use chrono::{DateTime, Utc};

use crate::error::EngineError;
use crate::executor::{Executor, ExecutorOptions};
use crate::step::StepContext;

/// Where the engine gets the time (UTC). The system clock, or a fixed or
/// controlled one in tests.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(Utc::now))
    }

    /// A clock that calls `now`.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time, UTC.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// What a backfill daemon did lately ([`Instance::run_backfill_daemon`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackfillDaemonStatus {
    /// When its last pass ended (UTC); `None` before the first.
    pub last_pass_at: Option<DateTime<Utc>>,
    /// The error of its last pass, if it failed (it tries again at the next).
    pub last_error: Option<String>,
    /// The backfill runs it launched since it started.
    pub launched: u64,
}

/// A loaded project with its metadata store. Cheap to clone.
#[derive(Clone)]
pub struct Instance {
    project: Arc<Project>,
    store: MetadataStore,
    executor: ExecutorSettings,
    clock: Clock,
    steps: Arc<StepContext>,
}

/// The state of the project now: the store's latest materializations and
/// observations, with the sources observed now.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Latest materializations and observations, with current source
    /// observations applied. Data files are not looked at: one that is
    /// gone is found by the step that reads it, or by
    /// [`Instance::verify_data`].
    pub state: StoredState,
    /// The sources as observed now.
    pub observations: Vec<SourceObservation>,
    /// Sources whose data version is new since the last recorded observation.
    pub changed_sources: Vec<AssetKey>,
    /// When the snapshot was taken (UTC); it fixes the set of time-window
    /// partitions.
    pub now: DateTime<Utc>,
}

/// Something worth telling the user that is not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A source could not be observed (no files): it and what reads it
    /// count as missing.
    SourceUnavailable {
        /// The source.
        asset: AssetKey,
        /// Why.
        message: String,
    },
}

impl Snapshot {
    /// What the user should know about this snapshot.
    pub fn warnings(&self) -> Vec<Warning> {
        observation_warnings(&self.observations)
    }
}

/// The sources of `observations` that could not be observed.
pub(crate) fn observation_warnings(observations: &[SourceObservation]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for observation in observations {
        if let Err(error) = &observation.result {
            warnings.push(Warning::SourceUnavailable { asset: observation.asset.clone(), message: error.to_string() });
        }
    }
    warnings
}

/// A run to launch: what to record with it, and what it targets.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Who launches it.
    pub origin: RunOrigin,
    /// Tags to store with it.
    pub tags: BTreeMap<String, String>,
    /// The selection as typed (for display).
    pub selection_text: String,
    /// The partition filter as typed (for display).
    pub partition_text: Option<String>,
    /// The selected assets.
    pub selection: BTreeSet<AssetKey>,
    /// Which partitions.
    pub partitions: PartitionFilter,
    /// Only the missing or stale asset partitions (`true`, what `cairn
    /// materialize` does), or every targeted one.
    pub only_stale: bool,
}

impl Instance {
    /// Loads the project in `project_dir` and connects to its metadata
    /// store (`database_url`, when given, overrides `database:` in
    /// cairn.yaml; a relative SQLite path is relative to the project).
    ///
    /// # Errors
    /// [`EngineError::InvalidProject`] with every problem of the project;
    /// [`EngineError::DatabaseUrl`] or [`EngineError::Store`] when the store
    /// cannot be opened.
    pub async fn open(project_dir: &Path, database_url: Option<&str>) -> Result<Self, EngineError> {
        let project = Project::load(project_dir).map_err(|diagnostics| EngineError::InvalidProject {
            project: project_dir.display().to_string(),
            diagnostics,
        })?;
        Self::with_project(project, database_url).await
    }

    /// As [`Self::open`], for a project already loaded.
    ///
    /// # Errors
    /// As [`Self::open`].
    pub async fn with_project(project: Project, database_url: Option<&str>) -> Result<Self, EngineError> {
        let url = match database_url {
            Some(url) => resolve_database_url(&project.root, url).map_err(EngineError::DatabaseUrl)?,
            None => project.settings.database_url.clone(),
        };
        let store = MetadataStore::connect(&url).await?;
        let executor = project.settings.executor;
        let project = Arc::new(project);
        let clock = Clock::system();
        let steps = Arc::new(StepContext::new(project.clone(), store.clone(), clock.clone()));
        Ok(Self { project, store, executor, clock, steps })
    }

    /// The same instance with other executor settings (leases, heartbeats,
    /// shutdown grace), e.g. from command-line flags.
    ///
    /// # Errors
    /// [`EngineError::RunState`] when the settings cannot work (see
    /// [`ExecutorSettings::problem`]).
    pub fn with_executor_settings(mut self, settings: ExecutorSettings) -> Result<Self, EngineError> {
        if let Some(problem) = settings.problem() {
            return Err(EngineError::RunState(problem));
        }
        self.executor = settings;
        Ok(self)
    }

    /// The same instance reading the time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.steps = Arc::new(StepContext::new(self.project.clone(), self.store.clone(), clock.clone()));
        self.clock = clock;
        self
    }

    /// The project.
    pub fn project(&self) -> &Arc<Project> {
        &self.project
    }

    /// The metadata store.
    pub fn store(&self) -> &MetadataStore {
        &self.store
    }

    /// The executor settings in use.
    pub fn executor_settings(&self) -> ExecutorSettings {
        self.executor
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The executors (of every process sharing this store) with a
    /// heartbeat within `window` of now, newest start first, each with its
    /// status (running, stopped, or lost: its lease passed since its last
    /// heartbeat) and the steps it holds. For the deployment page.
    ///
    /// # Errors
    /// [`EngineError::Store`] if the store fails.
    pub async fn executors(&self, window: chrono::Duration) -> Result<Vec<cairn_store::ExecutorRecord>, EngineError> {
        let now = self.clock.now();
        Ok(self.store.executors(now - window, now).await?)
    }

    /// Resolves a selection (see `cairn_lineage::selection`; none: all).
    ///
    /// # Errors
    /// [`EngineError::Selection`] for malformed terms or unknown keys (with
    /// the closest name).
    pub fn select(&self, terms: &[String]) -> Result<BTreeSet<AssetKey>, EngineError> {
        let selection = Selection::parse(&terms.join(" "))?;
        Ok(selection.resolve(&self.project.graph)?)
    }

    /// Observes every source and loads the store's state (see [`Snapshot`]).
    /// Records nothing.
    ///
    /// # Errors
    /// [`EngineError::Store`] if the state cannot be read.
    pub async fn snapshot(&self) -> Result<Snapshot, EngineError> {
        let observations = observe_sources(&self.project).await;
        self.snapshot_from(observations).await
    }

    /// [`Self::snapshot`] for planning `selection`: every source observed,
    /// and the stored state of `selection` and its upstream assets only
    /// (see `MetadataStore::load_state_of`). A plan of `selection` made from
    /// it is the one the whole snapshot gives, for the cost of those
    /// assets' partitions.
    ///
    /// # Errors
    /// [`EngineError::Store`] if the state cannot be read.
    pub async fn snapshot_of(&self, selection: &BTreeSet<AssetKey>) -> Result<Snapshot, EngineError> {
        let mut scope = selection.clone();
        for key in selection {
            scope.extend(self.project.graph.ancestors(key, None));
        }
        let observations = observe_sources(&self.project).await;
        let mut state = self.store.load_state_of(&scope).await?;
        let now = self.clock.now();
        let changed_sources = apply_observations(&mut state, &observations, now);
        Ok(Snapshot { state, observations, changed_sources, now })
    }

    pub(crate) async fn snapshot_from(&self, observations: Vec<SourceObservation>) -> Result<Snapshot, EngineError> {
        let mut state = self.store.load_state().await?;
        let now = self.clock.now();
        let changed_sources = apply_observations(&mut state, &observations, now);
        Ok(Snapshot { state, observations, changed_sources, now })
    }

    /// Looks for the data file of every current materialization (the one
    /// place Cairn reads the whole data folder: `--verify` of `cairn
    /// status`, `plan`, `materialize` and `gc`) and wipes those whose file
    /// is gone (deleted by hand, or `data_dir` changed): from then on they
    /// count as missing and are planned again, for every reader (see
    /// `cairn_store::MetadataStore::wipe_lost_data`). Answers the asset
    /// partitions wiped, sorted.
    ///
    /// # Errors
    /// [`EngineError::Store`] if the store cannot be read or written.
    pub async fn verify_data(&self) -> Result<Vec<AssetPartition>, EngineError> {
        let state = self.store.load_state().await?;
        let project = self.project.clone();
        let lost = tokio::task::spawn_blocking(move || lost_data(&project, &state))
            .await
            .map_err(|e| EngineError::Io(format!("looking for data files stopped: {e}")))?;
        let mut wiped = self.store.wipe_lost_data(&lost, self.clock.now()).await?;
        wiped.sort();
        Ok(wiped)
    }

    /// Launches the runs of requested backfills every `interval` until
    /// `shutdown` is cancelled (the backfill daemon of `cairn serve` and
    /// `cairn worker`). Store errors are logged and retried at the next
    /// tick. Each pass is recorded in `status` (for the deployment page).
    pub async fn run_backfill_daemon(
        &self,
        interval: Duration,
        shutdown: tokio_util::sync::CancellationToken,
        status: Arc<std::sync::Mutex<BackfillDaemonStatus>>,
    ) {
        loop {
            let result = self.launch_requested_backfills().await;
            if let Err(error) = &result {
                tracing::warn!("backfill daemon: {error}");
            }
            if let Ok(mut status) = status.lock() {
                status.last_pass_at = Some(self.clock.now());
                match result {
                    Ok(launched) => {
                        status.launched += launched as u64;
                        status.last_error = None;
                    }
                    Err(error) => status.last_error = Some(error.to_string()),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// Plans what `selection` and `partitions` need, from `snapshot`.
    ///
    /// # Errors
    /// [`EngineError::Plan`] for a partition filter that selects nothing.
    pub fn plan(
        &self,
        snapshot: &Snapshot,
        selection: BTreeSet<AssetKey>,
        partitions: PartitionFilter,
        mode: PlanMode,
    ) -> Result<Plan, EngineError> {
        let request = PlanRequest { selection, partitions, now: snapshot.now, mode };
        Ok(plan(self.project.specs(), &snapshot.state, &request)?)
    }

    /// Stores a run of `plan` (made from `snapshot`) with its steps, after
    /// recording the source observations that are new, so every executor
    /// reads the same data versions. Nothing executes until an executor
    /// claims its steps.
    ///
    /// # Errors
    /// [`EngineError::Store`] if anything cannot be stored.
    pub async fn launch(&self, snapshot: &Snapshot, plan: &Plan, launch: &Launch) -> Result<RunId, EngineError> {
        for observation in &snapshot.observations {
            let Ok(observed) = &observation.result else { continue };
            if snapshot.changed_sources.contains(&observation.asset) {
                self.store
                    .record_observation(&NewObservation {
                        run_id: None,
                        asset: observation.asset.clone(),
                        data_version: observed.data_version.clone(),
                        observed_at: snapshot.now,
                    })
                    .await?;
            }
        }
        let target = RunTarget {
            assets: launch.selection.iter().cloned().collect(),
            partitions: self.scope(&launch.selection, &launch.partitions, snapshot.now),
            only_stale: launch.only_stale,
        };
        let steps = new_steps(plan);
        let run = NewRun {
            project: self.project.settings.name.clone(),
            origin: launch.origin,
            tags: launch.tags.clone(),
            selection: launch.selection_text.clone(),
            partition_filter: launch.partition_text.clone(),
            target,
            steps,
            created_at: self.clock.now(),
        };
        Ok(self.store.create_run(&run).await?)
    }

    /// The partitions `filter` selects, as key ranges per partitions
    /// definition of the selected assets.
    pub(crate) fn scope(
        &self,
        selection: &BTreeSet<AssetKey>,
        filter: &PartitionFilter,
        now: DateTime<Utc>,
    ) -> PartitionScope {
        match filter {
            PartitionFilter::All => return PartitionScope::All,
            PartitionFilter::Scope(scope) => return scope.clone(),
            PartitionFilter::Keys(_) | PartitionFilter::Range { .. } => {}
        }
        let mut by_definition: HashMap<&PartitionsDefinition, Vec<AssetKey>> = HashMap::new();
        let mut order: Vec<&PartitionsDefinition> = Vec::new();
        for spec in self.project.specs() {
            let Some(definition) = spec.partitions.as_deref() else { continue };
            if !spec.is_materializable() || !selection.contains(&spec.key) {
                continue;
            }
            let assets = by_definition.entry(definition).or_default();
            if assets.is_empty() {
                order.push(definition);
            }
            assets.push(spec.key.clone());
        }
        let groups = order
            .into_iter()
            .map(|definition| {
                let keys = definition.keys(now);
                let selected = selected_partitions(definition, filter, now);
                let positions = {
                    let index: HashMap<_, usize> = keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
                    selected.iter().filter_map(|key| index.get(key).copied()).collect::<Vec<_>>()
                };
                PartitionRanges {
                    definition: definition.describe(),
                    assets: by_definition.remove(definition).unwrap_or_default(),
                    ranges: ranges_of_positions(&keys, positions),
                }
            })
            .collect();
        PartitionScope::Ranges { groups }
    }

    /// An executor for this project (see [`crate::executor`]).
    pub fn executor(&self, options: ExecutorOptions) -> Executor {
        Executor::new(self.steps.clone(), self.executor, self.project.settings.superseded_retention, options)
    }

    /// Requests the cancellation of a run (see `MetadataStore::cancel_run`).
    /// Running steps stop within a fraction of a second wherever they run,
    /// and the run ends `CANCELED`.
    ///
    /// # Errors
    /// [`EngineError::UnknownRun`], or [`EngineError::Store`].
    pub async fn cancel_run(&self, run: RunId) -> Result<Cancellation, EngineError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.store.cancel_run(run, self.clock.now()).await {
                Err(cairn_store::StoreError::NotFound(_)) => return Err(EngineError::UnknownRun(run)),
                // A deadlock with a step being recorded at that moment: the
                // database undid one of the two; do it again.
                Err(error) if error.is_transient() && attempts < 5 => {
                    tokio::time::sleep(Duration::from_millis(20 * attempts)).await;
                }
                other => return Ok(other?),
            }
        }
    }

    /// Gets a run ready to be resumed: re-queues its steps held by dead
    /// executors of this machine at once (those of other machines come
    /// back when their lease expires). An executor of the run
    /// ([`ExecutorOptions::run`]) then finishes exactly the steps that had
    /// not committed.
    ///
    /// # Errors
    /// [`EngineError::UnknownRun`]; [`EngineError::RunState`] for a run
    /// that has finished; [`EngineError::Store`].
    pub async fn prepare_resume(&self, run: RunId) -> Result<(), EngineError> {
        let record = self.store.run(run).await?.ok_or(EngineError::UnknownRun(run))?;
        if record.status.is_finished() {
            return Err(EngineError::RunState(format!(
                "run {run} has finished ({}); nothing to resume. `cairn materialize` plans what is still missing or stale",
                record.status
            )));
        }
        crate::owner::requeue_steps_of_dead_local_owners(&self.store, self.clock.now()).await?;
        self.store.expire_leases(self.clock.now()).await?;
        Ok(())
    }

    /// The runs launched from the CLI (`cairn materialize`) other than
    /// `except` that are unfinished with nothing executing them: their
    /// process was killed. Steps held by dead executors of this machine
    /// and steps whose lease expired are re-queued first, so a step still
    /// marked `RUNNING` by a process killed a moment ago does not count as
    /// executed. Newest first, at most 20.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn unattended_runs(&self, except: RunId) -> Result<Vec<RunId>, EngineError> {
        crate::owner::requeue_steps_of_dead_local_owners(&self.store, self.clock.now()).await?;
        self.store.expire_leases(self.clock.now()).await?;
        let filter = cairn_store::RunFilter {
            statuses: Some(vec![RunStatus::Started]),
            origin: Some(RunOrigin::Cli),
            ..cairn_store::RunFilter::default()
        };
        let runs = self.store.runs(&filter, 20).await?;
        let running = self.store.running_steps(None).await?;
        Ok(runs
            .iter()
            .map(|run| run.id)
            .filter(|&id| id != except && !running.iter().any(|step| step.run_id == id))
            .collect())
    }

    /// How long a step's lease lasts without a heartbeat.
    pub fn lease(&self) -> Duration {
        self.executor.lease
    }
}

/// The current materializations in `state` whose data file no longer
/// exists.
fn lost_data(project: &Project, state: &StoredState) -> Vec<LostData> {
    let mut lost = Vec::new();
    for asset in project.assets() {
        if asset.output().is_none() {
            continue;
        }
        for (partition, record) in state.materializations_of(asset.key()) {
            if !project.settings.data_dir.join(&record.path).is_file() {
                lost.push(LostData {
                    target: AssetPartition::new(asset.key().clone(), partition.cloned()),
                    materialization_id: record.id,
                    path: record.path.clone(),
                });
            }
        }
    }
    lost
}

/// A plan's steps as the store keeps them (a run's steps, in plan order).
pub(crate) fn new_steps(plan: &Plan) -> Vec<NewStep> {
    plan.steps
        .iter()
        .map(|step| NewStep {
            target: step.target.clone(),
            reasons: step.reasons.clone(),
            conditional: step.is_conditional(),
            waits_for: step.waits_for.clone(),
        })
        .collect()
}
