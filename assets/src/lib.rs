//! # cairn-assets
//!
//! Everything between a project's YAML files and materialized data:
//!
//! * **load** ([`project`]): read `cairn.yaml` and `assets/**/*.yaml`;
//! * **wire types** ([`wire`]): exactly what the YAML says;
//! * **resolve** (`resolve`): names become keys, SQL tables become
//!   dependencies, partitions and checks are validated, code versions are
//!   computed; the result is [`definition::Asset`]s and the graph;
//! * **validate** ([`validate`]): plan every query against the real
//!   schemas of its upstream assets;
//! * **observe** ([`observe`]): a source's files and data version;
//! * **tables** ([`tables`]): assets as DataFusion tables.
//!
//! Materializing assets (running SQL and commands, checks, publishing,
//! runs and executors) is `cairn-engine`'s work.
//!
//! Diagnostics ([`diagnostic`]) name file, line and column for every
//! problem, and loading reports all problems at once.

#![warn(missing_docs)]

pub mod definition;
pub mod diagnostic;
pub mod observe;
mod parallel;
pub mod project;
mod resolve;
pub mod schema;
pub mod sql;
pub mod tables;
pub mod validate;
pub mod wire;
pub mod yaml;

pub use definition::{Asset, AssetDefinition};
pub use diagnostic::{Diagnostic, Diagnostics};
pub use project::Project;
