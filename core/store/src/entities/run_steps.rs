//! `run_steps`: a run's plan, one row per asset partition, claimed by
//! executors with leases.

use sea_orm::entity::prelude::*;

/// A row of `run_steps`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "run_steps")]
pub struct Model {
    /// Autoincrement id (`StepId`).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The run (`runs.id`).
    pub run_id: i64,
    /// Index of the step in the run's plan (0-based, topological order).
    pub position: i32,
    /// Asset key.
    pub asset_key: String,
    /// Partition key, NULL for unpartitioned assets.
    pub partition_key: Option<String>,
    /// `QUEUED`, `RUNNING`, `MATERIALIZED`, `SKIPPED`, `FAILED` or `CANCELED`.
    pub status: String,
    /// JSON array of plan reasons.
    pub reasons: String,
    /// Whether every reason is an upstream step of the same run that may
    /// change data (the step is skipped if none did).
    pub conditional: bool,
    /// JSON array of the positions of the steps it waits for.
    pub waits_for: String,
    /// JSON array of the positions of the steps that wait for it.
    pub dependents: String,
    /// Steps it waits for that have not finished.
    pub waiting_on: i32,
    /// Claims so far; also the fencing token of the current lease.
    pub attempt: i32,
    /// The executor holding the lease (`host:pid:nonce`).
    pub owner: Option<String>,
    /// When the lease expires unless renewed, UTC.
    pub lease_expires_at: Option<DateTimeUtc>,
    /// When the latest claim happened, UTC.
    pub started_at: Option<DateTimeUtc>,
    /// When it finished, UTC.
    pub finished_at: Option<DateTimeUtc>,
    /// JSON skip reason, for `SKIPPED`.
    pub skip_reason: Option<String>,
    /// Error message, for `FAILED`.
    pub error: Option<String>,
    /// The materialization recorded, for `MATERIALIZED`.
    pub materialization_id: Option<i64>,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
