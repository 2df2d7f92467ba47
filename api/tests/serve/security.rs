//! What a hostile web page could make a visitor's browser send to `cairn
//! serve` is refused, with no token set (the default): a request from a
//! page of another origin (POST and WebSocket), each content type a
//! browser sends cross-site without a preflight, GraphQL over GET.
//! Same-origin requests, allowed origins and clients without `Origin`
//! (curl, scripts) still work.

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::Server;
use crate::support::Project;

const LAUNCH: &str =
    r#"mutation { launchBackfill(input: { selection: "raw/airlines+", partitions: { all: true } }) { id } }"#;

/// POSTs `body` with these headers; returns the status and the JSON answer.
async fn post(server: &Server, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let mut request = server.client.post(format!("{}/graphql", server.url)).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")))
}

async fn backfill_count(server: &Server) -> usize {
    let data = server.query("{ backfills(first: 50) { nodes { id } } }", json!({})).await;
    data["backfills"]["nodes"].as_array().unwrap().len()
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

/// Opens the WebSocket with `origin`; the HTTP status of a refused upgrade.
async fn websocket_status(server: &Server, origin: Option<&str>) -> Result<(), u16> {
    let url = format!("{}/graphql/ws", server.url.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    if let Some(origin) = origin {
        request.headers_mut().insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => Ok(()),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("the upgrade failed without an HTTP answer: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_another_origin_can_neither_post_nor_open_the_websocket() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor", "--allowed-origin", "https://cairn.example.com/"], None);
    let body = json!({ "query": LAUNCH }).to_string();
    let json = ("content-type", "application/json");

    for hostile in ["http://evil.example", "http://127.0.0.1:1", "null", "https://cairn.example.com:8443"] {
        let (status, answer) = post(&server, &[json, ("origin", hostile)], &body).await;
        assert_eq!(status, 403, "{hostile}: {answer}");
        assert_eq!(code(&answer), "ORIGIN_NOT_ALLOWED", "{answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(hostile) && message.contains("--allowed-origin"), "{message}");
        assert_eq!(websocket_status(&server, Some(hostile)).await, Err(403), "{hostile}");
    }
    assert_eq!(backfill_count(&server).await, 0, "nothing was launched");

    // The server's own origin (by address and as localhost), an allowed
    // origin, and no origin at all (curl, scripts) are accepted.
    let own = server.url.clone();
    let localhost = own.replacen("127.0.0.1", "localhost", 1);
    for origin in [Some(own.as_str()), Some(localhost.as_str()), Some("https://cairn.example.com"), None] {
        let mut headers = vec![json];
        headers.extend(origin.map(|origin| ("origin", origin)));
        let (status, answer) = post(&server, &headers, &body).await;
        assert_eq!(status, 200, "{origin:?}: {answer}");
        assert!(answer["data"]["launchBackfill"]["id"].is_string(), "{origin:?}: {answer}");
        assert_eq!(websocket_status(&server, origin).await, Ok(()), "{origin:?}");
    }
    assert_eq!(backfill_count(&server).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_types_a_browser_sends_cross_site_are_refused() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);
    let body = json!({ "query": LAUNCH }).to_string();
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/graphql"),
        None,
    ] {
        let headers: Vec<(&str, &str)> = content_type.map(|t| ("content-type", t)).into_iter().collect();
        let (status, answer) = post(&server, &headers, &body).await;
        assert_eq!(status, 400, "{content_type:?}: {answer}");
        assert_eq!(code(&answer), "CONTENT_TYPE_REFUSED", "{answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("application/json") && message.contains("cross-site request forgery"), "{message}");
    }
    assert_eq!(backfill_count(&server).await, 0, "nothing was launched");
    let (status, answer) = post(&server, &[("content-type", "Application/JSON; charset=utf-8")], &body).await;
    assert_eq!((status, answer["data"]["launchBackfill"]["id"].is_string()), (200, true), "{answer}");
}

/// GET runs nothing: a mutation over GET could come from a link or an
/// image on any page, a query over GET is what a DNS-rebound page could
/// read without sending `Origin`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_executes_no_operation_and_names_its_kind() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);
    let two = "query Q { assets { key } } mutation M { reloadDefinitions { reloaded } }";
    for (query, operation, kind) in [
        (LAUNCH, None, "mutation"),
        (two, Some("M"), "mutation"),
        (two, Some("Q"), "query"),
        (two, None, "operation"),
        ("{ definitions { project } }", None, "query"),
        ("subscription { assetEvents { kind } }", None, "subscription"),
    ] {
        let mut params = vec![("query", query)];
        params.extend(operation.map(|name| ("operationName", name)));
        let response = server.client.get(format!("{}/graphql", server.url)).query(&params).send().await.unwrap();
        assert_eq!(response.status(), 405, "{query}");
        assert_eq!(response.headers()["allow"], "POST");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(code(&answer), "METHOD_NOT_ALLOWED", "{answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("POST the {kind} to /graphql")), "{message}");
    }
    assert_eq!(backfill_count(&server).await, 0, "nothing was launched");

    // Without a query: GraphiQL.
    let graphiql = server.client.get(format!("{}/graphql", server.url)).send().await.unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().to_lowercase().contains("graphiql"));
}

/// One rule in the engine: a backfill takes one partition filter, and the
/// API answers what the engine says (the CLI's flags conflict too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_with_both_partition_filters_is_refused() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);
    for field in ["launchBackfill", "backfillPreview"] {
        let query = format!(
            r#"mutation {{ {field}(input: {{ selection: "flights_daily", partitions: {{ all: true }}, onlyMissingOrFailed: true, onlyStale: true }}) {{ __typename }} }}"#
        );
        let query = if field == "backfillPreview" { query.replacen("mutation", "query", 1) } else { query };
        let (code, message) = server.error_code(&query, json!({}), None).await;
        assert_eq!(code, "BAD_USER_INPUT", "{field}: {message}");
        assert_eq!(
            message,
            "a backfill takes one partition filter, not both: only missing or failed partitions, or only missing or stale ones",
        );
    }
    assert_eq!(backfill_count(&server).await, 0);
}
