//! The asset-state index at scale (`cargo bench -p cairn-api --bench
//! state_index`): a project of 1,000 daily assets over 3 years and 10
//! hourly assets over 5 years, whose store holds one materialization of
//! nearly every partition (about 1.1 million daily and 440,000 hourly),
//! written through the store's API (`insert_materializations`), not by
//! running steps. Release build; prints medians.
//!
//! Measured, with the targets of the asset-state index issue:
//! 1. `cairn serve` (the real binary) from its start to its first answered
//!    `lineage` query: < 5 s; its resident memory then: < 1.5 GB.
//! 2. Applying one step's end to the index (`advance_index` after one
//!    materialization is recorded): < 100 µs median.
//! 3. `cairn status --json` (the real binary), whole process: < 1 s. Three
//!    cases: the asset status cache empty (the first `cairn status` on the
//!    store, one sample), current (nothing changed since the previous
//!    call), and after one new materialization of the first asset of a
//!    chain of 10 (those 10 assets' statuses are computed again).
//! 4. Planning a backfill of one asset × 30 days in the engine
//!    (`Instance::preview_backfill`, the instance already open): < 50 ms.
//! 5. `cairn backfill ASSET --from D --to D+29 --preview` (the real binary,
//!    one asset × 30 days planned on that store), whole process: < 50 ms
//!    (the issue's target is for planning alone; the process's start and
//!    the store's opening are included here).
//!
//! 6. 50 concurrent GraphQL clients over HTTP (`hey`, Debian's package;
//!    the benchmark fails without it) while the server's executor runs a
//!    backfill of 10,000 trivial hourly partitions (`h00`) on that store:
//!    17 clients each asking for the asset page of a 1,095-day asset
//!    (`partitionStatuses` of `a00000`), the lineage of all assets, and the
//!    backfill's progress, for 7 s, twice: each client paced at 2
//!    requests/s (100 requests/s in all), then as fast as it can (a load
//!    test: each client sends its next request when the answer arrives).
//!    Each p99 < 100 ms; the backfill's throughput meanwhile at least 80%
//!    of its throughput in the 7 s before, without clients. Throughout, a subscriber of `assetEvents`
//!    measures each materialization's commit to its message: p99 < 250 ms
//!    (its `at`, stamped just before the commit, to the message's arrival;
//!    the same machine's clock).
//!
//! `CAIRN_BENCH_QUICK=1` builds a store a tenth of the size (a smoke test);
//! `CAIRN_BENCH_DIR=PATH` keeps the project and its store in `PATH`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cairn_core::partitions::PartitionKey;
use cairn_core::state::AssetPartition;
use cairn_core::{AssetKey, CodeVersion, DataVersion};
use cairn_engine::Instance;
use cairn_store::testing::{SyntheticMaterialization, insert_materializations, one_step_run};
use cairn_store::{ClaimRequest, MetadataStore, NewMaterialization, StepOutcome};
use chrono::{NaiveDate, TimeZone as _, Utc};

const CAIRN: &str = env!("CARGO_BIN_EXE_cairn");

fn main() {
    let quick = std::env::var_os("CAIRN_BENCH_QUICK").is_some();
    let (daily_assets, hourly_assets) = if quick { (100, 1) } else { (1_000, 10) };
    let (days, hours) = (1_095, 5 * 365 * 24);
    // `CAIRN_BENCH_DIR=PATH` keeps the project and its store there (an
    // empty or new folder) to look into afterwards, e.g. with
    // `RUST_LOG=info cairn serve`.
    let kept = std::env::var_os("CAIRN_BENCH_DIR").map(std::path::PathBuf::from);
    let temporary = tempfile::tempdir().unwrap();
    let dir = kept.as_deref().unwrap_or(temporary.path());
    std::fs::create_dir_all(dir).unwrap();
    assert!(std::fs::read_dir(dir).unwrap().next().is_none(), "CAIRN_BENCH_DIR must be empty: {}", dir.display());
    project(dir, daily_assets, hourly_assets, days);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!(
        "cairn asset-state index benchmarks: {daily_assets} daily assets × {days} days, \
         {hourly_assets} hourly assets × {hours} hours\n"
    );
    let stored = runtime.block_on(fill(dir, daily_assets, hourly_assets, days, hours));
    println!("  {stored} materializations stored\n");

    runtime.block_on(server_start(dir));
    runtime.block_on(apply_step_end(dir));
    runtime.block_on(plan_backfill(dir));
    runtime.block_on(status(dir));
    runtime.block_on(clients_during_backfill(dir));
    whole_process(
        "cairn backfill a00000 (30 days) --preview",
        &["backfill", "a00000", "--from", "2021-03-01", "--to", "2021-03-30", "--preview"],
        dir,
        50.0,
    );
}

/// `cairn.yaml` and one asset file: daily SQL assets, each reading the one
/// before it (in chains of 10), and hourly SQL assets; each query reads its
/// partition's window, so the project loads without warnings.
fn project(dir: &Path, daily_assets: usize, hourly_assets: usize, days: usize) {
    let end = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Days::new(days as u64);
    let mut yaml = String::from("name: scale\nassets:\n");
    for i in 0..daily_assets {
        if i % 10 == 0 {
            yaml.push_str(&format!("  - key: a{i:05}\n    sql: SELECT CAST($partition_start AS DATE) AS day\n"));
        } else {
            yaml.push_str(&format!("  - key: a{i:05}\n    sql: SELECT day FROM a{:05}\n", i - 1));
            yaml.push_str(&format!("    deps: [a{:05}]\n", i - 1));
        }
        yaml.push_str(&format!("    partitions:\n      daily: {{ start: 2021-01-01, end: {end} }}\n"));
    }
    for i in 0..hourly_assets {
        yaml.push_str(&format!(
            "  - key: h{i:02}\n    sql: SELECT CAST($partition_start AS TIMESTAMP) AS hour\n    partitions:\n      hourly: {{ start: 2020-01-01-00:00, end: 2025-01-01-00:00 }}\n"
        ));
    }
    std::fs::write(dir.join("cairn.yaml"), yaml).unwrap();
}

/// Stores a materialization of every partition but one in 50 (missing),
/// with the asset's current code version but one in 90 (stale).
async fn fill(dir: &Path, daily_assets: usize, hourly_assets: usize, days: usize, hours: usize) -> usize {
    let started = Instant::now();
    let instance = Instance::open(dir, None).await.unwrap();
    let old_code = CodeVersion::from_stored("an older query");
    let first_day = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
    let first_hour = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let mut stored = 0;
    let mut rows = Vec::new();
    let assets: Vec<(String, usize)> = (0..daily_assets)
        .map(|i| (format!("a{i:05}"), days))
        .chain((0..hourly_assets).map(|i| (format!("h{i:02}"), hours)))
        .collect();
    for (i, (name, count)) in assets.iter().enumerate() {
        let key = AssetKey::new(name).unwrap();
        let code = instance.project().asset(&key).unwrap().spec.code_version.clone();
        for n in 0..*count {
            if (n + i) % 50 == 7 {
                continue;
            }
            let partition = if name.starts_with('a') {
                (first_day + chrono::Days::new(n as u64)).to_string()
            } else {
                (first_hour + chrono::Duration::hours(n as i64)).format("%Y-%m-%d-%H:%M").to_string()
            };
            rows.push(SyntheticMaterialization {
                target: AssetPartition::new(key.clone(), Some(PartitionKey::new(&partition).unwrap())),
                code_version: if (n + i) % 90 < 3 { old_code.clone() } else { code.clone() },
                data_version: DataVersion::from_stored(&format!("v{i}-{n}")),
                materialized_at: Utc::now(),
                path: format!("synthetic/{name}.parquet"),
            });
        }
        if rows.len() >= 100_000 {
            insert_materializations(instance.store(), "scale", &rows).await;
            stored += rows.len();
            rows.clear();
        }
    }
    insert_materializations(instance.store(), "scale", &rows).await;
    stored += rows.len();
    println!("  (stored in {:.0} s)", started.elapsed().as_secs_f64());
    stored
}

/// The resident memory of process `pid`, in bytes (Linux `/proc`).
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// `cairn serve` (the real binary) on the project in `dir` with
/// `executor` (`--no-executor` or `--executors=N`), on a free loopback
/// port: the process and its base URL, once it listens.
fn serve(dir: &Path, executor: &str) -> (std::process::Child, String) {
    let mut child = Command::new(CAIRN)
        .arg("--project")
        .arg(dir)
        .args(["--no-progress", "serve", "--bind", "127.0.0.1:0", executor])
        .env_remove("CAIRN_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").expect("cairn serve prints its address").to_owned();
    (child, url)
}

async fn server_start(dir: &Path) {
    let mut times = Vec::new();
    let mut memory = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let (mut child, url) = serve(dir, "--no-executor");
        let client = reqwest::Client::new();
        loop {
            let answer = client
                .post(format!("{url}/graphql"))
                .header("content-type", "application/json")
                .body(r#"{"query":"{ lineage { nodes { key state } } }"}"#)
                .send()
                .await;
            let body = match answer {
                Ok(response) => response.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if body.contains("\"nodes\"") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        times.push(started.elapsed().as_secs_f64() * 1e3);
        memory.push(resident_bytes(child.id()) as f64 / 1e6);
        let _ = child.kill();
        let _ = child.wait();
    }
    report("cairn serve: start to first answered lineage query", &times, "ms", 5_000.0);
    report("cairn serve: resident memory after start", &memory, "MB", 1_500.0);
}

async fn apply_step_end(dir: &Path) {
    let instance = Instance::open(dir, None).await.unwrap();
    let store: &MetadataStore = instance.store();
    let mut index = store.load_index().await.unwrap();
    let key = AssetKey::new("a00005").unwrap();
    let code = instance.project().asset(&key).unwrap().spec.code_version.clone();
    let mut times = Vec::new();
    for n in 0..200 {
        let target = AssetPartition::new(key.clone(), Some(PartitionKey::new("2021-02-01").unwrap()));
        let run = store.create_run(&one_step_run("scale", target.clone(), Utc::now())).await.unwrap();
        let claimed = store
            .claim_steps(&ClaimRequest {
                owner: "bench",
                project: "scale",
                run: Some(run),
                limit: 1,
                lease: Duration::from_secs(30),
                now: Utc::now(),
            })
            .await
            .unwrap();
        let materialization = NewMaterialization {
            asset: key.clone(),
            partition: target.partition.clone(),
            code_version: code.clone(),
            data_version: DataVersion::from_stored(&format!("step-end-{n}")),
            inputs: Vec::new(),
            rows: Some(1),
            bytes: 1,
            duration_ms: 1,
            path: "synthetic/a00005.parquet".into(),
            materialized_at: Utc::now(),
        };
        let outcome = StepOutcome::Materialized { materialization, checks: Vec::new(), data_changed: true };
        store.finish_step(&claimed[0].lease, &target, &outcome, &[], Utc::now()).await.unwrap();
        let started = Instant::now();
        store.advance_index(&mut index).await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    report("applying one step's end to the index (advance_index)", &times, "µs", 100.0);
}

/// Planning a backfill of one asset × 30 days in the engine (the issue's
/// target is for planning alone): the instance is opened once, each
/// sample is one `Instance::preview_backfill` (the selection's and its
/// upstream's state read from the store, then the plan).
async fn plan_backfill(dir: &Path) {
    let instance = Instance::open(dir, None).await.unwrap();
    let request = cairn_engine::BackfillRequest {
        selection: "a00000".into(),
        partitions: cairn_engine::PartitionSubset::Range { start: "2021-03-01".into(), end: "2021-03-30".into() },
        only_missing_or_failed: false,
        only_stale: false,
        tags: Default::default(),
    };
    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let plan = instance.preview_backfill(&request).await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(plan.total, 30, "the preview plans a00000 × 30 days");
    }
    report("planning a backfill of a00000 × 30 days (Instance::preview_backfill)", &times, "ms", 50.0);
}

/// 50 clients (three `hey`s) during a backfill of 10,000 partitions of
/// `h00` run by the server's own executor: each query's p99, and the
/// backfill's throughput with and without the clients.
async fn clients_during_backfill(dir: &Path) {
    let hey = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join("hey")).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("this benchmark needs `hey`: apt-get install -y hey"));
    let (mut child, url) = serve(dir, "--executors=2");
    let url = format!("{url}/graphql");
    let client = reqwest::Client::new();
    let ask = |query: String| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let body = serde_json::json!({ "query": query });
            let answer: serde_json::Value =
                client.post(&url).json(&body).send().await.unwrap().json().await.unwrap_or_default();
            answer
        }
    };
    // The index loaded, the first summary computed.
    while ask("{ lineage { nodes { key } } }".into()).await["data"].is_null() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let launch = "mutation { launchBackfill(input: { selection: \"h00\", partitions: { range: \
                  { start: \"2020-01-01-00:00\", end: \"2021-02-20-15:00\" } } }) { id } }";
    let answer = ask(launch.into()).await;
    let id = answer["data"]["launchBackfill"]["id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned();
    let progress =
        format!("{{ backfill(id: \"{id}\") {{ status counts {{ targeted materialized failed inProgress }} }} }}");
    let materialized =
        |answer: serde_json::Value| answer["data"]["backfill"]["counts"]["materialized"].as_f64().unwrap_or(0.0);
    // Running at full speed first.
    while materialized(ask(progress.clone()).await) < 200.0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let latencies = subscribe_to_asset_events(&url).await;
    let window = Duration::from_secs(7);
    let (start, started) = (materialized(ask(progress.clone()).await), Instant::now());
    tokio::time::sleep(window).await;
    let alone = (materialized(ask(progress.clone()).await) - start) / started.elapsed().as_secs_f64();
    let clients_from = Instant::now();

    let queries = [
        ("asset page of a00000 (1,095 daily partitions)", "{ asset(key: \"a00000\") { key staleStatus partitionStats { total materialized stale missing materializing failed } partitionStatuses { start end state count } } }".to_owned()),
        ("lineage of all assets", "{ lineage { nodes { key state } edges { from to } } }".to_owned()),
        ("backfill progress", progress.clone()),
    ];
    println!("  backfill of h00 by the server's executor (2 steps at once), 50 clients (17 per query):");
    // Paced as users are (each client 2 requests/s: more than a person
    // refetching a page on every asset event), then as fast as they can.
    for (pace, rate) in [("2 requests/s each", Some(2)), ("as fast as they can", None)] {
        let (start, started) = (materialized(ask(progress.clone()).await), Instant::now());
        let runs: Vec<_> = queries
            .iter()
            .map(|(_, query)| {
                let body = serde_json::json!({ "query": query }).to_string();
                let mut hey_command = tokio::process::Command::new(&hey);
                hey_command.args(["-z", &format!("{}s", window.as_secs()), "-c", "17", "-m", "POST"]);
                if let Some(rate) = rate {
                    hey_command.args(["-q", &rate.to_string()]);
                }
                hey_command.args(["-T", "application/json", "-d", &body, &url]).output()
            })
            .collect();
        let outputs = futures::future::join_all(runs).await;
        let with_clients = (materialized(ask(progress.clone()).await) - start) / started.elapsed().as_secs_f64();
        println!("   clients {pace}:");
        for ((name, _), output) in queries.iter().zip(outputs) {
            let output = output.unwrap();
            let text = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "hey failed: {}", String::from_utf8_lossy(&output.stderr));
            let seconds = |prefix: &str| {
                text.lines()
                    .find_map(|l| l.trim_start().strip_prefix(prefix))
                    .and_then(|rest| {
                        rest.trim().trim_start_matches("in ").split_whitespace().next()?.parse::<f64>().ok()
                    })
                    .unwrap_or(f64::NAN)
            };
            let rate = text.lines().find_map(|l| l.trim_start().strip_prefix("Requests/sec:")).unwrap_or("?").trim();
            let statuses: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with('[')).map(str::trim).collect();
            assert!(statuses.iter().all(|s| s.starts_with("[200]")) && !text.contains("Error distribution"), "{text}");
            println!("    {name}: {rate} requests/s, p50 {:.1} ms", seconds("50%") * 1e3);
            // hey leaves out a percentile its sample is too small for:
            // then the slowest request stands for it.
            let p99 = Some(seconds("99%")).filter(|s| !s.is_nan()).unwrap_or_else(|| seconds("Slowest:"));
            report(&format!("    {name}, 17 clients {pace}: p99"), &[p99 * 1e3], "ms", 100.0);
        }
        let share = 100.0 * with_clients / alone;
        let verdict = if share >= 80.0 { "ok" } else { "MISSED" };
        println!(
            "    throughput: {alone:.0} partitions/s alone, {with_clients:.0} partitions/s with the clients: \
             kept {share:.0}% (target >= 80%: {verdict})"
        );
    }
    let end = ask(progress.clone()).await;
    let _ = child.kill();
    let _ = child.wait();

    let latencies = latencies.lock().unwrap().clone();
    let alone_ms: Vec<f64> = latencies.iter().filter(|(t, _)| *t < clients_from).map(|(_, ms)| *ms).collect();
    let clients_ms: Vec<f64> = latencies.iter().filter(|(t, _)| *t >= clients_from).map(|(_, ms)| *ms).collect();
    for (name, sample) in [("alone", alone_ms), ("with 50 clients", clients_ms)] {
        assert!(!sample.is_empty(), "no assetEvents message {name}");
        let mut sorted = sample.clone();
        sorted.sort_by(f64::total_cmp);
        let p99 = sorted[(sorted.len() * 99 / 100).min(sorted.len() - 1)];
        println!(
            "    commit to assetEvents message, {name}: {} messages, median {:.1} ms",
            sorted.len(),
            sorted[sorted.len() / 2]
        );
        report(&format!("  commit to assetEvents message, {name}: p99"), &[p99], "ms", 250.0);
    }
    let counts = &end["data"]["backfill"]["counts"];
    assert!(
        counts["materialized"].as_f64() < counts["targeted"].as_f64(),
        "the backfill ran out before the clients did: {end}"
    );
    println!("    counts at the end: {}", end["data"]["backfill"]["counts"]);
}

/// Subscribes to `assetEvents` of `h00` over WebSocket (graphql-transport-ws)
/// and records, for each materialization, when its message arrived and how
/// long after its `at` (ms).
async fn subscribe_to_asset_events(url: &str) -> std::sync::Arc<std::sync::Mutex<Vec<(Instant, f64)>>> {
    use futures::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

    let mut request = format!("{}/ws", url.replacen("http://", "ws://", 1)).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket connects");
    socket.send(Message::text(r#"{"type":"connection_init","payload":{}}"#)).await.unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap_or_default().contains("connection_ack"), "{ack:?}");
    let subscribe = serde_json::json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription { assetEvents(selection: \"h00\") { kind at } }" } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    let latencies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = latencies.clone();
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let arrived = (Instant::now(), Utc::now());
            let Ok(text) = message.to_text() else { continue };
            let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { continue };
            let event = &value["payload"]["data"]["assetEvents"];
            if event["kind"] != "ASSET_MATERIALIZATION" {
                continue;
            }
            let Some(at) = event["at"].as_str().and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok()) else {
                continue;
            };
            let ms = (arrived.1 - at.with_timezone(&Utc)).num_microseconds().unwrap_or(0) as f64 / 1e3;
            recorded.lock().unwrap().push((arrived.0, ms));
        }
    });
    latencies
}

/// `cairn status --json` with the asset status cache empty, current, and
/// one materialization behind.
async fn status(dir: &Path) {
    let args = ["status", "--json"];
    let cold = run_cairn("cairn status --json", &args, dir);
    report("cairn status --json, asset status cache empty (first call)", &[cold], "ms", 1_000.0);
    whole_process("cairn status --json, cache current", &args, dir, 1_000.0);
    let instance = Instance::open(dir, None).await.unwrap();
    let key = AssetKey::new("a00000").unwrap();
    let code = instance.project().asset(&key).unwrap().spec.code_version.clone();
    let mut times = Vec::new();
    for n in 0..5 {
        let row = SyntheticMaterialization {
            target: AssetPartition::new(key.clone(), Some(PartitionKey::new("2021-06-01").unwrap())),
            code_version: code.clone(),
            data_version: DataVersion::from_stored(&format!("status-{n}")),
            materialized_at: Utc::now(),
            path: "synthetic/a00000.parquet".into(),
        };
        insert_materializations(instance.store(), "scale", &[row]).await;
        times.push(run_cairn("cairn status --json", &args, dir));
    }
    report("cairn status --json, after a materialization of a00000 (10 assets recomputed)", &times, "ms", 1_000.0);
}

/// One run of the real binary with `args` on the project in `dir`: its
/// wall time, ms.
fn run_cairn(name: &str, args: &[&str], dir: &Path) -> f64 {
    let started = Instant::now();
    let output = Command::new(CAIRN)
        .arg("--project")
        .arg(dir)
        .arg("--no-progress")
        .args(args)
        .env_remove("CAIRN_DATABASE_URL")
        .output()
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64() * 1e3;
    assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
    elapsed
}

fn whole_process(name: &str, args: &[&str], dir: &Path, target_ms: f64) {
    let times: Vec<f64> = (0..5).map(|_| run_cairn(name, args, dir)).collect();
    report(name, &times, "ms", target_ms);
}

fn report(name: &str, samples: &[f64], unit: &str, target: f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let verdict = if median < target { "ok" } else { "MISSED" };
    println!(
        "{name}: median {median:.1} {unit} [{:.1} .. {:.1}] (target < {target} {unit}: {verdict})",
        sorted[0],
        sorted[sorted.len() - 1]
    );
}
