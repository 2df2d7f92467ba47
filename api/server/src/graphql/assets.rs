//! Assets, their partitions, materializations, checks and freshness, and
//! the lineage graph.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_graphql::resolver_utils::enum_value;
use async_graphql::{Context, Enum, Json, Object, Result, SimpleObject, Value};
use cairn_assets::definition::{AssetDefinition, CheckKind, OutputFormat};
use cairn_core::AssetKey;
use cairn_core::partitions::subset::counted_runs_of;
use cairn_core::partitions::{PartitionKey, PartitionsDefinition};
use cairn_core::staleness::{StaleCauseGroup, StaleStatusKind};
use cairn_engine::{AssetSummary, Instance, ProjectSummary};
use chrono::{DateTime, Utc};

use super::flat::{self, FlatList, FlatObject, KeyString, Plain};
use super::{PageInfo, decode_cursor, encode_cursor, page_size};
use crate::error::ApiError;

/// An asset's kind.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_core::AssetKind")]
pub enum AssetKind {
    /// An external file Cairn observes.
    Source,
    /// A DataFusion query.
    Sql,
    /// A program.
    Command,
}

/// Dagster's stale status of an asset.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_core::staleness::StaleStatusKind")]
pub enum StaleStatus {
    /// Materialized, nothing it depends on changed.
    Fresh,
    /// Materialized, with causes.
    Stale,
    /// Never materialized (some partitions, for a partitioned asset).
    Missing,
}

/// The state of one asset partition, as the partition bar shows it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_engine::PartitionState")]
pub enum PartitionState {
    /// Materialized and fresh.
    Materialized,
    /// Materialized, but stale.
    Stale,
    /// Its latest materialization attempt failed (previous data, if any, stays).
    Failed,
    /// A step is materializing it now.
    Materializing,
    /// Never materialized.
    Missing,
}

/// Severity of an asset check, as Dagster's `AssetCheckSeverity`.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_core::check::CheckSeverity")]
pub enum CheckSeverity {
    /// Failing stops publication.
    Error,
    /// Failing is reported.
    Warn,
}

/// What the resolvers of one request share: the definitions and the state
/// summary they started from.
#[derive(Clone)]
pub struct View {
    /// The engine instance (definitions and store).
    pub instance: Instance,
    /// The state of every asset.
    pub summary: Arc<ProjectSummary>,
}

impl View {
    /// The asset `key`, or `NOT_FOUND` naming the closest key.
    pub fn asset(&self, key: &str) -> Result<AssetNode, ApiError> {
        let parsed = AssetKey::new(key).map_err(|e| ApiError::BadInput(e.to_string()))?;
        if self.instance.project().asset(&parsed).is_some() {
            return Ok(self.node(parsed));
        }
        let keys: Vec<&str> = self.instance.project().graph.keys().map(AssetKey::as_str).collect();
        let closest = keys
            .iter()
            .map(|candidate| (strsim::jaro_winkler(key, candidate), *candidate))
            .filter(|(score, _)| *score > 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, candidate)| format!("; did you mean `{candidate}`?"))
            .unwrap_or_default();
        Err(ApiError::NotFound(format!("unknown asset `{key}`{closest}")))
    }

    /// A node for a key known to exist.
    pub fn node(&self, key: AssetKey) -> AssetNode {
        AssetNode { key, view: self.clone() }
    }

    /// The selected keys, in topological order (all for `None`).
    pub fn select(&self, selection: Option<&str>) -> Result<BTreeSet<AssetKey>, ApiError> {
        let terms: Vec<String> = selection.unwrap_or("").split_whitespace().map(str::to_owned).collect();
        Ok(self.instance.select(&terms)?)
    }

    fn summary_of(&self, key: &AssetKey) -> Option<&AssetSummary> {
        self.summary.assets.get(key).map(AsRef::as_ref)
    }
}

/// An asset.
pub struct AssetNode {
    key: AssetKey,
    view: View,
}

impl AssetNode {
    fn asset(&self) -> Result<&cairn_assets::Asset, ApiError> {
        self.view
            .instance
            .project()
            .asset(&self.key)
            .ok_or_else(|| ApiError::NotFound(format!("asset `{}` is no longer defined", self.key)))
    }

    fn summary(&self) -> Option<&AssetSummary> {
        self.view.summary_of(&self.key)
    }
}

#[Object(name = "Asset")]
impl AssetNode {
    /// The asset key (`raw/flights`).
    async fn key(&self) -> &str {
        self.key.as_str()
    }

    /// The asset's group, as the YAML's `group` (Dagster's `group_name`);
    /// by default the key's first segment for a key of several (`raw` for
    /// `raw/flights`), else `default`. Selected with `group:NAME`.
    async fn group(&self) -> Result<&str> {
        Ok(&self.asset()?.spec.group)
    }

    /// The YAML's `tags`, by name. Selected with `tag:NAME` or `tag:NAME=VALUE`.
    async fn tags(&self) -> Result<Vec<super::runs::Tag>> {
        let tags = &self.asset()?.spec.tags;
        Ok(tags.iter().map(|(key, value)| super::runs::Tag { key: key.clone(), value: value.clone() }).collect())
    }

    async fn kind(&self) -> Result<AssetKind> {
        Ok(self.asset()?.spec.kind.into())
    }

    async fn description(&self) -> Result<Option<String>> {
        Ok(self.asset()?.spec.description.clone())
    }

    /// SQL, source settings or command.
    async fn definition(&self) -> Result<Definition> {
        let asset = self.asset()?;
        let mut definition =
            Definition { timeout_secs: asset.timeout.map(|t| t.as_secs() as i64), ..Definition::default() };
        match &asset.definition {
            AssetDefinition::Sql(sql) => {
                definition.sql = Some(sql.text.clone());
                definition.tables = Some(sql.tables.keys().map(ToString::to_string).collect());
                definition.output_format = Some(sql.format.extension().to_owned());
            }
            AssetDefinition::Source(source) => {
                definition.source_path = Some(source.path.clone());
                definition.source_format = Some(source.format.extension().to_owned());
            }
            AssetDefinition::Command(command) => {
                definition.command = Some(command.argv.clone());
                definition.output_format = Some(match command.output {
                    OutputFormat::Table(format) => format.extension().to_owned(),
                    OutputFormat::File(extension) => format!("file ({})", extension.as_str()),
                });
            }
        }
        Ok(definition)
    }

    async fn partitions_definition(&self) -> Result<Option<PartitionsDefinitionNode>> {
        let asset = self.asset()?;
        Ok(asset.spec.partitions.clone().map(|definition| PartitionsDefinitionNode {
            definition,
            keys: self.summary().map(|s| s.keys.clone()).unwrap_or_default(),
        }))
    }

    async fn code_version(&self) -> Result<String> {
        Ok(self.asset()?.spec.code_version.to_string())
    }

    async fn checks(&self) -> Result<Vec<AssetCheck>> {
        let asset = self.asset()?;
        let results = self.view.instance.store().latest_check_results_of(&self.key).await.map_err(ApiError::from)?;
        Ok(asset
            .checks
            .iter()
            .map(|check| {
                let mut mine: Vec<CheckResult> = results
                    .iter()
                    .filter(|r| r.check_name == check.name)
                    .map(|r| CheckResult {
                        partition: r.partition.as_ref().map(ToString::to_string),
                        passed: r.passed,
                        violations: r.violations,
                        sample: Json(r.sample.clone()),
                        error: r.error.clone(),
                        evaluated_at: r.evaluated_at,
                        run_id: r.run_id.to_string().into(),
                    })
                    .collect();
                mine.sort_by_key(|r| (r.passed, r.partition.clone()));
                AssetCheck {
                    name: check.name.clone(),
                    severity: check.severity.into(),
                    kind: check_kind(&check.kind).to_owned(),
                    passed: mine.iter().filter(|r| r.passed).count() as i64,
                    failed: mine.iter().filter(|r| !r.passed).count() as i64,
                    results: mine,
                }
            })
            .collect())
    }

    async fn stale_status(&self) -> StaleStatus {
        self.summary().map_or(StaleStatus::Missing, |s| s.stale_status.into())
    }

    /// Causes of staleness, grouped by kind and upstream asset.
    async fn stale_causes(&self) -> Vec<StaleCauseNode> {
        self.summary().map_or_else(Vec::new, |s| group_causes(&s.causes))
    }

    async fn partition_stats(&self) -> Option<PartitionStats> {
        self.summary().map(|s| s.stats.into())
    }

    /// Consecutive partitions sharing a state, in key order, covering every
    /// partition (an unpartitioned asset: one range with empty keys).
    async fn partition_statuses(&self) -> Vec<PartitionStateRange> {
        self.summary().map_or_else(Vec::new, partition_ranges)
    }

    async fn latest_materialization(&self) -> Result<Option<Materialization>> {
        let page =
            self.view.instance.store().materializations_page(&self.key, None, None, 1).await.map_err(ApiError::from)?;
        Ok(materializations_with_inputs(&self.view, page).await?.into_iter().next())
    }

    /// Materializations, newest first; of one partition when given.
    async fn materializations(
        &self,
        partition: Option<String>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<MaterializationConnection> {
        let limit = page_size(first)?;
        let before = after.as_deref().map(decode_cursor).transpose()?;
        let key =
            partition.as_deref().map(PartitionKey::new).transpose().map_err(|e| ApiError::BadInput(e.to_string()))?;
        let filter = partition.as_ref().map(|_| key.as_ref());
        let mut page = self
            .view
            .instance
            .store()
            .materializations_page(&self.key, filter, before, limit + 1)
            .await
            .map_err(ApiError::from)?;
        let has_next_page = page.len() as u64 > limit;
        page.truncate(limit as usize);
        let end_cursor = page.last().map(|m| encode_cursor(m.id));
        let nodes = materializations_with_inputs(&self.view, page).await?;
        Ok(MaterializationConnection { nodes, page_info: PageInfo { has_next_page, end_cursor } })
    }

    async fn freshness(&self) -> Option<super::Freshness> {
        super::freshness_of(&self.view, &self.key)
    }

    /// Its `automation:` and the daemon's latest `evaluations` of it
    /// (newest first, 1 to 100); null without `automation:`.
    async fn automation(
        &self,
        #[graphql(default = 5)] evaluations: i32,
    ) -> Result<Option<super::automation::AssetAutomation>> {
        let Some(policy) = self.asset()?.automation.clone() else { return Ok(None) };
        let limit = u64::try_from(evaluations.clamp(1, 100)).unwrap_or(5);
        let instance = &self.view.instance;
        let pauses = instance.store().automation_pauses().await.map_err(ApiError::from)?;
        let evaluations = instance.automation_evaluations(self.key.as_str(), limit).await.map_err(ApiError::from)?;
        Ok(Some(super::automation::AssetAutomation {
            condition: policy.condition.label(),
            lookback: policy.lookback as i64,
            paused: pauses.is_paused(&self.key),
            evaluations: evaluations.into_iter().map(Into::into).collect(),
        }))
    }

    /// Assets upstream within `depth` steps.
    async fn upstream(&self, #[graphql(default = 1)] depth: i32) -> Vec<AssetNode> {
        let keys = self.view.instance.project().graph.ancestors(&self.key, Some(depth.max(1) as usize));
        keys.into_iter().map(|key| self.view.node(key)).collect()
    }

    /// Assets downstream within `depth` steps.
    async fn downstream(&self, #[graphql(default = 1)] depth: i32) -> Vec<AssetNode> {
        let keys = self.view.instance.project().graph.descendants(&self.key, Some(depth.max(1) as usize));
        keys.into_iter().map(|key| self.view.node(key)).collect()
    }

    /// Upstream asset keys (one step).
    async fn dependency_keys(&self) -> Vec<String> {
        self.view.instance.project().graph.upstream(&self.key).into_iter().map(ToString::to_string).collect()
    }

    /// Downstream asset keys (one step).
    async fn depended_by_keys(&self) -> Vec<String> {
        self.view.instance.project().graph.downstream(&self.key).into_iter().map(ToString::to_string).collect()
    }
}

fn check_kind(kind: &CheckKind) -> &'static str {
    match kind {
        CheckKind::NotNull { .. } => "not_null",
        CheckKind::Unique { .. } => "unique",
        CheckKind::AcceptedValues { .. } => "accepted_values",
        CheckKind::RowCount { .. } => "row_count",
        CheckKind::Sql { .. } => "sql",
    }
}

/// The partition bar of an asset: runs of equal states over its keys.
pub fn partition_ranges(summary: &AssetSummary) -> Vec<PartitionStateRange> {
    if summary.keys.is_empty() {
        return summary
            .states
            .first()
            .map(|state| PartitionStateRange {
                start: String::new(),
                end: String::new(),
                count: 1,
                state: (*state).into(),
            })
            .into_iter()
            .collect();
    }
    counted_runs_of(&summary.keys, |i| summary.states[i])
        .into_iter()
        .map(|(range, state, count)| PartitionStateRange {
            start: range.start.to_string(),
            end: range.end.to_string(),
            count: count as i64,
            state: state.into(),
        })
        .collect()
}

fn group_causes(groups: &[StaleCauseGroup]) -> Vec<StaleCauseNode> {
    groups
        .iter()
        .map(|group| {
            let (kind, upstream, partitions) =
                (group.kind(), group.upstream().map(ToString::to_string), group.partitions);
            let text = match (&upstream, partitions) {
                (Some(asset), 1) => format!("{kind}: {asset}"),
                (Some(asset), n) => format!("{kind}: {asset} ({n} partitions)"),
                (None, 1) => kind.to_owned(),
                (None, n) => format!("{kind} ({n} partitions)"),
            };
            StaleCauseNode { kind: kind.to_owned(), upstream, partitions: partitions as i64, text }
        })
        .collect()
}

async fn materializations_with_inputs(
    view: &View,
    page: Vec<cairn_store::MaterializationDetails>,
) -> Result<Vec<Materialization>, ApiError> {
    let ids: Vec<i64> = page.iter().map(|m| m.id).collect();
    let mut inputs = view.instance.store().materialization_inputs(&ids).await?;
    let data_dir = &view.instance.project().settings.data_dir;
    Ok(page
        .into_iter()
        .map(|m| Materialization {
            id: m.id.into(),
            run_id: m.run_id.to_string().into(),
            partition: m.partition.as_ref().map(ToString::to_string),
            data_version: m.data_version.to_string(),
            code_version: m.code_version.to_string(),
            rows: m.rows,
            bytes: m.bytes as f64,
            duration_ms: m.duration_ms,
            materialized_at: m.materialized_at,
            path: data_dir.join(&m.path).display().to_string(),
            inputs: inputs
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|input| InputVersion {
                    asset: input.asset.to_string(),
                    partition: input.partition.as_ref().map(ToString::to_string),
                    data_version: input.data_version.to_string(),
                })
                .collect(),
        })
        .collect())
}

/// SQL, source settings or command: the fields of the asset's kind are set.
#[derive(SimpleObject, Default)]
pub struct Definition {
    sql: Option<String>,
    /// The tables the SQL reads, as asset keys.
    tables: Option<Vec<String>>,
    source_path: Option<String>,
    source_format: Option<String>,
    command: Option<Vec<String>>,
    output_format: Option<String>,
    timeout_secs: Option<i64>,
}

/// A partitions definition.
pub struct PartitionsDefinitionNode {
    definition: Arc<PartitionsDefinition>,
    keys: Arc<Vec<PartitionKey>>,
}

#[Object(name = "PartitionsDefinition")]
impl PartitionsDefinitionNode {
    /// `hourly`, `daily`, `weekly`, `monthly` or `static`.
    async fn kind(&self) -> String {
        match &*self.definition {
            PartitionsDefinition::TimeWindow(windows) => windows.cadence().as_str().to_owned(),
            PartitionsDefinition::Static(_) => "static".to_owned(),
        }
    }

    /// `daily partitions from 2013-01-01 to 2013-04-01 in America/New_York`.
    async fn description(&self) -> String {
        self.definition.describe()
    }

    /// The IANA time zone of time windows.
    async fn timezone(&self) -> Option<String> {
        match &*self.definition {
            PartitionsDefinition::TimeWindow(windows) => Some(windows.timezone().name().to_owned()),
            PartitionsDefinition::Static(_) => None,
        }
    }

    /// Start of the first window (RFC 3339 with its offset).
    async fn start(&self) -> Option<String> {
        let first = self.keys.first()?;
        self.definition.time_window(first.as_str()).map(|w| w.start.to_rfc3339())
    }

    /// End (exclusive) of the last window that exists now.
    async fn end(&self) -> Option<String> {
        let last = self.keys.last()?;
        self.definition.time_window(last.as_str()).map(|w| w.end.to_rfc3339())
    }

    /// How many partitions exist now.
    async fn count(&self) -> i64 {
        self.keys.len() as i64
    }

    async fn first_key(&self) -> Option<String> {
        self.keys.first().map(ToString::to_string)
    }

    async fn last_key(&self) -> Option<String> {
        self.keys.last().map(ToString::to_string)
    }

    /// The first `first` keys, in order.
    async fn keys(&self, #[graphql(default = 1000)] first: i32) -> Vec<String> {
        self.keys.iter().take(first.max(0) as usize).map(ToString::to_string).collect()
    }
}

/// A cause of staleness over some partitions.
#[derive(SimpleObject)]
#[graphql(name = "StaleCause")]
pub struct StaleCauseNode {
    /// `code_version_changed`, `dependencies_changed`, `upstream_data_changed` or `upstream_stale`.
    kind: String,
    /// For upstream causes: the upstream asset.
    upstream: Option<String>,
    /// Partitions of the asset with this cause.
    partitions: i64,
    /// For people, as `cairn status` prints it.
    text: String,
}

/// Partition counts by state.
#[derive(SimpleObject, Clone, Copy)]
pub struct PartitionStats {
    total: i64,
    materialized: i64,
    stale: i64,
    failed: i64,
    materializing: i64,
    missing: i64,
}

impl From<cairn_engine::PartitionStats> for PartitionStats {
    fn from(stats: cairn_engine::PartitionStats) -> Self {
        Self {
            total: stats.total as i64,
            materialized: stats.materialized as i64,
            stale: stats.stale as i64,
            failed: stats.failed as i64,
            materializing: stats.materializing as i64,
            missing: stats.missing as i64,
        }
    }
}

/// Consecutive partitions sharing one state.
#[derive(SimpleObject)]
pub struct PartitionStateRange {
    start: String,
    end: String,
    /// Partitions in the range.
    count: i64,
    state: PartitionState,
}

/// A materialization.
#[derive(SimpleObject)]
pub struct Materialization {
    id: async_graphql::ID,
    run_id: async_graphql::ID,
    partition: Option<String>,
    data_version: String,
    code_version: String,
    rows: Option<i64>,
    /// Bytes of its data file.
    bytes: f64,
    duration_ms: i64,
    materialized_at: DateTime<Utc>,
    /// Its data file, absolute.
    path: String,
    /// The upstream data versions it read (provenance).
    inputs: Vec<InputVersion>,
}

/// One upstream partition a materialization read.
#[derive(SimpleObject)]
pub struct InputVersion {
    asset: String,
    partition: Option<String>,
    data_version: String,
}

/// A page of materializations.
#[derive(SimpleObject)]
pub struct MaterializationConnection {
    nodes: Vec<Materialization>,
    page_info: PageInfo,
}

/// An asset check and its latest results.
#[derive(SimpleObject)]
pub struct AssetCheck {
    name: String,
    severity: CheckSeverity,
    /// `not_null`, `unique`, `accepted_values`, `row_count` or `sql`.
    kind: String,
    /// Latest result per partition that has one, failed ones first.
    results: Vec<CheckResult>,
    passed: i64,
    failed: i64,
}

/// The latest result of a check on one partition.
#[derive(SimpleObject)]
pub struct CheckResult {
    partition: Option<String>,
    passed: bool,
    violations: i64,
    /// Up to 5 violating rows, as JSON objects.
    sample: Json<serde_json::Value>,
    error: Option<String>,
    evaluated_at: DateTime<Utc>,
    run_id: async_graphql::ID,
}

/// A part of the asset graph.
#[derive(SimpleObject)]
pub struct Lineage {
    nodes: FlatList<LineageNode>,
    edges: FlatList<LineageEdge>,
}

/// One asset of a lineage graph, with what it is drawn with.
#[derive(SimpleObject)]
pub struct LineageNode {
    key: KeyString,
    kind: AssetKind,
    group: String,
    stale_status: StaleStatus,
    /// The one state it is drawn with: see `AssetState`.
    state: AssetState,
    partition_stats: Option<PartitionStats>,
    freshness: Option<super::FreshnessStatus>,
    /// Its `error` checks whose latest evaluation failed (the node is then FAILED).
    failing_error_checks: i32,
    /// Its `warn` checks whose latest evaluation failed (the data was published).
    failing_warn_checks: i32,
}

impl FlatObject for LineageNode {
    fn flat_value(&self, name: &str, nested: &Plain) -> Option<Value> {
        Some(match name {
            "key" => self.key.value(),
            "kind" => enum_value(self.kind),
            "group" => Value::String(self.group.clone()),
            "staleStatus" => enum_value(self.stale_status),
            "state" => enum_value(self.state),
            "partitionStats" => return flat::optional(self.partition_stats.as_ref(), nested),
            "freshness" => self.freshness.map_or(Value::Null, enum_value),
            "failingErrorChecks" => Value::from(self.failing_error_checks),
            "failingWarnChecks" => Value::from(self.failing_warn_checks),
            _ => return None,
        })
    }
}

impl FlatObject for PartitionStats {
    fn flat_value(&self, name: &str, _: &Plain) -> Option<Value> {
        Some(Value::from(match name {
            "total" => self.total,
            "materialized" => self.materialized,
            "stale" => self.stale,
            "failed" => self.failed,
            "materializing" => self.materializing,
            "missing" => self.missing,
            _ => return None,
        }))
    }
}

/// An edge from an upstream to a downstream asset.
#[derive(SimpleObject)]
pub struct LineageEdge {
    from: KeyString,
    to: KeyString,
}

impl FlatObject for LineageEdge {
    fn flat_value(&self, name: &str, _: &Plain) -> Option<Value> {
        match name {
            "from" => Some(self.from.value()),
            "to" => Some(self.to.value()),
            _ => None,
        }
    }
}

/// The lineage graph of `selection` grown `depth` steps.
pub fn lineage(view: &View, selection: Option<&str>, depth: usize) -> Result<Lineage, ApiError> {
    let selected = view.select(selection)?;
    let graph = &view.instance.project().graph;
    let subgraph = graph.subgraph(&selected, depth);
    let nodes = subgraph
        .nodes
        .iter()
        .filter_map(|key| {
            let spec = graph.spec(key)?;
            let summary = view.summary_of(key);
            let freshness = super::freshness_of(view, key).map(|f| f.status);
            Some(LineageNode {
                key: KeyString(key.clone()),
                kind: spec.kind.into(),
                group: spec.group.clone(),
                stale_status: summary.map_or(StaleStatus::Missing, |s| s.stale_status.into()),
                state: node_state(summary, freshness),
                partition_stats: summary.map(|s| s.stats.into()),
                freshness,
                failing_error_checks: summary.map_or(0, |s| super::int(s.failing_checks.error)),
                failing_warn_checks: summary.map_or(0, |s| super::int(s.failing_checks.warn)),
            })
        })
        .collect();
    let edges =
        subgraph.edges.into_iter().map(|(from, to)| LineageEdge { from: KeyString(from), to: KeyString(to) }).collect();
    Ok(Lineage { nodes: FlatList(nodes), edges: FlatList(edges) })
}

/// The one state an asset is drawn with in the lineage graph and the
/// catalog: the first that holds, in this order, of its typed fields.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum AssetState {
    /// A step is materializing one of its partitions now
    /// (`partitionStats.materializing > 0`).
    Materializing,
    /// The latest attempt of a partition failed, or an `error` check's
    /// latest evaluation failed (`partitionStats.failed > 0` or
    /// `failingErrorChecks > 0`).
    Failed,
    /// Its freshness policy is violated (`freshness: FAIL`).
    Overdue,
    /// `staleStatus: STALE`.
    Stale,
    /// `staleStatus: MISSING`.
    Missing,
    /// `staleStatus: FRESH`, and none of the above.
    Fresh,
}

/// The state of a node (see [`AssetState`]).
pub fn node_state(summary: Option<&AssetSummary>, freshness: Option<super::FreshnessStatus>) -> AssetState {
    let Some(summary) = summary else { return AssetState::Missing };
    if summary.stats.materializing > 0 {
        AssetState::Materializing
    } else if summary.stats.failed > 0 || summary.failing_checks.error > 0 {
        AssetState::Failed
    } else if freshness == Some(super::FreshnessStatus::Fail) {
        AssetState::Overdue
    } else {
        match summary.stale_status {
            StaleStatusKind::Stale => AssetState::Stale,
            StaleStatusKind::Missing => AssetState::Missing,
            StaleStatusKind::Fresh => AssetState::Fresh,
        }
    }
}

/// The view of a request (definitions and summary it started from).
pub async fn view(ctx: &Context<'_>) -> Result<View, ApiError> {
    let state = super::state(ctx);
    let instance = state.instance();
    let summary = state.summary().await?;
    Ok(View { instance, summary })
}
