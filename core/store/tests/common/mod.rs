//! What the store's integration tests share: a test database on either
//! backend, the macro that runs a scenario on both, and fixtures.
//!
//! Every scenario runs twice, against a SQLite file in a temporary
//! directory (`sqlite::*`) and against a fresh PostgreSQL database
//! (`postgres::*`, see [`TempPostgres`]) created on the server at
//! `CAIRN_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! and dropped afterwards, even when the test fails. An unreachable server
//! fails the PostgreSQL tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use cairn_core::partitions::{KeyRange, PartitionKey};
use cairn_core::planner::PlanReason;
use cairn_core::run::{PartitionScope, RunTarget};
use cairn_core::state::{AssetPartition, InputVersion};
use cairn_core::{AssetKey, CodeVersion, DataVersion};
use cairn_store::testing::TempPostgres;
use cairn_store::{
    ClaimRequest, ClaimedStep, Finished, MetadataStore, NewCheckResult, NewMaterialization, NewRun, NewStep, RunId,
    RunOrigin, StepOutcome,
};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sea_orm::{Database, DatabaseConnection};

/// A database for one test: a SQLite file or a PostgreSQL database, removed
/// when this value is dropped.
pub struct TestDb {
    pub url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<TempPostgres>,
}

impl TestDb {
    /// A SQLite file in a new temporary directory, in a subdirectory that
    /// does not exist yet (the store must create it).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let path = dir.path().join("state").join("cairn.db");
        Self { url: format!("sqlite://{}", path.display()), _sqlite_dir: Some(dir), _postgres: None }
    }

    /// A fresh PostgreSQL database. Panics if the server cannot be reached.
    pub async fn postgres() -> Self {
        let postgres = TempPostgres::create().await;
        Self { url: postgres.url().to_owned(), _sqlite_dir: None, _postgres: Some(postgres) }
    }

    pub fn is_postgres(&self) -> bool {
        self._postgres.is_some()
    }

    pub async fn store(&self) -> MetadataStore {
        MetadataStore::connect(&self.url).await.unwrap_or_else(|error| panic!("cannot open the store: {error}"))
    }

    /// A plain sea-orm connection, to inspect or damage the tables.
    pub async fn raw(&self) -> DatabaseConnection {
        let mut options = sea_orm::ConnectOptions::new(self.url.clone());
        options.sqlx_logging(false).max_connections(1);
        if self.url.starts_with("sqlite:") {
            options.map_sqlx_sqlite_opts(|options| options.create_if_missing(true));
        }
        Database::connect(options).await.expect("raw connection")
    }
}

/// Generates `sqlite::NAME` and `postgres::NAME` tests running the
/// scenario `NAME(&TestDb)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = $crate::common::TestDb::sqlite();
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = $crate::common::TestDb::postgres().await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}

pub fn asset(key: &str) -> AssetKey {
    AssetKey::new(key).expect("valid asset key")
}

pub fn part(key: &str) -> PartitionKey {
    PartitionKey::new(key).expect("valid partition key")
}

pub fn target(asset_key: &str, partition: Option<&str>) -> AssetPartition {
    AssetPartition::new(asset(asset_key), partition.map(part))
}

pub fn data(version: &str) -> DataVersion {
    DataVersion::from_stored(version)
}

pub fn code(version: &str) -> CodeVersion {
    CodeVersion::from_stored(version)
}

/// 2013-01-05T00:00:00.123456Z plus `seconds`: microseconds survive a
/// round trip on both databases.
pub fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2013, 1, 5, 0, 0, 0).unwrap() + TimeDelta::microseconds(123_456) + TimeDelta::seconds(seconds)
}

pub fn input(asset_key: &str, partition: Option<&str>, version: &str) -> InputVersion {
    InputVersion { asset: asset(asset_key), partition: partition.map(part), data_version: data(version) }
}

pub const PROJECT: &str = "flights";

/// Every migration of the store, as `cairn_migrations` records them, in order.
pub const MIGRATIONS: [&str; 8] = [
    "m0001_initial_schema",
    "m0002_durable_runs",
    "m0003_backfills",
    "m0004_executors",
    "m0005_asset_partitions",
    "m0006_retention",
    "m0007_asset_status_cache",
    "m0008_automation",
];

/// A run of the project over `steps` (asset, partition, positions waited for).
pub fn new_run(steps: &[(&str, Option<&str>, &[usize])]) -> NewRun {
    NewRun {
        project: PROJECT.to_owned(),
        origin: RunOrigin::Cli,
        tags: BTreeMap::new(),
        selection: String::new(),
        partition_filter: None,
        target: RunTarget { assets: Vec::new(), partitions: PartitionScope::All, only_stale: true },
        steps: steps
            .iter()
            .map(|(asset_key, partition, waits_for)| NewStep {
                target: target(asset_key, *partition),
                reasons: vec![PlanReason::Missing],
                conditional: false,
                waits_for: waits_for.to_vec(),
            })
            .collect(),
        created_at: at(0),
    }
}

/// A target scope of one range, for round trips.
pub fn scope(assets: &[&str], start: &str, end: &str) -> PartitionScope {
    PartitionScope::Ranges {
        groups: vec![cairn_core::run::PartitionRanges {
            definition: "daily partitions".to_owned(),
            assets: assets.iter().map(|a| asset(a)).collect(),
            ranges: vec![KeyRange { start: part(start), end: part(end) }],
        }],
    }
}

pub async fn claim(store: &MetadataStore, owner: &str, limit: usize, now: DateTime<Utc>) -> Vec<ClaimedStep> {
    claim_in(store, owner, None, limit, now).await
}

pub async fn claim_in(
    store: &MetadataStore,
    owner: &str,
    run: Option<RunId>,
    limit: usize,
    now: DateTime<Utc>,
) -> Vec<ClaimedStep> {
    store
        .claim_steps(&ClaimRequest { owner, project: PROJECT, run, limit, lease: Duration::from_secs(30), now })
        .await
        .expect("claim")
}

pub fn materialization(
    asset_key: &str,
    partition: Option<&str>,
    version: &str,
    inputs: Vec<InputVersion>,
) -> NewMaterialization {
    NewMaterialization {
        asset: asset(asset_key),
        partition: partition.map(part),
        code_version: code("c0de"),
        data_version: data(version),
        inputs,
        rows: Some(42),
        bytes: 4096,
        duration_ms: 1_250,
        path: format!("{asset_key}/{}/m.parquet", partition.unwrap_or("-")),
        materialized_at: at(60),
    }
}

pub fn check(name: &str, passed: bool) -> NewCheckResult {
    NewCheckResult {
        check_name: name.to_owned(),
        severity: cairn_store::CheckSeverity::Error,
        passed,
        violations: if passed { 0 } else { 3 },
        sample: serde_json::json!([]),
        error: None,
        evaluated_at: at(120),
    }
}

/// Finishes a claimed step as materialized with `m` and `checks`.
pub async fn materialize(
    store: &MetadataStore,
    claimed: &ClaimedStep,
    m: NewMaterialization,
    checks: Vec<NewCheckResult>,
) -> Finished {
    store
        .finish_step(
            &claimed.lease,
            &claimed.step.target,
            &StepOutcome::Materialized { materialization: m, checks, data_changed: true },
            &[],
            at(60),
        )
        .await
        .expect("finish step")
}

/// Records a materialization the way an executor does: a run of one step,
/// claimed and finished. Returns the materialization id and the run.
pub async fn record(store: &MetadataStore, m: NewMaterialization) -> (i64, RunId) {
    record_with_checks(store, m, Vec::new()).await
}

pub async fn record_with_checks(
    store: &MetadataStore,
    m: NewMaterialization,
    checks: Vec<NewCheckResult>,
) -> (i64, RunId) {
    let partition = m.partition.as_ref().map(|p| p.as_str().to_owned());
    let run = store.create_run(&new_run(&[(m.asset.as_str(), partition.as_deref(), &[])])).await.expect("create run");
    // Another run may hold the same asset partition: wait for it, as an
    // executor does.
    let mut claimed = claim_in(store, "tester", Some(run), 1, at(1)).await;
    for _ in 0..2_000 {
        if !claimed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        claimed = claim_in(store, "tester", Some(run), 1, at(1)).await;
    }
    assert_eq!(claimed.len(), 1, "the step of {run} is claimable");
    let finished = materialize(store, &claimed[0], m, checks).await;
    (finished.materialization_id.expect("a materialization id"), run)
}
