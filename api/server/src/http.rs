//! The HTTP side (axum): `POST /graphql`, GraphiQL at `GET /graphql`,
//! subscriptions at `/graphql/ws` (the `graphql-transport-ws` protocol, as the npm
//! `graphql-ws` client speaks it), `GET /healthz`, `GET /metrics` and the
//! web UI at `/`.
//!
//! Before GraphQL runs anything, what a hostile web page could make a
//! visitor's browser send is refused (see README, "Security"):
//! * `POST /graphql` needs `content-type: application/json`. The three
//!   types a browser sends cross-site without a CORS preflight
//!   (`text/plain`, `application/x-www-form-urlencoded`,
//!   `multipart/form-data`) and a missing one are refused with 400, as
//!   Apollo Server's `csrfPrevention` does. Unlike Apollo, no header lets
//!   such a request through: every client can send JSON.
//! * `GET /graphql` runs nothing: with a `query` parameter it is refused
//!   with 405, naming the operation's kind. A mutation over GET could be
//!   sent by a link or an image; a query over GET is the one request a
//!   page rebound to this address by DNS could read without sending
//!   `Origin`.
//! * `POST /graphql` and the WebSocket upgrade from a page of another
//!   origin are refused with 403 ([`crate::origin`]).

use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::error::HttpError;
use crate::graphql::{Api, Authenticated};
use crate::metrics::Metrics;
use crate::origin::Origins;
use crate::state::AppState;

/// Largest request body accepted (1 MiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What the handlers share.
#[derive(Clone)]
pub struct Shared {
    /// The GraphQL schema, with its limits.
    pub schema: Api,
    /// The server's state.
    pub state: Arc<AppState>,
    /// Metrics.
    pub metrics: Metrics,
    /// The origins whose pages may use the API.
    pub origins: Arc<Origins>,
}

/// The router.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql))
        .route("/graphql/ws", get(subscriptions))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(crate::ui::serve)
        // The fastest level: the lineage of 1,010 assets (62 KB) compresses
        // to 8.2 KB instead of 7.1 KB, and its compression was a third of
        // the request's CPU at the default level.
        .layer(tower_http::compression::CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .with_state(shared)
}

fn authenticated(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.token else { return true };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|given| token_matches(token, given.trim()))
}

/// Whether `given` is the configured token, compared in constant time (so
/// response times say nothing about how much of a guess was right).
fn token_matches(token: &str, given: &str) -> bool {
    constant_time_eq::constant_time_eq(token.as_bytes(), given.as_bytes())
}

/// A GraphQL-shaped error response with a code, for what fails before GraphQL.
impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body =
            serde_json::json!({ "errors": [{ "message": self.message(), "extensions": { "code": self.code() } }] });
        let mut response =
            (self.status(), [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
        if let Self::OperationOverGet(_) = self {
            response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        }
        response
    }
}

async fn graphql(State(shared): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    if let Err(refused) = json_content_type(&headers).and_then(|()| shared.origins.check(&headers)) {
        return refused.into_response();
    }
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return HttpError::TooLarge { limit_bytes: MAX_BODY_BYTES }.into_response(),
    };
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(error) => return HttpError::NotGraphQl(error.to_string()).into_response(),
    };
    let request = request.data(Authenticated(authenticated(&shared.state, &headers)));
    let (body, ok) = respond(&shared.schema, request).await;
    shared.metrics.request(started.elapsed(), ok);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /graphql`: GraphiQL; with a `query` parameter (and optional
/// `operationName`), a refusal naming the operation's kind.
async fn graphql_get(RawQuery(query): RawQuery) -> Response {
    let parameters: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let parameter = |name: &str| parameters.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let Some(document) = parameter("query") else {
        return graphiql().await.into_response();
    };
    let kind = operation_kind(document, parameter("operationName")).unwrap_or("operation");
    HttpError::OperationOverGet(kind).into_response()
}

/// Refuses a body that is not declared JSON: the simple content types a
/// browser sends cross-site without a preflight, none, or any other.
fn json_content_type(headers: &HeaderMap) -> Result<(), HttpError> {
    let given = headers.get(header::CONTENT_TYPE).map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let media_type = given.as_deref().and_then(|value| value.split(';').next()).map(str::trim);
    if media_type.is_some_and(|media_type| media_type.eq_ignore_ascii_case("application/json")) {
        return Ok(());
    }
    Err(HttpError::ContentType(given))
}

/// The kind of the operation `document` would run (`query`, `mutation`,
/// `subscription`), the one named `name` if it has several; `None` when
/// the document does not parse or names no such operation.
fn operation_kind(document: &str, name: Option<&str>) -> Option<&'static str> {
    let document = async_graphql::parser::parse_query(document).ok()?;
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => &operation.node,
        (DocumentOperations::Multiple(operations), Some(name)) => {
            &operations.iter().find(|(key, _)| key.as_str() == name)?.1.node
        }
        (DocumentOperations::Multiple(_), None) => return None,
    };
    Some(match operation.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    })
}

/// Executes `request` and writes the JSON body `POST /graphql` answers
/// with; `true` when the response has no errors.
pub async fn respond(schema: &Api, request: async_graphql::Request) -> (Vec<u8>, bool) {
    let response = schema.execute(request).await;
    let ok = response.errors.is_empty();
    let mut body = serde_json::to_vec(&response).unwrap_or_default();
    if body.is_empty() {
        let errors = [ServerError::new("the response could not be written", None)];
        body = serde_json::json!({ "errors": errors }).to_string().into_bytes();
    }
    (body, ok)
}

async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").title("Cairn").finish())
}

async fn subscriptions(
    State(shared): State<Shared>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Err(refused) = shared.origins.check(&headers) {
        return refused.into_response();
    }
    let state = shared.state.clone();
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| {
        GraphQLWebSocket::new(socket, shared.schema.clone(), protocol)
            .on_connection_init(move |payload| async move {
                let given = ["Authorization", "authorization"]
                    .iter()
                    .find_map(|name| payload.get(*name))
                    .and_then(|value| value.as_str())
                    .and_then(|value| value.strip_prefix("Bearer "))
                    .map(str::trim);
                let ok =
                    state.token.as_deref().is_none_or(|token| given.is_some_and(|given| token_matches(token, given)));
                if !ok {
                    return Err(async_graphql::Error::new(
                        "this server needs a token: send `{\"Authorization\": \"Bearer <token>\"}` in connection_init",
                    ));
                }
                let mut data = Data::default();
                data.insert(Authenticated(true));
                Ok(data)
            })
            .serve()
    })
}

async fn healthz(State(shared): State<Shared>) -> Response {
    match shared.state.instance().store().last_event_seq().await {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#).into_response(),
        Err(error) => HttpError::StoreUnavailable(error.to_string()).into_response(),
    }
}

async fn metrics(State(shared): State<Shared>) -> Response {
    let text = shared.metrics.render(&shared.state).await;
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
