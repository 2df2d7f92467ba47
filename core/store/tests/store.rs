//! Integration tests of the metadata store's records: materializations
//! and their inputs, observations, check results, history, the files
//! readers and `cairn gc` use, corrupt rows and connections. Every
//! scenario runs on SQLite and on PostgreSQL (see `common`).

mod common;

use std::collections::HashSet;

use cairn_core::partitions::PartitionKey;
use cairn_core::state::InputVersion;
use cairn_store::testing::{DEFAULT_POSTGRES_URL, POSTGRES_URL_VAR, TempPostgres};
use cairn_store::{
    CheckSeverity, EventFilter, EventKind, EventLevel, MetadataStore, NewObservation, RunId, StoreError,
};
use chrono::TimeDelta;
use common::*;
use sea_orm::{ConnectionTrait, Database};

on_both_backends!(
    materialization_with_inputs_round_trips,
    many_inputs_are_batched,
    latest_materialization_wins_and_history_keeps_all,
    null_and_non_null_partitions_stay_distinct,
    current_data_of_upstream_partitions,
    latest_observation_per_source,
    latest_check_result_per_check,
    current_and_superseded_files,
    concurrent_writers_all_land,
    reopening_keeps_data_and_skips_applied_migrations,
    corrupt_rows_are_errors_not_panics,
);

async fn materialization_with_inputs_round_trips(db: &TestDb) {
    let store = db.store().await;
    let flights_daily = asset("flights_daily");
    let day = part("2013-01-05");
    // Given out of order: load_state must sort them.
    let inputs = vec![
        input("raw/weather", None, "w1"),
        input("raw/flights", Some("2013-01-05"), "f5"),
        input("raw/airports", None, "a1"),
        input("raw/flights", Some("2013-01-04"), "f4"),
    ];
    let mut new = materialization("flights_daily", Some("2013-01-05"), "d1", inputs.clone());
    new.materialized_at = at(60) + TimeDelta::nanoseconds(999);
    let (id, run) = record(&store, new).await;

    let state = store.load_state().await.unwrap();
    assert_eq!(state.materialization_count(), 1);
    let record = state.materialization(&flights_daily, Some(&day)).expect("recorded partition");
    assert_eq!(record.id, id);
    assert_eq!(record.run_id, run.0);
    assert_eq!(record.code_version, code("c0de"));
    assert_eq!(record.data_version, data("d1"));
    assert_eq!(record.materialized_at, at(60), "stored with microsecond precision");
    assert_eq!(record.path, "flights_daily/2013-01-05/m.parquet");
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
    assert!(details.step_id.is_some(), "the step that recorded it");
    assert_eq!(details.asset, flights_daily);
    assert_eq!(details.partition, Some(day));
    assert_eq!((details.rows, details.bytes, details.duration_ms), (Some(42), 4096, 1_250));
    assert_eq!(details.data_version, data("d1"));
    assert_eq!(store.run_materializations(run).await.unwrap().len(), 1);

    // No inputs at all, and no row count, also round-trip.
    let mut bare = materialization("raw_copy", None, "r1", Vec::new());
    bare.rows = None;
    let (bare_id, _) = common::record(&store, bare).await;
    let state = store.load_state().await.unwrap();
    let record = state.materialization(&asset("raw_copy"), None).expect("recorded");
    assert_eq!(record.id, bare_id);
    assert!(record.inputs.is_empty());
    assert_eq!(store.materialization_history(&asset("raw_copy"), 5).await.unwrap()[0].rows, None);
}

async fn many_inputs_are_batched(db: &TestDb) {
    let store = db.store().await;
    // An unpartitioned asset reading 2,500 upstream partitions: more than
    // one insert batch.
    let inputs: Vec<InputVersion> =
        (0..2_500).map(|day| input("flights_daily", Some(&format!("d{day:05}")), &format!("v{day}"))).collect();
    let (id, _) = record(&store, materialization("yearly_summary", None, "y1", inputs.clone())).await;
    let state = store.load_state().await.unwrap();
    let record = state.materialization(&asset("yearly_summary"), None).expect("recorded");
    assert_eq!(record.id, id);
    assert_eq!(record.inputs, inputs, "already in key order");
    let latest = store.latest_materialization(&target("yearly_summary", None)).await.unwrap().unwrap();
    assert_eq!(latest.inputs.len(), 2_500);
    assert_eq!(latest.input_version(&asset("flights_daily"), Some(&part("d01234"))), Some(&data("v1234")));
}

async fn latest_materialization_wins_and_history_keeps_all(db: &TestDb) {
    let store = db.store().await;
    let daily = asset("flights_daily");
    let day = part("2013-01-05");
    let (first, _) = record(
        &store,
        materialization(
            "flights_daily",
            Some("2013-01-05"),
            "old",
            vec![input("raw/flights", Some("2013-01-05"), "f-old"), input("raw/weather", None, "w")],
        ),
    )
    .await;
    let (other_day, _) = record(&store, materialization("flights_daily", Some("2013-01-06"), "six", vec![])).await;
    let (other_asset, _) = record(&store, materialization("delays", None, "dl", vec![])).await;
    let mut newer = materialization(
        "flights_daily",
        Some("2013-01-05"),
        "new",
        vec![input("raw/flights", Some("2013-01-05"), "f-new")],
    );
    newer.code_version = code("c0de2");
    newer.materialized_at = at(3_600);
    let (second, _) = record(&store, newer).await;
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
    let one = store.latest_materialization(&target("flights_daily", Some("2013-01-05"))).await.unwrap().unwrap();
    assert_eq!((one.id, one.inputs.clone()), (second, latest.inputs.clone()), "the same as load_state says");
    assert!(store.latest_materialization(&target("flights_daily", Some("2013-01-07"))).await.unwrap().is_none());

    let history = store.materialization_history(&daily, 10).await.unwrap();
    let ids: Vec<i64> = history.iter().map(|details| details.id).collect();
    assert_eq!(ids, vec![second, other_day, first], "newest first, this asset only");
    let ids: Vec<i64> =
        store.materialization_history(&daily, 2).await.unwrap().iter().map(|details| details.id).collect();
    assert_eq!(ids, vec![second, other_day]);
    assert!(store.materialization_history(&asset("never_ran"), 10).await.unwrap().is_empty());
}

async fn null_and_non_null_partitions_stay_distinct(db: &TestDb) {
    let store = db.store().await;
    let events = asset("events");
    let inputs = || vec![input("raw/events", None, "whole"), input("raw/events", Some("eu"), "eu-part")];
    record(&store, materialization("events", None, "whole-1", inputs())).await;
    let (eu, _) = record(&store, materialization("events", Some("eu"), "eu-1", inputs())).await;
    let (whole, _) = record(&store, materialization("events", None, "whole-2", inputs())).await;
    let (us, _) = record(&store, materialization("events", Some("us"), "us-1", inputs())).await;

    let state = store.load_state().await.unwrap();
    assert_eq!(state.materialization_count(), 3, "NULL is one group of its own");
    let unpartitioned = state.materialization(&events, None).unwrap();
    assert_eq!((unpartitioned.id, unpartitioned.data_version.clone()), (whole, data("whole-2")));
    assert_eq!(state.materialization(&events, Some(&part("eu"))).unwrap().id, eu);
    assert_eq!(state.materialization(&events, Some(&part("us"))).unwrap().id, us);
    // Upstream NULL and non-NULL partitions are both kept, NULL first.
    assert_eq!(unpartitioned.inputs, inputs());
}

async fn current_data_of_upstream_partitions(db: &TestDb) {
    let store = db.store().await;
    record(&store, materialization("daily", Some("d1"), "one-old", vec![])).await;
    let (newer, _) = record(&store, materialization("daily", Some("d1"), "one-new", vec![])).await;
    record(&store, materialization("daily", Some("d2"), "two", vec![])).await;
    record(&store, materialization("whole", None, "w", vec![])).await;
    let wanted = vec![Some(part("d1")), Some(part("d2")), Some(part("d3"))];
    let current = store.current_data(&asset("daily"), &wanted).await.unwrap();
    assert_eq!(current.len(), 2, "d3 has no data");
    let d1 = &current[&Some(part("d1"))];
    assert_eq!((d1.data_version.clone(), d1.materialization_id), (data("one-new"), Some(newer)));
    assert_eq!(d1.path.as_deref(), Some("daily/d1/m.parquet"));
    assert_eq!(current[&Some(part("d2"))].data_version, data("two"));
    let whole = store.current_data(&asset("whole"), &[None]).await.unwrap();
    assert_eq!(whole[&None].data_version, data("w"));
    assert!(store.current_data(&asset("whole"), &[Some(part("d1"))]).await.unwrap().is_empty());
    // More keys than one IN list holds.
    let many: Vec<Option<PartitionKey>> = (0..2_500).map(|i| Some(part(&format!("x{i}")))).collect();
    assert!(store.current_data(&asset("daily"), &many).await.unwrap().is_empty());
}

async fn latest_observation_per_source(db: &TestDb) {
    let store = db.store().await;
    let observe = |source: &str, version: &str, run_id: Option<RunId>, seconds: i64| NewObservation {
        run_id,
        asset: asset(source),
        data_version: data(version),
        observed_at: at(seconds),
    };
    store.record_observation(&observe("raw/flights", "f1", None, 10)).await.unwrap();
    store.record_observation(&observe("raw/weather", "w1", None, 20)).await.unwrap();
    // Latest by insertion, even with an earlier clock.
    store.record_observation(&observe("raw/flights", "f2", None, 5)).await.unwrap();

    let state = store.load_state().await.unwrap();
    let flights = state.observation(&asset("raw/flights")).expect("observed");
    assert_eq!(flights.data_version, data("f2"));
    assert_eq!(flights.observed_at, at(5));
    assert_eq!(state.observation(&asset("raw/weather")).unwrap().data_version, data("w1"));
    assert!(state.observation(&asset("raw/airports")).is_none());
    assert_eq!(state.current_data_version(&asset("raw/flights"), None), Some(&data("f2")));
    assert_eq!(store.latest_observation(&asset("raw/flights")).await.unwrap().unwrap().data_version, data("f2"));
    assert!(store.latest_observation(&asset("raw/airports")).await.unwrap().is_none());
    let filter = EventFilter { kinds: Some(vec![EventKind::AssetObservation]), ..EventFilter::default() };
    let events = store.events_after(0, &filter, 10).await.unwrap();
    assert_eq!(events.len(), 3, "each observation is an event");
    assert_eq!(events[2].asset, Some(asset("raw/flights")));
    assert_eq!(events[2].data.as_ref().unwrap()["data_version"], "f2");
}

async fn latest_check_result_per_check(db: &TestDb) {
    let store = db.store().await;
    let mut failing = check("not_null(carrier)", false);
    failing.sample = serde_json::json!([{ "carrier": null, "origin": "JFK" }]);
    let (first_materialization, first_run) = record_with_checks(
        &store,
        materialization("flights_daily", Some("2013-01-05"), "d", vec![]),
        vec![failing.clone(), check("unique(id)", true)],
    )
    .await;
    record_with_checks(
        &store,
        materialization("flights_daily", Some("2013-01-06"), "d6", vec![]),
        vec![check("not_null(carrier)", true)],
    )
    .await;
    let (fixed_materialization, second_run) = record_with_checks(
        &store,
        materialization("flights_daily", Some("2013-01-05"), "d2", vec![]),
        vec![check("not_null(carrier)", true)],
    )
    .await;
    let mut warn = check("row_count", false);
    warn.severity = CheckSeverity::Warn;
    warn.error = Some("table summary does not exist".to_owned());
    record_with_checks(&store, materialization("summary", None, "s", vec![]), vec![warn]).await;

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
    assert_eq!(keys[0], ("flights_daily".into(), Some("2013-01-05".into()), "not_null(carrier)".into(), second_run));
    assert_eq!(keys[1], ("flights_daily".into(), Some("2013-01-05".into()), "unique(id)".into(), first_run));
    assert_eq!(keys.len(), 4);
    assert!(latest[0].passed);
    assert_eq!(latest[0].materialization_id, Some(fixed_materialization));
    assert_eq!(latest[1].materialization_id, Some(first_materialization));
    let summary = &latest[3];
    assert_eq!(summary.severity, CheckSeverity::Warn);
    assert_eq!(summary.error.as_deref(), Some("table summary does not exist"));
    assert_eq!(summary.evaluated_at, at(120));

    let of_first = store.run_check_results(first_run).await.unwrap();
    assert_eq!(of_first.len(), 2);
    assert!(!of_first[0].passed);
    assert_eq!(of_first[0].violations, 3);
    assert_eq!(of_first[0].sample, serde_json::json!([{ "carrier": null, "origin": "JFK" }]), "the sample round-trips");
    let evaluations = EventFilter { kinds: Some(vec![EventKind::AssetCheckEvaluation]), ..EventFilter::default() };
    let events = store.events_after(0, &evaluations, 100).await.unwrap();
    assert_eq!(events.len(), 5, "each check result is an event");
    // A passed check is info, a failed warn check a warning, a failed
    // error check (it stops the publication) an error.
    for event in &events {
        let data = event.data.as_ref().unwrap();
        let expected = match (data["passed"].as_bool().unwrap(), data["severity"].as_str().unwrap()) {
            (true, _) => EventLevel::Info,
            (false, "error") => EventLevel::Error,
            (false, _) => EventLevel::Warn,
        };
        assert_eq!(event.level, expected, "{}", event.message);
    }
    assert!(events.iter().any(|e| e.level == EventLevel::Error) && events.iter().any(|e| e.level == EventLevel::Info));
}

async fn current_and_superseded_files(db: &TestDb) {
    let store = db.store().await;
    let mut first = materialization("daily", Some("d1"), "v1", vec![]);
    first.path = "daily/d1/first.parquet".into();
    record(&store, first).await;
    let mut second = materialization("daily", Some("d1"), "v2", vec![]);
    second.path = "daily/d1/second.parquet".into();
    second.materialized_at = at(500);
    record(&store, second).await;
    let mut other = materialization("daily", Some("d2"), "v1", vec![]);
    other.path = "daily/d2/only.parquet".into();
    record(&store, other).await;

    let mut current = store.current_files().await.unwrap();
    current.sort();
    assert_eq!(current, ["daily/d1/second.parquet", "daily/d2/only.parquet"]);
    let superseded = store.superseded_files().await.unwrap();
    assert_eq!(superseded.len(), 1);
    assert_eq!(superseded[0].path, "daily/d1/first.parquet");
    assert_eq!(superseded[0].superseded_at, at(500), "when the next one was recorded");
}

async fn concurrent_writers_all_land(db: &TestDb) {
    const TASKS: usize = 8;
    const PER_TASK: usize = 10;
    // Tasks t and t + 4 write the same partitions, so every partition is
    // materialized twice and readers see latest rows being replaced.
    const PARTITIONS: usize = TASKS / 2 * PER_TASK;
    let store = db.store().await;
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
                let new = materialization("flights_daily", Some(&partition), &version, inputs);
                let (id, _) = record(&store, new).await;
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
                for _ in 0..10 {
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
    assert_eq!(latest.len(), PARTITIONS);
    let state = store.load_state().await.unwrap();
    assert_eq!(state.materialization_count(), PARTITIONS);
    for (partition, (id, version)) in &latest {
        let record = state.materialization(&daily, Some(&part(partition))).expect("landed");
        assert_eq!((record.id, &record.data_version), (*id, &data(version)), "{partition}");
    }
    assert_eq!(store.materialization_history(&daily, 1_000).await.unwrap().len(), TASKS * PER_TASK);
}

async fn reopening_keeps_data_and_skips_applied_migrations(db: &TestDb) {
    let store = db.store().await;
    let (id, run) = record(&store, materialization("flights_daily", Some("2013-01-05"), "d1", vec![])).await;
    store.close().await.unwrap();

    let reopened = db.store().await;
    assert_eq!(reopened.url(), db.url, "no password to mask");
    let again = db.store().await; // and a second handle at the same time
    let runs = reopened.runs(&Default::default(), 10).await.unwrap();
    assert_eq!(runs.iter().map(|run| run.id).collect::<Vec<_>>(), vec![run]);
    let state = again.load_state().await.unwrap();
    assert_eq!(state.materialization(&asset("flights_daily"), Some(&part("2013-01-05"))).unwrap().id, id);

    let raw = db.raw().await;
    let rows = raw
        .query_all_raw(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            "SELECT version FROM cairn_migrations ORDER BY version",
        ))
        .await
        .unwrap();
    let versions: Vec<String> = rows.iter().map(|row| row.try_get("", "version").unwrap()).collect();
    assert_eq!(versions, MIGRATIONS, "each migration applied once");

    // The reopened store still writes.
    let (_, next) = record(&reopened, materialization("flights_daily", Some("2013-01-06"), "d2", vec![])).await;
    assert!(next > run);
}

async fn corrupt_rows_are_errors_not_panics(db: &TestDb) {
    let store = db.store().await;
    let (id, run) =
        record_with_checks(&store, materialization("flights_daily", None, "d1", vec![]), vec![check("rows", true)])
            .await;
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
    let error = store.runs(&Default::default(), 10).await.expect_err("an unknown status is reported");
    assert!(matches!(&error, StoreError::Corrupt { detail, .. } if detail.contains("exploded")), "{error:?}");

    raw.execute_unprepared("UPDATE run_steps SET reasons = '{not json'").await.unwrap();
    let error = store.run_steps(run).await.expect_err("bad reasons are reported");
    assert!(matches!(&error, StoreError::Corrupt { .. }), "{error:?}");

    raw.execute_unprepared("UPDATE check_results SET severity = 'fatal'").await.unwrap();
    let error = store.latest_check_results().await.expect_err("an unknown severity is reported");
    assert!(matches!(&error, StoreError::Corrupt { detail, .. } if detail.contains("fatal")), "{error:?}");
    raw.execute_unprepared("UPDATE check_results SET severity = 'warn', sample = '{not json'").await.unwrap();
    let error = store.latest_check_results().await.expect_err("a bad sample is reported");
    assert!(matches!(&error, StoreError::Corrupt { .. }), "{error:?}");

    raw.execute_unprepared("UPDATE event_log SET kind = 'EXPLOSION'").await.unwrap();
    let error = store.events_after(0, &EventFilter::default(), 10).await.expect_err("an unknown kind is reported");
    assert!(matches!(&error, StoreError::Corrupt { detail, .. } if detail.contains("EXPLOSION")), "{error:?}");
}

// ---------------------------------------------------------------------------
// Backend-independent
// ---------------------------------------------------------------------------

#[tokio::test]
async fn unsupported_urls_are_refused_without_their_passwords() {
    for url in ["mysql://root@localhost/cairn", "cairn.db", "file:///tmp/cairn.db", "", "sqlite"] {
        let error = MetadataStore::connect(url).await.expect_err(url);
        assert!(matches!(error, StoreError::UnsupportedUrl(_)), "{url}: {error:?}");
    }
    let error = MetadataStore::connect("mysql://cairn:S3cret-pw@host/db").await.unwrap_err();
    assert!(matches!(error, StoreError::UnsupportedUrl(_)));
    assert!(!error.to_string().contains("S3cret-pw"), "{error}");
    assert!(!format!("{error:?}").contains("S3cret-pw"), "{error:?}");
    assert!(error.to_string().contains("mysql://cairn:***@host/db"), "{error}");
    assert_eq!(cairn_store::redact_url("redis://u:hunter2@h:6379/0"), "redis://u:***@h:6379/0");
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
    let db = TempPostgres::create().await;
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
        let db = TempPostgres::create().await;
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
    record(&store, materialization("a", None, "v", vec![])).await;

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
// Scale
// ---------------------------------------------------------------------------

/// `TOTAL` materializations of 200 assets, 20 of them unpartitioned, the
/// others with up to 500 partitions (`p0`..`p499`), two inputs each; the
/// latest of each asset partition is the one with the highest id. With
/// 40,000: 36,020 asset partitions, one materialization each.
async fn load_state_at_scale(db: &TestDb, postgres: bool) {
    const TOTAL: i64 = 40_000;
    const ROUNDS: i64 = TOTAL / 200;
    let store = db.store().await;
    let run = store.create_run(&new_run(&[])).await.unwrap();
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
    cairn_store::testing::adopt_materializations(&store, run).await;
    if postgres {
        raw.execute_unprepared("ANALYZE").await.unwrap();
    }
    eprintln!("inserted {TOTAL} materializations in {:?}", started.elapsed());

    let started = std::time::Instant::now();
    let state = store.load_state().await.unwrap();
    let elapsed = started.elapsed();
    eprintln!("load_state: {} asset partitions in {elapsed:?}", state.materialization_count());
    // 20 unpartitioned assets (one NULL group each) + 180 × the partitions.
    assert_eq!(state.materialization_count() as i64, 20 + 180 * ROUNDS.min(500));
    let record = state.materialization(&asset("asset_7"), None).unwrap();
    assert_eq!(record.data_version, data(&format!("v{}", TOTAL - 200 + 7)));
    assert_eq!(record.inputs.len(), 1);
    // The last round that wrote `p3`.
    let round = (ROUNDS - 1 - 3) / 500 * 500 + 3;
    let record = state.materialization(&asset("asset_42"), Some(&part("p3"))).unwrap();
    assert_eq!(record.data_version, data(&format!("v{}", round * 200 + 42)));
    assert_eq!(record.inputs.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_load_state_at_scale() {
    load_state_at_scale(&TestDb::sqlite(), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_load_state_at_scale() {
    load_state_at_scale(&TestDb::postgres().await, true).await;
}
