//! Integration tests of the metadata store.
//!
//! Every scenario runs twice, against a SQLite file in a temporary
//! directory (`sqlite::*`) and against a fresh PostgreSQL database
//! (`postgres::*`, see [`TempPostgres`]) created on the server at
//! `CAIRN_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! and dropped afterwards, even when the test fails. An unreachable server
//! fails the PostgreSQL tests; set `CAIRN_TEST_POSTGRES=skip` to skip them
//! instead.

use std::collections::HashSet;

use cairn_core::partitions::PartitionKey;
use cairn_core::state::InputVersion;
use cairn_core::store::testing::TempPostgres;
use cairn_core::store::{
    CheckResult, CheckSeverity, EventLevel, MetadataStore, NewMaterialization, NewObservation, NewRun, RunCounts,
    RunEvent, RunId, RunStatus, StoreError,
};
use cairn_core::{AssetKey, CodeVersion, DataVersion};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

// ---------------------------------------------------------------------------
// Test databases
// ---------------------------------------------------------------------------

/// A database for one test: a SQLite file or a PostgreSQL database, removed
/// when this value is dropped.
struct TestDb {
    url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<TempPostgres>,
}

impl TestDb {
    /// A SQLite file in a new temporary directory, in a subdirectory that
    /// does not exist yet (the store must create it).
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let path = dir.path().join("state").join("cairn.db");
        Self { url: format!("sqlite://{}", path.display()), _sqlite_dir: Some(dir), _postgres: None }
    }

    /// A fresh PostgreSQL database, or `None` if PostgreSQL tests are
    /// skipped. Panics if the server cannot be reached.
    async fn postgres() -> Option<Self> {
        let postgres = TempPostgres::create().await?;
        Some(Self { url: postgres.url().to_owned(), _sqlite_dir: None, _postgres: Some(postgres) })
    }

    async fn store(&self) -> MetadataStore {
        MetadataStore::connect(&self.url).await.unwrap_or_else(|error| panic!("cannot open the store: {error}"))
    }

    /// A plain sea-orm connection, to inspect or damage the tables.
    async fn raw(&self) -> DatabaseConnection {
        let mut options = sea_orm::ConnectOptions::new(self.url.clone());
        options.sqlx_logging(false).max_connections(1);
        Database::connect(options).await.expect("raw connection")
    }
}

/// Generates `sqlite::NAME` and `postgres::NAME` tests running the
/// scenario `NAME(&TestDb)`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = super::TestDb::sqlite();
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if let Some(db) = super::TestDb::postgres().await {
                        super::$name(&db).await;
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    run_round_trip,
    materialization_with_inputs_round_trips,
    many_inputs_are_batched,
    latest_materialization_wins_and_history_keeps_all,
    null_and_non_null_partitions_stay_distinct,
    latest_observation_per_source,
    latest_check_result_per_check,
    run_events_keep_insertion_order,
    concurrent_writers_all_land,
    reopening_keeps_data_and_skips_applied_migrations,
    corrupt_rows_are_errors_not_panics,
    failed_write_names_its_subject,
    interrupted_runs_are_failed_once_and_keep_their_materializations,
);

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

fn asset(key: &str) -> AssetKey {
    AssetKey::new(key).expect("valid asset key")
}

fn part(key: &str) -> PartitionKey {
    PartitionKey::new(key).expect("valid partition key")
}

fn data(version: &str) -> DataVersion {
    DataVersion::from_stored(version)
}

fn code(version: &str) -> CodeVersion {
    CodeVersion::from_stored(version)
}

/// 2013-01-05T00:00:00.123456Z plus `seconds`: microseconds survive a
/// round trip on both databases.
fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2013, 1, 5, 0, 0, 0).unwrap() + TimeDelta::microseconds(123_456) + TimeDelta::seconds(seconds)
}

fn input(asset_key: &str, partition: Option<&str>, version: &str) -> InputVersion {
    InputVersion { asset: asset(asset_key), partition: partition.map(part), data_version: data(version) }
}

fn new_run(selection: &str) -> NewRun {
    NewRun { selection: selection.to_owned(), partition_filter: None, planned_steps: 1, started_at: at(0) }
}

fn materialization(
    run_id: RunId,
    asset_key: &str,
    partition: Option<&str>,
    version: &str,
    inputs: Vec<InputVersion>,
) -> NewMaterialization {
    NewMaterialization {
        run_id,
        asset: asset(asset_key),
        partition: partition.map(part),
        code_version: code("c0de"),
        data_version: data(version),
        inputs,
        rows: Some(42),
        bytes: 4096,
        duration_ms: 1_250,
        path: format!("{asset_key}/{}", partition.unwrap_or("data")),
        materialized_at: at(60),
    }
}

fn check(run_id: RunId, asset_key: &str, partition: Option<&str>, name: &str, passed: bool) -> CheckResult {
    CheckResult {
        run_id,
        materialization_id: None,
        asset: asset(asset_key),
        partition: partition.map(part),
        check_name: name.to_owned(),
        severity: CheckSeverity::Error,
        passed,
        violations: if passed { 0 } else { 3 },
        sample: serde_json::json!([]),
        error: None,
        evaluated_at: at(120),
    }
}

// ---------------------------------------------------------------------------
// Scenarios, run on both backends
// ---------------------------------------------------------------------------

async fn run_round_trip(db: &TestDb) {
    let store = db.store().await;
    let started_at = at(0) + TimeDelta::nanoseconds(789); // below microseconds: cut
    let id = store
        .start_run(&NewRun {
            selection: "+flights_daily".to_owned(),
            partition_filter: Some("2013-01-01..2013-01-31".to_owned()),
            planned_steps: 31,
            started_at,
        })
        .await
        .unwrap();

    let runs = store.runs(10).await.unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.id, id);
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.selection, "+flights_daily");
    assert_eq!(run.partition_filter.as_deref(), Some("2013-01-01..2013-01-31"));
    assert_eq!(run.planned_steps, 31);
    assert_eq!((run.materialized_steps, run.failed_steps, run.skipped_steps), (0, 0, 0));
    assert_eq!(run.started_at, at(0), "stored with microsecond precision");
    assert_eq!(run.finished_at, None);

    let counts = RunCounts { materialized: 28, failed: 1, skipped: 2 };
    store.finish_run(id, RunStatus::Failed, counts, at(300)).await.unwrap();
    let run = store.run(id).await.unwrap().expect("run exists");
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!((run.materialized_steps, run.failed_steps, run.skipped_steps), (28, 1, 2));
    assert_eq!(run.finished_at, Some(at(300)));
    assert_eq!(run.started_at, at(0));

    let second = store.start_run(&new_run("")).await.unwrap();
    assert!(second > id);
    store.finish_run(second, RunStatus::Succeeded, RunCounts::default(), at(400)).await.unwrap();
    let ids: Vec<RunId> = store.runs(10).await.unwrap().iter().map(|run| run.id).collect();
    assert_eq!(ids, vec![second, id], "newest first");
    let ids: Vec<RunId> = store.runs(1).await.unwrap().iter().map(|run| run.id).collect();
    assert_eq!(ids, vec![second]);
    assert_eq!(store.runs(10).await.unwrap()[0].status, RunStatus::Succeeded);

    let missing = RunId(second.0 + 1_000);
    assert!(store.run(missing).await.unwrap().is_none());
    let error = store
        .finish_run(missing, RunStatus::Succeeded, RunCounts::default(), at(500))
        .await
        .expect_err("finishing an unknown run fails");
    assert!(matches!(error, StoreError::Query { .. }), "{error:?}");
    assert!(error.to_string().contains(&format!("finish run {missing}")), "{error}");
}

async fn interrupted_runs_are_failed_once_and_keep_their_materializations(db: &TestDb) {
    let store = db.store().await;
    let killed = store.start_run(&new_run("")).await.unwrap();
    store.record_materialization(&materialization(killed, "a", None, "a1", Vec::new())).await.unwrap();
    store.record_materialization(&materialization(killed, "b", None, "b1", Vec::new())).await.unwrap();
    assert!(store.mark_run_interrupted(killed, at(900)).await.unwrap());
    let run = store.run(killed).await.unwrap().expect("run exists");
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.materialized_steps, 2, "counted from its recorded materializations");
    assert_eq!(run.finished_at, Some(at(900)));
    let events = store.run_events(killed).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].level, EventLevel::Warn);
    assert!(events[0].message.starts_with("interrupted: the process ended"), "{}", events[0].message);
    assert_eq!(store.load_state().await.unwrap().materialization_count(), 2, "its published data still counts");

    // Marking again, a finished run, or an unknown one changes nothing.
    assert!(!store.mark_run_interrupted(killed, at(950)).await.unwrap());
    assert_eq!(store.run(killed).await.unwrap().unwrap().finished_at, Some(at(900)));
    let finished = store.start_run(&new_run("")).await.unwrap();
    store.finish_run(finished, RunStatus::Succeeded, RunCounts::default(), at(1_000)).await.unwrap();
    assert!(!store.mark_run_interrupted(finished, at(1_100)).await.unwrap());
    assert_eq!(store.run(finished).await.unwrap().unwrap().status, RunStatus::Succeeded);
    assert!(store.run_events(finished).await.unwrap().is_empty());
    assert!(!store.mark_run_interrupted(RunId(finished.0 + 1_000), at(1_200)).await.unwrap());
}

async fn materialization_with_inputs_round_trips(db: &TestDb) {
    let store = db.store().await;
    let run = store.start_run(&new_run("flights_daily")).await.unwrap();
    let flights_daily = asset("flights_daily");
    let day = part("2013-01-05");
    // Given out of order: load_state must sort them.
    let inputs = vec![
        input("raw/weather", None, "w1"),
        input("raw/flights", Some("2013-01-05"), "f5"),
        input("raw/airports", None, "a1"),
        input("raw/flights", Some("2013-01-04"), "f4"),
    ];
    let mut new = materialization(run, "flights_daily", Some("2013-01-05"), "d1", inputs.clone());
    new.materialized_at = at(60) + TimeDelta::nanoseconds(999);
    let id = store.record_materialization(&new).await.unwrap();

    let state = store.load_state().await.unwrap();
    assert_eq!(state.materialization_count(), 1);
    let record = state.materialization(&flights_daily, Some(&day)).expect("recorded partition");
    assert_eq!(record.id, id);
    assert_eq!(record.run_id, run.0);
    assert_eq!(record.code_version, code("c0de"));
    assert_eq!(record.data_version, data("d1"));
    assert_eq!(record.materialized_at, at(60));
    let mut sorted = inputs;
    sorted.sort();
    assert_eq!(record.inputs, sorted);
    assert_eq!(record.input_version(&asset("raw/flights"), Some(&part("2013-01-04"))), Some(&data("f4")));
    assert_eq!(record.input_version(&asset("raw/weather"), None), Some(&data("w1")));
    assert!(state.materialization(&flights_daily, None).is_none());
    assert!(state.materialization(&flights_daily, Some(&part("2013-01-06"))).is_none());

    let history = store.materialization_history(&flights_daily, 10).await.unwrap();
    assert_eq!(history.len(), 1);
    let details = &history[0];
    assert_eq!(details.id, id);
    assert_eq!(details.run_id, run);
    assert_eq!(details.asset, flights_daily);
    assert_eq!(details.partition, Some(day));
    assert_eq!((details.rows, details.bytes, details.duration_ms), (Some(42), 4096, 1_250));
    assert_eq!(details.path, "flights_daily/2013-01-05");
    assert_eq!(details.data_version, data("d1"));
    assert_eq!(details.materialized_at, at(60));

    // No inputs at all, and no row count, also round-trip.
    let mut bare = materialization(run, "raw_copy", None, "r1", Vec::new());
    bare.rows = None;
    let bare_id = store.record_materialization(&bare).await.unwrap();
    let state = store.load_state().await.unwrap();
    let record = state.materialization(&asset("raw_copy"), None).expect("recorded");
    assert_eq!(record.id, bare_id);
    assert!(record.inputs.is_empty());
    assert_eq!(store.materialization_history(&asset("raw_copy"), 5).await.unwrap()[0].rows, None);
}

async fn many_inputs_are_batched(db: &TestDb) {
    let store = db.store().await;
    let run = store.start_run(&new_run("yearly_summary")).await.unwrap();
    // An unpartitioned asset reading 2,500 upstream partitions: more than
    // one insert batch, and more bind parameters than one statement takes
    // on SQLite builds with the old 999 limit.
    let inputs: Vec<InputVersion> =
        (0..2_500).map(|day| input("flights_daily", Some(&format!("d{day:05}")), &format!("v{day}"))).collect();
    let id = store
        .record_materialization(&materialization(run, "yearly_summary", None, "y1", inputs.clone()))
        .await
        .unwrap();
    let state = store.load_state().await.unwrap();
    let record = state.materialization(&asset("yearly_summary"), None).expect("recorded");
    assert_eq!(record.id, id);
    assert_eq!(record.inputs.len(), 2_500);
    assert_eq!(record.inputs, inputs, "already in key order");
    assert_eq!(record.input_version(&asset("flights_daily"), Some(&part("d01234"))), Some(&data("v1234")));
}

async fn latest_materialization_wins_and_history_keeps_all(db: &TestDb) {
    let store = db.store().await;
    let run = store.start_run(&new_run("")).await.unwrap();
    let daily = asset("flights_daily");
    let day = part("2013-01-05");
    let first = store
        .record_materialization(&materialization(
            run,
            "flights_daily",
            Some("2013-01-05"),
            "old",
            vec![input("raw/flights", Some("2013-01-05"), "f-old"), input("raw/weather", None, "w")],
        ))
        .await
        .unwrap();
    let other_day = store
        .record_materialization(&materialization(run, "flights_daily", Some("2013-01-06"), "six", vec![]))
        .await
        .unwrap();
    let other_asset = store.record_materialization(&materialization(run, "delays", None, "dl", vec![])).await.unwrap();
    let mut newer = materialization(
        run,
        "flights_daily",
        Some("2013-01-05"),
        "new",
        vec![input("raw/flights", Some("2013-01-05"), "f-new")],
    );
    newer.code_version = code("c0de2");
    newer.materialized_at = at(3_600);
    let second = store.record_materialization(&newer).await.unwrap();
    assert!(second > first);

    let state = store.load_state().await.unwrap();
    assert_eq!(state.materialization_count(), 3);
    let latest = state.materialization(&daily, Some(&day)).unwrap();
    assert_eq!(latest.id, second);
    assert_eq!(latest.data_version, data("new"));
    assert_eq!(latest.code_version, code("c0de2"));
    assert_eq!(latest.materialized_at, at(3_600));
    assert_eq!(latest.inputs, vec![input("raw/flights", Some("2013-01-05"), "f-new")], "inputs of the latest only");
    assert!(!latest.read_asset(&asset("raw/weather")));
    assert_eq!(state.materialization(&daily, Some(&part("2013-01-06"))).unwrap().id, other_day);
    assert_eq!(state.materialization(&asset("delays"), None).unwrap().id, other_asset);

    let history = store.materialization_history(&daily, 10).await.unwrap();
    let ids: Vec<i64> = history.iter().map(|details| details.id).collect();
    assert_eq!(ids, vec![second, other_day, first], "newest first, this asset only");
    assert_eq!(history[0].data_version, data("new"));
    assert_eq!(history[2].data_version, data("old"));
    let ids: Vec<i64> =
        store.materialization_history(&daily, 2).await.unwrap().iter().map(|details| details.id).collect();
    assert_eq!(ids, vec![second, other_day]);
    assert!(store.materialization_history(&asset("never_ran"), 10).await.unwrap().is_empty());
}

async fn null_and_non_null_partitions_stay_distinct(db: &TestDb) {
    let store = db.store().await;
    let run = store.start_run(&new_run("")).await.unwrap();
    let events = asset("events");
    let record = |partition: Option<&'static str>, version: &'static str| {
        let store = store.clone();
        async move {
            store
                .record_materialization(&materialization(
                    run,
                    "events",
                    partition,
                    version,
                    vec![input("raw/events", None, "whole"), input("raw/events", Some("eu"), "eu-part")],
                ))
                .await
                .unwrap()
        }
    };
    let _whole_old = record(None, "whole-1").await;
    let eu = record(Some("eu"), "eu-1").await;
    let whole = record(None, "whole-2").await;
    let us = record(Some("us"), "us-1").await;

    let state = store.load_state().await.unwrap();
    assert_eq!(state.materialization_count(), 3, "NULL is one group of its own");
    assert_eq!(state.materializations_of(&events).count(), 3);
    let unpartitioned = state.materialization(&events, None).unwrap();
    assert_eq!((unpartitioned.id, unpartitioned.data_version.clone()), (whole, data("whole-2")));
    assert_eq!(state.materialization(&events, Some(&part("eu"))).unwrap().id, eu);
    assert_eq!(state.materialization(&events, Some(&part("us"))).unwrap().id, us);
    // Upstream NULL and non-NULL partitions are both kept, NULL first.
    assert_eq!(
        unpartitioned.inputs,
        vec![input("raw/events", None, "whole"), input("raw/events", Some("eu"), "eu-part")]
    );
}

async fn latest_observation_per_source(db: &TestDb) {
    let store = db.store().await;
    let run = store.start_run(&new_run("")).await.unwrap();
    let observe = |source: &str, version: &str, run_id: Option<RunId>, seconds: i64| NewObservation {
        run_id,
        asset: asset(source),
        data_version: data(version),
        observed_at: at(seconds),
    };
    store.record_observation(&observe("raw/flights", "f1", None, 10)).await.unwrap();
    store.record_observation(&observe("raw/weather", "w1", Some(run), 20)).await.unwrap();
    // Latest by insertion, even with an earlier clock.
    store.record_observation(&observe("raw/flights", "f2", Some(run), 5)).await.unwrap();

    let state = store.load_state().await.unwrap();
    let flights = state.observation(&asset("raw/flights")).expect("observed");
    assert_eq!(flights.data_version, data("f2"));
    assert_eq!(flights.observed_at, at(5));
    assert_eq!(state.observation(&asset("raw/weather")).unwrap().data_version, data("w1"));
    assert!(state.observation(&asset("raw/airports")).is_none());
    assert_eq!(state.current_data_version(&asset("raw/flights"), None), Some(&data("f2")));
    assert_eq!(state.materialization_count(), 0);
}

async fn latest_check_result_per_check(db: &TestDb) {
    let store = db.store().await;
    let first_run = store.start_run(&new_run("")).await.unwrap();
    let materialization_id = store
        .record_materialization(&materialization(first_run, "flights_daily", Some("2013-01-05"), "d", vec![]))
        .await
        .unwrap();
    let mut failing = check(first_run, "flights_daily", Some("2013-01-05"), "not_null(carrier)", false);
    failing.sample = serde_json::json!([{ "carrier": null, "origin": "JFK" }]);
    store
        .record_check_results(&[
            failing.clone(),
            check(first_run, "flights_daily", Some("2013-01-05"), "unique(id)", true),
            check(first_run, "flights_daily", Some("2013-01-06"), "not_null(carrier)", true),
            check(first_run, "summary", None, "row_count", false),
        ])
        .await
        .unwrap();
    store.record_check_results(&[]).await.unwrap();

    let second_run = store.start_run(&new_run("")).await.unwrap();
    let mut fixed = check(second_run, "flights_daily", Some("2013-01-05"), "not_null(carrier)", true);
    fixed.materialization_id = Some(materialization_id);
    let mut summary = check(second_run, "summary", None, "row_count", false);
    summary.severity = CheckSeverity::Warn;
    summary.error = Some("table summary does not exist".to_owned());
    store.record_check_results(&[fixed, summary]).await.unwrap();

    let latest = store.latest_check_results().await.unwrap();
    let keys: Vec<(String, Option<String>, String, RunId)> = latest
        .iter()
        .map(|result| {
            (
                result.asset.to_string(),
                result.partition.as_ref().map(ToString::to_string),
                result.check_name.clone(),
                result.run_id,
            )
        })
        .collect();
    let key = |asset: &str, partition: Option<&str>, name: &str, run: RunId| {
        (asset.to_owned(), partition.map(str::to_owned), name.to_owned(), run)
    };
    assert_eq!(
        keys,
        vec![
            key("flights_daily", Some("2013-01-05"), "not_null(carrier)", second_run),
            key("flights_daily", Some("2013-01-05"), "unique(id)", first_run),
            key("flights_daily", Some("2013-01-06"), "not_null(carrier)", first_run),
            key("summary", None, "row_count", second_run),
        ]
    );
    let fixed = &latest[0];
    assert!(fixed.passed);
    assert_eq!(fixed.violations, 0);
    assert_eq!(fixed.materialization_id, Some(materialization_id));
    let summary = &latest[3];
    assert_eq!(summary.severity, CheckSeverity::Warn);
    assert_eq!(summary.error.as_deref(), Some("table summary does not exist"));
    assert_eq!(summary.evaluated_at, at(120));

    // The sample JSON round-trips (only the first run's failing result had one).
    let third_run = store.start_run(&new_run("")).await.unwrap();
    failing.run_id = third_run;
    store.record_check_results(&[failing]).await.unwrap();
    let latest = store.latest_check_results().await.unwrap();
    assert_eq!(latest[0].run_id, third_run);
    assert!(!latest[0].passed);
    assert_eq!(latest[0].violations, 3);
    assert_eq!(latest[0].sample, serde_json::json!([{ "carrier": null, "origin": "JFK" }]));
}

async fn run_events_keep_insertion_order(db: &TestDb) {
    let store = db.store().await;
    let run = store.start_run(&new_run("")).await.unwrap();
    let other = store.start_run(&new_run("")).await.unwrap();
    let levels = [EventLevel::Info, EventLevel::Warn, EventLevel::Error];
    let mut expected = Vec::new();
    for index in 0..40_usize {
        let event = RunEvent {
            run_id: run,
            asset: (index % 2 == 0).then(|| asset("flights_daily")),
            partition: (index % 4 == 0).then(|| part(&format!("2013-01-{:02}", index / 4 + 1))),
            level: levels[index % 3],
            // The same timestamp for all: order must come from insertion.
            message: format!("event {index}\nsecond line"),
            at: at(1),
        };
        store.append_event(&event).await.unwrap();
        expected.push(event);
        store
            .append_event(&RunEvent {
                run_id: other,
                asset: None,
                partition: None,
                level: EventLevel::Info,
                message: format!("other {index}"),
                at: at(2),
            })
            .await
            .unwrap();
    }
    let events = store.run_events(run).await.unwrap();
    assert_eq!(events.len(), 40);
    for (event, expected) in events.iter().zip(&expected) {
        assert_eq!(event.run_id, run);
        assert_eq!(event.message, expected.message);
        assert_eq!(event.level, expected.level);
        assert_eq!(event.asset, expected.asset);
        assert_eq!(event.partition, expected.partition);
        assert_eq!(event.at, at(1));
    }
    assert_eq!(store.run_events(other).await.unwrap().len(), 40);
    assert!(store.run_events(RunId(other.0 + 100)).await.unwrap().is_empty());
}

async fn concurrent_writers_all_land(db: &TestDb) {
    const TASKS: usize = 8;
    const PER_TASK: usize = 25;
    // Tasks t and t + 4 write the same partitions, so every partition is
    // materialized twice and the reader sees latest rows being replaced.
    const PARTITIONS: usize = TASKS / 2 * PER_TASK;
    let store = db.store().await;
    let run = store.start_run(&new_run("")).await.unwrap();
    let daily = asset("flights_daily");
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut written = Vec::new();
            for index in 0..PER_TASK {
                let partition = format!("p{:03}", task % (TASKS / 2) * PER_TASK + index);
                let version = format!("v{task}-{index}");
                let inputs = vec![
                    input("raw/flights", Some(&partition), &version),
                    input("raw/weather", None, "w"),
                    input("raw/airports", None, "a"),
                ];
                let new = materialization(run, "flights_daily", Some(&partition), &version, inputs);
                let id = store.record_materialization(&new).await.expect("concurrent write");
                store
                    .append_event(&RunEvent {
                        run_id: run,
                        asset: Some(asset("flights_daily")),
                        partition: Some(part(&partition)),
                        level: EventLevel::Info,
                        message: "materialized".to_owned(),
                        at: at(1),
                    })
                    .await
                    .expect("concurrent event");
                written.push((id, partition, version));
            }
            written
        }));
    }
    // Readers going on at the same time: a materialization is never seen
    // with another one's inputs, or none.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..15 {
                    let state = store.load_state().await.expect("concurrent read");
                    for (partition, record) in state.materializations_of(&asset("flights_daily")) {
                        let own =
                            input("raw/flights", partition.map(PartitionKey::as_str), record.data_version.as_str());
                        assert_eq!(record.inputs.len(), 3, "inputs of {partition:?}");
                        assert!(record.inputs.contains(&own), "inputs of {partition:?}");
                    }
                }
            })
        })
        .collect();
    let mut latest: std::collections::HashMap<String, (i64, String)> = Default::default();
    let mut ids = HashSet::new();
    for handle in handles {
        for (id, partition, version) in handle.await.expect("writer task") {
            assert!(ids.insert(id), "duplicate id {id}");
            let entry = latest.entry(partition).or_insert((id, version.clone()));
            if id > entry.0 {
                *entry = (id, version);
            }
        }
    }
    for reader in readers {
        reader.await.expect("reader task");
    }

    assert_eq!(ids.len(), TASKS * PER_TASK);
    assert_eq!(latest.len(), PARTITIONS);
    let state = store.load_state().await.unwrap();
    assert_eq!(state.materialization_count(), PARTITIONS);
    for (partition, (id, version)) in &latest {
        let record = state.materialization(&daily, Some(&part(partition))).expect("landed");
        assert_eq!((record.id, &record.data_version), (*id, &data(version)), "{partition}");
        assert_eq!(record.inputs.len(), 3);
    }
    let history = store.materialization_history(&daily, 1_000).await.unwrap();
    assert_eq!(history.len(), TASKS * PER_TASK);
    assert_eq!(store.run_events(run).await.unwrap().len(), TASKS * PER_TASK);
}

async fn reopening_keeps_data_and_skips_applied_migrations(db: &TestDb) {
    let store = db.store().await;
    let run = store.start_run(&new_run("first")).await.unwrap();
    let id = store
        .record_materialization(&materialization(run, "flights_daily", Some("2013-01-05"), "d1", vec![]))
        .await
        .unwrap();
    store.close().await.unwrap();

    let reopened = db.store().await;
    assert_eq!(reopened.url(), db.url, "no password to mask");
    let again = db.store().await; // and a second handle at the same time
    assert_eq!(reopened.runs(10).await.unwrap().iter().map(|run| run.id).collect::<Vec<_>>(), vec![run]);
    let state = again.load_state().await.unwrap();
    assert_eq!(state.materialization(&asset("flights_daily"), Some(&part("2013-01-05"))).unwrap().id, id);

    let raw = db.raw().await;
    let rows = raw
        .query_all_raw(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            "SELECT version FROM cairn_migrations",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one migration, applied once");
    let version: String = rows[0].try_get("", "version").unwrap();
    assert_eq!(version, "m0001_initial_schema");

    // The reopened store still writes.
    let next = reopened.start_run(&new_run("second")).await.unwrap();
    assert!(next > run);
}

async fn corrupt_rows_are_errors_not_panics(db: &TestDb) {
    let store = db.store().await;
    let run = store.start_run(&new_run("")).await.unwrap();
    let id = store.record_materialization(&materialization(run, "flights_daily", None, "d1", vec![])).await.unwrap();
    store.record_check_results(&[check(run, "flights_daily", None, "rows", true)]).await.unwrap();
    let raw = db.raw().await;

    raw.execute_unprepared(&format!("UPDATE materializations SET asset_key = 'bad//key' WHERE id = {id}"))
        .await
        .unwrap();
    let error = store.load_state().await.expect_err("an invalid asset key is reported");
    match &error {
        StoreError::Corrupt { what, detail } => {
            assert_eq!(what, &format!("materialization {id}"));
            assert!(detail.contains("bad//key"), "{detail}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }

    raw.execute_unprepared(&format!("UPDATE runs SET status = 'exploded' WHERE id = {}", run.0)).await.unwrap();
    let error = store.runs(10).await.expect_err("an unknown status is reported");
    assert!(matches!(&error, StoreError::Corrupt { detail, .. } if detail.contains("exploded")), "{error:?}");

    raw.execute_unprepared("UPDATE check_results SET severity = 'fatal'").await.unwrap();
    let error = store.latest_check_results().await.expect_err("an unknown severity is reported");
    assert!(matches!(&error, StoreError::Corrupt { detail, .. } if detail.contains("fatal")), "{error:?}");
    raw.execute_unprepared("UPDATE check_results SET severity = 'warn', sample = '{not json'").await.unwrap();
    let error = store.latest_check_results().await.expect_err("a bad sample is reported");
    assert!(matches!(&error, StoreError::Corrupt { .. }), "{error:?}");
}

async fn failed_write_names_its_subject(db: &TestDb) {
    let store = db.store().await;
    // No such run: the foreign key refuses the row (foreign keys are on in
    // SQLite too), and nothing is recorded.
    let orphan = materialization(
        RunId(4_242),
        "flights_daily",
        Some("2013-01-05"),
        "d1",
        vec![input("raw/flights", Some("2013-01-05"), "f")],
    );
    let error = store.record_materialization(&orphan).await.expect_err("unknown run");
    assert!(matches!(error, StoreError::Query { .. }), "{error:?}");
    assert!(error.to_string().contains("cannot record materialization of flights_daily[2013-01-05]"), "{error}");
    assert_eq!(store.load_state().await.unwrap().materialization_count(), 0);

    let error = store
        .append_event(&RunEvent {
            run_id: RunId(4_242),
            asset: None,
            partition: None,
            level: EventLevel::Info,
            message: "x".to_owned(),
            at: at(0),
        })
        .await
        .expect_err("unknown run");
    assert!(error.to_string().contains("append an event to run r-4242"), "{error}");
}

// ---------------------------------------------------------------------------
// Backend-independent
// ---------------------------------------------------------------------------

#[tokio::test]
async fn unsupported_urls_are_refused() {
    for url in ["mysql://root@localhost/cairn", "cairn.db", "file:///tmp/cairn.db", "", "sqlite"] {
        let error = MetadataStore::connect(url).await.expect_err(url);
        assert!(matches!(error, StoreError::UnsupportedUrl(_)), "{url}: {error:?}");
    }
    let error = MetadataStore::connect("mysql://root:hunter2-secret@localhost/cairn").await.unwrap_err();
    assert!(matches!(error, StoreError::UnsupportedUrl(_)));
    assert!(!error.to_string().contains("hunter2-secret"), "{error}");
    assert!(!format!("{error:?}").contains("hunter2-secret"), "{error:?}");
}

#[tokio::test]
async fn postgres_passwords_never_appear_in_errors() {
    // Nothing listens on port 1: the connection is refused at once.
    for (url, secret) in [
        ("postgres://cairn:s3cr3t-Pw0rd@127.0.0.1:1/cairn", "s3cr3t-Pw0rd"),
        ("postgresql://cairn:p%40ss-w0rd-x@127.0.0.1:1/cairn", "p@ss-w0rd-x"),
        ("postgres://cairn@127.0.0.1:1/cairn?password=qu3ry-s3cret", "qu3ry-s3cret"),
        // Not even parseable: sea-orm and sqlx would echo the URL.
        ("postgres://cairn:unp4rsable-pw@127.0.0.1:notaport/cairn", "unp4rsable-pw"),
    ] {
        let started = std::time::Instant::now();
        let error = MetadataStore::connect(url).await.expect_err(url);
        assert!(matches!(error, StoreError::Connect { .. }), "{url}: {error:?}");
        let text = error.to_string();
        let debug = format!("{error:?}");
        for shown in [&text, &debug] {
            assert!(!shown.contains(secret), "password leaked: {shown}");
            assert!(!shown.contains("p%40ss-w0rd-x"), "password leaked: {shown}");
        }
        assert!(text.contains("127.0.0.1"), "the URL is shown without its password: {text}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_test_databases_are_dropped_even_on_panic() {
    use cairn_core::store::testing::{DEFAULT_POSTGRES_URL, POSTGRES_URL_VAR};
    let Some(db) = TempPostgres::create().await else { return };
    let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let admin = Database::connect(admin_url.as_str()).await.expect("admin connection");
    let exists = |name: String| {
        let admin = admin.clone();
        async move {
            let sql = format!("SELECT 1 FROM pg_database WHERE datname = '{name}'");
            let row = admin.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, sql));
            row.await.expect("query pg_database").is_some()
        }
    };

    let name = db.name().to_owned();
    assert!(db.url().ends_with(&format!("/{name}")), "{db:?}");
    assert!(exists(name.clone()).await, "{name} created");
    // Connections still open are closed by the drop.
    let store = MetadataStore::connect(db.url()).await.expect("open the store");
    drop(db);
    assert!(!exists(name.clone()).await, "{name} dropped");
    drop(store);

    let (sender, receiver) = std::sync::mpsc::channel();
    let failed = tokio::spawn(async move {
        let db = TempPostgres::create().await.expect("not skipped");
        sender.send(db.name().to_owned()).unwrap();
        panic!("a failing test");
    })
    .await;
    assert!(failed.is_err_and(|error| error.is_panic()));
    let name = receiver.recv().unwrap();
    assert!(!exists(name.clone()).await, "{name} dropped after a panic");
}

#[tokio::test]
async fn sqlite_creates_the_file_and_its_directories_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b").join("cairn.db");
    let url = format!("sqlite://{}", path.display());
    let store = MetadataStore::connect(&url).await.unwrap();
    assert!(path.is_file(), "{} created", path.display());
    store.start_run(&new_run("")).await.unwrap();

    let raw = Database::connect(url.as_str()).await.unwrap();
    let row = raw
        .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA journal_mode"))
        .await
        .unwrap()
        .unwrap();
    let mode: String = row.try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");
}

// ---------------------------------------------------------------------------
// Scale (ignored by default: `cargo test -p cairn-core --test store -- --ignored`)
// ---------------------------------------------------------------------------

/// 400,000 materializations (200 assets, 20 of them unpartitioned, 4
/// materializations of each of 100,000 asset partitions), two inputs each.
async fn load_state_at_scale(db: &TestDb, postgres: bool) {
    const TOTAL: i64 = 400_000;
    let store = db.store().await;
    let run = store.start_run(&new_run("")).await.unwrap();
    let raw = db.raw().await;
    let (series, time) = if postgres {
        (format!("FROM generate_series(0, {}) AS i", TOTAL - 1), "'2013-01-05T00:00:00Z'::timestamptz")
    } else {
        (String::new(), "'2013-01-05T00:00:00+00:00'")
    };
    let select = format!(
        "SELECT {run}, 'asset_' || (i % 200), CASE WHEN i % 200 < 20 THEN NULL ELSE 'p' || ((i / 200) % 500) END, \
         'c', 'v' || i, 1, 1, 1, 'x', {time} {series}",
        run = run.0
    );
    let insert = "INSERT INTO materializations \
        (run_id, asset_key, partition_key, code_version, data_version, rows, bytes, duration_ms, path, materialized_at)";
    let sql = if postgres {
        format!("{insert} {select} ORDER BY i")
    } else {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {}) {insert} {select} FROM n",
            TOTAL - 1
        )
    };
    let started = std::time::Instant::now();
    raw.execute_unprepared(&sql).await.unwrap();
    raw.execute_unprepared(
        "INSERT INTO materialization_inputs (materialization_id, position, asset_key, partition_key, data_version) \
         SELECT id, 0, 'raw/a', NULL, 'a' FROM materializations",
    )
    .await
    .unwrap();
    raw.execute_unprepared(
        "INSERT INTO materialization_inputs (materialization_id, position, asset_key, partition_key, data_version) \
         SELECT id, 1, 'raw/b', partition_key, 'b' FROM materializations WHERE partition_key IS NOT NULL",
    )
    .await
    .unwrap();
    if postgres {
        raw.execute_unprepared("ANALYZE").await.unwrap();
    }
    eprintln!("inserted {TOTAL} materializations in {:?}", started.elapsed());

    let started = std::time::Instant::now();
    let state = store.load_state().await.unwrap();
    let elapsed = started.elapsed();
    eprintln!("load_state: {} asset partitions in {elapsed:?}", state.materialization_count());
    // 20 unpartitioned assets (one NULL group each) + 180 × 500 partitions.
    assert_eq!(state.materialization_count(), 20 + 180 * 500);
    let record = state.materialization(&asset("asset_7"), None).unwrap();
    assert_eq!(record.data_version, data(&format!("v{}", TOTAL - 200 + 7)));
    assert_eq!(record.inputs.len(), 1);
    let record = state.materialization(&asset("asset_42"), Some(&part("p3"))).unwrap();
    assert_eq!(record.data_version, data(&format!("v{}", 300_000 + 3 * 200 + 42)));
    assert_eq!(record.inputs.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: 400,000 materializations"]
async fn sqlite_load_state_at_scale() {
    load_state_at_scale(&TestDb::sqlite(), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: 400,000 materializations"]
async fn postgres_load_state_at_scale() {
    if let Some(db) = TestDb::postgres().await {
        load_state_at_scale(&db, true).await;
    }
}
