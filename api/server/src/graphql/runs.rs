//! Runs, their steps and the event log.

use async_graphql::{Enum, ID, Json, Object, Result, SimpleObject};
use cairn_store::{MetadataStore, RunRecord, StepRecord, StoredEvent};
use chrono::{DateTime, Utc};

use super::{PageInfo, decode_cursor, encode_cursor, page_size};
use crate::error::ApiError;

/// Run statuses, as Dagster's `DagsterRunStatus`.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_store::RunStatus")]
pub enum RunStatus {
    /// Stored, no step claimed yet.
    Queued,
    /// A step was claimed.
    Started,
    /// Finished without failures.
    Success,
    /// Finished with a failed step.
    Failure,
    /// Cancellation requested.
    Canceling,
    /// Canceled.
    Canceled,
}

/// Step statuses.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_store::StepStatus")]
pub enum StepStatus {
    /// Waiting.
    Queued,
    /// An executor holds its lease.
    Running,
    /// Data published and recorded.
    Materialized,
    /// Not executed (see its skip reason).
    Skipped,
    /// Failed.
    Failed,
    /// Stopped by a cancellation.
    Canceled,
}

/// Severity of an event.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_store::EventLevel")]
pub enum EventLevel {
    /// Details.
    Debug,
    /// Progress.
    Info,
    /// Something to look at.
    Warn,
    /// A failure.
    Error,
}

/// What an event records (Dagster's `DagsterEventType` names where it has one).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_store::EventKind")]
#[allow(missing_docs)]
pub enum EventKind {
    RunEnqueued,
    RunStart,
    RunSuccess,
    RunFailure,
    RunCanceling,
    RunCanceled,
    StepStart,
    StepSkipped,
    StepFailure,
    StepCanceled,
    AssetMaterialization,
    AssetObservation,
    AssetCheckEvaluation,
    AssetWiped,
    EngineEvent,
    Log,
    BackfillRequested,
    BackfillCompleted,
    BackfillFailed,
    BackfillCanceling,
    BackfillCanceled,
    FreshnessChanged,
}

/// A run id from the API (`12` or `r-12`).
pub fn run_id(id: &ID) -> Result<cairn_store::RunId, ApiError> {
    id.parse().map_err(|e: cairn_core::run::RunIdError| ApiError::BadInput(e.to_string()))
}

/// A run.
pub struct Run {
    pub(super) record: RunRecord,
    pub(super) store: MetadataStore,
}

/// A key and a value.
#[derive(SimpleObject)]
pub struct Tag {
    pub(crate) key: String,
    pub(crate) value: String,
}

#[Object(name = "Run")]
impl Run {
    /// `r-12` (as the CLI writes it; `12` is accepted too).
    async fn id(&self) -> ID {
        self.record.id.to_string().into()
    }

    async fn status(&self) -> RunStatus {
        self.record.status.into()
    }

    /// `cli`, `api`, `backfill:<id>` or `automation`.
    async fn origin(&self) -> String {
        self.record.origin.to_string()
    }

    /// The backfill that launched it.
    async fn backfill_id(&self) -> Option<ID> {
        match self.record.origin {
            cairn_store::RunOrigin::Backfill(id) => Some(cairn_store::BackfillId(id).to_string().into()),
            _ => None,
        }
    }

    async fn tags(&self) -> Vec<Tag> {
        self.record.tags.iter().map(|(key, value)| Tag { key: key.clone(), value: value.clone() }).collect()
    }

    /// As typed (empty: all).
    async fn selection(&self) -> &str {
        &self.record.selection
    }

    async fn partition_filter(&self) -> Option<&str> {
        self.record.partition_filter.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }

    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.record.started_at
    }

    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.record.finished_at
    }

    async fn planned_steps(&self) -> i64 {
        self.record.planned_steps
    }

    async fn materialized_steps(&self) -> i64 {
        self.record.materialized_steps
    }

    async fn failed_steps(&self) -> i64 {
        self.record.failed_steps
    }

    async fn skipped_steps(&self) -> i64 {
        self.record.skipped_steps
    }

    async fn canceled_steps(&self) -> i64 {
        self.record.canceled_steps
    }

    /// Its steps in plan order.
    async fn steps(&self, #[graphql(default = 1000)] first: i32, after: Option<String>) -> Result<StepConnection> {
        let limit = page_size(first)? as usize;
        let start = after.as_deref().map(decode_cursor).transpose()?.map_or(0, |p| p as usize + 1);
        let all = self.store.run_steps(self.record.id).await.map_err(ApiError::from)?;
        let page: Vec<&StepRecord> = all.iter().skip(start).take(limit).collect();
        let has_next_page = start + page.len() < all.len();
        let end_cursor = page.last().map(|s| encode_cursor(s.position as i64));
        Ok(StepConnection {
            nodes: page.into_iter().map(Step::from).collect(),
            page_info: PageInfo { has_next_page, end_cursor },
        })
    }

    /// Its events after the cursor, in order.
    async fn events(&self, after: Option<String>, #[graphql(default = 500)] first: i32) -> Result<EventConnection> {
        let limit = page_size(first)?;
        let cursor = after.as_deref().map(decode_cursor).transpose()?.unwrap_or(0);
        let filter = cairn_store::EventFilter { run: Some(self.record.id), ..Default::default() };
        let mut events = self.store.events_after(cursor, &filter, limit + 1).await.map_err(ApiError::from)?;
        let has_next_page = events.len() as u64 > limit;
        events.truncate(limit as usize);
        let end_cursor = events.last().map(|e| encode_cursor(e.seq));
        Ok(EventConnection {
            nodes: events.into_iter().map(Event::from).collect(),
            page_info: PageInfo { has_next_page, end_cursor },
        })
    }
}

/// One step of a run.
#[derive(SimpleObject)]
pub struct Step {
    id: ID,
    /// Its index in the run's plan (0-based; plan order is upstream first).
    position: i32,
    /// The positions of the steps of this run it waited for (its upstream
    /// steps): with `startedAt` and `finishedAt`, the run's timeline and
    /// its critical path.
    waits_for: Vec<i32>,
    asset: String,
    partition: Option<String>,
    status: StepStatus,
    /// Why it was planned (`missing`, `code_version_changed`...).
    reasons: Vec<String>,
    /// Claims so far.
    attempt: i64,
    /// The executor that holds (or held) it.
    owner: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    skip_reason: Option<String>,
    error: Option<String>,
}

impl From<&StepRecord> for Step {
    fn from(step: &StepRecord) -> Self {
        let mut reasons: Vec<String> = step.reasons.iter().map(|r| r.kind().to_owned()).collect();
        reasons.dedup();
        Self {
            id: step.id.0.into(),
            position: super::int(step.position),
            waits_for: step.waits_for.iter().copied().map(super::int).collect(),
            asset: step.target.asset.to_string(),
            partition: step.target.partition.as_ref().map(ToString::to_string),
            status: step.status.into(),
            reasons,
            attempt: i64::from(step.attempt),
            owner: step.owner.clone(),
            started_at: step.started_at,
            finished_at: step.finished_at,
            skip_reason: step.skip_reason.as_ref().map(ToString::to_string),
            error: step.error.clone(),
        }
    }
}

/// A page of steps.
#[derive(SimpleObject)]
pub struct StepConnection {
    nodes: Vec<Step>,
    page_info: PageInfo,
}

/// An event of the event log.
#[derive(SimpleObject, Clone)]
pub struct Event {
    /// Its sequence number: pass it as `after` to continue after it.
    cursor: String,
    kind: EventKind,
    level: EventLevel,
    run_id: Option<ID>,
    asset: Option<String>,
    partition: Option<String>,
    message: String,
    data: Option<Json<serde_json::Value>>,
    at: DateTime<Utc>,
}

impl From<StoredEvent> for Event {
    fn from(event: StoredEvent) -> Self {
        Self {
            cursor: encode_cursor(event.seq),
            kind: event.kind.into(),
            level: event.level.into(),
            run_id: event.run_id.map(|r| r.to_string().into()),
            asset: event.asset.as_ref().map(ToString::to_string),
            partition: event.partition.as_ref().map(ToString::to_string),
            message: event.message,
            data: event.data.map(Json),
            at: event.at,
        }
    }
}

/// A page of events.
#[derive(SimpleObject)]
pub struct EventConnection {
    nodes: Vec<Event>,
    page_info: PageInfo,
}

/// A page of runs.
#[derive(SimpleObject)]
pub struct RunConnection {
    pub(super) nodes: Vec<Run>,
    pub(super) page_info: PageInfo,
}

/// What a state change of a run did (cancelling twice changes nothing and says so).
#[derive(SimpleObject)]
pub struct RunTransition {
    pub(super) run: Run,
    /// Whether anything changed.
    pub(super) changed: bool,
    /// For people.
    pub(super) message: String,
}

/// An asset's event (materialization, observation, check evaluation, freshness change).
#[derive(SimpleObject)]
pub struct AssetEvent {
    cursor: String,
    kind: EventKind,
    asset: String,
    partition: Option<String>,
    run_id: Option<ID>,
    message: String,
    data: Option<Json<serde_json::Value>>,
    at: DateTime<Utc>,
}

impl From<StoredEvent> for AssetEvent {
    fn from(event: StoredEvent) -> Self {
        Self {
            cursor: encode_cursor(event.seq),
            kind: event.kind.into(),
            asset: event.asset.as_ref().map(ToString::to_string).unwrap_or_default(),
            partition: event.partition.as_ref().map(ToString::to_string),
            run_id: event.run_id.map(|r| r.to_string().into()),
            message: event.message,
            data: event.data.map(Json),
            at: event.at,
        }
    }
}
