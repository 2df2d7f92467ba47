//! `asset_partitions`: the current state of each asset partition ever
//! materialized or attempted, one row each, kept current by the
//! transaction that records a step's end (see `crate::current`).

use sea_orm::entity::prelude::*;

/// A row of `asset_partitions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "asset_partitions")]
pub struct Model {
    /// Asset key (`raw/flights`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub asset_key: String,
    /// Partition key; `''` for an unpartitioned asset (a partition key is
    /// never empty).
    #[sea_orm(primary_key, auto_increment = false)]
    pub partition_key: String,
    /// The current materialization (`materializations.id`, the highest of
    /// the asset partition); NULL if none succeeded yet.
    pub materialization_id: Option<i64>,
    /// The step of the latest ended attempt (`run_steps.id`, the highest
    /// that ended `MATERIALIZED` or `FAILED`); NULL if none ended yet.
    pub last_step_id: Option<i64>,
    /// Whether that attempt failed.
    pub last_step_failed: bool,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
