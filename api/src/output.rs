//! Rendering for people: plans, logging, colours.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use cairn_core::planner::{Plan, PlanReason, PlanStep};
use cairn_core::staleness::StaleCause;
use cairn_core::state::AssetPartition;

use crate::Failure;
use crate::cli::{ColorChoice, GlobalArgs};

/// Writes data to stdout. A closed stdout (`cairn plan --json | head -1`)
/// is not an error of the command: it ends quietly with
/// [`Failure::BrokenPipe`] instead of panicking as `print!` does.
///
/// # Errors
/// [`Failure::BrokenPipe`] when stdout is closed, [`Failure::Unexpected`]
/// for any other write error.
pub fn write_stdout(text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::BrokenPipe),
        Err(error) => Err(Failure::Unexpected(anyhow::anyhow!("cannot write to stdout: {error}"))),
    }
}

/// `println!` for data: through [`write_stdout`], returning its error.
#[macro_export]
macro_rules! outln {
    () => { $crate::output::write_stdout("\n") };
    ($($arg:tt)*) => { $crate::output::write_stdout(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` for data: through [`write_stdout`], returning its error.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write_stdout(&format!($($arg)*)) };
}

/// Whether to colour stderr: `--color`, then `NO_COLOR`, then whether it
/// is a terminal. (stdout carries data and is never coloured.)
pub fn use_color(global: &GlobalArgs) -> bool {
    match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
        }
    }
}

/// `error: message`, with `error` in red on a colour terminal.
pub fn error_line(global: &GlobalArgs, message: &str) -> String {
    if use_color(global) { format!("\x1b[1;31merror\x1b[0m: {message}") } else { format!("error: {message}") }
}

/// Logs go to stderr; `-v` shows Cairn's info logs, `-vv` debug logs,
/// `RUST_LOG` overrides both.
pub fn init_logging(global: &GlobalArgs) {
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => {
            "cairn=info,cairn_assets=info,cairn_core=info,cairn_engine=info,cairn_store=info,cairn_server=info,warn"
        }
        _ => {
            "cairn=debug,cairn_assets=debug,cairn_core=debug,cairn_engine=debug,cairn_store=debug,cairn_server=debug,info"
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(use_color(global))
        .without_time()
        .try_init();
}

/// One line of a rendered plan: consecutive steps of one asset with the
/// same kinds of reasons.
pub struct PlanGroup<'a> {
    pub asset: String,
    pub steps: Vec<&'a PlanStep>,
}

impl PlanGroup<'_> {
    /// `90 partitions 2013-01-01..2013-03-31`, `2013-01-05`, or empty.
    pub fn partitions(&self) -> String {
        let keys: Vec<String> =
            self.steps.iter().filter_map(|s| s.target.partition.as_ref().map(ToString::to_string)).collect();
        match keys.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [first, .., last] => format!("{} partitions {first}..{last}", keys.len()),
        }
    }

    /// The reasons, summarized over the group's steps.
    pub fn reasons(&self) -> String {
        describe_reasons(self.steps.iter().flat_map(|s| s.reasons.iter()))
    }
}

/// Groups a plan's steps for display.
pub fn group_plan(plan: &Plan) -> Vec<PlanGroup<'_>> {
    let mut groups: Vec<PlanGroup<'_>> = Vec::new();
    for step in &plan.steps {
        let asset = step.target.asset.to_string();
        match groups.last_mut() {
            Some(group) if group.asset == asset && group.steps[0].reason_kinds() == step.reason_kinds() => {
                group.steps.push(step);
            }
            _ => groups.push(PlanGroup { asset, steps: vec![step] }),
        }
    }
    groups
}

/// `missing`, `code_version_changed`, `upstream_data_changed: flights_daily
/// (90 partitions, pending)` ... joined by `; `.
pub fn describe_reasons<'a>(reasons: impl Iterator<Item = &'a PlanReason>) -> String {
    describe_counted_reasons(reasons.map(|reason| (reason, 1)))
}

/// [`describe_reasons`] of reasons each standing for a number of
/// partitions (grouped causes, as `cairn status` has them).
pub fn describe_counted_reasons<'a>(reasons: impl Iterator<Item = (&'a PlanReason, usize)>) -> String {
    let mut missing = false;
    let mut requested = false;
    let mut failed = false;
    let mut code = false;
    let mut added: Vec<String> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    // upstream asset -> (partitions, all pending)
    let mut upstream_changed: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    let mut upstream_stale: BTreeMap<String, usize> = BTreeMap::new();
    for (reason, partitions) in reasons {
        match reason {
            PlanReason::Missing => missing = true,
            PlanReason::Requested => requested = true,
            PlanReason::Failed => failed = true,
            PlanReason::Stale(cause) => match cause {
                StaleCause::CodeVersionChanged { .. } => code = true,
                StaleCause::DependenciesChanged { added: a, removed: r } => {
                    added.extend(a.iter().map(ToString::to_string));
                    removed.extend(r.iter().map(ToString::to_string));
                }
                StaleCause::UpstreamDataChanged { upstream, pending } => {
                    let entry = upstream_changed.entry(upstream.asset.to_string()).or_insert((0, true));
                    entry.0 += partitions;
                    entry.1 &= *pending;
                }
                StaleCause::UpstreamStale { upstream } => {
                    *upstream_stale.entry(upstream.asset.to_string()).or_insert(0) += partitions;
                }
            },
        }
    }
    let mut parts = Vec::new();
    if missing {
        parts.push("missing".to_owned());
    }
    if failed {
        parts.push("failed".to_owned());
    }
    if requested {
        parts.push("requested".to_owned());
    }
    if code {
        parts.push("code_version_changed".to_owned());
    }
    if !added.is_empty() || !removed.is_empty() {
        added.sort();
        added.dedup();
        removed.sort();
        removed.dedup();
        let mut changes: Vec<String> = added.iter().map(|a| format!("+{a}")).collect();
        changes.extend(removed.iter().map(|r| format!("-{r}")));
        parts.push(format!("dependencies_changed: {}", changes.join(", ")));
    }
    if !upstream_changed.is_empty() {
        let names: Vec<String> = upstream_changed
            .iter()
            .map(|(asset, (count, pending))| {
                let mut notes = Vec::new();
                if *count > 1 {
                    notes.push(format!("{count} partitions"));
                }
                if *pending {
                    notes.push("re-materialized first".to_owned());
                }
                if notes.is_empty() { asset.clone() } else { format!("{asset} ({})", notes.join(", ")) }
            })
            .collect();
        parts.push(format!("upstream_data_changed: {}", names.join(", ")));
    }
    if !upstream_stale.is_empty() {
        let names: Vec<String> = upstream_stale
            .iter()
            .map(|(asset, count)| if *count > 1 { format!("{asset} ({count} partitions)") } else { asset.clone() })
            .collect();
        parts.push(format!("upstream_stale: {}", names.join(", ")));
    }
    parts.join("; ")
}

/// Renders rows as left-aligned columns separated by two spaces.
pub fn columns(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..width)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `flights_daily[2013-01-05]` lists, shortened after a few.
pub fn list_targets(targets: &[AssetPartition]) -> String {
    const SHOWN: usize = 3;
    let mut shown: Vec<String> = targets.iter().take(SHOWN).map(ToString::to_string).collect();
    if targets.len() > SHOWN {
        shown.push(format!("and {} more", targets.len() - SHOWN));
    }
    shown.join(", ")
}
