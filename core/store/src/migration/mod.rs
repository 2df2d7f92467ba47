//! Schema migrations of the metadata store (sea-orm-migration).
//!
//! Migrations are written with sea-query's schema builder (and, where both
//! databases share the syntax, plain SQL) so the same code migrates SQLite
//! and PostgreSQL. They use their own identifiers rather than the entities
//! in [`super::entities`], so later entity changes cannot rewrite history.
//! Applied migrations are recorded in `cairn_migrations` (not sea-orm's
//! default `seaql_migrations`), so a PostgreSQL database shared with
//! another sea-orm application does not mix up the two histories.
//!
//! Every migration runs in a transaction on both backends (SQLite DDL is
//! transactional), so a failed migration leaves no half-built schema, and
//! [`super::connect`] runs them while holding a lock, so two processes
//! opening a new database at once never race on creating it.
//!
//! A migration is never edited once released: a database written by an
//! earlier release is brought forward by the migrations after it.

mod m0001_initial_schema;
mod m0002_durable_runs;
mod m0003_backfills;
mod m0004_executors;
mod m0005_asset_partitions;
mod m0006_retention;
mod m0007_asset_status_cache;
mod m0008_automation;

use sea_orm_migration::prelude::*;

/// Name of the table recording applied migrations.
const MIGRATION_TABLE: &str = "cairn_migrations";

/// All migrations of the metadata store, oldest first.
pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial_schema::InitialSchema),
            Box::new(m0002_durable_runs::DurableRuns),
            Box::new(m0003_backfills::Backfills0003),
            Box::new(m0004_executors::Executors0004),
            Box::new(m0005_asset_partitions::AssetPartitions0005),
            Box::new(m0006_retention::Retention0006),
            Box::new(m0007_asset_status_cache::AssetStatusCache0007),
            Box::new(m0008_automation::Automation0008),
        ]
    }

    fn migration_table_name() -> DynIden {
        MIGRATION_TABLE.into_iden()
    }
}

/// The first migration alone: what Cairn 0.1 created. Tests use it to build
/// a database as the previous release left it, then migrate it.
#[cfg(feature = "test-support")]
pub(crate) struct ReleaseZeroOneMigrator;

#[cfg(feature = "test-support")]
#[async_trait::async_trait]
impl MigratorTrait for ReleaseZeroOneMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m0001_initial_schema::InitialSchema)]
    }

    fn migration_table_name() -> DynIden {
        MIGRATION_TABLE.into_iden()
    }
}
