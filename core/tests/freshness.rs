//! Freshness policies as pure functions: tables of cases against a fake
//! clock (plain UTC instants), across daylight-saving changes, and property
//! tests. No I/O.

use std::collections::HashMap;
use std::time::Duration;

use cairn_core::freshness::{
    CronExpr, Freshness, FreshnessPolicy, FreshnessPolicyError, FreshnessStatus, Timezone, evaluate,
    latest_partition_freshness,
};
use cairn_core::partitions::{Cadence, PartitionKey, TimeWindowConfig, TimeWindowPartitions};
use chrono::{DateTime, Utc};
use proptest::prelude::*;

use FreshnessStatus::{Fail, Pass, Unknown, Warn};

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|e| panic!("bad test time {text}: {e}"))
}

fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3600)
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn lag(max_lag: Duration, warn_lag: Option<Duration>) -> FreshnessPolicy {
    FreshnessPolicy::lag(max_lag, warn_lag).unwrap()
}

fn cron(expr: &str, timezone: &str, max_lag: Duration, warn_lag: Option<Duration>) -> FreshnessPolicy {
    FreshnessPolicy::cron(CronExpr::new(expr).unwrap(), Timezone::new(timezone).unwrap(), max_lag, warn_lag).unwrap()
}

/// Evaluates `policy` on each row of `table` and compares every field of
/// the result. A row is
/// `last materialization | now | status | overdue_by | next_deadline | what it shows`,
/// instants in RFC 3339, durations as in `cairn.yaml`, `-` for none.
fn check(policy: &FreshnessPolicy, table: &str) {
    let optional = |cell: &str| (cell != "-").then(|| cell.to_owned());
    let rows: Vec<&str> = table.lines().map(str::trim).filter(|row| !row.is_empty()).collect();
    assert!(!rows.is_empty(), "empty table");
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let [last, now, status, overdue_by, next_deadline, name] = cells[..] else {
            panic!("a row has 6 cells: {row}");
        };
        let last = optional(last).map(|t| utc(&t));
        let expected = Freshness {
            status: serde_json::from_value(serde_json::Value::from(status)).expect("a status"),
            last_materialized_at: last,
            overdue_by: optional(overdue_by).map(|d| humantime::parse_duration(&d).expect("a duration")),
            next_deadline: optional(next_deadline).map(|t| utc(&t)),
        };
        assert_eq!(evaluate(policy, last, utc(now)), expected, "{policy}: {name}");
    }
}

#[test]
fn lag_policies_warn_and_fail_at_the_exact_boundaries() {
    check(
        &lag(hours(6), Some(hours(3))),
        "
        -                    | 2024-01-01T00:00:00Z | UNKNOWN | -      | -                    | never materialized
        2024-01-01T00:00:00Z | 2024-01-01T00:00:00Z | PASS    | -      | 2024-01-01T03:00:00Z | just materialized
        2024-01-01T00:00:00Z | 2024-01-01T02:59:59Z | PASS    | -      | 2024-01-01T03:00:00Z | a second before warn_lag
        2024-01-01T00:00:00Z | 2024-01-01T03:00:00Z | WARN    | -      | 2024-01-01T06:00:00Z | exactly warn_lag old warns
        2024-01-01T00:00:00Z | 2024-01-01T05:59:59Z | WARN    | -      | 2024-01-01T06:00:00Z | a second before max_lag
        2024-01-01T00:00:00Z | 2024-01-01T06:00:00Z | FAIL    | 0s     | -                    | exactly max_lag old fails
        2024-01-01T00:00:00Z | 2024-01-01T07:30:00Z | FAIL    | 1h 30m | -                    | 1h30m past max_lag
        2024-01-01T01:00:00Z | 2024-01-01T00:00:00Z | PASS    | -      | 2024-01-01T04:00:00Z | materialized after now
        ",
    );
    check(
        &lag(hours(6), None),
        "
        2024-01-01T00:00:00Z     | 2024-01-01T05:00:00Z     | PASS | -     | 2024-01-01T06:00:00Z     | no warn_lag
        2024-01-01T00:00:00Z     | 2024-01-01T06:00:00Z     | FAIL | 0s    | -                        | no warn_lag, max_lag old
        2024-01-01T00:00:00.250Z | 2024-01-01T06:00:00.249Z | PASS | -     | 2024-01-01T06:00:00.250Z | sub-second instants
        2024-01-01T00:00:00.250Z | 2024-01-01T06:00:01Z     | FAIL | 750ms | -                        | sub-second overdue_by
        ",
    );
}

#[test]
fn cron_policies_require_a_materialization_within_max_lag_before_each_tick() {
    // 09:00 in Paris is 08:00 UTC in January: the window is [06:00, 08:00] UTC.
    check(
        &cron("0 9 * * *", "Europe/Paris", hours(2), None),
        "
        2024-01-10T06:00:00Z | 2024-01-10T08:00:00Z | PASS | -   | 2024-01-11T08:00:00Z | exactly max_lag before the tick
        2024-01-10T05:59:59Z | 2024-01-10T07:59:59Z | PASS | -   | 2024-01-10T08:00:00Z | too early, before the tick
        2024-01-10T05:59:59Z | 2024-01-10T08:00:00Z | FAIL | 0s  | -                    | too early, at the tick
        2024-01-10T05:59:59Z | 2024-01-11T10:00:00Z | FAIL | 26h | -                    | overdue since the first missed tick
        2024-01-10T08:30:00Z | 2024-01-10T09:00:00Z | PASS | -   | 2024-01-11T08:00:00Z | late, fresh until the next tick
        2024-01-09T07:00:00Z | 2024-01-10T07:59:00Z | PASS | -   | 2024-01-10T08:00:00Z | before 09:00, yesterday's tick counts
        ",
    );
    // The example of Dagster's `CronFreshnessPolicyEvaluator`: expected
    // between 08:45 and 09:00.
    check(
        &cron("0 9 * * *", "UTC", minutes(15), None),
        "
        2024-01-10T08:50:00Z | 2024-01-10T09:00:00Z | PASS | -  | 2024-01-11T09:00:00Z | on time
        2024-01-10T09:30:00Z | 2024-01-10T09:30:00Z | PASS | -  | 2024-01-11T09:00:00Z | late, fresh again
        2024-01-10T08:30:00Z | 2024-01-10T09:00:00Z | FAIL | 0s | -                    | early: stale at 09:00
        ",
    );
}

#[test]
fn cron_warn_lag_warns_when_the_rule_with_warn_lag_fails() {
    // By 09:00 UTC: should be materialized after 08:00, must be after 07:00.
    check(
        &cron("0 9 * * *", "UTC", hours(2), Some(hours(1))),
        "
        2024-01-10T07:30:00Z | 2024-01-10T08:59:59Z | PASS | -  | 2024-01-10T09:00:00Z | warn band, before the tick
        2024-01-10T07:30:00Z | 2024-01-10T09:00:00Z | WARN | -  | 2024-01-11T09:00:00Z | warn band, at the tick
        2024-01-10T07:30:00Z | 2024-01-11T09:00:00Z | FAIL | 0s | -                    | warn band, next tick
        2024-01-10T08:00:00Z | 2024-01-10T09:00:00Z | PASS | -  | 2024-01-11T09:00:00Z | exactly warn_lag before
        2024-01-10T06:30:00Z | 2024-01-10T08:00:00Z | PASS | -  | 2024-01-10T09:00:00Z | too early, before the tick
        2024-01-10T06:30:00Z | 2024-01-10T09:00:00Z | FAIL | 0s | -                    | too early: straight to FAIL
        ",
    );
}

#[test]
fn paris_nine_o_clock_deadlines_follow_the_wall_clock_across_dst() {
    // 09:00 is 08:00 UTC on 2024-03-30 (CET), 07:00 UTC on 2024-03-31 (CEST,
    // spring forward), 07:00 UTC on 2024-10-26 and 08:00 UTC on 2024-10-27
    // (CET, fall back).
    check(
        &cron("0 9 * * *", "Europe/Paris", hours(2), None),
        "
        2024-03-30T08:30:00Z | 2024-03-31T06:59:59Z | PASS | -  | 2024-03-31T07:00:00Z | spring: due at 09:00 CEST
        2024-03-30T08:30:00Z | 2024-03-31T07:00:00Z | FAIL | 0s | -                    | spring: fails then
        2024-03-31T05:00:00Z | 2024-03-31T07:00:00Z | PASS | -  | 2024-04-01T07:00:00Z | spring: 07:00 CEST is max_lag before
        2024-03-31T04:59:59Z | 2024-03-31T07:00:00Z | FAIL | 0s | -                    | spring: a second earlier fails
        2024-10-27T06:00:00Z | 2024-10-27T08:00:00Z | PASS | -  | 2024-10-28T08:00:00Z | fall: 07:00 CET is max_lag before
        2024-10-27T05:30:00Z | 2024-10-27T07:30:00Z | PASS | -  | 2024-10-27T08:00:00Z | fall: still fresh at 08:30 CET
        2024-10-27T05:30:00Z | 2024-10-27T08:00:00Z | FAIL | 0s | -                    | fall: fails at 09:00 CET
        ",
    );
}

#[test]
fn paris_two_thirty_ticks_in_a_dst_gap_or_overlap() {
    // 02:30 does not exist on 2024-03-31: the tick is 03:00 CEST (01:00 UTC),
    // as in Dagster. 02:30 happens twice on 2024-10-27: croner fires once, at
    // 02:30 CEST (00:30 UTC), where Dagster takes 02:30 CET (01:30 UTC).
    check(
        &cron("30 2 * * *", "Europe/Paris", hours(1), None),
        "
        2024-03-30T23:59:59Z | 2024-03-31T00:59:59Z | PASS | -  | 2024-03-31T01:00:00Z | gap: due at 03:00 CEST
        2024-03-30T23:59:59Z | 2024-03-31T01:00:00Z | FAIL | 0s | -                    | gap: fails then
        2024-03-31T00:00:00Z | 2024-03-31T01:00:00Z | PASS | -  | 2024-04-01T00:30:00Z | gap: max_lag before 03:00 CEST
        2024-10-26T23:29:00Z | 2024-10-27T00:29:59Z | PASS | -  | 2024-10-27T00:30:00Z | overlap: due at the first 02:30
        2024-10-26T23:29:00Z | 2024-10-27T01:30:00Z | FAIL | 1h | -                    | overlap: late since the first 02:30
        2024-10-26T23:30:00Z | 2024-10-27T01:30:00Z | PASS | -  | 2024-10-28T01:30:00Z | overlap: the second 02:30 is no tick
        ",
    );
    // An hourly cron fires at both 02:00 of the fall-back day.
    check(
        &cron("0 * * * *", "Europe/Paris", minutes(30), None),
        "
        2024-10-26T23:29:00Z | 2024-10-27T00:00:00Z | FAIL | 0s | -                    | first 02:00 (CEST)
        2024-10-27T00:29:00Z | 2024-10-27T00:59:00Z | PASS | -  | 2024-10-27T01:00:00Z | second 02:00 (CET) is a tick
        2024-10-27T00:30:00Z | 2024-10-27T01:00:00Z | PASS | -  | 2024-10-27T02:00:00Z | then 03:00 CET
        ",
    );
}

#[test]
fn new_york_deadlines_across_dst() {
    // 09:00 is 14:00 UTC on 2024-03-09 (EST), 13:00 UTC on 2024-03-10 (EDT),
    // 13:00 UTC on 2024-11-02 (EDT) and 14:00 UTC on 2024-11-03 (EST).
    check(
        &cron("0 9 * * *", "America/New_York", hours(2), None),
        "
        2024-03-09T14:30:00Z | 2024-03-10T12:59:59Z | PASS | -  | 2024-03-10T13:00:00Z | spring: due at 09:00 EDT
        2024-03-09T14:30:00Z | 2024-03-10T14:00:00Z | FAIL | 1h | -                    | spring: late since 09:00 EDT
        2024-11-02T13:30:00Z | 2024-11-03T13:30:00Z | PASS | -  | 2024-11-03T14:00:00Z | fall: due at 09:00 EST
        ",
    );
    // 02:30 does not exist on 2024-03-10: the tick is 03:00 EDT (07:00 UTC).
    check(
        &cron("30 2 * * *", "America/New_York", hours(1), None),
        "2024-03-10T05:59:00Z | 2024-03-10T06:30:00Z | PASS | - | 2024-03-10T07:00:00Z | spring gap",
    );
    // 01:30 happens twice on 2024-11-03: the tick is 01:30 EDT (05:30 UTC).
    check(
        &cron("30 1 * * *", "America/New_York", hours(1), None),
        "
        2024-11-03T04:30:00Z | 2024-11-03T05:30:00Z | PASS | -  | 2024-11-04T06:30:00Z | overlap: max_lag before 01:30 EDT
        2024-11-03T04:29:00Z | 2024-11-03T06:30:00Z | FAIL | 1h | -                    | overlap: late since 01:30 EDT
        ",
    );
}

#[test]
fn invalid_parts_are_explained() {
    let error = |result: Result<FreshnessPolicy, FreshnessPolicyError>| result.unwrap_err().to_string();
    assert_eq!(error(FreshnessPolicy::lag(Duration::ZERO, None)), "`max_lag` must be longer than zero");
    assert_eq!(error(FreshnessPolicy::lag(hours(6), Some(Duration::ZERO))), "`warn_lag` must be longer than zero");
    assert_eq!(
        error(FreshnessPolicy::lag(hours(6), Some(hours(6)))),
        "`warn_lag` (6h) must be shorter than `max_lag` (6h)"
    );
    assert_eq!(
        error(FreshnessPolicy::cron(CronExpr::new("@daily").unwrap(), Timezone::UTC, minutes(90), Some(hours(2)))),
        "`warn_lag` (2h) must be shorter than `max_lag` (1h 30m)"
    );
    assert_eq!(
        CronExpr::new("0 9 * *").unwrap_err().to_string(),
        "invalid cron `0 9 * *`: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds \
         first, found 4"
    );
    assert_eq!(CronExpr::new("0 24 * * *").unwrap_err().to_string(), "invalid cron `0 24 * * *`: number out of bounds");
    assert_eq!(CronExpr::new("0 0 31 2 *").unwrap_err().to_string(), "invalid cron `0 0 31 2 *`: it never fires");
    assert_eq!(
        Timezone::new("Europe/Pariss").unwrap_err().to_string(),
        "unknown time zone `Europe/Pariss`: not a name of the IANA time zone database (like `America/New_York` or \
         `UTC`); did you mean `Europe/Paris`?"
    );
}

#[test]
fn policies_and_results_round_trip_through_json() {
    let policies = [
        (lag(hours(6), Some(hours(3))), r#"{"max_lag":"6h","warn_lag":"3h"}"#),
        (
            cron("0 9 * * *", "Europe/Paris", hours(2), None),
            r#"{"cron":"0 9 * * *","timezone":"Europe/Paris","max_lag":"2h"}"#,
        ),
        (
            cron("30 0 9 * * MON-FRI", "UTC", minutes(90), Some(minutes(30))),
            r#"{"cron":"30 0 9 * * MON-FRI","timezone":"UTC","max_lag":"1h 30m","warn_lag":"30m"}"#,
        ),
    ];
    for (policy, json) in policies {
        assert_eq!(serde_json::to_string(&policy).unwrap(), json);
        assert_eq!(serde_json::from_str::<FreshnessPolicy>(json).unwrap(), policy);
    }
    // A cron without a time zone is read in UTC.
    let utc_default: FreshnessPolicy = serde_json::from_str(r#"{"cron":"0 9 * * *","max_lag":"2h"}"#).unwrap();
    assert_eq!(utc_default, cron("0 9 * * *", "UTC", hours(2), None));

    let rejected = |json: &str| serde_json::from_str::<FreshnessPolicy>(json).unwrap_err().to_string();
    assert!(rejected(r#"{"timezone":"UTC","max_lag":"1h"}"#).contains("`timezone` applies only to cron policies"));
    assert!(rejected(r#"{"max_lag":"0s"}"#).contains("`max_lag` must be longer than zero"));
    assert!(rejected(r#"{"max_lag":"soon"}"#).contains("`soon` is not a duration"));
    assert!(rejected(r#"{"cron":"0 99 * * *","max_lag":"1h"}"#).contains("invalid cron `0 99 * * *`"));
    assert!(rejected(r#"{"cron":"@daily","timezone":"Paris","max_lag":"1h"}"#).contains("unknown time zone `Paris`"));
    assert!(rejected(r#"{"max_lag":"1h","maxlag":"2h"}"#).contains("unknown field `maxlag`"));

    let policy = lag(hours(6), None);
    let failed = evaluate(&policy, Some(utc("2024-01-01T00:00:00Z")), utc("2024-01-01T07:30:00Z"));
    let json = serde_json::to_string(&failed).unwrap();
    assert_eq!(
        json,
        r#"{"status":"FAIL","last_materialized_at":"2024-01-01T00:00:00Z","overdue_by":"1h 30m","next_deadline":null}"#
    );
    assert_eq!(serde_json::from_str::<Freshness>(&json).unwrap(), failed);
    let unknown = serde_json::to_string(&Freshness::unknown()).unwrap();
    assert_eq!(unknown, r#"{"status":"UNKNOWN","last_materialized_at":null,"overdue_by":null,"next_deadline":null}"#);
    assert_eq!(serde_json::from_str::<Freshness>(&unknown).unwrap(), Freshness::unknown());
}

#[test]
fn policies_describe_themselves() {
    assert_eq!(lag(hours(6), Some(hours(3))).to_string(), "materialized less than 6h ago (warn after 3h)");
    assert_eq!(
        cron("0 9 * * *", "Europe/Paris", hours(2), None).to_string(),
        "materialized within 2h before each tick of `0 9 * * *` (Europe/Paris)"
    );
}

fn daily(start: &str, end: Option<&str>, end_offset: i64) -> TimeWindowPartitions {
    TimeWindowPartitions::new(TimeWindowConfig {
        cadence: Cadence::Daily,
        start: start.into(),
        end: end.map(str::to_owned),
        timezone: Some("America/New_York".into()),
        minute_offset: 0,
        hour_offset: 0,
        day_offset: None,
        end_offset,
    })
    .unwrap()
}

fn lookup<'a>(materialized: &'a [(&str, &str)]) -> impl Fn(&PartitionKey) -> Option<DateTime<Utc>> + 'a {
    let by_key: HashMap<String, DateTime<Utc>> = materialized.iter().map(|(k, t)| ((*k).to_owned(), utc(t))).collect();
    move |key| by_key.get(key.as_str()).copied()
}

#[test]
fn the_latest_complete_partition_should_exist() {
    let partitions = daily("2024-01-01", None, 0);
    // 07:00 EST on 2024-01-10: 2024-01-09 ended at 05:00 UTC.
    let now = utc("2024-01-10T12:00:00Z");
    let done = [("2024-01-08", "2024-01-09T06:00:00Z"), ("2024-01-09", "2024-01-10T06:00:00Z")];
    let latest = latest_partition_freshness(&partitions, now, lookup(&done)).unwrap();
    assert_eq!(latest.key.as_str(), "2024-01-09");
    assert_eq!((latest.window_start, latest.window_end), (utc("2024-01-09T05:00:00Z"), utc("2024-01-10T05:00:00Z")));
    assert_eq!(
        latest.freshness,
        Freshness {
            status: Pass,
            last_materialized_at: Some(utc("2024-01-10T06:00:00Z")),
            overdue_by: None,
            next_deadline: Some(utc("2024-01-11T05:00:00Z")),
        }
    );

    let missing = latest_partition_freshness(&partitions, now, lookup(&done[..1])).unwrap();
    assert_eq!(missing.key.as_str(), "2024-01-09");
    assert_eq!(
        missing.freshness,
        Freshness { status: Fail, last_materialized_at: None, overdue_by: Some(hours(7)), next_deadline: None }
    );

    // Nothing has ended yet.
    assert_eq!(latest_partition_freshness(&partitions, utc("2024-01-02T04:59:59Z"), lookup(&[])), None);
    // The first window ends at midnight New York time.
    let first = latest_partition_freshness(&partitions, utc("2024-01-02T05:00:00Z"), lookup(&[])).unwrap();
    assert_eq!((first.key.as_str(), first.freshness.overdue_by), ("2024-01-01", Some(Duration::ZERO)));
}

#[test]
fn end_and_end_offset_move_the_latest_partition() {
    let now = utc("2024-01-10T12:00:00Z");
    // A window that has not ended is not expected yet.
    let ahead = daily("2024-01-01", None, 1);
    assert_eq!(latest_partition_freshness(&ahead, now, lookup(&[])).unwrap().key.as_str(), "2024-01-09");
    let behind = daily("2024-01-01", None, -2);
    assert_eq!(latest_partition_freshness(&behind, now, lookup(&[])).unwrap().key.as_str(), "2024-01-07");
    // Once the definition has ended, nothing more becomes due.
    let ended = daily("2024-01-01", Some("2024-01-05"), 0);
    let last = latest_partition_freshness(&ended, now, lookup(&[("2024-01-04", "2024-01-05T06:00:00Z")])).unwrap();
    assert_eq!((last.key.as_str(), last.freshness.status, last.freshness.next_deadline), ("2024-01-04", Pass, None));
}

#[test]
fn hourly_partitions_across_fall_back() {
    let hourly = TimeWindowPartitions::new(TimeWindowConfig {
        cadence: Cadence::Hourly,
        start: "2024-11-02-00:00".into(),
        end: None,
        timezone: Some("America/New_York".into()),
        minute_offset: 0,
        hour_offset: 0,
        day_offset: None,
        end_offset: 0,
    })
    .unwrap();
    // 01:00 EDT (05:00 UTC) ended at 06:00 UTC; 01:00 EST at 07:00 UTC.
    let done = [("2024-11-03-01:00", "2024-11-03T06:10:00Z")];
    let first = latest_partition_freshness(&hourly, utc("2024-11-03T06:30:00Z"), lookup(&done)).unwrap();
    assert_eq!((first.key.as_str(), first.freshness.status), ("2024-11-03-01:00", Pass));
    assert_eq!(first.freshness.next_deadline, Some(utc("2024-11-03T07:00:00Z")));
    let second = latest_partition_freshness(&hourly, utc("2024-11-03T07:15:00Z"), lookup(&done)).unwrap();
    assert_eq!((second.key.as_str(), second.freshness.status), ("2024-11-03-01:00-0500", Fail));
    assert_eq!(second.freshness.overdue_by, Some(minutes(15)));
}

/// Policies over which the properties are checked.
fn policies() -> Vec<FreshnessPolicy> {
    vec![
        lag(hours(6), Some(hours(3))),
        lag(minutes(45), None),
        cron("0 9 * * *", "Europe/Paris", hours(2), None),
        cron("30 2 * * *", "Europe/Paris", hours(1), Some(minutes(20))),
        cron("*/15 1-3 * * *", "America/New_York", minutes(10), None),
        cron("0 */6 * * 1-5", "UTC", hours(30), Some(hours(8))),
    ]
}

fn rank(status: FreshnessStatus) -> u8 {
    match status {
        Pass => 0,
        Warn => 1,
        Fail => 2,
        Unknown => 3,
    }
}

/// Seconds from 2024-01-01 UTC, over the whole year and its DST changes.
fn instant(seconds: i64) -> DateTime<Utc> {
    utc("2024-01-01T00:00:00Z") + chrono::Duration::seconds(seconds)
}

const YEAR_SECS: i64 = 366 * 86_400;
const TEN_DAYS_SECS: i64 = 10 * 86_400;

proptest! {
    #[test]
    fn status_only_worsens_and_changes_at_next_deadline(
        which in 0usize..6,
        last in 0..YEAR_SECS,
        first in -86_400..TEN_DAYS_SECS,
        step in 0..(5 * 86_400_i64),
    ) {
        let policies = policies();
        let policy = &policies[which];
        let last = instant(last);
        let earlier = last + chrono::Duration::seconds(first);
        let later = earlier + chrono::Duration::seconds(step);
        let before = evaluate(policy, Some(last), earlier);
        let after = evaluate(policy, Some(last), later);
        prop_assert!(rank(before.status) <= rank(after.status), "{before:?} then {after:?}");
        match before.status {
            Pass | Warn => {
                prop_assert_eq!(before.overdue_by, None);
                let deadline = before.next_deadline.expect("every policy here has a next deadline");
                prop_assert!(deadline > earlier);
                // Nothing changes before the deadline; the status worsens at it.
                if later < deadline {
                    prop_assert_eq!(after.status, before.status);
                    prop_assert_eq!(after.next_deadline, before.next_deadline);
                }
                let at_deadline = evaluate(policy, Some(last), deadline);
                prop_assert!(rank(at_deadline.status) > rank(before.status));
                if at_deadline.status == Fail {
                    prop_assert_eq!(at_deadline.overdue_by, Some(Duration::ZERO));
                }
            }
            Fail => {
                prop_assert_eq!(before.next_deadline, None);
                let (before_overdue, after_overdue) = (before.overdue_by.unwrap(), after.overdue_by.unwrap());
                prop_assert_eq!(after_overdue - before_overdue, Duration::from_secs(step.unsigned_abs()));
            }
            Unknown => prop_assert!(false, "materialized, yet unknown"),
        }
    }

    #[test]
    fn cron_policies_agree_with_dagsters_latest_tick_rule(
        which in 2usize..6,
        last in 0..YEAR_SECS,
        after in 0..TEN_DAYS_SECS,
    ) {
        // Dagster: take the latest tick T <= now; fresh when last >= T - max_lag.
        let policies = policies();
        let policy = &policies[which];
        let schedule = policy.schedule().unwrap();
        let last = instant(last);
        let now = last + chrono::Duration::seconds(after);
        let tick = schedule.last_tick_at_or_before(now).unwrap();
        let window_start = tick - chrono::Duration::from_std(policy.max_lag()).unwrap();
        let status = evaluate(policy, Some(last), now).status;
        prop_assert_eq!(status == Fail, last < window_start, "tick {} window from {}: {:?}", tick, window_start, status);
    }

    #[test]
    fn lag_policies_compare_the_age_with_the_lags(last in 0..YEAR_SECS, age in -3_600..86_400_i64) {
        let policy = lag(hours(6), Some(hours(3)));
        let last = instant(last);
        let status = evaluate(&policy, Some(last), last + chrono::Duration::seconds(age)).status;
        let expected = match age {
            a if a >= 6 * 3600 => Fail,
            a if a >= 3 * 3600 => Warn,
            _ => Pass,
        };
        prop_assert_eq!(status, expected);
    }
}
