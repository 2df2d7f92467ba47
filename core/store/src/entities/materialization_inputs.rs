//! `materialization_inputs`: the data version of every upstream asset
//! partition a materialization read. Keyed by (materialization, position).

use sea_orm::entity::prelude::*;

/// A row of `materialization_inputs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "materialization_inputs")]
pub struct Model {
    /// The materialization (`materializations.id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub materialization_id: i64,
    /// Position of the input in the materialization's list (0-based).
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i64,
    /// Upstream asset key.
    pub asset_key: String,
    /// Upstream partition key, NULL if the upstream is unpartitioned.
    pub partition_key: Option<String>,
    /// Upstream data version read.
    pub data_version: String,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
