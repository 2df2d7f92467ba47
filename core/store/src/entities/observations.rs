//! `observations`: data versions of source assets, as observed.

use sea_orm::entity::prelude::*;

/// A row of `observations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "observations")]
pub struct Model {
    /// Autoincrement id; higher is later.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The run it was made in, if any.
    pub run_id: Option<i64>,
    /// Source asset key.
    pub asset_key: String,
    /// Partition key; always NULL for now (sources are unpartitioned).
    pub partition_key: Option<String>,
    /// Data version observed.
    pub data_version: String,
    /// Observation time, UTC.
    pub observed_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
