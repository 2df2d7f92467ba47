//! Deep validation for `cairn validate`: plan every SQL query (and every
//! `sql` check) with DataFusion against the real schemas of its upstream
//! assets, without reading or writing data, and check that the columns
//! named by checks exist. Catches unknown columns, type errors and bad function calls
//! before anything runs.
//!
//! Schemas come from the source files (inferred as when materializing) and
//! from planning each SQL asset in topological order. The output schema of a
//! command asset is only known after it runs, so queries reading one are
//! not planned here.

use std::collections::HashMap;
use std::sync::Arc;

use cairn_core::AssetKey;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::definition::{AssetDefinition, CheckKind};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::observe::SourceObservation;
use crate::project::Project;
use crate::tables::{FileSettings, new_session, register_files, register_table, table_reference};

/// Plans every SQL asset whose upstream schemas are known; returns a
/// diagnostic per query that DataFusion rejects and per check naming a
/// column the asset does not have.
pub async fn check_queries(project: &Project, observations: &[SourceObservation]) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let mut schemas: HashMap<AssetKey, SchemaRef> = HashMap::new();
    for observation in observations {
        let Ok(observed) = &observation.result else { continue };
        let Some(AssetDefinition::Source(source)) = project.asset(&observation.asset).map(|a| &a.definition) else {
            continue;
        };
        let ctx = new_session();
        match register_files(&ctx, &observation.asset, &observed.files, FileSettings::of_source(source)).await {
            Ok(()) => {
                if let Ok(frame) = ctx.table(table_reference(&observation.asset)).await {
                    schemas.insert(observation.asset.clone(), Arc::new(frame.schema().as_arrow().clone()));
                }
            }
            Err(error) => {
                let location = project.asset(&observation.asset).map(|a| a.location.clone());
                diagnostics.push(Diagnostic::error(error.to_string()).at_opt(location));
            }
        }
    }
    for asset in project.assets() {
        let AssetDefinition::Sql(query) = &asset.definition else { continue };
        let upstream: Option<Vec<(&AssetKey, &SchemaRef)>> =
            query.tables.keys().map(|key| schemas.get(key).map(|schema| (key, schema))).collect();
        let Some(upstream) = upstream else { continue };
        let ctx = new_session();
        let mut registered = true;
        for (key, schema) in upstream {
            registered &= register_empty(&ctx, key, schema).is_ok();
        }
        if !registered {
            continue;
        }
        let planned = match ctx.sql(&query.text).await {
            Ok(frame) if !query.parameters.is_empty() => {
                let sample = sample_parameters(asset);
                frame.with_param_values(sample)
            }
            other => other,
        };
        match planned {
            Ok(frame) => {
                let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
                check_columns(asset, &schema, &mut diagnostics);
                if register_empty(&ctx, asset.key(), &schema).is_ok() {
                    check_queries_of_checks(&ctx, asset, &mut diagnostics).await;
                }
                schemas.insert(asset.key().clone(), schema);
            }
            Err(error) => diagnostics.push(
                Diagnostic::error(format!("asset `{}`: {}", asset.key(), error.strip_backtrace()))
                    .at(query.location.clone())
                    .with_label("DataFusion cannot plan this query"),
            ),
        }
    }
    diagnostics
}

fn register_empty(ctx: &SessionContext, key: &AssetKey, schema: &SchemaRef) -> Result<(), ()> {
    let table = MemTable::try_new(schema.clone(), vec![vec![]]).map_err(|_| ())?;
    register_table(ctx, key, Arc::new(table)).map_err(|_| ())
}

/// Parameter values of the asset's first partition, so parameter types are known.
fn sample_parameters(asset: &crate::definition::Asset) -> HashMap<String, datafusion::common::ScalarValue> {
    let first = asset.spec.partitions.as_ref().and_then(|d| d.keys(chrono::Utc::now()).into_iter().next());
    crate::sql::partition_parameters(asset, first.as_ref())
}

/// Plans each `sql` check against the asset's output schema (and its
/// upstream tables, as when the check runs).
async fn check_queries_of_checks(
    ctx: &SessionContext,
    asset: &crate::definition::Asset,
    diagnostics: &mut Diagnostics,
) {
    for check in &asset.checks {
        let CheckKind::Sql { query } = &check.kind else { continue };
        if let Err(error) = ctx.sql(query).await {
            diagnostics.push(
                Diagnostic::error(format!(
                    "asset `{}`: check `{}`: {}",
                    asset.key(),
                    check.name,
                    error.strip_backtrace()
                ))
                .at(check.location.clone()),
            );
        }
    }
}

fn check_columns(asset: &crate::definition::Asset, schema: &SchemaRef, diagnostics: &mut Diagnostics) {
    for check in &asset.checks {
        let columns: Vec<&String> = match &check.kind {
            CheckKind::NotNull { columns } | CheckKind::Unique { columns } => columns.iter().collect(),
            CheckKind::AcceptedValues { column, .. } => vec![column],
            CheckKind::RowCount { .. } | CheckKind::Sql { .. } => Vec::new(),
        };
        for column in columns {
            if schema.field_with_name(column).is_err() {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                let help = crate::resolve::suggest(column, names.iter().copied(), |s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("the columns are {}", names.join(", ")));
                diagnostics.push(
                    Diagnostic::error(format!(
                        "asset `{}`: check `{}` names column `{column}`, which the asset does not have",
                        asset.key(),
                        check.name
                    ))
                    .at(check.location.clone())
                    .with_help(help),
                );
            }
        }
    }
}
