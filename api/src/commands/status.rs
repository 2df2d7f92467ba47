//! `cairn status`: fresh, stale (with causes) or missing, per asset, and
//! where each partition's current data is (`--files`). One engine call,
//! [`cairn_engine::Instance::status`], which answers from the asset status
//! cache where nothing changed.

use cairn_core::planner::PlanReason;
use cairn_core::staleness::StaleCauseGroup;
use cairn_engine::StatusOptions;
use cairn_engine::status::{AssetStatus, CheckSummary};
use cairn_store::CheckSeverity;
use clap::Args;
use serde::Serialize;

use crate::Failure;
use crate::cli::{Format, GlobalArgs};
use crate::open::{failure, open, print_warnings, verify};
use crate::outln;
use crate::output::{columns, describe_counted_reasons};

/// `cairn status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Assets to show (selection syntax as for `plan`). Default: all.
    pub selection: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
    /// First look for the data file of every current materialization and
    /// wipe those that are gone, so they count as missing (Cairn otherwise
    /// finds a missing file only when a step reads it).
    #[arg(long)]
    pub verify: bool,
    /// Also list the current data file of every materialized partition
    /// (`files` in `--json`).
    #[arg(long)]
    pub files: bool,
}

/// One asset, as printed with `--json`.
#[derive(Debug, Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    status: &'a AssetStatus,
    /// Distinct cause kinds over all partitions.
    cause_kinds: Vec<&'static str>,
    /// Causes described for people.
    causes_text: String,
}

/// Prints each selected asset's status.
pub async fn run(global: &GlobalArgs, args: &StatusArgs) -> Result<(), Failure> {
    let instance = open(global).await?;
    let selected = instance.select(&args.selection).map_err(|e| failure(global, e))?;
    if args.verify {
        verify(global, &instance).await?;
    }
    let report =
        instance.status(&selected, StatusOptions { files: args.files }).await.map_err(|e| failure(global, e))?;
    print_warnings(global, &report.warnings);
    let statuses = report.assets;
    if args.json || args.format == Format::Json {
        let rows: Vec<Row<'_>> = statuses
            .iter()
            .map(|status| {
                let mut cause_kinds: Vec<&'static str> = status.causes.iter().map(StaleCauseGroup::kind).collect();
                cause_kinds.sort_unstable();
                cause_kinds.dedup();
                Row { status, cause_kinds, causes_text: describe_groups(&status.causes) }
            })
            .collect();
        return outln!("{}", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?);
    }
    let mut table = vec![
        ["ASSET", "KIND", "STATE", "PARTITIONS", "UPDATED (UTC)", "FRESHNESS", "CHECKS"].map(String::from).to_vec(),
    ];
    let mut details = Vec::new();
    for row in &statuses {
        let partitions = row.partitions.as_ref().map_or_else(
            || "-".to_owned(),
            |p| {
                format!(
                    "{}/{}{}",
                    p.materialized,
                    p.total,
                    if p.stale > 0 { format!(" ({} stale)", p.stale) } else { String::new() }
                )
            },
        );
        let updated =
            row.last_updated.map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string());
        table.push(vec![
            row.asset.to_string(),
            row.kind.as_str().to_owned(),
            row.state.name().to_owned(),
            partitions,
            updated,
            row.freshness.as_ref().map_or_else(|| "-".to_owned(), freshness_text),
            checks_text(&row.checks),
        ]);
        let causes = describe_groups(&row.causes);
        if !causes.is_empty() {
            details.push(format!("  {}: {causes}", row.asset));
        }
        for check in row.checks.iter().filter(|c| c.failed > 0) {
            details.push(format!(
                "  {}: check `{}` ({}) failed in {} partition(s), {} violating row{}",
                row.asset,
                check.name,
                check.severity.as_str(),
                check.failed,
                check.violations,
                if check.violations == 1 { "" } else { "s" }
            ));
        }
    }
    crate::out!("{}", columns(&table))?;
    if !details.is_empty() {
        outln!("\n{}", details.join("\n"))?;
    }
    Ok(())
}

/// `PASS`, `WARN (due 14:00)`, `FAIL (overdue 2h 5m)`, `UNKNOWN`, and the
/// latest partition when it is missing (`FAIL, 2013-03-31 missing`).
fn freshness_text(freshness: &cairn_engine::AssetFreshness) -> String {
    use cairn_core::freshness::FreshnessStatus;
    let own = &freshness.freshness;
    let mut text = own.status.as_str().to_owned();
    match (own.status, own.overdue_by, own.next_deadline) {
        (FreshnessStatus::Fail, Some(overdue), _) => {
            let overdue = std::time::Duration::from_secs(overdue.as_secs() / 60 * 60);
            text.push_str(&format!(" (overdue {})", humantime::format_duration(overdue)));
        }
        (FreshnessStatus::Pass | FreshnessStatus::Warn, _, Some(deadline)) => {
            text.push_str(&format!(" (due {})", deadline.format("%Y-%m-%d %H:%M")));
        }
        _ => {}
    }
    if let Some(partition) = &freshness.latest_partition
        && partition.freshness.status == FreshnessStatus::Fail
    {
        text.push_str(&format!(", {} missing", partition.key));
    }
    text
}

fn checks_text(checks: &[CheckSummary]) -> String {
    if checks.is_empty() {
        return "-".to_owned();
    }
    let passing = checks.iter().filter(|c| c.failed == 0).count();
    let errors = checks.iter().filter(|c| c.failed > 0 && c.severity == CheckSeverity::Error).count();
    let warnings = checks.iter().filter(|c| c.failed > 0 && c.severity == CheckSeverity::Warn).count();
    let mut parts = vec![format!("{passing} passing")];
    if errors > 0 {
        parts.push(format!("{errors} failing"));
    }
    if warnings > 0 {
        parts.push(format!("{warnings} warning"));
    }
    parts.join(", ")
}

/// Grouped causes described as `cairn plan` describes reasons, each group
/// counting its partitions.
fn describe_groups(groups: &[StaleCauseGroup]) -> String {
    let reasons: Vec<(PlanReason, usize)> =
        groups.iter().map(|group| (PlanReason::Stale(group.example.clone()), group.partitions)).collect();
    describe_counted_reasons(reasons.iter().map(|(reason, partitions)| (reason, *partitions)))
}
