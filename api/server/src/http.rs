//! The HTTP side (axum): `POST /graphql`, GraphiQL at `GET /graphql`,
//! subscriptions at `/graphql/ws` (the `graphql-transport-ws` protocol, as
//! the npm `graphql-ws` client speaks it), `GET /healthz`, `GET /metrics`
//! and the web UI at `/`.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::{Data, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::graphql::{Api, Authenticated};
use crate::metrics::Metrics;
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
}

/// The router.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/graphql/ws", get(subscriptions))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(crate::ui::serve)
        .layer(tower_http::compression::CompressionLayer::new())
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

/// A GraphQL error response with a code, for what fails before GraphQL.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn graphql(State(shared): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "REQUEST_TOO_LARGE",
                &format!("the request body is larger than {} bytes", MAX_BODY_BYTES),
            );
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("the body is not a GraphQL request (JSON with `query`): {error}"),
            );
        }
    };
    let request = request.data(Authenticated(authenticated(&shared.state, &headers)));
    let (body, ok) = respond(&shared.schema, request).await;
    shared.metrics.request(started.elapsed(), ok);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
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

async fn subscriptions(State(shared): State<Shared>, protocol: GraphQLProtocol, upgrade: WebSocketUpgrade) -> Response {
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
        Err(error) => error_response(StatusCode::SERVICE_UNAVAILABLE, "STORE_UNAVAILABLE", &error.to_string()),
    }
}

async fn metrics(State(shared): State<Shared>) -> Response {
    let text = shared.metrics.render(&shared.state).await;
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
