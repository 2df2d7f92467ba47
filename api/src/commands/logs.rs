//! `cairn logs`: the events of a run.

use cairn_core::store::{EventLevel, RunId};
use clap::Args;

use crate::Failure;
use crate::cli::GlobalArgs;
use crate::session::load_project;

/// `cairn logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Run id (`r-12` or `12`); default: the latest run.
    pub run: Option<String>,
}

/// Prints a run's status line and its events in order.
pub async fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<(), Failure> {
    let project = load_project(global)?;
    let url = match &global.database_url {
        Some(url) => cairn_assets::project::resolve_database_url(&project.root, url).map_err(Failure::User)?,
        None => project.settings.database_url.clone(),
    };
    let store = cairn_core::store::MetadataStore::connect(&url).await.map_err(|e| Failure::User(e.to_string()))?;
    let found = match &args.run {
        Some(text) => {
            let id: i64 = text
                .trim_start_matches("r-")
                .parse()
                .map_err(|_| Failure::User(format!("`{text}` is not a run id (like `r-12`)")))?;
            store.run(RunId(id)).await
        }
        None => store.runs(1).await.map(|runs| runs.into_iter().next()),
    };
    let run = found.map_err(|e| Failure::Unexpected(e.into()))?.ok_or_else(|| match &args.run {
        Some(text) => Failure::User(format!("no run `{text}`")),
        None => Failure::User("no run yet; run `cairn materialize`".into()),
    })?;
    println!(
        "run {} {}: started {}, {} planned, {} materialized, {} failed, {} skipped",
        run.id,
        run.status.as_str(),
        run.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        run.planned_steps,
        run.materialized_steps,
        run.failed_steps,
        run.skipped_steps
    );
    for event in store.run_events(run.id).await.map_err(|e| Failure::Unexpected(e.into()))? {
        let level = match event.level {
            EventLevel::Info => "info",
            EventLevel::Warn => "warn",
            EventLevel::Error => "error",
        };
        let subject = match (&event.asset, &event.partition) {
            (Some(asset), Some(partition)) => format!("{asset}[{partition}] "),
            (Some(asset), None) => format!("{asset} "),
            _ => String::new(),
        };
        let mut lines = event.message.lines();
        println!("{} {level:5} {subject}{}", event.at.format("%H:%M:%S%.3f"), lines.next().unwrap_or(""));
        for line in lines {
            println!("    {line}");
        }
    }
    Ok(())
}
