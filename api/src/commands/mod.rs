//! One module per subcommand, each with its options struct and one entry
//! function `run`.

pub mod automation;
pub mod backfill;
pub mod gc;
pub mod lineage;
pub mod logs;
pub mod materialize;
pub mod plan;
pub mod run_cancel;
pub mod run_resume;
pub mod run_show;
pub mod runs;
pub mod schema;
pub mod serve;
pub mod status;
pub mod validate;
pub mod worker;
