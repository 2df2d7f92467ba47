//! `cairn run resume RUN`: finish an unfinished run in this process.

use clap::Args;

use crate::Failure;
use crate::cli::{ExecutorArgs, GlobalArgs};
use crate::commands::materialize::execute;
use crate::commands::run_show::parse_run;
use crate::open::{failure, open_for_execution};
use crate::summary::print_summary;

/// `cairn run resume`.
#[derive(Debug, Args)]
pub struct RunResumeArgs {
    /// The run (`r-12` or `12`).
    pub run: String,
    #[command(flatten)]
    pub executor: ExecutorArgs,
}

/// Re-queues the steps of dead executors of this machine at once, executes
/// what is left of the run, prints the summary.
pub async fn run(global: &GlobalArgs, args: &RunResumeArgs) -> Result<(), Failure> {
    let id = parse_run(&args.run)?;
    let instance = open_for_execution(global, &args.executor).await?;
    instance.prepare_resume(id).await.map_err(|e| failure(global, e))?;
    let record = instance.store().run(id).await.map_err(|e| Failure::Unexpected(e.into()))?;
    let planned = record.map_or(0, |r| r.planned_steps as usize);
    execute(global, &instance, id, planned, args.executor.concurrency()).await?;
    print_summary(global, &instance, id, 0).await
}
