//! Declarative automation: each asset's condition and its evaluations
//! (why each partition was requested or not), the daemon's ticks, and
//! pausing. Names follow the YAML (`automation:`) and Dagster's
//! `AutomationCondition`.

use async_graphql::{ID, SimpleObject};
use cairn_core::automation::{AssetEvaluation, NodeEvaluation, PartitionReason};
use cairn_store::{AutomationEvaluationRecord, AutomationTickRecord};
use chrono::{DateTime, Utc};

/// An asset's `automation:` and what the daemon made of it.
#[derive(SimpleObject)]
pub struct AssetAutomation {
    /// The condition's name as written (`eager`, `on_cron`, `and`, ...).
    pub condition: String,
    /// Time-window assets: how many of the latest windows are candidates.
    pub lookback: i64,
    /// Whether automation of this asset (or of every asset) is paused.
    pub paused: bool,
    /// The latest stored evaluations, newest first (each holds until the
    /// next one: an evaluation is stored when it changes).
    pub evaluations: Vec<AutomationEvaluation>,
}

/// One evaluation of an asset's condition at a tick.
#[derive(SimpleObject)]
pub struct AutomationEvaluation {
    /// The evaluation's id.
    pub id: ID,
    /// The tick's id.
    pub tick_id: ID,
    /// The asset key.
    pub asset: String,
    /// When the tick evaluated it (UTC).
    pub evaluated_at: DateTime<Utc>,
    /// Partitions considered (the latest time windows, every static key,
    /// or the one partition of an unpartitioned asset).
    pub candidates: i64,
    /// The partitions requested (`null` entries: unpartitioned).
    pub requested_partitions: Vec<Option<String>>,
    /// The run they went into.
    pub run_id: Option<ID>,
    /// Why each requested partition was (at most 20).
    pub why: Vec<AutomationReason>,
    /// Why candidates were not requested: the sub-condition that was
    /// false, or the earlier request it would repeat (at most 20).
    pub why_not: Vec<AutomationReason>,
    /// The condition tree with each sub-condition's result.
    pub condition: AutomationConditionResult,
}

/// Why one partition was or was not requested.
#[derive(SimpleObject)]
pub struct AutomationReason {
    /// The partition key (`null`: unpartitioned).
    pub partition: Option<String>,
    /// For people.
    pub reason: String,
}

/// One node of an evaluated condition tree.
#[derive(SimpleObject)]
pub struct AutomationConditionResult {
    /// `eager`, `and`, `not`, `missing`, `cron_tick_passed(0 * * * * UTC)`.
    pub label: String,
    /// Candidates for which it was true.
    pub true_count: i64,
    /// The first of those (at most 20; `""`: unpartitioned).
    pub true_partitions: Vec<String>,
    /// Its sub-conditions, in order.
    pub children: Vec<AutomationConditionResult>,
}

/// One tick of the automation daemon.
#[derive(SimpleObject)]
pub struct AutomationTick {
    /// The tick's id.
    pub id: ID,
    /// The evaluating process (`host:pid:...`).
    pub owner: String,
    /// UTC.
    pub started_at: DateTime<Utc>,
    /// UTC.
    pub finished_at: DateTime<Utc>,
    /// `SUCCESS` or `FAILURE`.
    pub status: String,
    /// Asset partitions requested.
    pub requested: i64,
    /// The run requested.
    pub run_id: Option<ID>,
    /// Why it failed.
    pub error: Option<String>,
    /// Evaluations stored with it (those that changed).
    pub evaluations: i64,
}

impl From<&AutomationTickRecord> for AutomationTick {
    fn from(tick: &AutomationTickRecord) -> Self {
        Self {
            id: tick.id.to_string().into(),
            owner: tick.owner.clone(),
            started_at: tick.started_at,
            finished_at: tick.finished_at,
            status: tick.status.as_str().to_owned(),
            requested: tick.requested,
            run_id: tick.run_id.map(|run| run.to_string().into()),
            error: tick.error.clone(),
            evaluations: tick.evaluations,
        }
    }
}

impl From<(AutomationEvaluationRecord, AssetEvaluation)> for AutomationEvaluation {
    fn from((record, evaluation): (AutomationEvaluationRecord, AssetEvaluation)) -> Self {
        let reasons = |list: &[PartitionReason]| {
            list.iter().map(|r| AutomationReason { partition: r.partition.clone(), reason: r.reason.clone() }).collect()
        };
        Self {
            id: record.id.to_string().into(),
            tick_id: record.tick_id.to_string().into(),
            asset: record.asset.to_string(),
            evaluated_at: record.evaluated_at,
            candidates: evaluation.candidates as i64,
            requested_partitions: evaluation
                .requested
                .iter()
                .map(|partition| partition.as_ref().map(ToString::to_string))
                .collect(),
            run_id: record.run_id.filter(|_| !evaluation.requested.is_empty()).map(|run| run.to_string().into()),
            why: reasons(&evaluation.why),
            why_not: reasons(&evaluation.why_not),
            condition: node(&evaluation.tree),
        }
    }
}

fn node(tree: &NodeEvaluation) -> AutomationConditionResult {
    AutomationConditionResult {
        label: tree.label.clone(),
        true_count: tree.true_count as i64,
        true_partitions: tree.true_partitions.clone(),
        children: tree.children.iter().map(node).collect(),
    }
}
