//! `cairn plan`: what would be materialized, and why.

use cairn_core::planner::Plan;
use cairn_engine::{Instance, PartitionSubset, Snapshot};
use clap::Args;

use crate::Failure;
use crate::cli::{Format, GlobalArgs, TargetArgs};
use crate::open::{failure, open, snapshot};
use crate::output::{columns, group_plan, list_targets};
use crate::{out, outln};

/// `cairn plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
    /// First look for the data file of every current materialization and
    /// wipe those that are gone, so they count as missing (Cairn otherwise
    /// finds a missing file only when a step reads it).
    #[arg(long)]
    pub verify: bool,
}

/// Prints the plan (text or JSON) to stdout; blocked partitions go to
/// stderr as warnings.
pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<(), Failure> {
    let instance = open(global).await?;
    let (_, plan) = make_plan(global, &instance, &args.target, args.verify).await?;
    if args.json || args.format == Format::Json {
        let steps: Vec<serde_json::Value> = plan
            .steps
            .iter()
            .map(|step| {
                serde_json::json!({
                    "asset": step.target.asset,
                    "partition": step.target.partition,
                    "reasons": step.reason_kinds(),
                    "causes": step.reasons,
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&steps).map_err(anyhow::Error::from)?)?;
    } else {
        out!("{}", render(&plan))?;
    }
    print_blocked(global, &instance, &plan);
    Ok(())
}

/// Resolves `target`'s selection, takes a snapshot of it and its upstream
/// assets (after `--verify`'s look at the data files, if asked) and plans
/// it.
pub async fn make_plan(
    global: &GlobalArgs,
    instance: &Instance,
    target: &TargetArgs,
    verify: bool,
) -> Result<(Snapshot, Plan), Failure> {
    let selection = instance.select(&target.selection).map_err(|e| failure(global, e))?;
    let snapshot = snapshot(global, instance, Some(&selection), verify).await?;
    let plan = instance
        .plan(&snapshot, selection, partition_subset(target).filter(), Default::default())
        .map_err(|e| failure(global, e))?;
    Ok((snapshot, plan))
}

/// The partitions the flags name: `--from`/`--to`, `--partition`, or all.
pub fn partition_subset(target: &TargetArgs) -> PartitionSubset {
    match (&target.from, &target.to) {
        (Some(from), Some(to)) => PartitionSubset::Range { start: from.clone(), end: to.clone() },
        _ if !target.partitions.is_empty() => PartitionSubset::Keys(target.partitions.clone()),
        _ => PartitionSubset::All,
    }
}

/// What to say of a plan without steps: up to date, or (when selected
/// partitions are blocked by missing upstream data) that nothing can run.
pub fn nothing_planned(plan: &Plan) -> String {
    if plan.blocked.is_empty() {
        format!("up to date: nothing to materialize ({} asset partitions checked)\n", plan.considered)
    } else {
        format!(
            "nothing can be materialized: {} of {} asset partitions checked are blocked by missing upstream data\n",
            plan.blocked.len(),
            plan.considered
        )
    }
}

/// The plan as aligned text, one line per asset and kind of reason.
pub fn render(plan: &Plan) -> String {
    if plan.steps.is_empty() {
        return nothing_planned(plan);
    }
    let mut rows = vec![vec!["ASSET".to_owned(), "PARTITIONS".to_owned(), "REASONS".to_owned()]];
    for group in group_plan(plan) {
        rows.push(vec![group.asset.clone(), group.partitions(), group.reasons()]);
    }
    let assets = plan.steps.iter().map(|s| &s.target.asset).collect::<std::collections::BTreeSet<_>>().len();
    format!(
        "{}\n{} materialization{} of {assets} asset{} planned\n",
        columns(&rows).trim_end(),
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" },
        if assets == 1 { "" } else { "s" },
    )
}

/// Warns about selected partitions that cannot run, naming what they wait for.
pub fn print_blocked(global: &GlobalArgs, instance: &Instance, plan: &Plan) {
    if plan.blocked.is_empty() || global.quiet {
        return;
    }
    let specs = instance.project().specs();
    eprintln!("warning: {} selected asset partition(s) cannot be materialized:", plan.blocked.len());
    for blocked in plan.blocked.iter().take(10) {
        let sources: Vec<String> = blocked
            .missing_upstream
            .iter()
            .filter(|u| specs.iter().any(|s| s.key == u.asset && !s.is_materializable()))
            .map(|u| format!("source `{}` has no files", u.asset))
            .collect();
        let detail = if sources.is_empty() {
            format!(
                "upstream {} not materialized (select it too, e.g. `+{}`)",
                list_targets(&blocked.missing_upstream),
                blocked.target.asset
            )
        } else {
            sources.join(", ")
        };
        eprintln!("  {}: {detail}", blocked.target);
    }
    if plan.blocked.len() > 10 {
        eprintln!("  and {} more", plan.blocked.len() - 10);
    }
}
