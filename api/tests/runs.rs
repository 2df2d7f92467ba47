//! Durable runs, end to end with real processes: `cairn materialize`
//! killed with SIGKILL at random moments and resumed; a worker paused
//! with SIGSTOP past its lease, replaced, and refused when it wakes; three
//! workers sharing a queued run on PostgreSQL; overlapping runs; cancel
//! from another process; a Cairn 0.1 database migrated; closed pipes.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use cairn_store::{MetadataStore, RunFilter, RunId, RunStatus, StepStatus};
use serde_json::Value;
use support::{Project, copy_dir, staged};

/// The example's asset partitions to materialize.
const EXAMPLE_STEPS: usize = 90 + 90 + 3 + 5;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// The project's metadata store, opened as another process would.
fn store(project: &Project, runtime: &tokio::runtime::Runtime) -> MetadataStore {
    let url = project
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", project.path(".cairn/cairn.db").display()));
    runtime.block_on(MetadataStore::connect(&url)).expect("open the store")
}

/// Every materialization of every asset of the project, by asset partition.
fn materializations(
    store: &MetadataStore,
    runtime: &tokio::runtime::Runtime,
    assets: &[String],
) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for asset in assets {
        let key = cairn_core::AssetKey::new(asset).unwrap();
        for m in runtime.block_on(store.materialization_history(&key, 100_000)).unwrap() {
            let target = match &m.partition {
                Some(p) => format!("{asset}[{p}]"),
                None => asset.clone(),
            };
            *counts.entry(target).or_default() += 1;
        }
    }
    counts
}

fn example_assets(project: &Project) -> Vec<String> {
    let status = project.json(&["status", "--json"]);
    status
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] != "source")
        .map(|a| a["asset"].as_str().unwrap().to_owned())
        .collect()
}

/// Every file under the data folder, staged ones included.
fn data_files(data_dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![data_dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn is_parquet(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.len() > 8 && &bytes[..4] == b"PAR1" && &bytes[bytes.len() - 4..] == b"PAR1"
}

/// A pseudo-random number below `bound`, different on each call (no RNG
/// crate needed for choosing kill times).
fn random_below(bound: u64) -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mixed = nanos.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    mixed % bound
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap();
    assert!(sent.success(), "kill -{name}");
}

/// Stops `child` (SIGSTOP) at a moment it holds no write lock on the
/// project's SQLite database. A process stopped inside a write transaction
/// blocks every other writer until it is continued (SQLite has no server
/// to end its session, as PostgreSQL's `idle_in_transaction_session_timeout`
/// does), which is not what the tests stopping a worker are about: if the
/// database is locked once `child` is stopped, it is continued for a moment
/// and stopped again.
fn stop_outside_a_write(child: &Child, project: &Project, runtime: &tokio::runtime::Runtime) {
    use sea_orm::ConnectionTrait as _;
    let mut options = sea_orm::ConnectOptions::new(format!("sqlite://{}", project.path(".cairn/cairn.db").display()));
    options.sqlx_logging(false).max_connections(1).map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::ZERO));
    let db = runtime.block_on(sea_orm::Database::connect(options)).expect("open the database");
    for _ in 0..200 {
        signal(child, "STOP");
        let free = runtime.block_on(async {
            db.execute_unprepared("BEGIN IMMEDIATE").await.is_ok() && db.execute_unprepared("ROLLBACK").await.is_ok()
        });
        if free {
            return;
        }
        signal(child, "CONT");
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("process {} was inside a write transaction every time it was stopped", child.id());
}

/// Waits until `done()` holds, up to `limit`.
/// How many processes have an environment variable naming a path under
/// `dir` (a step's command gets `CAIRN_OUTPUT`, its staged file): Linux
/// `/proc/PID/environ`, readable for the processes of this user.
fn processes_writing_into(dir: &Path) -> usize {
    let needle = dir.to_string_lossy().into_owned().into_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|entry| std::fs::read(entry.path().join("environ")).ok())
        .filter(|environ| environ.windows(needle.len()).any(|window| window == needle.as_slice()))
        .count()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_killed_materialize_is_resumed_without_redoing_or_losing_anything() {
    let runtime = runtime();
    // Bounded random moments: early (sources, first partitions), middle,
    // late (rollups and the command).
    let mut resumed = Vec::new();
    for trial in 0..4u64 {
        let project = Project::flights();
        let log = project.path("materialize.log");
        let mut child = project.spawn_logged(&["materialize", "-j", "2"], Some(&log));
        let kill_after = Duration::from_millis(300 + trial * 600 + random_below(500));
        std::thread::sleep(kill_after);
        child.kill().unwrap(); // SIGKILL: no chance to record anything
        child.wait().unwrap();
        let store = store(&project, &runtime);
        let before = runtime.block_on(store.run(RunId(1))).unwrap();
        let Some(before) = before else {
            // Killed before the run was stored: nothing to resume, nothing lost.
            assert!(project.expect(&["runs"], 0).contains("no runs"));
            continue;
        };
        let committed: HashSet<i64> = runtime
            .block_on(store.run_steps(RunId(1)))
            .unwrap()
            .iter()
            .filter(|s| s.status == StepStatus::Materialized)
            .map(|s| s.id.0)
            .collect();

        if !before.status.is_finished() {
            resumed.push(committed.len());
            let out = project.expect(&["run", "resume", "r-1"], 0);
            assert!(out.contains("materialized, 0 failed"), "trial {trial} ({kill_after:?}): {out}");
        }
        let run = runtime.block_on(store.run(RunId(1))).unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Success, "trial {trial}");
        assert_eq!(run.materialized_steps + run.skipped_steps, EXAMPLE_STEPS as i64, "trial {trial}");
        let steps = runtime.block_on(store.run_steps(RunId(1))).unwrap();
        for step in &steps {
            if committed.contains(&step.id.0) {
                assert_eq!(step.attempt, 1, "trial {trial}: committed step {} ran again", step.target);
            }
        }
        // Exactly one materialization per asset partition: nothing redone.
        let counts = materializations(&store, &runtime, &example_assets(&project));
        assert_eq!(counts.len(), EXAMPLE_STEPS, "trial {trial}");
        assert!(counts.values().all(|&n| n == 1), "trial {trial}: {counts:?}");
        assert!(project.states().values().all(|s| s == "fresh"), "trial {trial}");
        // Every file a record points to is complete.
        for asset in example_assets(&project) {
            for (_, path) in project.files(&asset) {
                if path.extension().is_some_and(|e| e == "parquet") {
                    assert!(is_parquet(&path), "trial {trial}: {} is not whole Parquet", path.display());
                } else {
                    assert!(std::fs::metadata(&path).unwrap().len() > 0, "{}", path.display());
                }
            }
        }
        // After gc, the data folder holds exactly the current files. A
        // command the killed process had started outlives it (SIGKILL does
        // not reach its children) and may still be writing its staged
        // file: wait until no process writes into this project's data.
        let data_dir = project.path(".cairn/data");
        wait_until("the killed run's commands to end", Duration::from_secs(60), || {
            processes_writing_into(&data_dir) == 0
        });
        project.expect(&["gc"], 0);
        assert_eq!(staged(&data_dir), Vec::<PathBuf>::new(), "trial {trial}: staging left after gc");
        let mut current: Vec<PathBuf> =
            example_assets(&project).iter().flat_map(|asset| project.files(asset).into_values()).collect();
        current.sort();
        assert_eq!(data_files(&data_dir), current, "trial {trial}: orphan files left after gc");
    }
    eprintln!("steps committed before the kill, in the trials that were resumed: {resumed:?}");
    assert!(!resumed.is_empty(), "no trial was killed mid-run: the kill times are too late for this machine");
}

/// A project of one slow command asset whose output names the attempt
/// that wrote it (its staging path), and a short lease.
fn slow_writer(seconds: u64) -> Project {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        format!(
            "name: fencing\nexecutor:\n  lease: 2s\n  heartbeat: 500ms\nassets:\n  - key: slow\n    command: [python3, -c, \"import os, time; time.sleep({seconds}); open(os.environ['CAIRN_OUTPUT'], 'w').write(os.environ['CAIRN_OUTPUT'])\"]\n    output_format: file\n    output_extension: txt\n"
        ),
    )
    .unwrap();
    Project { dir, database_url: None }
}

#[test]
fn a_worker_paused_past_its_lease_is_replaced_and_its_late_write_refused() {
    let runtime = runtime();
    let project = slow_writer(4);
    assert_eq!(project.expect(&["materialize", "--queue"], 0).trim(), "r-1");
    let store = store(&project, &runtime);
    let a_log = project.path("worker-a.log");
    let mut a = project.spawn_logged(&["worker", "-j", "1"], Some(&a_log));
    wait_until("worker A to claim the step", Duration::from_secs(30), || {
        !runtime.block_on(store.running_steps(None)).unwrap().is_empty()
    });
    let held = runtime.block_on(store.running_steps(None)).unwrap().remove(0);
    assert!(held.owner.as_deref().unwrap().contains(&format!(":{}:", a.id())));
    stop_outside_a_write(&a, &project, &runtime);
    // Once the lease (2 s) has passed, worker B takes the step over (its
    // expiry pass re-queues it) and commits: no sleep, B waits for it.
    let b_log = project.path("worker-b.log");
    let mut b = project.spawn_logged(&["worker", "-j", "1"], Some(&b_log));
    wait_until("worker B to finish the run", Duration::from_secs(60), || {
        runtime.block_on(store.run(RunId(1))).unwrap().unwrap().status == RunStatus::Success
    });
    signal(&a, "CONT");
    // A wakes up: its late write (or its lease renewal) is refused.
    let refused = || {
        let log = std::fs::read_to_string(&a_log).unwrap_or_default();
        log.contains("is no longer held by") || log.contains("lost the lease")
    };
    let started = Instant::now();
    while !refused() {
        if started.elapsed() > Duration::from_secs(30) {
            let log = |path: &PathBuf| std::fs::read_to_string(path).unwrap_or_default();
            panic!(
                "timed out waiting for worker A to be refused\n--- worker A\n{}\n--- worker B\n{}",
                log(&a_log),
                log(&b_log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for worker in [&a, &b] {
        signal(worker, "TERM");
    }
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    // All A said, up to its exit.
    let a_said = std::fs::read_to_string(&a_log).unwrap();
    assert!(!a_said.contains("cannot record the end"), "a late end is a lost lease, not a failed write:\n{a_said}");

    let steps = runtime.block_on(store.run_steps(RunId(1))).unwrap();
    assert_eq!(steps[0].attempt, 2, "B's attempt committed");
    assert_ne!(steps[0].owner, held.owner);
    let history =
        runtime.block_on(store.materialization_history(&cairn_core::AssetKey::new("slow").unwrap(), 10)).unwrap();
    assert_eq!(history.len(), 1, "only B's materialization is recorded");
    let current = project.file("slow");
    assert!(current.to_string_lossy().ends_with("-a2.txt"), "{}", current.display());
    let content = std::fs::read_to_string(&current).unwrap();
    assert!(content.ends_with("-a2.txt"), "the data is B's: {content}");
    // A's file was never published over B's, and nothing of A's is left,
    // nor the staging folder an earlier version of Cairn left per attempt.
    let legacy = project.path(".cairn/data/.staging/r9-s9-a1");
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::write(legacy.join("data.parquet"), b"half").unwrap();
    let out = project.expect(&["gc"], 0);
    assert!(out.contains("staged file(s)"), "{out}");
    assert_eq!(data_files(&project.path(".cairn/data")), vec![current]);
    assert_eq!(staged(&project.path(".cairn/data")), Vec::<PathBuf>::new(), "{out}");
}

/// 120 trivial SQL assets.
fn trivial_project(assets: usize) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = String::from("name: trivial\nassets:\n");
    for index in 0..assets {
        yaml.push_str(&format!("  - key: t{index}\n    sql: SELECT {index} AS x\n"));
    }
    std::fs::write(dir.path().join("cairn.yaml"), yaml).unwrap();
    Project { dir, database_url: None }
}

#[test]
fn three_workers_share_a_queued_run_on_postgresql() {
    const ASSETS: usize = 120;
    let runtime = runtime();
    let database = runtime.block_on(cairn_store::testing::TempPostgres::create());
    let mut project = trivial_project(ASSETS);
    project.database_url = Some(database.url().to_owned());
    let mut workers: Vec<Child> = (0..3).map(|_| project.spawn(&["worker", "-j", "1"])).collect();
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(project.expect(&["materialize", "--queue"], 0).trim(), "r-1");
    let store = store(&project, &runtime);
    wait_until("the workers to finish the run", Duration::from_secs(120), || {
        runtime.block_on(store.run(RunId(1))).unwrap().unwrap().status.is_finished()
    });
    for worker in &workers {
        signal(worker, "TERM");
    }
    for worker in &mut workers {
        assert!(worker.wait().unwrap().success());
    }
    let run = runtime.block_on(store.run(RunId(1))).unwrap().unwrap();
    let steps = runtime.block_on(store.run_steps(RunId(1))).unwrap();
    let failed: Vec<_> = steps
        .iter()
        .filter(|s| s.status != StepStatus::Materialized)
        .map(|s| (s.target.to_string(), s.status, s.attempt, s.owner.clone(), s.error.clone()))
        .collect();
    assert_eq!((run.status, run.materialized_steps), (RunStatus::Success, ASSETS as i64), "{failed:#?}");
    assert!(steps.iter().all(|s| s.attempt == 1), "every step done once");
    let assets: Vec<String> = (0..ASSETS).map(|i| format!("t{i}")).collect();
    let counts = materializations(&store, &runtime, &assets);
    assert!(counts.len() == ASSETS && counts.values().all(|&n| n == 1), "{counts:?}");
    let mut per_worker: BTreeMap<String, usize> = BTreeMap::new();
    for step in &steps {
        let owner = step.owner.clone().unwrap();
        let pid = owner.split(':').nth(1).unwrap().to_owned();
        *per_worker.entry(pid).or_default() += 1;
    }
    assert_eq!(per_worker.len(), 3, "each worker did some: {per_worker:?}");
}

#[test]
fn overlapping_runs_started_together_materialize_each_partition_once() {
    let runtime = runtime();
    let project = Project::flights();
    // The two selections share flights_daily (90 partitions) and what
    // reads it along the way.
    let logs = tempfile::tempdir().unwrap();
    let (first_log, second_log) = (logs.path().join("first.log"), logs.path().join("second.log"));
    let mut first = project.spawn_logged(&["materialize", "+flights_weather_daily"], Some(&first_log));
    let mut second = project.spawn_logged(&["materialize", "+delays_by_carrier"], Some(&second_log));
    let log = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default();
    assert!(first.wait().unwrap().success(), "{}", log(&first_log));
    assert!(second.wait().unwrap().success(), "{}", log(&second_log));
    let store = store(&project, &runtime);
    let runs = runtime.block_on(store.runs(&RunFilter::default(), 10)).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r.status == RunStatus::Success), "{runs:?}");
    let counts = materializations(&store, &runtime, &example_assets(&project));
    assert!(counts.values().all(|&n| n == 1), "an asset partition materialized twice: {counts:?}");
    assert_eq!(counts.keys().filter(|k| k.starts_with("flights_daily[")).count(), 90);
    // What one run planned and the other made fresh first was skipped,
    // saying why; nothing failed.
    for run in &runs {
        assert_eq!(run.failed_steps, 0);
        assert_eq!(run.materialized_steps + run.skipped_steps, run.planned_steps, "{run:?}");
        for step in runtime.block_on(store.run_steps(run.id)).unwrap() {
            if step.status == StepStatus::Skipped {
                assert!(
                    matches!(
                        step.skip_reason,
                        Some(
                            cairn_store::SkipReason::MaterializedByOtherRun { .. }
                                | cairn_store::SkipReason::AlreadyFresh
                        )
                    ),
                    "{step:?}"
                );
            }
        }
    }
}

/// A project of two slow command assets (each stages a partial output,
/// then sleeps).
fn two_slow_steps() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let step = |key: &str| {
        format!(
            "  - key: {key}\n    command: [python3, -c, \"import os, time; open(os.environ['CAIRN_OUTPUT'], 'w').write('partial'); time.sleep(60)\"]\n    output_format: file\n    output_extension: txt\n"
        )
    };
    std::fs::write(dir.path().join("cairn.yaml"), format!("name: slow\nassets:\n{}{}", step("one"), step("two")))
        .unwrap();
    Project { dir, database_url: None }
}

#[test]
fn a_run_canceled_from_another_process_stops_its_steps_and_keeps_earlier_data() {
    let project = two_slow_steps();
    let mut child = project.spawn(&["materialize", "-j", "2"]);
    // Both steps are running: each has staged its file.
    wait_until("both steps to stage a file", Duration::from_secs(30), || {
        staged(&project.path(".cairn/data")).len() == 2
    });
    let started = Instant::now();
    let out = project.expect(&["run", "cancel", "r-1"], 0);
    assert!(out.contains("r-1 CANCELED"), "{out}");
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(15), "the run did not stop promptly");
    assert_eq!(status.code(), Some(1), "a canceled run is not a success");
    assert_eq!(staged(&project.path(".cairn/data")), Vec::<PathBuf>::new(), "staged data is discarded");
    let show = project.json(&["run", "show", "r-1", "--json"]);
    assert_eq!(show["run"]["status"], "CANCELED");
    let statuses: Vec<&str> = show["steps"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["CANCELED", "CANCELED"]);
    // Canceling again is a clear answer that changes nothing.
    let again = project.expect(&["run", "cancel", "r-1"], 0);
    assert!(again.contains("had already finished: CANCELED"), "{again}");
}

#[test]
fn the_first_materialize_after_a_kill_mid_step_warns_about_the_unfinished_run() {
    let runtime = runtime();
    let project = slow_writer(3);
    let mut child = project.spawn(&["materialize"]);
    wait_until("the store to exist", Duration::from_secs(30), || project.path(".cairn/cairn.db").exists());
    let store = store(&project, &runtime);
    wait_until("the step to start", Duration::from_secs(30), || {
        !runtime.block_on(store.running_steps(None)).unwrap().is_empty()
    });
    child.kill().unwrap(); // SIGKILL mid-step: its step stays RUNNING in the store
    child.wait().unwrap();
    let said = project.stderr(&["materialize"], 0);
    assert!(
        said.contains("warning: run r-1 is unfinished and nothing executes it: `cairn run resume r-1` finishes it"),
        "{said}"
    );
    assert_eq!(runtime.block_on(store.run(RunId(2))).unwrap().unwrap().status, RunStatus::Success);
}

#[test]
fn a_queued_run_waits_for_a_worker_and_can_be_resumed_here() {
    let project = trivial_project(5);
    assert_eq!(project.expect(&["materialize", "--queue"], 0).trim(), "r-1");
    let runs = project.json(&["runs", "--json"]);
    assert_eq!(runs[0]["status"], "QUEUED");
    let listed = project.expect(&["runs", "--status", "queued"], 0);
    assert!(listed.contains("r-1  QUEUED"), "{listed}");
    let out = project.expect(&["run", "resume", "r-1"], 0);
    assert!(out.contains("5 materialized, 0 failed"), "{out}");
    let refused = project.stderr(&["run", "resume", "r-1"], 1);
    assert!(refused.contains("run r-1 has finished (SUCCESS); nothing to resume"), "{refused}");
    let unknown = project.stderr(&["run", "show", "r-9"], 1);
    assert!(unknown.contains("no run r-9"), "{unknown}");
    let bad = project.stderr(&["run", "show", "nine"], 1);
    assert!(bad.contains("`nine` is not an id (like `r-12`"), "{bad}");
}

#[test]
fn a_failing_partition_skips_only_what_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        "name: failing\nassets:\n  - key: d\n    partitions: { daily: { start: 2013-01-01, end: 2013-01-04 } }\n    sql: SELECT 1 AS x WHERE $partition_key <> '2013-01-02'\n    checks:\n      - row_count: { min: 1 }\n  - key: e\n    partitions: { daily: { start: 2013-01-01, end: 2013-01-04 } }\n    sql: SELECT x FROM d\n  - key: total\n    sql: SELECT count(*) AS n FROM d\n",
    )
    .unwrap();
    let project = Project { dir, database_url: None };
    let out = project.expect(&["materialize"], 1);
    assert!(out.contains("d[2013-01-02]: asset `d`: check failed, nothing published"), "never had data: {out}");
    let show = project.json(&["run", "show", "r-1", "--json"]);
    let by_target: BTreeMap<String, (String, Value)> = show["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let target = match s["partition"].as_str() {
                Some(p) => format!("{}[{p}]", s["asset"].as_str().unwrap()),
                None => s["asset"].as_str().unwrap().to_owned(),
            };
            (target, (s["status"].as_str().unwrap().to_owned(), s["skip_reason"].clone()))
        })
        .collect();
    assert_eq!(by_target["d[2013-01-02]"].0, "FAILED");
    assert_eq!(by_target["e[2013-01-02]"].0, "SKIPPED");
    assert_eq!(by_target["e[2013-01-02]"].1["kind"], "upstream_failed");
    assert_eq!(by_target["total"].0, "SKIPPED");
    for materialized in ["d[2013-01-01]", "d[2013-01-03]", "e[2013-01-01]", "e[2013-01-03]"] {
        assert_eq!(by_target[materialized].0, "MATERIALIZED", "{materialized}");
    }
}

#[test]
fn a_release_0_1_database_opens_with_its_history() {
    // Written by the Cairn 0.1 binary on the example: r-1 succeeded, r-2
    // failed a check, r-3 succeeded, r-4 was killed with SIGKILL.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flights-v0.1");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/flights/data"), &dir.path().join("data"));
    copy_dir(&fixture.join(".cairn"), &dir.path().join(".cairn"));
    let project = Project { dir, database_url: None };

    let runs = project.json(&["runs", "--json"]);
    let statuses: Vec<(&str, &str)> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].as_str().unwrap(), r["origin"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("FAILURE", "cli"), ("SUCCESS", "cli"), ("FAILURE", "cli"), ("SUCCESS", "cli")]);
    let killed = project.expect(&["logs", "r-4"], 0);
    assert!(killed.contains("recorded by Cairn 0.1"), "{killed}");
    assert!(killed.contains("flights_daily[2013-02-01] materialized"), "its events are kept: {killed}");
    let failed = project.expect(&["logs", "r-2"], 0);
    assert!(failed.contains("check failed"), "{failed}");

    // The three days whose files are here are fresh; the others' files are
    // gone, so once `--verify` looked they count as missing.
    let status = project.json(&["status", "--verify", "--json", "flights_daily"]);
    assert_eq!(status[0]["partitions"]["fresh"], 3);
    let plan = project.json(&["plan", "--json", "flights_daily", "--from", "2013-01-01", "--to", "2013-01-05"]);
    let planned: Vec<&str> = plan.as_array().unwrap().iter().map(|s| s["partition"].as_str().unwrap()).collect();
    assert_eq!(planned, ["2013-01-04", "2013-01-05"], "what 0.1 materialized is kept");
    let out = project.expect(&["materialize", "flights_daily", "--from", "2013-01-01", "--to", "2013-01-05"], 0);
    assert!(out.contains("run r-5 finished"), "new runs continue the ids: {out}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let project = trivial_project(50);
    project.expect(&["materialize"], 0);
    let bin = env!("CARGO_BIN_EXE_cairn");
    let root = project.dir.path().display().to_string();
    for command in ["plan --json", "logs", "status --json", "runs --json", "schema"] {
        let script = format!("set -o pipefail; '{bin}' --project '{root}' {command} | head -c 10 > /dev/null");
        let output = Command::new("bash").args(["-c", &script]).env_remove("CAIRN_DATABASE_URL").output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        assert!(output.status.success(), "{command}: {:?} {stderr}", output.status);
    }
}

#[test]
fn a_timeout_kills_the_command_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        "name: forks\nassets:\n  - key: forks\n    command: [sh, -c, \"sleep 613 & sleep 613\"]\n    output_format: file\n    timeout_secs: 2\n",
    )
    .unwrap();
    let project = Project { dir, database_url: None };
    let started = Instant::now();
    let out = project.expect(&["materialize"], 1);
    assert!(started.elapsed() < Duration::from_secs(20), "the timeout was not enforced");
    assert!(out.contains("timed out after 2 s and was killed"), "{out}");
    // The process group was sent SIGKILL: its processes are gone as soon
    // as the kernel has reaped them.
    let left = || Command::new("pgrep").args(["-f", "sleep 613"]).output().unwrap().stdout;
    let waited = Instant::now();
    while !left().is_empty() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(left().is_empty(), "children outlived the timeout: {}", String::from_utf8_lossy(&left()));
}

#[test]
fn first_materializations_at_once_on_a_new_project_both_work() {
    let project = trivial_project(20);
    let mut children: Vec<Child> = (0..2).map(|_| project.spawn(&["materialize"])).collect();
    for child in &mut children {
        assert!(child.wait().unwrap().success(), "a concurrent first run failed");
    }
    assert!(project.states().values().all(|s| s == "fresh"));
}

#[test]
fn a_killed_run_whose_data_folder_was_deleted_still_ends() {
    let runtime = runtime();
    let project = Project::flights();
    let mut child = project.spawn(&["materialize", "-j", "2"]);
    wait_until("some data", Duration::from_secs(60), || project.path(".cairn/data/flights_daily").exists());
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(project.path(".cairn/data")).unwrap();
    // Resuming ends the run (the steps whose upstream data vanished fail
    // and say why); it never stays running.
    let output = project.cairn(&["run", "resume", "r-1"]);
    let store = store(&project, &runtime);
    let run = runtime.block_on(store.run(RunId(1))).unwrap().unwrap();
    assert!(run.status.is_finished(), "{:?}: {}", run.status, String::from_utf8_lossy(&output.stdout));
    // And the next materialize, looking for every data file first, brings
    // everything back.
    let out = project.expect(&["materialize", "--verify"], 0);
    assert!(out.contains("0 failed"), "{out}");
    assert!(project.states().values().all(|s| s == "fresh"));
}

#[test]
fn a_step_that_finds_its_upstream_file_gone_fails_clearly_and_the_upstream_is_planned_again() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        "name: lost\nassets:\n  - key: up\n    sql: SELECT 1 AS x\n  - key: down\n    sql: SELECT x FROM up\n",
    )
    .unwrap();
    let project = Project { dir, database_url: None };
    project.expect(&["materialize"], 0);
    let up = project.file("up");
    std::fs::remove_file(&up).unwrap();
    // `down` changes, so it alone is planned; its step reads `up`'s file.
    project.edit("cairn.yaml", "SELECT x FROM up", "SELECT x + 1 AS x FROM up");
    let output = project.cairn(&["materialize"]);
    assert_eq!(output.status.code(), Some(1));
    let out = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(out.contains(&format!("its data file `{}` is gone", up.display())), "{out}");
    assert!(out.contains("it now counts as missing"), "{out}");
    assert!(out.contains("cairn materialize up"), "{out}");
    // From then on `up` is missing for every reader, with no `--verify`.
    assert_eq!(project.states()["up"], "missing");
    let plan = project.json(&["plan", "--json"]);
    let planned: Vec<&str> = plan.as_array().unwrap().iter().map(|s| s["asset"].as_str().unwrap()).collect();
    assert_eq!(planned, ["up", "down"]);
    project.expect(&["materialize"], 0);
    assert!(project.states().values().all(|s| s == "fresh"), "{:?}", project.states());
    assert!(project.file("up").is_file());
}
