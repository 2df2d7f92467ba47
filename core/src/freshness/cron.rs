//! Cron schedules of freshness policies: a validated cron expression
//! ([`CronExpr`]) evaluated in an IANA time zone ([`CronSchedule`]).
//!
//! Parsing and tick search are croner's (`croner` crate, POSIX/Vixie cron
//! with the Open Cron Pattern Specification's extensions); see the module
//! documentation of [`crate::freshness`] for how ticks behave across
//! daylight-saving changes.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::errors::CronError;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use super::FreshnessPolicyError;
use crate::timezone::Timezone;

/// How many times a tick search retries when croner answers a tick on the
/// wrong side of the origin (never seen; a guard for the invariants the
/// evaluation relies on).
const TICK_SEARCH_RETRIES: usize = 4;

/// A validated cron expression: 5 fields (`minute hour day-of-month month
/// day-of-week`, as Dagster's `deadline_cron`) or 6 with seconds first, or a
/// nickname such as `@daily`.
///
/// Fields follow POSIX/Vixie cron as croner reads them: day-of-month and
/// day-of-week match when either does (`+` before the day of week requires
/// both), `0` and `7` are Sunday, names (`MON`, `JAN`) are case-insensitive,
/// steps are `*/N` or `A-B/N`, and croner's `L`, `W` and `#` are accepted.
/// An expression that never fires (`0 0 30 2 *`) is rejected. Serializes as
/// its text; equal when the texts are equal.
#[derive(Clone)]
pub struct CronExpr {
    text: Arc<str>,
    cron: Cron,
}

impl CronExpr {
    /// Parses and validates `text` (surrounding spaces are ignored).
    ///
    /// # Errors
    /// [`FreshnessPolicyError::InvalidCron`], with croner's reason: a field
    /// count other than 5 or 6, a value out of range, a bad step, an
    /// expression that never fires, ...
    pub fn new(text: &str) -> Result<Self, FreshnessPolicyError> {
        let text = text.trim();
        let invalid = |reason: String| FreshnessPolicyError::InvalidCron { cron: text.to_owned(), reason };
        let fields = text.split_whitespace().count();
        if !text.starts_with('@') && !(5..=6).contains(&fields) {
            return Err(invalid(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found {fields}"
            )));
        }
        let parser = CronParser::builder().seconds(Seconds::Optional).year(Year::Disallowed).build();
        let cron = parser.parse(text).map_err(|error| invalid(reason_of(&error)))?;
        // Once a year at most, whatever the pattern, so a search from any
        // date finds a tick unless there is none.
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        if cron.find_next_occurrence(&epoch, true).is_err() {
            return Err(invalid("it never fires".to_owned()));
        }
        Ok(Self { text: Arc::from(text), cron })
    }

    /// The expression as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// croner's message, lowercased and without its trailing period, as Cairn
/// writes messages.
fn reason_of(error: &CronError) -> String {
    let message = match error {
        CronError::EmptyPattern => "it is empty".to_owned(),
        CronError::InvalidPattern(message) | CronError::ComponentError(message) => message.clone(),
        other => other.to_string(),
    };
    let message = message.trim_end_matches('.');
    let mut chars = message.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for CronExpr {}

impl std::hash::Hash for CronExpr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronExpr({})", self.text)
    }
}

impl Serialize for CronExpr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for CronExpr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

/// A cron expression read on the wall clock of a time zone: Dagster's
/// `deadline_cron` with its `timezone` (default `UTC`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CronSchedule {
    cron: CronExpr,
    timezone: Timezone,
}

impl CronSchedule {
    /// `cron` evaluated in `timezone`.
    pub fn new(cron: CronExpr, timezone: Timezone) -> Self {
        Self { cron, timezone }
    }

    /// The cron expression.
    pub fn cron(&self) -> &CronExpr {
        &self.cron
    }

    /// The time zone whose wall clock the expression is read on.
    pub fn timezone(&self) -> Timezone {
        self.timezone
    }

    /// The first tick strictly after `t` (UTC), or `None` when there is none
    /// before croner's search limit (the year 5000).
    pub fn next_tick_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut from = t.with_timezone(&self.timezone.tz());
        for _ in 0..TICK_SEARCH_RETRIES {
            let tick = self.cron.cron.find_next_occurrence(&from, false).ok()?;
            if tick.to_utc() > t {
                return Some(tick.to_utc());
            }
            from = tick;
        }
        None
    }

    /// The last tick at or before `t` (UTC): Dagster's
    /// `get_latest_completed_cron_tick`. `None` when there is none.
    pub fn last_tick_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut from = t.with_timezone(&self.timezone.tz());
        let mut inclusive = true;
        for _ in 0..TICK_SEARCH_RETRIES {
            let tick = self.cron.cron.find_previous_occurrence(&from, inclusive).ok()?;
            if tick.to_utc() <= t {
                return Some(tick.to_utc());
            }
            (from, inclusive) = (tick, false);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn reads_five_or_six_fields_and_nicknames() {
        assert_eq!(CronExpr::new(" 0 9 * * * ").unwrap().as_str(), "0 9 * * *");
        assert!(CronExpr::new("30 0 9 * * MON-FRI").is_ok());
        assert!(CronExpr::new("@daily").is_ok());
        assert!(CronExpr::new("0 0 29 2 *").is_ok(), "fires in leap years");
    }

    #[test]
    fn explains_bad_expressions() {
        let reason = |text: &str| match CronExpr::new(text) {
            Err(FreshnessPolicyError::InvalidCron { reason, .. }) => reason,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            reason(""),
            "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found 0"
        );
        assert!(reason("0 9 * *").ends_with("found 4"));
        assert!(reason("0 0 9 * * * 2024").ends_with("found 7"));
        assert_eq!(reason("61 * * * *"), "number out of bounds");
        assert_eq!(reason("0 0 30 2 *"), "it never fires");
        assert!(reason("0/5 * * * *").starts_with("invalid step syntax"), "{}", reason("0/5 * * * *"));
    }

    #[test]
    fn ticks_are_strictly_after_or_at_most_the_origin() {
        let schedule = CronSchedule::new(CronExpr::new("0 9 * * *").unwrap(), Timezone::UTC);
        let nine = utc("2024-01-01T09:00:00Z");
        assert_eq!(schedule.next_tick_after(nine), Some(utc("2024-01-02T09:00:00Z")));
        assert_eq!(schedule.next_tick_after(utc("2024-01-01T08:59:59.999Z")), Some(nine));
        assert_eq!(schedule.last_tick_at_or_before(nine), Some(nine));
        assert_eq!(schedule.last_tick_at_or_before(utc("2024-01-01T09:00:00.5Z")), Some(nine));
        assert_eq!(schedule.last_tick_at_or_before(utc("2024-01-01T08:59:59.5Z")), Some(utc("2023-12-31T09:00:00Z")));
    }
}
