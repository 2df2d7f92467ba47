//! `event_log`: every change, in commit order (`seq`).

use sea_orm::entity::prelude::*;

/// A row of `event_log`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_log")]
pub struct Model {
    /// Sequence number: gap-free and in commit order (see `events.rs`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// `EventKind` name (`RUN_START`, `ASSET_MATERIALIZATION`, `LOG`...).
    pub kind: String,
    /// The run, if the event is about one.
    pub run_id: Option<i64>,
    /// The run step, if any.
    pub step_id: Option<i64>,
    /// The asset, if any.
    pub asset_key: Option<String>,
    /// The partition, if any.
    pub partition_key: Option<String>,
    /// `DEBUG`, `INFO`, `WARN` or `ERROR`.
    pub level: String,
    /// Text for people (may span lines).
    pub message: String,
    /// JSON details for programs (ids, versions, counts), if any.
    pub data: Option<String>,
    /// UTC.
    pub at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
