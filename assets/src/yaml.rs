//! The one place that knows the YAML library (serde-saphyr), so it can be
//! swapped. serde-saphyr is maintained, panic-free on malformed input and
//! reports line and column for syntax errors, type errors, unknown fields
//! and every [`Spanned`] value.

use serde::de::DeserializeOwned;
use serde_saphyr::MessageFormatter;

use crate::diagnostic::{Diagnostic, Location, SourceFile};

/// A deserialized value with the location of its text in the YAML file.
pub type Spanned<T> = serde_saphyr::Spanned<T>;

/// Parses one YAML document into `T`.
///
/// # Errors
/// A [`Diagnostic`] naming the file, line and column of the first problem
/// (syntax error, wrong type, unknown field with the allowed ones, or a
/// value rejected by a newtype such as an invalid asset key).
pub fn parse<T: DeserializeOwned>(file: &SourceFile) -> Result<T, Diagnostic> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    serde_saphyr::from_str_with_options(&file.text, options).map_err(|error| {
        let message = serde_saphyr::DefaultMessageFormatter.format_message(&error).into_owned();
        let location = error.location().map(|l| location(file, &l));
        Diagnostic::error(tidy_message(&message)).at_opt(location)
    })
}

/// The [`Location`] of a serde-saphyr location in `file`.
pub fn location(file: &SourceFile, at: &serde_saphyr::Location) -> Location {
    let (line, column) = (at.line() as u32, at.column() as u32);
    match at.span().byte_offset() {
        Some(offset) if line > 0 => {
            let length = at.span().byte_len().unwrap_or(0);
            file.location_known(offset as usize, line, column, length as usize)
        }
        Some(offset) => file.location_at_offset(offset as usize, at.span().byte_len().unwrap_or(0) as usize),
        None => file.location(line, column),
    }
}

/// The location of a spanned value.
pub fn spanned_location<T>(file: &SourceFile, value: &Spanned<T>) -> Location {
    location(file, &value.referenced)
}

/// Lowercases the first letter and drops a trailing period, to match
/// Cairn's message style.
fn tidy_message(message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    let mut chars = message.chars();
    match chars.next() {
        Some(first) if first.is_uppercase() && !chars.clone().next().is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => message.to_owned(),
    }
}
