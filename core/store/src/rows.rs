//! Conversions between database rows and records, and small helpers of
//! the store's queries.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::DbErr;

use cairn_core::partitions::PartitionKey;
use cairn_core::state::InputVersion;
use cairn_core::{AssetKey, CodeVersion, DataVersion};

use super::entities::{check_results, event_log, materializations, run_steps, runs};
use super::records::{
    CheckResult, CheckSeverity, EventKind, EventLevel, MaterializationDetails, NewEvent, RunId, RunOrigin, RunRecord,
    RunStatus, StepId, StepRecord, StepStatus, StoreError, StoredEvent,
};

/// Adds what was being done to a driver error.
pub(super) trait During<T> {
    /// Maps the error to [`StoreError::Query`] with `action()`.
    fn during(self, action: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> During<T> for Result<T, DbErr> {
    fn during(self, action: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Query { action: action(), source })
    }
}

/// Timestamps are stored with microsecond precision (PostgreSQL's); cut
/// the nanoseconds on the way in so both backends give back the same value.
pub(super) fn stored_time(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

pub(super) fn partition_text(partition: Option<&PartitionKey>) -> Option<String> {
    partition.map(|partition| partition.as_str().to_owned())
}

pub(super) fn corrupt(what: String, detail: String) -> StoreError {
    StoreError::Corrupt { what, detail }
}

/// Validates keys read back from the database, once per distinct text:
/// the thousands of inputs naming the same upstream share one allocation,
/// and so do the inputs and the upstream materialization they read (one
/// data version, one allocation), and every materialization of one code
/// version.
#[derive(Default)]
pub(super) struct Keys {
    assets: HashMap<String, AssetKey>,
    partitions: HashMap<String, PartitionKey>,
    data_versions: HashSet<DataVersion, ahash::RandomState>,
    code_versions: HashSet<CodeVersion, ahash::RandomState>,
}

impl Keys {
    pub(super) fn asset(&mut self, text: &str, what: impl FnOnce() -> String) -> Result<AssetKey, StoreError> {
        if let Some(key) = self.assets.get(text) {
            return Ok(key.clone());
        }
        let key = AssetKey::new(text).map_err(|error| corrupt(what(), error.to_string()))?;
        self.assets.insert(text.to_owned(), key.clone());
        Ok(key)
    }

    pub(super) fn partition(
        &mut self,
        text: Option<&str>,
        what: impl FnOnce() -> String,
    ) -> Result<Option<PartitionKey>, StoreError> {
        let Some(text) = text else {
            return Ok(None);
        };
        if let Some(key) = self.partitions.get(text) {
            return Ok(Some(key.clone()));
        }
        let key = PartitionKey::new(text).map_err(|error| corrupt(what(), error.to_string()))?;
        self.partitions.insert(text.to_owned(), key.clone());
        Ok(Some(key))
    }

    /// Upstream data versions repeat across the inputs of many
    /// downstream materializations.
    pub(super) fn data_version(&mut self, text: &str) -> DataVersion {
        interned(&mut self.data_versions, text, DataVersion::from_stored)
    }

    /// Code versions repeat across every materialization of a definition.
    pub(super) fn code_version(&mut self, text: &str) -> CodeVersion {
        interned(&mut self.code_versions, text, CodeVersion::from_stored)
    }

    /// An input as stored (upstream asset, partition or `None`, data
    /// version read), validated and shared as above.
    pub(super) fn input(
        &mut self,
        asset: &str,
        partition: Option<&str>,
        data_version: &str,
        what: impl Fn() -> String,
    ) -> Result<InputVersion, StoreError> {
        Ok(InputVersion {
            asset: self.asset(asset, &what)?,
            partition: self.partition(partition, &what)?,
            data_version: self.data_version(data_version),
        })
    }
}

/// The value of `set` whose text is `text`, made by `make` and kept the
/// first time.
fn interned<T>(set: &mut HashSet<T, ahash::RandomState>, text: &str, make: impl FnOnce(&str) -> T) -> T
where
    T: Clone + Eq + std::hash::Hash + std::borrow::Borrow<str>,
{
    if let Some(value) = set.get(text) {
        return value.clone();
    }
    let value = make(text);
    set.insert(value.clone());
    value
}

/// Parses a JSON column.
pub(super) fn json<T: serde::de::DeserializeOwned>(text: &str, what: impl FnOnce() -> String) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| corrupt(what(), format!("invalid JSON: {error}")))
}

/// Serializes a value for a JSON column.
pub(super) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Only plain data is stored: maps with string keys, strings, numbers.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub(super) fn run_record(row: runs::Model) -> Result<RunRecord, StoreError> {
    let id = RunId(row.id);
    let what = || format!("run {id}");
    let status =
        RunStatus::parse(&row.status).ok_or_else(|| corrupt(what(), format!("unknown status `{}`", row.status)))?;
    let origin: RunOrigin = row.origin.parse().map_err(|detail| corrupt(what(), detail))?;
    Ok(RunRecord {
        id,
        status,
        project: row.project,
        origin,
        tags: json(&row.tags, what)?,
        selection: row.selection,
        partition_filter: row.partition_filter,
        target: row.target.as_deref().map(|text| json(text, what)).transpose()?,
        planned_steps: row.planned_steps,
        materialized_steps: row.materialized_steps,
        failed_steps: row.failed_steps,
        skipped_steps: row.skipped_steps,
        canceled_steps: row.canceled_steps,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    })
}

pub(super) fn step_record(row: run_steps::Model, keys: &mut Keys) -> Result<StepRecord, StoreError> {
    let what = || format!("step {} of run {}", StepId(row.id), RunId(row.run_id));
    let status =
        StepStatus::parse(&row.status).ok_or_else(|| corrupt(what(), format!("unknown status `{}`", row.status)))?;
    Ok(StepRecord {
        id: StepId(row.id),
        run_id: RunId(row.run_id),
        position: usize::try_from(row.position).map_err(|_| corrupt(what(), "negative position".into()))?,
        target: cairn_core::state::AssetPartition::new(
            keys.asset(&row.asset_key, what)?,
            keys.partition(row.partition_key.as_deref(), what)?,
        ),
        status,
        reasons: json(&row.reasons, what)?,
        conditional: row.conditional,
        waits_for: json(&row.waits_for, what)?,
        dependents: json(&row.dependents, what)?,
        attempt: u32::try_from(row.attempt).unwrap_or(0),
        owner: row.owner,
        lease_expires_at: row.lease_expires_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        skip_reason: row.skip_reason.as_deref().map(|text| json(text, what)).transpose()?,
        error: row.error,
        materialization_id: row.materialization_id,
    })
}

pub(super) fn stored_event(row: event_log::Model, keys: &mut Keys) -> Result<StoredEvent, StoreError> {
    let what = || format!("event {}", row.seq);
    let kind = EventKind::parse(&row.kind).ok_or_else(|| corrupt(what(), format!("unknown kind `{}`", row.kind)))?;
    let level =
        EventLevel::parse(&row.level).ok_or_else(|| corrupt(what(), format!("unknown level `{}`", row.level)))?;
    Ok(StoredEvent {
        seq: row.seq,
        kind,
        run_id: row.run_id.map(RunId),
        step_id: row.step_id.map(StepId),
        asset: row.asset_key.as_deref().map(|asset| keys.asset(asset, what)).transpose()?,
        partition: keys.partition(row.partition_key.as_deref(), what)?,
        level,
        message: row.message,
        data: row.data.as_deref().map(|text| json(text, what)).transpose()?,
        at: row.at,
    })
}

/// The row of an event, with its sequence number.
pub(super) fn event_row(seq: i64, event: &NewEvent) -> event_log::ActiveModel {
    event_log::ActiveModel {
        seq: Set(seq),
        kind: Set(event.kind.as_str().to_owned()),
        run_id: Set(event.run_id.map(|run| run.0)),
        step_id: Set(event.step_id.map(|step| step.0)),
        asset_key: Set(event.asset.as_ref().map(|asset| asset.as_str().to_owned())),
        partition_key: Set(partition_text(event.partition.as_ref())),
        level: Set(event.level.as_str().to_owned()),
        message: Set(event.message.clone()),
        data: Set(event.data.as_ref().map(to_json)),
        at: Set(stored_time(event.at)),
    }
}

pub(super) fn materialization_details(
    row: materializations::Model,
    keys: &mut Keys,
) -> Result<MaterializationDetails, StoreError> {
    let what = || format!("materialization {}", row.id);
    Ok(MaterializationDetails {
        id: row.id,
        run_id: RunId(row.run_id),
        step_id: row.step_id.map(StepId),
        asset: keys.asset(&row.asset_key, what)?,
        partition: keys.partition(row.partition_key.as_deref(), what)?,
        code_version: CodeVersion::from_stored(&row.code_version),
        data_version: DataVersion::from_stored(&row.data_version),
        rows: row.rows,
        bytes: row.bytes,
        duration_ms: row.duration_ms,
        path: row.path,
        materialized_at: row.materialized_at,
    })
}

pub(super) fn check_result(row: check_results::Model, keys: &mut Keys) -> Result<CheckResult, StoreError> {
    let what = || format!("check result {}", row.id);
    let severity = CheckSeverity::parse(&row.severity)
        .ok_or_else(|| corrupt(what(), format!("unknown severity `{}`", row.severity)))?;
    let sample =
        serde_json::from_str(&row.sample).map_err(|error| corrupt(what(), format!("sample is not JSON: {error}")))?;
    Ok(CheckResult {
        run_id: RunId(row.run_id),
        materialization_id: row.materialization_id,
        asset: keys.asset(&row.asset_key, what)?,
        partition: keys.partition(row.partition_key.as_deref(), what)?,
        check_name: row.check_name,
        severity,
        passed: row.passed,
        violations: row.violations,
        sample,
        error: row.error,
        evaluated_at: row.evaluated_at,
    })
}
