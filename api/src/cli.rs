//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Cairn: an asset-centric data orchestrator with lineage.
///
/// Declare assets in YAML (sources, DataFusion SQL, commands), and Cairn
/// materializes exactly the asset partitions that are missing or stale, in
/// dependency order.
#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "Cairn: declare data assets in YAML, materialize exactly what is missing or stale",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Project folder (the one with `cairn.yaml`).
    #[arg(long, short = 'p', global = true, default_value = ".", env = "CAIRN_PROJECT")]
    pub project: PathBuf,
    /// Metadata database URL, overriding `database:` in cairn.yaml
    /// (`sqlite://PATH` or `postgres://USER@HOST/DB`).
    #[arg(long, global = true, env = "CAIRN_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Only print errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (repeat for debug logs).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Never draw progress bars (plain log lines instead).
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// When to use colours (also off when NO_COLOR is set).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Colour setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output format of data-producing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// For programs.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and check the project: YAML, keys, SQL and its tables, cycles,
    /// partitions, source files. Exit 1 with diagnostics on problems.
    Validate(crate::commands::validate::ValidateArgs),
    /// Show what would be materialized, and why.
    Plan(crate::commands::plan::PlanArgs),
    /// Store a run of what the plan says, then execute it in dependency order.
    Materialize(crate::commands::materialize::MaterializeArgs),
    /// Show each asset's state: fresh, stale (with causes) or missing.
    Status(crate::commands::status::StatusArgs),
    /// List runs, newest first.
    Runs(crate::commands::runs::RunsArgs),
    /// Show, cancel or resume one run.
    #[command(subcommand)]
    Run(RunCommand),
    /// Show the log of a run (the latest by default).
    Logs(crate::commands::logs::LogsArgs),
    /// Execute the steps of queued and unfinished runs until stopped
    /// (SIGTERM or Ctrl-C: finish running steps, then give back the rest).
    Worker(crate::commands::worker::WorkerArgs),
    /// Remove data files nothing needs any more: superseded ones past their
    /// retention, unrecorded ones and leftover staged files.
    Gc(crate::commands::gc::GcArgs),
    /// Backfill partitions of a selection through a stored backfill (or
    /// `cancel` / `retry` one).
    Backfill(crate::commands::backfill::BackfillArgs),
    /// List backfills, newest first, with their progress.
    Backfills(crate::commands::backfill::BackfillsArgs),
    /// Show the lineage of a selection: text, JSON, Graphviz DOT or Mermaid.
    Lineage(crate::commands::lineage::LineageArgs),
    /// Serve the GraphQL API (lineage, freshness, backfills), its
    /// subscriptions, `/metrics` and the web UI, with an executor.
    Serve(crate::commands::serve::ServeArgs),
    /// Declarative automation (run by `cairn serve`): why an asset was or
    /// was not requested; pause and resume.
    #[command(subcommand)]
    Automation(crate::commands::automation::AutomationCommand),
    /// Print the JSON Schema of Cairn's YAML files.
    Schema,
}

/// `cairn run ...`.
#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// Show a run and each of its steps: status, reasons, timings, errors.
    Show(crate::commands::run_show::RunShowArgs),
    /// Cancel a run: queued steps never start, running ones stop, their
    /// staged data is discarded; earlier data is untouched.
    Cancel(crate::commands::run_cancel::RunCancelArgs),
    /// Finish an unfinished run (its process was killed, or it was queued)
    /// in this process: exactly the steps that had not committed.
    Resume(crate::commands::run_resume::RunResumeArgs),
}

/// Settings of the executor a command runs (overriding `executor:` in
/// cairn.yaml).
#[derive(Debug, Args, Clone)]
pub struct ExecutorArgs {
    /// Most steps running at once (default: number of CPUs).
    #[arg(long, short = 'j', visible_alias = "jobs")]
    pub concurrency: Option<usize>,
    /// How long a claimed step stays claimed without a heartbeat (`30s`).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub lease: Option<std::time::Duration>,
    /// How often leases are renewed (`5s`; at most a third of the lease).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub heartbeat: Option<std::time::Duration>,
    /// On SIGTERM, how long running steps may go on (`30s`).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Option<std::time::Duration>,
}

impl ExecutorArgs {
    /// The concurrency to use.
    pub fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1)
    }
}

/// Which assets and partitions.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Assets to select: `key`, `+key` (with upstream), `key+` (with
    /// downstream), `2+key`, `raw/*`. Default: all.
    pub selection: Vec<String>,
    /// Only this partition (repeatable). For time windows, a key or time
    /// selects the window containing it.
    #[arg(long = "partition", value_name = "KEY", conflicts_with_all = ["from", "to"])]
    pub partitions: Vec<String>,
    /// First partition of a range (inclusive).
    #[arg(long, value_name = "KEY", requires = "to")]
    pub from: Option<String>,
    /// Last partition of a range (inclusive).
    #[arg(long, value_name = "KEY", requires = "from")]
    pub to: Option<String>,
}
