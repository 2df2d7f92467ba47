//! The planner and staleness as pure functions: tables of cases and
//! property tests, no I/O.

use std::collections::BTreeSet;
use std::sync::Arc;

use cairn_core::partitions::{
    Cadence, PartitionKey, PartitionMapping, PartitionsDefinition, StaticPartitions, TimeWindowConfig,
    TimeWindowPartitions,
};
use cairn_core::planner::{PartitionFilter, PlanError, PlanMode, PlanReason, PlanRequest, check_filter, plan};
use cairn_core::staleness::{StaleCause, StaleStatus, Staleness};
use cairn_core::state::{AssetPartition, InputVersion, MaterializationRecord, StoredState};
use cairn_core::{AssetDep, AssetKey, AssetKind, AssetSpec, CodeVersion, DataVersion};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

fn key(k: &str) -> AssetKey {
    AssetKey::new(k).unwrap()
}

fn pk(k: &str) -> PartitionKey {
    PartitionKey::new(k).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn daily(start: &str, end: &str) -> Arc<PartitionsDefinition> {
    Arc::new(PartitionsDefinition::TimeWindow(
        TimeWindowPartitions::new(TimeWindowConfig {
            cadence: Cadence::Daily,
            start: start.into(),
            end: Some(end.into()),
            timezone: Some("America/New_York".into()),
            minute_offset: 0,
            hour_offset: 0,
            day_offset: None,
            end_offset: 0,
        })
        .unwrap(),
    ))
}

fn monthly(start: &str, end: &str) -> Arc<PartitionsDefinition> {
    Arc::new(PartitionsDefinition::TimeWindow(
        TimeWindowPartitions::new(TimeWindowConfig {
            cadence: Cadence::Monthly,
            start: start.into(),
            end: Some(end.into()),
            timezone: Some("America/New_York".into()),
            minute_offset: 0,
            hour_offset: 0,
            day_offset: None,
            end_offset: 0,
        })
        .unwrap(),
    ))
}

/// A spec whose deps get the default mapping.
fn spec(name: &str, kind: AssetKind, partitions: Option<Arc<PartitionsDefinition>>, deps: &[&AssetSpec]) -> AssetSpec {
    AssetSpec {
        key: key(name),
        kind,
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

fn version(text: &str) -> DataVersion {
    DataVersion::from_hash(&blake3::hash(text.as_bytes()))
}

/// Records a materialization of `target` that read the current versions
/// of its upstream partitions, with data version `data`.
fn materialize(state: &mut StoredState, specs: &[AssetSpec], target: &AssetPartition, data: &str) {
    let staleness = Staleness::new(specs, state, now()).unwrap();
    let position = staleness.position(&target.asset).unwrap();
    let mut inputs = Vec::new();
    staleness.for_each_upstream(position, target.partition.as_ref(), |dep, partition| {
        inputs.push(InputVersion {
            asset: dep.key.clone(),
            partition: partition.cloned(),
            data_version: state.current_data_version(&dep.key, partition).cloned().expect("upstream exists"),
        });
    });
    let record = MaterializationRecord {
        id: 0,
        run_id: 0,
        code_version: specs[position].code_version.clone(),
        data_version: version(data),
        inputs,
        materialized_at: now(),
        path: String::new(),
    };
    state.insert_materialization(target.asset.clone(), target.partition.clone(), record);
}

fn observe(state: &mut StoredState, source: &str, data: &str) {
    state.insert_observation(
        key(source),
        cairn_core::state::ObservationRecord { data_version: version(data), observed_at: now() },
    );
}

fn request(selection: &[&AssetSpec], partitions: PartitionFilter) -> PlanRequest {
    PlanRequest {
        selection: selection.iter().map(|s| s.key.clone()).collect(),
        partitions,
        now: now(),
        mode: PlanMode::default(),
    }
}

/// Runs every step of the plan (each producing `data` + its target name).
fn run_all(state: &mut StoredState, specs: &[AssetSpec], selection: &[&AssetSpec]) {
    let planned = plan(specs, state, &request(selection, PartitionFilter::All)).unwrap();
    for step in &planned.steps {
        materialize(state, specs, &step.target, &format!("v1 {}", step.target));
    }
}

/// raw (source) -> daily -> summary (unpartitioned), daily -> monthly.
struct Flights {
    raw: AssetSpec,
    daily: AssetSpec,
    summary: AssetSpec,
    monthly: AssetSpec,
}

impl Flights {
    fn new() -> Self {
        let raw = spec("raw/flights", AssetKind::Source, None, &[]);
        let daily = spec("flights_daily", AssetKind::Sql, Some(daily("2013-01-01", "2013-03-01")), &[&raw]);
        let summary = spec("summary", AssetKind::Sql, None, &[&daily]);
        let monthly = spec("flights_monthly", AssetKind::Sql, Some(monthly("2013-01-01", "2013-03-01")), &[&daily]);
        Self { raw, daily, summary, monthly }
    }

    fn specs(&self) -> Vec<AssetSpec> {
        vec![self.raw.clone(), self.daily.clone(), self.summary.clone(), self.monthly.clone()]
    }

    fn all(&self) -> Vec<&AssetSpec> {
        vec![&self.raw, &self.daily, &self.summary, &self.monthly]
    }
}

#[test]
fn empty_state_plans_everything_missing_in_order() {
    let f = Flights::new();
    let specs = f.specs();
    let mut state = StoredState::new();
    observe(&mut state, "raw/flights", "a");
    let planned = plan(&specs, &state, &request(&f.all(), PartitionFilter::All)).unwrap();
    // 59 days (Jan + Feb), the summary, 2 months.
    assert_eq!(planned.steps.len(), 59 + 1 + 2);
    assert!(planned.blocked.is_empty());
    assert!(planned.steps.iter().all(|s| s.reasons == vec![PlanReason::Missing]));
    assert_eq!(planned.steps[0].target, AssetPartition::new(key("flights_daily"), Some(pk("2013-01-01"))));
    let summary = planned.steps.iter().position(|s| s.target.asset == key("summary")).unwrap();
    assert_eq!(planned.steps[summary].waits_for, (0..59).collect::<Vec<_>>());
    let january = planned
        .steps
        .iter()
        .find(|s| s.target == AssetPartition::new(key("flights_monthly"), Some(pk("2013-01-01"))))
        .unwrap();
    assert_eq!(january.waits_for, (0..31).collect::<Vec<_>>(), "January reads its 31 days");
}

#[test]
fn an_up_to_date_project_plans_nothing() {
    let f = Flights::new();
    let specs = f.specs();
    let mut state = StoredState::new();
    observe(&mut state, "raw/flights", "a");
    run_all(&mut state, &specs, &f.all());
    let planned = plan(&specs, &state, &request(&f.all(), PartitionFilter::All)).unwrap();
    assert!(planned.is_up_to_date(), "{planned:?}");
    assert_eq!(planned.considered, 62);
}

#[test]
fn a_code_change_plans_the_asset_and_its_downstream_with_reasons() {
    let f = Flights::new();
    let mut specs = f.specs();
    let mut state = StoredState::new();
    observe(&mut state, "raw/flights", "a");
    run_all(&mut state, &specs, &f.all());
    specs[1].code_version = CodeVersion::of_canonical("flights_daily edited");
    let planned = plan(&specs, &state, &request(&f.all(), PartitionFilter::All)).unwrap();
    let assets: BTreeSet<&str> = planned.steps.iter().map(|s| s.target.asset.as_str()).collect();
    assert_eq!(assets, BTreeSet::from(["flights_daily", "flights_monthly", "summary"]));
    assert_eq!(planned.steps.len(), 62);
    for step in &planned.steps {
        let kinds = step.reason_kinds();
        if step.target.asset.as_str() == "flights_daily" {
            assert_eq!(kinds, ["code_version_changed"]);
        } else {
            assert_eq!(kinds, ["upstream_data_changed"], "{step:?}");
            assert!(step.is_conditional());
        }
    }
    // Status (no plan) reports the downstream as upstream_stale.
    let staleness = Staleness::new(&specs, &state, now()).unwrap();
    let statuses = staleness.all_statuses();
    match &statuses[2][0] {
        StaleStatus::Stale(causes) => {
            assert_eq!(causes.len(), 59);
            assert!(causes.iter().all(|c| matches!(c, StaleCause::UpstreamStale { .. })));
        }
        other => panic!("summary should be stale, is {other:?}"),
    }
}

#[test]
fn new_source_data_makes_readers_stale_with_the_source_named() {
    let f = Flights::new();
    let specs = f.specs();
    let mut state = StoredState::new();
    observe(&mut state, "raw/flights", "a");
    run_all(&mut state, &specs, &f.all());
    observe(&mut state, "raw/flights", "b");
    let planned = plan(&specs, &state, &request(&[&f.daily], PartitionFilter::All)).unwrap();
    assert_eq!(planned.steps.len(), 59);
    assert_eq!(
        planned.steps[0].reasons,
        vec![PlanReason::Stale(StaleCause::UpstreamDataChanged {
            upstream: AssetPartition::new(key("raw/flights"), None),
            pending: false,
        })]
    );
    // Only flights_daily was selected: its downstream stays as is.
    assert!(planned.steps.iter().all(|s| s.target.asset.as_str() == "flights_daily"));
}

#[test]
fn same_data_version_keeps_downstream_fresh() {
    let f = Flights::new();
    let specs = f.specs();
    let mut state = StoredState::new();
    observe(&mut state, "raw/flights", "a");
    run_all(&mut state, &specs, &f.all());
    // Re-materialize one day with the same data version: nothing downstream.
    let day = AssetPartition::new(key("flights_daily"), Some(pk("2013-01-05")));
    materialize(&mut state, &specs, &day, &format!("v1 {day}"));
    assert!(plan(&specs, &state, &request(&f.all(), PartitionFilter::All)).unwrap().is_up_to_date());
    // With new data, exactly the readers of that day are stale.
    materialize(&mut state, &specs, &day, "v2");
    let planned = plan(&specs, &state, &request(&f.all(), PartitionFilter::All)).unwrap();
    let targets: Vec<String> = planned.steps.iter().map(|s| s.target.to_string()).collect();
    assert_eq!(targets, ["summary", "flights_monthly[2013-01-01]"]);
}

#[test]
fn partition_filters_select_by_key_time_and_range() {
    let f = Flights::new();
    let specs = f.specs();
    let mut state = StoredState::new();
    observe(&mut state, "raw/flights", "a");
    let keys = |filter: PartitionFilter, selection: &[&AssetSpec]| -> Vec<String> {
        plan(&specs, &state, &request(selection, filter)).unwrap().steps.iter().map(|s| s.target.to_string()).collect()
    };
    let one_day = PartitionFilter::Keys(vec!["2013-01-05".into()]);
    assert_eq!(keys(one_day.clone(), &[&f.daily, &f.monthly]), ["flights_daily[2013-01-05]"]);
    // The month containing that day is selected too, but it reads 30 more
    // days that do not exist yet: blocked, not planned.
    let planned = plan(&specs, &state, &request(&[&f.daily, &f.monthly], one_day)).unwrap();
    assert_eq!(planned.blocked.len(), 1);
    assert_eq!(planned.blocked[0].target.to_string(), "flights_monthly[2013-01-01]");
    assert_eq!(planned.blocked[0].missing_upstream.len(), 30);
    let range = keys(PartitionFilter::Range { from: "2013-01-30".into(), to: "2013-02-02".into() }, &[&f.daily]);
    assert_eq!(range.len(), 4);
    assert_eq!(range[0], "flights_daily[2013-01-30]");
    assert_eq!(range[3], "flights_daily[2013-02-02]");
    match plan(&specs, &state, &request(&[&f.daily], PartitionFilter::Keys(vec!["2014-05-01".into()]))) {
        Err(PlanError::PartitionOutOfRange { key, definitions }) => {
            assert_eq!(key, "2014-05-01");
            assert!(definitions.contains("flights_daily"), "{definitions}");
        }
        other => panic!("expected an out-of-range error, got {other:?}"),
    }
    assert!(matches!(
        plan(&specs, &state, &request(&[&f.summary], PartitionFilter::Keys(vec!["2013-01-01".into()]))),
        Err(PlanError::NothingPartitioned(_))
    ));
}

#[test]
fn a_reversed_range_and_a_key_that_is_no_date_are_named_as_such() {
    let f = Flights::new();
    let specs = f.specs();
    let mut state = StoredState::new();
    observe(&mut state, "raw/flights", "a");
    let reversed = PartitionFilter::Range { from: "2013-02-02".into(), to: "2013-01-30".into() };
    match plan(&specs, &state, &request(&[&f.daily], reversed)) {
        Err(error @ PlanError::ReversedRange { .. }) => {
            assert!(error.to_string().contains("did you mean `2013-01-30..2013-02-02`"), "{error}");
        }
        other => panic!("expected a reversed range, got {other:?}"),
    }
    for filter in [
        PartitionFilter::Keys(vec!["yesterday".into()]),
        PartitionFilter::Range { from: "2013-01-01".into(), to: "yesterday".into() },
    ] {
        match plan(&specs, &state, &request(&[&f.daily], filter)) {
            Err(error @ PlanError::NotAPartition { .. }) => {
                let text = error.to_string();
                assert!(text.contains("`yesterday` is not a partition of `flights_daily`: not a date"), "{text}");
            }
            other => panic!("expected not a partition, got {other:?}"),
        }
    }
    // A well-formed range beyond the definition stays "outside".
    let beyond = PartitionFilter::Range { from: "2014-01-01".into(), to: "2014-01-31".into() };
    assert!(matches!(plan(&specs, &state, &request(&[&f.daily], beyond)), Err(PlanError::PartitionOutOfRange { .. })));
}

/// A backfill request is checked without planning: `check_filter` gives
/// the error planning on an empty state gives, and accepts what it plans.
#[test]
fn checking_a_filter_agrees_with_planning_it() {
    let f = Flights::new();
    let specs = f.specs();
    let empty = StoredState::new();
    let range = |from: &str, to: &str| PartitionFilter::Range { from: from.into(), to: to.into() };
    let keys = |list: &[&str]| PartitionFilter::Keys(list.iter().map(|k| k.to_string()).collect());
    let cases: Vec<(Vec<&AssetSpec>, PartitionFilter, bool)> = vec![
        (vec![&f.daily], PartitionFilter::All, true),
        (vec![&f.daily], keys(&["2013-01-05"]), true),
        (vec![&f.daily, &f.monthly], range("2013-01-30", "2013-02-02"), true),
        (vec![&f.monthly], keys(&["2013-02-14"]), true),
        (vec![&f.daily], keys(&["2014-05-01"]), false),
        (vec![&f.daily], range("2013-02-02", "2013-01-30"), false),
        (vec![&f.daily], keys(&["yesterday"]), false),
        (vec![&f.daily], range("2014-01-01", "2014-01-31"), false),
        (vec![&f.summary], keys(&["2013-01-01"]), false),
        (vec![&f.raw, &f.daily], keys(&["2013-01-05"]), true),
        (vec![&f.raw], keys(&["2013-01-05"]), false),
    ];
    for (selection, filter, ok) in cases {
        let request = request(&selection, filter.clone());
        let checked = check_filter(&specs, &request.selection, &filter, request.now);
        let planned = plan(&specs, &empty, &request).map(|_| ());
        assert_eq!(checked.is_ok(), ok, "{filter:?}: {checked:?}");
        assert_eq!(checked, planned, "{filter:?}");
    }
}

#[test]
fn missing_upstream_blocks_instead_of_planning() {
    let f = Flights::new();
    let specs = f.specs();
    let mut state = StoredState::new();
    // The source was never observed (its file is missing).
    let planned = plan(&specs, &state, &request(&[&f.daily], PartitionFilter::All)).unwrap();
    assert!(planned.steps.is_empty());
    assert_eq!(planned.blocked.len(), 59);
    assert_eq!(planned.blocked[0].missing_upstream, [AssetPartition::new(key("raw/flights"), None)]);
    // Selecting only the summary while no day is materialized blocks it too.
    observe(&mut state, "raw/flights", "a");
    let planned = plan(&specs, &state, &request(&[&f.summary], PartitionFilter::All)).unwrap();
    assert!(planned.steps.is_empty());
    assert_eq!(planned.blocked[0].missing_upstream.len(), 59);
}

#[test]
fn static_partitions_map_by_identity() {
    let regions =
        Arc::new(PartitionsDefinition::Static(StaticPartitions::new(vec![pk("us"), pk("eu"), pk("apac")]).unwrap()));
    let raw = spec("raw", AssetKind::Source, None, &[]);
    let by_region = spec("by_region", AssetKind::Command, Some(regions.clone()), &[&raw]);
    let report = spec("report", AssetKind::Sql, Some(regions), &[&by_region]);
    let specs = vec![raw.clone(), by_region.clone(), report.clone()];
    let mut state = StoredState::new();
    observe(&mut state, "raw", "a");
    run_all(&mut state, &specs, &[&by_region, &report]);
    materialize(&mut state, &specs, &AssetPartition::new(key("by_region"), Some(pk("eu"))), "new");
    let planned = plan(&specs, &state, &request(&[&report], PartitionFilter::All)).unwrap();
    let targets: Vec<String> = planned.steps.iter().map(|s| s.target.to_string()).collect();
    assert_eq!(targets, ["report[eu]"]);
    let range = PartitionFilter::Range { from: "eu".into(), to: "apac".into() };
    let planned = plan(&specs, &StoredState::new(), &request(&[&by_region], range)).unwrap();
    assert_eq!(planned.blocked.len(), 2, "eu and apac, blocked on the unobserved source");
}

#[test]
fn dependency_changes_are_reported() {
    let raw = spec("raw", AssetKind::Source, None, &[]);
    let other = spec("other", AssetKind::Source, None, &[]);
    let table = spec("table", AssetKind::Sql, None, &[&raw]);
    let specs = vec![other.clone(), raw.clone(), table.clone()];
    let mut state = StoredState::new();
    observe(&mut state, "raw", "a");
    observe(&mut state, "other", "b");
    run_all(&mut state, &specs, &[&table]);
    let moved = spec("table", AssetKind::Sql, None, &[&other]);
    let specs = vec![other.clone(), raw, moved.clone()];
    let planned = plan(&specs, &state, &request(&[&moved], PartitionFilter::All)).unwrap();
    assert_eq!(
        planned.steps[0].reasons,
        vec![PlanReason::Stale(StaleCause::DependenciesChanged {
            added: vec![key("other")],
            removed: vec![key("raw")]
        })]
    );
}

#[test]
fn specs_out_of_order_are_an_internal_error() {
    let raw = spec("raw", AssetKind::Source, None, &[]);
    let table = spec("table", AssetKind::Sql, None, &[&raw]);
    let result = plan(&[table.clone(), raw], &StoredState::new(), &request(&[&table], PartitionFilter::All));
    assert!(matches!(result, Err(PlanError::Core(_))));
}

/// A random layered DAG: asset i may read any earlier asset.
fn random_dag(edges: &[(usize, usize)], size: usize) -> Vec<AssetSpec> {
    let mut specs: Vec<AssetSpec> = Vec::with_capacity(size);
    for i in 0..size {
        let deps: Vec<AssetSpec> =
            edges.iter().filter(|(from, to)| *to == i && *from < i).map(|(from, _)| specs[*from].clone()).collect();
        let deps: Vec<&AssetSpec> = deps.iter().collect();
        let kind = if i == 0 { AssetKind::Source } else { AssetKind::Sql };
        let deps = if i == 0 { Vec::new() } else { deps };
        specs.push(spec(&format!("a{i}"), kind, None, &deps));
    }
    specs
}

proptest! {
    #[test]
    fn plans_are_topological_and_idempotent(
        size in 2usize..25,
        raw_edges in proptest::collection::vec((0usize..25, 0usize..25), 0..60),
        changed in 1usize..25,
    ) {
        let edges: Vec<(usize, usize)> = raw_edges.into_iter().filter(|(a, b)| a < b && *b < size).collect();
        let mut specs = random_dag(&edges, size);
        let everything: Vec<&AssetSpec> = specs.iter().collect();
        let mut state = StoredState::new();
        observe(&mut state, "a0", "x");
        let first = plan(&specs, &state, &request(&everything, PartitionFilter::All)).unwrap();
        // Every step comes after the steps it waits for, and after its upstream assets.
        for (index, step) in first.steps.iter().enumerate() {
            prop_assert!(step.waits_for.iter().all(|&w| w < index));
        }
        prop_assert_eq!(first.steps.len(), size - 1);
        run_all(&mut state, &specs, &everything);
        // An up-to-date project plans nothing.
        prop_assert!(plan(&specs, &state, &request(&everything, PartitionFilter::All)).unwrap().is_up_to_date());
        // Changing one asset's code plans exactly it and its descendants.
        let changed = changed % size;
        if changed > 0 {
            specs[changed].code_version = CodeVersion::of_canonical("changed");
            let everything: Vec<&AssetSpec> = specs.iter().collect();
            let replanned = plan(&specs, &state, &request(&everything, PartitionFilter::All)).unwrap();
            let mut expected = BTreeSet::from([changed]);
            for i in 0..size {
                if edges.iter().any(|(from, to)| *to == i && expected.contains(from)) {
                    expected.insert(i);
                }
            }
            let planned: BTreeSet<usize> = replanned
                .steps
                .iter()
                .map(|s| s.target.asset.as_str()[1..].parse().unwrap())
                .collect();
            prop_assert_eq!(planned, expected);
        }
    }
}

/// Backfill modes over an up-to-date project where one day failed.
#[test]
fn backfill_modes_choose_every_missing_or_failed_partition() {
    let f = Flights::new();
    let specs = f.specs();
    let mut state = StoredState::new();
    observe(&mut state, "raw/flights", "a");
    run_all(&mut state, &specs, &f.all());
    let jan = |day: &str| AssetPartition::new(key("flights_daily"), Some(pk(&format!("2013-01-{day}"))));
    // One day is missing again (its data vanished), another's latest attempt failed.
    state.remove_materialization(&key("flights_daily"), Some(&pk("2013-01-03")));
    let failed: std::collections::HashSet<AssetPartition> = [jan("05")].into_iter().collect();
    let range = || PartitionFilter::Range { from: "2013-01-01".into(), to: "2013-01-07".into() };
    let with_mode = |mode: PlanMode| PlanRequest { mode, ..request(&[&f.daily], range()) };

    // Every partition of the range, fresh or not, in key order.
    let all = plan(&specs, &state, &with_mode(PlanMode::All)).unwrap();
    let targets: Vec<AssetPartition> = all.steps.iter().map(|s| s.target.clone()).collect();
    assert_eq!(targets, ["01", "02", "03", "04", "05", "06", "07"].map(jan));
    assert_eq!(all.steps[0].reasons, vec![PlanReason::Requested]);
    assert_eq!(all.steps[2].reasons, vec![PlanReason::Missing]);
    assert!(all.steps.iter().all(|s| !s.is_conditional()), "a requested step always runs");

    // Only missing or failed.
    let missing_or_failed = plan(&specs, &state, &with_mode(PlanMode::MissingOrFailed { failed })).unwrap();
    let kinds: Vec<(AssetPartition, Vec<&str>)> =
        missing_or_failed.steps.iter().map(|s| (s.target.clone(), s.reason_kinds())).collect();
    assert_eq!(kinds, [(jan("03"), vec!["missing"]), (jan("05"), vec!["failed"])]);

    // The default: missing or stale only.
    let stale = plan(&specs, &state, &with_mode(PlanMode::MissingOrStale)).unwrap();
    assert_eq!(stale.steps.iter().map(|s| s.target.clone()).collect::<Vec<_>>(), [jan("03")]);

    // Everything downstream too: the month reads the requested days, and
    // waits for them.
    let both = PlanRequest { mode: PlanMode::All, ..request(&[&f.daily, &f.monthly], range()) };
    let planned = plan(&specs, &state, &both).unwrap();
    let january = planned.steps.iter().find(|s| s.target.asset == key("flights_monthly")).unwrap();
    assert_eq!(january.waits_for, (0..7).collect::<Vec<_>>());
}

#[test]
fn new_plan_reasons_round_trip_through_json() {
    for reason in [PlanReason::Missing, PlanReason::Requested, PlanReason::Failed] {
        let text = serde_json::to_string(&reason).unwrap();
        assert_eq!(serde_json::from_str::<PlanReason>(&text).unwrap(), reason, "{text}");
    }
    let upstream = AssetPartition::new(key("flights_daily"), Some(pk("2013-01-05")));
    let stale = PlanReason::Stale(StaleCause::UpstreamDataChanged { upstream, pending: true });
    let text = serde_json::to_string(&stale).unwrap();
    assert!(text.contains("\"kind\":\"upstream_data_changed\""), "{text}");
    assert_eq!(serde_json::from_str::<PlanReason>(&text).unwrap(), stale);
}
