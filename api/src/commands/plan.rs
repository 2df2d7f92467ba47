//! `cairn plan`: what would be materialized, and why.

use cairn_core::planner::{Plan, PlanRequest, plan};
use clap::Args;

use crate::Failure;
use crate::cli::{Format, GlobalArgs, TargetArgs};
use crate::output::{columns, group_plan, list_targets};
use crate::session::{Session, open, partition_filter};

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
}

/// Prints the plan (text or JSON) to stdout; blocked partitions go to
/// stderr as warnings.
pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<(), Failure> {
    let session = open(global).await?;
    let plan = make_plan(&session, &args.target)?;
    let json = args.json || args.format == Format::Json;
    if json {
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
        println!("{}", serde_json::to_string_pretty(&steps).map_err(anyhow::Error::from)?);
    } else {
        print!("{}", render(&plan));
    }
    print_blocked(global, &session, &plan);
    Ok(())
}

/// Plans `target` against the session's state.
pub fn make_plan(session: &Session, target: &TargetArgs) -> Result<Plan, Failure> {
    let request = PlanRequest {
        selection: session.select(&target.selection)?,
        partitions: partition_filter(target),
        now: session.now,
    };
    plan(session.project.specs(), &session.state, &request).map_err(|e| Failure::User(e.to_string()))
}

/// The plan as aligned text, one line per asset and kind of reason.
pub fn render(plan: &Plan) -> String {
    if plan.steps.is_empty() {
        return format!("up to date: nothing to materialize ({} asset partitions checked)\n", plan.considered);
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
pub fn print_blocked(global: &GlobalArgs, session: &Session, plan: &Plan) {
    if plan.blocked.is_empty() || global.quiet {
        return;
    }
    eprintln!("warning: {} selected asset partition(s) cannot be materialized:", plan.blocked.len());
    for blocked in plan.blocked.iter().take(10) {
        let sources: Vec<String> = blocked
            .missing_upstream
            .iter()
            .filter(|u| session.project.specs().iter().any(|s| s.key == u.asset && !s.is_materializable()))
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
