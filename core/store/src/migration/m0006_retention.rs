//! Retention: `cairn gc` prunes the event log from its oldest end, so the
//! store remembers how far it pruned.
//!
//! * `event_sequence.pruned_through`: the highest sequence number pruned
//!   (0: nothing pruned yet). A reader resuming after a cursor below it
//!   has missed events and must resync from current state.
//! * `idx_event_log_at`: the event log by time, so finding the events
//!   older than the retention does not scan the log.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum EventSequence {
    Table,
    PrunedThrough,
}

#[derive(DeriveIden)]
enum EventLog {
    Table,
    At,
}

pub(super) struct Retention0006;

impl MigrationName for Retention0006 {
    fn name(&self) -> &str {
        "m0006_retention"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Retention0006 {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventSequence::Table)
                    .add_column(ColumnDef::new(EventSequence::PrunedThrough).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_event_log_at").table(EventLog::Table).col(EventLog::At).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_event_log_at").table(EventLog::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter().table(EventSequence::Table).drop_column(EventSequence::PrunedThrough).to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
