//! # cairn-assets
//!
//! Everything between a project's YAML files and materialized data:
//!
//! * **load** ([`project`]): read `cairn.yaml` and `assets/**/*.yaml`;
//! * **wire types** ([`wire`]): exactly what the YAML says;
//! * **resolve** (`resolve`): names become keys, SQL tables become
//!   dependencies, partitions and checks are validated, code versions are
//!   computed; the result is [`definition::Asset`]s and the graph;
//! * **execute** ([`execute`]): observe sources, run SQL with DataFusion
//!   and commands as processes, run checks, write Parquet atomically and
//!   record everything in the metadata store.
//!
//! Diagnostics ([`diagnostic`]) name file, line and column for every
//! problem, and loading reports all problems at once.

#![warn(missing_docs)]

pub mod definition;
pub mod diagnostic;
pub mod execute;
pub mod project;
mod resolve;
pub mod schema;
pub mod sql;
pub mod validate;
pub mod wire;
pub mod yaml;

pub use definition::{Asset, AssetDefinition};
pub use diagnostic::{Diagnostic, Diagnostics};
pub use project::Project;
