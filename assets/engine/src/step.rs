//! Executing one claimed step: decide whether it still needs to run, read
//! its inputs, produce the data under staging, check it, publish it to a
//! path of its own, and say how it ended. Recording the outcome (the
//! commit point) is the executor's next move (see [`crate::executor`]).
//!
//! # Does the step still need to run?
//!
//! Everything is read from the store when the step starts, not from the
//! state the plan was made from, so steps executed by different processes,
//! or resumed later, agree. The step's asset partition is *fresh* when its
//! latest materialization has the current code version, read exactly the
//! upstream partitions it would read now with the data versions they have
//! now, and its data file still exists. A fresh step is skipped:
//!
//! * when another run materialized it after this run was launched
//!   (`materialized_by_other_run`: two overlapping runs never do the same
//!   work twice, whatever the run's mode);
//! * otherwise, in a run of only missing or stale partitions (what
//!   `cairn materialize` launches): `upstream_unchanged` when it was planned
//!   only because an upstream step of the run might change data, else
//!   `already_fresh`.
//!
//! A run that materializes every targeted partition (a backfill without
//! "only stale") runs a fresh step anyway, unless another run just did.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cairn_assets::Project;
use cairn_assets::definition::{Asset, AssetDefinition, CommandDefinition, OutputFormat, SqlDefinition};
use cairn_assets::observe::file_data_version;
use cairn_assets::sql::partition_parameters;
use cairn_assets::tables::{FileSettings, new_session, register_files, register_table, table_reference};
use cairn_core::partitions::{PartitionKey, UpstreamPartitions};
use cairn_core::state::{AssetPartition, InputVersion, MaterializationRecord};
use cairn_core::{AssetKey, DataVersion};
use cairn_store::{
    ClaimedStep, EventLevel, MetadataStore, NewCheckResult, NewEvent, NewMaterialization, RunId, SkipReason,
    StepOutcome,
};
use chrono::{DateTime, Utc};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::checks::{CheckOutcome, run_checks};
use crate::command::{CommandRun, run_command};
use crate::error::ExecuteError;
use crate::hashing::TableHasher;
use crate::instance::Clock;
use crate::layout::{Attempt, DataLayout, StagingGuard};
use crate::sources::SourceCache;
use crate::writer::write_stream;

/// The partition keys of one definition, shared.
type KeyList = Arc<Vec<PartitionKey>>;

/// What every step executed by one process shares.
pub(crate) struct StepContext {
    pub project: Arc<Project>,
    pub store: MetadataStore,
    pub layout: DataLayout,
    pub sources: SourceCache,
    pub clock: Clock,
    /// Partition keys of each partitioned asset as of a run's creation,
    /// computed once per asset and run.
    keys: Mutex<HashMap<(AssetKey, DateTime<Utc>), KeyList>>,
}

impl StepContext {
    pub fn new(project: Arc<Project>, store: MetadataStore, clock: Clock) -> Self {
        Self {
            layout: DataLayout::new(project.settings.data_dir.clone()),
            project,
            store,
            sources: SourceCache::default(),
            clock,
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn partition_keys(&self, asset: &Asset, at: DateTime<Utc>) -> Arc<Vec<PartitionKey>> {
        let Some(definition) = &asset.spec.partitions else { return Arc::new(Vec::new()) };
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.entry((asset.key().clone(), at)).or_insert_with(|| Arc::new(definition.keys(at))).clone()
    }

    /// Forgets what was cached for a finished run.
    pub fn forget_run(&self, run: RunId, created_at: DateTime<Utc>) {
        self.sources.forget_run(run);
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.retain(|(_, at), _| *at != created_at);
    }
}

/// How executing a step went, ready to record.
pub(crate) struct Execution {
    /// What to record.
    pub outcome: StepOutcome,
    /// Log lines to append with it.
    pub logs: Vec<NewEvent>,
    /// The published file (absolute), to remove if the record is refused.
    pub published: Option<PathBuf>,
    /// Wall time of the step.
    pub duration: Duration,
    /// Time DataFusion spent planning and running the query.
    pub query_time: Duration,
}

/// One upstream asset as a step reads it.
struct Input {
    key: AssetKey,
    versions: Vec<InputVersion>,
    read: Read,
}

enum Read {
    /// A source's table, shared by the run's steps.
    Source { table: Arc<dyn datafusion::catalog::TableProvider>, files: Vec<PathBuf> },
    /// Files of materialized partitions.
    Files { files: Vec<PathBuf>, settings: Option<FileSettings> },
}

impl Input {
    fn files(&self) -> &[PathBuf] {
        match &self.read {
            Read::Source { files, .. } | Read::Files { files, .. } => files,
        }
    }
}

/// What producing the staged data yielded.
struct Produced {
    rows: Option<u64>,
    data_version: DataVersion,
    query_time: Duration,
    /// A session where the staged data is registered under the asset's key
    /// (and, for SQL assets, its upstream tables), for checks.
    checks_context: Option<SessionContext>,
    logs: Vec<NewEvent>,
}

/// Executes a claimed step (see the module docs). Never panics on user
/// data; every failure is a `Failed` outcome with the previous data left
/// in place.
pub(crate) async fn execute(ctx: &StepContext, claimed: &ClaimedStep) -> Execution {
    let started = Instant::now();
    let mut logs = Vec::new();
    let result = decide_and_run(ctx, claimed, &mut logs).await;
    let duration = started.elapsed();
    match result {
        Ok(Decision::Skip(reason)) => Execution {
            outcome: StepOutcome::Skipped(reason),
            logs,
            published: None,
            duration,
            query_time: Duration::ZERO,
        },
        Ok(Decision::Materialized { materialization, checks, data_changed, published, query_time }) => {
            let mut materialization = *materialization;
            materialization.duration_ms = duration.as_millis() as i64;
            Execution {
                outcome: StepOutcome::Materialized { materialization, checks, data_changed },
                logs,
                published: Some(published),
                duration,
                query_time,
            }
        }
        Err((error, checks)) => Execution {
            outcome: StepOutcome::Failed { error: error.with_details(), checks },
            logs,
            published: None,
            duration,
            query_time: Duration::ZERO,
        },
    }
}

enum Decision {
    Skip(SkipReason),
    Materialized {
        materialization: Box<NewMaterialization>,
        checks: Vec<NewCheckResult>,
        data_changed: bool,
        published: PathBuf,
        query_time: Duration,
    },
}

type StepError = (ExecuteError, Vec<NewCheckResult>);

fn no_checks(error: impl Into<ExecuteError>) -> StepError {
    (error.into(), Vec::new())
}

async fn decide_and_run(
    ctx: &StepContext,
    claimed: &ClaimedStep,
    logs: &mut Vec<NewEvent>,
) -> Result<Decision, StepError> {
    let target = &claimed.step.target;
    let run = claimed.lease.run;
    let asset =
        ctx.project.asset(&target.asset).ok_or_else(|| no_checks(ExecuteError::Undefined(target.asset.to_string())))?;
    let inputs = inputs(ctx, claimed, asset).await.map_err(no_checks)?;
    let mut current: Vec<InputVersion> = inputs.iter().flat_map(|input| input.versions.iter().cloned()).collect();
    current.sort();
    let latest = ctx.store.latest_materialization(target).await.map_err(no_checks)?;
    let latest_file_exists = latest.as_ref().is_some_and(|l| ctx.layout.absolute(&l.path).is_file());
    if let Some(latest) = latest.as_ref().filter(|_| latest_file_exists)
        && let Some(reason) = skip_reason(claimed, asset, latest, &current)
    {
        return Ok(Decision::Skip(reason));
    }
    let attempt = Attempt { run, step: claimed.step.id, attempt: claimed.lease.attempt };
    let extension = asset.output().map(|o| o.extension().to_owned()).unwrap_or_default();
    let staged = ctx.layout.staging_path(attempt, &extension);
    let _staging = StagingGuard::new(staged.clone());
    ctx.layout.prepare(&staged).map_err(no_checks)?;
    // A command enforces its own time limit (it kills its process group and
    // keeps its stderr); other steps are stopped here.
    let limit = match asset.definition {
        AssetDefinition::Command(_) => None,
        _ => asset.timeout,
    };
    let producing = produce(ctx, run, asset, target, &inputs, &staged);
    let produced = match limit {
        Some(limit) => tokio::time::timeout(limit, producing).await.map_err(|_| {
            no_checks(ExecuteError::Timeout { asset: asset.key().to_string(), seconds: limit.as_secs() })
        })?,
        None => producing.await,
    }
    .map_err(no_checks)?;
    logs.extend(produced.logs.iter().cloned());
    let checks = match &produced.checks_context {
        Some(session) if !asset.checks.is_empty() => run_checks(session, asset).await,
        _ => Vec::new(),
    };
    let now = ctx.clock.now();
    let results: Vec<NewCheckResult> = checks.iter().map(|check| check_result(check, now)).collect();
    for check in checks.iter().filter(|c| !c.passed) {
        let level = if check.blocks_publication() { EventLevel::Error } else { EventLevel::Warn };
        logs.push(log(run, target, level, check_message(check), now));
    }
    let blocking: Vec<String> = checks.iter().filter(|c| c.blocks_publication()).map(CheckOutcome::summary).collect();
    if !blocking.is_empty() {
        let error = ExecuteError::CheckFailed {
            asset: asset.key().to_string(),
            failed: blocking,
            had_data: latest_file_exists,
        };
        return Err((error, results));
    }
    let relative = ctx.layout.relative_path(asset.key(), target.partition.as_ref(), attempt, &extension);
    let published = ctx.layout.data_dir().join(&relative);
    ctx.layout.publish(&staged, &published).map_err(|e| (e, results.clone()))?;
    let bytes = fs_err::metadata(&published).map(|m| m.len()).unwrap_or(0);
    let data_changed = latest.as_ref().is_none_or(|l| l.data_version != produced.data_version);
    let materialization = NewMaterialization {
        asset: asset.key().clone(),
        partition: target.partition.clone(),
        code_version: asset.spec.code_version.clone(),
        data_version: produced.data_version,
        inputs: current,
        rows: produced.rows.map(|r| r as i64),
        bytes: bytes as i64,
        duration_ms: 0,
        path: relative.to_string_lossy().into_owned(),
        materialized_at: now,
    };
    Ok(Decision::Materialized {
        materialization: Box::new(materialization),
        checks: results,
        data_changed,
        published,
        query_time: produced.query_time,
    })
}

/// Why a step whose asset partition is materialized need not run, if it
/// need not (see the module docs).
fn skip_reason(
    claimed: &ClaimedStep,
    asset: &Asset,
    latest: &MaterializationRecord,
    current: &[InputVersion],
) -> Option<SkipReason> {
    let fresh = latest.code_version == asset.spec.code_version && latest.inputs == current;
    if !fresh {
        return None;
    }
    let by_other_run = latest.run_id != claimed.lease.run.0 && latest.materialized_at >= claimed.run_created_at;
    if by_other_run {
        Some(SkipReason::MaterializedByOtherRun { run: RunId(latest.run_id) })
    } else if !claimed.only_stale {
        None
    } else if claimed.step.conditional {
        Some(SkipReason::UpstreamUnchanged)
    } else {
        Some(SkipReason::AlreadyFresh)
    }
}

/// The upstream partitions the step reads, with their current data
/// versions and files, from the store.
async fn inputs(ctx: &StepContext, claimed: &ClaimedStep, asset: &Asset) -> Result<Vec<Input>, ExecuteError> {
    let target = &claimed.step.target;
    let at = claimed.run_created_at;
    let mut inputs = Vec::with_capacity(asset.spec.deps.len());
    for dep in &asset.spec.deps {
        let upstream = ctx
            .project
            .asset(&dep.key)
            .ok_or_else(|| ExecuteError::Internal(format!("upstream `{}` is not in the project", dep.key)))?;
        if let AssetDefinition::Source(_) = &upstream.definition {
            let read =
                ctx.sources.get(&ctx.store, &ctx.clock, claimed.lease.run, &dep.key, &upstream.definition).await?;
            inputs.push(Input {
                key: dep.key.clone(),
                versions: vec![InputVersion {
                    asset: dep.key.clone(),
                    partition: None,
                    data_version: read.data_version,
                }],
                read: Read::Source { table: read.table, files: read.files },
            });
            continue;
        }
        let upstream_keys = ctx.partition_keys(upstream, at);
        let partitions: Vec<Option<PartitionKey>> = match dep.mapping.upstream_partitions(
            asset.spec.partitions.as_deref(),
            target.partition.as_ref(),
            upstream.spec.partitions.as_deref(),
            &upstream_keys,
            at,
        ) {
            UpstreamPartitions::Whole => vec![None],
            UpstreamPartitions::Keys(keys) => keys.into_iter().map(Some).collect(),
        };
        let current = ctx.store.current_data(&dep.key, &partitions).await?;
        let settings = match upstream.output() {
            Some(OutputFormat::Table(format)) => Some(FileSettings::written(format)),
            _ => None,
        };
        let mut files = Vec::with_capacity(partitions.len());
        let mut versions = Vec::with_capacity(partitions.len());
        for partition in partitions {
            let what = || AssetPartition::new(dep.key.clone(), partition.clone()).to_string();
            let Some(data) = current.get(&partition) else {
                return Err(ExecuteError::Input { asset: what(), message: "it has no data yet".into() });
            };
            let path = ctx.layout.absolute(data.path.as_deref().unwrap_or_default());
            if !path.is_file() {
                let target = AssetPartition::new(dep.key.clone(), partition.clone());
                return Err(ExecuteError::Input { asset: what(), message: lost_input(ctx, target, data, &path).await });
            }
            files.push(path);
            versions.push(InputVersion { asset: dep.key.clone(), partition, data_version: data.data_version.clone() });
        }
        inputs.push(Input { key: dep.key.clone(), versions, read: Read::Files { files, settings } });
    }
    Ok(inputs)
}

async fn produce(
    ctx: &StepContext,
    run: RunId,
    asset: &Asset,
    target: &AssetPartition,
    inputs: &[Input],
    staged: &Path,
) -> Result<Produced, ExecuteError> {
    match &asset.definition {
        AssetDefinition::Sql(query) => run_sql(asset, query, target, inputs, staged).await,
        AssetDefinition::Command(command) => run_command_asset(ctx, run, asset, command, target, inputs, staged).await,
        AssetDefinition::Source(_) => {
            Err(ExecuteError::Internal(format!("source `{}` cannot be materialized", asset.key())))
        }
    }
}

/// Bytes of Arrow memory of a SQL step's output kept for its checks
/// instead of reading the staged file back.
const CHECKED_IN_MEMORY: usize = 64 << 20;

async fn run_sql(
    asset: &Asset,
    query: &SqlDefinition,
    target: &AssetPartition,
    inputs: &[Input],
    staged: &Path,
) -> Result<Produced, ExecuteError> {
    let session = new_session();
    for input in inputs {
        match &input.read {
            Read::Source { table, .. } => register_table(&session, &input.key, table.clone())?,
            Read::Files { files, settings: Some(settings) } => {
                register_files(&session, &input.key, files, *settings).await?;
            }
            Read::Files { settings: None, .. } => {}
        }
    }
    let name = asset.key().to_string();
    let query_error = |e: datafusion::error::DataFusionError| ExecuteError::Query {
        asset: name.clone(),
        message: e.strip_backtrace(),
    };
    let planning = Instant::now();
    let mut frame = session.sql(&query.text).await.map_err(query_error)?;
    if !query.parameters.is_empty() {
        frame = frame.with_param_values(partition_parameters(asset, target.partition.as_ref())).map_err(query_error)?;
    }
    let stream = frame.execute_stream().await.map_err(query_error)?;
    let schema = stream.schema();
    let planning_time = planning.elapsed();
    let keep = (!asset.checks.is_empty()).then_some(CHECKED_IN_MEMORY);
    let written = write_stream(&name, stream, staged, query.format, keep).await?;
    // Checks read the new data from memory when it was small enough to
    // keep, else from the staged file; without checks, it is not read back.
    let checks_context = match written.kept {
        _ if asset.checks.is_empty() => None,
        Some(batches) => {
            let table = MemTable::try_new(schema, vec![batches]).map_err(query_error)?;
            register_table(&session, asset.key(), Arc::new(table))?;
            Some(session)
        }
        None => {
            register_files(&session, asset.key(), &[staged.to_path_buf()], FileSettings::written(query.format)).await?;
            Some(session)
        }
    };
    Ok(Produced {
        rows: Some(written.rows),
        data_version: written.data_version,
        query_time: planning_time + written.query_time,
        checks_context,
        logs: Vec::new(),
    })
}

async fn run_command_asset(
    ctx: &StepContext,
    run: RunId,
    asset: &Asset,
    command: &CommandDefinition,
    target: &AssetPartition,
    inputs: &[Input],
    staged: &Path,
) -> Result<Produced, ExecuteError> {
    let mut env = vec![("CAIRN_RUN_ID".to_owned(), run.to_string())];
    if let Some(key) = &target.partition {
        env.push(("CAIRN_PARTITION_KEY".into(), key.to_string()));
        if let Some(window) = asset.spec.partitions.as_ref().and_then(|d| d.time_window(key.as_str())) {
            env.push(("CAIRN_PARTITION_START".into(), window.start.to_rfc3339()));
            env.push(("CAIRN_PARTITION_END".into(), window.end.to_rfc3339()));
        }
    }
    let input_files: BTreeMap<AssetKey, Vec<PathBuf>> =
        inputs.iter().map(|input| (input.key.clone(), input.files().to_vec())).collect();
    let output = run_command(CommandRun {
        asset: asset.key(),
        definition: command,
        working_dir: &ctx.project.root,
        output: staged,
        env,
        inputs: input_files,
        timeout: asset.timeout,
    })
    .await?;
    let mut logs = Vec::new();
    if !output.stdout_tail.is_empty() {
        let message = format!("stdout (last lines):\n{}", output.stdout_tail.join("\n"));
        logs.push(log(run, target, EventLevel::Info, message, ctx.clock.now()));
    }
    match command.output {
        OutputFormat::File(_) => {
            let path = staged.to_path_buf();
            let (data_version, _) = tokio::task::spawn_blocking(move || file_data_version(&path))
                .await
                .map_err(|e| ExecuteError::Internal(e.to_string()))??;
            Ok(Produced { rows: None, data_version, query_time: Duration::ZERO, checks_context: None, logs })
        }
        OutputFormat::Table(format) => {
            let session = new_session();
            register_files(&session, asset.key(), &[staged.to_path_buf()], FileSettings::written(format))
                .await
                .map_err(|e| ExecuteError::Command {
                    asset: asset.key().to_string(),
                    message: format!("its output is not a readable {} table: {e}", format.extension()),
                    stderr_tail: output.stderr_tail.clone(),
                })?;
            let (rows, data_version) = hash_table(&session, asset.key()).await?;
            Ok(Produced {
                rows: Some(rows),
                data_version,
                query_time: Duration::ZERO,
                checks_context: Some(session),
                logs,
            })
        }
    }
}

/// Row count and data version of a registered table.
async fn hash_table(session: &SessionContext, key: &AssetKey) -> Result<(u64, DataVersion), ExecuteError> {
    let query_error = |e: datafusion::error::DataFusionError| ExecuteError::Query {
        asset: key.to_string(),
        message: e.strip_backtrace(),
    };
    let frame = session.table(table_reference(key)).await.map_err(query_error)?;
    let mut stream = frame.execute_stream().await.map_err(query_error)?;
    let mut hasher = TableHasher::new(&stream.schema());
    while let Some(batch) = stream.next().await {
        hasher.update(&batch.map_err(query_error)?)?;
    }
    Ok((hasher.rows(), hasher.finish()))
}

fn check_result(check: &CheckOutcome, evaluated_at: DateTime<Utc>) -> NewCheckResult {
    NewCheckResult {
        check_name: check.name.clone(),
        severity: check.severity,
        passed: check.passed,
        violations: check.violations,
        sample: check.sample.clone(),
        error: check.error.clone(),
        evaluated_at,
    }
}

/// Violating rows shown in run events.
const SAMPLE_LINES: usize = 5;

/// `check name: 3 violating rows` and a sample of them, one per line.
fn check_message(check: &CheckOutcome) -> String {
    let mut message = format!("check {}", check.summary());
    for row in check.sample_lines(SAMPLE_LINES) {
        message.push('\n');
        message.push_str(&row);
    }
    message
}

fn log(run: RunId, target: &AssetPartition, level: EventLevel, message: String, at: DateTime<Utc>) -> NewEvent {
    NewEvent::log(run, level, message, at).about(target)
}

/// Wipes an upstream asset partition whose current data file is gone, so
/// it counts as missing for every reader and is planned again; answers the
/// step's error message, which names the file and what to do.
async fn lost_input(ctx: &StepContext, target: AssetPartition, data: &cairn_store::CurrentData, path: &Path) -> String {
    let mut message = format!("its data file `{}` is gone", path.display());
    if let (Some(materialization_id), Some(relative)) = (data.materialization_id, data.path.as_ref()) {
        let lost = cairn_store::LostData { target: target.clone(), materialization_id, path: relative.clone() };
        match ctx.store.wipe_lost_data(&[lost], ctx.clock.now()).await {
            Ok(_) => message.push_str(": it now counts as missing"),
            Err(error) => message.push_str(&format!(" (and could not be marked missing: {error})")),
        }
    }
    let partition = target.partition.as_ref().map(|p| format!(" --partition {p}")).unwrap_or_default();
    message.push_str(&format!("; materialize it again (`cairn materialize {}{partition}`)", target.asset));
    message
}
