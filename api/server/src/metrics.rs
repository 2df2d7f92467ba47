//! Prometheus metrics (the `metrics` crate with its Prometheus exporter).
//!
//! Counted as they happen: GraphQL requests and their latency (here), step
//! claims and their latency, steps executed and recorded by outcome,
//! materializations (by the engine's executors, `cairn_step_*`). Read from
//! the store at each scrape: runs and run steps by status, and the queue
//! depth (queued steps).

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// The process's metrics handle (one recorder per process).
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    /// Installs the process-wide recorder the first time; shares it after.
    pub fn install() -> Self {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let handle = HANDLE
            .get_or_init(|| {
                PrometheusBuilder::new().install_recorder().unwrap_or_else(|_| {
                    // Another recorder is installed already: ours only renders.
                    PrometheusBuilder::new().build_recorder().handle()
                })
            })
            .clone();
        Self { handle }
    }

    /// Counts a GraphQL request and its latency.
    pub fn request(&self, elapsed: Duration, ok: bool) {
        let outcome = if ok { "ok" } else { "error" };
        metrics::counter!("cairn_graphql_requests_total", "outcome" => outcome).increment(1);
        metrics::histogram!("cairn_graphql_request_seconds").record(elapsed.as_secs_f64());
    }

    /// The exposition text, with the store's counts updated first.
    pub async fn render(&self, state: &AppState) -> String {
        match state.instance().store().status_counts().await {
            Ok((runs, steps)) => {
                for (status, count) in runs {
                    metrics::gauge!("cairn_runs", "status" => status).set(count as f64);
                }
                let mut queued = 0;
                for (status, count) in steps {
                    if status == "QUEUED" {
                        queued = count;
                    }
                    metrics::gauge!("cairn_run_steps", "status" => status).set(count as f64);
                }
                metrics::gauge!("cairn_queue_depth").set(queued as f64);
            }
            Err(error) => tracing::warn!("metrics: cannot count runs: {error}"),
        }
        self.handle.render()
    }
}
