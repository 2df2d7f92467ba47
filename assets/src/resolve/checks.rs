//! Asset checks from YAML, and the use of partition parameters.

use std::collections::BTreeMap;

use cairn_core::AssetKey;
use cairn_core::check::CheckSeverity;
use cairn_core::partitions::PartitionsDefinition;

use super::kinds::{known_table, table_location, unknown_table};
use super::text::{find_in_query, position_in_scalar};
use crate::definition::{AssetDefinition, Check, CheckKind, Scalar};
use crate::diagnostic::{Diagnostic, Location, SourceFile};
use crate::sql;
use crate::wire::{CheckDecl, ScalarDecl, SeverityDecl};
use crate::yaml::{Spanned, spanned_location};

/// The tables a check's query may read: the asset's own, and for a SQL
/// asset the upstream assets (the check runs in the session of the query).
pub(super) struct CheckTables<'a> {
    /// Every asset of the project, for "did you mean".
    pub known: &'a BTreeMap<AssetKey, (SourceFile, Location)>,
    /// The upstream assets registered when the checks run (`None` when
    /// they are unknown because the asset's query did not resolve).
    pub upstream: Option<Vec<AssetKey>>,
}

pub(super) fn resolve_checks(
    file: &SourceFile,
    key: &AssetKey,
    decls: &[Spanned<CheckDecl>],
    tables: &CheckTables<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Check> {
    let mut checks: Vec<Check> = Vec::new();
    for spanned in decls {
        let at = spanned_location(file, spanned);
        let decl = &spanned.value;
        let mut kinds: Vec<CheckKind> = Vec::new();
        if let Some(columns) = &decl.not_null {
            kinds.push(CheckKind::NotNull { columns: columns.clone() });
        }
        if let Some(columns) = &decl.unique {
            kinds.push(CheckKind::Unique { columns: columns.clone() });
        }
        if let Some(accepted) = &decl.accepted_values {
            kinds.push(CheckKind::AcceptedValues {
                column: accepted.column.clone(),
                values: accepted.values.iter().map(scalar).collect(),
            });
        }
        if let Some(bounds) = &decl.row_count {
            kinds.push(CheckKind::RowCount { min: bounds.min, max: bounds.max });
        }
        if let Some(query) = &decl.sql {
            kinds.push(CheckKind::Sql { query: query.value.clone() });
        }
        if kinds.len() != 1 {
            diagnostics.push(
                Diagnostic::error(format!(
                    "asset `{key}`: a check needs exactly one of `not_null`, `unique`, `accepted_values`, `row_count` or `sql` (found {})",
                    kinds.len()
                ))
                .at(at),
            );
            continue;
        }
        let kind = kinds.pop().expect("one kind");
        if let Some(problem) = check_problem(&kind) {
            diagnostics.push(Diagnostic::error(format!("asset `{key}`: {problem}")).at(at));
            continue;
        }
        let name = decl.name.clone().unwrap_or_else(|| default_check_name(&kind));
        if checks.iter().any(|c| c.name == name) {
            diagnostics.push(
                Diagnostic::error(format!("asset `{key}`: two checks are named `{name}`"))
                    .at(at)
                    .with_help("give one of them a `name:`"),
            );
            continue;
        }
        if let Some(query) = &decl.sql
            && !check_tables(file, key, &name, query, tables, diagnostics)
        {
            continue;
        }
        let severity = match decl.severity {
            Some(SeverityDecl::Warn) => CheckSeverity::Warn,
            Some(SeverityDecl::Error) | None => CheckSeverity::Error,
        };
        checks.push(Check { name, severity, kind, location: at });
    }
    checks
}

/// Reports each table of a check's query that is no asset (with the
/// closest one), or an asset the check cannot read; true when all are fine.
fn check_tables(
    file: &SourceFile,
    key: &AssetKey,
    check: &str,
    query: &Spanned<String>,
    tables: &CheckTables<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Ok(analyzed) = sql::analyze(&query.value) else { return false };
    let start = spanned_location(file, query);
    let subject = format!("asset `{key}`: check `{check}`");
    let mut ok = true;
    for table in &analyzed.tables {
        let at = table_location(file, &start, &query.value, table);
        let written = table.reference.to_string();
        match known_table(table, tables.known) {
            None => diagnostics.push(unknown_table(&subject, &written, tables.known, at)),
            Some(asset) if &asset == key => continue,
            Some(asset) if tables.upstream.as_ref().is_none_or(|upstream| upstream.contains(&asset)) => continue,
            Some(asset) => diagnostics.push(
                Diagnostic::error(format!(
                    "{subject} reads `{written}`, which is neither the asset nor one of its upstream assets"
                ))
                .at(at)
                .with_help(format!(
                    "a check reads the asset's own table and, for a SQL asset, its upstream tables; \
                     add `{asset}` to `deps` to read it"
                )),
            ),
        }
        ok = false;
    }
    ok
}

fn check_problem(kind: &CheckKind) -> Option<String> {
    match kind {
        CheckKind::NotNull { columns } | CheckKind::Unique { columns } if columns.is_empty() => {
            Some("a `not_null` or `unique` check needs at least one column".into())
        }
        CheckKind::AcceptedValues { values, .. } if values.is_empty() => {
            Some("`accepted_values` needs at least one value".into())
        }
        CheckKind::RowCount { min: None, max: None } => Some("`row_count` needs `min`, `max` or both".into()),
        CheckKind::RowCount { min: Some(min), max: Some(max) } if min > max => {
            Some(format!("`row_count` has min {min} above max {max}"))
        }
        CheckKind::Sql { query } => match sql::analyze(query) {
            Ok(_) => None,
            Err(problem) => Some(format!("check query: {problem}")),
        },
        _ => None,
    }
}

fn default_check_name(kind: &CheckKind) -> String {
    match kind {
        CheckKind::NotNull { columns } => format!("not_null({})", columns.join(", ")),
        CheckKind::Unique { columns } => format!("unique({})", columns.join(", ")),
        CheckKind::AcceptedValues { column, .. } => format!("accepted_values({column})"),
        CheckKind::RowCount { min, max } => {
            let bounds: Vec<String> =
                [min.map(|m| format!("min={m}")), max.map(|m| format!("max={m}"))].into_iter().flatten().collect();
            format!("row_count({})", bounds.join(", "))
        }
        CheckKind::Sql { query } => {
            let normalized = sql::analyze(query).map(|a| a.normalized).unwrap_or_else(|_| query.clone());
            format!("sql_{}", &blake3::hash(normalized.as_bytes()).to_hex()[..8])
        }
    }
}

fn scalar(decl: &ScalarDecl) -> Scalar {
    match decl {
        ScalarDecl::Bool(b) => Scalar::Bool(*b),
        ScalarDecl::Int(i) => Scalar::Int(*i),
        ScalarDecl::Float(x) => Scalar::Float(*x),
        ScalarDecl::Text(t) => Scalar::Text(t.clone()),
    }
}

/// Partition parameters need partitions, and time bounds need time windows.
pub(super) fn check_parameters(
    key: &AssetKey,
    definition: &AssetDefinition,
    partitions: Option<&PartitionsDefinition>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let AssetDefinition::Sql(query) = definition else { return };
    for parameter in &query.parameters {
        let problem = match (parameter.as_str(), partitions) {
            (_, None) => Some("the asset is not partitioned"),
            ("partition_start" | "partition_end", Some(PartitionsDefinition::Static(_))) => {
                Some("static partitions have no time window; use `$partition_key`")
            }
            _ => None,
        };
        if let Some(problem) = problem {
            let at = find_in_query(&query.text, &format!("${parameter}"))
                .map(|(line, column)| position_in_scalar(&query.location.file, &query.location, line, column))
                .unwrap_or_else(|| query.location.clone());
            diagnostics.push(Diagnostic::error(format!("asset `{key}` uses `${parameter}` but {problem}")).at(at));
        }
    }
}
