//! GraphQL API benchmarks (`cargo bench -p cairn-server --bench api`), on
//! synthetic projects with a real SQLite store. Prints medians of the
//! server-side time (the schema executing a request in process and its
//! JSON body written, as the HTTP handler does), except the last
//! scenario, which goes through HTTP on 127.0.0.1.
//!
//! Targets (issue 7):
//! 1. `lineage` of the whole graph on 10,000 assets: < 50 ms.
//! 2. `partitionStatuses` of 1,000 assets × 365 daily partitions (a mix of
//!    materialized, stale and missing ranges): < 200 ms.
//! 3. Accepting `launchBackfill` of 10 assets × 365 daily partitions
//!    (< 100 ms) and of 3 assets × 26,280 hourly partitions (< 1 s); also
//!    the backfill daemon's launch of each (plan and steps stored), which is
//!    what Dagster's first backfill iteration does.
//! 4. Backfill throughput end to end, trivial one-row partitions, launched
//!    through `launchBackfill` and executed by the server's own executor
//!    (concurrency 2): ≥ 200 partitions/s.
//! 5. 200 concurrent GraphQL clients over HTTP during a running backfill,
//!    with `hey` (Debian's package `hey`; the benchmark fails when it is
//!    missing), for 10 s: p99 < 200 ms, no errors.
//!
//! `CAIRN_BENCH_QUICK=1` runs smaller scenarios (a smoke test).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cairn_core::AssetKey;
use cairn_core::partitions::PartitionKey;
use cairn_core::state::AssetPartition;
use cairn_core::{CodeVersion, DataVersion};
use cairn_engine::{CancellationToken, Instance};
use cairn_server::graphql::{Api, schema};
use cairn_server::state::{AppState, Execution};
use cairn_store::BackfillStatus;
use cairn_store::testing::{SyntheticMaterialization, insert_materializations};
use chrono::{NaiveDate, TimeZone as _, Utc};

fn main() {
    let quick = std::env::var_os("CAIRN_BENCH_QUICK").is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let iterations = if quick { 3 } else { 15 };
        println!("cairn GraphQL API benchmarks (medians of {iterations} iterations, [min .. max])\n");
        lineage(if quick { 1_000 } else { 10_000 }, iterations).await;
        partition_statuses(if quick { 100 } else { 1_000 }, iterations).await;
        launch_backfill("10 daily assets × 365 partitions", 10, "daily", 365, iterations).await;
        launch_backfill(
            "3 hourly assets × 26,280 partitions",
            3,
            "hourly",
            if quick { 2_400 } else { 26_280 },
            iterations.min(5),
        )
        .await;
        throughput(if quick { 200 } else { 2_000 }).await;
        concurrent_clients(if quick { 20 } else { 200 }, Duration::from_secs(if quick { 3 } else { 10 })).await;
    });
}

/// A project of `assets` SQL assets in groups of 100 (`gNN/aNNNNN`), each
/// reading up to two earlier assets of its group and, one in ten, one of
/// the previous group; partitioned `cadence` over `partitions` windows when
/// given.
fn synthetic_project(dir: &Path, assets: usize, partitions: Option<(&str, usize)>) {
    let mut yaml = String::from("name: synthetic\nassets:\n");
    let key = |i: usize| format!("g{:02}/a{i:05}", i / 100);
    for i in 0..assets {
        let mut deps = Vec::new();
        let in_group = i % 100;
        if in_group >= 1 {
            deps.push(key(i - 1));
        }
        if in_group >= 7 {
            deps.push(key(i - 7));
        }
        if i >= 100 && i % 10 == 3 {
            deps.push(key(i - 100));
        }
        let sql = if deps.is_empty() {
            "SELECT 1 AS x".to_owned()
        } else {
            deps.iter()
                .map(|d| format!("SELECT x FROM {}", d.replace('/', ".")))
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
        };
        writeln!(yaml, "  - key: {}", key(i)).unwrap();
        if let Some((cadence, count)) = partitions {
            writeln!(
                yaml,
                "    partitions: {{ {cadence}: {{ start: {}, end: {} }} }}",
                start(cadence),
                end(cadence, count)
            )
            .unwrap();
        }
        writeln!(yaml, "    sql: {sql}").unwrap();
    }
    std::fs::write(dir.join("cairn.yaml"), yaml).unwrap();
}

fn start(cadence: &str) -> &'static str {
    if cadence == "hourly" { "2021-01-01-00:00" } else { "2021-01-01" }
}

fn end(cadence: &str, count: usize) -> String {
    let first = Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap();
    if cadence == "hourly" {
        (first + chrono::Duration::hours(count as i64)).format("%Y-%m-%d-%H:%M").to_string()
    } else {
        (first + chrono::Duration::days(count as i64)).format("%Y-%m-%d").to_string()
    }
}

/// A server state over the project in `dir` (no executor unless asked).
async fn server(dir: &Path, executors: Option<usize>) -> (Arc<AppState>, Api, CancellationToken) {
    let instance = Instance::open(dir, None).await.unwrap();
    let shutdown = CancellationToken::new();
    let state = AppState::new(instance, dir.to_path_buf(), None, None, Execution { executors }, shutdown.clone());
    let schema = schema(state.clone());
    (state, schema, shutdown)
}

/// Executes `query`, failing on any GraphQL error.
async fn execute(schema: &Api, query: &str) -> serde_json::Value {
    let response = schema.execute(query).await;
    assert!(response.errors.is_empty(), "{query}: {:?}", response.errors);
    response.data.into_json().unwrap()
}

/// Executes `query` and writes the JSON body, as the HTTP handler does;
/// returns the body's length.
/// What `POST /graphql` does with a query (`cairn_server::http::respond`).
async fn respond(schema: &Api, query: &str) -> usize {
    let (body, ok) = cairn_server::http::respond(schema, query.into()).await;
    assert!(ok, "{query}: {}", String::from_utf8_lossy(&body));
    body.len()
}

async fn lineage(assets: usize, iterations: usize) {
    println!("== lineage: the whole graph of {assets} assets (target < 50 ms)");
    let dir = tempfile::tempdir().unwrap();
    synthetic_project(dir.path(), assets, None);
    let (_state, schema, _) = server(dir.path(), None).await;
    // The web UI's lineage query (web/src/api/lineageQuery.ts).
    let query = "{ lineage { nodes { key kind group staleStatus state freshness \
                 partitionStats { total materialized stale failed materializing missing } } edges { from to } } }";
    let first = execute(&schema, query).await;
    let nodes = first["lineage"]["nodes"].as_array().unwrap().len();
    let edges = first["lineage"]["edges"].as_array().unwrap().len();
    assert_eq!(nodes, assets);
    let times = measure(iterations, || respond(&schema, query)).await;
    report(&format!("lineage ({nodes} nodes, {edges} edges), as the UI asks"), &times);
    let one_group = "{ lineage(selection: \"g05/*\", depth: 1) { nodes { key state } edges { from to } } }";
    let times = measure(iterations, || respond(&schema, one_group)).await;
    report("lineage of one group of 100, depth 1", &times);
    println!();
}

async fn partition_statuses(assets: usize, iterations: usize) {
    let days = 365;
    println!("== partitionStatuses: {assets} assets × {days} daily partitions (target < 200 ms)");
    let dir = tempfile::tempdir().unwrap();
    // Independent assets: the states come from the records alone.
    let mut yaml = String::from("name: synthetic\nassets:\n");
    for i in 0..assets {
        writeln!(
            yaml,
            "  - key: g{:02}/a{i:05}\n    partitions: {{ daily: {{ start: 2021-01-01, end: {} }} }}\n    sql: SELECT $partition_key AS day",
            i / 100,
            end("daily", days)
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("cairn.yaml"), yaml).unwrap();
    let instance = Instance::open(dir.path(), None).await.unwrap();
    let started = Instant::now();
    let mut rows = Vec::with_capacity(assets * days);
    let first_day = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
    let old_code = CodeVersion::from_stored("an older query");
    for i in 0..assets {
        let key = AssetKey::new(&format!("g{:02}/a{i:05}", i / 100)).unwrap();
        let code = instance.project().asset(&key).unwrap().spec.code_version.clone();
        // The partitions share one (empty) file: only its existence counts.
        let path = format!("synthetic/a{i:05}.parquet");
        let file = instance.project().settings.data_dir.join(&path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"").unwrap();
        for day in 0..days {
            // Gaps (missing) every 50 days, a stale stretch every 90.
            if (day + i) % 50 == 7 {
                continue;
            }
            let stale = (day + i) % 90 < 3;
            let date = first_day + chrono::Days::new(day as u64);
            rows.push(SyntheticMaterialization {
                target: AssetPartition::new(key.clone(), Some(PartitionKey::new(&date.to_string()).unwrap())),
                code_version: if stale { old_code.clone() } else { code.clone() },
                data_version: DataVersion::from_stored(&format!("v{i}-{day}")),
                materialized_at: Utc::now(),
                path: path.clone(),
            });
        }
    }
    insert_materializations(instance.store(), "synthetic", &rows).await;
    println!("  ({} materializations stored in {:.1} s)", rows.len(), started.elapsed().as_secs_f64());
    drop(instance);
    let (state, schema, _) = server(dir.path(), None).await;
    let started = Instant::now();
    state.refresh_summary(true).await.unwrap();
    println!("  state summary computed once, after events: {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    let query = "{ assets { key partitionStatuses { start end count state } } }";
    let first = execute(&schema, query).await;
    let ranges: usize =
        first["assets"].as_array().unwrap().iter().map(|a| a["partitionStatuses"].as_array().unwrap().len()).sum();
    let counted: i64 = first["assets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["partitionStatuses"].as_array().unwrap().iter().map(|r| r["count"].as_i64().unwrap()))
        .sum();
    assert_eq!(counted as usize, assets * days, "the ranges cover every partition");
    let mut states: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for asset in first["assets"].as_array().unwrap() {
        for range in asset["partitionStatuses"].as_array().unwrap() {
            *states.entry(range["state"].as_str().unwrap().to_owned()).or_default() += range["count"].as_i64().unwrap();
        }
    }
    println!("  partitions by state: {states:?}");
    assert!(states.len() >= 3, "a mix of states: {states:?}");
    let times = measure(iterations, || respond(&schema, query)).await;
    report(&format!("partitionStatuses ({ranges} ranges)"), &times);
    println!();
}

async fn launch_backfill(title: &str, assets: usize, cadence: &str, partitions: usize, iterations: usize) {
    let target = if cadence == "hourly" { "< 1 s" } else { "< 100 ms" };
    println!("== launchBackfill: {title} (target {target} to accept)");
    let dir = tempfile::tempdir().unwrap();
    synthetic_project(dir.path(), assets, Some((cadence, partitions)));
    let (state, schema, _) = server(dir.path(), None).await;
    let last = if cadence == "hourly" {
        (Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(partitions as i64 - 1))
            .format("%Y-%m-%d-%H:%M")
            .to_string()
    } else {
        (NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Days::new(partitions as u64 - 1)).to_string()
    };
    let mutation = format!(
        "mutation {{ launchBackfill(input: {{ selection: \"g00/*\", partitions: {{ range: {{ start: \"{}\", end: \"{last}\" }} }} }}) \
         {{ id status }} }}",
        start(cadence)
    );
    let mut accepted = Vec::new();
    let mut launched = Vec::new();
    let mut steps = 0;
    for _ in 0..iterations {
        let started = Instant::now();
        let response = execute(&schema, &mutation).await;
        accepted.push(started.elapsed());
        assert_eq!(response["launchBackfill"]["status"], "REQUESTED");
        let started = Instant::now();
        let count = state.instance().launch_requested_backfills().await.unwrap();
        launched.push(started.elapsed());
        assert_eq!(count, 1);
        let id: i64 = response["launchBackfill"]["id"].as_str().unwrap().trim_start_matches("b-").parse().unwrap();
        let record = state.instance().store().backfill(cairn_store::BackfillId(id)).await.unwrap().unwrap();
        steps = state.instance().store().run_steps(record.run_id.unwrap()).await.unwrap().len();
        // The next iteration launches the same again: cancel this one.
        state.instance().cancel_backfill(cairn_store::BackfillId(id)).await.unwrap();
    }
    assert_eq!(steps, assets * partitions);
    report("launchBackfill accepted (stored, REQUESTED)", &accepted);
    report(&format!("launched by the daemon (planned, {steps} steps stored)"), &launched);
    println!();
}

/// Launches a backfill of every partition of a trivial daily asset over
/// GraphQL and waits for it to complete; returns partitions per second.
async fn throughput(partitions: usize) {
    println!("== backfill throughput: {partitions} trivial partitions, launchBackfill to COMPLETED (target ≥ 200/s)");
    let dir = tempfile::tempdir().unwrap();
    trivial_daily(dir.path(), partitions);
    let (state, schema, shutdown) = server(dir.path(), Some(2)).await;
    state.start_background();
    let started = Instant::now();
    let id = launch_all(&schema, partitions).await;
    wait_for(&state, id, Duration::from_secs(600)).await;
    let elapsed = started.elapsed();
    println!(
        "  {partitions} partitions in {:.2} s: {:.0} materializations/s",
        elapsed.as_secs_f64(),
        partitions as f64 / elapsed.as_secs_f64()
    );
    shutdown.cancel();
    state.wait_for_executor().await;
    println!();
}

fn trivial_daily(dir: &Path, partitions: usize) {
    std::fs::write(
        dir.join("cairn.yaml"),
        format!(
            "name: throughput\nassets:\n  - key: trivial\n    partitions: {{ daily: {{ start: 2021-01-01, end: {} }} }}\n    sql: SELECT $partition_key AS day\n",
            end("daily", partitions)
        ),
    )
    .unwrap();
}

async fn launch_all(schema: &Api, partitions: usize) -> i64 {
    let last = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Days::new(partitions as u64 - 1);
    let response = execute(
        schema,
        &format!(
            "mutation {{ launchBackfill(input: {{ selection: \"trivial\", partitions: {{ range: {{ start: \"2021-01-01\", end: \"{last}\" }} }} }}) {{ id }} }}"
        ),
    )
    .await;
    response["launchBackfill"]["id"].as_str().unwrap().trim_start_matches("b-").parse().unwrap()
}

async fn wait_for(state: &AppState, id: i64, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let record = state.instance().store().backfill(cairn_store::BackfillId(id)).await.unwrap().unwrap();
        if record.status.is_finished() {
            assert_eq!(record.status, BackfillStatus::Completed, "the backfill completes");
            return;
        }
        assert!(Instant::now() < deadline, "backfill {id} did not finish in {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `clients` concurrent clients (hey) asking for an asset page's data and
/// the lineage while a backfill runs in the same server.
async fn concurrent_clients(clients: usize, length: Duration) {
    println!(
        "== {clients} concurrent GraphQL clients over HTTP for {length:?}, during a running backfill (target p99 < 200 ms)"
    );
    let hey = which("hey").unwrap_or_else(|| panic!("this benchmark needs `hey`: apt-get install -y hey"));
    let dir = tempfile::tempdir().unwrap();
    trivial_daily(dir.path(), 5_000);
    let instance = Instance::open(dir.path(), None).await.unwrap();
    let shutdown = CancellationToken::new();
    let (address_tx, address_rx) = tokio::sync::oneshot::channel();
    let options = cairn_server::ServeOptions {
        bind: "127.0.0.1:0".parse().unwrap(),
        executors: Some(2),
        token: None,
        watch: false,
        project_dir: dir.path().to_path_buf(),
        database_url: None,
        allowed_origins: Vec::new(),
    };
    let server = tokio::spawn(cairn_server::serve(instance, options, shutdown.clone(), move |address| {
        let _ = address_tx.send(address);
    }));
    let address = address_rx.await.unwrap();
    let url = format!("http://{address}/graphql");
    let client = reqwest::Client::new();
    let launch = "mutation { launchBackfill(input: { selection: \"trivial\", partitions: { all: true } }) { id } }";
    let response: serde_json::Value =
        client.post(&url).json(&serde_json::json!({ "query": launch })).send().await.unwrap().json().await.unwrap();
    assert!(response["errors"].is_null(), "{response}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let body = serde_json::json!({
        "query": "{ asset(key: \"trivial\") { key staleStatus partitionStats { total materialized materializing missing } \
                  partitionStatuses { start end count state } } lineage { nodes { key state } edges { from to } } \
                  backfills(first: 5) { nodes { id status } } }"
    })
    .to_string();
    let output = tokio::process::Command::new(hey)
        .args(["-z", &format!("{}s", length.as_secs()), "-c", &clients.to_string(), "-m", "POST"])
        .args(["-T", "application/json", "-d", &body, &url])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "hey failed: {}", String::from_utf8_lossy(&output.stderr));
    let progress: serde_json::Value = client
        .post(&url)
        .json(&serde_json::json!({ "query": "{ asset(key: \"trivial\") { partitionStats { materialized } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    shutdown.cancel();
    server.await.unwrap().unwrap();
    let line = |prefix: &str| text.lines().find(|l| l.trim_start().starts_with(prefix)).map(str::trim).unwrap_or("?");
    println!("  {}", line("Requests/sec:"));
    for percentile in ["50%", "90%", "99%"] {
        println!("  {percentile} of requests in {}", line(percentile).trim_start_matches(percentile).trim());
    }
    let statuses: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with('[')).map(str::trim).collect();
    println!("  status codes: {}", statuses.join(", "));
    let errors = text.contains("Error distribution");
    println!("  transport errors: {}", if errors { "yes (see below)" } else { "none" });
    println!(
        "  backfill progress meanwhile: {} of 5000 partitions materialized",
        progress["data"]["asset"]["partitionStats"]["materialized"]
    );
    if errors || statuses.iter().any(|s| !s.starts_with("[200]")) {
        println!("{text}");
    }
    println!();
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(program)).find(|p| p.is_file())
}

async fn measure<F, T>(iterations: usize, mut run: impl FnMut() -> F) -> Vec<Duration>
where
    F: std::future::Future<Output = T>,
{
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        std::hint::black_box(run().await);
        times.push(started.elapsed());
    }
    times
}

fn report(label: &str, times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  {label:<58} median {:>8.2} ms  [{:.2} .. {:.2}]",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1])
    );
}
