//! Current state, kept current by the transaction that records a step's
//! end, so readers of current state (start-up, `cairn status`, the
//! planner's snapshot) read one row per asset partition instead of
//! grouping the whole history:
//!
//! * `asset_partitions`: every asset partition ever materialized or
//!   attempted, with its current materialization and how its latest ended
//!   attempt ended;
//! * `current_check_results`: the latest result of each check on each
//!   asset partition.
//!
//! The migration fills both from the history an earlier release left: the
//! highest materialization id of each asset partition, its latest ended
//! attempt (the highest step id that ended `MATERIALIZED` or `FAILED`) and
//! the highest check result id of each check and asset partition, exactly
//! what readers computed from history before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, boolean, text};

#[derive(DeriveIden)]
enum AssetPartitions {
    Table,
    AssetKey,
    PartitionKey,
    MaterializationId,
    LastStepId,
    LastStepFailed,
}

#[derive(DeriveIden)]
enum CurrentCheckResults {
    Table,
    AssetKey,
    PartitionKey,
    CheckName,
    CheckResultId,
}

pub(super) struct AssetPartitions0005;

impl MigrationName for AssetPartitions0005 {
    fn name(&self) -> &str {
        "m0005_asset_partitions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AssetPartitions0005 {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AssetPartitions::Table)
                    .col(text(AssetPartitions::AssetKey))
                    // '' for an unpartitioned asset (a partition key is never
                    // empty), so the pair can be the primary key on both
                    // databases.
                    .col(text(AssetPartitions::PartitionKey))
                    .col(big_integer_null(AssetPartitions::MaterializationId))
                    .col(big_integer_null(AssetPartitions::LastStepId))
                    .col(boolean(AssetPartitions::LastStepFailed).default(false))
                    .primary_key(Index::create().col(AssetPartitions::AssetKey).col(AssetPartitions::PartitionKey))
                    .to_owned(),
            )
            .await?;
        // The partitions whose latest attempt failed, read without a scan.
        manager
            .create_index(
                Index::create()
                    .name("idx_asset_partitions_failed")
                    .table(AssetPartitions::Table)
                    .col(AssetPartitions::LastStepFailed)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CurrentCheckResults::Table)
                    .col(text(CurrentCheckResults::AssetKey))
                    .col(text(CurrentCheckResults::PartitionKey))
                    .col(text(CurrentCheckResults::CheckName))
                    .col(big_integer(CurrentCheckResults::CheckResultId))
                    .primary_key(
                        Index::create()
                            .col(CurrentCheckResults::AssetKey)
                            .col(CurrentCheckResults::PartitionKey)
                            .col(CurrentCheckResults::CheckName),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO current_check_results (asset_key, partition_key, check_name, check_result_id) \
             SELECT asset_key, COALESCE(partition_key, ''), check_name, MAX(id) \
             FROM check_results GROUP BY asset_key, partition_key, check_name",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO asset_partitions (asset_key, partition_key, materialization_id, last_step_id, last_step_failed) \
             SELECT asset_key, COALESCE(partition_key, ''), MAX(id), NULL, FALSE \
             FROM materializations GROUP BY asset_key, partition_key",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO asset_partitions (asset_key, partition_key, materialization_id, last_step_id, last_step_failed) \
             SELECT s.asset_key, COALESCE(s.partition_key, ''), NULL, s.id, s.status = 'FAILED' \
             FROM run_steps s WHERE s.id IN (SELECT MAX(id) FROM run_steps \
               WHERE status IN ('MATERIALIZED', 'FAILED') GROUP BY asset_key, partition_key) \
             ON CONFLICT (asset_key, partition_key) DO UPDATE SET \
               last_step_id = excluded.last_step_id, last_step_failed = excluded.last_step_failed",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CurrentCheckResults::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AssetPartitions::Table).to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
