//! The event log: appending with gap-free sequence numbers in commit
//! order, and reading after a cursor (see the crate docs).

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::MetadataStore;
use crate::entities::event_log;
use crate::records::{EventFilter, NewEvent, RunId, StoreError, StoredEvent};
use crate::rows::{During, Keys, event_row, stored_event};
use crate::sql::statement;

/// Events inserted per statement (10 parameters each).
const EVENT_BATCH: usize = 500;

/// Appends `events` inside `txn`, taking their sequence numbers from the
/// counter row. Call it last in a transaction: the counter row stays
/// locked until the transaction ends, which is what keeps sequence numbers
/// in commit order.
pub(crate) async fn append_in(txn: &DatabaseTransaction, events: &[NewEvent]) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let row = txn
        .query_one_raw(statement(
            txn.get_database_backend(),
            "UPDATE event_sequence SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq",
            vec![count.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the event sequence counter is missing".into()))?;
    let last: i64 = row.try_get("", "last_seq")?;
    let first = last - count + 1;
    let mut seq = first;
    for batch in events.chunks(EVENT_BATCH) {
        let rows: Vec<event_log::ActiveModel> = batch
            .iter()
            .map(|event| {
                let row = event_row(seq, event);
                seq += 1;
                row
            })
            .collect();
        event_log::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(())
}

impl MetadataStore {
    /// Appends events in a transaction of their own.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the insert fails; then nothing is appended.
    pub async fn append_events(&self, events: &[NewEvent]) -> Result<(), StoreError> {
        let action = || format!("append {} event(s) to the event log", events.len());
        let txn = self.begin_write().await.during(action)?;
        append_in(&txn, events).await.during(action)?;
        txn.commit().await.during(action)
    }

    /// Up to `limit` events with a sequence number above `cursor` that
    /// match `filter`, in sequence order. Start with cursor 0 (the oldest
    /// event kept); continue with the last `seq` returned.
    ///
    /// # Errors
    /// [`StoreError::CursorPruned`] if `cursor` is above 0 and below the
    /// events `cairn gc` pruned (checked after reading, so a prune that
    /// races with the read is caught too); [`StoreError::Query`] if the
    /// query fails, [`StoreError::Corrupt`] if a row cannot be read back.
    pub async fn events_after(
        &self,
        cursor: i64,
        filter: &EventFilter,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let events = self.query_events(cursor, filter, Some(limit)).await?;
        self.check_cursor(cursor).await?;
        Ok(events)
    }

    async fn query_events(
        &self,
        cursor: i64,
        filter: &EventFilter,
        limit: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        use event_log::Column;
        let mut query = event_log::Entity::find().filter(Column::Seq.gt(cursor));
        if let Some(run) = filter.run {
            query = query.filter(Column::RunId.eq(run.0));
        }
        if let Some(assets) = &filter.assets {
            query = query.filter(Column::AssetKey.is_in(assets.iter().map(|a| a.as_str().to_owned())));
        }
        if let Some(kinds) = &filter.kinds {
            query = query.filter(Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
        }
        let rows = query
            .order_by_asc(Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await
            .during(|| format!("read the event log after {cursor}"))?;
        let mut keys = Keys::default();
        rows.into_iter().map(|row| stored_event(row, &mut keys)).collect()
    }

    /// Every event of one run, in order.
    ///
    /// # Errors
    /// As [`Self::events_after`].
    pub async fn run_events(&self, run: RunId) -> Result<Vec<StoredEvent>, StoreError> {
        self.query_events(0, &EventFilter { run: Some(run), ..EventFilter::default() }, None).await
    }

    /// The sequence number of the latest event (0 when there is none): a
    /// reader that only wants what happens from now on starts there.
    ///
    /// # Errors
    /// [`StoreError::Query`] if the query fails.
    pub async fn last_event_seq(&self) -> Result<i64, StoreError> {
        let row = self
            .db
            .query_one_raw(statement(self.backend(), "SELECT last_seq FROM event_sequence WHERE id = 1", vec![]))
            .await
            .during(|| "read the event sequence".to_owned())?;
        match row {
            Some(row) => row.try_get("", "last_seq").during(|| "read the event sequence".to_owned()),
            None => Ok(0),
        }
    }
}
