//! `cairn automation why|pause|resume`: what declarative automation decided
//! for an asset and why, and pausing it. The daemon runs in `cairn serve`.

use cairn_core::automation::NodeEvaluation;
use clap::{Args, Subcommand};

use crate::cli::GlobalArgs;
use crate::open::{failure, open};
use crate::{Failure, out, outln};

/// `cairn automation ...`.
#[derive(Debug, Subcommand)]
pub enum AutomationCommand {
    /// Why automation did or did not request an asset's partitions at its
    /// latest evaluation: each sub-condition's result, the partitions
    /// requested with their run, and the reason for each one not requested.
    Why(WhyArgs),
    /// Pause automation of one asset, or of every asset without one.
    Pause(PauseArgs),
    /// Resume automation of one asset, or of every asset without one.
    Resume(PauseArgs),
}

/// `cairn automation why`.
#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The asset key.
    pub asset: String,
    /// Only this partition's reason.
    #[arg(long, value_name = "KEY")]
    pub partition: Option<String>,
    /// Print the stored evaluation as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `cairn automation pause|resume`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// The asset key (default: every asset).
    pub asset: Option<String>,
}

/// Runs an automation subcommand.
pub async fn run(global: &GlobalArgs, command: &AutomationCommand) -> Result<(), Failure> {
    let instance = open(global).await?;
    match command {
        AutomationCommand::Pause(args) | AutomationCommand::Resume(args) => {
            let paused = matches!(command, AutomationCommand::Pause(_));
            instance.set_automation_paused(args.asset.as_deref(), paused).await.map_err(|e| failure(global, e))?;
            let what = args.asset.as_deref().map_or("every asset".to_owned(), |a| format!("`{a}`"));
            outln!("automation of {what} {}", if paused { "paused" } else { "resumed" })
        }
        AutomationCommand::Why(args) => why(global, &instance, args).await,
    }
}

async fn why(global: &GlobalArgs, instance: &cairn_engine::Instance, args: &WhyArgs) -> Result<(), Failure> {
    let why = instance.automation_why(&args.asset).await.map_err(|e| failure(global, e))?;
    if args.json {
        let value = serde_json::json!({
            "asset": why.asset.as_str(),
            "paused": why.paused,
            "evaluation": why.latest.as_ref().map(|(_, evaluation)| evaluation),
            "evaluatedAt": why.latest.as_ref().map(|(record, _)| record.evaluated_at),
            "run": why.latest.as_ref().and_then(|(record, _)| record.run_id).map(|run| run.to_string()),
            "latestTickAt": why.latest_tick.as_ref().map(|tick| tick.finished_at),
        });
        return outln!("{}", serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?);
    }
    let Some(policy) = &why.policy else {
        return outln!("`{}` has no `automation:`; automation never requests it", why.asset);
    };
    let mut text = format!("`{}`: automation `{}`", why.asset, policy.condition.label());
    if policy.lookback > 1 {
        text.push_str(&format!(" (lookback {} time windows)", policy.lookback));
    }
    if why.paused {
        text.push_str(", PAUSED");
    }
    text.push('\n');
    let Some((record, evaluation)) = &why.latest else {
        text.push_str("not evaluated yet: `cairn serve` evaluates automation every tick\n");
        return out!("{text}");
    };
    text.push_str(&format!("evaluated at {} UTC", record.evaluated_at.format("%Y-%m-%d %H:%M:%S")));
    if let Some(tick) = &why.latest_tick
        && tick.id != record.tick_id
    {
        text.push_str(&format!(
            ", the same at every tick since (latest {} UTC)",
            tick.finished_at.format("%Y-%m-%d %H:%M:%S")
        ));
    }
    text.push_str(&format!(", {} candidate partition(s)\n", evaluation.candidates));
    let wanted = |partition: &Option<String>| {
        args.partition.as_ref().is_none_or(|wanted| partition.as_deref() == Some(wanted.as_str()))
    };
    let name = |partition: &Option<String>| partition.clone().unwrap_or_else(|| "(unpartitioned)".to_owned());
    if !evaluation.requested.is_empty() {
        let run = record.run_id.map(|run| format!(" in run {run}")).unwrap_or_default();
        text.push_str(&format!("requested{run}:\n"));
        for reason in evaluation.why.iter().filter(|r| wanted(&r.partition)) {
            text.push_str(&format!("  {}: {}\n", name(&reason.partition), reason.reason));
        }
    }
    let not: Vec<_> = evaluation.why_not.iter().filter(|r| wanted(&r.partition)).collect();
    if !not.is_empty() {
        text.push_str("not requested:\n");
        for reason in not {
            text.push_str(&format!("  {}: {}\n", name(&reason.partition), reason.reason));
        }
    }
    text.push_str("condition (true / candidates):\n");
    tree(&evaluation.tree, evaluation.candidates, 1, &mut text);
    out!("{text}")
}

fn tree(node: &NodeEvaluation, candidates: usize, depth: usize, text: &mut String) {
    let label = format!("{}{}", "  ".repeat(depth), node.label);
    text.push_str(&format!("{label:<48} {}/{candidates}\n", node.true_count));
    for child in &node.children {
        tree(child, candidates, depth + 1, text);
    }
}
