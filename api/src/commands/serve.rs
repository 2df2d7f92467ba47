//! `cairn serve`: the GraphQL API, subscriptions, metrics and the web UI,
//! with an executor and the backfill daemon, in one process.

use std::net::SocketAddr;

use cairn_engine::CancellationToken;
use cairn_server::origin::AllowedOrigin;
use cairn_server::{ServeOptions, serve};
use clap::Args;
use tokio::signal::unix::{SignalKind, signal};

use crate::Failure;
use crate::cli::{ExecutorArgs, GlobalArgs};
use crate::open::open_for_execution;

/// `cairn serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. The default is loopback only; binding to
    /// another address exposes the API (set a token).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// Execute no steps in this process: separate `cairn worker`s do
    /// (backfills are still launched into runs here).
    #[arg(long, conflicts_with = "executors")]
    pub no_executor: bool,
    /// Steps the server's own executor runs at once (default: number of
    /// CPUs).
    #[arg(long, value_name = "N")]
    pub executors: Option<usize>,
    /// Require `Authorization: Bearer <token>` for mutations and
    /// subscriptions (queries stay open).
    #[arg(long, env = "CAIRN_API_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Reload the definitions when a YAML file of the project changes.
    #[arg(long)]
    pub watch: bool,
    /// Let pages of this origin (`https://cairn.example.com`,
    /// `http://localhost:5173`) use the API from a browser, besides the
    /// server's own (repeatable). Requests without an `Origin` header (the
    /// CLI, curl) are always accepted.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<AllowedOrigin>,
    /// Print the GraphQL schema (SDL) and exit.
    #[arg(long)]
    pub print_schema: bool,
    #[command(flatten)]
    pub executor: ExecutorArgs,
}

/// Serves until SIGTERM or Ctrl-C; then stops accepting requests, lets the
/// executor's running steps finish for the shutdown grace and gives back
/// the rest.
pub async fn run(global: &GlobalArgs, args: &ServeArgs) -> Result<(), Failure> {
    if args.print_schema {
        crate::outln!("{}", cairn_server::graphql::sdl().trim_end())?;
        return Ok(());
    }
    let mut executor_args = args.executor.clone();
    if args.executors.is_some() {
        executor_args.concurrency = args.executors;
    }
    let instance = open_for_execution(global, &executor_args).await?;
    let options = ServeOptions {
        bind: args.bind,
        executors: (!args.no_executor).then(|| executor_args.concurrency()),
        token: args.token.clone().filter(|token| !token.is_empty()),
        watch: args.watch,
        project_dir: global.project.clone(),
        database_url: global.database_url.clone(),
        allowed_origins: args.allowed_origins.clone(),
    };
    let shutdown = CancellationToken::new();
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| Failure::Unexpected(e.into()))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| Failure::Unexpected(e.into()))?;
    let signals = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! { _ = terminate.recv() => {}, _ = interrupt.recv() => {} }
            shutdown.cancel();
            tokio::select! { _ = terminate.recv() => {}, _ = interrupt.recv() => {} }
            std::process::exit(130);
        })
    };
    let quiet = global.quiet;
    let project = instance.project().settings.name.clone();
    let executors = options.executors;
    let token = options.token.is_some();
    let served = serve(instance, options, shutdown.clone(), |address| {
        if !quiet {
            let execution = match executors {
                Some(n) => format!("an executor of {n} step(s) at a time"),
                None => "no executor (workers execute runs)".to_owned(),
            };
            let auth = if token { ", mutations need the token" } else { "" };
            eprintln!("serving project `{project}` on http://{address} with {execution}{auth}");
            eprintln!("  web UI  http://{address}/");
            eprintln!("  GraphQL http://{address}/graphql");
        }
        // The line tests and scripts wait for.
        println!("listening on http://{address}");
    })
    .await;
    signals.abort();
    served.map_err(|e| Failure::Unexpected(e.into()))
}
