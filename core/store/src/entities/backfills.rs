//! `backfills`: requests to materialize assets over a partition subset.

use sea_orm::entity::prelude::*;

/// A row of `backfills`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backfills")]
pub struct Model {
    /// Autoincrement id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Project name.
    pub project: String,
    /// `REQUESTED`, `COMPLETED`, `FAILED`, `CANCELING` or `CANCELED`.
    pub status: String,
    /// Selection as given.
    pub selection: String,
    /// The partitions as given, for display.
    pub partitions_text: String,
    /// JSON of `RunTarget`.
    pub target: String,
    /// Only partitions missing or whose latest attempt failed.
    pub only_missing_or_failed: bool,
    /// Only partitions missing or stale.
    pub only_stale: bool,
    /// JSON object of string tags.
    pub tags: String,
    /// Its run, once launched.
    pub run_id: Option<i64>,
    /// Targeted partitions that could not be planned.
    pub blocked: i64,
    /// The backfill it retries.
    pub retry_of: Option<i64>,
    /// Why it could not be launched.
    pub error: Option<String>,
    /// UTC.
    pub created_at: DateTimeUtc,
    /// UTC.
    pub finished_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
