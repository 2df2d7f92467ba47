//! The pause storm: `cairn worker` processes sharing one queued run while
//! a seeded random schedule stops one of them with SIGSTOP at random
//! moments, for a short while or for three times the lease, and continues
//! it with SIGCONT. Afterwards every invariant of exactly-once execution is
//! checked from the store. Used by the `storm` test (short, in the test
//! suite) and by the `storm` benchmark (a soak of any length).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use cairn_core::AssetKey;
use cairn_store::{EventKind, MetadataStore, RunId, RunStatus, StepStatus};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::Project;

/// One storm.
#[derive(Debug, Clone)]
pub struct Storm {
    /// Daily partitions of each of the two assets (`a`, and `b` reading
    /// `a`): the run has twice as many steps.
    pub days: usize,
    /// `cairn worker -j 1` processes.
    pub workers: usize,
    /// A PostgreSQL database URL, or SQLite in the project folder.
    pub database_url: Option<String>,
    /// Seed of the pause schedule (printed, so a failure can be replayed).
    pub seed: u64,
    /// `executor.lease` (at least 1 s); the heartbeat is a quarter of it.
    pub lease: Duration,
    /// Longest time the whole run may take.
    pub timeout: Duration,
}

/// What a storm did and found.
#[derive(Debug, Default)]
pub struct StormReport {
    /// Steps of the run.
    pub steps: usize,
    /// Pauses (SIGSTOP then SIGCONT), and how many lasted 3× the lease.
    pub pauses: usize,
    pub long_pauses: usize,
    /// For each long pause that ended before the run did: the steps the
    /// other workers recorded meanwhile.
    pub progress_during_long_pauses: Vec<i64>,
    /// Broken invariants, each said in a line.
    pub violations: Vec<String>,
    /// Wall time of the run, from queueing to its end.
    pub elapsed: Duration,
    /// The pause schedule as it happened.
    pub log: Vec<String>,
}

/// A seed from the clock, or `STORM_SEED` when set (to replay one).
pub fn seed() -> u64 {
    std::env::var("STORM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    })
}

fn project(storm: &Storm) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let end = start + chrono::Days::new(storm.days as u64);
    let lease_ms = storm.lease.as_millis();
    let partitions = format!("daily: {{ start: {start}, end: {end} }}");
    std::fs::write(
        dir.path().join("cairn.yaml"),
        format!(
            "name: storm\nexecutor:\n  lease: {lease_ms}ms\n  heartbeat: {}ms\nassets:\n  \
             - key: a\n    partitions:\n      {partitions}\n    sql: SELECT CAST($partition_start AS DATE) AS d, 1 AS x\n  \
             - key: b\n    partitions:\n      {partitions}\n    sql: SELECT d, x + 1 AS y FROM a\n",
            lease_ms / 4
        ),
    )
    .unwrap();
    Project { dir, database_url: storm.database_url.clone() }
}

fn signal(child: &Child, name: &str) {
    let sent = std::process::Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status();
    assert!(sent.is_ok_and(|s| s.success()) || name == "CONT", "kill -{name} {}", child.id());
}

/// Runs one storm (see the module docs).
pub fn run(storm: &Storm) -> StormReport {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let project = project(storm);
    let url =
        storm.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", project.path(".cairn/cairn.db").display()));
    let mut report = StormReport { steps: storm.days * 2, ..StormReport::default() };
    // The store exists before the workers start (they would race to create it).
    assert_eq!(project.expect(&["materialize", "--queue"], 0).trim(), "r-1");
    let store = runtime.block_on(MetadataStore::connect(&url)).expect("open the store");
    let logs: Vec<PathBuf> = (0..storm.workers).map(|i| project.path(&format!("worker-{i}.log"))).collect();
    let mut workers: Vec<Child> =
        logs.iter().map(|log| project.spawn_logged(&["worker", "-j", "1"], Some(log))).collect();
    let run = RunId(1);
    let started = Instant::now();
    // The schedule depends on the seed only.
    let mut rng = StdRng::seed_from_u64(storm.seed);
    let materialized = || runtime.block_on(store.run(run)).unwrap().map_or(0, |r| r.materialized_steps);
    let finished = || runtime.block_on(store.run(run)).unwrap().is_some_and(|r| r.status.is_finished());
    while !finished() {
        if started.elapsed() > storm.timeout {
            report.violations.push(format!("the run did not finish within {:?}", storm.timeout));
            break;
        }
        std::thread::sleep(Duration::from_millis(50 + rng.random_range(0..400)));
        let worker = rng.random_range(0..storm.workers);
        let long = rng.random_range(0..3) == 0;
        let pause = if long { storm.lease * 3 } else { Duration::from_millis(100 + rng.random_range(0..500)) };
        let before = materialized();
        let at = started.elapsed();
        signal(&workers[worker], "STOP");
        std::thread::sleep(pause);
        let after = materialized();
        let run_ended = finished();
        signal(&workers[worker], "CONT");
        report.pauses += 1;
        report.log.push(format!(
            "{at:?}: worker {worker} stopped for {pause:?}; {} step(s) recorded meanwhile",
            after - before
        ));
        if long {
            report.long_pauses += 1;
            if !run_ended {
                report.progress_during_long_pauses.push(after - before);
            }
        }
    }
    report.elapsed = started.elapsed();
    for worker in &workers {
        signal(worker, "CONT");
        signal(worker, "TERM");
    }
    for (index, worker) in workers.iter_mut().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match worker.try_wait().unwrap() {
                Some(status) if status.success() => break,
                Some(status) => {
                    let log = std::fs::read_to_string(&logs[index]).unwrap_or_default();
                    report.violations.push(format!("worker {index} exited with {status}:\n{log}"));
                    break;
                }
                None if Instant::now() > deadline => {
                    let _ = worker.kill();
                    report.violations.push(format!("worker {index} did not stop within 30 s of SIGTERM"));
                    break;
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    check(&runtime, &store, run, storm, &mut report);
    runtime.block_on(store.close()).unwrap();
    report
}

/// Checks exactly-once execution after the run (see [`StormReport::violations`]).
fn check(
    runtime: &tokio::runtime::Runtime,
    store: &MetadataStore,
    run: RunId,
    storm: &Storm,
    report: &mut StormReport,
) {
    let violations = &mut report.violations;
    let Some(record) = runtime.block_on(store.run(run)).unwrap() else {
        violations.push("the run is gone".to_owned());
        return;
    };
    if record.status != RunStatus::Success {
        violations.push(format!("the run ended {}", record.status));
    }
    let steps = runtime.block_on(store.run_steps(run)).unwrap();
    let mut by_status: BTreeMap<StepStatus, i64> = BTreeMap::new();
    for step in &steps {
        *by_status.entry(step.status).or_default() += 1;
        // A fresh project: every step materializes. A skipped step means
        // its partition was materialized by an earlier attempt of the same
        // step (what the storm used to find), or a failure upstream.
        if step.status != StepStatus::Materialized {
            violations.push(format!(
                "step {} ({}) is {} after attempt {} (skip reason {:?}, error {:?})",
                step.id, step.target, step.status, step.attempt, step.skip_reason, step.error
            ));
        }
    }
    let count = |status| by_status.get(&status).copied().unwrap_or(0);
    let counters = (record.materialized_steps, record.failed_steps, record.skipped_steps, record.canceled_steps);
    let actual = (
        count(StepStatus::Materialized),
        count(StepStatus::Failed),
        count(StepStatus::Skipped),
        count(StepStatus::Canceled),
    );
    if counters != actual {
        violations.push(format!("the run's counters {counters:?} differ from its steps {actual:?}"));
    }
    if steps.len() != storm.days * 2 || record.planned_steps != steps.len() as i64 {
        violations.push(format!(
            "{} steps stored, {} planned, {} expected",
            steps.len(),
            record.planned_steps,
            storm.days * 2
        ));
    }
    for asset in ["a", "b"] {
        let key = AssetKey::new(asset).unwrap();
        let history = runtime.block_on(store.materialization_history(&key, 1_000_000)).unwrap();
        let mut per_partition: BTreeMap<String, usize> = BTreeMap::new();
        for m in &history {
            *per_partition
                .entry(m.partition.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default())
                .or_default() += 1;
        }
        let twice: Vec<_> = per_partition.iter().filter(|(_, n)| **n != 1).collect();
        if per_partition.len() != storm.days || !twice.is_empty() {
            violations.push(format!(
                "asset {asset}: {} partitions materialized (of {}), some more than once: {twice:?}",
                per_partition.len(),
                storm.days
            ));
        }
    }
    let events = runtime.block_on(store.run_events(run)).unwrap();
    let ends = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::RunSuccess | EventKind::RunFailure | EventKind::RunCanceled))
        .count();
    let materializations = events.iter().filter(|e| e.kind == EventKind::AssetMaterialization).count();
    if ends != 1 || materializations != steps.len() {
        violations.push(format!("{ends} run end event(s), {materializations} materialization event(s)"));
    }
}
