//! `runs`: one row per run, inserted when it starts and updated when it ends.

use sea_orm::entity::prelude::*;

/// A row of `runs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "runs")]
pub struct Model {
    /// Autoincrement id ([`crate::store::RunId`]).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Selection as typed, empty for all.
    pub selection: String,
    /// Partition filter as typed.
    pub partition_filter: Option<String>,
    /// Steps in the plan.
    pub planned_steps: i64,
    /// Steps that materialized data.
    pub materialized_steps: i64,
    /// Steps that failed.
    pub failed_steps: i64,
    /// Steps skipped.
    pub skipped_steps: i64,
    /// Start, UTC.
    pub started_at: DateTimeUtc,
    /// End, UTC.
    pub finished_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
