//! `cairn validate`: load and check the whole project.

use cairn_assets::observe::observe_sources;
use cairn_assets::{AssetDefinition, Diagnostic, Diagnostics};
use cairn_core::AssetKind;
use clap::Args;

use crate::Failure;
use crate::cli::{Format, GlobalArgs};
use crate::open::{has_errors, load_project, print_diagnostics};
use crate::outln;

/// `cairn validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Loads the project (YAML, keys, SQL and its tables, partitions, checks,
/// cycles) and checks that every source's files exist.
pub async fn run(global: &GlobalArgs, args: &ValidateArgs) -> Result<(), Failure> {
    let project = match load_project(global) {
        Ok(project) => project,
        Err(failure) => {
            if args.format == Format::Json {
                outln!("{}", serde_json::json!({ "valid": false }))?;
            }
            return Err(failure);
        }
    };
    let mut problems = Diagnostics::default();
    let observations = observe_sources(&project).await;
    for observation in &observations {
        if let Err(error) = &observation.result {
            let location = project.asset(&observation.asset).map(|a| a.location.clone());
            let help = match project.asset(&observation.asset).map(|a| &a.definition) {
                Some(AssetDefinition::Source(source)) => {
                    format!("paths are relative to the project folder; looked for `{}`", source.resolved.display())
                }
                _ => String::new(),
            };
            problems.push(Diagnostic::error(error.to_string()).at_opt(location).with_help(help));
        }
    }
    problems.0.extend(cairn_assets::validate::check_queries(&project, &observations).await.0);
    if problems.has_errors() {
        print_diagnostics(global, &problems);
        if args.format == Format::Json {
            outln!("{}", serde_json::json!({ "valid": false }))?;
        }
        return Err(has_errors(&project.settings.name, problems.error_count()));
    }
    let count = |kind: AssetKind| project.specs().iter().filter(|s| s.kind == kind).count();
    let partitioned = project.specs().iter().filter(|s| s.partitions.is_some()).count();
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::json!({
                "valid": true,
                "project": project.settings.name,
                "assets": project.specs().len(),
                "sources": count(AssetKind::Source),
                "sql": count(AssetKind::Sql),
                "commands": count(AssetKind::Command),
                "partitioned": partitioned,
            })
        )?,
        Format::Text => {
            if !global.quiet {
                outln!(
                    "project `{}` is valid: {} assets ({} sources, {} sql, {} commands; {} partitioned)",
                    project.settings.name,
                    project.specs().len(),
                    count(AssetKind::Source),
                    count(AssetKind::Sql),
                    count(AssetKind::Command),
                    partitioned
                )?;
            }
        }
    }
    Ok(())
}
