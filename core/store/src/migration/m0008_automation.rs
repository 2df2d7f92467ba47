//! Declarative automation: what the evaluator decided, where it resumes,
//! who may evaluate, and what it must leave alone.
//!
//! * `automation_ticks`: one row per evaluation pass (a tick, as Dagster's
//!   sensor and automation ticks): the process that ran it (`host:pid`),
//!   when it started and finished (UTC), `SUCCESS` or `FAILURE`, the run it
//!   requested (if any), how many asset partitions it requested, and the
//!   error of a failed tick. `idx_automation_ticks_finished` serves
//!   retention (`cairn gc` prunes ticks by their end).
//! * `automation_evaluations` (→ `automation_ticks`, cascading): one row per
//!   asset a tick evaluated: partitions requested, candidates considered
//!   and the evaluation's result (JSON written by the engine, opaque to the
//!   store). `idx_automation_evaluations_asset` serves an asset's history
//!   (newest first); `idx_automation_evaluations_tick` the count of a
//!   tick's evaluations and the cascade when ticks are pruned.
//! * `automation_cursors`: each asset's condition cursor (the engine's
//!   JSON, opaque to the store), replaced by every tick that evaluated the
//!   asset, so the next tick resumes from it.
//! * `leases`: named leases elected through the store (`automation`: one
//!   evaluator at a time across every process), held by an owner until a
//!   time (UTC).
//! * `automation_pauses`: what automation must not touch: one row per
//!   paused asset, or `*` for every asset, with when it was paused.
//!
//! Nothing to fill from an earlier release: automation starts with no
//! history, no cursors, no lease and nothing paused.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, text, text_null, timestamp_with_time_zone,
};

#[derive(DeriveIden)]
enum AutomationTicks {
    Table,
    Id,
    Owner,
    StartedAt,
    FinishedAt,
    Status,
    RunId,
    Requested,
    Error,
}

#[derive(DeriveIden)]
enum AutomationEvaluations {
    Table,
    Id,
    TickId,
    AssetKey,
    Requested,
    Candidates,
    Result,
}

#[derive(DeriveIden)]
enum AutomationCursors {
    Table,
    AssetKey,
    Cursor,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Leases {
    Table,
    Name,
    Owner,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AutomationPauses {
    Table,
    Target,
    PausedAt,
}

pub(super) struct Automation0008;

impl MigrationName for Automation0008 {
    fn name(&self) -> &str {
        "m0008_automation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Automation0008 {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_ticks(manager).await?;
        create_evaluations(manager).await?;
        manager
            .create_table(
                Table::create()
                    .table(AutomationCursors::Table)
                    .col(text(AutomationCursors::AssetKey).primary_key())
                    .col(text(AutomationCursors::Cursor))
                    .col(timestamp_with_time_zone(AutomationCursors::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Leases::Table)
                    .col(text(Leases::Name).primary_key())
                    .col(text(Leases::Owner))
                    .col(timestamp_with_time_zone(Leases::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AutomationPauses::Table)
                    .col(text(AutomationPauses::Target).primary_key())
                    .col(timestamp_with_time_zone(AutomationPauses::PausedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AutomationPauses::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Leases::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AutomationCursors::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AutomationEvaluations::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AutomationTicks::Table).to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

async fn create_ticks(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AutomationTicks::Table)
                .col(big_pk_auto(AutomationTicks::Id))
                .col(text(AutomationTicks::Owner))
                .col(timestamp_with_time_zone(AutomationTicks::StartedAt))
                .col(timestamp_with_time_zone(AutomationTicks::FinishedAt))
                .col(text(AutomationTicks::Status))
                .col(big_integer_null(AutomationTicks::RunId))
                .col(big_integer(AutomationTicks::Requested))
                .col(text_null(AutomationTicks::Error))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_automation_ticks_finished")
                .table(AutomationTicks::Table)
                .col(AutomationTicks::FinishedAt)
                .to_owned(),
        )
        .await
}

async fn create_evaluations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AutomationEvaluations::Table)
                .col(big_pk_auto(AutomationEvaluations::Id))
                .col(big_integer(AutomationEvaluations::TickId))
                .col(text(AutomationEvaluations::AssetKey))
                .col(big_integer(AutomationEvaluations::Requested))
                .col(big_integer(AutomationEvaluations::Candidates))
                .col(text(AutomationEvaluations::Result))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_automation_evaluations_tick")
                        .from(AutomationEvaluations::Table, AutomationEvaluations::TickId)
                        .to(AutomationTicks::Table, AutomationTicks::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_automation_evaluations_asset")
                .table(AutomationEvaluations::Table)
                .col(AutomationEvaluations::AssetKey)
                .col(AutomationEvaluations::Id)
                .to_owned(),
        )
        .await?;
    // Without it, counting a tick's evaluations and every cascading delete
    // of a tick would scan the table.
    manager
        .create_index(
            Index::create()
                .name("idx_automation_evaluations_tick")
                .table(AutomationEvaluations::Table)
                .col(AutomationEvaluations::TickId)
                .to_owned(),
        )
        .await
}
