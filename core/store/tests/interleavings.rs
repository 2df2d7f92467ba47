//! A step's end and the take-back of its expired lease, interleaved at
//! every point between the statements of either transaction: one store
//! handle (its own connections) pauses at a named point while another
//! runs the other operation to its end or until the database makes it
//! wait. Whatever the order, exactly one of the two takes effect, the
//! run's counters equal its steps, and the run ends with one
//! materialization per asset partition. Then, on PostgreSQL, a
//! transaction left idle (its process stopped) holds nobody up for longer
//! than `WRITE_IDLE_TIMEOUT`. Both backends (see `common`) but for that
//! last one.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cairn_store::{
    ClaimedStep, EventKind, PauseHook, RunStatus, StepOutcome, StepStatus, StoreError, WRITE_IDLE_TIMEOUT, with_pauses,
};
use common::*;
use tokio::sync::oneshot;

on_both_backends!(an_end_and_a_take_back_interleave_at_every_point, counters_that_drift_never_end_a_run_early);

/// The pause points of a step's end (`finish_step`), in order.
const END_POINTS: [&str; 5] = [
    "finish: begun",
    "finish: materialization inserted",
    "finish: step updated",
    "finish: run counted",
    "finish: committing",
];

/// The pause points of a take-back (`expire_leases`), in order.
const TAKE_BACK_POINTS: [&str; 4] =
    ["take back: begun", "take back: step updated", "take back: run read", "take back: committing"];

/// How long the paused transaction waits for the other operation: past
/// that, the other one is waiting on the paused one's locks. Below
/// `WRITE_IDLE_TIMEOUT`, so PostgreSQL keeps the paused session.
const OTHER_SIDE_WAIT: Duration = Duration::from_millis(600);

/// Which operation pauses.
#[derive(Debug, Clone, Copy)]
enum Paused {
    End(&'static str),
    TakeBack(&'static str),
}

/// A hook that, at `point`, says so on `reached` and waits for `go`.
fn pause_at(point: &'static str, reached: oneshot::Sender<()>, go: oneshot::Receiver<()>) -> PauseHook {
    let channels = Arc::new(Mutex::new(Some((reached, go))));
    Arc::new(move |name| {
        let taken = if name == point { channels.lock().unwrap().take() } else { None };
        Box::pin(async move {
            if let Some((reached, go)) = taken {
                let _ = reached.send(());
                let _ = go.await;
            }
        })
    })
}

fn end_of(claimed: &ClaimedStep) -> StepOutcome {
    let target = &claimed.step.target;
    StepOutcome::Materialized {
        materialization: materialization(target.asset.as_str(), None, "from-owner", vec![]),
        checks: vec![check("rows", true)],
        data_changed: true,
    }
}

async fn an_end_and_a_take_back_interleave_at_every_point(db: &TestDb) {
    let owner_store = db.store().await;
    let other_store = db.store().await;
    let cases = END_POINTS.iter().map(|&p| Paused::End(p)).chain(TAKE_BACK_POINTS.iter().map(|&p| Paused::TakeBack(p)));
    for (index, paused) in cases.enumerate() {
        let contested = format!("contested_{index}");
        let run = owner_store
            .create_run(&new_run(&[(contested.as_str(), None, &[]), (&format!("after_{index}"), None, &[0])]))
            .await
            .unwrap();
        let claimed = claim_in(&owner_store, "owner", Some(run), 1, at(0)).await.remove(0);
        let outcome = end_of(&claimed);
        // The lease (30 s) has expired at 31 s: the owner is late, and
        // the take-back is entitled to requeue the step if it is first.
        let end = {
            let store = owner_store.clone();
            let claimed = claimed.clone();
            async move { store.finish_step(&claimed.lease, &claimed.step.target, &outcome, &[], at(40)).await }
        };
        let take_back = {
            let store = other_store.clone();
            async move { store.expire_leases(at(31)).await }
        };
        let (reached_tx, reached) = oneshot::channel();
        let (go, go_rx) = oneshot::channel();
        let (point, end, take_back) = match paused {
            Paused::End(point) => {
                let end = tokio::spawn(with_pauses(pause_at(point, reached_tx, go_rx), end));
                tokio::time::timeout(Duration::from_secs(10), reached)
                    .await
                    .expect("the end reaches its point")
                    .unwrap();
                (point, end, tokio::spawn(take_back))
            }
            Paused::TakeBack(point) => {
                let take_back = tokio::spawn(with_pauses(pause_at(point, reached_tx, go_rx), take_back));
                tokio::time::timeout(Duration::from_secs(10), reached)
                    .await
                    .expect("the take-back reaches its point")
                    .unwrap();
                (point, tokio::spawn(end), take_back)
            }
        };
        // The other operation runs while the paused one waits at `point`.
        let other_finished = || match paused {
            Paused::End(_) => take_back.is_finished(),
            Paused::TakeBack(_) => end.is_finished(),
        };
        let waited = Instant::now();
        while !other_finished() && waited.elapsed() < OTHER_SIDE_WAIT {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        go.send(()).unwrap();
        let end = end.await.unwrap();
        let taken_back = take_back.await.unwrap().expect("the take-back never fails");

        let steps = owner_store.run_steps(run).await.unwrap();
        let record = owner_store.run(run).await.unwrap().unwrap();
        let history = owner_store.materialization_history(&asset(&contested), 10).await.unwrap();
        let end_won = match (&end, taken_back) {
            (Ok(_), 0) => true,
            (Err(StoreError::LeaseLost { .. }), 1) => false,
            other => panic!("{paused:?}: the end and the take-back both took effect, or neither: {other:?}"),
        };
        if end_won {
            assert_eq!(steps[0].status, StepStatus::Materialized, "{paused:?}");
            assert_eq!(history.len(), 1, "{paused:?}");
            assert_eq!(record.materialized_steps, 1, "{paused:?}");
        } else {
            assert_eq!((steps[0].status, steps[0].attempt), (StepStatus::Queued, 1), "{paused:?}");
            assert!(history.is_empty(), "{paused:?}: a step taken back has no materialization");
            assert_eq!(record.materialized_steps, 0, "{paused:?}");
            assert!(owner_store.run_check_results(run).await.unwrap().is_empty(), "{paused:?}");
        }
        // Once a transaction has changed the step, the other one waits for
        // it and then finds the step moved on: on both backends.
        let past_the_step = END_POINTS[2..].contains(&point) || TAKE_BACK_POINTS[1..].contains(&point);
        if past_the_step {
            assert_eq!(
                end_won,
                matches!(paused, Paused::End(_)),
                "{paused:?}: the transaction that changed the step first wins"
            );
        }

        // Whoever won, the run finishes with one materialization per asset
        // partition and counters equal to its steps.
        while let Some(next) = claim_in(&other_store, "finisher", Some(run), 1, at(50)).await.pop() {
            let target = next.step.target.clone();
            materialize(
                &other_store,
                &next,
                materialization(target.asset.as_str(), None, "from-finisher", vec![]),
                vec![],
            )
            .await;
        }
        let record = owner_store.run(run).await.unwrap().unwrap();
        let steps = owner_store.run_steps(run).await.unwrap();
        assert_eq!(record.status, RunStatus::Success, "{paused:?}");
        assert!(steps.iter().all(|s| s.status == StepStatus::Materialized), "{paused:?}: {steps:?}");
        assert_eq!((record.planned_steps, record.materialized_steps, record.skipped_steps), (2, 2, 0), "{paused:?}");
        for step in &steps {
            let history = owner_store.materialization_history(&step.target.asset, 10).await.unwrap();
            assert_eq!(history.len(), 1, "{paused:?}: one materialization of {}", step.target);
        }
        let events = owner_store.run_events(run).await.unwrap();
        let successes = events.iter().filter(|e| e.kind == EventKind::RunSuccess).count();
        assert_eq!(successes, 1, "{paused:?}");
    }
}

async fn counters_that_drift_never_end_a_run_early(db: &TestDb) {
    let store = db.store().await;
    let run = store.create_run(&new_run(&[("a", None, &[]), ("b", None, &[]), ("c", None, &[])])).await.unwrap();
    // A counter counts one step too many (a bug or a hand edit): after two
    // of the three steps the counters reach the plan.
    let raw = db.raw().await;
    use sea_orm::ConnectionTrait;
    raw.execute_unprepared(&format!("UPDATE runs SET skipped_steps = 1 WHERE id = {}", run.0)).await.unwrap();
    let claimed = claim_in(&store, "x", Some(run), 3, at(0)).await;
    assert_eq!(claimed.len(), 3);
    for step in &claimed[..2] {
        materialize(&store, step, materialization(step.step.target.asset.as_str(), None, "v", vec![]), vec![]).await;
    }
    let record = store.run(run).await.unwrap().unwrap();
    assert_eq!(record.status, RunStatus::Started, "a step is still running: the run goes on");
    assert_eq!((record.materialized_steps, record.skipped_steps), (2, 0), "the counters were corrected from the steps");
    let last = &claimed[2];
    materialize(&store, last, materialization(last.step.target.asset.as_str(), None, "v", vec![]), vec![]).await;
    let record = store.run(run).await.unwrap().unwrap();
    assert_eq!((record.status, record.materialized_steps, record.skipped_steps), (RunStatus::Success, 3, 0));
}

/// PostgreSQL only: SQLite has one writer at a time and no server that
/// could end a stopped writer's transaction (README says so).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transaction_left_idle_holds_nobody_up_past_the_idle_timeout() {
    let db = TestDb::postgres().await;
    let paused_store = db.store().await;
    let other_store = db.store().await;
    let run = paused_store.create_run(&new_run(&[("held", None, &[]), ("free", None, &[])])).await.unwrap();
    let claimed = claim_in(&paused_store, "x", Some(run), 2, at(0)).await;
    let (held, free) = (claimed[0].clone(), claimed[1].clone());
    // The first end stops with the run's row locked, for three times the
    // idle timeout (a process stopped by SIGSTOP inside a transaction).
    let (reached_tx, reached) = oneshot::channel();
    let (go, go_rx) = oneshot::channel();
    let hook = pause_at("finish: run counted", reached_tx, go_rx);
    let held_end = {
        let store = paused_store.clone();
        let held = held.clone();
        let outcome = end_of(&held);
        tokio::spawn(with_pauses(hook, async move {
            store.finish_step(&held.lease, &held.step.target, &outcome, &[], at(5)).await
        }))
    };
    reached.await.unwrap();
    let started = Instant::now();
    let outcome = end_of(&free);
    let free_end = other_store.finish_step(&free.lease, &free.step.target, &outcome, &[], at(5)).await;
    let waited = started.elapsed();
    assert!(free_end.is_ok(), "{free_end:?}");
    assert!(
        waited < WRITE_IDLE_TIMEOUT * 3,
        "the other step's end waited {waited:?}: the stopped transaction must be ended after {WRITE_IDLE_TIMEOUT:?}"
    );
    tokio::time::sleep((WRITE_IDLE_TIMEOUT * 3).saturating_sub(waited)).await;
    go.send(()).unwrap();
    // The stopped process wakes up: its transaction is gone, said as a
    // transient error; nothing of it was recorded; doing it again works.
    let error = held_end.await.unwrap().expect_err("the session was ended");
    assert!(error.is_transient(), "{error}");
    assert!(paused_store.materialization_history(&asset("held"), 10).await.unwrap().is_empty());
    assert_eq!(paused_store.run(run).await.unwrap().unwrap().materialized_steps, 1);
    let outcome = end_of(&held);
    paused_store.finish_step(&held.lease, &held.step.target, &outcome, &[], at(6)).await.unwrap();
    let record = paused_store.run(run).await.unwrap().unwrap();
    assert_eq!((record.status, record.materialized_steps), (RunStatus::Success, 2));
}
