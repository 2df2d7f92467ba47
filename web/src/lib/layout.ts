// Layered left-to-right layout. dagre (network-simplex ranking, crossing
// minimisation, compound group boxes) for graphs up to DAGRE_LIMIT nodes;
// above that a linear-time layered layout of the same shape (longest-path
// ranks, barycentre ordering sweeps, neighbour-median placement), because
// dagre takes tens of seconds on 2,000 nodes. Both run in a Web Worker.
import dagre from '@dagrejs/dagre';
import type { LayoutInput } from './graphModel';

export interface LayoutResult {
  positions: Record<string, { x: number; y: number; width: number; height: number }>;
  width: number;
  height: number;
  engine: 'dagre' | 'layered';
}

export const DAGRE_LIMIT = 250;
const NODESEP = 18;
const RANKSEP = 90;
const MARGIN = 20;

export function runLayout(input: LayoutInput): LayoutResult {
  return input.nodes.length <= DAGRE_LIMIT ? dagreLayout(input) : layeredLayout(input);
}

export function dagreLayout(input: LayoutInput): LayoutResult {
  const compound = input.boxes.length > 0;
  const g = new dagre.graphlib.Graph({ compound, multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: NODESEP, ranksep: RANKSEP, edgesep: 8, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const b of input.boxes) g.setNode(b.id, { paddingTop: 28 });
  for (const n of input.nodes) {
    g.setNode(n.id, { width: n.width, height: n.height });
    if (n.parent) g.setParent(n.id, n.parent);
  }
  for (const e of input.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const positions: LayoutResult['positions'] = {};
  for (const id of g.nodes()) {
    const n = g.node(id) as { x: number; y: number; width: number; height: number } | undefined;
    if (!n) continue;
    // dagre gives centres; the graph wants top-left corners.
    positions[id] = { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height };
  }
  const graph = g.graph() as { width?: number; height?: number };
  return { positions, width: graph.width ?? 0, height: graph.height ?? 0, engine: 'dagre' };
}

/** Ranks by longest path; sources sit one rank before their first reader. */
export function assignRanks(ids: readonly string[], edges: LayoutInput['edges']): Map<string, number> {
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  const indeg = new Map<string, number>();
  for (const id of ids) {
    preds.set(id, []);
    succs.set(id, []);
    indeg.set(id, 0);
  }
  for (const e of edges) {
    if (!preds.has(e.to) || !succs.has(e.from)) continue;
    preds.get(e.to)!.push(e.from);
    succs.get(e.from)!.push(e.to);
    indeg.set(e.to, indeg.get(e.to)! + 1);
  }
  const rank = new Map<string, number>();
  const queue: string[] = ids.filter((id) => indeg.get(id) === 0);
  for (const id of queue) rank.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    const r = rank.get(id)!;
    for (const s of succs.get(id)!) {
      rank.set(s, Math.max(rank.get(s) ?? 0, r + 1));
      const d = indeg.get(s)! - 1;
      indeg.set(s, d);
      if (d === 0) queue.push(s);
    }
  }
  // A cycle (should not happen): put what is left after everything.
  for (const id of ids) if (!rank.has(id)) rank.set(id, 0);
  for (const id of ids) {
    const s = succs.get(id)!;
    if (preds.get(id)!.length === 0 && s.length) {
      rank.set(id, Math.max(0, Math.min(...s.map((x) => rank.get(x)!)) - 1));
    }
  }
  return rank;
}

export function layeredLayout(input: LayoutInput): LayoutResult {
  const ids = input.nodes.map((n) => n.id);
  const size = new Map(input.nodes.map((n) => [n.id, n]));
  const rank = assignRanks(ids, input.edges);
  const maxRank = Math.max(0, ...rank.values());
  const layers: string[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (const id of ids) layers[rank.get(id)!].push(id);
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  const succs = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of input.edges) {
    if (!preds.has(e.to) || !succs.has(e.from)) continue;
    preds.get(e.to)!.push(e.from);
    succs.get(e.from)!.push(e.to);
  }
  const pos = new Map<string, number>();
  const setPositions = () => layers.forEach((layer) => layer.forEach((id, i) => pos.set(id, i / Math.max(1, layer.length))));
  setPositions();
  const bary = (id: string, next: Map<string, string[]>) => {
    const ns = next.get(id)!;
    if (!ns.length) return pos.get(id)!;
    let sum = 0;
    for (const n of ns) sum += pos.get(n)!;
    return sum / ns.length;
  };
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers : [...layers].reverse();
    for (const layer of order) {
      const keyed = layer.map((id) => [bary(id, down ? preds : succs), id] as const);
      keyed.sort((a, b) => a[0] - b[0]);
      layer.splice(0, layer.length, ...keyed.map(([, id]) => id));
      layer.forEach((id, i) => pos.set(id, i / Math.max(1, layer.length)));
    }
  }
  // Vertical placement: stack each layer, then pull nodes towards the
  // mean of their neighbours while keeping order and spacing.
  const y = new Map<string, number>();
  let height = 0;
  for (const layer of layers) {
    let at = 0;
    for (const id of layer) {
      y.set(id, at);
      at += size.get(id)!.height + NODESEP;
    }
    height = Math.max(height, at);
  }
  for (const layer of layers) {
    const h = layer.reduce((s, id) => s + size.get(id)!.height + NODESEP, 0);
    const shift = (height - h) / 2;
    for (const id of layer) y.set(id, y.get(id)! + shift);
  }
  const centre = (id: string) => y.get(id)! + size.get(id)!.height / 2;
  for (let iter = 0; iter < 4; iter++) {
    const down = iter % 2 === 0;
    for (const layer of down ? layers : [...layers].reverse()) {
      const want = layer.map((id) => {
        const ns = [...preds.get(id)!, ...succs.get(id)!];
        if (!ns.length) return y.get(id)!;
        let sum = 0;
        for (const n of ns) sum += centre(n);
        return sum / ns.length - size.get(id)!.height / 2;
      });
      // Forward pass keeps order and spacing; backward pass pulls up.
      for (let i = 0; i < layer.length; i++) {
        const min = i === 0 ? -Infinity : y.get(layer[i - 1])! + size.get(layer[i - 1])!.height + NODESEP;
        y.set(layer[i], Math.max(want[i], min));
      }
      for (let i = layer.length - 2; i >= 0; i--) {
        const max = y.get(layer[i + 1])! - size.get(layer[i])!.height - NODESEP;
        y.set(layer[i], Math.min(y.get(layer[i])!, Math.max(want[i], max)));
      }
    }
  }
  let top = Infinity;
  let bottom = -Infinity;
  for (const id of ids) {
    top = Math.min(top, y.get(id)!);
    bottom = Math.max(bottom, y.get(id)! + size.get(id)!.height);
  }
  const colWidth = Math.max(0, ...input.nodes.map((n) => n.width)) + RANKSEP;
  const positions: LayoutResult['positions'] = {};
  for (const id of ids) {
    const n = size.get(id)!;
    positions[id] = { x: MARGIN + rank.get(id)! * colWidth, y: MARGIN + y.get(id)! - top, width: n.width, height: n.height };
  }
  return {
    positions,
    width: 2 * MARGIN + (maxRank + 1) * colWidth - RANKSEP,
    height: ids.length ? 2 * MARGIN + bottom - top : 0,
    engine: 'layered',
  };
}
