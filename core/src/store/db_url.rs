//! Database URLs: which backend a URL names, and how to show it without
//! its password.

use sea_orm::{DbErr, RuntimeErr};

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

/// Query parameters that carry secrets (libpq's names).
fn is_secret_param(key: &str) -> bool {
    matches!(key.to_ascii_lowercase().as_str(), "password" | "sslpassword")
}

/// The parts of a URL: `scheme://userinfo@host/path?query#fragment`.
struct Parts<'a> {
    /// Everything up to and including `://` (or `scheme:` if there is no
    /// authority).
    prefix: &'a str,
    /// `user:password`, without the `@`, if present.
    userinfo: Option<&'a str>,
    /// Host, port and path.
    rest: &'a str,
    /// The query without `?`, if present.
    query: Option<&'a str>,
    /// `#fragment`, with the `#`, or empty.
    fragment: &'a str,
}

fn split(url: &str) -> Parts<'_> {
    let (before_fragment, fragment) = match url.find('#') {
        Some(index) => url.split_at(index),
        None => (url, ""),
    };
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (before_fragment, None),
    };
    let (prefix, after_prefix) = match before_query.find("://") {
        Some(index) => before_query.split_at(index + 3),
        None => match before_query.find(':') {
            Some(index) => before_query.split_at(index + 1),
            None => ("", before_query),
        },
    };
    let authority_end = after_prefix.find('/').unwrap_or(after_prefix.len());
    let (userinfo, rest) = match after_prefix[..authority_end].rfind('@') {
        Some(at) if prefix.ends_with("://") => (Some(&after_prefix[..at]), &after_prefix[at + 1..]),
        _ => (None, after_prefix),
    };
    Parts { prefix, userinfo, rest, query, fragment }
}

/// The URL with any password (in the user info or a `password=` query
/// parameter) replaced by `***`, fit for messages and logs.
pub(crate) fn redact(url: &str) -> String {
    let parts = split(url);
    let mut out = String::with_capacity(url.len());
    out.push_str(parts.prefix);
    if let Some(userinfo) = parts.userinfo {
        match userinfo.split_once(':') {
            Some((user, _password)) => {
                out.push_str(user);
                out.push(':');
                out.push_str(MASK);
            }
            None => out.push_str(userinfo),
        }
        out.push('@');
    }
    out.push_str(parts.rest);
    if let Some(query) = parts.query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if is_secret_param(key) => format!("{key}={MASK}"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out.push_str(parts.fragment);
    out
}

/// Decodes `%XX` escapes (and `+` in query values when `plus_is_space`).
fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let hex = |offset: usize| bytes.get(index + offset).and_then(|b| (*b as char).to_digit(16));
        match (byte, hex(1), hex(2)) {
            (b'%', Some(high), Some(low)) => {
                // Two hex digits make at most 0xFF.
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                index += 3;
            }
            (b'+', _, _) if plus_is_space => {
                out.push(b' ');
                index += 1;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The secrets in a URL, as written and percent-decoded: what must never
/// appear in a message.
pub(crate) fn secrets(url: &str) -> Vec<String> {
    let parts = split(url);
    let mut secrets = Vec::new();
    if let Some((_, password)) = parts.userinfo.and_then(|userinfo| userinfo.split_once(':')) {
        secrets.push(password.to_owned());
        secrets.push(percent_decode(password, false));
    }
    for pair in parts.query.into_iter().flat_map(|query| query.split('&')) {
        if let Some((key, value)) = pair.split_once('=')
            && is_secret_param(key)
        {
            secrets.push(value.to_owned());
            secrets.push(percent_decode(value, true));
        }
    }
    secrets.retain(|secret| !secret.is_empty());
    // Longest first, so a secret containing another is masked whole.
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    secrets.dedup();
    secrets
}

/// `error` with every secret of `url` masked, in case a driver echoed the
/// URL (sea-orm does, for URLs it cannot parse). Errors that contain no
/// secret are returned unchanged.
pub(crate) fn scrub(error: DbErr, url: &str) -> DbErr {
    let secrets = secrets(url);
    let mask = |text: String| secrets.iter().fold(text, |text, secret| text.replace(secret.as_str(), MASK));
    if !secrets.iter().any(|secret| error.to_string().contains(secret.as_str())) {
        return error;
    }
    match error {
        DbErr::Conn(inner) => DbErr::Conn(RuntimeErr::Internal(mask(inner.to_string()))),
        DbErr::Exec(inner) => DbErr::Exec(RuntimeErr::Internal(mask(inner.to_string()))),
        DbErr::Query(inner) => DbErr::Query(RuntimeErr::Internal(mask(inner.to_string()))),
        other => DbErr::Custom(mask(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_by_scheme() {
        assert_eq!(backend("sqlite://cairn.db"), Some(Backend::Sqlite));
        assert_eq!(backend("SQLite:///tmp/x.db"), Some(Backend::Sqlite));
        assert_eq!(backend("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend("postgresql://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend("mysql://u@h/db"), None);
        assert_eq!(backend("cairn.db"), None);
        assert_eq!(lowercase_scheme("SQLite:///tmp/X.db"), "sqlite:///tmp/X.db");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:p%40ss@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://h/db?sslmode=require&password=x"),
            "postgres://h/db?sslmode=require&password=***"
        );
        assert_eq!(redact("postgres://u:a@b@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://data/cairn.db?mode=rwc"), "sqlite://data/cairn.db?mode=rwc");
        // An `@` in the path is not user info.
        assert_eq!(redact("sqlite:///tmp/a@b/cairn.db"), "sqlite:///tmp/a@b/cairn.db");
    }

    #[test]
    fn secrets_are_listed_raw_and_decoded() {
        let secrets = secrets("postgres://u:p%40ss@h/db?password=a+b");
        assert!(secrets.contains(&"p%40ss".to_owned()));
        assert!(secrets.contains(&"p@ss".to_owned()));
        assert!(secrets.contains(&"a b".to_owned()));
    }

    #[test]
    fn scrubs_echoed_urls() {
        let url = "postgres://u:hunter2@h/db";
        let error = scrub(DbErr::Conn(RuntimeErr::Internal(format!("cannot parse {url}"))), url);
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
    }
}
