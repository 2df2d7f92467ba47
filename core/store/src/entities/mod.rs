//! sea-orm entities, one per table. They mirror the schema created by
//! [`super::migration`]; the public record types in [`super`] are built from
//! them (and validated) so nothing outside the store sees a raw row.

pub(crate) mod asset_partitions;
pub(crate) mod backfills;
pub(crate) mod check_results;
pub(crate) mod current_check_results;
pub(crate) mod event_log;
pub(crate) mod materialization_inputs;
pub(crate) mod materializations;
pub(crate) mod observations;
pub(crate) mod run_steps;
pub(crate) mod runs;
