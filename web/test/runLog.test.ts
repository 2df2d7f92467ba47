import { describe, expect, test, vi } from 'vitest';
import { RunLogStore, flushInterval, framesApart } from '../src/lib/runLog';

type Line = { cursor: string; kind: string };

/** A store whose frames are run by hand. */
function manual() {
  const frames: (() => void)[] = [];
  const store = new RunLogStore<Line>((flush) => frames.push(flush));
  const frame = () => {
    const run = frames.splice(0);
    for (const f of run) f();
    return run.length;
  };
  return { store, frames, frame };
}

describe('RunLogStore', () => {
  test('an event delivered again is kept once, in first-arrival order', () => {
    const { store, frame } = manual();
    const deliveries = [
      { cursor: '1', kind: 'RUN_START' },
      { cursor: '2', kind: 'STEP_START' },
      { cursor: '3', kind: 'RUN_SUCCESS' },
      { cursor: '3', kind: 'RUN_SUCCESS' }, // the last result, handed over again on completion
      { cursor: '1', kind: 'RUN_START' }, // a reconnect replaying from the start
      { cursor: '2', kind: 'STEP_START' },
    ];
    for (const event of deliveries) store.push(event);
    frame();
    expect(store.lines.map((l) => l.cursor)).toEqual(['1', '2', '3']);
    expect(store.lines.filter((l) => l.kind === 'RUN_SUCCESS')).toHaveLength(1);
    // Delivered again in a later frame: still once.
    store.push({ cursor: '3', kind: 'RUN_SUCCESS' });
    frame();
    expect(store.lines.map((l) => l.cursor)).toEqual(['1', '2', '3']);
  });

  test('events are batched: one flush (and one notice) a frame, in arrival order, the log one array grown in place', () => {
    const { store, frames, frame } = manual();
    let notices = 0;
    store.subscribe(() => notices++);
    const lines = store.lines;
    for (let i = 0; i < 1000; i++) store.push({ cursor: String(i), kind: 'LOG' });
    // Queued, not yet in the log; one frame asked for.
    expect(store.lines).toHaveLength(0);
    expect(frames).toHaveLength(1);
    const before = store.version();
    expect(frame()).toBe(1);
    expect(notices).toBe(1);
    expect(store.version()).toBeGreaterThan(before);
    expect(store.lines).toBe(lines);
    expect(store.lines.map((l) => Number(l.cursor))).toEqual([...Array(1000).keys()]);
    for (let i = 1000; i < 1500; i++) store.push({ cursor: String(i), kind: 'LOG' });
    expect(frame()).toBe(1);
    expect(notices).toBe(2);
    expect(store.lines).toBe(lines);
    expect(store.lines).toHaveLength(1500);
    expect(store.lines[1499].cursor).toBe('1499');
    // Nothing queued: no frame asked for.
    expect(frame()).toBe(0);
  });

  test('interleaved pushes and frames keep every event once, in order', () => {
    const { store, frame } = manual();
    const expected: string[] = [];
    let n = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round % 7; i++) {
        const cursor = String(n++);
        store.push({ cursor, kind: 'LOG' });
        expected.push(cursor);
        if (i % 3 === 0 && expected.length > 2) store.push({ cursor: expected[expected.length - 3], kind: 'LOG' });
      }
      if (round % 2) frame();
    }
    frame();
    expect(store.lines.map((l) => l.cursor)).toEqual(expected);
  });

  test('the end and an error reach readers at the next frame, after the events before them', () => {
    const { store, frame } = manual();
    let seen: [number, boolean, unknown][] = [];
    store.subscribe(() => seen.push([store.lines.length, store.ended, store.error]));
    store.push({ cursor: '1', kind: 'RUN_START' });
    store.end();
    expect(store.lines).toHaveLength(0);
    frame();
    expect(seen).toEqual([[1, true, null]]);
    seen = [];
    const error = new Error('socket closed');
    store.setError(error);
    frame();
    expect(seen).toEqual([[1, true, error]]);
    store.setError(null);
    frame();
    expect(store.error).toBeNull();
  });

  test('appending is amortised O(1): 100,000 events in small batches take well under a second', () => {
    const { store, frame } = manual();
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) {
      store.push({ cursor: String(i), kind: 'LOG' });
      if (i % 50 === 49) frame();
    }
    frame();
    expect(store.lines).toHaveLength(100_000);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('flushInterval', () => {
  test('250 ms up to 5,000 lines, then growing with the log to 1 s at 20,000 lines and more', () => {
    expect(flushInterval(0)).toBe(250);
    expect(flushInterval(5_000)).toBe(250);
    expect(flushInterval(10_000)).toBe(500);
    expect(flushInterval(20_000)).toBe(1000);
    expect(flushInterval(100_000)).toBe(1000);
    expect(flushInterval(1_000_000)).toBe(1000);
  });
});

describe('framesApart', () => {
  test('flushes at an animation frame, at least the interval after the last flush', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    // Frames every 16 ms (node has none).
    vi.stubGlobal('requestAnimationFrame', (callback: (now: number) => void) => setTimeout(() => callback(performance.now()), 16));
    try {
      const schedule = framesApart(() => 250);
      const flushedAt: number[] = [];
      const ask = () => schedule(() => flushedAt.push(performance.now()));
      const started = performance.now();
      ask();
      await vi.advanceTimersByTimeAsync(20);
      // The first flush: at the next frame.
      expect(flushedAt).toHaveLength(1);
      expect(flushedAt[0] - started).toBeLessThanOrEqual(20);
      // Asked again at once: not before 250 ms after the first flush.
      ask();
      await vi.advanceTimersByTimeAsync(200);
      expect(flushedAt).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(100);
      expect(flushedAt).toHaveLength(2);
      expect(flushedAt[1] - flushedAt[0]).toBeGreaterThanOrEqual(250);
      // Asked long after: at the next frame again.
      await vi.advanceTimersByTimeAsync(1000);
      const before = performance.now();
      ask();
      await vi.advanceTimersByTimeAsync(20);
      expect(flushedAt).toHaveLength(3);
      expect(flushedAt[2] - before).toBeLessThanOrEqual(20);
    } finally {
      vi.unstubAllGlobals();
      vi.useRealTimers();
    }
  });
});
