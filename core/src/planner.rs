//! The planner: which asset partitions to materialize, in which order, and why.
//!
//! [`plan`] is a pure function of the asset specs (in topological order), the
//! [`StoredState`] and a [`PlanRequest`]. It returns the minimal ordered set of
//! materializations that brings the selected asset partitions up to date:
//!
//! * a selected partition is planned when it is **missing**, when its own
//!   record makes it stale (`code_version_changed`, `dependencies_changed`,
//!   `upstream_data_changed`), or when an upstream partition it reads is
//!   planned before it (reason `upstream_data_changed` with `pending: true`;
//!   the executor checks again once that upstream is done and skips the step
//!   if the upstream data version did not change);
//! * a partition that is only `upstream_stale` through an upstream that is
//!   *not* planned is left alone: materializing it again would read the same
//!   data;
//! * a partition whose upstream data is neither materialized nor planned is
//!   **blocked** and reported, never planned.
//!
//! That is [`PlanMode::MissingOrStale`], the default. Backfills may ask for
//! [`PlanMode::All`] (every selected partition; a fresh one with reason
//! `requested`) or [`PlanMode::MissingOrFailed`] (missing partitions and
//! those whose latest attempt failed, reason `failed`; an upstream planned
//! earlier does not add a partition), following Dagster's backfill options.
//!
//! Steps come in topological order of assets, then in partition order, and
//! each step lists the earlier steps it waits for.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::partitions::subset::positions_in_ranges;
use crate::partitions::{PartitionKey, PartitionsDefinition};
use crate::run::PartitionScope;
use crate::spec::AssetSpec;
use crate::staleness::{StaleCause, StaleStatus, Staleness};
use crate::state::{AssetPartition, StoredState};
use crate::{AssetKey, CoreError};

/// Which partitions of the selected assets to consider.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PartitionFilter {
    /// Every partition (the default).
    #[default]
    All,
    /// `--partition KEY` (repeatable). For time windows, a key or time picks
    /// the window that contains it, so a monthly asset given `2013-01-05`
    /// plans `2013-01-01`; for static partitions it must be a key.
    Keys(Vec<String>),
    /// `--from KEY --to KEY`, both inclusive. For time windows: every window
    /// overlapping the span from `from` to `to`; for static partitions: the
    /// keys from `from` to `to` in declaration order.
    Range {
        /// First key or time.
        from: String,
        /// Last key or time, inclusive.
        to: String,
    },
    /// The partitions a stored run or backfill targets: key ranges per
    /// group of assets (see [`PartitionScope`]). An asset in no group is
    /// not partition-filtered.
    Scope(PartitionScope),
}

/// Which of the selected asset partitions to plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PlanMode {
    /// The missing or stale ones (`cairn materialize`; a backfill with
    /// `onlyStale`), and those whose upstream is planned before them.
    #[default]
    MissingOrStale,
    /// Every one, fresh or not: a backfill (reason `requested` for a fresh one).
    All,
    /// The missing ones, and those whose latest materialization attempt
    /// failed (reason `failed`), as Dagster's "only missing or failed"
    /// backfills.
    MissingOrFailed {
        /// The asset partitions whose latest attempt failed.
        failed: HashSet<AssetPartition>,
    },
}

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The selected assets (already expanded from selection syntax).
    pub selection: BTreeSet<AssetKey>,
    /// Which partitions of partitioned assets to consider; unpartitioned
    /// assets are always considered whole.
    pub partitions: PartitionFilter,
    /// Evaluation time (UTC): fixes the set of open-ended time windows.
    pub now: DateTime<Utc>,
    /// Which partitions to plan.
    pub mode: PlanMode,
}

/// Why a step is in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanReason {
    /// Never materialized.
    Missing,
    /// A backfill asked for every partition, fresh or not.
    Requested,
    /// Its latest materialization attempt failed.
    Failed,
    /// Stale for this cause.
    #[serde(untagged)]
    Stale(StaleCause),
}

impl PlanReason {
    /// `missing` or the cause's [`StaleCause::kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Requested => "requested",
            Self::Failed => "failed",
            Self::Stale(cause) => cause.kind(),
        }
    }
}

/// One materialization to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    /// The asset partition to materialize.
    pub target: AssetPartition,
    /// Why, in a stable order (missing, code, dependencies, upstream data).
    pub reasons: Vec<PlanReason>,
    /// Indices (into [`Plan::steps`]) of earlier steps this one reads from.
    pub waits_for: Vec<usize>,
}

impl PlanStep {
    /// Distinct reason kinds, in order: what `cairn plan --json` prints.
    pub fn reason_kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = Vec::new();
        for reason in &self.reasons {
            if !kinds.contains(&reason.kind()) {
                kinds.push(reason.kind());
            }
        }
        kinds
    }

    /// Whether every reason is a pending upstream change: the step only
    /// runs if an upstream step actually changes data.
    pub fn is_conditional(&self) -> bool {
        self.reasons
            .iter()
            .all(|reason| matches!(reason, PlanReason::Stale(StaleCause::UpstreamDataChanged { pending: true, .. })))
    }
}

/// A selected asset partition that needs materializing but cannot be,
/// because upstream data it reads does not exist and is not planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedStep {
    /// The asset partition that cannot run.
    pub target: AssetPartition,
    /// Why it would be planned.
    pub reasons: Vec<PlanReason>,
    /// Upstream asset partitions that are missing (a source not observed, or
    /// an asset never materialized and not selected).
    pub missing_upstream: Vec<AssetPartition>,
}

/// The result of [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Materializations in an order that respects dependencies.
    pub steps: Vec<PlanStep>,
    /// Selected partitions that need work but cannot be done.
    pub blocked: Vec<BlockedStep>,
    /// Selected materializable asset partitions considered in all.
    pub considered: usize,
}

impl Plan {
    /// Whether there is nothing to do and nothing blocked.
    pub fn is_up_to_date(&self) -> bool {
        self.steps.is_empty() && self.blocked.is_empty()
    }
}

/// Errors from planning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A partition filter that matches no partition of any selected asset.
    #[error("partition `{key}` is outside the partitions of the selected assets: {definitions}")]
    PartitionOutOfRange {
        /// The key, time or range given.
        key: String,
        /// The definitions of the selected partitioned assets, described.
        definitions: String,
    },
    /// `--from` comes after `--to`.
    #[error("the range `{from}..{to}` is reversed: `{from}` comes after `{to}` (did you mean `{to}..{from}`?)")]
    ReversedRange {
        /// The first key or time given.
        from: String,
        /// The last key or time given.
        to: String,
    },
    /// A key or time that is not one of a partitions definition's: not a
    /// date or time for time windows, not a listed key for static ones.
    #[error("`{key}` is not a partition of `{asset}`: {expected}")]
    NotAPartition {
        /// What was given.
        key: String,
        /// The first selected asset it was checked against.
        asset: AssetKey,
        /// What its partitions look like.
        expected: String,
    },
    /// A partition filter was given but no selected asset is partitioned.
    #[error("no selected asset is partitioned, so `{0}` selects nothing")]
    NothingPartitioned(String),
    /// A broken invariant (see [`CoreError`]).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Plans the materializations that `request` needs (see the module docs).
///
/// `specs` must be in topological order (upstream first), as
/// `cairn_lineage::AssetGraph` returns them.
///
/// # Errors
/// [`PlanError::PartitionOutOfRange`] / [`PlanError::NothingPartitioned`]
/// for a partition filter that selects nothing; [`PlanError::Core`] for
/// specs out of order.
pub fn plan(specs: &[AssetSpec], state: &StoredState, request: &PlanRequest) -> Result<Plan, PlanError> {
    let staleness = Staleness::new(specs, state, request.now)?;
    let mut planner = Planner {
        mode: &request.mode,
        staleness: &staleness,
        planned: (0..specs.len()).map(|_| PlannedSteps::default()).collect(),
        plan: Plan { steps: Vec::new(), blocked: Vec::new(), considered: 0 },
    };
    let mut filter_matched = matches!(request.partitions, PartitionFilter::All | PartitionFilter::Scope(_));
    for (position, spec) in specs.iter().enumerate() {
        if !spec.is_materializable() || !request.selection.contains(&spec.key) {
            continue;
        }
        let partitions = match &spec.partitions {
            None => vec![None],
            Some(definition) => {
                let all = staleness.partitions_of(position);
                let keys = match &request.partitions {
                    PartitionFilter::Scope(scope) => match scope.ranges_of(&spec.key) {
                        None => all.to_vec(),
                        Some(ranges) => {
                            let keys: Vec<PartitionKey> = all.iter().flatten().cloned().collect();
                            positions_in_ranges(&keys, ranges).into_iter().map(|p| Some(keys[p].clone())).collect()
                        }
                    },
                    filter => filter_partitions(definition, &all, filter, request.now),
                };
                filter_matched |= !keys.is_empty();
                keys
            }
        };
        for partition in partitions {
            planner.consider(position, partition);
        }
    }
    if !filter_matched {
        return Err(filter_error(specs, request));
    }
    Ok(planner.plan)
}

/// Checks that `filter` selects at least one partition of the selected
/// materializable assets (as of `now`, UTC), without planning anything:
/// what a backfill request is checked with before it is stored.
///
/// # Errors
/// As [`plan`] for a filter: [`PlanError::ReversedRange`],
/// [`PlanError::NotAPartition`], [`PlanError::NothingPartitioned`] or
/// [`PlanError::PartitionOutOfRange`].
pub fn check_filter(
    specs: &[AssetSpec],
    selection: &BTreeSet<AssetKey>,
    filter: &PartitionFilter,
    now: DateTime<Utc>,
) -> Result<(), PlanError> {
    if matches!(filter, PartitionFilter::All | PartitionFilter::Scope(_)) {
        return Ok(());
    }
    let selected = specs.iter().filter(|spec| spec.is_materializable() && selection.contains(&spec.key));
    let matched = selected
        .filter_map(|spec| spec.partitions.as_deref())
        .any(|definition| !selected_partitions(definition, filter, now).is_empty());
    if matched {
        return Ok(());
    }
    let request = PlanRequest { selection: selection.clone(), partitions: filter.clone(), now, mode: PlanMode::All };
    Err(filter_error(specs, &request))
}

struct Planner<'s, 'a> {
    mode: &'s PlanMode,
    staleness: &'s Staleness<'a>,
    /// Step index of each planned asset partition, by asset position.
    planned: Vec<PlannedSteps>,
    plan: Plan,
}

/// The planned steps of one asset.
#[derive(Default)]
struct PlannedSteps {
    whole: Option<usize>,
    partitions: HashMap<PartitionKey, usize>,
}

impl PlannedSteps {
    fn get(&self, partition: Option<&PartitionKey>) -> Option<usize> {
        match partition {
            Some(key) => self.partitions.get(key).copied(),
            None => self.whole,
        }
    }
}

impl Planner<'_, '_> {
    fn consider(&mut self, position: usize, partition: Option<PartitionKey>) {
        self.plan.considered += 1;
        let spec = &self.staleness.specs()[position];
        let direct = self.staleness.direct_status(position, partition.as_ref());
        let target = AssetPartition::new(spec.key.clone(), partition.clone());
        let mut reasons = match (&self.mode, direct) {
            (_, StaleStatus::Missing) => vec![PlanReason::Missing],
            (PlanMode::MissingOrStale, StaleStatus::Fresh) => Vec::new(),
            (PlanMode::MissingOrStale | PlanMode::All, StaleStatus::Stale(causes)) => {
                causes.into_iter().map(PlanReason::Stale).collect()
            }
            (PlanMode::All, StaleStatus::Fresh) => vec![PlanReason::Requested],
            (PlanMode::MissingOrFailed { failed }, _) => {
                if failed.contains(&target) {
                    vec![PlanReason::Failed]
                } else {
                    Vec::new()
                }
            }
        };
        // Only missing or failed: an upstream planned before does not make
        // a partition worth planning.
        let follow_upstream = !matches!(self.mode, PlanMode::MissingOrFailed { .. });
        let mut waits_for = Vec::new();
        let mut missing_upstream = Vec::new();
        let state = self.staleness.state();
        // A missing partition needs no further reason; upstream partitions
        // already named by a cause are not named twice.
        let missing = reasons.first() == Some(&PlanReason::Missing);
        let named: HashSet<AssetPartition> = reasons
            .iter()
            .filter_map(|r| match r {
                PlanReason::Stale(cause) => cause.upstream().cloned(),
                PlanReason::Missing | PlanReason::Requested | PlanReason::Failed => None,
            })
            .collect();
        let mut pending = Vec::new();
        self.staleness.for_each_upstream(position, partition.as_ref(), |dep, upstream_partition| {
            let upstream_position = self.staleness.position(&dep.key).expect("checked by Staleness::new");
            if let Some(step) = self.planned[upstream_position].get(upstream_partition) {
                waits_for.push(step);
                if !missing && follow_upstream {
                    let upstream = AssetPartition::new(dep.key.clone(), upstream_partition.cloned());
                    if named.is_empty() || !named.contains(&upstream) {
                        pending.push(PlanReason::Stale(StaleCause::UpstreamDataChanged { upstream, pending: true }));
                    }
                }
            } else if state.current_data_version(&dep.key, upstream_partition).is_none() {
                missing_upstream.push(AssetPartition::new(dep.key.clone(), upstream_partition.cloned()));
            }
        });
        reasons.append(&mut pending);
        if reasons.is_empty() {
            return;
        }
        if !missing_upstream.is_empty() {
            self.plan.blocked.push(BlockedStep { target, reasons, missing_upstream });
            return;
        }
        waits_for.sort_unstable();
        waits_for.dedup();
        let step = self.plan.steps.len();
        match &partition {
            Some(key) => {
                self.planned[position].partitions.insert(key.clone(), step);
            }
            None => self.planned[position].whole = Some(step),
        }
        self.plan.steps.push(PlanStep { target, reasons, waits_for });
    }
}

/// The keys of `definition` (as of `now`, UTC) that `filter` selects, in
/// key order. [`PartitionFilter::Scope`] is per asset, not per
/// definition: it selects every key here.
pub fn selected_partitions(
    definition: &PartitionsDefinition,
    filter: &PartitionFilter,
    now: DateTime<Utc>,
) -> Vec<PartitionKey> {
    let all: Vec<Option<PartitionKey>> = definition.keys(now).into_iter().map(Some).collect();
    filter_partitions(definition, &all, filter, now).into_iter().flatten().collect()
}

/// The partitions of one asset that `filter` selects, in order.
fn filter_partitions(
    definition: &PartitionsDefinition,
    all: &[Option<PartitionKey>],
    filter: &PartitionFilter,
    now: DateTime<Utc>,
) -> Vec<Option<PartitionKey>> {
    let keys = all.iter().flatten();
    match (filter, definition) {
        (PartitionFilter::All | PartitionFilter::Scope(_), _) => all.to_vec(),
        (PartitionFilter::Keys(wanted), PartitionsDefinition::Static(_)) => {
            keys.filter(|key| wanted.iter().any(|w| w == key.as_str())).cloned().map(Some).collect()
        }
        (PartitionFilter::Keys(wanted), PartitionsDefinition::TimeWindow(windows)) => {
            let mut chosen: BTreeSet<PartitionKey> = BTreeSet::new();
            for text in wanted {
                if let Ok(t) = windows.parse_time(text) {
                    chosen.extend(windows.key_for_timestamp(t, now));
                }
            }
            keys.filter(|key| chosen.contains(*key)).cloned().map(Some).collect()
        }
        (PartitionFilter::Range { from, to }, PartitionsDefinition::Static(list)) => {
            match (list.position(from), list.position(to)) {
                (Some(first), Some(last)) if first <= last => {
                    list.keys()[first..=last].iter().cloned().map(Some).collect()
                }
                _ => Vec::new(),
            }
        }
        (PartitionFilter::Range { from, to }, PartitionsDefinition::TimeWindow(windows)) => {
            match (windows.parse_time(from), windows.parse_time(to)) {
                (Ok(start), Ok(end)) if start <= end => windows
                    .keys_overlapping(start, end + chrono::Duration::seconds(1), now)
                    .into_iter()
                    .map(Some)
                    .collect(),
                _ => Vec::new(),
            }
        }
    }
}

/// Why a filter that selects nothing is wrong in itself, rather than out
/// of range: a reversed range, or a key that cannot be one of the first
/// selected partitioned asset's partitions (not a date, not a listed key).
fn malformed_filter(specs: &[AssetSpec], request: &PlanRequest) -> Option<PlanError> {
    let spec = specs
        .iter()
        .find(|spec| request.selection.contains(&spec.key) && spec.is_materializable() && spec.partitions.is_some())?;
    let definition = spec.partitions.as_deref()?;
    let not_a_partition = |key: &str| {
        let expected = match definition {
            PartitionsDefinition::TimeWindow(windows) => {
                let _ = windows;
                format!("not a date or time; it has {}", definition.describe())
            }
            PartitionsDefinition::Static(list) => {
                let keys: Vec<&str> = list.keys().iter().take(5).map(PartitionKey::as_str).collect();
                format!("not one of its keys ({}{})", keys.join(", "), if list.keys().len() > 5 { ", ..." } else { "" })
            }
        };
        Some(PlanError::NotAPartition { key: key.to_owned(), asset: spec.key.clone(), expected })
    };
    match (&request.partitions, definition) {
        (PartitionFilter::Range { from, to }, PartitionsDefinition::TimeWindow(windows)) => {
            match (windows.parse_time(from), windows.parse_time(to)) {
                (Err(_), _) => not_a_partition(from),
                (_, Err(_)) => not_a_partition(to),
                (Ok(start), Ok(end)) if start > end => {
                    Some(PlanError::ReversedRange { from: from.clone(), to: to.clone() })
                }
                _ => None,
            }
        }
        (PartitionFilter::Range { from, to }, PartitionsDefinition::Static(list)) => {
            match (list.position(from), list.position(to)) {
                (None, _) => not_a_partition(from),
                (_, None) => not_a_partition(to),
                (Some(first), Some(last)) if first > last => {
                    Some(PlanError::ReversedRange { from: from.clone(), to: to.clone() })
                }
                _ => None,
            }
        }
        (PartitionFilter::Keys(keys), PartitionsDefinition::TimeWindow(windows)) => {
            keys.iter().find(|key| windows.parse_time(key).is_err()).and_then(|key| not_a_partition(key))
        }
        (PartitionFilter::Keys(keys), PartitionsDefinition::Static(list)) => {
            keys.iter().find(|key| list.position(key).is_none()).and_then(|key| not_a_partition(key))
        }
        _ => None,
    }
}

fn filter_error(specs: &[AssetSpec], request: &PlanRequest) -> PlanError {
    let shown = match &request.partitions {
        PartitionFilter::All | PartitionFilter::Scope(_) => String::new(),
        PartitionFilter::Keys(keys) => keys.join(", "),
        PartitionFilter::Range { from, to } => format!("{from}..{to}"),
    };
    let mut definitions: Vec<String> = specs
        .iter()
        .filter(|spec| request.selection.contains(&spec.key) && spec.is_materializable())
        .filter_map(|spec| spec.partitions.as_ref().map(|d| format!("`{}` has {}", spec.key, d.describe())))
        .collect();
    if definitions.is_empty() {
        return PlanError::NothingPartitioned(shown);
    }
    if let Some(error) = malformed_filter(specs, request) {
        return error;
    }
    definitions.sort();
    definitions.dedup();
    const SHOWN: usize = 3;
    let more = definitions.len().saturating_sub(SHOWN);
    definitions.truncate(SHOWN);
    let mut text = definitions.join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    PlanError::PartitionOutOfRange { key: shown, definitions: text }
}
