//! Partitions definitions from YAML.

use std::collections::HashMap;
use std::sync::Arc;

use cairn_core::AssetKey;
use cairn_core::partitions::{
    Cadence, PartitionKey, PartitionsDefinition, PartitionsError, StaticPartitions, TimeWindowConfig,
    TimeWindowPartitions,
};

use super::text::suggest;
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::wire::{PartitionsDecl, TimeWindowDecl};
use crate::yaml::{Spanned, spanned_location};

/// Shares one `Arc` per distinct definition, so equal definitions compare
/// by pointer first and partition keys are computed once.
#[derive(Default)]
pub(super) struct PartitionsInterner(HashMap<PartitionsDefinition, Arc<PartitionsDefinition>>);

impl PartitionsInterner {
    pub(super) fn intern(&mut self, definition: PartitionsDefinition) -> Arc<PartitionsDefinition> {
        self.0.entry(definition.clone()).or_insert_with(|| Arc::new(definition)).clone()
    }
}

pub(super) fn resolve_partitions(
    file: &SourceFile,
    key: &AssetKey,
    decl: &Spanned<PartitionsDecl>,
    interner: &mut PartitionsInterner,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Arc<PartitionsDefinition>> {
    let at = spanned_location(file, decl);
    let p = &decl.value;
    let set: Vec<(Cadence, &TimeWindowDecl)> = [
        p.hourly.as_ref().map(|d| (Cadence::Hourly, d)),
        p.daily.as_ref().map(|d| (Cadence::Daily, d)),
        p.weekly.as_ref().map(|d| (Cadence::Weekly, d)),
        p.monthly.as_ref().map(|d| (Cadence::Monthly, d)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let count = set.len() + usize::from(p.static_keys.is_some());
    if count != 1 {
        diagnostics.push(
            Diagnostic::error(format!(
                "asset `{key}`: `partitions` needs exactly one of `hourly`, `daily`, `weekly`, `monthly` or `static` (found {count})"
            ))
            .at(at),
        );
        return None;
    }
    let definition = if let Some(keys) = &p.static_keys {
        let mut parsed = Vec::new();
        for spanned in keys {
            match PartitionKey::new(&spanned.value) {
                Ok(k) => parsed.push(k),
                Err(problem) => {
                    diagnostics.push(
                        Diagnostic::error(format!("asset `{key}`: {problem}")).at(spanned_location(file, spanned)),
                    );
                    return None;
                }
            }
        }
        StaticPartitions::new(parsed).map(PartitionsDefinition::Static)
    } else {
        let (cadence, window) = set[0];
        let config = TimeWindowConfig {
            cadence,
            start: window.start.value.clone(),
            end: window.end.as_ref().map(|e| e.value.clone()),
            timezone: window.timezone.as_ref().map(|t| t.value.clone()),
            minute_offset: window.minute_offset.unwrap_or(0),
            hour_offset: window.hour_offset.unwrap_or(0),
            day_offset: window.day_offset,
            end_offset: window.end_offset.unwrap_or(0),
        };
        match TimeWindowPartitions::new(config) {
            Ok(windows) => Ok(PartitionsDefinition::TimeWindow(windows)),
            Err(problem) => {
                // Point at the field the problem is about when we can tell.
                let field = match &problem {
                    PartitionsError::UnknownTimezone(_) => window.timezone.as_ref().map(|t| spanned_location(file, t)),
                    PartitionsError::InvalidDate { field: "end", .. } => {
                        window.end.as_ref().map(|e| spanned_location(file, e))
                    }
                    PartitionsError::InvalidDate { .. } => Some(spanned_location(file, &window.start)),
                    _ => None,
                };
                let mut diagnostic = Diagnostic::error(format!("asset `{key}`: {problem}")).at(field.unwrap_or(at));
                if let PartitionsError::UnknownTimezone(name) = &problem {
                    let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
                    if let Some(hint) = suggest(name, names, |closest| format!("did you mean `{closest}`?")) {
                        diagnostic = diagnostic.with_help(hint);
                    }
                }
                diagnostics.push(diagnostic);
                return None;
            }
        }
    };
    match definition {
        Ok(definition) => Some(interner.intern(definition)),
        Err(problem) => {
            diagnostics.push(Diagnostic::error(format!("asset `{key}`: {problem}")).at(at));
            None
        }
    }
}
