//! Backfills: a stored request to materialize assets over a partition
//! subset, executed through runs tagged with its id (origin
//! `backfill:<id>`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveIden)]
enum Backfills {
    Table,
    Id,
    Project,
    Status,
    Selection,
    PartitionsText,
    Target,
    OnlyMissingOrFailed,
    OnlyStale,
    Tags,
    RunId,
    Blocked,
    RetryOf,
    Error,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Origin,
    Id,
}

pub(super) struct Backfills0003;

impl MigrationName for Backfills0003 {
    fn name(&self) -> &str {
        "m0003_backfills"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Backfills0003 {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Backfills::Table)
                    .col(big_pk_auto(Backfills::Id))
                    .col(text(Backfills::Project))
                    .col(text(Backfills::Status))
                    .col(text(Backfills::Selection))
                    .col(text(Backfills::PartitionsText))
                    .col(text(Backfills::Target))
                    .col(boolean(Backfills::OnlyMissingOrFailed))
                    .col(boolean(Backfills::OnlyStale))
                    .col(text(Backfills::Tags))
                    .col(big_integer_null(Backfills::RunId))
                    .col(big_integer(Backfills::Blocked).default(0))
                    .col(big_integer_null(Backfills::RetryOf))
                    .col(text_null(Backfills::Error))
                    .col(timestamp_with_time_zone(Backfills::CreatedAt))
                    .col(timestamp_with_time_zone_null(Backfills::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_backfills_status")
                    .table(Backfills::Table)
                    .col(Backfills::Status)
                    .col(Backfills::Id)
                    .to_owned(),
            )
            .await?;
        // The runs of a backfill, and runs by origin.
        manager
            .create_index(
                Index::create().name("idx_runs_origin").table(Runs::Table).col(Runs::Origin).col(Runs::Id).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_runs_origin").table(Runs::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Backfills::Table).to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
