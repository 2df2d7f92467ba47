//! The current state the store keeps per asset partition
//! (`asset_partitions`, updated by the step-end transaction) always equals
//! what the whole history says: after every operation of random sequences
//! of runs, claims, step ends (materialized, failed, skipped, canceled) and
//! take-backs, `load_state`, `attempt_states` and `latest_check_results`
//! answer as the reference queries over all history do, and so does a
//! `StateIndex` loaded at the start and advanced from the event log after
//! each operation (and one loaded afresh). And migration 0005 builds it from the
//! history of a database an earlier release left. On SQLite and PostgreSQL.

mod common;

use std::collections::BTreeSet;

use cairn_store::{ClaimedStep, MetadataStore, StateIndex, StepOutcome};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sea_orm::{ConnectionTrait, DatabaseConnection};

on_both_backends!(
    current_state_equals_history_after_every_operation,
    migration_builds_current_state_from_history,
    the_whole_state_reads_every_field_as_stored
);

/// The asset partitions the sequences touch.
const TARGETS: [(&str, Option<&str>); 4] = [("a", None), ("d", Some("p1")), ("d", Some("p2")), ("d", Some("p3"))];

#[derive(Debug, Clone)]
enum Op {
    /// A run of these targets (indexes into [`TARGETS`]), one step each.
    Launch(BTreeSet<usize>),
    /// Claims up to this many steps.
    Claim(usize),
    /// Ends the held step at this index (modulo) with outcome 0..4:
    /// materialized, failed, skipped, canceled.
    End(usize, u8),
    /// Takes back the held step at this index (modulo): QUEUED again.
    Release(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        proptest::collection::btree_set(0..TARGETS.len(), 1..=TARGETS.len()).prop_map(Op::Launch),
        (1usize..4).prop_map(Op::Claim),
        (0usize..8, 0u8..4).prop_map(|(i, o)| Op::End(i, o)),
        (0usize..8).prop_map(Op::Release),
    ]
}

/// One asset partition's current state: (asset, partition, current
/// materialization id).
type Current = BTreeSet<(String, Option<String>, i64)>;
/// (failed, running) asset partitions.
type Attempts = (BTreeSet<(String, Option<String>)>, BTreeSet<(String, Option<String>)>);
/// The latest result of each check on each asset partition: (asset,
/// partition, check, run, passed, materialization).
type Checks = BTreeSet<(String, Option<String>, String, i64, bool, Option<i64>)>;

/// What the store's readers say.
async fn from_readers(store: &MetadataStore) -> (Current, Attempts, Checks) {
    let state = store.load_state().await.unwrap();
    let mut current = Current::new();
    for key in ["a", "d"] {
        for (partition, record) in state.materializations_of(&asset(key)) {
            current.insert((key.to_owned(), partition.map(|p| p.as_str().to_owned()), record.id));
        }
    }
    let (failed, running) = store.attempt_states().await.unwrap();
    let pairs = |list: Vec<cairn_core::state::AssetPartition>| {
        list.into_iter().map(|t| (t.asset.as_str().to_owned(), t.partition.map(|p| p.as_str().to_owned()))).collect()
    };
    let checks = store
        .latest_check_results()
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            let partition = c.partition.map(|p| p.as_str().to_owned());
            (c.asset.as_str().to_owned(), partition, c.check_name, c.run_id.0, c.passed, c.materialization_id)
        })
        .collect();
    (current, (pairs(failed), pairs(running)), checks)
}

/// What a [`StateIndex`] says.
fn from_index(index: &StateIndex) -> (Current, Attempts, Checks) {
    let mut current = Current::new();
    for key in ["a", "d"] {
        for (partition, record) in index.state().materializations_of(&asset(key)) {
            current.insert((key.to_owned(), partition.map(|p| p.as_str().to_owned()), record.id));
        }
    }
    let pairs = |set: &std::collections::HashSet<cairn_core::state::AssetPartition>| {
        set.iter().map(|t| (t.asset.as_str().to_owned(), t.partition.as_ref().map(|p| p.as_str().to_owned()))).collect()
    };
    let checks = index
        .check_results()
        .map(|c| {
            let partition = c.partition.as_ref().map(|p| p.as_str().to_owned());
            (c.asset.as_str().to_owned(), partition, c.check_name.clone(), c.run_id.0, c.passed, c.materialization_id)
        })
        .collect();
    (current, (pairs(index.failed()), pairs(index.running())), checks)
}

/// What the whole history says, by queries that group all of it.
async fn from_history(raw: &DatabaseConnection) -> (Current, Attempts, Checks) {
    let rows = raw
        .query_all_raw(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            "SELECT id, asset_key, partition_key FROM materializations WHERE id IN \
             (SELECT MAX(id) FROM materializations GROUP BY asset_key, partition_key)",
        ))
        .await
        .unwrap();
    let current = rows
        .iter()
        .map(|row| {
            (
                row.try_get("", "asset_key").unwrap(),
                row.try_get("", "partition_key").unwrap(),
                row.try_get("", "id").unwrap(),
            )
        })
        .collect();
    let pairs = |sql: &str| {
        let sql = sql.to_owned();
        async move {
            raw.query_all_raw(sea_orm::Statement::from_string(raw.get_database_backend(), sql))
                .await
                .unwrap()
                .iter()
                .map(|row| (row.try_get("", "asset_key").unwrap(), row.try_get("", "partition_key").unwrap()))
                .collect::<BTreeSet<(String, Option<String>)>>()
        }
    };
    let running = pairs("SELECT DISTINCT asset_key, partition_key FROM run_steps WHERE status = 'RUNNING'").await;
    let last_failed = pairs(
        "SELECT asset_key, partition_key FROM run_steps WHERE id IN (SELECT MAX(id) FROM run_steps \
         WHERE status IN ('MATERIALIZED', 'FAILED') GROUP BY asset_key, partition_key) AND status = 'FAILED'",
    )
    .await;
    let failed = last_failed.difference(&running).cloned().collect();
    let checks = raw
        .query_all_raw(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            "SELECT asset_key, partition_key, check_name, run_id, passed, materialization_id FROM check_results \
             WHERE id IN (SELECT MAX(id) FROM check_results GROUP BY asset_key, partition_key, check_name)",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get("", "asset_key").unwrap(),
                row.try_get("", "partition_key").unwrap(),
                row.try_get("", "check_name").unwrap(),
                row.try_get("", "run_id").unwrap(),
                row.try_get("", "passed").unwrap(),
                row.try_get("", "materialization_id").unwrap(),
            )
        })
        .collect();
    (current, (failed, running), checks)
}

async fn apply(store: &MetadataStore, held: &mut Vec<ClaimedStep>, op: &Op, clock: &mut i64) {
    *clock += 1;
    match op {
        Op::Launch(targets) => {
            let steps: Vec<(&str, Option<&str>, &[usize])> =
                targets.iter().map(|&i| (TARGETS[i].0, TARGETS[i].1, &[][..])).collect();
            store.create_run(&new_run(&steps)).await.unwrap();
        }
        Op::Claim(limit) => held.extend(claim(store, "owner", *limit, at(*clock)).await),
        Op::End(index, outcome) if !held.is_empty() => {
            let step = held.remove(index % held.len());
            let target = &step.step.target;
            let outcome = match outcome {
                0 => {
                    let partition = target.partition.as_ref().map(|p| p.as_str());
                    let m = materialization(target.asset.as_str(), partition, &format!("v{clock}"), vec![]);
                    let checks = vec![check("rows", true), check("nulls", *clock % 2 == 0)];
                    StepOutcome::Materialized { materialization: m, checks, data_changed: true }
                }
                1 => StepOutcome::Failed { error: "boom".to_owned(), checks: vec![check("rows", false)] },
                2 => StepOutcome::Skipped(cairn_store::SkipReason::UpstreamUnchanged),
                _ => StepOutcome::Canceled,
            };
            store.finish_step(&step.lease, target, &outcome, &[], at(*clock)).await.unwrap();
        }
        Op::Release(index) if !held.is_empty() => {
            let step = held.remove(index % held.len());
            store.release_steps(&[step.lease], at(*clock)).await.unwrap();
        }
        Op::End(..) | Op::Release(_) => {}
    }
}

async fn current_state_equals_history_after_every_operation(db: &TestDb) {
    let store = db.store().await;
    let raw = db.raw().await;
    let handle = tokio::runtime::Handle::current();
    // One store for all cases: each case goes on from the history the
    // earlier ones left, so later cases start from a long, mixed history.
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    let shared_clock = std::cell::Cell::new(0);
    let shared_index = tokio::sync::Mutex::new(store.load_index().await.unwrap());
    let result = runner.run(&proptest::collection::vec(op(), 1..30), |ops| {
        tokio::task::block_in_place(|| {
            handle.block_on(async {
                let mut clock = shared_clock.get();
                let mut index = shared_index.lock().await;
                let mut held = Vec::new();
                for (i, op) in ops.iter().enumerate() {
                    apply(&store, &mut held, op, &mut clock).await;
                    let readers = from_readers(&store).await;
                    let history = from_history(&raw).await;
                    prop_assert_eq!(&readers, &history, "readers, after operation {} ({:?}) of {:?}", i, op, ops);
                    let cursor = index.cursor();
                    store.advance_index(&mut index).await.unwrap();
                    prop_assert!(index.cursor() >= cursor);
                    prop_assert_eq!(
                        &from_index(&index),
                        &history,
                        "index, after operation {} ({:?}) of {:?}",
                        i,
                        op,
                        ops
                    );
                    let loaded = store.load_index().await.unwrap();
                    prop_assert_eq!(from_index(&loaded), history, "loaded index, after operation {}", i);
                }
                // Leave nothing running for the next case.
                for step in held.drain(..) {
                    store
                        .finish_step(&step.lease, &step.step.target, &StepOutcome::Canceled, &[], at(clock))
                        .await
                        .unwrap();
                }
                shared_clock.set(clock);
                Ok(())
            })
        })
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

async fn migration_builds_current_state_from_history(db: &TestDb) {
    let store = db.store().await;
    let raw = db.raw().await;
    let mut held = Vec::new();
    let mut clock = 0;
    let ops = [
        Op::Launch((0..4).collect()),
        Op::Claim(4),
        Op::End(0, 0),
        Op::End(0, 1),
        Op::End(0, 0),
        Op::Launch([1, 2].into()),
        Op::Claim(2),
        Op::End(0, 1),
        Op::Launch([1].into()),
        Op::Claim(1),
    ];
    for op in &ops {
        apply(&store, &mut held, op, &mut clock).await;
    }
    let before = from_readers(&store).await;
    assert_eq!(before, from_history(&raw).await);
    assert!(!before.0.is_empty() && !before.1.0.is_empty() && !before.1.1.is_empty(), "{before:?}");
    assert!(before.2.len() >= 3, "{before:?}");
    drop(store);
    // Back to the schema of migration 0004, with the same history.
    raw.execute_unprepared("DROP TABLE asset_partitions").await.unwrap();
    raw.execute_unprepared("DROP TABLE current_check_results").await.unwrap();
    raw.execute_unprepared("DELETE FROM cairn_migrations WHERE version = 'm0005_asset_partitions'").await.unwrap();
    let store = db.store().await;
    assert_eq!(from_readers(&store).await, before, "migration 0005 rebuilt the current state");
}

/// `load_state` (each asset's rows packed into one value by the database)
/// gives back every field of every current materialization exactly as the
/// row-by-row read of one asset partition does: ids, run, versions, time
/// to the microsecond, path, inputs (with and without partitions); and a
/// stored text holding the packing's separators (a data version, an
/// input's data version) is read back as it is.
async fn the_whole_state_reads_every_field_as_stored(db: &TestDb) {
    let store = db.store().await;
    let mut targets = Vec::new();
    for (n, (asset_key, partition)) in
        [("a", None), ("d", Some("p1")), ("d", Some("p2")), ("e", Some("2013-01-05"))].into_iter().enumerate()
    {
        let inputs = match asset_key {
            "d" => vec![input("a", None, "a-version"), input("e", Some("2013-01-05"), "e\u{1e}odd")],
            _ => Vec::new(),
        };
        let version = if n == 2 { "with\u{1f}unit separator".to_owned() } else { format!("v{n}") };
        let mut m = materialization(asset_key, partition, &version, inputs);
        m.materialized_at = at(n as i64 * 7);
        record(&store, m.clone()).await;
        // A second materialization of the first: only the latest is current.
        if n == 0 {
            m.data_version = data("a-version");
            m.materialized_at = at(100);
            record(&store, m).await;
        }
        targets.push(target(asset_key, partition));
    }
    let state = store.load_state().await.unwrap();
    for t in &targets {
        let whole = state.materialization(&t.asset, t.partition.as_ref()).cloned();
        let alone = store.latest_materialization(t).await.unwrap();
        assert!(whole.is_some(), "{t}");
        let (mut whole, mut alone) = (whole.unwrap(), alone.unwrap());
        whole.inputs.sort_by(|x, y| x.asset.cmp(&y.asset));
        alone.inputs.sort_by(|x, y| x.asset.cmp(&y.asset));
        assert_eq!(whole, alone, "{t}");
    }
    let a = state.materialization(&asset("a"), None).unwrap();
    assert_eq!((a.data_version.as_str(), a.materialized_at), ("a-version", at(100)));
    let d = state.materialization(&asset("d"), Some(&part("p2"))).unwrap();
    assert_eq!(d.data_version.as_str(), "with\u{1f}unit separator");
    assert_eq!(d.inputs.len(), 2);
}
