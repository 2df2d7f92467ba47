//! Run engine benchmarks (`cargo bench -p cairn-engine --bench runs`):
//! real stores, real Parquet, real DataFusion. Prints medians.
//!
//! 1. **Throughput** of trivial one-row SQL asset partitions (one daily
//!    asset, 1,000 partitions, `SELECT $partition_key AS day`), launch to
//!    last commit: one process on SQLite at concurrency 1, 2 and 4; then
//!    1, 2 and 4 workers (executors with their own connection pools,
//!    concurrency 1 each) sharing one queued run on PostgreSQL. Target: at
//!    least 200 materializations/s for one process. Also where the time
//!    goes: executing a step (of which DataFusion) versus claiming and
//!    recording it.
//! 2. **Steps over a source**: a daily-partitioned SQL asset over a ~1 MB
//!    CSV source with 1,100 daily partitions, each step selecting its day;
//!    the step's wall time against the bare DataFusion query for one day
//!    (the CSV registered once). Target: step ≤ 1.5× the bare query.
//!
//! PostgreSQL at `CAIRN_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each scenario uses a
//! database of its own, dropped afterwards. `CAIRN_BENCH_QUICK=1` runs
//! smaller scenarios (a smoke test).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use cairn_assets::tables::{FileSettings, new_session, register_files};
use cairn_core::AssetKey;
use cairn_core::planner::PartitionFilter;
use cairn_engine::{CancellationToken, ExecutorOptions, ExecutorReport, Instance, Launch};
use cairn_store::testing::TempPostgres;
use cairn_store::{RunId, RunOrigin, StepStatus};

fn main() {
    let quick = std::env::var_os("CAIRN_BENCH_QUICK").is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let partitions = if quick { 100 } else { 1_000 };
        println!("== throughput: {partitions} one-row SQL asset partitions, launch to last commit\n");
        for concurrency in [1, 2, 4] {
            throughput_sqlite(partitions, concurrency).await;
        }
        for workers in [1, 2, 4] {
            throughput_postgres(partitions, workers).await;
        }
        let days = if quick { 120 } else { 1_100 };
        println!("\n== steps over a ~1 MB CSV source, {days} daily partitions\n");
        source_steps(days).await;
    });
}

/// A project of one daily asset with `partitions` one-row partitions.
fn trivial_project(dir: &Path, partitions: usize, database: Option<&str>) {
    let end = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(partitions as u64);
    let mut yaml = String::from("name: throughput\n");
    if let Some(url) = database {
        writeln!(yaml, "database: {url}").unwrap();
    }
    writeln!(
        yaml,
        "assets:\n  - key: trivial\n    partitions: {{ daily: {{ start: 2020-01-01, end: {end} }} }}\n    sql: SELECT $partition_key AS day"
    )
    .unwrap();
    std::fs::write(dir.join("cairn.yaml"), yaml).unwrap();
}

/// Plans everything and stores the run.
async fn launch(instance: &Instance) -> (RunId, usize) {
    let snapshot = instance.snapshot().await.unwrap();
    let selection: BTreeSet<AssetKey> = instance.project().graph.keys().cloned().collect();
    let plan = instance.plan(&snapshot, selection.clone(), PartitionFilter::All, Default::default()).unwrap();
    let launch = Launch {
        origin: RunOrigin::Cli,
        tags: Default::default(),
        selection_text: String::new(),
        partition_text: None,
        selection,
        partitions: PartitionFilter::All,
        only_stale: true,
    };
    (instance.launch(&snapshot, &plan, &launch).await.unwrap(), plan.steps.len())
}

async fn throughput_sqlite(partitions: usize, concurrency: usize) {
    let dir = tempfile::tempdir().unwrap();
    trivial_project(dir.path(), partitions, None);
    let instance = Instance::open(dir.path(), None).await.unwrap();
    let started = Instant::now();
    let (run, steps) = launch(&instance).await;
    let launched = started.elapsed();
    let report =
        instance.executor(ExecutorOptions { run: Some(run), concurrency }).run(CancellationToken::new()).await.unwrap();
    let elapsed = started.elapsed();
    check_all_materialized(&report, steps);
    print_throughput(&format!("SQLite, one process, concurrency {concurrency}"), steps, elapsed, launched, &[report]);
}

async fn throughput_postgres(partitions: usize, workers: usize) {
    let database = TempPostgres::create().await;
    let dir = tempfile::tempdir().unwrap();
    trivial_project(dir.path(), partitions, Some(database.url()));
    let launcher = Instance::open(dir.path(), None).await.unwrap();
    let mut executors = Vec::new();
    for _ in 0..workers {
        // A connection pool of its own, as a separate process has.
        let worker = Instance::open(dir.path(), None).await.unwrap();
        executors.push(worker);
    }
    let started = Instant::now();
    let (run, steps) = launch(&launcher).await;
    let launched = started.elapsed();
    let tasks: Vec<_> = executors
        .into_iter()
        .map(|worker| {
            tokio::spawn(async move {
                worker
                    .executor(ExecutorOptions { run: Some(run), concurrency: 1 })
                    .run(CancellationToken::new())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut reports = Vec::new();
    for task in tasks {
        reports.push(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    let done: usize = reports.iter().map(|r| r.steps.len()).sum();
    assert_eq!(done, steps, "every step executed once");
    let shares: Vec<usize> = reports.iter().map(|r| r.steps.len()).collect();
    print_throughput(
        &format!("PostgreSQL, {workers} worker(s) (steps each: {shares:?})"),
        steps,
        elapsed,
        launched,
        &reports,
    );
}

fn check_all_materialized(report: &ExecutorReport, steps: usize) {
    assert_eq!(report.steps.len(), steps);
    assert!(report.steps.iter().all(|s| s.recorded == Some(StepStatus::Materialized)));
}

fn print_throughput(label: &str, steps: usize, elapsed: Duration, launched: Duration, reports: &[ExecutorReport]) {
    let executing: Vec<Duration> = reports.iter().flat_map(|r| r.steps.iter().map(|s| s.duration)).collect();
    let querying: Vec<Duration> = reports.iter().flat_map(|r| r.steps.iter().map(|s| s.query_time)).collect();
    let recording: Vec<Duration> = reports.iter().flat_map(|r| r.steps.iter().map(|s| s.record_time)).collect();
    let claims: usize = reports.iter().map(|r| r.claims).sum();
    let claiming: Duration = reports.iter().map(|r| r.claim_time).sum();
    println!("  {label}");
    println!(
        "    {:.0} materializations/s ({steps} in {:.2} s, of which launching {:.0} ms)",
        steps as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        ms(launched)
    );
    println!(
        "    per step, medians: executing {:.2} ms (DataFusion {:.2} ms), recording (commit) {:.2} ms; \
         claims: {claims}, {:.2} ms each",
        ms(median(&executing)),
        ms(median(&querying)),
        ms(median(&recording)),
        ms(claiming) / claims.max(1) as f64,
    );
}

/// A CSV of one row per hour-ish event over `days` days (~1 MB for 1,100).
fn write_events_csv(path: &Path, days: usize) {
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let mut csv = String::from("day,category,amount,note\n");
    for day in 0..days {
        let date = start + chrono::Days::new(day as u64);
        for event in 0..(18 + day % 7) {
            writeln!(
                csv,
                "{date},c{},{}.{:02},event {event} of the day",
                (day * 7 + event) % 13,
                event * 3 + day % 100,
                event
            )
            .unwrap();
        }
    }
    std::fs::write(path, csv).unwrap();
}

async fn source_steps(days: usize) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let csv = dir.path().join("data/events.csv");
    write_events_csv(&csv, days);
    let bytes = std::fs::metadata(&csv).unwrap().len();
    let end = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(days as u64);
    let query = "SELECT day, category, sum(amount) AS amount, count(*) AS events FROM raw.events \
                 WHERE day = CAST($partition_start AS DATE) GROUP BY day, category";
    std::fs::write(
        dir.path().join("cairn.yaml"),
        format!(
            "name: events\nassets:\n  - key: raw/events\n    source: {{ path: data/events.csv }}\n  - key: daily\n    \
             partitions: {{ daily: {{ start: 2020-01-01, end: {end} }} }}\n    sql: {query}\n    checks:\n      - not_null: [day]\n"
        ),
    )
    .unwrap();

    // The bare query: the CSV registered once, one day queried at a time.
    let session = new_session();
    let key = AssetKey::new("raw/events").unwrap();
    register_files(
        &session,
        &key,
        std::slice::from_ref(&csv),
        FileSettings::written(cairn_assets::definition::TableFormat::Csv),
    )
    .await
    .unwrap();
    let mut bare = Vec::new();
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for day in (0..days).step_by((days / 100).max(1)) {
        let date = start + chrono::Days::new(day as u64);
        let sql = query.replace("CAST($partition_start AS DATE)", &format!("DATE '{date}'"));
        let started = Instant::now();
        let batches = session.sql(&sql).await.unwrap().collect().await.unwrap();
        bare.push(started.elapsed());
        assert!(batches.iter().map(|b| b.num_rows()).sum::<usize>() > 0);
    }

    let instance = Instance::open(dir.path(), None).await.unwrap();
    let started = Instant::now();
    let (run, steps) = launch(&instance).await;
    let report = instance
        .executor(ExecutorOptions { run: Some(run), concurrency: 1 })
        .run(CancellationToken::new())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let materialized: Vec<_> = report.steps.iter().filter(|s| s.target.asset.as_str() == "daily").collect();
    assert_eq!(materialized.len(), days);
    assert!(materialized.iter().all(|s| s.recorded == Some(StepStatus::Materialized)));
    let step_times: Vec<Duration> = materialized.iter().map(|s| s.duration).collect();
    let query_times: Vec<Duration> = materialized.iter().map(|s| s.query_time).collect();
    println!(
        "  source: {:.2} MB CSV, {days} daily partitions ({steps} steps in {:.1} s, concurrency 1)",
        bytes as f64 / 1e6,
        elapsed.as_secs_f64()
    );
    println!("    bare DataFusion query for one day (CSV registered once): median {:.2} ms", ms(median(&bare)));
    println!(
        "    Cairn step (inputs from the store, query, Parquet, check, commit): median {:.2} ms \
         (its query {:.2} ms); ratio step/bare {:.2} (target <= 1.5)",
        ms(median(&step_times)),
        ms(median(&query_times)),
        median(&step_times).as_secs_f64() / median(&bare).as_secs_f64()
    );
    let per_step = ms(elapsed) / steps as f64;
    println!(
        "    whole run: {:.1} materializations/s, {per_step:.2} ms per step including claiming and recording; \
         ratio whole-run step/bare {:.2} (target <= 1.5)",
        days as f64 / elapsed.as_secs_f64(),
        per_step / ms(median(&bare))
    );
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
