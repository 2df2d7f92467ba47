//! Declarative automation: per asset, a condition over its partitions that
//! says which ones to materialize now, evaluated on every tick of the
//! automation daemon, with the reason for each partition requested or not.
//! Names and meanings follow Dagster's `AutomationCondition`.
//!
//! A condition is a tree. Its leaves read the state of one asset partition
//! and of the upstream partitions it reads (through each dependency's
//! partition mapping); `and`, `or` and `not` combine them. Three composites
//! are what most users write, and are shown by name with their expansion
//! below them:
//!
//! | composite | expansion |
//! |-----------|-----------|
//! | `eager` | `(missing or any_deps_updated) and not any_deps_missing and not any_deps_in_progress and not in_progress` |
//! | `on_missing` | `missing and not any_deps_missing and not any_deps_in_progress and not in_progress` |
//! | `on_cron` | `cron_tick_passed and all_deps_updated_since_cron and not in_progress` |
//!
//! Cairn's leaves read state rather than events: `any_deps_updated` is true
//! while an upstream partition holds data newer than what this partition
//! read (its staleness cause `upstream_data_changed`), until it is
//! materialized again. What keeps a true condition from requesting the same
//! partition on every tick (Dagster's `since_last_handled`) is the asset's
//! [`AutomationCursor`]: a partition requested once is not requested again
//! while its trigger (its code version, its own and its upstream
//! partitions' update times, the latest cron tick) is unchanged. So a run
//! that fails is not retried until something it reads changes, and a
//! restart neither repeats nor skips a request: the cursor is stored with
//! the tick.
//!
//! Only the latest time window(s) are candidates (`lookback`, default 1),
//! every key of a static definition, and the one partition of an
//! unpartitioned asset: enabling automation never backfills years.
//!
//! Everything here is a pure function of the definitions, the state (a
//! [`AutomationState`]), the previous cursors and an injected `now` (UTC).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AssetKey;
use crate::freshness::CronSchedule;
use crate::partitions::{PartitionKey, PartitionsDefinition, UpstreamPartitions};
use crate::spec::AssetSpec;
use crate::staleness::StaleStatusKind;
use crate::state::AssetPartition;

/// Partitions named in one node's record or in a list of reasons, at most.
pub const EXAMPLES_KEPT: usize = 20;

/// One automation condition (Dagster's `AutomationCondition`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutomationCondition {
    /// Never materialized (a source: never observed).
    Missing,
    /// A step materializes it now, or a run automation requested for it
    /// has not finished.
    InProgress,
    /// Its latest materialization attempt failed.
    ExecutionFailed,
    /// Its definition's code version differs from the one its latest
    /// materialization recorded.
    CodeVersionChanged,
    /// An upstream partition it reads holds data newer than what it read
    /// (staleness cause `upstream_data_changed` or `dependencies_changed`).
    AnyDepsUpdated,
    /// An upstream partition it reads is missing.
    AnyDepsMissing,
    /// An upstream partition it reads is in progress, or requested by this
    /// same tick.
    AnyDepsInProgress,
    /// A tick of the schedule passed since the partition was last
    /// requested (or, never requested, since automation first evaluated
    /// the asset): true from the tick until it is requested.
    CronTickPassed(CronSchedule),
    /// Every upstream partition it reads was updated at or after the
    /// schedule's latest tick (true without upstream assets).
    AllDepsUpdatedSinceCron(CronSchedule),
    /// Every one is true.
    And(Vec<AutomationCondition>),
    /// At least one is true.
    Or(Vec<AutomationCondition>),
    /// The inverse.
    Not(Box<AutomationCondition>),
    /// A composite shown by its name (`eager`, `on_missing`, `on_cron`),
    /// evaluated as its expansion.
    Named {
        /// The name, as written in YAML.
        name: String,
        /// The expansion.
        condition: Box<AutomationCondition>,
    },
}

impl AutomationCondition {
    /// Dagster's `AutomationCondition.eager()`: materialize a partition
    /// when it is missing or an upstream partition it reads was updated,
    /// once no upstream partition it reads is missing or in progress.
    pub fn eager() -> Self {
        Self::named(
            "eager",
            Self::And(vec![
                Self::Or(vec![Self::Missing, Self::AnyDepsUpdated]),
                Self::Not(Box::new(Self::AnyDepsMissing)),
                Self::Not(Box::new(Self::AnyDepsInProgress)),
                Self::Not(Box::new(Self::InProgress)),
            ]),
        )
    }

    /// Dagster's `AutomationCondition.on_missing()`: materialize a missing
    /// partition once its upstream partitions are there.
    pub fn on_missing() -> Self {
        Self::named(
            "on_missing",
            Self::And(vec![
                Self::Missing,
                Self::Not(Box::new(Self::AnyDepsMissing)),
                Self::Not(Box::new(Self::AnyDepsInProgress)),
                Self::Not(Box::new(Self::InProgress)),
            ]),
        )
    }

    /// Dagster's `AutomationCondition.on_cron(...)`: after each tick of
    /// `schedule`, materialize once every upstream partition it reads has
    /// been updated since that tick.
    pub fn on_cron(schedule: CronSchedule) -> Self {
        Self::named(
            "on_cron",
            Self::And(vec![
                Self::CronTickPassed(schedule.clone()),
                Self::AllDepsUpdatedSinceCron(schedule),
                Self::Not(Box::new(Self::InProgress)),
            ]),
        )
    }

    fn named(name: &str, condition: Self) -> Self {
        Self::Named { name: name.to_owned(), condition: Box::new(condition) }
    }

    /// How the node is shown: `eager`, `and`, `not`, `missing`,
    /// `cron_tick_passed(0 * * * * Europe/Paris)`.
    pub fn label(&self) -> String {
        let schedule = |s: &CronSchedule| format!("{} {}", s.cron(), s.timezone());
        match self {
            Self::Missing => "missing".to_owned(),
            Self::InProgress => "in_progress".to_owned(),
            Self::ExecutionFailed => "execution_failed".to_owned(),
            Self::CodeVersionChanged => "code_version_changed".to_owned(),
            Self::AnyDepsUpdated => "any_deps_updated".to_owned(),
            Self::AnyDepsMissing => "any_deps_missing".to_owned(),
            Self::AnyDepsInProgress => "any_deps_in_progress".to_owned(),
            Self::CronTickPassed(s) => format!("cron_tick_passed({})", schedule(s)),
            Self::AllDepsUpdatedSinceCron(s) => format!("all_deps_updated_since_cron({})", schedule(s)),
            Self::And(_) => "and".to_owned(),
            Self::Or(_) => "or".to_owned(),
            Self::Not(_) => "not".to_owned(),
            Self::Named { name, .. } => name.clone(),
        }
    }

    fn children(&self) -> Vec<&AutomationCondition> {
        match self {
            Self::And(children) | Self::Or(children) => children.iter().collect(),
            Self::Not(child) => vec![child],
            Self::Named { condition, .. } => vec![condition],
            _ => Vec::new(),
        }
    }

    /// The schedules of its cron leaves, in tree order.
    fn schedules(&self) -> Vec<&CronSchedule> {
        match self {
            Self::CronTickPassed(s) | Self::AllDepsUpdatedSinceCron(s) => vec![s],
            _ => self.children().into_iter().flat_map(Self::schedules).collect(),
        }
    }
}

/// An asset's `automation:`: its condition and how many of the latest
/// time windows are candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomationPolicy {
    /// The condition.
    pub condition: AutomationCondition,
    /// Time-window partitions: the latest `lookback` windows are
    /// candidates (at least 1). Ignored for static and unpartitioned assets.
    pub lookback: usize,
}

/// What automation reads of one asset partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionFacts {
    /// Missing, fresh or stale.
    pub status: StaleStatusKind,
    /// Stale because an upstream partition it reads changed (or its
    /// upstream assets did).
    pub upstream_changed: bool,
    /// Stale because its code version changed.
    pub code_changed: bool,
    /// A step materializes it now.
    pub running: bool,
    /// Its latest materialization attempt failed.
    pub failed: bool,
    /// Its latest materialization (a source: the latest new data version
    /// seen), UTC.
    pub updated_at: Option<DateTime<Utc>>,
    /// A hash of its current data version (0: none): what a request's
    /// trigger compares, so a source seen again with the same data does
    /// not count as an update.
    pub version: u64,
}

/// The state automation evaluates against (the engine's summary of the
/// asset-state index).
pub trait AutomationState {
    /// The facts of one asset partition; `None` for an asset or key the
    /// state does not know.
    fn facts(&self, asset: &AssetKey, partition: Option<&PartitionKey>) -> Option<PartitionFacts>;

    /// The keys of `asset`'s partitions definition as of now, in order
    /// (callers may cache them); `None` for an unpartitioned asset.
    fn keys(&self, asset: &AssetKey) -> Option<&[PartitionKey]>;
}

/// What automation remembers of one asset between ticks (stored with each
/// tick, as JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AutomationCursor {
    /// When automation first evaluated the asset (UTC): cron ticks before
    /// it never fire.
    pub first_evaluated_at: Option<DateTime<Utc>>,
    /// The latest request of each candidate partition (key; `""` for an
    /// unpartitioned asset). Partitions no longer candidates are dropped.
    pub requested: BTreeMap<String, RequestMemo>,
}

/// One partition's latest request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RequestMemo {
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// The run it went into (`None` until the run is stored).
    pub run: Option<i64>,
    /// Its trigger then (see the module docs).
    pub trigger: String,
}

/// One node of a condition tree, evaluated over an asset's candidates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeEvaluation {
    /// [`AutomationCondition::label`].
    pub label: String,
    /// Candidates for which it is true.
    pub true_count: usize,
    /// The first of those, at most [`EXAMPLES_KEPT`] (`""` for an
    /// unpartitioned asset).
    pub true_partitions: Vec<String>,
    /// Its sub-conditions.
    pub children: Vec<NodeEvaluation>,
}

/// Why one partition was requested, or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartitionReason {
    /// The partition key (`None`: unpartitioned).
    pub partition: Option<String>,
    /// The reason, for people (`upstream daily partition 2024-01-05 is missing`).
    pub reason: String,
}

/// One asset's evaluation at one tick. Its `Hash` covers what is stored
/// (not the cursor): equal hashes, equal records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetEvaluation {
    /// The asset.
    pub asset: AssetKey,
    /// How many partitions were candidates.
    pub candidates: usize,
    /// The condition tree's results.
    pub tree: NodeEvaluation,
    /// The partitions to request, in key order.
    pub requested: Vec<Option<PartitionKey>>,
    /// Why each requested partition was (at most [`EXAMPLES_KEPT`]).
    pub why: Vec<PartitionReason>,
    /// Why candidates were not requested (at most [`EXAMPLES_KEPT`]): the
    /// sub-condition that was false, or the earlier request it repeats.
    pub why_not: Vec<PartitionReason>,
    /// The cursor to store with the tick (requests get their run once it
    /// is stored).
    #[serde(skip)]
    pub cursor: AutomationCursor,
}

impl std::hash::Hash for AssetEvaluation {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (&self.asset, self.candidates, &self.tree, &self.requested, &self.why, &self.why_not).hash(state);
    }
}

/// The inputs of one tick.
pub struct TickInput<'a> {
    /// Every asset, in topological order.
    pub specs: &'a [AssetSpec],
    /// The assets under automation (paused ones left out).
    pub policies: &'a BTreeMap<AssetKey, AutomationPolicy>,
    /// The state.
    pub state: &'a dyn AutomationState,
    /// Each asset's cursor from the previous tick (absent: never evaluated).
    pub cursors: &'a BTreeMap<AssetKey, AutomationCursor>,
    /// The runs not finished yet: a partition requested into one of them
    /// is in progress.
    pub unfinished_runs: &'a BTreeSet<i64>,
    /// The evaluation time (UTC).
    pub now: DateTime<Utc>,
}

/// Evaluates every asset of `input.policies`, in topological order: what
/// to request now, and why. An asset partition requested here counts as in
/// progress for the downstream assets evaluated after it, so a chain is
/// materialized one tick per level, each level from its upstream's new
/// data.
pub fn evaluate_tick(input: &TickInput<'_>) -> Vec<AssetEvaluation> {
    let mut requested_now: HashSet<AssetPartition> = HashSet::new();
    let specs: HashMap<&AssetKey, &AssetSpec> = input.specs.iter().map(|spec| (&spec.key, spec)).collect();
    let mut evaluations = Vec::new();
    for spec in input.specs {
        let Some(policy) = input.policies.get(&spec.key) else { continue };
        let cursor = input.cursors.get(&spec.key).cloned().unwrap_or_default();
        let evaluation = evaluate_asset(input, &specs, spec, policy, cursor, &requested_now);
        for partition in &evaluation.requested {
            requested_now.insert(AssetPartition::new(spec.key.clone(), partition.clone()));
        }
        evaluations.push(evaluation);
    }
    evaluations
}

/// The candidates of an asset: the latest `lookback` time windows, every
/// static key, or the one partition of an unpartitioned asset.
fn candidates(spec: &AssetSpec, keys: Option<&[PartitionKey]>, lookback: usize) -> Vec<Option<PartitionKey>> {
    match (spec.partitions.as_deref(), keys) {
        (None, _) => vec![None],
        (Some(PartitionsDefinition::TimeWindow(_)), Some(keys)) => {
            keys[keys.len().saturating_sub(lookback.max(1))..].iter().cloned().map(Some).collect()
        }
        (Some(_), Some(keys)) => keys.iter().cloned().map(Some).collect(),
        (Some(_), None) => Vec::new(),
    }
}

/// The context of one candidate's evaluation.
struct Candidate<'a> {
    input: &'a TickInput<'a>,
    facts: PartitionFacts,
    /// The upstream partitions it reads, with their facts (`None`: unknown
    /// to the state, counted as missing).
    upstream: Vec<(AssetPartition, Option<PartitionFacts>)>,
    requested_now: &'a HashSet<AssetPartition>,
    memo: Option<&'a RequestMemo>,
    first_evaluated_at: DateTime<Utc>,
}

fn describe(target: &AssetPartition) -> String {
    match &target.partition {
        Some(key) => format!("`{}` partition {key}", target.asset),
        None => format!("`{}`", target.asset),
    }
}

impl Candidate<'_> {
    fn in_progress(&self) -> Option<String> {
        if self.facts.running {
            return Some("a step materializes it now".to_owned());
        }
        let run = self.memo.and_then(|memo| memo.run).filter(|run| self.input.unfinished_runs.contains(run))?;
        Some(format!("requested in run r-{run}, not finished"))
    }

    fn upstream_in_progress(&self, target: &AssetPartition, facts: Option<&PartitionFacts>) -> bool {
        facts.is_some_and(|facts| facts.running) || self.requested_now.contains(target)
    }

    /// The condition's value for this candidate, with the reason; the
    /// value of every node of its tree is pushed to `values` in pre-order
    /// (each node evaluated once, every child of `and` and `or` too, so
    /// the record shows each sub-condition's result).
    fn evaluate(&self, condition: &AutomationCondition, values: &mut Vec<bool>) -> (bool, String) {
        let at = values.len();
        values.push(false);
        let (value, reason) = self.evaluate_node(condition, values);
        values[at] = value;
        (value, reason)
    }

    fn evaluate_node(&self, condition: &AutomationCondition, values: &mut Vec<bool>) -> (bool, String) {
        use AutomationCondition as C;
        match condition {
            C::Missing => match self.facts.status {
                StaleStatusKind::Missing => (true, "missing".to_owned()),
                _ => (false, "materialized".to_owned()),
            },
            C::InProgress => match self.in_progress() {
                Some(why) => (true, format!("in progress: {why}")),
                None => (false, "not in progress".to_owned()),
            },
            C::ExecutionFailed => match self.facts.failed {
                true => (true, "its latest attempt failed".to_owned()),
                false => (false, "its latest attempt did not fail".to_owned()),
            },
            C::CodeVersionChanged => match self.facts.code_changed {
                true => (true, "its code version changed".to_owned()),
                false => (false, "its code version is unchanged".to_owned()),
            },
            C::AnyDepsUpdated => {
                let updated = self.facts.upstream_changed && self.facts.status == StaleStatusKind::Stale;
                let newest = self
                    .upstream
                    .iter()
                    .filter(|(_, facts)| facts.is_some_and(|f| f.updated_at > self.facts.updated_at))
                    .max_by_key(|(_, facts)| facts.and_then(|f| f.updated_at));
                match (updated, newest) {
                    (true, Some((target, _))) => (true, format!("upstream {} has new data", describe(target))),
                    (true, None) => (true, "an upstream partition it reads has new data".to_owned()),
                    (false, _) => (false, "no upstream partition it reads has new data".to_owned()),
                }
            }
            C::AnyDepsMissing => {
                let missing =
                    self.upstream.iter().find(|(_, facts)| facts.is_none_or(|f| f.status == StaleStatusKind::Missing));
                match missing {
                    Some((target, _)) => (true, format!("upstream {} is missing", describe(target))),
                    None => (false, "no upstream partition it reads is missing".to_owned()),
                }
            }
            C::AnyDepsInProgress => {
                let busy =
                    self.upstream.iter().find(|(target, facts)| self.upstream_in_progress(target, facts.as_ref()));
                match busy {
                    Some((target, _)) => (true, format!("upstream {} is in progress", describe(target))),
                    None => (false, "no upstream partition it reads is in progress".to_owned()),
                }
            }
            C::CronTickPassed(schedule) => {
                let since = self.memo.map_or(self.first_evaluated_at, |memo| memo.at.max(self.first_evaluated_at));
                match schedule.last_tick_at_or_before(self.input.now) {
                    Some(tick) if tick > since => (true, format!("the cron tick of {} passed", tick.to_rfc3339())),
                    Some(tick) => (
                        false,
                        format!("no cron tick since {} (the latest was {})", since.to_rfc3339(), tick.to_rfc3339()),
                    ),
                    None => (false, "the schedule has no tick yet".to_owned()),
                }
            }
            C::AllDepsUpdatedSinceCron(schedule) => {
                let Some(tick) = schedule.last_tick_at_or_before(self.input.now) else {
                    return (false, "the schedule has no tick yet".to_owned());
                };
                let behind =
                    self.upstream.iter().find(|(_, facts)| facts.and_then(|f| f.updated_at).is_none_or(|at| at < tick));
                match behind {
                    Some((target, _)) => (
                        false,
                        format!(
                            "upstream {} was not updated since the cron tick of {}",
                            describe(target),
                            tick.to_rfc3339()
                        ),
                    ),
                    None => {
                        (true, format!("every upstream partition it reads was updated since {}", tick.to_rfc3339()))
                    }
                }
            }
            C::And(children) => {
                let results: Vec<(bool, String)> = children.iter().map(|child| self.evaluate(child, values)).collect();
                match results.iter().position(|(value, _)| !value) {
                    Some(first_false) => {
                        (false, results.into_iter().nth(first_false).map(|(_, r)| r).unwrap_or_default())
                    }
                    None => (true, results.into_iter().next().map_or_else(|| "always".to_owned(), |(_, r)| r)),
                }
            }
            C::Or(children) => {
                let results: Vec<(bool, String)> = children.iter().map(|child| self.evaluate(child, values)).collect();
                match results.iter().position(|(value, _)| *value) {
                    Some(first_true) => (true, results.into_iter().nth(first_true).map(|(_, r)| r).unwrap_or_default()),
                    None => (false, results.into_iter().map(|(_, r)| r).collect::<Vec<_>>().join("; ")),
                }
            }
            C::Not(child) => {
                let (value, reason) = self.evaluate(child, values);
                (!value, reason)
            }
            C::Named { condition, .. } => self.evaluate(condition, values),
        }
    }

    /// What a request answers to: when this changes, a partition requested
    /// before may be requested again.
    fn trigger(&self, condition: &AutomationCondition) -> String {
        let upstream_versions: Vec<String> =
            self.upstream.iter().map(|(_, facts)| facts.map_or(0, |f| f.version).to_string()).collect();
        let ticks: Vec<String> = condition
            .schedules()
            .into_iter()
            .map(|s| s.last_tick_at_or_before(self.input.now).map(|t| t.to_rfc3339()).unwrap_or_default())
            .collect();
        format!(
            "code_changed={} updated_at={} version={} upstream={} ticks={}",
            self.facts.code_changed,
            self.facts.updated_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            self.facts.version,
            upstream_versions.join(","),
            ticks.join(",")
        )
    }
}

fn evaluate_asset(
    input: &TickInput<'_>,
    specs: &HashMap<&AssetKey, &AssetSpec>,
    spec: &AssetSpec,
    policy: &AutomationPolicy,
    cursor: AutomationCursor,
    requested_now: &HashSet<AssetPartition>,
) -> AssetEvaluation {
    let first_evaluated_at = cursor.first_evaluated_at.unwrap_or(input.now);
    let candidates = candidates(spec, input.state.keys(&spec.key), policy.lookback);
    let mut values: Vec<Vec<bool>> = Vec::with_capacity(candidates.len());
    let mut requested = Vec::new();
    let (mut why, mut why_not) = (Vec::new(), Vec::new());
    let mut memos = BTreeMap::new();
    for partition in &candidates {
        let key_text = partition.as_ref().map_or(String::new(), |key| key.as_str().to_owned());
        let memo = cursor.requested.get(&key_text);
        let facts = input.state.facts(&spec.key, partition.as_ref()).unwrap_or(PartitionFacts {
            status: StaleStatusKind::Missing,
            upstream_changed: false,
            code_changed: false,
            running: false,
            failed: false,
            updated_at: None,
            version: 0,
        });
        let candidate = Candidate {
            input,
            facts,
            upstream: upstream_of(input, specs, spec, partition.as_ref()),
            requested_now,
            memo,
            first_evaluated_at,
        };
        let mut node_values = Vec::new();
        let (value, reason) = candidate.evaluate(&policy.condition, &mut node_values);
        // Only a true condition needs its trigger (most candidates, most
        // ticks, are false).
        let trigger = if value { candidate.trigger(&policy.condition) } else { String::new() };
        let reason_of =
            |reason: String| PartitionReason { partition: partition.as_ref().map(|k| k.as_str().to_owned()), reason };
        match (value, memo) {
            (true, Some(memo)) if memo.trigger == trigger => {
                if why_not.len() < EXAMPLES_KEPT {
                    let run = memo.run.map(|run| format!(" in run r-{run}")).unwrap_or_default();
                    why_not.push(reason_of(format!(
                        "already requested at {}{run}, and nothing it reads changed since",
                        memo.at.to_rfc3339()
                    )));
                }
                memos.insert(key_text, memo.clone());
            }
            (true, _) => {
                if why.len() < EXAMPLES_KEPT {
                    why.push(reason_of(reason));
                }
                requested.push(partition.clone());
                memos.insert(key_text, RequestMemo { at: input.now, run: None, trigger });
            }
            (false, memo) => {
                if why_not.len() < EXAMPLES_KEPT {
                    why_not.push(reason_of(reason));
                }
                if let Some(memo) = memo {
                    memos.insert(key_text, memo.clone());
                }
            }
        }
        values.push(node_values);
    }
    let mut position = 0;
    let tree = summarize_node(&policy.condition, &candidates, &values, &mut position);
    AssetEvaluation {
        asset: spec.key.clone(),
        candidates: candidates.len(),
        tree,
        requested,
        why,
        why_not,
        cursor: AutomationCursor { first_evaluated_at: Some(first_evaluated_at), requested: memos },
    }
}

fn summarize_node(
    condition: &AutomationCondition,
    candidates: &[Option<PartitionKey>],
    values: &[Vec<bool>],
    position: &mut usize,
) -> NodeEvaluation {
    let at = *position;
    *position += 1;
    let mut true_count = 0;
    let mut true_partitions = Vec::new();
    for (candidate, node_values) in candidates.iter().zip(values) {
        if node_values.get(at).copied().unwrap_or(false) {
            true_count += 1;
            if true_partitions.len() < EXAMPLES_KEPT {
                true_partitions.push(candidate.as_ref().map_or(String::new(), |k| k.as_str().to_owned()));
            }
        }
    }
    let children =
        condition.children().into_iter().map(|child| summarize_node(child, candidates, values, position)).collect();
    NodeEvaluation { label: condition.label(), true_count, true_partitions, children }
}

/// The upstream partitions `partition` of `spec` reads, through each
/// dependency's mapping, with their facts.
fn upstream_of(
    input: &TickInput<'_>,
    specs: &HashMap<&AssetKey, &AssetSpec>,
    spec: &AssetSpec,
    partition: Option<&PartitionKey>,
) -> Vec<(AssetPartition, Option<PartitionFacts>)> {
    let mut upstream = Vec::new();
    for dep in &spec.deps {
        let Some(up_spec) = specs.get(&dep.key) else { continue };
        let up_keys = input.state.keys(&dep.key).unwrap_or(&[]);
        let read = dep.mapping.upstream_partitions(
            spec.partitions.as_deref(),
            partition,
            up_spec.partitions.as_deref(),
            up_keys,
            input.now,
        );
        match read {
            UpstreamPartitions::Whole => {
                let facts = input.state.facts(&dep.key, None);
                upstream.push((AssetPartition::new(dep.key.clone(), None), facts));
            }
            UpstreamPartitions::Keys(keys) => {
                for key in keys {
                    let facts = input.state.facts(&dep.key, Some(&key));
                    upstream.push((AssetPartition::new(dep.key.clone(), Some(key)), facts));
                }
            }
        }
    }
    upstream
}
