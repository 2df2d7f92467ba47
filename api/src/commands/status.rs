//! `cairn status`: fresh, stale (with causes) or missing, per asset.

use std::collections::BTreeMap;

use cairn_core::planner::PlanReason;
use cairn_core::staleness::{StaleStatus, Staleness};
use cairn_core::store::{CheckResult, CheckSeverity};
use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;

use crate::Failure;
use crate::cli::{Format, GlobalArgs};
use crate::output::{columns, describe_reasons};
use crate::session::open;

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
}

/// One asset's status, as printed with `--json`.
#[derive(Debug, Serialize)]
struct AssetStatus {
    asset: String,
    kind: &'static str,
    /// `fresh`, `stale` or `missing` for the asset as a whole: stale if any
    /// partition is stale, else missing if any is missing, else fresh.
    state: &'static str,
    /// Partition counts, for partitioned assets.
    partitions: Option<PartitionCounts>,
    /// Distinct cause kinds over all partitions.
    causes: Vec<&'static str>,
    /// Causes described for people.
    causes_text: String,
    /// Latest materialization (or observation, for sources), UTC.
    last_updated: Option<DateTime<Utc>>,
    /// Latest result of each check over the asset's partitions.
    checks: Vec<CheckSummary>,
}

#[derive(Debug, Serialize)]
struct PartitionCounts {
    total: usize,
    materialized: usize,
    fresh: usize,
    stale: usize,
    missing: usize,
}

#[derive(Debug, Serialize)]
struct CheckSummary {
    name: String,
    severity: CheckSeverity,
    /// Partitions where the latest result passed / failed.
    passed: usize,
    failed: usize,
    /// Violating rows over the failed partitions.
    violations: i64,
}

/// Prints each selected asset's status.
pub async fn run(global: &GlobalArgs, args: &StatusArgs) -> Result<(), Failure> {
    let session = open(global).await?;
    let selected = session.select(&args.selection)?;
    let staleness = Staleness::new(session.project.specs(), &session.state, session.now)
        .map_err(|e| Failure::Unexpected(e.into()))?;
    let statuses = staleness.all_statuses();
    let checks = session.store.latest_check_results().await.map_err(|e| Failure::Unexpected(e.into()))?;
    // Only checks the asset still defines: a removed check's old results
    // say nothing about the data any more.
    let mut checks_by_asset: BTreeMap<String, Vec<&CheckResult>> = BTreeMap::new();
    for result in &checks {
        let defined = session
            .project
            .asset(&result.asset)
            .is_some_and(|asset| asset.checks.iter().any(|check| check.name == result.check_name));
        if defined {
            checks_by_asset.entry(result.asset.to_string()).or_default().push(result);
        }
    }
    let mut rows = Vec::new();
    for (position, spec) in session.project.specs().iter().enumerate() {
        if !selected.contains(&spec.key) {
            continue;
        }
        let row = &statuses[position];
        let fresh = row.iter().filter(|s| matches!(s, StaleStatus::Fresh)).count();
        let stale = row.iter().filter(|s| matches!(s, StaleStatus::Stale(_))).count();
        let missing = row.iter().filter(|s| matches!(s, StaleStatus::Missing)).count();
        let state = if stale > 0 {
            "stale"
        } else if missing > 0 {
            "missing"
        } else {
            "fresh"
        };
        let reasons: Vec<PlanReason> = row
            .iter()
            .filter_map(|s| match s {
                StaleStatus::Stale(causes) => Some(causes.iter().cloned().map(PlanReason::Stale)),
                _ => None,
            })
            .flatten()
            .collect();
        let mut causes: Vec<&'static str> = reasons.iter().map(PlanReason::kind).collect();
        causes.sort_unstable();
        causes.dedup();
        let last_updated = if spec.is_materializable() {
            session.state.materializations_of(&spec.key).map(|(_, r)| r.materialized_at).max()
        } else {
            session.state.observation(&spec.key).map(|o| o.observed_at)
        };
        let partitions = spec.partitions.as_ref().map(|_| PartitionCounts {
            total: row.len(),
            materialized: fresh + stale,
            fresh,
            stale,
            missing,
        });
        rows.push(AssetStatus {
            asset: spec.key.to_string(),
            kind: spec.kind.as_str(),
            state,
            partitions,
            causes,
            causes_text: describe_reasons(reasons.iter()),
            last_updated,
            checks: summarize_checks(checks_by_asset.get(spec.key.as_str()).map(Vec::as_slice).unwrap_or(&[])),
        });
    }
    if args.json || args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?);
        return Ok(());
    }
    let mut table =
        vec![["ASSET", "KIND", "STATE", "PARTITIONS", "UPDATED (UTC)", "CHECKS"].map(String::from).to_vec()];
    let mut details = Vec::new();
    for row in &rows {
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
            row.asset.clone(),
            row.kind.to_owned(),
            row.state.to_owned(),
            partitions,
            updated,
            checks_text(&row.checks),
        ]);
        if !row.causes_text.is_empty() {
            details.push(format!("  {}: {}", row.asset, row.causes_text));
        }
        for check in row.checks.iter().filter(|c| c.failed > 0) {
            details.push(format!(
                "  {}: check `{}` ({}) failed in {} partition(s), {} violating row{}",
                row.asset,
                check.name,
                match check.severity {
                    CheckSeverity::Error => "error",
                    CheckSeverity::Warn => "warn",
                },
                check.failed,
                check.violations,
                if check.violations == 1 { "" } else { "s" }
            ));
        }
    }
    print!("{}", columns(&table));
    if !details.is_empty() {
        println!("\n{}", details.join("\n"));
    }
    Ok(())
}

fn summarize_checks(results: &[&CheckResult]) -> Vec<CheckSummary> {
    let mut by_name: BTreeMap<&str, CheckSummary> = BTreeMap::new();
    for result in results {
        let entry = by_name.entry(result.check_name.as_str()).or_insert_with(|| CheckSummary {
            name: result.check_name.clone(),
            severity: result.severity,
            passed: 0,
            failed: 0,
            violations: 0,
        });
        if result.passed {
            entry.passed += 1;
        } else {
            entry.failed += 1;
            entry.violations += result.violations;
        }
    }
    by_name.into_values().collect()
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
