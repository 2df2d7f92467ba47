//! Resolution: wire types become [`Asset`]s. Names become keys, SQL tables
//! become dependencies, partitions and checks are validated, and the code
//! version is computed. Every problem becomes a [`Diagnostic`] with its
//! location; resolution goes on after an error so all of them are reported.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cairn_core::partitions::{
    Cadence, PartitionKey, PartitionMapping, PartitionsDefinition, PartitionsError, StaticPartitions, TimeWindowConfig,
    TimeWindowPartitions,
};
use cairn_core::store::CheckSeverity;
use cairn_core::{AssetDep, AssetKey, AssetKind, AssetSpec, CodeVersion};

use crate::definition::{
    Asset, AssetDefinition, Check, CheckKind, CommandDefinition, FileExtension, OutputFormat, Scalar, SourceDefinition,
    SqlDefinition, TableFormat,
};
use crate::diagnostic::{Diagnostic, Location, SourceFile};
use crate::sql::{self, SqlError};
use crate::wire::{
    AssetDecl, CheckDecl, FileFormatDecl, OutputFormatDecl, PartitionsDecl, ScalarDecl, SeverityDecl, SourceDecl,
    TimeWindowDecl,
};
use crate::yaml::{Spanned, spanned_location};

/// An asset declaration with the file it came from.
pub(crate) struct Declared {
    pub file: SourceFile,
    pub decl: AssetDecl,
}

/// An asset resolved except for partition mappings, with where each
/// dependency was named.
struct Partial {
    asset: Asset,
    dep_locations: Vec<(AssetKey, Location)>,
}

/// Resolves every declaration. Returns the assets that resolved (in
/// declaration order) and pushes a diagnostic for each problem.
pub(crate) fn resolve_assets(root: &Path, declared: Vec<Declared>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Asset> {
    let known = collect_keys(&declared, diagnostics);
    let mut interner = PartitionsInterner::default();
    let mut partials = Vec::new();
    for Declared { file, decl } in &declared {
        let Ok(key) = AssetKey::new(&decl.key.value) else { continue };
        if known.get(&key).map(|(_, location)| location.offset) != Some(spanned_location(file, &decl.key).offset) {
            continue; // a duplicate, already reported
        }
        if let Some(partial) = resolve_one(root, file, decl, key, &known, &mut interner, diagnostics) {
            partials.push(partial);
        }
    }
    assign_mappings(&mut partials, diagnostics);
    partials.into_iter().map(|partial| partial.asset).collect()
}

/// Validates every key and reports duplicates; returns key -> (file, location of `key:`).
fn collect_keys(
    declared: &[Declared],
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<AssetKey, (SourceFile, Location)> {
    let mut known: BTreeMap<AssetKey, (SourceFile, Location)> = BTreeMap::new();
    for Declared { file, decl } in declared {
        let location = spanned_location(file, &decl.key);
        match AssetKey::new(&decl.key.value) {
            Ok(key) => {
                if let Some((_, first)) = known.get(&key) {
                    diagnostics.push(
                        Diagnostic::error(format!("asset `{key}` is defined more than once"))
                            .at(location.with_length(decl.key.value.len()))
                            .with_help(format!("first defined at {first}")),
                    );
                } else {
                    known.insert(key, (file.clone(), location));
                }
            }
            Err(error) => diagnostics.push(
                Diagnostic::error(format!("invalid asset key: {error}"))
                    .at(location.with_length(decl.key.value.len()))
                    .with_help(
                        "asset keys are 1-3 segments of letters, digits and `_`, joined by `/`, like `raw/flights`",
                    ),
            ),
        }
    }
    known
}

#[allow(clippy::too_many_arguments)]
fn resolve_one(
    root: &Path,
    file: &SourceFile,
    decl: &AssetDecl,
    key: AssetKey,
    known: &BTreeMap<AssetKey, (SourceFile, Location)>,
    interner: &mut PartitionsInterner,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Partial> {
    let location = spanned_location(file, &decl.key);
    let errors_before = diagnostics.len();
    let mut error =
        |message: String, at: Location| diagnostics.push(Diagnostic::error(format!("asset `{key}`: {message}")).at(at));

    let kinds: Vec<&str> = [
        decl.source.as_ref().map(|_| "source"),
        decl.sql.as_ref().map(|_| "sql"),
        decl.command.as_ref().map(|_| "command"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if kinds.len() != 1 {
        let found = if kinds.is_empty() { "none".to_owned() } else { kinds.join(", ") };
        error(format!("needs exactly one of `source`, `sql` or `command` (found {found})"), location.clone());
        return None;
    }
    if decl.source.is_some() && decl.output_format.is_some() {
        error("`output_format` applies to `sql` and `command` assets only".into(), location.clone());
    }
    if decl.sql.is_some() && decl.output_format == Some(OutputFormatDecl::File) {
        error("a SQL asset writes a table: `output_format` is `parquet`, `csv` or `json`".into(), location.clone());
    }
    if decl.output_format == Some(OutputFormatDecl::File) && !decl.checks.is_empty() {
        error("checks need a table, but `output_format: file` writes an opaque file".into(), location.clone());
    }
    if decl.command.is_none() && !decl.env.is_empty() {
        error("`env` applies to `command` assets only".into(), location.clone());
    }
    if decl.source.is_some() {
        if decl.partitions.is_some() {
            error(
                "source assets cannot be partitioned yet; partition the assets that read them".into(),
                location.clone(),
            );
        }
        if !decl.deps.is_empty() {
            error("source assets have no dependencies".into(), location.clone());
        }
    }

    let partitions = decl.partitions.as_ref().and_then(|p| resolve_partitions(file, &key, p, interner, diagnostics));
    let mut dep_locations: Vec<(AssetKey, Location)> = Vec::new();
    let definition = if let Some(source) = &decl.source {
        resolve_source(root, file, &key, source, diagnostics).map(AssetDefinition::Source)
    } else if let Some(query) = &decl.sql {
        let format = table_format(decl.output_format);
        resolve_sql(file, &key, query, format, known, &mut dep_locations, diagnostics).map(AssetDefinition::Sql)
    } else {
        let command = decl.command.as_ref().expect("one kind");
        resolve_command(root, file, &key, command, decl, diagnostics).map(AssetDefinition::Command)
    };
    for dep in &decl.deps {
        let dep_location = spanned_location(file, dep).with_length(dep.value.len());
        match AssetKey::new(&dep.value) {
            Ok(dep_key) if known.contains_key(&dep_key) => {
                if dep_key == key {
                    diagnostics.push(Diagnostic::error(format!("asset `{key}` depends on itself")).at(dep_location));
                } else if !dep_locations.iter().any(|(k, _)| k == &dep_key) {
                    dep_locations.push((dep_key, dep_location));
                }
            }
            Ok(dep_key) => diagnostics.push(
                Diagnostic::error(format!("asset `{key}`: unknown dependency `{dep_key}`")).at(dep_location).with_help(
                    suggest(dep_key.as_str(), known.keys().map(AssetKey::as_str), |s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "declare that asset, or remove it from `deps`".into()),
                ),
            ),
            Err(problem) => diagnostics
                .push(Diagnostic::error(format!("asset `{key}`: invalid dependency: {problem}")).at(dep_location)),
        }
    }
    let checks = resolve_checks(file, &key, &decl.checks, diagnostics);
    let definition = definition?;
    // With invalid partitions (already reported), parameter use cannot be judged.
    if decl.partitions.is_none() || partitions.is_some() {
        check_parameters(&key, &definition, partitions.as_deref(), diagnostics);
    }
    if diagnostics.len() > errors_before {
        return None;
    }
    let kind = match &definition {
        AssetDefinition::Source(_) => AssetKind::Source,
        AssetDefinition::Sql(_) => AssetKind::Sql,
        AssetDefinition::Command(_) => AssetKind::Command,
    };
    let code_version = code_version(&definition, partitions.as_deref(), &checks, &dep_locations);
    let spec = AssetSpec {
        key,
        kind,
        description: decl.description.clone(),
        deps: Vec::new(), // filled in by assign_mappings
        partitions,
        code_version,
    };
    let timeout = decl.timeout_secs.map(Duration::from_secs);
    Some(Partial { asset: Asset { spec, definition, checks, timeout, location }, dep_locations })
}

fn resolve_source(
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

fn resolve_sql(
    file: &SourceFile,
    key: &AssetKey,
    query: &Spanned<String>,
    format: TableFormat,
    known: &BTreeMap<AssetKey, (SourceFile, Location)>,
    dep_locations: &mut Vec<(AssetKey, Location)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<SqlDefinition> {
    let start = spanned_location(file, query);
    let analyzed = match sql::analyze(&query.value) {
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
    for reference in &analyzed.tables {
        let written = reference.to_string();
        let at = find_in_query(&query.value, &written)
            .map(|(line, column)| position_in_scalar(file, &start, line, column).with_length(written.len()))
            .unwrap_or_else(|| start.clone());
        let as_key = sql::table_reference_key(reference);
        match AssetKey::new(&as_key).ok().filter(|k| known.contains_key(k)) {
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
                let help = suggest(
                    &written,
                    known.keys().map(|k| k.to_table_name()).collect::<Vec<_>>().iter().map(String::as_str),
                    |s| format!("did you mean `{s}` (asset `{}`)?", s.replace('.', "/")),
                )
                .unwrap_or_else(|| {
                    "SQL assets read other assets as tables: asset `raw/flights` is table `raw.flights`".into()
                });
                diagnostics.push(
                    Diagnostic::error(format!("asset `{key}`: unknown table `{written}`"))
                        .at(at)
                        .with_label("no asset has this name")
                        .with_help(help),
                );
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

/// The table format of `output_format` (Parquet by default).
fn table_format(decl: Option<OutputFormatDecl>) -> TableFormat {
    match decl {
        Some(OutputFormatDecl::Csv) => TableFormat::Csv,
        Some(OutputFormatDecl::Json) => TableFormat::Json,
        _ => TableFormat::Parquet,
    }
}

fn resolve_command(
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

/// Shares one `Arc` per distinct definition, so equal definitions compare
/// by pointer first and partition keys are computed once.
#[derive(Default)]
struct PartitionsInterner(HashMap<PartitionsDefinition, Arc<PartitionsDefinition>>);

impl PartitionsInterner {
    fn intern(&mut self, definition: PartitionsDefinition) -> Arc<PartitionsDefinition> {
        self.0.entry(definition.clone()).or_insert_with(|| Arc::new(definition)).clone()
    }
}

fn resolve_partitions(
    file: &SourceFile,
    key: &AssetKey,
    decl: &Spanned<PartitionsDecl>,
    interner: &mut PartitionsInterner,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Arc<PartitionsDefinition>> {
    let at = spanned_location(file, decl);
    let p = &decl.value;
    let set: Vec<(Cadence, &TimeWindowDecl)> = [
        p.hourly.as_ref().map(|d| (Cadence::Hourly, d)),
        p.daily.as_ref().map(|d| (Cadence::Daily, d)),
        p.weekly.as_ref().map(|d| (Cadence::Weekly, d)),
        p.monthly.as_ref().map(|d| (Cadence::Monthly, d)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let count = set.len() + usize::from(p.static_keys.is_some());
    if count != 1 {
        diagnostics.push(
            Diagnostic::error(format!(
                "asset `{key}`: `partitions` needs exactly one of `hourly`, `daily`, `weekly`, `monthly` or `static` (found {count})"
            ))
            .at(at),
        );
        return None;
    }
    let definition = if let Some(keys) = &p.static_keys {
        let mut parsed = Vec::new();
        for spanned in keys {
            match PartitionKey::new(&spanned.value) {
                Ok(k) => parsed.push(k),
                Err(problem) => {
                    diagnostics.push(
                        Diagnostic::error(format!("asset `{key}`: {problem}")).at(spanned_location(file, spanned)),
                    );
                    return None;
                }
            }
        }
        StaticPartitions::new(parsed).map(PartitionsDefinition::Static)
    } else {
        let (cadence, window) = set[0];
        let config = TimeWindowConfig {
            cadence,
            start: window.start.value.clone(),
            end: window.end.as_ref().map(|e| e.value.clone()),
            timezone: window.timezone.as_ref().map(|t| t.value.clone()),
            minute_offset: window.minute_offset.unwrap_or(0),
            hour_offset: window.hour_offset.unwrap_or(0),
            day_offset: window.day_offset,
            end_offset: window.end_offset.unwrap_or(0),
        };
        match TimeWindowPartitions::new(config) {
            Ok(windows) => Ok(PartitionsDefinition::TimeWindow(windows)),
            Err(problem) => {
                // Point at the field the problem is about when we can tell.
                let field = match &problem {
                    PartitionsError::UnknownTimezone(_) => window.timezone.as_ref().map(|t| spanned_location(file, t)),
                    PartitionsError::InvalidDate { field: "end", .. } => {
                        window.end.as_ref().map(|e| spanned_location(file, e))
                    }
                    PartitionsError::InvalidDate { .. } => Some(spanned_location(file, &window.start)),
                    _ => None,
                };
                diagnostics.push(Diagnostic::error(format!("asset `{key}`: {problem}")).at(field.unwrap_or(at)));
                return None;
            }
        }
    };
    match definition {
        Ok(definition) => Some(interner.intern(definition)),
        Err(problem) => {
            diagnostics.push(Diagnostic::error(format!("asset `{key}`: {problem}")).at(at));
            None
        }
    }
}

fn resolve_checks(
    file: &SourceFile,
    key: &AssetKey,
    decls: &[Spanned<CheckDecl>],
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
            kinds.push(CheckKind::Sql { query: query.clone() });
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
        let severity = match decl.severity {
            Some(SeverityDecl::Warn) => CheckSeverity::Warn,
            Some(SeverityDecl::Error) | None => CheckSeverity::Error,
        };
        checks.push(Check { name, severity, kind });
    }
    checks
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
fn check_parameters(
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

/// Sets each asset's dependencies with their default partition mappings.
fn assign_mappings(partials: &mut [Partial], diagnostics: &mut Vec<Diagnostic>) {
    let partitions: HashMap<AssetKey, Option<Arc<PartitionsDefinition>>> =
        partials.iter().map(|p| (p.asset.spec.key.clone(), p.asset.spec.partitions.clone())).collect();
    let kinds: HashMap<AssetKey, OutputKind> =
        partials.iter().map(|p| (p.asset.spec.key.clone(), output_kind(&p.asset.definition))).collect();
    for partial in partials.iter_mut() {
        let mut deps = Vec::new();
        for (upstream, at) in &partial.dep_locations {
            // An upstream that failed to resolve was already reported.
            let Some(upstream_partitions) = partitions.get(upstream) else { continue };
            let key = &partial.asset.spec.key;
            let reads_file_as_table = kinds.get(upstream) == Some(&OutputKind::File)
                && matches!(&partial.asset.definition, AssetDefinition::Sql(query) if query.tables.contains_key(upstream));
            if reads_file_as_table {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "asset `{key}` reads `{upstream}` as a table, but it writes an opaque file"
                    ))
                    .at(at.clone())
                    .with_help("give the command asset `output_format: parquet`, `csv` or `json`"),
                );
                continue;
            }
            match PartitionMapping::default_for(
                partial.asset.spec.partitions.as_deref(),
                upstream_partitions.as_deref(),
            ) {
                Ok(mapping) => deps.push(AssetDep { key: upstream.clone(), mapping }),
                Err(problem) => diagnostics
                    .push(Diagnostic::error(format!("asset `{key}` reads `{upstream}`: {problem}")).at(at.clone())),
            }
        }
        partial.asset.spec.deps = deps;
    }
}

#[derive(PartialEq, Eq)]
enum OutputKind {
    Table,
    File,
}

fn output_kind(definition: &AssetDefinition) -> OutputKind {
    match definition {
        AssetDefinition::Command(CommandDefinition { output: OutputFormat::File(_), .. }) => OutputKind::File,
        _ => OutputKind::Table,
    }
}

/// The code version: a hash of the normalized definition. It covers the
/// query (re-printed, so layout and comments do not count), source
/// settings, command (with the content of script files it names), checks,
/// dependencies, and the partitions' *shape*
/// (cadence, time zone, offsets). It leaves out the partitions' start, end
/// and static key list, so adding partitions does not make the existing
/// ones stale.
fn code_version(
    definition: &AssetDefinition,
    partitions: Option<&PartitionsDefinition>,
    checks: &[Check],
    deps: &[(AssetKey, Location)],
) -> CodeVersion {
    let definition_json = match definition {
        AssetDefinition::Source(source) => serde_json::json!({
            "source": { "path": source.path, "format": source.format, "delimiter": source.delimiter, "has_header": source.has_header }
        }),
        AssetDefinition::Sql(query) => serde_json::json!({ "sql": query.normalized, "format": query.format }),
        AssetDefinition::Command(command) => serde_json::json!({
            "command": command.argv, "output": command.output, "env": command.env, "scripts": command.script_versions
        }),
    };
    let partitions_json = partitions.map(|definition| match definition {
        PartitionsDefinition::TimeWindow(windows) => serde_json::json!({
            "cron": windows.cron_schedule(), "timezone": windows.timezone().name(), "format": windows.key_format()
        }),
        PartitionsDefinition::Static(_) => serde_json::json!("static"),
    });
    let mut dep_keys: Vec<&str> = deps.iter().map(|(k, _)| k.as_str()).collect();
    dep_keys.sort_unstable();
    let canonical = serde_json::json!({
        "definition": definition_json,
        "partitions": partitions_json,
        "checks": checks,
        "deps": dep_keys,
    });
    CodeVersion::of_canonical(&canonical.to_string())
}

/// The closest candidate to `wanted`, formatted by `help`.
pub(crate) fn suggest<'a>(
    wanted: &str,
    candidates: impl Iterator<Item = &'a str>,
    help: impl Fn(&str) -> String,
) -> Option<String> {
    let wanted_lower = wanted.to_lowercase();
    candidates
        .map(|c| (strsim::jaro_winkler(&wanted_lower, &c.to_lowercase()), c))
        .filter(|(score, c)| {
            *score >= 0.8 || strsim::levenshtein(&wanted_lower, &c.to_lowercase()) * 3 <= wanted.len().max(3)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| help(c))
}

/// 1-based line and column of the first case-insensitive occurrence of
/// `needle` in `query`.
fn find_in_query(query: &str, needle: &str) -> Option<(u32, u32)> {
    let offset = query.to_lowercase().find(&needle.to_lowercase())?;
    let before = &query[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Some((line, query[line_start..offset].chars().count() as u32 + 1))
}

/// Maps a 1-based position inside a YAML scalar's value to the file.
///
/// For a block scalar (`sql: |`) the value starts on its own line after
/// indentation, and every line of the text keeps that indentation; for a
/// plain or quoted scalar on the key's line, the first line starts at the
/// value's column (after the quote).
fn position_in_scalar(file: &SourceFile, value: &Location, line: u32, column: u32) -> Location {
    let text = &file.text[value.offset.min(file.text.len())..];
    if text.starts_with('|') || text.starts_with('>') {
        // The location is the block indicator; the text starts on the next
        // line, at that line's indentation.
        let first = file.location_below(value, 1, 1);
        let indent = file.text[first.offset..].chars().take_while(|c| *c == ' ').count() as u32;
        return file.location_below(value, line, indent + column);
    }
    let line_start = file.text[..value.offset.min(file.text.len())].rfind('\n').map_or(0, |i| i + 1);
    let is_block = file.text[line_start..value.offset.min(file.text.len())].trim().is_empty() && value.column > 1;
    if is_block {
        return file.location_below(value, line - 1, value.column - 1 + column);
    }
    let quote = u32::from(text.starts_with('"') || text.starts_with('\''));
    if line == 1 {
        file.location_below(value, 0, value.column + quote + column - 1)
    } else {
        file.location_below(value, line - 1, column)
    }
}
