//! `automation:` into an [`AutomationPolicy`] (Dagster's
//! `AutomationCondition`), each problem reported at its own field.

use cairn_core::AssetKey;
use cairn_core::automation::{AutomationCondition, AutomationPolicy};
use cairn_core::freshness::{CronExpr, CronSchedule};
use cairn_core::timezone::Timezone;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::wire::{AutomationDecl, ConditionDecl, CronDecl};
use crate::yaml::{Spanned, spanned_location};

/// The most time windows `lookback` may name.
pub const MAX_LOOKBACK: u32 = 10_000;

/// The policy, or `None` after pushing a diagnostic for each bad field.
pub(super) fn resolve_automation(
    file: &SourceFile,
    key: &AssetKey,
    decl: &Spanned<AutomationDecl>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<AutomationPolicy> {
    let errors_before = diagnostics.len();
    let condition = condition(file, key, &decl.value.condition, diagnostics);
    let lookback = decl.value.lookback.unwrap_or(1);
    if !(1..=MAX_LOOKBACK).contains(&lookback) {
        diagnostics.push(
            Diagnostic::error(format!(
                "asset `{key}`: automation `lookback` must be 1 to {MAX_LOOKBACK} time windows, not {lookback}"
            ))
            .at(spanned_location(file, decl)),
        );
    }
    if diagnostics.len() > errors_before {
        return None;
    }
    Some(AutomationPolicy { condition: condition?, lookback: lookback as usize })
}

fn condition(
    file: &SourceFile,
    key: &AssetKey,
    decl: &ConditionDecl,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<AutomationCondition> {
    use AutomationCondition as C;
    let all = |decls: &[ConditionDecl], diagnostics: &mut Vec<Diagnostic>| {
        let conditions: Vec<Option<C>> = decls.iter().map(|d| condition(file, key, d, diagnostics)).collect();
        conditions.into_iter().collect::<Option<Vec<C>>>()
    };
    Some(match decl {
        ConditionDecl::Eager => C::eager(),
        ConditionDecl::OnMissing => C::on_missing(),
        ConditionDecl::OnCron(cron) => C::on_cron(schedule(file, key, cron, diagnostics)?),
        ConditionDecl::Missing => C::Missing,
        ConditionDecl::InProgress => C::InProgress,
        ConditionDecl::ExecutionFailed => C::ExecutionFailed,
        ConditionDecl::CodeVersionChanged => C::CodeVersionChanged,
        ConditionDecl::AnyDepsUpdated => C::AnyDepsUpdated,
        ConditionDecl::AnyDepsMissing => C::AnyDepsMissing,
        ConditionDecl::AnyDepsInProgress => C::AnyDepsInProgress,
        ConditionDecl::CronTickPassed(cron) => C::CronTickPassed(schedule(file, key, cron, diagnostics)?),
        ConditionDecl::AllDepsUpdatedSinceCron(cron) => {
            C::AllDepsUpdatedSinceCron(schedule(file, key, cron, diagnostics)?)
        }
        ConditionDecl::And(decls) => C::And(all(decls, diagnostics)?),
        ConditionDecl::Or(decls) => C::Or(all(decls, diagnostics)?),
        ConditionDecl::Not(decl) => C::Not(Box::new(condition(file, key, decl, diagnostics)?)),
    })
}

fn schedule(
    file: &SourceFile,
    key: &AssetKey,
    decl: &CronDecl,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<CronSchedule> {
    let cron = match CronExpr::new(&decl.cron.value) {
        Ok(cron) => Some(cron),
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(format!("asset `{key}`: automation: {error}")).at(spanned_location(file, &decl.cron)),
            );
            None
        }
    };
    let timezone = match &decl.timezone {
        None => Some(Timezone::UTC),
        Some(text) => match Timezone::new(&text.value) {
            Ok(zone) => Some(zone),
            Err(error) => {
                let diagnostic =
                    Diagnostic::error(format!("asset `{key}`: automation: {error}")).at(spanned_location(file, text));
                diagnostics.push(match &error.suggestion {
                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                    None => diagnostic,
                });
                None
            }
        },
    };
    Some(CronSchedule::new(cron?, timezone?))
}
