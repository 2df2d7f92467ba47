//! Sources as steps read them: observed once per run by each executor
//! process, their DataFusion table built once (schema inferred once), then
//! shared by every step of that run in the process.
//!
//! A CSV or JSON source of at most [`IN_MEMORY_SOURCE_BYTES`] is also
//! parsed once per run and kept in memory: a daily-partitioned asset over
//! it then filters Arrow batches in each step instead of parsing the whole
//! text file again (the cost `cairn materialize` paid per partition step
//! before). Larger sources, and Parquet ones (columnar already, with
//! statistics to skip what a query filters out), are read from their files
//! by each step.
//!
//! The first step of a run that reads a source hashes its files and
//! compares the result with the store's latest observation; a new data
//! version is recorded (`ASSET_OBSERVATION`) before any step reads it, so
//! the data version a materialization records as its input is the one
//! in the store, whichever process executed it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cairn_assets::definition::{AssetDefinition, SourceDefinition, TableFormat};
use cairn_assets::observe::observe_source;
use cairn_assets::tables::{FileSettings, new_session, register_files, table_reference};
use cairn_core::{AssetKey, DataVersion};
use cairn_store::{MetadataStore, NewObservation, RunId};
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
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

/// Total size of a CSV or JSON source's files up to which a run parses it
/// once and keeps it in memory (64 MiB; its Arrow form takes about as much).
pub const IN_MEMORY_SOURCE_BYTES: u64 = 64 << 20;

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
    let files_table = ctx
        .table_provider(table_reference(&key))
        .await
        .map_err(|e| ExecuteError::Internal(format!("source `{key}` was not registered: {e}")))?;
    let text = matches!(source.format, TableFormat::Csv | TableFormat::Json);
    let table = if text && observed.bytes <= IN_MEMORY_SOURCE_BYTES {
        match in_memory(&ctx, &key, &files_table).await {
            Some(table) => table,
            // Unreadable data: each step's query reports it, as for a
            // source read from its files.
            None => files_table,
        }
    } else {
        files_table
    };
    Ok(ReadSource { data_version: observed.data_version, files: observed.files, table })
}

/// The source's rows parsed once into a memory table, or `None` when they
/// cannot be read.
async fn in_memory(
    ctx: &datafusion::prelude::SessionContext,
    key: &AssetKey,
    files_table: &Arc<dyn TableProvider>,
) -> Option<Arc<dyn TableProvider>> {
    let batches = ctx.table(table_reference(key)).await.ok()?.collect().await.ok()?;
    let table = MemTable::try_new(files_table.schema(), vec![batches]).ok()?;
    Some(Arc::new(table))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::datasource::listing::ListingTable;

    fn source(resolved: PathBuf, format: TableFormat) -> AssetDefinition {
        AssetDefinition::Source(SourceDefinition {
            path: resolved.file_name().unwrap().to_string_lossy().into_owned(),
            resolved,
            is_glob: false,
            format,
            delimiter: b',',
            has_header: true,
        })
    }

    /// A run with no steps (observations name their run).
    async fn run(store: &MetadataStore) -> RunId {
        use cairn_core::run::{PartitionScope, RunTarget};
        store
            .create_run(&cairn_store::NewRun {
                project: "p".into(),
                origin: cairn_store::RunOrigin::Cli,
                tags: Default::default(),
                selection: String::new(),
                partition_filter: None,
                target: RunTarget { assets: Vec::new(), partitions: PartitionScope::All, only_stale: true },
                steps: Vec::new(),
                created_at: chrono::Utc::now(),
            })
            .await
            .unwrap()
    }

    async fn rows(table: Arc<dyn TableProvider>) -> Vec<String> {
        let ctx = new_session();
        ctx.register_table("t", table).unwrap();
        let batches = ctx.sql("SELECT day, amount FROM t ORDER BY day").await.unwrap().collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
        text.lines().filter(|line| line.starts_with("| 2")).map(str::to_owned).collect()
    }

    /// A small CSV source is parsed once per run: the run's steps share
    /// its rows as first read (and observed), even if the file changes
    /// under the run; the next run reads the new file. A Parquet source
    /// stays a table over its files.
    #[tokio::test]
    async fn a_small_text_source_is_read_once_per_run() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cairn.db").display());
        let store = MetadataStore::connect(&url).await.unwrap();
        let clock = Clock::system();
        let csv = dir.path().join("events.csv");
        std::fs::write(&csv, "day,amount\n2026-01-01,1\n2026-01-02,2\n").unwrap();
        let key = AssetKey::new("events").unwrap();
        let definition = source(csv.clone(), TableFormat::Csv);
        let cache = SourceCache::default();
        let (one, two) = (run(&store).await, run(&store).await);

        let first = cache.get(&store, &clock, one, &key, &definition).await.unwrap();
        assert!(first.table.is::<MemTable>(), "kept in memory");
        assert_eq!(rows(first.table.clone()).await.len(), 2);
        std::fs::write(&csv, "day,amount\n2026-01-01,1\n2026-01-02,2\n2026-01-03,3\n").unwrap();
        let again = cache.get(&store, &clock, one, &key, &definition).await.unwrap();
        assert_eq!(again.data_version, first.data_version);
        assert_eq!(rows(again.table).await.len(), 2, "the run reads the rows it observed");

        let next_run = cache.get(&store, &clock, two, &key, &definition).await.unwrap();
        assert_ne!(next_run.data_version, first.data_version);
        assert_eq!(rows(next_run.table).await.len(), 3);

        // The same rows as Parquet: read from the file by each step.
        let parquet = dir.path().join("events.parquet");
        let ctx = new_session();
        ctx.register_table("t", cache.get(&store, &clock, two, &key, &definition).await.unwrap().table).unwrap();
        ctx.sql("SELECT * FROM t")
            .await
            .unwrap()
            .write_parquet(
                parquet.to_str().unwrap(),
                datafusion::dataframe::DataFrameWriteOptions::new().with_single_file_output(true),
                None,
            )
            .await
            .unwrap();
        let parquet_key = AssetKey::new("events_parquet").unwrap();
        let read = cache.get(&store, &clock, two, &parquet_key, &source(parquet, TableFormat::Parquet)).await.unwrap();
        assert!(read.table.is::<ListingTable>(), "a table over its files");
        assert_eq!(rows(read.table).await.len(), 3);
    }
}
