//! Wire types: exactly what the YAML says, nothing resolved.
//!
//! Every struct denies unknown fields (the error lists the allowed ones) and
//! uses neither `flatten` nor internally tagged enums, both of which would
//! lose line numbers. Values that need a location later (keys, SQL, paths)
//! are [`Spanned`]. The JSON Schema in `cairn.schema.json` is generated from
//! these types (see [`crate::schema`]).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

/// `cairn.yaml`: project settings, optionally with assets.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// Project name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Metadata database URL: `sqlite://PATH` (relative to the project
    /// folder; default `sqlite://.cairn/cairn.db`) or `postgres://...`.
    /// The `--database-url` flag and `CAIRN_DATABASE_URL` override it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub database: Option<Spanned<String>>,
    /// Folder for materialized data, relative to the project folder
    /// (default `.cairn/data`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub data_dir: Option<Spanned<String>>,
    /// How runs are executed: leases, heartbeats, shutdown.
    #[serde(default)]
    pub executor: Option<ExecutorDecl>,
    /// How long replaced data files are kept.
    #[serde(default)]
    pub retention: Option<RetentionDecl>,
    /// The automation daemon (`cairn serve`): how often it evaluates the
    /// assets' `automation` conditions.
    #[serde(default)]
    pub automation: Option<AutomationSettingsDecl>,
    /// Assets declared inline (more may live in `assets/*.yaml`).
    #[serde(default)]
    pub assets: Vec<AssetDecl>,
}

/// `freshness:` of an asset. Durations are written like `30m`, `6h`, `1d`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FreshnessDecl {
    /// The most the data may lag: the age of the last materialization
    /// (without `cron`), or how long before each cron tick the data must
    /// have been materialized (with `cron`).
    #[schemars(with = "String")]
    pub max_lag: Spanned<String>,
    /// Warn past this lag (shorter than `max_lag`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub warn_lag: Option<Spanned<String>>,
    /// A cron schedule (5 fields, or 6 with seconds first) of deadlines.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub cron: Option<Spanned<String>>,
    /// The IANA time zone of `cron` (default UTC).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timezone: Option<Spanned<String>>,
}

/// `executor:` in `cairn.yaml`. Durations are written like `30s`, `2m`,
/// `1h 30m`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutorDecl {
    /// How long a claimed step stays claimed without a heartbeat before
    /// another executor may take it over (default `30s`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub lease: Option<Spanned<String>>,
    /// How often an executor renews its leases (default `5s`; at most a
    /// third of `lease`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub heartbeat: Option<Spanned<String>>,
    /// On SIGTERM, how long running steps may go on before they are stopped
    /// and given back to the queue (default `30s`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub shutdown_grace: Option<Spanned<String>>,
}

/// `automation:` in `cairn.yaml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationSettingsDecl {
    /// Time between two evaluations (ticks) of every asset's automation
    /// condition (default `30s`, as Dagster's daemon; at least `1s`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub tick_interval: Option<Spanned<String>>,
}

/// `retention:` in `cairn.yaml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionDecl {
    /// How long the data file of a materialization is kept after a newer
    /// one replaced it (default `0s`: removed at the end of the run that
    /// replaced it, once no running step can still be reading it).
    /// `cairn gc` removes what is older.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub superseded_data: Option<Spanned<String>>,
    /// How long `cairn gc` keeps events of the event log (default `30d`;
    /// `forever` keeps them all). A subscription resuming from a pruned
    /// cursor is told to resync.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub events: Option<Spanned<String>>,
    /// How long `cairn gc` keeps the steps of a finished run, from its end
    /// (default `30d`; `forever`). The run's record and counts stay.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub run_steps: Option<Spanned<String>>,
    /// How long `cairn gc` keeps the record of a materialization (with its
    /// provenance and check results) after a newer one replaced it (default
    /// `30d`; `forever`). The current materialization of every asset
    /// partition is always kept.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub superseded_materializations: Option<Spanned<String>>,
}

/// `assets/*.yaml`: a list of assets.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetsFile {
    /// The assets.
    pub assets: Vec<AssetDecl>,
}

/// One asset. Exactly one of `source`, `sql` and `command` is set.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetDecl {
    /// Asset key: 1-3 segments of letters, digits and `_` (at most 255
    /// each), joined by `/` (`raw/flights`). SQL refers to it as the table
    /// `raw.flights`.
    #[schemars(with = "String")]
    pub key: Spanned<String>,
    /// What the asset holds, for people.
    #[serde(default)]
    pub description: Option<String>,
    /// The asset's group, as Dagster's `group_name`: letters, digits and
    /// `_`. Default: the key's first segment for a key of several (`raw`
    /// for `raw/flights`), else `default`. Selected with `group:NAME`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub group: Option<Spanned<String>>,
    /// Labels (`team: ops`), shown in the UI and selected with `tag:team`
    /// or `tag:team=ops`; they do not change the code version.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// An external file (or glob) that Cairn observes but does not compute.
    #[serde(default)]
    #[schemars(with = "Option<SourceDecl>")]
    pub source: Option<Spanned<SourceDecl>>,
    /// A DataFusion SQL query over other assets. Partition bounds are the
    /// bound parameters `$partition_key`, `$partition_start`, `$partition_end`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub sql: Option<Spanned<String>>,
    /// A program and its arguments (no shell), run in the project folder,
    /// that writes the asset to the path in `CAIRN_OUTPUT`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub command: Option<Spanned<Vec<String>>>,
    /// Format of a command's output (default `parquet`).
    #[serde(default)]
    pub output_format: Option<OutputFormatDecl>,
    /// Extension of the data file for `output_format: file` (`md`, `png`;
    /// default `bin`), so the published file opens with the right program.
    #[serde(default)]
    pub output_extension: Option<String>,
    /// Extra environment variables for a command.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Time limit for one materialization, in seconds (no limit by default).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// How fresh the asset must be, as Dagster's `FreshnessPolicy`: `{
    /// max_lag: 6h, warn_lag: 3h }`, or `{ cron: "0 9 * * *", timezone:
    /// Europe/Paris, max_lag: 2h }` (at each tick of the cron, the asset must
    /// hold data materialized within `max_lag` before it).
    #[serde(default)]
    pub freshness: Option<FreshnessDecl>,
    /// Upstream assets not visible in the SQL (or for commands).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub deps: Vec<Spanned<String>>,
    /// How the asset is partitioned (unpartitioned if absent).
    #[serde(default)]
    #[schemars(with = "Option<PartitionsDecl>")]
    pub partitions: Option<Spanned<PartitionsDecl>>,
    /// Asset checks run on new data before it is published.
    #[serde(default)]
    #[schemars(with = "Vec<CheckDecl>")]
    pub checks: Vec<Spanned<CheckDecl>>,
    /// When Cairn materializes the asset by itself (declarative
    /// automation, as Dagster's `automation_condition`): `{ condition:
    /// eager }`.
    #[serde(default)]
    #[schemars(with = "Option<AutomationDecl>")]
    pub automation: Option<Spanned<AutomationDecl>>,
}

/// `automation:` of an asset.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationDecl {
    /// The condition: `eager`, `on_missing`, `{ on_cron: { cron: "0 * *
    /// * *", timezone: Europe/Paris } }`, or a combination of conditions
    /// with `and`, `or` and `not`.
    pub condition: ConditionDecl,
    /// Time-window assets: how many of the latest windows automation
    /// considers (default 1, at most 10,000). Static partitions: every key.
    #[serde(default)]
    pub lookback: Option<u32>,
}

/// An automation condition, named as Dagster's `AutomationCondition`:
/// a name (`eager`) or a map with one key (`and: [...]`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ConditionDecl {
    /// Materialize a partition when it is missing or an upstream partition
    /// it reads has new data, once no upstream partition it reads is
    /// missing or in progress.
    Eager,
    /// Materialize a missing partition once its upstream partitions are there.
    OnMissing,
    /// After each tick of the cron, once every upstream partition it reads
    /// was updated since the tick.
    OnCron(CronDecl),
    /// Never materialized.
    Missing,
    /// A step materializes it, or a run automation requested for it is
    /// not finished.
    InProgress,
    /// Its latest materialization attempt failed.
    ExecutionFailed,
    /// Its code version changed since its latest materialization.
    CodeVersionChanged,
    /// An upstream partition it reads has data newer than what it read.
    AnyDepsUpdated,
    /// An upstream partition it reads is missing.
    AnyDepsMissing,
    /// An upstream partition it reads is in progress.
    AnyDepsInProgress,
    /// A tick of the cron passed since it was last requested.
    CronTickPassed(CronDecl),
    /// Every upstream partition it reads was updated since the cron's
    /// latest tick.
    AllDepsUpdatedSinceCron(CronDecl),
    /// Every condition is true.
    And(Vec<ConditionDecl>),
    /// At least one condition is true.
    Or(Vec<ConditionDecl>),
    /// The condition is false.
    Not(Box<ConditionDecl>),
}

/// A cron schedule of an automation condition.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CronDecl {
    /// A cron schedule (5 fields, or 6 with seconds first).
    #[schemars(with = "String")]
    pub cron: Spanned<String>,
    /// The IANA time zone of `cron` (default UTC).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timezone: Option<Spanned<String>>,
}

/// Format of a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormatDecl {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Newline-delimited JSON (one object per line).
    Json,
}

/// Format of a command's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormatDecl {
    /// A Parquet table (readable from SQL).
    Parquet,
    /// A CSV table with a header row (readable from SQL).
    Csv,
    /// A newline-delimited JSON table (readable from SQL).
    Json,
    /// Any file (a report, an image): versioned by its bytes, not readable
    /// from SQL.
    File,
}

/// `source: { path: data/flights.csv, format: csv }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceDecl {
    /// File path or glob (`data/flights/*.parquet`), relative to the project folder.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// File format; by default taken from the extension.
    #[serde(default)]
    pub format: Option<FileFormatDecl>,
    /// CSV only: field delimiter (default `,`).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// CSV only: whether the first row is a header (default true).
    #[serde(default)]
    pub has_header: Option<bool>,
}

/// Exactly one of the fields.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionsDecl {
    /// Hourly windows; keys `2013-01-05-14:00`.
    #[serde(default)]
    pub hourly: Option<TimeWindowDecl>,
    /// Daily windows; keys `2013-01-05`.
    #[serde(default)]
    pub daily: Option<TimeWindowDecl>,
    /// Weekly windows; keys are the first day, `2013-01-06`.
    #[serde(default)]
    pub weekly: Option<TimeWindowDecl>,
    /// Monthly windows; keys are the first day, `2013-01-01`.
    #[serde(default)]
    pub monthly: Option<TimeWindowDecl>,
    /// A fixed list of keys.
    #[serde(default, rename = "static")]
    #[schemars(with = "Option<Vec<String>>")]
    pub static_keys: Option<Vec<Spanned<String>>>,
}

/// Settings of time-window partitions, as Dagster's
/// `TimeWindowPartitionsDefinition`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowDecl {
    /// First window start: `2013-01-01` (or `2013-01-01-05:00` for hourly),
    /// in `timezone`.
    #[schemars(with = "String")]
    pub start: Spanned<String>,
    /// Exclusive end; without it, windows run up to the last complete one.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub end: Option<Spanned<String>>,
    /// IANA time zone (default `UTC`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timezone: Option<Spanned<String>>,
    /// Minute of the hour windows start at.
    #[serde(default)]
    pub minute_offset: Option<u32>,
    /// Hour of the day windows start at (daily, weekly, monthly).
    #[serde(default)]
    pub hour_offset: Option<u32>,
    /// Weekly: day of week (0 = Sunday); monthly: day of month (1-28).
    #[serde(default)]
    pub day_offset: Option<u32>,
    /// Windows added (or removed, if negative) after the last complete one.
    #[serde(default)]
    pub end_offset: Option<i64>,
}

/// Severity of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeverityDecl {
    /// Failure fails the materialization; the previous data stays.
    Error,
    /// Failure is recorded and reported; the data is published.
    Warn,
}

/// One asset check. Exactly one of `not_null`, `unique`,
/// `accepted_values`, `row_count` and `sql` is set.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckDecl {
    /// Name shown in results (default: derived from the check).
    #[serde(default)]
    pub name: Option<String>,
    /// `error` (default) or `warn`.
    #[serde(default)]
    pub severity: Option<SeverityDecl>,
    /// Columns that must have no NULL.
    #[serde(default)]
    pub not_null: Option<Vec<String>>,
    /// Columns whose combination must be unique.
    #[serde(default)]
    pub unique: Option<Vec<String>>,
    /// A column whose values must be in a list.
    #[serde(default)]
    pub accepted_values: Option<AcceptedValuesDecl>,
    /// Bounds on the number of rows.
    #[serde(default)]
    pub row_count: Option<RowCountDecl>,
    /// A query over the asset (by its table name) whose rows are violations.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub sql: Option<Spanned<String>>,
}

/// `accepted_values: { column: origin, values: [EWR, JFK, LGA] }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptedValuesDecl {
    /// The column.
    pub column: String,
    /// Allowed values (strings, numbers or booleans). NULL is allowed; add a
    /// `not_null` check to forbid it.
    pub values: Vec<ScalarDecl>,
}

/// A YAML scalar.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ScalarDecl {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Text(String),
}

/// `row_count: { min: 1, max: 1000000 }`; both bounds inclusive.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowCountDecl {
    /// Fewest rows allowed.
    #[serde(default)]
    pub min: Option<u64>,
    /// Most rows allowed.
    #[serde(default)]
    pub max: Option<u64>,
}
