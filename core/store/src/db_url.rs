//! Database URLs: which backend a URL names, and how to show it without
//! its password.
//!
//! URLs are parsed with the `url` crate, as sqlx does. SQLite URLs
//! (`sqlite:x.db`, `sqlite://relative.db`, `sqlite:///abs.db`,
//! `sqlite://C:\x.db`) carry no secrets and are not all valid URLs, so they
//! are shown as given. Any other text that does not parse as a URL is masked
//! conservatively (see [`Redaction::unparsable`]), so that nothing is ever
//! shown that might be a password.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use sea_orm::{DbErr, RuntimeErr};
use url::Url;

/// What replaces a password in URLs and error messages.
const MASK: &str = "***";

/// The database behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// `sqlite:` (`sqlite://PATH`).
    Sqlite,
    /// `postgres:` or `postgresql:`.
    Postgres,
}

/// The backend named by the URL's scheme (case-insensitive), if supported.
///
/// Only the scheme is looked at: a PostgreSQL URL that does not parse
/// (`postgres://u@h:notaport/db`) is still a PostgreSQL URL, for the driver
/// to reject with its own message.
pub(crate) fn backend(url: &str) -> Option<Backend> {
    let (scheme, _) = url.split_once(':')?;
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Some(Backend::Sqlite),
        "postgres" | "postgresql" => Some(Backend::Postgres),
        _ => None,
    }
}

/// The URL with its scheme in lower case: schemes are case-insensitive,
/// but sqlx only strips a lower-case `sqlite:` from SQLite URLs.
pub(crate) fn lowercase_scheme(url: &str) -> String {
    match url.split_once(':') {
        Some((scheme, rest)) => format!("{}:{rest}", scheme.to_ascii_lowercase()),
        None => url.to_owned(),
    }
}

/// The URL with any password (in the user info or a `password=` or
/// `sslpassword=` query parameter) replaced by `***`, fit for messages and
/// logs. A URL without secrets is returned unchanged.
pub(crate) fn redact(url: &str) -> String {
    Redaction::of(url).shown
}

/// `text` with every secret of `url` masked: the whole URL as given is
/// replaced by its redacted form, then each password, as written and
/// percent-decoded, by `***`.
#[cfg(any(test, feature = "test-support"))]
pub(crate) fn mask_secrets(text: &str, url: &str) -> String {
    Redaction::of(url).apply(text)
}

/// `error` with every secret of `url` masked, in case a driver echoed the
/// URL (sea-orm does, for URLs it cannot parse). Errors that contain no
/// secret, in their `Display` or `Debug` form, are returned unchanged; the
/// others become a plain message of the same kind.
pub(crate) fn scrub(error: DbErr, url: &str) -> DbErr {
    let redaction = Redaction::of(url);
    if !redaction.found_in(&error.to_string()) && !redaction.found_in(&format!("{error:?}")) {
        return error;
    }
    let mask = |text: String| RuntimeErr::Internal(redaction.apply(&text));
    match error {
        DbErr::Conn(inner) => DbErr::Conn(mask(inner.to_string())),
        DbErr::Exec(inner) => DbErr::Exec(mask(inner.to_string())),
        DbErr::Query(inner) => DbErr::Query(mask(inner.to_string())),
        other => DbErr::Custom(redaction.apply(&other.to_string())),
    }
}

/// Query parameters that carry secrets (libpq's names).
fn is_secret_param(key: &str) -> bool {
    key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("sslpassword")
}

/// How to show a URL, and what must never appear in a message about it.
/// (No `Debug`: it holds the secrets.)
struct Redaction {
    /// The URL as given.
    original: String,
    /// The URL with its secrets masked.
    shown: String,
    /// Other spellings of the whole URL (the `url` crate's serialization)
    /// that must be shown as `shown`.
    spellings: Vec<String>,
    /// The secrets, as written and decoded, longest first so that a secret
    /// containing another is masked whole.
    secrets: Vec<String>,
}

impl Redaction {
    fn of(url: &str) -> Self {
        if backend(url) == Some(Backend::Sqlite) {
            return Self::unchanged(url);
        }
        match Url::parse(url) {
            Ok(parsed) => Self::parsed(url, parsed),
            Err(_) => Self::unparsable(url),
        }
    }

    fn unchanged(url: &str) -> Self {
        Self { original: url.to_owned(), shown: url.to_owned(), spellings: Vec::new(), secrets: Vec::new() }
    }

    /// A URL that parses: mask the password and secret query parameters
    /// through the `url` crate.
    fn parsed(original: &str, mut url: Url) -> Self {
        let serialized = url.as_str().to_owned();
        let mut secrets = Vec::new();
        if let Some(password) = url.password() {
            // As serialized (percent-encoded) and as the server sees it.
            secrets.push(password.to_owned());
            secrets.push(percent_decode_str(password).decode_utf8_lossy().into_owned());
            if url.set_password(Some(MASK)).is_err() {
                // Unreachable: a URL with a password has a host.
                return Self::unparsable(original);
            }
        }
        if url.query_pairs().any(|(key, _)| is_secret_param(&key)) {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(key, value)| {
                    let value = value.into_owned();
                    if is_secret_param(&key) {
                        // Form-encoded (as it may have been written) and decoded.
                        secrets.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
                        secrets.push(value);
                        (key.into_owned(), MASK.to_owned())
                    } else {
                        (key.into_owned(), value)
                    }
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        secrets.retain(|secret| !secret.is_empty());
        if secrets.is_empty() {
            return Self::unchanged(original);
        }
        Self::new(original, url.into(), vec![serialized], secrets)
    }

    /// Text that does not parse as a URL, shown conservatively:
    ///
    /// * everything between `://` and the last `@` (the user info, with
    ///   whatever `@` the password may hold) becomes `***`;
    /// * everything after the first `?` that follows (the query, which may
    ///   hold `password=`) becomes `***`;
    /// * if a `?` or `#` comes before that last `@`, the `@` may be part of
    ///   a query value, so everything after `://` becomes `***`.
    ///
    /// The secrets masked in messages are the password (what follows the
    /// first `:` of the user info) and the values of secret query
    /// parameters, not the user name or other parameters.
    fn unparsable(original: &str) -> Self {
        let (prefix, rest) = match original.find("://") {
            Some(index) => original.split_at(index + 3),
            None => original.split_at(original.find(':').map_or(0, |index| index + 1)),
        };
        let mut secrets = Vec::new();
        let mut shown = prefix.to_owned();
        let mut after_userinfo = rest;
        if prefix.ends_with("://")
            && let Some(at) = rest.rfind('@')
        {
            let userinfo = &rest[..at];
            if let Some((_, password)) = userinfo.split_once(':') {
                secrets.push(userinfo.to_owned());
                secrets.push(password.to_owned());
                secrets.push(percent_decode_str(password).decode_utf8_lossy().into_owned());
            }
            shown.push_str(MASK);
            if userinfo.contains(['?', '#']) {
                secrets.push(rest.to_owned());
                after_userinfo = "";
            } else {
                shown.push('@');
                after_userinfo = &rest[at + 1..];
            }
        }
        match after_userinfo.split_once('?') {
            Some((before, _)) => {
                shown.push_str(before);
                shown.push('?');
                shown.push_str(MASK);
            }
            None => shown.push_str(after_userinfo),
        }
        // Secret parameters wherever the query starts, even inside what
        // was taken for user info.
        if let Some((_, query)) = rest.split_once('?') {
            for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
                if is_secret_param(&key) {
                    secrets.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
                    secrets.push(value.into_owned());
                }
            }
        }
        secrets.retain(|secret| !secret.is_empty());
        Self::new(original, shown, Vec::new(), secrets)
    }

    fn new(original: &str, shown: String, mut spellings: Vec<String>, mut secrets: Vec<String>) -> Self {
        spellings.retain(|spelling| spelling != original && !spelling.is_empty());
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        secrets.dedup();
        Self { original: original.to_owned(), shown, spellings, secrets }
    }

    /// Whether `text` contains a secret.
    fn found_in(&self, text: &str) -> bool {
        self.secrets.iter().any(|secret| text.contains(secret.as_str()))
    }

    /// `text` with the URL replaced by its redacted form and every
    /// remaining secret by `***`.
    fn apply(&self, text: &str) -> String {
        if !self.found_in(text) {
            return text.to_owned();
        }
        let mut text = Cow::Borrowed(text);
        for url in std::iter::once(&self.original).chain(&self.spellings) {
            if text.contains(url.as_str()) {
                text = Cow::Owned(text.replace(url.as_str(), &self.shown));
            }
        }
        self.secrets.iter().fold(text.into_owned(), |text, secret| text.replace(secret.as_str(), MASK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_by_scheme() {
        assert_eq!(backend("sqlite://cairn.db"), Some(Backend::Sqlite));
        assert_eq!(backend("SQLite:///tmp/x.db"), Some(Backend::Sqlite));
        assert_eq!(backend("sqlite:x.db"), Some(Backend::Sqlite));
        assert_eq!(backend("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend("postgresql://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend("postgres://u@h:notaport/db"), Some(Backend::Postgres));
        assert_eq!(backend("mysql://u@h/db"), None);
        assert_eq!(backend("cairn.db"), None);
        assert_eq!(backend(""), None);
        assert_eq!(lowercase_scheme("SQLite:///tmp/X.db"), "sqlite:///tmp/X.db");
        assert_eq!(lowercase_scheme("cairn.db"), "cairn.db");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:p%40ss@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://h/db?sslmode=require&password=x"),
            "postgres://h/db?sslmode=require&password=***"
        );
        assert_eq!(
            redact("postgres://h/db?SSLPassword=x&sslmode=require"),
            "postgres://h/db?SSLPassword=***&sslmode=require"
        );
        assert_eq!(redact("postgres://u:a@b@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgresql://u:pw@[::1]:5432/db#frag"), "postgresql://u:***@[::1]:5432/db#frag");
        assert_eq!(redact("mysql://root:pw@localhost/cairn"), "mysql://root:***@localhost/cairn");
        // An empty password is still a password field; nothing to hide.
        assert_eq!(redact("postgres://u:@h/db"), "postgres://u:@h/db");
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        // Not even normalized by the `url` crate.
        for url in [
            "POSTGRES://U@Host/DB",
            "postgres://u@h/db?options=-c%20search_path%3Dx",
            "postgres:///db?host=/var/run/postgresql",
            "cairn.db",
            "",
            "sqlite",
        ] {
            assert_eq!(redact(url), url);
        }
    }

    #[test]
    fn sqlite_urls_are_shown_as_given() {
        for url in [
            "sqlite:x.db",
            "sqlite://data/cairn.db?mode=rwc",
            "sqlite:///abs/path.db",
            // An `@` in the path is not user info.
            "sqlite:///tmp/a@b/cairn.db",
            "sqlite://C:\\Users\\me\\cairn.db",
            "sqlite://C:/Users/me/cairn.db",
            "sqlite::memory:",
        ] {
            assert_eq!(redact(url), url);
            assert_eq!(mask_secrets(&format!("cannot open {url}"), url), format!("cannot open {url}"));
        }
    }

    #[test]
    fn unparsable_urls_are_masked_conservatively() {
        assert_eq!(redact("postgres://u:pw@h:notaport/db"), "postgres://***@h:notaport/db");
        assert_eq!(redact("postgres://u:a@b@h:notaport/db"), "postgres://***@h:notaport/db");
        assert_eq!(redact("postgres://u:pw@/db"), "postgres://***@/db");
        assert_eq!(redact("postgres://h:notaport/db?password=x&a=b"), "postgres://h:notaport/db?***");
        assert_eq!(redact("postgres://u:pw@h:bad/db?password=se@cret"), "postgres://***");
        assert_eq!(redact("postgres://u:p?w@h:bad/db"), "postgres://***");
        // No password anywhere: nothing to hide.
        assert_eq!(redact("postgres://h:notaport/db"), "postgres://h:notaport/db");
        // Shown conservatively, but only secrets are masked in messages.
        let url = "postgres://cairn@h:notaport/db?a";
        assert_eq!(redact(url), "postgres://***@h:notaport/db?***");
        assert_eq!(mask_secrets("user cairn: a bad port", url), "user cairn: a bad port");
        let url = "postgres://u:p?w@h:bad/db?sslmode=x&PASSWORD=qu%40ry";
        assert_eq!(mask_secrets("p?w qu@ry qu%40ry sslmode", url), "*** *** *** sslmode");
    }

    #[test]
    fn redaction_never_panics() {
        let pieces = [
            "postgres:",
            "sqlite:",
            "//",
            "u",
            ":",
            "pw",
            "@",
            "@",
            "h",
            "/",
            "?",
            "#",
            "=",
            "&",
            "%",
            "%4",
            "é",
            "[",
            "]",
            "\\",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for d in pieces {
                        let url = format!("{a}{b}{c}{d}");
                        let _ = redact(&url);
                        let _ = mask_secrets(&url, &url);
                    }
                }
            }
        }
    }

    #[test]
    fn secrets_are_masked_raw_and_decoded() {
        let url = "postgres://u:p%40ss@h/db?password=a+b%26c";
        let masked = mask_secrets("p%40ss p@ss a b&c a+b%26c", url);
        assert_eq!(masked, "*** *** *** ***");
        let masked = mask_secrets(&format!("cannot connect to {url}: refused"), url);
        assert_eq!(masked, "cannot connect to postgres://u:***@h/db?password=***: refused");
        // Secrets that the `url` crate re-encodes: the original is replaced whole.
        let url = "postgres://u:a b@h/db";
        assert_eq!(mask_secrets(&format!("bad url {url}"), url), "bad url postgres://u:***@h/db");
        assert_eq!(mask_secrets("password a b", url), "password ***");
        assert_eq!(mask_secrets("bad url postgres://u:a%20b@h/db", url), "bad url postgres://u:***@h/db");
    }

    #[test]
    fn scrubs_echoed_urls() {
        for (url, secret) in [
            ("postgres://u:hunter2@h/db", "hunter2"),
            ("postgres://u:hunter%32@h/db", "hunter2"),
            ("postgres://u@h/db?password=hunter2", "hunter2"),
            ("postgres://u:hunter2@h:notaport/db", "hunter2"),
            ("postgres://h:notaport/db?password=hunter2", "hunter2"),
        ] {
            let error = scrub(DbErr::Conn(RuntimeErr::Internal(format!("cannot parse {url}"))), url);
            assert!(!error.to_string().contains(secret), "{error}");
            assert!(!format!("{error:?}").contains(secret), "{error:?}");
            let error = scrub(DbErr::Custom(format!("no driver for {url}")), url);
            assert!(!error.to_string().contains(secret), "{error}");
        }
    }

    #[test]
    fn errors_without_secrets_are_kept() {
        let error = scrub(DbErr::Conn(RuntimeErr::Internal("refused".to_owned())), "postgres://u:hunter2@h/db");
        assert!(matches!(&error, DbErr::Conn(RuntimeErr::Internal(text)) if text == "refused"), "{error:?}");
        let error = scrub(DbErr::RecordNotFound("x".to_owned()), "postgres://u@h/db");
        assert!(matches!(error, DbErr::RecordNotFound(_)));
    }
}
