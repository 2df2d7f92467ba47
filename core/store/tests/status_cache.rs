//! The asset status cache's rows (`MetadataStore::status_cache`,
//! `write_status_cache`) and the assets changed after a cursor
//! (`assets_changed_since`), on SQLite and PostgreSQL: writes are
//! compare-and-set on the row's sequence number, so a writer that read an
//! older row never overwrites a newer one; the assets an event touched are
//! named with their latest event; a pruned cursor is refused.

mod common;

use std::collections::BTreeSet;

use cairn_store::{PruneCutoffs, StatusCacheWrite, StoreError};
use common::*;

on_both_backends!(writes_are_compare_and_set, changed_assets_follow_the_event_log);

fn write(asset_key: &str, expected_seq: Option<i64>, seq: i64, value: Option<&str>) -> StatusCacheWrite {
    StatusCacheWrite {
        asset: asset(asset_key),
        expected_seq,
        seq,
        value: value.map(|v| (format!("fp-{v}"), v.to_owned())),
    }
}

async fn rows(store: &cairn_store::MetadataStore) -> Vec<(String, i64, String)> {
    store
        .status_cache(None)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| {
            assert_eq!(entry.fingerprint, format!("fp-{}", entry.value));
            (entry.asset.as_str().to_owned(), entry.seq, entry.value)
        })
        .collect()
}

async fn writes_are_compare_and_set(db: &TestDb) {
    let store = db.store().await;
    assert!(rows(&store).await.is_empty());
    let applied = store.write_status_cache(&[write("a", None, 5, Some("a5")), write("b", None, 5, Some("b5"))]).await;
    assert_eq!(applied.unwrap(), 2);
    assert_eq!(rows(&store).await, [("a".into(), 5, "a5".into()), ("b".into(), 5, "b5".into())]);

    // Another writer inserted `a` first: this insert is skipped.
    assert_eq!(store.write_status_cache(&[write("a", None, 6, Some("late"))]).await.unwrap(), 0);
    // Updates apply only to the row as read.
    assert_eq!(store.write_status_cache(&[write("a", Some(4), 9, Some("stale read"))]).await.unwrap(), 0);
    assert_eq!(store.write_status_cache(&[write("a", Some(5), 9, Some("a9"))]).await.unwrap(), 1);
    // Moving the sequence number only keeps the value; again only as read.
    let moved = store.write_status_cache(&[write("b", Some(5), 12, None), write("a", Some(5), 12, None)]).await;
    assert_eq!(moved.unwrap(), 1, "b moves, a was rewritten since it was read");
    assert_eq!(rows(&store).await, [("a".into(), 9, "a9".into()), ("b".into(), 12, "b5".into())]);

    let only_b = store.status_cache(Some(&BTreeSet::from([asset("b"), asset("zz")]))).await.unwrap();
    assert_eq!(only_b.len(), 1);
    assert_eq!(only_b[0].asset, asset("b"));
}

async fn changed_assets_follow_the_event_log(db: &TestDb) {
    let store = db.store().await;
    let start = store.last_event_seq().await.unwrap();
    assert!(store.assets_changed_since(start).await.unwrap().is_empty());
    record(&store, materialization("a", None, "a0", vec![])).await;
    let after_a = store.last_event_seq().await.unwrap();
    record(&store, materialization("d", Some("p1"), "d0", vec![])).await;
    record(&store, materialization("a", None, "a1", vec![])).await;
    let head = store.last_event_seq().await.unwrap();

    let changed = store.assets_changed_since(start).await.unwrap();
    assert_eq!(changed.keys().cloned().collect::<Vec<_>>(), [asset("a"), asset("d")]);
    assert!(changed[&asset("a")] > changed[&asset("d")], "a's latest event is its second materialization");
    assert!(changed[&asset("a")] <= head);
    // Run and step events name no asset change; only what followed counts.
    let since = store.assets_changed_since(after_a).await.unwrap();
    assert_eq!(since.keys().cloned().collect::<Vec<_>>(), [asset("a"), asset("d")]);
    assert!(store.assets_changed_since(head).await.unwrap().is_empty());

    // After `cairn gc` pruned the events, an older cursor is refused.
    let report = store
        .prune(&PruneCutoffs { events_before: Some(at(10_000)), run_steps_before: None, superseded_before: None })
        .await
        .unwrap();
    assert!(report.pruned_through > start);
    match store.assets_changed_since(start.max(1)).await {
        Err(StoreError::CursorPruned { .. }) => {}
        other => panic!("a pruned cursor must be refused, not {other:?}"),
    }
}
