//! `runs`: one row per run, inserted when it is launched (`QUEUED`) and
//! updated as it starts and finishes.

use sea_orm::entity::prelude::*;

/// A row of `runs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "runs")]
pub struct Model {
    /// Autoincrement id (`RunId`).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `QUEUED`, `STARTED`, `SUCCESS`, `FAILURE`, `CANCELING` or `CANCELED`.
    pub status: String,
    /// Selection as typed, empty for all (for display).
    pub selection: String,
    /// Partition filter as typed (for display).
    pub partition_filter: Option<String>,
    /// Steps in the plan.
    pub planned_steps: i64,
    /// Steps that materialized data (set when the run finishes).
    pub materialized_steps: i64,
    /// Steps that failed.
    pub failed_steps: i64,
    /// Steps skipped.
    pub skipped_steps: i64,
    /// When it was stored, UTC.
    pub created_at: DateTimeUtc,
    /// End, UTC.
    pub finished_at: Option<DateTimeUtc>,
    /// When its first step was claimed, UTC.
    pub started_at: Option<DateTimeUtc>,
    /// Name of the project (`name:` in cairn.yaml); executors only claim
    /// steps of their own project's runs.
    pub project: String,
    /// `cli`, `api`, `backfill:<id>` or `automation`.
    pub origin: String,
    /// JSON object of string tags.
    pub tags: String,
    /// JSON of `RunTarget`; NULL for runs of Cairn 0.1.
    pub target: Option<String>,
    /// Steps canceled.
    pub canceled_steps: i64,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
