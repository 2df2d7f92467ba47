//! The executor registry on both backends: registration (again after a
//! restart with the same id), heartbeats, a clean stop, a lost executor,
//! the steps each holds, and the window of the listing.

mod common;

use cairn_store::{ExecutorStatus, NewExecutor, RunId};
use common::*;

on_both_backends!(executors_register_beat_stop_and_get_lost);

fn executor(id: &str, run: Option<RunId>) -> NewExecutor {
    NewExecutor { id: id.to_owned(), host: "box".to_owned(), pid: 42, run, concurrency: 3, lease_ms: 2_000 }
}

async fn executors_register_beat_stop_and_get_lost(db: &TestDb) {
    let store = db.store().await;
    let run = store.create_run(&new_run(&[("a", None, &[]), ("b", None, &[])])).await.unwrap();
    store.register_executor(&executor("w1", None), at(0)).await.unwrap();
    store.register_executor(&executor("m1", Some(run)), at(1)).await.unwrap();
    store.register_executor(&executor("old", None), at(-100_000)).await.unwrap();
    claim_in(&store, "w1", Some(run), 2, at(1)).await;

    assert!(store.executor_heartbeat("w1", at(3)).await.unwrap());
    assert!(!store.executor_heartbeat("nobody", at(3)).await.unwrap(), "an unknown executor is said so");
    let listed = store.executors(at(-60), at(4)).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|e| e.executor.id.as_str()).collect();
    assert_eq!(ids, ["m1", "w1"], "newest start first, only those seen in the window");
    let (m1, w1) = (&listed[0], &listed[1]);
    assert_eq!(w1.executor, executor("w1", None));
    assert_eq!(
        (w1.status, w1.running_steps, w1.heartbeat_at, w1.started_at),
        (ExecutorStatus::Running, 2, at(3), at(0))
    );
    // m1 beat last at 1 s: at 4 s its 2 s lease has passed.
    assert_eq!((m1.status, m1.executor.run, m1.running_steps), (ExecutorStatus::Lost, Some(run), 0));

    store.executor_stopped("w1", at(5)).await.unwrap();
    assert!(!store.executor_heartbeat("w1", at(6)).await.unwrap(), "a stopped executor does not beat");
    let w1 = store.executors(at(-60), at(600)).await.unwrap().into_iter().find(|e| e.executor.id == "w1").unwrap();
    assert_eq!((w1.status, w1.stopped_at), (ExecutorStatus::Stopped, Some(at(5))));

    // The same id registered again (a restarted process that reuses it)
    // runs again; its start stays the first one.
    store.register_executor(&executor("w1", None), at(10)).await.unwrap();
    let w1 = store.executors(at(-60), at(11)).await.unwrap().into_iter().find(|e| e.executor.id == "w1").unwrap();
    assert_eq!(
        (w1.status, w1.stopped_at, w1.heartbeat_at, w1.started_at),
        (ExecutorStatus::Running, None, at(10), at(0))
    );
}
