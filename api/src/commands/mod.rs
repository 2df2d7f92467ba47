//! One module per subcommand, each with one entry function `run`.

pub mod logs;
pub mod materialize;
pub mod plan;
pub mod schema;
pub mod status;
pub mod validate;
