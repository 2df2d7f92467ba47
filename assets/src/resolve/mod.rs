//! Resolution: wire types become [`Asset`]s. Names become keys, SQL tables
//! become dependencies, partitions and checks are validated, and the code
//! version is computed. Every problem becomes a [`Diagnostic`] with its
//! location; resolution goes on after an error so all of them are reported.

mod automation;
mod checks;
mod code_version;
mod freshness;
mod kinds;
mod partitions;
mod text;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cairn_core::partitions::{PartitionMapping, PartitionsDefinition};
use cairn_core::{AssetDep, AssetKey, AssetKind, AssetSpec};

use crate::definition::{Asset, AssetDefinition, CommandDefinition, OutputFormat};
use crate::diagnostic::{Diagnostic, Location, SourceFile};
use crate::wire::{AssetDecl, OutputFormatDecl};
use crate::yaml::spanned_location;

use automation::resolve_automation;
use checks::{CheckTables, check_parameters, resolve_checks};
use code_version::code_version;
use freshness::resolve_freshness;
use kinds::{resolve_command, resolve_source, resolve_sql, table_format};
use partitions::{PartitionsInterner, resolve_partitions};
pub(crate) use text::suggest;

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
    let queries: Vec<Option<&str>> =
        declared.iter().map(|d| d.decl.sql.as_ref().map(|query| query.value.as_str())).collect();
    let mut analyses = crate::sql::analyze_all(&queries);
    for (Declared { file, decl }, analyzed) in declared.iter().zip(analyses.iter_mut()) {
        let Ok(key) = AssetKey::new(&decl.key.value) else { continue };
        if known.get(&key).map(|(_, location)| location.offset) != Some(spanned_location(file, &decl.key).offset) {
            continue; // a duplicate, already reported
        }
        if let Some(partial) = resolve_one(root, file, decl, key, analyzed.take(), &known, &mut interner, diagnostics) {
            partials.push(partial);
        }
    }
    assign_mappings(&mut partials, diagnostics);
    for partial in &partials {
        warn_if_partitions_are_alike(&partial.asset, diagnostics);
    }
    partials.into_iter().map(|partial| partial.asset).collect()
}

/// Warns about a partitioned SQL asset whose query cannot tell its
/// partitions apart: it uses no partition parameter and reads no
/// partitioned upstream (such an upstream's table holds only the
/// partitions its mapping selects, so reading it does restrict the rows).
/// Every partition would hold the same rows.
fn warn_if_partitions_are_alike(asset: &Asset, diagnostics: &mut Vec<Diagnostic>) {
    let (Some(partitions), AssetDefinition::Sql(query)) = (&asset.spec.partitions, &asset.definition) else {
        return;
    };
    let reads_partitioned_upstream =
        asset.spec.deps.iter().any(|dep| dep.mapping != PartitionMapping::Whole && query.tables.contains_key(&dep.key));
    if !query.parameters.is_empty() || reads_partitioned_upstream {
        return;
    }
    let help = match partitions.as_ref() {
        PartitionsDefinition::TimeWindow(_) => {
            "filter on the partition's window, e.g. `WHERE ts >= $partition_start AND ts < $partition_end` \
             (or on `$partition_key`), or remove `partitions:`"
        }
        PartitionsDefinition::Static(_) => {
            "filter on the partition, e.g. `WHERE region = $partition_key`, or remove `partitions:`"
        }
    };
    diagnostics.push(
        Diagnostic::warning(format!(
            "asset `{}` is partitioned, but its query uses no partition parameter and reads no partitioned asset: \
             every partition would hold the same rows",
            asset.key()
        ))
        .at(query.location.clone().with_length(0))
        .with_label("this query reads the same rows for every partition")
        .with_help(help),
    );
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
                        "asset keys are 1-3 segments of letters, digits and `_` (up to 255 each), joined by `/`, like `raw/flights`",
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
    analyzed: Option<Result<crate::sql::AnalyzedSql, crate::sql::SqlError>>,
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

    let group = match &decl.group {
        Some(group) if is_group_name(&group.value) => group.value.clone(),
        Some(group) => {
            let at = spanned_location(file, group).with_length(group.value.len());
            error(format!("invalid group `{}`: use letters, digits and `_`", group.value), at);
            String::new()
        }
        None => cairn_core::default_group(&key),
    };
    if let Some(bad) = decl.tags.keys().find(|tag| !is_tag_key(tag)) {
        error(
            format!("invalid tag `{bad}`: a tag's name is letters, digits, `_`, `-`, `.` and `/`, without `=`"),
            location.clone(),
        );
    }
    let partitions = decl.partitions.as_ref().and_then(|p| resolve_partitions(file, &key, p, interner, diagnostics));
    let mut dep_locations: Vec<(AssetKey, Location)> = Vec::new();
    let definition = if let Some(source) = &decl.source {
        resolve_source(root, file, &key, source, diagnostics).map(AssetDefinition::Source)
    } else if let Some(query) = &decl.sql {
        let format = table_format(decl.output_format);
        let analyzed = analyzed.unwrap_or_else(|| crate::sql::analyze(&query.value));
        resolve_sql(file, &key, query, format, analyzed, known, &mut dep_locations, diagnostics)
            .map(AssetDefinition::Sql)
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
    // The engine registers a SQL asset's upstream tables for its checks;
    // other assets' checks see only the asset's own table. A query that did
    // not resolve leaves the upstream assets unknown.
    let upstream = match (&definition, &decl.sql) {
        (Some(AssetDefinition::Sql(_)), _) => Some(dep_locations.iter().map(|(k, _)| k.clone()).collect()),
        (None, Some(_)) => None,
        _ => Some(Vec::new()),
    };
    let check_tables = CheckTables { known, upstream };
    let checks = resolve_checks(file, &key, &decl.checks, &check_tables, diagnostics);
    let freshness = decl.freshness.as_ref().and_then(|f| resolve_freshness(file, &key, f, diagnostics));
    let automation = decl.automation.as_ref().and_then(|a| resolve_automation(file, &key, a, diagnostics));
    if let (Some(automation), Some(_)) = (&decl.automation, &decl.source) {
        diagnostics.push(
            Diagnostic::error(format!(
                "asset `{key}`: a source is observed, not materialized: it takes no `automation`"
            ))
            .at(spanned_location(file, automation))
            .with_help("put `automation` on the assets that read the source"),
        );
    }
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
        group,
        tags: decl.tags.clone(),
        deps: Vec::new(), // filled in by assign_mappings
        partitions,
        code_version,
    };
    let timeout = decl.timeout_secs.map(Duration::from_secs);
    Some(Partial { asset: Asset { spec, definition, checks, timeout, freshness, automation, location }, dep_locations })
}

/// A group name, as Dagster allows them: letters, digits and `_`.
fn is_group_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A tag's name: one a selection (`tag:NAME=VALUE`) can write.
fn is_tag_key(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
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
