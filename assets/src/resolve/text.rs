//! Positions inside YAML values, and "did you mean" hints.

use crate::diagnostic::{Location, SourceFile};

/// The closest candidate to `wanted`, formatted by `help`.
pub(crate) fn suggest<'a>(
    wanted: &str,
    candidates: impl Iterator<Item = &'a str>,
    help: impl Fn(&str) -> String,
) -> Option<String> {
    let wanted_lower = wanted.to_lowercase();
    candidates
        .map(|c| (strsim::jaro_winkler(&wanted_lower, &c.to_lowercase()), c))
        .filter(|(score, c)| {
            *score >= 0.8 || strsim::levenshtein(&wanted_lower, &c.to_lowercase()) * 3 <= wanted.len().max(3)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| help(c))
}

/// 1-based line and column of the first case-insensitive occurrence of
/// `needle` in `query`.
pub(super) fn find_in_query(query: &str, needle: &str) -> Option<(u32, u32)> {
    let offset = query.to_lowercase().find(&needle.to_lowercase())?;
    let before = &query[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Some((line, query[line_start..offset].chars().count() as u32 + 1))
}

/// Maps a 1-based position inside a YAML scalar's value to the file.
///
/// For a block scalar (`sql: |`) the value starts on its own line after
/// indentation, and every line of the text keeps that indentation; for a
/// plain or quoted scalar on the key's line, the first line starts at the
/// value's column (after the quote).
pub(super) fn position_in_scalar(file: &SourceFile, value: &Location, line: u32, column: u32) -> Location {
    let text = &file.text[value.offset.min(file.text.len())..];
    if text.starts_with('|') || text.starts_with('>') {
        // The location is the block indicator; the text starts on the next
        // line, at that line's indentation.
        let first = file.location_below(value, 1, 1);
        let indent = file.text[first.offset..].chars().take_while(|c| *c == ' ').count() as u32;
        return file.location_below(value, line, indent + column);
    }
    let line_start = file.text[..value.offset.min(file.text.len())].rfind('\n').map_or(0, |i| i + 1);
    let is_block = file.text[line_start..value.offset.min(file.text.len())].trim().is_empty() && value.column > 1;
    if is_block {
        return file.location_below(value, line - 1, value.column - 1 + column);
    }
    let quote = u32::from(text.starts_with('"') || text.starts_with('\''));
    if line == 1 {
        file.location_below(value, 0, value.column + quote + column - 1)
    } else {
        file.location_below(value, line - 1, column)
    }
}
