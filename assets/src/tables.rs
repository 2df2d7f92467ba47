//! Registering assets as DataFusion tables: sources over their files, and
//! materialized assets over the partition files a step reads. Shared by
//! `cairn validate` (schemas) and the engine (queries).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_core::AssetKey;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, TableProvider};
use datafusion::common::TableReference;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::definition::{SourceDefinition, TableFormat};

/// Why files could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// A source's files do not exist.
    #[error("source `{asset}`: `{path}` does not exist")]
    SourceMissing {
        /// The source asset.
        asset: String,
        /// Its path as written.
        path: String,
    },
    /// The files exist but cannot be read as a table.
    #[error("cannot read upstream `{asset}`: {message}")]
    Input {
        /// The asset (or asset partition) read.
        asset: String,
        /// What went wrong.
        message: String,
    },
    /// A file system error (the message names the path).
    #[error("{0}")]
    Io(String),
    /// DataFusion refused something Cairn built (a broken invariant).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Rows read to infer a CSV or JSON file's schema. Large, because sparse
/// columns (nycflights13's `wind_gust` is NULL in 80% of rows) would
/// otherwise be inferred from empty values only.
pub const SCHEMA_INFERENCE_ROWS: usize = 200_000;

/// A fresh DataFusion session with Cairn's settings.
pub fn new_session() -> SessionContext {
    let config = SessionConfig::new().with_information_schema(false).with_create_default_catalog_and_schema(true);
    SessionContext::new_with_config(config)
}

/// How a set of files is read.
#[derive(Debug, Clone, Copy)]
pub struct FileSettings {
    /// Table format.
    pub format: TableFormat,
    /// CSV delimiter.
    pub delimiter: u8,
    /// CSV header row.
    pub has_header: bool,
}

impl FileSettings {
    /// Settings for files Cairn wrote (CSV with header and `,`).
    pub fn written(format: TableFormat) -> Self {
        Self { format, delimiter: b',', has_header: true }
    }

    /// Settings of a source.
    pub fn of_source(source: &SourceDefinition) -> Self {
        Self { format: source.format, delimiter: source.delimiter, has_header: source.has_header }
    }
}

/// The table reference an asset key is known by in SQL
/// (`raw/flights` is `raw.flights`).
pub fn table_reference(key: &AssetKey) -> TableReference {
    let segments: Vec<&str> = key.segments().collect();
    match segments.as_slice() {
        [table] => TableReference::bare(*table),
        [schema, table] => TableReference::partial(*schema, *table),
        [catalog, schema, table] => TableReference::full(*catalog, *schema, *table),
        _ => unreachable!("asset keys have 1 to 3 segments"),
    }
}

/// Registers `files` as the table `key` in `ctx`, creating its catalog and
/// schema when needed. The schema is inferred from the files.
///
/// # Errors
/// [`ReadError::Input`] when there are no files or they cannot be read.
pub async fn register_files(
    ctx: &SessionContext,
    key: &AssetKey,
    files: &[PathBuf],
    settings: FileSettings,
) -> Result<(), ReadError> {
    if files.is_empty() {
        return Err(ReadError::Input { asset: key.to_string(), message: "there is no data to read".into() });
    }
    let urls = files
        .iter()
        .map(|path| url_of(path).map_err(|message| ReadError::Input { asset: key.to_string(), message }))
        .collect::<Result<Vec<_>, _>>()?;
    let format: Arc<dyn FileFormat> = match settings.format {
        TableFormat::Parquet => Arc::new(ParquetFormat::default()),
        TableFormat::Csv => Arc::new(
            CsvFormat::default()
                .with_has_header(settings.has_header)
                .with_delimiter(settings.delimiter)
                .with_schema_infer_max_rec(SCHEMA_INFERENCE_ROWS),
        ),
        TableFormat::Json => Arc::new(JsonFormat::default().with_schema_infer_max_rec(SCHEMA_INFERENCE_ROWS)),
    };
    let options = ListingOptions::new(format).with_file_extension("");
    let input_error = |e: datafusion::error::DataFusionError| ReadError::Input {
        asset: key.to_string(),
        message: format!("cannot read {}: {e}", describe_files(files)),
    };
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .infer_schema(&ctx.state())
        .await
        .map_err(input_error)?;
    let table = ListingTable::try_new(config).map_err(input_error)?;
    register_table(ctx, key, Arc::new(table))
}

/// Registers `table` as the table named by `key`, creating its catalog and
/// schema when needed.
///
/// # Errors
/// [`ReadError::Internal`] if DataFusion refuses the registration.
pub fn register_table(ctx: &SessionContext, key: &AssetKey, table: Arc<dyn TableProvider>) -> Result<(), ReadError> {
    let reference = table_reference(key);
    ensure_schema(ctx, &reference)?;
    ctx.register_table(reference, table).map(|_| ()).map_err(|e| ReadError::Internal(e.to_string()))
}

fn describe_files(files: &[PathBuf]) -> String {
    match files {
        [one] => format!("`{}`", one.display()),
        [first, ..] => format!("{} files such as `{}`", files.len(), first.display()),
        [] => "no files".into(),
    }
}

fn url_of(path: &Path) -> Result<ListingTableUrl, String> {
    let text = path.to_str().ok_or_else(|| format!("path `{}` is not valid UTF-8", path.display()))?;
    ListingTableUrl::parse(text).map_err(|e| format!("invalid path `{text}`: {e}"))
}

fn ensure_schema(ctx: &SessionContext, reference: &TableReference) -> Result<(), ReadError> {
    let internal = |e: datafusion::error::DataFusionError| ReadError::Internal(e.to_string());
    let (catalog_name, schema_name) = match reference {
        TableReference::Bare { .. } => return Ok(()),
        // Read under the lock: `ctx.state()` would copy the whole session.
        TableReference::Partial { schema, .. } => {
            let default_catalog = ctx.state_ref().read().config_options().catalog.default_catalog.clone();
            (default_catalog, schema.to_string())
        }
        TableReference::Full { catalog, schema, .. } => (catalog.to_string(), schema.to_string()),
    };
    let catalog = match ctx.catalog(&catalog_name) {
        Some(catalog) => catalog,
        None => {
            let catalog: Arc<dyn CatalogProvider> = Arc::new(MemoryCatalogProvider::new());
            ctx.register_catalog(&catalog_name, catalog.clone());
            catalog
        }
    };
    if catalog.schema(&schema_name).is_none() {
        catalog.register_schema(&schema_name, Arc::new(MemorySchemaProvider::new())).map_err(internal)?;
    }
    Ok(())
}

/// The files of a source: the file itself, every file in a folder, or the
/// files a glob matches, sorted.
///
/// # Errors
/// [`ReadError::SourceMissing`] when nothing exists at the path or the
/// glob matches no file.
pub fn source_files(key: &AssetKey, source: &SourceDefinition) -> Result<Vec<PathBuf>, ReadError> {
    let missing = || ReadError::SourceMissing { asset: key.to_string(), path: source.path.clone() };
    let mut files = Vec::new();
    if source.is_glob {
        let pattern = source.resolved.to_str().ok_or_else(missing)?;
        for entry in glob::glob(pattern).map_err(|_| missing())? {
            let path = entry.map_err(|e| ReadError::Io(e.to_string()))?;
            if path.is_file() {
                files.push(path);
            }
        }
    } else if source.resolved.is_dir() {
        let pattern = source.resolved.join("**").join("*");
        for entry in glob::glob(&pattern.to_string_lossy()).map_err(|_| missing())? {
            let path = entry.map_err(|e| ReadError::Io(e.to_string()))?;
            let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(['.', '_']));
            if path.is_file() && !hidden {
                files.push(path);
            }
        }
    } else if source.resolved.is_file() {
        files.push(source.resolved.clone());
    }
    if files.is_empty() {
        return Err(missing());
    }
    files.sort();
    Ok(files)
}
