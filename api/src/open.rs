//! Opening the engine's [`Instance`] for a command, and saying what went
//! wrong or deserves a warning: the CLI side of what the engine returns.

use cairn_assets::{Diagnostics, Project};
use cairn_engine::{EngineError, Instance, Snapshot, Warning};

use crate::Failure;
use crate::cli::{ExecutorArgs, GlobalArgs};
use crate::output;

/// Loads the project, printing diagnostics and failing with exit 1 when it
/// has errors; prints warnings unless `--quiet`.
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

/// Loads the project and connects to its store.
pub async fn open(global: &GlobalArgs) -> Result<Instance, Failure> {
    let project = load_project(global)?;
    Instance::with_project(project, global.database_url.as_deref()).await.map_err(|e| failure(global, e))
}

/// As [`open`], with the executor settings of the command's flags.
pub async fn open_for_execution(global: &GlobalArgs, args: &ExecutorArgs) -> Result<Instance, Failure> {
    let instance = open(global).await?;
    let mut settings = instance.executor_settings();
    if let Some(lease) = args.lease {
        settings.lease = lease;
        // A shorter lease brings the default heartbeat down with it.
        if args.heartbeat.is_none() && settings.heartbeat * 3 > lease {
            settings.heartbeat = lease / 3;
        }
    }
    if let Some(heartbeat) = args.heartbeat {
        settings.heartbeat = heartbeat;
    }
    if let Some(grace) = args.shutdown_grace {
        settings.shutdown_grace = grace;
    }
    instance.with_executor_settings(settings).map_err(|e| failure(global, e))
}

/// Wipes the current materializations whose data file is gone (see
/// [`Instance::verify_data`]) and says which, on stderr.
pub async fn verify(global: &GlobalArgs, instance: &Instance) -> Result<(), Failure> {
    let wiped = instance.verify_data().await.map_err(|e| failure(global, e))?;
    if !global.quiet && !wiped.is_empty() {
        eprintln!(
            "warning: the data of {} materialized asset partition(s) is gone from `{}` ({}); they now count as missing",
            wiped.len(),
            instance.project().settings.data_dir.display(),
            output::list_targets(&wiped)
        );
    }
    Ok(())
}

/// A snapshot (of `scope` and its upstream assets only, when given), with
/// its warnings printed; after [`verify`] if `verify_data`.
pub async fn snapshot(
    global: &GlobalArgs,
    instance: &Instance,
    scope: Option<&std::collections::BTreeSet<cairn_core::AssetKey>>,
    verify_data: bool,
) -> Result<Snapshot, Failure> {
    if verify_data {
        verify(global, instance).await?;
    }
    let snapshot = match scope {
        Some(selection) => instance.snapshot_of(selection).await,
        None => instance.snapshot().await,
    }
    .map_err(|e| failure(global, e))?;
    print_warnings(global, &snapshot.warnings());
    Ok(snapshot)
}

/// Prints a snapshot's warnings on stderr (unless `--quiet`).
pub fn print_warnings(global: &GlobalArgs, warnings: &[Warning]) {
    if global.quiet {
        return;
    }
    for warning in warnings {
        match warning {
            Warning::SourceUnavailable { message, .. } => {
                eprintln!("warning: {message}; it and what reads it count as missing");
            }
        }
    }
}

/// The exit code and message of an engine error: the user's problem
/// (exit 1) or not (exit 2).
pub fn failure(global: &GlobalArgs, error: EngineError) -> Failure {
    match error {
        EngineError::InvalidProject { project, diagnostics } => {
            print_diagnostics(global, &diagnostics);
            has_errors(project, diagnostics.error_count())
        }
        EngineError::Store(
            ref store @ (cairn_store::StoreError::Connect { .. }
            | cairn_store::StoreError::Migrate { .. }
            | cairn_store::StoreError::UnsupportedUrl(_)),
        ) => Failure::User(store.to_string()),
        EngineError::Store(other) => Failure::Unexpected(anyhow::Error::new(other)),
        EngineError::Io(message) => Failure::Unexpected(anyhow::anyhow!(message)),
        user => Failure::User(user.to_string()),
    }
}
