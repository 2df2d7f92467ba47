//! The automation evaluator (`cairn_core::automation`): each condition
//! table-driven against a fake state and a fake clock, the cursor that
//! keeps a partition from being requested twice for the same trigger
//! (also as a property over random states), cron ticks in a DST time zone,
//! and the lookback of time-window assets.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use cairn_core::automation::{
    AssetEvaluation, AutomationCondition, AutomationCursor, AutomationPolicy, AutomationState, PartitionFacts,
    TickInput, evaluate_tick,
};
use cairn_core::freshness::{CronExpr, CronSchedule};
use cairn_core::partitions::{
    Cadence, PartitionKey, PartitionMapping, PartitionsDefinition, TimeWindowConfig, TimeWindowPartitions,
};
use cairn_core::staleness::StaleStatusKind;
use cairn_core::timezone::Timezone;
use cairn_core::{AssetDep, AssetKey, AssetKind, AssetSpec, CodeVersion};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

fn key(name: &str) -> AssetKey {
    AssetKey::new(name).unwrap()
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, h, m, 0).unwrap()
}

fn daily() -> Arc<PartitionsDefinition> {
    Arc::new(PartitionsDefinition::TimeWindow(
        TimeWindowPartitions::new(TimeWindowConfig {
            cadence: Cadence::Daily,
            start: "2026-03-01".into(),
            end: None,
            timezone: None,
            minute_offset: 0,
            hour_offset: 0,
            day_offset: None,
            end_offset: 0,
        })
        .unwrap(),
    ))
}

fn spec(name: &str, partitions: Option<Arc<PartitionsDefinition>>, deps: &[&AssetSpec]) -> AssetSpec {
    AssetSpec {
        key: key(name),
        kind: if deps.is_empty() { AssetKind::Source } else { AssetKind::Sql },
        description: None,
        group: cairn_core::default_group(&key(name)),
        tags: Default::default(),
        deps: deps
            .iter()
            .map(|up| AssetDep {
                key: up.key.clone(),
                mapping: PartitionMapping::default_for(partitions.as_deref(), up.partitions.as_deref()).unwrap(),
            })
            .collect(),
        partitions,
        code_version: CodeVersion::of_canonical(name),
    }
}

/// A state given partition by partition; unknown partitions are missing.
#[derive(Default, Clone)]
struct FakeState {
    facts: HashMap<(AssetKey, Option<String>), PartitionFacts>,
    keys: HashMap<AssetKey, Vec<PartitionKey>>,
}

fn fresh(updated: DateTime<Utc>) -> PartitionFacts {
    PartitionFacts {
        status: StaleStatusKind::Fresh,
        upstream_changed: false,
        code_changed: false,
        running: false,
        failed: false,
        updated_at: Some(updated),
        version: updated.timestamp() as u64,
    }
}

fn missing() -> PartitionFacts {
    PartitionFacts { status: StaleStatusKind::Missing, updated_at: None, version: 0, ..fresh(at(0, 0)) }
}

fn upstream_changed(updated: DateTime<Utc>) -> PartitionFacts {
    PartitionFacts { status: StaleStatusKind::Stale, upstream_changed: true, ..fresh(updated) }
}

impl FakeState {
    fn set(&mut self, asset: &str, partition: Option<&str>, facts: PartitionFacts) -> &mut Self {
        self.facts.insert((key(asset), partition.map(str::to_owned)), facts);
        self
    }

    fn with_keys(&mut self, asset: &str, definition: &PartitionsDefinition, now: DateTime<Utc>) -> &mut Self {
        self.keys.insert(key(asset), definition.keys(now));
        self
    }
}

impl AutomationState for FakeState {
    fn facts(&self, asset: &AssetKey, partition: Option<&PartitionKey>) -> Option<PartitionFacts> {
        let known = self.keys.get(asset).is_none_or(|keys| partition.is_some_and(|p| keys.contains(p)));
        let facts = self.facts.get(&(asset.clone(), partition.map(|p| p.as_str().to_owned())));
        facts.copied().or_else(|| known.then(missing))
    }

    fn keys(&self, asset: &AssetKey) -> Option<&[PartitionKey]> {
        self.keys.get(asset).map(Vec::as_slice)
    }
}

struct Tick {
    specs: Vec<AssetSpec>,
    policies: BTreeMap<AssetKey, AutomationPolicy>,
    cursors: BTreeMap<AssetKey, AutomationCursor>,
    unfinished: BTreeSet<i64>,
}

impl Tick {
    fn new(specs: Vec<AssetSpec>, automated: &[(&str, AutomationCondition)]) -> Self {
        let policies = automated
            .iter()
            .map(|(name, condition)| (key(name), AutomationPolicy { condition: condition.clone(), lookback: 1 }))
            .collect();
        Self { specs, policies, cursors: BTreeMap::new(), unfinished: BTreeSet::new() }
    }

    /// Evaluates, then keeps the cursors as the daemon stores them, with
    /// each new request in run `run`.
    fn run(&mut self, state: &FakeState, now: DateTime<Utc>, run: i64) -> Vec<AssetEvaluation> {
        let evaluations = evaluate_tick(&TickInput {
            specs: &self.specs,
            policies: &self.policies,
            state,
            cursors: &self.cursors,
            unfinished_runs: &self.unfinished,
            now,
        });
        for evaluation in &evaluations {
            let mut cursor = evaluation.cursor.clone();
            for memo in cursor.requested.values_mut() {
                memo.run.get_or_insert(run);
            }
            self.cursors.insert(evaluation.asset.clone(), cursor);
        }
        evaluations
    }
}

fn of<'a>(evaluations: &'a [AssetEvaluation], asset: &str) -> &'a AssetEvaluation {
    evaluations.iter().find(|e| e.asset.as_str() == asset).unwrap_or_else(|| panic!("no evaluation of {asset}"))
}

fn requested(evaluation: &AssetEvaluation) -> Vec<Option<String>> {
    evaluation.requested.iter().map(|p| p.as_ref().map(|k| k.as_str().to_owned())).collect()
}

fn why_not(evaluation: &AssetEvaluation) -> String {
    evaluation.why_not.iter().map(|r| r.reason.clone()).collect::<Vec<_>>().join(" | ")
}

#[test]
fn eager_requests_a_missing_partition_and_a_partition_whose_upstream_changed() {
    let a = spec("a", None, &[]);
    let b = spec("b", None, &[&a]);
    let c = spec("c", None, &[&a]);
    let mut tick =
        Tick::new(vec![a, b, c], &[("b", AutomationCondition::eager()), ("c", AutomationCondition::eager())]);
    let mut state = FakeState::default();
    state.set("a", None, fresh(at(9, 0))).set("b", None, missing()).set("c", None, upstream_changed(at(8, 0)));
    let evaluations = tick.run(&state, at(10, 0), 1);
    assert_eq!(requested(of(&evaluations, "b")), vec![None]);
    assert_eq!(of(&evaluations, "b").why[0].reason, "missing");
    assert_eq!(requested(of(&evaluations, "c")), vec![None]);
    assert_eq!(of(&evaluations, "c").why[0].reason, "upstream `a` has new data");
    // The tree: eager > and > [or > [missing, any_deps_updated], not, not, not].
    let tree = &of(&evaluations, "c").tree;
    assert_eq!(tree.label, "eager");
    let and = &tree.children[0];
    assert_eq!(and.label, "and");
    let labels: Vec<&str> = and.children.iter().map(|n| n.label.as_str()).collect();
    assert_eq!(labels, ["or", "not", "not", "not"]);
    assert_eq!(and.children[0].children[0].label, "missing");
    assert_eq!(and.children[0].children[0].true_count, 0);
    assert_eq!(and.children[0].children[1].label, "any_deps_updated");
    assert_eq!(and.children[0].children[1].true_count, 1);
}

#[test]
fn eager_waits_for_missing_and_in_progress_upstream_partitions() {
    let a = spec("a", None, &[]);
    let b = spec("b", None, &[&a]);
    let c = spec("c", None, &[&b]);
    let table: Vec<(&str, FakeState, &str)> = vec![
        (
            "upstream missing",
            {
                let mut s = FakeState::default();
                s.set("a", None, missing()).set("b", None, missing()).set("c", None, missing());
                s
            },
            "upstream `a` is missing",
        ),
        (
            "upstream running",
            {
                let mut s = FakeState::default();
                s.set("a", None, PartitionFacts { running: true, ..fresh(at(9, 0)) }).set(
                    "b",
                    None,
                    upstream_changed(at(8, 0)),
                );
                s.set("c", None, fresh(at(8, 30)));
                s
            },
            "upstream `a` is in progress",
        ),
        (
            "itself running",
            {
                let mut s = FakeState::default();
                s.set("a", None, fresh(at(9, 0))).set(
                    "b",
                    None,
                    PartitionFacts { running: true, ..upstream_changed(at(8, 0)) },
                );
                s.set("c", None, fresh(at(8, 30)));
                s
            },
            "in progress: a step materializes it now",
        ),
        (
            "up to date",
            {
                let mut s = FakeState::default();
                s.set("a", None, fresh(at(8, 0))).set("b", None, fresh(at(9, 0))).set("c", None, fresh(at(9, 30)));
                s
            },
            "materialized; no upstream partition it reads has new data",
        ),
    ];
    for (case, state, reason) in table {
        let mut tick = Tick::new(vec![a.clone(), b.clone(), c.clone()], &[("b", AutomationCondition::eager())]);
        let evaluations = tick.run(&state, at(10, 0), 1);
        let b_eval = of(&evaluations, "b");
        assert!(b_eval.requested.is_empty(), "{case}: requested {:?}", b_eval.requested);
        assert_eq!(why_not(b_eval), reason, "{case}");
    }
}

#[test]
fn a_partition_requested_in_this_tick_holds_back_its_downstream_partitions() {
    let a = spec("a", None, &[]);
    let b = spec("b", None, &[&a]);
    let c = spec("c", None, &[&b]);
    let mut tick =
        Tick::new(vec![a, b, c], &[("b", AutomationCondition::eager()), ("c", AutomationCondition::eager())]);
    let mut state = FakeState::default();
    state.set("a", None, fresh(at(9, 0))).set("b", None, upstream_changed(at(8, 0))).set(
        "c",
        None,
        upstream_changed(at(8, 30)),
    );
    let evaluations = tick.run(&state, at(10, 0), 1);
    assert_eq!(requested(of(&evaluations, "b")), vec![None]);
    assert!(of(&evaluations, "c").requested.is_empty());
    assert_eq!(why_not(of(&evaluations, "c")), "upstream `b` is in progress");
}

#[test]
fn a_request_is_not_repeated_while_its_run_is_unfinished_or_after_it_failed_until_upstream_data_changes() {
    let a = spec("a", None, &[]);
    let b = spec("b", None, &[&a]);
    let mut tick = Tick::new(vec![a, b], &[("b", AutomationCondition::eager())]);
    let mut state = FakeState::default();
    state.set("a", None, fresh(at(9, 0))).set("b", None, upstream_changed(at(8, 0)));
    assert_eq!(requested(of(&tick.run(&state, at(10, 0), 7), "b")), vec![None]);

    // Run 7 queued: in progress.
    tick.unfinished.insert(7);
    let second = tick.run(&state, at(10, 1), 8);
    assert!(of(&second, "b").requested.is_empty());
    assert_eq!(why_not(of(&second, "b")), "in progress: requested in run r-7, not finished");

    // Run 7 failed: the same trigger is not requested again.
    tick.unfinished.clear();
    state.set("b", None, PartitionFacts { failed: true, ..upstream_changed(at(8, 0)) });
    let third = tick.run(&state, at(10, 2), 9);
    assert!(of(&third, "b").requested.is_empty());
    assert!(
        why_not(of(&third, "b")).starts_with("already requested at 2026-03-10T10:00:00+00:00 in run r-7"),
        "{}",
        why_not(of(&third, "b"))
    );

    // New upstream data: requested again.
    state.set("a", None, fresh(at(10, 2)));
    let fourth = tick.run(&state, at(10, 3), 10);
    assert_eq!(requested(of(&fourth, "b")), vec![None]);
}

#[test]
fn on_cron_fires_once_per_tick_after_every_upstream_updated_since_the_tick() {
    // Hourly at minute 0 in New York; 2026-03-08 is the spring-forward day
    // there, the 10th is after it (UTC-4).
    let schedule = CronSchedule::new(CronExpr::new("0 * * * *").unwrap(), Timezone::new("America/New_York").unwrap());
    let a = spec("a", None, &[]);
    let b = spec("b", None, &[&a]);
    let mut tick = Tick::new(vec![a, b], &[("b", AutomationCondition::on_cron(schedule))]);
    let mut state = FakeState::default();
    state.set("a", None, fresh(at(9, 50))).set("b", None, fresh(at(9, 55)));

    // First evaluation at 10:30: the 10:00 tick is before automation began.
    let first = tick.run(&state, at(10, 30), 1);
    assert!(of(&first, "b").requested.is_empty());
    assert!(
        why_not(of(&first, "b")).starts_with("no cron tick since 2026-03-10T10:30:00+00:00"),
        "{}",
        why_not(of(&first, "b"))
    );

    // 11:05: the 11:00 tick passed, but `a` was last updated at 9:50.
    let second = tick.run(&state, at(11, 5), 2);
    assert_eq!(
        why_not(of(&second, "b")),
        "upstream `a` was not updated since the cron tick of 2026-03-10T11:00:00+00:00"
    );
    // `a` updated at 11:10: requested at 11:12, once.
    state.set("a", None, fresh(at(11, 10)));
    let third = tick.run(&state, at(11, 12), 3);
    assert_eq!(requested(of(&third, "b")), vec![None]);
    assert_eq!(of(&third, "b").why[0].reason, "the cron tick of 2026-03-10T11:00:00+00:00 passed");
    state.set("b", None, fresh(at(11, 14)));
    let fourth = tick.run(&state, at(11, 20), 4);
    assert!(of(&fourth, "b").requested.is_empty());
    assert!(why_not(of(&fourth, "b")).starts_with("no cron tick since 2026-03-10T11:12:00+00:00"));
    // The next tick (12:00) fires again once `a` is updated after it.
    state.set("a", None, fresh(at(12, 1)));
    assert_eq!(requested(of(&tick.run(&state, at(12, 2), 5), "b")), vec![None]);
}

#[test]
fn only_the_latest_time_windows_are_candidates() {
    let now = at(10, 0);
    let a = spec("a", Some(daily()), &[]);
    let b = spec("b", Some(daily()), &[&a]);
    let mut state = FakeState::default();
    state.with_keys("a", &daily(), now).with_keys("b", &daily(), now);
    for day in 1..=9 {
        state.set("a", Some(&format!("2026-03-{day:02}")), fresh(at(1, 0)));
    }
    for (lookback, expected) in [(1, vec!["2026-03-09"]), (3, vec!["2026-03-07", "2026-03-08", "2026-03-09"])] {
        let mut tick = Tick::new(vec![a.clone(), b.clone()], &[]);
        tick.policies.insert(key("b"), AutomationPolicy { condition: AutomationCondition::on_missing(), lookback });
        let evaluations = tick.run(&state, now, 1);
        let b_eval = of(&evaluations, "b");
        assert_eq!(b_eval.candidates, lookback);
        let keys: Vec<Option<String>> = expected.iter().map(|k| Some((*k).to_owned())).collect();
        assert_eq!(requested(b_eval), keys, "lookback {lookback}");
    }
}

#[test]
fn and_or_not_combine_and_explain() {
    let a = spec("a", None, &[]);
    let b = spec("b", None, &[&a]);
    let condition = AutomationCondition::And(vec![
        AutomationCondition::CodeVersionChanged,
        AutomationCondition::Not(Box::new(AutomationCondition::ExecutionFailed)),
    ]);
    let table = [
        (
            PartitionFacts { code_changed: true, status: StaleStatusKind::Stale, ..fresh(at(8, 0)) },
            true,
            "its code version changed",
        ),
        (fresh(at(8, 0)), false, "its code version is unchanged"),
        (
            PartitionFacts { code_changed: true, failed: true, status: StaleStatusKind::Stale, ..fresh(at(8, 0)) },
            false,
            "its latest attempt failed",
        ),
    ];
    for (facts, expected, reason) in table {
        let mut tick = Tick::new(vec![a.clone(), b.clone()], &[("b", condition.clone())]);
        let mut state = FakeState::default();
        state.set("a", None, fresh(at(7, 0))).set("b", None, facts);
        let evaluations = tick.run(&state, at(10, 0), 1);
        let b_eval = of(&evaluations, "b");
        assert_eq!(!b_eval.requested.is_empty(), expected, "{reason}");
        let said = if expected { b_eval.why[0].reason.clone() } else { why_not(b_eval) };
        assert_eq!(said, reason);
    }
    let or = AutomationCondition::Or(vec![AutomationCondition::Missing, AutomationCondition::AnyDepsUpdated]);
    let mut tick = Tick::new(vec![a.clone(), b.clone()], &[("b", or)]);
    let mut state = FakeState::default();
    state.set("a", None, fresh(at(7, 0))).set("b", None, fresh(at(8, 0)));
    assert_eq!(
        why_not(of(&tick.run(&state, at(10, 0), 1), "b")),
        "materialized; no upstream partition it reads has new data"
    );
}

fn facts_strategy() -> impl Strategy<Value = PartitionFacts> {
    (0u8..3, any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), 0u32..60).prop_map(
        |(status, upstream_changed, code_changed, running, failed, minute)| PartitionFacts {
            status: [StaleStatusKind::Missing, StaleStatusKind::Fresh, StaleStatusKind::Stale][status as usize],
            upstream_changed,
            code_changed,
            running,
            failed,
            updated_at: (status != 0).then(|| at(8, minute)),
            version: if status == 0 { 0 } else { u64::from(minute) + 1 },
        },
    )
}

proptest! {
    /// Whatever the state and condition, a tick that follows another over
    /// the same state never requests a partition the first one requested.
    #[test]
    fn an_unchanged_state_is_never_requested_twice(
        a_facts in facts_strategy(),
        b_facts in facts_strategy(),
        which in 0usize..3,
        run_finished in any::<bool>(),
    ) {
        let a = spec("a", None, &[]);
        let b = spec("b", None, &[&a]);
        let condition = [
            AutomationCondition::eager(),
            AutomationCondition::on_missing(),
            AutomationCondition::Or(vec![AutomationCondition::CodeVersionChanged, AutomationCondition::Missing]),
        ][which].clone();
        let mut tick = Tick::new(vec![a, b], &[("b", condition)]);
        let mut state = FakeState::default();
        state.set("a", None, a_facts).set("b", None, b_facts);
        let first = tick.run(&state, at(10, 0), 1);
        if !run_finished {
            tick.unfinished.insert(1);
        }
        let second = tick.run(&state, at(10, 1), 2);
        if !of(&first, "b").requested.is_empty() {
            prop_assert!(of(&second, "b").requested.is_empty(), "requested twice: {:?}", of(&second, "b"));
        }
    }
}
