//! A [`Subgraph`] as text for other tools: Graphviz DOT (through
//! petgraph's `dot` writer) and Mermaid `flowchart` (for Markdown docs).
//! Both lay the graph out left to right, upstream first, and label each
//! node with what `label` returns for its key (e.g. `flights_daily\nSQL ·
//! missing`).

use cairn_core::AssetKey;
use petgraph::dot::{Config, Dot};
use petgraph::graph::DiGraph;

use crate::Subgraph;

impl Subgraph {
    /// Graphviz DOT: `digraph lineage { rankdir=LR; ... }`, one box per
    /// asset labelled by `label`, one edge per dependency.
    pub fn to_dot(&self, label: impl Fn(&AssetKey) -> String) -> String {
        let mut graph: DiGraph<String, String> = DiGraph::new();
        let index: std::collections::HashMap<&AssetKey, _> =
            self.nodes.iter().map(|key| (key, graph.add_node(label(key)))).collect();
        for (from, to) in &self.edges {
            if let (Some(&a), Some(&b)) = (index.get(from), index.get(to)) {
                graph.add_edge(a, b, String::new());
            }
        }
        let body = Dot::with_config(&graph, &[Config::EdgeNoLabel, Config::GraphContentOnly]);
        format!("digraph lineage {{\n    rankdir=LR;\n    node [shape=box];\n{body}}}\n")
    }

    /// Mermaid: `flowchart LR` with nodes `n0["label"]` and edges
    /// `n0 --> n1`. Quotes in labels become `#quot;` (Mermaid's entity).
    pub fn to_mermaid(&self, label: impl Fn(&AssetKey) -> String) -> String {
        let mut text = String::from("flowchart LR\n");
        let index: std::collections::HashMap<&AssetKey, usize> =
            self.nodes.iter().enumerate().map(|(i, key)| (key, i)).collect();
        for (i, key) in self.nodes.iter().enumerate() {
            let label = label(key).replace('"', "#quot;").replace('\n', "<br/>");
            text.push_str(&format!("    n{i}[\"{label}\"]\n"));
        }
        for (from, to) in &self.edges {
            if let (Some(a), Some(b)) = (index.get(from), index.get(to)) {
                text.push_str(&format!("    n{a} --> n{b}\n"));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subgraph() -> Subgraph {
        let key = |k: &str| AssetKey::new(k).unwrap();
        Subgraph {
            nodes: vec![key("raw/flights"), key("flights_daily")],
            edges: vec![(key("raw/flights"), key("flights_daily"))],
        }
    }

    #[test]
    fn dot_has_every_node_and_edge_left_to_right() {
        let dot = subgraph().to_dot(|k| format!("{k} \"x\""));
        assert!(dot.starts_with("digraph lineage {\n    rankdir=LR;"), "{dot}");
        assert!(dot.contains(r#"label = "raw/flights \"x\"""#), "{dot}");
        assert!(dot.contains("0 -> 1"), "{dot}");
        assert!(dot.trim_end().ends_with('}'));
    }

    #[test]
    fn mermaid_has_every_node_and_edge_and_escapes_quotes() {
        let mermaid = subgraph().to_mermaid(|k| format!("{k}\n\"SQL\""));
        assert_eq!(
            mermaid,
            "flowchart LR\n    n0[\"raw/flights<br/>#quot;SQL#quot;\"]\n    n1[\"flights_daily<br/>#quot;SQL#quot;\"]\n    n0 --> n1\n"
        );
    }
}
