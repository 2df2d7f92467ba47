//! The executors of a deployment: each registers itself when it starts,
//! renews a heartbeat as it renews its leases, and says when it stopped;
//! one that stops renewing (killed, hung, cut off) is `LOST` once its
//! lease has passed since its last heartbeat, as its steps are then taken
//! over. Read by the deployment page; nothing is decided from it.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};

use crate::MetadataStore;
use crate::records::{RunId, StoreError};
use crate::rows::{During, stored_time};
use crate::sql::statement;

/// An executor as it registers itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExecutor {
    /// Its id, `host:pid:nonce`, as on the steps it holds.
    pub id: String,
    /// The machine it runs on.
    pub host: String,
    /// Its process id on that machine.
    pub pid: u32,
    /// The run it is limited to (`cairn materialize`, `cairn run resume`),
    /// or `None` for every run (`cairn worker`, `cairn serve`).
    pub run: Option<RunId>,
    /// Most steps it executes at once.
    pub concurrency: usize,
    /// Its lease, in milliseconds: past that without a heartbeat it is lost.
    pub lease_ms: u64,
}

/// Where an executor stands, from its heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutorStatus {
    /// Its last heartbeat is more recent than its lease.
    Running,
    /// It said it stopped.
    Stopped,
    /// It stopped renewing without saying so (killed, hung, cut off from
    /// the store): its last heartbeat is older than its lease.
    Lost,
}

impl ExecutorStatus {
    /// `RUNNING`, `STOPPED`, `LOST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Stopped => "STOPPED",
            Self::Lost => "LOST",
        }
    }
}

/// An executor as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorRecord {
    /// What it registered.
    pub executor: NewExecutor,
    /// When it started (UTC).
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat (UTC).
    pub heartbeat_at: DateTime<Utc>,
    /// When it said it stopped (UTC), if it did.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Its status as of the time it was read.
    pub status: ExecutorStatus,
    /// The steps it holds a lease on (`RUNNING` steps it owns).
    pub running_steps: usize,
}

impl MetadataStore {
    /// Records that `executor` started at `now` (again, if its id is known).
    ///
    /// # Errors
    /// [`StoreError::Query`] if the statement fails.
    pub async fn register_executor(&self, executor: &NewExecutor, now: DateTime<Utc>) -> Result<(), StoreError> {
        let action = || format!("register executor {}", executor.id);
        let now = stored_time(now);
        self.db
            .execute_raw(statement(
                self.backend(),
                "INSERT INTO executors (id, host, pid, run_id, concurrency, lease_ms, started_at, heartbeat_at, stopped_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, NULL) \
                 ON CONFLICT (id) DO UPDATE SET heartbeat_at = $7, stopped_at = NULL",
                vec![
                    executor.id.as_str().into(),
                    executor.host.as_str().into(),
                    i64::from(executor.pid).into(),
                    executor.run.map(|run| run.0).into(),
                    (executor.concurrency as i64).into(),
                    (executor.lease_ms as i64).into(),
                    now.into(),
                ],
            ))
            .await
            .during(action)?;
        Ok(())
    }

    /// Renews executor `id`'s heartbeat. Returns `false` when it is not
    /// registered (or said it stopped).
    ///
    /// # Errors
    /// [`StoreError::Query`] if the statement fails.
    pub async fn executor_heartbeat(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let action = || format!("renew the heartbeat of executor {id}");
        let result = self
            .db
            .execute_raw(statement(
                self.backend(),
                "UPDATE executors SET heartbeat_at = $2 WHERE id = $1 AND stopped_at IS NULL",
                vec![id.into(), stored_time(now).into()],
            ))
            .await
            .during(action)?;
        Ok(result.rows_affected() == 1)
    }

    /// Records that executor `id` stopped at `now`.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the statement fails.
    pub async fn executor_stopped(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let action = || format!("record that executor {id} stopped");
        let now = stored_time(now);
        self.db
            .execute_raw(statement(
                self.backend(),
                "UPDATE executors SET stopped_at = $2, heartbeat_at = $2 WHERE id = $1",
                vec![id.into(), now.into()],
            ))
            .await
            .during(action)?;
        Ok(())
    }

    /// The executors with a heartbeat at or after `since` (UTC), newest
    /// start first, with their status as of `now` and the steps they hold.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails; [`StoreError::Corrupt`] for
    /// a row that does not read back.
    pub async fn executors(&self, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<ExecutorRecord>, StoreError> {
        let action = || "list the executors".to_owned();
        let rows = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT e.id, e.host, e.pid, e.run_id, e.concurrency, e.lease_ms, e.started_at, e.heartbeat_at, \
                        e.stopped_at, (SELECT COUNT(*) FROM run_steps s WHERE s.owner = e.id AND s.status = 'RUNNING') AS running \
                 FROM executors e WHERE e.heartbeat_at >= $1 ORDER BY e.started_at DESC, e.id",
                vec![Value::from(stored_time(since))],
            ))
            .await
            .during(action)?;
        let mut executors = Vec::with_capacity(rows.len());
        for row in rows {
            let read = || -> Result<ExecutorRecord, sea_orm::DbErr> {
                let executor = NewExecutor {
                    id: row.try_get("", "id")?,
                    host: row.try_get("", "host")?,
                    pid: u32::try_from(row.try_get::<i64>("", "pid")?).unwrap_or_default(),
                    run: row.try_get::<Option<i64>>("", "run_id")?.map(RunId),
                    concurrency: usize::try_from(row.try_get::<i64>("", "concurrency")?).unwrap_or_default(),
                    lease_ms: u64::try_from(row.try_get::<i64>("", "lease_ms")?).unwrap_or_default(),
                };
                let heartbeat_at: DateTime<Utc> = row.try_get("", "heartbeat_at")?;
                let stopped_at: Option<DateTime<Utc>> = row.try_get("", "stopped_at")?;
                let status = status_of(heartbeat_at, stopped_at, executor.lease_ms, now);
                Ok(ExecutorRecord {
                    started_at: row.try_get("", "started_at")?,
                    heartbeat_at,
                    stopped_at,
                    status,
                    running_steps: usize::try_from(row.try_get::<i64>("", "running")?).unwrap_or_default(),
                    executor,
                })
            };
            executors.push(read().during(action)?);
        }
        Ok(executors)
    }
}

/// `STOPPED` if it said so; else `LOST` once `lease_ms` has passed since
/// its last heartbeat (when its steps may be taken over), else `RUNNING`.
pub fn status_of(
    heartbeat_at: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
    lease_ms: u64,
    now: DateTime<Utc>,
) -> ExecutorStatus {
    if stopped_at.is_some() {
        return ExecutorStatus::Stopped;
    }
    let lease = chrono::Duration::milliseconds(i64::try_from(lease_ms).unwrap_or(i64::MAX / 2));
    if now - heartbeat_at > lease { ExecutorStatus::Lost } else { ExecutorStatus::Running }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_executor_is_lost_once_its_lease_has_passed_since_its_heartbeat() {
        let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(1_700_000_000_000 + ms).unwrap();
        let cases = [
            (0, None, 2_000, 0, ExecutorStatus::Running),
            (0, None, 2_000, 2_000, ExecutorStatus::Running),
            (0, None, 2_000, 2_001, ExecutorStatus::Lost),
            (0, Some(500), 2_000, 1_000, ExecutorStatus::Stopped),
            (0, Some(500), 2_000, 60_000, ExecutorStatus::Stopped),
        ];
        for (heartbeat, stopped, lease, now, expected) in cases {
            let status = status_of(at(heartbeat), stopped.map(at), lease, at(now));
            assert_eq!(status, expected, "heartbeat {heartbeat}, stopped {stopped:?}, lease {lease}, now {now}");
        }
    }
}
