//! The server's incremental summary (`Instance::summarize_index_changes`,
//! given the assets an index advance changed) always equals the summary of
//! the whole project (`Instance::summarize_index`): after every step of
//! random sequences of materializations (with current or outdated inputs,
//! and changed code versions), failures, checks, wipes and steps left running, on
//! a real SQLite store through the store's API, as executors record them.

use cairn_core::partitions::PartitionKey;
use cairn_core::state::{AssetPartition, InputVersion};
use cairn_core::{AssetKey, CodeVersion, DataVersion};
use cairn_engine::{Instance, StateChanges};
use cairn_store::testing::one_step_run;
use cairn_store::{
    CheckSeverity, ClaimRequest, ClaimedStep, LostData, NewCheckResult, NewMaterialization, StepOutcome,
};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// `a` → `b` → `c` (daily), `a` → `u` (unpartitioned, reads all of `a`),
/// `x` (daily, alone, with a check).
const PROJECT: &str = "name: changes\nassets:\n  \
    - key: a\n    sql: SELECT 1 AS x\n    partitions:\n      daily: { start: 2021-01-01, end: 2021-01-05 }\n  \
    - key: b\n    sql: SELECT x FROM a\n    partitions:\n      daily: { start: 2021-01-01, end: 2021-01-05 }\n  \
    - key: c\n    sql: SELECT x FROM b\n    partitions:\n      daily: { start: 2021-01-01, end: 2021-01-05 }\n  \
    - key: u\n    sql: SELECT count(*) AS n FROM a\n  \
    - key: x\n    sql: SELECT 1 AS y\n    partitions:\n      daily: { start: 2021-01-01, end: 2021-01-05 }\n    \
      checks:\n      - name: positive\n        sql: SELECT * FROM x WHERE y < 0\n";

const ASSETS: [&str; 5] = ["a", "b", "c", "u", "x"];

#[derive(Debug, Clone)]
enum Op {
    /// Materializes asset (index) × day (0..4), reading its upstream's
    /// current data (`true`) or an outdated version, with the current code
    /// version or an old one, the check passing or not.
    Materialize { asset: usize, day: u8, current_inputs: bool, current_code: bool, check_passes: bool },
    /// A step of asset × day that fails.
    Fail { asset: usize, day: u8 },
    /// A step of asset × day claimed and left running.
    Start { asset: usize, day: u8 },
    /// Ends the running step at this index (modulo) as materialized.
    EndHeld(usize),
    /// Wipes the current materialization of asset × day (its data file
    /// found gone), the asset's latest one included.
    Wipe { asset: usize, day: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..ASSETS.len(), 0u8..4, any::<bool>(), prop::bool::weighted(0.8), prop::bool::weighted(0.7)).prop_map(
            |(asset, day, current_inputs, current_code, check_passes)| Op::Materialize {
                asset,
                day,
                current_inputs,
                current_code,
                check_passes
            }
        ),
        1 => (0..ASSETS.len(), 0u8..4).prop_map(|(asset, day)| Op::Fail { asset, day }),
        1 => (0..ASSETS.len(), 0u8..4).prop_map(|(asset, day)| Op::Start { asset, day }),
        1 => (0usize..4).prop_map(Op::EndHeld),
        1 => (0..ASSETS.len(), 0u8..4).prop_map(|(asset, day)| Op::Wipe { asset, day }),
    ]
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 2, 1, 0, 0, 0).unwrap()
}

fn target(instance: &Instance, asset: usize, day: u8) -> AssetPartition {
    let key = AssetKey::new(ASSETS[asset]).unwrap();
    let partitioned = instance.project().asset(&key).unwrap().spec.partitions.is_some();
    let partition = partitioned.then(|| PartitionKey::new(&format!("2021-01-0{}", day + 1)).unwrap());
    AssetPartition::new(key, partition)
}

/// A run of one step of `target`, claimed.
async fn claim(instance: &Instance, target: &AssetPartition) -> Option<ClaimedStep> {
    let store = instance.store();
    let run = store.create_run(&one_step_run("changes", target.clone(), now())).await.unwrap();
    let request = ClaimRequest {
        owner: "tester",
        project: "changes",
        run: Some(run),
        limit: 1,
        lease: std::time::Duration::from_secs(3_600),
        now: now(),
    };
    // Not claimable while another step of the same asset partition runs.
    store.claim_steps(&request).await.unwrap().into_iter().next()
}

/// Materializes `claimed` with inputs from `index`'s current state.
async fn materialize(
    instance: &Instance,
    index: &cairn_store::StateIndex,
    claimed: &ClaimedStep,
    (current_inputs, current_code, check_passes): (bool, bool, bool),
    n: usize,
) {
    let target = &claimed.step.target;
    let spec = &instance.project().asset(&target.asset).unwrap().spec;
    let mut inputs = Vec::new();
    for dep in &spec.deps {
        let upstream_partitions: Vec<Option<PartitionKey>> = match (&target.partition, dep.key.as_str()) {
            // `u` reads every partition of `a`.
            (None, _) => (1..=4).map(|d| Some(PartitionKey::new(&format!("2021-01-0{d}")).unwrap())).collect(),
            (Some(partition), _) => vec![Some(partition.clone())],
        };
        for partition in upstream_partitions {
            let current = index.state().current_data_version(&dep.key, partition.as_ref()).cloned();
            let data_version = match (current, current_inputs) {
                (Some(version), true) => version,
                _ => DataVersion::from_stored("outdated"),
            };
            inputs.push(InputVersion { asset: dep.key.clone(), partition, data_version });
        }
    }
    let materialization = NewMaterialization {
        asset: target.asset.clone(),
        partition: target.partition.clone(),
        code_version: if current_code { spec.code_version.clone() } else { CodeVersion::from_stored("old") },
        data_version: DataVersion::from_stored(&format!("v{n}")),
        inputs,
        rows: Some(1),
        bytes: 1,
        duration_ms: 1,
        path: format!("synthetic/{n}.parquet"),
        materialized_at: now() + chrono::Duration::seconds(n as i64),
    };
    let checks = if target.asset.as_str() == "x" {
        vec![NewCheckResult {
            check_name: "positive".into(),
            severity: CheckSeverity::Error,
            passed: check_passes,
            violations: i64::from(!check_passes),
            sample: serde_json::json!([]),
            error: None,
            evaluated_at: now(),
        }]
    } else {
        Vec::new()
    };
    let outcome = StepOutcome::Materialized { materialization, checks, data_changed: true };
    instance.store().finish_step(&claimed.lease, target, &outcome, &[], now()).await.unwrap();
}

async fn check_sequence(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cairn.yaml"), PROJECT).unwrap();
    let instance = Instance::open(dir.path(), None).await.unwrap();
    let store = instance.store();
    let mut index = store.load_index().await.unwrap();
    let mut summary = instance.summarize_index(&index, &[], now()).unwrap();
    let mut held: Vec<ClaimedStep> = Vec::new();
    for (n, op) in ops.into_iter().enumerate() {
        match op {
            Op::Materialize { asset, day, current_inputs, current_code, check_passes } => {
                if let Some(claimed) = claim(&instance, &target(&instance, asset, day)).await {
                    materialize(&instance, &index, &claimed, (current_inputs, current_code, check_passes), n).await;
                }
            }
            Op::Fail { asset, day } => {
                if let Some(claimed) = claim(&instance, &target(&instance, asset, day)).await {
                    let outcome = StepOutcome::Failed { error: "boom".into(), checks: Vec::new() };
                    store.finish_step(&claimed.lease, &claimed.step.target, &outcome, &[], now()).await.unwrap();
                }
            }
            Op::Start { asset, day } => {
                if let Some(claimed) = claim(&instance, &target(&instance, asset, day)).await {
                    held.push(claimed);
                }
            }
            Op::EndHeld(i) => {
                if !held.is_empty() {
                    let claimed = held.remove(i % held.len());
                    materialize(&instance, &index, &claimed, (true, true, true), n).await;
                }
            }
            Op::Wipe { asset, day } => {
                let target = target(&instance, asset, day);
                let current = index.state().materialization(&target.asset, target.partition.as_ref()).cloned();
                if let Some(record) = current {
                    let lost = LostData { target, materialization_id: record.id, path: record.path };
                    store.wipe_lost_data(&[lost], now()).await.unwrap();
                }
            }
        }
        let changes = store.advance_index(&mut index).await.unwrap();
        prop_assert!(!changes.reloaded);
        let incremental =
            instance.summarize_index_changes(&summary, &index, &StateChanges::from(&changes), &[], now()).unwrap();
        let whole = instance.summarize_index(&index, &[], now()).unwrap();
        for key in ASSETS {
            let key = AssetKey::new(key).unwrap();
            prop_assert_eq!(&incremental.assets[&key], &whole.assets[&key], "asset {} after op {}", key, n);
        }
        prop_assert_eq!(incremental.seq, whole.seq);
        summary = incremental;
    }
    Ok(())
}

#[test]
fn the_incremental_summary_equals_the_whole_one_after_every_operation() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut runner = TestRunner::new(Config { cases: 24, ..Config::default() });
    runner.run(&proptest::collection::vec(op(), 1..24), |ops| runtime.block_on(check_sequence(ops))).unwrap();
}
