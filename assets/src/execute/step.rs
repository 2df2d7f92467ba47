//! Materializing one asset partition.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use cairn_core::partitions::{PartitionKey, UpstreamPartitions};
use cairn_core::state::{AssetPartition, InputVersion, MaterializationRecord, StoredState};
use cairn_core::store::{CheckResult, EventLevel, MetadataStore, NewMaterialization, RunEvent, RunId};
use cairn_core::{AssetKey, DataVersion};
use chrono::{DateTime, Utc};
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::checks::{CheckOutcome, run_checks};
use super::command::{CommandRun, run_command};
use super::hashing::{TableHasher, file_data_version};
use super::layout::DataLayout;
use super::tables::{FileSettings, new_session, register_files, table_reference};
use super::writer::write_stream;
use super::{ExecuteError, Materialized, StepOutcome};
use crate::definition::{Asset, AssetDefinition, CommandDefinition, OutputFormat, SqlDefinition};
use crate::project::Project;

/// What every step of a run shares.
pub(crate) struct Shared {
    pub project: Arc<Project>,
    pub store: MetadataStore,
    pub layout: DataLayout,
    pub run_id: RunId,
    /// Latest materializations, updated as steps publish.
    pub state: RwLock<StoredState>,
    /// Files of each observed source.
    pub source_files: HashMap<AssetKey, Vec<PathBuf>>,
    /// Partition keys of each partitioned asset as of `now`.
    pub partition_keys: HashMap<AssetKey, Arc<Vec<PartitionKey>>>,
    pub now: DateTime<Utc>,
}

/// One upstream asset as a step reads it.
struct Input {
    key: AssetKey,
    files: Vec<PathBuf>,
    settings: Option<FileSettings>,
    versions: Vec<InputVersion>,
}

/// What producing the staged data yielded.
struct Produced {
    rows: Option<u64>,
    data_version: DataVersion,
    query_time: Duration,
    /// A session where the staged data is registered under the asset's key
    /// (and, for SQL assets, its upstream tables), for checks.
    checks_context: Option<SessionContext>,
}

/// Materializes `target` and reports how it went. Never panics on user
/// data; every failure is a [`StepOutcome::Failed`] with the previous data
/// left in place.
pub(crate) async fn materialize(shared: Arc<Shared>, target: AssetPartition) -> StepOutcome {
    let started = Instant::now();
    let Some(asset) = shared.project.asset(&target.asset) else {
        return failed(ExecuteError::Internal(format!("asset `{}` is not in the project", target.asset)), Vec::new());
    };
    let extension = asset.output().map(|o| o.extension().to_owned()).unwrap_or_default();
    let staged = shared.layout.staging_path(shared.run_id, asset.key(), target.partition.as_ref(), &extension);
    // A command enforces its own time limit (it kills the process and keeps
    // its stderr); other steps are cancelled here.
    let limit = match asset.definition {
        AssetDefinition::Command(_) => None,
        _ => asset.timeout,
    };
    let outcome = match limit {
        Some(limit) => match tokio::time::timeout(limit, run_step(&shared, asset, &target, &staged, started)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                Err((ExecuteError::Timeout { asset: asset.key().to_string(), seconds: limit.as_secs() }, Vec::new()))
            }
        },
        None => run_step(&shared, asset, &target, &staged, started).await,
    };
    let _ = std::fs::remove_file(&staged);
    match outcome {
        Ok(done) => StepOutcome::Materialized(done),
        Err((error, checks)) => {
            let stderr = match &error {
                ExecuteError::Command { stderr_tail, .. } if !stderr_tail.is_empty() => {
                    format!("\nstderr (last {} lines):\n{}", stderr_tail.len(), stderr_tail.join("\n"))
                }
                _ => String::new(),
            };
            record_event(&shared, &target, EventLevel::Error, format!("{error}{stderr}")).await;
            failed(error, checks)
        }
    }
}

fn failed(error: ExecuteError, checks: Vec<CheckOutcome>) -> StepOutcome {
    StepOutcome::Failed { error, checks }
}

type StepError = (ExecuteError, Vec<CheckOutcome>);

async fn run_step(
    shared: &Shared,
    asset: &Asset,
    target: &AssetPartition,
    staged: &Path,
    started: Instant,
) -> Result<Materialized, StepError> {
    let no_checks = |error: ExecuteError| (error, Vec::new());
    let inputs = inputs(shared, asset, target.partition.as_ref()).map_err(no_checks)?;
    shared.layout.prepare(staged).map_err(no_checks)?;
    let produced = match &asset.definition {
        AssetDefinition::Sql(query) => run_sql(shared, asset, query, target, &inputs, staged).await,
        AssetDefinition::Command(command) => run_command_asset(shared, asset, command, target, &inputs, staged).await,
        AssetDefinition::Source(_) => {
            Err(ExecuteError::Internal(format!("source `{}` cannot be materialized", asset.key())))
        }
    }
    .map_err(no_checks)?;
    let checks = match &produced.checks_context {
        Some(ctx) if !asset.checks.is_empty() => run_checks(ctx, asset).await,
        _ => Vec::new(),
    };
    let blocking: Vec<String> = checks.iter().filter(|c| c.blocks_publication()).map(CheckOutcome::summary).collect();
    if !blocking.is_empty() {
        record_checks(shared, target, None, &checks).await;
        for failure in checks.iter().filter(|c| c.blocks_publication()) {
            record_event(shared, target, EventLevel::Error, check_message(failure)).await;
        }
        return Err((ExecuteError::CheckFailed { asset: asset.key().to_string(), failed: blocking }, checks));
    }
    let published = shared.layout.published_path(asset.key(), target.partition.as_ref(), staged_extension(staged));
    shared.layout.publish(staged, &published).map_err(|e| (e, checks.clone()))?;
    let bytes = fs_err::metadata(&published).map(|m| m.len()).unwrap_or(0);
    let relative = published.strip_prefix(shared.layout.data_dir()).unwrap_or(&published).to_path_buf();
    let versions: Vec<InputVersion> = inputs.into_iter().flat_map(|input| input.versions).collect();
    let materialized_at = Utc::now();
    let duration = started.elapsed();
    let id = shared
        .store
        .record_materialization(&NewMaterialization {
            run_id: shared.run_id,
            asset: asset.key().clone(),
            partition: target.partition.clone(),
            code_version: asset.spec.code_version.clone(),
            data_version: produced.data_version.clone(),
            inputs: versions.clone(),
            rows: produced.rows.map(|r| r as i64),
            bytes: bytes as i64,
            duration_ms: duration.as_millis() as i64,
            path: relative.display().to_string(),
            materialized_at,
        })
        .await
        .map_err(|e| (ExecuteError::from(e), checks.clone()))?;
    record_checks(shared, target, Some(id), &checks).await;
    let previous = {
        let mut state = shared.state.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let previous =
            state.materialization(asset.key(), target.partition.as_ref()).map(|record| record.data_version.clone());
        state.insert_materialization(
            asset.key().clone(),
            target.partition.clone(),
            MaterializationRecord {
                id,
                run_id: shared.run_id.0,
                code_version: asset.spec.code_version.clone(),
                data_version: produced.data_version.clone(),
                inputs: versions,
                materialized_at,
            },
        );
        previous
    };
    let changed = previous.as_ref() != Some(&produced.data_version);
    let rows = produced.rows.map_or_else(String::new, |r| format!("{r} rows, "));
    let message = format!(
        "materialized {rows}{bytes} bytes in {} ms, data version {}{}",
        duration.as_millis(),
        produced.data_version,
        if changed { "" } else { " (unchanged)" }
    );
    record_event(shared, target, EventLevel::Info, message).await;
    for warning in checks.iter().filter(|c| !c.passed) {
        record_event(shared, target, EventLevel::Warn, check_message(warning)).await;
    }
    Ok(Materialized {
        id,
        data_version: produced.data_version,
        changed,
        rows: produced.rows,
        bytes,
        duration,
        query_time: produced.query_time,
        checks,
        path: relative,
    })
}

fn staged_extension(staged: &Path) -> &str {
    staged.extension().and_then(|e| e.to_str()).unwrap_or("")
}

/// The upstream partitions `partition` of `asset` reads, with their files
/// and current data versions.
fn inputs(shared: &Shared, asset: &Asset, partition: Option<&PartitionKey>) -> Result<Vec<Input>, ExecuteError> {
    let state = shared.state.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut inputs = Vec::with_capacity(asset.spec.deps.len());
    for dep in &asset.spec.deps {
        let upstream = shared
            .project
            .asset(&dep.key)
            .ok_or_else(|| ExecuteError::Internal(format!("upstream `{}` is not in the project", dep.key)))?;
        let upstream_keys = shared.partition_keys.get(&dep.key).map_or(&[][..], |keys| keys.as_slice());
        let partitions: Vec<Option<PartitionKey>> = match dep.mapping.upstream_partitions(
            asset.spec.partitions.as_deref(),
            partition,
            upstream.spec.partitions.as_deref(),
            upstream_keys,
            shared.now,
        ) {
            UpstreamPartitions::Whole => vec![None],
            UpstreamPartitions::Keys(keys) => keys.into_iter().map(Some).collect(),
        };
        let mut files = Vec::new();
        let mut versions = Vec::with_capacity(partitions.len());
        let settings = match (&upstream.definition, upstream.output()) {
            (AssetDefinition::Source(source), _) => Some(FileSettings::of_source(source)),
            (_, Some(OutputFormat::Table(format))) => Some(FileSettings::written(format)),
            _ => None,
        };
        for upstream_partition in partitions {
            let Some(data_version) = state.current_data_version(&dep.key, upstream_partition.as_ref()) else {
                let what = AssetPartition::new(dep.key.clone(), upstream_partition);
                return Err(ExecuteError::Input { asset: what.to_string(), message: "it has no data yet".into() });
            };
            match &upstream.definition {
                AssetDefinition::Source(_) => {
                    files.extend(shared.source_files.get(&dep.key).cloned().unwrap_or_default());
                }
                _ => {
                    let extension = upstream.output().map(|o| o.extension().to_owned()).unwrap_or_default();
                    let path = shared.layout.published_path(&dep.key, upstream_partition.as_ref(), &extension);
                    if !path.is_file() {
                        let what = AssetPartition::new(dep.key.clone(), upstream_partition);
                        return Err(ExecuteError::Input {
                            asset: what.to_string(),
                            message: format!(
                                "its data file `{}` is gone; materialize it again (`cairn materialize {}`)",
                                path.display(),
                                dep.key
                            ),
                        });
                    }
                    files.push(path);
                }
            }
            versions.push(InputVersion {
                asset: dep.key.clone(),
                partition: upstream_partition,
                data_version: data_version.clone(),
            });
        }
        inputs.push(Input { key: dep.key.clone(), files, settings, versions });
    }
    Ok(inputs)
}

/// `$partition_key` as text and `$partition_start` / `$partition_end` as
/// timestamps (microseconds) in the partitions' time zone.
pub(crate) fn partition_parameters(asset: &Asset, partition: Option<&PartitionKey>) -> HashMap<String, ScalarValue> {
    let mut parameters = HashMap::new();
    let Some(key) = partition else { return parameters };
    parameters.insert("partition_key".into(), ScalarValue::Utf8(Some(key.to_string())));
    if let Some(window) = asset.spec.partitions.as_ref().and_then(|d| d.time_window(key.as_str())) {
        let zone: Arc<str> = Arc::from(window.start.timezone().name());
        parameters.insert(
            "partition_start".into(),
            ScalarValue::TimestampMicrosecond(Some(window.start.timestamp_micros()), Some(zone.clone())),
        );
        parameters.insert(
            "partition_end".into(),
            ScalarValue::TimestampMicrosecond(Some(window.end.timestamp_micros()), Some(zone)),
        );
    }
    parameters
}

async fn run_sql(
    shared: &Shared,
    asset: &Asset,
    query: &SqlDefinition,
    target: &AssetPartition,
    inputs: &[Input],
    staged: &Path,
) -> Result<Produced, ExecuteError> {
    let ctx = new_session();
    for input in inputs {
        if let Some(settings) = input.settings {
            register_files(&ctx, &input.key, &input.files, settings).await?;
        }
    }
    let name = asset.key().to_string();
    let query_error = |e: datafusion::error::DataFusionError| ExecuteError::Query {
        asset: name.clone(),
        message: e.strip_backtrace(),
    };
    let planning = Instant::now();
    let mut frame = ctx.sql(&query.text).await.map_err(query_error)?;
    let parameters = partition_parameters(asset, target.partition.as_ref());
    if !query.parameters.is_empty() {
        frame = frame.with_param_values(parameters).map_err(query_error)?;
    }
    let stream = frame.execute_stream().await.map_err(query_error)?;
    let planning_time = planning.elapsed();
    let written = write_stream(&name, stream, staged, query.format).await?;
    register_files(&ctx, asset.key(), &[staged.to_path_buf()], FileSettings::written(query.format)).await?;
    let _ = shared;
    Ok(Produced {
        rows: Some(written.rows),
        data_version: written.data_version,
        query_time: planning_time + written.query_time,
        checks_context: Some(ctx),
    })
}

async fn run_command_asset(
    shared: &Shared,
    asset: &Asset,
    command: &CommandDefinition,
    target: &AssetPartition,
    inputs: &[Input],
    staged: &Path,
) -> Result<Produced, ExecuteError> {
    let mut env = vec![("CAIRN_RUN_ID".to_owned(), shared.run_id.to_string())];
    if let Some(key) = &target.partition {
        env.push(("CAIRN_PARTITION_KEY".into(), key.to_string()));
        if let Some(window) = asset.spec.partitions.as_ref().and_then(|d| d.time_window(key.as_str())) {
            env.push(("CAIRN_PARTITION_START".into(), window.start.to_rfc3339()));
            env.push(("CAIRN_PARTITION_END".into(), window.end.to_rfc3339()));
        }
    }
    let input_files: BTreeMap<AssetKey, Vec<PathBuf>> =
        inputs.iter().map(|input| (input.key.clone(), input.files.clone())).collect();
    let output = run_command(CommandRun {
        asset: asset.key(),
        definition: command,
        working_dir: &shared.project.root,
        output: staged,
        env,
        inputs: input_files,
        timeout: asset.timeout,
    })
    .await?;
    if !output.stdout_tail.is_empty() {
        record_event(
            shared,
            target,
            EventLevel::Info,
            format!("stdout (last lines):\n{}", output.stdout_tail.join("\n")),
        )
        .await;
    }
    match command.output {
        OutputFormat::File(_) => {
            let path = staged.to_path_buf();
            let (data_version, _) = tokio::task::spawn_blocking(move || file_data_version(&path))
                .await
                .map_err(|e| ExecuteError::Internal(e.to_string()))??;
            Ok(Produced { rows: None, data_version, query_time: Duration::ZERO, checks_context: None })
        }
        OutputFormat::Table(format) => {
            let ctx = new_session();
            register_files(&ctx, asset.key(), &[staged.to_path_buf()], FileSettings::written(format)).await.map_err(
                |e| ExecuteError::Command {
                    asset: asset.key().to_string(),
                    message: format!("its output is not a readable {} table: {e}", format.extension()),
                    stderr_tail: output.stderr_tail.clone(),
                },
            )?;
            let (rows, data_version) = hash_table(&ctx, asset.key()).await?;
            Ok(Produced { rows: Some(rows), data_version, query_time: Duration::ZERO, checks_context: Some(ctx) })
        }
    }
}

/// Row count and data version of a registered table.
async fn hash_table(ctx: &SessionContext, key: &AssetKey) -> Result<(u64, DataVersion), ExecuteError> {
    let query_error = |e: datafusion::error::DataFusionError| ExecuteError::Query {
        asset: key.to_string(),
        message: e.strip_backtrace(),
    };
    let frame = ctx.table(table_reference(key)).await.map_err(query_error)?;
    let mut stream = frame.execute_stream().await.map_err(query_error)?;
    let mut hasher = TableHasher::new(&stream.schema());
    while let Some(batch) = stream.next().await {
        hasher.update(&batch.map_err(query_error)?)?;
    }
    Ok((hasher.rows(), hasher.finish()))
}

/// `check name: 3 violating rows` and a sample of them, one per line.
fn check_message(check: &CheckOutcome) -> String {
    let mut message = format!("check {}", check.summary());
    for row in check.sample_lines(SAMPLE_LINES) {
        message.push('\n');
        message.push_str(&row);
    }
    message
}

/// Violating rows shown in run events.
const SAMPLE_LINES: usize = 5;

async fn record_checks(
    shared: &Shared,
    target: &AssetPartition,
    materialization_id: Option<i64>,
    checks: &[CheckOutcome],
) {
    if checks.is_empty() {
        return;
    }
    let evaluated_at = Utc::now();
    let results: Vec<CheckResult> = checks
        .iter()
        .map(|check| CheckResult {
            run_id: shared.run_id,
            materialization_id,
            asset: target.asset.clone(),
            partition: target.partition.clone(),
            check_name: check.name.clone(),
            severity: check.severity,
            passed: check.passed,
            violations: check.violations,
            sample: check.sample.clone(),
            error: check.error.clone(),
            evaluated_at,
        })
        .collect();
    if let Err(error) = shared.store.record_check_results(&results).await {
        tracing::error!("cannot record check results of {target}: {error}");
    }
}

async fn record_event(shared: &Shared, target: &AssetPartition, level: EventLevel, message: String) {
    let event = RunEvent {
        run_id: shared.run_id,
        asset: Some(target.asset.clone()),
        partition: target.partition.clone(),
        level,
        message,
        at: Utc::now(),
    };
    if let Err(error) = shared.store.append_event(&event).await {
        tracing::error!("cannot record run event of {target}: {error}");
    }
}
