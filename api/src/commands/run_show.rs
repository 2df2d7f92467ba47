//! `cairn run show RUN`: a run and each of its steps.

use cairn_store::{RunId, StepRecord, StepStatus};
use clap::Args;

use crate::cli::{Format, GlobalArgs};
use crate::commands::runs::{duration, selection, steps};
use crate::open::open;
use crate::output::{columns, describe_reasons};
use crate::{Failure, out, outln};

/// `cairn run show`.
#[derive(Debug, Args)]
pub struct RunShowArgs {
    /// The run (`r-12` or `12`).
    pub run: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
}

/// A run id typed by the user.
pub fn parse_run(text: &str) -> Result<RunId, Failure> {
    text.parse().map_err(|e: cairn_core::run::RunIdError| Failure::User(e.to_string()))
}

/// Prints the run and its steps.
pub async fn run(global: &GlobalArgs, args: &RunShowArgs) -> Result<(), Failure> {
    let id = parse_run(&args.run)?;
    let instance = open(global).await?;
    let store = instance.store();
    let unexpected = |e: cairn_store::StoreError| Failure::Unexpected(e.into());
    let run = store.run(id).await.map_err(unexpected)?.ok_or_else(|| Failure::User(format!("no run {id}")))?;
    let step_records = store.run_steps(id).await.map_err(unexpected)?;
    if args.json || args.format == Format::Json {
        let value = serde_json::json!({ "run": run, "steps": step_records });
        return outln!("{}", serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?);
    }
    outln!("run {id} {} ({})", run.status, run.origin)?;
    outln!("  selection: {}", selection(&run))?;
    outln!("  created:   {} UTC", run.created_at.format("%Y-%m-%d %H:%M:%S"))?;
    if let Some(started) = run.started_at {
        outln!("  started:   {} UTC", started.format("%Y-%m-%d %H:%M:%S"))?;
    }
    if let Some(finished) = run.finished_at {
        outln!("  finished:  {} UTC ({})", finished.format("%Y-%m-%d %H:%M:%S"), duration(&run))?;
    }
    outln!("  steps:     {}", steps(&run))?;
    for (tag, value) in &run.tags {
        outln!("  tag:       {tag}={value}")?;
    }
    if step_records.is_empty() {
        return Ok(());
    }
    let mut rows = vec![["STEP", "ASSET PARTITION", "STATUS", "ATTEMPT", "TIME", "DETAIL"].map(String::from).to_vec()];
    for step in &step_records {
        rows.push(vec![
            step.id.to_string(),
            step.target.to_string(),
            step.status.to_string(),
            step.attempt.to_string(),
            step_time(step),
            detail(step),
        ]);
    }
    outln!()?;
    out!("{}", columns(&rows))
}

fn step_time(step: &StepRecord) -> String {
    match (step.started_at, step.finished_at) {
        (Some(start), Some(end)) => format!("{} ms", (end - start).num_milliseconds().max(0)),
        (Some(_), None) => "running".to_owned(),
        _ => "-".to_owned(),
    }
}

fn detail(step: &StepRecord) -> String {
    match step.status {
        StepStatus::Failed => step.error.as_deref().and_then(|e| e.lines().next()).unwrap_or("failed").to_owned(),
        StepStatus::Skipped => step.skip_reason.as_ref().map_or_else(String::new, ToString::to_string),
        StepStatus::Running => step.owner.as_deref().map_or_else(String::new, |owner| format!("on {owner}")),
        _ => describe_reasons(step.reasons.iter()),
    }
}
