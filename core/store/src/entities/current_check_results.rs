//! `current_check_results`: the latest result of each check on each asset
//! partition (see `crate::current`).

use sea_orm::entity::prelude::*;

/// A row of `current_check_results`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "current_check_results")]
pub struct Model {
    /// Asset key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub asset_key: String,
    /// Partition key; `''` for an unpartitioned asset.
    #[sea_orm(primary_key, auto_increment = false)]
    pub partition_key: String,
    /// The check's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub check_name: String,
    /// Its latest result (`check_results.id`).
    pub check_result_id: i64,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
