//! Durable runs: runs are stored before they execute, their plan becomes
//! `run_steps` rows that executors claim with leases, and every change is
//! appended to an ordered `event_log`.
//!
//! From the 0.1 schema:
//! * `runs`: `started_at` becomes `created_at` (when the run was stored); a
//!   new nullable `started_at` is when its first step was claimed. New
//!   columns `project`, `origin`, `tags` (JSON object), `target` (JSON,
//!   the structural selection and partition scope) and `canceled_steps`.
//!   Statuses take Dagster's names: `succeeded` → `SUCCESS`, `failed` →
//!   `FAILURE`; a run left `running` by a 0.1 process that died cannot be
//!   resumed (0.1 stored no steps), so it becomes `FAILURE` with an event
//!   saying so.
//! * `run_steps`: new, one row per planned asset partition.
//! * `event_log` and `event_sequence`: new; the 0.1 `run_events` rows move
//!   into `event_log` as `LOG` entries with their ids as sequence numbers,
//!   then `run_events` is dropped.
//! * `materializations.step_id`: the step that recorded it (unique; NULL
//!   for 0.1 rows).

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, integer, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
    Status,
    StartedAt,
    CreatedAt,
    Project,
    Origin,
    Tags,
    Target,
    CanceledSteps,
}

#[derive(DeriveIden)]
enum RunSteps {
    Table,
    Id,
    RunId,
    Position,
    AssetKey,
    PartitionKey,
    Status,
    Reasons,
    Conditional,
    WaitsFor,
    Dependents,
    WaitingOn,
    Attempt,
    Owner,
    LeaseExpiresAt,
    StartedAt,
    FinishedAt,
    SkipReason,
    Error,
    MaterializationId,
}

#[derive(DeriveIden)]
enum EventLog {
    Table,
    Seq,
    Kind,
    RunId,
    StepId,
    AssetKey,
    PartitionKey,
    Level,
    Message,
    Data,
    At,
}

#[derive(DeriveIden)]
enum EventSequence {
    Table,
    Id,
    LastSeq,
}

#[derive(DeriveIden)]
enum Materializations {
    Table,
    StepId,
}

pub(super) struct DurableRuns;

impl MigrationName for DurableRuns {
    fn name(&self) -> &str {
        "m0002_durable_runs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for DurableRuns {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        migrate_runs(manager).await?;
        create_run_steps(manager).await?;
        create_event_log(manager).await?;
        move_run_events(manager).await?;
        mark_dead_runs_failed(manager).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Materializations::Table)
                    .add_column(big_integer_null(Materializations::StepId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_materializations_step")
                    .table(Materializations::Table)
                    .col(Materializations::StepId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("m0002_durable_runs cannot be undone: 0.1 has no place for run steps".into()))
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

async fn migrate_runs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // One change per statement: SQLite's ALTER TABLE takes one at a time.
    let alterations = [
        Table::alter().table(Runs::Table).rename_column(Runs::StartedAt, Runs::CreatedAt).to_owned(),
        Table::alter().table(Runs::Table).add_column(timestamp_with_time_zone_null(Runs::StartedAt)).to_owned(),
        Table::alter().table(Runs::Table).add_column(text(Runs::Project).default("")).to_owned(),
        Table::alter().table(Runs::Table).add_column(text(Runs::Origin).default("cli")).to_owned(),
        Table::alter().table(Runs::Table).add_column(text(Runs::Tags).default("{}")).to_owned(),
        Table::alter().table(Runs::Table).add_column(text_null(Runs::Target)).to_owned(),
        Table::alter().table(Runs::Table).add_column(big_integer(Runs::CanceledSteps).default(0)).to_owned(),
    ];
    for alteration in alterations {
        manager.alter_table(alteration).await?;
    }
    let db = manager.get_connection();
    // 0.1 runs started when they were stored.
    db.execute_unprepared("UPDATE runs SET started_at = created_at").await?;
    db.execute_unprepared(
        "UPDATE runs SET status = CASE status WHEN 'succeeded' THEN 'SUCCESS' WHEN 'failed' THEN 'FAILURE' \
         WHEN 'running' THEN 'running' ELSE status END",
    )
    .await?;
    manager
        .create_index(
            Index::create().name("idx_runs_status").table(Runs::Table).col(Runs::Status).col(Runs::Id).to_owned(),
        )
        .await?;
    Ok(())
}

async fn create_run_steps(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(RunSteps::Table)
                .col(big_pk_auto(RunSteps::Id))
                .col(big_integer(RunSteps::RunId))
                .col(integer(RunSteps::Position))
                .col(text(RunSteps::AssetKey))
                .col(text_null(RunSteps::PartitionKey))
                .col(text(RunSteps::Status))
                .col(text(RunSteps::Reasons))
                .col(boolean(RunSteps::Conditional))
                .col(text(RunSteps::WaitsFor))
                .col(text(RunSteps::Dependents))
                .col(integer(RunSteps::WaitingOn))
                .col(integer(RunSteps::Attempt).default(0))
                .col(text_null(RunSteps::Owner))
                .col(timestamp_with_time_zone_null(RunSteps::LeaseExpiresAt))
                .col(timestamp_with_time_zone_null(RunSteps::StartedAt))
                .col(timestamp_with_time_zone_null(RunSteps::FinishedAt))
                .col(text_null(RunSteps::SkipReason))
                .col(text_null(RunSteps::Error))
                .col(big_integer_null(RunSteps::MaterializationId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_run_steps_run")
                        .from(RunSteps::Table, RunSteps::RunId)
                        .to(Runs::Table, Runs::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ux_run_steps_position")
                .table(RunSteps::Table)
                .col(RunSteps::RunId)
                .col(RunSteps::Position)
                .unique()
                .to_owned(),
        )
        .await?;
    // Claims look for queued steps in run and plan order.
    manager
        .create_index(
            Index::create()
                .name("idx_run_steps_claim")
                .table(RunSteps::Table)
                .col(RunSteps::Status)
                .col(RunSteps::WaitingOn)
                .col(RunSteps::RunId)
                .col(RunSteps::Position)
                .to_owned(),
        )
        .await?;
    // History of one asset partition's steps (the partition bar's
    // "materializing", a run of an asset).
    manager
        .create_index(
            Index::create()
                .name("idx_run_steps_partition")
                .table(RunSteps::Table)
                .col(RunSteps::AssetKey)
                .col(RunSteps::PartitionKey)
                .to_owned(),
        )
        .await?;
    // The heart of "one executor per asset partition": at most one RUNNING
    // step per asset partition, across all runs. Both databases accept this
    // partial expression index as written.
    manager
        .get_connection()
        .execute_unprepared(
            "CREATE UNIQUE INDEX ux_run_steps_running_partition ON run_steps \
             (asset_key, COALESCE(partition_key, '')) WHERE status = 'RUNNING'",
        )
        .await?;
    Ok(())
}

async fn create_event_log(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(EventLog::Table)
                .col(ColumnDef::new(EventLog::Seq).big_integer().not_null().primary_key())
                .col(text(EventLog::Kind))
                .col(big_integer_null(EventLog::RunId))
                .col(big_integer_null(EventLog::StepId))
                .col(text_null(EventLog::AssetKey))
                .col(text_null(EventLog::PartitionKey))
                .col(text(EventLog::Level))
                .col(text(EventLog::Message))
                .col(text_null(EventLog::Data))
                .col(timestamp_with_time_zone(EventLog::At))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_event_log_run")
                .table(EventLog::Table)
                .col(EventLog::RunId)
                .col(EventLog::Seq)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_event_log_asset")
                .table(EventLog::Table)
                .col(EventLog::AssetKey)
                .col(EventLog::Seq)
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(EventSequence::Table)
                .col(ColumnDef::new(EventSequence::Id).integer().not_null().primary_key())
                .col(big_integer(EventSequence::LastSeq))
                .to_owned(),
        )
        .await?;
    Ok(())
}

async fn move_run_events(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(
        "INSERT INTO event_log (seq, kind, run_id, step_id, asset_key, partition_key, level, message, data, at) \
         SELECT id, 'LOG', run_id, NULL, asset_key, partition_key, UPPER(level), message, NULL, at FROM run_events",
    )
    .await?;
    db.execute_unprepared("INSERT INTO event_sequence (id, last_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM event_log")
        .await?;
    manager.drop_table(Table::drop().table("run_events").to_owned()).await?;
    Ok(())
}

/// 0.1 marked a run whose process died only when the next run started; a
/// run still `running` now can never finish.
async fn mark_dead_runs_failed(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    let dead = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, created_at FROM runs WHERE status = 'running' ORDER BY id",
        ))
        .await?;
    for row in dead {
        let id: i64 = row.try_get("", "id")?;
        let message = "interrupted: the process running it ended before it finished (recorded by Cairn 0.1); \
                       marked FAILURE when the metadata store was upgraded; the materializations it recorded are kept";
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                "INSERT INTO event_log (seq, kind, run_id, level, message, at) \
                 SELECT last_seq + 1, 'ENGINE_EVENT', $1, 'WARN', $2, $3 FROM event_sequence WHERE id = 1"
            }
            _ => {
                "INSERT INTO event_log (seq, kind, run_id, level, message, at) \
                 SELECT last_seq + 1, 'ENGINE_EVENT', ?1, 'WARN', ?2, ?3 FROM event_sequence WHERE id = 1"
            }
        };
        let values = vec![id.into(), message.into(), chrono::Utc::now().into()];
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        db.execute_unprepared("UPDATE event_sequence SET last_seq = last_seq + 1 WHERE id = 1").await?;
    }
    db.execute_unprepared(
        "UPDATE runs SET status = 'FAILURE', finished_at = COALESCE(finished_at, created_at) WHERE status = 'running'",
    )
    .await?;
    Ok(())
}
