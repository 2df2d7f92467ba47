//! The asset status cache behind `Instance::status` (`cairn status`): a
//! second call recomputes nothing; a new materialization recomputes the
//! asset and its downstream assets only; a new day, the time-partitioned
//! assets; a changed definition, that asset and its downstream assets.
//! Whatever was recomputed, every answer equals the status computed from
//! the whole state (`Instance::summarize_state`). Real SQLite store,
//! injected clock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use cairn_core::partitions::PartitionKey;
use cairn_core::state::AssetPartition;
use cairn_core::{AssetKey, DataVersion};
use cairn_engine::{Clock, Instance, StatusOptions, StatusReport};
use cairn_store::testing::{SyntheticMaterialization, insert_materializations};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

const PROJECT: &str = "name: cache\nassets:\n  \
    - key: a\n    sql: SELECT 1 AS x\n    partitions:\n      daily: { start: 2021-01-01 }\n  \
    - key: b\n    sql: SELECT x FROM a\n    partitions:\n      daily: { start: 2021-01-01 }\n  \
    - key: c\n    sql: SELECT x FROM b\n    partitions:\n      daily: { start: 2021-01-01 }\n  \
    - key: d\n    sql: SELECT 2 AS y\n";

fn key(name: &str) -> AssetKey {
    AssetKey::new(name).unwrap()
}

fn keys(names: &[&str]) -> BTreeSet<AssetKey> {
    names.iter().map(|name| key(name)).collect()
}

/// What `cairn status` shows of each asset, less freshness and files.
fn shown(report: &StatusReport) -> BTreeMap<AssetKey, Value> {
    report
        .assets
        .iter()
        .map(|status| {
            let row = json!({
                "state": status.state,
                "partitions": status.partitions,
                "causes": status.causes,
                "last_updated": status.last_updated,
                "checks": status.checks,
            });
            (status.asset.clone(), row)
        })
        .collect()
}

/// The same, computed from the whole state (no cache).
async fn from_whole_state(instance: &Instance) -> BTreeMap<AssetKey, Value> {
    let snapshot = instance.snapshot().await.unwrap();
    let summary = instance.summarize_state(&snapshot).await.unwrap();
    let mut rows = BTreeMap::new();
    for spec in instance.project().specs() {
        let asset = &summary.assets[&spec.key];
        let row = json!({
            "state": asset.stale_status,
            "partitions": spec.partitions.as_ref().map(|_| asset.staleness),
            "causes": asset.causes,
            "last_updated": asset.last_updated,
            "checks": [],
        });
        rows.insert(spec.key.clone(), row);
    }
    rows
}

/// Materializations of `asset` for `days` (2021-01-01 is day 0), or of the
/// unpartitioned asset when `days` is empty, with data version `version`.
async fn materialize(instance: &Instance, asset: &str, days: &[u64], version: &str, at: DateTime<Utc>) {
    let spec = instance.project().asset(&key(asset)).unwrap().spec.clone();
    let partitions: Vec<Option<PartitionKey>> = if days.is_empty() {
        vec![None]
    } else {
        let first = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        days.iter().map(|&d| Some(PartitionKey::new(&(first + chrono::Days::new(d)).to_string()).unwrap())).collect()
    };
    let rows: Vec<SyntheticMaterialization> = partitions
        .into_iter()
        .map(|partition| SyntheticMaterialization {
            target: AssetPartition::new(spec.key.clone(), partition),
            code_version: spec.code_version.clone(),
            data_version: DataVersion::from_stored(version),
            materialized_at: at,
            path: format!("synthetic/{asset}.parquet"),
        })
        .collect();
    insert_materializations(instance.store(), "cache", &rows).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_recomputes_what_changed_and_answers_as_the_whole_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cairn.yaml"), PROJECT).unwrap();
    let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2021, 1, 11, 12, 0, 0).unwrap();
    let now = Arc::new(Mutex::new(t0));
    let clock = {
        let now = now.clone();
        Clock::from_fn(move || *now.lock().unwrap())
    };
    let instance = Instance::open(dir.path(), None).await.unwrap().with_clock(clock.clone());
    let all = instance.select(&[]).unwrap();
    let status = |instance: Instance| {
        let all = all.clone();
        async move { instance.status(&all, StatusOptions::default()).await.unwrap() }
    };

    let ten_days: Vec<u64> = (0..10).collect();
    materialize(&instance, "a", &ten_days, "a1", t0).await;
    materialize(&instance, "b", &ten_days[..8], "b1", t0).await;
    materialize(&instance, "d", &[], "d1", t0).await;

    let first = status(instance.clone()).await;
    assert_eq!(first.recomputed, keys(&["a", "b", "c", "d"]), "an empty cache: everything is computed");
    assert_eq!(shown(&first), from_whole_state(&instance).await);
    assert_eq!(first.assets[0].partitions.unwrap().total, 10);

    let second = status(instance.clone()).await;
    assert!(second.recomputed.is_empty(), "nothing changed: {:?}", second.recomputed);
    assert_eq!(shown(&second), shown(&first));

    // A new materialization of `a`: `a` and what reads it, not `d`.
    materialize(&instance, "a", &[3], "a2", t0 + Duration::minutes(5)).await;
    let third = status(instance.clone()).await;
    assert_eq!(third.recomputed, keys(&["a", "b", "c"]));
    assert_eq!(shown(&third), from_whole_state(&instance).await);
    assert_ne!(shown(&third)[&key("a")], shown(&first)[&key("a")], "a's latest update moved");

    // `d` alone.
    materialize(&instance, "d", &[], "d2", t0 + Duration::minutes(6)).await;
    let fourth = status(instance.clone()).await;
    assert_eq!(fourth.recomputed, keys(&["d"]));
    assert_eq!(shown(&fourth), from_whole_state(&instance).await);

    // A selection reads and writes its own rows only.
    let only_c = instance.status(&keys(&["c"]), StatusOptions::default()).await.unwrap();
    assert!(only_c.recomputed.is_empty());
    assert_eq!(only_c.assets.len(), 1);

    // A new day: one more partition of each daily asset, missing.
    *now.lock().unwrap() = t0 + Duration::days(1);
    let fifth = status(instance.clone()).await;
    assert_eq!(fifth.recomputed, keys(&["a", "b", "c"]));
    assert_eq!(fifth.assets[0].partitions.unwrap().total, 11);
    assert_eq!(shown(&fifth), from_whole_state(&instance).await);

    // `b`'s query changes: `b` and `c` only.
    std::fs::write(dir.path().join("cairn.yaml"), PROJECT.replace("SELECT x FROM a", "SELECT x + 1 AS x FROM a"))
        .unwrap();
    let edited = Instance::open(dir.path(), None).await.unwrap().with_clock(clock);
    let sixth = status(edited.clone()).await;
    assert_eq!(sixth.recomputed, keys(&["b", "c"]));
    assert_eq!(shown(&sixth), from_whole_state(&edited).await);
    let b = &shown(&sixth)[&key("b")];
    assert_eq!(b["state"], "stale", "{b}");
    assert!(b["causes"].to_string().contains("code_version_changed"), "{b}");

    // And then nothing again.
    let again = status(edited.clone()).await;
    assert!(again.recomputed.is_empty(), "{:?}", again.recomputed);
    assert_eq!(shown(&again), shown(&sixth));
}
