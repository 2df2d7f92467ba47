//! The one place that knows the YAML library (serde-saphyr), so it can be
//! swapped. serde-saphyr is maintained, panic-free on malformed input and
//! reports line and column for syntax errors, type errors, unknown fields
//! and every [`Spanned`] value.

use serde::de::DeserializeOwned;
use serde_saphyr::MessageFormatter;

use crate::diagnostic::{Diagnostic, Location, SourceFile};

/// A deserialized value with the location of its text in the YAML file.
pub type Spanned<T> = serde_saphyr::Spanned<T>;

/// Parses one YAML document into `T`; `Ok(None)` when the document holds
/// no value at all (an empty file, or only comments and document markers
/// such as `--- # nothing yet`), as the YAML library sees it: the parser
/// alone would say "unexpected end of input", which does not say what is
/// missing, so callers say it.
///
/// # Errors
/// A [`Diagnostic`] naming the file, line and column of the first problem
/// (syntax error, wrong type, unknown field with the allowed ones, or a
/// value rejected by a newtype such as an invalid asset key).
pub fn parse<T: DeserializeOwned>(file: &SourceFile) -> Result<Option<T>, Diagnostic> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    serde_saphyr::from_str_with_options::<Option<T>>(&file.text, options).map_err(|error| {
        let message = tidy_message(&serde_saphyr::DefaultMessageFormatter.format_message(&error));
        let location = error.location().map(|l| location(file, &l));
        match location.as_ref().and_then(|at| unclosed_bracket(file, at)) {
            Some(bracket) => bracket_diagnostic(file, bracket, &message, location.as_ref()),
            None => Diagnostic::error(message).at_opt(location),
        }
    })
}

/// A syntax error after an unclosed `[` or `{` of an earlier line is about
/// that bracket (`deps: [a, b` then `checks:` gives "illegal placement of
/// ':' indicator" at `checks:`): the byte offset of the innermost bracket
/// still open where the parser stopped, if it opened on an earlier line.
fn unclosed_bracket(file: &SourceFile, error: &Location) -> Option<usize> {
    let until = file.text.floor_char_boundary(error.offset);
    let error_line_start = file.text[..until].rfind('\n').map_or(0, |i| i + 1);
    open_flow_bracket(&file.text, until).filter(|&bracket| bracket < error_line_start)
}

fn bracket_diagnostic(file: &SourceFile, bracket: usize, message: &str, stopped: Option<&Location>) -> Diagnostic {
    let open = &file.text[bracket..bracket + 1];
    let close = if open == "[" { "]" } else { "}" };
    let stopped = stopped.map(|at| format!(" at {}:{}", at.line, at.column)).unwrap_or_default();
    Diagnostic::error(format!("unclosed `{open}`"))
        .at(file.location_at_offset(bracket, 1))
        .with_label(format!("this `{open}` is never closed"))
        .with_help(format!("close it with `{close}`; the YAML parser stopped{stopped} with: {message}"))
}

/// The byte offset of the innermost flow collection (`[` or `{`) still open
/// at byte `until` of `text`. A light scan, not a YAML parser: it knows
/// quoted and plain scalars, comments and block scalars (`sql: |`) well
/// enough not to take a bracket in a string or a query for a flow collection.
fn open_flow_bracket(text: &str, until: usize) -> Option<usize> {
    let mut scan = FlowScan::default();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if line_start >= until {
            break;
        }
        scan.line(line, line_start, line.floor_char_boundary(until - line_start));
        line_start += line.len();
    }
    scan.open.last().copied()
}

/// The state of [`open_flow_bracket`] between lines.
#[derive(Default)]
struct FlowScan {
    /// Byte offsets of the brackets open so far, innermost last.
    open: Vec<usize>,
    /// The quote of the quoted scalar being read (it may span lines).
    quote: Option<char>,
    /// Inside a block scalar: lines indented deeper than this are its text.
    block_scalar_parent_indent: Option<usize>,
}

impl FlowScan {
    /// Reads the first `end` bytes of `line`, which starts at byte
    /// `line_start` of the text.
    fn line(&mut self, line: &str, line_start: usize, end: usize) {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = self.block_scalar_parent_indent {
            if line.trim().is_empty() || indent > parent {
                return;
            }
            self.block_scalar_parent_indent = None;
        }
        // The last syntax character on this line, to tell the start of a
        // value (`key: [`, `- "`) from the inside of one.
        let mut previous: Option<char> = None;
        let mut in_plain_scalar = false;
        let mut chars = line[..end].char_indices().peekable();
        while let Some((index, c)) = chars.next() {
            if let Some(quote) = self.quote {
                let next = chars.peek().map(|&(_, next)| next);
                if c == '\\' && quote == '"' || c == '\'' && quote == '\'' && next == Some('\'') {
                    chars.next(); // an escaped character
                } else if c == quote {
                    self.quote = None;
                    previous = Some(c);
                }
                continue;
            }
            let next = chars.peek().map(|&(_, next)| next);
            let after_space = index == 0 || line[..index].ends_with([' ', '\t']);
            if in_plain_scalar {
                let ends = c == ':' && next.is_none_or(char::is_whitespace)
                    || c == '#' && after_space
                    || !self.open.is_empty() && matches!(c, ',' | '[' | ']' | '{' | '}');
                if !ends {
                    continue;
                }
                in_plain_scalar = false;
            }
            let starts_value = matches!(previous, None | Some(':' | '-' | '?' | '[' | '{' | ','));
            match c {
                '#' if after_space => return,
                '\'' | '"' if starts_value => self.quote = Some(c),
                '[' | '{' if starts_value || !self.open.is_empty() => self.open.push(line_start + index),
                ']' | '}' => {
                    self.open.pop();
                }
                '|' | '>' if self.open.is_empty() && matches!(previous, Some(':' | '-')) => {
                    self.block_scalar_parent_indent = Some(indent);
                }
                ':' | '-' | '?' | ',' => {}
                _ if starts_value && !c.is_whitespace() => in_plain_scalar = true,
                _ => {}
            }
            if !c.is_whitespace() {
                previous = Some(c);
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_bracket_left_open() {
        let text = "assets:\n  - key: a\n    deps: [b, c\n    sql: SELECT 1\n";
        let error = text.find("sql").unwrap();
        assert_eq!(open_flow_bracket(text, error), Some(text.find('[').unwrap()));
        let closed = "deps: [b, {x: 1}]\nsql: SELECT 1\n";
        assert_eq!(open_flow_bracket(closed, closed.len()), None);
    }

    #[test]
    fn brackets_in_strings_comments_and_queries_are_text() {
        let text = concat!(
            "description: 'a [note'\n",
            "title: \"it's {x\"\n",
            "name: a[0] # [not a list\n",
            "query: SELECT '{' AS y\n",
            "list: [it's, {a: '['}]\n",
            "sql: |\n",
            "  SELECT '[' AS x, ARRAY[1, 2\n",
            "checks: [\n",
        );
        assert_eq!(open_flow_bracket(text, text.len()), Some(text.rfind('[').unwrap()));
        let before_checks = text.find("checks").unwrap();
        assert_eq!(open_flow_bracket(text, before_checks), None);
    }

    #[test]
    fn an_unclosed_bracket_is_named_with_its_position() {
        let file = SourceFile::new("a.yaml", "assets:\n  - key: a\n    deps: [b, c\n    sql: SELECT 1\n");
        let diagnostic = parse::<serde::de::IgnoredAny>(&file).unwrap_err();
        assert!(diagnostic.message.contains("unclosed `[`"), "{diagnostic}");
        assert!(diagnostic.to_string().starts_with("a.yaml:3:11: "), "{diagnostic}");
    }

    #[test]
    fn empty_documents_have_no_value() {
        let empty = |text: &str| parse::<serde::de::IgnoredAny>(&SourceFile::new("a.yaml", text)).unwrap().is_none();
        assert!(empty(""));
        assert!(empty("# only a comment\n\n---\n"));
        assert!(empty("--- # a marker with a comment\n...\n"));
        assert!(!empty("name: x"));
        assert!(!empty("---\nassets: []\n"));
    }
}
