//! The web UI as `cairn serve` serves it: the bundle this build embeds
//! (release) or reads from `web/dist` (debug), client routes, hashed
//! assets with their content type and a strong ETag, and no file outside
//! the bundle for any path.

use std::path::{Path, PathBuf};

use super::{Server, raw_request};
use crate::support::Project;

fn dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_the_built_ui_client_routes_and_hashed_assets() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);
    let index = std::fs::read_to_string(dist().join("index.html")).expect("the build made web/dist/index.html");

    for path in ["/", "/assets/flights_daily", "/runs/r-1", "/backfills"] {
        let response = server.client.get(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        assert_eq!(response.text().await.unwrap(), index, "{path} answers the built index.html");
    }

    // Every script and stylesheet index.html loads: a hashed file under
    // /assets/, with its content type, the bytes of the bundle, a strong
    // ETag and a year of caching; a 304 for its ETag.
    let hashed: Vec<&str> = index
        .split(['"', '\''])
        .filter(|part| part.starts_with("/assets/") && (part.ends_with(".js") || part.ends_with(".css")))
        .collect();
    assert!(hashed.iter().any(|path| path.ends_with(".js")), "index.html loads no script: {index}");
    for path in hashed {
        let url = format!("{}{path}", server.url);
        let response = server.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        let content_type = headers["content-type"].to_str().unwrap();
        let expected = if path.ends_with(".js") { "javascript" } else { "text/css" };
        assert!(content_type.contains(expected), "{path}: {content_type}");
        assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable", "{path}");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.len() == 66, "{path}: a strong ETag (SHA-256), not {etag}");
        let body = response.bytes().await.unwrap();
        assert_eq!(body.as_ref(), std::fs::read(dist().join(&path[1..])).unwrap().as_slice(), "{path}");

        let again = server.client.get(&url).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
        let changed = server.client.get(&url).header("if-none-match", "\"other\"").send().await.unwrap();
        assert_eq!(changed.status(), 200, "{path}");
    }

    let missing = server.client.get(format!("{}/assets/nothing-here.js", server.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

/// A path with `..` (raw, percent-encoded, or mixed) never reaches a file
/// outside the bundle: it is refused before the bundle is looked at. HTTP
/// clients resolve `..` themselves, so these go over a raw socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_with_dot_segments_are_refused() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);
    for path in [
        "/../Cargo.toml",
        "/../../Cargo.toml",
        "/assets/../../../api/Cargo.toml",
        "/%2e%2e/%2e%2e/Cargo.toml",
        "/assets/%2E%2E%2F%2E%2E%2F..%2FCargo.toml",
        "/.%2e/index.html",
        "/assets/..\\..\\Cargo.toml",
    ] {
        let (status, body) = raw_request(&server.url, &format!("GET {path} HTTP/1.1"), &[]).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(!body.contains("[package]") && !body.contains("<!doctype"), "{path}: {body}");
    }
}
