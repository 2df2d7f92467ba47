//! The GraphQL API: the one module that knows async-graphql. The schema is
//! generated from these types (`cairn serve --print-schema` writes
//! `api/schema.graphql`, which a test keeps in sync).
//!
//! Names are the field's: asset, partition, materialization, backfill,
//! run, stale / missing / fresh, freshness. Times are UTC (`DateTime`,
//! RFC 3339). Lists that grow without bound are paged with `first` and
//! `after` (an opaque cursor from `pageInfo.endCursor`); partition states
//! are ranges of consecutive keys, never one row per key.
//!
//! Limits: depth 12, complexity 5,000, 30 aliases per document; a body
//! over 1 MiB is refused before parsing. Errors carry `extensions.code`
//! (see [`crate::error`]).

mod assets;
mod automation;
mod backfills;
mod deployment;
mod flat;
mod root;
mod runs;

use std::sync::Arc;

use async_graphql::parser::types::{Selection, SelectionSet};
use async_graphql::{Context, Data, Enum, Executor, Request, Response, Schema, ServerError, SimpleObject};
use cairn_core::AssetKey;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt};

pub use assets::View;
pub use root::{MutationRoot, QueryRoot, SubscriptionRoot};

use crate::error::{ApiError, classify};
use crate::state::AppState;

/// A count or an index as GraphQL's `Int` (32 bits), saturating at
/// `i32::MAX` rather than wrapping.
pub(crate) fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

/// The schema type.
pub type CairnSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Most nested selection levels of a query.
pub const MAX_DEPTH: usize = 12;
/// Most query complexity (each field 1, lists multiplied by their `first`).
pub const MAX_COMPLEXITY: usize = 5_000;
/// Most aliases in one document (against alias-based amplification).
pub const MAX_ALIASES: usize = 30;
/// Most items one page returns.
pub const MAX_PAGE: i32 = 1_000;

/// Whether the request carries the configured token (request data).
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub bool);

/// Builds the schema around the server's state, with its limits.
pub fn schema(state: Arc<AppState>) -> Api {
    let schema = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .data(state)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish();
    Api { schema }
}

/// The SDL of the schema (for `api/schema.graphql`).
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).finish().sdl()
}

fn state<'a>(ctx: &Context<'a>) -> &'a Arc<AppState> {
    ctx.data_unchecked::<Arc<AppState>>()
}

/// Fails unless no token is configured or the request carries it.
fn require_token(ctx: &Context<'_>) -> Result<(), ApiError> {
    let state = state(ctx);
    if state.token.is_none() || ctx.data_opt::<Authenticated>().is_some_and(|a| a.0) {
        Ok(())
    } else {
        Err(ApiError::Unauthenticated(
            "this server needs a token for mutations and subscriptions: send `Authorization: Bearer <token>`".into(),
        ))
    }
}

/// Paging of a list.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow.
    pub has_next_page: bool,
    /// Pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

fn encode_cursor(id: i64) -> String {
    id.to_string()
}

fn decode_cursor(cursor: &str) -> Result<i64, ApiError> {
    cursor.parse().map_err(|_| ApiError::BadInput(format!("`{cursor}` is not a cursor of this list")))
}

/// A list filter's asset key, checked as [`cairn_core::AssetKey::new`]
/// checks it (an unknown but well-formed key matches nothing).
fn asset_key(key: Option<&str>) -> Result<Option<cairn_core::AssetKey>, ApiError> {
    key.map(cairn_core::AssetKey::new).transpose().map_err(|e| ApiError::BadInput(e.to_string()))
}

fn page_size(first: i32) -> Result<u64, ApiError> {
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(ApiError::BadInput(format!("`first` must be between 1 and {MAX_PAGE}, not {first}")));
    }
    Ok(first as u64)
}

/// Freshness states, as Dagster's.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "cairn_core::freshness::FreshnessStatus")]
pub enum FreshnessStatus {
    /// Fresh enough.
    Pass,
    /// Past `warn_lag`.
    Warn,
    /// Past `max_lag`: overdue.
    Fail,
    /// Never materialized.
    Unknown,
}

/// An asset's freshness, following Dagster's `FreshnessPolicy`.
#[derive(SimpleObject)]
pub struct Freshness {
    /// The verdict now.
    pub status: FreshnessStatus,
    /// The policy, as written.
    pub policy: String,
    /// The latest materialization judged.
    pub last_materialized_at: Option<DateTime<Utc>>,
    /// Seconds past the deadline, when `FAIL`.
    pub overdue_by_secs: Option<f64>,
    /// When the status worsens next if nothing is materialized.
    pub next_deadline: Option<DateTime<Utc>>,
    /// Time-partitioned assets: the latest partition that should exist by now.
    pub latest_partition: Option<String>,
    /// Its freshness.
    pub latest_partition_status: Option<FreshnessStatus>,
}

fn freshness_of(view: &View, key: &AssetKey) -> Option<Freshness> {
    let summary = view.summary.assets.get(key)?;
    let now = view.instance.clock().now();
    let evaluated = view.instance.asset_freshness(key, summary, now)?;
    Some(Freshness {
        status: evaluated.freshness.status.into(),
        policy: evaluated.policy,
        last_materialized_at: evaluated.freshness.last_materialized_at,
        overdue_by_secs: evaluated.freshness.overdue_by.map(|d| d.as_secs_f64()),
        next_deadline: evaluated.freshness.next_deadline,
        latest_partition: evaluated.latest_partition.as_ref().map(|p| p.key.to_string()),
        latest_partition_status: evaluated.latest_partition.as_ref().map(|p| p.freshness.status.into()),
    })
}

/// The schema with Cairn's limits and error codes around it: what the HTTP
/// handler and the WebSocket endpoint execute requests with (an
/// async-graphql [`Executor`]). It refuses documents with more than
/// [`MAX_ALIASES`] aliases and gives every error a code
/// ([`crate::error::classify`]).
///
/// This is done around the schema rather than in an async-graphql
/// extension because any extension makes async-graphql call it for every
/// field of every list item: at 10,000 lineage nodes that was most of the
/// query's time.
#[derive(Clone)]
pub struct Api {
    schema: CairnSchema,
}

impl Api {
    /// Executes one request (a query or a mutation).
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        Executor::execute(self, request.into()).await
    }
}

impl Executor for Api {
    async fn execute(&self, request: Request) -> Response {
        if let Err(error) = check_aliases(&request.query) {
            return Response::from_errors(vec![error]);
        }
        let mut response = self.schema.execute(request).await;
        response.errors.iter_mut().for_each(classify);
        response
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        if let Err(error) = check_aliases(&request.query) {
            return futures::stream::once(std::future::ready(Response::from_errors(vec![error]))).boxed();
        }
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(|mut response| {
                response.errors.iter_mut().for_each(classify);
                response
            })
            .boxed()
    }
}

/// Refuses a document with more than [`MAX_ALIASES`] aliases (against
/// alias-based amplification). A document that does not parse passes:
/// the schema reports the parse error.
fn check_aliases(query: &str) -> Result<(), ServerError> {
    let Ok(document) = async_graphql::parser::parse_query(query) else { return Ok(()) };
    let mut aliases = 0;
    for (_, operation) in document.operations.iter() {
        aliases += count_aliases(&operation.node.selection_set.node);
    }
    for fragment in document.fragments.values() {
        aliases += count_aliases(&fragment.node.selection_set.node);
    }
    if aliases > MAX_ALIASES {
        let mut error = ServerError::new(format!("the query has {aliases} aliases; the most is {MAX_ALIASES}"), None);
        error.extensions.get_or_insert_with(Default::default).set("code", "QUERY_TOO_MANY_ALIASES");
        return Err(error);
    }
    Ok(())
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}
