//! Executors: each executor (of `cairn worker`, `cairn serve`, `cairn
//! materialize`, `cairn run resume`) registers itself, renews a heartbeat
//! and says when it stopped, so the deployment page can list them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, text, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveIden)]
enum Executors {
    Table,
    Id,
    Host,
    Pid,
    RunId,
    Concurrency,
    LeaseMs,
    StartedAt,
    HeartbeatAt,
    StoppedAt,
}

pub(super) struct Executors0004;

impl MigrationName for Executors0004 {
    fn name(&self) -> &str {
        "m0004_executors"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Executors0004 {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Executors::Table)
                    .col(text(Executors::Id).primary_key())
                    .col(text(Executors::Host))
                    .col(big_integer(Executors::Pid))
                    .col(big_integer_null(Executors::RunId))
                    .col(big_integer(Executors::Concurrency))
                    .col(big_integer(Executors::LeaseMs))
                    .col(timestamp_with_time_zone(Executors::StartedAt))
                    .col(timestamp_with_time_zone(Executors::HeartbeatAt))
                    .col(timestamp_with_time_zone_null(Executors::StoppedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_executors_heartbeat")
                    .table(Executors::Table)
                    .col(Executors::HeartbeatAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Executors::Table).to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
