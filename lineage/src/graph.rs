//! The asset graph on petgraph.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};

use cairn_core::{AssetKey, AssetSpec};
use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// Problems that make a set of asset specs not a valid graph. Building
/// collects all of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Two assets with the same key.
    #[error("asset `{0}` is defined more than once")]
    DuplicateAsset(AssetKey),
    /// A dependency on an asset that does not exist.
    #[error("asset `{asset}` depends on `{missing}`, which is not defined{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownDependency {
        /// The asset declaring the dependency.
        asset: AssetKey,
        /// The key that does not exist.
        missing: AssetKey,
        /// The closest existing key, if one is close.
        suggestion: Option<AssetKey>,
    },
    /// A dependency cycle, listed in order with the first asset repeated at
    /// the end (`a -> b -> c -> a`).
    #[error("dependency cycle: {}", .0.iter().map(AssetKey::as_str).collect::<Vec<_>>().join(" -> "))]
    Cycle(Vec<AssetKey>),
}

/// A validated, topologically ordered asset graph.
#[derive(Debug, Clone)]
pub struct AssetGraph {
    graph: DiGraph<usize, ()>,
    specs: Vec<AssetSpec>,
    positions: HashMap<AssetKey, usize>,
    nodes: Vec<NodeIndex>,
}

impl AssetGraph {
    /// Builds and checks the graph.
    ///
    /// # Errors
    /// Every [`GraphError`] found: duplicate keys, unknown dependencies (with
    /// the closest existing key), and each dependency cycle.
    pub fn build(specs: Vec<AssetSpec>) -> Result<Self, Vec<GraphError>> {
        let mut errors = Vec::new();
        let mut by_key: HashMap<AssetKey, usize> = HashMap::with_capacity(specs.len());
        for (index, spec) in specs.iter().enumerate() {
            if by_key.insert(spec.key.clone(), index).is_some() {
                errors.push(GraphError::DuplicateAsset(spec.key.clone()));
            }
        }
        let mut graph = DiGraph::<usize, ()>::with_capacity(specs.len(), specs.len() * 2);
        let nodes: Vec<NodeIndex> = (0..specs.len()).map(|i| graph.add_node(i)).collect();
        for (index, spec) in specs.iter().enumerate() {
            for dep in &spec.deps {
                match by_key.get(&dep.key) {
                    Some(&upstream) => {
                        graph.add_edge(nodes[upstream], nodes[index], ());
                    }
                    None => errors.push(GraphError::UnknownDependency {
                        asset: spec.key.clone(),
                        missing: dep.key.clone(),
                        suggestion: closest_key(dep.key.as_str(), by_key.keys()),
                    }),
                }
            }
        }
        if errors.is_empty() {
            errors.extend(find_cycles(&graph, &specs));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let order = stable_topological_order(&graph, &specs);
        let mut slots: Vec<Option<AssetSpec>> = specs.into_iter().map(Some).collect();
        let specs: Vec<AssetSpec> = order.iter().map(|&i| slots[i].take().expect("each index once")).collect();
        // Rebuild with nodes numbered in topological order.
        let positions: HashMap<AssetKey, usize> =
            specs.iter().enumerate().map(|(i, spec)| (spec.key.clone(), i)).collect();
        let mut graph = DiGraph::<usize, ()>::with_capacity(specs.len(), specs.len() * 2);
        let nodes: Vec<NodeIndex> = (0..specs.len()).map(|i| graph.add_node(i)).collect();
        for (index, spec) in specs.iter().enumerate() {
            for dep in &spec.deps {
                graph.add_edge(nodes[positions[&dep.key]], nodes[index], ());
            }
        }
        Ok(Self { graph, specs, positions, nodes })
    }

    /// All specs in topological order: every asset after all its upstream
    /// assets; ties broken by key.
    pub fn specs(&self) -> &[AssetSpec] {
        &self.specs
    }

    /// The spec of `key`.
    pub fn spec(&self, key: &AssetKey) -> Option<&AssetSpec> {
        self.positions.get(key).map(|&i| &self.specs[i])
    }

    /// Whether `key` is an asset of the graph.
    pub fn contains(&self, key: &AssetKey) -> bool {
        self.positions.contains_key(key)
    }

    /// Number of assets.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Whether the graph has no assets.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Direct upstream assets of `key`, sorted by key.
    pub fn upstream(&self, key: &AssetKey) -> Vec<&AssetKey> {
        self.neighbors(key, Direction::Incoming)
    }

    /// Direct downstream assets of `key`, sorted by key.
    pub fn downstream(&self, key: &AssetKey) -> Vec<&AssetKey> {
        self.neighbors(key, Direction::Outgoing)
    }

    /// Assets upstream of `key` within `depth` edges (all of them for
    /// `None`), not including `key` itself.
    pub fn ancestors(&self, key: &AssetKey, depth: Option<usize>) -> BTreeSet<AssetKey> {
        self.reachable(key, Direction::Incoming, depth)
    }

    /// Assets downstream of `key` within `depth` edges (all for `None`),
    /// not including `key` itself.
    pub fn descendants(&self, key: &AssetKey, depth: Option<usize>) -> BTreeSet<AssetKey> {
        self.reachable(key, Direction::Outgoing, depth)
    }

    /// The subgraph of `selected` grown `depth` edges upstream and
    /// downstream (0: the selection alone): its assets in topological
    /// order and the edges between them (upstream first). What `cairn
    /// lineage` prints and the API's `lineage` query serves.
    pub fn subgraph(&self, selected: &BTreeSet<AssetKey>, depth: usize) -> Subgraph {
        // Membership by topological position: a whole 10,000-asset graph
        // is served without a key comparison per edge.
        let mut included = vec![false; self.specs.len()];
        let mut include = |key: &AssetKey| {
            if let Some(&position) = self.positions.get(key) {
                included[position] = true;
            }
        };
        selected.iter().for_each(&mut include);
        if depth > 0 {
            for key in selected {
                self.ancestors(key, Some(depth)).iter().for_each(&mut include);
                self.descendants(key, Some(depth)).iter().for_each(&mut include);
            }
        }
        let nodes: Vec<AssetKey> = self
            .specs
            .iter()
            .zip(&included)
            .filter(|&(_, &included)| included)
            .map(|(spec, _)| spec.key.clone())
            .collect();
        // Edges were added per asset in topological order, then per
        // dependency in declaration order: upstream first.
        let edges = self
            .graph
            .raw_edges()
            .iter()
            .map(|edge| (self.graph[edge.source()], self.graph[edge.target()]))
            .filter(|&(from, to)| included[from] && included[to])
            .map(|(from, to)| (self.specs[from].key.clone(), self.specs[to].key.clone()))
            .collect();
        Subgraph { nodes, edges }
    }

    /// Keys of all assets, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &AssetKey> {
        self.specs.iter().map(|spec| &spec.key)
    }

    fn neighbors(&self, key: &AssetKey, direction: Direction) -> Vec<&AssetKey> {
        let Some(&position) = self.positions.get(key) else {
            return Vec::new();
        };
        let mut keys: Vec<&AssetKey> = self
            .graph
            .neighbors_directed(self.nodes[position], direction)
            .map(|node| &self.specs[self.graph[node]].key)
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    fn reachable(&self, key: &AssetKey, direction: Direction, depth: Option<usize>) -> BTreeSet<AssetKey> {
        let mut found = BTreeSet::new();
        let Some(&start) = self.positions.get(key) else {
            return found;
        };
        let mut seen = vec![false; self.specs.len()];
        seen[start] = true;
        let mut queue = VecDeque::from([(start, 0usize)]);
        while let Some((position, distance)) = queue.pop_front() {
            if depth.is_some_and(|limit| distance >= limit) {
                continue;
            }
            for node in self.graph.neighbors_directed(self.nodes[position], direction) {
                let next = self.graph[node];
                if !seen[next] {
                    seen[next] = true;
                    found.insert(self.specs[next].key.clone());
                    queue.push_back((next, distance + 1));
                }
            }
        }
        found
    }
}

/// Kahn's algorithm with a min-heap on keys, so equal graphs always give the
/// same order.
fn stable_topological_order(graph: &DiGraph<usize, ()>, specs: &[AssetSpec]) -> Vec<usize> {
    let mut in_degree: Vec<usize> =
        graph.node_indices().map(|node| graph.neighbors_directed(node, Direction::Incoming).count()).collect();
    let mut ready: BinaryHeap<Reverse<(&AssetKey, usize)>> = in_degree
        .iter()
        .enumerate()
        .filter(|(_, degree)| **degree == 0)
        .map(|(i, _)| Reverse((&specs[i].key, i)))
        .collect();
    let mut order = Vec::with_capacity(specs.len());
    while let Some(Reverse((_, index))) = ready.pop() {
        order.push(index);
        for node in graph.neighbors_directed(NodeIndex::new(index), Direction::Outgoing) {
            let next = graph[node];
            in_degree[next] -= 1;
            if in_degree[next] == 0 {
                ready.push(Reverse((&specs[next].key, next)));
            }
        }
    }
    order
}

/// One cycle per strongly connected component with a cycle, starting at the
/// component's smallest key.
fn find_cycles(graph: &DiGraph<usize, ()>, specs: &[AssetSpec]) -> Vec<GraphError> {
    let mut cycles = Vec::new();
    for component in tarjan_scc(graph) {
        let is_cycle = component.len() > 1 || graph.contains_edge(component[0], component[0]);
        if !is_cycle {
            continue;
        }
        let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
        let start = *component.iter().min_by_key(|node| &specs[graph[**node]].key).expect("non-empty");
        let path = cycle_through(graph, specs, start, &members);
        cycles.push(GraphError::Cycle(path.into_iter().map(|node| specs[graph[node]].key.clone()).collect()));
    }
    cycles.sort_by(|a, b| format!("{a}").cmp(&format!("{b}")));
    cycles
}

/// A shortest path `start -> ... -> start` inside one component (BFS,
/// neighbours visited in key order).
fn cycle_through(
    graph: &DiGraph<usize, ()>,
    specs: &[AssetSpec],
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Vec<NodeIndex> {
    let sorted_neighbors = |node: NodeIndex| {
        let mut next: Vec<NodeIndex> =
            graph.neighbors_directed(node, Direction::Outgoing).filter(|n| members.contains(n)).collect();
        next.sort_by_key(|n| &specs[graph[*n]].key);
        next
    };
    let mut previous: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in sorted_neighbors(node) {
            if next == start {
                let mut path = vec![start];
                let mut cursor = node;
                while cursor != start {
                    path.push(cursor);
                    cursor = previous[&cursor];
                }
                path.push(start);
                let last = path.len() - 1;
                path[1..last].reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = previous.entry(next) {
                slot.insert(node);
                queue.push_back(next);
            }
        }
    }
    vec![start, start]
}

/// The existing key closest to `wanted` (Jaro-Winkler over 0.8, or edit
/// distance of at most a third of its length), for "did you mean" hints.
pub(crate) fn closest_key<'a>(wanted: &str, keys: impl Iterator<Item = &'a AssetKey>) -> Option<AssetKey> {
    keys.map(|key| (strsim::jaro_winkler(wanted, key.as_str()), key))
        .filter(|(score, key)| *score >= 0.8 || strsim::levenshtein(wanted, key.as_str()) * 3 <= wanted.len().max(3))
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, key)| key.clone())
}

/// Part of the asset graph (see [`AssetGraph::subgraph`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subgraph {
    /// Assets, in topological order.
    pub nodes: Vec<AssetKey>,
    /// `(upstream, downstream)` pairs between them.
    pub edges: Vec<(AssetKey, AssetKey)>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use cairn_core::partitions::PartitionMapping;
    use cairn_core::{AssetDep, AssetKind, CodeVersion};

    pub(crate) fn spec(key: &str, deps: &[&str]) -> AssetSpec {
        AssetSpec {
            key: AssetKey::new(key).unwrap(),
            kind: if deps.is_empty() { AssetKind::Source } else { AssetKind::Sql },
            description: None,
            group: cairn_core::default_group(&AssetKey::new(key).unwrap()),
            tags: Default::default(),
            deps: deps
                .iter()
                .map(|d| AssetDep { key: AssetKey::new(d).unwrap(), mapping: PartitionMapping::Whole })
                .collect(),
            partitions: None,
            code_version: CodeVersion::of_canonical(key),
        }
    }

    fn keys<'a>(items: impl IntoIterator<Item = &'a AssetKey>) -> Vec<&'a str> {
        items.into_iter().map(AssetKey::as_str).collect()
    }

    #[test]
    fn orders_upstream_first_with_stable_ties() {
        let graph = AssetGraph::build(vec![
            spec("report", &["daily", "raw/weather"]),
            spec("daily", &["raw/flights"]),
            spec("raw/weather", &[]),
            spec("raw/flights", &[]),
        ])
        .unwrap();
        assert_eq!(keys(graph.keys()), ["raw/flights", "daily", "raw/weather", "report"]);
        assert_eq!(keys(graph.upstream(&AssetKey::new("report").unwrap())), ["daily", "raw/weather"]);
        assert_eq!(keys(graph.downstream(&AssetKey::new("raw/flights").unwrap())), ["daily"]);
        assert_eq!(
            keys(&graph.ancestors(&AssetKey::new("report").unwrap(), None)),
            ["daily", "raw/flights", "raw/weather"]
        );
        assert_eq!(keys(&graph.ancestors(&AssetKey::new("report").unwrap(), Some(1))), ["daily", "raw/weather"]);
        assert_eq!(keys(&graph.descendants(&AssetKey::new("raw/flights").unwrap(), None)), ["daily", "report"]);
    }

    #[test]
    fn names_every_cycle_in_order() {
        let errors = AssetGraph::build(vec![
            spec("a", &["c"]),
            spec("b", &["a"]),
            spec("c", &["b"]),
            spec("d", &["d"]),
            spec("e", &[]),
        ])
        .unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages, ["dependency cycle: a -> b -> c -> a", "dependency cycle: d -> d"]);
    }

    #[test]
    fn unknown_dependencies_suggest_the_closest_key() {
        let errors = AssetGraph::build(vec![spec("raw/flights", &[]), spec("daily", &["raw/flight"])]).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "asset `daily` depends on `raw/flight`, which is not defined; did you mean `raw/flights`?"
        );
        let errors = AssetGraph::build(vec![spec("a", &[]), spec("a", &[])]).unwrap_err();
        assert_eq!(errors, [GraphError::DuplicateAsset(AssetKey::new("a").unwrap())]);
    }

    #[test]
    fn subgraphs_grow_by_depth_and_keep_their_edges() {
        // a -> b -> c -> d, x -> c
        let graph = AssetGraph::build(vec![
            spec("a", &[]),
            spec("b", &["a"]),
            spec("x", &[]),
            spec("c", &["b", "x"]),
            spec("d", &["c"]),
        ])
        .unwrap();
        let only_c: BTreeSet<AssetKey> = [AssetKey::new("c").unwrap()].into();
        let alone = graph.subgraph(&only_c, 0);
        assert_eq!(keys(&alone.nodes), ["c"]);
        assert!(alone.edges.is_empty());
        let near = graph.subgraph(&only_c, 1);
        let mut nodes = keys(&near.nodes);
        nodes.sort_unstable();
        assert_eq!(nodes, ["b", "c", "d", "x"]);
        let edges: Vec<(String, String)> = near.edges.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(edges.len(), 3, "{edges:?}");
        assert!(edges.contains(&("x".into(), "c".into())) && !edges.iter().any(|(a, _)| a == "a"));
        let all: BTreeSet<AssetKey> = graph.keys().cloned().collect();
        let whole = graph.subgraph(&all, 0);
        assert_eq!(whole.nodes.len(), 5);
        assert_eq!(whole.edges.len(), 4);
        let position = |k: &str| whole.nodes.iter().position(|n| n.as_str() == k).unwrap();
        assert!(whole.edges.iter().all(|(a, b)| position(a.as_str()) < position(b.as_str())), "topological");
    }
}
