//! The query, mutation and subscription roots.

use std::collections::BTreeMap;
use std::time::Duration;

use async_graphql::futures_util::Stream;
use async_graphql::{Context, ID, Object, Result, SimpleObject, Subscription};
use cairn_engine::{PartitionSubset, Retry};
use cairn_store::{BackfillTransition as StoreTransition, Cancellation, EventFilter, EventKind, RunFilter, RunOrigin};
use chrono::{DateTime, Utc};

use super::assets::{AssetNode, Lineage, lineage, view};
use super::automation::{AutomationEvaluation, AutomationTick};
use super::backfills::{
    Backfill, BackfillConnection, BackfillInput, BackfillPreview, BackfillStatus, BackfillTransition,
    PartitionSubsetInput, backfill_id,
};
use super::deployment::Deployment;
use super::runs::{AssetEvent, Event, Run, RunConnection, RunStatus, RunTransition, run_id};
use super::{PageInfo, asset_key, decode_cursor, encode_cursor, page_size, require_token, state};
use crate::error::ApiError;

/// The queries.
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The project's assets in topological order; all when `selection` is
    /// null. Selection syntax, as in the CLI: `key`, `+key`, `key+`,
    /// `2+key`, `raw/*`, `group:raw`, `kind:sql`, `tag:team=ops`,
    /// `roots(…)`, `sinks(…)`, `and`, `or`, `not`, parentheses; a space is
    /// a union.
    async fn assets(&self, ctx: &Context<'_>, selection: Option<String>) -> Result<Vec<AssetNode>> {
        let view = view(ctx).await?;
        let selected = view.select(selection.as_deref())?;
        let specs = view.instance.project().specs();
        Ok(specs.iter().filter(|s| selected.contains(&s.key)).map(|s| view.node(s.key.clone())).collect())
    }

    /// One asset; `NOT_FOUND` (naming the closest key) when unknown.
    async fn asset(&self, ctx: &Context<'_>, key: String) -> Result<AssetNode> {
        Ok(view(ctx).await?.asset(&key)?)
    }

    /// The nodes and edges of the selection (null: the whole graph), grown
    /// `depth` steps upstream and downstream.
    async fn lineage(
        &self,
        ctx: &Context<'_>,
        selection: Option<String>,
        #[graphql(default = 0)] depth: i32,
    ) -> Result<Lineage> {
        let view = view(ctx).await?;
        Ok(lineage(&view, selection.as_deref(), depth.clamp(0, 100) as usize)?)
    }

    /// Runs, newest first: with one of `status`, with a step of `asset`,
    /// of `origin` (`cli`, `api`, `backfill:<id>`), created at or after
    /// `createdAfter` and before `createdBefore` (UTC); `first` (1 to
    /// 1,000) per page, `after` the previous page's `endCursor`.
    #[allow(clippy::too_many_arguments)]
    async fn runs(
        &self,
        ctx: &Context<'_>,
        status: Option<Vec<RunStatus>>,
        asset: Option<String>,
        origin: Option<String>,
        created_after: Option<DateTime<Utc>>,
        created_before: Option<DateTime<Utc>>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<RunConnection> {
        let limit = page_size(first)?;
        let store = state(ctx).instance().store().clone();
        let filter = RunFilter {
            statuses: status.map(|list| list.into_iter().map(Into::into).collect()),
            origin: origin.as_deref().map(str::parse::<RunOrigin>).transpose().map_err(ApiError::BadInput)?,
            asset: asset_key(asset.as_deref())?,
            created_after,
            created_before,
            before: after.as_deref().map(decode_cursor).transpose()?.map(cairn_store::RunId),
        };
        let mut runs = store.runs(&filter, limit + 1).await.map_err(ApiError::from)?;
        let has_next_page = runs.len() as u64 > limit;
        runs.truncate(limit as usize);
        let end_cursor = runs.last().map(|r| encode_cursor(r.id.0));
        let nodes = runs.into_iter().map(|record| Run { record, store: store.clone() }).collect();
        Ok(RunConnection { nodes, page_info: PageInfo { has_next_page, end_cursor } })
    }

    /// One run.
    async fn run(&self, ctx: &Context<'_>, id: ID) -> Result<Run> {
        let id = run_id(&id)?;
        let store = state(ctx).instance().store().clone();
        let record =
            store.run(id).await.map_err(ApiError::from)?.ok_or_else(|| ApiError::NotFound(format!("no run {id}")))?;
        Ok(Run { record, store })
    }

    /// Backfills, newest first: with one of `status`, whose run has a step
    /// of `asset` (a backfill not launched yet has none), requested at or
    /// after `createdAfter` and before `createdBefore` (UTC); `first` (1 to
    /// 1,000) per page, `after` the previous page's `endCursor`.
    #[allow(clippy::too_many_arguments)]
    async fn backfills(
        &self,
        ctx: &Context<'_>,
        status: Option<Vec<BackfillStatus>>,
        asset: Option<String>,
        created_after: Option<DateTime<Utc>>,
        created_before: Option<DateTime<Utc>>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<BackfillConnection> {
        let limit = page_size(first)?;
        let instance = state(ctx).instance();
        let filter = cairn_store::BackfillFilter {
            statuses: status.map(|list| list.into_iter().map(Into::into).collect()),
            asset: asset_key(asset.as_deref())?,
            created_after,
            created_before,
            before: after.as_deref().map(decode_cursor).transpose()?.map(cairn_store::BackfillId),
        };
        let mut records = instance.store().backfills(&filter, limit + 1).await.map_err(ApiError::from)?;
        let has_next_page = records.len() as u64 > limit;
        records.truncate(limit as usize);
        let end_cursor = records.last().map(|b| encode_cursor(b.id.0));
        let nodes = records.into_iter().map(|record| Backfill { record, instance: instance.clone() }).collect();
        Ok(BackfillConnection { nodes, page_info: PageInfo { has_next_page, end_cursor } })
    }

    /// One backfill.
    async fn backfill(&self, ctx: &Context<'_>, id: ID) -> Result<Backfill> {
        let id = backfill_id(&id)?;
        Ok(load_backfill(ctx, id).await?)
    }

    /// What a backfill would materialize, without launching it.
    async fn backfill_preview(&self, ctx: &Context<'_>, input: BackfillInput) -> Result<BackfillPreview> {
        let request = input.request()?;
        let plan = state(ctx).instance().preview_backfill(&request).await.map_err(ApiError::from)?;
        Ok(plan.into())
    }

    /// The automation daemon's latest ticks, newest first (`limit` 1 to 1,000).
    async fn automation_ticks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] limit: i32,
    ) -> Result<Vec<AutomationTick>> {
        let limit = page_size(limit)?;
        let ticks = state(ctx).instance().store().automation_ticks(limit).await.map_err(ApiError::from)?;
        Ok(ticks.iter().map(Into::into).collect())
    }

    /// The latest stored automation evaluations of `asset`, newest first
    /// (`limit` 1 to 1,000); `NOT_FOUND` naming the closest key when unknown.
    async fn automation_evaluations(
        &self,
        ctx: &Context<'_>,
        asset: String,
        #[graphql(default = 20)] limit: i32,
    ) -> Result<Vec<AutomationEvaluation>> {
        let limit = page_size(limit)?;
        let evaluations = state(ctx).instance().automation_evaluations(&asset, limit).await.map_err(ApiError::from)?;
        Ok(evaluations.into_iter().map(Into::into).collect())
    }

    /// The loaded definitions.
    async fn definitions(&self, ctx: &Context<'_>) -> Definitions {
        definitions(ctx)
    }

    /// The deployment: the store, the executors with a heartbeat in the
    /// last `hours` (1 to 720), and what this server runs.
    async fn deployment(&self, ctx: &Context<'_>, #[graphql(default = 24)] hours: i32) -> Result<Deployment> {
        if !(1..=720).contains(&hours) {
            return Err(ApiError::BadInput(format!("hours must be 1 to 720, not {hours}")).into());
        }
        let state = state(ctx);
        let instance = state.instance();
        let executors = instance.executors(chrono::Duration::hours(i64::from(hours))).await.map_err(ApiError::from)?;
        let store = instance.store();
        let daemon = state.backfill_daemon();
        Ok(Deployment {
            store_backend: if store.is_postgres() { "postgresql" } else { "sqlite" }.to_owned(),
            store_url: store.url().to_owned(),
            executors: executors.into_iter().map(Into::into).collect(),
            server_executor_concurrency: state.executor_concurrency().map(super::int),
            backfill_daemon_interval_ms: super::int(crate::state::BACKFILL_DAEMON_INTERVAL.as_millis()),
            backfill_daemon_last_pass_at: daemon.last_pass_at,
            backfill_daemon_error: daemon.last_error,
            backfill_daemon_launched: i64::try_from(daemon.launched).unwrap_or(i64::MAX),
            definitions: definitions(ctx),
        })
    }
}

async fn load_backfill(ctx: &Context<'_>, id: cairn_store::BackfillId) -> Result<Backfill, ApiError> {
    let instance = state(ctx).instance();
    let record = instance.store().backfill(id).await?.ok_or_else(|| ApiError::NotFound(format!("no backfill {id}")))?;
    Ok(Backfill { record, instance })
}

/// The loaded definitions.
#[derive(SimpleObject)]
pub struct Definitions {
    /// The project's name.
    project: String,
    /// When they were loaded (UTC).
    loaded_at: DateTime<Utc>,
    asset_count: i64,
    /// Problems of the last reload that was refused (the previous
    /// definitions stay), or warnings of the loaded ones.
    diagnostics: Vec<Diagnostic>,
}

/// A problem in the project's YAML or SQL.
#[derive(SimpleObject)]
pub struct Diagnostic {
    /// `error` or `warning`.
    severity: String,
    message: String,
    file: Option<String>,
    line: Option<i64>,
    column: Option<i64>,
    help: Option<String>,
    /// As the CLI shows it: file:line:col, the source line, the hint.
    rendered: String,
}

fn diagnostics(list: &cairn_assets::Diagnostics) -> Vec<Diagnostic> {
    list.iter()
        .map(|d| Diagnostic {
            severity: match d.severity {
                cairn_assets::diagnostic::Severity::Error => "error".to_owned(),
                _ => "warning".to_owned(),
            },
            message: d.message.clone(),
            file: d.location.as_ref().map(|l| l.file.display_path.display().to_string()),
            line: d.location.as_ref().map(|l| i64::from(l.line)),
            column: d.location.as_ref().map(|l| i64::from(l.column)),
            help: d.help.clone(),
            rendered: d.render(false),
        })
        .collect()
}

fn definitions(ctx: &Context<'_>) -> Definitions {
    let state = state(ctx);
    let instance = state.instance();
    let loaded = state.definitions();
    Definitions {
        project: instance.project().settings.name.clone(),
        loaded_at: loaded.loaded_at,
        asset_count: instance.project().specs().len() as i64,
        diagnostics: diagnostics(&loaded.diagnostics),
    }
}

/// What a reload did.
#[derive(SimpleObject)]
pub struct ReloadResult {
    /// False when the new definitions are invalid: the previous ones stay.
    reloaded: bool,
    definitions: Definitions,
    /// The problems of the new definitions, when refused.
    diagnostics: Vec<Diagnostic>,
}

/// The mutations. Each needs the token when the server has one.
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Pauses automation of `asset`, or of every asset when null: paused
    /// assets are not evaluated. Returns true.
    async fn pause_automation(&self, ctx: &Context<'_>, asset: Option<String>) -> Result<bool> {
        require_token(ctx)?;
        state(ctx).instance().set_automation_paused(asset.as_deref(), true).await.map_err(ApiError::from)?;
        Ok(true)
    }

    /// Resumes automation of `asset`, or of every asset when null; on
    /// resume, only what each condition says then is requested. Returns
    /// false (not paused).
    async fn resume_automation(&self, ctx: &Context<'_>, asset: Option<String>) -> Result<bool> {
        require_token(ctx)?;
        state(ctx).instance().set_automation_paused(asset.as_deref(), false).await.map_err(ApiError::from)?;
        Ok(false)
    }

    /// Stores a backfill; the server's backfill daemon launches it.
    async fn launch_backfill(&self, ctx: &Context<'_>, input: BackfillInput) -> Result<Backfill> {
        require_token(ctx)?;
        let request = input.request()?;
        let id = state(ctx).instance().request_backfill(&request).await.map_err(ApiError::from)?;
        Ok(load_backfill(ctx, id).await?)
    }

    /// Stops launching and cancels the work in flight. Cancelling twice, or
    /// a finished backfill, changes nothing and says so.
    async fn cancel_backfill(&self, ctx: &Context<'_>, id: ID) -> Result<BackfillTransition> {
        require_token(ctx)?;
        let id = backfill_id(&id)?;
        let transition = state(ctx).instance().cancel_backfill(id).await.map_err(ApiError::from)?;
        let (changed, message) = match transition {
            StoreTransition::Changed(status) => (true, format!("backfill {id} is {status}")),
            StoreTransition::Unchanged(status) => {
                (false, format!("backfill {id} is already {status}; nothing changed"))
            }
        };
        Ok(BackfillTransition { backfill: load_backfill(ctx, id).await?, changed, message })
    }

    /// A new backfill of what failed or did not run. A completed (or
    /// running) backfill has nothing to retry: the answer says so and
    /// returns it unchanged.
    async fn retry_backfill(&self, ctx: &Context<'_>, id: ID) -> Result<BackfillTransition> {
        require_token(ctx)?;
        let id = backfill_id(&id)?;
        let retry = state(ctx).instance().retry_backfill(id).await.map_err(ApiError::from)?;
        Ok(match retry {
            Retry::Requested(new) => BackfillTransition {
                backfill: load_backfill(ctx, new).await?,
                changed: true,
                message: format!("backfill {new} retries what {id} did not materialize"),
            },
            Retry::Nothing(message) => {
                BackfillTransition { backfill: load_backfill(ctx, id).await?, changed: false, message }
            }
        })
    }

    /// An ad-hoc run of the missing or stale partitions of the selection
    /// (all assets when null), executed by the server's executor or workers.
    async fn materialize(
        &self,
        ctx: &Context<'_>,
        selection: Option<String>,
        partitions: Option<PartitionSubsetInput>,
    ) -> Result<Run> {
        require_token(ctx)?;
        let instance = state(ctx).instance();
        let request = cairn_engine::RunRequest {
            selection: selection.as_deref().unwrap_or("").split_whitespace().map(str::to_owned).collect(),
            partitions: partitions.map(|p| p.subset()).transpose()?.unwrap_or(PartitionSubset::All),
            origin: RunOrigin::Api,
            tags: BTreeMap::new(),
            launch_when_up_to_date: true,
        };
        let requested = instance.request_run(&request).await.map_err(ApiError::from)?;
        let id = requested.run.ok_or_else(|| ApiError::Internal("a run without steps was not stored".into()))?;
        let store = instance.store().clone();
        let record = store
            .run(id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::Internal(format!("run {id} vanished")))?;
        Ok(Run { record, store })
    }

    /// Cancels a run. Cancelling twice, or a finished run, changes nothing
    /// and says so.
    async fn cancel_run(&self, ctx: &Context<'_>, id: ID) -> Result<RunTransition> {
        require_token(ctx)?;
        let id = run_id(&id)?;
        let instance = state(ctx).instance();
        let (changed, message) = match instance.cancel_run(id).await.map_err(ApiError::from)? {
            Cancellation::Canceled => (true, format!("run {id} CANCELED")),
            Cancellation::Canceling { running } => {
                (true, format!("run {id} CANCELING: {running} running step(s) stopping"))
            }
            Cancellation::AlreadyCanceling => (false, format!("run {id} is already CANCELING; nothing changed")),
            Cancellation::AlreadyFinished(status) => {
                (false, format!("run {id} had already finished: {status}; nothing changed"))
            }
        };
        let store = instance.store().clone();
        let record =
            store.run(id).await.map_err(ApiError::from)?.ok_or_else(|| ApiError::NotFound(format!("no run {id}")))?;
        Ok(RunTransition { run: Run { record, store }, changed, message })
    }

    /// Reads the project's YAML again. Invalid definitions are refused
    /// (`reloaded: false`, with their diagnostics); the previous ones stay.
    async fn reload_definitions(&self, ctx: &Context<'_>) -> Result<ReloadResult> {
        require_token(ctx)?;
        let state = state(ctx);
        let reloaded = state.reload().await.map_err(ApiError::from)?;
        let loaded = state.definitions();
        Ok(ReloadResult {
            reloaded,
            diagnostics: if reloaded { Vec::new() } else { diagnostics(&loaded.diagnostics) },
            definitions: definitions(ctx),
        })
    }
}

/// How often a subscription looks again when the event log's head moved
/// (it waits on the head; this bounds a missed wake-up).
const SUBSCRIPTION_FALLBACK: Duration = Duration::from_secs(2);

/// Events of the log after `cursor` matching `filter`, as they come.
fn follow(
    state: std::sync::Arc<crate::state::AppState>,
    filter: EventFilter,
    mut cursor: i64,
) -> impl Stream<Item = Result<cairn_store::StoredEvent, ApiError>> {
    async_stream::try_stream! {
        let mut head = state.head();
        loop {
            let events = state.instance().store().events_after(cursor, &filter, 500).await?;
            let empty = events.is_empty();
            for event in events {
                cursor = event.seq;
                yield event;
            }
            if empty {
                tokio::select! {
                    _ = head.changed() => {}
                    _ = tokio::time::sleep(SUBSCRIPTION_FALLBACK) => {}
                    _ = state.shutdown.cancelled() => break,
                }
            }
        }
    }
}

/// The subscriptions, fed from the event log with cursors: a client that
/// reconnects with its last cursor misses nothing. Each needs the token
/// when the server has one (in the WebSocket's `connection_init` payload).
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Events of a run after the cursor (null: from its start), as they are
    /// appended; ends after the run's last event. A cursor whose following
    /// events `cairn gc` pruned ends the stream with the error
    /// `CURSOR_PRUNED`.
    async fn run_events(
        &self,
        ctx: &Context<'_>,
        run_id: ID,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<Event, async_graphql::Error>>> {
        require_token(ctx)?;
        let run = super::runs::run_id(&run_id)?;
        let state = state(ctx).clone();
        state
            .instance()
            .store()
            .run(run)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::NotFound(format!("no run {run}")))?;
        let cursor = after.as_deref().map(decode_cursor).transpose()?.unwrap_or(0);
        let filter = EventFilter { run: Some(run), ..EventFilter::default() };
        let events = follow(state, filter, cursor);
        Ok(async_stream::stream! {
            futures::pin_mut!(events);
            while let Some(event) = futures::StreamExt::next(&mut events).await {
                match event {
                    Ok(event) => {
                        let last = matches!(event.kind, EventKind::RunSuccess | EventKind::RunFailure | EventKind::RunCanceled);
                        yield Ok(Event::from(event));
                        if last {
                            break;
                        }
                    }
                    Err(error) => {
                        yield Err(error.into());
                        break;
                    }
                }
            }
        })
    }

    /// The backfill now, then each time its progress changes; ends once it
    /// has ended.
    async fn backfill_progress(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<impl Stream<Item = Result<Backfill, async_graphql::Error>>> {
        require_token(ctx)?;
        let id = backfill_id(&id)?;
        let state = state(ctx).clone();
        Ok(async_stream::stream! {
            let mut head = state.head();
            let mut last: Option<(cairn_store::BackfillStatus, cairn_engine::backfill::BackfillCounts, Option<cairn_store::RunId>)> = None;
            loop {
                let instance = state.instance();
                let record = match instance.store().backfill(id).await {
                    Ok(Some(record)) => record,
                    Ok(None) => { yield Err(ApiError::NotFound(format!("no backfill {id}")).into()); break; }
                    Err(error) => { yield Err(ApiError::from(error).into()); break; }
                };
                let counts = match instance.backfill_progress(&record).await {
                    Ok(progress) => progress.counts,
                    Err(error) => { yield Err(ApiError::from(error).into()); break; }
                };
                let now = (record.status, counts, record.run_id);
                let finished = record.status.is_finished();
                if last != Some(now) {
                    last = Some(now);
                    yield Ok(Backfill { record, instance });
                }
                if finished {
                    break;
                }
                tokio::select! {
                    _ = head.changed() => {}
                    _ = tokio::time::sleep(SUBSCRIPTION_FALLBACK) => {}
                    _ = state.shutdown.cancelled() => break,
                }
            }
        })
    }

    /// Materializations, observations, check evaluations, step failures,
    /// wipes and freshness changes of the selected assets (null: all),
    /// after the cursor (null: from now). A cursor whose following events
    /// `cairn gc` pruned ends the stream with the error `CURSOR_PRUNED`:
    /// read current state again and subscribe with `after: null`.
    async fn asset_events(
        &self,
        ctx: &Context<'_>,
        selection: Option<String>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<AssetEvent, async_graphql::Error>>> {
        require_token(ctx)?;
        let state = state(ctx).clone();
        let view = view(ctx).await?;
        let assets = match selection.as_deref() {
            Some(text) => Some(view.select(Some(text))?.into_iter().collect()),
            None => None,
        };
        let cursor = match after.as_deref() {
            Some(cursor) => decode_cursor(cursor)?,
            None => state.instance().store().last_event_seq().await.map_err(ApiError::from)?,
        };
        let filter = EventFilter {
            run: None,
            assets,
            kinds: Some(vec![
                EventKind::AssetMaterialization,
                EventKind::AssetObservation,
                EventKind::AssetCheckEvaluation,
                EventKind::FreshnessChanged,
                EventKind::StepFailure,
                EventKind::AssetWiped,
            ]),
        };
        let events = follow(state, filter, cursor);
        Ok(futures::StreamExt::map(events, |event| event.map(AssetEvent::from).map_err(Into::into)))
    }
}
