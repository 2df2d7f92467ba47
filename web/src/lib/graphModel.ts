// The lineage graph as drawn: groups (the key's first path segment) that
// can be collapsed into one node, the edges between what is visible, the
// input of the layered layout, and upstream/downstream closures.

export interface GraphAsset {
  key: string;
  kind: string;
  group: string;
  state: string;
  staleStatus?: string;
  freshness?: string | null;
  /** Error checks whose latest evaluation failed (the asset is then FAILED). */
  failingErrorChecks?: number;
  /** Warn checks whose latest evaluation failed (the asset keeps its state). */
  failingWarnChecks?: number;
  partitionStats?: {
    total: number;
    materialized: number;
    stale: number;
    failed: number;
    materializing: number;
    missing: number;
  } | null;
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface VisibleNode {
  id: string;
  type: 'asset' | 'group';
  /** The asset (type asset) or the group's assets (type group). */
  keys: string[];
  group: string;
  /** The expanded group box it sits in, if any. */
  parent?: string;
}

export interface VisibleEdge {
  id: string;
  from: string;
  to: string;
  /** Asset edges it stands for. */
  count: number;
}

export interface VisibleGraph {
  nodes: VisibleNode[];
  edges: VisibleEdge[];
  /** Expanded groups of several assets (drawn as boxes). */
  boxes: { id: string; group: string; keys: string[] }[];
  /** Asset key to the id of the node that shows it. */
  nodeOf: Map<string, string>;
}

export const groupId = (group: string) => `group:${group}`;
export const boxId = (group: string) => `box:${group}`;

/** Assets per group, in input order. */
export function groupAssets(assets: readonly GraphAsset[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const a of assets) {
    let list = groups.get(a.group);
    if (!list) groups.set(a.group, (list = []));
    list.push(a.key);
  }
  return groups;
}

/** Groups that can be collapsed: those of more than one asset. */
export function collapsibleGroups(assets: readonly GraphAsset[]): string[] {
  return [...groupAssets(assets)].filter(([, keys]) => keys.length > 1).map(([g]) => g);
}

/**
 * What is drawn: each asset, or one node per collapsed group; edges between
 * visible nodes, deduplicated with a count, without self-loops of a group.
 */
export function visibleGraph(
  assets: readonly GraphAsset[],
  edges: readonly GraphEdge[],
  collapsed: ReadonlySet<string>,
  boxes = true,
): VisibleGraph {
  const groups = groupAssets(assets);
  const nodes: VisibleNode[] = [];
  const nodeOf = new Map<string, string>();
  const boxList: VisibleGraph['boxes'] = [];
  for (const [group, keys] of groups) {
    if (keys.length > 1 && collapsed.has(group)) {
      const id = groupId(group);
      nodes.push({ id, type: 'group', keys, group });
      for (const k of keys) nodeOf.set(k, id);
    } else {
      const parent = boxes && keys.length > 1 ? boxId(group) : undefined;
      if (parent) boxList.push({ id: parent, group, keys });
      for (const k of keys) {
        nodes.push({ id: k, type: 'asset', keys: [k], group, parent });
        nodeOf.set(k, k);
      }
    }
  }
  const byPair = new Map<string, VisibleEdge>();
  for (const e of edges) {
    const from = nodeOf.get(e.from);
    const to = nodeOf.get(e.to);
    if (!from || !to || from === to) continue;
    const id = `${from}->${to}`;
    const existing = byPair.get(id);
    if (existing) existing.count++;
    else byPair.set(id, { id, from, to, count: 1 });
  }
  return { nodes, edges: [...byPair.values()], boxes: boxList, nodeOf };
}

export const NODE_WIDTH = 232;
export const NODE_HEIGHT = 68;
export const GROUP_HEIGHT = 76;

export interface LayoutInput {
  nodes: { id: string; width: number; height: number; parent?: string }[];
  edges: { from: string; to: string }[];
  boxes: { id: string }[];
}

/** The layered layout's input: sizes, compound parents and edges. */
export function layoutInput(graph: VisibleGraph): LayoutInput {
  return {
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      width: NODE_WIDTH,
      height: n.type === 'group' ? GROUP_HEIGHT : NODE_HEIGHT,
      parent: n.parent,
    })),
    edges: graph.edges.map((e) => ({ from: e.from, to: e.to })),
    boxes: graph.boxes.map((b) => ({ id: b.id })),
  };
}

export interface Adjacency {
  up: Map<string, string[]>;
  down: Map<string, string[]>;
}

export function adjacency(edges: readonly GraphEdge[]): Adjacency {
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  for (const e of edges) {
    (up.get(e.to) ?? up.set(e.to, []).get(e.to)!).push(e.from);
    (down.get(e.from) ?? down.set(e.from, []).get(e.from)!).push(e.to);
  }
  return { up, down };
}

/** Everything upstream (or downstream) of `key`, excluding it. */
export function closure(key: string, next: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [key];
  while (stack.length) {
    const k = stack.pop()!;
    for (const n of next.get(k) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  seen.delete(key);
  return seen;
}

/** The focused asset and everything upstream and downstream of it. */
export interface Related {
  up: Set<string>;
  down: Set<string>;
}

/**
 * How a node showing `keys` is highlighted while `focus` is focused: the
 * focused asset, one of its upstream or downstream (`related`), or neither
 * (`dim`); '' when nothing is focused. The graph dims through a class on
 * its container, so only nodes whose highlight is not `dim` are marked.
 */
export function highlightOf(keys: readonly string[], focus: string | null, related: Related | null): '' | 'focus' | 'related' | 'dim' {
  if (!focus || !related) return '';
  if (keys.includes(focus)) return 'focus';
  if (keys.some((k) => related.up.has(k) || related.down.has(k))) return 'related';
  return 'dim';
}

/**
 * The edges drawn highlighted while `focus` is focused: both ends the
 * focused asset or among its upstream and downstream (a collapsed group's
 * node never is). Every other edge keeps its object, dimmed by the
 * container's class.
 */
export function litEdgeIds(edges: readonly VisibleEdge[], focus: string | null, related: Related | null): Set<string> {
  const lit = new Set<string>();
  if (!focus || !related) return lit;
  const on = (id: string) => id === focus || related.up.has(id) || related.down.has(id);
  for (const e of edges) if (on(e.from) && on(e.to)) lit.add(e.id);
  return lit;
}

/** Worst state first: how a collapsed group is coloured. */
const STATE_RANK = ['FAILED', 'OVERDUE', 'MATERIALIZING', 'STALE', 'MISSING', 'FRESH'];

export function worstState(states: Iterable<string>): string {
  let best = STATE_RANK.length;
  for (const s of states) {
    const r = STATE_RANK.indexOf(s);
    if (r >= 0 && r < best) best = r;
  }
  return STATE_RANK[best] ?? 'FRESH';
}

/** A group's failing checks: its members' failing error checks and failing warn checks, summed. */
export function memberChecks(keys: readonly string[], byKey: ReadonlyMap<string, Pick<GraphAsset, 'failingErrorChecks' | 'failingWarnChecks'>>): { failingErrorChecks: number; failingWarnChecks: number } {
  let failingErrorChecks = 0;
  let failingWarnChecks = 0;
  for (const k of keys) {
    const a = byKey.get(k);
    failingErrorChecks += a?.failingErrorChecks ?? 0;
    failingWarnChecks += a?.failingWarnChecks ?? 0;
  }
  return { failingErrorChecks, failingWarnChecks };
}

/** Counts of assets per state. */
export function stateCounts(states: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of states) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/** Keys matching a search, best first: exact, prefix, segment prefix, substring. */
export function searchKeys(keys: readonly string[], query: string, limit = 12): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const scored: [number, string][] = [];
  for (const k of keys) {
    const l = k.toLowerCase();
    const at = l.indexOf(q);
    if (at < 0) continue;
    const score = l === q ? 0 : at === 0 ? 1 : l[at - 1] === '/' || l[at - 1] === '_' ? 2 : 3;
    scored.push([score * 1e6 + k.length, k]);
  }
  scored.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
  return scored.slice(0, limit).map(([, k]) => k);
}

/**
 * Disjoint partition counts of a node's bar: `partitionStats.materialized`
 * counts every partition with data (stale ones included), while stale,
 * failed, materializing and missing are states; `fresh` is what is left.
 */
export function disjointStats(stats: NonNullable<GraphAsset['partitionStats']>): { fresh: number; stale: number; failed: number; materializing: number; missing: number } {
  const fresh = Math.max(0, stats.total - stats.stale - stats.failed - stats.materializing - stats.missing);
  return { fresh, stale: stats.stale, failed: stats.failed, materializing: stats.materializing, missing: stats.missing };
}

/**
 * The selection of these assets and everything downstream of them: what an
 * asset event can change (a new materialization makes its readers stale).
 */
export function downstreamSelection(keys: Iterable<string>): string {
  return [...new Set(keys)]
    .sort()
    .map((k) => `${k}+`)
    .join(' ');
}

/** `nodes` with those of `updates` in place of the nodes of the same key; `nodes` itself when none applies. */
export function withUpdates<T extends { key: string }>(nodes: readonly T[], updates: ReadonlyMap<string, T>): readonly T[] {
  if (updates.size === 0 || !nodes.some((n) => updates.has(n.key))) return nodes;
  return nodes.map((n) => updates.get(n.key) ?? n);
}
