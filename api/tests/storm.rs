//! The pause storm (see `support/storm.rs`) on both backends: workers
//! stopped with SIGSTOP at random moments, some for three times their
//! lease, while they share one queued run of 3,000 steps. Every step runs
//! exactly once, the counters equal the steps, and (on PostgreSQL, where a
//! stopped process's transaction is ended by the server) the other workers
//! keep recording steps while one is stopped. The seed is printed; set
//! `STORM_SEED` to replay a schedule. `cargo bench --bench storm` soaks.

mod support;

use std::time::Duration;

use support::storm::{self, Storm, StormReport};

fn print(storm: &Storm, report: &StormReport) {
    eprintln!(
        "storm seed {}: {} steps in {:?}, {} pause(s), {} long; progress during long pauses {:?}",
        storm.seed, report.steps, report.elapsed, report.pauses, report.long_pauses, report.progress_during_long_pauses
    );
    for line in &report.log {
        eprintln!("  {line}");
    }
}

/// A storm of 3,000 steps with a lease of 1 s.
fn storm(workers: usize, database_url: Option<String>) -> Storm {
    Storm {
        days: 1500,
        workers,
        database_url,
        seed: storm::seed(),
        lease: Duration::from_secs(1),
        timeout: Duration::from_secs(180),
    }
}

#[test]
fn a_pause_storm_on_sqlite_runs_every_step_exactly_once() {
    let storm = storm(2, None);
    let report = storm::run(&storm);
    print(&storm, &report);
    assert!(report.violations.is_empty(), "seed {}: {:#?}", storm.seed, report.violations);
    assert!(report.pauses >= 3, "the storm paused workers only {} time(s)", report.pauses);
}

#[test]
fn a_pause_storm_on_postgresql_runs_every_step_exactly_once_and_never_stalls_the_others() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let database = runtime.block_on(cairn_store::testing::TempPostgres::create());
    let storm = storm(3, Some(database.url().to_owned()));
    let report = storm::run(&storm);
    print(&storm, &report);
    assert!(report.violations.is_empty(), "seed {}: {:#?}", storm.seed, report.violations);
    assert!(report.pauses >= 3, "the storm paused workers only {} time(s)", report.pauses);
    // A worker stopped for 3x its lease, wherever it was (inside a
    // transaction or not), holds the others up for at most the store's
    // idle timeout (1 s): they record steps during the pause.
    assert!(
        report.progress_during_long_pauses.iter().all(|&steps| steps > 0),
        "seed {}: the other workers recorded nothing during a long pause: {:?}",
        storm.seed,
        report.progress_during_long_pauses
    );
    drop(runtime);
}
