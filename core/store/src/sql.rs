//! Hand-written statements: the claim, lease and event-log queries use
//! `UPDATE ... RETURNING`, `FOR UPDATE SKIP LOCKED` and partial indexes,
//! which are clearer as SQL than through a query builder.
//!
//! Statements are written once with PostgreSQL's numbered placeholders
//! (`$1`); for SQLite they become `?1` (SQLite's numbered form; its `$1`
//! would be a *named* parameter, bound by order of first appearance).

use sea_orm::{DbBackend, Statement, Value};

/// `sql` with `values` for `backend`.
pub(crate) fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let text = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, text, values)
}

/// `$first, $first+1, ...` for `count` values: the placeholders of an
/// `IN (...)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_placeholders_are_numbered() {
        let stmt = statement(DbBackend::Sqlite, "SELECT $1, $2, $1", vec![1.into(), 2.into()]);
        assert_eq!(stmt.sql, "SELECT ?1, ?2, ?1");
        let stmt = statement(DbBackend::Postgres, "SELECT $1", vec![1.into()]);
        assert_eq!(stmt.sql, "SELECT $1");
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
    }
}
