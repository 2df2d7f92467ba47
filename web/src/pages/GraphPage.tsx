// The lineage graph (home page): a layered left-to-right DAG of the whole
// project or of a selection, coloured by asset state, with search, focus
// (upstream/downstream highlighting), collapsible groups, minimap and
// live updates from `assetEvents`.
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { useClient, useQuery, useSubscription } from 'urql';
import {
  Background,
  ControlButton,
  Controls,
  Handle,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore,
  ViewportPortal,
  type Edge,
  type Node,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { AssetEventsDoc, LineageDoc } from '../api/operations';
import { failingChecksMark, failingChecksMarks } from '../lib/words';
import type { AssetEventsSubscription, LineageQuery, LineageQueryVariables } from '../api/generated';
import {
  adjacency,
  closure,
  collapsibleGroups,
  disjointStats,
  downstreamSelection,
  highlightOf,
  litEdgeIds,
  withUpdates,
  layoutInput,
  memberChecks,
  searchKeys,
  stateCounts,
  visibleGraph,
  worstState,
  type GraphAsset,
  type Related,
  type VisibleGraph,
} from '../lib/graphModel';
import { DAGRE_LIMIT, type LayoutResult } from '../lib/layout';
import { layoutAsync } from '../lib/layoutClient';
import { ASSET_STATES, assetColor } from '../theme';
import { Link, assetPath, navigate, useLocation } from '../router';
import { BackfillDialog } from '../components/BackfillDialog';
import { SelectionHelp } from '../components/SelectionHelp';
import { SELECTION_PLACEHOLDER } from '../lib/selectionSyntax';
import { ErrorState } from '../components/ui';
import { takePrefetchedLineage } from '../api/prefetched';
import { CanvasMiniMap } from '../components/CanvasMiniMap';
import { FocusChecks } from '../components/FocusChecks';
import { errorText } from '../api/client';
import { useKept } from '../lib/kept';
import { cellsOf, fitBounds, jumpViewports, sameCells, unionCells, windowCells, type Cells, type Viewport } from '../lib/viewport';
import './GraphPage.css';

/**
 * Focus highlighting lives outside the node objects: changing the focus
 * re-renders only the nodes whose highlight changes, and xyflow keeps its
 * measurements (rebuilding 2,000 node objects costs seconds). Dimming is a
 * class on the canvas (`graph-focused`), so a node left dim is not
 * re-rendered: only the focused asset and its upstream and downstream are.
 */
type Highlight = '' | 'focus' | 'related';
const focusStore = {
  focus: null as string | null,
  related: null as Related | null,
  listeners: new Set<() => void>(),
  set(focus: string | null, related: Related | null) {
    if (focus === this.focus && related === this.related) return;
    this.focus = focus;
    this.related = related;
    this.listeners.forEach((l) => l());
  },
  subscribe(l: () => void) {
    focusStore.listeners.add(l);
    return () => void focusStore.listeners.delete(l);
  },
  of(keys: string[]): Highlight {
    const h = highlightOf(keys, focusStore.focus, focusStore.related);
    return h === 'dim' ? '' : h;
  },
};

function useHighlight(keys: string[]): Highlight {
  return useSyncExternalStore(focusStore.subscribe, () => focusStore.of(keys));
}

/** Above this many assets, groups start collapsed. */
export const COLLAPSE_ABOVE = 3000;
const WINDOW_CELL = 800;
/**
 * Edges' arrowheads: ids of markers the page defines once (EdgeMarkers),
 * not marker objects, which xyflow turns into ids edge by edge whenever the
 * edges it is given change (a pan to new cells, a focus).
 */
const EDGE_MARKER = 'cairn-arrow';
const LIT_EDGE_MARKER = 'cairn-arrow-lit';
const MARKERS = [
  { id: EDGE_MARKER, color: '#9aa4b5' },
  { id: LIT_EDGE_MARKER, color: '#2453c7' },
];

/** The arrowheads EDGE_MARKER and LIT_EDGE_MARKER: xyflow's closed arrow, 14 px. */
function EdgeMarkers() {
  return (
    <svg className="graph-markers" aria-hidden="true" width="0" height="0">
      <defs>
        {MARKERS.map((m) => (
          <marker key={m.id} id={m.id} className="react-flow__arrowhead" markerWidth="14" markerHeight="14" viewBox="-10 -10 20 20" markerUnits="strokeWidth" orient="auto-start-reverse" refX="0" refY="0">
            <polyline style={{ stroke: m.color, fill: m.color, strokeWidth: 1 }} strokeLinecap="round" strokeLinejoin="round" points="-5,-4 0,0 -5,4 -5,-4" />
          </marker>
        ))}
      </defs>
    </svg>
  );
}
/** The least zoom a jump to an asset ends at (its labels readable). */
const JUMP_ZOOM = 0.9;
const JUMP_MS = 300;
/** How far the focus's veil reaches beyond the layout (flow px). */
const DIM_MARGIN = 4000;
const PRO_OPTIONS = { hideAttribution: true };
const DEFAULT_EDGE_OPTIONS = { type: 'default' };
/** Below this zoom, labels are unreadable: start zoomed in instead of fitting. */
const MIN_FIT_ZOOM = 0.4;
/** Above this many drawn nodes, the first view is the top-left corner, not the whole graph. */
const BIG_GRAPH = 400;
const CORNER_VIEW = { x: 20, y: 20, zoom: 0.6 };
const FIT_OPTIONS = { padding: 0.08, maxZoom: 1.1 };
/** `fitted` after a new selection was applied: its first drawing is framed. */
const NEW_SELECTION = '\u0000new selection';
/** Above this many changed assets in one throttle window, the whole lineage is fetched again. */
const PARTIAL_REFRESH_LIMIT = 50;

type LineageNode = LineageQuery['lineage']['nodes'][number];

type AssetNodeData = { asset: GraphAsset };
type GroupNodeData = { group: string; keys: string[]; state: string; counts: Record<string, number>; checks: { failingErrorChecks: number; failingWarnChecks: number }; onToggle: (g: string) => void };
type BoxNodeData = { group: string; count: number; onToggle: (g: string) => void };

const zoomSelector = (s: { transform: [number, number, number] }) => s.transform[2] < 0.45;

const AssetNode = memo(function AssetNode({ data }: NodeProps<Node<AssetNodeData>>) {
  const { asset } = data;
  const far = useStore(zoomSelector);
  const highlight = useHighlight(useMemo(() => [asset.key], [asset.key]));
  const focus = highlight === 'focus';
  const related = highlight === 'related';
  const stats = asset.partitionStats;
  const partitioned = stats && stats.total > 1;
  const bar = partitioned ? disjointStats(stats) : null;
  const checks = failingChecksMark(asset);
  return (
    <div
      className={`gnode${focus ? ' focus' : ''}${related ? ' related' : ''}`}
      style={{ borderLeftColor: assetColor(asset.state) }}
      data-key={asset.key}
      data-state={asset.state}
      title={`${asset.key} — ${asset.state.toLowerCase()}${checks ? ` — ${checks.title}` : ''}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="gnode-key">{asset.key}</div>
      {!far && (
        <div className="gnode-meta">
          <span className={`kind kind-${asset.kind.toLowerCase()}`}>{asset.kind.toLowerCase()}</span>
          <span className="gnode-state" style={{ color: assetColor(asset.state) }}>
            {asset.state.toLowerCase()}
          </span>
          {checks && <ChecksMark mark={checks} />}
          {partitioned && (
            <span className="gnode-parts" title={`${stats.materialized} of ${stats.total} partitions materialized`}>
              {stats.materialized}/{stats.total}
            </span>
          )}
        </div>
      )}
      {!far && bar && stats && (
        <div className="gnode-bar">
          <i style={{ width: `${(bar.fresh / stats.total) * 100}%`, background: assetColor('FRESH') }} />
          <i style={{ width: `${(bar.stale / stats.total) * 100}%`, background: assetColor('STALE') }} />
          <i style={{ width: `${(bar.failed / stats.total) * 100}%`, background: assetColor('FAILED') }} />
          <i style={{ width: `${(bar.materializing / stats.total) * 100}%`, background: assetColor('MATERIALIZING') }} />
        </div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

/** A node's failing checks: `✕ n` in the error colour or `⚠ n` in the warn colour. */
function ChecksMark({ mark }: { mark: { level: 'error' | 'warn'; count: number; title: string } }) {
  return (
    <span className={`gnode-checks gnode-checks-${mark.level}`} title={mark.title} data-testid="node-checks" data-level={mark.level}>
      {mark.level === 'error' ? '✕' : '⚠'} {mark.count}
    </span>
  );
}

const GroupNode = memo(function GroupNode({ data }: NodeProps<Node<GroupNodeData>>) {
  const highlight = useHighlight(data.keys);
  const marks = failingChecksMarks(data.checks);
  return (
    <div
      className={`gnode gnode-group${highlight ? ' lit' : ''}`}
      style={{ borderLeftColor: assetColor(data.state) }}
      data-group={data.group}
      title={`${data.group}: ${data.keys.length} assets${marks.length ? ` — ${marks.map((m) => m.title).join(', ')}` : ''} (click to expand)`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="gnode-key">
        group:{data.group} <span className="muted">({data.keys.length})</span>
      </div>
      <div className="gnode-meta">
        {/* First: the line is cut at the node's width, and the marks matter more than the counts. */}
        {marks.map((m) => (
          <ChecksMark key={m.level} mark={m} />
        ))}
        {Object.entries(data.counts).map(([s, n]) => (
          <span key={s} style={{ color: assetColor(s) }}>
            {n} {s.toLowerCase()}
          </span>
        ))}
      </div>
      <button
        className="gnode-toggle nodrag"
        onClick={(e) => {
          // The node's own click expands it too: once is enough.
          e.stopPropagation();
          data.onToggle(data.group);
        }}
        title="Expand group"
      >
        expand
      </button>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const BoxNode = memo(function BoxNode({ data }: NodeProps<Node<BoxNodeData>>) {
  return (
    <div className="gbox">
      <div className="gbox-head">
        <span>group:{data.group}</span>
        <button className="gnode-toggle nodrag" onClick={() => data.onToggle(data.group)} title="Collapse group">
          collapse
        </button>
      </div>
    </div>
  );
});

const nodeTypes = { asset: AssetNode, assetgroup: GroupNode, box: BoxNode };

function structureKey(graph: VisibleGraph): string {
  return graph.nodes.map((n) => n.id + (n.parent ?? '')).join('\n') + '\n--\n' + graph.edges.map((e) => e.id).join('\n');
}

function GraphInner() {
  const { search } = useLocation();
  const selectionParam = search.get('selection') ?? '';
  const [selectionText, setSelectionText] = useState(selectionParam);
  useEffect(() => setSelectionText(selectionParam), [selectionParam]);
  // The first lineage may come from the prefetch started by index.html;
  // urql takes over (refetches) from the first asset event on, or at once
  // when there was no usable prefetch.
  const [prefetch] = useState(() => takePrefetchedLineage(selectionParam || null));
  const [prefetched, setPrefetched] = useState<LineageQuery | null>(null);
  const [usePrefetch, setUsePrefetch] = useState(!!prefetch);
  const [prefetchSelection] = useState(selectionParam);
  const fromPrefetch = selectionParam === prefetchSelection;
  const paused = usePrefetch && fromPrefetch;
  useEffect(() => {
    if (!prefetch) return;
    let alive = true;
    void prefetch.then((data) => {
      if (!alive) return;
      if (data) setPrefetched(data);
      else setUsePrefetch(false);
    });
    return () => {
      alive = false;
    };
  }, [prefetch]);
  const [query, refetchQuery] = useQuery<LineageQuery, LineageQueryVariables>({
    query: LineageDoc,
    variables: { selection: selectionParam || null, depth: 0 },
    pause: paused,
  });
  const refetch = useCallback(
    (opts: { requestPolicy: 'network-only' }) => {
      setUsePrefetch(false);
      refetchQuery(opts);
    },
    [refetchQuery],
  );
  const current = paused || (fromPrefetch && !query.data && prefetched && !query.error) ? { data: query.data ?? prefetched ?? undefined, error: query.error } : query;
  // A failed refetch keeps the drawing (with a banner), as long as the selection is the same.
  const kept = useKept(current.data, !!current.error);
  const keptSelection = useRef(selectionParam);
  if (current.data) keptSelection.current = selectionParam;
  const result = { data: current.data ?? (keptSelection.current === selectionParam ? kept.data : undefined), error: current.error };
  const flow = useReactFlow();

  // Live states (throttled): when assets are materialized or checked, only
  // they and their downstream are fetched again (`key+`) and replace their
  // nodes; many at once, or a failed partial fetch, refetch the lineage.
  const client = useClient();
  const lastRefetch = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const changed = useRef(new Set<string>());
  const base = useRef(result.data);
  base.current = result.data;
  const [updates, setUpdates] = useState<{ base: LineageQuery | undefined; nodes: Map<string, LineageNode> }>({ base: undefined, nodes: new Map() });
  const refreshChanged = useCallback(() => {
    const keys = changed.current;
    changed.current = new Set();
    const drawn = base.current;
    if (!drawn || keys.size > PARTIAL_REFRESH_LIMIT) return refetch({ requestPolicy: 'network-only' });
    void client
      .query<LineageQuery, LineageQueryVariables>(LineageDoc, { selection: downstreamSelection(keys), depth: 0 }, { requestPolicy: 'network-only' })
      .toPromise()
      .then((r) => {
        if (!r.data || r.error) return refetch({ requestPolicy: 'network-only' });
        const fresh = r.data.lineage.nodes;
        setUpdates((prev) => {
          const nodes = new Map(prev.base === drawn ? prev.nodes : []);
          for (const n of fresh) nodes.set(n.key, n);
          return { base: drawn, nodes };
        });
      });
  }, [client, refetch]);
  useSubscription<AssetEventsSubscription>({ query: AssetEventsDoc, variables: { selection: null } }, (_prev, event) => {
    changed.current.add(event.assetEvents.asset);
    const now = Date.now();
    const wait = Math.max(0, 1500 - (now - lastRefetch.current));
    if (!pending.current) {
      pending.current = setTimeout(() => {
        pending.current = null;
        lastRefetch.current = Date.now();
        refreshChanged();
      }, wait);
    }
    return event;
  });
  useEffect(() => () => void (pending.current && clearTimeout(pending.current)), []);

  const assets: readonly GraphAsset[] = useMemo(() => {
    if (result.data) performance.mark('cairn:lineage-data');
    const nodes = result.data?.lineage.nodes ?? [];
    return updates.base === result.data ? withUpdates(nodes, updates.nodes) : nodes;
  }, [result.data, updates]);
  const edges = useMemo(() => result.data?.lineage.edges ?? [], [result.data]);
  const byKey = useMemo(() => new Map(assets.map((a) => [a.key, a])), [assets]);
  const adj = useMemo(() => adjacency(edges), [edges]);
  const groups = useMemo(() => collapsibleGroups(assets), [assets]);

  const [collapsed, setCollapsed] = useState<Set<string> | null>(null);
  useEffect(() => {
    if (result.data && collapsed === null) setCollapsed(new Set(assets.length > COLLAPSE_ABOVE ? groups : []));
  }, [result.data, assets.length, groups, collapsed]);
  const toggleGroup = useCallback((g: string) => {
    setCollapsed((prev) => {
      const next = new Set(prev ?? []);
      if (next.has(g)) next.delete(g);
      else next.add(g);
      return next;
    });
  }, []);

  const visible = useMemo(() => {
    if (!collapsed) return null;
    const nodeCount = assets.length - [...collapsed].reduce((s, g) => s + Math.max(0, assets.filter((a) => a.group === g).length - 1), 0);
    return visibleGraph(assets, edges, collapsed, nodeCount <= DAGRE_LIMIT);
  }, [assets, edges, collapsed]);
  const structure = useMemo(() => (visible ? structureKey(visible) : ''), [visible]);

  const [layout, setLayout] = useState<{ structure: string; result: LayoutResult } | null>(null);
  const [layoutError, setLayoutError] = useState<string | null>(null);
  useEffect(() => {
    if (!visible) return;
    let alive = true;
    performance.mark('cairn:layout-start');
    layoutAsync(layoutInput(visible))
      .then((r) => {
        performance.mark('cairn:layout-done');
        if (alive) setLayout({ structure, result: r });
      })
      .catch((e) => alive && setLayoutError(String(e)));
    return () => {
      alive = false;
    };
    // The layout depends on the structure only, not on states.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [structure]);

  const [focus, setFocus] = useState<string | null>(null);
  const related = useMemo(() => {
    if (!focus || !byKey.has(focus)) return null;
    return { up: closure(focus, adj.up), down: closure(focus, adj.down) };
  }, [focus, adj, byKey]);

  // While a new layout is computed, the previous drawing stays.
  const lastNodes = useRef<Node[]>([]);
  const lastEdges = useRef<Edge[]>([]);
  const rfNodes: Node[] = useMemo(() => {
    if (!layout || !visible || layout.structure !== structure) return visible && visible.nodes.length === 0 ? [] : lastNodes.current;
    const pos = layout.result.positions;
    const nodes: Node[] = [];
    const boxPos = new Map<string, { x: number; y: number }>();
    for (const b of visible.boxes) {
      const p = pos[b.id];
      if (!p) continue;
      boxPos.set(b.id, p);
      nodes.push({
        id: b.id,
        type: 'box',
        position: { x: p.x, y: p.y - 24 },
        style: { width: p.width, height: p.height + 24 },
        data: { group: b.group, count: b.keys.length, onToggle: toggleGroup },
        selectable: false,
        draggable: false,
        zIndex: -1,
      });
    }
    for (const n of visible.nodes) {
      const p = pos[n.id];
      if (!p) continue;
      if (n.type === 'group') {
        const states = n.keys.map((k) => byKey.get(k)?.state ?? 'MISSING');
        nodes.push({
          id: n.id,
          type: 'assetgroup',
          position: { x: p.x, y: p.y },
          width: p.width,
          height: p.height,
          data: { group: n.group, keys: n.keys, state: worstState(states), counts: stateCounts(states), checks: memberChecks(n.keys, byKey), onToggle: toggleGroup },
          draggable: false,
        });
      } else {
        const asset = byKey.get(n.id)!;
        nodes.push({
          id: n.id,
          type: 'asset',
          position: { x: p.x, y: p.y },
          width: p.width,
          height: p.height,
          data: { asset },
          draggable: false,
        });
      }
    }
    lastNodes.current = nodes;
    return nodes;
  }, [layout, visible, structure, byKey, toggleGroup]);
  // Before the frame is painted: the canvas's class dims at the same time.
  useLayoutEffect(() => focusStore.set(focus, related), [focus, related]);

  // Edges are built once per layout. Focusing replaces only the lit ones
  // (xyflow re-renders an edge whose object changed); the canvas's class
  // dims the others.
  const baseEdges: Edge[] = useMemo(() => {
    if (!visible || !layout || layout.structure !== structure) return visible && visible.nodes.length === 0 ? [] : lastEdges.current;
    return (lastEdges.current = visible.edges.map((e) => ({
      id: e.id,
      source: e.from,
      target: e.to,
      label: e.count > 1 ? String(e.count) : undefined,
      markerEnd: EDGE_MARKER,
    })));
  }, [visible, layout, structure]);
  const lit = useMemo(() => (visible && related ? litEdgeIds(visible.edges, focus, related) : null), [visible, focus, related]);
  const rfEdges: Edge[] = useMemo(() => (lit?.size ? baseEdges.map((e) => (lit.has(e.id) ? { ...e, className: 'edge-lit', markerEnd: LIT_EDGE_MARKER } : e)) : baseEdges), [baseEdges, lit]);

  // Windowing: xyflow's cost grows with the nodes it is given, even with
  // onlyRenderVisibleElements, so big graphs get the nodes near the
  // viewport only (in cells of WINDOW_CELL px, with a margin), and the
  // edges touching them.
  const [cell, setCell] = useState<Cells | null>(null);
  const canvasRef = useRef<HTMLDivElement>(null);
  const viewSize = useCallback(() => ({ width: canvasRef.current?.clientWidth ?? 1400, height: canvasRef.current?.clientHeight ?? 900 }), []);
  // While a jump animates, the drawn window stays the one around its end.
  const jumping = useRef(0);
  const updateWindow = useCallback(
    (vp: Viewport, force = false) => {
      if (jumping.current && !force) return;
      const next = windowCells(vp, viewSize(), WINDOW_CELL);
      setCell((c) => (sameCells(c, next) ? c : next));
    },
    [viewSize],
  );
  const windowed = rfNodes.length > BIG_GRAPH;
  const shownNodes = useMemo(() => {
    if (!windowed) return rfNodes;
    const c = cell ?? { x0: -1, y0: -1, x1: 2600 / WINDOW_CELL, y1: 1600 / WINDOW_CELL };
    const x0 = c.x0 * WINDOW_CELL;
    const y0 = c.y0 * WINDOW_CELL;
    const x1 = (c.x1 + 1) * WINDOW_CELL;
    const y1 = (c.y1 + 1) * WINDOW_CELL;
    const inside = new Set<string>();
    for (const n of rfNodes) {
      const w = (n.width as number) ?? 0;
      const h = (n.height as number) ?? 0;
      if (n.position.x + w >= x0 && n.position.x <= x1 && n.position.y + h >= y0 && n.position.y <= y1) inside.add(n.id);
    }
    // Keep the far ends of edges leaving the window, so edges stay drawn.
    const keep = new Set(inside);
    for (const e of baseEdges) {
      if (inside.has(e.source)) keep.add(e.target);
      else if (inside.has(e.target)) keep.add(e.source);
    }
    return rfNodes.filter((n) => keep.has(n.id) || n.type === 'box');
  }, [windowed, rfNodes, baseEdges, cell]);
  const shownEdges = useMemo(() => {
    if (!windowed) return rfEdges;
    const ids = new Set(shownNodes.map((n) => n.id));
    return rfEdges.filter((e) => ids.has(e.source) && ids.has(e.target));
  }, [windowed, rfEdges, shownNodes]);
  const minimapItems = useMemo(
    () =>
      rfNodes
        .filter((n) => n.type !== 'box')
        .map((n) => ({
          x: n.position.x,
          y: n.position.y,
          width: (n.width as number) ?? 0,
          height: (n.height as number) ?? 0,
          color: assetColor(n.type === 'assetgroup' ? (n.data as GroupNodeData).state : (n.data as AssetNodeData).asset.state),
        })),
    [rfNodes],
  );

  // Fit the whole graph when it stays readable; else start at its top-left corner.
  const fitZoom = layout
    ? Math.min((canvasRef.current?.clientWidth ?? 1400) / Math.max(1, layout.result.width), (canvasRef.current?.clientHeight ?? 800) / Math.max(1, layout.result.height))
    : 1;
  const bigGraph = rfNodes.length > BIG_GRAPH || fitZoom < MIN_FIT_ZOOM;
  // Fit the layout's bounds, not the nodes xyflow was handed: above
  // BIG_GRAPH nodes it only has those near the viewport.
  const fitWhole = useCallback(() => {
    if (!layout) return;
    const el = canvasRef.current;
    void flow.setViewport(fitBounds(layout.result, { width: el?.clientWidth ?? 1400, height: el?.clientHeight ?? 800 }, 0.04, 0.01, 1.1), { duration: 200 });
  }, [layout, flow]);

  // Ready marker (tests and perf): the nodes are in the DOM.
  const readyRef = useRef<HTMLDivElement>(null);
  const fitted = useRef<string>('');
  useEffect(() => {
    // Only once this structure's layout is drawn (not the previous drawing kept meanwhile).
    if (!rfNodes.length || !layout || layout.structure !== structure) return;
    performance.mark('cairn:nodes-effect');
    if (fitted.current !== structure) {
      const previous = fitted.current;
      fitted.current = structure;
      // The first view comes from ReactFlow's props (no second render); a
      // new selection is framed anew; other changes keep the view unless
      // it showed the whole graph.
      if (previous === NEW_SELECTION) void (bigGraph ? flow.setViewport(CORNER_VIEW) : flow.fitView(FIT_OPTIONS));
      else if (previous && !focus && !bigGraph) void flow.fitView(FIT_OPTIONS);
    }
    requestAnimationFrame(() => {
      performance.mark('cairn:raf1');
      requestAnimationFrame(() => {
        if (readyRef.current && readyRef.current.dataset.ready !== 'true') {
          readyRef.current.dataset.ready = 'true';
          performance.mark('cairn:graph-ready');
        }
      });
    });
  }, [rfNodes, layout, structure, flow, focus, bigGraph]);

  // Jumping to an asset: expand its group, focus it, centre on it. An
  // asset out of view is shown at once, off-centre, then glided to the
  // centre (lib/viewport.ts, jumpViewports); the drawn window is the one
  // around the jump's end for the whole animation.
  const jumpSeq = useRef(0);
  const moveTo = useCallback(
    (key: string, positions: LayoutResult['positions']) => {
      const p = positions[key];
      if (!p) return false;
      const current = flow.getViewport();
      const view = viewSize();
      const { start, end } = jumpViewports(current, view, p, JUMP_ZOOM);
      const id = ++jumpSeq.current;
      jumping.current = id;
      if (start) {
        // The target first, with what shares its cell (and its edges' far
        // ends): the frame after Enter mounts a few nodes, not a screenful,
        // and the glide's frames stay light; the rest of the window is
        // drawn when the glide ends.
        const first = cellsOf(p, WINDOW_CELL);
        setCell((c) => (sameCells(c, first) ? c : first));
        void flow.setViewport(start);
      } else {
        // A glide from the current view (the target in it): what it shows stays drawn too.
        const cells = unionCells(windowCells(end, view, WINDOW_CELL), windowCells(current, view, WINDOW_CELL));
        setCell((c) => (sameCells(c, cells) ? c : cells));
      }
      void flow.setViewport(end, { duration: JUMP_MS });
      // Not the animation's promise: a pan during the animation interrupts it, and it never settles.
      setTimeout(() => {
        if (jumping.current !== id) return;
        jumping.current = 0;
        updateWindow(flow.getViewport());
      }, JUMP_MS + 50);
      return true;
    },
    [flow, viewSize, updateWindow],
  );
  const [pendingJump, setPendingJump] = useState<string | null>(null);
  const jumpTo = useCallback(
    (key: string) => {
      const a = byKey.get(key);
      if (!a) return;
      setFocus(key);
      if (collapsed?.has(a.group)) toggleGroup(a.group);
      // At once when the asset is drawn in the current layout; else once its layout is.
      else if (layout && layout.structure === structure && moveTo(key, layout.result.positions)) return;
      setPendingJump(key);
    },
    [byKey, collapsed, toggleGroup, layout, structure, moveTo],
  );
  useEffect(() => {
    if (!pendingJump || !layout || layout.structure !== structure) return;
    if (moveTo(pendingJump, layout.result.positions)) setPendingJump(null);
  }, [pendingJump, layout, structure, moveTo]);

  const [backfill, setBackfill] = useState<string | null>(null);
  const focused = focus ? byKey.get(focus) : undefined;
  const assetKeys = useMemo(() => assets.map((a) => a.key), [assets]);
  // ReactFlow's handlers keep their identity: a new one re-renders every
  // drawn node's wrapper (a new defaultEdgeOptions, every drawn edge).
  const onMove = useCallback((_: unknown, vp: Viewport) => updateWindow(vp), [updateWindow]);
  const onInit = useCallback((instance: { getViewport: () => Viewport }) => updateWindow(instance.getViewport()), [updateWindow]);
  const onNodeClick = useCallback(
    (_: unknown, node: Node) => {
      if (node.type === 'asset') setFocus((f) => (node.id === f ? null : node.id));
      else if (node.type === 'assetgroup') toggleGroup((node.data as GroupNodeData).group);
    },
    [toggleGroup],
  );
  const onNodeDoubleClick = useCallback((_: unknown, node: Node) => node.type === 'asset' && navigate(assetPath(node.id)), []);
  const onPaneClick = useCallback(() => setFocus(null), []);
  const nodeCount = useMemo(() => rfNodes.filter((n) => n.type !== 'box').length, [rfNodes]);

  const applySelection = (text: string) => {
    const q = text.trim();
    navigate(q ? `/?selection=${encodeURIComponent(q)}` : '/');
    setCollapsed(null);
    setFocus(null);
    fitted.current = NEW_SELECTION;
    if (readyRef.current) delete readyRef.current.dataset.ready;
  };

  return (
    <div className="graph-page" ref={readyRef} data-testid="graph" data-node-count={nodeCount}>
      <div className="graph-toolbar">
        <SearchBox keys={assetKeys} onPick={jumpTo} />
        <form
          className="selection-form"
          onSubmit={(e) => {
            e.preventDefault();
            applySelection(selectionText);
          }}
        >
          <input
            className="selection-input"
            aria-label="Selection"
            name="selection"
            placeholder={SELECTION_PLACEHOLDER}
            title={`Selection, e.g. ${SELECTION_PLACEHOLDER}`}
            value={selectionText}
            onChange={(e) => setSelectionText(e.target.value)}
            spellCheck={false}
          />
          <SelectionHelp />
          <button className="btn" type="submit">
            Show
          </button>
          {selectionParam && (
            <button className="btn" type="button" onClick={() => applySelection('')}>
              All assets
            </button>
          )}
          <button className="btn" type="button" onClick={() => setBackfill(selectionParam || selectionText.trim())} title="Backfill the assets of this selection">
            Backfill selection…
          </button>
        </form>
        {groups.length > 0 && (
          <div className="group-actions">
            <button className="btn btn-small" onClick={() => setCollapsed(new Set(groups))}>
              Collapse groups
            </button>
            <button className="btn btn-small" onClick={() => setCollapsed(new Set())}>
              Expand groups
            </button>
          </div>
        )}
      </div>
      <div className={`graph-canvas${related ? ' graph-focused' : ''}`} ref={canvasRef}>
        {result.error && !result.data && <ErrorState error={result.error} what="the lineage" />}
        {result.error && result.data && <div className="banner banner-warn">{errorText(result.error)}</div>}
        {layoutError && <div className="banner banner-error">Layout failed: {layoutError}</div>}
        {result.data && assets.length === 0 && <div className="empty">No assets{selectionParam ? ` in \`${selectionParam}\`` : ''}.</div>}
        {!result.data && !result.error && <div className="loading">Loading the lineage…</div>}
        <EdgeMarkers />
        {rfNodes.length > 0 && <ReactFlow
          nodes={shownNodes}
          edges={shownEdges}
          onMove={onMove}
          onInit={onInit}
          fitView={!bigGraph}
          fitViewOptions={FIT_OPTIONS}
          defaultViewport={bigGraph ? CORNER_VIEW : undefined}
          nodeTypes={nodeTypes}
          onlyRenderVisibleElements
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable
          minZoom={0.01}
          maxZoom={2}
          proOptions={PRO_OPTIONS}
          onNodeClick={onNodeClick}
          onNodeDoubleClick={onNodeDoubleClick}
          onPaneClick={onPaneClick}
          defaultEdgeOptions={DEFAULT_EDGE_OPTIONS}
        >
          <Background gap={24} size={1} color="#e5e8ee" />
          <Controls showInteractive={false} showFitView={false}>
            <ControlButton onClick={fitWhole} title="Fit the whole graph" aria-label="fit view" data-testid="fit-view">
              <svg viewBox="0 0 32 30" width="12" height="12" aria-hidden="true">
                <path d="M3.7 11.3v-7.6h7.6M20.7 3.7h7.6v7.6M28.3 18.7v7.6h-7.6M11.3 26.3H3.7v-7.6" fill="none" stroke="currentColor" strokeWidth="3" />
              </svg>
            </ControlButton>
          </Controls>
          {layout && <CanvasMiniMap items={minimapItems} bounds={layout.result} />}
          {layout && (
            <ViewportPortal>
              <div className="graph-dim" style={{ left: -DIM_MARGIN, top: -DIM_MARGIN, width: layout.result.width + 2 * DIM_MARGIN, height: layout.result.height + 2 * DIM_MARGIN }} />
            </ViewportPortal>
          )}
        </ReactFlow>}
        <div className="graph-legend" aria-label="Legend">
          {ASSET_STATES.map((s) => (
            <span key={s.state} className="legend-item">
              <i style={{ background: s.color }} />
              {s.label}
            </span>
          ))}
          <span className="legend-item">
            <span className="gnode-checks gnode-checks-warn">⚠ n</span> warn checks failing
          </span>
          <span className="legend-item">
            <span className="gnode-checks gnode-checks-error">✕ n</span> error checks failing
          </span>
        </div>
        {focused && (
          <aside className="focus-panel" aria-label="Focused asset" data-testid="focus-panel">
            <div className="focus-key mono">{focused.key}</div>
            <div className="small">
              <span className={`kind kind-${focused.kind.toLowerCase()}`}>{focused.kind.toLowerCase()}</span>{' '}
              <span style={{ color: assetColor(focused.state) }}>{focused.state.toLowerCase()}</span>
              {focused.partitionStats && focused.partitionStats.total > 1 && (
                <>
                  {' '}
                  · {focused.partitionStats.materialized}/{focused.partitionStats.total} partitions
                </>
              )}
            </div>
            <FocusChecks assetKey={focused.key} />
            <div className="small muted">
              {related?.up.size ?? 0} upstream · {related?.down.size ?? 0} downstream
            </div>
            <div className="focus-actions">
              <Link className="btn btn-primary btn-small" to={assetPath(focused.key)}>
                Open asset
              </Link>
              <button className="btn btn-small" onClick={() => applySelection(`+${focused.key}+`)}>
                Show lineage only
              </button>
              <button className="btn btn-small" onClick={() => setBackfill(focused.key)}>
                Backfill…
              </button>
            </div>
          </aside>
        )}
      </div>
      {backfill !== null && <BackfillDialog selection={backfill} onClose={() => setBackfill(null)} />}
    </div>
  );
}

function SearchBox({ keys, onPick }: { keys: string[]; onPick: (key: string) => void }) {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const matches = useMemo(() => searchKeys(keys, query), [keys, query]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) {
        e.preventDefault();
        input.current?.focus();
        setOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const pick = (key: string) => {
    onPick(key);
    setOpen(false);
    setQuery(key);
    input.current?.blur();
  };
  const onKeyDown = (e: ReactKeyboardEvent) => {
    if (e.key === 'Escape') {
      if (query) setQuery('');
      else input.current?.blur();
      setOpen(false);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, matches.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter' && matches.length) {
      e.preventDefault();
      pick(matches[Math.min(active, matches.length - 1)]);
    }
  };
  return (
    <div className="search">
      <input
        ref={input}
        className="search-input"
        type="search"
        placeholder="Search assets  ( / )"
        aria-label="Search assets"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKeyDown}
        spellCheck={false}
      />
      {open && query.trim() && (
        <ul className="search-results" role="listbox">
          {matches.length === 0 && <li className="muted">No asset matches.</li>}
          {matches.map((k, i) => (
            <li
              key={k}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(k);
              }}
            >
              {k}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function GraphPage() {
  return (
    <ReactFlowProvider>
      <GraphInner />
    </ReactFlowProvider>
  );
}
