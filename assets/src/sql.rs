//! Static analysis of SQL assets with DataFusion's parser: which tables a
//! query reads, which partition parameters it uses, and a normalized text
//! for the code version.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use datafusion::common::TableReference;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::{Expr, Statement as SqlStatement, Value, visit_expressions};

/// The bound parameters a SQL asset may use, all of type text/timestamp:
/// `$partition_key` (the key as text), `$partition_start` and
/// `$partition_end` (the time window bounds as timestamps in the
/// partitions' time zone).
pub const PARTITION_PARAMETERS: [&str; 3] = ["partition_key", "partition_start", "partition_end"];

/// What [`analyze`] found in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedSql {
    /// The query re-printed from its syntax tree: comments and layout do
    /// not change it, so it feeds the code version.
    pub normalized: String,
    /// Tables read (CTE names excluded), as DataFusion normalizes them:
    /// unquoted names lowercased.
    pub tables: Vec<TableReference>,
    /// Named parameters used, without the `$`.
    pub parameters: BTreeSet<String>,
}

/// Why a query cannot be analyzed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// DataFusion's parser rejected it. `line`/`column` are 1-based within
    /// the query text, when the parser reported them.
    #[error("{message}")]
    Syntax {
        /// The parser's message.
        message: String,
        /// Line within the query.
        line: Option<u32>,
        /// Column within the query.
        column: Option<u32>,
    },
    /// Not exactly one statement.
    #[error("expected exactly one query, found {0} statements")]
    StatementCount(usize),
    /// A statement that is not a query (`INSERT`, `CREATE`...).
    #[error("expected a query (SELECT, WITH or VALUES), found `{0}`")]
    NotAQuery(String),
    /// A parameter other than the partition parameters.
    #[error("unknown parameter `${0}`; the parameters are `$partition_key`, `$partition_start` and `$partition_end`")]
    UnknownParameter(String),
}

/// Parses `sql` (DataFusion's dialect) and collects what it reads and uses.
///
/// # Errors
/// [`SqlError`] for a syntax error, not exactly one statement, a statement
/// that is not a query, or an unknown or positional parameter.
pub fn analyze(sql: &str) -> Result<AnalyzedSql, SqlError> {
    let mut statements = DFParser::parse_sql(sql).map_err(|error| syntax_error(&error.to_string()))?;
    if statements.len() != 1 {
        return Err(SqlError::StatementCount(statements.len()));
    }
    let statement = statements.pop_front().expect("one statement");
    let query = match &statement {
        Statement::Statement(inner) if matches!(**inner, SqlStatement::Query(_)) => inner,
        other => {
            let text = other.to_string();
            let first_words: String = text.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            return Err(SqlError::NotAQuery(first_words));
        }
    };
    let (tables, _ctes) =
        resolve_table_references(&statement, true).map_err(|error| syntax_error(&error.to_string()))?;
    let mut parameters = BTreeSet::new();
    let mut unknown = None;
    let _ = visit_expressions(query.as_ref(), |expr| {
        if let Expr::Value(value) = expr
            && let Value::Placeholder(name) = &value.value
        {
            let name = name.trim_start_matches(['$', '?', ':']);
            if PARTITION_PARAMETERS.contains(&name) {
                parameters.insert(name.to_owned());
            } else if unknown.is_none() {
                unknown = Some(name.to_owned());
            }
        }
        ControlFlow::<()>::Continue(())
    });
    if let Some(name) = unknown {
        return Err(SqlError::UnknownParameter(name));
    }
    Ok(AnalyzedSql { normalized: statement.to_string(), tables, parameters })
}

/// Splits DataFusion's "... at Line: 3, Column: 15" into message and position.
fn syntax_error(message: &str) -> SqlError {
    let message = message
        .trim_start_matches("SQL error: ")
        .trim_start_matches("ParserError(\"")
        .trim_end_matches("\")")
        .to_owned();
    let number_after = |label: &str| -> Option<u32> {
        let start = message.rfind(label)? + label.len();
        message[start..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
    };
    let line = number_after("Line: ");
    let column = number_after("Column: ");
    let message = match message.rfind(" at Line: ") {
        Some(cut) if line.is_some() => message[..cut].to_owned(),
        _ => message,
    };
    SqlError::Syntax { message, line, column }
}

/// The asset key a table reference names: its parts joined by `/`
/// (`raw.flights` is `raw/flights`).
pub fn table_reference_key(reference: &TableReference) -> String {
    match reference {
        TableReference::Bare { table } => table.to_string(),
        TableReference::Partial { schema, table } => format!("{schema}/{table}"),
        TableReference::Full { catalog, schema, table } => format!("{catalog}/{schema}/{table}"),
    }
}

/// The values of the partition parameters for one partition of `asset`:
/// `$partition_key` as text, and for time windows `$partition_start` /
/// `$partition_end` as timestamps (microseconds) in the partitions' time
/// zone (the window is half-open, `[start, end)`). Empty for an
/// unpartitioned asset.
pub fn partition_parameters(
    asset: &crate::definition::Asset,
    partition: Option<&cairn_core::partitions::PartitionKey>,
) -> std::collections::HashMap<String, datafusion::common::ScalarValue> {
    use datafusion::common::ScalarValue;
    let mut parameters = std::collections::HashMap::new();
    let Some(key) = partition else { return parameters };
    parameters.insert("partition_key".into(), ScalarValue::Utf8(Some(key.to_string())));
    if let Some(window) = asset.spec.partitions.as_ref().and_then(|d| d.time_window(key.as_str())) {
        let zone: std::sync::Arc<str> = std::sync::Arc::from(window.start.timezone().name());
        parameters.insert(
            "partition_start".into(),
            ScalarValue::TimestampMicrosecond(Some(window.start.timestamp_micros()), Some(zone.clone())),
        );
        parameters.insert(
            "partition_end".into(),
            ScalarValue::TimestampMicrosecond(Some(window.end.timestamp_micros()), Some(zone)),
        );
    }
    parameters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tables_but_not_ctes() {
        let analyzed = analyze(
            "WITH recent AS (SELECT * FROM raw.flights WHERE month = 1)
             SELECT r.*, w.temp FROM recent r JOIN Raw.Weather w USING (origin)
             WHERE r.day = $partition_key",
        )
        .unwrap();
        let keys: Vec<String> = analyzed.tables.iter().map(table_reference_key).collect();
        assert_eq!(keys, ["raw/flights", "raw/weather"]);
        assert_eq!(analyzed.parameters.iter().collect::<Vec<_>>(), ["partition_key"]);
    }

    #[test]
    fn normalized_text_ignores_layout_and_comments() {
        let a = analyze("select a,   b from t -- note\n where a > 1").unwrap();
        let b = analyze("SELECT a, b\nFROM t WHERE a > 1").unwrap();
        assert_eq!(a.normalized.to_lowercase(), b.normalized.to_lowercase());
        let c = analyze("SELECT a, b FROM t WHERE a > 2").unwrap();
        assert_ne!(b.normalized, c.normalized);
    }

    #[test]
    fn reports_syntax_errors_with_positions() {
        match analyze("SELECT a\nFROM t\nWHERE a IN (1 2)").unwrap_err() {
            SqlError::Syntax { message, line, column } => {
                assert!(message.contains("Expected"), "{message}");
                assert_eq!(line, Some(3));
                assert!(column.is_some());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(analyze("SELECT 1; SELECT 2").unwrap_err(), SqlError::StatementCount(2));
        assert!(matches!(analyze("DROP TABLE t").unwrap_err(), SqlError::NotAQuery(_)));
        assert_eq!(analyze("SELECT $day").unwrap_err(), SqlError::UnknownParameter("day".into()));
    }
}
