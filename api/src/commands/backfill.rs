//! `cairn backfill`, `cairn backfills`, `cairn backfill cancel|retry`: the
//! backfills of the store, as `cairn serve`'s API sees them.

use std::collections::BTreeMap;

use cairn_engine::{BackfillRequest, Instance, PartitionSubset, Retry};
use cairn_store::{BackfillId, BackfillRecord, BackfillStatus, BackfillTransition};
use clap::{Args, Subcommand};

use crate::cli::{ExecutorArgs, Format, GlobalArgs};
use crate::commands::materialize::execute;
use crate::open::{failure, open, open_for_execution};
use crate::output::columns;
use crate::summary::print_summary;
use crate::{Failure, out, outln};

/// `cairn backfill`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BackfillArgs {
    #[command(subcommand)]
    pub command: Option<BackfillCommand>,
    /// Assets to backfill: `key`, `+key` (with upstream), `key+`, `raw/*`.
    #[arg(value_name = "SELECTION", required = true)]
    pub selection: Vec<String>,
    /// First partition (key, or a time inside its window), inclusive.
    #[arg(long, value_name = "KEY", requires = "to")]
    pub from: Option<String>,
    /// Last partition, inclusive.
    #[arg(long, value_name = "KEY", requires = "from")]
    pub to: Option<String>,
    /// These partitions (repeatable) instead of a range. Without `--from`
    /// and `--partition`: every partition.
    #[arg(long = "partition", value_name = "KEY", conflicts_with = "from")]
    pub partitions: Vec<String>,
    /// Only partitions never materialized or whose latest attempt failed.
    #[arg(long, conflicts_with = "only_stale")]
    pub only_missing_or_failed: bool,
    /// Only partitions missing or stale (what `cairn materialize` would do).
    #[arg(long)]
    pub only_stale: bool,
    /// Show what would run, per asset as ranges, and launch nothing.
    #[arg(long)]
    pub preview: bool,
    /// Store the backfill and return: `cairn serve` or a `cairn worker`
    /// launches and executes it.
    #[arg(long, conflicts_with = "preview")]
    pub detach: bool,
    /// Output format (preview and detach).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub executor: ExecutorArgs,
}

/// `cairn backfill cancel|retry`.
#[derive(Debug, Subcommand)]
pub enum BackfillCommand {
    /// Stop launching and cancel the backfill's work in flight. Cancelling
    /// twice, or a finished backfill, changes nothing and says so.
    Cancel {
        /// The backfill's id (`b-3` or `3`).
        #[arg(value_parser = parse_backfill_id)]
        id: i64,
    },
    /// Request a new backfill of what failed or did not run.
    Retry {
        /// The backfill's id (`b-3` or `3`).
        #[arg(value_parser = parse_backfill_id)]
        id: i64,
    },
}

/// `cairn backfills`.
#[derive(Debug, Args)]
pub struct BackfillsArgs {
    /// Only backfills with this status (repeatable): REQUESTED, COMPLETED,
    /// FAILED, CANCELING, CANCELED.
    #[arg(long = "status", value_name = "STATUS", value_parser = parse_status)]
    pub statuses: Vec<BackfillStatus>,
    /// Most backfills shown.
    #[arg(long, default_value_t = 20)]
    pub limit: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
}

/// A backfill id as listed (`b-3`) or as the API gives it (`3`).
fn parse_backfill_id(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix("b-").unwrap_or(text);
    digits.parse().map_err(|_| format!("`{text}` is not a backfill id (like `b-3` or `3`; see `cairn backfills`)"))
}

fn parse_status(text: &str) -> Result<BackfillStatus, String> {
    BackfillStatus::parse(&text.to_ascii_uppercase()).ok_or_else(|| {
        let names: Vec<&str> = BackfillStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown backfill status `{text}`; the statuses are {}", names.join(", "))
    })
}

/// Requests a backfill; then previews it, returns (`--detach`), or launches
/// its run and executes it here with a progress bar, failing (exit 1) when
/// a step failed.
pub async fn run(global: &GlobalArgs, args: &BackfillArgs) -> Result<(), Failure> {
    match &args.command {
        Some(BackfillCommand::Cancel { id }) => return cancel(global, BackfillId(*id)).await,
        Some(BackfillCommand::Retry { id }) => return retry(global, BackfillId(*id)).await,
        None => {}
    }
    let instance = open_for_execution(global, &args.executor).await?;
    let partitions = match (&args.from, &args.to) {
        (Some(start), Some(end)) => PartitionSubset::Range { start: start.clone(), end: end.clone() },
        _ if !args.partitions.is_empty() => PartitionSubset::Keys(args.partitions.clone()),
        _ => PartitionSubset::All,
    };
    let request = BackfillRequest {
        selection: args.selection.join(" "),
        partitions,
        only_missing_or_failed: args.only_missing_or_failed,
        only_stale: args.only_stale,
        tags: BTreeMap::new(),
    };
    let json = args.format == Format::Json;
    if args.preview {
        let plan = instance.preview_backfill(&request).await.map_err(|e| failure(global, e))?;
        if json {
            return outln!("{}", serde_json::to_string_pretty(&plan).map_err(anyhow::Error::from)?);
        }
        let mut rows = vec![["ASSET", "PARTITIONS", "RANGES", "REASONS"].map(String::from).to_vec()];
        for asset in &plan.assets {
            let ranges: Vec<String> = asset.ranges.iter().map(|(range, _)| range.to_string()).collect();
            rows.push(vec![
                asset.asset.to_string(),
                asset.count.to_string(),
                ranges.join(", "),
                asset.reasons.join(", "),
            ]);
        }
        out!("{}", columns(&rows))?;
        let blocked =
            if plan.blocked > 0 { format!(", {} blocked (upstream missing)", plan.blocked) } else { String::new() };
        return outln!("{} asset partition(s) would be materialized, in this order{blocked}", plan.total);
    }
    let id = instance.request_backfill(&request).await.map_err(|e| failure(global, e))?;
    if args.detach {
        if !global.quiet {
            eprintln!("backfill {id} requested: `cairn serve` or a `cairn worker` launches and executes it");
        }
        return outln!("{id}");
    }
    instance.launch_requested_backfills().await.map_err(|e| failure(global, e))?;
    let record = backfill(global, &instance, id).await?;
    let Some(run) = record.run_id else {
        if !global.quiet {
            let why = record.error.clone().unwrap_or_else(|| "nothing to materialize".to_owned());
            eprintln!("backfill {id} {}: {why}", record.status);
        }
        return if record.status == BackfillStatus::Failed { Err(Failure::User(String::new())) } else { Ok(()) };
    };
    if !global.quiet {
        eprintln!("backfill {id}: run {run}");
    }
    let steps =
        instance.store().run(run).await.map_err(|e| Failure::Unexpected(e.into()))?.map_or(0, |r| r.planned_steps);
    execute(global, &instance, run, usize::try_from(steps).unwrap_or(0), args.executor.concurrency()).await?;
    print_summary(global, &instance, run, usize::try_from(record.blocked).unwrap_or(0)).await?;
    let record = backfill(global, &instance, id).await?;
    if !global.quiet {
        eprintln!("backfill {id} {}", record.status);
    }
    Ok(())
}

async fn backfill(global: &GlobalArgs, instance: &Instance, id: BackfillId) -> Result<BackfillRecord, Failure> {
    let _ = global;
    instance
        .store()
        .backfill(id)
        .await
        .map_err(|e| Failure::Unexpected(e.into()))?
        .ok_or_else(|| Failure::User(format!("no backfill {id}")))
}

async fn cancel(global: &GlobalArgs, id: BackfillId) -> Result<(), Failure> {
    let instance = open(global).await?;
    backfill(global, &instance, id).await?;
    match instance.cancel_backfill(id).await.map_err(|e| failure(global, e))? {
        BackfillTransition::Changed(status) => outln!("backfill {id}: {status}"),
        BackfillTransition::Unchanged(status) => outln!("backfill {id} is already {status}: nothing changed"),
    }
}

async fn retry(global: &GlobalArgs, id: BackfillId) -> Result<(), Failure> {
    let instance = open(global).await?;
    backfill(global, &instance, id).await?;
    match instance.retry_backfill(id).await.map_err(|e| failure(global, e))? {
        Retry::Requested(new) => {
            if !global.quiet {
                eprintln!("backfill {new} requested (retry of {id}): `cairn serve` or a `cairn worker` launches it");
            }
            outln!("{new}")
        }
        Retry::Nothing(why) => outln!("backfill {id}: nothing to retry ({why})"),
    }
}

/// Lists backfills, newest first, with their progress.
pub async fn list(global: &GlobalArgs, args: &BackfillsArgs) -> Result<(), Failure> {
    let instance = open(global).await?;
    let filter = cairn_store::BackfillFilter {
        statuses: (!args.statuses.is_empty()).then(|| args.statuses.clone()),
        ..Default::default()
    };
    let records = instance.store().backfills(&filter, args.limit).await.map_err(|e| Failure::Unexpected(e.into()))?;
    let mut listed = Vec::new();
    for record in records {
        let progress = instance.backfill_progress(&record).await.map_err(|e| failure(global, e))?;
        listed.push((record, progress));
    }
    if args.json || args.format == Format::Json {
        let rows: Vec<serde_json::Value> = listed
            .iter()
            .map(|(record, progress)| serde_json::json!({ "backfill": record, "counts": progress.counts }))
            .collect();
        return outln!("{}", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?);
    }
    if listed.is_empty() {
        return outln!("no backfills");
    }
    let mut rows =
        vec![["BACKFILL", "STATUS", "CREATED (UTC)", "RUN", "PROGRESS", "SELECTION"].map(String::from).to_vec()];
    for (record, progress) in &listed {
        let counts = progress.counts;
        let mut text = format!("{}/{} materialized", counts.materialized + counts.up_to_date, counts.targeted);
        for (count, what) in [(counts.failed, "failed"), (counts.skipped, "skipped"), (counts.canceled, "canceled")] {
            if count > 0 {
                text.push_str(&format!(", {count} {what}"));
            }
        }
        rows.push(vec![
            record.id.to_string(),
            record.status.to_string(),
            record.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            record.run_id.map_or_else(|| "-".to_owned(), |r| r.to_string()),
            text,
            format!("{} [{}]", record.selection, record.partitions_text),
        ]);
    }
    out!("{}", columns(&rows))
}
