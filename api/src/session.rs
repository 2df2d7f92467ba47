//! What `plan`, `materialize` and `status` share: load the project,
//! connect to the metadata store, observe sources, resolve the selection.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context;
use cairn_assets::execute::{RunLock, SourceObservation, apply_observations, forget_vanished_data, observe_sources};
use cairn_assets::project::resolve_database_url;
use cairn_assets::{Diagnostics, Project};
use cairn_core::AssetKey;
use cairn_core::planner::PartitionFilter;
use cairn_core::state::StoredState;
use cairn_core::store::MetadataStore;
use cairn_lineage::Selection;
use chrono::{DateTime, Utc};

use crate::Failure;
use crate::cli::{GlobalArgs, TargetArgs};
use crate::output;

/// A loaded project with its store and current state.
pub struct Session {
    pub project: Arc<Project>,
    pub store: MetadataStore,
    /// Stored state with the current source observations applied.
    pub state: StoredState,
    pub observations: Vec<SourceObservation>,
    /// Sources whose data version is new.
    pub changed_sources: Vec<AssetKey>,
    /// Evaluation time.
    pub now: DateTime<Utc>,
    /// The data folder's run lock, for sessions that materialize.
    pub lock: Option<RunLock>,
}

/// Loads the project, printing diagnostics and failing with exit 1 when it
/// has errors; prints warnings.
pub fn load_project(global: &GlobalArgs) -> Result<Project, Failure> {
    match Project::load(&global.project) {
        Ok(project) => {
            if !global.quiet {
                print_diagnostics(global, &project.warnings);
            }
            Ok(project)
        }
        Err(diagnostics) => {
            print_diagnostics(global, &diagnostics);
            Err(has_errors(global.project.display(), diagnostics.error_count()))
        }
    }
}

/// The failure for a project with `count` errors.
pub fn has_errors(project: impl std::fmt::Display, count: usize) -> Failure {
    Failure::User(format!("project `{project}` has {count} error{}", if count == 1 { "" } else { "s" }))
}

/// Prints diagnostics to stderr, rendered with the source line.
pub fn print_diagnostics(global: &GlobalArgs, diagnostics: &Diagnostics) {
    let color = output::use_color(global);
    for diagnostic in diagnostics.iter() {
        eprintln!("{}", diagnostic.render(color));
    }
}

/// Loads everything `plan` and `status` need.
pub async fn open(global: &GlobalArgs) -> Result<Session, Failure> {
    open_session(global, false).await
}

/// Loads everything `materialize` needs: as [`open`], after taking the data
/// folder's run lock (before the state is read, so the plan made from it
/// holds). Fails (exit 1) naming the holder when another run has the lock;
/// marks the run of a process that died holding it as failed.
pub async fn open_for_run(global: &GlobalArgs) -> Result<Session, Failure> {
    open_session(global, true).await
}

async fn open_session(global: &GlobalArgs, take_lock: bool) -> Result<Session, Failure> {
    let project = load_project(global)?;
    let url = match &global.database_url {
        Some(url) => resolve_database_url(&project.root, url).map_err(Failure::User)?,
        None => project.settings.database_url.clone(),
    };
    let store = MetadataStore::connect(&url).await.map_err(|e| Failure::User(e.to_string()))?;
    let lock = if take_lock { Some(take_run_lock(global, &project, &store, &url).await?) } else { None };
    let mut state = store.load_state().await.context("cannot load the metadata store's state")?;
    let vanished = forget_vanished_data(&project, &mut state);
    if !vanished.is_empty() && !global.quiet {
        eprintln!(
            "warning: the data of {} materialized asset partition(s) is gone from `{}` ({}); they count as missing",
            vanished.len(),
            project.settings.data_dir.display(),
            output::list_targets(&vanished)
        );
    }
    let now = Utc::now();
    let observations = observe_sources(&project).await;
    if !global.quiet {
        for observation in &observations {
            if let Err(error) = &observation.result {
                eprintln!("warning: {error}; it and what reads it count as missing");
            }
        }
    }
    let changed_sources = apply_observations(&mut state, &observations, now);
    Ok(Session { project: Arc::new(project), store, state, observations, changed_sources, now, lock })
}

async fn take_run_lock(
    global: &GlobalArgs,
    project: &Project,
    store: &MetadataStore,
    url: &str,
) -> Result<RunLock, Failure> {
    let acquired = RunLock::acquire(&project.settings.data_dir, url).map_err(|e| Failure::User(e.to_string()))?;
    if let Some(run) = acquired.interrupted {
        let marked = store.mark_run_interrupted(run, Utc::now()).await.context("cannot record an interrupted run")?;
        if marked && !global.quiet {
            eprintln!("warning: run {run} was interrupted (its process ended before the run finished); marked failed");
        }
    }
    Ok(acquired.lock)
}

impl Session {
    /// The selected asset keys.
    pub fn select(&self, terms: &[String]) -> Result<BTreeSet<AssetKey>, Failure> {
        let selection = Selection::parse(&terms.join(" ")).map_err(|e| Failure::User(e.to_string()))?;
        selection.resolve(&self.project.graph).map_err(|e| Failure::User(e.to_string()))
    }
}

/// The partition filter from the flags.
pub fn partition_filter(target: &TargetArgs) -> PartitionFilter {
    match (&target.from, &target.to) {
        (Some(from), Some(to)) => PartitionFilter::Range { from: from.clone(), to: to.clone() },
        _ if !target.partitions.is_empty() => PartitionFilter::Keys(target.partitions.clone()),
        _ => PartitionFilter::All,
    }
}

/// The partition filter as typed, for the run record.
pub fn partition_filter_text(filter: &PartitionFilter) -> Option<String> {
    match filter {
        PartitionFilter::All => None,
        PartitionFilter::Keys(keys) => Some(keys.join(",")),
        PartitionFilter::Range { from, to } => Some(format!("{from}..{to}")),
    }
}
