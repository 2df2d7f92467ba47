//! The web UI, embedded in the binary: the one module that knows
//! rust-embed. The bundle is `web/dist` (built by `npm run build` in
//! `web/`, which `api/server/build.rs` runs when it is missing or older
//! than its sources). Release builds carry the files inside the binary;
//! debug builds read them from `web/dist` at run time.
//!
//! Paths that are not files of the bundle get `index.html` (client-side
//! routes such as `/assets/flights_daily`), except under `/graphql`, which
//! the router answers. Every file has a strong ETag (the SHA-256 of its
//! content, as rust-embed computes it), so a reload costs a 304; hashed
//! assets under `/assets/` are cached for a year, `index.html` never.
//! Compression is the router's (gzip when the client accepts it).

use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../web/dist"]
#[allow_missing = true]
struct Bundle;

/// Whether the bundle has an `index.html` (false when the UI was not built).
pub fn is_built() -> bool {
    Bundle::get("index.html").is_some()
}

/// Serves a file of the bundle, or `index.html` for a client-side route.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (file, name) = match Bundle::get(path).filter(|_| !path.is_empty()) {
        Some(file) => (file, path),
        None => match Bundle::get("index.html") {
            // A missing file with an extension is a 404, not the app.
            Some(_) if std::path::Path::new(path).extension().is_some() => {
                return (StatusCode::NOT_FOUND, "not found").into_response();
            }
            Some(index) => (index, "index.html"),
            None => return not_built(),
        },
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()));
    let cache = if name.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag) {
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The page shown when the binary has no UI bundle.
fn not_built() -> Response {
    let body = "<!doctype html><title>Cairn</title><p>This build of Cairn has no web UI: \
                run <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>, then build Cairn again. \
                The GraphQL API is at <a href=\"/graphql\">/graphql</a>.";
    (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}
