//! Loading a project folder: `cairn.yaml` plus `assets/**/*.yaml`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cairn_core::{AssetKey, AssetSpec};
use cairn_lineage::{AssetGraph, GraphError};

use crate::definition::Asset;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile, display_path};
use crate::resolve::{Declared, resolve_assets};
use crate::wire::{AssetsFile, ProjectFile};
use crate::yaml::{self, Spanned, spanned_location};

/// File name of the project settings.
pub const PROJECT_FILE: &str = "cairn.yaml";
/// Default metadata database, relative to the project folder.
pub const DEFAULT_DATABASE: &str = "sqlite://.cairn/cairn.db";
/// Default folder for materialized data, relative to the project folder.
pub const DEFAULT_DATA_DIR: &str = ".cairn/data";

/// Project settings from `cairn.yaml`, with paths made absolute.
#[derive(Debug, Clone)]
pub struct ProjectSettings {
    /// Project name.
    pub name: String,
    /// Metadata database URL; a relative SQLite path is made absolute
    /// against the project folder.
    pub database_url: String,
    /// Absolute folder for materialized data.
    pub data_dir: PathBuf,
    /// How runs are executed (`executor:`).
    pub executor: ExecutorSettings,
    /// How long the data file of a superseded materialization is kept
    /// (`retention: { superseded_data }`; default zero).
    pub superseded_retention: Duration,
    /// How long `cairn gc` keeps records (`retention:`).
    pub retention: RetentionSettings,
    /// Time between two automation ticks (`automation: { tick_interval }`,
    /// default [`DEFAULT_AUTOMATION_TICK`]).
    pub automation_tick: Duration,
}

/// The default time between two automation ticks: 30 s, as Dagster's
/// asset daemon.
pub const DEFAULT_AUTOMATION_TICK: Duration = Duration::from_secs(30);

/// How long `cairn gc` keeps each kind of record (`retention:` in
/// cairn.yaml). `None` keeps it forever (`forever` in YAML). The current
/// materialization of every asset partition, with its provenance, is
/// always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Events of the event log (`retention.events`, default 30 days).
    pub events: Option<Duration>,
    /// Steps of finished runs, counted from the run's end
    /// (`retention.run_steps`, default 30 days).
    pub run_steps: Option<Duration>,
    /// Records of superseded materializations, counted from when a later
    /// one replaced them (`retention.superseded_materializations`, default
    /// 30 days).
    pub superseded_materializations: Option<Duration>,
}

/// The default of each [`RetentionSettings`] duration: 30 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 86_400);

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            events: Some(DEFAULT_RETENTION),
            run_steps: Some(DEFAULT_RETENTION),
            superseded_materializations: Some(DEFAULT_RETENTION),
        }
    }
}

/// How executors run steps (`executor:` in cairn.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutorSettings {
    /// How long a claimed step stays claimed without a heartbeat (default 30 s).
    pub lease: Duration,
    /// How often an executor renews its leases (default 5 s, at most a third of the lease).
    pub heartbeat: Duration,
    /// On SIGTERM, how long running steps may go on (default 30 s).
    pub shutdown_grace: Duration,
}

impl Default for ExecutorSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// A loaded, validated project: settings, assets and their graph.
#[derive(Debug, Clone)]
pub struct Project {
    /// Absolute project folder.
    pub root: PathBuf,
    /// Settings from `cairn.yaml`.
    pub settings: ProjectSettings,
    /// The asset graph (specs in topological order).
    pub graph: AssetGraph,
    /// The project files read, in order.
    pub files: Vec<PathBuf>,
    /// Problems that do not stop the project from loading.
    pub warnings: Diagnostics,
    assets: HashMap<AssetKey, Asset>,
}

impl Project {
    /// Loads and validates the project in `root`: parses every YAML file,
    /// resolves assets, builds the graph.
    ///
    /// # Errors
    /// All problems found, each with file, line and column: malformed YAML,
    /// unknown fields (listing the allowed ones), invalid keys, unknown
    /// tables (with the closest asset), SQL syntax errors, invalid
    /// partitions and checks, and dependency cycles (listed in full).
    pub fn load(root: &Path) -> Result<Self, Diagnostics> {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let mut diagnostics = Vec::new();
        let project_path = root.join(PROJECT_FILE);
        let Some(project_file) = read(&root, &project_path, &mut diagnostics) else {
            if diagnostics.is_empty() {
                diagnostics.push(
                    Diagnostic::error(format!("no `{PROJECT_FILE}` in `{}`", root.display()))
                        .with_help("run cairn in a project folder, or pass `--project DIR`"),
                );
            }
            return Err(Diagnostics(diagnostics));
        };
        let mut files = vec![project_path];
        let mut declared = Vec::new();
        let settings = match parse_project_file(&project_file) {
            Ok(parsed) => {
                let settings = settings(&root, &project_file, &parsed, &mut diagnostics);
                declared.extend(parsed.assets.into_iter().map(|decl| Declared { file: project_file.clone(), decl }));
                settings
            }
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                None
            }
        };
        let paths = asset_files(&root, &mut diagnostics);
        // Each file is read and parsed on its own, on all cores.
        let parsed = crate::parallel::map_parts(&paths, 1, |part| {
            part.iter()
                .map(|path| {
                    let mut problems = Vec::new();
                    let file = read(&root, path, &mut problems);
                    let parsed = file.as_ref().map(yaml::parse::<AssetsFile>);
                    (file.zip(parsed), problems)
                })
                .collect()
        });
        for (path, (read, problems)) in paths.into_iter().zip(parsed) {
            diagnostics.extend(problems);
            let Some((file, parsed)) = read else { continue };
            files.push(path);
            match parsed {
                Ok(Some(parsed)) => {
                    declared.extend(parsed.assets.into_iter().map(|decl| Declared { file: file.clone(), decl }))
                }
                // Not an error (a file just created, or emptied on purpose),
                // but worth saying: the parser alone would say "unexpected
                // end of input".
                Ok(None) => diagnostics.push(
                    Diagnostic::warning("the file is empty: it declares no assets")
                        .at(file.location(1, 1))
                        .with_help("declare them under `assets:`, e.g. `assets:` then `  - key: my_asset`"),
                ),
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
        }
        let assets = resolve_assets(&root, declared, &mut diagnostics);
        let locations: HashMap<AssetKey, crate::diagnostic::Location> =
            assets.iter().map(|a| (a.key().clone(), a.location.clone())).collect();
        check_storage_paths(&assets, &mut diagnostics);
        let specs: Vec<AssetSpec> = assets.iter().map(|a| a.spec.clone()).collect();
        let graph = match AssetGraph::build(specs) {
            Ok(graph) => Some(graph),
            Err(errors) => {
                diagnostics.extend(errors.into_iter().map(|error| graph_diagnostic(error, &locations)));
                None
            }
        };
        let mut all = Diagnostics(diagnostics);
        all.sort();
        match (settings, graph) {
            (Some(settings), Some(graph)) if !all.has_errors() => {
                let assets = assets.into_iter().map(|a| (a.key().clone(), a)).collect();
                Ok(Self { root, settings, graph, files, warnings: all, assets })
            }
            _ => Err(all),
        }
    }

    /// The asset with `key`.
    pub fn asset(&self, key: &AssetKey) -> Option<&Asset> {
        self.assets.get(key)
    }

    /// Assets in topological order (upstream first).
    pub fn assets(&self) -> impl Iterator<Item = &Asset> {
        self.graph.specs().iter().map(|spec| &self.assets[&spec.key])
    }

    /// The planner's view: specs in topological order.
    pub fn specs(&self) -> &[AssetSpec] {
        self.graph.specs()
    }
}

/// Parses `cairn.yaml`, saying what an empty one lacks (the parser alone
/// would say "unexpected end of input").
fn parse_project_file(file: &SourceFile) -> Result<ProjectFile, Diagnostic> {
    yaml::parse(file)?.ok_or_else(|| {
        Diagnostic::error(format!("`{PROJECT_FILE}` is empty; the project `name` is required"))
            .at(file.location(1, 1))
            .with_help("start it with `name: my_project`; assets go in `assets/*.yaml`")
    })
}

fn read(root: &Path, path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<SourceFile> {
    match fs_err::read_to_string(path) {
        Ok(text) => Some(SourceFile::new(display_path(root, path), text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && path.ends_with(PROJECT_FILE) => None,
        Err(error) => {
            diagnostics.push(Diagnostic::error(format!("cannot read project file: {error}")));
            None
        }
    }
}

/// `assets/**/*.yaml` and `*.yml`, sorted.
fn asset_files(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for extension in ["yaml", "yml"] {
        let pattern = root.join("assets").join("**").join(format!("*.{extension}"));
        let Some(pattern) = pattern.to_str() else {
            diagnostics.push(Diagnostic::error(format!("project path `{}` is not valid UTF-8", root.display())));
            return paths;
        };
        match glob::glob(pattern) {
            Ok(entries) => {
                for entry in entries {
                    match entry {
                        Ok(path) if path.is_file() => paths.push(path),
                        Ok(_) => {}
                        Err(error) => diagnostics.push(Diagnostic::error(format!("cannot list asset files: {error}"))),
                    }
                }
            }
            Err(error) => diagnostics.push(Diagnostic::error(format!("cannot list asset files: {error}"))),
        }
    }
    paths.sort();
    paths
}

fn settings(
    root: &Path,
    file: &SourceFile,
    parsed: &ProjectFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ProjectSettings> {
    let name = parsed.name.value.trim().to_owned();
    if name.is_empty() {
        diagnostics.push(Diagnostic::error("project `name` is empty").at(spanned_location(file, &parsed.name)));
    }
    let database = parsed.database.as_ref().map_or(DEFAULT_DATABASE, |d| d.value.as_str());
    let database_url = match resolve_database_url(root, database) {
        Ok(url) => url,
        Err(message) => {
            let at = parsed.database.as_ref().map(|d| spanned_location(file, d));
            diagnostics.push(Diagnostic::error(message).at_opt(at));
            return None;
        }
    };
    let data_dir = root.join(parsed.data_dir.as_ref().map_or(DEFAULT_DATA_DIR, |d| d.value.as_str()));
    let mut duration = |value: &Option<Spanned<String>>, field: &str, default: Duration| match value {
        None => Some(default),
        Some(text) => match humantime::parse_duration(text.value.trim()) {
            Ok(duration) => Some(duration),
            Err(error) => {
                diagnostics.push(
                    Diagnostic::error(format!("`{field}`: `{}` is not a duration: {error}", text.value))
                        .at(spanned_location(file, text))
                        .with_help("write durations like `30s`, `2m` or `1h 30m`"),
                );
                None
            }
        },
    };
    let defaults = ExecutorSettings::default();
    let executor = parsed.executor.as_ref();
    let lease = duration(&executor.and_then(|e| e.lease.clone()), "executor.lease", defaults.lease);
    let heartbeat = duration(&executor.and_then(|e| e.heartbeat.clone()), "executor.heartbeat", defaults.heartbeat);
    let shutdown_grace =
        duration(&executor.and_then(|e| e.shutdown_grace.clone()), "executor.shutdown_grace", defaults.shutdown_grace);
    let superseded_retention = duration(
        &parsed.retention.as_ref().and_then(|r| r.superseded_data.clone()),
        "retention.superseded_data",
        Duration::ZERO,
    );
    let retention_decl = parsed.retention.as_ref();
    let mut kept = |value: Option<&Spanned<String>>, field: &str| match value {
        Some(text) if text.value.trim() == "forever" => Some(None),
        other => duration(&other.cloned(), field, DEFAULT_RETENTION).map(Some),
    };
    let events = kept(retention_decl.and_then(|r| r.events.as_ref()), "retention.events");
    let run_steps = kept(retention_decl.and_then(|r| r.run_steps.as_ref()), "retention.run_steps");
    let superseded_materializations = kept(
        retention_decl.and_then(|r| r.superseded_materializations.as_ref()),
        "retention.superseded_materializations",
    );
    let automation_tick = duration(
        &parsed.automation.as_ref().and_then(|a| a.tick_interval.clone()),
        "automation.tick_interval",
        DEFAULT_AUTOMATION_TICK,
    );
    if let (Some(tick), Some(text)) =
        (automation_tick, parsed.automation.as_ref().and_then(|a| a.tick_interval.as_ref()))
        && tick < Duration::from_secs(1)
    {
        diagnostics.push(
            Diagnostic::error(format!("`automation.tick_interval` is {tick:?}; it must be at least 1s"))
                .at(spanned_location(file, text)),
        );
        return None;
    }
    // Every field is checked before giving up, so all problems are reported.
    let (
        Some(lease),
        Some(heartbeat),
        Some(shutdown_grace),
        Some(superseded_retention),
        Some(events),
        Some(run_steps),
        Some(superseded_materializations),
        Some(automation_tick),
    ) = (
        lease,
        heartbeat,
        shutdown_grace,
        superseded_retention,
        events,
        run_steps,
        superseded_materializations,
        automation_tick,
    )
    else {
        return None;
    };
    let retention = RetentionSettings { events, run_steps, superseded_materializations };
    let executor = ExecutorSettings { lease, heartbeat, shutdown_grace };
    if let Some(problem) = executor.problem() {
        let at = parsed
            .executor
            .as_ref()
            .and_then(|e| e.heartbeat.as_ref().or(e.lease.as_ref()))
            .map(|field| spanned_location(file, field));
        diagnostics.push(Diagnostic::error(problem).at_opt(at));
        return None;
    }
    Some(ProjectSettings { name, database_url, data_dir, executor, superseded_retention, retention, automation_tick })
}

impl ExecutorSettings {
    /// Why these settings cannot work, if they cannot: a lease under one
    /// second, or a heartbeat that does not fit three times in a lease
    /// (one late heartbeat must not lose the lease).
    pub fn problem(&self) -> Option<String> {
        if self.lease < Duration::from_secs(1) {
            return Some(format!("`executor.lease` is {:?}; it must be at least 1s", self.lease));
        }
        if self.heartbeat.is_zero() || self.heartbeat * 3 > self.lease {
            return Some(format!(
                "`executor.heartbeat` ({:?}) must be more than zero and at most a third of `executor.lease` ({:?})",
                self.heartbeat, self.lease
            ));
        }
        None
    }
}

/// Makes a relative SQLite path absolute against the project folder;
/// leaves other URLs alone.
///
/// # Errors
/// A message for a URL that is neither SQLite nor PostgreSQL.
pub fn resolve_database_url(root: &Path, url: &str) -> Result<String, String> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let (path, query) = path.split_once('?').map_or((path, None), |(p, q)| (p, Some(q)));
        let absolute = if Path::new(path).is_absolute() { PathBuf::from(path) } else { root.join(path) };
        let mut resolved = format!("sqlite://{}", absolute.display());
        if let Some(query) = query {
            resolved.push('?');
            resolved.push_str(query);
        }
        Ok(resolved)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url.to_owned())
    } else {
        // Never echo the URL: it may carry a password.
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        let shown = if scheme.is_empty() || scheme.contains(['/', '@']) {
            "a database URL without a scheme".to_owned()
        } else {
            format!("database URL scheme `{scheme}:`")
        };
        Err(format!("unsupported {shown}: use `sqlite://PATH` or `postgres://USER@HOST/DB`"))
    }
}

/// An asset's data lives in `data_dir/<key>/`, and a partitioned asset's
/// partitions in folders below it, so a partitioned asset `x` and an asset
/// `x/y` would share folders.
fn check_storage_paths(assets: &[Asset], diagnostics: &mut Vec<Diagnostic>) {
    let partitioned: HashMap<&str, &Asset> =
        assets.iter().filter(|a| a.spec.partitions.is_some()).map(|a| (a.key().as_str(), a)).collect();
    for asset in assets {
        let key = asset.key().as_str();
        for (cut, _) in key.match_indices('/') {
            if let Some(parent) = partitioned.get(&key[..cut]) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "asset `{key}` would be stored inside the partition folders of partitioned asset `{}`",
                        parent.key()
                    ))
                    .at(asset.location.clone())
                    .with_help("rename one of the two assets"),
                );
            }
        }
    }
}

fn graph_diagnostic(error: GraphError, locations: &HashMap<AssetKey, crate::diagnostic::Location>) -> Diagnostic {
    let at = match &error {
        GraphError::Cycle(cycle) => cycle.first().and_then(|k| locations.get(k)).cloned(),
        GraphError::DuplicateAsset(key) => locations.get(key).cloned(),
        GraphError::UnknownDependency { asset, .. } => locations.get(asset).cloned(),
    };
    let help = match &error {
        GraphError::Cycle(_) => {
            Some("an asset cannot depend on itself through other assets; remove one of these dependencies")
        }
        _ => None,
    };
    let diagnostic = Diagnostic::error(error.to_string()).at_opt(at);
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}
