//! Backfills: storing them, launching their run exactly once, canceling
//! them, and ending them with their run.

use cairn_core::state::AssetPartition;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::MetadataStore;
use crate::entities::backfills;
use crate::events::append_in;
use crate::records::{
    BackfillFilter, BackfillId, BackfillRecord, BackfillStatus, BackfillTransition, EventKind, EventLevel, NewBackfill,
    NewEvent, NewRun, RunId, RunStatus, StepStatus, StoreError,
};
use crate::rows::{During, Keys, corrupt, json, stored_time, to_json};
use crate::runs::insert_run;
use crate::sql::statement;

fn backfill_event(id: BackfillId, kind: EventKind, level: EventLevel, message: String, at: DateTime<Utc>) -> NewEvent {
    NewEvent {
        kind,
        run_id: None,
        step_id: None,
        asset: None,
        partition: None,
        level,
        message,
        data: Some(serde_json::json!({ "backfill_id": id.0 })),
        at,
    }
}

fn backfill_record(row: backfills::Model) -> Result<BackfillRecord, StoreError> {
    let id = BackfillId(row.id);
    let what = || format!("backfill {id}");
    let status = BackfillStatus::parse(&row.status)
        .ok_or_else(|| corrupt(what(), format!("unknown status `{}`", row.status)))?;
    Ok(BackfillRecord {
        id,
        project: row.project,
        status,
        selection: row.selection,
        partitions_text: row.partitions_text,
        target: json(&row.target, what)?,
        only_missing_or_failed: row.only_missing_or_failed,
        only_stale: row.only_stale,
        tags: json(&row.tags, what)?,
        run_id: row.run_id.map(RunId),
        blocked: row.blocked,
        retry_of: row.retry_of.map(BackfillId),
        error: row.error,
        created_at: row.created_at,
        finished_at: row.finished_at,
    })
}

impl MetadataStore {
    /// Stores a backfill (`REQUESTED`, no run yet) and appends
    /// `BACKFILL_REQUESTED`. An executor's backfill daemon launches its run.
    ///
    /// # Errors
    /// [`StoreError::Query`] if it cannot be stored.
    pub async fn create_backfill(&self, backfill: &NewBackfill) -> Result<BackfillId, StoreError> {
        let action = || format!("store a backfill of `{}`", backfill.selection);
        let txn = self.begin_write().await.during(action)?;
        let row = backfills::ActiveModel {
            id: NotSet,
            project: Set(backfill.project.clone()),
            status: Set(BackfillStatus::Requested.as_str().to_owned()),
            selection: Set(backfill.selection.clone()),
            partitions_text: Set(backfill.partitions_text.clone()),
            target: Set(to_json(&backfill.target)),
            only_missing_or_failed: Set(backfill.only_missing_or_failed),
            only_stale: Set(backfill.only_stale),
            tags: Set(to_json(&backfill.tags)),
            run_id: Set(None),
            blocked: Set(0),
            retry_of: Set(backfill.retry_of.map(|id| id.0)),
            error: Set(None),
            created_at: Set(stored_time(backfill.created_at)),
            finished_at: Set(None),
        };
        let id = BackfillId(backfills::Entity::insert(row).exec(&txn).await.during(action)?.last_insert_id);
        let message = format!("backfill {id} requested: `{}` over {}", backfill.selection, backfill.partitions_text);
        let event = backfill_event(id, EventKind::BackfillRequested, EventLevel::Info, message, backfill.created_at);
        append_in(&txn, &[event]).await.during(action)?;
        txn.commit().await.during(action)?;
        Ok(id)
    }

    /// One backfill, if it exists.
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn backfill(&self, id: BackfillId) -> Result<Option<BackfillRecord>, StoreError> {
        let row = backfills::Entity::find_by_id(id.0).one(&self.db).await.during(|| format!("load backfill {id}"))?;
        row.map(backfill_record).transpose()
    }

    /// Up to `limit` backfills matching `filter`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn backfills(&self, filter: &BackfillFilter, limit: u64) -> Result<Vec<BackfillRecord>, StoreError> {
        use backfills::Column;
        let mut query = backfills::Entity::find();
        if let Some(statuses) = &filter.statuses {
            query = query.filter(Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
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
            query = query.filter(Column::RunId.in_subquery(crate::runs::runs_with_asset(asset)));
        }
        let rows =
            query.order_by_desc(Column::Id).limit(limit).all(&self.db).await.during(|| "list backfills".to_owned())?;
        rows.into_iter().map(backfill_record).collect()
    }

    /// The requested backfills of `project` whose run is not launched yet,
    /// oldest first.
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn backfills_to_launch(&self, project: &str) -> Result<Vec<BackfillRecord>, StoreError> {
        use backfills::Column;
        let rows = backfills::Entity::find()
            .filter(Column::Project.eq(project))
            .filter(Column::Status.eq(BackfillStatus::Requested.as_str()))
            .filter(Column::RunId.is_null())
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .during(|| "list backfills to launch".to_owned())?;
        rows.into_iter().map(backfill_record).collect()
    }

    /// Stores the run of a requested backfill, exactly once: in one
    /// transaction, claims the backfill (no run yet, still `REQUESTED`),
    /// stores the run and its steps, and records the run and the number of
    /// targeted partitions that could not be planned on the backfill.
    /// Returns `None`, storing nothing, when the backfill already has a run
    /// or is no longer requested (another process launched or canceled it).
    ///
    /// # Errors
    /// [`StoreError::Query`]; then nothing is stored.
    pub async fn launch_backfill_run(
        &self,
        id: BackfillId,
        run: &NewRun,
        blocked: i64,
    ) -> Result<Option<RunId>, StoreError> {
        let action = || format!("launch the run of backfill {id}");
        let txn = self.begin_write().await.during(action)?;
        let claimed = txn
            .execute_raw(statement(
                self.backend(),
                "UPDATE backfills SET run_id = 0 WHERE id = $1 AND run_id IS NULL AND status = 'REQUESTED'",
                vec![id.0.into()],
            ))
            .await
            .during(action)?;
        if claimed.rows_affected() == 0 {
            txn.rollback().await.during(action)?;
            return Ok(None);
        }
        let mut events = Vec::new();
        let run_id = insert_run(&txn, run, &mut events).await.during(action)?;
        txn.execute_raw(statement(
            self.backend(),
            "UPDATE backfills SET run_id = $2, blocked = $3 WHERE id = $1",
            vec![id.0.into(), run_id.0.into(), blocked.into()],
        ))
        .await
        .during(action)?;
        append_in(&txn, &events).await.during(action)?;
        txn.commit().await.during(action)?;
        Ok(Some(run_id))
    }

    /// Ends a requested backfill that cannot be launched (its assets no
    /// longer exist, its partitions no longer do): `FAILED` with `error`.
    ///
    /// # Errors
    /// [`StoreError::Query`].
    pub async fn fail_backfill(&self, id: BackfillId, error: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let action = || format!("fail backfill {id}");
        let txn = self.begin_write().await.during(action)?;
        let updated = txn
            .execute_raw(statement(
                self.backend(),
                "UPDATE backfills SET status = 'FAILED', error = $2, finished_at = $3 \
                 WHERE id = $1 AND status = 'REQUESTED' AND run_id IS NULL",
                vec![id.0.into(), error.into(), stored_time(now).into()],
            ))
            .await
            .during(action)?;
        if updated.rows_affected() > 0 {
            let event = backfill_event(id, EventKind::BackfillFailed, EventLevel::Error, error.to_owned(), now);
            append_in(&txn, &[event]).await.during(action)?;
        }
        txn.commit().await.during(action)
    }

    /// Requests the cancellation of a backfill: a backfill without a run
    /// is `CANCELED` at once; one with a run becomes `CANCELING` and its
    /// run is canceled (the backfill ends `CANCELED` with it). Returns the
    /// transition and the run to cancel.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown backfill, [`StoreError::Query`].
    pub async fn cancel_backfill(
        &self,
        id: BackfillId,
        now: DateTime<Utc>,
    ) -> Result<(BackfillTransition, Option<RunId>), StoreError> {
        let action = || format!("cancel backfill {id}");
        let txn = self.begin_write().await.during(action)?;
        let row = backfills::Entity::find_by_id(id.0)
            .one(&txn)
            .await
            .during(action)?
            .ok_or_else(|| StoreError::NotFound(format!("backfill {id}")))?;
        let record = backfill_record(row)?;
        if record.status != BackfillStatus::Requested {
            txn.rollback().await.during(action)?;
            return Ok((BackfillTransition::Unchanged(record.status), None));
        }
        let run = record.run_id.filter(|run| run.0 > 0);
        let (status, kind) = match run {
            Some(_) => (BackfillStatus::Canceling, EventKind::BackfillCanceling),
            None => (BackfillStatus::Canceled, EventKind::BackfillCanceled),
        };
        let finished = (status == BackfillStatus::Canceled).then(|| stored_time(now));
        txn.execute_raw(statement(
            self.backend(),
            "UPDATE backfills SET status = $2, finished_at = $3 WHERE id = $1",
            vec![id.0.into(), status.as_str().into(), finished.into()],
        ))
        .await
        .during(action)?;
        let message = format!("backfill {id} {status}");
        append_in(&txn, &[backfill_event(id, kind, EventLevel::Warn, message, now)]).await.during(action)?;
        txn.commit().await.during(action)?;
        Ok((BackfillTransition::Changed(status), run))
    }

    /// The asset partition and status of every step of a run, in plan
    /// order: what backfill progress is computed from (three columns, no
    /// JSON, for runs of tens of thousands of steps).
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn step_statuses(&self, run: RunId) -> Result<Vec<StepState>, StoreError> {
        let action = || format!("read the step statuses of run {run}");
        let rows = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT asset_key, partition_key, status, skip_reason FROM run_steps WHERE run_id = $1 ORDER BY position",
                vec![run.0.into()],
            ))
            .await
            .during(action)?;
        let mut keys = Keys::default();
        rows.iter()
            .map(|row| {
                let asset: String = row.try_get("", "asset_key").during(action)?;
                let partition: Option<String> = row.try_get("", "partition_key").during(action)?;
                let status: String = row.try_get("", "status").during(action)?;
                let status = StepStatus::parse(&status)
                    .ok_or_else(|| corrupt(action(), format!("unknown status `{status}`")))?;
                let skip: Option<String> = row.try_get("", "skip_reason").during(action)?;
                Ok(StepState {
                    target: AssetPartition::new(
                        keys.asset(&asset, action)?,
                        keys.partition(partition.as_deref(), action)?,
                    ),
                    status,
                    skip_reason: skip.as_deref().map(|text| json(text, action)).transpose()?,
                })
            })
            .collect()
    }

    /// How many steps of `run` have each status (and, for skipped steps,
    /// each skip reason): one grouped read, whatever the run's size, for
    /// a backfill's counts (its progress by asset needs
    /// [`Self::step_statuses`]).
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn step_status_counts(
        &self,
        run: RunId,
    ) -> Result<Vec<(StepStatus, Option<cairn_core::run::SkipReason>, u64)>, StoreError> {
        let action = || format!("count the step statuses of run {run}");
        let rows = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT status, skip_reason, COUNT(*) AS steps FROM run_steps WHERE run_id = $1 \
                 GROUP BY status, skip_reason",
                vec![run.0.into()],
            ))
            .await
            .during(action)?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("", "status").during(action)?;
                let status = StepStatus::parse(&status)
                    .ok_or_else(|| corrupt(action(), format!("unknown status `{status}`")))?;
                let skip: Option<String> = row.try_get("", "skip_reason").during(action)?;
                let steps: i64 = row.try_get("", "steps").during(action)?;
                let skip = skip.as_deref().map(|text| json(text, action)).transpose()?;
                Ok((status, skip, u64::try_from(steps).unwrap_or(0)))
            })
            .collect()
    }

    /// The asset partitions whose latest ended materialization attempt
    /// failed (a failed step more recent than any that materialized it)
    /// and none is running now, and those being materialized now. Reads
    /// current state only: the running steps (indexed by status) and the
    /// failed rows of `asset_partitions`.
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn attempt_states(&self) -> Result<(Vec<AssetPartition>, Vec<AssetPartition>), StoreError> {
        let running = crate::index::running_targets_in(&self.db).await?;
        let mut failed = crate::index::failed_targets_in(&self.db).await?;
        failed.retain(|target| !running.contains(target));
        Ok((failed.into_iter().collect(), running.into_iter().collect()))
    }
}

/// One step's asset partition and status (see
/// [`MetadataStore::step_statuses`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepState {
    /// The asset partition.
    pub target: AssetPartition,
    /// Its status.
    pub status: StepStatus,
    /// Why it was skipped, if it was.
    pub skip_reason: Option<crate::records::SkipReason>,
}

/// Ends the backfill of a run that just ended, with it.
pub(crate) async fn finish_backfill(
    txn: &DatabaseTransaction,
    id: BackfillId,
    run_status: RunStatus,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> Result<(), DbErr> {
    let (status, kind, level) = match run_status {
        RunStatus::Success => (BackfillStatus::Completed, EventKind::BackfillCompleted, EventLevel::Info),
        RunStatus::Canceled => (BackfillStatus::Canceled, EventKind::BackfillCanceled, EventLevel::Warn),
        _ => (BackfillStatus::Failed, EventKind::BackfillFailed, EventLevel::Error),
    };
    let updated = txn
        .execute_raw(statement(
            txn.get_database_backend(),
            "UPDATE backfills SET status = $2, finished_at = $3 WHERE id = $1 AND status IN ('REQUESTED', 'CANCELING')",
            vec![id.0.into(), status.as_str().into(), stored_time(now).into()],
        ))
        .await?;
    if updated.rows_affected() > 0 {
        events.push(backfill_event(id, kind, level, format!("backfill {id} {status}"), now));
    }
    Ok(())
}
