// A synthetic partition bar (`/__perf/bar?n=100000`) for `npm run perf`:
// renders n partitions as alternating ranges and records the draw time.
import { useEffect, useMemo, useRef, useState, useCallback } from 'react';
import { PartitionBar } from '../components/PartitionBar';
import type { StateRange } from '../lib/partitionBar';
import { useLocation } from '../router';

const STATES = ['MATERIALIZED', 'MISSING', 'STALE', 'MATERIALIZED', 'FAILED'];

export function PerfBarPage() {
  const { search } = useLocation();
  const n = Number(search.get('n') ?? 100_000);
  const started = useRef(0);
  const [show, setShow] = useState(false);
  const ranges = useMemo(() => {
    const out: StateRange[] = [];
    let i = 0;
    let k = 0;
    while (i < n) {
      const len = Math.min(n - i, 1 + ((k * 7919) % 5));
      out.push({ start: String(i), end: String(i + len - 1), count: len, state: STATES[k % STATES.length] });
      i += len;
      k++;
    }
    return out;
  }, [n]);
  const [drawn, setDrawn] = useState<{ draw: number; total: number } | null>(null);
  // The ranges exist first (as they would arrive from the API); the
  // measurement is from mounting the bar to its canvas drawn.
  useEffect(() => {
    const t = setTimeout(() => {
      started.current = performance.now();
      setShow(true);
    }, 50);
    return () => clearTimeout(t);
  }, []);
  const onDrawn = useCallback((ms: number) => {
    setDrawn((d) => d ?? { draw: ms, total: performance.now() - started.current });
  }, []);
  return (
    <div className="page">
      <h1>Partition bar: {n.toLocaleString('en-US')} partitions, {ranges.length.toLocaleString('en-US')} ranges</h1>
      {show && <PartitionBar ranges={ranges} onDrawn={onDrawn} onSelect={() => {}} testId="perf-bar" />}
      {drawn && (
        <p data-testid="perf-bar-result" data-draw={drawn.draw} data-total={drawn.total}>
          canvas drawn in {drawn.draw.toFixed(1)} ms, {drawn.total.toFixed(1)} ms from mount to drawn
        </p>
      )}
    </div>
  );
}
