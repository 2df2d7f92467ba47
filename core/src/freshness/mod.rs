//! Freshness policies: how recently an asset must have been materialized,
//! and whether it was, following Dagster's freshness policies
//! (`dagster/_core/definitions/freshness.py` and their evaluators, Dagster
//! 1.11).
//!
//! # Policies
//!
//! * **Lag** (`{ max_lag: 6h, warn_lag: 3h }`): Dagster's
//!   `TimeWindowFreshnessPolicy(fail_window, warn_window)`. The last
//!   materialization must be younger than `max_lag`.
//! * **Cron** (`{ cron: "0 9 * * *", timezone: Europe/Paris, max_lag: 2h }`):
//!   Dagster's `CronFreshnessPolicy(deadline_cron, lower_bound_delta,
//!   timezone)`, the successor of the legacy `FreshnessPolicy(cron_schedule,
//!   maximum_lag_minutes)`. By each tick `T` of the cron schedule (read on the
//!   wall clock of `timezone`, default `UTC`), the asset must have been
//!   materialized at or after `T - max_lag`: the data must include everything
//!   up to `T - max_lag`. A materialization counts for every later tick until
//!   one finds it too old, so "materialized between 07:00 and 09:00" keeps the
//!   asset fresh until 09:00 the next day.
//!
//! `warn_lag` is optional and shorter than `max_lag`; see the rules below.
//!
//! # Rules
//!
//! [`evaluate`] is a pure function of the policy, the time `m` of the last
//! materialization (UTC) and `now` (UTC, injected). Each policy turns `m`
//! into deadlines ([`FreshnessPolicy::deadlines`]):
//!
//! * lag: `fail_at = m + max_lag`, `warn_at = m + warn_lag`;
//! * cron: `fail_at` is the first tick strictly after `m + max_lag`, and
//!   `warn_at` the first tick strictly after `m + warn_lag`.
//!
//! Then, with nothing materialized since `m`:
//!
//! | condition | status | `overdue_by` | `next_deadline` |
//! |---|---|---|---|
//! | never materialized | `UNKNOWN` | none | none |
//! | `fail_at <= now` | `FAIL` | `now - fail_at` | none |
//! | `warn_at <= now < fail_at` | `WARN` | none | `fail_at` |
//! | otherwise | `PASS` | none | `warn_at`, else `fail_at` |
//!
//! Where the rules come from:
//!
//! * **Lag**: Dagster's `TimeWindowFreshnessPolicyEvaluator` fails when
//!   `now - m >= fail_window` and warns when `now - m >= warn_window`: an age
//!   of exactly `max_lag` fails, which is `fail_at <= now` above.
//! * **Cron**: Dagster's `CronFreshnessPolicyEvaluator` takes the latest
//!   tick `T <= now` (`get_latest_completed_cron_tick`, which counts a tick
//!   at exactly `now`) and passes when `m >= T - lower_bound_delta`. A tick in
//!   `(m + max_lag, now]` exists exactly when that latest tick is after
//!   `m + max_lag`, that is when the first tick after `m + max_lag` is at or
//!   before `now`: the rule above, which also yields `next_deadline`. A
//!   materialization at exactly `T - max_lag` passes at `T`.
//! * **Never materialized**: both Dagster evaluators answer
//!   `FreshnessState.UNKNOWN` ("freshness cannot be evaluated if there are no
//!   materialization events"); Cairn does the same rather than calling a
//!   never-built asset late, and the caller can show it as missing.
//! * **`warn_lag`**: warns when the same rule with `warn_lag` in place of
//!   `max_lag` would fail. For lag policies this is Dagster's `warn_window`.
//!   Dagster's cron policy has no warning; Cairn's is this same rule: by each
//!   tick `T` the asset should have been materialized at or after
//!   `T - warn_lag`, and must have been at or after `T - max_lag`.
//!
//! A materialization after `now` (clock skew) is simply young: `PASS`. A
//! deadline beyond chrono's range, or a cron with no tick before croner's
//! search limit (the year 5000), never comes: it is `None`.
//!
//! # Cron ticks and daylight-saving time
//!
//! Ticks are croner's (Open Cron Pattern Specification rules): a local time
//! skipped by a spring-forward change moves a fixed-time expression (single
//! second, minute and hour, like `30 2 * * *`) to the first instant after the
//! gap (02:30 on 2024-03-31 in Europe/Paris is 03:00 CEST), and an
//! expression with a wildcard, range, list or step in those fields skips the
//! missing times. A local time repeated by a fall-back change fires once, at
//! its first occurrence, for a fixed-time expression (02:30 CEST on
//! 2024-10-27), and at both occurrences otherwise (`0 * * * *` fires at 02:00
//! CEST and 02:00 CET).
//!
//! # Known differences from Dagster
//!
//! * Ticks inside a DST change. Both move a fixed-time tick that a
//!   spring-forward skips to the end of the gap (02:30 becomes 03:00), and
//!   both fire an expression whose hour field is `*` at both occurrences of a
//!   repeated hour. They differ elsewhere: in a repeated hour 1-3, Dagster's
//!   `cron_string_iterator` takes the *later* occurrence of a fixed-time tick
//!   (`_apply_fold`), so `30 2 * * *` in Europe/Paris is due on 2024-10-27 at
//!   02:30 CET with Dagster, an hour after Cairn's 02:30 CEST; and for an
//!   expression with several hours or minutes (`*/15 2 * * *`) croner fires
//!   at both occurrences of a repeated time and skips missing ones, where
//!   Dagster keeps the later occurrence and moves missing ones to the end of
//!   the gap.
//! * Dagster requires lags of at least one minute, a `lower_bound_delta` no
//!   longer than the shortest interval between ticks, and 5-field crons;
//!   Cairn accepts any positive lag (a longer one still means "materialized
//!   within `max_lag` before each tick") and an optional seconds field.
//! * `warn_lag` on cron policies (above).
//!
//! # Time-partitioned assets
//!
//! [`latest_partition_freshness`] says which partition should exist by `now`
//! (the latest complete time window) and whether it was materialized,
//! following Dagster's `build_time_partition_freshness_checks`.

mod cron;
mod partition;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

pub use self::cron::{CronExpr, CronSchedule};
pub use self::partition::{PartitionFreshness, latest_partition_freshness};
pub use crate::timezone::{Timezone, UnknownTimezone};

/// A validated freshness policy: a lag policy or a cron policy (see the
/// [module documentation](self) for the rules).
///
/// Built with [`Self::lag`] or [`Self::cron`] from already-parsed parts.
/// Serializes (for the store and the API) as
/// `{"max_lag": "6h", "warn_lag": "3h"}` or
/// `{"cron": "0 9 * * *", "timezone": "Europe/Paris", "max_lag": "2h"}`,
/// durations written as in `cairn.yaml` (`90s`, `1h 30m`); deserializing
/// validates as the constructors do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PolicyRecord", into = "PolicyRecord")]
pub struct FreshnessPolicy {
    max_lag: Duration,
    warn_lag: Option<Duration>,
    schedule: Option<CronSchedule>,
}

/// Why the parts of a [`FreshnessPolicy`] do not make one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreshnessPolicyError {
    /// A cron expression croner rejects, or one that never fires.
    #[error("invalid cron `{cron}`: {reason}")]
    InvalidCron {
        /// The expression given.
        cron: String,
        /// Why it was rejected, in croner's words (lowercased).
        reason: String,
    },
    /// A time zone that is not an IANA name.
    #[error(transparent)]
    UnknownTimezone(#[from] UnknownTimezone),
    /// `max_lag` or `warn_lag` is zero.
    #[error("`{field}` must be longer than zero")]
    ZeroLag {
        /// `max_lag` or `warn_lag`.
        field: &'static str,
    },
    /// `warn_lag` is not shorter than `max_lag`, so it could never warn.
    #[error(
        "`warn_lag` ({}) must be shorter than `max_lag` ({})",
        humantime::format_duration(*warn_lag),
        humantime::format_duration(*max_lag)
    )]
    WarnLagNotShorter {
        /// The `warn_lag` given.
        warn_lag: Duration,
        /// The `max_lag` given.
        max_lag: Duration,
    },
    /// A `timezone` without a `cron` (lag policies have no time zone).
    #[error("`timezone` applies only to cron policies; add a `cron` or remove the `timezone`")]
    TimezoneWithoutCron,
}

/// The deadlines a materialization sets (UTC); `None` for one that never
/// comes. `warn_at <= fail_at` when both are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// When the status turns `WARN` (only with a `warn_lag`).
    pub warn_at: Option<DateTime<Utc>>,
    /// When the status turns `FAIL`.
    pub fail_at: Option<DateTime<Utc>>,
}

impl FreshnessPolicy {
    /// A lag policy: the last materialization must be younger than
    /// `max_lag`, and warns from `warn_lag` on. Dagster's
    /// `TimeWindowFreshnessPolicy(fail_window, warn_window)`.
    ///
    /// # Errors
    /// [`FreshnessPolicyError::ZeroLag`] for a zero lag,
    /// [`FreshnessPolicyError::WarnLagNotShorter`] when
    /// `warn_lag >= max_lag`.
    pub fn lag(max_lag: Duration, warn_lag: Option<Duration>) -> Result<Self, FreshnessPolicyError> {
        check_lags(max_lag, warn_lag)?;
        Ok(Self { max_lag, warn_lag, schedule: None })
    }

    /// A cron policy: by each tick `T` of `cron` on the wall clock of
    /// `timezone`, the asset must have been materialized at or after
    /// `T - max_lag` (and should have been at or after `T - warn_lag`).
    /// Dagster's `CronFreshnessPolicy(deadline_cron, lower_bound_delta,
    /// timezone)`.
    ///
    /// # Errors
    /// As [`Self::lag`]; the cron expression and time zone are validated by
    /// [`CronExpr::new`] and [`Timezone::new`].
    pub fn cron(
        cron: CronExpr,
        timezone: Timezone,
        max_lag: Duration,
        warn_lag: Option<Duration>,
    ) -> Result<Self, FreshnessPolicyError> {
        check_lags(max_lag, warn_lag)?;
        Ok(Self { max_lag, warn_lag, schedule: Some(CronSchedule::new(cron, timezone)) })
    }

    /// The longest accepted lag (a lag policy) or the width of the window
    /// before each tick (a cron policy).
    pub fn max_lag(&self) -> Duration {
        self.max_lag
    }

    /// The lag from which the status is `WARN`, if any; shorter than
    /// [`Self::max_lag`].
    pub fn warn_lag(&self) -> Option<Duration> {
        self.warn_lag
    }

    /// The cron schedule of a cron policy; `None` for a lag policy.
    pub fn schedule(&self) -> Option<&CronSchedule> {
        self.schedule.as_ref()
    }

    /// The deadlines a materialization at `materialized_at` (UTC) sets; see
    /// the [module documentation](self).
    pub fn deadlines(&self, materialized_at: DateTime<Utc>) -> Deadlines {
        let deadline = |lag: Duration| {
            let limit = materialized_at.checked_add_signed(TimeDelta::from_std(lag).ok()?)?;
            match &self.schedule {
                None => Some(limit),
                Some(schedule) => schedule.next_tick_after(limit),
            }
        };
        Deadlines { warn_at: self.warn_lag.and_then(deadline), fail_at: deadline(self.max_lag) }
    }

    /// The policy for people: `materialized less than 6h ago (warn after
    /// 3h)`, or `materialized within 2h before each tick of `0 9 * * *`
    /// (Europe/Paris)`.
    pub fn describe(&self) -> String {
        let lag = humantime::format_duration(self.max_lag);
        let mut text = match &self.schedule {
            None => format!("materialized less than {lag} ago"),
            Some(schedule) => {
                format!("materialized within {lag} before each tick of `{}` ({})", schedule.cron(), schedule.timezone())
            }
        };
        if let Some(warn_lag) = self.warn_lag {
            text.push_str(&format!(" (warn after {})", humantime::format_duration(warn_lag)));
        }
        text
    }
}

impl fmt::Display for FreshnessPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

fn check_lags(max_lag: Duration, warn_lag: Option<Duration>) -> Result<(), FreshnessPolicyError> {
    if max_lag.is_zero() {
        return Err(FreshnessPolicyError::ZeroLag { field: "max_lag" });
    }
    match warn_lag {
        Some(warn_lag) if warn_lag.is_zero() => Err(FreshnessPolicyError::ZeroLag { field: "warn_lag" }),
        Some(warn_lag) if warn_lag >= max_lag => Err(FreshnessPolicyError::WarnLagNotShorter { warn_lag, max_lag }),
        _ => Ok(()),
    }
}

/// The serialized shape of a [`FreshnessPolicy`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cron: Option<CronExpr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timezone: Option<Timezone>,
    #[serde(with = "duration_text")]
    max_lag: Duration,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "duration_text::optional")]
    warn_lag: Option<Duration>,
}

impl TryFrom<PolicyRecord> for FreshnessPolicy {
    type Error = FreshnessPolicyError;
    fn try_from(record: PolicyRecord) -> Result<Self, Self::Error> {
        let PolicyRecord { cron, timezone, max_lag, warn_lag } = record;
        match (cron, timezone) {
            (Some(cron), timezone) => Self::cron(cron, timezone.unwrap_or_default(), max_lag, warn_lag),
            (None, Some(_)) => Err(FreshnessPolicyError::TimezoneWithoutCron),
            (None, None) => Self::lag(max_lag, warn_lag),
        }
    }
}

impl From<FreshnessPolicy> for PolicyRecord {
    fn from(policy: FreshnessPolicy) -> Self {
        let FreshnessPolicy { max_lag, warn_lag, schedule } = policy;
        let (cron, timezone) = schedule.map(|s| (s.cron().clone(), s.timezone())).unzip();
        Self { cron, timezone, max_lag, warn_lag }
    }
}

/// Dagster's `FreshnessState`, without `NOT_APPLICABLE` (an asset without a
/// policy is simply not evaluated). Serializes as `PASS`, `WARN`, `FAIL`,
/// `UNKNOWN`, Dagster's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FreshnessStatus {
    /// Fresh enough.
    Pass,
    /// Past `warn_lag`, not yet past `max_lag`.
    Warn,
    /// Past `max_lag`: overdue.
    Fail,
    /// Never materialized: nothing to judge.
    Unknown,
}

impl FreshnessStatus {
    /// `PASS`, `WARN`, `FAIL` or `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
            Self::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for FreshnessStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The freshness of an asset (or partition) at one instant; all times UTC.
///
/// Serializes with RFC 3339 times and `overdue_by` written as in
/// `cairn.yaml` (`1h 30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    /// The verdict.
    pub status: FreshnessStatus,
    /// The materialization judged; `None` exactly when `UNKNOWN`.
    pub last_materialized_at: Option<DateTime<Utc>>,
    /// How long ago the status turned `FAIL`; set exactly when `FAIL`.
    #[serde(with = "duration_text::optional")]
    pub overdue_by: Option<Duration>,
    /// The next instant the status worsens (`PASS` to `WARN` or `FAIL`,
    /// `WARN` to `FAIL`) if nothing is materialized; always after the
    /// evaluation time. `None` when `FAIL` or `UNKNOWN`, or when no such
    /// instant comes.
    pub next_deadline: Option<DateTime<Utc>>,
}

impl Freshness {
    /// `UNKNOWN`: never materialized.
    pub fn unknown() -> Self {
        Self { status: FreshnessStatus::Unknown, last_materialized_at: None, overdue_by: None, next_deadline: None }
    }
}

/// The freshness at `now` (UTC) of an asset last materialized at
/// `last_materialized_at` (UTC; `None` if never), under `policy`. Pure: the
/// clock is the caller's. See the [module documentation](self) for the rules.
pub fn evaluate(
    policy: &FreshnessPolicy,
    last_materialized_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Freshness {
    let Some(last) = last_materialized_at else {
        return Freshness::unknown();
    };
    let Deadlines { warn_at, fail_at } = policy.deadlines(last);
    let passed = |deadline: Option<DateTime<Utc>>| deadline.filter(|at| *at <= now);
    let (status, overdue_by, next_deadline) = if let Some(failed_at) = passed(fail_at) {
        (FreshnessStatus::Fail, (now - failed_at).to_std().ok(), None)
    } else if passed(warn_at).is_some() {
        (FreshnessStatus::Warn, None, fail_at)
    } else {
        (FreshnessStatus::Pass, None, warn_at.or(fail_at))
    };
    Freshness { status, last_materialized_at: Some(last), overdue_by, next_deadline }
}

/// Serde for [`Duration`]s as `cairn.yaml` writes them (`90s`, `1h 30m`),
/// through humantime; exact to the nanosecond both ways.
mod duration_text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&humantime::format_duration(*duration))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_duration(text.trim())
            .map_err(|error| serde::de::Error::custom(format!("`{text}` is not a duration: {error}")))
    }

    /// The same for `Option<Duration>` (`null` for `None`).
    pub(super) mod optional {
        use std::time::Duration;

        use serde::{Deserialize, Deserializer, Serializer};

        pub(in super::super) fn serialize<S: Serializer>(
            duration: &Option<Duration>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match duration {
                Some(duration) => super::serialize(duration, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub(in super::super) fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Duration>, D::Error> {
            #[derive(Deserialize)]
            struct Text(#[serde(with = "super")] Duration);
            Ok(Option::<Text>::deserialize(deserializer)?.map(|Text(duration)| duration))
        }
    }
}
