//! `cairn logs`: the events of a run, from the event log.

use cairn_store::{RunFilter, StoredEvent};
use clap::Args;

use crate::cli::GlobalArgs;
use crate::commands::run_show::parse_run;
use crate::open::open;
use crate::{Failure, outln};

/// `cairn logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Run id (`r-12` or `12`); default: the latest run.
    pub run: Option<String>,
}

/// Prints a run's status line and its events in order.
pub async fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<(), Failure> {
    let instance = open(global).await?;
    let store = instance.store();
    let unexpected = |e: cairn_store::StoreError| Failure::Unexpected(e.into());
    let run = match &args.run {
        Some(text) => {
            let id = parse_run(text)?;
            store.run(id).await.map_err(unexpected)?.ok_or_else(|| Failure::User(format!("no run `{text}`")))?
        }
        None => store
            .runs(&RunFilter::default(), 1)
            .await
            .map_err(unexpected)?
            .into_iter()
            .next()
            .ok_or_else(|| Failure::User("no run yet; run `cairn materialize`".into()))?,
    };
    outln!(
        "run {} {}: created {}, {} planned, {} materialized, {} failed, {} skipped, {} canceled",
        run.id,
        run.status,
        run.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        run.planned_steps,
        run.materialized_steps,
        run.failed_steps,
        run.skipped_steps,
        run.canceled_steps
    )?;
    for event in store.run_events(run.id).await.map_err(unexpected)? {
        print_event(&event)?;
    }
    Ok(())
}

/// `08:31:15.391 info  flights_daily[2013-01-05] materialized ...`, with
/// further lines of the message indented.
fn print_event(event: &StoredEvent) -> Result<(), Failure> {
    let subject = match (&event.asset, &event.partition) {
        (Some(asset), Some(partition)) => format!("{asset}[{partition}] "),
        (Some(asset), None) => format!("{asset} "),
        _ => String::new(),
    };
    let level = event.level.as_str().to_ascii_lowercase();
    let mut lines = event.message.lines();
    outln!("{} {level:5} {subject}{}", event.at.format("%H:%M:%S%.3f"), lines.next().unwrap_or(""))?;
    for line in lines {
        outln!("    {line}")?;
    }
    Ok(())
}
