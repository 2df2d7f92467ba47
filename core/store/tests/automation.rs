//! Declarative automation's records (`MetadataStore::record_automation_tick`,
//! `automation_ticks`, `automation_evaluations`, `automation_cursors`), the
//! named lease that elects one evaluator (`acquire_lease`,
//! `release_lease`), pauses, and the pruning of old ticks, on SQLite and
//! PostgreSQL: a tick reads back whole; cursors are replaced, never
//! duplicated; a lease has one holder until it expires or is released,
//! even when two processes race for it.

mod common;

use cairn_core::AssetKey;
use cairn_store::{
    AutomationEvaluationRecord, AutomationTickRecord, AutomationTickStatus, MetadataStore, NewAutomationEvaluation,
    NewAutomationTick, PruneCutoffs, RunId,
};
use chrono::TimeDelta;
use common::*;
use sea_orm::ConnectionTrait;

on_both_backends!(
    a_tick_reads_back_with_its_evaluations_and_cursors,
    cursors_are_replaced_not_duplicated,
    an_assets_evaluations_are_newest_first,
    a_lease_has_one_holder_until_it_expires_or_is_released,
    racing_processes_get_the_lease_once,
    pauses_are_idempotent,
    pruning_removes_old_ticks_with_their_evaluations
);

fn evaluation(asset_key: &str, requested: i64, candidates: i64) -> NewAutomationEvaluation {
    NewAutomationEvaluation {
        asset: asset(asset_key),
        requested,
        candidates,
        result: format!(r#"{{"asset":"{asset_key}","requested":{requested}}}"#),
    }
}

/// A successful tick of `w1` that finished at `finished` (seconds, see
/// `at`), requesting `run`, with `evaluations` and no cursors.
fn tick(finished: i64, run: Option<i64>, evaluations: Vec<NewAutomationEvaluation>) -> NewAutomationTick {
    NewAutomationTick {
        owner: "w1:42".to_owned(),
        started_at: at(finished - 1),
        finished_at: at(finished),
        status: AutomationTickStatus::Success,
        run_id: run.map(RunId),
        requested: evaluations.iter().map(|e| e.requested).sum(),
        error: None,
        evaluations,
        cursors: Vec::new(),
    }
}

fn cursors(pairs: &[(&str, &str)]) -> Vec<(AssetKey, String)> {
    pairs.iter().map(|(asset_key, cursor)| (asset(asset_key), (*cursor).to_owned())).collect()
}

async fn stored_cursors(store: &MetadataStore) -> Vec<(String, String)> {
    store.automation_cursors().await.unwrap().into_iter().map(|(asset, cursor)| (asset.to_string(), cursor)).collect()
}

async fn a_tick_reads_back_with_its_evaluations_and_cursors(db: &TestDb) {
    let store = db.store().await;
    assert!(store.automation_ticks(10).await.unwrap().is_empty());
    assert!(store.automation_cursors().await.unwrap().is_empty());

    let nanoseconds = TimeDelta::nanoseconds(789);
    let new = NewAutomationTick {
        owner: "host-a:4242".to_owned(),
        // Nanoseconds are cut on the way in: both databases keep microseconds.
        started_at: at(10) + nanoseconds,
        finished_at: at(12) + nanoseconds,
        status: AutomationTickStatus::Success,
        run_id: Some(RunId(7)),
        requested: 3,
        error: None,
        evaluations: vec![evaluation("a", 2, 5), evaluation("raw/b", 1, 1)],
        cursors: cursors(&[("raw/b", r#"{"b":1}"#), ("a", r#"{"a":1}"#)]),
    };
    let id = store.record_automation_tick(&new).await.unwrap();
    let failed = NewAutomationTick {
        owner: "host-b:7".to_owned(),
        started_at: at(20),
        finished_at: at(21),
        status: AutomationTickStatus::Failure,
        run_id: None,
        requested: 0,
        error: Some("condition of `a` failed: boom".to_owned()),
        evaluations: Vec::new(),
        cursors: Vec::new(),
    };
    let failed_id = store.record_automation_tick(&failed).await.unwrap();
    assert!(failed_id > id, "ids grow: {failed_id} after {id}");

    let ticks = store.automation_ticks(10).await.unwrap();
    assert_eq!(
        ticks,
        [
            AutomationTickRecord {
                id: failed_id,
                owner: "host-b:7".to_owned(),
                started_at: at(20),
                finished_at: at(21),
                status: AutomationTickStatus::Failure,
                run_id: None,
                requested: 0,
                error: Some("condition of `a` failed: boom".to_owned()),
                evaluations: 0,
            },
            AutomationTickRecord {
                id,
                owner: "host-a:4242".to_owned(),
                started_at: at(10),
                finished_at: at(12),
                status: AutomationTickStatus::Success,
                run_id: Some(RunId(7)),
                requested: 3,
                error: None,
                evaluations: 2,
            },
        ]
    );
    assert_eq!(store.automation_ticks(1).await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), [failed_id]);

    let of_b = store.automation_evaluations(&asset("raw/b"), 10).await.unwrap();
    assert_eq!(of_b.len(), 1);
    assert_eq!(
        of_b[0],
        AutomationEvaluationRecord {
            id: of_b[0].id,
            tick_id: id,
            asset: asset("raw/b"),
            evaluated_at: at(12),
            requested: 1,
            candidates: 1,
            run_id: Some(RunId(7)),
            result: r#"{"asset":"raw/b","requested":1}"#.to_owned(),
        }
    );
    assert_eq!(
        stored_cursors(&store).await,
        [("a".to_owned(), r#"{"a":1}"#.to_owned()), ("raw/b".to_owned(), r#"{"b":1}"#.to_owned())],
        "in asset order"
    );
}

async fn cursors_are_replaced_not_duplicated(db: &TestDb) {
    let store = db.store().await;
    let mut first = tick(10, None, Vec::new());
    first.cursors = cursors(&[("a", "a1"), ("b", "b1")]);
    store.record_automation_tick(&first).await.unwrap();

    let mut second = tick(20, None, Vec::new());
    // `a` advances, `b` is not named and keeps its cursor, `c` is new and
    // named twice: the last one wins.
    second.cursors = cursors(&[("a", "a2"), ("c", "c1"), ("c", "c2")]);
    store.record_automation_tick(&second).await.unwrap();
    assert_eq!(
        stored_cursors(&store).await,
        [("a".to_owned(), "a2".to_owned()), ("b".to_owned(), "b1".to_owned()), ("c".to_owned(), "c2".to_owned())]
    );
}

async fn an_assets_evaluations_are_newest_first(db: &TestDb) {
    let store = db.store().await;
    let t1 = store.record_automation_tick(&tick(100, Some(1), vec![evaluation("a", 1, 1)])).await.unwrap();
    let t2 = store.record_automation_tick(&tick(200, None, vec![evaluation("b", 4, 4)])).await.unwrap();
    let both = vec![evaluation("b", 2, 6), evaluation("a", 0, 2)];
    let t3 = store.record_automation_tick(&tick(300, Some(3), both)).await.unwrap();
    let t4 = store.record_automation_tick(&tick(400, Some(4), vec![evaluation("a", 5, 9)])).await.unwrap();

    let seen = |records: Vec<AutomationEvaluationRecord>| {
        records
            .into_iter()
            .map(|r| {
                assert_eq!(r.asset, asset("a"), "only `a`'s evaluations");
                (r.tick_id, r.evaluated_at, r.run_id, r.requested, r.candidates)
            })
            .collect::<Vec<_>>()
    };
    let all = seen(store.automation_evaluations(&asset("a"), 10).await.unwrap());
    assert_eq!(
        all,
        [(t4, at(400), Some(RunId(4)), 5, 9), (t3, at(300), Some(RunId(3)), 0, 2), (t1, at(100), Some(RunId(1)), 1, 1),]
    );
    let latest = seen(store.automation_evaluations(&asset("a"), 2).await.unwrap());
    assert_eq!(latest, all[..2], "the limit keeps the newest");

    let of_b = store.automation_evaluations(&asset("b"), 10).await.unwrap();
    assert_eq!(of_b.iter().map(|r| (r.tick_id, r.run_id)).collect::<Vec<_>>(), [(t3, Some(RunId(3))), (t2, None)]);
    assert!(store.automation_evaluations(&asset("c"), 10).await.unwrap().is_empty());
}

async fn a_lease_has_one_holder_until_it_expires_or_is_released(db: &TestDb) {
    let store = db.store().await;
    let lease = "automation";
    assert!(store.acquire_lease(lease, "A", at(0), at(30)).await.unwrap(), "a free lease is taken");
    assert!(!store.acquire_lease(lease, "B", at(10), at(40)).await.unwrap(), "A holds it until 30");
    assert!(store.acquire_lease(lease, "A", at(20), at(50)).await.unwrap(), "its holder renews it");
    assert!(!store.acquire_lease(lease, "B", at(45), at(75)).await.unwrap(), "renewed until 50");
    assert!(store.acquire_lease(lease, "B", at(50), at(80)).await.unwrap(), "expired at 50: B takes it over");
    assert!(!store.acquire_lease(lease, "A", at(51), at(81)).await.unwrap(), "B holds it now");

    // Other leases are independent.
    assert!(store.acquire_lease("other", "A", at(51), at(81)).await.unwrap());

    // Only the holder's release counts; then the lease is free at once.
    store.release_lease(lease, "A").await.unwrap();
    assert!(!store.acquire_lease(lease, "A", at(52), at(82)).await.unwrap(), "A released nothing");
    store.release_lease(lease, "B").await.unwrap();
    assert!(store.acquire_lease(lease, "A", at(53), at(83)).await.unwrap(), "released before its expiry at 80");
    assert!(!store.acquire_lease("other", "B", at(53), at(83)).await.unwrap(), "A still holds `other`");
}

async fn racing_processes_get_the_lease_once(db: &TestDb) {
    let (one, two) = (db.store().await, db.store().await);
    for round in 0..20 {
        let name = format!("lease-{round}");
        // A free lease, then (same name) an expired one.
        for (now, until) in [(at(0), at(30)), (at(30), at(60))] {
            let (first, second) =
                tokio::join!(one.acquire_lease(&name, "one", now, until), two.acquire_lease(&name, "two", now, until));
            let (first, second) = (first.unwrap(), second.unwrap());
            assert!(first ^ second, "round {round} at {now}: exactly one holder, got {first} and {second}");
        }
    }
}

async fn pauses_are_idempotent(db: &TestDb) {
    let store = db.store().await;
    let paused = store.automation_pauses().await.unwrap();
    assert!(!paused.all && paused.assets.is_empty());

    store.set_automation_paused(Some(&asset("a")), true, at(0)).await.unwrap();
    store.set_automation_paused(Some(&asset("a")), true, at(1)).await.unwrap();
    store.set_automation_paused(Some(&asset("raw/b")), true, at(2)).await.unwrap();
    let paused = store.automation_pauses().await.unwrap();
    assert!(!paused.all);
    assert_eq!(paused.assets.iter().map(AssetKey::as_str).collect::<Vec<_>>(), ["a", "raw/b"]);
    assert!(paused.is_paused(&asset("a")) && !paused.is_paused(&asset("c")));

    store.set_automation_paused(None, true, at(3)).await.unwrap();
    store.set_automation_paused(None, true, at(4)).await.unwrap();
    store.set_automation_paused(Some(&asset("a")), false, at(5)).await.unwrap();
    store.set_automation_paused(Some(&asset("a")), false, at(6)).await.unwrap();
    let paused = store.automation_pauses().await.unwrap();
    assert!(paused.all, "every asset is paused");
    assert!(paused.is_paused(&asset("c")));
    assert_eq!(paused.assets.iter().map(AssetKey::as_str).collect::<Vec<_>>(), ["raw/b"]);

    store.set_automation_paused(None, false, at(7)).await.unwrap();
    store.set_automation_paused(None, false, at(8)).await.unwrap();
    let paused = store.automation_pauses().await.unwrap();
    assert!(!paused.all, "resumed");
    assert_eq!(paused.assets.iter().map(AssetKey::as_str).collect::<Vec<_>>(), ["raw/b"], "single pauses stay");
    assert!(!paused.is_paused(&asset("a")) && paused.is_paused(&asset("raw/b")));
}

async fn pruning_removes_old_ticks_with_their_evaluations(db: &TestDb) {
    let store = db.store().await;
    let mut ids = Vec::new();
    for finished in [100, 200, 250, 300] {
        let evaluations = vec![evaluation("a", 1, 1), evaluation("b", 1, 2)];
        ids.push(store.record_automation_tick(&tick(finished, None, evaluations)).await.unwrap());
    }
    let ticks = |store: MetadataStore| async move {
        store.automation_ticks(10).await.unwrap().into_iter().map(|t| t.id).collect::<Vec<_>>()
    };

    // Without an events cut-off, ticks are kept.
    let cutoffs = PruneCutoffs { events_before: None, run_steps_before: Some(at(1_000)), superseded_before: None };
    assert_eq!(store.prune(&cutoffs).await.unwrap().automation_ticks, 0);
    assert_eq!(ticks(store.clone()).await.len(), 4);

    let cutoffs = PruneCutoffs { events_before: Some(at(250)), ..PruneCutoffs::default() };
    let report = store.prune(&cutoffs).await.unwrap();
    assert_eq!(report.automation_ticks, 2, "ticks that finished before 250: {report:?}");
    assert_eq!(ticks(store.clone()).await, [ids[3], ids[2]], "the tick that finished at the cut-off stays");
    let of_a = store.automation_evaluations(&asset("a"), 10).await.unwrap();
    assert_eq!(of_a.iter().map(|e| e.tick_id).collect::<Vec<_>>(), [ids[3], ids[2]]);

    // Their evaluations are gone, not only hidden by the join with ticks.
    let raw = db.raw().await;
    let row = raw
        .query_one_raw(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            "SELECT COUNT(*) AS n FROM automation_evaluations",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 4, "two kept ticks of two evaluations");

    assert_eq!(store.prune(&cutoffs).await.unwrap().automation_ticks, 0, "nothing more to prune");
}
