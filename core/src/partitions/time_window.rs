//! Time-window partitions: hourly, daily, weekly and monthly windows in an
//! IANA time zone, reproducing Dagster's `TimeWindowPartitionsDefinition`
//! (keys, windows, order, DST handling) exactly; see
//! `core/tests/fixtures/dagster_partitions.json` and `core/tests/conformance.rs`.
//!
//! # Ticks and windows
//!
//! A definition is a cron schedule (see
//! [`TimeWindowPartitions::cron_schedule`]) evaluated in local time of its
//! time zone. Each *tick* of the schedule is a window boundary; window `i` is
//! the half-open interval `[tick i, tick i+1)`. The first window starts at
//! the first tick at or after `start`. The rules for local times that a DST
//! change skips or repeats are Dagster's (`dagster._utils.schedules`):
//!
//! * **Hourly** (`M * * * *`): every instant whose local wall-clock time is
//!   `HH:M:00`. A local hour skipped by a spring-forward has no tick; a local
//!   hour repeated by a fall-back has two, and the key of the second one
//!   carries its UTC offset (`2024-11-03-01:00-0500`), as Dagster's
//!   `dst_safe_strftime` does.
//! * **Daily, weekly, monthly** (`M H * * *`, `M H * * D`, `M H D * *`): one
//!   tick per matching local date, at `H:M`. If that wall time is repeated,
//!   the *later* instant is used when `H` is 1, 2 or 3 and the earlier one
//!   otherwise (Dagster's `_apply_fold` only looks at hours 1-3). If it does
//!   not exist, the tick is the first instant after the gap when `H` is 1, 2
//!   or 3 (Dagster's `apply_post_transition`: 02:30 becomes 03:00), and
//!   otherwise the wall time read with the UTC offset in force before the
//!   gap (Python's `fold=0`; for a gap at midnight this is also the first
//!   instant after it). The key is always the local date of the tick.
//!
//! # Known differences from Dagster
//!
//! * In zones whose UTC offset is not a whole number of hours (Asia/Kolkata,
//!   Australia/Adelaide, ...), Dagster's hourly iteration counts
//!   `minute_offset` in UTC minutes in some code paths and in local minutes
//!   in others; Cairn always uses local wall-clock minutes. In whole-hour
//!   zones the two are the same.
//! * Dagster's "basic" hourly and daily definitions (`0 * * * *`,
//!   `0 0 * * *`) accept any parsable time as a key in `has_partition_key`
//!   (`2024-01-01-05:30` for hourly); Cairn only accepts keys that denote a
//!   window start, plus the one alias Dagster's fixture relies on: the
//!   nonexistent local hour of a spring-forward (`2024-03-10-02:00` in
//!   `America/New_York`) names the window that starts when the gap ends.
//! * Dagster's `get_partition_key_for_timestamp` has no bounds;
//!   [`TimeWindowPartitions::key_for_timestamp`] returns `None` outside the
//!   definition, and [`TimeWindowPartitions::unbounded_key_for_timestamp`]
//!   is the Dagster function.

use std::fmt::{self, Write as _};

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::{PartitionKey, PartitionsError};
use crate::timezone::parse_iana;

/// Largest accepted `|end_offset|`, in windows. Extending a definition
/// costs one step per window on every query for hourly windows.
const MAX_END_OFFSET: i64 = 10_000;

/// The start and end formats accepted by [`TimeWindowPartitions::new`] and
/// [`TimeWindowPartitions::parse_time`], for error messages.
const ACCEPTED_FORMATS: &str = "`YYYY-MM-DD`, `YYYY-MM-DD-HH:MM`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`";

const SECONDS_PER_HOUR: i64 = 3_600;
const SECONDS_PER_DAY: i64 = 86_400;

/// Length of one time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cadence {
    /// One hour; keys `%Y-%m-%d-%H:%M` (Dagster's `HourlyPartitionsDefinition`).
    Hourly,
    /// One day; keys `%Y-%m-%d` (Dagster's `DailyPartitionsDefinition`).
    Daily,
    /// One week starting on Sunday + `day_offset`; keys `%Y-%m-%d` of the
    /// first day (Dagster's `WeeklyPartitionsDefinition`).
    Weekly,
    /// One calendar month starting on day `day_offset` (1-28, default 1) of
    /// each month (Dagster's `MonthlyPartitionsDefinition`); keys `%Y-%m-%d`
    /// of the first day.
    Monthly,
}

impl Cadence {
    /// The lowercase name used in YAML and messages: `hourly`, `daily`,
    /// `weekly` or `monthly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hourly => "hourly",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    /// Typical window length in seconds, for capacity estimates only.
    fn nominal_seconds(self) -> i64 {
        match self {
            Self::Hourly => SECONDS_PER_HOUR,
            Self::Daily => SECONDS_PER_DAY,
            Self::Weekly => 7 * SECONDS_PER_DAY,
            Self::Monthly => 28 * SECONDS_PER_DAY,
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The settings of a time-window definition, as written in YAML
/// (`daily: { start: 2013-01-01, end: 2014-01-01, timezone: America/New_York }`).
///
/// Field names and defaults follow the keyword arguments of Dagster's
/// `HourlyPartitionsDefinition` and friends (`start_date` is `start`,
/// `end_date` is `end`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeWindowConfig {
    /// Window length.
    pub cadence: Cadence,
    /// Local time (in `timezone`) at or after which the first window starts:
    /// `YYYY-MM-DD`, `YYYY-MM-DD-HH:MM` (the hourly key format, optionally
    /// with a `±HHMM` offset suffix), `YYYY-MM-DDTHH:MM` or
    /// `YYYY-MM-DDTHH:MM:SS`. A repeated local time means its first
    /// occurrence; a skipped one is read with the offset before the gap
    /// (Dagster's `dst_safe_strptime`).
    pub start: String,
    /// Exclusive end, in the same formats as `start`: only windows that end
    /// at or before it exist (Dagster's `end_date`). `None` means windows
    /// continue until `now` (see [`TimeWindowPartitions::keys`]).
    pub end: Option<String>,
    /// IANA time zone name; `None` means `UTC`.
    pub timezone: Option<String>,
    /// Minute of the hour at which windows start (0-59).
    pub minute_offset: u32,
    /// Hour of the day at which windows start (0-23); must be 0 for hourly.
    pub hour_offset: u32,
    /// Weekly: day of the week (0 = Sunday .. 6, default 0); monthly: day of
    /// the month (1-28, Dagster's default 1). Must be `None` for hourly and
    /// daily, which Dagster does not give a day offset.
    pub day_offset: Option<u32>,
    /// Extra windows past the last complete one, as Dagster's `end_offset`
    /// (negative removes windows; at most 10 000 either way).
    pub end_offset: i64,
}

/// A window boundary: one tick of the definition's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Tick {
    /// The instant.
    at: DateTime<Utc>,
    /// Daily, weekly, monthly: the local date the tick belongs to, which is
    /// its key. Hourly: the UTC date of `at` (unused).
    date: NaiveDate,
}

/// How a local wall time that a DST change skips or repeats becomes an
/// instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolve {
    /// Dagster's cron ticks (see the module documentation).
    Cron,
    /// Python's `fold=0`, as Dagster's `dst_safe_strptime`: the first of two
    /// repeated instants; a skipped time read with the offset before the gap.
    Fold0,
    /// The first of two repeated instants; a skipped time becomes the first
    /// instant after the gap.
    NextValid,
}

/// The shape of a parsed date or time text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DD-HH:MM`, optionally with a `±HHMM[SS]` offset suffix.
    KeyMinute,
    /// `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`.
    Iso,
}

/// A date or time text read without a time zone.
#[derive(Debug, Clone, Copy)]
struct ParsedTime {
    naive: NaiveDateTime,
    shape: Shape,
    /// The UTC offset suffix of a `KeyMinute`, in seconds east of UTC.
    offset: Option<i32>,
}

/// The schedule of a definition: cadence, offsets and time zone, without
/// bounds. All tick arithmetic lives here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Schedule {
    cadence: Cadence,
    tz: Tz,
    minute: u32,
    hour: u32,
    /// Weekly: day of week (0 = Sunday); monthly: day of month; else 0.
    day: u32,
}

/// A validated time-window partitions definition.
///
/// Two definitions are equal when they have the same schedule, time zone,
/// first window, last allowed window end and `end_offset`, that is when they
/// have the same keys at every `now` (however `start` and `end` were spelled).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeWindowPartitions {
    schedule: Schedule,
    end_offset: i64,
    /// Start of the first window.
    first: Tick,
    /// End of the last window allowed by `end`, if any.
    end: Option<Tick>,
}

/// One half-open window `[start, end)` in the definition's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    /// Inclusive start.
    pub start: DateTime<Tz>,
    /// Exclusive end.
    pub end: DateTime<Tz>,
}

impl TimeWindowPartitions {
    /// Validates `config`.
    ///
    /// `start` and `end` are read in the definition's time zone (see
    /// [`TimeWindowConfig::start`]); the first window starts at the first
    /// tick at or after `start`, as in Dagster.
    ///
    /// # Errors
    /// [`PartitionsError::UnknownTimezone`] for a time zone chrono-tz does not
    /// know; [`PartitionsError::InvalidDate`] for a start or end that does
    /// not parse (listing the accepted formats);
    /// [`PartitionsError::Invalid`] for an end not after start, an end that
    /// leaves no complete window, an offset out of Dagster's ranges (minute
    /// 0-59, hour 0-23 and 0 for hourly, weekly day 0-6, monthly day 1-28, no
    /// day for hourly and daily) or an `end_offset` beyond ±10 000.
    pub fn new(config: TimeWindowConfig) -> Result<Self, PartitionsError> {
        let TimeWindowConfig { cadence, start, end, timezone, minute_offset, hour_offset, day_offset, end_offset } =
            config;
        let tz = parse_timezone(timezone.as_deref())?;
        let invalid = |message: String| Err(PartitionsError::Invalid(message));
        if minute_offset > 59 {
            return invalid(format!("minute_offset {minute_offset} is out of range (0-59)"));
        }
        if cadence == Cadence::Hourly && hour_offset != 0 {
            return invalid(format!(
                "hour_offset {hour_offset} is not allowed for hourly partitions, which begin \
                 every hour at minute_offset"
            ));
        }
        if hour_offset > 23 {
            return invalid(format!("hour_offset {hour_offset} is out of range (0-23)"));
        }
        let day = match (cadence, day_offset) {
            (Cadence::Weekly, None) => 0,
            (Cadence::Weekly, Some(day)) if day <= 6 => day,
            (Cadence::Weekly, Some(day)) => {
                return invalid(format!(
                    "day_offset {day} is out of range for weekly partitions (0 = Sunday to 6 = Saturday)"
                ));
            }
            (Cadence::Monthly, None) => 1,
            (Cadence::Monthly, Some(day)) if (1..=28).contains(&day) => day,
            (Cadence::Monthly, Some(day)) => {
                return invalid(format!("day_offset {day} is out of range for monthly partitions (1-28)"));
            }
            (Cadence::Hourly | Cadence::Daily, None) => 0,
            (Cadence::Hourly | Cadence::Daily, Some(day)) => {
                return invalid(format!(
                    "day_offset {day} is not allowed for {cadence} partitions (only weekly and monthly)"
                ));
            }
        };
        if end_offset.unsigned_abs() > MAX_END_OFFSET.unsigned_abs() {
            return invalid(format!("end_offset {end_offset} is out of range (-{MAX_END_OFFSET} to {MAX_END_OFFSET})"));
        }
        let schedule = Schedule { cadence, tz, minute: minute_offset, hour: hour_offset, day };

        let start_at = schedule.parse_bound("start", &start)?;
        let end_at = end.as_deref().map(|text| schedule.parse_bound("end", text)).transpose()?;
        let out_of_range =
            || PartitionsError::Invalid(format!("{cadence} partitions from `{start}` are beyond the supported dates"));
        let first = schedule.ceil(start_at).ok_or_else(out_of_range)?;
        let end_tick = match (end.as_deref(), end_at) {
            (Some(end_text), Some(end_at)) => {
                if end_at <= start_at {
                    return invalid(format!("end `{end_text}` is not after start `{start}`"));
                }
                let end_tick = schedule.floor(end_at).ok_or_else(out_of_range)?;
                if end_tick.at <= first.at {
                    return invalid(format!(
                        "no complete {cadence} window fits between start `{start}` and end \
                         `{end_text}` (the first window would start at {})",
                        schedule.key_string(&first)
                    ));
                }
                Some(end_tick)
            }
            _ => None,
        };
        Ok(Self { schedule, end_offset, first, end: end_tick })
    }

    /// The window length.
    pub fn cadence(&self) -> Cadence {
        self.schedule.cadence
    }

    /// The IANA time zone windows are computed in (`UTC` when none was given).
    pub fn timezone(&self) -> Tz {
        self.schedule.tz
    }

    /// The strftime key format: `%Y-%m-%d-%H:%M` for hourly, `%Y-%m-%d`
    /// otherwise (Dagster's default `fmt` for each cadence). Hourly keys of a
    /// local hour repeated by DST also carry a `%z` suffix.
    pub fn key_format(&self) -> &str {
        match self.schedule.cadence {
            Cadence::Hourly => "%Y-%m-%d-%H:%M",
            _ => "%Y-%m-%d",
        }
    }

    /// Dagster's normalized cron schedule for this definition (`0 0 * * *`),
    /// evaluated in local time of [`Self::timezone`]: `M * * * *` (hourly),
    /// `M H * * *` (daily), `M H * * D` (weekly), `M H D * *` (monthly), as
    /// Dagster's `cron_schedule_from_schedule_type_and_offsets`.
    pub fn cron_schedule(&self) -> String {
        let Schedule { cadence, minute, hour, day, .. } = self.schedule;
        match cadence {
            Cadence::Hourly => format!("{minute} * * * *"),
            Cadence::Daily => format!("{minute} {hour} * * *"),
            Cadence::Weekly => format!("{minute} {hour} * * {day}"),
            Cadence::Monthly => format!("{minute} {hour} {day} * *"),
        }
    }

    /// The `end_offset` of the definition, in windows.
    pub fn end_offset(&self) -> i64 {
        self.end_offset
    }

    /// All windows in order as of `now` (UTC), with their keys; window
    /// bounds are in the definition's time zone.
    ///
    /// As Dagster's `get_partition_keys`: windows from the first tick at or
    /// after `start`, up to the last window that ends at or before `now`,
    /// extended (or shortened) by `end_offset` windows, and never past `end`.
    pub fn windows(&self, now: DateTime<Utc>) -> Vec<(PartitionKey, TimeWindow)> {
        let Some(bound) = self.last_end(now) else {
            return Vec::new();
        };
        let tz = self.schedule.tz;
        let mut out = Vec::with_capacity(self.capacity_until(bound));
        let mut start_local = self.first.at.with_timezone(&tz);
        for (start, end) in self.ticks(self.first, bound.at) {
            let end_local = end.at.with_timezone(&tz);
            out.push((
                PartitionKey::from_generated(self.schedule.key_string(&start)),
                TimeWindow { start: start_local, end: end_local },
            ));
            start_local = end_local;
        }
        out
    }

    /// All keys in order as of `now` (UTC); the keys of [`Self::windows`].
    pub fn keys(&self, now: DateTime<Utc>) -> Vec<PartitionKey> {
        let Some(bound) = self.last_end(now) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(self.capacity_until(bound));
        out.extend(
            self.ticks(self.first, bound.at)
                .map(|(start, _)| PartitionKey::from_generated(self.schedule.key_string(&start))),
        );
        out
    }

    /// The end (UTC) of the last window among [`Self::keys`] as of `now`,
    /// `None` when there is none: two instants with the same end have the
    /// same keys. Costs a few time-zone look-ups, whatever the number of
    /// keys.
    pub fn keys_end(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.last_end(now).map(|bound| bound.at)
    }

    /// Whether `key` is a key of this definition as of `now` (UTC), as
    /// Dagster's `has_partition_key`: it must name a window start (see
    /// [`Self::time_window_for_key`]) between the first and the last window.
    pub fn has_key(&self, key: &str, now: DateTime<Utc>) -> bool {
        let Some(start) = self.key_start(key) else {
            return false;
        };
        self.last_end(now).is_some_and(|bound| start.at >= self.first.at && start.at < bound.at)
    }

    /// The window of `key`, whether or not it is within the definition's
    /// bounds (as Dagster's `time_window_for_partition_key`).
    ///
    /// `key` must be in the key format, written as this definition writes it
    /// (`2024-01-05`, not `2024-1-5`), and name the start of a window. The
    /// second occurrence of a local hour repeated by DST is written with its
    /// UTC offset (`2024-11-03-01:00-0500`); any other offset suffix is
    /// rejected. As in Dagster, for `0 * * * *` hourly and `0 0 * * *` daily
    /// definitions a local time skipped by DST (`2024-03-10-02:00` in
    /// `America/New_York`) names the window starting when the gap ends.
    ///
    /// # Errors
    /// [`PartitionsError::UnknownKey`] when `key` does not parse in the key
    /// format or is not the start of a window of this definition.
    pub fn time_window_for_key(&self, key: &str) -> Result<TimeWindow, PartitionsError> {
        let window = self.key_start(key).and_then(|start| {
            let end = self.schedule.next(start)?;
            let tz = self.schedule.tz;
            Some(TimeWindow { start: start.at.with_timezone(&tz), end: end.at.with_timezone(&tz) })
        });
        window.ok_or_else(|| PartitionsError::UnknownKey { key: key.to_owned(), definition: self.describe() })
    }

    /// The key of the window containing `t` (UTC), if that window is among
    /// [`Self::windows`] as of `now`.
    pub fn key_for_timestamp(&self, t: DateTime<Utc>, now: DateTime<Utc>) -> Option<PartitionKey> {
        let start = self.schedule.floor(t)?;
        let bound = self.last_end(now)?;
        (start.at >= self.first.at && start.at < bound.at)
            .then(|| PartitionKey::from_generated(self.schedule.key_string(&start)))
    }

    /// The key of the schedule window containing `t` (UTC), ignoring the
    /// definition's start, end and `now`: Dagster's
    /// `get_partition_key_for_timestamp`. `None` only for instants beyond
    /// chrono's range.
    pub fn unbounded_key_for_timestamp(&self, t: DateTime<Utc>) -> Option<PartitionKey> {
        let start = self.schedule.floor(t)?;
        Some(PartitionKey::from_generated(self.schedule.key_string(&start)))
    }

    /// The latest window among [`Self::windows`] as of `now` (UTC) that
    /// has ended at or before `now`, with its key: the partition that should
    /// exist by `now`. `None` when no window of the definition has ended.
    ///
    /// Without `end` and `end_offset` this is the last of [`Self::windows`].
    /// A positive `end_offset` adds windows that have not ended, which are
    /// skipped; a negative one or a past `end` makes the last window older.
    /// Costs a few time-zone look-ups, whatever the number of keys.
    pub fn last_complete_window(&self, now: DateTime<Utc>) -> Option<(PartitionKey, TimeWindow)> {
        let bound = self.last_end(now)?;
        let ended = self.schedule.floor(now)?;
        let end = if ended.at < bound.at { ended } else { bound };
        if end.at <= self.first.at {
            return None;
        }
        let start = self.schedule.advance(end, -1)?;
        let tz = self.schedule.tz;
        let window = TimeWindow { start: start.at.with_timezone(&tz), end: end.at.with_timezone(&tz) };
        Some((PartitionKey::from_generated(self.schedule.key_string(&start)), window))
    }

    /// Keys (in order, as of `now`) whose windows overlap `[start, end)`
    /// (UTC instants); empty when `end <= start`.
    ///
    /// Costs a few time-zone look-ups plus one step per key returned (and
    /// `|end_offset|` steps for hourly definitions), whatever the number of
    /// keys in the definition.
    pub fn keys_overlapping(&self, start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Vec<PartitionKey> {
        if end <= start {
            return Vec::new();
        }
        let Some(bound) = self.last_end(now) else {
            return Vec::new();
        };
        let from = if start <= self.first.at { Some(self.first) } else { self.schedule.floor(start) };
        let Some(from) = from else {
            return Vec::new();
        };
        let stop = end.min(bound.at);
        self.ticks(from, stop).map(|(tick, _)| PartitionKey::from_generated(self.schedule.key_string(&tick))).collect()
    }

    /// Reads a point in time for `--partition`/`--from`/`--to` and returns
    /// it in UTC.
    ///
    /// A key of this definition (see [`Self::time_window_for_key`]) means
    /// the start of its window (so `2024-01-05` of a daily definition with
    /// `hour_offset: 3` is 03:00 local). Any other text is a local date or
    /// time in the definition's time zone: `%Y-%m-%d` (midnight),
    /// `%Y-%m-%d-%H:%M` (optionally with a `±HHMM` offset suffix, which is
    /// then exact), `%Y-%m-%dT%H:%M` or `%Y-%m-%dT%H:%M:%S`. A local time
    /// repeated by DST means its first occurrence; one skipped by DST means
    /// the first instant after the gap (`2024-03-10T02:30` in
    /// `America/New_York` is 03:00 EDT).
    ///
    /// # Errors
    /// [`PartitionsError::UnparsableTime`].
    pub fn parse_time(&self, text: &str) -> Result<DateTime<Utc>, PartitionsError> {
        if let Some(start) = self.key_start(text) {
            return Ok(start.at);
        }
        parse_text(text)
            .and_then(|parsed| self.schedule.instant_of(parsed, Resolve::NextValid))
            .ok_or_else(|| PartitionsError::UnparsableTime { text: text.to_owned(), definition: self.describe() })
    }

    /// For messages: `daily partitions from 2013-01-01 to 2013-04-01
    /// (America/New_York)`.
    ///
    /// `from` is the key of the first window and `to` the (exclusive) end of
    /// the last window allowed by `end`, in the key format. The cron schedule
    /// is shown when offsets differ from the defaults, and `end_offset` when
    /// it is not 0: `weekly partitions (cron `0 0 * * 1`) from 2024-01-01
    /// (UTC), end offset 1`.
    pub fn describe(&self) -> String {
        let schedule = &self.schedule;
        let mut text = format!("{} partitions", schedule.cadence);
        let default_day = match schedule.cadence {
            Cadence::Monthly => 1,
            _ => 0,
        };
        if schedule.minute != 0 || schedule.hour != 0 || schedule.day != default_day {
            let _ = write!(text, " (cron `{}`)", self.cron_schedule());
        }
        let _ = write!(text, " from {}", schedule.key_string(&self.first));
        if let Some(end) = &self.end {
            let _ = write!(text, " to {}", schedule.key_string(end));
        }
        let _ = write!(text, " ({})", schedule.tz.name());
        if self.end_offset != 0 {
            let _ = write!(text, ", end offset {}", self.end_offset);
        }
        text
    }

    /// The end of the last window as of `now`, or `None` when there are no
    /// windows. Dagster's `get_partition_keys`: the windows ending at or
    /// before `now`, plus `end_offset` more when positive, cut at `end`, then
    /// minus `|end_offset|` when negative.
    fn last_end(&self, now: DateTime<Utc>) -> Option<Tick> {
        let schedule = &self.schedule;
        let base = match schedule.floor(now) {
            Some(tick) if tick.at > self.first.at => tick,
            _ => self.first,
        };
        let mut bound = if self.end_offset > 0 { schedule.advance(base, self.end_offset)? } else { base };
        if let Some(end) = self.end
            && end.at < bound.at
        {
            bound = end;
        }
        if self.end_offset < 0 {
            bound = schedule.advance(bound, self.end_offset)?;
        }
        (bound.at > self.first.at).then_some(bound)
    }

    /// The window start that `key` names, if it is one (Dagster's
    /// `has_partition_key` without the bounds; see
    /// [`Self::time_window_for_key`]).
    fn key_start(&self, key: &str) -> Option<Tick> {
        let schedule = &self.schedule;
        let parsed = parse_text(key)?;
        let key_shape = match schedule.cadence {
            Cadence::Hourly => Shape::KeyMinute,
            _ => Shape::Date,
        };
        if parsed.shape != key_shape {
            return None;
        }
        let at = schedule.instant_of(parsed, Resolve::Fold0)?;
        let tick = schedule.ceil(at)?;
        let alias = schedule.is_basic() && parsed.offset.is_none() && tick.at == at;
        (alias || schedule.key_string(&tick) == key).then_some(tick)
    }

    /// Consecutive windows `(start, end)` from `from` while `start < stop`.
    fn ticks(&self, from: Tick, stop: DateTime<Utc>) -> impl Iterator<Item = (Tick, Tick)> + '_ {
        let mut current = Some(from);
        std::iter::from_fn(move || {
            let start = current.filter(|tick| tick.at < stop)?;
            let end = self.schedule.next(start);
            current = end;
            Some((start, end?))
        })
    }

    /// A capacity estimate for the windows from the first up to `bound`.
    fn capacity_until(&self, bound: Tick) -> usize {
        let seconds = (bound.at - self.first.at).num_seconds();
        let estimate = seconds / self.schedule.cadence.nominal_seconds() + 2;
        usize::try_from(estimate.clamp(0, 1 << 20)).unwrap_or(0)
    }
}

impl Schedule {
    /// Dagster's "basic" schedules, `0 * * * *` and `0 0 * * *`, whose key
    /// parsing takes a shortcut (see [`TimeWindowPartitions::time_window_for_key`]).
    fn is_basic(&self) -> bool {
        match self.cadence {
            Cadence::Hourly => self.minute == 0,
            Cadence::Daily => self.minute == 0 && self.hour == 0,
            Cadence::Weekly | Cadence::Monthly => false,
        }
    }

    /// Reads `start` or `end` of the configuration (Python `fold=0`, as
    /// Dagster's `dst_safe_strptime`).
    fn parse_bound(&self, field: &'static str, text: &str) -> Result<DateTime<Utc>, PartitionsError> {
        parse_text(text).and_then(|parsed| self.instant_of(parsed, Resolve::Fold0)).ok_or_else(|| {
            PartitionsError::InvalidDate { field, value: text.to_owned(), expected: ACCEPTED_FORMATS.to_owned() }
        })
    }

    /// The instant of a parsed text: exact with an offset suffix, else the
    /// local time resolved by `how`.
    fn instant_of(&self, parsed: ParsedTime, how: Resolve) -> Option<DateTime<Utc>> {
        match parsed.offset {
            Some(offset) => {
                let seconds = parsed.naive.and_utc().timestamp() - i64::from(offset);
                DateTime::from_timestamp(seconds, 0)
            }
            None => self.resolve(parsed.naive, how),
        }
    }

    /// UTC offset (seconds east) in force at the Unix time `seconds`.
    fn offset_at(&self, seconds: i64) -> Option<i32> {
        let utc = DateTime::from_timestamp(seconds, 0)?;
        Some(self.tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc())
    }

    /// The instant of local wall time `naive`, with skipped and repeated
    /// times resolved by `how`.
    fn resolve(&self, naive: NaiveDateTime, how: Resolve) -> Option<DateTime<Utc>> {
        let dst_hour = (1..=3).contains(&naive.hour());
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
            LocalResult::Ambiguous(earlier, later) => {
                let pick_later = how == Resolve::Cron && dst_hour;
                Some(if pick_later { later } else { earlier }.with_timezone(&Utc))
            }
            LocalResult::None => {
                let (gap_end, offset_before) = self.gap(naive)?;
                let seconds = match how {
                    Resolve::Cron if dst_hour => gap_end,
                    Resolve::NextValid => gap_end,
                    Resolve::Cron | Resolve::Fold0 => naive.and_utc().timestamp() - i64::from(offset_before),
                };
                DateTime::from_timestamp(seconds, 0)
            }
        }
    }

    /// For a local wall time skipped by a DST change: the first instant
    /// after the gap (Unix seconds) and the UTC offset in force before it.
    /// Assumes no other change within a day of the gap.
    fn gap(&self, naive: NaiveDateTime) -> Option<(i64, i32)> {
        let wall = naive.and_utc().timestamp();
        // Local time at `lo` is before `naive` and at `hi` after it, whatever
        // the offset (|offset| < 1 day); find the first instant after it.
        let (mut lo, mut hi) = (wall - SECONDS_PER_DAY, wall + SECONDS_PER_DAY);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if mid + i64::from(self.offset_at(mid)?) > wall {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some((hi, self.offset_at(hi - 1)?))
    }

    /// The first Unix second in `(lo, hi]` whose offset differs from `from`,
    /// the offset at `lo` (the offset at `hi` differs).
    fn first_change(&self, mut lo: i64, mut hi: i64, from: i32) -> Option<i64> {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.offset_at(mid)? == from {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(hi)
    }

    /// Seconds past the hour (local) at which hourly ticks fall.
    fn hourly_target(&self) -> i64 {
        i64::from(self.minute) * 60
    }

    /// The last hourly tick at or before the Unix time `t`.
    fn hourly_floor(&self, mut t: i64) -> Option<i64> {
        let target = self.hourly_target();
        for _ in 0..8 {
            let offset = self.offset_at(t)?;
            let candidate = t - (t + i64::from(offset) - target).rem_euclid(SECONDS_PER_HOUR);
            let candidate_offset = self.offset_at(candidate)?;
            if candidate_offset == offset {
                return Some(candidate);
            }
            // The offset changed in (candidate, t]: no tick under the new
            // offset there, so look before the change.
            t = self.first_change(candidate, t, candidate_offset)? - 1;
        }
        None
    }

    /// The first hourly tick at or after the Unix time `t`.
    fn hourly_ceil(&self, mut t: i64) -> Option<i64> {
        let target = self.hourly_target();
        for _ in 0..8 {
            let offset = self.offset_at(t)?;
            let candidate = t + (target - t - i64::from(offset)).rem_euclid(SECONDS_PER_HOUR);
            if self.offset_at(candidate)? == offset {
                return Some(candidate);
            }
            // The offset changed in (t, candidate]: start again from there.
            t = self.first_change(t, candidate, offset)?;
        }
        None
    }

    fn hourly_tick(seconds: i64) -> Option<Tick> {
        let at = DateTime::from_timestamp(seconds, 0)?;
        Some(Tick { at, date: at.date_naive() })
    }

    /// The tick on `date`, which must match the schedule (daily, weekly,
    /// monthly).
    fn tick_on(&self, date: NaiveDate) -> Option<Tick> {
        let time = NaiveTime::from_hms_opt(self.hour, self.minute, 0)?;
        let at = self.resolve(date.and_time(time), Resolve::Cron)?;
        Some(Tick { at, date })
    }

    /// The last date at or before `date` that has a tick (daily, weekly,
    /// monthly).
    fn matching_on_or_before(&self, date: NaiveDate) -> Option<NaiveDate> {
        match self.cadence {
            Cadence::Hourly | Cadence::Daily => Some(date),
            Cadence::Weekly => {
                let back = (date.weekday().num_days_from_sunday() + 7 - self.day) % 7;
                date.checked_sub_days(Days::new(back.into()))
            }
            Cadence::Monthly => {
                if date.day() >= self.day {
                    date.with_day(self.day)
                } else {
                    date.checked_sub_months(Months::new(1))?.with_day(self.day)
                }
            }
        }
    }

    /// `date` (a date with a tick) moved by `n` windows (daily, weekly,
    /// monthly).
    fn step_date(&self, date: NaiveDate, n: i64) -> Option<NaiveDate> {
        let steps = n.unsigned_abs();
        match self.cadence {
            Cadence::Hourly | Cadence::Daily | Cadence::Weekly => {
                let per = if self.cadence == Cadence::Weekly { 7 } else { 1 };
                let days = Days::new(steps.checked_mul(per)?);
                if n >= 0 { date.checked_add_days(days) } else { date.checked_sub_days(days) }
            }
            Cadence::Monthly => {
                let months = Months::new(u32::try_from(steps).ok()?);
                if n >= 0 { date.checked_add_months(months) } else { date.checked_sub_months(months) }
            }
        }
    }

    /// The local date of instant `t`.
    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The last tick at or before `t`.
    fn floor(&self, t: DateTime<Utc>) -> Option<Tick> {
        if self.cadence == Cadence::Hourly {
            return Self::hourly_tick(self.hourly_floor(t.timestamp())?);
        }
        let mut date = self.matching_on_or_before(self.local_date(t).succ_opt()?)?;
        for _ in 0..8 {
            let tick = self.tick_on(date)?;
            if tick.at <= t {
                return Some(tick);
            }
            date = self.step_date(date, -1)?;
        }
        None
    }

    /// The first tick at or after `t`.
    fn ceil(&self, t: DateTime<Utc>) -> Option<Tick> {
        if self.cadence == Cadence::Hourly {
            let seconds = t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0);
            return Self::hourly_tick(self.hourly_ceil(seconds)?);
        }
        let mut date = self.matching_on_or_before(self.local_date(t).pred_opt()?)?;
        for _ in 0..8 {
            let tick = self.tick_on(date)?;
            if tick.at >= t {
                return Some(tick);
            }
            date = self.step_date(date, 1)?;
        }
        None
    }

    /// The tick after `tick`.
    fn next(&self, tick: Tick) -> Option<Tick> {
        self.advance(tick, 1)
    }

    /// `tick` moved by `n` windows (backwards when negative).
    fn advance(&self, tick: Tick, n: i64) -> Option<Tick> {
        if self.cadence != Cadence::Hourly {
            return self.tick_on(self.step_date(tick.date, n)?);
        }
        let mut seconds = tick.at.timestamp();
        for _ in 0..n.unsigned_abs() {
            seconds = if n > 0 { self.hourly_ceil(seconds + 1)? } else { self.hourly_floor(seconds - 1)? };
        }
        Self::hourly_tick(seconds)
    }

    /// The key of the window starting at `tick`: the local date, or for
    /// hourly the local date and time, with the UTC offset appended for the
    /// second occurrence of a repeated local hour (Dagster's
    /// `dst_safe_strftime`).
    fn key_string(&self, tick: &Tick) -> String {
        let mut key = String::with_capacity(24);
        if self.cadence != Cadence::Hourly {
            push_date(&mut key, tick.date);
            return key;
        }
        let local = tick.at.with_timezone(&self.tz);
        let naive = local.naive_local();
        push_date(&mut key, naive.date());
        key.push('-');
        push_two_digits(&mut key, naive.hour());
        key.push(':');
        push_two_digits(&mut key, naive.minute());
        if let LocalResult::Ambiguous(first, second) = self.tz.from_local_datetime(&naive)
            && second.with_timezone(&Utc) == tick.at
            && first.offset().fix().local_minus_utc() > second.offset().fix().local_minus_utc()
        {
            push_offset(&mut key, second.offset().fix().local_minus_utc());
        }
        key
    }
}

/// `UTC` for `None`, else an IANA name (see [`crate::timezone`]).
fn parse_timezone(name: Option<&str>) -> Result<Tz, PartitionsError> {
    match name {
        None => Ok(Tz::UTC),
        Some(name) => parse_iana(name).ok_or_else(|| PartitionsError::UnknownTimezone(name.to_owned())),
    }
}

/// `YYYY-MM-DD`, zero-padded (as `write!` with `{:04}-{:02}-{:02}`, without
/// the formatting machinery: keys are made by the hundred thousand).
fn push_date(out: &mut String, date: NaiveDate) {
    match u32::try_from(date.year()) {
        Ok(year) if year <= 9999 => {
            push_two_digits(out, year / 100);
            push_two_digits(out, year % 100);
        }
        _ => {
            let _ = write!(out, "{:04}", date.year());
        }
    }
    out.push('-');
    push_two_digits(out, date.month());
    out.push('-');
    push_two_digits(out, date.day());
}

/// `n` (0-99) as two digits.
fn push_two_digits(out: &mut String, n: u32) {
    for digit in [n / 10 % 10, n % 10] {
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

/// A UTC offset as Python's `%z`: `+HHMM`, or `+HHMMSS` with seconds.
fn push_offset(out: &mut String, seconds_east: i32) {
    let sign = if seconds_east < 0 { '-' } else { '+' };
    let total = seconds_east.unsigned_abs();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    let _ = write!(out, "{sign}{hours:02}{minutes:02}");
    if seconds != 0 {
        let _ = write!(out, "{seconds:02}");
    }
}

/// The number written with exactly the ASCII digits `bytes`.
fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0, |n, b| n * 10 + u32::from(b - b'0')))
}

/// Reads `YYYY-MM-DD`, `YYYY-MM-DD-HH:MM[±HHMM[SS]]`, `YYYY-MM-DDTHH:MM` or
/// `YYYY-MM-DDTHH:MM:SS`, with every field zero-padded to its width.
fn parse_text(text: &str) -> Option<ParsedTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 {
        return None;
    }
    let (date, rest) = bytes.split_at(10);
    let &[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = date else {
        return None;
    };
    let year = digits(&[y1, y2, y3, y4])?;
    if year == 0 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, digits(&[m1, m2])?, digits(&[d1, d2])?)?;
    let time = |h: [u8; 2], m: [u8; 2], s: [u8; 2]| NaiveTime::from_hms_opt(digits(&h)?, digits(&m)?, digits(&s)?);
    let (shape, naive_time, offset) = match *rest {
        [] => (Shape::Date, NaiveTime::MIN, None),
        [b'-', h1, h2, b':', n1, n2, ref suffix @ ..] => {
            let offset = match *suffix {
                [] => None,
                [sign @ (b'+' | b'-'), ref value @ ..] => {
                    let (h, m, s) = match *value {
                        [h1, h2, m1, m2] => ([h1, h2], [m1, m2], [b'0', b'0']),
                        [h1, h2, m1, m2, s1, s2] => ([h1, h2], [m1, m2], [s1, s2]),
                        _ => return None,
                    };
                    let (h, m, s) = (digits(&h)?, digits(&m)?, digits(&s)?);
                    if h > 23 || m > 59 || s > 59 {
                        return None;
                    }
                    let seconds = i32::try_from(h * 3600 + m * 60 + s).ok()?;
                    Some(if sign == b'-' { -seconds } else { seconds })
                }
                _ => return None,
            };
            (Shape::KeyMinute, time([h1, h2], [n1, n2], [b'0', b'0'])?, offset)
        }
        [b'T', h1, h2, b':', n1, n2] => (Shape::Iso, time([h1, h2], [n1, n2], [b'0', b'0'])?, None),
        [b'T', h1, h2, b':', n1, n2, b':', s1, s2] => (Shape::Iso, time([h1, h2], [n1, n2], [s1, s2])?, None),
        _ => return None,
    };
    Some(ParsedTime { naive: date.and_time(naive_time), shape, offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(cadence: Cadence, start: &str) -> TimeWindowConfig {
        TimeWindowConfig {
            cadence,
            start: start.to_owned(),
            end: None,
            timezone: None,
            minute_offset: 0,
            hour_offset: 0,
            day_offset: None,
            end_offset: 0,
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("bad test time {text}: {e}")).with_timezone(&Utc)
    }

    fn strings(keys: &[PartitionKey]) -> Vec<&str> {
        keys.iter().map(PartitionKey::as_str).collect()
    }

    fn new_york(cadence: Cadence, start: &str) -> TimeWindowPartitions {
        TimeWindowPartitions::new(TimeWindowConfig {
            timezone: Some("America/New_York".to_owned()),
            ..config(cadence, start)
        })
        .unwrap()
    }

    #[test]
    fn parse_time_reads_keys_dates_and_datetimes() {
        let hourly = new_york(Cadence::Hourly, "2024-11-01-00:00");
        // A key, including the second occurrence of a repeated hour.
        assert_eq!(hourly.parse_time("2024-11-03-01:00").unwrap(), utc("2024-11-03T05:00:00Z"));
        assert_eq!(hourly.parse_time("2024-11-03-01:00-0500").unwrap(), utc("2024-11-03T06:00:00Z"));
        // A date and datetimes, read in New York.
        assert_eq!(hourly.parse_time("2024-07-04").unwrap(), utc("2024-07-04T04:00:00Z"));
        assert_eq!(hourly.parse_time("2024-07-04T12:30").unwrap(), utc("2024-07-04T16:30:00Z"));
        assert_eq!(hourly.parse_time("2024-07-04T12:30:15").unwrap(), utc("2024-07-04T16:30:15Z"));
        // A repeated local time is its first occurrence; a skipped one the
        // first instant after the gap.
        assert_eq!(hourly.parse_time("2024-11-03T01:30").unwrap(), utc("2024-11-03T05:30:00Z"));
        assert_eq!(hourly.parse_time("2024-03-10T02:30").unwrap(), utc("2024-03-10T07:00:00Z"));
        // The skipped hour as a key names the window after the gap.
        assert_eq!(hourly.parse_time("2024-03-10-02:00").unwrap(), utc("2024-03-10T07:00:00Z"));

        // A key of a daily definition with an hour offset is its window start.
        let daily =
            TimeWindowPartitions::new(TimeWindowConfig { hour_offset: 3, ..config(Cadence::Daily, "2024-01-01") })
                .unwrap();
        assert_eq!(daily.parse_time("2024-01-05").unwrap(), utc("2024-01-05T03:00:00Z"));
        assert_eq!(daily.parse_time("2024-01-05-01:00").unwrap(), utc("2024-01-05T01:00:00Z"));

        for bad in ["", "yesterday", "2024-1-5", "2024-01-05 12:00", "2024-13-01", "2024-01-05T25:00", "0000-01-01"] {
            match daily.parse_time(bad) {
                Err(PartitionsError::UnparsableTime { text, definition }) => {
                    assert_eq!(text, bad);
                    assert!(definition.starts_with("daily partitions"), "{definition}");
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_monthly_window_overlaps_its_days() {
        let daily = TimeWindowPartitions::new(config(Cadence::Daily, "2024-01-01")).unwrap();
        let monthly = TimeWindowPartitions::new(config(Cadence::Monthly, "2024-01-01")).unwrap();
        let now = utc("2024-06-01T00:00:00Z");
        let february = monthly.time_window_for_key("2024-02-01").unwrap();
        let days = daily.keys_overlapping(february.start.to_utc(), february.end.to_utc(), now);
        assert_eq!(days.len(), 29);
        assert_eq!(days[0].as_str(), "2024-02-01");
        assert_eq!(days[28].as_str(), "2024-02-29");
        // And a day overlaps its month only.
        let day = daily.time_window_for_key("2024-02-29").unwrap();
        let months = monthly.keys_overlapping(day.start.to_utc(), day.end.to_utc(), now);
        assert_eq!(strings(&months), ["2024-02-01"]);
    }

    #[test]
    fn keys_overlapping_includes_partial_windows_and_stays_in_bounds() {
        let daily = TimeWindowPartitions::new(config(Cadence::Daily, "2024-01-01")).unwrap();
        let now = utc("2024-01-10T12:00:00Z");
        let keys = |start: &str, end: &str| daily.keys_overlapping(utc(start), utc(end), now);
        // Partial overlap at both edges.
        assert_eq!(
            strings(&keys("2024-01-02T12:00:00Z", "2024-01-04T00:00:01Z")),
            ["2024-01-02", "2024-01-03", "2024-01-04"]
        );
        // An end exactly on a window start excludes that window.
        assert_eq!(strings(&keys("2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z")), ["2024-01-02", "2024-01-03"]);
        // Clipped to the first window and to the last complete one as of now.
        assert_eq!(strings(&keys("2023-12-30T00:00:00Z", "2024-01-02T00:00:00Z")), ["2024-01-01"]);
        assert_eq!(strings(&keys("2024-01-08T06:00:00Z", "2024-02-01T00:00:00Z")), ["2024-01-08", "2024-01-09"]);
        assert!(keys("2024-01-05T00:00:00Z", "2024-01-05T00:00:00Z").is_empty());
        assert!(keys("2024-01-06T00:00:00Z", "2024-01-05T00:00:00Z").is_empty());
        assert!(keys("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z").is_empty());

        // A fall-back day has 25 hourly keys in New York.
        let hourly = new_york(Cadence::Hourly, "2024-11-01-00:00");
        let day = new_york(Cadence::Daily, "2024-11-01").time_window_for_key("2024-11-03").unwrap();
        let hours = hourly.keys_overlapping(day.start.to_utc(), day.end.to_utc(), utc("2024-12-01T00:00:00Z"));
        assert_eq!(hours.len(), 25);
        assert_eq!(hours[1].as_str(), "2024-11-03-01:00");
        assert_eq!(hours[2].as_str(), "2024-11-03-01:00-0500");
        assert_eq!(hours[24].as_str(), "2024-11-03-23:00");
    }

    #[test]
    fn keys_overlapping_agrees_with_a_scan_of_all_windows() {
        let definitions = [
            new_york(Cadence::Hourly, "2024-03-01-00:00"),
            new_york(Cadence::Daily, "2024-01-03"),
            TimeWindowPartitions::new(TimeWindowConfig {
                day_offset: Some(3),
                hour_offset: 2,
                minute_offset: 30,
                timezone: Some("Europe/Berlin".to_owned()),
                ..config(Cadence::Weekly, "2024-01-01")
            })
            .unwrap(),
            TimeWindowPartitions::new(TimeWindowConfig { end_offset: -2, ..config(Cadence::Monthly, "2023-01-01") })
                .unwrap(),
        ];
        let now = utc("2024-12-01T00:00:00Z");
        let origin = utc("2023-12-01T00:00:00Z");
        for definition in &definitions {
            let windows = definition.windows(now);
            // Ranges of varied lengths and alignments over the whole year.
            for i in 0..400_i64 {
                let start = origin + chrono::Duration::seconds(i * 97_777);
                let end = start + chrono::Duration::seconds(i * i * 3_001 % 5_000_000);
                let expected: Vec<&PartitionKey> = windows
                    .iter()
                    .filter(|(_, w)| w.start.to_utc() < end && w.end.to_utc() > start)
                    .map(|(key, _)| key)
                    .collect();
                let got = definition.keys_overlapping(start, end, now);
                assert_eq!(got.iter().collect::<Vec<_>>(), expected, "{} [{start}, {end})", definition.describe());
            }
        }
    }

    #[test]
    fn every_key_round_trips() {
        let definitions = [
            new_york(Cadence::Hourly, "2024-03-01-00:00"),
            TimeWindowPartitions::new(TimeWindowConfig {
                minute_offset: 15,
                timezone: Some("Australia/Lord_Howe".to_owned()),
                ..config(Cadence::Hourly, "2024-03-30-00:00")
            })
            .unwrap(),
            TimeWindowPartitions::new(TimeWindowConfig {
                timezone: Some("Asia/Kolkata".to_owned()),
                ..config(Cadence::Hourly, "2024-03-30-00:00")
            })
            .unwrap(),
            TimeWindowPartitions::new(TimeWindowConfig {
                hour_offset: 2,
                minute_offset: 30,
                timezone: Some("America/New_York".to_owned()),
                ..config(Cadence::Daily, "2024-01-01")
            })
            .unwrap(),
            TimeWindowPartitions::new(TimeWindowConfig {
                timezone: Some("America/Santiago".to_owned()),
                ..config(Cadence::Daily, "2024-01-01")
            })
            .unwrap(),
        ];
        let now = utc("2024-12-01T00:00:00Z");
        for definition in &definitions {
            let windows = definition.windows(now);
            assert!(!windows.is_empty());
            for pair in windows.windows(2) {
                assert_eq!(pair[0].1.end, pair[1].1.start, "{}", definition.describe());
                assert!(pair[0].1.start < pair[0].1.end);
            }
            for (key, window) in &windows {
                assert!(definition.has_key(key.as_str(), now), "{key}");
                assert_eq!(definition.time_window_for_key(key.as_str()).unwrap(), *window, "{key}");
                assert_eq!(definition.parse_time(key.as_str()).unwrap(), window.start.to_utc(), "{key}");
                let inside = window.end.to_utc() - chrono::Duration::seconds(1);
                for t in [window.start.to_utc(), inside] {
                    assert_eq!(definition.key_for_timestamp(t, now).as_ref(), Some(key), "{key} at {t}");
                }
            }
            let (first, _) = &windows[0];
            let (last, last_window) = &windows[windows.len() - 1];
            assert_eq!(definition.key_for_timestamp(last_window.end.to_utc(), now), None, "{last}");
            // Past the last key, the unbounded key is the window that
            // starts where the last one ends.
            let next = definition.unbounded_key_for_timestamp(last_window.end.to_utc()).expect("a key past the end");
            assert_ne!(&next, last, "{last}");
            assert_eq!(definition.time_window_for_key(next.as_str()).unwrap().start, last_window.end, "{last}");
            assert!(definition.has_key(first.as_str(), now));
        }
    }

    #[test]
    fn daily_ticks_in_a_dst_gap_or_overlap_follow_dagster() {
        // 02:30 does not exist on 2024-03-10 in New York: the window starts at
        // 03:00 EDT. 01:30 is repeated on 2024-11-03: the later one (EST).
        let daily = TimeWindowPartitions::new(TimeWindowConfig {
            hour_offset: 2,
            minute_offset: 30,
            timezone: Some("America/New_York".to_owned()),
            ..config(Cadence::Daily, "2024-03-08")
        })
        .unwrap();
        let spring = daily.time_window_for_key("2024-03-10").unwrap();
        assert_eq!(spring.start.to_rfc3339(), "2024-03-10T03:00:00-04:00");
        assert_eq!(spring.end.to_rfc3339(), "2024-03-11T02:30:00-04:00");
        let early = TimeWindowPartitions::new(TimeWindowConfig {
            hour_offset: 1,
            minute_offset: 30,
            timezone: Some("America/New_York".to_owned()),
            ..config(Cadence::Daily, "2024-11-01")
        })
        .unwrap();
        let fall = early.time_window_for_key("2024-11-03").unwrap();
        assert_eq!(fall.start.to_rfc3339(), "2024-11-03T01:30:00-05:00");
        // Midnight does not exist on 2024-09-08 in Santiago: the day starts at 01:00.
        let santiago = TimeWindowPartitions::new(TimeWindowConfig {
            timezone: Some("America/Santiago".to_owned()),
            ..config(Cadence::Daily, "2024-09-01")
        })
        .unwrap();
        let window = santiago.time_window_for_key("2024-09-08").unwrap();
        assert_eq!(window.start.to_rfc3339(), "2024-09-08T01:00:00-03:00");
        assert_eq!(window.end.to_rfc3339(), "2024-09-09T00:00:00-03:00");
    }

    #[test]
    fn hourly_minutes_are_local_wall_clock_minutes() {
        let kolkata = TimeWindowPartitions::new(TimeWindowConfig {
            minute_offset: 15,
            timezone: Some("Asia/Kolkata".to_owned()),
            ..config(Cadence::Hourly, "2024-01-01-00:00")
        })
        .unwrap();
        let keys = kolkata.keys(utc("2024-01-01T00:00:00Z"));
        assert_eq!(keys[0].as_str(), "2024-01-01-00:15");
        assert!(keys.iter().all(|k| k.as_str().ends_with(":15")));
        assert_eq!(keys.len(), 5); // 00:15 .. 04:15 local; now is 05:30 local
    }

    #[test]
    fn keys_that_are_not_window_starts_are_rejected() {
        let hourly = new_york(Cadence::Hourly, "2024-11-01-00:00");
        let now = utc("2024-12-01T00:00:00Z");
        for bad in [
            "2024-11-03-01:00-0400",
            "2024-11-03-01:00-05:00",
            "2024-11-03-01:30",
            "2024-11-03",
            "2024-11-03-1:00",
            "2024-11-02-01:00-0400",
        ] {
            assert!(!hourly.has_key(bad, now), "{bad}");
            assert!(matches!(hourly.time_window_for_key(bad), Err(PartitionsError::UnknownKey { .. })), "{bad}");
        }
        let weekly = TimeWindowPartitions::new(config(Cadence::Weekly, "2024-01-01")).unwrap();
        assert!(weekly.time_window_for_key("2024-01-07").is_ok());
        assert!(weekly.time_window_for_key("2024-01-08").is_err());
        assert!(!weekly.has_key("2024-01-01", now), "before the first Sunday");
    }

    #[test]
    fn end_and_end_offset_bound_the_keys() {
        let now = utc("2024-01-10T06:00:00Z");
        let with = |end: Option<&str>, end_offset: i64| {
            let definition = TimeWindowPartitions::new(TimeWindowConfig {
                end: end.map(str::to_owned),
                end_offset,
                ..config(Cadence::Daily, "2024-01-01")
            })
            .unwrap();
            let keys = definition.keys(now);
            (keys.len(), keys.last().map(|k| k.as_str().to_owned()))
        };
        assert_eq!(with(None, 0), (9, Some("2024-01-09".to_owned())));
        assert_eq!(with(None, 2), (11, Some("2024-01-11".to_owned())));
        assert_eq!(with(None, -2), (7, Some("2024-01-07".to_owned())));
        assert_eq!(with(None, -20), (0, None));
        assert_eq!(with(Some("2024-01-05"), 0), (4, Some("2024-01-04".to_owned())));
        assert_eq!(with(Some("2024-01-05T12:00"), 0), (4, Some("2024-01-04".to_owned())));
        assert_eq!(with(Some("2024-01-05"), -1), (3, Some("2024-01-03".to_owned())));
        assert_eq!(with(Some("2024-01-11"), 5), (10, Some("2024-01-10".to_owned())));
        // Nothing before the start, and windows only once they have ended.
        let early = TimeWindowPartitions::new(config(Cadence::Monthly, "2024-01-01")).unwrap();
        assert!(early.keys(utc("2024-01-31T23:59:59Z")).is_empty());
        assert!(!early.has_key("2024-01-01", utc("2024-01-31T23:59:59Z")));
        assert_eq!(strings(&early.keys(utc("2024-02-01T00:00:00Z"))), ["2024-01-01"]);
    }

    #[test]
    fn last_complete_window_is_the_last_window_ended_by_now() {
        let definitions = [
            new_york(Cadence::Hourly, "2024-11-02-00:00"),
            new_york(Cadence::Daily, "2024-11-01"),
            TimeWindowPartitions::new(TimeWindowConfig { end_offset: 2, ..config(Cadence::Daily, "2024-11-01") })
                .unwrap(),
            TimeWindowPartitions::new(TimeWindowConfig { end_offset: -2, ..config(Cadence::Daily, "2024-11-01") })
                .unwrap(),
            TimeWindowPartitions::new(TimeWindowConfig {
                end: Some("2024-11-04".to_owned()),
                ..config(Cadence::Daily, "2024-11-01")
            })
            .unwrap(),
            TimeWindowPartitions::new(TimeWindowConfig { end_offset: 1, ..config(Cadence::Monthly, "2024-09-01") })
                .unwrap(),
        ];
        let origin = utc("2024-10-31T00:00:00Z");
        for definition in &definitions {
            // Every 37 minutes over two weeks, across New York's fall-back day.
            for i in 0..545_i64 {
                let now = origin + chrono::Duration::minutes(i * 37);
                let expected = definition.windows(now).into_iter().rfind(|(_, window)| window.end.to_utc() <= now);
                assert_eq!(definition.last_complete_window(now), expected, "{} at {now}", definition.describe());
            }
        }
        let hourly = new_york(Cadence::Hourly, "2024-11-02-00:00");
        let (key, window) = hourly.last_complete_window(utc("2024-11-03T06:30:00Z")).unwrap();
        assert_eq!(key.as_str(), "2024-11-03-01:00");
        assert_eq!(window.end.to_rfc3339(), "2024-11-03T01:00:00-05:00");
        let (key, _) = hourly.last_complete_window(utc("2024-11-03T07:00:00Z")).unwrap();
        assert_eq!(key.as_str(), "2024-11-03-01:00-0500");
    }

    #[test]
    fn describe_names_cadence_bounds_and_zone() {
        let bounded = TimeWindowPartitions::new(TimeWindowConfig {
            end: Some("2013-04-01".to_owned()),
            timezone: Some("America/New_York".to_owned()),
            ..config(Cadence::Daily, "2013-01-01")
        })
        .unwrap();
        assert_eq!(bounded.describe(), "daily partitions from 2013-01-01 to 2013-04-01 (America/New_York)");
        let weekly = TimeWindowPartitions::new(TimeWindowConfig {
            day_offset: Some(1),
            end_offset: 1,
            ..config(Cadence::Weekly, "2024-01-01")
        })
        .unwrap();
        assert_eq!(weekly.describe(), "weekly partitions (cron `0 0 * * 1`) from 2024-01-01 (UTC), end offset 1");
        let monthly = TimeWindowPartitions::new(config(Cadence::Monthly, "2024-01-15")).unwrap();
        assert_eq!(monthly.describe(), "monthly partitions from 2024-02-01 (UTC)");
    }

    #[test]
    fn invalid_configurations_are_explained() {
        let error = |config: TimeWindowConfig| {
            TimeWindowPartitions::new(config).expect_err("configuration accepted").to_string()
        };
        let zone = error(TimeWindowConfig {
            timezone: Some("Mars/Olympus_Mons".to_owned()),
            ..config(Cadence::Daily, "2024-01-01")
        });
        assert!(zone.contains("Mars/Olympus_Mons") && zone.contains("time zone"), "{zone}");

        let backwards =
            error(TimeWindowConfig { end: Some("2023-12-01".to_owned()), ..config(Cadence::Daily, "2024-01-01") });
        assert!(backwards.contains("end `2023-12-01` is not after start `2024-01-01`"), "{backwards}");
        let same = error(TimeWindowConfig {
            end: Some("2024-01-01T00:00".to_owned()),
            ..config(Cadence::Daily, "2024-01-01")
        });
        assert!(same.contains("not after start"), "{same}");
        let no_window =
            error(TimeWindowConfig { end: Some("2024-01-05".to_owned()), ..config(Cadence::Weekly, "2024-01-02") });
        assert!(no_window.contains("no complete weekly window"), "{no_window}");

        let start = TimeWindowPartitions::new(config(Cadence::Daily, "Jan 1st 2024")).unwrap_err();
        match &start {
            PartitionsError::InvalidDate { field, value, expected } => {
                assert_eq!(*field, "start");
                assert_eq!(value, "Jan 1st 2024");
                assert!(expected.contains("`YYYY-MM-DD`") && expected.contains("`YYYY-MM-DDTHH:MM:SS`"));
            }
            other => panic!("{other:?}"),
        }
        let start_message = start.to_string();
        assert!(start_message.contains("start") && !start_message.contains("end"), "{start_message}");
        let end = TimeWindowPartitions::new(TimeWindowConfig {
            end: Some("2024-02-30".to_owned()),
            ..config(Cadence::Daily, "2024-01-01")
        })
        .unwrap_err();
        assert!(matches!(end, PartitionsError::InvalidDate { field: "end", .. }), "{end:?}");

        let offsets = [
            (TimeWindowConfig { minute_offset: 60, ..config(Cadence::Daily, "2024-01-01") }, "minute_offset 60"),
            (TimeWindowConfig { hour_offset: 24, ..config(Cadence::Daily, "2024-01-01") }, "hour_offset 24"),
            (TimeWindowConfig { hour_offset: 1, ..config(Cadence::Hourly, "2024-01-01-00:00") }, "hourly"),
            (TimeWindowConfig { day_offset: Some(7), ..config(Cadence::Weekly, "2024-01-01") }, "day_offset 7"),
            (TimeWindowConfig { day_offset: Some(0), ..config(Cadence::Monthly, "2024-01-01") }, "day_offset 0"),
            (TimeWindowConfig { day_offset: Some(29), ..config(Cadence::Monthly, "2024-01-01") }, "day_offset 29"),
            (TimeWindowConfig { day_offset: Some(1), ..config(Cadence::Daily, "2024-01-01") }, "day_offset 1"),
            (TimeWindowConfig { end_offset: 10_001, ..config(Cadence::Daily, "2024-01-01") }, "end_offset 10001"),
        ];
        for (config, expected) in offsets {
            let message = error(config);
            assert!(message.contains(expected), "{message}");
        }
        // The boundaries themselves are accepted.
        for config in [
            TimeWindowConfig { minute_offset: 59, hour_offset: 23, ..config(Cadence::Daily, "2024-01-01") },
            TimeWindowConfig { day_offset: Some(6), ..config(Cadence::Weekly, "2024-01-01") },
            TimeWindowConfig { day_offset: Some(28), ..config(Cadence::Monthly, "2024-01-01") },
            TimeWindowConfig { end_offset: -10_000, ..config(Cadence::Hourly, "2024-01-01-00:00") },
        ] {
            assert!(TimeWindowPartitions::new(config).is_ok());
        }
    }

    #[test]
    fn equal_keys_mean_equal_definitions() {
        let a = TimeWindowPartitions::new(config(Cadence::Daily, "2024-01-01")).unwrap();
        let b = TimeWindowPartitions::new(config(Cadence::Daily, "2024-01-01T00:00:00")).unwrap();
        let c = TimeWindowPartitions::new(config(Cadence::Daily, "2023-12-31T00:00:01")).unwrap();
        let d = TimeWindowPartitions::new(config(Cadence::Daily, "2024-01-02")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_ne!(a, d);
    }
}
