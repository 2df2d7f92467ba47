//! The three kinds of assets: sources, SQL queries and commands.

use std::collections::BTreeMap;
use std::path::Path;

use cairn_core::AssetKey;

use super::text::{find_in_query, position_in_scalar, suggest};
use crate::definition::{CommandDefinition, FileExtension, OutputFormat, SourceDefinition, SqlDefinition, TableFormat};
use crate::diagnostic::{Diagnostic, Location, SourceFile};
use crate::sql::{self, SqlError, TableRead};
use crate::wire::{AssetDecl, FileFormatDecl, OutputFormatDecl, SourceDecl};
use crate::yaml::{Spanned, spanned_location};

pub(super) fn resolve_source(
    root: &Path,
    file: &SourceFile,
    key: &AssetKey,
    source: &Spanned<SourceDecl>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<SourceDefinition> {
    let decl = &source.value;
    let path = decl.path.value.trim();
    let path_location = spanned_location(file, &decl.path).with_length(decl.path.value.len());
    if path.is_empty() {
        diagnostics.push(Diagnostic::error(format!("source `{key}`: `path` is empty")).at(path_location));
        return None;
    }
    let is_glob = path.contains(['*', '?', '[']);
    if is_glob && glob::Pattern::new(path).is_err() {
        diagnostics.push(Diagnostic::error(format!("source `{key}`: `{path}` is not a valid glob")).at(path_location));
        return None;
    }
    let format = match decl.format {
        Some(FileFormatDecl::Csv) => TableFormat::Csv,
        Some(FileFormatDecl::Parquet) => TableFormat::Parquet,
        Some(FileFormatDecl::Json) => TableFormat::Json,
        None => {
            let extension = Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            match extension.as_str() {
                "csv" | "tsv" => TableFormat::Csv,
                "parquet" | "pq" => TableFormat::Parquet,
                "json" | "jsonl" | "ndjson" => TableFormat::Json,
                _ => {
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "source `{key}`: cannot tell the format of `{path}` from its extension"
                        ))
                        .at(path_location)
                        .with_help("add `format: csv`, `format: parquet` or `format: json`"),
                    );
                    return None;
                }
            }
        }
    };
    if format != TableFormat::Csv && (decl.delimiter.is_some() || decl.has_header.is_some()) {
        diagnostics.push(
            Diagnostic::error(format!("source `{key}`: `delimiter` and `has_header` apply to CSV sources only"))
                .at(spanned_location(file, source)),
        );
    }
    let delimiter = decl.delimiter.unwrap_or(if path.ends_with(".tsv") { '\t' } else { ',' });
    if !delimiter.is_ascii() {
        diagnostics.push(
            Diagnostic::error(format!("source `{key}`: delimiter `{delimiter}` is not a single ASCII character"))
                .at(spanned_location(file, source)),
        );
        return None;
    }
    Some(SourceDefinition {
        path: path.to_owned(),
        resolved: root.join(path),
        is_glob,
        format,
        delimiter: delimiter as u8,
        has_header: decl.has_header.unwrap_or(true),
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn resolve_sql(
    file: &SourceFile,
    key: &AssetKey,
    query: &Spanned<String>,
    format: TableFormat,
    analyzed: Result<sql::AnalyzedSql, SqlError>,
    known: &BTreeMap<AssetKey, (SourceFile, Location)>,
    dep_locations: &mut Vec<(AssetKey, Location)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<SqlDefinition> {
    let start = spanned_location(file, query);
    let analyzed = match analyzed {
        Ok(analyzed) => analyzed,
        Err(SqlError::Syntax { message, line, column }) => {
            let at = match (line, column) {
                (Some(line), Some(column)) => position_in_scalar(file, &start, line, column),
                _ => start,
            };
            diagnostics.push(Diagnostic::error(format!("asset `{key}`: SQL syntax error: {message}")).at(at));
            return None;
        }
        Err(other) => {
            diagnostics.push(Diagnostic::error(format!("asset `{key}`: {other}")).at(start));
            return None;
        }
    };
    let mut tables = BTreeMap::new();
    let mut ok = true;
    for table in &analyzed.tables {
        let written = table.reference.to_string();
        let at = table_location(file, &start, &query.value, table);
        match known_table(table, known) {
            Some(upstream) if &upstream == key => {
                diagnostics.push(Diagnostic::error(format!("asset `{key}` reads its own table `{written}`")).at(at));
                ok = false;
            }
            Some(upstream) => {
                if !dep_locations.iter().any(|(k, _)| k == &upstream) {
                    dep_locations.push((upstream.clone(), at));
                }
                tables.insert(upstream, written);
            }
            None => {
                diagnostics.push(unknown_table(&format!("asset `{key}`"), &written, known, at));
                ok = false;
            }
        }
    }
    ok.then(|| SqlDefinition {
        text: query.value.clone(),
        normalized: analyzed.normalized,
        tables,
        parameters: analyzed.parameters,
        format,
        location: start,
    })
}

/// Where `table` is named in `query`, the text of the YAML value at `start`.
pub(super) fn table_location(file: &SourceFile, start: &Location, query: &str, table: &TableRead) -> Location {
    let written = table.reference.to_string();
    table
        .position
        .or_else(|| find_in_query(query, &written))
        .map(|(line, column)| position_in_scalar(file, start, line, column).with_length(written.len()))
        .unwrap_or_else(|| start.clone())
}

/// The asset a table of a query names, if there is one.
pub(super) fn known_table(table: &TableRead, known: &BTreeMap<AssetKey, (SourceFile, Location)>) -> Option<AssetKey> {
    AssetKey::new(&sql::table_reference_key(&table.reference)).ok().filter(|k| known.contains_key(k))
}

/// `unknown table` with the closest asset's table name, for the query of an
/// asset or of a check (`subject` is `asset `a`` or `asset `a`: check `c``).
pub(super) fn unknown_table(
    subject: &str,
    written: &str,
    known: &BTreeMap<AssetKey, (SourceFile, Location)>,
    at: Location,
) -> Diagnostic {
    let did_you_mean = |table: &str| format!("did you mean `{table}` (asset `{}`)?", table.replace('.', "/"));
    let tables: Vec<String> = known.keys().map(AssetKey::to_table_name).collect();
    // `flights` for `raw.flights` is the schema left out, not a typo.
    let same_name_in_a_schema = tables.iter().find(|table| table.rsplit('.').next() == Some(written));
    let help = same_name_in_a_schema
        .map(|table| did_you_mean(table))
        .or_else(|| suggest(written, tables.iter().map(String::as_str), did_you_mean))
        .unwrap_or_else(|| "SQL assets read other assets as tables: asset `raw/flights` is table `raw.flights`".into());
    Diagnostic::error(format!("{subject}: unknown table `{written}`"))
        .at(at)
        .with_label("no asset has this name")
        .with_help(help)
}

/// The table format of `output_format` (Parquet by default).
pub(super) fn table_format(decl: Option<OutputFormatDecl>) -> TableFormat {
    match decl {
        Some(OutputFormatDecl::Csv) => TableFormat::Csv,
        Some(OutputFormatDecl::Json) => TableFormat::Json,
        _ => TableFormat::Parquet,
    }
}

pub(super) fn resolve_command(
    root: &Path,
    file: &SourceFile,
    key: &AssetKey,
    command: &Spanned<Vec<String>>,
    decl: &AssetDecl,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<CommandDefinition> {
    if command.value.is_empty() || command.value[0].trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(format!("asset `{key}`: `command` needs a program, as in `[python3, report.py]`"))
                .at(spanned_location(file, command)),
        );
        return None;
    }
    let output = match decl.output_format {
        Some(OutputFormatDecl::File) => {
            let text = decl.output_extension.as_deref().unwrap_or("bin");
            match FileExtension::new(text) {
                Some(extension) => OutputFormat::File(extension),
                None => {
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "asset `{key}`: `output_extension` `{text}` must be 1-10 letters or digits"
                        ))
                        .at(spanned_location(file, command)),
                    );
                    return None;
                }
            }
        }
        other => OutputFormat::Table(table_format(other)),
    };
    if decl.output_extension.is_some() && decl.output_format != Some(OutputFormatDecl::File) {
        diagnostics.push(
            Diagnostic::error(format!("asset `{key}`: `output_extension` applies to `output_format: file` only"))
                .at(spanned_location(file, command)),
        );
    }
    for name in decl.env.keys() {
        if name.starts_with("CAIRN_") || name.is_empty() || name.contains('=') {
            diagnostics.push(
                Diagnostic::error(format!("asset `{key}`: environment variable `{name}` is reserved or invalid"))
                    .at(spanned_location(file, command)),
            );
        }
    }
    Some(CommandDefinition {
        argv: command.value.clone(),
        output,
        env: decl.env.clone(),
        script_versions: script_versions(root, &command.value),
    })
}

/// Content hashes of the command's arguments that name files inside the
/// project (`scripts/report.py`), so editing a script changes the code
/// version. Files outside the project folder are left out.
fn script_versions(root: &Path, argv: &[String]) -> BTreeMap<String, String> {
    let mut versions = BTreeMap::new();
    for argument in argv {
        let path = root.join(argument);
        let inside = std::fs::canonicalize(&path)
            .ok()
            .zip(std::fs::canonicalize(root).ok())
            .is_some_and(|(path, root)| path.starts_with(root));
        if !inside || !path.is_file() {
            continue;
        }
        if let Ok(bytes) = std::fs::read(&path) {
            versions.insert(argument.clone(), blake3::hash(&bytes).to_hex()[..32].to_owned());
        }
    }
    versions
}
