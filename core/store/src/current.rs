//! The current state of each asset partition, kept in `asset_partitions`
//! by the transaction that records a step's end, so that reading current
//! state costs one row per asset partition, however long the history.
//!
//! Each row says which materialization is current (the highest id of the
//! asset partition: ids grow with commits) and how the latest ended attempt
//! ended (the highest step id that ended `MATERIALIZED` or `FAILED`; steps
//! of concurrent runs may end out of id order, so an older step's end never
//! replaces a newer one's). Steps running now are read from `run_steps`
//! (`status = 'RUNNING'`, indexed), not kept here.
//!
//! `current_check_results` keeps the latest result (highest id) of each
//! check on each asset partition, updated when a step's check results are
//! recorded.

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Value};

use crate::entities::asset_partitions;
use crate::records::{Lease, RunId};
use crate::sql::statement;
use cairn_core::state::AssetPartition;

/// The stored partition key: `''` for an unpartitioned asset.
pub(crate) fn stored_partition(target: &AssetPartition) -> &str {
    target.partition.as_ref().map_or("", |partition| partition.as_str())
}

/// `SELECT materialization_id FROM asset_partitions WHERE materialization_id
/// IS NOT NULL`: the current materialization of every asset partition.
pub(crate) fn current_materialization_ids() -> SelectStatement {
    use asset_partitions::Column;
    asset_partitions::Entity::find()
        .select_only()
        .column(Column::MaterializationId)
        .filter(Column::MaterializationId.is_not_null())
        .into_query()
}

/// [`current_materialization_ids`] of the assets named in `assets` only.
pub(crate) fn current_materialization_ids_of(assets: &[&str]) -> SelectStatement {
    use asset_partitions::Column;
    asset_partitions::Entity::find()
        .select_only()
        .column(Column::MaterializationId)
        .filter(Column::MaterializationId.is_not_null())
        .filter(Column::AssetKey.is_in(assets.iter().copied()))
        .into_query()
}

/// `SELECT check_result_id FROM current_check_results [WHERE asset_key =
/// asset]`: the latest result of every check on every asset partition (of
/// one asset).
pub(crate) fn current_check_result_ids(asset: Option<&cairn_core::AssetKey>) -> SelectStatement {
    use crate::entities::current_check_results::Column;
    let mut query = crate::entities::current_check_results::Entity::find().select_only().column(Column::CheckResultId);
    if let Some(asset) = asset {
        query = query.filter(Column::AssetKey.eq(asset.as_str()));
    }
    query.into_query()
}

/// Makes the check results `ids` (just inserted, in the same order as
/// `names`) the latest of their check on `target`.
pub(crate) async fn record_check_results(
    txn: &impl ConnectionTrait,
    target: &AssetPartition,
    results: &[(i64, &str)],
) -> Result<(), DbErr> {
    if results.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Value> = Vec::with_capacity(results.len() * 4);
    let mut rows = Vec::with_capacity(results.len());
    for (i, (id, name)) in results.iter().enumerate() {
        let n = i * 4;
        rows.push(format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4));
        values.extend([target.asset.as_str().into(), stored_partition(target).into(), (*name).into(), (*id).into()]);
    }
    let sql = format!(
        "INSERT INTO current_check_results (asset_key, partition_key, check_name, check_result_id) VALUES {} \
         ON CONFLICT (asset_key, partition_key, check_name) DO UPDATE SET check_result_id = excluded.check_result_id",
        rows.join(", ")
    );
    txn.execute_raw(statement(txn.get_database_backend(), &sql, values)).await?;
    Ok(())
}

/// How a step ended, as `asset_partitions` records it.
pub(crate) enum Ended {
    /// It recorded this materialization.
    Materialized(i64),
    /// It failed; the current materialization, if any, stays.
    Failed,
}

/// Records the end of the leased step of `target` in its current-state
/// row, inside the step-end transaction.
pub(crate) async fn record_end(
    txn: &impl ConnectionTrait,
    lease: &Lease,
    target: &AssetPartition,
    ended: Ended,
) -> Result<(), DbErr> {
    let (materialization, failed) = match ended {
        Ended::Materialized(id) => (Some(id), false),
        Ended::Failed => (None, true),
    };
    let newer = "asset_partitions.last_step_id IS NULL OR excluded.last_step_id > asset_partitions.last_step_id";
    let sql = format!(
        "INSERT INTO asset_partitions (asset_key, partition_key, materialization_id, last_step_id, last_step_failed) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (asset_key, partition_key) DO UPDATE SET \
           materialization_id = COALESCE(excluded.materialization_id, asset_partitions.materialization_id), \
           last_step_failed = CASE WHEN {newer} THEN excluded.last_step_failed ELSE asset_partitions.last_step_failed END, \
           last_step_id = CASE WHEN {newer} THEN excluded.last_step_id ELSE asset_partitions.last_step_id END"
    );
    let values: Vec<Value> = vec![
        target.asset.as_str().into(),
        stored_partition(target).into(),
        materialization.into(),
        lease.step.0.into(),
        failed.into(),
    ];
    txn.execute_raw(statement(txn.get_database_backend(), &sql, values)).await?;
    Ok(())
}

/// Makes the materializations of `run` current where they are the latest
/// of their asset partition: for materializations written straight into
/// the store, without steps (`crate::testing`).
#[cfg_attr(not(feature = "test-support"), allow(dead_code))]
pub(crate) async fn adopt_materializations_of(txn: &impl ConnectionTrait, run: RunId) -> Result<(), DbErr> {
    let sql = "INSERT INTO asset_partitions (asset_key, partition_key, materialization_id, last_step_id, last_step_failed) \
               SELECT asset_key, COALESCE(partition_key, ''), MAX(id), NULL, FALSE \
               FROM materializations WHERE run_id = $1 GROUP BY asset_key, partition_key \
               ON CONFLICT (asset_key, partition_key) DO UPDATE SET \
                 materialization_id = CASE WHEN asset_partitions.materialization_id IS NULL \
                   OR excluded.materialization_id > asset_partitions.materialization_id \
                   THEN excluded.materialization_id ELSE asset_partitions.materialization_id END";
    txn.execute_raw(statement(txn.get_database_backend(), sql, vec![run.0.into()])).await?;
    Ok(())
}

/// A current materialization whose data file is gone, to wipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostData {
    /// The asset partition.
    pub target: AssetPartition,
    /// Its current materialization (wiped only if it is still current).
    pub materialization_id: i64,
    /// The data file that is gone, relative to the data folder.
    pub path: String,
}

impl crate::MetadataStore {
    /// Wipes the current materialization of each asset partition in `lost`
    /// whose data file is gone, if it is still the current one: from now
    /// on the asset partition has no current materialization, so it counts
    /// as missing and is planned again (its history stays). Appends one
    /// `ASSET_WIPED` event (level `WARN`, naming the file) per partition
    /// wiped, in the same transaction, so every reader of current state
    /// learns of it. Answers the asset partitions wiped (not those a newer
    /// materialization already replaced).
    ///
    /// # Errors
    /// [`crate::StoreError::Query`] if a statement fails; then nothing is
    /// wiped.
    pub async fn wipe_lost_data(
        &self,
        lost: &[LostData],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<AssetPartition>, crate::StoreError> {
        use crate::rows::During;
        let action = || format!("wipe {} asset partition(s) whose data file is gone", lost.len());
        let txn = self.begin_write().await.during(action)?;
        let mut wiped = Vec::new();
        let mut events = Vec::new();
        for item in lost {
            let result = txn
                .execute_raw(statement(
                    txn.get_database_backend(),
                    "UPDATE asset_partitions SET materialization_id = NULL \
                     WHERE asset_key = $1 AND partition_key = $2 AND materialization_id = $3",
                    vec![
                        item.target.asset.as_str().into(),
                        stored_partition(&item.target).into(),
                        item.materialization_id.into(),
                    ],
                ))
                .await
                .during(action)?;
            if result.rows_affected() == 0 {
                continue;
            }
            wiped.push(item.target.clone());
            events.push(crate::NewEvent {
                kind: crate::EventKind::AssetWiped,
                run_id: None,
                step_id: None,
                asset: Some(item.target.asset.clone()),
                partition: item.target.partition.clone(),
                level: crate::EventLevel::Warn,
                message: format!(
                    "the data file `{}` of {} is gone: its materialization was wiped, so it is missing until \
                     materialized again",
                    item.path, item.target
                ),
                data: Some(serde_json::json!({ "materialization_id": item.materialization_id, "path": item.path })),
                at,
            });
        }
        crate::events::append_in(&txn, &events).await.during(action)?;
        txn.commit().await.during(action)?;
        Ok(wiped)
    }
}
