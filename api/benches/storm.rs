//! The pause-storm soak: repeats the storm of `tests/storm.rs` (workers
//! stopped with SIGSTOP at random moments while they share a queued run)
//! for a given time, alternating SQLite (2 workers) and PostgreSQL (3
//! workers, a fresh database each time on the server of
//! `CAIRN_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`),
//! and prints each storm and the totals: runs, steps, pauses, violations.
//! Exits 1 on any violation.
//!
//! ```text
//! cargo bench -p cairn-api --bench storm -- --minutes 30 [--days 1500] [--lease-ms 1000]
//! ```
//!
//! Uses the `cairn` binary of the same build profile (`cargo bench`:
//! release).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::storm::{self, Storm};

/// The soak's options (`cargo bench` passes `--bench` too: accepted).
#[derive(Debug, clap::Parser)]
struct Options {
    /// How long to soak, in minutes.
    #[arg(long, default_value_t = 1)]
    minutes: u64,
    /// Daily partitions of each of the two assets (a run has twice as many steps).
    #[arg(long, default_value_t = 1500)]
    days: usize,
    /// The executor's lease, in milliseconds.
    #[arg(long = "lease-ms", default_value_t = 1_000)]
    lease_ms: u64,
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let options = <Options as clap::Parser>::parse();
    let (minutes, days, lease) = (options.minutes, options.days, Duration::from_millis(options.lease_ms));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let started = Instant::now();
    let (mut runs, mut steps, mut pauses, mut long_pauses, mut violations) = (0, 0, 0, 0, 0);
    // Long pauses during which the other workers recorded nothing: a
    // failure on PostgreSQL; on SQLite, the pauses that caught a worker
    // inside a write transaction (README: SQLite has one writer).
    let (mut stalls, mut sqlite_stalls, mut sqlite_long_pauses) = (0, 0, 0);
    let mut seconds_per_run: Vec<f64> = Vec::new();
    while started.elapsed() < Duration::from_secs(minutes * 60) {
        let postgres = runs % 2 == 1;
        let database = postgres.then(|| runtime.block_on(cairn_store::testing::TempPostgres::create()));
        let config = Storm {
            days,
            workers: if postgres { 3 } else { 2 },
            database_url: database.as_ref().map(|d| d.url().to_owned()),
            seed: storm::seed(),
            lease,
            timeout: Duration::from_secs(600),
        };
        let report = storm::run(&config);
        let stalled = report.progress_during_long_pauses.iter().filter(|&&n| n == 0).count();
        println!(
            "{} seed {}: {} steps in {:.1} s, {} pauses ({} long, {} with no progress elsewhere), {} violation(s)",
            if postgres { "postgresql" } else { "sqlite    " },
            config.seed,
            report.steps,
            report.elapsed.as_secs_f64(),
            report.pauses,
            report.long_pauses,
            stalled,
            report.violations.len()
        );
        for violation in &report.violations {
            println!("  violation: {violation}");
        }
        runs += 1;
        steps += report.steps;
        pauses += report.pauses;
        long_pauses += report.long_pauses;
        violations += report.violations.len();
        if postgres {
            stalls += stalled;
        } else {
            sqlite_stalls += stalled;
            sqlite_long_pauses += report.progress_during_long_pauses.len();
        }
        seconds_per_run.push(report.elapsed.as_secs_f64());
    }
    seconds_per_run.sort_by(f64::total_cmp);
    let median = seconds_per_run.get(seconds_per_run.len() / 2).copied().unwrap_or(0.0);
    println!(
        "storm soak: {runs} runs, {steps} steps, {pauses} pauses ({long_pauses} of 3x the lease), \
         {stalls} long PostgreSQL pauses with no progress elsewhere, {sqlite_stalls} of {sqlite_long_pauses} long \
         SQLite pauses with no progress elsewhere, {violations} violation(s); \
         median run {median:.1} s; {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    );
    if violations > 0 || stalls > 0 {
        std::process::exit(1);
    }
}
