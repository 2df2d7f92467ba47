//! The asset status cache (`asset_status_cache`): each asset's status as
//! `cairn status` shows it, kept with the event log's sequence number it
//! is valid as of and a fingerprint of the definitions it was computed
//! from (Dagster keeps the same kind of value per asset,
//! `AssetStatusCacheValue`, advanced from a storage cursor). Readers
//! recompute only the assets whose fingerprint changed or that an event
//! after the entry's sequence number touched, with their downstream
//! assets. The value is opaque to the store (JSON written by the engine).
//!
//! Nothing to fill from an earlier release: an empty cache is computed at
//! the first `cairn status`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, text};

#[derive(DeriveIden)]
enum AssetStatusCache {
    Table,
    AssetKey,
    Seq,
    Fingerprint,
    Value,
}

pub(super) struct AssetStatusCache0007;

impl MigrationName for AssetStatusCache0007 {
    fn name(&self) -> &str {
        "m0007_asset_status_cache"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AssetStatusCache0007 {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AssetStatusCache::Table)
                    .col(text(AssetStatusCache::AssetKey).primary_key())
                    .col(big_integer(AssetStatusCache::Seq))
                    .col(text(AssetStatusCache::Fingerprint))
                    .col(text(AssetStatusCache::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AssetStatusCache::Table).to_owned()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
