//! Asset checks, run on new data before it is published.
//!
//! Each check counts violating rows and keeps a sample of them:
//! `not_null` (rows with a NULL in any listed column), `unique` (rows in
//! groups that share the listed columns), `accepted_values` (non-NULL values
//! outside the list), `row_count` (1 when the count is out of bounds) and
//! `sql` (the rows the query returns). A check that cannot run (a column
//! that does not exist, a query error) fails with that error.

use cairn_assets::definition::{Asset, Check, CheckKind, Scalar};
use cairn_assets::tables::table_reference;
use cairn_core::check::CheckSeverity;
use datafusion::arrow::array::RecordBatch;
use datafusion::common::Column;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, col, lit};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use serde_json::Value;

/// Rows kept as a sample of violations.
pub const SAMPLE_ROWS: usize = 5;

/// The result of one check.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// The check's name.
    pub name: String,
    /// Its severity.
    pub severity: CheckSeverity,
    /// Whether it passed.
    pub passed: bool,
    /// Violating rows.
    pub violations: i64,
    /// Up to [`SAMPLE_ROWS`] violating rows, as a JSON array of objects.
    pub sample: Value,
    /// Why the check could not run, if it could not.
    pub error: Option<String>,
}

impl CheckOutcome {
    /// Whether this outcome stops publication (a failed `error` check).
    pub fn blocks_publication(&self) -> bool {
        !self.passed && self.severity == CheckSeverity::Error
    }

    /// The sample of violating rows, one compact JSON object per line
    /// (at most `limit` lines).
    pub fn sample_lines(&self, limit: usize) -> Vec<String> {
        self.sample.as_array().map_or_else(Vec::new, |rows| rows.iter().take(limit).map(Value::to_string).collect())
    }

    /// `not_null(carrier): 3 violating rows`, or the error.
    pub fn summary(&self) -> String {
        match &self.error {
            Some(error) => format!("{} could not run: {error}", self.name),
            None if self.passed => format!("{} passed", self.name),
            None => format!(
                "{}: {} violating row{}",
                self.name,
                self.violations,
                if self.violations == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Runs every check of `asset` against the table registered under its key
/// in `ctx` (the staged new data).
pub async fn run_checks(ctx: &SessionContext, asset: &Asset) -> Vec<CheckOutcome> {
    let mut outcomes = Vec::with_capacity(asset.checks.len());
    for check in &asset.checks {
        let outcome = match evaluate(ctx, asset, check).await {
            Ok((violations, sample)) => CheckOutcome {
                name: check.name.clone(),
                severity: check.severity,
                passed: violations == 0,
                violations,
                sample,
                error: None,
            },
            Err(error) => CheckOutcome {
                name: check.name.clone(),
                severity: check.severity,
                passed: false,
                violations: 0,
                sample: Value::Array(Vec::new()),
                error: Some(error.strip_backtrace()),
            },
        };
        outcomes.push(outcome);
    }
    outcomes
}

async fn evaluate(ctx: &SessionContext, asset: &Asset, check: &Check) -> Result<(i64, Value), DataFusionError> {
    let table = || ctx.table(table_reference(asset.key()));
    match &check.kind {
        CheckKind::NotNull { columns } => {
            let any_null =
                columns.iter().map(|c| column(c).is_null()).reduce(Expr::or).expect("columns checked non-empty");
            violations(table().await?.filter(any_null)?).await
        }
        CheckKind::Unique { columns } => {
            let keys: Vec<Expr> = columns.iter().map(|c| column(c)).collect();
            let groups = table()
                .await?
                .aggregate(keys, vec![count(lit(1)).alias("duplicates")])?
                .filter(col("duplicates").gt(lit(1)))?;
            let sample = sample(groups.clone()).await?;
            let rows = groups.aggregate(
                vec![],
                vec![datafusion::functions_aggregate::expr_fn::sum(col("duplicates")).alias("rows")],
            )?;
            let batches = rows.collect().await?;
            Ok((first_i64(&batches).unwrap_or(0), sample))
        }
        CheckKind::AcceptedValues { column: name, values } => {
            let list: Vec<Expr> = values.iter().map(literal).collect();
            let outside = column(name).is_not_null().and(column(name).in_list(list, true));
            violations(table().await?.filter(outside)?).await
        }
        CheckKind::RowCount { min, max } => {
            let rows = table().await?.count().await? as u64;
            let below = min.is_some_and(|min| rows < min);
            let above = max.is_some_and(|max| rows > max);
            let sample = serde_json::json!([{ "row_count": rows, "min": min, "max": max }]);
            Ok((i64::from(below || above), sample))
        }
        CheckKind::Sql { query } => violations(ctx.sql(query).await?).await,
    }
}

/// A column by exact name (no identifier parsing, so `Carrier` and
/// `a.b` are taken literally).
fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

fn literal(value: &Scalar) -> Expr {
    match value {
        Scalar::Bool(b) => lit(*b),
        Scalar::Int(i) => lit(*i),
        Scalar::Float(x) => lit(*x),
        Scalar::Text(t) => lit(t.clone()),
    }
}

/// Counts the violating rows and keeps the first few, in one pass.
async fn violations(rows: DataFrame) -> Result<(i64, Value), DataFusionError> {
    let mut stream = rows.execute_stream().await?;
    let mut count = 0;
    let mut kept: Vec<RecordBatch> = Vec::new();
    let mut kept_rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        count += batch.num_rows() as i64;
        if kept_rows < SAMPLE_ROWS && batch.num_rows() > 0 {
            let take = (SAMPLE_ROWS - kept_rows).min(batch.num_rows());
            kept.push(batch.slice(0, take));
            kept_rows += take;
        }
    }
    Ok((count, batches_to_json(&kept)))
}

async fn sample(rows: DataFrame) -> Result<Value, DataFusionError> {
    let batches = rows.limit(0, Some(SAMPLE_ROWS))?.collect().await?;
    Ok(batches_to_json(&batches))
}

/// Record batches as a JSON array of row objects (NULLs as `null`).
pub fn batches_to_json(batches: &[RecordBatch]) -> Value {
    let mut buffer = Vec::new();
    {
        let mut writer = datafusion::arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, datafusion::arrow::json::writer::JsonArray>(&mut buffer);
        for batch in batches {
            if writer.write(batch).is_err() {
                return Value::Array(Vec::new());
            }
        }
        if writer.finish().is_err() {
            return Value::Array(Vec::new());
        }
    }
    serde_json::from_slice(&buffer).unwrap_or_else(|_| Value::Array(Vec::new()))
}

fn first_i64(batches: &[RecordBatch]) -> Option<i64> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;
    let batch = batches.iter().find(|b| b.num_rows() > 0)?;
    let column = batch.column(0);
    let values = column.as_primitive_opt::<Int64Type>()?;
    (!values.is_null(0)).then(|| values.value(0))
}
