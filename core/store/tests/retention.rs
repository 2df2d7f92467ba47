//! Retention (`MetadataStore::prune`) and wiping lost data
//! (`MetadataStore::wipe_lost_data`), on SQLite and PostgreSQL: pruning
//! removes old events, the steps of old runs and superseded
//! materializations, and changes neither current state, nor the provenance
//! of current materializations, nor current check verdicts; a reader
//! resuming from a pruned cursor is refused (and the state index loads
//! itself again); a wiped asset partition is missing for every reader.

mod common;

use std::collections::BTreeMap;

use cairn_store::{
    EventFilter, EventKind, LostData, MetadataStore, NewCheckResult, NewMaterialization, PruneCutoffs, RunId,
    StepOutcome, StoreError,
};
use common::*;

on_both_backends!(
    pruning_keeps_current_state_and_its_provenance,
    a_cursor_into_pruned_events_is_refused_and_the_index_loads_again,
    a_wiped_partition_is_missing_for_every_reader
);

/// Records `m` as an executor does, every record stamped `at(t)`: a run of
/// one step, claimed and finished at `t`, materialized at `t`. Answers the
/// materialization id and the run.
async fn record_at(
    store: &MetadataStore,
    mut m: NewMaterialization,
    checks: Vec<NewCheckResult>,
    t: i64,
) -> (i64, RunId) {
    m.materialized_at = at(t);
    let partition = m.partition.as_ref().map(|p| p.as_str().to_owned());
    let mut run = new_run(&[(m.asset.as_str(), partition.as_deref(), &[])]);
    run.created_at = at(t);
    let id = store.create_run(&run).await.unwrap();
    let claimed = claim_in(store, "tester", Some(id), 1, at(t)).await;
    assert_eq!(claimed.len(), 1);
    let checks = checks.into_iter().map(|c| NewCheckResult { evaluated_at: at(t), ..c }).collect();
    let outcome = StepOutcome::Materialized { materialization: m, checks, data_changed: true };
    let finished = store.finish_step(&claimed[0].lease, &claimed[0].step.target, &outcome, &[], at(t)).await.unwrap();
    (finished.materialization_id.unwrap(), id)
}

/// Current state as every reader sees it: (asset, partition) → current
/// materialization id with its provenance; the latest check verdicts;
/// failed and running asset partitions.
type Seen = (BTreeMap<(String, Option<String>), (i64, Vec<String>)>, Vec<String>, String);

async fn seen(store: &MetadataStore) -> Seen {
    let state = store.load_state().await.unwrap();
    let mut current = BTreeMap::new();
    for key in ["a", "d"] {
        for (partition, record) in state.materializations_of(&asset(key)) {
            current.insert((key.to_owned(), partition.map(|p| p.as_str().to_owned())), (record.id, Vec::new()));
        }
    }
    let ids: Vec<i64> = current.values().map(|(id, _)| *id).collect();
    let inputs = store.materialization_inputs(&ids).await.unwrap();
    for (id, provenance) in current.values_mut() {
        *provenance = inputs
            .get(id)
            .map(|list| list.iter().map(|i| format!("{}[{:?}]={}", i.asset, i.partition, i.data_version)).collect())
            .unwrap_or_default();
    }
    let mut checks: Vec<String> = store
        .latest_check_results()
        .await
        .unwrap()
        .into_iter()
        .map(|c| format!("{}[{:?}] {} {} {:?}", c.asset, c.partition, c.check_name, c.passed, c.materialization_id))
        .collect();
    checks.sort();
    let attempts = format!("{:?}", store.attempt_states().await.unwrap());
    (current, checks, attempts)
}

/// A history: `a` materialized at 100, 200 and 1000 (checked at 100 and
/// 200); `d/p1` (reading `a`) at 100 and 300; `d/p3` at 100 (checked) and
/// 200 (not checked); `d/p2` at 1000. With a cut-off at 500, the first
/// materializations of `a`, `d/p1` and `d/p3` were superseded before it,
/// the second of `a` after it (at 1000); the first of `d/p3` holds the
/// current verdict of its check.
async fn history(store: &MetadataStore) -> Vec<(i64, RunId)> {
    let a = |v: &str| materialization("a", None, v, vec![]);
    let d = |p: &str, v: &str, upstream: &str| materialization("d", Some(p), v, vec![input("a", None, upstream)]);
    vec![
        record_at(store, a("a1"), vec![check("rows", true)], 100).await,
        record_at(store, d("p1", "d1", "a1"), vec![], 100).await,
        record_at(store, d("p3", "d31", "a1"), vec![check("rows", true)], 100).await,
        record_at(store, a("a2"), vec![check("rows", false)], 200).await,
        record_at(store, d("p3", "d32", "a2"), vec![], 200).await,
        record_at(store, d("p1", "d2", "a2"), vec![check("rows", false)], 300).await,
        record_at(store, a("a3"), vec![], 1000).await,
        record_at(store, d("p2", "d3", "a3"), vec![], 1000).await,
    ]
}

const ALL: PruneCutoffs = PruneCutoffs { events_before: None, run_steps_before: None, superseded_before: None };

async fn pruning_keeps_current_state_and_its_provenance(db: &TestDb) {
    let store = db.store().await;
    let recorded = history(&store).await;
    let before = seen(&store).await;
    let events = store.events_after(0, &EventFilter::default(), 10_000).await.unwrap();
    let old_events = events.iter().filter(|e| e.at < at(500)).count() as u64;
    let cutoffs = PruneCutoffs {
        events_before: Some(at(500)),
        run_steps_before: Some(at(500)),
        superseded_before: Some(at(500)),
    };

    let report = store.prune(&cutoffs).await.unwrap();
    assert_eq!(
        report.materializations, 2,
        "a1 and d/p1's first were superseded before the cut-off; d/p3's first holds a current verdict: {report:?}"
    );
    assert_eq!(report.check_results, 1, "a1's check result goes with it: {report:?}");
    assert_eq!(report.run_steps, 6, "the six runs that ended before the cut-off: {report:?}");
    assert_eq!(report.events, old_events, "{report:?}");
    assert!(report.pruned_through > 0);

    assert_eq!(seen(&store).await, before, "current state, provenance and verdicts are unchanged");
    let history_of_a: Vec<i64> =
        store.materialization_history(&asset("a"), 10).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(history_of_a, [recorded[6].0, recorded[3].0], "a2 was superseded after the cut-off: kept");
    let history_of_d: Vec<i64> =
        store.materialization_history(&asset("d"), 10).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(history_of_d, [recorded[7].0, recorded[5].0, recorded[4].0, recorded[2].0]);
    assert!(store.run_steps(recorded[0].1).await.unwrap().is_empty(), "the old run's steps are gone");
    assert!(store.run(recorded[0].1).await.unwrap().is_some(), "the run itself stays");
    assert_eq!(store.run_steps(recorded[7].1).await.unwrap().len(), 1, "a recent run keeps its steps");
    let kept = store.events_after(0, &EventFilter::default(), 10_000).await.unwrap();
    assert_eq!(kept.first().map(|e| e.seq), Some(report.pruned_through + 1), "the log is a whole suffix");
    assert!(kept.iter().all(|e| e.at >= at(500)));
    assert_eq!(kept.len() as u64 + report.events, events.len() as u64);

    // Pruning again removes nothing; keeping everything removes nothing.
    let again = store.prune(&cutoffs).await.unwrap();
    assert_eq!((again.events, again.run_steps, again.materializations), (0, 0, 0), "{again:?}");
    assert_eq!(again.pruned_through, report.pruned_through);
    assert_eq!(store.prune(&ALL).await.unwrap().events, 0);
    assert_eq!(seen(&store).await, before);
}

async fn a_cursor_into_pruned_events_is_refused_and_the_index_loads_again(db: &TestDb) {
    let store = db.store().await;
    record_at(&store, materialization("a", None, "a0", vec![]), vec![], 50).await;
    let mut index = store.load_index().await.unwrap();
    let early = index.cursor();
    history(&store).await;
    let report = store.prune(&PruneCutoffs { events_before: Some(at(500)), ..ALL }).await.unwrap();
    assert!(early < report.pruned_through);

    match store.events_after(early, &EventFilter::default(), 100).await {
        Err(StoreError::CursorPruned { cursor, pruned_through }) => {
            assert_eq!((cursor, pruned_through), (early, report.pruned_through));
        }
        other => panic!("a pruned cursor must be refused, not {other:?}"),
    }
    // Cursor 0 is "from the oldest event kept"; the head is fine.
    assert!(store.events_after(0, &EventFilter::default(), 1).await.is_ok());
    assert!(store.events_after(report.pruned_through, &EventFilter::default(), 1).await.is_ok());

    let changes = store.advance_index(&mut index).await.unwrap();
    assert!(changes.reloaded, "{changes:?}");
    let fresh = store.load_index().await.unwrap();
    assert_eq!(index.cursor(), fresh.cursor());
    let ids = |index: &cairn_store::StateIndex| -> Vec<i64> {
        let mut ids: Vec<i64> = ["a", "d"]
            .iter()
            .flat_map(|k| index.state().materializations_of(&asset(k)).map(|(_, r)| r.id).collect::<Vec<_>>())
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(&index), ids(&fresh));
    assert_eq!(ids(&index).len(), 4, "a, d/p1, d/p2 and d/p3");
}

async fn a_wiped_partition_is_missing_for_every_reader(db: &TestDb) {
    let store = db.store().await;
    let (a1, _) = record_at(&store, materialization("a", None, "a1", vec![]), vec![], 10).await;
    let (d1, _) = record_at(&store, materialization("d", Some("p1"), "d1", vec![]), vec![], 10).await;
    let mut index = store.load_index().await.unwrap();
    let lost = |id: i64| LostData { target: target("a", None), materialization_id: id, path: "a/-/m.parquet".into() };

    let wiped = store.wipe_lost_data(&[lost(a1)], at(20)).await.unwrap();
    assert_eq!(wiped, [target("a", None)]);
    let state = store.load_state().await.unwrap();
    assert!(state.materialization(&asset("a"), None).is_none(), "a is missing now");
    assert_eq!(state.materialization(&asset("d"), Some(&part("p1"))).map(|r| r.id), Some(d1), "d/p1 is untouched");
    store.advance_index(&mut index).await.unwrap();
    assert!(index.state().materialization(&asset("a"), None).is_none(), "the index learnt it from the event log");
    let wipes = store
        .events_after(0, &EventFilter { kinds: Some(vec![EventKind::AssetWiped]), ..EventFilter::default() }, 10)
        .await
        .unwrap();
    assert_eq!(wipes.len(), 1);
    assert!(wipes[0].message.contains("a/-/m.parquet"), "{}", wipes[0].message);

    // Wiping what is no longer current does nothing.
    assert!(store.wipe_lost_data(&[lost(a1)], at(30)).await.unwrap().is_empty());
    let (a2, _) = record_at(&store, materialization("a", None, "a2", vec![]), vec![], 40).await;
    assert!(store.wipe_lost_data(&[lost(a1)], at(50)).await.unwrap().is_empty(), "a2 is current, not a1");
    store.advance_index(&mut index).await.unwrap();
    assert_eq!(index.state().materialization(&asset("a"), None).map(|r| r.id), Some(a2));
    assert_eq!(store.load_state().await.unwrap().materialization(&asset("a"), None).map(|r| r.id), Some(a2));
}
