//! Conversions between database rows and records, and small helpers of
//! the store's queries.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QuerySelect, QueryTrait};

use super::entities::{check_results, materializations, run_events, runs};
use super::records::{
    CheckResult, CheckSeverity, EventLevel, MaterializationDetails, RunEvent, RunId, RunRecord, RunStatus, StoreError,
};
use crate::partitions::PartitionKey;
use crate::{AssetKey, CodeVersion, DataVersion};

/// `SELECT max(id) FROM materializations GROUP BY asset_key, partition_key`:
/// the ids of the latest materialization of every asset partition.
pub(super) fn latest_materialization_ids() -> SelectStatement {
    use materializations::Column;
    materializations::Entity::find()
        .select_only()
        .expr(Column::Id.max())
        .group_by(Column::AssetKey)
        .group_by(Column::PartitionKey)
        .into_query()
}

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
/// the thousands of inputs naming the same upstream share one allocation.
#[derive(Default)]
pub(super) struct Keys {
    assets: HashMap<String, AssetKey>,
    partitions: HashMap<String, PartitionKey>,
    data_versions: HashMap<String, DataVersion>,
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
        if let Some(version) = self.data_versions.get(text) {
            return version.clone();
        }
        let version = DataVersion::from_stored(text);
        self.data_versions.insert(text.to_owned(), version.clone());
        version
    }
}

impl RunStatus {
    /// `running`, `succeeded` or `failed`: the stored and displayed name.
    pub fn as_str(self) -> &'static str {
        self.as_db()
    }

    pub(super) fn as_db(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub(super) fn from_db(text: &str) -> Option<Self> {
        [Self::Running, Self::Succeeded, Self::Failed].into_iter().find(|status| status.as_db() == text)
    }
}

impl CheckSeverity {
    pub(super) fn as_db(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
        }
    }

    pub(super) fn from_db(text: &str) -> Option<Self> {
        [Self::Error, Self::Warn].into_iter().find(|severity| severity.as_db() == text)
    }
}

impl EventLevel {
    pub(super) fn as_db(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }

    pub(super) fn from_db(text: &str) -> Option<Self> {
        [Self::Info, Self::Warn, Self::Error].into_iter().find(|level| level.as_db() == text)
    }
}

pub(super) fn run_record(row: runs::Model) -> Result<RunRecord, StoreError> {
    let id = RunId(row.id);
    let status = RunStatus::from_db(&row.status)
        .ok_or_else(|| corrupt(format!("run {id}"), format!("unknown status `{}`", row.status)))?;
    Ok(RunRecord {
        id,
        status,
        selection: row.selection,
        partition_filter: row.partition_filter,
        planned_steps: row.planned_steps,
        materialized_steps: row.materialized_steps,
        failed_steps: row.failed_steps,
        skipped_steps: row.skipped_steps,
        started_at: row.started_at,
        finished_at: row.finished_at,
    })
}

pub(super) fn materialization_details(
    row: materializations::Model,
    keys: &mut Keys,
) -> Result<MaterializationDetails, StoreError> {
    let what = || format!("materialization {}", row.id);
    Ok(MaterializationDetails {
        id: row.id,
        run_id: RunId(row.run_id),
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
    let severity = CheckSeverity::from_db(&row.severity)
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

pub(super) fn run_event(row: run_events::Model, keys: &mut Keys) -> Result<RunEvent, StoreError> {
    let what = || format!("event {} of run {}", row.id, RunId(row.run_id));
    let level =
        EventLevel::from_db(&row.level).ok_or_else(|| corrupt(what(), format!("unknown level `{}`", row.level)))?;
    let asset = row.asset_key.as_deref().map(|asset| keys.asset(asset, what)).transpose()?;
    Ok(RunEvent {
        run_id: RunId(row.run_id),
        asset,
        partition: keys.partition(row.partition_key.as_deref(), what)?,
        level,
        message: row.message,
        at: row.at,
    })
}

/// The row of a run event.
pub(super) fn event_row(event: &RunEvent) -> run_events::ActiveModel {
    run_events::ActiveModel {
        id: NotSet,
        run_id: Set(event.run_id.0),
        asset_key: Set(event.asset.as_ref().map(|asset| asset.as_str().to_owned())),
        partition_key: Set(partition_text(event.partition.as_ref())),
        level: Set(event.level.as_db().to_owned()),
        message: Set(event.message.clone()),
        at: Set(stored_time(event.at)),
    }
}
