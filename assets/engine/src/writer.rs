//! Writing a query's output to a table file while hashing it.

use std::path::Path;
use std::time::{Duration, Instant};

use cairn_core::DataVersion;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::AsyncArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;

use cairn_assets::definition::TableFormat;

use crate::error::ExecuteError;
use crate::hashing::TableHasher;

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Rows written.
    pub rows: u64,
    /// Bytes of the file.
    pub bytes: u64,
    /// Order-independent hash of schema and rows.
    pub data_version: DataVersion,
    /// Time spent waiting on the query stream (DataFusion's own work).
    pub query_time: Duration,
    /// The batches written, when they were asked for and their in-memory
    /// size stayed within the budget (see [`write_stream`]).
    pub kept: Option<Vec<RecordBatch>>,
}

enum Sink {
    Parquet(AsyncArrowWriter<tokio::fs::File>),
    Csv(datafusion::arrow::csv::Writer<std::io::BufWriter<std::fs::File>>),
    Json(datafusion::arrow::json::LineDelimitedWriter<std::io::BufWriter<std::fs::File>>),
}

impl Sink {
    async fn create(path: &Path, format: TableFormat, schema: &SchemaRef) -> Result<Self, ExecuteError> {
        let io = |e: std::io::Error| ExecuteError::Io(format!("cannot create `{}`: {e}", path.display()));
        Ok(match format {
            TableFormat::Parquet => {
                let file = tokio::fs::File::create(path).await.map_err(io)?;
                let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
                let writer = AsyncArrowWriter::try_new(file, schema.clone(), Some(properties))
                    .map_err(|e| ExecuteError::Internal(format!("cannot start Parquet writer: {e}")))?;
                Self::Parquet(writer)
            }
            TableFormat::Csv => {
                let file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
                Self::Csv(datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(file))
            }
            TableFormat::Json => {
                let file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
                Self::Json(datafusion::arrow::json::LineDelimitedWriter::new(file))
            }
        })
    }

    async fn write(&mut self, batch: &RecordBatch) -> Result<(), ExecuteError> {
        let result = match self {
            Self::Parquet(writer) => writer.write(batch).await.map_err(|e| e.to_string()),
            Self::Csv(writer) => writer.write(batch).map_err(|e| e.to_string()),
            Self::Json(writer) => writer.write(batch).map_err(|e| e.to_string()),
        };
        result.map_err(|e| ExecuteError::Io(format!("cannot write data: {e}")))
    }

    async fn close(self) -> Result<(), ExecuteError> {
        let result = match self {
            Self::Parquet(writer) => writer.close().await.map(|_| ()).map_err(|e| e.to_string()),
            Self::Csv(writer) => {
                let mut inner = writer.into_inner();
                std::io::Write::flush(&mut inner).map_err(|e| e.to_string())
            }
            Self::Json(mut writer) => writer.finish().map_err(|e| e.to_string()).and_then(|()| {
                let mut inner = writer.into_inner();
                std::io::Write::flush(&mut inner).map_err(|e| e.to_string())
            }),
        };
        result.map_err(|e| ExecuteError::Io(format!("cannot finish data file: {e}")))
    }
}

/// Drains `stream` into a new file at `path` in `format`, hashing every
/// row. The file is complete only when this returns `Ok`.
///
/// With `keep_budget` (bytes of Arrow memory), the batches are also kept
/// in [`Written::kept`] as long as they fit in it, so checks can read the
/// new data without reading the file back; past the budget they are
/// dropped and `kept` is `None`.
///
/// # Errors
/// [`ExecuteError::Query`] when the query fails while running (`asset` names
/// it), [`ExecuteError::Io`] when the file cannot be written.
pub async fn write_stream(
    asset: &str,
    mut stream: SendableRecordBatchStream,
    path: &Path,
    format: TableFormat,
    keep_budget: Option<usize>,
) -> Result<Written, ExecuteError> {
    let schema = stream.schema();
    let mut kept: Option<(Vec<RecordBatch>, usize)> = keep_budget.map(|_| (Vec::new(), 0));
    let mut hasher = TableHasher::new(&schema);
    let mut sink = Sink::create(path, format, &schema).await?;
    let mut query_time = Duration::ZERO;
    loop {
        let started = Instant::now();
        let next = stream.next().await;
        query_time += started.elapsed();
        let Some(batch) = next else { break };
        let batch = batch.map_err(|e| ExecuteError::Query { asset: asset.to_owned(), message: e.to_string() })?;
        if batch.num_rows() == 0 {
            continue;
        }
        hasher.update(&batch)?;
        sink.write(&batch).await?;
        if let Some((batches, size)) = &mut kept {
            *size += batch.get_array_memory_size();
            if *size > keep_budget.unwrap_or_default() {
                kept = None;
            } else {
                batches.push(batch);
            }
        }
    }
    sink.close().await?;
    let bytes = fs_err::metadata(path).map_err(ExecuteError::io)?.len();
    Ok(Written {
        rows: hasher.rows(),
        bytes,
        data_version: hasher.finish(),
        query_time,
        kept: kept.map(|(batches, _)| batches),
    })
}
