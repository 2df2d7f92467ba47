//! The one mapping from error kinds to GraphQL `extensions.code` (and
//! HTTP statuses for what fails before GraphQL). Codes are stable: clients
//! may match on them. Messages never carry a backtrace.
//!
//! | code | when |
//! |---|---|
//! | `NOT_FOUND` | an unknown asset (the message names the closest key), run or backfill |
//! | `BAD_USER_INPUT` | a malformed selection, partitions outside the definition, a reversed range, a key that is not one, a bad id or cursor, conflicting backfill filters |
//! | `CURSOR_PRUNED` | a subscription or page resuming after a cursor whose following events `cairn gc` pruned (`retention.events`): read current state again and subscribe from `after: null` |
//! | `UNAUTHENTICATED` | a token is configured and the request has none, or another |
//! | `GRAPHQL_PARSE_FAILED` | the document is not GraphQL |
//! | `GRAPHQL_VALIDATION_FAILED` | it does not fit the schema |
//! | `QUERY_TOO_DEEP`, `QUERY_TOO_COMPLEX`, `QUERY_TOO_MANY_ALIASES` | over the server's limits |
//! | `REQUEST_TOO_LARGE` | a body over the size limit (HTTP 413) |
//! | `BAD_REQUEST` | a `POST /graphql` body that is not a GraphQL request in JSON (HTTP 400) |
//! | `CONTENT_TYPE_REFUSED` | a `POST /graphql` without `content-type: application/json`, which a browser could have sent from another site (HTTP 400) |
//! | `ORIGIN_NOT_ALLOWED` | a `POST /graphql` or WebSocket upgrade from a page of another origin (HTTP 403) |
//! | `METHOD_NOT_ALLOWED` | an operation in a `GET /graphql` (HTTP 405): GraphQL is POSTed |
//! | `STORE_UNAVAILABLE` | `/healthz` cannot reach the store (HTTP 503) |
//! | `INTERNAL` | the store failed, or a broken invariant |

use async_graphql::{ErrorExtensions, ServerError};
use axum::http::StatusCode;
use cairn_engine::EngineError;

/// Why a request was refused before GraphQL ran it; answered with an HTTP
/// status and a GraphQL-shaped body (`errors[0].extensions.code`).
#[derive(Debug)]
pub enum HttpError {
    /// The body is over the limit.
    TooLarge {
        /// The limit, in bytes.
        limit_bytes: usize,
    },
    /// The body is not a GraphQL request in JSON.
    NotGraphQl(String),
    /// A content type a browser may send cross-site without a preflight
    /// (or none, or another than JSON).
    ContentType(Option<String>),
    /// A page of another origin.
    OriginNotAllowed {
        /// The `Origin` header, as sent.
        origin: String,
        /// The origins accepted.
        accepted: Vec<String>,
    },
    /// An operation sent with `GET` (its kind: `query`, `mutation`...).
    OperationOverGet(&'static str),
    /// The store cannot be reached.
    StoreUnavailable(String),
}

impl HttpError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotGraphQl(_) | Self::ContentType(_) => StatusCode::BAD_REQUEST,
            Self::OriginNotAllowed { .. } => StatusCode::FORBIDDEN,
            Self::OperationOverGet(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable code (the table above).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "REQUEST_TOO_LARGE",
            Self::NotGraphQl(_) => "BAD_REQUEST",
            Self::ContentType(_) => "CONTENT_TYPE_REFUSED",
            Self::OriginNotAllowed { .. } => "ORIGIN_NOT_ALLOWED",
            Self::OperationOverGet(_) => "METHOD_NOT_ALLOWED",
            Self::StoreUnavailable(_) => "STORE_UNAVAILABLE",
        }
    }

    /// The message shown to the client: what is wrong and what to do.
    pub fn message(&self) -> String {
        match self {
            Self::TooLarge { limit_bytes } => format!("the request body is larger than {limit_bytes} bytes"),
            Self::NotGraphQl(error) => format!("the body is not a GraphQL request (JSON with `query`): {error}"),
            Self::ContentType(given) => format!(
                "POST /graphql needs `content-type: application/json`{}: a browser sends forms, text/plain and \
                 bodies without a content type to any site without asking, so they are refused to prevent \
                 cross-site request forgery",
                given.as_ref().map_or_else(|| " (this request has none)".to_owned(), |t| format!(" (not `{t}`)"))
            ),
            Self::OriginNotAllowed { origin, accepted } => format!(
                "requests from pages of origin `{origin}` are refused, to keep other sites from using this \
                 server through a visitor's browser; accepted: {}, and any origin given with \
                 `cairn serve --allowed-origin ORIGIN`",
                accepted.iter().map(|origin| format!("`{origin}`")).collect::<Vec<_>>().join(", ")
            ),
            Self::OperationOverGet(kind) => format!(
                "GraphQL is not executed over GET (a link or an image on another site could send it): \
                 POST the {kind} to /graphql with `content-type: application/json`{}; \
                 GET /graphql without parameters is GraphiQL",
                if *kind == "subscription" { ", or subscribe over the WebSocket at /graphql/ws" } else { "" }
            ),
            Self::StoreUnavailable(error) => error.clone(),
        }
    }
}

/// Why a request failed.
///
/// Deliberately not `Display`: async-graphql turns any `Display` error into
/// one without a code, so this type converts only through the `From` below,
/// which always sets `extensions.code`.
#[derive(Debug)]
pub enum ApiError {
    /// Unknown asset, run or backfill.
    NotFound(String),
    /// The request's arguments are wrong.
    BadInput(String),
    /// A token is required.
    Unauthenticated(String),
    /// The events after the client's cursor were pruned: it must resync.
    CursorPruned(String),
    /// Something went wrong on the server.
    Internal(String),
}

impl ApiError {
    /// The stable code of this kind.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput(_) => "BAD_USER_INPUT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::CursorPruned(_) => "CURSOR_PRUNED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The message shown to the client.
    pub fn message(&self) -> &str {
        match self {
            Self::NotFound(message)
            | Self::BadInput(message)
            | Self::Unauthenticated(message)
            | Self::CursorPruned(message)
            | Self::Internal(message) => message,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::UnknownRun(_) | EngineError::UnknownBackfill(_) => Self::NotFound(error.to_string()),
            EngineError::Selection(error @ cairn_lineage::SelectionError::UnknownAsset { .. }) => {
                Self::NotFound(error.to_string())
            }
            EngineError::Selection(error) => Self::BadInput(error.to_string()),
            EngineError::NotMaterializable(message)
            | EngineError::RunState(message)
            | EngineError::DatabaseUrl(message) => Self::BadInput(message),
            EngineError::Plan(error) => Self::BadInput(error.to_string()),
            EngineError::Backfill(error) => Self::BadInput(error.to_string()),
            EngineError::InvalidProject { diagnostics, .. } => {
                Self::BadInput(format!("the project has {} error(s)", diagnostics.error_count()))
            }
            EngineError::Store(error) => error.into(),
            EngineError::Io(message) => Self::Internal(message),
        }
    }
}

impl From<cairn_store::StoreError> for ApiError {
    fn from(error: cairn_store::StoreError) -> Self {
        match error {
            cairn_store::StoreError::NotFound(what) => Self::NotFound(format!("no {what}")),
            error @ cairn_store::StoreError::CursorPruned { .. } => Self::CursorPruned(error.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let code = error.code();
        async_graphql::Error::new(error.message()).extend_with(|_, extensions| extensions.set("code", code))
    }
}

/// Gives a code to the errors async-graphql raises itself (parsing,
/// validation, limits), which have none.
pub fn classify(error: &mut ServerError) {
    let has_code = error.extensions.as_ref().is_some_and(|extensions| extensions.get("code").is_some());
    if has_code {
        return;
    }
    let message = error.message.to_ascii_lowercase();
    let code = if message.contains("nested too deep") || message.contains("recursion") {
        "QUERY_TOO_DEEP"
    } else if message.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else if message.contains("aliases") {
        "QUERY_TOO_MANY_ALIASES"
    } else if message.contains("expected") || message.contains("parse") || message.contains("unexpected") {
        "GRAPHQL_PARSE_FAILED"
    } else if error.path.is_empty() {
        "GRAPHQL_VALIDATION_FAILED"
    } else {
        "INTERNAL"
    };
    error.extensions.get_or_insert_with(Default::default).set("code", code);
}
