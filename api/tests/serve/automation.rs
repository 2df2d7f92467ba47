//! Declarative automation in a real `cairn serve` (ticks every second):
//! eager assets are materialized with no command typed, a changed source
//! file flows downstream exactly once, nothing is requested again while
//! nothing changes (also across a SIGKILL and restart), pausing stops it,
//! and `cairn automation why` explains each decision.

use std::time::{Duration, Instant};

use serde_json::json;

use super::Server;
use super::support::Project;

/// A source CSV, an eager SQL asset reading it and an eager SQL asset
/// reading that one; automation ticks every second.
fn eager_project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/raw.csv"), "id,amount\n1,10\n2,20\n").unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        "name: eager\n\
         automation:\n  tick_interval: 1s\n\
         assets:\n\
         \x20 - key: raw\n    source: { path: data/raw.csv }\n\
         \x20 - key: clean\n    sql: SELECT id, amount FROM raw WHERE amount > 0\n    automation: { condition: eager }\n\
         \x20 - key: total\n    sql: SELECT count(*) AS n, sum(amount) AS amount FROM clean\n    automation: { condition: eager }\n",
    )
    .unwrap();
    Project { dir, database_url: None }
}

/// The automation runs, oldest first: (id, status, partition text).
async fn automation_runs(server: &Server) -> Vec<(String, String)> {
    let data = server.query(r#"{ runs(origin: "automation", first: 100) { nodes { id status } } }"#, json!({})).await;
    let mut runs: Vec<(String, String)> = data["runs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| (run["id"].as_str().unwrap().to_owned(), run["status"].as_str().unwrap().to_owned()))
        .collect();
    runs.reverse();
    runs
}

/// Waits until `count` automation runs exist and all succeeded.
async fn wait_for_runs(server: &Server, count: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let runs = automation_runs(server).await;
        if runs.len() >= count && runs.iter().all(|(_, status)| status == "SUCCESS") {
            return runs;
        }
        assert!(Instant::now() < deadline, "waited for {count} successful automation runs: {runs:?}\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The tick count the log shows, to wait for ticks without sleeping for
/// a guessed time.
async fn wait_for_ticks(server: &Server, ticks: usize) {
    let count = |log: &str| log.matches("automation tick").count();
    let start = count(&server.log());
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&server.log()) < start + ticks {
        assert!(Instant::now() < deadline, "no automation ticks:\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eager_automation_keeps_a_project_up_to_date_with_no_command_typed() {
    let project = eager_project();
    let server = Server::start(&project, &["-v"], None);

    // Both missing: `clean` first, then `total` once `clean` exists.
    let runs = wait_for_runs(&server, 2).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    let why = project.expect(&["automation", "why", "total"], 0);
    assert!(why.contains("`total`: automation `eager`"), "{why}");
    assert!(why.contains("requested in run"), "{why}");

    // Nothing changes: ticks request nothing more.
    wait_for_ticks(&server, 3).await;
    assert_eq!(automation_runs(&server).await.len(), 2);
    let why = project.expect(&["automation", "why", "clean"], 0);
    assert!(
        why.contains("not requested:\n  (unpartitioned): materialized; no upstream partition it reads has new data"),
        "{why}"
    );
    assert!(why.contains("any_deps_updated"), "{why}");

    // A changed source file flows downstream: `clean`, then `total`, once each.
    std::fs::write(project.path("data/raw.csv"), "id,amount\n1,10\n2,20\n3,30\n").unwrap();
    let runs = wait_for_runs(&server, 4).await;
    wait_for_ticks(&server, 3).await;
    assert_eq!(automation_runs(&server).await.len(), 4, "{runs:?}");
    let states = project.states();
    assert_eq!(states.get("clean").map(String::as_str), Some("fresh"), "{states:?}");
    assert_eq!(states.get("total").map(String::as_str), Some("fresh"), "{states:?}");

    // The API serves the same evaluations, and the daemon's ticks.
    let data = server
        .query(
            r#"{ asset(key: "clean") { automation(evaluations: 1) { condition paused evaluations {
                 candidates requestedPartitions runId whyNot { partition reason }
                 condition { label trueCount children { label children { label trueCount } } } } } }
               automationTicks(limit: 3) { status requested } }"#,
            json!({}),
        )
        .await;
    let automation = &data["asset"]["automation"];
    assert_eq!(automation["condition"], "eager", "{data:#}");
    assert_eq!(automation["paused"], false, "{data:#}");
    let latest = &automation["evaluations"][0];
    assert_eq!(latest["candidates"], 1, "{data:#}");
    assert_eq!(latest["requestedPartitions"], json!([]), "{data:#}");
    assert_eq!(latest["whyNot"][0]["reason"], "materialized; no upstream partition it reads has new data", "{data:#}");
    assert_eq!(latest["condition"]["label"], "eager", "{data:#}");
    let and = &latest["condition"]["children"][0];
    assert_eq!(and["label"], "and", "{data:#}");
    assert_eq!(and["children"][0]["label"], "or", "{data:#}");
    assert_eq!(and["children"][0]["trueCount"], 0, "{data:#}");
    let ticks = data["automationTicks"].as_array().unwrap();
    assert_eq!(ticks.len(), 3, "{data:#}");
    assert!(ticks.iter().all(|tick| tick["status"] == "SUCCESS" && tick["requested"] == 0), "{data:#}");

    // Paused: a change is not acted on, and `why` says so.
    project.expect(&["automation", "pause", "clean"], 0);
    std::fs::write(project.path("data/raw.csv"), "id,amount\n1,10\n").unwrap();
    wait_for_ticks(&server, 3).await;
    assert_eq!(automation_runs(&server).await.len(), 4);
    let why = project.expect(&["automation", "why", "clean"], 0);
    assert!(why.contains("PAUSED"), "{why}");
    let paused = server.query(r#"{ asset(key: "clean") { automation { paused } } }"#, json!({})).await;
    assert_eq!(paused["asset"]["automation"]["paused"], true);
    let resumed = server.query(r#"mutation { resumeAutomation(asset: "clean") }"#, json!({})).await;
    assert_eq!(resumed["resumeAutomation"], false);
    wait_for_runs(&server, 6).await;

    // Killed and started again: nothing is requested twice.
    drop(server);
    let server = Server::start(&project, &["-v"], None);
    wait_for_ticks(&server, 3).await;
    assert_eq!(automation_runs(&server).await.len(), 6);

    // Unknown assets are named with the closest key.
    let error = project.stderr(&["automation", "why", "totl"], 1);
    assert!(error.contains("total"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgresql_store_request_each_partition_once() {
    let database = cairn_store::testing::TempPostgres::create().await;
    let mut project = eager_project();
    project.database_url = Some(database.url().to_owned());
    let first = Server::start(&project, &["-v"], None);
    let second = Server::start(&project, &["-v"], None);
    let ticks = |server: &Server| server.log().matches("automation tick").count();

    wait_for_runs(&first, 2).await;
    std::fs::write(project.path("data/raw.csv"), "id,amount\n1,10\n2,20\n3,30\n").unwrap();
    wait_for_runs(&first, 4).await;
    // Several more ticks, whoever holds the lease.
    let before = ticks(&first) + ticks(&second);
    let deadline = Instant::now() + Duration::from_secs(30);
    while ticks(&first) + ticks(&second) < before + 4 {
        assert!(Instant::now() < deadline, "no ticks:\n{}\n{}", first.log(), second.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(automation_runs(&first).await.len(), 4, "{}\n{}", first.log(), second.log());
    // One server evaluates at a time: only one of them ticked.
    assert!(ticks(&first) == 0 || ticks(&second) == 0, "both ticked:\n{}\n{}", first.log(), second.log());

    // The evaluating one dies: the other takes over once its lease lapses.
    let (survivor, dead) = if ticks(&first) > 0 { (second, first) } else { (first, second) };
    drop(dead);
    std::fs::write(project.path("data/raw.csv"), "id,amount\n1,10\n").unwrap();
    wait_for_runs(&survivor, 6).await;
    assert!(ticks(&survivor) > 0, "{}", survivor.log());
}
