//! [`StateIndex`]: the current state of every asset partition, loaded once
//! from the store's current-state tables and then advanced from the event
//! log, at a cost that follows what changed (Dagster's asset status cache,
//! advanced from a storage cursor).
//!
//! Advancing reads the events after the index's cursor, collects the asset
//! partitions they name (materializations, failed steps, check
//! evaluations, wipes) and the sources observed, and reads those again from
//! the current-state tables (`asset_partitions`, `current_check_results`,
//! see `crate::current`). Reading current rows rather than replaying the
//! events' payloads makes that part idempotent, so the cursor can be read
//! before the state it covers: an event applied twice changes nothing.
//!
//! The steps running now are kept by step id and changed by the events
//! themselves, in order: a `STEP_START` adds its step, the event of a
//! step's end removes it. Every change of a step to or from `RUNNING`
//! appends one of those events in its own transaction (a claim, a step's
//! end), except a take-back (a lease that expired, a step released), whose
//! `ENGINE_EVENT` makes the advance read the running steps again whole (an
//! indexed read of `status = 'RUNNING'`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use cairn_core::AssetKey;
use cairn_core::state::{AssetPartition, MaterializationRecord, StoredState};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Value};

use crate::MetadataStore;
use crate::current::stored_partition;
use crate::entities::{asset_partitions, check_results, current_check_results};
use crate::records::{CheckResult, EventKind, StoreError};
use crate::rows::{During, Keys, check_result, corrupt};
use crate::sql::{placeholders, statement};
use crate::state::latest_observation_in;

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
    /// The running steps (by step id) and what each materializes.
    running_steps: HashMap<i64, AssetPartition>,
    /// The values of `running_steps`.
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

    /// Replaces the running steps; says whether the asset partitions they
    /// materialize changed.
    fn set_running(&mut self, running_steps: HashMap<i64, AssetPartition>) -> bool {
        let running: HashSet<AssetPartition> = running_steps.values().cloned().collect();
        let changed = running != self.running;
        self.running_steps = running_steps;
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
        let last_failed = failed_targets_in(&self.db).await?;
        let running = running_steps_in(&self.db).await?;
        let mut index = StateIndex { cursor, state, last_failed, ..StateIndex::default() };
        index.set_running(running);
        index.set_checks(self.latest_check_results().await?);
        Ok(index)
    }

    /// Applies the events after `index`'s cursor (see the module docs) and
    /// moves the cursor to the event log's head as of that read. If `cairn
    /// gc` pruned events after the cursor, the index is loaded again from
    /// current state instead ([`IndexChanges::reloaded`]).
    ///
    /// A step's end costs two queries: the events (with the log's head and
    /// how far it was pruned, in one statement) and the current rows of the
    /// asset partitions they name.
    ///
    /// # Errors
    /// [`StoreError::Query`] or [`StoreError::Corrupt`]; then the index is
    /// unchanged (its cursor too), and the next call tries again.
    pub async fn advance_index(&self, index: &mut StateIndex) -> Result<IndexChanges, StoreError> {
        let mut cursor = index.cursor;
        let mut changes = IndexChanges::default();
        // Check results are read again only where a check was evaluated.
        let mut checked: BTreeSet<AssetPartition> = BTreeSet::new();
        // The running steps, changed as the events say, in order.
        let mut running_steps = index.running_steps.clone();
        let mut read_running_again = false;
        loop {
            let Some(page) = self.index_events_after(cursor).await? else { break };
            if cursor > 0 && cursor < page.pruned_through {
                // `cairn gc` pruned events the index never read: what they
                // changed is only in current state, so read it again whole.
                *index = self.load_index().await?;
                return Ok(IndexChanges { reloaded: true, ..IndexChanges::default() });
            }
            for event in &page.events {
                match (event.kind, &event.target) {
                    (EventKind::StepStart, Some(target)) => {
                        if let Some(step) = event.step {
                            running_steps.insert(step, target.clone());
                        }
                    }
                    // A step taken back or released: read the running
                    // steps again (rare).
                    (EventKind::EngineEvent, _) => read_running_again = true,
                    (EventKind::AssetObservation, Some(target)) => {
                        changes.observed.insert(target.asset.clone());
                    }
                    (kind, Some(target)) => {
                        if matches!(
                            kind,
                            EventKind::AssetMaterialization
                                | EventKind::StepFailure
                                | EventKind::StepCanceled
                                | EventKind::StepSkipped
                        ) && let Some(step) = event.step
                        {
                            running_steps.remove(&step);
                        }
                        if kind == EventKind::AssetCheckEvaluation {
                            checked.insert(target.clone());
                        }
                        if !matches!(kind, EventKind::StepCanceled | EventKind::StepSkipped) {
                            changes.targets.insert(target.clone());
                        }
                    }
                    (_, None) => {}
                }
            }
            let full = page.events.len() as u64 == EVENT_BATCH;
            cursor = page.events.last().map_or(cursor, |last| last.seq);
            if !full {
                cursor = cursor.max(page.head);
                break;
            }
        }

        // Read without a transaction: each read is current as of itself,
        // and whatever changed after the events read comes with a later
        // event, applied by the next advance.
        let mut by_asset: BTreeMap<&AssetKey, Vec<&AssetPartition>> = BTreeMap::new();
        for target in &changes.targets {
            by_asset.entry(&target.asset).or_default().push(target);
        }
        let mut keys = Keys::default();
        let mut current = Vec::new();
        let mut checks = Vec::new();
        for (asset, targets) in &by_asset {
            for batch in targets.chunks(KEY_BATCH) {
                current.extend(current_rows_in(&self.db, asset, batch, &mut keys).await?);
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
                    .all(&self.db)
                    .await
                    .during(|| format!("advance the state index: read the checks of `{asset}`"))?;
                for row in rows {
                    checks.push(check_result(row, &mut keys)?);
                }
            }
        }
        if read_running_again {
            running_steps = running_steps_in(&self.db).await?;
        }
        let mut observations = Vec::new();
        for asset in &changes.observed {
            observations.push((asset.clone(), latest_observation_in(&self.db, asset).await?));
        }

        // Everything read: apply. A target read again without a current
        // materialization was wiped.
        for target in &changes.targets {
            index.state.remove_materialization(&target.asset, target.partition.as_ref());
            // Failed as stored: read again for the targets named,
            // unchanged for the rest.
            index.last_failed.remove(target);
        }
        for row in current {
            if row.last_failed {
                index.last_failed.insert(row.target.clone());
            }
            if let Some(record) = row.materialization {
                index.state.insert_materialization(row.target.asset, row.target.partition, record);
            }
        }
        for (asset, observation) in observations {
            match observation {
                Some(observation) => index.state.insert_observation(asset, observation),
                None => index.state.remove_observation(&asset),
            }
        }
        index.set_checks(checks);
        let (running_before, failed_before) = (index.running.clone(), index.failed.clone());
        changes.running_changed = index.set_running(running_steps);
        for moved in
            running_before.symmetric_difference(&index.running).chain(failed_before.symmetric_difference(&index.failed))
        {
            changes.attempts.insert(moved.clone());
        }
        index.cursor = cursor;
        Ok(changes)
    }

    /// Up to [`EVENT_BATCH`] events after `cursor` of the kinds the index
    /// applies, with the log's head and `pruned_through`, all read in one
    /// statement (one snapshot). `None` when the event log has no head row
    /// yet (nothing was ever appended).
    async fn index_events_after(&self, cursor: i64) -> Result<Option<IndexEvents>, StoreError> {
        let action = || format!("advance the state index: read the event log after {cursor}");
        let kinds = INDEX_EVENT_KINDS.iter().map(|kind| format!("'{}'", kind.as_str())).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT s.last_seq AS head, s.pruned_through AS pruned_through, e.seq AS seq, e.kind AS kind, \
             e.step_id AS step_id, e.asset_key AS asset_key, e.partition_key AS partition_key \
             FROM event_sequence s LEFT JOIN (SELECT seq, kind, step_id, asset_key, partition_key FROM event_log \
             WHERE seq > $1 AND kind IN ({kinds}) ORDER BY seq LIMIT {EVENT_BATCH}) e ON 1 = 1 \
             WHERE s.id = 1 ORDER BY e.seq"
        );
        let rows = self.db.query_all_raw(statement(self.backend(), &sql, vec![cursor.into()])).await.during(action)?;
        let Some(first) = rows.first() else { return Ok(None) };
        let head: i64 = first.try_get("", "head").during(action)?;
        let pruned_through: i64 = first.try_get("", "pruned_through").during(action)?;
        let mut keys = Keys::default();
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(seq) = row.try_get::<Option<i64>>("", "seq").during(action)? else { continue };
            let what = || format!("event {seq}");
            let kind: String = row.try_get("", "kind").during(action)?;
            let kind = EventKind::parse(&kind).ok_or_else(|| corrupt(what(), format!("unknown kind `{kind}`")))?;
            let step: Option<i64> = row.try_get("", "step_id").during(action)?;
            let asset: Option<String> = row.try_get("", "asset_key").during(action)?;
            let partition: Option<String> = row.try_get("", "partition_key").during(action)?;
            let target = match asset {
                Some(asset) => {
                    Some(AssetPartition::new(keys.asset(&asset, what)?, keys.partition(partition.as_deref(), what)?))
                }
                None => None,
            };
            events.push(IndexEvent { seq, kind, step, target });
        }
        Ok(Some(IndexEvents { head, pruned_through, events }))
    }
}

/// The kinds of events [`MetadataStore::advance_index`] applies: what
/// changes a current materialization, a latest attempt, a check verdict,
/// an observation, or the running steps (claimed, ended, taken back).
const INDEX_EVENT_KINDS: [EventKind; 9] = [
    EventKind::StepStart,
    EventKind::AssetMaterialization,
    EventKind::StepFailure,
    EventKind::StepCanceled,
    EventKind::StepSkipped,
    EventKind::EngineEvent,
    EventKind::AssetCheckEvaluation,
    EventKind::AssetObservation,
    EventKind::AssetWiped,
];

/// What [`MetadataStore::index_events_after`] read.
struct IndexEvents {
    /// The event log's head in the same snapshot.
    head: i64,
    /// How far `cairn gc` pruned the log, in the same snapshot.
    pruned_through: i64,
    events: Vec<IndexEvent>,
}

/// The fields of one event the index needs.
struct IndexEvent {
    seq: i64,
    kind: EventKind,
    step: Option<i64>,
    target: Option<AssetPartition>,
}

/// One asset partition's row of `asset_partitions`, with its current
/// materialization (and the inputs it read), if any.
struct CurrentRow {
    target: AssetPartition,
    last_failed: bool,
    materialization: Option<MaterializationRecord>,
}

/// The current rows of `targets` (all of `asset`): one query joining
/// `asset_partitions`, `materializations` and `materialization_inputs`
/// (one row per input, inputs in their stored order).
async fn current_rows_in(
    db: &impl ConnectionTrait,
    asset: &AssetKey,
    targets: &[&AssetPartition],
    keys: &mut Keys,
) -> Result<Vec<CurrentRow>, StoreError> {
    let action = || format!("advance the state index: read the current state of `{asset}`");
    let sql = format!(
        "SELECT p.partition_key AS partition_key, p.last_step_failed AS last_step_failed, m.id AS id, \
         m.run_id AS run_id, m.code_version AS code_version, m.data_version AS data_version, \
         m.materialized_at AS materialized_at, m.path AS path, i.asset_key AS input_asset, \
         i.partition_key AS input_partition, i.data_version AS input_version \
         FROM asset_partitions p \
         LEFT JOIN materializations m ON m.id = p.materialization_id \
         LEFT JOIN materialization_inputs i ON i.materialization_id = m.id \
         WHERE p.asset_key = $1 AND p.partition_key IN ({}) \
         ORDER BY p.partition_key, i.position",
        placeholders(2, targets.len())
    );
    let mut values: Vec<Value> = vec![asset.as_str().into()];
    values.extend(targets.iter().map(|target| Value::from(stored_partition(target))));
    let rows = db.query_all_raw(statement(db.get_database_backend(), &sql, values)).await.during(action)?;
    let mut current: Vec<CurrentRow> = Vec::new();
    for row in rows {
        let partition: String = row.try_get("", "partition_key").during(action)?;
        let partition = (!partition.is_empty()).then_some(partition);
        let same = current.last().is_some_and(|last: &CurrentRow| {
            last.target.partition.as_ref().map(|p| p.as_str()) == partition.as_deref()
        });
        if !same {
            let what = || format!("asset partition {asset} {}", partition.as_deref().unwrap_or(""));
            let target = AssetPartition::new(asset.clone(), keys.partition(partition.as_deref(), what)?);
            let last_failed: bool = row.try_get("", "last_step_failed").during(action)?;
            let materialization = match row.try_get::<Option<i64>>("", "id").during(action)? {
                Some(id) => {
                    let code_version: String = row.try_get("", "code_version").during(action)?;
                    let data_version: String = row.try_get("", "data_version").during(action)?;
                    Some(MaterializationRecord {
                        id,
                        run_id: row.try_get("", "run_id").during(action)?,
                        code_version: keys.code_version(&code_version),
                        data_version: keys.data_version(&data_version),
                        inputs: Vec::new(),
                        materialized_at: row.try_get::<DateTime<Utc>>("", "materialized_at").during(action)?,
                        path: row.try_get("", "path").during(action)?,
                    })
                }
                None => None,
            };
            current.push(CurrentRow { target, last_failed, materialization });
        }
        let Some(input_asset) = row.try_get::<Option<String>>("", "input_asset").during(action)? else { continue };
        let input_partition: Option<String> = row.try_get("", "input_partition").during(action)?;
        let input_version: String = row.try_get("", "input_version").during(action)?;
        if let Some(record) = current.last_mut().and_then(|last| last.materialization.as_mut()) {
            let what = || format!("input of materialization {}", record.id);
            record.inputs.push(keys.input(&input_asset, input_partition.as_deref(), &input_version, what)?);
        }
    }
    Ok(current)
}

/// The asset partitions whose latest ended attempt failed, whether or not
/// they run now.
pub(crate) async fn failed_targets_in(db: &impl ConnectionTrait) -> Result<HashSet<AssetPartition>, StoreError> {
    use asset_partitions::Column;
    let action = || "read the asset partitions whose latest attempt failed".to_owned();
    let rows = asset_partitions::Entity::find().filter(Column::LastStepFailed.eq(true)).all(db).await.during(action)?;
    let mut keys = Keys::default();
    let mut failed = HashSet::with_capacity(rows.len());
    for row in rows {
        let partition = (!row.partition_key.is_empty()).then_some(row.partition_key.as_str());
        failed.insert(AssetPartition::new(keys.asset(&row.asset_key, action)?, keys.partition(partition, action)?));
    }
    Ok(failed)
}

/// The asset partitions a step is materializing now.
pub(crate) async fn running_targets_in(db: &impl ConnectionTrait) -> Result<HashSet<AssetPartition>, StoreError> {
    Ok(running_steps_in(db).await?.into_values().collect())
}

/// The steps running now (by step id) and the asset partition of each.
async fn running_steps_in(db: &impl ConnectionTrait) -> Result<HashMap<i64, AssetPartition>, StoreError> {
    let action = || "read the running steps' asset partitions".to_owned();
    let rows = db
        .query_all_raw(statement(
            db.get_database_backend(),
            "SELECT id, asset_key, partition_key FROM run_steps WHERE status = 'RUNNING'",
            Vec::<Value>::new(),
        ))
        .await
        .during(action)?;
    let mut keys = Keys::default();
    let mut running = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("", "id").during(action)?;
        let asset: String = row.try_get("", "asset_key").during(action)?;
        let partition: Option<String> = row.try_get("", "partition_key").during(action)?;
        running.insert(
            id,
            AssetPartition::new(keys.asset(&asset, action)?, keys.partition(partition.as_deref(), action)?),
        );
    }
    Ok(running)
}
