//! Static analysis of SQL assets with DataFusion's parser: which tables a
//! query reads, which partition parameters it uses, and a normalized text
//! for the code version.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use datafusion::common::TableReference;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::planner::object_name_to_table_reference;
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::{
    Expr, Spanned, Statement as SqlStatement, Value, visit_expressions, visit_relations,
};

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
    /// Tables read (CTE names excluded), in name order.
    pub tables: Vec<TableRead>,
    /// Named parameters used, without the `$`.
    pub parameters: BTreeSet<String>,
}

/// A table a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRead {
    /// The table as DataFusion normalizes it: unquoted names lowercased.
    pub reference: TableReference,
    /// 1-based line and character column of its first reference as a table
    /// (after `FROM` or `JOIN`, not a column alias of the same name), from
    /// the parser's spans; `None` if the parser kept no span for it.
    pub position: Option<(u32, u32)>,
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
    let positions = table_positions(query.as_ref());
    let tables = tables
        .into_iter()
        .map(|reference| {
            let position = positions.get(&reference).copied();
            TableRead { reference, position }
        })
        .collect();
    Ok(AnalyzedSql { normalized: statement.to_string(), tables, parameters })
}

/// [`analyze`] of each query (`None` stays `None`), in order, spread over
/// the machine's cores: loading a 10,000-asset project parses 10,000
/// queries, and each parse is independent. Each syntax tree is dropped on
/// the thread that parsed it, as soon as it is analyzed: the trees of
/// 10,000 queries take ~200 MB, which the allocator would keep resident in
/// that thread's arena if they were freed elsewhere later.
pub fn analyze_all(queries: &[Option<&str>]) -> Vec<Option<Result<AnalyzedSql, SqlError>>> {
    crate::parallel::map_parts(queries, MIN_QUERIES_PER_THREAD, |part| {
        part.iter().map(|query| query.map(analyze)).collect()
    })
}

/// Fewer queries than this per core are analyzed on fewer threads.
const MIN_QUERIES_PER_THREAD: usize = 128;

/// The first position of each relation name in the query (tables and CTE
/// references alike), normalized as DataFusion normalizes table names.
fn table_positions(query: &SqlStatement) -> std::collections::HashMap<TableReference, (u32, u32)> {
    let mut positions = std::collections::HashMap::new();
    let _ = visit_relations(query, |name| {
        let start = name.span().start;
        if let Ok(reference) = object_name_to_table_reference(name.clone(), true)
            && start.line > 0
        {
            let position = (start.line as u32, start.column as u32);
            positions.entry(reference).and_modify(|p| *p = position.min(*p)).or_insert(position);
        }
        ControlFlow::<()>::Continue(())
    });
    positions
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
        let keys: Vec<String> = analyzed.tables.iter().map(|t| table_reference_key(&t.reference)).collect();
        assert_eq!(keys, ["raw/flights", "raw/weather"]);
        let positions: Vec<_> = analyzed.tables.iter().map(|t| t.position).collect();
        assert_eq!(positions, [Some((1, 31)), Some((2, 52))]);
        assert_eq!(analyzed.parameters.iter().collect::<Vec<_>>(), ["partition_key"]);
    }

    #[test]
    fn positions_are_those_of_the_table_not_of_an_alias_with_its_name() {
        let analyzed = analyze("SELECT origin,\n       COUNT(*) AS flights\nFROM  flights f\nGROUP BY origin").unwrap();
        assert_eq!(analyzed.tables[0].position, Some((3, 7)));
        let quoted = analyze("SELECT \"Flights\" FROM x JOIN \"Flights\" USING (k)").unwrap();
        let flights = quoted.tables.iter().find(|t| t.reference.table() == "Flights").unwrap();
        assert_eq!(flights.position, Some((1, 30)));
    }

    #[test]
    fn normalized_text_ignores_layout_and_comments() {
        let a = analyze("select a,   b from t -- note\n where a > 1").unwrap();
        let b = analyze("SELECT a, b\nFROM t WHERE a > 1").unwrap();
        assert_eq!(a.normalized, b.normalized);
        assert_eq!(b.normalized, "SELECT a, b FROM t WHERE a > 1");
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
