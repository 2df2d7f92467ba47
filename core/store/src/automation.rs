//! The store's side of declarative automation: the history of evaluation
//! passes (ticks) with what they decided per asset, each asset's cursor,
//! the lease that elects one evaluator, and what is paused.
//!
//! The engine evaluates the automation conditions; the store keeps what it
//! needs across processes and restarts:
//!
//! * A tick is recorded whole, with its evaluations and the cursors it
//!   advanced, in one write transaction
//!   ([`MetadataStore::record_automation_tick`]): the next tick resumes
//!   from cursors that match the recorded history, never from half of it.
//! * One process evaluates at a time: it holds the named lease
//!   `automation` ([`MetadataStore::acquire_lease`]), renewed before it
//!   expires; another process takes it over once it has expired. Taking or
//!   renewing is one compare-and-set statement, so of two processes racing
//!   for a free lease exactly one gets it.
//! * Pauses are rows, not flags in a file, so `cairn automation pause` in
//!   one process is seen by the evaluator in another.
//!
//! Results and cursors are the engine's JSON, opaque to the store.
//! Times are UTC, stored with microsecond precision.

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::AssetKey;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::MetadataStore;
use crate::records::{RunId, StoreError};
use crate::rows::{During, Keys, corrupt, stored_time};
use crate::sql::statement;

/// Rows per multi-row `INSERT` (5 values each at most, far below either
/// database's limit on parameters).
const INSERT_BATCH: usize = 500;

/// The target stored for "every asset" in `automation_pauses` (never an
/// asset key: `*` is not a valid one).
const ALL_ASSETS: &str = "*";

/// How an automation tick ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AutomationTickStatus {
    /// Every asset was evaluated (whether or not a run was requested).
    Success,
    /// The tick stopped on an error (see [`AutomationTickRecord::error`]).
    Failure,
}

impl AutomationTickStatus {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[Self::Success, Self::Failure];

    /// The name as stored and shown: `SUCCESS`, `FAILURE` (Dagster's
    /// `TickStatus` names).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Failure => "FAILURE",
        }
    }

    /// The value named `text` (exactly as [`Self::as_str`] gives it).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|status| status.as_str() == text)
    }
}

impl std::fmt::Display for AutomationTickStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a tick decided for one asset, as recorded with the tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAutomationEvaluation {
    /// The asset evaluated.
    pub asset: AssetKey,
    /// Its partitions requested (1 for an unpartitioned asset requested).
    pub requested: i64,
    /// Its partitions the condition was evaluated on.
    pub candidates: i64,
    /// The evaluation (the engine's JSON, opaque to the store).
    pub result: String,
}

/// A tick as the evaluator records it ([`MetadataStore::record_automation_tick`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAutomationTick {
    /// The process that evaluated (`host:pid`).
    pub owner: String,
    /// When the tick started (UTC).
    pub started_at: DateTime<Utc>,
    /// When it finished (UTC); also the time its cursors are stamped with.
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub status: AutomationTickStatus,
    /// The run it requested, if any.
    pub run_id: Option<RunId>,
    /// Asset partitions requested, over every asset.
    pub requested: i64,
    /// Why it failed, for [`AutomationTickStatus::Failure`].
    pub error: Option<String>,
    /// What it decided per asset (any number, each asset at most once).
    pub evaluations: Vec<NewAutomationEvaluation>,
    /// The cursors to store, asset → the engine's JSON: each replaces the
    /// asset's previous cursor. Of an asset named twice the last one wins.
    pub cursors: Vec<(AssetKey, String)>,
}

/// A recorded tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomationTickRecord {
    /// Its id; of two ticks the one with the higher id was recorded later.
    pub id: i64,
    /// The process that evaluated (`host:pid`).
    pub owner: String,
    /// When it started (UTC).
    pub started_at: DateTime<Utc>,
    /// When it finished (UTC).
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub status: AutomationTickStatus,
    /// The run it requested, if any.
    pub run_id: Option<RunId>,
    /// Asset partitions requested, over every asset.
    pub requested: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// The evaluations recorded with it.
    pub evaluations: i64,
}

/// One asset's evaluation in a recorded tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomationEvaluationRecord {
    /// Its id; of two evaluations the one with the higher id is the later.
    pub id: i64,
    /// The tick it was recorded with.
    pub tick_id: i64,
    /// The asset evaluated.
    pub asset: AssetKey,
    /// When it was evaluated: its tick's end (UTC).
    pub evaluated_at: DateTime<Utc>,
    /// Its partitions requested.
    pub requested: i64,
    /// Its partitions the condition was evaluated on.
    pub candidates: i64,
    /// The run its tick requested, if any.
    pub run_id: Option<RunId>,
    /// The evaluation (the engine's JSON, opaque to the store).
    pub result: String,
}

/// What automation must leave alone ([`MetadataStore::automation_pauses`]).
/// An asset is paused when `all` is set or it is in `assets`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomationPauses {
    /// Automation of every asset is paused.
    pub all: bool,
    /// The assets paused one by one (kept while `all` is set, and paused
    /// again when it is cleared).
    pub assets: BTreeSet<AssetKey>,
}

impl AutomationPauses {
    /// Whether automation must leave `asset` alone.
    pub fn is_paused(&self, asset: &AssetKey) -> bool {
        self.all || self.assets.contains(asset)
    }
}

impl MetadataStore {
    /// Records `tick` with its evaluations and stores the cursors it names
    /// (replacing those assets' cursors, stamped with its
    /// [`NewAutomationTick::finished_at`]), in one write transaction.
    /// Answers the tick's id.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a statement fails; then nothing is written.
    pub async fn record_automation_tick(&self, tick: &NewAutomationTick) -> Result<i64, StoreError> {
        let action = || format!("record an automation tick of {}", tick.owner);
        let backend = self.backend();
        let txn = self.begin_write().await.during(action)?;
        let row = txn
            .query_one_raw(statement(
                backend,
                "INSERT INTO automation_ticks (owner, started_at, finished_at, status, run_id, requested, error) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                vec![
                    tick.owner.as_str().into(),
                    stored_time(tick.started_at).into(),
                    stored_time(tick.finished_at).into(),
                    tick.status.as_str().into(),
                    tick.run_id.map(|run| run.0).into(),
                    tick.requested.into(),
                    tick.error.clone().into(),
                ],
            ))
            .await
            .during(action)?
            .ok_or_else(|| DbErr::RecordNotInserted)
            .during(action)?;
        let tick_id: i64 = row.try_get("", "id").during(action)?;

        for batch in tick.evaluations.chunks(INSERT_BATCH) {
            let mut values: Vec<Value> = Vec::with_capacity(batch.len() * 5);
            for evaluation in batch {
                values.extend([
                    tick_id.into(),
                    evaluation.asset.as_str().into(),
                    evaluation.requested.into(),
                    evaluation.candidates.into(),
                    evaluation.result.as_str().into(),
                ]);
            }
            let sql = format!(
                "INSERT INTO automation_evaluations (tick_id, asset_key, requested, candidates, result) VALUES {}",
                rows_of(5, batch.len())
            );
            txn.execute_raw(statement(backend, &sql, values)).await.during(action)?;
        }

        // One row per asset: PostgreSQL refuses an upsert that would
        // change the same row twice.
        let cursors: BTreeMap<&AssetKey, &str> =
            tick.cursors.iter().map(|(asset, cursor)| (asset, cursor.as_str())).collect();
        let cursors: Vec<(&AssetKey, &str)> = cursors.into_iter().collect();
        let updated_at = stored_time(tick.finished_at);
        for batch in cursors.chunks(INSERT_BATCH) {
            let mut values: Vec<Value> = Vec::with_capacity(batch.len() * 3);
            for (asset, cursor) in batch {
                values.extend([asset.as_str().into(), (*cursor).into(), updated_at.into()]);
            }
            let sql = format!(
                "INSERT INTO automation_cursors (asset_key, cursor, updated_at) VALUES {} \
                 ON CONFLICT (asset_key) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                rows_of(3, batch.len())
            );
            txn.execute_raw(statement(backend, &sql, values)).await.during(action)?;
        }
        txn.commit().await.during(action)?;
        Ok(tick_id)
    }

    /// Every asset's stored cursor (asset → the engine's JSON), in asset
    /// order.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a stored key cannot be read back.
    pub async fn automation_cursors(&self) -> Result<BTreeMap<AssetKey, String>, StoreError> {
        let action = || "read the automation cursors".to_owned();
        let rows = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT asset_key, cursor FROM automation_cursors ORDER BY asset_key",
                Vec::new(),
            ))
            .await
            .during(action)?;
        let mut keys = Keys::default();
        let mut cursors = BTreeMap::new();
        for row in rows {
            let asset: String = row.try_get("", "asset_key").during(action)?;
            let asset = keys.asset(&asset, || "the automation cursors".to_owned())?;
            cursors.insert(asset, row.try_get("", "cursor").during(action)?);
        }
        Ok(cursors)
    }

    /// The latest `limit` ticks, newest first, each with the number of
    /// evaluations recorded with it.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`]
    /// for a row that does not read back (an unknown status).
    pub async fn automation_ticks(&self, limit: u64) -> Result<Vec<AutomationTickRecord>, StoreError> {
        let action = || "list the automation ticks".to_owned();
        let rows = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT t.id, t.owner, t.started_at, t.finished_at, t.status, t.run_id, t.requested, t.error, \
                        (SELECT COUNT(*) FROM automation_evaluations e WHERE e.tick_id = t.id) AS evaluations \
                 FROM automation_ticks t ORDER BY t.id DESC LIMIT $1",
                vec![sql_limit(limit).into()],
            ))
            .await
            .during(action)?;
        let mut ticks = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("", "id").during(action)?;
            let status: String = row.try_get("", "status").during(action)?;
            let status = AutomationTickStatus::parse(&status)
                .ok_or_else(|| corrupt(format!("automation tick {id}"), format!("unknown status `{status}`")))?;
            let read = || -> Result<AutomationTickRecord, DbErr> {
                Ok(AutomationTickRecord {
                    id,
                    owner: row.try_get("", "owner")?,
                    started_at: row.try_get("", "started_at")?,
                    finished_at: row.try_get("", "finished_at")?,
                    status,
                    run_id: row.try_get::<Option<i64>>("", "run_id")?.map(RunId),
                    requested: row.try_get("", "requested")?,
                    error: row.try_get("", "error")?,
                    evaluations: row.try_get("", "evaluations")?,
                })
            };
            ticks.push(read().during(action)?);
        }
        Ok(ticks)
    }

    /// The latest `limit` evaluations of `asset`, newest first, each with
    /// its tick's end and requested run.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a stored key cannot be read back.
    pub async fn automation_evaluations(
        &self,
        asset: &AssetKey,
        limit: u64,
    ) -> Result<Vec<AutomationEvaluationRecord>, StoreError> {
        let action = || format!("list the automation evaluations of `{asset}`");
        let rows = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT e.id, e.tick_id, e.asset_key, e.requested, e.candidates, e.result, t.finished_at, t.run_id \
                 FROM automation_evaluations e JOIN automation_ticks t ON t.id = e.tick_id \
                 WHERE e.asset_key = $1 ORDER BY e.id DESC LIMIT $2",
                vec![asset.as_str().into(), sql_limit(limit).into()],
            ))
            .await
            .during(action)?;
        let mut keys = Keys::default();
        let mut evaluations = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("", "id").during(action)?;
            let stored_asset: String = row.try_get("", "asset_key").during(action)?;
            let stored_asset = keys.asset(&stored_asset, || format!("automation evaluation {id}"))?;
            let read = || -> Result<AutomationEvaluationRecord, DbErr> {
                Ok(AutomationEvaluationRecord {
                    id,
                    tick_id: row.try_get("", "tick_id")?,
                    asset: stored_asset,
                    evaluated_at: row.try_get("", "finished_at")?,
                    requested: row.try_get("", "requested")?,
                    candidates: row.try_get("", "candidates")?,
                    run_id: row.try_get::<Option<i64>>("", "run_id")?.map(RunId),
                    result: row.try_get("", "result")?,
                })
            };
            evaluations.push(read().during(action)?);
        }
        Ok(evaluations)
    }

    /// Takes or renews the lease `name` for `owner` until `until` (UTC),
    /// if it is free, expired (its expiry is at or before `now`) or
    /// `owner`'s already. Answers whether `owner` holds it now.
    ///
    /// One statement (`INSERT ... ON CONFLICT DO UPDATE ... WHERE`), a
    /// compare-and-set on the holder and expiry: of processes racing for a
    /// free or expired lease exactly one gets it, at any isolation level.
    /// `now` comes from the caller's clock; the lease is only as good as
    /// the agreement of the processes' clocks.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the statement fails.
    pub async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let action = || format!("take the lease `{name}` for {owner}");
        let result = self
            .db
            .execute_raw(statement(
                self.backend(),
                "INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at \
                 WHERE leases.owner = excluded.owner OR leases.expires_at <= $4",
                vec![name.into(), owner.into(), stored_time(until).into(), stored_time(now).into()],
            ))
            .await
            .during(action)?;
        // A row inserted or updated: the lease is `owner`'s; none: another
        // owner holds it and it has not expired.
        Ok(result.rows_affected() == 1)
    }

    /// Gives up the lease `name` if `owner` holds it, so another process
    /// can take it at once instead of waiting for it to expire. Nothing
    /// happens if another owner holds it.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the statement fails.
    pub async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let action = || format!("release the lease `{name}` of {owner}");
        self.db
            .execute_raw(statement(
                self.backend(),
                "DELETE FROM leases WHERE name = $1 AND owner = $2",
                vec![name.into(), owner.into()],
            ))
            .await
            .during(action)?;
        Ok(())
    }

    /// Pauses (`paused`) or resumes automation of `asset`, or of every
    /// asset when `None`, as of `at` (UTC). Idempotent: pausing what is
    /// paused keeps its first pause time, resuming what is not paused does
    /// nothing. Pausing and resuming every asset leaves the pauses of
    /// single assets as they are.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the statement fails.
    pub async fn set_automation_paused(
        &self,
        asset: Option<&AssetKey>,
        paused: bool,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let target = asset.map_or(ALL_ASSETS, AssetKey::as_str);
        let action = || format!("{} automation of `{target}`", if paused { "pause" } else { "resume" });
        let sql = if paused {
            statement(
                self.backend(),
                "INSERT INTO automation_pauses (target, paused_at) VALUES ($1, $2) ON CONFLICT (target) DO NOTHING",
                vec![target.into(), stored_time(at).into()],
            )
        } else {
            statement(self.backend(), "DELETE FROM automation_pauses WHERE target = $1", vec![target.into()])
        };
        self.db.execute_raw(sql).await.during(action)?;
        Ok(())
    }

    /// What automation must leave alone.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a stored target is neither `*` nor an asset key.
    pub async fn automation_pauses(&self) -> Result<AutomationPauses, StoreError> {
        let action = || "read the automation pauses".to_owned();
        let rows = self
            .db
            .query_all_raw(statement(self.backend(), "SELECT target FROM automation_pauses", Vec::new()))
            .await
            .during(action)?;
        let mut pauses = AutomationPauses::default();
        for row in rows {
            let target: String = row.try_get("", "target").during(action)?;
            if target == ALL_ASSETS {
                pauses.all = true;
            } else {
                let asset = AssetKey::new(&target)
                    .map_err(|error| corrupt("the automation pauses".to_owned(), error.to_string()))?;
                pauses.assets.insert(asset);
            }
        }
        Ok(pauses)
    }
}

/// `($1, ..., $width), ($width+1, ...), ...`: the placeholders of `rows`
/// rows of `width` values in a multi-row `VALUES` list.
fn rows_of(width: usize, rows: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", crate::sql::placeholders(row * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `LIMIT` for the database (a signed 64-bit integer on both).
fn sql_limit(limit: u64) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_values_rows_are_numbered() {
        for status in AutomationTickStatus::ALL {
            assert_eq!(AutomationTickStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(AutomationTickStatus::parse("success"), None);
        assert_eq!(rows_of(3, 2), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(sql_limit(u64::MAX), i64::MAX);
    }
}
