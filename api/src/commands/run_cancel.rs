//! `cairn run cancel RUN`: cancel a run from any terminal.

use std::time::Duration;

use cairn_store::{Cancellation, RunStatus};
use clap::Args;

use crate::cli::GlobalArgs;
use crate::commands::run_show::parse_run;
use crate::open::{failure, open};
use crate::{Failure, outln};

/// `cairn run cancel`.
#[derive(Debug, Args)]
pub struct RunCancelArgs {
    /// The run (`r-12` or `12`).
    pub run: String,
    /// Return at once instead of waiting until the run is `CANCELED`.
    #[arg(long)]
    pub no_wait: bool,
}

/// How often the run's status is read while waiting.
const POLL: Duration = Duration::from_millis(200);

/// Requests cancellation, then waits until no step of the run runs any
/// more (steps of executors that died are canceled when their lease
/// expires).
pub async fn run(global: &GlobalArgs, args: &RunCancelArgs) -> Result<(), Failure> {
    let id = parse_run(&args.run)?;
    let instance = open(global).await?;
    match instance.cancel_run(id).await.map_err(|e| failure(global, e))? {
        Cancellation::AlreadyFinished(status) => {
            return outln!("run {id} had already finished: {status}; nothing changed");
        }
        Cancellation::AlreadyCanceling => {
            if !global.quiet {
                eprintln!("run {id} was already being canceled");
            }
        }
        Cancellation::Canceled => return outln!("run {id} CANCELED"),
        Cancellation::Canceling { running } => {
            if !global.quiet {
                eprintln!("run {id} CANCELING: waiting for {running} running step(s) to stop");
            }
        }
    }
    if args.no_wait {
        return outln!("run {id} CANCELING");
    }
    let store = instance.store();
    loop {
        store.expire_leases(instance.clock().now()).await.map_err(|e| Failure::Unexpected(e.into()))?;
        let status = store.run(id).await.map_err(|e| Failure::Unexpected(e.into()))?.map(|r| r.status);
        if status == Some(RunStatus::Canceled) || status.is_some_and(RunStatus::is_finished) {
            return outln!("run {id} {}", status.unwrap_or(RunStatus::Canceled));
        }
        tokio::time::sleep(POLL).await;
    }
}
