//! `cairn gc`: remove data files nothing needs any more, and prune the
//! records older than `retention:`.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::open::{failure, open, verify};
use crate::{Failure, outln};

/// `cairn gc`.
#[derive(Debug, Args)]
pub struct GcArgs {
    /// First look for the data file of every current materialization and
    /// wipe those that are gone, so they count as missing (Cairn otherwise
    /// finds a missing file only when a step reads it).
    #[arg(long)]
    pub verify: bool,
}

/// Collects, then says what went.
pub async fn run(global: &GlobalArgs, args: &GcArgs) -> Result<(), Failure> {
    let instance = open(global).await?;
    if args.verify {
        verify(global, &instance).await?;
    }
    let report = instance.gc().await.map_err(|e| failure(global, e))?;
    outln!(
        "removed {} superseded file(s), {} unrecorded file(s) and {} staged file(s): {:.1} MB; {} superseded file(s) kept for now",
        report.superseded,
        report.orphans,
        report.staging,
        report.bytes as f64 / 1_000_000.0,
        report.kept
    )?;
    let records = &report.records;
    outln!(
        "pruned {} event(s), {} step(s) of finished runs, {} superseded materialization record(s) with {} check result(s) \
         and {} automation tick(s); the event log now starts after event {} (retention: in cairn.yaml)",
        records.events,
        records.run_steps,
        records.materializations,
        records.check_results,
        records.automation_ticks,
        records.pruned_through
    )
}
