//! `cairn`: declare assets in YAML, plan from staleness, materialize with
//! DataFusion, run workers. See `cairn --help`.
//!
//! Exit codes: 0 success; 1 a user or validation failure (bad project,
//! failed or blocked materializations, a canceled run); 2 an unexpected
//! error.

/// mimalloc rather than glibc's malloc: the asset-state index is millions
/// of small values made and freed while it loads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod commands;
mod open;
mod output;
mod progress;
mod summary;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, RunCommand};

/// How a command failed, mapped to the exit code.
#[derive(Debug)]
pub enum Failure {
    /// The user's input or project is wrong, or work failed: exit 1. The
    /// message has already been printed when it is empty.
    User(String),
    /// Something unexpected: exit 2.
    Unexpected(anyhow::Error),
    /// stdout was closed by its reader (`cairn plan --json | head`): stop
    /// quietly, exit 0.
    BrokenPipe,
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::Unexpected(error)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let global = &cli.global;
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Validate(args) => commands::validate::run(global, args).await,
            Command::Plan(args) => commands::plan::run(global, args).await,
            Command::Materialize(args) => commands::materialize::run(global, args).await,
            Command::Status(args) => commands::status::run(global, args).await,
            Command::Runs(args) => commands::runs::run(global, args).await,
            Command::Run(RunCommand::Show(args)) => commands::run_show::run(global, args).await,
            Command::Run(RunCommand::Cancel(args)) => commands::run_cancel::run(global, args).await,
            Command::Run(RunCommand::Resume(args)) => commands::run_resume::run(global, args).await,
            Command::Logs(args) => commands::logs::run(global, args).await,
            Command::Worker(args) => commands::worker::run(global, args).await,
            Command::Gc(args) => commands::gc::run(global, args).await,
            Command::Backfill(args) => commands::backfill::run(global, args).await,
            Command::Backfills(args) => commands::backfill::list(global, args).await,
            Command::Lineage(args) => commands::lineage::run(global, args).await,
            Command::Serve(args) => commands::serve::run(global, args).await,
            Command::Automation(command) => commands::automation::run(global, command).await,
            Command::Schema => commands::schema::run(),
        }
    });
    // Steps still running in spawned tasks (a worker's grace expired) are
    // not waited for.
    runtime.shutdown_background();
    match result {
        Ok(()) | Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::User(message)) => {
            if !message.is_empty() {
                eprintln!("{}", output::error_line(global, &message));
            }
            ExitCode::from(1)
        }
        Err(Failure::Unexpected(error)) => {
            eprintln!("{}", output::error_line(global, &format!("{error:#}")));
            ExitCode::from(2)
        }
    }
}
