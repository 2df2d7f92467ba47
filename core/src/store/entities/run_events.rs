//! `run_events`: the log lines of runs, in insertion (id) order.

use sea_orm::entity::prelude::*;

/// A row of `run_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "run_events")]
pub struct Model {
    /// Autoincrement id; gives the order of a run's events.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The run (`runs.id`).
    pub run_id: i64,
    /// Asset key, if the event is about an asset.
    pub asset_key: Option<String>,
    /// Partition key, if any.
    pub partition_key: Option<String>,
    /// `info`, `warn` or `error`.
    pub level: String,
    /// The message.
    pub message: String,
    /// Event time, UTC.
    pub at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
