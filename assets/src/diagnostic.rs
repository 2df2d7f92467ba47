//! Diagnostics: what is wrong with a project, where, and how to fix it.
//!
//! A [`Diagnostic`] names the file, line and column, keeps the file's text so
//! the line can be shown, and may carry a hint (`did you mean raw/flights?`).
//! Loading collects every diagnostic before failing ([`Diagnostics`]), so one
//! run of `cairn validate` reports all problems. Rendering goes through
//! miette, in colour on terminals and plain otherwise.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{LabeledSpan, SourceCode};

/// A project file's text, shared by every diagnostic pointing into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path for display, relative to the project root when possible.
    pub display_path: PathBuf,
    /// The whole file.
    pub text: Arc<str>,
    /// The text diagnostics show: `text` with every password of a URL
    /// (`postgres://user:PASSWORD@host`) and every `password=VALUE`
    /// replaced by as many `*`, so spans into `text` stay valid. The same
    /// allocation as `text` when there is nothing to hide.
    shown: Arc<str>,
}

impl SourceFile {
    /// Wraps a file's text.
    pub fn new(display_path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let shown = redact_secrets(&text).map_or_else(|| text.clone(), Arc::from);
        Self { display_path: display_path.into(), text, shown }
    }

    /// The location of a 1-based line and character column (scans the
    /// file; for errors, not for hot paths).
    pub fn location(&self, line: u32, column: u32) -> Location {
        let offset = byte_offset(&self.text, line, column);
        Location { file: self.clone(), line, column, offset, length: 0 }
    }

    /// The location `lines_down` lines below `base` (0: the same line), at
    /// 1-based character `column`. Scans only the text between the two, so
    /// it is cheap for positions inside one YAML value.
    pub fn location_below(&self, base: &Location, lines_down: u32, column: u32) -> Location {
        let text = &*self.text;
        let mut line_start = text[..base.offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
        for _ in 0..lines_down {
            match text[line_start..].find('\n') {
                Some(end) => line_start += end + 1,
                None => break,
            }
        }
        let rest = &text[line_start..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let in_line =
            rest[..line_end].char_indices().nth(column.saturating_sub(1) as usize).map_or(line_end, |(i, _)| i);
        Location { file: self.clone(), line: base.line + lines_down, column, offset: line_start + in_line, length: 0 }
    }

    /// The location of a byte offset whose line and column are known
    /// (from the YAML parser), without scanning the file.
    pub fn location_known(&self, offset: usize, line: u32, column: u32, length: usize) -> Location {
        Location { file: self.clone(), line, column, offset: offset.min(self.text.len()), length }
    }

    /// The location of a byte offset (scans the file up to it).
    pub fn location_at_offset(&self, offset: usize, length: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..offset].chars().count() as u32 + 1;
        Location { file: self.clone(), line, column, offset, length }
    }
}

/// `text` with the secrets it holds masked byte for byte with `*` (so
/// every offset into it stays valid), or `None` when it holds none: the
/// password of every URL with user info (`scheme://user:PASSWORD@host`)
/// and the value of every `password=VALUE` (a URL's query parameter or a
/// libpq key/value string), case-insensitively.
fn redact_secrets(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let ends_value = |b: u8| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'&' | b',' | b']' | b'}');
    let mut masked: Vec<std::ops::Range<usize>> = Vec::new();
    for (at, _) in text.match_indices("://") {
        let start = at + 3;
        let end = bytes[start..]
            .iter()
            .position(|&b| ends_value(b) || matches!(b, b'/' | b'?' | b'#'))
            .map_or(bytes.len(), |n| start + n);
        let authority = &text[start..end];
        if let Some(user_end) = authority.rfind('@')
            && let Some(colon) = authority[..user_end].find(':')
            && colon + 1 < user_end
        {
            masked.push(start + colon + 1..start + user_end);
        }
    }
    let lower = text.to_ascii_lowercase();
    for (at, key) in lower.match_indices("password=") {
        let start = at + key.len();
        let end = bytes[start..].iter().position(|&b| ends_value(b)).map_or(bytes.len(), |n| start + n);
        if start < end {
            masked.push(start..end);
        }
    }
    if masked.is_empty() {
        return None;
    }
    let mut shown = bytes.to_vec();
    for range in masked {
        shown[range].fill(b'*');
    }
    // Whole characters were replaced by ASCII bytes: still UTF-8.
    String::from_utf8(shown).ok()
}

fn byte_offset(text: &str, line: u32, column: u32) -> usize {
    let line_start =
        if line <= 1 { 0 } else { text.match_indices('\n').nth(line as usize - 2).map_or(text.len(), |(i, _)| i + 1) };
    let rest = &text[line_start..];
    let in_line = rest
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(rest.find('\n').unwrap_or(rest.len()), |(i, _)| i);
    line_start + in_line
}

/// A point (or span) in a project file. Lines and columns are 1-based,
/// columns count characters.
#[derive(Debug, Clone)]
pub struct Location {
    /// The file.
    pub file: SourceFile,
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
    /// Byte offset in the file.
    pub offset: usize,
    /// Length in bytes of the span (0 for a point).
    pub length: usize,
}

impl Location {
    /// The same location, spanning `length` bytes.
    pub fn with_length(mut self, length: usize) -> Self {
        self.length = length;
        self
    }
}

impl fmt::Display for Location {
    /// `assets/flights.yaml:12:5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display_path.display(), self.line, self.column)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The project cannot be used.
    Error,
    /// Worth fixing; the project still loads.
    Warning,
}

/// One problem in a project.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong: lowercase, no trailing period, names in backticks.
    pub message: String,
    /// Where, if the problem is in a file (boxed: diagnostics travel in
    /// `Result`s and should stay small).
    pub location: Option<Box<Location>>,
    /// A hint on how to fix it.
    pub help: Option<String>,
    /// A short label under the pointed-at text.
    pub label: Option<String>,
}

impl Diagnostic {
    /// An error with no location yet.
    pub fn error(message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, message: message.into(), location: None, help: None, label: None }
    }

    /// A warning with no location yet.
    pub fn warning(message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(message) }
    }

    /// Sets the location.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(Box::new(location));
        self
    }

    /// Sets the location if there is one.
    pub fn at_opt(mut self, location: Option<Location>) -> Self {
        self.location = location.map(Box::new).or(self.location);
        self
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a label shown under the pointed-at text.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Renders like rustc via miette: message, `file:line:col`, the line
    /// with a marker, and the hint. `color` adds ANSI colours.
    pub fn render(&self, color: bool) -> String {
        let theme = if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
        let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(160);
        let mut out = String::new();
        if handler.render_report(&mut out, &Rendered(self)).is_err() {
            out = self.to_string();
        }
        out
    }
}

/// A diagnostic as miette sees it: the message alone as its text, with
/// location, label and hint as miette's own parts.
#[derive(Debug)]
struct Rendered<'a>(&'a Diagnostic);

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl fmt::Display for Diagnostic {
    /// One line: `assets/flights.yaml:12:5: unknown table ...` plus
    /// ` (help: ...)` when there is a hint; a warning's message starts with
    /// `warning: `, as rustc's do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Rendered<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.location.as_deref().map(|l| &l.file as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.0.location.as_ref()?;
        let label = self.0.label.clone().or_else(|| Some(format!("{location}")));
        Some(Box::new(std::iter::once(LabeledSpan::new(label, location.offset, location.length))))
    }
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.shown.read_span(span, context_lines_before, context_lines_after)?;
        let name = self.display_path.display().to_string();
        Ok(Box::new(miette::MietteSpanContents::new_named(
            name,
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// Every problem found while loading a project.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// The diagnostics, errors and warnings.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Sorts by file, line and column, so output is stable.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.location.as_ref().map(|l| (l.file.display_path.clone(), l.line, l.column));
            key(a).cmp(&key(b))
        });
    }
}

impl fmt::Display for Diagnostics {
    /// One diagnostic per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// `path` relative to `root` when it is inside it, for display.
pub fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_convert_between_offsets_and_lines() {
        let file = SourceFile::new("a.yaml", "one\ntwo: x\nthree");
        let location = file.location(2, 6);
        assert_eq!(location.offset, 9);
        assert_eq!(&file.text[location.offset..location.offset + 1], "x");
        let back = file.location_at_offset(9, 1);
        assert_eq!((back.line, back.column), (2, 6));
        assert_eq!(back.to_string(), "a.yaml:2:6");
    }

    #[test]
    fn snippets_never_show_a_password() {
        let yaml = "name: x\ndatabase: mysql://cairn:S3cretPw0rd@db.internal:3306/cairn\n";
        let file = SourceFile::new("cairn.yaml", yaml);
        let diagnostic = Diagnostic::error("unsupported database URL `mysql://cairn:***@db.internal:3306/cairn`")
            .at(file.location(2, 11).with_length(47));
        let text = diagnostic.render(false);
        assert!(!text.contains("S3cretPw0rd"), "{text}");
        assert!(text.contains("mysql://cairn:***********@db.internal:3306/cairn"), "{text}");
        // Parsing still sees the real text.
        assert!(file.text.contains("S3cretPw0rd"));
    }

    #[test]
    fn secrets_are_masked_byte_for_byte() {
        let cases = [
            ("postgres://u:p%40ss@h/db x", Some("postgres://u:******@h/db x")),
            (
                "url: \"postgres://u:pw@h:5/db?sslmode=require\"",
                Some("url: \"postgres://u:**@h:5/db?sslmode=require\""),
            ),
            ("postgres://u@h/db?password=hunter2&x=1", Some("postgres://u@h/db?password=*******&x=1")),
            ("dsn: host=h PASSWORD=h\u{e9}llo user=u", Some("dsn: host=h PASSWORD=****** user=u")),
            ("s3://bucket/key@v1 and postgres://user@host/db", None),
            ("sql: SELECT 'a:b@c' AS x", None),
            ("password=", None),
        ];
        for (text, expected) in cases {
            let shown = redact_secrets(text);
            assert_eq!(shown.as_deref(), expected, "{text}");
            if let Some(shown) = shown {
                assert_eq!(shown.len(), text.len(), "{text}");
            }
        }
    }

    #[test]
    fn renders_the_line_and_the_hint() {
        let file = SourceFile::new("assets/x.yaml", "assets:\n  - key: a\n    sql: SELECT * FROM flights_dayly\n");
        let diagnostic = Diagnostic::error("asset `a`: unknown table `flights_dayly`")
            .at(file.location(3, 24).with_length(13))
            .with_help("did you mean `flights_daily`?");
        let text = diagnostic.render(false);
        assert!(text.contains("assets/x.yaml:3:24"), "{text}");
        assert!(text.contains("SELECT * FROM flights_dayly"), "{text}");
        assert!(text.contains("did you mean `flights_daily`?"), "{text}");
        assert_eq!(
            diagnostic.to_string(),
            "assets/x.yaml:3:24: asset `a`: unknown table `flights_dayly` (help: did you mean `flights_daily`?)"
        );
    }
}
