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
//! 3. `cairn status --json` (the real binary), whole process: < 1 s.
//! 4. Planning a backfill of one asset × 30 days in the engine
//!    (`Instance::preview_backfill`, the instance already open): < 50 ms.
//! 5. `cairn backfill ASSET --from D --to D+29 --preview` (the real binary,
//!    one asset × 30 days planned on that store), whole process: < 50 ms
//!    (the issue's target is for planning alone; the process's start and
//!    the store's opening are included here).
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
use cairn_store::testing::{SyntheticMaterialization, insert_materializations};
use cairn_store::{ClaimRequest, MetadataStore, NewMaterialization, NewRun, NewStep, RunOrigin, StepOutcome};
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
    whole_process("cairn status --json", &["status", "--json"], dir, 1_000.0);
    whole_process(
        "cairn backfill a00000 (30 days) --preview",
        &["backfill", "a00000", "--from", "2021-03-01", "--to", "2021-03-30", "--preview"],
        dir,
        50.0,
    );
}

/// `cairn.yaml` and one asset file: daily SQL assets, each reading the one
/// before it (in chains of 10), and hourly SQL assets.
fn project(dir: &Path, daily_assets: usize, hourly_assets: usize, days: usize) {
    let end = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Days::new(days as u64);
    let mut yaml = String::from("name: scale\nassets:\n");
    for i in 0..daily_assets {
        yaml.push_str(&format!("  - key: a{i:05}\n    sql: SELECT 1 AS x\n"));
        if i % 10 != 0 {
            yaml.push_str(&format!("    deps: [a{:05}]\n", i - 1));
        }
        yaml.push_str(&format!("    partitions:\n      daily: {{ start: 2021-01-01, end: {end} }}\n"));
    }
    for i in 0..hourly_assets {
        yaml.push_str(&format!(
            "  - key: h{i:02}\n    sql: SELECT 1 AS x\n    partitions:\n      hourly: {{ start: 2020-01-01-00:00, end: 2025-01-01-00:00 }}\n"
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

async fn server_start(dir: &Path) {
    let mut times = Vec::new();
    let mut memory = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut child = Command::new(CAIRN)
            .arg("--project")
            .arg(dir)
            .args(["--no-progress", "serve", "--bind", "127.0.0.1:0", "--no-executor"])
            .env_remove("CAIRN_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").expect("cairn serve prints its address").to_owned();
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
        let run = store
            .create_run(&NewRun {
                project: "scale".into(),
                origin: RunOrigin::Cli,
                tags: Default::default(),
                selection: String::new(),
                partition_filter: None,
                target: cairn_store::RunTarget {
                    assets: Vec::new(),
                    partitions: cairn_core::run::PartitionScope::All,
                    only_stale: false,
                },
                steps: vec![NewStep {
                    target: target.clone(),
                    reasons: Vec::new(),
                    conditional: false,
                    waits_for: Vec::new(),
                }],
                created_at: Utc::now(),
            })
            .await
            .unwrap();
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

fn whole_process(name: &str, args: &[&str], dir: &Path, target_ms: f64) {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let output = Command::new(CAIRN)
            .arg("--project")
            .arg(dir)
            .arg("--no-progress")
            .args(args)
            .env_remove("CAIRN_DATABASE_URL")
            .output()
            .unwrap();
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
    }
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
