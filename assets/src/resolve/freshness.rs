//! `freshness:` into a [`FreshnessPolicy`] (Dagster's `FreshnessPolicy`),
//! each problem reported at its own field.

use std::time::Duration;

use cairn_core::AssetKey;
use cairn_core::freshness::{CronExpr, FreshnessPolicy};
use cairn_core::timezone::Timezone;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::wire::FreshnessDecl;
use crate::yaml::{Spanned, spanned_location};

/// The policy, or `None` after pushing a diagnostic for each bad field.
pub(super) fn resolve_freshness(
    file: &SourceFile,
    key: &AssetKey,
    decl: &FreshnessDecl,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<FreshnessPolicy> {
    let errors_before = diagnostics.len();
    let mut duration = |field: &str, text: &Spanned<String>| match humantime::parse_duration(text.value.trim()) {
        Ok(duration) => Some(duration),
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(format!(
                    "asset `{key}`: freshness `{field}`: `{}` is not a duration: {error}",
                    text.value
                ))
                .at(spanned_location(file, text))
                .with_help("write durations like `30m`, `6h` or `1d`"),
            );
            None
        }
    };
    let max_lag = duration("max_lag", &decl.max_lag);
    let warn_lag = decl.warn_lag.as_ref().map(|text| duration("warn_lag", text));
    let cron = decl.cron.as_ref().and_then(|text| match CronExpr::new(&text.value) {
        Ok(cron) => Some(cron),
        Err(error) => {
            diagnostics
                .push(Diagnostic::error(format!("asset `{key}`: freshness: {error}")).at(spanned_location(file, text)));
            None
        }
    });
    let timezone = decl.timezone.as_ref().and_then(|text| match Timezone::new(&text.value) {
        Ok(zone) => Some(zone),
        Err(error) => {
            let help = error.suggestion.as_ref().map(|s| format!("did you mean `{s}`?"));
            let diagnostic =
                Diagnostic::error(format!("asset `{key}`: freshness: {error}")).at(spanned_location(file, text));
            diagnostics.push(match help {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            });
            None
        }
    });
    if decl.timezone.is_some() && decl.cron.is_none() {
        diagnostics.push(
            Diagnostic::error(format!("asset `{key}`: freshness `timezone` applies to a `cron` policy only")).at(decl
                .timezone
                .as_ref()
                .map(|t| spanned_location(file, t))
                .unwrap_or_else(|| spanned_location(file, &decl.max_lag))),
        );
    }
    if diagnostics.len() > errors_before {
        return None;
    }
    let (max_lag, warn_lag): (Duration, Option<Duration>) = (max_lag?, warn_lag.flatten());
    let policy = match cron {
        Some(cron) => FreshnessPolicy::cron(cron, timezone.unwrap_or(Timezone::UTC), max_lag, warn_lag),
        None => FreshnessPolicy::lag(max_lag, warn_lag),
    };
    match policy {
        Ok(policy) => Some(policy),
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(format!("asset `{key}`: freshness: {error}"))
                    .at(spanned_location(file, &decl.max_lag)),
            );
            None
        }
    }
}
