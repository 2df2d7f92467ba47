import { describe, expect, test } from 'vitest';
import { runLayout, layeredLayout, dagreLayout, assignRanks, DAGRE_LIMIT } from '../src/lib/layout';
import { layoutInput, visibleGraph, type GraphAsset, type GraphEdge } from '../src/lib/graphModel';

/** Groups of 50 assets in 5 layers; the first layer of a group reads the previous group's last. */
export function synthGraph(n: number): { assets: GraphAsset[]; edges: GraphEdge[] } {
  const assets: GraphAsset[] = [];
  const edges: GraphEdge[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < n; i++) {
    const g = Math.floor(i / 50);
    const l = Math.floor((i % 50) / 10);
    const j = i % 10;
    const key = `g${g}/l${l}_${j}`;
    keys.add(key);
    assets.push({ key, kind: 'SQL', group: `g${g}`, state: 'FRESH' });
    if (l > 0) {
      edges.push({ from: `g${g}/l${l - 1}_${j}`, to: key });
      edges.push({ from: `g${g}/l${l - 1}_${(j * 7 + 3) % 10}`, to: key });
    } else if (g % 3 !== 0) edges.push({ from: `g${g - 1}/l4_${j}`, to: key });
  }
  return { assets, edges: edges.filter((e) => keys.has(e.from)) };
}

function checkLayout(assets: GraphAsset[], edges: GraphEdge[], result: ReturnType<typeof runLayout>) {
  for (const a of assets) expect(result.positions[a.key], a.key).toBeDefined();
  for (const e of edges) expect(result.positions[e.from].x).toBeLessThan(result.positions[e.to].x);
  // No two nodes overlap.
  const boxes = assets.map((a) => result.positions[a.key]).sort((p, q) => p.x - q.x || p.y - q.y);
  for (let i = 1; i < boxes.length; i++) {
    const p = boxes[i - 1];
    const q = boxes[i];
    if (p.x === q.x) expect(q.y).toBeGreaterThanOrEqual(p.y + p.height);
  }
}

describe('layout', () => {
  test('ranks follow edges and sources sit next to their first reader', () => {
    const ranks = assignRanks(['a', 'b', 'c', 'src'], [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'src', to: 'c' },
    ]);
    expect([ranks.get('a'), ranks.get('b'), ranks.get('c'), ranks.get('src')]).toEqual([0, 1, 2, 1]);
  });

  test('dagre lays out a small graph left to right with group boxes', () => {
    const { assets, edges } = synthGraph(60);
    const input = layoutInput(visibleGraph(assets, edges, new Set()));
    expect(input.boxes.length).toBe(2);
    const result = dagreLayout(input);
    expect(result.engine).toBe('dagre');
    checkLayout(assets, edges, result);
    expect(result.positions['box:g0']).toBeDefined();
  });

  // Its speed is measured by the perf script (npm run perf), not here.
  test('2,000 assets use the layered layout, without overlaps', () => {
    const { assets, edges } = synthGraph(2000);
    const input = layoutInput(visibleGraph(assets, edges, new Set(), false));
    expect(input.nodes.length).toBeGreaterThan(DAGRE_LIMIT);
    const result = runLayout(input);
    expect(result.engine).toBe('layered');
    checkLayout(assets, edges, result);
  });

  test('layered layout handles an empty graph and lone nodes', () => {
    expect(layeredLayout({ nodes: [], edges: [], boxes: [] }).positions).toEqual({});
    const r = layeredLayout({ nodes: [{ id: 'x', width: 10, height: 10 }], edges: [], boxes: [] });
    expect(r.positions.x).toEqual({ x: 20, y: 20, width: 10, height: 10 });
  });
});
