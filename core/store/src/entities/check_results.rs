//! `check_results`: one row per evaluation of an asset check on an asset
//! partition.

use sea_orm::entity::prelude::*;

/// A row of `check_results`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "check_results")]
pub struct Model {
    /// Autoincrement id; higher is later.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The run (`runs.id`).
    pub run_id: i64,
    /// The materialization checked, if it was published.
    pub materialization_id: Option<i64>,
    /// Asset key.
    pub asset_key: String,
    /// Partition key, NULL for unpartitioned assets.
    pub partition_key: Option<String>,
    /// The check's name.
    pub check_name: String,
    /// `error` or `warn`.
    pub severity: String,
    /// Whether it passed.
    pub passed: bool,
    /// Number of violating rows.
    pub violations: i64,
    /// Sample of violating rows, JSON text.
    pub sample: String,
    /// Why the check could not run, if it could not.
    pub error: Option<String>,
    /// Evaluation time, UTC.
    pub evaluated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
