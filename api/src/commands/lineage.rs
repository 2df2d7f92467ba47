//! `cairn lineage`: the subgraph of a selection (the same one the API's
//! `lineage` query serves), as text, JSON, Graphviz DOT or Mermaid.

use std::collections::BTreeSet;

use clap::{Args, ValueEnum};

use crate::cli::GlobalArgs;
use crate::open::{failure, open, snapshot};
use crate::output::columns;
use crate::{Failure, out, outln};

/// How to print the lineage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LineageFormat {
    /// Aligned columns: asset, kind, state, upstream.
    Text,
    /// `{"nodes": [{key, kind, group, state}], "edges": [{from, to}]}`.
    Json,
    /// Graphviz DOT (`cairn lineage --format dot | dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart, for Markdown.
    Mermaid,
}

/// `cairn lineage`.
#[derive(Debug, Args)]
pub struct LineageArgs {
    /// Assets to show: `key`, `+key` (with upstream), `key+`, `raw/*`.
    /// Default: the whole graph.
    #[arg(value_name = "SELECTION")]
    pub selection: Vec<String>,
    /// Also show assets this many dependency steps upstream and downstream
    /// of the selection.
    #[arg(long, default_value_t = 0)]
    pub depth: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LineageFormat::Text)]
    pub format: LineageFormat,
}

/// Prints the subgraph with each asset's kind and state (`fresh`, `stale`,
/// `missing`, from the store).
pub async fn run(global: &GlobalArgs, args: &LineageArgs) -> Result<(), Failure> {
    let instance = open(global).await?;
    let graph = &instance.project().graph;
    let selected: BTreeSet<_> = if args.selection.is_empty() {
        graph.keys().cloned().collect()
    } else {
        instance.select(&args.selection).map_err(|e| failure(global, e))?
    };
    let subgraph = graph.subgraph(&selected, args.depth);
    let snapshot = snapshot(global, &instance, None, false).await?;
    let summary = instance.summarize_state(&snapshot).await.map_err(|e| failure(global, e))?;
    let kind = |key: &cairn_core::AssetKey| graph.spec(key).map_or("?", |spec| spec.kind.as_str());
    let state = |key: &cairn_core::AssetKey| summary.assets.get(key).map_or("unknown", |s| s.stale_status.name());
    match args.format {
        LineageFormat::Dot => out!("{}", subgraph.to_dot(|key| format!("{key}\n{} · {}", kind(key), state(key)))),
        LineageFormat::Mermaid => {
            out!("{}", subgraph.to_mermaid(|key| format!("{key}\n{} · {}", kind(key), state(key))))
        }
        LineageFormat::Json => {
            let nodes: Vec<serde_json::Value> = subgraph
                .nodes
                .iter()
                .map(|key| {
                    serde_json::json!({
                        "key": key,
                        "kind": kind(key),
                        "group": graph.spec(key).map(|spec| spec.group.as_str()),
                        "state": state(key),
                    })
                })
                .collect();
            let edges: Vec<serde_json::Value> =
                subgraph.edges.iter().map(|(from, to)| serde_json::json!({ "from": from, "to": to })).collect();
            let value = serde_json::json!({ "nodes": nodes, "edges": edges });
            outln!("{}", serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?)
        }
        LineageFormat::Text => {
            let mut rows = vec![["ASSET", "KIND", "STATE", "UPSTREAM"].map(String::from).to_vec()];
            for key in &subgraph.nodes {
                let upstream: Vec<String> =
                    subgraph.edges.iter().filter(|(_, to)| to == key).map(|(from, _)| from.to_string()).collect();
                rows.push(vec![
                    key.to_string(),
                    kind(key).to_owned(),
                    state(key).to_owned(),
                    if upstream.is_empty() { "-".to_owned() } else { upstream.join(", ") },
                ]);
            }
            out!("{}", columns(&rows))
        }
    }
}
