// One bar over all partitions, drawn on a canvas from state ranges in
// proportion (see lib/partitionBar). Hover shows the partition key and
// state; click-drag selects a range of keys.
import { useEffect, useMemo, useRef, useState, type PointerEvent } from 'react';
import { useWidth } from './useWidth';
import { barSegments, hitTest, keyAt, rangeOffsets, totalCount, indexAtX, type StateRange } from '../lib/partitionBar';
import { partitionColor } from '../theme';
import { enumWords, keyRange } from '../lib/words';

export interface PartitionBarProps {
  ranges: readonly StateRange[];
  /** Partitions kind (`daily`...), to name partitions inside ranges. */
  kind?: string | null;
  /** Static keys, when known. */
  keys?: readonly string[] | null;
  height?: number;
  /** Enables click-drag selection; `indexes` are the first and last partition's (pass them back as `selection`). */
  onSelect?: (start: string, end: string, count: number, indexes: [number, number]) => void;
  /** Highlighted selection (partition indexes, inclusive): what was dragged stays drawn after mouse-up. */
  selection?: [number, number] | null;
  onDrawn?: (ms: number) => void;
  label?: string;
  testId?: string;
}

const MIN_WIDTH = 3;

export function PartitionBar({ ranges, kind, keys, height = 28, onSelect, selection, onDrawn, label, testId }: PartitionBarProps) {
  const [wrap, width] = useWidth<HTMLDivElement>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ x: number; index: number; range: number } | null>(null);
  const [drag, setDrag] = useState<[number, number] | null>(null);
  const offsets = useMemo(() => rangeOffsets(ranges), [ranges]);
  const total = useMemo(() => totalCount(ranges), [ranges]);
  const segments = useMemo(() => barSegments(ranges, width, MIN_WIDTH), [ranges, width]);
  const slivers = useMemo(() => segments.filter((s) => s.sliver), [segments]);

  useEffect(() => {
    const c = canvas.current;
    if (!c || !width) return;
    const started = performance.now();
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    let color = '';
    for (const s of segments) {
      const c2 = partitionColor(s.state);
      if (c2 !== color) ctx.fillStyle = color = c2;
      ctx.fillRect(s.x, 0, s.width, height);
    }
    const sel = drag ?? selection;
    if (sel && total) {
      const [a, b] = sel[0] <= sel[1] ? sel : [sel[1], sel[0]];
      const x0 = (a / total) * width;
      const x1 = ((b + 1) / total) * width;
      ctx.fillStyle = 'rgba(20, 40, 80, 0.18)';
      ctx.fillRect(x0, 0, Math.max(x1 - x0, 2), height);
      ctx.strokeStyle = '#1b2b4a';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0 + 0.75, 0.75, Math.max(x1 - x0, 2) - 1.5, height - 1.5);
    }
    onDrawn?.(performance.now() - started);
  }, [segments, width, height, drag, selection, total, onDrawn]);

  const xOf = (event: PointerEvent) => {
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    return Math.max(0, Math.min(width - 0.001, event.clientX - rect.left));
  };
  const onMove = (event: PointerEvent) => {
    const x = xOf(event);
    const hit = hitTest(ranges, offsets, slivers, x, width);
    setHover(hit ? { x, ...hit } : null);
    if (drag) setDrag([drag[0], indexAtX(x, width, total)]);
  };
  const onDown = (event: PointerEvent) => {
    if (!onSelect || !total) return;
    (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
    const hit = hitTest(ranges, offsets, slivers, xOf(event), width);
    const i = hit ? hit.index : indexAtX(xOf(event), width, total);
    setDrag([i, i]);
  };
  const onUp = () => {
    if (!drag || !onSelect) return;
    const [a, b] = drag[0] <= drag[1] ? drag : [drag[1], drag[0]];
    const start = keyAt(ranges, offsets, a, kind, keys);
    const end = keyAt(ranges, offsets, b, kind, keys);
    setDrag(null);
    if (start && end) onSelect(start, end, b - a + 1, [a, b]);
  };

  const shown = drag ?? selection;
  const hovered = hover ? ranges[hover.range] : null;
  const hoverKey = hover ? keyAt(ranges, offsets, hover.index, kind, keys) : null;
  return (
    <div
      className="pbar"
      ref={wrap}
      data-testid={testId}
      data-selection={shown ? `${Math.min(shown[0], shown[1])}-${Math.max(shown[0], shown[1])}` : undefined}
      aria-label={label ?? 'partition status bar'}
    >
      <canvas
        ref={canvas}
        style={{ width: '100%', height, cursor: onSelect ? 'crosshair' : 'default' }}
        onPointerMove={onMove}
        onPointerLeave={() => setHover(null)}
        onPointerDown={onDown}
        onPointerUp={onUp}
      />
      {hover && hovered && (
        <div className="pbar-tip" style={{ left: Math.min(Math.max(hover.x, 80), Math.max(80, width - 80)) }} role="tooltip">
          <strong>{hoverKey ?? keyRange(hovered.start, hovered.end)}</strong>
          <span className="pbar-tip-state" style={{ color: partitionColor(hovered.state) }}>
            {' '}
            {enumWords(hovered.state)}
          </span>
          {hovered.count > 1 && (
            <div className="muted small">
              in {keyRange(hovered.start, hovered.end)} ({hovered.count.toLocaleString('en-US')})
            </div>
          )}
        </div>
      )}
    </div>
  );
}

export function Legend({ states, colorOf }: { states: string[]; colorOf: (s: string) => string }) {
  return (
    <div className="legend">
      {states.map((s) => (
        <span key={s} className="legend-item">
          <i style={{ background: colorOf(s) }} />
          {enumWords(s)}
        </span>
      ))}
    </div>
  );
}
