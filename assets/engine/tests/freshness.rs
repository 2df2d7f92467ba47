//! Freshness with an injected clock: an asset materialized at T is judged
//! PASS, WARN and FAIL (with how overdue) as the clock moves past its
//! `warn_lag` and `max_lag`, exactly as `cairn status` and the API's
//! `freshness` field evaluate it (both call `Instance::asset_freshness`
//! on the summary). Real store (SQLite), real run, real Parquet.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cairn_core::AssetKey;
use cairn_core::freshness::FreshnessStatus;
use cairn_core::planner::{PartitionFilter, PlanMode};
use cairn_engine::{CancellationToken, Clock, ExecutorOptions, Instance, Launch};
use cairn_store::RunOrigin;
use chrono::{DateTime, Duration, TimeZone, Utc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freshness_passes_warns_and_fails_as_the_clock_moves() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        "name: fresh\nassets:\n  - key: a\n    sql: SELECT 1 AS x\n    freshness: { max_lag: 2h, warn_lag: 1h }\n  \
         - key: b\n    sql: SELECT x FROM a\n",
    )
    .unwrap();
    let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2031, 5, 4, 12, 0, 0).unwrap();
    let now = Arc::new(Mutex::new(t0));
    let clock = {
        let now = now.clone();
        Clock::from_fn(move || *now.lock().unwrap())
    };
    let instance = Instance::open(dir.path(), None).await.unwrap().with_clock(clock);
    let a = AssetKey::new("a").unwrap();
    let freshness_at = |at: DateTime<Utc>| {
        *now.lock().unwrap() = at;
        let instance = instance.clone();
        let a = a.clone();
        async move {
            let snapshot = instance.snapshot().await.unwrap();
            let summary = instance.summarize_state(&snapshot).await.unwrap();
            let b = AssetKey::new("b").unwrap();
            assert!(instance.asset_freshness(&b, &summary.assets[&b], at).is_none(), "b has no policy");
            instance.asset_freshness(&a, &summary.assets[&a], at).expect("a has a policy")
        }
    };

    let never = freshness_at(t0).await;
    assert_eq!((never.freshness.status, never.freshness.last_materialized_at), (FreshnessStatus::Unknown, None));
    assert_eq!(never.policy, "materialized less than 2h ago (warn after 1h)");

    // Materialize everything at t0 (the clock stands still meanwhile).
    let snapshot = instance.snapshot().await.unwrap();
    let selection = instance.select(&[]).unwrap();
    let plan = instance.plan(&snapshot, selection.clone(), PartitionFilter::All, PlanMode::MissingOrStale).unwrap();
    let launch = Launch {
        origin: RunOrigin::Cli,
        tags: BTreeMap::new(),
        selection_text: String::new(),
        partition_text: None,
        selection,
        partitions: PartitionFilter::All,
        only_stale: true,
    };
    let run = instance.launch(&snapshot, &plan, &launch).await.unwrap();
    let report = instance
        .executor(ExecutorOptions { run: Some(run), concurrency: 2 })
        .run(CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(report.steps.len(), 2);

    let cases = [
        (Duration::zero(), FreshnessStatus::Pass, None),
        (Duration::minutes(59), FreshnessStatus::Pass, None),
        (Duration::minutes(61), FreshnessStatus::Warn, None),
        (Duration::minutes(119), FreshnessStatus::Warn, None),
        (Duration::minutes(121), FreshnessStatus::Fail, Some(60)),
        (Duration::hours(5), FreshnessStatus::Fail, Some(3 * 3600)),
    ];
    for (after, status, overdue_secs) in cases {
        let judged = freshness_at(t0 + after).await;
        assert_eq!(judged.freshness.last_materialized_at, Some(t0), "materialized at the injected time");
        assert_eq!(judged.freshness.status, status, "{after} after the materialization");
        assert_eq!(judged.freshness.overdue_by.map(|d| d.as_secs()), overdue_secs, "{after}");
    }
}
