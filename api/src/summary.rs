//! The end-of-run summary printed by `materialize` and `run resume`,
//! read from the store, so it agrees with what `runs`, `run show` and
//! `logs` say.

use cairn_engine::Instance;
use cairn_store::{RunId, RunStatus, SkipReason, StepStatus};

use crate::cli::GlobalArgs;
use crate::{Failure, outln};

/// Violating rows shown per failed check.
const SAMPLE_ROWS: usize = 3;

/// Prints the summary of `run`; `blocked` selected partitions could not be
/// planned. Fails (exit 1, message already printed) unless the run
/// succeeded and nothing was blocked.
pub async fn print_summary(
    global: &GlobalArgs,
    instance: &Instance,
    run: RunId,
    blocked: usize,
) -> Result<(), Failure> {
    let store = instance.store();
    let unexpected = |e: cairn_store::StoreError| Failure::Unexpected(e.into());
    let record = store.run(run).await.map_err(unexpected)?.ok_or_else(|| Failure::User(format!("no run {run}")))?;
    let steps = store.run_steps(run).await.map_err(unexpected)?;
    let checks = store.run_check_results(run).await.map_err(unexpected)?;
    let unchanged = steps.iter().filter(|s| s.skip_reason == Some(SkipReason::UpstreamUnchanged)).count();
    let elapsed = match (record.started_at, record.finished_at) {
        (Some(start), Some(end)) => (end - start).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    let mut line = format!(
        "run {run} {} in {elapsed:.1} s: {} materialized, {} failed, {} skipped",
        match record.status {
            RunStatus::Success => "finished".to_owned(),
            other => format!("ended {other}"),
        },
        record.materialized_steps,
        record.failed_steps,
        record.skipped_steps,
    );
    if unchanged > 0 {
        line.push_str(&format!(" ({unchanged} because upstream data did not change)"));
    }
    if record.canceled_steps > 0 {
        line.push_str(&format!(", {} canceled", record.canceled_steps));
    }
    if blocked > 0 {
        line.push_str(&format!(", {blocked} blocked"));
    }
    let succeeded = record.status == RunStatus::Success && blocked == 0;
    if !global.quiet || !succeeded {
        outln!("{line}")?;
    }
    let warnings: Vec<_> = checks.iter().filter(|c| !c.passed && c.materialization_id.is_some()).collect();
    if !warnings.is_empty() && !global.quiet {
        outln!("check warnings:")?;
        for check in warnings {
            let target = cairn_core::state::AssetPartition::new(check.asset.clone(), check.partition.clone());
            outln!("  {target}: {}: {} violating row{}", check.check_name, check.violations, plural(check.violations))?;
            for row in sample_lines(&check.sample) {
                outln!("    | {row}")?;
            }
        }
    }
    let failures: Vec<_> = steps.iter().filter(|s| s.status == StepStatus::Failed).collect();
    if !failures.is_empty() {
        outln!("failed:")?;
        for step in &failures {
            let error = step.error.as_deref().unwrap_or("failed");
            let mut lines = error.lines();
            outln!("  {}: {}", step.target, lines.next().unwrap_or_default())?;
            for line in lines.filter(|l| !l.starts_with("stderr (last")) {
                outln!("    | {line}")?;
            }
            let blocking = checks.iter().filter(|c| {
                !c.passed
                    && c.materialization_id.is_none()
                    && c.asset == step.target.asset
                    && c.partition == step.target.partition
            });
            for check in blocking {
                for row in sample_lines(&check.sample) {
                    outln!("    | {row}")?;
                }
            }
        }
        outln!("the previous data of failed assets is unchanged; see `cairn logs {run}`")?;
    }
    if record.status == RunStatus::Canceled && !global.quiet {
        outln!("run {run} was canceled; what it had materialized stays, nothing half-written was published")?;
    }
    if succeeded { Ok(()) } else { Err(Failure::User(String::new())) }
}

fn plural(count: i64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn sample_lines(sample: &serde_json::Value) -> Vec<String> {
    sample.as_array().map_or_else(Vec::new, |rows| rows.iter().take(SAMPLE_ROWS).map(ToString::to_string).collect())
}
