//! # cairn-core
//!
//! The domain model of Cairn, an asset-centric data orchestrator: what an
//! asset is, how it is partitioned, how its versions are tracked, when it is
//! stale, what must be materialized, and where all of that is recorded.
//!
//! This crate knows nothing of YAML, SQL engines or HTTP. The loader
//! (`cairn-assets`) turns YAML into [`AssetSpec`]s, the asset graph
//! (`cairn-lineage`) orders them, the planner here decides what to run, and
//! the executor (`cairn-engine`) runs it and records the results in the
//! metadata store (`cairn_store::MetadataStore`, in `core/store`):
//!
//! ```text
//!  YAML files ──load──▶ wire types ──resolve──▶ AssetSpec (keys, deps,
//!                                                partitions, code version)
//!                                                     │
//!                                       cairn-lineage │ AssetGraph:
//!                                                     ▼ cycles, order, selection
//!  MetadataStore ──load_state──▶ StoredState ──▶ staleness ──▶ planner::plan
//!        ▲                                                        │
//!        │ materializations, observations,                        ▼
//!        └──────── check results, run events ◀──execute── Plan (ordered steps + reasons)
//! ```
//!
//! Key types:
//! * [`AssetKey`]: `raw/flights`; also the SQL table `raw.flights`.
//! * [`partitions::PartitionsDefinition`], [`partitions::PartitionKey`],
//!   [`partitions::TimeWindow`] and [`partitions::PartitionMapping`]:
//!   Dagster-compatible partitions.
//! * [`CodeVersion`] / [`DataVersion`]: hashes of definitions and of data.
//! * [`state::StoredState`]: the latest materialization of every asset
//!   partition, with the upstream data versions it read.
//! * [`staleness::StaleStatus`]: missing / stale (with causes) / fresh.
//! * [`planner::plan`]: a pure function from specs + state + request to a
//!   [`planner::Plan`].
//! * [`freshness::FreshnessPolicy`] and [`freshness::evaluate`]: how recently
//!   an asset must have been materialized (a lag, or a deadline cron), judged
//!   `PASS` / `WARN` / `FAIL` / `UNKNOWN` at an injected `now`.
//! * `cairn_store::MetadataStore` (crate `cairn-store`, which depends on
//!   this one): SQLite or PostgreSQL through sea-orm.

#![warn(missing_docs)]

pub mod asset_key;
pub mod automation;
pub mod check;
pub mod error;
pub mod freshness;
pub mod partitions;
pub mod planner;
pub mod run;
pub mod spec;
pub mod staleness;
pub mod state;
pub mod timezone;
pub mod version;

pub use asset_key::{AssetKey, AssetKeyError};
pub use error::CoreError;
pub use spec::{AssetDep, AssetKind, AssetSpec, DEFAULT_GROUP, default_group};
pub use version::{CodeVersion, DataVersion};
