//! Runs: storing a run with its plan, listing, reading and canceling runs,
//! and ending a run once its last step is done.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};

use crate::MetadataStore;
use crate::entities::{run_steps, runs};
use crate::events::append_in;
use crate::records::{
    BackfillId, Cancellation, EventKind, EventLevel, NewEvent, NewRun, RunFilter, RunId, RunOrigin, RunRecord,
    RunStatus, StepRecord, StepStatus, StoreError,
};
use crate::rows::{During, Keys, partition_text, run_record, step_record, stored_time, to_json};
use crate::sql::statement;

/// Steps inserted per statement (18 parameters each).
const STEP_BATCH: usize = 1_000;

impl MetadataStore {
    /// Stores a run (`QUEUED`) with its plan as `QUEUED` steps, and appends
    /// `RUN_ENQUEUED`, in one transaction. Nothing executes until an
    /// executor claims its steps. A run without steps is stored as
    /// `SUCCESS` at once.
    ///
    /// # Errors
    /// [`StoreError::Query`] if anything fails; then nothing is stored.
    pub async fn create_run(&self, run: &NewRun) -> Result<RunId, StoreError> {
        let action = || match run.selection.as_str() {
            "" => "store a run of all assets".to_owned(),
            selection => format!("store a run of `{selection}`"),
        };
        let txn = self.begin_write().await.during(action)?;
        let mut events = Vec::new();
        let id = insert_run(&txn, run, &mut events).await.during(action)?;
        append_in(&txn, &events).await.during(action)?;
        txn.commit().await.during(action)?;
        Ok(id)
    }

    /// One run, if it exists.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// the row cannot be read back.
    pub async fn run(&self, id: RunId) -> Result<Option<RunRecord>, StoreError> {
        let row = runs::Entity::find_by_id(id.0).one(&self.db).await.during(|| format!("load run {id}"))?;
        row.map(run_record).transpose()
    }

    /// Up to `limit` runs matching `filter`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn runs(&self, filter: &RunFilter, limit: u64) -> Result<Vec<RunRecord>, StoreError> {
        use runs::Column;
        let mut query = runs::Entity::find();
        if let Some(statuses) = &filter.statuses {
            query = query.filter(Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        }
        if let Some(origin) = filter.origin {
            query = query.filter(Column::Origin.eq(origin.to_string()));
        }
        if let Some(before) = filter.before {
            query = query.filter(Column::Id.lt(before.0));
        }
        if let Some(after) = filter.created_after {
            query = query.filter(Column::CreatedAt.gte(stored_time(after)));
        }
        if let Some(before) = filter.created_before {
            query = query.filter(Column::CreatedAt.lt(stored_time(before)));
        }
        if let Some(asset) = &filter.asset {
            query = query.filter(Column::Id.in_subquery(runs_with_asset(asset)));
        }
        let rows =
            query.order_by_desc(Column::Id).limit(limit).all(&self.db).await.during(|| "list runs".to_owned())?;
        rows.into_iter().map(run_record).collect()
    }

    /// The steps of a run, in plan order.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn run_steps(&self, id: RunId) -> Result<Vec<StepRecord>, StoreError> {
        let rows = run_steps::Entity::find()
            .filter(run_steps::Column::RunId.eq(id.0))
            .order_by_asc(run_steps::Column::Position)
            .all(&self.db)
            .await
            .during(|| format!("load the steps of run {id}"))?;
        let mut keys = Keys::default();
        rows.into_iter().map(|row| step_record(row, &mut keys)).collect()
    }

    /// Requests cancellation of a run: its queued steps are canceled at
    /// once; if steps are running it becomes `CANCELING` (their executors
    /// stop them and the run ends `CANCELED` when the last one stops),
    /// else `CANCELED` at once. Idempotent: canceling a canceling or
    /// finished run changes nothing and says so.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown run, [`StoreError::Query`]
    /// if a query fails (then nothing changed).
    pub async fn cancel_run(&self, id: RunId, now: DateTime<Utc>) -> Result<Cancellation, StoreError> {
        let action = || format!("cancel run {id}");
        let txn = self.begin_write().await.during(action)?;
        let lock = match self.backend() {
            sea_orm::DbBackend::Postgres => " FOR UPDATE",
            _ => "",
        };
        let row = txn
            .query_one_raw(statement(
                self.backend(),
                &format!("SELECT status FROM runs WHERE id = $1{lock}"),
                vec![id.0.into()],
            ))
            .await
            .during(action)?
            .ok_or_else(|| StoreError::NotFound(format!("run {id}")))?;
        let status: String = row.try_get("", "status").during(action)?;
        let status = RunStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt { what: format!("run {id}"), detail: format!("status `{status}`") })?;
        if status.is_finished() {
            txn.rollback().await.during(action)?;
            return Ok(Cancellation::AlreadyFinished(status));
        }
        if status == RunStatus::Canceling {
            txn.rollback().await.during(action)?;
            return Ok(Cancellation::AlreadyCanceling);
        }
        let canceled = txn
            .execute_raw(statement(
                self.backend(),
                "UPDATE run_steps SET status = 'CANCELED', finished_at = $2 WHERE run_id = $1 AND status = 'QUEUED'",
                vec![id.0.into(), stored_time(now).into()],
            ))
            .await
            .during(action)?
            .rows_affected();
        txn.execute_raw(statement(
            self.backend(),
            "UPDATE runs SET status = 'CANCELING', canceled_steps = canceled_steps + $2 WHERE id = $1",
            vec![id.0.into(), (canceled as i64).into()],
        ))
        .await
        .during(action)?;
        let mut events = vec![NewEvent {
            kind: EventKind::RunCanceling,
            run_id: Some(id),
            step_id: None,
            asset: None,
            partition: None,
            level: EventLevel::Warn,
            message: format!("cancellation requested; {canceled} queued step(s) canceled"),
            data: None,
            at: now,
        }];
        let finished = finish_run_if_done(&txn, id, now, &mut events).await.during(action)?;
        let running = match finished {
            Some(_) => 0,
            None => usize::try_from(StepCounts::of_run(&txn, id).await.during(action)?.running).unwrap_or(0),
        };
        append_in(&txn, &events).await.during(action)?;
        txn.commit().await.during(action)?;
        Ok(match finished {
            Some(_) => Cancellation::Canceled,
            None => Cancellation::Canceling { running },
        })
    }
}

/// Inserts a run and its steps (`QUEUED`) inside `txn` and pushes
/// `RUN_ENQUEUED` (and its end, for a run without steps) onto `events`.
pub(crate) async fn insert_run(
    txn: &DatabaseTransaction,
    run: &NewRun,
    events: &mut Vec<NewEvent>,
) -> Result<RunId, DbErr> {
    let row = runs::ActiveModel {
        id: NotSet,
        status: Set(RunStatus::Queued.as_str().to_owned()),
        selection: Set(run.selection.clone()),
        partition_filter: Set(run.partition_filter.clone()),
        planned_steps: Set(run.steps.len() as i64),
        materialized_steps: Set(0),
        failed_steps: Set(0),
        skipped_steps: Set(0),
        canceled_steps: Set(0),
        created_at: Set(stored_time(run.created_at)),
        started_at: Set(None),
        finished_at: Set(None),
        project: Set(run.project.clone()),
        origin: Set(run.origin.to_string()),
        tags: Set(to_json(&run.tags)),
        target: Set(Some(to_json(&run.target))),
    };
    let id = RunId(runs::Entity::insert(row).exec(txn).await?.last_insert_id);
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); run.steps.len()];
    for (position, step) in run.steps.iter().enumerate() {
        for &upstream in &step.waits_for {
            if let Some(list) = dependents.get_mut(upstream) {
                list.push(position);
            }
        }
    }
    for (batch_index, batch) in run.steps.chunks(STEP_BATCH).enumerate() {
        let rows: Vec<run_steps::ActiveModel> = batch
            .iter()
            .enumerate()
            .map(|(offset, step)| {
                let position = batch_index * STEP_BATCH + offset;
                run_steps::ActiveModel {
                    id: NotSet,
                    run_id: Set(id.0),
                    position: Set(position as i32),
                    asset_key: Set(step.target.asset.as_str().to_owned()),
                    partition_key: Set(partition_text(step.target.partition.as_ref())),
                    status: Set(StepStatus::Queued.as_str().to_owned()),
                    reasons: Set(to_json(&step.reasons)),
                    conditional: Set(step.conditional),
                    waits_for: Set(to_json(&step.waits_for)),
                    dependents: Set(to_json(&dependents[position])),
                    waiting_on: Set(step.waits_for.len() as i32),
                    attempt: Set(0),
                    owner: Set(None),
                    lease_expires_at: Set(None),
                    started_at: Set(None),
                    finished_at: Set(None),
                    skip_reason: Set(None),
                    error: Set(None),
                    materialization_id: Set(None),
                }
            })
            .collect();
        run_steps::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    events.push(NewEvent {
        kind: EventKind::RunEnqueued,
        run_id: Some(id),
        step_id: None,
        asset: None,
        partition: None,
        level: EventLevel::Info,
        message: format!("run {id} queued: {} step(s) planned", run.steps.len()),
        data: Some(serde_json::json!({ "steps": run.steps.len(), "origin": run.origin.to_string() })),
        at: run.created_at,
    });
    if run.steps.is_empty() {
        finish_run_if_done(txn, id, run.created_at, events).await?;
    }
    Ok(id)
}

/// Per-status increments of a run's step counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CountDelta {
    pub materialized: i64,
    pub failed: i64,
    pub skipped: i64,
    pub canceled: i64,
}

impl CountDelta {
    pub(crate) fn add(&mut self, status: StepStatus, count: i64) {
        match status {
            StepStatus::Materialized => self.materialized += count,
            StepStatus::Failed => self.failed += count,
            StepStatus::Skipped => self.skipped += count,
            StepStatus::Canceled => self.canceled += count,
            StepStatus::Queued | StepStatus::Running => {}
        }
    }
}

/// Adds `delta` to the run's counters; if every step has now finished,
/// ends the run (`CANCELED` when canceling, else `FAILURE` when a step
/// failed, else `SUCCESS`) and pushes its event. Returns the final status
/// when this ended the run.
pub(crate) async fn count_and_finish(
    txn: &DatabaseTransaction,
    id: RunId,
    delta: CountDelta,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> Result<Option<RunStatus>, DbErr> {
    txn.execute_raw(statement(
        txn.get_database_backend(),
        "UPDATE runs SET materialized_steps = materialized_steps + $2, failed_steps = failed_steps + $3, \
         skipped_steps = skipped_steps + $4, canceled_steps = canceled_steps + $5 WHERE id = $1",
        vec![id.0.into(), delta.materialized.into(), delta.failed.into(), delta.skipped.into(), delta.canceled.into()],
    ))
    .await?;
    finish_run_if_done(txn, id, now, events).await
}

/// How many steps of a run are in each status, read from the steps.
#[derive(Debug, Default)]
struct StepCounts {
    /// The steps that ended, by how.
    ended: CountDelta,
    /// `QUEUED` steps (and any of a status this build does not know).
    queued: i64,
    /// `RUNNING` steps.
    running: i64,
}

impl StepCounts {
    async fn of_run(txn: &DatabaseTransaction, id: RunId) -> Result<Self, DbErr> {
        let rows = txn
            .query_all_raw(statement(
                txn.get_database_backend(),
                "SELECT status, COUNT(*) AS n FROM run_steps WHERE run_id = $1 GROUP BY status",
                vec![id.0.into()],
            ))
            .await?;
        let mut counts = Self::default();
        for row in rows {
            let status: String = row.try_get("", "status")?;
            let n: i64 = row.try_get("", "n")?;
            match StepStatus::parse(&status) {
                Some(StepStatus::Running) => counts.running += n,
                Some(StepStatus::Queued) | None => counts.queued += n,
                Some(ended) => counts.ended.add(ended, n),
            }
        }
        Ok(counts)
    }
}

/// Ends the run if every step has finished (see [`count_and_finish`]).
pub(crate) async fn finish_run_if_done(
    txn: &DatabaseTransaction,
    id: RunId,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> Result<Option<RunStatus>, DbErr> {
    let backend = txn.get_database_backend();
    let Some(row) = txn
        .query_one_raw(statement(
            backend,
            "SELECT status, origin, planned_steps, materialized_steps, failed_steps, skipped_steps, canceled_steps \
             FROM runs WHERE id = $1",
            vec![id.0.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let status: String = row.try_get("", "status")?;
    let origin: String = row.try_get("", "origin")?;
    let planned: i64 = row.try_get("", "planned_steps")?;
    let materialized: i64 = row.try_get("", "materialized_steps")?;
    let failed: i64 = row.try_get("", "failed_steps")?;
    let skipped: i64 = row.try_get("", "skipped_steps")?;
    let canceled: i64 = row.try_get("", "canceled_steps")?;
    let status = RunStatus::parse(&status);
    if status.is_none_or(RunStatus::is_finished) || materialized + failed + skipped + canceled < planned {
        return Ok(None);
    }
    // The counters say every step has ended: the steps themselves decide.
    // (Counters that drifted from the steps, by a bug or a hand edit of
    // the database, must never end a run whose steps are still queued.)
    let steps = StepCounts::of_run(txn, id).await?;
    let counted = CountDelta { materialized, failed, skipped, canceled };
    if steps.ended != counted {
        tracing::warn!("run {id}: step counters {counted:?} disagreed with its steps {:?}; corrected", steps.ended);
        txn.execute_raw(statement(
            backend,
            "UPDATE runs SET materialized_steps = $2, failed_steps = $3, skipped_steps = $4, canceled_steps = $5 \
             WHERE id = $1",
            vec![
                id.0.into(),
                steps.ended.materialized.into(),
                steps.ended.failed.into(),
                steps.ended.skipped.into(),
                steps.ended.canceled.into(),
            ],
        ))
        .await?;
    }
    if steps.queued + steps.running > 0 {
        return Ok(None);
    }
    let CountDelta { materialized, failed, skipped, canceled } = steps.ended;
    let (last, kind, level) = if status == Some(RunStatus::Canceling) {
        (RunStatus::Canceled, EventKind::RunCanceled, EventLevel::Warn)
    } else if failed > 0 {
        (RunStatus::Failure, EventKind::RunFailure, EventLevel::Error)
    } else {
        (RunStatus::Success, EventKind::RunSuccess, EventLevel::Info)
    };
    txn.execute_raw(statement(
        backend,
        "UPDATE runs SET status = $2, finished_at = $3 WHERE id = $1",
        vec![id.0.into(), last.as_str().into(), stored_time(now).into()],
    ))
    .await?;
    events.push(NewEvent {
        kind,
        run_id: Some(id),
        step_id: None,
        asset: None,
        partition: None,
        level,
        message: format!(
            "run {id} {last}: {materialized} materialized, {failed} failed, {skipped} skipped, {canceled} canceled"
        ),
        data: Some(serde_json::json!({
            "materialized": materialized, "failed": failed, "skipped": skipped, "canceled": canceled,
        })),
        at: now,
    });
    if let Ok(RunOrigin::Backfill(backfill)) = origin.parse() {
        crate::backfills::finish_backfill(txn, BackfillId(backfill), last, now, events).await?;
    }
    Ok(Some(last))
}

/// `SELECT run_id FROM run_steps WHERE asset_key = ?`: the runs with a step
/// of `asset`.
pub(crate) fn runs_with_asset(asset: &cairn_core::AssetKey) -> sea_orm::sea_query::SelectStatement {
    run_steps::Entity::find()
        .select_only()
        .column(run_steps::Column::RunId)
        .filter(run_steps::Column::AssetKey.eq(asset.as_str()))
        .into_query()
}
