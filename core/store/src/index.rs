//! [`StateIndex`]: the current state of every asset partition, loaded once
//! from the store's current-state tables and then advanced from the event
//! log, at a cost that follows what changed (Dagster's asset status cache,
//! advanced from a storage cursor).
//!
//! Advancing reads the events after the index's cursor, collects the asset
//! partitions they name (materializations, failed steps, check
//! evaluations) and the sources observed, and reads those again from the
//! current-state tables (`asset_partitions`, `current_check_results`, see
//! `crate::current`), in one snapshot. The steps running now are read again
//! in full (an indexed read of the `RUNNING` steps, however long the
//! history): a lease taken back changes them without an event naming the
//! asset partition. Reading current rows rather than replaying events makes
//! advancing idempotent, so the cursor can be read before the state it
//! covers: an event applied twice changes nothing.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use cairn_core::AssetKey;
use cairn_core::state::{AssetPartition, StoredState};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Value};

use crate::MetadataStore;
use crate::current::stored_partition;
use crate::entities::{asset_partitions, check_results, current_check_results};
use crate::records::{CheckResult, EventFilter, EventKind, StoreError};
use crate::rows::{During, Keys, check_result};
use crate::sql::statement;
use crate::state::{latest_observation_in, materialization_records};

/// Events read per query while advancing.
const EVENT_BATCH: u64 = 10_000;
/// Partition keys per `IN (...)` list.
const KEY_BATCH: usize = 1_000;

/// The current state of every asset partition, as of the event log's
/// sequence number [`StateIndex::cursor`]. Built by
/// [`MetadataStore::load_index`], advanced by
/// [`MetadataStore::advance_index`].
#[derive(Debug, Clone, Default)]
pub struct StateIndex {
    cursor: i64,
    state: StoredState,
    /// Latest ended attempt failed, as stored (running or not).
    last_failed: HashSet<AssetPartition>,
    running: HashSet<AssetPartition>,
    /// `last_failed` minus `running`.
    failed: HashSet<AssetPartition>,
    checks: BTreeMap<AssetPartition, BTreeMap<String, CheckResult>>,
}

/// What one [`MetadataStore::advance_index`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexChanges {
    /// Asset partitions read again (materialized, failed or checked since
    /// the previous cursor), sorted.
    pub targets: BTreeSet<AssetPartition>,
    /// Sources observed since the previous cursor.
    pub observed: BTreeSet<AssetKey>,
    /// Whether the set of running asset partitions changed.
    pub running_changed: bool,
    /// The asset partitions that started or stopped running, or whose
    /// latest attempt started or stopped counting as failed.
    pub attempts: BTreeSet<AssetPartition>,
    /// The index was loaded again from current state (the events after its
    /// cursor were pruned): anything may have changed, `targets` and
    /// `observed` are empty.
    pub reloaded: bool,
}

impl IndexChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.observed.is_empty() && !self.running_changed && !self.reloaded
    }

    /// Every asset partition whose current state changed: [`Self::targets`]
    /// and [`Self::attempts`] (not the sources observed, see
    /// [`Self::observed`]). Meaningless when [`Self::reloaded`].
    pub fn partitions(&self) -> BTreeSet<AssetPartition> {
        self.targets.iter().chain(&self.attempts).cloned().collect()
    }
}

impl StateIndex {
    /// The event log's sequence number the index reflects: every event up
    /// to it is applied.
    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// The current materialization of every asset partition (with the
    /// inputs it read) and the latest observation of every source.
    pub fn state(&self) -> &StoredState {
        &self.state
    }

    /// The asset partitions whose latest ended attempt failed and that no
    /// step is materializing now.
    pub fn failed(&self) -> &HashSet<AssetPartition> {
        &self.failed
    }

    /// The asset partitions a step is materializing now.
    pub fn running(&self) -> &HashSet<AssetPartition> {
        &self.running
    }

    /// The latest result of every check on every asset partition, sorted
    /// by asset, partition (unpartitioned first) and check name, as
    /// [`MetadataStore::latest_check_results`].
    pub fn check_results(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.values().flat_map(|by_name| by_name.values())
    }

    /// [`Self::check_results`] of one asset: a range of the index, not a
    /// scan of every check result.
    pub fn check_results_of<'a>(&'a self, asset: &'a AssetKey) -> impl Iterator<Item = &'a CheckResult> + 'a {
        self.checks
            .range(AssetPartition::new(asset.clone(), None)..)
            .take_while(move |(target, _)| &target.asset == asset)
            .flat_map(|(_, by_name)| by_name.values())
    }

    fn set_checks(&mut self, results: Vec<CheckResult>) {
        for result in results {
            let target = AssetPartition::new(result.asset.clone(), result.partition.clone());
            self.checks.entry(target).or_default().insert(result.check_name.clone(), result);
        }
    }

    /// Replaces the running asset partitions; says whether they changed.
    fn set_running(&mut self, running: HashSet<AssetPartition>) -> bool {
        let changed = running != self.running;
        self.running = running;
        self.failed = self.last_failed.iter().filter(|target| !self.running.contains(*target)).cloned().collect();
        changed
    }
}

impl MetadataStore {
    /// Loads the index from the current-state tables: one row per asset
    /// partition, never the history. Its cursor is the event log's head
    /// read first, so no later change is missed.
    ///
    /// # Errors
    /// [`StoreError::Query`] if a query fails, [`StoreError::Corrupt`] if a
    /// row cannot be read back.
    pub async fn load_index(&self) -> Result<StateIndex, StoreError> {
        let cursor = self.last_event_seq().await?;
        let state = self.load_state().await?;
        let last_failed = failed_targets_in(&self.db, None).await?;
        let running = running_targets_in(&self.db).await?;
        let mut index = StateIndex { cursor, state, last_failed, ..StateIndex::default() };
        index.set_running(running);
        index.set_checks(self.latest_check_results().await?);
        Ok(index)
    }

    /// Applies the events after `index`'s cursor: reads again the asset
    /// partitions and sources they name (see the module docs) and moves
    /// the cursor to the last event read. If `cairn gc` pruned events after
    /// the cursor, the index is loaded again from current state instead
    /// ([`IndexChanges::reloaded`]).
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`]; then the index is
    /// unchanged (its cursor too), and the next call tries again.
    pub async fn advance_index(&self, index: &mut StateIndex) -> Result<IndexChanges, StoreError> {
        let filter = EventFilter {
            kinds: Some(vec![
                EventKind::AssetMaterialization,
                EventKind::StepFailure,
                EventKind::AssetCheckEvaluation,
                EventKind::AssetObservation,
                EventKind::AssetWiped,
            ]),
            ..EventFilter::default()
        };
        let head = self.last_event_seq().await?;
        let mut cursor = index.cursor;
        let mut changes = IndexChanges::default();
        // Check results are read again only where a check was evaluated.
        let mut checked: BTreeSet<AssetPartition> = BTreeSet::new();
        loop {
            let events = match self.events_after(cursor, &filter, EVENT_BATCH).await {
                Ok(events) => events,
                // `cairn gc` pruned events the index never read: what they
                // changed is only in current state, so read it again whole.
                Err(StoreError::CursorPruned { .. }) => {
                    *index = self.load_index().await?;
                    return Ok(IndexChanges { reloaded: true, ..IndexChanges::default() });
                }
                Err(error) => return Err(error),
            };
            for event in &events {
                let Some(asset) = &event.asset else { continue };
                if event.kind == EventKind::AssetObservation {
                    changes.observed.insert(asset.clone());
                } else {
                    let target = AssetPartition::new(asset.clone(), event.partition.clone());
                    if event.kind == EventKind::AssetCheckEvaluation {
                        checked.insert(target.clone());
                    }
                    changes.targets.insert(target);
                }
            }
            match events.last() {
                Some(last) if events.len() as u64 == EVENT_BATCH => cursor = last.seq,
                Some(last) => {
                    cursor = last.seq;
                    break;
                }
                None => break,
            }
        }
        let cursor = cursor.max(head);

        let txn = self.begin_snapshot().await.during(|| "advance the state index: begin".to_owned())?;
        let mut keys = Keys::default();
        let mut by_asset: BTreeMap<&AssetKey, Vec<&AssetPartition>> = BTreeMap::new();
        for target in &changes.targets {
            by_asset.entry(&target.asset).or_default().push(target);
        }
        let mut materialized = Vec::new();
        let mut checks = Vec::new();
        for (asset, targets) in &by_asset {
            for batch in targets.chunks(KEY_BATCH) {
                let partitions: Vec<&str> = batch.iter().map(|target| stored_partition(target)).collect();
                let ids = asset_partitions::Entity::find()
                    .select_only()
                    .column(asset_partitions::Column::MaterializationId)
                    .filter(asset_partitions::Column::AssetKey.eq(asset.as_str()))
                    .filter(asset_partitions::Column::PartitionKey.is_in(partitions.iter().copied()))
                    .filter(asset_partitions::Column::MaterializationId.is_not_null())
                    .into_query();
                materialized.extend(materialization_records(&txn, ids, &mut keys).await?);
                let checked_partitions: Vec<&str> = batch
                    .iter()
                    .filter(|target| checked.contains(**target))
                    .map(|target| stored_partition(target))
                    .collect();
                if checked_partitions.is_empty() {
                    continue;
                }
                let latest = current_check_results::Entity::find()
                    .select_only()
                    .column(current_check_results::Column::CheckResultId)
                    .filter(current_check_results::Column::AssetKey.eq(asset.as_str()))
                    .filter(current_check_results::Column::PartitionKey.is_in(checked_partitions.iter().copied()))
                    .into_query();
                let rows = check_results::Entity::find()
                    .filter(check_results::Column::Id.in_subquery(latest))
                    .all(&txn)
                    .await
                    .during(|| format!("advance the state index: read the checks of `{asset}`"))?;
                for row in rows {
                    checks.push(check_result(row, &mut keys)?);
                }
            }
        }
        let failed = failed_targets_in(&txn, Some(&changes.targets)).await?;
        let running = running_targets_in(&txn).await?;
        let mut observations = Vec::new();
        for asset in &changes.observed {
            observations.push((asset.clone(), latest_observation_in(&txn, asset).await?));
        }
        txn.commit().await.during(|| "advance the state index: end".to_owned())?;

        // Everything read: apply. A target read again without a current
        // materialization was wiped.
        for target in &changes.targets {
            index.state.remove_materialization(&target.asset, target.partition.as_ref());
        }
        for (asset, partition, record) in materialized {
            index.state.insert_materialization(asset, partition, record);
        }
        for (asset, observation) in observations {
            match observation {
                Some(observation) => index.state.insert_observation(asset, observation),
                None => index.state.remove_observation(&asset),
            }
        }
        index.set_checks(checks);
        // Failed as stored: read again for the targets named, unchanged
        // for the rest.
        index.last_failed.retain(|target| !changes.targets.contains(target));
        index.last_failed.extend(failed);
        let (running_before, failed_before) = (index.running.clone(), index.failed.clone());
        changes.running_changed = index.set_running(running);
        for moved in
            running_before.symmetric_difference(&index.running).chain(failed_before.symmetric_difference(&index.failed))
        {
            changes.attempts.insert(moved.clone());
        }
        index.cursor = cursor;
        Ok(changes)
    }
}

/// The asset partitions whose latest ended attempt failed (of `targets`
/// only, when given), whether or not they run now.
pub(crate) async fn failed_targets_in(
    db: &impl ConnectionTrait,
    targets: Option<&BTreeSet<AssetPartition>>,
) -> Result<HashSet<AssetPartition>, StoreError> {
    use asset_partitions::Column;
    let action = || "read the asset partitions whose latest attempt failed".to_owned();
    let mut queries = Vec::new();
    match targets {
        None => queries.push(asset_partitions::Entity::find().filter(Column::LastStepFailed.eq(true))),
        Some(targets) => {
            let mut by_asset: BTreeMap<&AssetKey, Vec<&str>> = BTreeMap::new();
            for target in targets {
                by_asset.entry(&target.asset).or_default().push(stored_partition(target));
            }
            for (asset, partitions) in by_asset {
                for batch in partitions.chunks(KEY_BATCH) {
                    queries.push(
                        asset_partitions::Entity::find()
                            .filter(Column::LastStepFailed.eq(true))
                            .filter(Column::AssetKey.eq(asset.as_str()))
                            .filter(Column::PartitionKey.is_in(batch.iter().copied())),
                    );
                }
            }
        }
    }
    let mut keys = Keys::default();
    let mut failed = HashSet::new();
    for query in queries {
        for row in query.all(db).await.during(action)? {
            let partition = (!row.partition_key.is_empty()).then_some(row.partition_key.as_str());
            failed.insert(AssetPartition::new(keys.asset(&row.asset_key, action)?, keys.partition(partition, action)?));
        }
    }
    Ok(failed)
}

/// The asset partitions a step is materializing now.
pub(crate) async fn running_targets_in(db: &impl ConnectionTrait) -> Result<HashSet<AssetPartition>, StoreError> {
    let action = || "read the running steps' asset partitions".to_owned();
    let rows = db
        .query_all_raw(statement(
            db.get_database_backend(),
            "SELECT DISTINCT asset_key, partition_key FROM run_steps WHERE status = 'RUNNING'",
            Vec::<Value>::new(),
        ))
        .await
        .during(action)?;
    let mut keys = Keys::default();
    let mut running = HashSet::with_capacity(rows.len());
    for row in rows {
        let asset: String = row.try_get("", "asset_key").during(action)?;
        let partition: Option<String> = row.try_get("", "partition_key").during(action)?;
        running.insert(AssetPartition::new(keys.asset(&asset, action)?, keys.partition(partition.as_deref(), action)?));
    }
    Ok(running)
}
