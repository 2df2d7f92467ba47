//! Following the event log: what progress bars, `cairn logs --follow`
//! and (later) subscriptions read, whichever process did the work.

use std::time::Duration;

use cairn_store::{EventFilter, MetadataStore, StoreError, StoredEvent};

/// Events read per query.
const BATCH: u64 = 500;

/// A reader of the event log that remembers where it is.
#[derive(Debug, Clone)]
pub struct EventFollower {
    store: MetadataStore,
    filter: EventFilter,
    cursor: i64,
}

impl EventFollower {
    /// Follows the events matching `filter` after sequence number `cursor`
    /// (0: from the start).
    pub fn new(store: MetadataStore, filter: EventFilter, cursor: i64) -> Self {
        Self { store, filter, cursor }
    }

    /// The sequence number of the last event returned.
    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// The events appended since the last call (possibly none), in order.
    ///
    /// # Errors
    /// [`StoreError`] if the log cannot be read; the cursor does not move.
    pub async fn next_batch(&mut self) -> Result<Vec<StoredEvent>, StoreError> {
        let mut events = Vec::new();
        loop {
            let batch = self.store.events_after(self.cursor, &self.filter, BATCH).await?;
            let full = batch.len() as u64 == BATCH;
            if let Some(last) = batch.last() {
                self.cursor = last.seq;
            }
            events.extend(batch);
            if !full {
                return Ok(events);
            }
        }
    }

    /// Waits for at least one new event, polling every `interval`.
    ///
    /// # Errors
    /// As [`Self::next_batch`].
    pub async fn wait(&mut self, interval: Duration) -> Result<Vec<StoredEvent>, StoreError> {
        loop {
            let events = self.next_batch().await?;
            if !events.is_empty() {
                return Ok(events);
            }
            tokio::time::sleep(interval).await;
        }
    }
}
