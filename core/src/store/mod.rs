//! The metadata store: runs, materializations (with the upstream data
//! versions they read), observations, check results and run events, kept in
//! SQLite (embedded default) or PostgreSQL through sea-orm.
//!
//! # Schema
//!
//! Created by one sea-orm-migration migration (`store/migration.rs`), identical on
//! both databases. Ids are autoincrement `i64`s and define "latest": of two
//! rows about the same thing, the one with the higher id is the later one.
//! Keys are stored as text (`raw/flights`, `2013-01-05`), a missing
//! partition as NULL; timestamps are UTC (`timestamptz` on PostgreSQL,
//! RFC 3339 text on SQLite) with microsecond precision.
//!
//! * `runs`: status, selection, partition filter, step counts, start/end.
//! * `materializations` (→ `runs`): asset, partition, code and data
//!   versions, rows, bytes, duration (ms), path, time.
//! * `materialization_inputs` (→ `materializations`, keyed by
//!   materialization and position): the upstream asset, partition and data
//!   version of every input read.
//! * `observations` (→ `runs`, optional): data versions of source assets.
//! * `check_results` (→ `runs`, → `materializations` optional).
//! * `run_events` (→ `runs`): log lines.
//!
//! # Concurrency
//!
//! SQLite runs in WAL mode with a busy timeout, so the tasks of a run can
//! write concurrently (writes queue on SQLite's lock) while readers go on.
//! Multi-statement writes are transactions (`BEGIN IMMEDIATE` on SQLite).
//! [`MetadataStore::load_state`] reads from one snapshot (a read
//! transaction; `REPEATABLE READ` on PostgreSQL), so a materialization
//! recorded meanwhile never mixes with an older one's inputs.

mod connect;
mod db_url;
mod entities;
mod migration;
mod records;
mod rows;

pub use records::{
    CheckResult, CheckSeverity, EventLevel, MaterializationDetails, NewMaterialization, NewObservation, NewRun,
    RunCounts, RunEvent, RunId, RunRecord, RunStatus, StoreError,
};
use rows::{
    During, Keys, check_result, event_row, latest_materialization_ids, materialization_details, partition_text,
    run_event, run_record, stored_time,
};
#[cfg(feature = "test-support")]
pub mod testing;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    AccessMode, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IsolationLevel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use self::entities::{check_results, materialization_inputs, materializations, observations, run_events, runs};
use crate::partitions::PartitionKey;
use crate::state::{AssetPartition, InputVersion, MaterializationRecord, ObservationRecord, StoredState};
use crate::{AssetKey, CodeVersion, DataVersion};

/// Handle on the metadata database. Cheap to clone (a connection pool).
#[derive(Clone)]
pub struct MetadataStore {
    db: DatabaseConnection,
    /// The URL, password masked.
    url: Arc<str>,
}

impl std::fmt::Debug for MetadataStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataStore").field("url", &self.url).finish_non_exhaustive()
    }
}

/// Inputs inserted per statement: 5 parameters each, well under SQLite's
/// 32,766 and PostgreSQL's 65,535 bind parameters.
const INPUT_BATCH: usize = 1_000;

/// Check results inserted per statement (11 parameters each).
const CHECK_BATCH: usize = 500;

impl MetadataStore {
    /// Connects to `url` and applies pending migrations.
    ///
    /// * `sqlite://PATH` (relative to the working directory, or absolute as
    ///   in `sqlite:///var/lib/cairn/cairn.db`): the file and its parent
    ///   directories are created if missing. The database runs in WAL mode
    ///   with foreign keys on and a 30 s busy timeout.
    /// * `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (or `postgresql://`):
    ///   one connection is opened first (15 s timeout) so an unreachable
    ///   server or a refused login is reported at once.
    ///
    /// Opening an up-to-date database twice is fine; migrations that were
    /// applied are not applied again.
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`] for another scheme,
    /// [`StoreError::Connect`] or [`StoreError::Migrate`] otherwise. No
    /// error text contains the URL's password.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self { db: connect::open(url).await?, url: Arc::from(db_url::redact(url)) })
    }

    /// The URL the store was opened with, any password replaced by `***`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes the connection pool shared by this store and all its clones,
    /// waiting for connections in use (on SQLite the last connection to
    /// close checkpoints the WAL). Dropping every clone also closes the
    /// pool, without waiting.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a connection could not be closed cleanly.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.during(|| "close the metadata database".to_owned())
    }

    /// Records a run start (status [`RunStatus::Running`], counts 0).
    ///
    /// # Errors
    /// [`StoreError::Query`] if the insert fails.
    pub async fn start_run(&self, run: &NewRun) -> Result<RunId, StoreError> {
        let row = runs::ActiveModel {
            id: NotSet,
            status: Set(RunStatus::Running.as_db().to_owned()),
            selection: Set(run.selection.clone()),
            partition_filter: Set(run.partition_filter.clone()),
            planned_steps: Set(run.planned_steps),
            materialized_steps: Set(0),
            failed_steps: Set(0),
            skipped_steps: Set(0),
            started_at: Set(stored_time(run.started_at)),
            finished_at: Set(None),
        };
        let result = runs::Entity::insert(row).exec(&self.db).await.during(|| match run.selection.as_str() {
            "" => "start a run of all assets".to_owned(),
            selection => format!("start a run of `{selection}`"),
        })?;
        Ok(RunId(result.last_insert_id))
    }

    /// Records a run end: its status, step counts and end time (UTC).
    ///
    /// # Errors
    /// [`StoreError::Query`] if the update fails or no run has this id.
    pub async fn finish_run(
        &self,
        id: RunId,
        status: RunStatus,
        counts: RunCounts,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let action = || format!("finish run {id}");
        let result = runs::Entity::update_many()
            .col_expr(runs::Column::Status, status.as_db().into())
            .col_expr(runs::Column::MaterializedSteps, counts.materialized.into())
            .col_expr(runs::Column::FailedSteps, counts.failed.into())
            .col_expr(runs::Column::SkippedSteps, counts.skipped.into())
            .col_expr(runs::Column::FinishedAt, stored_time(finished_at).into())
            .filter(runs::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .during(action)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Query { action: action(), source: DbErr::RecordNotFound(format!("no run {id}")) });
        }
        Ok(())
    }

    /// Ends a run whose process died before finishing it (killed, crashed,
    /// machine restarted): status [`RunStatus::Failed`], end time
    /// `finished_at` (UTC), materialized count taken from the
    /// materializations it recorded, and a warning event saying so. The
    /// materializations it published stay valid. Returns `false`, changing
    /// nothing, when the run is not [`RunStatus::Running`] (it finished
    /// after all) or does not exist.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails; then nothing is changed.
    pub async fn mark_run_interrupted(&self, id: RunId, finished_at: DateTime<Utc>) -> Result<bool, StoreError> {
        let action = || format!("mark run {id} as interrupted");
        let txn = self.begin_write().await.during(action)?;
        let materialized = materializations::Entity::find()
            .filter(materializations::Column::RunId.eq(id.0))
            .count(&txn)
            .await
            .during(action)?;
        let updated = runs::Entity::update_many()
            .col_expr(runs::Column::Status, RunStatus::Failed.as_db().into())
            .col_expr(runs::Column::MaterializedSteps, (materialized as i64).into())
            .col_expr(runs::Column::FinishedAt, stored_time(finished_at).into())
            .filter(runs::Column::Id.eq(id.0))
            .filter(runs::Column::Status.eq(RunStatus::Running.as_db()))
            .exec(&txn)
            .await
            .during(action)?;
        if updated.rows_affected == 0 {
            txn.rollback().await.during(action)?;
            return Ok(false);
        }
        let event = RunEvent {
            run_id: id,
            asset: None,
            partition: None,
            level: EventLevel::Warn,
            message: format!(
                "interrupted: the process ended before the run finished; {materialized} materialization(s) it \
                 published are kept, its unpublished data was discarded"
            ),
            at: finished_at,
        };
        run_events::Entity::insert(event_row(&event)).exec_without_returning(&txn).await.during(action)?;
        txn.commit().await.during(action)?;
        Ok(true)
    }

    /// Records a materialization and all its inputs in one transaction;
    /// returns its id. Inputs are inserted in batches, so an asset that
    /// read hundreds of upstream partitions is one round trip per
    /// thousand inputs.
    ///
    /// # Errors
    /// [`StoreError::Query`] (naming the asset partition) if anything
    /// fails; then nothing is recorded.
    pub async fn record_materialization(&self, materialization: &NewMaterialization) -> Result<i64, StoreError> {
        let m = materialization;
        let action = || {
            let subject = AssetPartition::new(m.asset.clone(), m.partition.clone());
            format!("record materialization of {subject}")
        };
        let txn = self.begin_write().await.during(action)?;
        let row = materializations::ActiveModel {
            id: NotSet,
            run_id: Set(m.run_id.0),
            asset_key: Set(m.asset.as_str().to_owned()),
            partition_key: Set(partition_text(m.partition.as_ref())),
            code_version: Set(m.code_version.as_str().to_owned()),
            data_version: Set(m.data_version.as_str().to_owned()),
            rows: Set(m.rows),
            bytes: Set(m.bytes),
            duration_ms: Set(m.duration_ms),
            path: Set(m.path.clone()),
            materialized_at: Set(stored_time(m.materialized_at)),
        };
        let id = materializations::Entity::insert(row).exec(&txn).await.during(action)?.last_insert_id;
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
            materialization_inputs::Entity::insert_many(rows).exec_without_returning(&txn).await.during(action)?;
        }
        txn.commit().await.during(action)?;
        Ok(id)
    }

    /// Records an observation of a source asset.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the insert fails.
    pub async fn record_observation(&self, observation: &NewObservation) -> Result<(), StoreError> {
        let row = observations::ActiveModel {
            id: NotSet,
            run_id: Set(observation.run_id.map(|run| run.0)),
            asset_key: Set(observation.asset.as_str().to_owned()),
            partition_key: Set(None),
            data_version: Set(observation.data_version.as_str().to_owned()),
            observed_at: Set(stored_time(observation.observed_at)),
        };
        observations::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .during(|| format!("record observation of {}", observation.asset))?;
        Ok(())
    }

    /// Records check results, all or none (one transaction).
    ///
    /// # Errors
    /// [`StoreError::Query`] if an insert fails.
    pub async fn record_check_results(&self, results: &[CheckResult]) -> Result<(), StoreError> {
        let Some(first) = results.first() else {
            return Ok(());
        };
        let action = || {
            let subject = AssetPartition::new(first.asset.clone(), first.partition.clone());
            let same_subject =
                results.iter().all(|result| result.asset == first.asset && result.partition == first.partition);
            match (results.len(), same_subject) {
                (1, _) => format!("record check `{}` of {subject}", first.check_name),
                (_, true) => format!("record {} check results of {subject}", results.len()),
                (count, false) => format!("record {count} check results of run {}", first.run_id),
            }
        };
        let txn = self.begin_write().await.during(action)?;
        for batch in results.chunks(CHECK_BATCH) {
            let rows: Vec<check_results::ActiveModel> = batch
                .iter()
                .map(|result| check_results::ActiveModel {
                    id: NotSet,
                    run_id: Set(result.run_id.0),
                    materialization_id: Set(result.materialization_id),
                    asset_key: Set(result.asset.as_str().to_owned()),
                    partition_key: Set(partition_text(result.partition.as_ref())),
                    check_name: Set(result.check_name.clone()),
                    severity: Set(result.severity.as_db().to_owned()),
                    passed: Set(result.passed),
                    violations: Set(result.violations),
                    sample: Set(result.sample.to_string()),
                    error: Set(result.error.clone()),
                    evaluated_at: Set(stored_time(result.evaluated_at)),
                })
                .collect();
            check_results::Entity::insert_many(rows).exec_without_returning(&txn).await.during(action)?;
        }
        txn.commit().await.during(action)
    }

    /// Appends a run event.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the insert fails.
    pub async fn append_event(&self, event: &RunEvent) -> Result<(), StoreError> {
        run_events::Entity::insert(event_row(event))
            .exec_without_returning(&self.db)
            .await
            .during(|| format!("append an event to run {}", event.run_id))?;
        Ok(())
    }

    /// The latest materialization (highest id) of every asset partition,
    /// with the inputs it read, and the latest observation of every source.
    ///
    /// Three set-based queries from one snapshot, whatever the number of
    /// materializations: the latest rows (`id IN (SELECT max(id) ... GROUP
    /// BY asset_key, partition_key)`, where NULL partitions form their own
    /// group on both databases), their inputs (same subquery, no id list),
    /// and the latest observations.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails, [`StoreError::Corrupt`] if a
    /// stored key cannot be read back.
    pub async fn load_state(&self) -> Result<StoredState, StoreError> {
        use materialization_inputs::Column as Input;
        use materializations::Column as Materialization;
        use observations::Column as Observation;

        type HeadRow = (i64, i64, String, Option<String>, String, String, DateTime<Utc>);
        type InputRow = (i64, String, Option<String>, String);
        type ObservationRow = (i64, String, String, DateTime<Utc>);

        let txn = self.begin_snapshot().await.during(|| "load state: begin a read transaction".to_owned())?;
        let heads: Vec<HeadRow> = materializations::Entity::find()
            .select_only()
            .columns([
                Materialization::Id,
                Materialization::RunId,
                Materialization::AssetKey,
                Materialization::PartitionKey,
                Materialization::CodeVersion,
                Materialization::DataVersion,
                Materialization::MaterializedAt,
            ])
            .filter(Materialization::Id.in_subquery(latest_materialization_ids()))
            .into_tuple()
            .all(&txn)
            .await
            .during(|| "load state: read the latest materializations".to_owned())?;
        let inputs: Vec<InputRow> = materialization_inputs::Entity::find()
            .select_only()
            .columns([Input::MaterializationId, Input::AssetKey, Input::PartitionKey, Input::DataVersion])
            .filter(Input::MaterializationId.in_subquery(latest_materialization_ids()))
            // No ORDER BY: StoredState sorts every record's inputs.
            .into_tuple()
            .all(&txn)
            .await
            .during(|| "load state: read the inputs of the latest materializations".to_owned())?;
        let latest_observations = observations::Entity::find()
            .select_only()
            .expr(Observation::Id.max())
            .filter(Observation::PartitionKey.is_null())
            .group_by(Observation::AssetKey)
            .into_query();
        let observation_rows: Vec<ObservationRow> = observations::Entity::find()
            .select_only()
            .columns([Observation::Id, Observation::AssetKey, Observation::DataVersion, Observation::ObservedAt])
            .filter(Observation::Id.in_subquery(latest_observations))
            .into_tuple()
            .all(&txn)
            .await
            .during(|| "load state: read the latest observations".to_owned())?;
        txn.commit().await.during(|| "load state: end the read transaction".to_owned())?;

        let mut keys = Keys::default();
        let mut latest: HashMap<i64, (AssetKey, Option<PartitionKey>, MaterializationRecord)> =
            HashMap::with_capacity(heads.len());
        for (id, run_id, asset, partition, code_version, data_version, materialized_at) in heads {
            let what = || format!("materialization {id}");
            let asset = keys.asset(&asset, what)?;
            let partition = keys.partition(partition.as_deref(), what)?;
            let record = MaterializationRecord {
                id,
                run_id,
                code_version: CodeVersion::from_stored(&code_version),
                data_version: DataVersion::from_stored(&data_version),
                inputs: Vec::new(),
                materialized_at,
            };
            latest.insert(id, (asset, partition, record));
        }
        for (materialization_id, asset, partition, data_version) in inputs {
            // Always found: both queries read the same snapshot.
            let Some((_, _, record)) = latest.get_mut(&materialization_id) else {
                continue;
            };
            let what = || format!("input of materialization {materialization_id}");
            record.inputs.push(InputVersion {
                asset: keys.asset(&asset, what)?,
                partition: keys.partition(partition.as_deref(), what)?,
                data_version: keys.data_version(&data_version),
            });
        }

        let mut state = StoredState::new();
        for (asset, partition, record) in latest.into_values() {
            state.insert_materialization(asset, partition, record);
        }
        for (id, asset, data_version, observed_at) in observation_rows {
            let asset = keys.asset(&asset, || format!("observation {id}"))?;
            let record = ObservationRecord { data_version: DataVersion::from_stored(&data_version), observed_at };
            state.insert_observation(asset, record);
        }
        Ok(state)
    }

    /// The latest result (highest id) of every check on every asset
    /// partition, sorted by asset, partition (unpartitioned first) and
    /// check name.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn latest_check_results(&self) -> Result<Vec<CheckResult>, StoreError> {
        use check_results::Column;
        let latest = check_results::Entity::find()
            .select_only()
            .expr(Column::Id.max())
            .group_by(Column::AssetKey)
            .group_by(Column::PartitionKey)
            .group_by(Column::CheckName)
            .into_query();
        let rows = check_results::Entity::find()
            .filter(Column::Id.in_subquery(latest))
            .all(&self.db)
            .await
            .during(|| "load the latest check results".to_owned())?;
        let mut keys = Keys::default();
        let mut results = rows.into_iter().map(|row| check_result(row, &mut keys)).collect::<Result<Vec<_>, _>>()?;
        results.sort_by(|a, b| (&a.asset, &a.partition, &a.check_name).cmp(&(&b.asset, &b.partition, &b.check_name)));
        Ok(results)
    }

    /// The `limit` most recent runs, newest first.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn runs(&self, limit: u64) -> Result<Vec<RunRecord>, StoreError> {
        let rows = runs::Entity::find()
            .order_by_desc(runs::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .during(|| "list runs".to_owned())?;
        rows.into_iter().map(run_record).collect()
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

    /// The events of one run in the order they were appended.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn run_events(&self, id: RunId) -> Result<Vec<RunEvent>, StoreError> {
        let rows = run_events::Entity::find()
            .filter(run_events::Column::RunId.eq(id.0))
            .order_by_asc(run_events::Column::Id)
            .all(&self.db)
            .await
            .during(|| format!("load the events of run {id}"))?;
        let mut keys = Keys::default();
        rows.into_iter().map(|row| run_event(row, &mut keys)).collect()
    }

    /// The `limit` most recent materializations of `asset` (all its
    /// partitions), newest first.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn materialization_history(
        &self,
        asset: &AssetKey,
        limit: u64,
    ) -> Result<Vec<MaterializationDetails>, StoreError> {
        let rows = materializations::Entity::find()
            .filter(materializations::Column::AssetKey.eq(asset.as_str()))
            .order_by_desc(materializations::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .during(|| format!("load the materialization history of {asset}"))?;
        let mut keys = Keys::default();
        rows.into_iter().map(|row| materialization_details(row, &mut keys)).collect()
    }

    /// A write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write
    /// lock is taken (waiting up to the busy timeout) before the first
    /// statement, so a transaction never fails half-way on a lock.
    async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
    }

    /// A read-only transaction whose statements all see one snapshot.
    /// SQLite transactions are serializable already (and sea-orm warns if
    /// given an isolation level for them); PostgreSQL's default `READ
    /// COMMITTED` takes a snapshot per statement, so ask for `REPEATABLE
    /// READ`.
    async fn begin_snapshot(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.db.get_database_backend() {
            DbBackend::Postgres => {
                self.db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await
            }
            _ => self.db.begin().await,
        }
    }
}
