//! `cairn serve` as a real process on 127.0.0.1 (a random port), driven
//! over HTTP and WebSocket (`graphql-transport-ws`), on a real store:
//! SQLite, and PostgreSQL for the backfill scenario. The crash test kills
//! the server with SIGKILL in the middle of a backfill and restarts it.
//! `serve/ui.rs` tests the web UI it serves, `serve/security.rs` what it
//! refuses to other web sites.

#[path = "serve/automation.rs"]
mod automation;
#[path = "serve/security.rs"]
mod security;
mod support;
#[path = "serve/ui.rs"]
mod ui;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::Project;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A running `cairn serve`, killed when dropped.
struct Server {
    child: Child,
    url: String,
    log: tempfile::NamedTempFile,
    client: reqwest::Client,
}

impl Server {
    fn start(project: &Project, extra: &[&str], token: Option<&str>) -> Self {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
        command
            .arg("--project")
            .arg(project.dir.path())
            .args(["--no-progress", "serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .env_remove("CAIRN_DATABASE_URL")
            .env_remove("CAIRN_API_TOKEN")
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap());
        if let Some(url) = &project.database_url {
            command.env("CAIRN_DATABASE_URL", url);
        }
        if let Some(token) = token {
            command.env("CAIRN_API_TOKEN", token);
        }
        let mut child = command.spawn().expect("cairn serve starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            panic!("cairn serve did not start: {line:?}\n{}", std::fs::read_to_string(log.path()).unwrap());
        };
        Self { url: url.to_owned(), child, log, client: reqwest::Client::new() }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// POSTs a GraphQL request; returns the whole JSON response.
    async fn request(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self.client.post(format!("{}/graphql", self.url)).json(&json!({
            "query": query,
            "variables": variables,
        }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        response.json().await.expect("a JSON response")
    }

    /// The `data` of a request that must succeed.
    async fn query(&self, query: &str, variables: Value) -> Value {
        let response = self.request(query, variables, None).await;
        assert!(response.get("errors").is_none(), "{query}\n{response:#}\n{}", self.log());
        response["data"].clone()
    }

    /// The `extensions.code` of a request that must fail.
    async fn error_code(&self, query: &str, variables: Value, token: Option<&str>) -> (String, String) {
        let response = self.request(query, variables, token).await;
        let error = &response["errors"][0];
        assert!(error.is_object(), "{query} should fail: {response:#}");
        (error["extensions"]["code"].as_str().unwrap_or("").to_owned(), error["message"].as_str().unwrap().to_owned())
    }

    /// Every message of a `runEvents(runId: run, after)` subscription
    /// selecting `fields`, up to its `complete` (not kept) or an `error`
    /// (kept, last).
    async fn run_event_messages(&self, run: &str, after: Value, fields: &str) -> Vec<Value> {
        let query = format!(
            "subscription($run: ID!, $after: String) {{ runEvents(runId: $run, after: $after) {{ {fields} }} }}"
        );
        let mut subscription = self.subscribe(&query, json!({ "run": run, "after": after }), json!({})).await;
        let mut messages = Vec::new();
        loop {
            let message = subscription.message().await;
            match message["type"].as_str() {
                Some("complete") => return messages,
                Some("error") => {
                    messages.push(message);
                    return messages;
                }
                _ => messages.push(message),
            }
        }
    }

    async fn subscribe(&self, query: &str, variables: Value, init: Value) -> Subscription {
        let ws_url = format!("{}/graphql/ws", self.url.replacen("http://", "ws://", 1));
        let mut request = ws_url.into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket connects");
        socket.send(Message::text(json!({ "type": "connection_init", "payload": init }).to_string())).await.unwrap();
        let mut subscription = Subscription { socket };
        let ack = subscription.message().await;
        if ack["type"] == "connection_ack" {
            subscription
                .socket
                .send(Message::text(
                    json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } })
                        .to_string(),
                ))
                .await
                .unwrap();
        }
        subscription
    }
}

/// Sends `request_line` (`GET /path HTTP/1.1`) and `headers` as they are,
/// over a raw socket (HTTP clients normalize paths); returns the status
/// and the body.
async fn raw_request(url: &str, request_line: &str, headers: &[&str]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("the server accepts connections");
    let mut request = format!("{request_line}\r\nHost: {address}\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 30 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("{answer}"));
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Subscription {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Subscription {
    /// The next protocol message (pings are answered), or `{"type":
    /// "closed", "code": N}` when the server closed the socket.
    async fn message(&mut self) -> Value {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(60), self.socket.next())
                .await
                .expect("a message within a minute");
            match next {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ping" {
                        self.socket.send(Message::text(r#"{"type":"pong"}"#)).await.unwrap();
                        continue;
                    }
                    return value;
                }
                Some(Ok(Message::Close(frame))) => {
                    return json!({ "type": "closed", "code": frame.map(|f| u16::from(f.code)) });
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return json!({ "type": "closed", "code": null }),
            }
        }
    }
}

const ASSET_PAGE: &str = r#"query($key: String!) {
  asset(key: $key) {
    key group kind codeVersion staleStatus
    definition { sql }
    partitionsDefinition { kind }
    partitionStats { total materialized missing failed }
    partitionStatuses { start end count state }
    checks { name }
    upstream { key }
    downstream { key }
  }
}"#;

/// The selection grammar of the CLI, through the API: attributes, boolean
/// operators, graph operators on groups; a bad one names what is wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selections_use_dagster_attributes_and_boolean_operators() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);
    let keys = |data: &serde_json::Value| -> Vec<String> {
        data["assets"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap().to_owned()).collect()
    };
    let query = "query($s: String) { assets(selection: $s) { key group tags { key value } } }";
    let data = server.query(query, json!({ "s": "tag:team=analytics" })).await;
    assert_eq!(keys(&data), ["reports/delay_report"]);
    assert_eq!(data["assets"][0]["group"], "reporting");
    assert_eq!(
        data["assets"][0]["tags"],
        json!([{ "key": "format", "value": "markdown" }, { "key": "team", "value": "analytics" }])
    );
    let data = server.query(query, json!({ "s": "group:raw and not (raw/weather or raw/planes)" })).await;
    let mut selected = keys(&data);
    selected.sort();
    assert_eq!(selected, ["raw/airlines", "raw/airports", "raw/flights"]);
    let data = server.query(query, json!({ "s": "1+(kind:command) or sinks(*)" })).await;
    let mut selected = keys(&data);
    selected.sort();
    assert!(
        selected.contains(&"exports/carrier_delays".to_owned())
            && selected.contains(&"reports/delay_report".to_owned()),
        "{selected:?}"
    );
    let (code, message) = server.error_code(query, json!({ "s": "grop:raw" }), None).await;
    assert_eq!(code, "BAD_USER_INPUT", "{message}");
    assert!(message.contains("did you mean `group:`?"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_serve_assets_lineage_definitions_health_and_metrics() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);

    let data = server.query("{ assets { key kind staleStatus } definitions { project assetCount } }", json!({})).await;
    let assets = data["assets"].as_array().unwrap();
    assert_eq!(assets.len() as u64, data["definitions"]["assetCount"].as_u64().unwrap());
    assert_eq!(data["definitions"]["project"], "flights");
    let kinds: BTreeMap<&str, &str> =
        assets.iter().map(|a| (a["key"].as_str().unwrap(), a["kind"].as_str().unwrap())).collect();
    assert_eq!(kinds["raw/flights"], "SOURCE");
    assert_eq!(kinds["flights_daily"], "SQL");

    let page = server.query(ASSET_PAGE, json!({ "key": "flights_daily" })).await;
    let asset = &page["asset"];
    assert_eq!(asset["group"], "default", "a one-segment key is in Dagster's default group");
    assert_eq!(asset["staleStatus"], "MISSING");
    assert!(asset["definition"]["sql"].as_str().unwrap().to_lowercase().contains("select"));
    assert_eq!(asset["partitionStats"]["total"], 90);
    assert_eq!(asset["partitionStats"]["missing"], 90);
    // Ranges, not one row per key.
    assert_eq!(
        asset["partitionStatuses"],
        json!([{ "start": "2013-01-01", "end": "2013-03-31", "count": 90, "state": "MISSING" }])
    );
    let upstream: Vec<&str> =
        asset["upstream"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap()).collect();
    assert!(upstream.contains(&"raw/flights"), "{upstream:?}");

    // The subgraph around one asset: itself, one step up and down.
    let lineage = server
        .query(
            r#"{ lineage(selection: "flights_daily", depth: 1) { nodes { key kind group state } edges { from to } } }"#,
            json!({}),
        )
        .await;
    let nodes: Vec<&str> =
        lineage["lineage"]["nodes"].as_array().unwrap().iter().map(|n| n["key"].as_str().unwrap()).collect();
    assert!(nodes.contains(&"flights_daily") && nodes.contains(&"raw/flights"), "{nodes:?}");
    assert!(nodes.len() < assets.len(), "a subgraph, not the whole graph: {nodes:?}");
    let edges = lineage["lineage"]["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["from"] == "raw/flights" && e["to"] == "flights_daily"), "{edges:?}");
    for edge in edges {
        assert!(nodes.contains(&edge["from"].as_str().unwrap()) && nodes.contains(&edge["to"].as_str().unwrap()));
    }
    let whole = server.query("{ lineage { nodes { key } } }", json!({})).await;
    assert_eq!(whole["lineage"]["nodes"].as_array().unwrap().len(), assets.len());

    // Errors carry stable codes, and the closest name.
    let (code, message) = server.error_code(ASSET_PAGE, json!({ "key": "flights_daly" }), None).await;
    assert_eq!(code, "NOT_FOUND");
    assert!(message.contains("flights_daily"), "{message}");
    let (code, _) = server.error_code(r#"{ assets(selection: "+(") { key } }"#, json!({}), None).await;
    assert_eq!(code, "BAD_USER_INPUT");
    let (code, _) = server.error_code("{ assets { key ", json!({}), None).await;
    assert_eq!(code, "GRAPHQL_PARSE_FAILED");
    let (code, _) = server.error_code("{ assets { nope } }", json!({}), None).await;
    assert_eq!(code, "GRAPHQL_VALIDATION_FAILED");
    let deep = format!("{{ assets {{ {}key{} }} }}", "upstream { ".repeat(14), " }".repeat(14));
    let (code, _) = server.error_code(&deep, json!({}), None).await;
    assert_eq!(code, "QUERY_TOO_DEEP");
    let aliases: String = (0..40).map(|i| format!("a{i}: definitions {{ project }} ")).collect();
    let (code, _) = server.error_code(&format!("{{ {aliases} }}"), json!({}), None).await;
    assert_eq!(code, "QUERY_TOO_MANY_ALIASES");
    // A client of its own: the server closes this connection unread.
    let big = reqwest::Client::new()
        .post(format!("{}/graphql", server.url))
        .header("content-type", "application/json")
        .body(format!(r#"{{"query":"{}"}}"#, " ".repeat(2 << 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    let body: Value = big.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "REQUEST_TOO_LARGE");
    let text = serde_json::to_string(&body).unwrap();
    assert!(!text.contains("backtrace") && !text.contains(".rs:"), "{text}");

    let health = server.client.get(format!("{}/healthz", server.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let graphiql = server.client.get(format!("{}/graphql", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(graphiql.to_lowercase().contains("graphiql"), "{graphiql}");
    let metrics = server.client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("cairn_graphql_requests"), "{metrics}");
    assert!(metrics.contains("cairn_queue_depth 0"), "{metrics}");
}

/// Launches a week of `flights_daily` (with its sources) through the API,
/// follows `backfillProgress` over WebSocket to the end, and checks the
/// partitions, their provenance and the tagged runs.
async fn backfill_scenario(project: &Project) {
    let server = Server::start(project, &["--executors", "2"], None);
    let input = json!({
        "selection": "+flights_daily",
        "partitions": { "range": { "start": "2013-01-01", "end": "2013-01-07" } },
    });
    let preview = server
        .query(
            "query($input: BackfillInput!) { backfillPreview(input: $input) { total assets { asset count ranges { start end } } } }",
            json!({ "input": input }),
        )
        .await;
    let planned: BTreeMap<&str, u64> = preview["backfillPreview"]["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["asset"].as_str().unwrap(), a["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(planned["flights_daily"], 7, "{preview:#}");
    assert!(!planned.contains_key("flights_monthly"), "only the selection: {planned:?}");

    let launched = server
        .query(
            "mutation($input: BackfillInput!) { launchBackfill(input: $input) { id status } }",
            json!({ "input": input }),
        )
        .await;
    let id = launched["launchBackfill"]["id"].as_str().unwrap().to_owned();
    assert_eq!(launched["launchBackfill"]["status"], "REQUESTED");

    let mut progress = server
        .subscribe(
            "subscription($id: ID!) { backfillProgress(id: $id) { status counts { targeted materialized failed } } }",
            json!({ "id": id }),
            json!({}),
        )
        .await;
    let mut last = Value::Null;
    let started = Instant::now();
    loop {
        let message = progress.message().await;
        match message["type"].as_str() {
            Some("next") => last = message["payload"]["data"]["backfillProgress"].clone(),
            Some("complete") => break,
            other => panic!("unexpected {other:?}: {message}\n{}", server.log()),
        }
        assert!(started.elapsed() < Duration::from_secs(120), "backfill never ended: {last}\n{}", server.log());
    }
    assert_eq!(last["status"], "COMPLETED", "{last}\n{}", server.log());
    assert_eq!(last["counts"]["failed"], 0);
    assert!(last["counts"]["materialized"].as_u64().unwrap() >= 7, "{last}");

    let page = server.query(ASSET_PAGE, json!({ "key": "flights_daily" })).await;
    assert_eq!(
        page["asset"]["partitionStatuses"][0],
        json!({ "start": "2013-01-01", "end": "2013-01-07", "count": 7, "state": "MATERIALIZED" })
    );
    let history = server
        .query(
            r#"{ asset(key: "flights_daily") { materializations(partition: "2013-01-03") { nodes { runId partition rows dataVersion inputs { asset dataVersion } } } } }"#,
            json!({}),
        )
        .await;
    let nodes = history["asset"]["materializations"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{history:#}");
    assert!(nodes[0]["rows"].as_u64().unwrap() > 0);
    assert!(
        nodes[0]["inputs"].as_array().unwrap().iter().any(|i| i["asset"] == "raw/flights"),
        "provenance: {history:#}"
    );

    let runs = server
        .query(
            "query($origin: String) { runs(origin: $origin) { nodes { id status backfillId } } }",
            json!({ "origin": format!("backfill:{id}") }),
        )
        .await;
    let runs = runs["runs"]["nodes"].as_array().unwrap();
    assert!(!runs.is_empty());
    assert!(runs.iter().all(|r| r["backfillId"] == id.as_str() && r["status"] == "SUCCESS"), "{runs:?}");

    // Transitions are idempotent and say so.
    let cancel = "mutation($id: ID!) { cancelBackfill(id: $id) { changed message backfill { status } } }";
    let answer = server.query(cancel, json!({ "id": id })).await;
    assert_eq!(answer["cancelBackfill"]["changed"], false, "{answer}");
    assert_eq!(answer["cancelBackfill"]["backfill"]["status"], "COMPLETED");
    let retry = "mutation($id: ID!) { retryBackfill(id: $id) { changed message } }";
    let answer = server.query(retry, json!({ "id": id })).await;
    assert_eq!(answer["retryBackfill"]["changed"], false, "{answer}");
    assert!(!answer["retryBackfill"]["message"].as_str().unwrap().is_empty());
    let (code, _) = server.error_code(cancel, json!({ "id": "999999" }), None).await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_launched_over_http_is_followed_to_completion_over_websocket_on_sqlite() {
    backfill_scenario(&Project::flights()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_launched_over_http_is_followed_to_completion_over_websocket_on_postgresql() {
    let database = cairn_store::testing::TempPostgres::create().await;
    let mut project = Project::flights();
    project.database_url = Some(database.url().to_owned());
    backfill_scenario(&project).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_mutations_and_subscriptions_need_it_and_queries_do_not() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], Some("s3cret"));
    server.query("{ assets { key } }", json!({})).await;
    let mutation = r#"mutation { materialize(selection: "raw/airlines") { id status } }"#;
    let (code, _) = server.error_code(mutation, json!({}), None).await;
    assert_eq!(code, "UNAUTHENTICATED");
    let (code, _) = server.error_code(mutation, json!({}), Some("wrong")).await;
    assert_eq!(code, "UNAUTHENTICATED");
    let response = server.request(mutation, json!({}), Some("s3cret")).await;
    assert!(response.get("errors").is_none(), "{response}");
    assert!(response["data"]["materialize"]["id"].is_string(), "{response}");

    // Every mutation, without a token and with a wrong one; nothing happens.
    let id = response["data"]["materialize"]["id"].as_str().unwrap().to_owned();
    let mutations = [
        r#"mutation { launchBackfill(input: { selection: "raw/airlines", partitions: { all: true } }) { id } }"#,
        r#"mutation { cancelBackfill(id: "b-1") { changed } }"#,
        r#"mutation { retryBackfill(id: "b-1") { changed } }"#,
        r#"mutation { materialize(selection: "raw/airlines") { id } }"#,
        r#"mutation($id: ID!) { cancelRun(id: $id) { changed } }"#,
        "mutation { reloadDefinitions { reloaded } }",
        r#"mutation { pauseAutomation(asset: "raw/airlines") }"#,
        "mutation { resumeAutomation }",
    ];
    for mutation in mutations {
        for token in [None, Some("wrong"), Some("s3cre")] {
            let (code, message) = server.error_code(mutation, json!({ "id": id }), token).await;
            assert_eq!(code, "UNAUTHENTICATED", "{mutation} with {token:?}: {message}");
        }
    }
    let runs = server.query("{ runs { nodes { id status } } backfills { nodes { id } } }", json!({})).await;
    assert_eq!(runs["runs"]["nodes"].as_array().unwrap().len(), 1, "only the authorized materialize ran: {runs}");
    assert_ne!(runs["runs"]["nodes"][0]["status"], "CANCELED", "{runs}");
    assert_eq!(runs["backfills"]["nodes"], json!([]), "{runs}");

    // Every subscription, without a token and with a wrong one.
    let subscriptions = [
        format!(r#"subscription {{ runEvents(runId: "{id}") {{ kind }} }}"#),
        r#"subscription { backfillProgress(id: "b-1") { id } }"#.to_owned(),
        "subscription { assetEvents { kind asset } }".to_owned(),
    ];
    for subscription in &subscriptions {
        for init in [json!({}), json!({ "Authorization": "Bearer wrong" })] {
            let mut refused = server.subscribe(subscription, json!({}), init.clone()).await;
            let answer = refused.message().await;
            assert_ne!(answer["type"], "connection_ack", "{subscription} with {init}: {answer}");
            assert_ne!(answer["type"], "next", "{subscription} with {init}: {answer}");
        }
    }
    let subscription = "subscription { assetEvents { kind asset } }";
    let mut accepted = server.subscribe(subscription, json!({}), json!({ "Authorization": "Bearer s3cret" })).await;
    // Accepted: nothing happens, so the next message is the server's ping or
    // nothing; a refused one closes at once. Check the socket is open by
    // completing the subscription ourselves.
    accepted.socket.send(Message::text(r#"{"id":"1","type":"complete"}"#)).await.unwrap();
    accepted.socket.send(Message::text(r#"{"type":"ping"}"#)).await.unwrap();
    let mut answer = accepted.message().await;
    if answer["type"] == "complete" {
        answer = accepted.message().await;
    }
    assert_eq!(answer["type"], "pong", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_invalid_definitions_keeps_the_previous_ones_and_returns_diagnostics() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);
    let before = server.query("{ assets { key } }", json!({})).await["assets"].as_array().unwrap().len();
    project.edit("assets/daily.yaml", "key: flights_daily", "key: flights_daily\n    partitions: [unclosed");
    let reload = "mutation { reloadDefinitions { reloaded diagnostics { severity file line column message } } }";
    let answer = server.query(reload, json!({})).await;
    assert_eq!(answer["reloadDefinitions"]["reloaded"], false, "{answer:#}");
    let diagnostic = &answer["reloadDefinitions"]["diagnostics"][0];
    assert_eq!(diagnostic["severity"], "error");
    assert!(diagnostic["file"].as_str().unwrap().ends_with("daily.yaml"), "{diagnostic}");
    assert!(diagnostic["line"].as_u64().unwrap() > 0 && diagnostic["column"].as_u64().unwrap() > 0, "{diagnostic}");
    // The previous definitions still serve.
    let after = server.query("{ assets { key } }", json!({})).await["assets"].as_array().unwrap().len();
    assert_eq!(after, before);
    project.edit("assets/daily.yaml", "\n    partitions: [unclosed", "");
    std::fs::write(project.path("assets/extra.yaml"), "assets:\n  - key: extra/answer\n    sql: SELECT 42 AS answer\n")
        .unwrap();
    let answer = server.query(reload, json!({})).await;
    assert_eq!(answer["reloadDefinitions"]["reloaded"], true, "{answer:#}");
    let after = server.query("{ assets { key } }", json!({})).await["assets"].as_array().unwrap().len();
    assert_eq!(after, before + 1);
}

/// SIGKILL of the server in the middle of a backfill of 180 asset
/// partitions, then a restart: the backfill completes, and every partition
/// was materialized exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_survives_sigkill_of_the_server_and_no_partition_is_redone() {
    let project = Project::flights();
    let server = Server::start(&project, &["--executors", "2"], None);
    let launched = server
        .query(
            r#"mutation { launchBackfill(input: { selection: "+flights_weather_daily", partitions: { all: true } }) { id } }"#,
            json!({}),
        )
        .await;
    let id = launched["launchBackfill"]["id"].as_str().unwrap().to_owned();
    let progress =
        "query($id: ID!) { backfill(id: $id) { status counts { targeted materialized failed inProgress } } }";
    let started = Instant::now();
    loop {
        let data = server.query(progress, json!({ "id": id })).await;
        let materialized = data["backfill"]["counts"]["materialized"].as_u64().unwrap();
        if materialized >= 20 {
            assert_ne!(data["backfill"]["status"], "COMPLETED", "killed too late to test anything: {data}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{data}\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut server = server;
    // SIGKILL: no shutdown, leases left behind.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);

    let server = Server::start(&project, &["--executors", "2", "--lease", "3s"], None);
    let started = Instant::now();
    let done = loop {
        let data = server.query(progress, json!({ "id": id })).await;
        if data["backfill"]["status"] != "REQUESTED" {
            break data;
        }
        assert!(started.elapsed() < Duration::from_secs(180), "{data}\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done["backfill"]["status"], "COMPLETED", "{done}\n{}", server.log());
    assert_eq!(done["backfill"]["counts"]["failed"], 0);
    for asset in ["flights_daily", "flights_weather_daily"] {
        let history = server
            .query(
                "query($key: String!) { asset(key: $key) { partitionStats { total materialized } materializations(first: 500) { nodes { partition } pageInfo { hasNextPage } } } }",
                json!({ "key": asset }),
            )
            .await;
        let stats = &history["asset"]["partitionStats"];
        assert_eq!(stats["materialized"], stats["total"], "{asset}: {stats}");
        let mut per_partition: BTreeMap<String, usize> = BTreeMap::new();
        for node in history["asset"]["materializations"]["nodes"].as_array().unwrap() {
            *per_partition.entry(node["partition"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        assert_eq!(per_partition.len(), 90, "{asset}");
        let redone: Vec<_> = per_partition.iter().filter(|(_, n)| **n > 1).collect();
        assert!(redone.is_empty(), "{asset}: materialized more than once: {redone:?}");
    }
    // The restarted server's asset-state index (loaded from the store's
    // current state, then advanced from the event log) agrees with a
    // recomputation from scratch: `cairn status` of the same store.
    let lineage = server
        .query("{ lineage { nodes { key staleStatus partitionStats { total materialized missing } } } }", json!({}))
        .await;
    let status = project.json(&["status", "--json"]);
    let recomputed: BTreeMap<&str, &Value> =
        status.as_array().unwrap().iter().map(|a| (a["asset"].as_str().unwrap(), a)).collect();
    let nodes = lineage["lineage"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), recomputed.len(), "{lineage}");
    for node in nodes {
        let key = node["key"].as_str().unwrap();
        let expected = recomputed[key];
        assert_eq!(
            node["staleStatus"].as_str().unwrap().to_lowercase(),
            expected["state"],
            "{key}: {node} vs {expected}"
        );
        if let Some(partitions) = expected["partitions"].as_object() {
            let stats = &node["partitionStats"];
            for field in ["total", "materialized", "missing"] {
                assert_eq!(stats[field], partitions[field], "{key} {field}: {node} vs {expected}");
            }
        }
    }
    // No partition is half-written: every recorded file exists (what the
    // killed server had staged is `cairn gc`'s, tested in runs.rs).
    for file in project.files("flights_daily").values() {
        assert!(file.exists(), "{}", file.display());
    }
}

/// Golden responses (insta) of the example's main queries, after a backfill
/// of a week of `flights_daily`, and of the errors a client can cause:
/// times, durations, sizes and data versions filtered, ids stable on a
/// fresh store. A change to the API's answers shows up as a snapshot diff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_responses_of_the_example() {
    let project = Project::flights();
    let server = Server::start(&project, &["--executors", "2"], None);
    let launched = server
        .query(
            r#"mutation { launchBackfill(input: { selection: "+flights_daily", partitions: { range: { start: "2013-01-01", end: "2013-01-07" } } }) { id status selection partitions onlyMissingOrFailed } }"#,
            json!({}),
        )
        .await;
    let id = launched["launchBackfill"]["id"].as_str().unwrap().to_owned();
    let backfill = r#"query($id: ID!) { backfill(id: $id) {
        id status selection assets partitions onlyMissingOrFailed onlyStale retryOf blocked error
        counts { targeted queued inProgress materialized failed skipped upToDate canceled }
        assetProgress { asset counts { targeted materialized } ranges { start end count status } }
    } }"#;
    let started = Instant::now();
    let done = loop {
        let data = server.query(backfill, json!({ "id": id })).await;
        if data["backfill"]["status"] != "REQUESTED" {
            break data;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{data}\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let page = server.query(ASSET_PAGE, json!({ "key": "flights_daily" })).await;
    let lineage = server
        .query(
            r#"{ lineage(selection: "+flights_daily+") { nodes { key kind group state } edges { from to } } }"#,
            json!({}),
        )
        .await;
    lineage_paths_agree(&server).await;
    // The graph's failing checks agree with each asset's checks; the
    // example's warn check on delays_by_route fires on the real data.
    let checks = server
        .query(
            r#"{ lineage(selection: "+flights_daily+") { nodes { key failingErrorChecks failingWarnChecks } }
                 assets(selection: "+flights_daily+") { key checks { severity failed } } }"#,
            json!({}),
        )
        .await;
    let failing: BTreeMap<&str, (i64, i64)> = checks["lineage"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let count = |field: &str| n[field].as_i64().unwrap();
            (n["key"].as_str().unwrap(), (count("failingErrorChecks"), count("failingWarnChecks")))
        })
        .collect();
    for asset in checks["assets"].as_array().unwrap() {
        let failed = |severity: &str| {
            let list = asset["checks"].as_array().unwrap();
            list.iter().filter(|c| c["severity"] == severity && c["failed"].as_i64().unwrap() > 0).count() as i64
        };
        let key = asset["key"].as_str().unwrap();
        assert_eq!(failing[key], (failed("ERROR"), failed("WARN")), "{key}: {checks}");
    }
    let history = server
        .query(
            r#"{ asset(key: "flights_daily") { materializations(partition: "2013-01-03") { nodes { partition rows codeVersion inputs { asset partition } } } } }"#,
            json!({}),
        )
        .await;
    let mut errors = BTreeMap::new();
    for (name, query) in [
        ("unknown asset", r#"{ asset(key: "flights_daly") { key } }"#),
        ("bad selection", r#"{ assets(selection: "+(") { key } }"#),
        (
            "reversed range",
            r#"{ backfillPreview(input: { selection: "flights_daily", partitions: { range: { start: "2013-02-01", end: "2013-01-01" } } }) { total } }"#,
        ),
        (
            "outside the partitions",
            r#"{ backfillPreview(input: { selection: "flights_daily", partitions: { range: { start: "2012-01-01", end: "2012-01-05" } } }) { total } }"#,
        ),
        ("unknown backfill", r#"mutation { cancelBackfill(id: "999") { changed } }"#),
        ("unknown run", r#"{ run(id: "999") { id } }"#),
        ("not a run id", r#"{ run(id: "yesterday") { id } }"#),
    ] {
        let response = server.request(query, json!({}), None).await;
        let error = &response["errors"][0];
        errors.insert(name, json!({ "code": error["extensions"]["code"], "message": error["message"] }));
    }
    // async-graphql orders an object's fields by when they resolved.
    insta::with_settings!({
        sort_maps => true,
        filters => vec![
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "[time]"),
            (r#""(dataVersion|durationMs|bytes)": ("[^"]*"|\d+)"#, r#""$1": "[filtered]""#),
        ],
    }, {
        insta::assert_json_snapshot!("backfill_of_a_week", done);
        insta::assert_json_snapshot!("asset_page_after_the_backfill", page);
        insta::assert_json_snapshot!("lineage_around_flights_daily", lineage);
        insta::assert_json_snapshot!("provenance_of_one_partition", history);
        insta::assert_json_snapshot!("errors", errors);
    });
}

/// Over the complexity limit (5,000 fields), within the depth and alias
/// limits: refused with `QUERY_TOO_COMPLEX`, before anything runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_complex_query_is_refused_with_its_code() {
    let project = Project::flights();
    let server = Server::start(&project, &["--no-executor"], None);
    let fields = "key kind staleStatus ".repeat(2_000);
    let (code, message) = server.error_code(&format!("{{ assets {{ {fields} }} }}"), json!({}), None).await;
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    let fine = server.query("{ assets { key kind staleStatus } }", json!({})).await;
    assert!(!fine["assets"].as_array().unwrap().is_empty());
}

/// `materialize` (an ad-hoc run) followed over `runEvents` to its end and
/// over `assetEvents`; a client that reconnects with its last cursor gets
/// exactly the events after it; `runs(status)` finds the run; cancelling
/// the finished run changes nothing and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ad_hoc_run_is_followed_over_run_events_and_asset_events() {
    let project = Project::flights();
    let server = Server::start(&project, &["--executors", "2"], None);
    let mut asset_events = server
        .subscribe(
            r#"subscription { assetEvents(selection: "flights_daily", after: "0") { cursor kind asset partition runId } }"#,
            json!({}),
            json!({}),
        )
        .await;
    // From the start of this new store's event log (cursor 0), so nothing
    // depends on when the subscription reads the log's head.
    let launched = server
        .query(
            r#"mutation { materialize(selection: "+flights_daily", partitions: { keys: ["2013-01-02"] }) { id status origin } }"#,
            json!({}),
        )
        .await;
    let run = launched["materialize"]["id"].as_str().unwrap().to_owned();
    assert!(run.starts_with("r-"), "runs have the CLI's ids: {run}");
    assert_eq!(launched["materialize"]["origin"], "api");

    let events_after = |after: Value| {
        let (server, run) = (&server, run.clone());
        async move {
            let messages = server.run_event_messages(&run, after, "cursor kind runId asset partition").await;
            messages
                .into_iter()
                .map(|message| match message["type"].as_str() {
                    Some("next") => message["payload"]["data"]["runEvents"].clone(),
                    other => panic!("unexpected {other:?}: {message}\n{}", server.log()),
                })
                .collect::<Vec<Value>>()
        }
    };
    let events = events_after(Value::Null).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"RUN_ENQUEUED"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"RUN_SUCCESS"), "{kinds:?}");
    assert!(
        events.iter().any(|e| e["kind"] == "ASSET_MATERIALIZATION"
            && e["asset"] == "flights_daily"
            && e["partition"] == "2013-01-02"),
        "{events:#?}"
    );
    assert!(events.iter().all(|e| e["runId"] == run.as_str()), "{events:#?}");
    // Reconnecting after the third event: exactly the rest, in order.
    let rest = events_after(events[2]["cursor"].clone()).await;
    assert_eq!(rest, events[3..].to_vec());

    // The asset's materialization arrives on assetEvents.
    let materialized = loop {
        let message = asset_events.message().await;
        assert_eq!(message["type"], "next", "{message}");
        let event = message["payload"]["data"]["assetEvents"].clone();
        assert_eq!(event["asset"], "flights_daily", "only the selection: {event}");
        if event["kind"] == "ASSET_MATERIALIZATION" {
            break event;
        }
    };
    assert_eq!(materialized["partition"], "2013-01-02");
    assert_eq!(materialized["runId"], run.as_str());
    // A query issued right after the message already reflects it.
    let statuses =
        server.query(r#"{ asset(key: "flights_daily") { partitionStatuses { start end state } } }"#, json!({})).await;
    let day = statuses["asset"]["partitionStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["start"].as_str().unwrap() <= "2013-01-02" && r["end"].as_str().unwrap() >= "2013-01-02")
        .cloned()
        .unwrap_or_else(|| panic!("no range holds 2013-01-02: {statuses}"));
    assert!(["MATERIALIZED", "STALE"].contains(&day["state"].as_str().unwrap()), "{day}");

    let listed = server.query("{ runs(status: [SUCCESS]) { nodes { id status } } }", json!({})).await;
    assert!(listed["runs"]["nodes"].as_array().unwrap().iter().any(|r| r["id"] == run.as_str()), "{listed}");
    let none = server.query("{ runs(status: [FAILURE]) { nodes { id } } }", json!({})).await;
    assert_eq!(none["runs"]["nodes"], json!([]));
    let dated = server
        .query(
            r#"{ before: runs(asset: "flights_daily", createdBefore: "2100-01-01T00:00:00Z") { nodes { id } }
                 after: runs(createdAfter: "2100-01-01T00:00:00Z") { nodes { id } }
                 other: runs(asset: "flights_monthly") { nodes { id } } }"#,
            json!({}),
        )
        .await;
    assert!(dated["before"]["nodes"].as_array().unwrap().iter().any(|r| r["id"] == run.as_str()), "{dated}");
    assert_eq!(dated["after"]["nodes"], json!([]), "{dated}");
    assert!(!dated["other"]["nodes"].as_array().unwrap().iter().any(|r| r["id"] == run.as_str()), "{dated}");
    let answer = server
        .query("mutation($id: ID!) { cancelRun(id: $id) { changed message run { status } } }", json!({ "id": run }))
        .await;
    assert_eq!(answer["cancelRun"]["changed"], false, "{answer}");
    assert_eq!(answer["cancelRun"]["run"]["status"], "SUCCESS");
    // The bare number names the same run.
    let bare = run.trim_start_matches("r-");
    let same = server.query("query($id: ID!) { run(id: $id) { id } }", json!({ "id": bare })).await;
    assert_eq!(same["run"]["id"], run.as_str());
}

/// The lineage's lists answer a plain selection in one pass of their own
/// and anything else through async-graphql (api/server/src/graphql/flat.rs):
/// both give the same answer, aliases included.
async fn lineage_paths_agree(server: &Server) {
    const FIELDS: &str = "key kind group staleStatus state freshness \
                          partitionStats { total materialized stale failed materializing missing }";
    let plain = server.query(&format!("{{ lineage {{ nodes {{ {FIELDS} }} edges {{ from to }} }} }}"), json!({})).await;
    let nodes = plain["lineage"]["nodes"].as_array().unwrap();
    assert!(nodes.len() > 5, "{plain}");
    let states: BTreeSet<&str> = nodes.iter().map(|n| n["state"].as_str().unwrap()).collect();
    assert!(states.len() > 1, "the comparison needs nodes in several states: {states:?}");
    assert!(nodes.iter().any(|n| !n["freshness"].is_null()) && nodes.iter().any(|n| n["freshness"].is_null()));
    for through_async_graphql in [
        format!(
            "query {{ lineage {{ nodes {{ ...node }} edges {{ ... on LineageEdge {{ from to }} }} }} }} fragment node on LineageNode {{ {FIELDS} }}"
        ),
        format!("{{ lineage {{ nodes {{ {FIELDS} __typename }} edges {{ from to @include(if: true) }} }} }}"),
    ] {
        let mut other = server.query(&through_async_graphql, json!({})).await;
        for node in other["lineage"]["nodes"].as_array_mut().unwrap() {
            node.as_object_mut().unwrap().remove("__typename");
        }
        assert_eq!(other, plain, "{through_async_graphql}");
    }
    let aliased = server
        .query("{ lineage { n: nodes { k: key s: state p: partitionStats { m: materialized } } } }", json!({}))
        .await;
    let expected: Vec<_> = nodes
        .iter()
        .map(|n| {
            let stats = &n["partitionStats"];
            let p = if stats.is_null() { Value::Null } else { json!({ "m": stats["materialized"] }) };
            json!({ "k": n["key"], "s": n["state"], "p": p })
        })
        .collect();
    assert_eq!(aliased["lineage"]["n"], json!(expected));
}

/// The deployment page's query: executors of other processes (two `cairn
/// worker`s) with heartbeats that advance; one stopped with SIGTERM says
/// so, one killed with SIGKILL is LOST once its lease has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployment_lists_workers_with_their_heartbeats_and_ends() {
    let project = Project::flights();
    let yaml = project.path("cairn.yaml");
    let settings = std::fs::read_to_string(&yaml).unwrap() + "executor: { lease: 1s, heartbeat: 200ms }\n";
    std::fs::write(&yaml, settings).unwrap();
    let server = Server::start(&project, &["--no-executor"], None);
    let query = "{ deployment { storeBackend storeUrl serverExecutorConcurrency backfillDaemonIntervalMs \
                 definitions { project } executors { id host pid runId concurrency leaseMs heartbeatAt stoppedAt status runningSteps } } }";
    let deployment = server.query(query, json!({})).await;
    assert_eq!(deployment["deployment"]["storeBackend"], "sqlite");
    assert!(deployment["deployment"]["storeUrl"].as_str().unwrap().starts_with("sqlite://"));
    assert_eq!(deployment["deployment"]["serverExecutorConcurrency"], Value::Null, "--no-executor");
    assert_eq!(deployment["deployment"]["definitions"]["project"], "flights");
    // The backfill daemon runs (even with --no-executor: workers execute
    // what it launches) and counts what it launched.
    server
        .query(r#"mutation { launchBackfill(input: { selection: "flights_daily", partitions: { keys: ["2013-01-02"] } }) { id } }"#, json!({}))
        .await;
    let daemon = "{ deployment { backfillDaemonLastPassAt backfillDaemonError backfillDaemonLaunched } }";
    let waited = std::time::Instant::now();
    loop {
        let status = server.query(daemon, json!({})).await;
        let status = &status["deployment"];
        assert_eq!(status["backfillDaemonError"], Value::Null, "{status}");
        if status["backfillDaemonLaunched"] == 1 {
            assert!(status["backfillDaemonLastPassAt"].is_string(), "{status}");
            break;
        }
        assert!(waited.elapsed() < Duration::from_secs(30), "the daemon never launched the backfill: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut killed = project.spawn(&["worker", "-j", "2"]);
    let mut stopped = project.spawn(&["worker", "-j", "1"]);
    let executors = |deployment: &Value| -> BTreeMap<i64, Value> {
        let list = deployment["deployment"]["executors"].as_array().unwrap().clone();
        list.into_iter().map(|e| (e["pid"].as_i64().unwrap(), e)).collect()
    };
    let (killed_pid, stopped_pid) = (i64::from(killed.id()), i64::from(stopped.id()));
    let mut first_beats = BTreeMap::new();
    let started = std::time::Instant::now();
    // Both register and renew their heartbeat (every 200 ms).
    loop {
        let seen = executors(&server.query(query, json!({})).await);
        let running: Vec<&Value> = [killed_pid, stopped_pid].iter().filter_map(|pid| seen.get(pid)).collect();
        if running.len() == 2 {
            for executor in &running {
                assert_eq!(executor["status"], "RUNNING", "{executor}");
                assert_eq!(executor["runId"], Value::Null, "a worker executes every run");
                assert_eq!(executor["leaseMs"], 1000);
                // The backfill's steps may be running on either now.
                let running_steps = executor["runningSteps"].as_i64().unwrap();
                assert!((0..=executor["concurrency"].as_i64().unwrap()).contains(&running_steps), "{executor}");
                let pid = executor["pid"].as_i64().unwrap();
                let beat = executor["heartbeatAt"].as_str().unwrap().to_owned();
                first_beats.entry(pid).or_insert(beat);
            }
            let advanced =
                running.iter().all(|e| e["heartbeatAt"].as_str().unwrap() != first_beats[&e["pid"].as_i64().unwrap()]);
            if advanced {
                assert_eq!(seen[&killed_pid]["concurrency"], 2);
                assert_eq!(seen[&stopped_pid]["concurrency"], 1);
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the workers' heartbeats did not advance: {seen:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    killed.kill().unwrap(); // SIGKILL: it cannot say it stopped
    killed.wait().unwrap();
    let sent = Command::new("kill").args(["-TERM", &stopped.id().to_string()]).status().unwrap();
    assert!(sent.success());
    assert!(stopped.wait().unwrap().success(), "a worker stops cleanly on SIGTERM");
    let started = std::time::Instant::now();
    loop {
        let seen = executors(&server.query(query, json!({})).await);
        let (lost, ended) = (&seen[&killed_pid], &seen[&stopped_pid]);
        assert_eq!(ended["status"], "STOPPED", "{ended}");
        assert!(ended["stoppedAt"].is_string(), "{ended}");
        if lost["status"] == "LOST" {
            assert_eq!(lost["stoppedAt"], Value::Null);
            break;
        }
        assert_eq!(lost["status"], "RUNNING", "until its lease passes: {lost}");
        assert!(started.elapsed() < Duration::from_secs(10), "the killed worker never became LOST: {lost}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, message) = server.error_code("{ deployment(hours: 0) { storeBackend } }", json!({}), None).await;
    assert_eq!(code, "BAD_USER_INPUT", "{message}");
}

/// The lineage graph says which checks fail on each node, by severity: a
/// firing warn check (published data) and a failing error check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lineage_nodes_count_their_failing_checks_by_severity() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        "name: checks\nassets:\n\
         \x20 - key: warned\n    sql: SELECT 1 AS x\n    checks:\n\
         \x20     - { name: never_one, severity: warn, sql: \"SELECT * FROM warned WHERE x = 1\" }\n\
         \x20     - unique: [x]\n\
         \x20 - key: blocked\n    sql: SELECT x FROM warned\n    checks:\n\
         \x20     - row_count: { min: 5 }\n\
         \x20     - { name: also_warns, severity: warn, sql: \"SELECT * FROM blocked\" }\n",
    )
    .unwrap();
    let project = Project { dir, database_url: None };
    project.expect(&["materialize"], 1);
    let server = Server::start(&project, &["--no-executor"], None);
    let data =
        server.query("{ lineage { nodes { key state failingErrorChecks failingWarnChecks } } }", json!({})).await;
    let nodes: BTreeMap<&str, &Value> =
        data["lineage"]["nodes"].as_array().unwrap().iter().map(|n| (n["key"].as_str().unwrap(), n)).collect();
    let counts = |key: &str| (nodes[key]["failingErrorChecks"].as_i64(), nodes[key]["failingWarnChecks"].as_i64());
    assert_eq!(counts("warned"), (Some(0), Some(1)), "{data}");
    assert_eq!(nodes["warned"]["state"], "FRESH", "a firing warn check publishes the data: {data}");
    assert_eq!(counts("blocked"), (Some(1), Some(1)), "{data}");
    assert_eq!(nodes["blocked"]["state"], "FAILED", "{data}");
}

/// A run's steps say their place in the plan and what they waited for,
/// with their times: the run timeline (and its critical path) in the UI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_steps_say_what_they_waited_for_and_when_they_ran() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        "name: chain\nassets:\n\
         \x20 - key: a\n    sql: SELECT 1 AS x\n\
         \x20 - key: b\n    sql: SELECT x FROM a\n\
         \x20 - key: c\n    sql: SELECT x FROM a\n\
         \x20 - key: d\n    sql: SELECT b.x FROM b JOIN c ON b.x = c.x\n",
    )
    .unwrap();
    let project = Project { dir, database_url: None };
    let server = Server::start(&project, &["--executors", "2"], None);
    let run = server.query("mutation { materialize { id } }", json!({})).await;
    let id = run["materialize"]["id"].as_str().unwrap().to_owned();
    let query = "query($id: ID!) { run(id: $id) { status steps { nodes { position waitsFor asset status startedAt finishedAt } } } }";
    let started = Instant::now();
    let data = loop {
        let data = server.query(query, json!({ "id": id })).await;
        if data["run"]["status"] == "SUCCESS" {
            break data;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{data}\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let steps = data["run"]["steps"]["nodes"].as_array().unwrap();
    let by_position: BTreeMap<i64, &Value> = steps.iter().map(|s| (s["position"].as_i64().unwrap(), s)).collect();
    let asset = |position: &Value| by_position[&position.as_i64().unwrap()]["asset"].as_str().unwrap();
    let waits: BTreeMap<&str, BTreeSet<&str>> = steps
        .iter()
        .map(|s| (s["asset"].as_str().unwrap(), s["waitsFor"].as_array().unwrap().iter().map(asset).collect()))
        .collect();
    let expected: BTreeMap<&str, BTreeSet<&str>> = [
        ("a", BTreeSet::new()),
        ("b", BTreeSet::from(["a"])),
        ("c", BTreeSet::from(["a"])),
        ("d", BTreeSet::from(["b", "c"])),
    ]
    .into();
    assert_eq!(waits, expected, "{data}");
    // Each step started after the steps it waited for had finished.
    let time = |step: &Value, field: &str| chrono::DateTime::parse_from_rfc3339(step[field].as_str().unwrap()).unwrap();
    for step in steps {
        for upstream in step["waitsFor"].as_array().unwrap() {
            let upstream = by_position[&upstream.as_i64().unwrap()];
            assert!(time(upstream, "finishedAt") <= time(step, "startedAt"), "{upstream} then {step}");
        }
    }
}

/// `cairn gc` prunes the event log and old runs' steps under a running
/// server (`retention:` set to keep nothing): every answer the UI reads
/// about assets stays the same, and a subscription resuming from a pruned
/// cursor is told to resync (`CURSOR_PRUNED`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_prunes_under_a_running_server_and_a_pruned_cursor_must_resync() {
    let project = Project::flights();
    let yaml = std::fs::read_to_string(project.path("cairn.yaml")).unwrap();
    std::fs::write(
        project.path("cairn.yaml"),
        format!("{yaml}\nretention:\n  events: 0s\n  run_steps: 0s\n  superseded_materializations: 0s\n"),
    )
    .unwrap();
    let server = Server::start(&project, &["--executors", "2"], None);
    let launched = server
        .query(
            r#"mutation { materialize(selection: "+flights_daily", partitions: { keys: ["2013-01-02"] }) { id } }"#,
            json!({}),
        )
        .await;
    let run = launched["materialize"]["id"].as_str().unwrap().to_owned();
    let run_events = |after: Value| server.run_event_messages(&run, after, "cursor kind");
    let events = run_events(Value::Null).await;
    assert_eq!(events.last().unwrap()["payload"]["data"]["runEvents"]["kind"], "RUN_SUCCESS", "{events:#?}");
    let early = events[2]["payload"]["data"]["runEvents"]["cursor"].clone();

    const SEEN: &str = r#"{ lineage { nodes { key staleStatus state partitionStats { total materialized stale failed missing } } }
        asset(key: "flights_daily") { partitionStatuses { start end state } latestMaterialization { id dataVersion } } }"#;
    let before = server.query(SEEN, json!({})).await;
    let out = project.expect(&["gc"], 0);
    let pruned: u64 = out
        .split("pruned ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of pruned events: {out}"));
    assert!(pruned >= events.len() as u64, "every event of the run is older than 0s: {out}");
    assert_eq!(server.query(SEEN, json!({})).await, before, "pruning changes nothing the UI shows of assets");

    // Resuming from a pruned cursor: told to resync, with its code.
    let resumed = run_events(early.clone()).await;
    let error = resumed
        .iter()
        .find_map(|m| m["payload"]["errors"].get(0).or_else(|| m["payload"].get(0)))
        .unwrap_or_else(|| panic!("no error: {resumed:#?}"));
    assert_eq!(error["extensions"]["code"], "CURSOR_PRUNED", "{resumed:#?}");
    assert!(error["message"].as_str().unwrap().contains("resume from a newer cursor"), "{error}");
    let code = server
        .error_code(
            "query($id: ID!, $after: String) { run(id: $id) { events(after: $after) { nodes { cursor } } } }",
            json!({ "id": run, "after": early }),
            None,
        )
        .await;
    assert_eq!(code.0, "CURSOR_PRUNED", "{}", code.1);
    // The run itself is kept, without its steps.
    let kept =
        server.query("query($id: ID!) { run(id: $id) { status steps { nodes { id } } } }", json!({ "id": run })).await;
    assert_eq!(kept["run"]["status"], "SUCCESS");
    assert_eq!(kept["run"]["steps"]["nodes"], json!([]));
}

/// The nice value of each of `pid`'s threads, by thread name
/// (`/proc/PID/task/TID/stat`: the name in parentheses, then the fields,
/// the nice value the 19th).
fn thread_nice_values(pid: u32) -> Vec<(String, i64)> {
    let mut threads = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = stat[open + 1..close].to_owned();
        // After the name: state (field 3) ... nice (field 19).
        let nice = stat[close + 1..].split_whitespace().nth(16).and_then(|n| n.parse().ok()).unwrap();
        threads.push((name, nice));
    }
    threads
}

/// The server's executor runs at a lower CPU priority than the threads
/// answering HTTP, so requests do not wait behind a backfill's steps: a
/// real `cairn serve`, its threads read from `/proc` while a run executes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_executor_runs_at_a_lower_cpu_priority_than_the_api() {
    let project = Project::flights();
    let server = Server::start(&project, &["--executors", "2"], None);
    server
        .query(
            r#"mutation { materialize(selection: "+flights_daily", partitions: { keys: ["2013-01-02"] }) { id } }"#,
            json!({}),
        )
        .await;
    let threads = thread_nice_values(server.child.id());
    let execution: Vec<i64> =
        threads.iter().filter(|(name, _)| name == "cairn-execution").map(|(_, nice)| *nice).collect();
    let http: Vec<i64> = threads.iter().filter(|(name, _)| name == "tokio-rt-worker").map(|(_, nice)| *nice).collect();
    assert!(!execution.is_empty() && !http.is_empty(), "threads: {threads:?}");
    assert!(execution.iter().all(|nice| *nice == 10), "execution threads: {threads:?}");
    assert!(http.iter().all(|nice| *nice == 0), "HTTP threads: {threads:?}");
}
