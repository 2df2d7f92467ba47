//! A plan made from the snapshot of a selection and its upstream assets
//! (`Instance::snapshot_of`, what `cairn plan`, `materialize` and backfills
//! use) equals the plan made from the whole project's snapshot, for every
//! selection of a project whose stored state mixes fresh, stale (code and
//! upstream data changed) and missing partitions; and a run request
//! (`Instance::request_run`, what `cairn materialize` and the `materialize`
//! mutation make) stores a run of exactly what is missing or stale. Real
//! SQLite store.

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::AssetKey;
use cairn_core::partitions::PartitionKey;
use cairn_core::planner::{PartitionFilter, PlanMode};
use cairn_core::state::AssetPartition;
use cairn_core::{CodeVersion, DataVersion};
use cairn_engine::error::EngineError;
use cairn_engine::{Instance, PartitionSubset, RunRequest};
use cairn_store::RunOrigin;
use cairn_store::testing::{SyntheticMaterialization, insert_materializations};
use chrono::Utc;

const PROJECT: &str = r#"name: scoped
assets:
  - key: raw
    sql: SELECT 1 AS x
    partitions:
      daily: { start: 2024-01-01, end: 2024-01-11 }
  - key: clean
    sql: SELECT x FROM raw
    partitions:
      daily: { start: 2024-01-01, end: 2024-01-11 }
  - key: report
    sql: SELECT count(*) AS n FROM clean
  - key: other
    sql: SELECT 2 AS y
  - key: mixed
    sql: SELECT * FROM other CROSS JOIN report
"#;

fn key(name: &str) -> AssetKey {
    AssetKey::new(name).unwrap()
}

/// The project above, with raw materialized on days 1-8 and clean on days
/// 1-6 (day 3 with an old code version), other and report once.
async fn project_with_state() -> (tempfile::TempDir, Instance) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cairn.yaml"), PROJECT).unwrap();
    let instance = Instance::open(dir.path(), None).await.unwrap();
    let code = |name: &str| instance.project().asset(&key(name)).unwrap().spec.code_version.clone();
    let row = |name: &str, partition: Option<String>, code: CodeVersion, version: &str| SyntheticMaterialization {
        target: AssetPartition::new(key(name), partition.map(|p| PartitionKey::new(&p).unwrap())),
        code_version: code,
        data_version: DataVersion::from_stored(version),
        materialized_at: Utc::now(),
        path: format!("{name}.parquet"),
    };
    let mut rows = Vec::new();
    for day in 1..=10 {
        let partition = Some(format!("2024-01-{day:02}"));
        // raw: days 1-8; clean: days 1-6, day 3 with an old code version.
        if day <= 8 {
            rows.push(row("raw", partition.clone(), code("raw"), &format!("raw-{day}")));
        }
        if day <= 6 {
            let clean_code = if day == 3 { CodeVersion::from_stored("old") } else { code("clean") };
            rows.push(row("clean", partition, clean_code, &format!("clean-{day}")));
        }
    }
    rows.push(row("other", None, code("other"), "other-1"));
    rows.push(row("report", None, code("report"), "report-1"));
    insert_materializations(instance.store(), "scoped", &rows).await;
    (dir, instance)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_from_the_scoped_snapshot_equals_the_plan_from_the_whole_one() {
    let (_dir, instance) = project_with_state().await;
    let whole = instance.snapshot().await.unwrap();
    let names = ["raw", "clean", "report", "other", "mixed"];
    for mask in 1u32..(1 << names.len()) {
        let selection: BTreeSet<AssetKey> =
            names.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, n)| key(n)).collect();
        let scoped = instance.snapshot_of(&selection).await.unwrap();
        for mode in [PlanMode::All, PlanMode::MissingOrStale] {
            let expected = instance.plan(&whole, selection.clone(), PartitionFilter::All, mode.clone()).unwrap();
            let actual = instance.plan(&scoped, selection.clone(), PartitionFilter::All, mode.clone()).unwrap();
            assert_eq!(actual, expected, "selection {selection:?}, mode {mode:?}");
        }
    }
    // The scoped state holds the selection and its upstream, nothing else.
    let scoped = instance.snapshot_of(&BTreeSet::from([key("clean")])).await.unwrap();
    assert_eq!(scoped.state.materializations_of(&key("raw")).count(), 8);
    assert_eq!(scoped.state.materializations_of(&key("clean")).count(), 6);
    assert_eq!(scoped.state.materializations_of(&key("other")).count(), 0);
    assert_eq!(scoped.state.materializations_of(&key("report")).count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_request_stores_a_run_of_what_is_missing_or_stale_and_nothing_when_up_to_date() {
    let (_dir, instance) = project_with_state().await;
    let request = |selection: &str, partitions: PartitionSubset, launch_when_up_to_date: bool| RunRequest {
        selection: vec![selection.to_owned()],
        partitions,
        origin: RunOrigin::Cli,
        tags: BTreeMap::from([("team".to_owned(), "data".to_owned())]),
        launch_when_up_to_date,
    };
    // raw on days 7-10: days 7 and 8 are fresh, 9 and 10 missing.
    let days = PartitionSubset::Range { start: "2024-01-07".into(), end: "2024-01-10".into() };
    let requested = instance.request_run(&request("raw", days, false)).await.unwrap();
    let planned: Vec<String> = requested.plan.steps.iter().map(|step| step.target.to_string()).collect();
    assert_eq!(planned, ["raw[2024-01-09]", "raw[2024-01-10]"]);
    let run = instance.store().run(requested.run.expect("a run is stored")).await.unwrap().unwrap();
    assert_eq!(run.planned_steps, 2);
    assert_eq!(run.origin, RunOrigin::Cli);
    assert_eq!(run.selection, "raw");
    assert_eq!(run.partition_filter.as_deref(), Some("2024-01-07..2024-01-10"));
    assert_eq!(run.tags.get("team").map(String::as_str), Some("data"));

    // other is fresh: no run, unless the caller wants one anyway.
    let up_to_date = instance.request_run(&request("other", PartitionSubset::All, false)).await.unwrap();
    assert!(up_to_date.plan.steps.is_empty());
    assert_eq!(up_to_date.run, None);
    let empty = instance.request_run(&request("other", PartitionSubset::All, true)).await.unwrap();
    let run = instance.store().run(empty.run.expect("an empty run is stored")).await.unwrap().unwrap();
    assert_eq!(run.planned_steps, 0);
    assert_eq!(run.partition_filter, None);

    // A selection naming no asset is the engine's typed error.
    let unknown = instance.request_run(&request("nope", PartitionSubset::All, false)).await.unwrap_err();
    assert!(matches!(unknown, EngineError::Selection(_)), "{unknown:?}");
}
