//! Retention: pruning what `cairn gc` may forget, and the cursor rule that
//! tells a reader it has missed pruned events.
//!
//! Four kinds of record are pruned, each past a cut-off time (UTC) that
//! the caller derives from `retention:` in `cairn.yaml`:
//!
//! * **Events**: the event log is pruned from its oldest end only, through
//!   the latest event older than the cut-off, so what is kept is always a
//!   whole suffix of the log. (Events are stamped by the clock of the
//!   process that wrote them, so an event of a few milliseconds after the
//!   cut-off that committed before an older one may go with it.) The store
//!   remembers the highest sequence number pruned
//!   ([`MetadataStore::pruned_through`]); reading the log after a cursor
//!   below it is refused with [`StoreError::CursorPruned`].
//! * **Steps of finished runs**: the `run_steps` rows of runs that ended
//!   before the cut-off. The run's record and its counters stay.
//! * **Superseded materializations**: a materialization that a later one
//!   of the same asset partition replaced before the cut-off, with its
//!   provenance (`materialization_inputs`) and its check results. Never
//!   the current materialization of an asset partition, nor one that a
//!   current check result was evaluated on, so current state, the
//!   provenance of current materializations and current check verdicts
//!   are unchanged by pruning.
//! * **Automation ticks** (with the same cut-off as events): the ticks
//!   that finished before it, with the evaluations recorded with them.
//!   Automation cursors, leases and pauses are current state and stay.
//!
//! Runs themselves, source observations and the current-state tables are
//! never pruned.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Value};

use crate::MetadataStore;
use crate::records::StoreError;
use crate::rows::{During, stored_time};
use crate::sql::{placeholders, statement};

/// Rows deleted per statement when pruning materializations.
const PRUNE_BATCH: usize = 500;

/// What to prune: records older than each cut-off (UTC). `None` keeps that
/// kind of record forever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneCutoffs {
    /// Events recorded before this time; also automation ticks that
    /// finished before it.
    pub events_before: Option<DateTime<Utc>>,
    /// The steps of runs that finished before this time.
    pub run_steps_before: Option<DateTime<Utc>>,
    /// Materializations superseded before this time.
    pub superseded_before: Option<DateTime<Utc>>,
}

/// What [`MetadataStore::prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Events removed.
    pub events: u64,
    /// The highest sequence number pruned so far (0: none, ever).
    pub pruned_through: i64,
    /// Steps of finished runs removed.
    pub run_steps: u64,
    /// Superseded materializations removed (with their provenance).
    pub materializations: u64,
    /// Check results of those materializations removed.
    pub check_results: u64,
    /// Automation ticks removed (with their evaluations), those that
    /// finished before [`PruneCutoffs::events_before`].
    pub automation_ticks: u64,
}

async fn execute(txn: &DatabaseTransaction, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    Ok(txn.execute_raw(statement(txn.get_database_backend(), sql, values)).await?.rows_affected())
}

impl MetadataStore {
    /// The highest sequence number `cairn gc` has pruned from the event
    /// log (0 when nothing was ever pruned). Events after it are all kept.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails.
    pub async fn pruned_through(&self) -> Result<i64, StoreError> {
        let action = || "read how far the event log was pruned".to_owned();
        let row = self
            .db
            .query_one_raw(statement(self.backend(), "SELECT pruned_through FROM event_sequence WHERE id = 1", vec![]))
            .await
            .during(action)?;
        match row {
            Some(row) => row.try_get("", "pruned_through").during(action),
            None => Ok(0),
        }
    }

    /// Refuses `cursor` if events after it were pruned (it is below
    /// [`Self::pruned_through`]). Cursor 0 means "from the oldest event
    /// kept" and is always accepted.
    ///
    /// # Errors
    /// [`StoreError::CursorPruned`], or [`StoreError::Query`].
    pub async fn check_cursor(&self, cursor: i64) -> Result<(), StoreError> {
        if cursor <= 0 {
            return Ok(());
        }
        let pruned_through = self.pruned_through().await?;
        if cursor < pruned_through {
            return Err(StoreError::CursorPruned { cursor, pruned_through });
        }
        Ok(())
    }

    /// Prunes the records older than `cutoffs` (see the module docs), each
    /// kind in a transaction of its own.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a statement fails; the kinds pruned before
    /// it stay pruned, the failing one is rolled back whole.
    pub async fn prune(&self, cutoffs: &PruneCutoffs) -> Result<PruneReport, StoreError> {
        let mut report = PruneReport::default();
        if let Some(before) = cutoffs.superseded_before {
            let (materializations, check_results) = self.prune_superseded(before).await?;
            report.materializations = materializations;
            report.check_results = check_results;
        }
        if let Some(before) = cutoffs.run_steps_before {
            let action = || "prune the steps of finished runs".to_owned();
            let txn = self.begin_write().await.during(action)?;
            report.run_steps = execute(
                &txn,
                "DELETE FROM run_steps WHERE run_id IN \
                 (SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < $1)",
                vec![stored_time(before).into()],
            )
            .await
            .during(action)?;
            txn.commit().await.during(action)?;
        }
        if let Some(before) = cutoffs.events_before {
            report.events = self.prune_events(before).await?;
            report.automation_ticks = self.prune_automation_ticks(before).await?;
        }
        report.pruned_through = self.pruned_through().await?;
        Ok(report)
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let action = || "prune the event log".to_owned();
        let txn = self.begin_write().await.during(action)?;
        let row = txn
            .query_one_raw(statement(
                self.backend(),
                "SELECT MAX(seq) AS through FROM event_log WHERE at < $1",
                vec![stored_time(before).into()],
            ))
            .await
            .during(action)?;
        let through: Option<i64> = match row {
            Some(row) => row.try_get("", "through").during(action)?,
            None => None,
        };
        let Some(through) = through else {
            return Ok(0);
        };
        let removed =
            execute(&txn, "DELETE FROM event_log WHERE seq <= $1", vec![through.into()]).await.during(action)?;
        // Last, as appending does: the counter row is the lock every
        // appender takes at its end.
        execute(
            &txn,
            "UPDATE event_sequence SET pruned_through = $1 WHERE id = 1 AND pruned_through < $1",
            vec![through.into()],
        )
        .await
        .during(action)?;
        txn.commit().await.during(action)?;
        Ok(removed)
    }

    /// Removes the automation ticks that finished before `before`, with
    /// their evaluations; answers the ticks removed.
    async fn prune_automation_ticks(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let action = || "prune the automation ticks".to_owned();
        let before = stored_time(before);
        let txn = self.begin_write().await.during(action)?;
        // Explicitly first, though the foreign key cascades: one statement
        // instead of one cascade per tick.
        execute(
            &txn,
            "DELETE FROM automation_evaluations WHERE tick_id IN \
             (SELECT id FROM automation_ticks WHERE finished_at < $1)",
            vec![before.into()],
        )
        .await
        .during(action)?;
        let removed = execute(&txn, "DELETE FROM automation_ticks WHERE finished_at < $1", vec![before.into()])
            .await
            .during(action)?;
        txn.commit().await.during(action)?;
        Ok(removed)
    }

    /// Removes materializations superseded before `before` that nothing
    /// current refers to; answers (materializations, check results) removed.
    async fn prune_superseded(&self, before: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
        let action = || "prune superseded materializations".to_owned();
        let txn = self.begin_write().await.during(action)?;
        // Current materializations, and those a current check verdict was
        // evaluated on, are never candidates.
        let rows = txn
            .query_all_raw(statement(
                self.backend(),
                "SELECT m.id FROM materializations m \
                 WHERE m.id NOT IN (SELECT materialization_id FROM asset_partitions \
                                    WHERE materialization_id IS NOT NULL) \
                   AND m.id NOT IN (SELECT r.materialization_id FROM check_results r \
                                    JOIN current_check_results c ON c.check_result_id = r.id \
                                    WHERE r.materialization_id IS NOT NULL) \
                   AND EXISTS (SELECT 1 FROM materializations n \
                               WHERE n.asset_key = m.asset_key \
                                 AND COALESCE(n.partition_key, '') = COALESCE(m.partition_key, '') \
                                 AND n.id > m.id AND n.materialized_at < $1)",
                vec![stored_time(before).into()],
            ))
            .await
            .during(action)?;
        let ids = rows.iter().map(|row| row.try_get::<i64>("", "id")).collect::<Result<Vec<_>, _>>().during(action)?;
        let (mut materializations, mut check_results) = (0, 0);
        for batch in ids.chunks(PRUNE_BATCH) {
            let list = placeholders(1, batch.len());
            let values = || batch.iter().map(|&id| Value::from(id)).collect::<Vec<_>>();
            check_results +=
                execute(&txn, &format!("DELETE FROM check_results WHERE materialization_id IN ({list})"), values())
                    .await
                    .during(action)?;
            execute(
                &txn,
                &format!("UPDATE run_steps SET materialization_id = NULL WHERE materialization_id IN ({list})"),
                values(),
            )
            .await
            .during(action)?;
            // Their provenance goes with them (ON DELETE CASCADE).
            materializations += execute(&txn, &format!("DELETE FROM materializations WHERE id IN ({list})"), values())
                .await
                .during(action)?;
        }
        txn.commit().await.during(action)?;
        Ok((materializations, check_results))
    }
}
