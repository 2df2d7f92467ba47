//! `cairn materialize`: run the plan.

use std::sync::Arc;

use cairn_assets::execute::{ExecuteError, PlannedRun, RunOptions, RunSummary, SkipReason, StepOutcome, run_plan};
use clap::Args;

use crate::Failure;
use crate::cli::{GlobalArgs, TargetArgs};
use crate::commands::plan::{make_plan, print_blocked};
use crate::progress::Progress;
use crate::session::{open_for_run, partition_filter, partition_filter_text};

/// `cairn materialize`.
#[derive(Debug, Args)]
pub struct MaterializeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Most materializations running at once (default: number of CPUs).
    #[arg(long, short = 'j')]
    pub concurrency: Option<usize>,
}

/// Plans, runs with a progress bar, prints a summary. Fails (exit 1) when
/// a step failed or a selected partition was blocked.
pub async fn run(global: &GlobalArgs, args: &MaterializeArgs) -> Result<(), Failure> {
    let session = open_for_run(global).await?;
    let plan = make_plan(&session, &args.target)?;
    print_blocked(global, &session, &plan);
    if plan.steps.is_empty() {
        if !global.quiet {
            println!("up to date: nothing to materialize ({} asset partitions checked)", plan.considered);
        }
        return if plan.blocked.is_empty() { Ok(()) } else { Err(Failure::User(String::new())) };
    }
    let concurrency =
        args.concurrency.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
    let options = RunOptions {
        concurrency,
        selection: args.target.selection.join(" "),
        partition_filter: partition_filter_text(&partition_filter(&args.target)),
        now: session.now,
    };
    let progress = Arc::new(Progress::new(global));
    let planned = PlannedRun {
        plan,
        state: session.state,
        observations: session.observations,
        changed_sources: session.changed_sources,
        lock: session.lock,
    };
    let summary = run_plan(session.project.clone(), session.store.clone(), planned, options, progress.clone())
        .await
        .map_err(|e| Failure::Unexpected(anyhow::anyhow!(e)))?;
    progress.finish();
    print_summary(global, &summary);
    if summary.succeeded() { Ok(()) } else { Err(Failure::User(String::new())) }
}

/// Violating rows shown per failed check.
const SAMPLE_ROWS: usize = 3;

fn print_summary(global: &GlobalArgs, summary: &RunSummary) {
    let unchanged = summary
        .results
        .iter()
        .filter(|r| matches!(r.outcome, StepOutcome::Skipped(SkipReason::UpstreamUnchanged)))
        .count();
    let skipped = summary.count("skipped");
    let mut line = format!(
        "run {} finished in {:.1} s: {} materialized, {} failed, {} skipped",
        summary.run_id,
        summary.duration.as_secs_f64(),
        summary.count("materialized"),
        summary.count("failed"),
        skipped,
    );
    if unchanged > 0 {
        line.push_str(&format!(" ({unchanged} because upstream data did not change)"));
    }
    if !summary.blocked.is_empty() {
        line.push_str(&format!(", {} blocked", summary.blocked.len()));
    }
    if !global.quiet || !summary.succeeded() {
        println!("{line}");
    }
    let warnings = summary.check_warnings();
    if !warnings.is_empty() && !global.quiet {
        println!("check warnings:");
        for (target, checks) in &warnings {
            for check in checks {
                println!("  {target}: {}", check.summary());
                for row in check.sample_lines(SAMPLE_ROWS) {
                    println!("    | {row}");
                }
            }
        }
    }
    let failures: Vec<_> = summary.results.iter().filter(|r| matches!(r.outcome, StepOutcome::Failed { .. })).collect();
    if !failures.is_empty() {
        println!("failed:");
        for result in failures {
            let StepOutcome::Failed { error, checks } = &result.outcome else { continue };
            println!("  {}: {error}", result.target);
            for check in checks.iter().filter(|c| c.blocks_publication()) {
                for row in check.sample_lines(SAMPLE_ROWS) {
                    println!("    | {row}");
                }
            }
            if let ExecuteError::Command { stderr_tail, .. } = error {
                for line in stderr_tail {
                    println!("    | {line}");
                }
            }
        }
        println!("the previous data of failed assets is unchanged; see `cairn logs {}`", summary.run_id);
    }
}
