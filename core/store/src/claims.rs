//! Claiming steps with leases, renewing and releasing leases, re-queuing
//! the steps of executors that died, and recording how a step ended
//! (fenced by its lease). See "Leases and fencing" in the crate docs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use cairn_core::state::AssetPartition;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, FromQueryResult, TransactionTrait, Value,
};

use crate::db_error::{DbErrorKind, classify};
use crate::entities::{check_results, materialization_inputs, materializations, run_steps};
use crate::events::append_in;
use crate::records::{
    CheckSeverity, ClaimRequest, ClaimedStep, EventKind, EventLevel, Finished, Lease, NewCheckResult, NewEvent,
    NewMaterialization, Renewal, RunId, RunStatus, RunTarget, SkipReason, StepId, StepOutcome, StepRecord, StepStatus,
    StoreError,
};
use crate::rows::{During, Keys, json, partition_text, step_record, stored_time, to_json};
use crate::runs::{CountDelta, count_and_finish};
use crate::sql::{placeholders, statement};
use crate::{MetadataStore, current, pauses};

/// Inputs inserted per statement: 5 parameters each, well under SQLite's
/// 32,766 and PostgreSQL's 65,535 bind parameters.
const INPUT_BATCH: usize = 1_000;

/// Ids per `IN (...)` list.
const ID_BATCH: usize = 1_000;

/// Claims retried after losing a race for an asset partition to another
/// claimer (PostgreSQL only; SQLite claims one at a time).
const CLAIM_RETRIES: usize = 5;

impl MetadataStore {
    /// Claims up to `request.limit` ready steps for `request.owner`: queued
    /// steps of queued or started runs of the project whose awaited steps
    /// are all done and whose asset partition no other step is running.
    /// Each claimed step becomes `RUNNING` with a lease until `now + lease`
    /// and a new attempt number; its run becomes `STARTED` if it was
    /// queued. Earlier runs first, then plan order.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the claim fails; then nothing is claimed.
    pub async fn claim_steps(&self, request: &ClaimRequest<'_>) -> Result<Vec<ClaimedStep>, StoreError> {
        let mut attempt = 0;
        loop {
            match self.try_claim(request).await {
                Err(StoreError::Query { source, .. }) if is_unique_violation(&source) && attempt < CLAIM_RETRIES => {
                    // Another claimer took a step of the same asset
                    // partition at the same moment: the index refused
                    // ours. Try again; the next query sees theirs.
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_claim(&self, request: &ClaimRequest<'_>) -> Result<Vec<ClaimedStep>, StoreError> {
        let action = || format!("claim steps for executor {}", request.owner);
        if request.limit == 0 {
            return Ok(Vec::new());
        }
        let txn = self.begin_write().await.during(action)?;
        let claimed = claim_in(&txn, request).await?;
        if claimed.is_empty() {
            txn.rollback().await.during(action)?;
        } else {
            txn.commit().await.during(action)?;
        }
        Ok(claimed)
    }

    /// Extends the leases of `leases` (all held by one executor) until
    /// `until`. Says which leases are no longer held (their steps must stop
    /// without recording anything) and which runs are being canceled
    /// (their steps must stop and be recorded `CANCELED`).
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails.
    pub async fn renew_leases(&self, leases: &[Lease], until: DateTime<Utc>) -> Result<Renewal, StoreError> {
        let Some(first) = leases.first() else { return Ok(Renewal::default()) };
        let action = || format!("renew {} lease(s) of executor {}", leases.len(), first.owner);
        let backend = self.backend();
        let mut values: Vec<Value> = vec![stored_time(until).into(), first.owner.as_str().into()];
        let mut conditions = Vec::with_capacity(leases.len());
        for lease in leases {
            let n = values.len();
            conditions.push(format!("(id = ${} AND attempt = ${})", n + 1, n + 2));
            values.push(lease.step.0.into());
            values.push((lease.attempt as i32).into());
        }
        let sql = format!(
            "UPDATE run_steps SET lease_expires_at = $1 WHERE status = 'RUNNING' AND owner = $2 AND ({}) RETURNING id",
            conditions.join(" OR ")
        );
        let rows = self.db.query_all_raw(statement(backend, &sql, values)).await.during(action)?;
        let mut renewed = HashSet::new();
        for row in rows {
            renewed.insert(row.try_get::<i64>("", "id").during(action)?);
        }
        let lost: Vec<StepId> = leases.iter().map(|l| l.step).filter(|step| !renewed.contains(&step.0)).collect();
        let runs: BTreeSet<i64> = leases.iter().map(|l| l.run.0).collect();
        let values: Vec<Value> = runs.iter().map(|&id| Value::from(id)).collect();
        let sql = format!("SELECT id FROM runs WHERE status = 'CANCELING' AND id IN ({})", placeholders(1, runs.len()));
        let mut canceling = Vec::new();
        for row in self.db.query_all_raw(statement(backend, &sql, values)).await.during(action)? {
            canceling.push(RunId(row.try_get("", "id").during(action)?));
        }
        Ok(Renewal { lost, canceling })
    }

    /// Records how a step ended, fenced by its lease, in one transaction:
    /// the materialization and its inputs (the commit point of the step's
    /// data), the check results, the step's status, the steps that wait
    /// for it (one fewer to wait for; or, when it failed, skipped with all
    /// their own dependents), the run's counters and, after its last step,
    /// the run's end, and the events (`logs` first).
    ///
    /// # Errors
    /// [`StoreError::LeaseLost`] when the lease is no longer current (then
    /// nothing at all is recorded), [`StoreError::Query`] if a query fails
    /// (likewise).
    pub async fn finish_step(
        &self,
        lease: &Lease,
        target: &AssetPartition,
        outcome: &StepOutcome,
        logs: &[NewEvent],
        now: DateTime<Utc>,
    ) -> Result<Finished, StoreError> {
        self.finish_step_and_claim(lease, target, outcome, logs, now, None).await.map(|(finished, _)| finished)
    }

    /// [`Self::finish_step`], then, given `next`, in the same transaction
    /// (one commit, so one disk sync on SQLite instead of two)
    /// [`Self::claim_steps`] with `next`: the executor's next step(s) are
    /// claimed as this one ends.
    /// A claim that loses a race for an asset partition to another claimer
    /// claims nothing and leaves the end recorded.
    ///
    /// # Errors
    /// As [`Self::finish_step`] (then nothing is recorded nor claimed), and
    /// [`StoreError::Query`] if the claim fails otherwise (likewise).
    pub async fn finish_step_and_claim(
        &self,
        lease: &Lease,
        target: &AssetPartition,
        outcome: &StepOutcome,
        logs: &[NewEvent],
        now: DateTime<Utc>,
        next: Option<&ClaimRequest<'_>>,
    ) -> Result<(Finished, Vec<ClaimedStep>), StoreError> {
        let action = || format!("record the end of step {} ({target}) of run {}", lease.step, lease.run);
        let txn = self.begin_write().await.during(action)?;
        pauses::point("finish: begun").await;
        let finished = match finish_in(&txn, lease, target, outcome, logs, now).await {
            Ok(finished) => finished,
            Err(error) => {
                txn.rollback().await.during(action)?;
                return Err(error);
            }
        };
        let claimed = match next {
            Some(next) => {
                // A savepoint: a claim refused by the unique index
                // (PostgreSQL) must not undo the end just recorded.
                let savepoint = txn.begin().await.during(action)?;
                match claim_in(&savepoint, next).await {
                    Ok(claimed) => {
                        savepoint.commit().await.during(action)?;
                        claimed
                    }
                    Err(StoreError::Query { source, .. }) if is_unique_violation(&source) => {
                        savepoint.rollback().await.during(action)?;
                        Vec::new()
                    }
                    Err(error) => return Err(error),
                }
            }
            None => Vec::new(),
        };
        pauses::point("finish: committing").await;
        txn.commit().await.during(action)?;
        Ok((finished, claimed))
    }

    /// Gives steps back (an executor shutting down): each becomes `QUEUED`
    /// again for any executor to claim, or `CANCELED` if its run is being
    /// canceled. Leases no longer held are ignored.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails; then nothing changed.
    pub async fn release_steps(&self, leases: &[Lease], now: DateTime<Utc>) -> Result<usize, StoreError> {
        if leases.is_empty() {
            return Ok(0);
        }
        let action = || format!("release {} step(s) of executor {}", leases.len(), leases[0].owner);
        let steps: Vec<Takeback> = leases
            .iter()
            .map(|lease| Takeback {
                id: lease.step.0,
                run: lease.run,
                attempt: lease.attempt as i32,
                owner: Some(lease.owner.clone()),
                expired_before: None,
            })
            .collect();
        let reason = |_: &Takeback| format!("released by executor {} (shutting down)", leases[0].owner);
        self.take_back(&steps, reason, now).await.during(action)
    }

    /// Re-queues every `RUNNING` step whose lease expired before `now` (its
    /// executor died or hung), or cancels it if its run is being canceled.
    /// Returns how many steps it changed. Executors call it regularly; so
    /// do `cairn run resume` and `cairn run cancel`.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails; then nothing changed.
    pub async fn expire_leases(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let action = || "re-queue steps whose lease expired".to_owned();
        let expired = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT id, run_id, owner, attempt FROM run_steps WHERE status = 'RUNNING' AND lease_expires_at < $1",
                vec![stored_time(now).into()],
            ))
            .await
            .during(action)?;
        if expired.is_empty() {
            return Ok(0);
        }
        let mut steps = Vec::with_capacity(expired.len());
        for row in &expired {
            steps.push(Takeback {
                id: row.try_get("", "id").during(action)?,
                run: RunId(row.try_get("", "run_id").during(action)?),
                attempt: row.try_get("", "attempt").during(action)?,
                owner: row.try_get("", "owner").during(action)?,
                expired_before: Some(now),
            });
        }
        let reason = |step: &Takeback| {
            format!(
                "the lease of executor {} expired (attempt {})",
                step.owner.as_deref().unwrap_or_default(),
                step.attempt
            )
        };
        self.take_back(&steps, reason, now).await.during(action)
    }

    /// Re-queues one `RUNNING` step at once, whatever its lease says: its
    /// executor is known to be dead (a process of this machine that no
    /// longer exists). Nothing changes if the step moved on (another
    /// attempt, or finished). Returns whether it changed.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails; then nothing changed.
    pub async fn expire_lease_of_dead_owner(&self, lease: &Lease, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let action = || format!("re-queue step {} of dead executor {}", lease.step, lease.owner);
        let step = Takeback {
            id: lease.step.0,
            run: lease.run,
            attempt: lease.attempt as i32,
            owner: Some(lease.owner.clone()),
            expired_before: None,
        };
        let reason =
            |_: &Takeback| format!("executor {} is no longer running (attempt {})", lease.owner, lease.attempt);
        Ok(self.take_back(&[step], reason, now).await.during(action)? == 1)
    }

    /// Takes `steps` back from their executors in one write transaction
    /// (see [`requeue`]); returns how many were still as expected.
    async fn take_back(
        &self,
        steps: &[Takeback],
        reason: impl Fn(&Takeback) -> String,
        now: DateTime<Utc>,
    ) -> Result<usize, DbErr> {
        let txn = self.begin_write().await?;
        pauses::point("take back: begun").await;
        let (changed, events) = requeue(&txn, steps, reason, now).await?;
        if changed == 0 {
            txn.rollback().await?;
            return Ok(0);
        }
        append_in(&txn, &events).await?;
        pauses::point("take back: committing").await;
        txn.commit().await?;
        Ok(changed)
    }

    /// Every `RUNNING` step (of one run, if given), oldest claim first.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn running_steps(&self, run: Option<RunId>) -> Result<Vec<StepRecord>, StoreError> {
        let (sql, values): (&str, Vec<Value>) = match run {
            Some(run) => (
                "SELECT * FROM run_steps WHERE status = 'RUNNING' AND run_id = $1 ORDER BY started_at, id",
                vec![run.0.into()],
            ),
            None => ("SELECT * FROM run_steps WHERE status = 'RUNNING' ORDER BY started_at, id", vec![]),
        };
        let action = || "list running steps".to_owned();
        let rows = self.db.query_all_raw(statement(self.backend(), sql, values)).await.during(action)?;
        let mut keys = Keys::default();
        rows.iter()
            .map(|row| {
                let model = run_steps::Model::from_query_result(row, "").during(action)?;
                step_record(model, &mut keys)
            })
            .collect()
    }
}

/// Records how a step ended inside `txn` (see
/// [`MetadataStore::finish_step`]); the caller commits, or rolls back on an
/// error.
async fn finish_in(
    txn: &DatabaseTransaction,
    lease: &Lease,
    target: &AssetPartition,
    outcome: &StepOutcome,
    logs: &[NewEvent],
    now: DateTime<Utc>,
) -> Result<Finished, StoreError> {
    let action = || format!("record the end of step {} ({target}) of run {}", lease.step, lease.run);
    let backend = txn.get_database_backend();
    let lease_lost = || StoreError::LeaseLost {
        step: lease.step,
        run: lease.run,
        attempt: lease.attempt,
        owner: lease.owner.clone(),
    };
    let materialization_id = match outcome {
        StepOutcome::Materialized { materialization, .. } => {
            match insert_materialization(txn, lease, materialization).await {
                Ok(id) => Some(id),
                // The step already has its one materialization (a unique
                // index): another attempt recorded it, so this lease is not
                // current. Said as such, not as a failed write.
                Err(error) if is_unique_violation(&error) => return Err(lease_lost()),
                Err(error) => return Err(error).during(action),
            }
        }
        _ => None,
    };
    pauses::point("finish: materialization inserted").await;
    let status = outcome.status();
    let (skip_reason, error) = match outcome {
        StepOutcome::Skipped(reason) => (Some(to_json(reason)), None),
        StepOutcome::Failed { error, .. } => (None, Some(error.clone())),
        _ => (None, None),
    };
    let updated = txn
        .execute_raw(statement(
            backend,
            "UPDATE run_steps SET status = $5, finished_at = $6, lease_expires_at = NULL, skip_reason = $7, \
             error = $8, materialization_id = $9 \
             WHERE id = $1 AND owner = $2 AND attempt = $3 AND run_id = $4 AND status = 'RUNNING'",
            vec![
                lease.step.0.into(),
                lease.owner.as_str().into(),
                (lease.attempt as i32).into(),
                lease.run.0.into(),
                status.as_str().into(),
                stored_time(now).into(),
                skip_reason.into(),
                error.into(),
                materialization_id.into(),
            ],
        ))
        .await
        .during(action)?;
    if updated.rows_affected() == 0 {
        return Err(lease_lost());
    }
    match (outcome, materialization_id) {
        (StepOutcome::Materialized { .. }, Some(id)) => {
            current::record_end(txn, lease, target, current::Ended::Materialized(id)).await.during(action)?;
        }
        (StepOutcome::Failed { .. }, _) => {
            current::record_end(txn, lease, target, current::Ended::Failed).await.during(action)?;
        }
        _ => {}
    }
    pauses::point("finish: step updated").await;
    let mut events: Vec<NewEvent> = logs.to_vec();
    let checks = match outcome {
        StepOutcome::Materialized { checks, .. } | StepOutcome::Failed { checks, .. } => checks.as_slice(),
        _ => &[],
    };
    insert_check_results(txn, lease, target, materialization_id, checks).await.during(action)?;
    for check in checks {
        // A failed `error` check stops the publication: logged as an error.
        let level = match (check.passed, check.severity) {
            (true, _) => EventLevel::Info,
            (false, CheckSeverity::Error) => EventLevel::Error,
            (false, CheckSeverity::Warn) => EventLevel::Warn,
        };
        let verdict =
            if check.passed { "passed".to_owned() } else { format!("failed: {} violating row(s)", check.violations) };
        events.push(
            event(
                EventKind::AssetCheckEvaluation,
                lease.run,
                Some(lease.step),
                level,
                format!("check `{}` {verdict}", check.check_name),
                check.evaluated_at,
            )
            .about(target)
            .with_data(serde_json::json!({
                "check": check.check_name, "passed": check.passed, "severity": check.severity.as_str(),
                "violations": check.violations, "materialization_id": materialization_id,
            })),
        );
    }
    let step = step_dependents(txn, lease).await.during(action)?;
    let mut delta = CountDelta::default();
    delta.add(status, 1);
    let mut skipped_downstream = 0;
    match outcome {
        StepOutcome::Materialized { .. } | StepOutcome::Skipped(_) => {
            release_dependents(txn, lease.run, &step).await.during(action)?;
        }
        StepOutcome::Failed { .. } => {
            let reason = SkipReason::UpstreamFailed { upstream: target.clone() };
            let skipped = skip_downstream(txn, lease.run, &step, &reason, now).await.during(action)?;
            skipped_downstream = skipped.len();
            delta.add(StepStatus::Skipped, skipped.len() as i64);
            for (id, skipped_target) in skipped {
                events.push(
                    event(
                        EventKind::StepSkipped,
                        lease.run,
                        Some(id),
                        EventLevel::Warn,
                        format!("{skipped_target} skipped: {reason}"),
                        now,
                    )
                    .about(&skipped_target),
                );
            }
        }
        StepOutcome::Canceled => {}
    }
    events.push(step_event(lease, target, outcome, materialization_id, now));
    let run_finished = count_and_finish(txn, lease.run, delta, now, &mut events).await.during(action)?;
    pauses::point("finish: run counted").await;
    append_in(txn, &events).await.during(action)?;
    Ok(Finished { materialization_id, skipped_downstream, run_finished })
}

/// Claims steps inside `txn` (see [`MetadataStore::claim_steps`]); the
/// caller commits, or rolls back when nothing was claimed.
async fn claim_in(txn: &DatabaseTransaction, request: &ClaimRequest<'_>) -> Result<Vec<ClaimedStep>, StoreError> {
    let action = || format!("claim steps for executor {}", request.owner);
    let backend = txn.get_database_backend();
    let mut values: Vec<Value> = vec![request.project.into(), (request.limit as i64 * 2).into()];
    let run_filter = match request.run {
        Some(run) => {
            values.push(run.0.into());
            " AND s.run_id = $3"
        }
        None => "",
    };
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE OF s SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "SELECT s.id, s.asset_key, s.partition_key FROM run_steps s JOIN runs r ON r.id = s.run_id \
         WHERE s.status = 'QUEUED' AND s.waiting_on = 0 AND r.status IN ('QUEUED', 'STARTED') \
         AND r.project = $1{run_filter} \
         AND NOT EXISTS (SELECT 1 FROM run_steps o WHERE o.status = 'RUNNING' AND o.asset_key = s.asset_key \
                         AND COALESCE(o.partition_key, '') = COALESCE(s.partition_key, '')) \
         ORDER BY s.run_id, s.position LIMIT $2{lock}"
    );
    let candidates = txn.query_all_raw(statement(backend, &sql, values)).await.during(action)?;
    // Two runs may both wait for one asset partition: claim one of them.
    let mut partitions = HashSet::new();
    let mut ids: Vec<i64> = Vec::new();
    for row in candidates {
        let id: i64 = row.try_get("", "id").during(action)?;
        let asset: String = row.try_get("", "asset_key").during(action)?;
        let partition: Option<String> = row.try_get("", "partition_key").during(action)?;
        if ids.len() < request.limit && partitions.insert((asset, partition)) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let expires = stored_time(request.now + request.lease);
    let now = stored_time(request.now);
    let mut values: Vec<Value> = vec![request.owner.into(), expires.into(), now.into()];
    values.extend(ids.iter().map(|&id| Value::from(id)));
    let sql = format!(
        "UPDATE run_steps SET status = 'RUNNING', owner = $1, lease_expires_at = $2, started_at = $3, \
             attempt = attempt + 1, finished_at = NULL WHERE status = 'QUEUED' AND id IN ({}) RETURNING *",
        placeholders(4, ids.len())
    );
    let rows = txn.query_all_raw(statement(backend, &sql, values)).await.during(action)?;
    let mut keys = Keys::default();
    let mut steps = Vec::with_capacity(rows.len());
    for row in rows {
        let model = run_steps::Model::from_query_result(&row, "").during(action)?;
        steps.push(step_record(model, &mut keys)?);
    }
    steps.sort_by_key(|step| (step.run_id, step.position));
    let run_ids: BTreeSet<RunId> = steps.iter().map(|step| step.run_id).collect();
    let runs = runs_info(txn, &run_ids).await.during(action)?;
    let mut events = Vec::new();
    let mut values: Vec<Value> = vec![now.into()];
    values.extend(run_ids.iter().map(|run| Value::from(run.0)));
    let started = txn
        .query_all_raw(statement(
            backend,
            &format!(
                "UPDATE runs SET status = 'STARTED', started_at = $1 WHERE status = 'QUEUED' AND id IN ({}) \
                 RETURNING id",
                placeholders(2, run_ids.len())
            ),
            values,
        ))
        .await
        .during(action)?;
    for row in started {
        let run = RunId(row.try_get("", "id").during(action)?);
        events.push(event(EventKind::RunStart, run, None, EventLevel::Info, format!("run {run} started"), request.now));
    }
    let mut claimed = Vec::with_capacity(steps.len());
    for step in steps {
        let (run_created_at, only_stale) = runs.get(&step.run_id).copied().unwrap_or((request.now, true));
        let message = match step.attempt {
            1 => format!("{} started by {}", step.target, request.owner),
            n => format!("{} started by {} (attempt {n})", step.target, request.owner),
        };
        events.push(
            event(EventKind::StepStart, step.run_id, Some(step.id), EventLevel::Info, message, request.now)
                .about(&step.target)
                .with_data(serde_json::json!({ "attempt": step.attempt, "owner": request.owner })),
        );
        let lease = Lease { step: step.id, run: step.run_id, owner: request.owner.to_owned(), attempt: step.attempt };
        claimed.push(ClaimedStep { step, lease, run_created_at, only_stale });
    }
    append_in(txn, &events).await.during(action)?;
    Ok(claimed)
}

fn is_unique_violation(error: &DbErr) -> bool {
    classify(error) == DbErrorKind::UniqueViolation
}

fn event(
    kind: EventKind,
    run: RunId,
    step: Option<StepId>,
    level: EventLevel,
    message: String,
    at: DateTime<Utc>,
) -> NewEvent {
    NewEvent { kind, run_id: Some(run), step_id: step, asset: None, partition: None, level, message, data: None, at }
}

trait WithData {
    fn with_data(self, data: serde_json::Value) -> Self;
}

impl WithData for NewEvent {
    fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// The event saying how a step ended.
fn step_event(
    lease: &Lease,
    target: &AssetPartition,
    outcome: &StepOutcome,
    materialization_id: Option<i64>,
    now: DateTime<Utc>,
) -> NewEvent {
    let (kind, level, message, data) = match outcome {
        StepOutcome::Materialized { materialization: m, data_changed, .. } => {
            let rows = m.rows.map_or_else(String::new, |r| format!("{r} rows, "));
            let unchanged = if *data_changed { "" } else { " (unchanged)" };
            (
                EventKind::AssetMaterialization,
                EventLevel::Info,
                format!(
                    "materialized {rows}{} bytes in {} ms, data version {}{unchanged}",
                    m.bytes, m.duration_ms, m.data_version
                ),
                serde_json::json!({
                    "materialization_id": materialization_id, "data_version": m.data_version.as_str(),
                    "rows": m.rows, "bytes": m.bytes, "duration_ms": m.duration_ms, "path": m.path,
                    "changed": data_changed,
                }),
            )
        }
        StepOutcome::Skipped(reason) => (
            EventKind::StepSkipped,
            EventLevel::Info,
            format!("skipped: {reason}"),
            serde_json::json!({ "reason": reason }),
        ),
        StepOutcome::Failed { error, .. } => {
            (EventKind::StepFailure, EventLevel::Error, error.clone(), serde_json::json!({ "error": error }))
        }
        StepOutcome::Canceled => (
            EventKind::StepCanceled,
            EventLevel::Warn,
            "canceled; its unpublished data was discarded".to_owned(),
            serde_json::Value::Null,
        ),
    };
    let mut event = event(kind, lease.run, Some(lease.step), level, message, now).about(target);
    if !data.is_null() {
        event.data = Some(data);
    }
    event
}

/// Creation time and `only_stale` of each run.
async fn runs_info(
    txn: &DatabaseTransaction,
    runs: &BTreeSet<RunId>,
) -> Result<HashMap<RunId, (DateTime<Utc>, bool)>, DbErr> {
    let values: Vec<Value> = runs.iter().map(|run| Value::from(run.0)).collect();
    let sql = format!("SELECT id, created_at, target FROM runs WHERE id IN ({})", placeholders(1, runs.len()));
    let mut info = HashMap::new();
    for row in txn.query_all_raw(statement(txn.get_database_backend(), &sql, values)).await? {
        let id = RunId(row.try_get("", "id")?);
        let created_at: DateTime<Utc> = row.try_get("", "created_at")?;
        let target: Option<String> = row.try_get("", "target")?;
        let only_stale = target
            .and_then(|text| serde_json::from_str::<RunTarget>(&text).ok())
            .is_none_or(|target| target.only_stale);
        info.insert(id, (created_at, only_stale));
    }
    Ok(info)
}

async fn insert_materialization(
    txn: &DatabaseTransaction,
    lease: &Lease,
    m: &NewMaterialization,
) -> Result<i64, DbErr> {
    let row = materializations::ActiveModel {
        id: NotSet,
        run_id: Set(lease.run.0),
        asset_key: Set(m.asset.as_str().to_owned()),
        partition_key: Set(partition_text(m.partition.as_ref())),
        code_version: Set(m.code_version.as_str().to_owned()),
        data_version: Set(m.data_version.as_str().to_owned()),
        rows: Set(m.rows),
        bytes: Set(m.bytes),
        duration_ms: Set(m.duration_ms),
        path: Set(m.path.clone()),
        materialized_at: Set(stored_time(m.materialized_at)),
        step_id: Set(Some(lease.step.0)),
    };
    let id = materializations::Entity::insert(row).exec(txn).await?.last_insert_id;
    let mut position: i64 = 0;
    for batch in m.inputs.chunks(INPUT_BATCH) {
        let rows: Vec<materialization_inputs::ActiveModel> = batch
            .iter()
            .map(|input| {
                position += 1;
                materialization_inputs::ActiveModel {
                    materialization_id: Set(id),
                    position: Set(position - 1),
                    asset_key: Set(input.asset.as_str().to_owned()),
                    partition_key: Set(partition_text(input.partition.as_ref())),
                    data_version: Set(input.data_version.as_str().to_owned()),
                }
            })
            .collect();
        materialization_inputs::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(id)
}

/// Inserts a step's check results, one statement each (a step has few:
/// the ids make them current), and makes them the latest of their checks.
async fn insert_check_results(
    txn: &DatabaseTransaction,
    lease: &Lease,
    target: &AssetPartition,
    materialization_id: Option<i64>,
    results: &[NewCheckResult],
) -> Result<(), DbErr> {
    let mut inserted = Vec::with_capacity(results.len());
    for result in results {
        let row = check_results::ActiveModel {
            id: NotSet,
            run_id: Set(lease.run.0),
            materialization_id: Set(materialization_id),
            asset_key: Set(target.asset.as_str().to_owned()),
            partition_key: Set(partition_text(target.partition.as_ref())),
            check_name: Set(result.check_name.clone()),
            severity: Set(result.severity.as_str().to_owned()),
            passed: Set(result.passed),
            violations: Set(result.violations),
            sample: Set(result.sample.to_string()),
            error: Set(result.error.clone()),
            evaluated_at: Set(stored_time(result.evaluated_at)),
        };
        let id = check_results::Entity::insert(row).exec(txn).await?.last_insert_id;
        inserted.push((id, result.check_name.as_str()));
    }
    current::record_check_results(txn, target, &inserted).await
}

/// The positions of the steps waiting for the leased one.
async fn step_dependents(txn: &DatabaseTransaction, lease: &Lease) -> Result<Vec<usize>, DbErr> {
    let row = txn
        .query_one_raw(statement(
            txn.get_database_backend(),
            "SELECT dependents FROM run_steps WHERE id = $1",
            vec![lease.step.0.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(Vec::new()) };
    let text: String = row.try_get("", "dependents")?;
    json(&text, || format!("step {}", lease.step)).map_err(|e| DbErr::Custom(e.to_string()))
}

/// One fewer step to wait for, for each of `dependents`.
async fn release_dependents(txn: &DatabaseTransaction, run: RunId, dependents: &[usize]) -> Result<(), DbErr> {
    for batch in dependents.chunks(ID_BATCH) {
        let mut values: Vec<Value> = vec![run.0.into()];
        values.extend(batch.iter().map(|&p| Value::from(p as i32)));
        let sql = format!(
            "UPDATE run_steps SET waiting_on = waiting_on - 1 WHERE run_id = $1 AND position IN ({})",
            placeholders(2, batch.len())
        );
        txn.execute_raw(statement(txn.get_database_backend(), &sql, values)).await?;
    }
    Ok(())
}

/// Skips the queued `dependents` and, transitively, theirs. Returns the
/// steps skipped.
async fn skip_downstream(
    txn: &DatabaseTransaction,
    run: RunId,
    dependents: &[usize],
    reason: &SkipReason,
    now: DateTime<Utc>,
) -> Result<Vec<(StepId, AssetPartition)>, DbErr> {
    let backend = txn.get_database_backend();
    let reason_json = to_json(reason);
    let mut frontier: BTreeSet<usize> = dependents.iter().copied().collect();
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    let mut skipped = Vec::new();
    while !frontier.is_empty() {
        let batch: Vec<usize> = frontier.iter().copied().filter(|p| seen.insert(*p)).collect();
        frontier.clear();
        for chunk in batch.chunks(ID_BATCH) {
            let mut values: Vec<Value> = vec![run.0.into(), reason_json.clone().into(), stored_time(now).into()];
            values.extend(chunk.iter().map(|&p| Value::from(p as i32)));
            let sql = format!(
                "UPDATE run_steps SET status = 'SKIPPED', skip_reason = $2, finished_at = $3 \
                 WHERE run_id = $1 AND status = 'QUEUED' AND position IN ({}) \
                 RETURNING id, asset_key, partition_key, dependents",
                placeholders(4, chunk.len())
            );
            for row in txn.query_all_raw(statement(backend, &sql, values)).await? {
                let id: i64 = row.try_get("", "id")?;
                let target = step_target(id, &row)?;
                let next: String = row.try_get("", "dependents")?;
                let next: Vec<usize> =
                    json(&next, || format!("step {}", StepId(id))).map_err(|e| DbErr::Custom(e.to_string()))?;
                frontier.extend(next.into_iter().filter(|p| !seen.contains(p)));
                skipped.push((StepId(id), target));
            }
        }
    }
    Ok(skipped)
}

/// A running step to take back from its executor, if it is still as
/// expected: `RUNNING` at `attempt`, held by `owner` (any owner if `None`),
/// with a lease that expired before `expired_before` (if given).
#[derive(Debug, Clone)]
struct Takeback {
    id: i64,
    run: RunId,
    attempt: i32,
    owner: Option<String>,
    expired_before: Option<DateTime<Utc>>,
}

/// Puts running steps back in the queue, or cancels them when their run
/// is being canceled (ending the run after its last step). Each step
/// changes only if it is still as its [`Takeback`] expects, checked by the
/// `UPDATE` that changes it (a compare-and-set: an end its executor
/// recorded meanwhile, or a newer attempt, is never overwritten). Returns
/// how many steps changed and the events to append.
///
/// Locks: first the steps' rows (in id order), then their runs' (in id
/// order), as [`finish_in`] locks its step's row and then its run's. So a
/// step end and a take-back never wait for each other in opposite orders,
/// and neither do two take-backs.
async fn requeue(
    txn: &DatabaseTransaction,
    steps: &[Takeback],
    reason: impl Fn(&Takeback) -> String,
    now: DateTime<Utc>,
) -> Result<(usize, Vec<NewEvent>), DbErr> {
    let backend = txn.get_database_backend();
    let mut ordered: Vec<&Takeback> = steps.iter().collect();
    ordered.sort_by_key(|step| step.id);
    let mut taken: BTreeMap<RunId, Vec<(&Takeback, AssetPartition)>> = BTreeMap::new();
    for step in ordered {
        let mut sql = "UPDATE run_steps SET status = 'QUEUED', lease_expires_at = NULL, finished_at = NULL \
                       WHERE id = $1 AND attempt = $2 AND status = 'RUNNING'"
            .to_owned();
        let mut values: Vec<Value> = vec![step.id.into(), step.attempt.into()];
        if let Some(owner) = &step.owner {
            values.push(owner.as_str().into());
            sql.push_str(&format!(" AND owner = ${}", values.len()));
        }
        if let Some(before) = step.expired_before {
            values.push(stored_time(before).into());
            sql.push_str(&format!(" AND lease_expires_at < ${}", values.len()));
        }
        sql.push_str(" RETURNING asset_key, partition_key");
        let Some(row) = txn.query_one_raw(statement(backend, &sql, values)).await? else { continue };
        pauses::point("take back: step updated").await;
        taken.entry(step.run).or_default().push((step, step_target(step.id, &row)?));
    }
    let lock_run = match backend {
        DbBackend::Postgres => " FOR NO KEY UPDATE",
        _ => "",
    };
    let mut events = Vec::new();
    let mut changed = 0;
    for (run, steps) in taken {
        changed += steps.len();
        let run_status = txn
            .query_one_raw(statement(
                backend,
                &format!("SELECT status FROM runs WHERE id = $1{lock_run}"),
                vec![run.0.into()],
            ))
            .await?;
        let canceling = match run_status {
            Some(row) => row.try_get::<String>("", "status")? == RunStatus::Canceling.as_str(),
            None => false,
        };
        pauses::point("take back: run read").await;
        let mut canceled = 0;
        for (step, target) in steps {
            let reason = reason(step);
            let message = if canceling {
                txn.execute_raw(statement(
                    backend,
                    "UPDATE run_steps SET status = 'CANCELED', finished_at = $2 WHERE id = $1 AND status = 'QUEUED'",
                    vec![step.id.into(), stored_time(now).into()],
                ))
                .await?;
                canceled += 1;
                format!("{reason}; canceled with its run")
            } else {
                format!("{reason}; queued again")
            };
            events.push(
                event(EventKind::EngineEvent, run, Some(StepId(step.id)), EventLevel::Warn, message, now)
                    .about(&target),
            );
        }
        if canceled > 0 {
            let delta = CountDelta { canceled, ..CountDelta::default() };
            count_and_finish(txn, run, delta, now, &mut events).await?;
        }
    }
    Ok((changed, events))
}

/// The asset partition of step `id` from a row's `asset_key` and
/// `partition_key`.
fn step_target(id: i64, row: &sea_orm::QueryResult) -> Result<AssetPartition, DbErr> {
    let asset: String = row.try_get("", "asset_key")?;
    let partition: Option<String> = row.try_get("", "partition_key")?;
    let mut keys = Keys::default();
    let what = || format!("step {}", StepId(id));
    let as_db = |e: StoreError| DbErr::Custom(e.to_string());
    Ok(AssetPartition::new(
        keys.asset(&asset, what).map_err(as_db)?,
        keys.partition(partition.as_deref(), what).map_err(as_db)?,
    ))
}
