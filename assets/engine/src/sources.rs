//! Sources as steps read them: observed once per run by each executor
//! process, their DataFusion table built once (schema inferred once), then
//! shared by every step of that run in the process.
//!
//! The first step of a run that reads a source hashes its files and
//! compares the result with the store's latest observation; a new data
//! version is recorded (`ASSET_OBSERVATION`) before any step reads it, so
//! the data version a materialization records as its input is the one
//! in the store, whichever process executed it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cairn_assets::definition::{AssetDefinition, SourceDefinition};
use cairn_assets::observe::observe_source;
use cairn_assets::tables::{FileSettings, new_session, register_files, table_reference};
use cairn_core::{AssetKey, DataVersion};
use cairn_store::{MetadataStore, NewObservation, RunId};
use datafusion::catalog::TableProvider;
use tokio::sync::OnceCell;

use crate::error::ExecuteError;
use crate::instance::Clock;

/// A source as one run reads it.
#[derive(Clone)]
pub struct ReadSource {
    /// Its data version (as recorded in the store).
    pub data_version: DataVersion,
    /// Its files, sorted.
    pub files: Vec<PathBuf>,
    /// Its table, schema inferred once.
    pub table: Arc<dyn TableProvider>,
}

type Slot = Arc<OnceCell<Result<ReadSource, ExecuteError>>>;

/// Observed sources per run, for the steps this process executes.
#[derive(Default)]
pub struct SourceCache {
    slots: Mutex<HashMap<(RunId, AssetKey), Slot>>,
}

impl SourceCache {
    /// The source `key` as run `run` reads it: observed (and the
    /// observation recorded if new) by the first step that asks, shared
    /// by the others.
    ///
    /// # Errors
    /// [`ExecuteError::SourceMissing`] when it has no files, others when
    /// they cannot be read or the store fails; the error is shared too.
    pub async fn get(
        &self,
        store: &MetadataStore,
        clock: &Clock,
        run: RunId,
        key: &AssetKey,
        definition: &AssetDefinition,
    ) -> Result<ReadSource, ExecuteError> {
        let AssetDefinition::Source(source) = definition else {
            return Err(ExecuteError::Internal(format!("`{key}` is not a source")));
        };
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.entry((run, key.clone())).or_default().clone()
        };
        slot.get_or_init(|| observe(store, clock, run, key.clone(), source.clone())).await.clone()
    }

    /// Forgets what was cached for a finished run.
    pub fn forget_run(&self, run: RunId) {
        let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.retain(|(cached_run, _), _| *cached_run != run);
    }
}

async fn observe(
    store: &MetadataStore,
    clock: &Clock,
    run: RunId,
    key: AssetKey,
    source: SourceDefinition,
) -> Result<ReadSource, ExecuteError> {
    let observed = {
        let (key, source) = (key.clone(), source.clone());
        tokio::task::spawn_blocking(move || observe_source(&key, &source))
            .await
            .map_err(|e| ExecuteError::Internal(format!("source observation failed: {e}")))??
    };
    let previous = store.latest_observation(&key).await?;
    if previous.as_ref().map(|p| &p.data_version) != Some(&observed.data_version) {
        store
            .record_observation(&NewObservation {
                run_id: Some(run),
                asset: key.clone(),
                data_version: observed.data_version.clone(),
                observed_at: clock.now(),
            })
            .await?;
    }
    let ctx = new_session();
    register_files(&ctx, &key, &observed.files, FileSettings::of_source(&source)).await?;
    let table = ctx
        .table_provider(table_reference(&key))
        .await
        .map_err(|e| ExecuteError::Internal(format!("source `{key}` was not registered: {e}")))?;
    Ok(ReadSource { data_version: observed.data_version, files: observed.files, table })
}
