//! # cairn-server
//!
//! `cairn serve`: one process, axum on tokio, serving the GraphQL API
//! (lineage, freshness, backfill controls; subscriptions over WebSocket),
//! `/healthz`, `/metrics` (Prometheus) and the web UI, with (unless told
//! otherwise) an executor and a backfill daemon of its own, so one command
//! runs everything. It is a thin layer over `cairn-engine`: the same
//! [`Instance`] the CLI and workers use.
//!
//! * [`graphql`] is the schema (the one module that knows async-graphql);
//! * [`http`] holds the routes;
//! * [`state`] holds what lives between requests (definitions, the state
//!   summary, the event log's head);
//! * [`origin`] decides which web pages may use the API;
//! * [`metrics`], [`ui`], [`error`] (the one mapping of error kinds to
//!   codes).

#![warn(missing_docs)]

pub mod error;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod origin;
pub mod state;
pub mod ui;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use cairn_engine::{CancellationToken, Instance};

use state::{AppState, Execution};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (`127.0.0.1:3000`; port 0 picks a free one).
    pub bind: SocketAddr,
    /// Executor concurrency; `None`: no executor (`--no-executor`).
    pub executors: Option<usize>,
    /// When set, mutations and subscriptions need `Bearer <token>`.
    pub token: Option<String>,
    /// Reload the definitions when the project's YAML files change.
    pub watch: bool,
    /// The project folder (read again on reload).
    pub project_dir: PathBuf,
    /// The database URL override, if any (kept for reloads).
    pub database_url: Option<String>,
    /// Origins whose pages may use the API besides the server's own
    /// (`--allowed-origin`).
    pub allowed_origins: Vec<origin::AllowedOrigin>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed while serving.
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// Serves until `shutdown` is cancelled. `ready` is called with the bound
/// address once connections are accepted.
///
/// # Errors
/// [`ServeError`] when the address cannot be bound or serving fails.
pub async fn serve(
    instance: Instance,
    options: ServeOptions,
    shutdown: CancellationToken,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|source| ServeError::Bind { address: options.bind, source })?;
    let address = listener.local_addr().map_err(ServeError::Serve)?;
    let state = AppState::new(
        instance,
        options.project_dir.clone(),
        options.database_url.clone(),
        options.token.clone(),
        Execution { executors: options.executors },
        shutdown.clone(),
    );
    state.start_background();
    if options.watch {
        tokio::spawn(watch_definitions(state.clone()));
    }
    let shared = http::Shared {
        schema: graphql::schema(state.clone()),
        state: state.clone(),
        metrics: metrics::Metrics::install(),
        origins: std::sync::Arc::new(origin::Origins::new(address, &options.allowed_origins)),
    };
    let router = http::router(shared);
    ready(address);
    let served = axum::serve(listener, router)
        .with_graceful_shutdown({
            let shutdown = shutdown.clone();
            async move { shutdown.cancelled().await }
        })
        .await
        .map_err(ServeError::Serve);
    state.shutdown.cancel();
    state.wait_for_executor().await;
    served
}

/// How often the project's YAML files are looked at with `--watch`.
const WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// Reloads the definitions whenever a YAML file of the project changes
/// (added, removed or modified), comparing modification times.
async fn watch_definitions(state: std::sync::Arc<AppState>) {
    let mut seen = yaml_files(&state);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(WATCH_INTERVAL) => {}
            _ = state.shutdown.cancelled() => return,
        }
        let now = yaml_files(&state);
        if now != seen {
            seen = now;
            match state.reload().await {
                Ok(true) => tracing::info!("definitions reloaded"),
                Ok(false) => tracing::warn!("the changed definitions have errors; the previous ones stay"),
                Err(error) => tracing::warn!("cannot reload the definitions: {error}"),
            }
        }
    }
}

/// The project's YAML files with their modification times.
fn yaml_files(state: &AppState) -> Vec<(PathBuf, Option<std::time::SystemTime>)> {
    let root = state.instance().project().root.clone();
    let mut files: Vec<(PathBuf, Option<std::time::SystemTime>)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .map(|entry| (entry.path().to_path_buf(), entry.metadata().ok().and_then(|m| m.modified().ok())))
        .collect();
    files.sort();
    files
}
