//! Test support: a fresh PostgreSQL database per test, dropped afterwards,
//! and a database as Cairn 0.1 left it, for migration tests.
//!
//! Compiled only with cairn-store's `test-support` feature, for integration
//! tests (this crate's and those of crates using the metadata store):
//!
//! ```toml
//! [dev-dependencies]
//! cairn-store = { workspace = true, features = ["test-support"] }
//! ```
//!
//! ```no_run
//! # async fn example() {
//! use cairn_store::{MetadataStore, testing::TempPostgres};
//!
//! let db = TempPostgres::create().await;
//! let store = MetadataStore::connect(db.url()).await.unwrap();
//! # }
//! ```
//!
//! # Environment
//!
//! [`POSTGRES_URL_VAR`] (`CAIRN_TEST_POSTGRES_URL`): the server to create
//! databases on, as a URL whose user may create databases; its database
//! is used only to connect. Default: [`DEFAULT_POSTGRES_URL`]. There is no
//! way to skip the PostgreSQL tests: an unreachable server fails them.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Executor as _};
use url::Url;

use super::db_url;

/// The server used when [`POSTGRES_URL_VAR`] is not set: a local
/// PostgreSQL, user `postgres` without password (trust authentication),
/// database `test`.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Environment variable naming the PostgreSQL server to create test
/// databases on (a `postgres://` URL); see [`DEFAULT_POSTGRES_URL`].
pub const POSTGRES_URL_VAR: &str = "CAIRN_TEST_POSTGRES_URL";

/// How long to wait for the server to accept a connection, when creating
/// and when dropping a database.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A PostgreSQL database created for one test, dropped (with
/// `DROP DATABASE ... WITH (FORCE)`, closing connections still open to it)
/// when this value is dropped, whether the test passed or panicked.
///
/// Each database has a name of its own (`cairn_test_PID_N_NANOS`), so tests
/// can run in parallel, in one process or several. A database is left
/// behind only if the process is killed or the server cannot be reached
/// when the value is dropped (a warning is then printed).
pub struct TempPostgres {
    /// URL of the fresh database.
    url: String,
    /// URL of the server's database that was connected to, to drop it.
    admin_url: String,
    /// The fresh database's name.
    name: String,
}

impl TempPostgres {
    /// Creates a fresh, empty database on the server named by
    /// [`POSTGRES_URL_VAR`] (default [`DEFAULT_POSTGRES_URL`]).
    ///
    /// Must run inside a tokio runtime with time enabled (as
    /// `#[tokio::test]` provides).
    ///
    /// # Panics
    /// With a message saying what to do (start a server or set
    /// [`POSTGRES_URL_VAR`]) if the URL is not a PostgreSQL URL, if the
    /// server cannot be reached or refuses the login within
    /// [`CONNECT_TIMEOUT`], or if the database cannot be created. Messages
    /// never contain the URL's password.
    pub async fn create() -> Self {
        let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let name = unique_name();
        let url = database_url(&admin_url, &name);
        let mut admin = connect(&admin_url).await.unwrap_or_else(|error| {
            panic!(
                "PostgreSQL is unreachable at {} ({error}). These tests need a PostgreSQL server: start one, \
                 or point {POSTGRES_URL_VAR} at one.",
                db_url::redact(&admin_url)
            )
        });
        if let Err(error) = admin.execute(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).await {
            panic!(
                "cannot create test database {name} on {}: {}",
                db_url::redact(&admin_url),
                db_url::mask_secrets(&error.to_string(), &admin_url)
            );
        }
        // Best effort: the database exists either way.
        let _ = admin.close().await;
        Self { url, admin_url, name }
    }

    /// URL of the fresh database: the server's URL with its database
    /// replaced (user, password and query parameters kept). Pass it to
    /// `MetadataStore::connect`; it may contain a password, so show it with
    /// care.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Name of the fresh database.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Shows the URLs without their passwords.
impl std::fmt::Debug for TempPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempPostgres")
            .field("url", &db_url::redact(&self.url))
            .field("admin_url", &db_url::redact(&self.admin_url))
            .field("name", &self.name)
            .finish()
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop usually runs on the test's runtime, which cannot be blocked
        // on: use a thread with a runtime of its own, and wait for it so
        // the database is gone when the test ends.
        let dropped = std::thread::Builder::new()
            .name("cairn-drop-test-database".into())
            .spawn(move || -> Result<(), String> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|error| format!("cannot start a runtime: {error}"))?;
                runtime.block_on(async {
                    let mut admin = connect(&admin_url).await?;
                    let dropped = admin.execute(AssertSqlSafe(sql)).await.map(drop);
                    let _ = admin.close().await;
                    dropped.map_err(|error| db_url::mask_secrets(&error.to_string(), &admin_url))
                })
            })
            .map_err(|error| format!("cannot start a thread: {error}"))
            .and_then(|thread| thread.join().unwrap_or_else(|_| Err("the thread panicked".to_owned())));
        if let Err(error) = dropped {
            eprintln!("warning: cannot drop test database {}: {error}", self.name);
        }
    }
}

/// Creates the schema of Cairn 0.1 (its one migration) in the empty
/// database at `url` (SQLite or PostgreSQL), without the later migrations,
/// so a test can fill it as 0.1 did and check that opening it with
/// [`crate::MetadataStore::connect`] migrates it and keeps its history.
///
/// # Panics
/// If the database cannot be opened or the migration fails.
pub async fn create_release_0_1_schema(url: &str) {
    use sea_orm_migration::MigratorTrait;
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).max_connections(1);
    if let Some(path) = url.strip_prefix("sqlite://") {
        if let Some(parent) = std::path::Path::new(path).parent() {
            std::fs::create_dir_all(parent).expect("create the test database's folder");
        }
        options.map_sqlx_sqlite_opts(|options| options.create_if_missing(true));
    }
    let db = sea_orm::Database::connect(options).await.expect("open the test database");
    crate::migration::ReleaseZeroOneMigrator::up(&db, None).await.expect("create the 0.1 schema");
    db.close().await.expect("close the test database");
}

/// A database name no other test uses, even in another process:
/// `cairn_test_PID_N_NANOS`.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.subsec_nanos());
    format!("cairn_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `admin_url` with its database replaced by `name` (as the path, and
/// without a `dbname` query parameter, which would override it).
///
/// # Panics
/// If `admin_url` is not a `postgres://` or `postgresql://` URL.
fn database_url(admin_url: &str, name: &str) -> String {
    let parsed = match db_url::backend(admin_url) {
        Some(db_url::Backend::Postgres) => Url::parse(admin_url).ok().filter(|url| !url.cannot_be_a_base()),
        _ => None,
    };
    let Some(mut url) = parsed else {
        panic!(
            "{POSTGRES_URL_VAR} must be a PostgreSQL URL like {DEFAULT_POSTGRES_URL}, not {}",
            db_url::redact(admin_url)
        )
    };
    url.set_path(&format!("/{name}"));
    if url.query_pairs().any(|(key, _)| key == "dbname") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(key, _)| key != "dbname")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
    }
    url.into()
}

/// One connection to `url`, within [`CONNECT_TIMEOUT`]; the error, if any,
/// without the URL's secrets.
async fn connect(url: &str) -> Result<PgConnection, String> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|error| db_url::mask_secrets(&error.to_string(), url))?
        .disable_statement_logging();
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(db_url::mask_secrets(&error.to_string(), url)),
        Err(_) => Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())),
    }
}

/// Makes the materializations of `run` that were written straight into the
/// `materializations` table (raw SQL, in tests) current where they are the
/// latest of their asset partition, as recording them through a step would.
///
/// # Panics
/// If the store refuses the statement.
pub async fn adopt_materializations(store: &crate::MetadataStore, run: crate::RunId) {
    crate::current::adopt_materializations_of(&store.db, run).await.expect("make materializations current");
}

/// A materialization written straight into the store by
/// [`insert_materializations`], without running anything.
#[derive(Debug, Clone)]
pub struct SyntheticMaterialization {
    /// The asset partition.
    pub target: cairn_core::state::AssetPartition,
    /// Code version it was made with.
    pub code_version: cairn_core::CodeVersion,
    /// Data version it wrote.
    pub data_version: cairn_core::DataVersion,
    /// When it was published, UTC.
    pub materialized_at: chrono::DateTime<chrono::Utc>,
    /// Its file, relative to the project's data folder. Readers of state
    /// never look at it (only a step that reads it, or `--verify`, does);
    /// rows may share one.
    pub path: String,
}

/// A run of `project` with one step, materializing `target`, created at
/// `created_at` (UTC): what tests and benchmarks claim and finish through
/// the store's API, as an executor does.
pub fn one_step_run(
    project: &str,
    target: cairn_core::state::AssetPartition,
    created_at: chrono::DateTime<chrono::Utc>,
) -> crate::NewRun {
    let step = crate::NewStep { target, reasons: Vec::new(), conditional: false, waits_for: Vec::new() };
    cli_run(project, vec![step], created_at)
}

/// A run of `project` launched from the CLI with `steps`, targeting every
/// partition.
pub fn cli_run(project: &str, steps: Vec<crate::NewStep>, created_at: chrono::DateTime<chrono::Utc>) -> crate::NewRun {
    crate::NewRun {
        project: project.to_owned(),
        origin: crate::RunOrigin::Cli,
        tags: std::collections::BTreeMap::new(),
        selection: String::new(),
        partition_filter: None,
        target: crate::RunTarget {
            assets: Vec::new(),
            partitions: cairn_core::run::PartitionScope::All,
            only_stale: false,
        },
        steps,
        created_at,
    }
}

/// Fills a store with many materializations at once, as benchmarks need
/// (365,000 of them take seconds, where running them would take minutes):
/// one run of origin `cli` without steps holds them all. Rows are inserted
/// in batches inside one transaction.
///
/// # Panics
/// If the store refuses a statement.
pub async fn insert_materializations(store: &crate::MetadataStore, project: &str, rows: &[SyntheticMaterialization]) {
    use sea_orm::ActiveValue::{NotSet, Set};
    use sea_orm::{EntityTrait as _, TransactionTrait as _};

    use crate::entities::materializations;

    let run = store
        .create_run(&cli_run(project, Vec::new(), chrono::Utc::now()))
        .await
        .expect("store the run holding synthetic materializations");
    let txn = store.db.begin().await.expect("begin a transaction");
    for chunk in rows.chunks(1_000) {
        let models = chunk.iter().map(|row| materializations::ActiveModel {
            id: NotSet,
            run_id: Set(run.0),
            asset_key: Set(row.target.asset.as_str().to_owned()),
            partition_key: Set(row.target.partition.as_ref().map(|p| p.as_str().to_owned())),
            code_version: Set(row.code_version.as_str().to_owned()),
            data_version: Set(row.data_version.as_str().to_owned()),
            rows: Set(Some(1)),
            bytes: Set(512),
            duration_ms: Set(1),
            path: Set(row.path.clone()),
            materialized_at: Set(row.materialized_at),
            step_id: Set(None),
        });
        materializations::Entity::insert_many(models).exec(&txn).await.expect("insert synthetic materializations");
    }
    crate::current::adopt_materializations_of(&txn, run).await.expect("make synthetic materializations current");
    // One `ASSET_MATERIALIZATION` event each, as a step's end appends:
    // readers advanced from the event log see them.
    let events: Vec<crate::NewEvent> = rows
        .iter()
        .map(|row| crate::NewEvent {
            kind: crate::EventKind::AssetMaterialization,
            run_id: Some(run),
            step_id: None,
            asset: Some(row.target.asset.clone()),
            partition: row.target.partition.clone(),
            level: crate::EventLevel::Info,
            message: format!("materialized {} (synthetic)", row.target),
            data: None,
            at: row.materialized_at,
        })
        .collect();
    crate::events::append_in(&txn, &events).await.expect("append the synthetic materializations' events");
    txn.commit().await.expect("commit synthetic materializations");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_keep_everything_but_the_database() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            database_url("postgresql://u:p%40ss@h/test?sslmode=disable", "x"),
            "postgresql://u:p%40ss@h/x?sslmode=disable"
        );
        assert_eq!(database_url("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            database_url("postgres://h/test?dbname=test&sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(database_url("postgres://h/test?dbname=test", "x"), "postgres://h/x");
    }

    #[test]
    #[should_panic(expected = "must be a PostgreSQL URL")]
    fn other_urls_are_refused() {
        database_url("sqlite://x.db", "x");
    }

    #[test]
    fn unique_names_are_identifiers() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.len() <= 63, "PostgreSQL truncates longer names: {a}");
        assert!(a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{a}");
    }

    #[test]
    fn debug_hides_passwords() {
        let db = std::mem::ManuallyDrop::new(TempPostgres {
            url: "postgres://u:hunter2@h/x".to_owned(),
            admin_url: "postgres://u:hunter2@h/test".to_owned(),
            name: "x".to_owned(),
        });
        let shown = format!("{:?}", *db);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://u:***@h/x"), "{shown}");
    }
}
