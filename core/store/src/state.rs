//! Reading the state the planner and executors need (latest
//! materializations and observations, check results, history) and
//! recording source observations.

use std::collections::HashMap;

use cairn_core::partitions::PartitionKey;
use cairn_core::state::{AssetPartition, InputVersion, MaterializationRecord, ObservationRecord, StoredState};
use cairn_core::{AssetKey, CodeVersion, DataVersion};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Value};

use crate::MetadataStore;
use crate::current::{current_check_result_ids, current_materialization_ids, current_materialization_ids_of};
use crate::entities::{asset_partitions, check_results, materialization_inputs, materializations, observations};
use crate::events::append_in;
use crate::records::{
    CheckResult, CurrentData, EventKind, EventLevel, MaterializationDetails, NewEvent, NewObservation, RunId,
    StoreError,
};
use crate::rows::{During, Keys, check_result, materialization_details, stored_time};
use crate::sql::{placeholders, statement};

/// Partitions per `IN (...)` list.
const KEY_BATCH: usize = 1_000;
/// Assets whose current materializations are read per query when the
/// whole state is loaded: a few thousand rows at a time for daily assets
/// over years, so the rows read are never all held at once.
const ASSET_BATCH: usize = 8;

/// A materialization file and when a later materialization of the same
/// asset partition replaced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupersededFile {
    /// Path relative to the data folder.
    pub path: String,
    /// When the next materialization of the asset partition was recorded, UTC.
    pub superseded_at: DateTime<Utc>,
}

impl MetadataStore {
    /// Records an observation of a source asset and appends
    /// `ASSET_OBSERVATION`, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the insert fails.
    pub async fn record_observation(&self, observation: &NewObservation) -> Result<(), StoreError> {
        let action = || format!("record observation of {}", observation.asset);
        let txn = self.begin_write().await.during(action)?;
        let row = observations::ActiveModel {
            id: NotSet,
            run_id: Set(observation.run_id.map(|run| run.0)),
            asset_key: Set(observation.asset.as_str().to_owned()),
            partition_key: Set(None),
            data_version: Set(observation.data_version.as_str().to_owned()),
            observed_at: Set(stored_time(observation.observed_at)),
        };
        observations::Entity::insert(row).exec_without_returning(&txn).await.during(action)?;
        let event = NewEvent {
            kind: EventKind::AssetObservation,
            run_id: observation.run_id,
            step_id: None,
            asset: Some(observation.asset.clone()),
            partition: None,
            level: EventLevel::Info,
            message: format!("observed data version {}", observation.data_version),
            data: Some(serde_json::json!({ "data_version": observation.data_version.as_str() })),
            at: observation.observed_at,
        };
        append_in(&txn, &[event]).await.during(action)?;
        txn.commit().await.during(action)
    }

    /// The latest materialization (highest id) of every asset partition,
    /// with the inputs it read, and the latest observation of every source.
    ///
    /// Set-based queries from one snapshot, reading current state only
    /// (one `asset_partitions` row per asset partition, see
    /// `crate::current`), whatever the length of the history: the assets
    /// materialized, then the current materializations and their inputs a
    /// few assets at a time (so the rows of one batch, not of the whole
    /// store, are held while records are built), each asset's rows packed
    /// into one value by the database (see `read_packed`),
    /// then the latest observations. Versions and keys repeated across rows share one
    /// allocation (an input and the upstream materialization it read hold
    /// the same data version).
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails, [`StoreError::Corrupt`] if a
    /// stored key cannot be read back.
    pub async fn load_state(&self) -> Result<StoredState, StoreError> {
        self.load_state_in(None).await
    }

    /// [`Self::load_state`] of `assets` only: their current
    /// materializations (with their inputs), and the latest observation of
    /// every source. A plan of a selection needs no more than the state of
    /// the selection and its upstream assets (staleness looks upstream
    /// only), so planning a few assets costs their partitions, not the
    /// whole project's.
    ///
    /// # Errors
    /// As [`Self::load_state`].
    pub async fn load_state_of(
        &self,
        assets: &std::collections::BTreeSet<AssetKey>,
    ) -> Result<StoredState, StoreError> {
        self.load_state_in(Some(assets)).await
    }

    async fn load_state_in(
        &self,
        assets: Option<&std::collections::BTreeSet<AssetKey>>,
    ) -> Result<StoredState, StoreError> {
        use observations::Column as Observation;
        type ObservationRow = (i64, String, String, DateTime<Utc>);

        let txn = self.begin_snapshot().await.during(|| "load state: begin a read transaction".to_owned())?;
        let mut keys = Keys::default();
        let mut state = StoredState::new();
        let names: Vec<String> = match assets {
            Some(assets) => assets.iter().map(|asset| asset.as_str().to_owned()).collect(),
            // Every asset with a current materialization: read a few assets
            // at a time, so only one batch of rows is held while it is
            // turned into records, never every row of the store at once.
            None => asset_partitions::Entity::find()
                .select_only()
                .column(asset_partitions::Column::AssetKey)
                .filter(asset_partitions::Column::MaterializationId.is_not_null())
                .distinct()
                .order_by_asc(asset_partitions::Column::AssetKey)
                .into_tuple()
                .all(&txn)
                .await
                .during(|| "load state: list the materialized assets".to_owned())?,
        };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        // Each batch's packed rows are decoded on the blocking pool while
        // the database reads the next batch, on another core.
        let postgres = txn.get_database_backend() == sea_orm::DbBackend::Postgres;
        let mut decoding: Option<tokio::task::JoinHandle<Decoded>> = None;
        for batch in names.chunks(ASSET_BATCH) {
            let packed = read_packed(&txn, batch).await?;
            if let Some(previous) = decoding.take() {
                (keys, state) = finish_decoding(&txn, previous).await?;
            }
            let (mut batch_keys, mut batch_state) = (std::mem::take(&mut keys), std::mem::take(&mut state));
            let batch: Vec<String> = batch.iter().map(|name| (*name).to_owned()).collect();
            decoding = Some(tokio::task::spawn_blocking(move || {
                let decoded = decode_packed(packed, postgres, &mut batch_keys).map(|records| {
                    let complete = records.is_some();
                    for (asset, partition, record) in records.into_iter().flatten() {
                        batch_state.insert_materialization(asset, partition, record);
                    }
                    complete
                });
                Decoded { keys: batch_keys, state: batch_state, batch, decoded }
            }));
        }
        if let Some(last) = decoding.take() {
            (keys, state) = finish_decoding(&txn, last).await?;
        }
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

        for (id, asset, data_version, observed_at) in observation_rows {
            let asset = keys.asset(&asset, || format!("observation {id}"))?;
            let record = ObservationRecord { data_version: DataVersion::from_stored(&data_version), observed_at };
            state.insert_observation(asset, record);
        }
        Ok(state)
    }

    /// The latest materialization of one asset partition, with the inputs
    /// it read: what an executor compares against the current upstream
    /// data to decide whether a step still needs to run.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails, [`StoreError::Corrupt`] if a
    /// row cannot be read back.
    pub async fn latest_materialization(
        &self,
        target: &AssetPartition,
    ) -> Result<Option<MaterializationRecord>, StoreError> {
        use materializations::Column;
        let action = || format!("read the latest materialization of {target}");
        let mut query = materializations::Entity::find().filter(Column::AssetKey.eq(target.asset.as_str()));
        query = match &target.partition {
            Some(partition) => query.filter(Column::PartitionKey.eq(partition.as_str())),
            None => query.filter(Column::PartitionKey.is_null()),
        };
        let Some(row) = query.order_by_desc(Column::Id).one(&self.db).await.during(action)? else {
            return Ok(None);
        };
        let inputs = materialization_inputs::Entity::find()
            .filter(materialization_inputs::Column::MaterializationId.eq(row.id))
            .all(&self.db)
            .await
            .during(action)?;
        let mut keys = Keys::default();
        let mut record = MaterializationRecord {
            id: row.id,
            run_id: row.run_id,
            code_version: CodeVersion::from_stored(&row.code_version),
            data_version: DataVersion::from_stored(&row.data_version),
            inputs: Vec::with_capacity(inputs.len()),
            materialized_at: row.materialized_at,
            path: row.path,
        };
        for input in inputs {
            let what = || format!("input of materialization {}", row.id);
            record.inputs.push(keys.input(
                &input.asset_key,
                input.partition_key.as_deref(),
                &input.data_version,
                what,
            )?);
        }
        record.sort_inputs();
        Ok(Some(record))
    }

    /// The current data of some partitions of one materialized asset: the
    /// data version and file of each one's latest materialization. Missing
    /// partitions are absent from the map.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails.
    pub async fn current_data(
        &self,
        asset: &AssetKey,
        partitions: &[Option<PartitionKey>],
    ) -> Result<HashMap<Option<PartitionKey>, CurrentData>, StoreError> {
        let action = || format!("read the current data of `{asset}`");
        let backend = self.backend();
        let mut found = HashMap::with_capacity(partitions.len());
        let keyed: Vec<&PartitionKey> = partitions.iter().flatten().collect();
        let mut queries: Vec<(String, Vec<Value>)> = Vec::new();
        if partitions.iter().any(Option::is_none) {
            queries.push((
                "SELECT id, partition_key, data_version, path FROM materializations WHERE id = \
                 (SELECT MAX(id) FROM materializations WHERE asset_key = $1 AND partition_key IS NULL)"
                    .to_owned(),
                vec![asset.as_str().into()],
            ));
        }
        for batch in keyed.chunks(KEY_BATCH) {
            let mut values: Vec<Value> = vec![asset.as_str().into()];
            values.extend(batch.iter().map(|key| Value::from(key.as_str())));
            queries.push((
                format!(
                    "SELECT id, partition_key, data_version, path FROM materializations WHERE id IN \
                     (SELECT MAX(id) FROM materializations WHERE asset_key = $1 AND partition_key IN ({}) \
                      GROUP BY partition_key)",
                    placeholders(2, batch.len())
                ),
                values,
            ));
        }
        let mut keys = Keys::default();
        for (sql, values) in queries {
            for row in self.db.query_all_raw(statement(backend, &sql, values)).await.during(action)? {
                let id: i64 = row.try_get("", "id").during(action)?;
                let partition: Option<String> = row.try_get("", "partition_key").during(action)?;
                let data_version: String = row.try_get("", "data_version").during(action)?;
                let path: String = row.try_get("", "path").during(action)?;
                let partition = keys.partition(partition.as_deref(), || format!("materialization {id}"))?;
                found.insert(
                    partition,
                    CurrentData {
                        data_version: DataVersion::from_stored(&data_version),
                        path: Some(path),
                        materialization_id: Some(id),
                    },
                );
            }
        }
        Ok(found)
    }

    /// The latest observation of a source asset.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails.
    pub async fn latest_observation(&self, asset: &AssetKey) -> Result<Option<ObservationRecord>, StoreError> {
        latest_observation_in(&self.db, asset).await
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
        let rows = check_results::Entity::find()
            .filter(Column::Id.in_subquery(current_check_result_ids(None)))
            .all(&self.db)
            .await
            .during(|| "load the latest check results".to_owned())?;
        let mut keys = Keys::default();
        let mut results = rows.into_iter().map(|row| check_result(row, &mut keys)).collect::<Result<Vec<_>, _>>()?;
        results.sort_by(|a, b| (&a.asset, &a.partition, &a.check_name).cmp(&(&b.asset, &b.partition, &b.check_name)));
        Ok(results)
    }

    /// The check results recorded by one run, in the order recorded.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn run_check_results(&self, run: RunId) -> Result<Vec<CheckResult>, StoreError> {
        let rows = check_results::Entity::find()
            .filter(check_results::Column::RunId.eq(run.0))
            .order_by_asc(check_results::Column::Id)
            .all(&self.db)
            .await
            .during(|| format!("load the check results of run {run}"))?;
        let mut keys = Keys::default();
        rows.into_iter().map(|row| check_result(row, &mut keys)).collect()
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

    /// The materializations recorded by one run, in the order recorded.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a row cannot be read back.
    pub async fn run_materializations(&self, run: RunId) -> Result<Vec<MaterializationDetails>, StoreError> {
        let rows = materializations::Entity::find()
            .filter(materializations::Column::RunId.eq(run.0))
            .order_by_asc(materializations::Column::Id)
            .all(&self.db)
            .await
            .during(|| format!("load the materializations of run {run}"))?;
        let mut keys = Keys::default();
        rows.into_iter().map(|row| materialization_details(row, &mut keys)).collect()
    }

    /// Up to `limit` materializations of `asset`, newest first, with an id
    /// below `before` when given; only those of `partition` when given
    /// (`Some(None)`: the unpartitioned one).
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn materializations_page(
        &self,
        asset: &AssetKey,
        partition: Option<Option<&PartitionKey>>,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<MaterializationDetails>, StoreError> {
        use materializations::Column;
        let mut query = materializations::Entity::find().filter(Column::AssetKey.eq(asset.as_str()));
        query = match partition {
            Some(Some(key)) => query.filter(Column::PartitionKey.eq(key.as_str())),
            Some(None) => query.filter(Column::PartitionKey.is_null()),
            None => query,
        };
        if let Some(before) = before {
            query = query.filter(Column::Id.lt(before));
        }
        let rows = query
            .order_by_desc(Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .during(|| format!("load materializations of {asset}"))?;
        let mut keys = Keys::default();
        rows.into_iter().map(|row| materialization_details(row, &mut keys)).collect()
    }

    /// The inputs (provenance) of each of these materializations, in the
    /// order they were recorded.
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn materialization_inputs(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<InputVersion>>, StoreError> {
        use materialization_inputs::Column;
        let mut found: HashMap<i64, Vec<InputVersion>> = HashMap::new();
        let mut keys = Keys::default();
        for batch in ids.chunks(KEY_BATCH) {
            let rows = materialization_inputs::Entity::find()
                .filter(Column::MaterializationId.is_in(batch.iter().copied()))
                .order_by_asc(Column::MaterializationId)
                .order_by_asc(Column::Position)
                .all(&self.db)
                .await
                .during(|| "load materialization inputs".to_owned())?;
            for row in rows {
                let what = || format!("input of materialization {}", row.materialization_id);
                found.entry(row.materialization_id).or_default().push(InputVersion {
                    asset: keys.asset(&row.asset_key, what)?,
                    partition: keys.partition(row.partition_key.as_deref(), what)?,
                    data_version: keys.data_version(&row.data_version),
                });
            }
        }
        Ok(found)
    }

    /// The latest result of every check of one asset, per partition.
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn latest_check_results_of(&self, asset: &AssetKey) -> Result<Vec<CheckResult>, StoreError> {
        use check_results::Column;
        let rows = check_results::Entity::find()
            .filter(Column::Id.in_subquery(current_check_result_ids(Some(asset))))
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .during(|| format!("load the latest check results of {asset}"))?;
        let mut keys = Keys::default();
        rows.into_iter().map(|row| check_result(row, &mut keys)).collect()
    }

    /// How many runs and run steps have each status (for metrics).
    ///
    /// # Errors
    /// [`StoreError::Query`].
    pub async fn status_counts(&self) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>), StoreError> {
        let action = || "count runs and steps by status".to_owned();
        let mut counts = Vec::new();
        for table in ["runs", "run_steps"] {
            let rows = self
                .db
                .query_all_raw(statement(
                    self.backend(),
                    &format!("SELECT status, COUNT(*) AS n FROM {table} GROUP BY status"),
                    vec![],
                ))
                .await
                .during(action)?;
            let mut pairs = Vec::new();
            for row in rows {
                pairs.push((
                    row.try_get::<String>("", "status").during(action)?,
                    row.try_get::<i64>("", "n").during(action)?,
                ));
            }
            counts.push(pairs);
        }
        let steps = counts.pop().unwrap_or_default();
        let runs = counts.pop().unwrap_or_default();
        Ok((runs, steps))
    }

    /// The data files of every asset partition's latest materialization
    /// (paths relative to the data folder): what readers use.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails.
    pub async fn current_files(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<String> = materializations::Entity::find()
            .select_only()
            .column(materializations::Column::Path)
            .filter(materializations::Column::Id.in_subquery(current_materialization_ids()))
            .into_tuple()
            .all(&self.db)
            .await
            .during(|| "list the current data files".to_owned())?;
        Ok(rows)
    }

    /// The data files of superseded materializations (a later one of the
    /// same asset partition exists), with when each was superseded.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails.
    pub async fn superseded_files(&self) -> Result<Vec<SupersededFile>, StoreError> {
        let action = || "list superseded data files".to_owned();
        // Window functions: PostgreSQL, and SQLite since 3.25.
        let rows = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT path, superseded_at FROM (SELECT path, LEAD(materialized_at) OVER \
                 (PARTITION BY asset_key, partition_key ORDER BY id) AS superseded_at FROM materializations) later \
                 WHERE superseded_at IS NOT NULL",
                vec![],
            ))
            .await
            .during(action)?;
        superseded_rows(&rows, action)
    }

    /// The data files of earlier materializations of the asset partitions
    /// run `run` materialized, with when they were superseded (at the
    /// latest).
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails.
    pub async fn superseded_by_run(&self, run: RunId) -> Result<Vec<SupersededFile>, StoreError> {
        let action = || format!("list the data files run {run} superseded");
        let rows = self
            .db
            .query_all_raw(statement(
                self.backend(),
                "SELECT earlier.path AS path, later.materialized_at AS superseded_at \
                 FROM materializations later JOIN materializations earlier \
                 ON earlier.asset_key = later.asset_key \
                 AND COALESCE(earlier.partition_key, '') = COALESCE(later.partition_key, '') \
                 AND earlier.id < later.id WHERE later.run_id = $1",
                vec![run.0.into()],
            ))
            .await
            .during(action)?;
        superseded_rows(&rows, action)
    }
}

/// `path, superseded_at` rows as [`SupersededFile`]s.
fn superseded_rows(
    rows: &[sea_orm::QueryResult],
    action: impl Fn() -> String + Copy,
) -> Result<Vec<SupersededFile>, StoreError> {
    rows.iter()
        .map(|row| {
            Ok(SupersededFile {
                path: row.try_get("", "path").during(action)?,
                superseded_at: row.try_get("", "superseded_at").during(action)?,
            })
        })
        .collect()
}

/// The materializations whose ids `ids` selects, with the inputs each read
/// (unsorted: [`StoredState::insert_materialization`] sorts them). Two
/// set-based queries, whatever the number of ids; `db` must be a snapshot
/// transaction ([`MetadataStore::begin_snapshot`]) so both read the same
/// current state.
async fn materialization_records(
    db: &impl ConnectionTrait,
    ids: sea_orm::sea_query::SelectStatement,
    keys: &mut Keys,
) -> Result<Vec<(AssetKey, Option<PartitionKey>, MaterializationRecord)>, StoreError> {
    use materialization_inputs::Column as Input;
    use materializations::Column as Materialization;

    type HeadRow = (i64, i64, String, Option<String>, String, String, DateTime<Utc>, String);
    type InputRow = (i64, String, Option<String>, String);

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
            Materialization::Path,
        ])
        .filter(Materialization::Id.in_subquery(ids.clone()))
        .into_tuple()
        .all(db)
        .await
        .during(|| "read the current materializations".to_owned())?;
    let inputs: Vec<InputRow> = materialization_inputs::Entity::find()
        .select_only()
        .columns([Input::MaterializationId, Input::AssetKey, Input::PartitionKey, Input::DataVersion])
        .filter(Input::MaterializationId.in_subquery(ids))
        .into_tuple()
        .all(db)
        .await
        .during(|| "read the inputs of the current materializations".to_owned())?;

    let mut records: HashMap<i64, (AssetKey, Option<PartitionKey>, MaterializationRecord)> =
        HashMap::with_capacity(heads.len());
    for (id, run_id, asset, partition, code_version, data_version, materialized_at, path) in heads {
        let what = || format!("materialization {id}");
        let asset = keys.asset(&asset, what)?;
        let partition = keys.partition(partition.as_deref(), what)?;
        let record = MaterializationRecord {
            id,
            run_id,
            code_version: keys.code_version(&code_version),
            data_version: keys.data_version(&data_version),
            inputs: Vec::new(),
            materialized_at,
            path,
        };
        records.insert(id, (asset, partition, record));
    }
    for (materialization_id, asset, partition, data_version) in inputs {
        // Always found: both queries read the same snapshot.
        let Some((_, _, record)) = records.get_mut(&materialization_id) else {
            continue;
        };
        let what = || format!("input of materialization {materialization_id}");
        record.inputs.push(keys.input(&asset, partition.as_deref(), &data_version, what)?);
    }
    Ok(records.into_values().collect())
}

/// Separates the records of a packed column ([`read_packed`]).
const RECORD_SEPARATOR: char = '\u{1e}';
/// Separates the fields of one packed record.
const UNIT_SEPARATOR: char = '\u{1f}';

/// One batch decoded on the blocking pool ([`MetadataStore::load_state`]):
/// the interned keys and the state given to it, with the batch's records
/// added, or `decoded: Ok(false)` when its packed text did not split (then
/// the batch is read again row by row).
struct Decoded {
    keys: Keys,
    state: StoredState,
    batch: Vec<String>,
    decoded: Result<bool, StoreError>,
}

/// Waits for `decoding`, reads its batch row by row if its packed text
/// did not split, and gives back the keys and the state.
async fn finish_decoding(
    db: &impl ConnectionTrait,
    decoding: tokio::task::JoinHandle<Decoded>,
) -> Result<(Keys, StoredState), StoreError> {
    let Decoded { mut keys, mut state, batch, decoded } = decoding.await.map_err(|error| StoreError::Query {
        action: "load state: decode the current materializations".to_owned(),
        source: sea_orm::DbErr::Custom(error.to_string()),
    })?;
    if !decoded? {
        let batch: Vec<&str> = batch.iter().map(String::as_str).collect();
        for (asset, partition, record) in
            materialization_records(db, current_materialization_ids_of(&batch), &mut keys).await?
        {
            state.insert_materialization(asset, partition, record);
        }
    }
    Ok((keys, state))
}

/// The current materializations of a batch of assets, packed one text per
/// asset ([`read_packed`]): `(asset, packed materializations)` and the
/// packed inputs.
struct Packed {
    heads: Vec<(String, String)>,
    inputs: Vec<String>,
}

/// The current materializations of `assets` (with their inputs), read as
/// one packed text per asset: the database concatenates each asset's rows
/// (SQLite's `group_concat`, PostgreSQL's `string_agg`), fields separated
/// by ASCII unit separators and rows by record separators, so a few
/// thousand rows cross the driver as one value instead of one row each
/// (the driver's per-row cost was three quarters of loading the whole
/// state). [`decode_packed`] turns them into records.
async fn read_packed(db: &impl ConnectionTrait, assets: &[&str]) -> Result<Packed, StoreError> {
    let backend = db.get_database_backend();
    let postgres = backend == sea_orm::DbBackend::Postgres;
    let (concat, separator) = if postgres { ("string_agg", "chr") } else { ("group_concat", "char") };
    let unit = format!("{separator}(31)");
    let (id, run, at) = if postgres {
        ("m.id::text", "m.run_id::text", "(extract(epoch from m.materialized_at) * 1000000)::bigint::text")
    } else {
        ("m.id", "m.run_id", "m.materialized_at")
    };
    let list = placeholders(1, assets.len());
    let heads_sql = format!(
        "SELECT m.asset_key AS asset_key, {concat}({id} || {unit} || {run} || {unit} || coalesce(m.partition_key, '') \
         || {unit} || m.code_version || {unit} || m.data_version || {unit} || {at} || {unit} || m.path, \
         {separator}(30)) AS packed \
         FROM asset_partitions p JOIN materializations m ON m.id = p.materialization_id \
         WHERE p.asset_key IN ({list}) GROUP BY m.asset_key"
    );
    let input_id = if postgres { "i.materialization_id::text" } else { "i.materialization_id" };
    let inputs_sql = format!(
        "SELECT {concat}({input_id} || {unit} || i.asset_key || {unit} || coalesce(i.partition_key, '') || {unit} \
         || i.data_version, {separator}(30)) AS packed \
         FROM asset_partitions p JOIN materialization_inputs i ON i.materialization_id = p.materialization_id \
         WHERE p.asset_key IN ({list}) GROUP BY p.asset_key"
    );
    let values = || assets.iter().map(|asset| Value::from(*asset)).collect::<Vec<_>>();
    let action = || "read the current materializations".to_owned();
    let mut packed = Packed { heads: Vec::new(), inputs: Vec::new() };
    for row in db.query_all_raw(statement(backend, &heads_sql, values())).await.during(action)? {
        packed.heads.push((row.try_get("", "asset_key").during(action)?, row.try_get("", "packed").during(action)?));
    }
    for row in db.query_all_raw(statement(backend, &inputs_sql, values())).await.during(action)? {
        packed.inputs.push(row.try_get("", "packed").during(action)?);
    }
    Ok(packed)
}

/// An asset partition's current materialization.
type CurrentRecord = (AssetKey, Option<PartitionKey>, MaterializationRecord);

/// The records of [`read_packed`]'s texts (timestamps as PostgreSQL's
/// microseconds when `postgres`, else SQLite's RFC 3339 text). `None` when
/// a packed value does not split into the expected fields (a stored text
/// holding a separator): then the caller reads those assets row by row
/// ([`materialization_records`]).
fn decode_packed(packed: Packed, postgres: bool, keys: &mut Keys) -> Result<Option<Vec<CurrentRecord>>, StoreError> {
    let mut records: HashMap<i64, CurrentRecord> = HashMap::new();
    for (asset_text, packed) in packed.heads {
        records.reserve(packed.len() / 64);
        for record in packed.split(RECORD_SEPARATOR) {
            let mut fields = record.split(UNIT_SEPARATOR);
            let (Some(id), Some(run), Some(partition), Some(code), Some(data), Some(at), Some(path), None) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            ) else {
                return Ok(None);
            };
            let (Ok(id), Ok(run_id)) = (id.parse::<i64>(), run.parse::<i64>()) else { return Ok(None) };
            let materialized_at = if postgres {
                at.parse::<i64>().ok().and_then(DateTime::from_timestamp_micros)
            } else {
                DateTime::parse_from_rfc3339(at).ok().map(|at| at.with_timezone(&Utc))
            };
            let Some(materialized_at) = materialized_at else { return Ok(None) };
            let what = || format!("materialization {id}");
            // Validated once per asset (`Keys` remembers), named by the
            // first record that holds it.
            let asset = keys.asset(&asset_text, what)?;
            let partition = keys.partition((!partition.is_empty()).then_some(partition), what)?;
            let record = MaterializationRecord {
                id,
                run_id,
                code_version: keys.code_version(code),
                data_version: keys.data_version(data),
                inputs: Vec::new(),
                materialized_at,
                path: path.to_owned(),
            };
            records.insert(id, (asset, partition, record));
        }
    }
    for packed in packed.inputs {
        for input in packed.split(RECORD_SEPARATOR) {
            let mut fields = input.split(UNIT_SEPARATOR);
            let (Some(id), Some(asset), Some(partition), Some(data), None) =
                (fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Ok(None);
            };
            let Ok(id) = id.parse::<i64>() else { return Ok(None) };
            // Always found: both queries read the same snapshot.
            let Some((_, _, record)) = records.get_mut(&id) else { continue };
            let what = || format!("input of materialization {id}");
            record.inputs.push(keys.input(asset, (!partition.is_empty()).then_some(partition), data, what)?);
        }
    }
    Ok(Some(records.into_values().collect()))
}

/// See [`MetadataStore::latest_observation`].
pub(crate) async fn latest_observation_in(
    db: &impl ConnectionTrait,
    asset: &AssetKey,
) -> Result<Option<ObservationRecord>, StoreError> {
    use observations::Column;
    let row = observations::Entity::find()
        .filter(Column::AssetKey.eq(asset.as_str()))
        .filter(Column::PartitionKey.is_null())
        .order_by_desc(Column::Id)
        .one(db)
        .await
        .during(|| format!("read the latest observation of `{asset}`"))?;
    Ok(row.map(|row| ObservationRecord {
        data_version: DataVersion::from_stored(&row.data_version),
        observed_at: row.observed_at,
    }))
}
