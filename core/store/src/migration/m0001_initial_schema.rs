//! The first schema (Cairn 0.1): runs, materializations and their inputs,
//! observations, check results and run events. Never edited: databases
//! written by that release are migrated forward from it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
    Status,
    Selection,
    PartitionFilter,
    PlannedSteps,
    MaterializedSteps,
    FailedSteps,
    SkippedSteps,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Materializations {
    Table,
    Id,
    RunId,
    AssetKey,
    PartitionKey,
    CodeVersion,
    DataVersion,
    Rows,
    Bytes,
    DurationMs,
    Path,
    MaterializedAt,
}

#[derive(DeriveIden)]
enum MaterializationInputs {
    Table,
    MaterializationId,
    Position,
    AssetKey,
    PartitionKey,
    DataVersion,
}

#[derive(DeriveIden)]
enum Observations {
    Table,
    Id,
    RunId,
    AssetKey,
    PartitionKey,
    DataVersion,
    ObservedAt,
}

#[derive(DeriveIden)]
enum CheckResults {
    Table,
    Id,
    RunId,
    MaterializationId,
    AssetKey,
    PartitionKey,
    CheckName,
    Severity,
    Passed,
    Violations,
    Sample,
    Error,
    EvaluatedAt,
}

#[derive(DeriveIden)]
enum RunEvents {
    Table,
    Id,
    RunId,
    AssetKey,
    PartitionKey,
    Level,
    Message,
    At,
}

/// The first schema: runs, materializations and their inputs,
/// observations, check results and run events.
pub(super) struct InitialSchema;

impl MigrationName for InitialSchema {
    fn name(&self) -> &str {
        "m0001_initial_schema"
    }
}

/// A foreign key `table.column → runs.id`.
fn run_fk(name: &str, table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(table, column).to(Runs::Table, Runs::Id).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for InitialSchema {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Runs::Table)
                    .col(big_pk_auto(Runs::Id))
                    .col(text(Runs::Status))
                    .col(text(Runs::Selection))
                    .col(text_null(Runs::PartitionFilter))
                    .col(big_integer(Runs::PlannedSteps))
                    .col(big_integer(Runs::MaterializedSteps))
                    .col(big_integer(Runs::FailedSteps))
                    .col(big_integer(Runs::SkippedSteps))
                    .col(timestamp_with_time_zone(Runs::StartedAt))
                    .col(timestamp_with_time_zone_null(Runs::FinishedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Materializations::Table)
                    .col(big_pk_auto(Materializations::Id))
                    .col(big_integer(Materializations::RunId))
                    .col(text(Materializations::AssetKey))
                    .col(text_null(Materializations::PartitionKey))
                    .col(text(Materializations::CodeVersion))
                    .col(text(Materializations::DataVersion))
                    .col(big_integer_null(Materializations::Rows))
                    .col(big_integer(Materializations::Bytes))
                    .col(big_integer(Materializations::DurationMs))
                    .col(text(Materializations::Path))
                    .col(timestamp_with_time_zone(Materializations::MaterializedAt))
                    .foreign_key(&mut run_fk(
                        "fk_materializations_run",
                        Materializations::Table,
                        Materializations::RunId,
                    ))
                    .to_owned(),
            )
            .await?;
        // Latest per asset partition: GROUP BY asset_key, partition_key with
        // max(id) is answered from this index alone (SQLite walks it in
        // order; PostgreSQL can use an index-only scan).
        manager
            .create_index(
                Index::create()
                    .name("idx_materializations_partition_latest")
                    .table(Materializations::Table)
                    .col(Materializations::AssetKey)
                    .col(Materializations::PartitionKey)
                    .col(Materializations::Id)
                    .to_owned(),
            )
            .await?;
        // History of one asset, newest first, across its partitions.
        manager
            .create_index(
                Index::create()
                    .name("idx_materializations_asset_history")
                    .table(Materializations::Table)
                    .col(Materializations::AssetKey)
                    .col(Materializations::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_materializations_run")
                    .table(Materializations::Table)
                    .col(Materializations::RunId)
                    .to_owned(),
            )
            .await?;

        // The primary key (materialization_id, position) also serves the
        // lookup of the inputs of the latest materializations.
        manager
            .create_table(
                Table::create()
                    .table(MaterializationInputs::Table)
                    .col(big_integer(MaterializationInputs::MaterializationId))
                    .col(big_integer(MaterializationInputs::Position))
                    .col(text(MaterializationInputs::AssetKey))
                    .col(text_null(MaterializationInputs::PartitionKey))
                    .col(text(MaterializationInputs::DataVersion))
                    .primary_key(
                        Index::create()
                            .col(MaterializationInputs::MaterializationId)
                            .col(MaterializationInputs::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_materialization_inputs_materialization")
                            .from(MaterializationInputs::Table, MaterializationInputs::MaterializationId)
                            .to(Materializations::Table, Materializations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Observations::Table)
                    .col(big_pk_auto(Observations::Id))
                    .col(big_integer_null(Observations::RunId))
                    .col(text(Observations::AssetKey))
                    .col(text_null(Observations::PartitionKey))
                    .col(text(Observations::DataVersion))
                    .col(timestamp_with_time_zone(Observations::ObservedAt))
                    .foreign_key(&mut run_fk("fk_observations_run", Observations::Table, Observations::RunId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_observations_latest")
                    .table(Observations::Table)
                    .col(Observations::AssetKey)
                    .col(Observations::PartitionKey)
                    .col(Observations::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CheckResults::Table)
                    .col(big_pk_auto(CheckResults::Id))
                    .col(big_integer(CheckResults::RunId))
                    .col(big_integer_null(CheckResults::MaterializationId))
                    .col(text(CheckResults::AssetKey))
                    .col(text_null(CheckResults::PartitionKey))
                    .col(text(CheckResults::CheckName))
                    .col(text(CheckResults::Severity))
                    .col(boolean(CheckResults::Passed))
                    .col(big_integer(CheckResults::Violations))
                    .col(text(CheckResults::Sample))
                    .col(text_null(CheckResults::Error))
                    .col(timestamp_with_time_zone(CheckResults::EvaluatedAt))
                    .foreign_key(&mut run_fk("fk_check_results_run", CheckResults::Table, CheckResults::RunId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_check_results_materialization")
                            .from(CheckResults::Table, CheckResults::MaterializationId)
                            .to(Materializations::Table, Materializations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_check_results_latest")
                    .table(CheckResults::Table)
                    .col(CheckResults::AssetKey)
                    .col(CheckResults::PartitionKey)
                    .col(CheckResults::CheckName)
                    .col(CheckResults::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_check_results_run")
                    .table(CheckResults::Table)
                    .col(CheckResults::RunId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RunEvents::Table)
                    .col(big_pk_auto(RunEvents::Id))
                    .col(big_integer(RunEvents::RunId))
                    .col(text_null(RunEvents::AssetKey))
                    .col(text_null(RunEvents::PartitionKey))
                    .col(text(RunEvents::Level))
                    .col(text(RunEvents::Message))
                    .col(timestamp_with_time_zone(RunEvents::At))
                    .foreign_key(&mut run_fk("fk_run_events_run", RunEvents::Table, RunEvents::RunId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_run_events_run")
                    .table(RunEvents::Table)
                    .col(RunEvents::RunId)
                    .col(RunEvents::Id)
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RunEvents::Table.into_iden(),
            CheckResults::Table.into_iden(),
            Observations::Table.into_iden(),
            MaterializationInputs::Table.into_iden(),
            Materializations::Table.into_iden(),
            Runs::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
