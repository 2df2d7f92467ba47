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
//!
//! One DataFusion session serves the whole project: each source and each
//! planned asset (as an empty table of its schema) is registered in it once,
//! and every query is planned against it. Resolution already made sure a
//! query names only assets, and a check only its asset and the asset's
//! upstream assets, so the other tables in the session are never read.
//! Planning costs the same for every asset, so validation grows linearly
//! with the project.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cairn_core::AssetKey;
use cairn_core::partitions::PartitionsDefinition;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::execution::SessionState;
use datafusion::prelude::SessionContext;

use crate::definition::{Asset, AssetDefinition, CheckKind};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::observe::SourceObservation;
use crate::project::Project;
use crate::tables::{FileSettings, new_session, register_files, register_table};

/// Plans every SQL asset whose upstream schemas are known (from the syntax
/// tree [`Project::load_for_validation`] kept, which it takes out of the
/// project, else from its text); returns a diagnostic per query that
/// DataFusion rejects and per check naming a column the asset does not
/// have.
pub async fn check_queries(project: &mut Project, observations: &[SourceObservation]) -> Diagnostics {
    let mut statements = project.take_statements();
    let project: &Project = project;
    let mut diagnostics = Diagnostics::default();
    let ctx = new_session();
    // Assets whose table is registered in `ctx` with its real schema.
    let mut known: HashSet<AssetKey> = HashSet::new();
    for observation in observations {
        let Ok(observed) = &observation.result else { continue };
        let Some(AssetDefinition::Source(source)) = project.asset(&observation.asset).map(|a| &a.definition) else {
            continue;
        };
        match register_files(&ctx, &observation.asset, &observed.files, FileSettings::of_source(source)).await {
            Ok(()) => {
                known.insert(observation.asset.clone());
            }
            Err(error) => {
                let location = project.asset(&observation.asset).map(|a| a.location.clone());
                diagnostics.push(Diagnostic::error(error.to_string()).at_opt(location));
            }
        }
    }
    // A snapshot of the session's settings and functions; it shares the
    // session's catalog, so tables registered later are seen.
    let state = ctx.state();
    let mut samples = SampleParameters::default();
    for asset in project.assets() {
        let AssetDefinition::Sql(query) = &asset.definition else { continue };
        if !query.tables.keys().all(|key| known.contains(key)) {
            continue;
        }
        let planning = match statements.remove(asset.key()) {
            Some(statement) => state.statement_to_plan(statement).await,
            None => state.create_logical_plan(&query.text).await,
        };
        let planned = match planning {
            Ok(plan) if !query.parameters.is_empty() => plan.with_param_values(samples.of(asset)),
            other => other,
        };
        match planned {
            Ok(plan) => {
                let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
                check_columns(asset, &schema, &mut diagnostics);
                if register_empty(&ctx, asset.key(), &schema).is_ok() {
                    known.insert(asset.key().clone());
                    check_queries_of_checks(&state, asset, &known, &mut diagnostics).await;
                }
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

/// Parameter values of an asset's first partition, so parameter types are
/// known; computed once per partitions definition (they are shared between
/// assets, and listing the keys of hourly partitions takes a while).
#[derive(Default)]
struct SampleParameters {
    by_definition: HashMap<*const PartitionsDefinition, HashMap<String, ScalarValue>>,
}

impl SampleParameters {
    fn of(&mut self, asset: &Asset) -> HashMap<String, ScalarValue> {
        let Some(definition) = &asset.spec.partitions else { return HashMap::new() };
        self.by_definition
            .entry(Arc::as_ptr(definition))
            .or_insert_with(|| {
                let first = definition.keys(chrono::Utc::now()).into_iter().next();
                crate::sql::partition_parameters(asset, first.as_ref())
            })
            .clone()
    }
}

/// Plans each `sql` check against the asset's output schema (and its
/// upstream tables, as when the check runs). A check reading an upstream
/// asset whose schema is unknown (a command's) is not planned.
async fn check_queries_of_checks(
    state: &SessionState,
    asset: &Asset,
    known: &HashSet<AssetKey>,
    diagnostics: &mut Diagnostics,
) {
    for check in &asset.checks {
        let CheckKind::Sql { query } = &check.kind else { continue };
        let reads_unknown_schema = crate::sql::analyze(query).map_or(true, |analyzed| {
            analyzed.tables.iter().any(|table| {
                let key = AssetKey::new(&crate::sql::table_reference_key(&table.reference));
                !key.is_ok_and(|key| known.contains(&key))
            })
        });
        if reads_unknown_schema {
            continue;
        }
        if let Err(error) = state.create_logical_plan(query).await {
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

fn check_columns(asset: &Asset, schema: &SchemaRef, diagnostics: &mut Diagnostics) {
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
