// A run's log: its count, structured filters and lines. The lines come from
// a RunLogStore (lib/runLog, fed by lib/runEvents: past pages, then the
// live stream), appended every 250 ms to 1 s (lib/runLog's flushInterval),
// at an animation frame; this component alone re-renders then (the run's
// page does not), and of its blocks only those whose lines changed. The
// filter is applied incrementally (lib/logFilter's IncrementalFilter) and
// the list is virtualised (@tanstack/react-virtual) in blocks of BLOCK
// lines: only the blocks in view (and one either side, unless it follows
// the end) are in the DOM, each measured (a step's output spans several
// lines). It follows the end until the user scrolls up (lib/logFollow).
import { memo, type ReactElement, useCallback, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { observeElementOffset, useVirtualizer } from '@tanstack/react-virtual';
import { errorText } from '../api/client';
import { isoMillis, logTime } from '../format';
import { IncrementalFilter, displayLevel, type LogFilter, type LogLine } from '../lib/logFilter';
import { followsAfterScroll } from '../lib/logFollow';
import type { RunLogStore } from '../lib/runLog';
import { LogFilters } from './LogFilters';
import './RunLog.css';

/** A one-line row's height (12 px text, line height 1.45): blocks are measured, this is the guess before. */
const ROW_PX = 17.4;

/**
 * Lines to a block: the virtualiser lays out blocks of this many lines, not
 * lines. Its count then changes once every BLOCK lines, and each change
 * lays out lines / BLOCK items (@tanstack/virtual-core starts its
 * measurements over, in fresh arrays, when the count changes: per line, a
 * live run of 100,000 lines made arrays of 100,000 at each flush; watched
 * from its launch, peak renderer memory 363 MB to 345 MB, debug server).
 * A block is drawn whole, its lines in flow, and measured as one: the
 * blocks in view and one either side, a few dozen rows.
 */
const BLOCK = 16;

export interface RunLogLine extends LogLine {
  at: string;
}

export function RunLog<T extends RunLogLine>({ store, filter, onFilter }: { store: RunLogStore<T>; filter: LogFilter; onFilter: (f: LogFilter) => void }) {
  useSyncExternalStore(store.subscribe, store.version);
  const lines = store.lines;
  const [filterer] = useState(() => new IncrementalFilter<T>());
  const shown = filterer.update(lines, filter);
  const count = shown.length;
  const blocks = Math.ceil(count / BLOCK);
  const logRef = useRef<HTMLDivElement>(null);
  // A block's measured height is kept by its key: a new filter (a new
  // `shown`) makes new blocks, with new keys.
  const generation = useRef({ shown, n: 0 });
  if (generation.current.shown !== shown) generation.current = { shown, n: generation.current.n + 1 };
  const gen = generation.current.n;
  // A number, not a string: the virtualiser asks every block's key again
  // at each flush (the count changed), a string each would be garbage.
  const getItemKey = useCallback((i: number) => gen * 2 ** 32 + i, [gen]);
  // The virtualiser learns the scroll position from scroll events, a frame
  // late for a position the log sets itself: it is told at once (below), so
  // the rows at the new end are drawn in the same frame.
  const offsetChanged = useRef<((offset: number, isScrolling: boolean) => void) | null>(null);
  const following = useRef(true);
  const virtualizer = useVirtualizer({
    count: blocks,
    getScrollElement: () => logRef.current,
    estimateSize: (i) => ROW_PX * (Math.min(count, (i + 1) * BLOCK) - i * BLOCK),
    getItemKey,
    indexAttribute: 'data-block',
    // While the log follows its end, a flush draws the blocks at the new
    // end: those in view only (no block before them, drawn and thrown away
    // at the next flush); scrolled, one block either side.
    overscan: following.current ? 0 : 1,
    observeElementOffset: (instance, changed) => {
      offsetChanged.current = changed;
      return observeElementOffset(instance, changed);
    },
  });
  const total = virtualizer.getTotalSize();

  // Follow the end (lib/logFollow): before paint, when lines are added,
  // rows measured, the filter changed, and when the log first appears. The
  // position is judged here too (not only in onScroll), once the log has
  // put itself somewhere: a scroll of the user's that this render follows
  // is not undone.
  // While it follows, a block measured above the view does not move the view
  // (the virtualiser's default keeps the rows in view still): the log is put
  // at its new end instead. Otherwise that shift up would look like the
  // user scrolling up.
  const lastSetTop = useRef<number | null>(null);
  const judge = (el: HTMLElement) => {
    following.current = followsAfterScroll(following.current, { top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }, lastSetTop.current);
    virtualizer.shouldAdjustScrollPositionOnItemSizeChange = following.current ? () => false : undefined;
  };
  virtualizer.shouldAdjustScrollPositionOnItemSizeChange = following.current ? () => false : undefined;
  useLayoutEffect(() => {
    const el = logRef.current;
    if (!el) return;
    if (lastSetTop.current !== null) judge(el);
    if (!following.current) return;
    el.scrollTop = el.scrollHeight;
    lastSetTop.current = el.scrollTop;
    offsetChanged.current?.(el.scrollTop, false);
  }, [count, total, shown]);

  const error = store.error;
  return (
    <>
      <div className="card-head">
        <h2>Logs</h2>
        <span className="small muted" data-testid="log-count">
          {count === lines.length ? `${lines.length} lines` : `${count} of ${lines.length} lines`}
        </span>
        {store.loading && lines.length > 0 && (
          <span className="small muted" data-testid="log-loading">
            loading earlier events…
          </span>
        )}
      </div>
      <LogFilters lines={lines} filter={filter} onChange={onFilter} />
      {error ? (
        <p className="error-text" data-testid="log-error">
          Log unavailable: {errorText(error as Error)}
        </p>
      ) : null}
      <div
        className="log"
        ref={logRef}
        data-testid="run-log"
        onScroll={(e) => judge(e.currentTarget)}
      >
        {count === 0 && <div className="muted">{store.ended ? 'No events.' : store.loading ? 'Loading events…' : 'Waiting for events…'}</div>}
        <div className="log-rows" style={{ height: total }}>
          {virtualizer.getVirtualItems().map((item, slot) => (
            <LogBlock key={`${gen}:${slot}`} lines={shown} index={item.index} end={Math.min(count, (item.index + 1) * BLOCK)} start={item.start} measure={virtualizer.measureElement} />
          ))}
        </div>
      </div>
    </>
  );
}

/**
 * Block `index`: lines index * BLOCK to `end` (exclusive) of `lines`. The
 * array grows in place (a new filter is a new array), so a block whose
 * `lines`, `index`, `end` and `start` are unchanged shows the same lines
 * and is not rendered again: scrolled up, a flush re-renders no block in
 * view but the last (the one lines are added to).
 * Blocks are keyed by their place among those drawn and rows by their place
 * in the block: when the log follows its end, a flush that draws new blocks
 * writes their lines into the rows already there instead of making new
 * elements for them (and throwing the old ones away), and the block, with
 * its new index, is measured again (its height may be the same, which a
 * ResizeObserver would not report).
 */
const LogBlock = memo(function LogBlock({ lines, index, end, start, measure }: { lines: readonly RunLogLine[]; index: number; end: number; start: number; measure: (el: HTMLElement | null) => void }) {
  const ref = useRef<HTMLDivElement | null>(null);
  const attach = useCallback(
    (el: HTMLDivElement | null) => {
      ref.current = el;
      measure(el);
    },
    [measure],
  );
  const measured = useRef(index);
  useLayoutEffect(() => {
    if (measured.current === index || !ref.current) return;
    measured.current = index;
    measure(ref.current);
  }, [index, measure]);
  const rows: ReactElement[] = [];
  for (let i = index * BLOCK; i < end; i++) rows.push(<LogRow key={i - index * BLOCK} line={lines[i]} index={i} />);
  return (
    <div ref={attach} data-block={index} className="log-block" style={{ transform: `translateY(${start}px)` }}>
      {rows}
    </div>
  );
});

const LogRow = memo(function LogRow({ line: l, index }: { line: RunLogLine; index: number }) {
  const level = displayLevel(l);
  return (
    <div data-index={index} className={`log-line level-${level.toLowerCase()}`} data-cursor={l.cursor} data-level={level}>
      <span className="log-time" title={isoMillis(l.at)}>
        {logTime(l.at)}
      </span>
      <span className="log-kind">{l.kind.toLowerCase()}</span>
      <span className="log-asset">{l.partition ? `${l.asset ?? ''}[${l.partition}]` : (l.asset ?? '')}</span>
      <span className="log-msg">{l.message}</span>
    </div>
  );
});
