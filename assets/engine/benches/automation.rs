//! Declarative automation at scale (`cargo bench -p cairn-engine --bench
//! automation`): one `Instance::automation_tick` (store reads, the pure
//! evaluation, the run requested, the tick recorded) over a project of
//! 10,001 assets, every one under `automation: { condition: eager }`:
//!
//! * 1,000 daily assets over 3 years (100 roots, 900 each reading one of
//!   them), their latest partition materialized;
//! * 8,000 unpartitioned assets in chains of 80 (100 roots);
//! * a CSV source read by 1,000 more unpartitioned assets.
//!
//! Everything is materialized through the store's API with the inputs it
//! read, so nothing is stale. Measured, with the automation issue's
//! targets (release build, medians):
//! 1. a tick with nothing to do: < 100 ms (after a first tick that stores
//!    every asset's first evaluation, shown apart);
//! 2. the source's file changed: the tick that requests its 1,000
//!    downstream assets, up to the run stored with its 1,000 steps: < 1 s.
//!
//! The summary the server keeps (computed from the asset-state index) is
//! made before each tick and not timed: the server has it already.
//! `CAIRN_BENCH_QUICK=1` builds a tenth of the project.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use cairn_assets::observe::observe_sources;
use cairn_core::partitions::PartitionKey;
use cairn_core::state::{AssetPartition, InputVersion};
use cairn_core::{AssetKey, DataVersion};
use cairn_engine::Instance;
use cairn_store::testing::cli_run;
use cairn_store::{ClaimRequest, NewMaterialization, NewObservation, NewStep, StepOutcome};
use chrono::Utc;

fn main() {
    let quick = std::env::var_os("CAIRN_BENCH_QUICK").is_some();
    let scale = if quick { 10 } else { 1 };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let assets = write_project(dir.path(), scale);
        let instance = Instance::open(dir.path(), None).await.unwrap();
        materialize_everything(&instance).await;
        println!(
            "project of {assets} assets under automation, state built in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let owner = "bench";
        let observations = observe_sources(instance.project()).await;
        let index = instance.store().load_index().await.unwrap();
        let summary = instance.summarize_index(&index, &observations, Utc::now()).unwrap();
        let started = Instant::now();
        let first = instance.automation_tick(&summary, &index, &observations, owner).await.unwrap();
        println!(
            "first tick (every evaluation stored): {:.0} ms, {} requested, {} evaluations stored",
            started.elapsed().as_secs_f64() * 1e3,
            first.requested(),
            first.stored
        );
        assert_eq!(
            first.requested(),
            0,
            "nothing should be stale: {:?}",
            first.evaluations.iter().find(|e| !e.requested.is_empty())
        );
        let mut times = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            let report = instance.automation_tick(&summary, &index, &observations, owner).await.unwrap();
            times.push(started.elapsed());
            assert_eq!(report.requested(), 0);
            assert_eq!(report.stored, 0, "an unchanged evaluation is not stored again");
        }
        report("tick with nothing to do", &mut times, 100.0);
        // Where a tick's time goes: the store's reads alone.
        let mut reads = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let cursors = instance.store().automation_cursors().await.unwrap();
            assert_eq!(cursors.len(), assets);
            reads.push(started.elapsed());
        }
        report("  of which reading the 10,000 stored cursors", &mut reads, f64::INFINITY);

        // The source changes: its 1,000 readers are requested, in one run.
        std::fs::write(dir.path().join("data/src.csv"), "id\n1\n2\n3\n").unwrap();
        let observations = observe_sources(instance.project()).await;
        let summary = instance.summarize_index(&index, &observations, Utc::now()).unwrap();
        let started = Instant::now();
        let report_fan_out = instance.automation_tick(&summary, &index, &observations, owner).await.unwrap();
        let mut fan_out = vec![started.elapsed()];
        let readers = 1_000 / scale;
        assert_eq!(report_fan_out.requested(), readers);
        let run = report_fan_out.run.expect("a run was requested");
        let stored = instance.store().run(run).await.unwrap().unwrap();
        assert_eq!(stored.planned_steps as usize, readers);
        report("tick requesting the source's 1,000 readers (run stored)", &mut fan_out, 1_000.0);
    });
}

fn report(what: &str, times: &mut [Duration], target_ms: f64) {
    times.sort();
    let median = times[times.len() / 2].as_secs_f64() * 1e3;
    let verdict = if median < target_ms { "ok" } else { "MISSED" };
    println!("{what}: median {median:.1} ms over {} (target < {target_ms} ms: {verdict})", times.len());
}

/// Writes the project; returns how many assets have automation.
fn write_project(dir: &Path, scale: usize) -> usize {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("data/src.csv"), "id\n1\n").unwrap();
    std::fs::write(dir.join("cairn.yaml"), "name: automation_bench\n").unwrap();
    let start = (Utc::now() - chrono::Duration::days(3 * 365)).format("%Y-%m-%d");
    let mut yaml = String::from("assets:\n  - key: src\n    source: { path: data/src.csv }\n");
    let eager = "    automation: { condition: eager }\n";
    let (daily, chained, readers) = (1_000 / scale, 8_000 / scale, 1_000 / scale);
    for i in 0..daily {
        writeln!(yaml, "  - key: d{i:04}\n    command: [\"true\"]\n    partitions: {{ daily: {{ start: {start} }} }}")
            .unwrap();
        if i >= 100 / scale {
            writeln!(yaml, "    deps: [d{:04}]", i - 100 / scale).unwrap();
        }
        yaml.push_str(eager);
    }
    for i in 0..chained {
        writeln!(yaml, "  - key: u{i:04}\n    command: [\"true\"]").unwrap();
        if i >= 100 / scale {
            writeln!(yaml, "    deps: [u{:04}]", i - 100 / scale).unwrap();
        }
        yaml.push_str(eager);
    }
    for i in 0..readers {
        writeln!(yaml, "  - key: f{i:04}\n    command: [\"true\"]\n    deps: [src]").unwrap();
        yaml.push_str(eager);
    }
    std::fs::write(dir.join("assets/all.yaml"), yaml).unwrap();
    daily + chained + readers
}

/// Records the source's observation and one materialization of every
/// asset (a daily asset: its latest partition), each with the data
/// versions of what it reads, through one run whose steps are claimed and
/// finished as an executor does.
async fn materialize_everything(instance: &Instance) {
    let store = instance.store();
    let now = Utc::now();
    let observations = observe_sources(instance.project()).await;
    let mut versions: std::collections::HashMap<AssetPartition, DataVersion> = std::collections::HashMap::new();
    for observation in &observations {
        let observed = observation.result.as_ref().unwrap();
        store
            .record_observation(&NewObservation {
                run_id: None,
                asset: observation.asset.clone(),
                data_version: observed.data_version.clone(),
                observed_at: now,
            })
            .await
            .unwrap();
        versions.insert(AssetPartition::new(observation.asset.clone(), None), observed.data_version.clone());
    }
    let mut targets = Vec::new();
    for spec in instance.project().specs() {
        if !spec.is_materializable() {
            continue;
        }
        let partition: Option<PartitionKey> = spec.partitions.as_ref().and_then(|d| d.keys(now).last().cloned());
        targets.push(AssetPartition::new(spec.key.clone(), partition));
    }
    let steps = targets
        .iter()
        .map(|target| NewStep {
            target: target.clone(),
            reasons: Vec::new(),
            conditional: false,
            waits_for: Vec::new(),
        })
        .collect();
    let run = store.create_run(&cli_run("automation_bench", steps, now)).await.unwrap();
    let claimed = store
        .claim_steps(&ClaimRequest {
            owner: "bench",
            project: "automation_bench",
            run: Some(run),
            limit: targets.len(),
            lease: Duration::from_secs(600),
            now,
        })
        .await
        .unwrap();
    let specs: std::collections::HashMap<&AssetKey, &cairn_core::AssetSpec> =
        instance.project().specs().iter().map(|s| (&s.key, s)).collect();
    // Claimed in step order, which is topological: upstream versions exist.
    for step in claimed {
        let target = step.step.target.clone();
        let spec = specs[&target.asset];
        let inputs = spec
            .deps
            .iter()
            .map(|dep| {
                let upstream = match &spec.partitions {
                    Some(_) if specs[&dep.key].partitions.is_some() => {
                        AssetPartition::new(dep.key.clone(), target.partition.clone())
                    }
                    _ => AssetPartition::new(dep.key.clone(), None),
                };
                InputVersion {
                    asset: upstream.asset.clone(),
                    partition: upstream.partition.clone(),
                    data_version: versions[&upstream].clone(),
                }
            })
            .collect();
        let data_version = DataVersion::from_stored(&format!("v-{target}"));
        versions.insert(target.clone(), data_version.clone());
        let materialization = NewMaterialization {
            asset: target.asset.clone(),
            partition: target.partition.clone(),
            code_version: spec.code_version.clone(),
            data_version,
            inputs,
            rows: Some(1),
            bytes: 1,
            duration_ms: 1,
            path: format!("synthetic/{}.bin", target.asset),
            materialized_at: now,
        };
        let outcome = StepOutcome::Materialized { materialization, checks: Vec::new(), data_changed: true };
        store.finish_step(&step.lease, &target, &outcome, &[], now).await.unwrap();
    }
}
