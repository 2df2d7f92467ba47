//! Orchestration benchmarks (run with `cargo bench -p cairn-engine --bench orchestration`).
//!
//! Generates synthetic projects (a layered DAG where every asset reads two
//! assets of the layer above; a share of the assets daily-partitioned over
//! one year) and prints the median, min and max of:
//!
//! 1. loading + validating the YAML definitions (`Project::load`);
//! 2. planning from an empty state;
//! 3. planning after one root source changed (every asset partition
//!    materialized before);
//!
//! for 10,000 assets (10% partitioned) and for 1,000 assets × 365 daily
//! partitions; then the deep validation of `cairn validate` (load, observe
//! the sources, plan every query with DataFusion) of 10,000 SQL assets;
//! then the orchestration overhead of one materialization (a
//! one-row SQL asset): step wall time minus DataFusion's own query time,
//! with a real SQLite store and real Parquet output. Finally the process's
//! peak resident memory. Targets (2-core machine): 10,000 assets load +
//! plan < 1 s; 1,000 × 365 planned < 0.5 s; `cairn validate` of 10,000
//! SQL assets < 1 s; peak memory < 500 MB; overhead < 2 ms per
//! materialization.
//!
//! `CAIRN_BENCH_QUICK=1` runs fewer iterations (for a smoke test). A
//! word after the flags runs only the scenarios whose title contains it:
//! `cargo bench -p cairn-engine --bench orchestration -- validate`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use cairn_assets::Project;
use cairn_assets::observe::observe_sources;
use cairn_assets::validate::check_queries;
use cairn_core::planner::{PartitionFilter, Plan, PlanRequest, plan};
use cairn_core::staleness::Staleness;
use cairn_core::state::{InputVersion, MaterializationRecord, ObservationRecord, StoredState};
use cairn_core::{AssetKey, DataVersion};
use cairn_engine::{CancellationToken, ExecutorOptions, Instance, Launch};
use cairn_store::{RunOrigin, StepStatus};
use chrono::{DateTime, TimeZone, Utc};

fn main() {
    let quick = std::env::var_os("CAIRN_BENCH_QUICK").is_some();
    let iterations = if quick { 3 } else { 11 };
    // `cargo bench` passes `--bench`; the first other argument filters.
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-')).unwrap_or_default();
    println!("cairn orchestration benchmarks ({iterations} iterations each; median [min .. max])\n");

    let wide = Synthetic { assets: 10_000, partitioned_share: 0.1, sources: 20 };
    let deep = Synthetic { assets: 1_000, partitioned_share: 1.0, sources: 10 };
    let sql = Synthetic { assets: 10_020, partitioned_share: 0.0, sources: 20 };
    let scenarios: [(&str, &Scenario); 4] = [
        ("10,000 assets, 10% daily-partitioned", &|title| bench_project(title, &wide, iterations)),
        ("1,000 assets x 365 daily partitions", &|title| bench_project(title, &deep, iterations)),
        ("cairn validate of 10,000 SQL assets (load, observe sources, plan every query)", &|title| {
            bench_validate(title, &sql, iterations)
        }),
        ("orchestration overhead per materialization", &|title| bench_overhead(title, if quick { 20 } else { 200 })),
    ];
    for (title, run) in scenarios {
        if title.contains(&filter) {
            run(title);
        }
    }

    println!("\npeak resident memory of this process over all the scenarios above: {:.0} MB", peak_memory_mb());
}

/// Runs one benchmark scenario, given its title.
type Scenario<'a> = dyn Fn(&str) + 'a;

/// A layered DAG: `sources` source assets, then layers of 100 assets, each
/// reading two assets of the previous layer.
struct Synthetic {
    assets: usize,
    partitioned_share: f64,
    sources: usize,
}

impl Synthetic {
    fn name(&self, index: usize) -> String {
        if index < self.sources { format!("raw/s{index}") } else { format!("a{index}") }
    }

    fn partitioned(&self, index: usize) -> bool {
        index >= self.sources && ((index * 7919) % 1000) as f64 / 1000.0 < self.partitioned_share
    }

    fn upstreams(&self, index: usize) -> [usize; 2] {
        const LAYER: usize = 100;
        let previous_start =
            if index < self.sources + LAYER { 0 } else { index - LAYER - (index - self.sources) % LAYER };
        let previous_len = if previous_start == 0 { self.sources } else { LAYER };
        let a = previous_start + (index * 31) % previous_len;
        let b = previous_start + (index * 17 + 1) % previous_len;
        if a == b { [a, previous_start + (a - previous_start + 1) % previous_len] } else { [a, b] }
    }

    /// Writes the project: `cairn.yaml` and one YAML file per 500 assets.
    fn write(&self, dir: &Path) {
        std::fs::write(dir.join("cairn.yaml"), "name: synthetic\n").unwrap();
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let mut file = String::from("assets:\n");
        let mut file_index = 0;
        for index in 0..self.assets {
            if index < self.sources {
                let path = format!("data/s{index}.csv");
                std::fs::write(dir.join(&path), "k,x\n1,1\n").unwrap();
                writeln!(file, "  - key: {}\n    source: {{ path: {path} }}", self.name(index)).unwrap();
            } else {
                let [a, b] = self.upstreams(index);
                let (ta, tb) = (self.name(a).replace('/', "."), self.name(b).replace('/', "."));
                writeln!(file, "  - key: {}", self.name(index)).unwrap();
                if self.partitioned(index) {
                    file.push_str("    partitions: { daily: { start: 2013-01-01, end: 2014-01-01 } }\n");
                }
                writeln!(file, "    sql: SELECT l.k, l.x + r.x AS x FROM {ta} l JOIN {tb} r ON l.k = r.k").unwrap();
                file.push_str("    checks:\n      - not_null: [k]\n");
            }
            if (index + 1) % 500 == 0 || index + 1 == self.assets {
                std::fs::write(dir.join(format!("assets/part{file_index:03}.yaml")), &file).unwrap();
                file = String::from("assets:\n");
                file_index += 1;
            }
        }
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn version_of(text: &str) -> DataVersion {
    DataVersion::from_hash(&blake3::hash(text.as_bytes()))
}

/// Every source observed with version `v0`.
fn observed(project: &Project) -> StoredState {
    let mut state = StoredState::new();
    for spec in project.specs().iter().filter(|s| !s.is_materializable()) {
        state.insert_observation(
            spec.key.clone(),
            ObservationRecord { data_version: version_of("v0"), observed_at: now() },
        );
    }
    state
}

/// Every asset partition materialized, with inputs recording the current
/// upstream versions: an up-to-date project.
fn materialized(project: &Project) -> StoredState {
    let mut state = observed(project);
    let empty = StoredState::new();
    let staleness = Staleness::new(project.specs(), &empty, now()).unwrap();
    for (position, spec) in project.specs().iter().enumerate() {
        if !spec.is_materializable() {
            continue;
        }
        for partition in staleness.partitions_of(position) {
            let mut inputs = Vec::new();
            staleness.for_each_upstream(position, partition.as_ref(), |dep, upstream| {
                let data_version = state.current_data_version(&dep.key, upstream).cloned().expect("topological order");
                inputs.push(InputVersion { asset: dep.key.clone(), partition: upstream.cloned(), data_version });
            });
            let data_version = version_of(&format!("{}{partition:?}", spec.key));
            let record = MaterializationRecord {
                id: 0,
                run_id: 0,
                code_version: spec.code_version.clone(),
                data_version,
                inputs,
                materialized_at: now(),
                path: String::new(),
            };
            state.insert_materialization(spec.key.clone(), partition, record);
        }
    }
    state
}

fn everything(project: &Project) -> PlanRequest {
    PlanRequest {
        selection: project.graph.keys().cloned().collect::<BTreeSet<AssetKey>>(),
        partitions: PartitionFilter::All,
        now: now(),
        mode: Default::default(),
    }
}

fn bench_project(title: &str, shape: &Synthetic, iterations: usize) {
    println!("== {title}");
    reset_peak_memory();
    let dir = tempfile::tempdir().unwrap();
    shape.write(dir.path());
    let (load, project) = measure(iterations, || Project::load(dir.path()).expect("synthetic project is valid"));
    let partitions: usize = {
        let nothing = StoredState::new();
        let staleness = Staleness::new(project.specs(), &nothing, now()).unwrap();
        (0..project.specs().len())
            .filter(|&p| project.specs()[p].is_materializable())
            .map(|p| staleness.partitions_of(p).len())
            .sum()
    };
    println!("  {} assets, {partitions} asset partitions to materialize", project.specs().len());
    report_times("load + validate definitions", &load);

    let empty = observed(&project);
    let request = everything(&project);
    let (from_empty, first): (Vec<Duration>, Plan) =
        measure(iterations, || plan(project.specs(), &empty, &request).unwrap());
    assert_eq!(first.steps.len(), partitions);
    report_times(&format!("plan from empty state ({} steps)", first.steps.len()), &from_empty);
    let total: Vec<Duration> = load.iter().zip(&from_empty).map(|(a, b)| *a + *b).collect();
    report_times("load + validate + plan from empty", &total);
    drop(first);

    let mut state = materialized(&project);
    assert!(plan(project.specs(), &state, &request).unwrap().is_up_to_date());
    state.insert_observation(
        AssetKey::new("raw/s0").unwrap(),
        ObservationRecord { data_version: version_of("v1"), observed_at: now() },
    );
    let (after_change, replanned) = measure(iterations, || plan(project.specs(), &state, &request).unwrap());
    report_times(&format!("plan after one root changed ({} steps)", replanned.steps.len()), &after_change);
    println!("  peak resident memory during this scenario: {:.0} MB\n", peak_memory_mb());
}

/// What `cairn validate` does: load the project, observe the sources, and
/// plan every query and check with DataFusion.
fn bench_validate(title: &str, shape: &Synthetic, iterations: usize) {
    println!("== {title}");
    reset_peak_memory();
    let dir = tempfile::tempdir().unwrap();
    shape.write(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (mut loads, mut plans) = (Vec::new(), Vec::new());
    let (times, problems) = measure(iterations, || {
        runtime.block_on(async {
            let started = Instant::now();
            let project = Project::load(dir.path()).expect("synthetic project is valid");
            let observations = observe_sources(&project).await;
            let loaded = Instant::now();
            let problems = check_queries(&project, &observations).await;
            loads.push(loaded - started);
            plans.push(loaded.elapsed());
            problems
        })
    });
    assert!(!problems.has_errors(), "the synthetic queries plan:\n{problems}");
    report_times("load + observe + plan every query", &times);
    report_times("  of which load + observe sources", &loads);
    report_times("  of which plan every query (check_queries)", &plans);
    println!("  peak resident memory during this scenario: {:.0} MB\n", peak_memory_mb());
}

fn bench_overhead(title: &str, assets: usize) {
    reset_peak_memory();
    println!("== {title} ({assets} one-row SQL assets, SQLite store, Parquet output)");
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = String::from("name: overhead\nassets:\n");
    for index in 0..assets {
        writeln!(yaml, "  - key: t{index}\n    sql: SELECT {index} AS x").unwrap();
    }
    std::fs::write(dir.path().join("cairn.yaml"), yaml).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (report, elapsed) = runtime.block_on(async {
        let instance = Instance::open(dir.path(), None).await.unwrap();
        let snapshot = instance.snapshot().await.unwrap();
        let selection: BTreeSet<AssetKey> = instance.project().graph.keys().cloned().collect();
        let planned = instance.plan(&snapshot, selection.clone(), PartitionFilter::All, Default::default()).unwrap();
        let launch = Launch {
            origin: RunOrigin::Cli,
            tags: Default::default(),
            selection_text: String::new(),
            partition_text: None,
            selection,
            partitions: PartitionFilter::All,
            only_stale: true,
        };
        let started = Instant::now();
        let run = instance.launch(&snapshot, &planned, &launch).await.unwrap();
        let executor = instance.executor(ExecutorOptions { run: Some(run), concurrency: 1 });
        let report = executor.run(CancellationToken::new()).await.unwrap();
        (report, started.elapsed())
    });
    let mut totals = Vec::new();
    let mut queries = Vec::new();
    let mut overheads = Vec::new();
    for step in &report.steps {
        assert_eq!(step.recorded, Some(StepStatus::Materialized), "{} did not materialize", step.target);
        totals.push(step.duration);
        queries.push(step.query_time);
        overheads.push(step.duration.saturating_sub(step.query_time));
    }
    report_times("step wall time", &totals);
    report_times("DataFusion query time (plan + execute)", &queries);
    report_times("overhead = wall - query", &overheads);
    println!(
        "  whole run: {:.1} ms per materialization ({} in {:.2} s, concurrency 1)",
        elapsed.as_secs_f64() * 1000.0 / assets as f64,
        assets,
        elapsed.as_secs_f64()
    );
}

fn measure<T>(iterations: usize, mut run: impl FnMut() -> T) -> (Vec<Duration>, T) {
    let mut times = Vec::with_capacity(iterations);
    let mut last = None;
    for _ in 0..iterations {
        // Free the previous result first, so two never coexist.
        drop(last.take());
        let started = Instant::now();
        let value = std::hint::black_box(run());
        times.push(started.elapsed());
        last = Some(value);
    }
    (times, last.expect("at least one iteration"))
}

fn report_times(label: &str, times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {label:<48} median {:>9.2} ms  [{:.2} .. {:.2}]",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1])
    );
}

/// Resets the kernel's peak-RSS counter (VmHWM) so each scenario reports
/// its own peak (Linux: writing 5 to /proc/self/clear_refs).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set size (VmHWM) in MB, from /proc/self/status.
fn peak_memory_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
