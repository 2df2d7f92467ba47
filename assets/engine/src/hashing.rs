//! Data versions of tables.
//!
//! A table's data version hashes its schema (field names and types) and
//! the *multiset* of its rows: each row (in Arrow's row format) is hashed
//! with BLAKE3 and the 256-bit hashes are added lane by lane, so the same
//! rows in any order give the same version. DataFusion may return rows in a
//! different order from one run to the next; this keeps "same data, same
//! version" true, which is what lets downstream assets stay fresh.
//!
//! Floating-point values are hashed rounded to 40 of their 52 mantissa
//! bits (about 12 significant decimal digits; `f32`: 19 of 23 bits), with
//! `-0.0` as `0.0` and every NaN alike. DataFusion aggregates in parallel
//! and adds floats in whatever order the partial results arrive, so
//! `avg(temp)` over the same rows can differ in its last bits from one run
//! to the next; rounded, the same logical result gets the same version.
//! Values that differ in their twelfth significant digit still differ.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float32Array, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};

use cairn_core::DataVersion;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::ExecuteError;

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
            let columns: Vec<ArrayRef> = batch.columns().iter().map(stable_floats).collect();
            let rows = converter
                .convert_columns(&columns)
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

/// Bits of an `f64` mantissa dropped before hashing.
const F64_DROPPED_BITS: u32 = 12;
/// Bits of an `f32` mantissa dropped before hashing.
const F32_DROPPED_BITS: u32 = 4;

/// `column` with floats rounded to the bits that are hashed (other
/// columns unchanged).
fn stable_floats(column: &ArrayRef) -> ArrayRef {
    match column.data_type() {
        DataType::Float64 => {
            let values: Float64Array = column.as_primitive::<Float64Type>().unary(stable_f64);
            Arc::new(values)
        }
        DataType::Float32 => {
            let values: Float32Array = column.as_primitive::<Float32Type>().unary(stable_f32);
            Arc::new(values)
        }
        _ => column.clone(),
    }
}

/// `value` rounded to nearest at its 40th mantissa bit; `-0.0` is `0.0`,
/// every NaN is the same NaN. Rounding may carry into the exponent, which
/// is what rounding up a mantissa of all ones means.
fn stable_f64(value: f64) -> f64 {
    if value.is_nan() {
        return f64::NAN;
    }
    if value == 0.0 {
        return 0.0;
    }
    if value.is_infinite() {
        return value;
    }
    let bits = value.to_bits();
    let half = 1u64 << (F64_DROPPED_BITS - 1);
    f64::from_bits((bits + half) & !((1u64 << F64_DROPPED_BITS) - 1))
}

/// As [`stable_f64`], for `f32`.
fn stable_f32(value: f32) -> f32 {
    if value.is_nan() {
        return f32::NAN;
    }
    if value == 0.0 {
        return 0.0;
    }
    if value.is_infinite() {
        return value;
    }
    let bits = value.to_bits();
    let half = 1u32 << (F32_DROPPED_BITS - 1);
    f32::from_bits((bits + half) & !((1u32 << F32_DROPPED_BITS) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray};
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

    fn floats(values: &[f64]) -> DataVersion {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, false)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Float64Array::from(values.to_vec()))]).unwrap();
        version(&[batch])
    }

    #[test]
    fn float_sums_in_another_order_give_the_same_version() {
        // The same mean computed in two orders differs in its last bits.
        let parts = [
            57.744_670_227_102_63,
            -81.228_082_645_153_02,
            -94.330_504_695_598_73,
            67.153_020_783_973_94,
            -13.446_586_418_989_327,
            52.456_016_491_588_4,
            -99.578_789_329_777_86,
        ];
        let forward: f64 = parts.iter().sum::<f64>() / 7.0;
        let backward: f64 = parts.iter().rev().sum::<f64>() / 7.0;
        assert_ne!(forward.to_bits(), backward.to_bits(), "the premise: summation order matters");
        assert_eq!(floats(&[forward]), floats(&[backward]));
        assert_eq!(floats(&[0.0]), floats(&[-0.0]));
        assert_eq!(floats(&[f64::NAN]), floats(&[-f64::NAN]));
        // A real change, even small, still changes the version.
        assert_ne!(floats(&[21.5]), floats(&[21.500_000_001]));
        assert_ne!(floats(&[1.0]), floats(&[f64::INFINITY]));
    }
}
