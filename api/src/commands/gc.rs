//! `cairn gc`: remove data files nothing needs any more.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::open::{failure, open};
use crate::{Failure, outln};

/// `cairn gc`.
#[derive(Debug, Args)]
pub struct GcArgs {}

/// Collects, then says what went.
pub async fn run(global: &GlobalArgs, _args: &GcArgs) -> Result<(), Failure> {
    let instance = open(global).await?;
    let report = instance.gc().await.map_err(|e| failure(global, e))?;
    outln!(
        "removed {} superseded file(s), {} unrecorded file(s) and {} staged file(s): {:.1} MB; {} superseded file(s) kept for now",
        report.superseded,
        report.orphans,
        report.staging,
        report.bytes as f64 / 1_000_000.0,
        report.kept
    )
}
