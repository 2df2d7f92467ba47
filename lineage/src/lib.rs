//! # cairn-lineage
//!
//! The asset graph: assets are nodes, "reads from" is an edge from upstream
//! to downstream. [`AssetGraph::build`] checks the graph (every dependency
//! exists, no key twice, no cycles, each cycle named `a -> b -> a`), orders
//! the assets topologically (upstream first, ties broken by key, so the order
//! is stable), and answers lineage questions: direct upstream / downstream,
//! all ancestors / descendants, and dbt/Dagster-style selections
//! ([`Selection`]: `key`, `+key`, `key+`, `2+key`, `raw/*`).

#![warn(missing_docs)]

mod graph;
mod render;
mod selection;

pub use graph::{AssetGraph, GraphError, Subgraph};
pub use selection::{KeyPattern, Selection, SelectionError, SelectionExpr};
