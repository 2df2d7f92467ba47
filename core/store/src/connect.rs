//! Opening the connection pool: SQLite pragmas, a PostgreSQL reachability
//! probe, and migrations.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sea_orm::sqlx::{ConnectOptions as _, Connection as _};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use super::StoreError;
use super::db_url::{self, Backend};
use super::migration::Migrator;

/// How long a SQLite connection waits for another writer's lock before
/// failing with `database is locked`.
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite pool size. In WAL mode readers never block the (single) writer,
/// so connections let `load_state` and the UI read during a run; writers
/// queue on SQLite's write lock, waiting up to [`SQLITE_BUSY_TIMEOUT`],
/// each holding its connection meanwhile. Enough connections that readers
/// (the server's index advancing, its requests, subscriptions) need not
/// wait for one held by writers waiting for the lock while the server's
/// executor runs two steps at once.
const SQLITE_MAX_CONNECTIONS: u32 = 16;

/// How long to wait for a PostgreSQL server to accept a connection.
const POSTGRES_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Opens `url` and applies pending migrations.
pub(crate) async fn open(url: &str) -> Result<DatabaseConnection, StoreError> {
    let Some(backend) = db_url::backend(url) else {
        return Err(StoreError::UnsupportedUrl(db_url::redact(url)));
    };
    let url = &db_url::lowercase_scheme(url);
    let connect_error =
        |source: DbErr| StoreError::Connect { url: db_url::redact(url), source: db_url::scrub(source, url) };

    let mut options = ConnectOptions::new(url.to_owned());
    // sqlx logs every statement at INFO by default: far too noisy for a CLI.
    options.sqlx_logging(false);
    match backend {
        Backend::Sqlite => {
            let sqlite = SqliteConnectOptions::from_str(url).map_err(|e| connect_error(sqlx_error(e)))?;
            create_parent_dir(sqlite.get_filename()).map_err(connect_error)?;
            // A SQLite connection is a file handle in this process: it
            // cannot drop the way a server connection can, so the pool does
            // not ping it before each use (one round trip to its worker
            // thread per query: most of the time of a short read).
            options.test_before_acquire(false);
            options.max_connections(SQLITE_MAX_CONNECTIONS).map_sqlx_sqlite_opts(|options| {
                options
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        }
        Backend::Postgres => probe_postgres(url).await.map_err(connect_error)?,
    }
    let db = connect_retrying_busy(options).await.map_err(connect_error)?;

    let migrate_error =
        |source: DbErr| StoreError::Migrate { url: db_url::redact(url), source: db_url::scrub(source, url) };
    migrate(&db).await.map_err(migrate_error)?;
    Ok(db)
}

/// Connects, retrying while SQLite answers `SQLITE_BUSY` (code 5), for up
/// to [`SQLITE_BUSY_TIMEOUT`]. Opening a connection switches the file to
/// WAL mode, and SQLite does not call the busy handler for that switch: a
/// process opening the database while another one creates or migrates it
/// got "database is locked" at once instead of waiting (seen with two
/// first `cairn materialize` at once).
async fn connect_retrying_busy(options: ConnectOptions) -> Result<DatabaseConnection, DbErr> {
    let deadline = std::time::Instant::now() + SQLITE_BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(10);
    loop {
        match Database::connect(options.clone()).await {
            Err(error) if is_sqlite_busy(&error) && std::time::Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// Whether SQLite said `SQLITE_BUSY` (the database file is locked).
fn is_sqlite_busy(error: &DbErr) -> bool {
    let sqlx = match error {
        DbErr::Conn(RuntimeErr::SqlxError(sqlx)) => sqlx,
        _ => return false,
    };
    match sqlx.as_ref() {
        sea_orm::sqlx::Error::Database(database) => database.code().as_deref() == Some("5"),
        _ => false,
    }
}

/// Key of the PostgreSQL advisory lock held while migrating ("cairn" in
/// ASCII, then a version byte).
const MIGRATION_LOCK_KEY: i64 = 0x6361_6972_6e01;

/// Applies pending migrations, one process at a time: a process that finds
/// migrations pending takes a lock (PostgreSQL: a transaction-scoped
/// advisory lock; SQLite: an immediate write transaction), checks again
/// and migrates inside that transaction. A process that waited finds
/// nothing left to do. Checking first, read-only, keeps up-to-date opens
/// free of writes and sea-orm-migration's INFO lines out of every
/// command's output.
async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if Migrator::get_pending_migrations_read_only(db).await?.is_empty() {
        return Ok(());
    }
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")).await?;
    }
    if !Migrator::get_pending_migrations(&txn).await?.is_empty() {
        Migrator::up(&txn, None).await?;
    }
    txn.commit().await
}

fn sqlx_error(error: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error)))
}

/// Creates the directory that will hold a SQLite file, if missing.
fn create_parent_dir(file: &std::path::Path) -> Result<(), DbErr> {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.exists() => {
            std::fs::create_dir_all(parent).map_err(|e| {
                DbErr::Conn(RuntimeErr::Internal(format!("cannot create directory {}: {e}", parent.display())))
            })
        }
        _ => Ok(()),
    }
}

/// Opens and closes one PostgreSQL connection, so an unreachable server
/// or a failed login is reported at once with its cause. (sqlx's pool
/// retries refused connections until its acquire timeout, 30 s, and then
/// reports only "pool timed out".)
async fn probe_postgres(url: &str) -> Result<(), DbErr> {
    let options = PgConnectOptions::from_str(url).map_err(sqlx_error)?.disable_statement_logging();
    match tokio::time::timeout(POSTGRES_CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await.ok() {
        None => Err(DbErr::Conn(RuntimeErr::Internal(format!(
            "the server did not answer within {} s",
            POSTGRES_CONNECT_TIMEOUT.as_secs()
        )))),
        Some(Err(error)) => Err(sqlx_error(error)),
        Some(Ok(connection)) => {
            // Closing politely is best effort; the pool opens its own.
            let _ = connection.close().await;
            Ok(())
        }
    }
}
