//! Data versions of tables and files.
//!
//! A table's data version hashes its schema (field names and types) and
//! the *multiset* of its rows: each row (in Arrow's row format) is hashed
//! with BLAKE3 and the 256-bit hashes are added lane by lane, so the same
//! rows in any order give the same version. DataFusion may return rows in a
//! different order from one run to the next; this keeps "same data, same
//! version" true, which is what lets downstream assets stay fresh.

use std::io::Read;
use std::path::Path;

use cairn_core::DataVersion;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::ExecuteError;

/// Accumulates the order-independent hash of a table, batch by batch.
pub struct TableHasher {
    schema_text: String,
    converter: Option<RowConverter>,
    lanes: [u64; 4],
    rows: u64,
}

impl TableHasher {
    /// A hasher for tables with `schema`.
    pub fn new(schema: &SchemaRef) -> Self {
        let schema_text =
            schema.fields().iter().map(|f| format!("{}:{}", f.name(), f.data_type())).collect::<Vec<_>>().join(",");
        let fields: Vec<SortField> = schema.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect();
        // Some types have no row format; those tables are hashed through
        // their display text instead.
        let converter = RowConverter::new(fields).ok();
        Self { schema_text, converter, lanes: [0; 4], rows: 0 }
    }

    /// Adds a batch's rows.
    ///
    /// # Errors
    /// [`ExecuteError::Internal`] if Arrow cannot format or convert a value.
    pub fn update(&mut self, batch: &RecordBatch) -> Result<(), ExecuteError> {
        self.rows += batch.num_rows() as u64;
        if let Some(converter) = &self.converter {
            let rows = converter
                .convert_columns(batch.columns())
                .map_err(|e| ExecuteError::Internal(format!("cannot hash rows: {e}")))?;
            for row in rows.iter() {
                self.add(blake3::hash(row.as_ref()).as_bytes());
            }
        } else {
            let options = FormatOptions::default().with_null("\u{0}NULL");
            let formatters = batch
                .columns()
                .iter()
                .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ExecuteError::Internal(format!("cannot hash rows: {e}")))?;
            for index in 0..batch.num_rows() {
                let mut hasher = blake3::Hasher::new();
                for formatter in &formatters {
                    hasher.update(formatter.value(index).to_string().as_bytes());
                    hasher.update(&[0x1f]);
                }
                self.add(hasher.finalize().as_bytes());
            }
        }
        Ok(())
    }

    fn add(&mut self, hash: &[u8; 32]) {
        for (lane, chunk) in self.lanes.iter_mut().zip(hash.chunks_exact(8)) {
            *lane = lane.wrapping_add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
    }

    /// Rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The data version.
    pub fn finish(&self) -> DataVersion {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"cairn-table-v1\0");
        hasher.update(self.schema_text.as_bytes());
        hasher.update(&self.rows.to_le_bytes());
        for lane in self.lanes {
            hasher.update(&lane.to_le_bytes());
        }
        DataVersion::from_hash(&hasher.finalize())
    }
}

/// Files larger than this are versioned by size and modification time
/// instead of content (256 MiB).
pub const CONTENT_HASH_LIMIT_BYTES: u64 = 256 * 1024 * 1024;

/// Feeds one file into `hasher`: its content (BLAKE3) if it is at most
/// [`CONTENT_HASH_LIMIT_BYTES`], else its size and modification time.
///
/// # Errors
/// [`ExecuteError::Io`] naming the file.
pub fn hash_file_into(hasher: &mut blake3::Hasher, path: &Path) -> Result<u64, ExecuteError> {
    let metadata = fs_err::metadata(path).map_err(ExecuteError::io)?;
    let size = metadata.len();
    if size <= CONTENT_HASH_LIMIT_BYTES {
        let mut file = fs_err::File::open(path).map_err(ExecuteError::io)?;
        let mut buffer = vec![0u8; 1 << 16];
        let mut content = blake3::Hasher::new();
        loop {
            let read = file.read(&mut buffer).map_err(ExecuteError::io)?;
            if read == 0 {
                break;
            }
            content.update(&buffer[..read]);
        }
        hasher.update(b"content\0");
        hasher.update(content.finalize().as_bytes());
    } else {
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        hasher.update(b"size-mtime\0");
        hasher.update(&size.to_le_bytes());
        hasher.update(&modified.to_le_bytes());
    }
    Ok(size)
}

/// The data version of one opaque file.
///
/// # Errors
/// [`ExecuteError::Io`] naming the file.
pub fn file_data_version(path: &Path) -> Result<(DataVersion, u64), ExecuteError> {
    let mut hasher = blake3::Hasher::new();
    let size = hash_file_into(&mut hasher, path)?;
    Ok((DataVersion::from_hash(&hasher.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn batch(ids: &[i64], names: &[&str]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from(ids.to_vec())), Arc::new(StringArray::from(names.to_vec()))],
        )
        .unwrap()
    }

    fn version(batches: &[RecordBatch]) -> DataVersion {
        let mut hasher = TableHasher::new(&batches[0].schema());
        for b in batches {
            hasher.update(b).unwrap();
        }
        hasher.finish()
    }

    #[test]
    fn row_order_and_batching_do_not_matter() {
        let one = version(&[batch(&[1, 2, 3], &["a", "b", "c"])]);
        let shuffled = version(&[batch(&[3, 1], &["c", "a"]), batch(&[2], &["b"])]);
        assert_eq!(one, shuffled);
    }

    #[test]
    fn any_change_in_rows_changes_the_version() {
        let base = version(&[batch(&[1, 2], &["a", "b"])]);
        assert_ne!(base, version(&[batch(&[1, 2], &["a", "c"])]));
        assert_ne!(base, version(&[batch(&[1, 2, 2], &["a", "b", "b"])]));
        assert_ne!(base, version(&[batch(&[1], &["a"])]));
    }

    #[test]
    fn files_hash_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "hello").unwrap();
        let (first, size) = file_data_version(&path).unwrap();
        assert_eq!(size, 5);
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(file_data_version(&path).unwrap().0, first);
        std::fs::write(&path, "hellO").unwrap();
        assert_ne!(file_data_version(&path).unwrap().0, first);
        assert!(file_data_version(&dir.path().join("missing")).unwrap_err().to_string().contains("missing"));
    }
}
