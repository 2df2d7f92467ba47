//! Which web pages may use the API from a browser: the `Origin` check of
//! `POST /graphql` and of the WebSocket upgrade of `/graphql/ws`.
//!
//! A browser says which page a request comes from in `Origin` (always on a
//! WebSocket upgrade and on a cross-origin or non-GET `fetch`). Without
//! this check, any page the user visits could open a WebSocket to
//! `127.0.0.1:3000` or post a mutation to it, since neither needs a CORS
//! preflight's permission to be *sent*. Allowed:
//!
//! * the server's own origin, from the address it listens on:
//!   `http://127.0.0.1:3000`, plus `http://localhost:3000` for a loopback
//!   address; on an unspecified address (`0.0.0.0`, `::`), the address
//!   in the request's `Host` when it is an IP address with the server's
//!   port (a host *name* could be an attacker's name rebound to this
//!   machine, so names must be allowed explicitly);
//! * each origin given with `cairn serve --allowed-origin` (a reverse
//!   proxy's public name, the Vite dev server);
//! * a request without `Origin`: command-line clients (curl, scripts, the
//!   `cairn` CLI) do not send one, and a browser always does where it
//!   matters.
//!
//! Origins compare as RFC 6454 serializations: scheme and host lowercase,
//! the scheme's default port left out.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::{HeaderMap, header};

use crate::error::HttpError;

/// An origin allowed besides the server's own (`--allowed-origin`), in
/// its serialized form (`https://cairn.example.com`, `http://localhost:5173`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin(String);

impl FromStr for AllowedOrigin {
    type Err = String;

    /// Parses `scheme://host[:port]`, with an optional trailing `/`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        serialize(text.strip_suffix('/').unwrap_or(text)).map(Self).ok_or_else(|| {
            format!("`{text}` is not an origin: write a scheme, a host and an optional port, as `https://cairn.example.com` or `http://localhost:5173`")
        })
    }
}

impl std::fmt::Display for AllowedOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The origins a server accepts.
#[derive(Debug, Clone)]
pub struct Origins {
    /// The address the server listens on.
    bound: SocketAddr,
    /// Its own origins (empty for an unspecified address, which depends
    /// on the request) and the allowed ones, serialized.
    accepted: Vec<String>,
}

impl Origins {
    /// The origins of a server listening on `bound`, plus `allowed`.
    pub fn new(bound: SocketAddr, allowed: &[AllowedOrigin]) -> Self {
        let port = bound.port();
        let mut accepted = Vec::new();
        if !bound.ip().is_unspecified() {
            accepted.extend(serialize(&format!("http://{bound}")));
        }
        if bound.ip().is_loopback() || bound.ip().is_unspecified() {
            accepted.extend(serialize(&format!("http://localhost:{port}")));
        }
        accepted.extend(allowed.iter().map(|origin| origin.0.clone()));
        Self { bound, accepted }
    }

    /// Refuses a request whose `Origin` is not accepted; one without
    /// `Origin` passes.
    ///
    /// # Errors
    /// [`HttpError::OriginNotAllowed`], naming the origin and those accepted.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), HttpError> {
        let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
        let given = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        let serialized = serialize(&given);
        let accepted = serialized.as_ref().is_some_and(|origin| {
            self.accepted.contains(origin) || self.own_origin_for_unspecified(headers).as_ref() == Some(origin)
        });
        if accepted {
            return Ok(());
        }
        let mut expected = self.accepted.clone();
        if self.bound.ip().is_unspecified() {
            expected.push(format!("http://<this machine's IP address>:{}", self.bound.port()));
        }
        Err(HttpError::OriginNotAllowed { origin: given, accepted: expected })
    }

    /// On an unspecified address: `http://<Host>` when `Host` is an IP
    /// address with the server's port.
    fn own_origin_for_unspecified(&self, headers: &HeaderMap) -> Option<String> {
        if !self.bound.ip().is_unspecified() {
            return None;
        }
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let address = SocketAddr::from_str(host).ok().or_else(|| {
            // `Host` leaves out the default port.
            (self.bound.port() == 80)
                .then(|| host.trim_start_matches('[').trim_end_matches(']'))
                .and_then(|ip| IpAddr::from_str(ip).ok().map(|ip| SocketAddr::new(ip, 80)))
        })?;
        (address.port() == self.bound.port()).then(|| serialize(&format!("http://{address}"))).flatten()
    }
}

/// The RFC 6454 serialization of `scheme://host[:port]` (lowercase, no
/// default port), as the `url` crate computes it (WHATWG URL Standard), or
/// `None` for anything else: `null`, another scheme, a path, a query, a
/// fragment or user information.
fn serialize(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    // `Url` writes `/` for an empty path: only a text without one is bare.
    let bare = url.path() == "/" && !text.ends_with('/');
    let plain =
        url.username().is_empty() && url.password().is_none() && url.query().is_none() && url.fragment().is_none();
    if !matches!(url.scheme(), "http" | "https") || !bare || !plain {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn origins_serialize_as_browsers_send_them() {
        assert_eq!(serialize("http://127.0.0.1:3000").as_deref(), Some("http://127.0.0.1:3000"));
        assert_eq!(serialize("HTTP://LocalHost:80").as_deref(), Some("http://localhost"));
        assert_eq!(serialize("https://cairn.example.com:443").as_deref(), Some("https://cairn.example.com"));
        assert_eq!(serialize("http://[::1]:3000").as_deref(), Some("http://[::1]:3000"));
        assert_eq!(serialize("http://[::1]").as_deref(), Some("http://[::1]"));
        for bad in ["null", "", "http://", "ftp://x", "http://x/path", "http://u@x", "http://x:port", "http://x:99999"]
        {
            assert_eq!(serialize(bad), None, "{bad}");
        }
        assert_eq!("https://a.example/".parse::<AllowedOrigin>().unwrap().to_string(), "https://a.example");
        assert!("a.example".parse::<AllowedOrigin>().is_err());
    }

    #[test]
    fn a_loopback_server_accepts_itself_localhost_and_the_allowed_only() {
        let allowed = ["http://localhost:5173".parse().unwrap()];
        let origins = Origins::new("127.0.0.1:3000".parse().unwrap(), &allowed);
        let host = "127.0.0.1:3000";
        for ok in [None, Some("http://127.0.0.1:3000"), Some("http://localhost:3000"), Some("http://localhost:5173")] {
            assert!(origins.check(&headers(ok, host)).is_ok(), "{ok:?}");
        }
        for refused in ["http://evil.example", "http://127.0.0.1:3001", "https://127.0.0.1:3000", "null"] {
            assert!(origins.check(&headers(Some(refused), host)).is_err(), "{refused}");
        }
        // DNS rebinding: a hostile name resolving to this machine.
        assert!(origins.check(&headers(Some("http://evil.example:3000"), "evil.example:3000")).is_err());
    }

    #[test]
    fn an_unspecified_address_accepts_the_ip_address_it_was_reached_at() {
        let origins = Origins::new("0.0.0.0:3000".parse().unwrap(), &[]);
        assert!(origins.check(&headers(Some("http://10.1.2.3:3000"), "10.1.2.3:3000")).is_ok());
        assert!(origins.check(&headers(Some("http://10.1.2.3:3000"), "10.9.9.9:3000")).is_err());
        assert!(origins.check(&headers(Some("http://box.example:3000"), "box.example:3000")).is_err());
        assert!(origins.check(&headers(Some("http://localhost:3000"), "localhost:3000")).is_ok());
    }
}
