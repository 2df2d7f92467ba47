//! `cairn runs`: the runs, newest first.

use cairn_store::{RunFilter, RunRecord, RunStatus};
use clap::Args;

use crate::cli::{Format, GlobalArgs};
use crate::open::open;
use crate::output::columns;
use crate::{Failure, out, outln};

/// `cairn runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Only runs with this status (repeatable): QUEUED, STARTED, SUCCESS,
    /// FAILURE, CANCELING, CANCELED.
    #[arg(long = "status", value_name = "STATUS", value_parser = parse_status)]
    pub statuses: Vec<RunStatus>,
    /// Most runs shown.
    #[arg(long, default_value_t = 20)]
    pub limit: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
}

/// A run status by name, any case.
pub fn parse_status(text: &str) -> Result<RunStatus, String> {
    RunStatus::parse(&text.to_ascii_uppercase()).ok_or_else(|| {
        let names: Vec<&str> = RunStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown run status `{text}`; the statuses are {}", names.join(", "))
    })
}

/// Lists runs.
pub async fn run(global: &GlobalArgs, args: &RunsArgs) -> Result<(), Failure> {
    let instance = open(global).await?;
    let filter =
        RunFilter { statuses: (!args.statuses.is_empty()).then(|| args.statuses.clone()), ..RunFilter::default() };
    let runs = instance.store().runs(&filter, args.limit).await.map_err(|e| Failure::Unexpected(e.into()))?;
    if args.json || args.format == Format::Json {
        return outln!("{}", serde_json::to_string_pretty(&runs).map_err(anyhow::Error::from)?);
    }
    if runs.is_empty() {
        return outln!("no runs");
    }
    let mut rows =
        vec![["RUN", "STATUS", "ORIGIN", "CREATED (UTC)", "DURATION", "STEPS", "SELECTION"].map(String::from).to_vec()];
    for run in &runs {
        rows.push(vec![
            run.id.to_string(),
            run.status.to_string(),
            run.origin.to_string(),
            run.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            duration(run),
            steps(run),
            selection(run),
        ]);
    }
    out!("{}", columns(&rows))
}

/// `1.2 s`, or `-` for a run that has not started.
pub fn duration(run: &RunRecord) -> String {
    let Some(start) = run.started_at else { return "-".to_owned() };
    let end = run.finished_at.unwrap_or_else(chrono::Utc::now);
    format!("{:.1} s", (end - start).num_milliseconds().max(0) as f64 / 1000.0)
}

/// `88/90 materialized, 2 failed`.
pub fn steps(run: &RunRecord) -> String {
    let mut text = format!("{}/{} materialized", run.materialized_steps, run.planned_steps);
    for (count, what) in
        [(run.failed_steps, "failed"), (run.skipped_steps, "skipped"), (run.canceled_steps, "canceled")]
    {
        if count > 0 {
            text.push_str(&format!(", {count} {what}"));
        }
    }
    text
}

/// The selection and partitions as typed, or `all`.
pub fn selection(run: &RunRecord) -> String {
    let selection = if run.selection.is_empty() { "all" } else { run.selection.as_str() };
    match &run.partition_filter {
        Some(filter) => format!("{selection} [{filter}]"),
        None => selection.to_owned(),
    }
}
