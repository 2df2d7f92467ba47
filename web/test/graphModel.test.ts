import { describe, expect, test } from 'vitest';
import { visibleGraph, layoutInput, collapsibleGroups, adjacency, closure, worstState, searchKeys, groupAssets, disjointStats, downstreamSelection, withUpdates, memberChecks, highlightOf, litEdgeIds, type GraphAsset } from '../src/lib/graphModel';

const asset = (key: string, state = 'FRESH'): GraphAsset => ({ key, kind: 'SQL', group: key.includes('/') ? key.split('/')[0] : key, state });
const assets = [asset('raw/a'), asset('raw/b'), asset('daily', 'STALE'), asset('mart/x', 'FAILED'), asset('mart/y'), asset('report')];
const edges = [
  { from: 'raw/a', to: 'daily' },
  { from: 'raw/b', to: 'daily' },
  { from: 'daily', to: 'mart/x' },
  { from: 'daily', to: 'mart/y' },
  { from: 'mart/x', to: 'mart/y' },
  { from: 'mart/y', to: 'report' },
];

describe('grouping', () => {
  test('groups by first path segment; only groups of several assets collapse', () => {
    expect([...groupAssets(assets).keys()]).toEqual(['raw', 'daily', 'mart', 'report']);
    expect(collapsibleGroups(assets)).toEqual(['raw', 'mart']);
  });

  test('expanded: every asset is a node inside its group box', () => {
    const g = visibleGraph(assets, edges, new Set());
    expect(g.nodes.map((n) => n.id)).toEqual(['raw/a', 'raw/b', 'daily', 'mart/x', 'mart/y', 'report']);
    expect(g.boxes.map((b) => b.id)).toEqual(['box:raw', 'box:mart']);
    expect(g.nodes.find((n) => n.id === 'raw/a')!.parent).toBe('box:raw');
    expect(g.nodes.find((n) => n.id === 'daily')!.parent).toBeUndefined();
    expect(g.edges).toHaveLength(6);
  });

  test('collapsing merges edges, counts them and drops edges inside the group', () => {
    const g = visibleGraph(assets, edges, new Set(['raw', 'mart', 'daily']));
    expect(g.nodes.map((n) => n.id)).toEqual(['group:raw', 'daily', 'group:mart', 'report']);
    expect(g.edges.map((e) => [e.id, e.count])).toEqual([
      ['group:raw->daily', 2],
      ['daily->group:mart', 2],
      ['group:mart->report', 1],
    ]);
    expect(g.nodeOf.get('mart/x')).toBe('group:mart');
    const input = layoutInput(g);
    expect(input.nodes.find((n) => n.id === 'group:raw')!.height).toBeGreaterThan(0);
    expect(input.boxes).toEqual([]);
  });

  test('10,000 assets in 100 groups collapse to 100 nodes', () => {
    const many: GraphAsset[] = [];
    for (let i = 0; i < 10_000; i++) many.push({ key: `g${i % 100}/a${i}`, kind: 'SQL', group: `g${i % 100}`, state: 'FRESH' });
    const g = visibleGraph(many, [], new Set(collapsibleGroups(many)));
    expect(g.nodes).toHaveLength(100);
    expect(g.nodes[0].keys).toHaveLength(100);
  });
});

describe('focus and search', () => {
  test('upstream and downstream closures', () => {
    const adj = adjacency(edges);
    expect([...closure('mart/y', adj.up)].sort()).toEqual(['daily', 'mart/x', 'raw/a', 'raw/b']);
    expect([...closure('daily', adj.down)].sort()).toEqual(['mart/x', 'mart/y', 'report']);
    expect(closure('report', adj.down).size).toBe(0);
  });

  test('a collapsed group takes its worst state', () => {
    expect(worstState(['FRESH', 'STALE', 'FAILED'])).toBe('FAILED');
    expect(worstState(['FRESH', 'MISSING'])).toBe('MISSING');
    expect(worstState([])).toBe('FRESH');
  });

  test('search ranks exact, prefix, segment, substring', () => {
    const keys = ['raw/flights', 'flights_daily', 'flights', 'delays_by_carrier', 'x_flights_y'];
    expect(searchKeys(keys, 'flights')).toEqual(['flights', 'flights_daily', 'raw/flights', 'x_flights_y']);
    expect(searchKeys(keys, '  ')).toEqual([]);
    expect(searchKeys(keys, 'CARRIER')).toEqual(['delays_by_carrier']);
  });
});

describe('graph words and counts', () => {
  test('node bar counts are disjoint and add up to the total', () => {
    // One unpartitioned stale asset: materialized 1 and stale 1 in partitionStats.
    expect(disjointStats({ total: 1, materialized: 1, stale: 1, failed: 0, materializing: 0, missing: 0 })).toEqual({ fresh: 0, stale: 1, failed: 0, materializing: 0, missing: 0 });
    const d = disjointStats({ total: 90, materialized: 80, stale: 5, failed: 2, materializing: 3, missing: 8 });
    expect(d.fresh + d.stale + d.failed + d.materializing + d.missing).toBe(90);
    expect(d.fresh).toBe(72);
  });
});

describe('live updates of a few nodes', () => {
  test('an event refetches its assets and their downstream, not the whole lineage', () => {
    expect(downstreamSelection(['b', 'raw/a', 'b'])).toBe('b+ raw/a+');
  });

  test('updated nodes replace those of the same key; others stay the same objects', () => {
    const nodes = [asset('raw/a'), asset('daily', 'STALE'), asset('report')];
    const updated = withUpdates(nodes, new Map([['daily', asset('daily', 'FRESH')], ['elsewhere', asset('elsewhere')]]));
    expect(updated.map((n) => n.state)).toEqual(['FRESH', 'FRESH', 'FRESH']);
    expect(updated[0]).toBe(nodes[0]);
    expect(updated).toHaveLength(3);
    expect(withUpdates(nodes, new Map([['elsewhere', asset('elsewhere')]]))).toBe(nodes);
  });
});

describe('collapsed group checks', () => {
  test("sums its members' failing error and warn checks; members without counts add nothing", () => {
    const byKey = new Map<string, Partial<GraphAsset>>([
      ['raw/a', { failingErrorChecks: 2, failingWarnChecks: 1 }],
      ['raw/b', { failingErrorChecks: 0, failingWarnChecks: 3 }],
      ['raw/c', {}],
      ['other', { failingErrorChecks: 5, failingWarnChecks: 5 }],
    ]);
    expect(memberChecks(['raw/a', 'raw/b', 'raw/c', 'raw/gone'], byKey)).toEqual({ failingErrorChecks: 2, failingWarnChecks: 4 });
    expect(memberChecks(['raw/c'], byKey)).toEqual({ failingErrorChecks: 0, failingWarnChecks: 0 });
  });
});

describe('focus highlighting', () => {
  const adj = adjacency(edges);
  const related = { up: closure('mart/x', adj.up), down: closure('mart/x', adj.down) };

  test('the focused asset, its lineage, the rest dim; nothing without a focus', () => {
    expect(highlightOf(['mart/x'], 'mart/x', related)).toBe('focus');
    expect(highlightOf(['raw/a'], 'mart/x', related)).toBe('related');
    expect(highlightOf(['report'], 'mart/x', related)).toBe('related');
    // mart/y reads mart/x: downstream.
    expect(highlightOf(['mart/y'], 'mart/x', related)).toBe('related');
    expect(highlightOf(['raw/b'], 'report', { up: closure('report', adj.up), down: new Set() })).toBe('related');
    expect(highlightOf(['raw/a'], 'report', { up: new Set(['mart/y']), down: new Set() })).toBe('dim');
    expect(highlightOf(['raw/a'], null, null)).toBe('');
    // A collapsed group: lit when one of its assets is.
    expect(highlightOf(['mart/x', 'mart/y'], 'daily', { up: new Set(['raw/a']), down: new Set(['mart/y']) })).toBe('related');
    expect(highlightOf(['raw/a', 'raw/b'], 'report', { up: new Set(['mart/y']), down: new Set() })).toBe('dim');
  });

  test('only edges between lit nodes are lit; the others keep their objects', () => {
    const graph = visibleGraph(assets, edges, new Set(), false);
    const lit = litEdgeIds(graph.edges, 'mart/x', related);
    const byEnds = (id: string) => graph.edges.find((e) => e.id === id)!;
    expect([...lit].map((id) => `${byEnds(id).from}>${byEnds(id).to}`).sort()).toEqual(['daily>mart/x', 'daily>mart/y', 'mart/x>mart/y', 'mart/y>report', 'raw/a>daily', 'raw/b>daily']);
    // raw/a's lineage is downstream only: raw/b's edge is not lit.
    const leaf = litEdgeIds(graph.edges, 'raw/a', { up: new Set(), down: closure('raw/a', adj.down) });
    expect([...leaf].map((id) => byEnds(id).from).includes('raw/b')).toBe(false);
    expect(leaf.size).toBe(5);
    expect(litEdgeIds(graph.edges, null, null).size).toBe(0);
  });

  test('edges to a collapsed group are never lit', () => {
    const graph = visibleGraph(assets, edges, new Set(['mart']), false);
    const lit = litEdgeIds(graph.edges, 'daily', { up: closure('daily', adj.up), down: closure('daily', adj.down) });
    for (const id of lit) {
      const e = graph.edges.find((x) => x.id === id)!;
      expect(e.from.startsWith('group:') || e.to.startsWith('group:')).toBe(false);
    }
    expect(lit.size).toBe(2);
  });
});
