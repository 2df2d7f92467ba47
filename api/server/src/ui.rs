//! The web UI, embedded in the binary: the one module that knows
//! rust-embed. The bundle is `web/dist` (built by `npm run build` in
//! `web/`, which `api/server/build.rs` runs when it is missing or older
//! than its sources; a build without it fails). Release builds carry the
//! files inside the binary; debug builds read them from `web/dist` at run
//! time.
//!
//! `GET` and `HEAD` only. Paths that are not files of the bundle get
//! `index.html` (client-side routes such as `/assets/flights_daily`),
//! except under `/graphql`, which the router answers; a missing file with
//! an extension is a 404. A path with a `..` or `.` segment, raw or
//! percent-encoded, is refused (400) before the bundle is looked at, so no
//! file outside it is ever read. Every file has a strong ETag (the SHA-256
//! of its content, as rust-embed computes it), so a reload costs a 304;
//! hashed assets under `/assets/` are cached for a year, `index.html`
//! never. Compression is the router's (gzip when the client accepts it).

use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// The bundle. The folder is relative to this crate's `Cargo.toml`;
/// rust-embed refuses to compile when it does not exist.
#[derive(RustEmbed)]
#[folder = "../../web/dist"]
struct Bundle;

/// Serves a file of the bundle, or `index.html` for a client-side route.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")], "the web UI answers GET and HEAD\n")
            .into_response();
    }
    let path = uri.path().trim_start_matches('/');
    if has_dot_segment(path) {
        return (StatusCode::BAD_REQUEST, "a path with `.` or `..` segments is refused\n").into_response();
    }
    let (file, name) = match Bundle::get(path).filter(|_| !path.is_empty()) {
        Some(file) => (file, path),
        // A missing file with an extension is a 404, not the app.
        None if std::path::Path::new(path).extension().is_some() => {
            return (StatusCode::NOT_FOUND, "not found\n").into_response();
        }
        None => match Bundle::get("index.html") {
            Some(index) => (index, "index.html"),
            // Only a debug build, which reads `web/dist` at run time, gets
            // here: the folder was emptied after the build.
            None => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "web/dist/index.html is gone (debug builds read the UI from web/dist): \
                     run `npm run build` in web/\n",
                )
                    .into_response();
            }
        },
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()));
    let cache = if name.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| etag_matches(v, &etag)) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache.to_owned())])
            .into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, file.metadata.mimetype().to_owned()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        file.data.into_owned(),
    )
        .into_response()
}

/// Whether `If-None-Match` (a list of ETags, or `*`) names `etag`.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|given| given == "*" || given.trim_start_matches("W/") == etag)
}

/// Whether a URL path has a `.` or `..` segment once percent-decoded
/// (`/`, and `\` as some servers read it, separate segments).
fn has_dot_segment(path: &str) -> bool {
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(path).collect();
    decoded.split(|&b| b == b'/' || b == b'\\').any(|segment| segment == b"." || segment == b"..")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_found_raw_and_percent_encoded() {
        for path in ["..", "../Cargo.toml", "assets/../../x", "%2e%2e/x", "%2E%2e%2fetc", "a/.%2E/b", "a\\..\\b", "./x"]
        {
            assert!(has_dot_segment(path), "{path}");
        }
        for path in ["", "index.html", "assets/index-Ab12.js", "assets/flights_daily", "a..b/c", "%2e%2e%2e", "%zz"] {
            assert!(!has_dot_segment(path), "{path}");
        }
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let etag = "\"abc\"";
        assert!(etag_matches("\"abc\"", etag));
        assert!(etag_matches("\"x\", W/\"abc\"", etag));
        assert!(etag_matches("*", etag));
        assert!(!etag_matches("\"abd\"", etag));
    }
}
