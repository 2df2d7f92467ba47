//! `cairn materialize`: store a run of the plan, then execute it here.

use std::collections::BTreeMap;

use cairn_engine::{CancellationToken, ExecutorOptions, Instance, RunRequest};
use cairn_store::{RunId, RunOrigin};
use clap::Args;

use crate::cli::{ExecutorArgs, GlobalArgs, TargetArgs};
use crate::commands::plan::{nothing_planned, partition_subset, print_blocked};
use crate::open::{failure, open_for_execution, print_warnings, verify};
use crate::progress::Progress;
use crate::summary::print_summary;
use crate::{Failure, out, outln};

/// `cairn materialize`.
#[derive(Debug, Args)]
pub struct MaterializeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub executor: ExecutorArgs,
    /// Store the run without executing it: a `cairn worker` (or `cairn run
    /// resume`) executes it.
    #[arg(long)]
    pub queue: bool,
    /// First look for the data file of every current materialization and
    /// wipe those that are gone, so they count as missing (Cairn otherwise
    /// finds a missing file only when a step reads it).
    #[arg(long)]
    pub verify: bool,
}

/// Plans, stores the run, executes it with a progress bar, prints a
/// summary. Fails (exit 1) when a step failed, a selected partition was
/// blocked, or the run was canceled.
pub async fn run(global: &GlobalArgs, args: &MaterializeArgs) -> Result<(), Failure> {
    let instance = open_for_execution(global, &args.executor).await?;
    if args.verify {
        verify(global, &instance).await?;
    }
    let request = RunRequest {
        selection: args.target.selection.clone(),
        partitions: partition_subset(&args.target),
        origin: RunOrigin::Cli,
        tags: BTreeMap::new(),
        launch_when_up_to_date: false,
    };
    let requested = instance.request_run(&request).await.map_err(|e| failure(global, e))?;
    print_warnings(global, &requested.warnings);
    let plan = requested.plan;
    print_blocked(global, &instance, &plan);
    let Some(run) = requested.run else {
        if !global.quiet {
            out!("{}", nothing_planned(&plan))?;
        }
        return if plan.blocked.is_empty() { Ok(()) } else { Err(Failure::User(String::new())) };
    };
    warn_about_orphaned_runs(global, &instance, run).await;
    if args.queue {
        if !global.quiet {
            eprintln!(
                "run {run} queued: {} step(s); `cairn worker` or `cairn run resume {run}` executes it",
                plan.steps.len()
            );
        }
        return outln!("{run}");
    }
    execute(global, &instance, run, plan.steps.len(), args.executor.concurrency()).await?;
    print_summary(global, &instance, run, plan.blocked.len()).await
}

/// Executes `run` in this process until it has finished, with progress on
/// stderr. Ctrl-C cancels the run (a second Ctrl-C exits at once).
pub async fn execute(
    global: &GlobalArgs,
    instance: &Instance,
    run: RunId,
    steps: usize,
    concurrency: usize,
) -> Result<(), Failure> {
    let executor = instance.executor(ExecutorOptions { run: Some(run), concurrency });
    let interrupt = {
        let instance = instance.clone();
        let quiet = global.quiet;
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            if !quiet {
                eprintln!("interrupted: canceling run {run} (Ctrl-C again to exit at once)");
            }
            if let Err(error) = instance.cancel_run(run).await {
                eprintln!("error: cannot cancel run {run}: {error}");
            }
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        })
    };
    let stop_progress = CancellationToken::new();
    let progress =
        tokio::spawn(Progress::new(global, run, steps).follow(instance.store().clone(), run, stop_progress.clone()));
    let executed = executor.run(CancellationToken::new()).await;
    stop_progress.cancel();
    let _ = progress.await;
    interrupt.abort();
    executed.map_err(|e| failure(global, e))?;
    Ok(())
}

/// Says which earlier runs are unfinished with nothing executing them (their
/// `cairn materialize` was killed): a worker or `cairn run resume` finishes
/// them, `cairn run cancel` drops them.
async fn warn_about_orphaned_runs(global: &GlobalArgs, instance: &Instance, this: RunId) {
    if global.quiet {
        return;
    }
    let runs = match instance.unattended_runs(this).await {
        Ok(runs) => runs,
        Err(error) => {
            eprintln!("warning: cannot look for unfinished runs: {error}");
            return;
        }
    };
    for run in runs {
        eprintln!(
            "warning: run {run} is unfinished and nothing executes it: `cairn run resume {run}` finishes it, `cairn run cancel {run}` drops it"
        );
    }
}
