//! Integration tests of durable runs in the metadata store: storing runs
//! with their plan, claiming steps with leases, fencing, cancellation,
//! releasing and expiring leases, and the event log's cursor. Every
//! scenario runs on SQLite and on PostgreSQL (see `common`).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use cairn_core::planner::PlanReason;
use cairn_core::run::RunTarget;
use cairn_core::staleness::StaleCause;
use cairn_store::{
    Cancellation, ClaimRequest, EventFilter, EventKind, EventLevel, NewEvent, NewRun, RunFilter, RunId, RunOrigin,
    RunStatus, SkipReason, StepOutcome, StepStatus, StoreError,
};
use common::*;

on_both_backends!(
    runs_round_trip,
    a_run_without_steps_succeeds_at_once,
    claims_follow_dependencies_and_the_last_step_ends_the_run,
    a_step_s_end_claims_the_next_step_in_the_same_transaction,
    a_failure_skips_everything_downstream_in_that_run_only,
    one_running_step_per_asset_partition_across_runs,
    a_stale_lease_can_write_nothing,
    renewals_report_lost_leases_and_cancellations,
    cancel_stops_queued_steps_and_waits_for_running_ones,
    released_steps_are_claimed_again,
    dead_owners_are_replaced_at_once,
    concurrent_executors_run_each_step_exactly_once,
    event_cursor_misses_nothing_under_concurrent_writers,
    steps_of_other_projects_are_never_claimed,
);

async fn runs_round_trip(db: &TestDb) {
    let store = db.store().await;
    let mut run = new_run(&[("flights_daily", Some("2013-01-01"), &[]), ("monthly", Some("2013-01-01"), &[0])]);
    run.origin = RunOrigin::Backfill(7);
    run.tags = BTreeMap::from([("user".to_owned(), "ana".to_owned())]);
    run.selection = "+monthly".to_owned();
    run.partition_filter = Some("2013-01-01..2013-01-31".to_owned());
    run.target = RunTarget {
        assets: vec![asset("flights_daily"), asset("monthly")],
        partitions: scope(&["flights_daily"], "2013-01-01", "2013-01-31"),
        only_stale: false,
    };
    let upstream = target("flights_daily", Some("2013-01-01"));
    run.steps[1].reasons = vec![PlanReason::Stale(StaleCause::UpstreamDataChanged { upstream, pending: true })];
    run.steps[1].conditional = true;
    let id = store.create_run(&run).await.unwrap();

    let stored = store.run(id).await.unwrap().expect("stored");
    assert_eq!(stored.status, RunStatus::Queued);
    assert_eq!(stored.project, PROJECT);
    assert_eq!(stored.origin, RunOrigin::Backfill(7));
    assert_eq!(stored.tags["user"], "ana");
    assert_eq!(stored.selection, "+monthly");
    assert_eq!(stored.partition_filter.as_deref(), Some("2013-01-01..2013-01-31"));
    assert_eq!(stored.target.as_ref(), Some(&run.target), "the target round-trips structurally");
    assert_eq!((stored.planned_steps, stored.materialized_steps, stored.failed_steps), (2, 0, 0));
    assert_eq!(stored.created_at, at(0));
    assert_eq!((stored.started_at, stored.finished_at), (None, None));

    let steps = store.run_steps(id).await.unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].target, target("flights_daily", Some("2013-01-01")));
    assert_eq!(steps[0].status, StepStatus::Queued);
    assert_eq!(steps[0].reasons, vec![PlanReason::Missing]);
    assert_eq!(steps[0].dependents, vec![1]);
    assert_eq!(steps[1].waits_for, vec![0]);
    assert_eq!(steps[1].reasons, run.steps[1].reasons, "reasons round-trip");
    assert!(steps[1].conditional);
    assert_eq!(steps[1].attempt, 0);

    let second = store.create_run(&NewRun { created_at: at(100), ..new_run(&[("a", None, &[])]) }).await.unwrap();
    assert!(second > id);
    let all = store.runs(&RunFilter::default(), 10).await.unwrap();
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), [second, id], "newest first");
    let page = store.runs(&RunFilter { before: Some(second), ..RunFilter::default() }, 10).await.unwrap();
    assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    let backfills = RunFilter { origin: Some(RunOrigin::Backfill(7)), ..RunFilter::default() };
    assert_eq!(store.runs(&backfills, 10).await.unwrap().len(), 1);
    let of_monthly = RunFilter { asset: Some(asset("monthly")), ..RunFilter::default() };
    assert_eq!(store.runs(&of_monthly, 10).await.unwrap()[0].id, id);
    let since = RunFilter { created_after: Some(at(100)), ..RunFilter::default() };
    assert_eq!(store.runs(&since, 10).await.unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [second], "at or after");
    let until = RunFilter { created_before: Some(at(100)), ..RunFilter::default() };
    assert_eq!(
        store.runs(&until, 10).await.unwrap().iter().map(|r| r.id).collect::<Vec<_>>(),
        [id],
        "before, exclusive"
    );
    let queued = RunFilter { statuses: Some(vec![RunStatus::Success]), ..RunFilter::default() };
    assert!(store.runs(&queued, 10).await.unwrap().is_empty());
    assert!(store.run(RunId(second.0 + 1_000)).await.unwrap().is_none());
    let events = store.run_events(id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::RunEnqueued);
}

async fn a_run_without_steps_succeeds_at_once(db: &TestDb) {
    let store = db.store().await;
    let id = store.create_run(&new_run(&[])).await.unwrap();
    let run = store.run(id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(run.finished_at.is_some());
    let kinds: Vec<EventKind> = store.run_events(id).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::RunEnqueued, EventKind::RunSuccess]);
}

async fn claims_follow_dependencies_and_the_last_step_ends_the_run(db: &TestDb) {
    let store = db.store().await;
    // a -> b -> c, and d alone.
    let id = store
        .create_run(&new_run(&[("a", None, &[]), ("b", None, &[0]), ("c", None, &[1]), ("d", None, &[])]))
        .await
        .unwrap();
    let first = claim(&store, "x", 10, at(1)).await;
    let claimed: Vec<String> = first.iter().map(|c| c.step.target.to_string()).collect();
    assert_eq!(claimed, ["a", "d"], "only steps with nothing to wait for");
    assert_eq!(first[0].lease.attempt, 1);
    assert_eq!(first[0].step.status, StepStatus::Running);
    assert_eq!(first[0].step.owner.as_deref(), Some("x"));
    assert_eq!(first[0].run_created_at, at(0));
    assert!(first[0].only_stale);
    let run = store.run(id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Started);
    assert_eq!(run.started_at, Some(at(1)));
    assert!(claim(&store, "y", 10, at(2)).await.is_empty(), "b waits for a");

    let finished = materialize(&store, &first[0], materialization("a", None, "va", vec![]), vec![]).await;
    assert_eq!(finished.run_finished, None);
    let second = claim(&store, "y", 10, at(3)).await;
    assert_eq!(second.iter().map(|c| c.step.target.to_string()).collect::<Vec<_>>(), ["b"]);
    let skipped = StepOutcome::Skipped(SkipReason::UpstreamUnchanged);
    store.finish_step(&second[0].lease, &second[0].step.target, &skipped, &[], at(4)).await.unwrap();
    let third = claim(&store, "y", 10, at(5)).await;
    assert_eq!(third.iter().map(|c| c.step.target.to_string()).collect::<Vec<_>>(), ["c"], "a skip releases too");
    materialize(&store, &third[0], materialization("c", None, "vc", vec![]), vec![]).await;
    let log = NewEvent::log(id, EventLevel::Info, "stdout (last lines):\nhello", at(6)).about(&first[1].step.target);
    let last = store
        .finish_step(
            &first[1].lease,
            &first[1].step.target,
            &StepOutcome::Materialized {
                materialization: materialization("d", None, "vd", vec![]),
                checks: vec![],
                data_changed: true,
            },
            &[log],
            at(6),
        )
        .await
        .unwrap();
    assert_eq!(last.run_finished, Some(RunStatus::Success));

    let run = store.run(id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!((run.materialized_steps, run.skipped_steps, run.failed_steps), (3, 1, 0));
    assert_eq!(run.finished_at, Some(at(6)));
    let steps = store.run_steps(id).await.unwrap();
    assert!(steps.iter().all(|s| s.status.is_finished()));
    assert_eq!(steps[1].skip_reason, Some(SkipReason::UpstreamUnchanged));
    assert!(steps[0].materialization_id.is_some() && steps[1].materialization_id.is_none());
    let kinds: Vec<EventKind> = store.run_events(id).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds.first(), Some(&EventKind::RunEnqueued));
    assert_eq!(kinds.last(), Some(&EventKind::RunSuccess));
    assert_eq!(kinds.iter().filter(|k| **k == EventKind::StepStart).count(), 4);
    assert_eq!(kinds.iter().filter(|k| **k == EventKind::AssetMaterialization).count(), 3);
    assert!(kinds.contains(&EventKind::Log));
    assert!(claim(&store, "z", 10, at(7)).await.is_empty(), "nothing left");
}

/// `finish_step_and_claim`: the end of a step and the claim of the next one
/// commit together; the claim sees what the end released; a refused end
/// claims nothing.
async fn a_step_s_end_claims_the_next_step_in_the_same_transaction(db: &TestDb) {
    let store = db.store().await;
    // a -> b, and c alone (after b in plan order).
    let id = store.create_run(&new_run(&[("a", None, &[]), ("b", None, &[0]), ("c", None, &[])])).await.unwrap();
    let lease = Duration::from_secs(30);
    let request =
        |owner: &'static str, limit, now| ClaimRequest { owner, project: PROJECT, run: Some(id), limit, lease, now };
    let a = store.claim_steps(&request("x", 1, at(1))).await.unwrap().remove(0);
    assert_eq!(a.step.target.to_string(), "a");
    let materialized = |name: &str| StepOutcome::Materialized {
        materialization: materialization(name, None, name, vec![]),
        checks: vec![],
        data_changed: true,
    };
    let (finished, claimed) = store
        .finish_step_and_claim(&a.lease, &a.step.target, &materialized("a"), &[], at(2), Some(&request("x", 1, at(2))))
        .await
        .unwrap();
    assert!(finished.materialization_id.is_some());
    assert_eq!(finished.run_finished, None);
    let names: Vec<String> = claimed.iter().map(|c| c.step.target.to_string()).collect();
    assert_eq!(names, ["b"], "b, released by a's end in the same transaction, comes before c in plan order");
    assert_eq!((claimed[0].lease.owner.as_str(), claimed[0].lease.attempt), ("x", 1));
    let steps = store.run_steps(id).await.unwrap();
    assert_eq!(
        steps.iter().map(|s| s.status).collect::<Vec<_>>(),
        [StepStatus::Materialized, StepStatus::Running, StepStatus::Queued]
    );
    let events = store.run_events(id).await.unwrap();
    let materialized_at = events.iter().position(|e| e.kind == EventKind::AssetMaterialization).unwrap();
    let b_started = events
        .iter()
        .position(|e| e.kind == EventKind::StepStart && e.step_id == Some(claimed[0].step.id))
        .expect("b's start is logged");
    assert!(materialized_at < b_started, "a's end is logged before b's start");

    // A refused end (a stale lease) claims nothing either.
    let stale = cairn_store::Lease { attempt: 7, ..claimed[0].lease.clone() };
    let error = store
        .finish_step_and_claim(
            &stale,
            &claimed[0].step.target,
            &materialized("b"),
            &[],
            at(3),
            Some(&request("x", 1, at(3))),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::LeaseLost { attempt: 7, .. }), "{error:?}");
    assert_eq!(store.run_steps(id).await.unwrap()[2].status, StepStatus::Queued, "c was not claimed");

    // b's end claims c; c's end finds nothing left and ends the run.
    let b = &claimed[0];
    let (_, claimed) = store
        .finish_step_and_claim(&b.lease, &b.step.target, &materialized("b"), &[], at(4), Some(&request("x", 2, at(4))))
        .await
        .unwrap();
    assert_eq!(claimed.iter().map(|c| c.step.target.to_string()).collect::<Vec<_>>(), ["c"]);
    let c = &claimed[0];
    let (finished, claimed) = store
        .finish_step_and_claim(&c.lease, &c.step.target, &materialized("c"), &[], at(5), Some(&request("x", 2, at(5))))
        .await
        .unwrap();
    assert!(claimed.is_empty());
    assert_eq!(finished.run_finished, Some(RunStatus::Success));
    let run = store.run(id).await.unwrap().unwrap();
    assert_eq!((run.status, run.materialized_steps), (RunStatus::Success, 3));
}

async fn a_failure_skips_everything_downstream_in_that_run_only(db: &TestDb) {
    let store = db.store().await;
    // a -> b -> c; a -> c; d alone. Another run of b alone.
    let id = store
        .create_run(&new_run(&[("a", None, &[]), ("b", None, &[0]), ("c", None, &[0, 1]), ("d", None, &[])]))
        .await
        .unwrap();
    let other = store.create_run(&new_run(&[("b", None, &[])])).await.unwrap();
    let claimed = claim_in(&store, "x", Some(id), 1, at(1)).await;
    assert_eq!(claimed[0].step.target, target("a", None));
    let failed = StepOutcome::Failed { error: "query failed".to_owned(), checks: vec![check("rows", false)] };
    let finished = store.finish_step(&claimed[0].lease, &claimed[0].step.target, &failed, &[], at(2)).await.unwrap();
    assert_eq!(finished.skipped_downstream, 2);
    assert_eq!(finished.materialization_id, None);
    let steps = store.run_steps(id).await.unwrap();
    assert_eq!(steps[0].status, StepStatus::Failed);
    assert_eq!(steps[0].error.as_deref(), Some("query failed"));
    for step in &steps[1..3] {
        assert_eq!(step.status, StepStatus::Skipped, "{}", step.target);
        assert_eq!(step.skip_reason, Some(SkipReason::UpstreamFailed { upstream: target("a", None) }));
    }
    assert_eq!(steps[3].status, StepStatus::Queued, "an independent branch goes on");
    let results = store.run_check_results(id).await.unwrap();
    assert_eq!(results.len(), 1, "check results of a failed step are kept");
    assert_eq!(results[0].materialization_id, None);

    // The other run's b is not affected.
    let next = claim(&store, "x", 10, at(3)).await;
    let claimed: BTreeSet<String> = next.iter().map(|c| format!("{}:{}", c.lease.run, c.step.target)).collect();
    assert_eq!(claimed, BTreeSet::from([format!("{id}:d"), format!("{other}:b")]));
    for step in &next {
        materialize(&store, step, materialization(step.step.target.asset.as_str(), None, "v", vec![]), vec![]).await;
    }
    let run = store.run(id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Failure);
    assert_eq!((run.materialized_steps, run.failed_steps, run.skipped_steps), (1, 1, 2));
    assert_eq!(store.run(other).await.unwrap().unwrap().status, RunStatus::Success);
}

async fn one_running_step_per_asset_partition_across_runs(db: &TestDb) {
    let store = db.store().await;
    let first = store.create_run(&new_run(&[("daily", Some("d1"), &[]), ("daily", Some("d2"), &[])])).await.unwrap();
    let second = store.create_run(&new_run(&[("daily", Some("d1"), &[]), ("daily", Some("d3"), &[])])).await.unwrap();
    // One claim asking for everything gets d1 once.
    let claimed = claim(&store, "x", 10, at(1)).await;
    let mut seen: HashMap<String, RunId> = HashMap::new();
    for step in &claimed {
        assert!(
            seen.insert(step.step.target.to_string(), step.lease.run).is_none(),
            "{} claimed twice",
            step.step.target
        );
    }
    assert_eq!(claimed.len(), 3, "d1 (once), d2, d3");
    assert_eq!(seen["daily[d1]"], first, "the earlier run first");
    // While first's d1 runs, nobody gets second's d1.
    assert!(claim(&store, "y", 10, at(2)).await.is_empty());
    let d1 = claimed.iter().find(|c| c.step.target.to_string() == "daily[d1]").unwrap();
    materialize(&store, d1, materialization("daily", Some("d1"), "v", vec![]), vec![]).await;
    let after = claim(&store, "y", 10, at(3)).await;
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].lease.run, after[0].step.target.to_string()), (second, "daily[d1]".to_owned()));
    assert!(after[0].run_created_at <= d1.step.started_at.unwrap());
}

async fn a_stale_lease_can_write_nothing(db: &TestDb) {
    let store = db.store().await;
    let id = store.create_run(&new_run(&[("slow", None, &[]), ("next", None, &[0])])).await.unwrap();
    let lease = Duration::from_secs(10);
    let request = |owner: &'static str, now| ClaimRequest { owner, project: PROJECT, run: None, limit: 1, lease, now };
    let paused = store.claim_steps(&request("a", at(0))).await.unwrap().remove(0);
    // a is paused past its lease; b takes the step over.
    assert_eq!(store.expire_leases(at(5)).await.unwrap(), 0, "not expired yet");
    assert_eq!(store.expire_leases(at(11)).await.unwrap(), 1);
    let steps = store.run_steps(id).await.unwrap();
    assert_eq!(steps[0].status, StepStatus::Queued);
    let taker = store.claim_steps(&request("b", at(12))).await.unwrap().remove(0);
    assert_eq!(taker.step.id, paused.step.id);
    assert_eq!(taker.lease.attempt, 2, "a new fencing token");

    // a wakes up and tries to record its work: refused, nothing recorded.
    let late = StepOutcome::Materialized {
        materialization: materialization("slow", None, "from-a", vec![]),
        checks: vec![check("rows", true)],
        data_changed: true,
    };
    let error = store.finish_step(&paused.lease, &paused.step.target, &late, &[], at(13)).await.unwrap_err();
    assert!(matches!(error, StoreError::LeaseLost { attempt: 1, .. }), "{error:?}");
    assert!(error.to_string().contains("lease of attempt 1 is no longer held by `a`"), "{error}");
    assert!(store.latest_materialization(&target("slow", None)).await.unwrap().is_none());
    assert!(store.run_check_results(id).await.unwrap().is_empty());
    let failed = StepOutcome::Failed { error: "late".into(), checks: vec![] };
    assert!(matches!(
        store.finish_step(&paused.lease, &paused.step.target, &failed, &[], at(13)).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(store.run_steps(id).await.unwrap()[1].status, StepStatus::Queued, "a's failure skipped nothing");

    // b's work is recorded.
    materialize(&store, &taker, materialization("slow", None, "from-b", vec![]), vec![]).await;
    let latest = store.latest_materialization(&target("slow", None)).await.unwrap().unwrap();
    assert_eq!(latest.data_version, data("from-b"));
    let history = store.materialization_history(&asset("slow"), 10).await.unwrap();
    assert_eq!(history.len(), 1, "exactly one materialization");
    // a's end arriving after b's is refused the same way, though b's
    // materialization already holds the step's one materialization slot.
    let error = store.finish_step(&paused.lease, &paused.step.target, &late, &[], at(14)).await.unwrap_err();
    assert!(matches!(error, StoreError::LeaseLost { attempt: 1, .. }), "{error:?}");
    assert_eq!(store.materialization_history(&asset("slow"), 10).await.unwrap().len(), 1);
    let events = store.run_events(id).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind == EventKind::EngineEvent && e.message.contains("lease of executor a expired"))
    );
}

async fn renewals_report_lost_leases_and_cancellations(db: &TestDb) {
    let store = db.store().await;
    let id = store.create_run(&new_run(&[("p", None, &[]), ("q", None, &[])])).await.unwrap();
    let held = claim(&store, "x", 10, at(0)).await;
    let leases: Vec<_> = held.iter().map(|c| c.lease.clone()).collect();
    let renewal = store.renew_leases(&leases, at(100)).await.unwrap();
    assert!(renewal.lost.is_empty() && renewal.canceling.is_empty(), "{renewal:?}");
    // Renewed until 100: not expired at 50.
    assert_eq!(store.expire_leases(at(50)).await.unwrap(), 0);
    let mut stale = leases[0].clone();
    stale.attempt += 1;
    let renewal = store.renew_leases(&[stale.clone(), leases[1].clone()], at(100)).await.unwrap();
    assert_eq!(renewal.lost, vec![stale.step], "another attempt's lease is not ours");
    store.cancel_run(id, at(60)).await.unwrap();
    let renewal = store.renew_leases(&leases, at(120)).await.unwrap();
    assert_eq!(renewal.canceling, vec![id]);
}

async fn cancel_stops_queued_steps_and_waits_for_running_ones(db: &TestDb) {
    let store = db.store().await;
    let id = store.create_run(&new_run(&[("a", None, &[]), ("b", None, &[0]), ("c", None, &[])])).await.unwrap();
    let running = claim_in(&store, "x", Some(id), 1, at(1)).await.remove(0);
    assert_eq!(store.cancel_run(id, at(2)).await.unwrap(), Cancellation::Canceling { running: 1 });
    assert_eq!(store.run(id).await.unwrap().unwrap().status, RunStatus::Canceling);
    let steps = store.run_steps(id).await.unwrap();
    assert_eq!(
        steps.iter().map(|s| s.status).collect::<Vec<_>>(),
        [StepStatus::Running, StepStatus::Canceled, StepStatus::Canceled]
    );
    assert!(claim(&store, "y", 10, at(3)).await.is_empty(), "a canceling run gives out nothing");
    assert_eq!(store.cancel_run(id, at(3)).await.unwrap(), Cancellation::AlreadyCanceling);

    let finished =
        store.finish_step(&running.lease, &running.step.target, &StepOutcome::Canceled, &[], at(4)).await.unwrap();
    assert_eq!(finished.run_finished, Some(RunStatus::Canceled));
    let run = store.run(id).await.unwrap().unwrap();
    assert_eq!((run.status, run.canceled_steps), (RunStatus::Canceled, 3));
    assert_eq!(store.cancel_run(id, at(5)).await.unwrap(), Cancellation::AlreadyFinished(RunStatus::Canceled));
    let kinds: Vec<EventKind> = store.run_events(id).await.unwrap().iter().map(|e| e.kind).collect();
    assert!(
        kinds.contains(&EventKind::RunCanceling) && kinds.ends_with(&[EventKind::StepCanceled, EventKind::RunCanceled]),
        "{kinds:?}"
    );

    // A run with nothing running is canceled at once; an unknown one is an error.
    let queued = store.create_run(&new_run(&[("a", None, &[])])).await.unwrap();
    assert_eq!(store.cancel_run(queued, at(6)).await.unwrap(), Cancellation::Canceled);
    assert_eq!(store.run(queued).await.unwrap().unwrap().status, RunStatus::Canceled);
    let error = store.cancel_run(RunId(queued.0 + 100), at(7)).await.unwrap_err();
    assert!(matches!(error, StoreError::NotFound(_)), "{error:?}");

    // A running step whose executor died is canceled once its lease expires.
    let orphan = store.create_run(&new_run(&[("z", None, &[])])).await.unwrap();
    claim_in(&store, "dead", Some(orphan), 1, at(8)).await;
    store.cancel_run(orphan, at(9)).await.unwrap();
    store.expire_leases(at(8 + 31)).await.unwrap();
    assert_eq!(store.run(orphan).await.unwrap().unwrap().status, RunStatus::Canceled);
}

async fn released_steps_are_claimed_again(db: &TestDb) {
    let store = db.store().await;
    let id = store.create_run(&new_run(&[("a", None, &[]), ("b", None, &[])])).await.unwrap();
    let held = claim(&store, "stopping", 10, at(1)).await;
    let leases: Vec<_> = held.iter().map(|c| c.lease.clone()).collect();
    assert_eq!(store.release_steps(&leases, at(2)).await.unwrap(), 2);
    assert_eq!(store.release_steps(&leases, at(2)).await.unwrap(), 0, "released leases are not held any more");
    let again = claim(&store, "other", 10, at(3)).await;
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|c| c.lease.attempt == 2 && c.lease.owner == "other"));
    assert_eq!(store.run(id).await.unwrap().unwrap().status, RunStatus::Started);
    // Releasing a step of a canceling run cancels it (and ends the run).
    store.cancel_run(id, at(4)).await.unwrap();
    let leases: Vec<_> = again.iter().map(|c| c.lease.clone()).collect();
    store.release_steps(&leases, at(5)).await.unwrap();
    assert_eq!(store.run(id).await.unwrap().unwrap().status, RunStatus::Canceled);
}

async fn dead_owners_are_replaced_at_once(db: &TestDb) {
    let store = db.store().await;
    store.create_run(&new_run(&[("a", None, &[])])).await.unwrap();
    let held = claim(&store, "host:1:x", 1, at(1)).await.remove(0);
    assert!(store.expire_lease_of_dead_owner(&held.lease, at(2)).await.unwrap());
    assert!(!store.expire_lease_of_dead_owner(&held.lease, at(2)).await.unwrap(), "already done");
    let again = claim(&store, "host:2:y", 1, at(3)).await;
    assert_eq!(again[0].lease.attempt, 2, "claimable before its lease would have expired");
    assert!(!store.expire_lease_of_dead_owner(&held.lease, at(4)).await.unwrap(), "a newer attempt is left alone");
    assert_eq!(store.running_steps(None).await.unwrap().len(), 1);
}

/// Three executors claim and finish steps of a 150-step run (three chains
/// of daily partitions feeding a summary) at the same time: each step is
/// claimed and materialized exactly once, and every executor did some.
async fn concurrent_executors_run_each_step_exactly_once(db: &TestDb) {
    const DAYS: usize = 50;
    let store = db.store().await;
    let mut steps: Vec<(String, Option<String>, Vec<usize>)> = Vec::new();
    for day in 0..DAYS {
        steps.push(("raw".into(), Some(format!("d{day:03}")), vec![]));
    }
    for day in 0..DAYS {
        steps.push(("clean".into(), Some(format!("d{day:03}")), vec![day]));
    }
    for day in 0..DAYS - 1 {
        steps.push(("rolling".into(), Some(format!("d{day:03}")), vec![DAYS + day, DAYS + day + 1]));
    }
    steps.push(("summary".into(), None, (2 * DAYS..3 * DAYS - 1).collect()));
    let borrowed: Vec<(&str, Option<&str>, &[usize])> =
        steps.iter().map(|(a, p, w)| (a.as_str(), p.as_deref(), w.as_slice())).collect();
    let id = store.create_run(&new_run(&borrowed)).await.unwrap();
    let done = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for worker in 0..3 {
        let store = store.clone();
        let done = done.clone();
        workers.push(tokio::spawn(async move {
            let owner = format!("worker-{worker}");
            let request = |limit, now| ClaimRequest {
                owner: &owner,
                project: PROJECT,
                run: None,
                limit,
                lease: Duration::from_secs(60),
                now,
            };
            // Workers 1 and 2 claim their next step as they record the end
            // of one (as executors do), worker 0 in claims of its own.
            let claims_with_ends = worker > 0;
            let mut mine = 0;
            let mut held: Vec<cairn_store::ClaimedStep> = Vec::new();
            loop {
                if held.is_empty() {
                    held = store.claim_steps(&request(2, chrono::Utc::now())).await.expect("claim");
                }
                let Some(step) = held.pop() else {
                    if store.run(id).await.unwrap().unwrap().status.is_finished() {
                        return mine;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                // The step's work, during which the others claim. Long
                // enough to leave SQLite's one write lock free part of the
                // time: two workers committing back to back would keep a
                // third waiting in SQLite's busy handler, which retries
                // only every few tens of milliseconds.
                tokio::time::sleep(Duration::from_millis(5)).await;
                let t = &step.step.target;
                let m = materialization(t.asset.as_str(), t.partition.as_ref().map(|p| p.as_str()), &owner, vec![]);
                if claims_with_ends {
                    let outcome = StepOutcome::Materialized { materialization: m, checks: vec![], data_changed: true };
                    let now = chrono::Utc::now();
                    let (_, next) = store
                        .finish_step_and_claim(&step.lease, t, &outcome, &[], now, Some(&request(1, now)))
                        .await
                        .expect("finish and claim");
                    held.extend(next);
                } else {
                    materialize(&store, &step, m, vec![]).await;
                }
                done.lock().unwrap().push(t.to_string());
                mine += 1;
            }
        }));
    }
    let mut per_worker = Vec::new();
    for worker in workers {
        per_worker.push(worker.await.expect("worker"));
    }
    let done = done.lock().unwrap().clone();
    let unique: HashSet<&String> = done.iter().collect();
    assert_eq!(done.len(), steps.len(), "every step once");
    assert_eq!(unique.len(), steps.len(), "no step twice");
    assert!(per_worker.iter().all(|&n| n > 0), "every worker did some: {per_worker:?}");
    let run = store.run(id).await.unwrap().unwrap();
    assert_eq!((run.status, run.materialized_steps), (RunStatus::Success, steps.len() as i64));
    for asset_key in ["raw", "clean", "rolling", "summary"] {
        let history = store.materialization_history(&asset(asset_key), 1_000).await.unwrap();
        let partitions: HashSet<_> = history.iter().map(|m| m.partition.clone()).collect();
        assert_eq!(partitions.len(), history.len(), "one materialization per partition of {asset_key}");
    }
    let starts = store.run_events(id).await.unwrap().iter().filter(|e| e.kind == EventKind::StepStart).count();
    assert_eq!(starts, steps.len(), "one claim per step");
}

/// Writers append events concurrently while a follower reads after its
/// cursor: the follower sees every event exactly once, in sequence order,
/// with no gaps.
async fn event_cursor_misses_nothing_under_concurrent_writers(db: &TestDb) {
    const WRITERS: usize = 4;
    const PER_WRITER: usize = 60;
    let store = db.store().await;
    let run = store.create_run(&new_run(&[])).await.unwrap();
    let start = store.last_event_seq().await.unwrap();
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            for index in 0..PER_WRITER {
                let batch: Vec<NewEvent> = (0..1 + index % 3)
                    .map(|k| NewEvent::log(run, EventLevel::Info, format!("w{writer}-{index}-{k}"), at(1)))
                    .collect();
                store.append_events(&batch).await.expect("append");
            }
        }));
    }
    let follower = {
        let store = store.clone();
        tokio::spawn(async move {
            let filter = EventFilter { run: Some(run), ..EventFilter::default() };
            let expected: usize = WRITERS * (0..PER_WRITER).map(|i| 1 + i % 3).sum::<usize>();
            let mut cursor = start;
            let mut seen = Vec::new();
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while seen.len() < expected {
                assert!(std::time::Instant::now() < deadline, "follower saw {} of {expected}", seen.len());
                for event in store.events_after(cursor, &filter, 50).await.expect("follow") {
                    assert_eq!(event.seq, cursor + 1, "no gap and no repeat after {cursor}");
                    cursor = event.seq;
                    seen.push(event.message);
                }
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    for writer in writers {
        writer.await.expect("writer");
    }
    let seen = follower.await.expect("follower");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
    // Each writer's events appear in the order it wrote them.
    for writer in 0..WRITERS {
        let mine: Vec<&String> = seen.iter().filter(|m| m.starts_with(&format!("w{writer}-"))).collect();
        let mut sorted = mine.clone();
        sorted.sort_by_key(|m| m.split('-').skip(1).map(|n| n.parse::<usize>().unwrap()).collect::<Vec<_>>());
        assert_eq!(mine, sorted);
    }
}

async fn steps_of_other_projects_are_never_claimed(db: &TestDb) {
    let store = db.store().await;
    let mut other: NewRun = new_run(&[("a", None, &[])]);
    other.project = "another".to_owned();
    store.create_run(&other).await.unwrap();
    assert!(claim(&store, "x", 10, at(1)).await.is_empty());
}
