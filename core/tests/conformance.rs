//! Conformance with Dagster: every case of `fixtures/dagster_partitions.json`
//! (keys, windows with their UTC offsets, first/last key, count, the key of
//! probe timestamps, key validity, normalized cron schedule, format and time
//! zone) must be reproduced exactly by [`TimeWindowPartitions`].
//!
//! All mismatches of all cases are collected and reported together, each
//! prefixed with its case name; a case the test cannot map to a
//! [`TimeWindowConfig`] is a failure, never a skip.

use std::fmt::Display;

use cairn_core::partitions::{Cadence, PartitionKey, TimeWindowConfig, TimeWindowPartitions};
use chrono::{DateTime, FixedOffset, Offset, Utc};
use serde_json::{Map, Value};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dagster_partitions.json");

/// Mismatches and the number of comparisons made, across all cases.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    assertions: usize,
}

impl Report {
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, case: &str, what: impl Display, got: T, expected: T) {
        self.assertions += 1;
        if got != expected {
            self.failures.push(format!("[{case}] {what}: got {got:?}, Dagster has {expected:?}"));
        }
    }

    fn fail(&mut self, case: &str, what: impl Display) {
        self.assertions += 1;
        self.failures.push(format!("[{case}] {what}"));
    }
}

/// A field of a JSON object, or a description of what is missing.
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a Value, String> {
    object.get(name).ok_or_else(|| format!("missing field `{name}`"))
}

fn string<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    field(object, name)?.as_str().ok_or_else(|| format!("field `{name}` is not a string"))
}

fn array<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a Vec<Value>, String> {
    field(object, name)?.as_array().ok_or_else(|| format!("field `{name}` is not an array"))
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    value.as_object().ok_or_else(|| format!("{what} is not an object"))
}

fn instant(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))
}

/// Dagster's class and keyword arguments as a Cairn configuration.
fn config_for(class: &str, kwargs: &Map<String, Value>) -> Result<TimeWindowConfig, String> {
    let cadence = match class {
        "HourlyPartitionsDefinition" => Cadence::Hourly,
        "DailyPartitionsDefinition" => Cadence::Daily,
        "WeeklyPartitionsDefinition" => Cadence::Weekly,
        "MonthlyPartitionsDefinition" => Cadence::Monthly,
        other => return Err(format!("unknown Dagster class `{other}`")),
    };
    let mut config = TimeWindowConfig {
        cadence,
        start: String::new(),
        end: None,
        timezone: None,
        minute_offset: 0,
        hour_offset: 0,
        day_offset: None,
        end_offset: 0,
    };
    let text = |name: &str, value: &Value| {
        value.as_str().map(str::to_owned).ok_or_else(|| format!("kwarg `{name}` is not a string: {value}"))
    };
    let unsigned = |name: &str, value: &Value| {
        value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("kwarg `{name}` is not a small unsigned integer: {value}"))
    };
    let mut has_start = false;
    for (name, value) in kwargs {
        match name.as_str() {
            "start_date" => {
                config.start = text(name, value)?;
                has_start = true;
            }
            "end_date" => config.end = Some(text(name, value)?),
            "timezone" => config.timezone = Some(text(name, value)?),
            "minute_offset" => config.minute_offset = unsigned(name, value)?,
            "hour_offset" => config.hour_offset = unsigned(name, value)?,
            "day_offset" => config.day_offset = Some(unsigned(name, value)?),
            "end_offset" => {
                config.end_offset =
                    value.as_i64().ok_or_else(|| format!("kwarg `end_offset` is not an integer: {value}"))?;
            }
            other => return Err(format!("kwarg `{other}` has no Cairn equivalent")),
        }
    }
    if !has_start {
        return Err("kwargs have no `start_date`".to_owned());
    }
    Ok(config)
}

fn check_case(report: &mut Report, case: &Map<String, Value>) -> Result<(), String> {
    let name = string(case, "name")?.to_owned();
    let name = name.as_str();
    let kwargs = object(field(case, "kwargs")?, "kwargs")?;
    let config = config_for(string(case, "class")?, kwargs)?;
    let definition =
        TimeWindowPartitions::new(config.clone()).map_err(|e| format!("rejected configuration {config:?}: {e}"))?;
    let now = instant(string(case, "current_time")?)?.with_timezone(&Utc);

    // Normalized schedule, key format and time zone.
    let normalized = object(field(case, "normalized")?, "normalized")?;
    report.check(name, "cron_schedule", definition.cron_schedule(), string(normalized, "cron_schedule")?.to_owned());
    report.check(name, "fmt", definition.key_format().to_owned(), string(normalized, "fmt")?.to_owned());
    report.check(name, "timezone", definition.timezone().name(), string(normalized, "timezone")?);

    // Keys, in order.
    let keys = definition.keys(now);
    let got_keys: Vec<&str> = keys.iter().map(PartitionKey::as_str).collect();
    let expected_keys = array(case, "keys")?
        .iter()
        .map(|k| k.as_str().ok_or_else(|| format!("key {k} is not a string")))
        .collect::<Result<Vec<&str>, String>>()?;
    report.check(name, "number of keys", got_keys.len(), expected_keys.len());
    if let Some(i) = (0..got_keys.len().max(expected_keys.len())).find(|&i| got_keys.get(i) != expected_keys.get(i)) {
        report.fail(
            name,
            format_args!(
                "keys differ first at index {i}: got {:?}, Dagster has {:?}",
                got_keys.get(i),
                expected_keys.get(i)
            ),
        );
    } else {
        report.assertions += 1;
    }

    // Windows: key, start and end instants, and the UTC offsets shown.
    let windows = definition.windows(now);
    let expected_windows = array(case, "windows")?;
    report.check(name, "number of windows", windows.len(), expected_windows.len());
    for (i, expected) in expected_windows.iter().enumerate() {
        let expected = object(expected, "window")?;
        let key = string(expected, "key")?;
        let start = instant(string(expected, "start")?)?;
        let end = instant(string(expected, "end")?)?;
        let Some((got_key, got)) = windows.get(i) else {
            report.fail(name, format_args!("window {i} ({key}) is missing"));
            continue;
        };
        report.check(name, format_args!("window {i} key"), got_key.as_str(), key);
        for (bound, got, expected) in [("start", got.start, start), ("end", got.end, end)] {
            report.check(name, format_args!("window {key} {bound} instant"), got.to_utc(), expected.to_utc());
            report.check(name, format_args!("window {key} {bound} UTC offset"), got.offset().fix(), *expected.offset());
        }
        // The key names exactly this window, and the window's instants map
        // back to the key.
        match definition.time_window_for_key(key) {
            Ok(window) => report.check(name, format_args!("time_window_for_key({key})"), window, *got),
            Err(e) => report.fail(name, format_args!("time_window_for_key({key}) failed: {e}")),
        }
        report.check(
            name,
            format_args!("key_for_timestamp(start of {key})"),
            definition.key_for_timestamp(start.to_utc(), now).map(|k| k.as_str().to_owned()),
            Some(key.to_owned()),
        );
    }
    if let (Some((_, first)), Some((_, last))) = (windows.first(), windows.last()) {
        let all = definition.keys_overlapping(first.start.to_utc(), last.end.to_utc(), now);
        report.check(name, "keys_overlapping(all windows)", all, keys.clone());
    }

    // First and last key, and count.
    let optional = |name: &str| -> Result<Option<String>, String> {
        match field(case, name)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            other => Err(format!("field `{name}` is neither a string nor null: {other}")),
        }
    };
    report.check(name, "first_key", keys.first().map(|k| k.as_str().to_owned()), optional("first_key")?);
    report.check(name, "last_key", keys.last().map(|k| k.as_str().to_owned()), optional("last_key")?);
    let count = field(case, "num_partitions")?.as_u64().ok_or("field `num_partitions` is not a count")?;
    report.check(name, "num_partitions", u64::try_from(keys.len()).ok(), Some(count));

    // The key of each probe time. Dagster's `get_partition_key_for_timestamp`
    // has no bounds; Cairn's bounded `key_for_timestamp` must give the same
    // key when that key is in the definition as of now, and `None` otherwise.
    let probe_times = array(case, "probe_times")?;
    let key_for_timestamp = array(case, "key_for_timestamp")?;
    report.check(name, "probes with a key_for_timestamp answer", key_for_timestamp.len(), probe_times.len());
    for (probe, answer) in probe_times.iter().zip(key_for_timestamp) {
        let answer = object(answer, "key_for_timestamp entry")?;
        let at_text = string(answer, "at")?;
        report.check(name, "key_for_timestamp probe order", Some(at_text), probe.as_str());
        let at = instant(at_text)?.with_timezone(&Utc);
        let expected = string(answer, "key")?;
        report.check(
            name,
            format_args!("unbounded_key_for_timestamp({at_text})"),
            definition.unbounded_key_for_timestamp(at).map(|k| k.as_str().to_owned()),
            Some(expected.to_owned()),
        );
        let in_definition = expected_keys.contains(&expected);
        report.check(
            name,
            format_args!("key_for_timestamp({at_text}, now)"),
            definition.key_for_timestamp(at, now).map(|k| k.as_str().to_owned()),
            in_definition.then(|| expected.to_owned()),
        );
    }

    // Validity of each probe key.
    let probe_keys = array(case, "probe_keys")?;
    let has_key = array(case, "has_key")?;
    report.check(name, "probe keys with a has_key answer", has_key.len(), probe_keys.len());
    for (probe, answer) in probe_keys.iter().zip(has_key) {
        let answer = object(answer, "has_key entry")?;
        let key = string(answer, "key")?;
        report.check(name, "has_key probe order", Some(key), probe.as_str());
        let valid = field(answer, "valid")?.as_bool().ok_or("field `valid` is not a boolean")?;
        report.check(name, format_args!("has_key({key})"), definition.has_key(key, now), valid);
    }
    Ok(())
}

#[test]
fn time_window_partitions_match_dagster() {
    let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| panic!("cannot read {FIXTURE}: {e}"));
    let fixture: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{FIXTURE} is not JSON: {e}"));
    let cases =
        fixture.get("cases").and_then(Value::as_array).unwrap_or_else(|| panic!("{FIXTURE} has no `cases` array"));
    assert!(!cases.is_empty(), "{FIXTURE} has no cases");

    let mut report = Report::default();
    for (i, case) in cases.iter().enumerate() {
        let name = case.get("name").and_then(Value::as_str).map_or_else(|| format!("case #{i}"), str::to_owned);
        let result = case
            .as_object()
            .ok_or_else(|| "case is not an object".to_owned())
            .and_then(|case| check_case(&mut report, case));
        if let Err(problem) = result {
            report.fail(&name, problem);
        }
    }
    assert!(
        report.failures.is_empty(),
        "{} of {} conformance checks failed:\n{}",
        report.failures.len(),
        report.assertions,
        report.failures.join("\n")
    );
    println!("{} Dagster cases, {} checks passed", cases.len(), report.assertions);
}
