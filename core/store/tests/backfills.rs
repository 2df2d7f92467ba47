//! Backfills in the metadata store: launched exactly once, ended with
//! their run, canceled idempotently; the attempt states the partition bar
//! shows. On SQLite and PostgreSQL.

mod common;

use std::collections::BTreeMap;

use cairn_core::run::{PartitionScope, RunTarget};
use cairn_store::{
    BackfillFilter, BackfillStatus, BackfillTransition, Cancellation, NewBackfill, RunOrigin, RunStatus, StepOutcome,
    StepStatus,
};
use common::*;

on_both_backends!(
    a_backfill_is_launched_once_and_ends_with_its_run,
    canceling_a_backfill_before_and_after_its_run_is_launched,
    a_backfill_that_cannot_be_launched_fails_with_its_reason,
    attempt_states_show_failed_and_running_partitions,
    step_status_counts_equal_the_steps_counted_one_by_one,
);

fn new_backfill() -> NewBackfill {
    NewBackfill {
        project: PROJECT.to_owned(),
        selection: "flights_daily".to_owned(),
        partitions_text: "2013-01-01..2013-01-02".to_owned(),
        target: RunTarget {
            assets: vec![asset("flights_daily")],
            partitions: scope(&["flights_daily"], "2013-01-01", "2013-01-02"),
            only_stale: false,
        },
        only_missing_or_failed: false,
        only_stale: false,
        tags: BTreeMap::from([("user".to_owned(), "ana".to_owned())]),
        retry_of: None,
        created_at: at(0),
    }
}

fn backfill_run(id: cairn_store::BackfillId) -> cairn_store::NewRun {
    let mut run = new_run(&[("flights_daily", Some("2013-01-01"), &[]), ("flights_daily", Some("2013-01-02"), &[])]);
    run.origin = RunOrigin::Backfill(id.0);
    run.target.partitions = PartitionScope::All;
    run
}

async fn a_backfill_is_launched_once_and_ends_with_its_run(db: &TestDb) {
    let store = db.store().await;
    let id = store.create_backfill(&new_backfill()).await.unwrap();
    let stored = store.backfill(id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.run_id), (BackfillStatus::Requested, None));
    assert_eq!(stored.target, new_backfill().target);
    assert_eq!(stored.tags["user"], "ana");
    assert_eq!(store.backfills_to_launch(PROJECT).await.unwrap().len(), 1);
    assert!(store.backfills_to_launch("another").await.unwrap().is_empty());

    let run = store.launch_backfill_run(id, &backfill_run(id), 3).await.unwrap().expect("launched");
    assert_eq!(store.launch_backfill_run(id, &backfill_run(id), 3).await.unwrap(), None, "exactly once");
    assert_eq!(store.runs(&Default::default(), 10).await.unwrap().len(), 1);
    let stored = store.backfill(id).await.unwrap().unwrap();
    assert_eq!((stored.run_id, stored.blocked), (Some(run), 3));
    assert!(store.backfills_to_launch(PROJECT).await.unwrap().is_empty());

    for step in claim(&store, "x", 10, at(1)).await {
        let t = step.step.target.clone();
        materialize(
            &store,
            &step,
            materialization(t.asset.as_str(), t.partition.as_ref().map(|p| p.as_str()), "v", vec![]),
            vec![],
        )
        .await;
    }
    let stored = store.backfill(id).await.unwrap().unwrap();
    assert_eq!(stored.status, BackfillStatus::Completed, "ended with its run");
    assert!(stored.finished_at.is_some());
    let statuses = store.step_statuses(run).await.unwrap();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.iter().all(|s| s.status == StepStatus::Materialized && s.skip_reason.is_none()));
    let filter = |statuses: Option<Vec<BackfillStatus>>| BackfillFilter { statuses, ..BackfillFilter::default() };
    let listed = store.backfills(&filter(Some(vec![BackfillStatus::Completed])), 10).await.unwrap();
    assert_eq!(listed.iter().map(|b| b.id).collect::<Vec<_>>(), [id]);
    assert!(store.backfills(&filter(Some(vec![BackfillStatus::Failed])), 10).await.unwrap().is_empty());
    let later = store.create_backfill(&NewBackfill { created_at: at(100), ..new_backfill() }).await.unwrap();
    let ids = |list: Vec<cairn_store::BackfillRecord>| list.iter().map(|b| b.id).collect::<Vec<_>>();
    let of_daily = BackfillFilter { asset: Some(asset("flights_daily")), ..BackfillFilter::default() };
    assert_eq!(ids(store.backfills(&of_daily, 10).await.unwrap()), [id], "only a launched run has steps");
    let of_other = BackfillFilter { asset: Some(asset("flights_monthly")), ..BackfillFilter::default() };
    assert!(store.backfills(&of_other, 10).await.unwrap().is_empty());
    let since = BackfillFilter { created_after: Some(at(100)), ..BackfillFilter::default() };
    assert_eq!(ids(store.backfills(&since, 10).await.unwrap()), [later]);
    let until = BackfillFilter { created_before: Some(at(100)), ..BackfillFilter::default() };
    assert_eq!(ids(store.backfills(&until, 10).await.unwrap()), [id]);
    let page = BackfillFilter { before: Some(later), ..BackfillFilter::default() };
    assert_eq!(ids(store.backfills(&page, 10).await.unwrap()), [id]);
    let kinds: Vec<String> = store
        .events_after(0, &Default::default(), 1_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.data.as_ref().is_some_and(|d| d["backfill_id"] == id.0))
        .map(|e| e.kind.to_string())
        .collect();
    assert_eq!(kinds, ["BACKFILL_REQUESTED", "BACKFILL_COMPLETED"]);
}

async fn canceling_a_backfill_before_and_after_its_run_is_launched(db: &TestDb) {
    let store = db.store().await;
    let early = store.create_backfill(&new_backfill()).await.unwrap();
    let (transition, run) = store.cancel_backfill(early, at(1)).await.unwrap();
    assert_eq!((transition, run), (BackfillTransition::Changed(BackfillStatus::Canceled), None));
    assert_eq!(store.launch_backfill_run(early, &backfill_run(early), 0).await.unwrap(), None, "never launched");
    let (again, _) = store.cancel_backfill(early, at(2)).await.unwrap();
    assert_eq!(again, BackfillTransition::Unchanged(BackfillStatus::Canceled));

    let late = store.create_backfill(&new_backfill()).await.unwrap();
    let launched = store.launch_backfill_run(late, &backfill_run(late), 0).await.unwrap().unwrap();
    let running = claim(&store, "x", 1, at(1)).await.remove(0);
    let (transition, run) = store.cancel_backfill(late, at(2)).await.unwrap();
    assert_eq!((transition, run), (BackfillTransition::Changed(BackfillStatus::Canceling), Some(launched)));
    assert_eq!(store.cancel_run(launched, at(2)).await.unwrap(), Cancellation::Canceling { running: 1 });
    store.finish_step(&running.lease, &running.step.target, &StepOutcome::Canceled, &[], at(3)).await.unwrap();
    assert_eq!(store.run(launched).await.unwrap().unwrap().status, RunStatus::Canceled);
    assert_eq!(store.backfill(late).await.unwrap().unwrap().status, BackfillStatus::Canceled);
    let error = store.cancel_backfill(cairn_store::BackfillId(late.0 + 100), at(4)).await.unwrap_err();
    assert!(matches!(error, cairn_store::StoreError::NotFound(_)), "{error:?}");
}

async fn a_backfill_that_cannot_be_launched_fails_with_its_reason(db: &TestDb) {
    let store = db.store().await;
    let id = store.create_backfill(&new_backfill()).await.unwrap();
    store.fail_backfill(id, "asset `flights_daily` is no longer defined", at(1)).await.unwrap();
    let stored = store.backfill(id).await.unwrap().unwrap();
    assert_eq!(stored.status, BackfillStatus::Failed);
    assert_eq!(stored.error.as_deref(), Some("asset `flights_daily` is no longer defined"));
}

async fn attempt_states_show_failed_and_running_partitions(db: &TestDb) {
    let store = db.store().await;
    // d1 failed, then d2 failed and was materialized later, d3 runs now.
    store.create_run(&new_run(&[("daily", Some("d1"), &[]), ("daily", Some("d2"), &[])])).await.unwrap();
    for step in claim(&store, "x", 10, at(1)).await {
        let failed = StepOutcome::Failed { error: "boom".into(), checks: vec![] };
        store.finish_step(&step.lease, &step.step.target, &failed, &[], at(2)).await.unwrap();
    }
    record(&store, materialization("daily", Some("d2"), "v", vec![])).await;
    store.create_run(&new_run(&[("daily", Some("d3"), &[])])).await.unwrap();
    claim(&store, "y", 10, at(3)).await;
    let (failed, running) = store.attempt_states().await.unwrap();
    assert_eq!(failed, [target("daily", Some("d1"))]);
    assert_eq!(running, [target("daily", Some("d3"))]);
}

/// `step_status_counts` (one grouped read) counts what `step_statuses`
/// lists, skip reasons included: a run whose first step failed (the step
/// waiting for it skipped), one materialized, one running, one queued.
async fn step_status_counts_equal_the_steps_counted_one_by_one(db: &TestDb) {
    let store = db.store().await;
    let run = store
        .create_run(&new_run(&[
            ("a", Some("p1"), &[]),
            ("b", Some("p1"), &[0]),
            ("a", Some("p2"), &[]),
            ("a", Some("p3"), &[]),
            ("c", None, &[]),
        ]))
        .await
        .unwrap();
    let claimed = claim_in(&store, "tester", Some(run), 3, at(1)).await;
    assert_eq!(claimed.len(), 3, "a/p1, a/p2 and a/p3 are ready");
    let failed = StepOutcome::Failed { error: "boom".into(), checks: Vec::new() };
    store.finish_step(&claimed[0].lease, &claimed[0].step.target, &failed, &[], at(2)).await.unwrap();
    let m = materialization("a", claimed[1].step.target.partition.as_ref().map(|p| p.as_str()), "v", vec![]);
    let done = StepOutcome::Materialized { materialization: m, checks: Vec::new(), data_changed: true };
    store.finish_step(&claimed[1].lease, &claimed[1].step.target, &done, &[], at(3)).await.unwrap();

    let mut one_by_one: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for state in store.step_statuses(run).await.unwrap() {
        let skip = state.skip_reason.map(|reason| serde_json::to_string(&reason).unwrap());
        *one_by_one.entry((state.status.as_str().to_owned(), skip)).or_default() += 1;
    }
    let mut grouped: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for (status, skip, steps) in store.step_status_counts(run).await.unwrap() {
        let skip = skip.map(|reason| serde_json::to_string(&reason).unwrap());
        *grouped.entry((status.as_str().to_owned(), skip)).or_default() += steps;
    }
    assert_eq!(grouped, one_by_one);
    let statuses: Vec<&str> = grouped.keys().map(|(status, _)| status.as_str()).collect();
    assert_eq!(statuses, ["FAILED", "MATERIALIZED", "QUEUED", "RUNNING", "SKIPPED"], "{grouped:?}");
}
