//! Migration tests: a database as Cairn 0.1 left it (its schema, filled
//! the way 0.1 filled it, including a run whose process was killed) opens
//! with today's store and keeps its whole history; processes opening a new
//! database at the same time never race on creating it. On SQLite and
//! PostgreSQL. (`api/tests/migration.rs` opens a database file written by
//! the 0.1 binary itself.)

mod common;

use cairn_store::testing::create_release_0_1_schema;
use cairn_store::{EventKind, EventLevel, MetadataStore, RunFilter, RunId, RunOrigin, RunStatus};
use common::*;
use sea_orm::ConnectionTrait;

on_both_backends!(a_release_0_1_database_keeps_its_history, first_connections_at_once_migrate_once);

/// Rows as 0.1 wrote them: three runs (succeeded, failed, killed while
/// `running`), materializations with inputs, check results, events.
const RELEASE_0_1_ROWS: &[&str] = &[
    "INSERT INTO runs (id, status, selection, partition_filter, planned_steps, materialized_steps, failed_steps, \
     skipped_steps, started_at, finished_at) VALUES \
     (1, 'succeeded', '+flights_daily', '2013-01-01..2013-01-02', 2, 2, 0, 0, '2013-01-05T00:00:00+00:00', '2013-01-05T00:01:00+00:00'), \
     (2, 'failed', 'flights_daily', NULL, 1, 0, 1, 0, '2013-01-05T01:00:00+00:00', '2013-01-05T01:01:00+00:00'), \
     (3, 'running', '', NULL, 5, 0, 0, 0, '2013-01-05T02:00:00+00:00', NULL)",
    "INSERT INTO materializations (id, run_id, asset_key, partition_key, code_version, data_version, rows, bytes, \
     duration_ms, path, materialized_at) VALUES \
     (1, 1, 'flights_daily', '2013-01-01', 'c1', 'd1', 842, 1000, 50, 'flights_daily/2013-01-01/data.parquet', '2013-01-05T00:00:30+00:00'), \
     (2, 1, 'flights_daily', '2013-01-02', 'c1', 'd2', 943, 1000, 50, 'flights_daily/2013-01-02/data.parquet', '2013-01-05T00:00:40+00:00'), \
     (3, 3, 'flights_daily', '2013-01-03', 'c1', 'd3', 914, 1000, 50, 'flights_daily/2013-01-03/data.parquet', '2013-01-05T02:00:10+00:00')",
    "INSERT INTO materialization_inputs (materialization_id, position, asset_key, partition_key, data_version) VALUES \
     (1, 0, 'raw/flights', NULL, 'f1'), (2, 0, 'raw/flights', NULL, 'f1'), (3, 0, 'raw/flights', NULL, 'f1')",
    "INSERT INTO observations (id, run_id, asset_key, partition_key, data_version, observed_at) VALUES \
     (1, 1, 'raw/flights', NULL, 'f1', '2013-01-05T00:00:00+00:00')",
    "INSERT INTO check_results (id, run_id, materialization_id, asset_key, partition_key, check_name, severity, passed, \
     violations, sample, error, evaluated_at) VALUES \
     (1, 2, NULL, 'flights_daily', '2013-01-02', 'row_count(max=10)', 'error', FALSE, 1, '[{\"row_count\":943}]', NULL, '2013-01-05T01:00:30+00:00')",
    "INSERT INTO run_events (id, run_id, asset_key, partition_key, level, message, at) VALUES \
     (1, 1, 'flights_daily', '2013-01-01', 'info', 'materialized 842 rows', '2013-01-05T00:00:30+00:00'), \
     (2, 2, 'flights_daily', '2013-01-02', 'error', 'check failed', '2013-01-05T01:00:30+00:00'), \
     (3, 3, 'flights_daily', '2013-01-03', 'info', 'materialized 914 rows', '2013-01-05T02:00:10+00:00')",
];

async fn a_release_0_1_database_keeps_its_history(db: &TestDb) {
    create_release_0_1_schema(&db.url).await;
    let raw = db.raw().await;
    for sql in RELEASE_0_1_ROWS {
        let sql = if db.is_postgres() { sql.to_string() } else { sql.replace("FALSE", "0") };
        raw.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
    if db.is_postgres() {
        // 0.1 inserted through the identity columns; explicit ids above
        // did not advance them.
        for table in ["runs", "materializations", "observations", "check_results", "run_events"] {
            raw.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await
            .unwrap();
        }
    }
    drop(raw);

    let store = db.store().await;
    let runs = store.runs(&RunFilter::default(), 10).await.unwrap();
    let statuses: Vec<(RunId, RunStatus)> = runs.iter().map(|r| (r.id, r.status)).collect();
    assert_eq!(
        statuses,
        [(RunId(3), RunStatus::Failure), (RunId(2), RunStatus::Failure), (RunId(1), RunStatus::Success)]
    );
    let first = &runs[2];
    assert_eq!(first.selection, "+flights_daily");
    assert_eq!(first.origin, RunOrigin::Cli);
    assert_eq!(first.target, None, "0.1 stored no structural target");
    assert_eq!(first.created_at, first.started_at.unwrap(), "a 0.1 run started when it was stored");
    assert_eq!((first.planned_steps, first.materialized_steps), (2, 2));
    assert!(store.run_steps(RunId(1)).await.unwrap().is_empty());

    // History is all there.
    let state = store.load_state().await.unwrap();
    assert_eq!(state.materialization_count(), 3);
    let day = state.materialization(&asset("flights_daily"), Some(&part("2013-01-03"))).unwrap();
    assert_eq!(day.path, "flights_daily/2013-01-03/data.parquet");
    assert_eq!(day.inputs, vec![input("raw/flights", None, "f1")]);
    assert_eq!(state.observation(&asset("raw/flights")).unwrap().data_version, data("f1"));
    let checks = store.latest_check_results().await.unwrap();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].sample, serde_json::json!([{ "row_count": 943 }]));

    // Events moved into the log, in order, with their levels; the killed
    // run got an event saying what happened to it.
    let events = store.run_events(RunId(3)).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!((events[0].seq, events[0].kind, events[0].level), (3, EventKind::Log, EventLevel::Info));
    assert_eq!(events[0].message, "materialized 914 rows");
    assert_eq!((events[1].kind, events[1].level), (EventKind::EngineEvent, EventLevel::Warn));
    assert!(events[1].message.contains("recorded by Cairn 0.1"), "{}", events[1].message);
    let failed = store.run_events(RunId(2)).await.unwrap();
    assert_eq!((failed[0].seq, failed[0].level), (2, EventLevel::Error));

    // New runs continue the ids and the event sequence.
    let (_, run) = record(&store, materialization("flights_daily", Some("2013-01-04"), "d4", vec![])).await;
    assert_eq!(run, RunId(4));
    let events = store.run_events(run).await.unwrap();
    assert!(events[0].seq > 4, "after the migrated events: {}", events[0].seq);
    assert_eq!(store.load_state().await.unwrap().materialization_count(), 4);
}

async fn first_connections_at_once_migrate_once(db: &TestDb) {
    let url = db.url.clone();
    let connections: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { MetadataStore::connect(&url).await })
        })
        .collect();
    for connection in connections {
        let store = connection.await.expect("task").unwrap_or_else(|error| panic!("concurrent first open: {error}"));
        store.runs(&RunFilter::default(), 1).await.expect("a usable store");
    }
    let raw = db.raw().await;
    let rows = raw
        .query_all_raw(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            "SELECT version FROM cairn_migrations",
        ))
        .await
        .unwrap();
    let mut versions: Vec<String> = rows.iter().map(|row| row.try_get("", "version").unwrap()).collect();
    versions.sort();
    assert_eq!(versions, MIGRATIONS, "each migration recorded once");
}
