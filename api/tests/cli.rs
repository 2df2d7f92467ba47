//! End-to-end tests of the `cairn` binary on a copy of `examples/flights`:
//! real Parquet and CSV files, a real SQLite file (and a real PostgreSQL
//! database), real processes.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use support::{Project, slow_project, staged, wait_for_staged};

/// The plan as (asset, partition count, reason kinds) from `plan --json`.
fn plan_summary(plan: &Value) -> BTreeMap<String, (usize, Vec<String>)> {
    let mut summary: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for step in plan.as_array().unwrap() {
        let entry = summary.entry(step["asset"].as_str().unwrap().to_owned()).or_default();
        entry.0 += 1;
        for reason in step["reasons"].as_array().unwrap() {
            let reason = reason.as_str().unwrap().to_owned();
            if !entry.1.contains(&reason) {
                entry.1.push(reason);
            }
        }
    }
    summary
}

const EXAMPLE_STEPS: usize = 90 + 90 + 3 + 5;

#[test]
fn a_selection_blocked_by_missing_upstream_data_is_not_called_up_to_date() {
    let project = Project::flights();
    let plan = project.expect(&["plan", "exports/carrier_delays"], 0);
    assert_eq!(
        plan,
        "nothing can be materialized: 1 of 1 asset partitions checked are blocked by missing upstream data\n"
    );
    let said = project.stderr(&["materialize", "exports/carrier_delays"], 1);
    assert!(said.contains("upstream delays_by_carrier not materialized"), "{said}");
}

#[test]
fn materializes_the_example_then_is_up_to_date_and_replans_exactly_what_changed() {
    let project = Project::flights();
    project.expect(&["validate"], 0);
    let plan = project.json(&["plan", "--json"]);
    assert_eq!(plan.as_array().unwrap().len(), EXAMPLE_STEPS);
    assert_eq!(plan[0]["asset"], "flights_daily");
    assert_eq!(plan[0]["partition"], "2013-01-01");
    assert_eq!(plan[0]["reasons"], serde_json::json!(["missing"]));

    insta::assert_snapshot!("plan_of_the_fresh_example", project.expect(&["plan"], 0));

    let out = project.expect(&["materialize"], 0);
    assert!(out.contains(&format!("{EXAMPLE_STEPS} materialized, 0 failed")), "{out}");
    // The warn check fires on the real data and is reported, not fatal.
    assert!(out.contains("delays_by_route: destinations_have_airport_metadata: 7 violating rows"), "{out}");
    // Which of the 7 rows are sampled depends on DataFusion's parallel
    // scan; that three are shown, each a route with its destination, does not.
    let sampled =
        out.lines().filter(|line| line.starts_with(r#"    | {"origin":"#) && line.contains(r#""dest":""#)).count();
    assert_eq!(sampled, 3, "a sample of the rows is shown: {out}");
    let days = std::fs::read_dir(project.path(".cairn/data/flights_daily")).unwrap().count();
    assert_eq!(days, 90);
    let files = project.files("flights_daily");
    assert_eq!(files.len(), 90);
    let parquet = std::fs::read(&files["2013-01-01"]).unwrap();
    assert_eq!(&parquet[..4], b"PAR1");
    assert!(files["2013-01-01"].starts_with(project.path(".cairn/data/flights_daily/2013-01-01")));
    assert_eq!(staged(&project.path(".cairn/data")), Vec::<PathBuf>::new(), "staging is cleaned up");
    let report = std::fs::read_to_string(project.file("reports/delay_report")).unwrap();
    assert!(report.contains("80,789 scheduled departures"), "{report}");
    assert!(project.states().values().all(|state| state == "fresh"));

    // Again: nothing to do.
    let out = project.expect(&["materialize"], 0);
    assert!(out.starts_with("up to date"), "{out}");

    // A layout-only edit does not change the code version.
    project.edit("assets/daily.yaml", "LEFT JOIN raw.weather w", "LEFT JOIN   raw.weather w  -- hourly weather");
    assert!(project.expect(&["plan"], 0).starts_with("up to date"));

    // A real edit plans exactly that asset and its downstream.
    project.edit("assets/daily.yaml", "w.temp, w.wind_speed", "w.temp, w.dewp, w.wind_speed");
    let plan = plan_summary(&project.json(&["plan", "--json"]));
    let expected: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::from([
        ("flights_weather_daily".to_owned(), (90, vec!["code_version_changed".to_owned()])),
        ("flights_monthly".to_owned(), (3, vec!["upstream_data_changed".to_owned()])),
    ]);
    assert_eq!(plan, expected);
    let status = project.states();
    // The status of one asset, read from it and its upstream only, is what
    // the whole project's status says of it (freshness aside: it is
    // evaluated at each command's own time).
    let without_freshness = |mut row: Value| {
        row.as_object_mut().unwrap().remove("freshness");
        row
    };
    let whole = project.json(&["status", "--json"]);
    for row in whole.as_array().unwrap() {
        let asset = row["asset"].as_str().unwrap();
        let alone = project.json(&["status", "--json", asset]);
        assert_eq!(alone.as_array().unwrap().len(), 1, "{asset}");
        assert_eq!(without_freshness(alone[0].clone()), without_freshness(row.clone()), "{asset}");
    }
    assert_eq!(status["flights_weather_daily"], "stale");
    assert_eq!(status["flights_monthly"], "stale");
    assert_eq!(status["flights_daily"], "fresh");
    let text = project.expect(&["status"], 0);
    assert!(text.contains("flights_weather_daily: code_version_changed"), "{text}");
    // Counted in flights_monthly's own partitions (3 months), each reading
    // about 30 stale days.
    assert!(text.contains("flights_monthly: upstream_stale: flights_weather_daily (3 partitions)"), "{text}");

    let out = project.expect(&["materialize", "flights_weather_daily+"], 0);
    assert!(out.contains("93 materialized, 0 failed"), "{out}");
    assert!(project.expect(&["plan"], 0).starts_with("up to date"));

    // Editing the command's script makes the report stale.
    project.edit("scripts/delay_report.py", "# NYC departures", "# New York City departures");
    let plan = plan_summary(&project.json(&["plan", "--json"]));
    assert_eq!(plan.keys().collect::<Vec<_>>(), ["reports/delay_report"]);
}

#[test]
fn a_failing_error_check_keeps_the_previous_data_and_stops_downstream() {
    let project = Project::flights();
    project.expect(&["materialize"], 0);
    let published = project.file("delays_by_carrier");
    let before = std::fs::read(&published).unwrap();

    // 16 carriers cannot pass `max: 5`; the SQL change would alter the data.
    project.edit(
        "assets/rollups.yaml",
        "      - unique: [carrier]\n      - not_null: [airline]",
        "      - unique: [carrier]\n      - not_null: [airline]\n      - row_count: { max: 5 }",
    );
    project.edit(
        "assets/rollups.yaml",
        "count(*) AS flights,\n             sum(",
        "count(*) + 0 AS flights,\n             sum(",
    );
    let out = project.expect(&["materialize"], 1);
    assert!(out.contains("delays_by_carrier: asset `delays_by_carrier`: check failed, previous data kept"), "{out}");
    assert!(out.contains("row_count(max=5): 1 violating row"), "{out}");
    assert!(out.contains("1 failed, 2 skipped"), "{out}");
    assert_eq!(std::fs::read(&published).unwrap(), before, "the published data must not change");
    assert_eq!(project.file("delays_by_carrier"), published, "and it is still the current data");
    let status = project.json(&["status", "--json", "delays_by_carrier+"]);
    let carrier = &status[0];
    assert_eq!(carrier["asset"], "delays_by_carrier");
    assert_eq!(carrier["state"], "stale");
    let failing = carrier["checks"].as_array().unwrap().iter().find(|c| c["name"] == "row_count(max=5)").unwrap();
    assert_eq!(failing["failed"], 1);
    // Downstream kept its earlier materialization and is still fresh
    // against it (it read the data that is still published).
    assert_eq!(status[1]["asset"], "exports/carrier_delays");
    assert_eq!(status[1]["state"], "stale", "upstream_stale through delays_by_carrier");
    let logs = project.expect(&["logs"], 0);
    assert!(logs.contains("error delays_by_carrier"), "{logs}");

    // Dropping the check publishes the new data; its old failure is no
    // longer reported.
    project.edit("assets/rollups.yaml", "\n      - row_count: { max: 5 }", "");
    let out = project.expect(&["materialize"], 0);
    assert!(out.contains("1 materialized, 0 failed"), "{out}");
    let status = project.json(&["status", "--json", "delays_by_carrier"]);
    let names: Vec<&str> =
        status[0]["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["not_null(airline)", "unique(carrier)"]);
    assert_eq!(status[0]["state"], "fresh");
}

#[test]
fn a_failing_command_keeps_the_previous_output_and_its_stderr() {
    let project = Project::flights();
    project.expect(&["materialize"], 0);
    let report = project.file("reports/delay_report");
    let before = std::fs::read_to_string(&report).unwrap();
    project.edit(
        "scripts/delay_report.py",
        "    total = sum(",
        "    print('the airline table looks wrong', file=sys.stderr)\n    sys.exit(3)\n    total = sum(",
    );
    let out = project.expect(&["materialize"], 1);
    assert!(out.contains("`python3 scripts/delay_report.py` exited with status 3"), "{out}");
    assert!(out.contains("| the airline table looks wrong"), "{out}");
    assert_eq!(std::fs::read_to_string(&report).unwrap(), before);
    assert_eq!(project.file("reports/delay_report"), report);
    let logs = project.expect(&["logs"], 0);
    assert!(logs.contains("the airline table looks wrong"), "{logs}");
    assert_eq!(project.states()["reports/delay_report"], "stale");
}

#[test]
fn a_missing_source_file_is_reported_and_blocks_only_its_readers() {
    let project = Project::flights();
    std::fs::remove_file(project.path("data/planes.csv")).unwrap();
    let stderr = project.stderr(&["validate"], 1);
    assert!(stderr.contains("source `raw/planes`: `data/planes.csv` does not exist"), "{stderr}");
    assert!(stderr.contains("assets/sources.yaml:12:10"), "{stderr}");
    let output = project.cairn(&["materialize"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("delays_by_plane_age: source `raw/planes` has no files"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("{} materialized, 0 failed", EXAMPLE_STEPS - 1)), "{stdout}");
    assert_eq!(project.states()["delays_by_plane_age"], "missing");
}

#[test]
fn partition_flags_select_partitions_and_reject_keys_outside_the_definition() {
    let project = Project::flights();
    let plan =
        plan_summary(&project.json(&["plan", "--json", "flights_daily", "--from", "2013-01-30", "--to", "2013-02-02"]));
    assert_eq!(plan["flights_daily"].0, 4);
    let plan = plan_summary(&project.json(&[
        "plan",
        "--json",
        "flights_daily",
        "flights_monthly",
        "--partition",
        "2013-02-14",
    ]));
    assert_eq!(plan.len(), 1, "the month is blocked on its other days: {plan:?}");
    let stderr = project.stderr(&["plan", "--partition", "2014-05-01"], 1);
    assert!(stderr.contains("partition `2014-05-01` is outside the partitions of the selected assets"), "{stderr}");
    assert!(stderr.contains("daily partitions"), "{stderr}");
    let stderr = project.stderr(&["plan", "flights_dialy"], 1);
    assert!(stderr.contains("did you mean `flights_daily`?"), "{stderr}");

    project.expect(&["materialize", "+flights_daily", "--partition", "2013-01-05"], 0);
    let status = project.json(&["status", "--json", "flights_daily"]);
    assert_eq!(status[0]["partitions"]["materialized"], 1);
    assert_eq!(status[0]["partitions"]["total"], 90);
    assert_eq!(status[0]["state"], "missing");

    // Data deleted by hand: planning reads no data files, so nothing
    // notices it until `--verify` looks (or a step reads the file); from
    // then on the partition counts as missing, with or without `--verify`.
    let day = project.files("flights_daily")["2013-01-05"].clone();
    std::fs::remove_dir_all(day.parent().unwrap()).unwrap();
    let unverified = project.json(&["plan", "--json", "flights_daily", "--partition", "2013-01-05"]);
    assert_eq!(unverified, serde_json::json!([]), "a plan does not stat data files");
    let output = project.cairn(&["plan", "--verify", "--json", "flights_daily", "--partition", "2013-01-05"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the data of 1 materialized asset partition(s) is gone"), "{stderr}");
    assert!(stderr.contains("flights_daily[2013-01-05]"), "{stderr}");
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan[0]["reasons"], serde_json::json!(["missing"]));
    let plan = project.json(&["plan", "--json", "flights_daily", "--partition", "2013-01-05"]);
    assert_eq!(plan[0]["reasons"], serde_json::json!(["missing"]), "wiped for every reader");
    project.expect(&["materialize", "flights_daily", "--partition", "2013-01-05"], 0);
    assert!(project.files("flights_daily")["2013-01-05"].is_file());
}

#[test]
fn validation_errors_name_file_line_and_column() {
    let project = Project::flights();
    project.edit(
        "assets/rollups.yaml",
        "FROM flights_daily f\n      LEFT JOIN raw.airlines",
        "FROM flights_dayly f\n      LEFT JOIN raw.airlines",
    );
    let stderr = project.stderr(&["validate"], 1);
    assert!(stderr.contains("asset `delays_by_carrier`: unknown table `flights_dayly`"), "{stderr}");
    assert!(stderr.contains("assets/rollups.yaml:13:12"), "{stderr}");
    assert!(stderr.contains("did you mean `flights_daily`"), "{stderr}");
    // Every command refuses to work on an invalid project.
    project.stderr(&["materialize"], 1);
    project.stderr(&["status"], 1);

    // `validate` also plans every query against the real schemas.
    let project = Project::flights();
    project.edit(
        "assets/rollups.yaml",
        "avg(f.arr_delay) AS avg_arr_delay_min\n      FROM flights_daily f\n      LEFT JOIN raw.airlines",
        "avg(f.arr_dleay) AS avg_arr_delay_min\n      FROM flights_daily f\n      LEFT JOIN raw.airlines",
    );
    project.edit(
        "assets/daily.yaml",
        "- not_null: [flight_date, carrier, origin, dest]",
        "- not_null: [flight_date, carrier, orgin, dest]",
    );
    project.edit("assets/rollups.yaml", "WHERE dest_name IS NULL", "WHERE dest_nam IS NULL");
    let stderr = project.stderr(&["validate"], 1);
    assert!(stderr.contains("asset `delays_by_carrier`: Schema error: No field named f.arr_dleay"), "{stderr}");
    assert!(stderr.contains("check `not_null(flight_date, carrier, orgin, dest)` names column `orgin`"), "{stderr}");
    assert!(stderr.contains("did you mean `origin`?"), "{stderr}");
    assert!(stderr.contains("assets/daily.yaml:19:9"), "the check's own line: {stderr}");
    assert!(stderr.contains("assets/rollups.yaml:34:9"), "the check's own line: {stderr}");
    assert!(
        stderr.contains("check `destinations_have_airport_metadata`: Schema error: No field named dest_nam"),
        "{stderr}"
    );
    assert!(project.cairn(&["plan"]).status.success(), "plan does not run the deep checks");
}

#[test]
fn validate_warns_about_a_partitioned_query_that_ignores_its_partition() {
    let project = Project::flights();
    project.edit("assets/daily.yaml", "      WHERE make_date(year, month, day) = CAST($partition_start AS DATE)\n", "");
    let output = project.cairn(&["validate"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "a warning does not fail validation: {stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("is valid"));
    assert!(
        stderr.contains("asset `flights_daily` is partitioned, but its query uses no partition parameter"),
        "{stderr}"
    );
    assert!(stderr.contains("assets/daily.yaml:9:7"), "the query's first line: {stderr}");
    assert!(stderr.contains("$partition_start"), "the hint names the parameters: {stderr}");
    // Its readers get only their partitions of it: no warning for them.
    assert!(!stderr.contains("flights_weather_daily"), "{stderr}");
    assert!(!stderr.contains("flights_monthly"), "{stderr}");
    assert!(project.stderr(&["validate", "-q"], 0).is_empty(), "`-q` leaves warnings out");
}

#[test]
fn works_the_same_on_postgresql() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let database = runtime.block_on(cairn_store::testing::TempPostgres::create());
    let mut project = Project::flights();
    project.database_url = Some(database.url().to_owned());
    let out = project.expect(&["materialize"], 0);
    assert!(out.contains(&format!("{EXAMPLE_STEPS} materialized")), "{out}");
    assert!(!project.path(".cairn/cairn.db").exists(), "metadata went to PostgreSQL, not SQLite");
    assert!(project.expect(&["materialize"], 0).starts_with("up to date"));
    project.edit("assets/reports.yaml", "ORDER BY avg_dep_delay_min DESC", "ORDER BY avg_dep_delay_min DESC, carrier");
    let plan = plan_summary(&project.json(&["plan", "--json"]));
    assert_eq!(plan.keys().collect::<Vec<_>>(), ["exports/carrier_delays", "reports/delay_report"]);
    // Same rows in another order: the same data version, so the report is skipped.
    let out = project.expect(&["materialize"], 0);
    assert!(out.contains("1 materialized, 0 failed, 1 skipped (1 because upstream data did not change)"), "{out}");
    assert!(project.states().values().all(|state| state == "fresh"));
}

#[test]
fn a_command_past_its_timeout_is_killed_and_fails() {
    let project = slow_project(Some(1));
    let started = std::time::Instant::now();
    let out = project.expect(&["materialize"], 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "the timeout was not enforced");
    assert!(out.contains("slow: asset `slow`: timed out after 1 s and was killed"), "{out}");
    assert!(out.contains("1 materialized, 1 failed"), "{out}");
}

#[test]
fn ctrl_c_cancels_the_run_and_discards_staged_data() {
    let project = slow_project(None);
    let mut child = project.spawn(&["materialize"]);
    // Wait until the slow step is running (it has staged a file).
    wait_for_staged(&project.path(".cairn/data"), "txt");
    let interrupted = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let started = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "cairn did not stop on Ctrl-C");
    assert_eq!(status.code(), Some(1));
    let logs = project.expect(&["logs"], 0);
    assert!(logs.starts_with("run r-1 CANCELED"), "{logs}");
    assert!(logs.contains("slow canceled; its unpublished data was discarded"), "{logs}");
    assert_eq!(staged(&project.path(".cairn/data")), Vec::<PathBuf>::new(), "staging is cleaned up");
    assert!(!project.path(".cairn/data/slow").exists(), "nothing was published for the interrupted step");
    let show = project.json(&["run", "show", "r-1", "--json"]);
    let statuses: Vec<&str> = show["steps"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"CANCELED"), "{statuses:?}");
    assert!(!statuses.contains(&"FAILED"), "interrupted steps are canceled, not failed: {statuses:?}");
}
