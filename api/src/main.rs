//! `cairn`: declare assets in YAML, plan from staleness, materialize with
//! DataFusion. See `cairn --help`.
//!
//! Exit codes: 0 success; 1 a user or validation failure (bad project,
//! failed or blocked materializations); 2 an unexpected error.

mod cli;
mod commands;
mod output;
mod progress;
mod session;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// How a command failed, mapped to the exit code.
#[derive(Debug)]
pub enum Failure {
    /// The user's input or project is wrong, or work failed: exit 1. The
    /// message has already been printed when it is empty.
    User(String),
    /// Something unexpected: exit 2.
    Unexpected(anyhow::Error),
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
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Validate(args) => commands::validate::run(&cli.global, args).await,
            Command::Plan(args) => commands::plan::run(&cli.global, args).await,
            Command::Materialize(args) => commands::materialize::run(&cli.global, args).await,
            Command::Status(args) => commands::status::run(&cli.global, args).await,
            Command::Logs(args) => commands::logs::run(&cli.global, args).await,
            Command::Schema => commands::schema::run(),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::User(message)) => {
            if !message.is_empty() {
                eprintln!("{}", output::error_line(&cli.global, &message));
            }
            ExitCode::from(1)
        }
        Err(Failure::Unexpected(error)) => {
            eprintln!("{}", output::error_line(&cli.global, &format!("{error:#}")));
            ExitCode::from(2)
        }
    }
}
