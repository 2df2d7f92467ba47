//! The asset status cache: one row per asset with its status as `cairn
//! status` shows it, the event log's sequence number the row is valid as
//! of, and a fingerprint of the definitions it was computed from
//! (Dagster's `AssetStatusCacheValue`, advanced from a storage cursor).
//!
//! The store keeps the rows and answers which assets an event touched
//! after a sequence number ([`MetadataStore::assets_changed_since`]); the
//! engine decides what the value holds and when a row is stale. Writes are
//! compare-and-set on the row's sequence number
//! ([`StatusCacheWrite::expected_seq`]): of two processes refreshing the
//! same row at once, the second one's write is skipped, never mixed in.

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::AssetKey;
use sea_orm::{ConnectionTrait, Value};

use crate::MetadataStore;
use crate::records::{EventKind, StoreError};
use crate::rows::{During, Keys};
use crate::sql::{placeholders, statement};

/// Assets per `IN (...)` list.
const ASSET_BATCH: usize = 500;

/// One asset's row of the status cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCacheEntry {
    /// The asset.
    pub asset: AssetKey,
    /// The event log's sequence number the value is valid as of: no event
    /// after it touched the asset or its upstream assets, as far as the
    /// writer checked.
    pub seq: i64,
    /// What the writer computed the value from (opaque to the store).
    pub fingerprint: String,
    /// The value (opaque to the store: the engine's JSON).
    pub value: String,
}

/// One write to the status cache ([`MetadataStore::write_status_cache`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCacheWrite {
    /// The asset.
    pub asset: AssetKey,
    /// The row's sequence number as the writer read it, `None` if it read
    /// no row: the write is skipped when the row changed since.
    pub expected_seq: Option<i64>,
    /// The new sequence number.
    pub seq: i64,
    /// The new fingerprint and value; `None` keeps both (the row was
    /// checked valid up to `seq`, only its sequence number moves).
    pub value: Option<(String, String)>,
}

/// The event kinds that change what `cairn status` shows of an asset.
const STATUS_EVENT_KINDS: [EventKind; 4] = [
    EventKind::AssetMaterialization,
    EventKind::AssetWiped,
    EventKind::AssetCheckEvaluation,
    EventKind::AssetObservation,
];

impl MetadataStore {
    /// The status cache's rows of `assets` (every row when `None`), in
    /// asset order.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails, [`StoreError::Corrupt`] if
    /// a stored key cannot be read back.
    pub async fn status_cache(&self, assets: Option<&BTreeSet<AssetKey>>) -> Result<Vec<StatusCacheEntry>, StoreError> {
        let action = || "read the asset status cache".to_owned();
        let backend = self.backend();
        let select = "SELECT asset_key, seq, fingerprint, value FROM asset_status_cache";
        let mut statements = Vec::new();
        match assets {
            None => statements.push(statement(backend, &format!("{select} ORDER BY asset_key"), Vec::new())),
            Some(assets) => {
                let names: Vec<&AssetKey> = assets.iter().collect();
                for batch in names.chunks(ASSET_BATCH) {
                    let values: Vec<Value> = batch.iter().map(|asset| asset.as_str().into()).collect();
                    let sql =
                        format!("{select} WHERE asset_key IN ({}) ORDER BY asset_key", placeholders(1, batch.len()));
                    statements.push(statement(backend, &sql, values));
                }
            }
        }
        let mut keys = Keys::default();
        let mut entries = Vec::new();
        for statement in statements {
            for row in self.db.query_all_raw(statement).await.during(action)? {
                let asset: String = row.try_get("", "asset_key").during(action)?;
                let asset = keys.asset(&asset, || "the asset status cache".to_owned())?;
                entries.push(StatusCacheEntry {
                    asset,
                    seq: row.try_get("", "seq").during(action)?,
                    fingerprint: row.try_get("", "fingerprint").during(action)?,
                    value: row.try_get("", "value").during(action)?,
                });
            }
        }
        Ok(entries)
    }

    /// Each asset that an event after `cursor` materialized, wiped,
    /// checked or observed, with the sequence number of the latest such
    /// event. An indexed range read of the event log after `cursor`.
    ///
    /// # Errors
    /// [`StoreError::CursorPruned`] if `cairn gc` pruned events after
    /// `cursor` (what they touched is unknown: treat every asset as
    /// changed); [`StoreError::Query`] or [`StoreError::Corrupt`].
    pub async fn assets_changed_since(&self, cursor: i64) -> Result<BTreeMap<AssetKey, i64>, StoreError> {
        let action = || format!("read the assets changed after event {cursor}");
        let kinds: Vec<Value> = STATUS_EVENT_KINDS.iter().map(|kind| kind.as_str().into()).collect();
        let sql = format!(
            "SELECT asset_key, MAX(seq) AS seq FROM event_log \
             WHERE seq > $1 AND asset_key IS NOT NULL AND kind IN ({}) GROUP BY asset_key",
            placeholders(2, kinds.len())
        );
        let mut values: Vec<Value> = vec![cursor.into()];
        values.extend(kinds);
        let rows = self.db.query_all_raw(statement(self.backend(), &sql, values)).await.during(action)?;
        let mut keys = Keys::default();
        let mut changed = BTreeMap::new();
        for row in rows {
            let asset: String = row.try_get("", "asset_key").during(action)?;
            let seq: i64 = row.try_get("", "seq").during(action)?;
            let asset = keys.asset(&asset, || "the event log".to_owned())?;
            changed.insert(asset, seq);
        }
        // Checked after reading, so a prune racing with the read is caught.
        self.check_cursor(cursor).await?;
        Ok(changed)
    }

    /// Applies `writes` in one transaction, each one only if its row is
    /// still as the writer read it ([`StatusCacheWrite::expected_seq`]).
    /// Answers how many were applied; the others were refreshed by another
    /// process meanwhile, and its rows are as good.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a statement fails; then nothing is written.
    pub async fn write_status_cache(&self, writes: &[StatusCacheWrite]) -> Result<usize, StoreError> {
        let action = || format!("write {} row(s) of the asset status cache", writes.len());
        let backend = self.backend();
        let txn = self.begin_write().await.during(action)?;
        let mut applied = 0;
        // Rows only moved forward: one statement per batch of assets read
        // at the same sequence number.
        let mut moves: BTreeMap<(i64, i64), Vec<&AssetKey>> = BTreeMap::new();
        for write in writes {
            let result = match (&write.value, write.expected_seq) {
                (None, Some(expected)) => {
                    moves.entry((expected, write.seq)).or_default().push(&write.asset);
                    continue;
                }
                (None, None) => continue,
                (Some((fingerprint, value)), Some(expected)) => {
                    txn.execute_raw(statement(
                        backend,
                        "UPDATE asset_status_cache SET seq = $1, fingerprint = $2, value = $3 \
                         WHERE asset_key = $4 AND seq = $5",
                        vec![
                            write.seq.into(),
                            fingerprint.as_str().into(),
                            value.as_str().into(),
                            write.asset.as_str().into(),
                            expected.into(),
                        ],
                    ))
                    .await
                }
                (Some((fingerprint, value)), None) => {
                    txn.execute_raw(statement(
                        backend,
                        "INSERT INTO asset_status_cache (asset_key, seq, fingerprint, value) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (asset_key) DO NOTHING",
                        vec![
                            write.asset.as_str().into(),
                            write.seq.into(),
                            fingerprint.as_str().into(),
                            value.as_str().into(),
                        ],
                    ))
                    .await
                }
            };
            applied += usize::try_from(result.during(action)?.rows_affected()).unwrap_or(0);
        }
        for ((expected, seq), assets) in moves {
            for batch in assets.chunks(ASSET_BATCH) {
                let mut values: Vec<Value> = vec![seq.into(), expected.into()];
                values.extend(batch.iter().map(|asset| Value::from(asset.as_str())));
                let sql = format!(
                    "UPDATE asset_status_cache SET seq = $1 WHERE seq = $2 AND asset_key IN ({})",
                    placeholders(3, batch.len())
                );
                let result = txn.execute_raw(statement(backend, &sql, values)).await.during(action)?;
                applied += usize::try_from(result.rows_affected()).unwrap_or(0);
            }
        }
        txn.commit().await.during(action)?;
        Ok(applied)
    }
}
