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
//! with the project; the queries of one level of the graph (whose upstream
//! tables are all registered) are planned on all cores at once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cairn_core::AssetKey;
use cairn_core::partitions::PartitionsDefinition;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::execution::SessionState;
use datafusion::prelude::SessionContext;

use crate::definition::{Asset, AssetDefinition, CheckKind, SqlDefinition};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::observe::SourceObservation;
use crate::project::Project;
use crate::tables::{FileSettings, new_session, register_files, register_table};

/// Plans every SQL asset whose upstream schemas are known; returns a
/// diagnostic per query that DataFusion rejects and per check naming a
/// column the asset does not have, in the project's (topological) order.
pub async fn check_queries(project: &Project, observations: &[SourceObservation]) -> Diagnostics {
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
    // Per asset (by topological position), its diagnostics: the queries of
    // one level are planned on all cores, diagnostics are reported in the
    // project's order.
    let mut found: Vec<(usize, Diagnostic)> = Vec::new();
    for level in levels(project) {
        let ready: Vec<(usize, &Asset, &SqlDefinition)> =
            level.into_iter().filter(|(_, _, query)| query.tables.keys().all(|key| known.contains(key))).collect();
        let queries: Vec<Query> = ready
            .iter()
            .map(|(_, asset, query)| Query {
                text: &query.text,
                parameters: (!query.parameters.is_empty()).then(|| samples.of(asset)),
            })
            .collect();
        let plans = plan_all(&state, &queries);
        for ((position, asset, query), planned) in ready.into_iter().zip(plans) {
            let mut diagnostics = Diagnostics::default();
            match planned {
                Ok(schema) => {
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
            found.extend(diagnostics.0.into_iter().map(|d| (position, d)));
        }
    }
    // Stable: an asset's own diagnostics keep their order.
    found.sort_by_key(|(position, _)| *position);
    diagnostics.0.extend(found.into_iter().map(|(_, d)| d));
    diagnostics
}

/// The SQL assets by level: an asset's level is one more than its highest
/// upstream's (0 without upstream assets), so the queries of one level read
/// only tables of lower levels and can be planned at the same time. Each
/// with its position in the project's topological order.
fn levels(project: &Project) -> Vec<Vec<(usize, &Asset, &SqlDefinition)>> {
    let mut level_of: HashMap<&AssetKey, usize> = HashMap::new();
    let mut levels: Vec<Vec<(usize, &Asset, &SqlDefinition)>> = Vec::new();
    for (position, asset) in project.assets().enumerate() {
        let level = asset.spec.deps.iter().filter_map(|dep| level_of.get(&dep.key)).map(|l| l + 1).max().unwrap_or(0);
        level_of.insert(asset.key(), level);
        if let AssetDefinition::Sql(query) = &asset.definition {
            if levels.len() <= level {
                levels.resize_with(level + 1, Vec::new);
            }
            levels[level].push((position, asset, query));
        }
    }
    levels
}

/// A query to plan, with sample parameter values when it has parameters.
struct Query<'a> {
    text: &'a str,
    parameters: Option<HashMap<String, ScalarValue>>,
}

/// Levels with fewer queries than this per core are planned on fewer
/// threads: starting a thread costs more than planning a few queries.
const QUERIES_PER_THREAD: usize = 16;

/// Plans `queries` (whose tables are all registered in `state`'s catalog),
/// each to its output schema, in order. Planning is CPU work and the
/// queries are independent, so they are planned on all cores. Each query
/// is parsed again from its text rather than kept from loading: a syntax
/// tree parsed, planned and dropped on one thread reuses that thread's
/// memory, where keeping the trees of 10,000 queries from loading raised
/// the benchmark's peak memory from 0.15 GB to over 1 GB and made
/// `cairn validate` slower.
fn plan_all(state: &SessionState, queries: &[Query<'_>]) -> Vec<datafusion::error::Result<SchemaRef>> {
    crate::parallel::map_parts(queries, QUERIES_PER_THREAD, |part| {
        // Planning against an in-memory catalog never waits.
        futures::executor::block_on(async {
            let mut plans = Vec::with_capacity(part.len());
            for query in part {
                plans.push(plan_one(state, query).await);
            }
            plans
        })
    })
}

async fn plan_one(state: &SessionState, query: &Query<'_>) -> datafusion::error::Result<SchemaRef> {
    let plan = state.create_logical_plan(query.text).await?;
    let plan = match &query.parameters {
        Some(values) => plan.with_param_values(values.clone())?,
        None => plan,
    };
    Ok(Arc::new(plan.schema().as_arrow().clone()))
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
