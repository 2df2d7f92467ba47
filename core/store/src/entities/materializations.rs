//! `materializations`: one row per successful materialization of an asset
//! partition. The latest one of an asset partition is the row with the
//! highest id.

use sea_orm::entity::prelude::*;

/// A row of `materializations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "materializations")]
pub struct Model {
    /// Autoincrement id; higher is later.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The run (`runs.id`).
    pub run_id: i64,
    /// Asset key (`raw/flights`).
    pub asset_key: String,
    /// Partition key, NULL for unpartitioned assets.
    pub partition_key: Option<String>,
    /// Code version used.
    pub code_version: String,
    /// Data version written.
    pub data_version: String,
    /// Rows written, for tables.
    pub rows: Option<i64>,
    /// Bytes written.
    pub bytes: i64,
    /// Wall time, milliseconds.
    pub duration_ms: i64,
    /// Path relative to the project's data_dir.
    pub path: String,
    /// Publication time, UTC.
    pub materialized_at: DateTimeUtc,
    /// The run step that recorded it (unique); NULL for rows of Cairn 0.1.
    pub step_id: Option<i64>,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
