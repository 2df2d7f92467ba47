//! Classifying database errors by their codes (PostgreSQL's SQLSTATE,
//! SQLite's extended result codes) and by the driver's error variant,
//! never by message text.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// What a database error means to the store's callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DbErrorKind {
    /// A unique index refused a row (PostgreSQL `23505`, SQLite
    /// `SQLITE_CONSTRAINT_UNIQUE` / `_PRIMARYKEY`).
    UniqueViolation,
    /// Retrying the same operation may succeed; the transaction was rolled
    /// back whole. PostgreSQL: serialization failure (`40001`), deadlock
    /// (`40P01`), lock timeout (`55P03`), the session ended by
    /// `idle_in_transaction_session_timeout` (`25P03`), an administrator
    /// or a crash ending the session (`57P01`-`57P03`), any connection
    /// exception (class `08`). SQLite: `SQLITE_BUSY` and `SQLITE_LOCKED`
    /// with their extended codes. Any driver: the connection was lost
    /// (I/O error) or no connection could be had in time.
    Transient,
    /// Anything else.
    Other,
}

/// Classifies `error` (see [`DbErrorKind`]).
pub(crate) fn classify(error: &DbErr) -> DbErrorKind {
    if let Some(SqlErr::UniqueConstraintViolation(_)) = error.sql_err() {
        return DbErrorKind::UniqueViolation;
    }
    let sqlx = match error {
        DbErr::ConnectionAcquire(_) => return DbErrorKind::Transient,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return DbErrorKind::Other,
    };
    use sea_orm::sqlx::Error;
    match sqlx.as_ref() {
        Error::Io(_) | Error::PoolTimedOut | Error::Tls(_) | Error::Protocol(_) => DbErrorKind::Transient,
        Error::Database(database) => {
            let driver = if database.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>().is_some() {
                Driver::Postgres
            } else {
                Driver::Sqlite
            };
            match database.code() {
                Some(code) if is_transient_code(driver, &code) => DbErrorKind::Transient,
                _ => DbErrorKind::Other,
            }
        }
        _ => DbErrorKind::Other,
    }
}

/// The database a driver error comes from: their codes overlap (`40001`
/// is a SQLSTATE and could be read as a number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Postgres,
    Sqlite,
}

/// Whether a driver's error code says "try again" (see [`DbErrorKind`]).
fn is_transient_code(driver: Driver, code: &str) -> bool {
    match driver {
        // SQLite's codes are decimal numbers: the primary code is the low
        // byte of the extended one (SQLITE_BUSY = 5, SQLITE_LOCKED = 6).
        Driver::Sqlite => code.parse::<u32>().is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6)),
        Driver::Postgres => {
            matches!(code, "40001" | "40P01" | "55P03" | "25P03" | "57P01" | "57P02" | "57P03")
                || code.starts_with("08")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_that_mean_try_again() {
        // SQLITE_BUSY, _RECOVERY, _SNAPSHOT, _TIMEOUT, SQLITE_LOCKED, _SHAREDCACHE.
        for code in ["5", "261", "517", "773", "6", "262"] {
            assert!(is_transient_code(Driver::Sqlite, code), "{code}");
        }
        for code in ["40001", "40P01", "55P03", "25P03", "57P01", "08006"] {
            assert!(is_transient_code(Driver::Postgres, code), "{code}");
        }
        // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CORRUPT, and a SQLSTATE read
        // as SQLite's; PostgreSQL unique, syntax and undefined-table
        // errors, and SQLITE_BUSY read as a SQLSTATE.
        for code in ["2067", "11", "40001"] {
            assert!(!is_transient_code(Driver::Sqlite, code), "{code}");
        }
        for code in ["23505", "42601", "42P01", "5"] {
            assert!(!is_transient_code(Driver::Postgres, code), "{code}");
        }
    }

    #[test]
    fn errors_without_a_driver_code_are_not_transient() {
        assert_eq!(classify(&DbErr::Custom("text mentioning 40001 and database is locked".into())), DbErrorKind::Other);
        assert_eq!(classify(&DbErr::RecordNotFound("x".into())), DbErrorKind::Other);
    }
}
