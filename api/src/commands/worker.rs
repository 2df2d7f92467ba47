//! `cairn worker`: execute the steps of queued and unfinished runs until
//! stopped.

use cairn_engine::{CancellationToken, ExecutorOptions};
use clap::Args;
use tokio::signal::unix::{SignalKind, signal};

use crate::Failure;
use crate::cli::{ExecutorArgs, GlobalArgs};
use crate::open::{failure, open_for_execution};

/// `cairn worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub executor: ExecutorArgs,
}

/// Runs an executor of every run of the project (and launches requested
/// backfills) until SIGTERM or Ctrl-C:
/// then it stops claiming, lets running steps finish for up to the
/// shutdown grace, and gives back the rest. A second signal stops at once
/// (leases then expire).
pub async fn run(global: &GlobalArgs, args: &WorkerArgs) -> Result<(), Failure> {
    let instance = open_for_execution(global, &args.executor).await?;
    let executor = instance.executor(ExecutorOptions { run: None, concurrency: args.executor.concurrency() });
    let settings = instance.executor_settings();
    if !global.quiet {
        eprintln!(
            "worker {} on project `{}`: {} step(s) at a time, lease {:?}, heartbeat {:?}",
            executor.owner(),
            instance.project().settings.name,
            args.executor.concurrency(),
            settings.lease,
            settings.heartbeat
        );
    }
    let shutdown = CancellationToken::new();
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| Failure::Unexpected(e.into()))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| Failure::Unexpected(e.into()))?;
    let signals = {
        let shutdown = shutdown.clone();
        let quiet = global.quiet;
        let grace = settings.shutdown_grace;
        tokio::spawn(async move {
            tokio::select! { _ = terminate.recv() => {}, _ = interrupt.recv() => {} }
            if !quiet {
                eprintln!(
                    "stopping: no new steps; running ones may finish for {grace:?} (signal again to stop at once)"
                );
            }
            shutdown.cancel();
            tokio::select! { _ = terminate.recv() => {}, _ = interrupt.recv() => {} }
            std::process::exit(130);
        })
    };
    // Backfills requested with `--detach` (or through a server without an
    // executor) are launched into runs by any worker.
    let daemon = {
        let instance = instance.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            instance.run_backfill_daemon(std::time::Duration::from_secs(1), shutdown, Default::default()).await
        })
    };
    let report = executor.run(shutdown).await.map_err(|e| failure(global, e))?;
    daemon.abort();
    signals.abort();
    if !global.quiet {
        let recorded = report.steps.iter().filter(|s| s.recorded.is_some()).count();
        eprintln!("worker stopped: {recorded} step(s) executed, {} given back", report.released);
    }
    Ok(())
}
