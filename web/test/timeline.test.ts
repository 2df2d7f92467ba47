import { describe, expect, test } from 'vitest';
import { buildTimeline, criticalPath, stepLabel, timeTicks, type TimelineStep } from '../src/lib/timeline';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const at = (secs: number) => new Date(T0 + secs * 1000).toISOString();

function step(position: number, asset: string, waitsFor: number[], start: number | null, end: number | null, status = 'MATERIALIZED', partition: string | null = null): TimelineStep {
  return { position, asset, partition, waitsFor, status, startedAt: start == null ? null : at(start), finishedAt: end == null ? null : at(end) };
}

// a -> b, a -> c, b -> d, c -> d; c is slower than b.
const diamond = [step(0, 'a', [], 0, 2), step(1, 'b', [0], 2, 3), step(2, 'c', [0], 2, 6), step(3, 'd', [1, 2], 6, 7)];

describe('critical path', () => {
  const cases: { name: string; steps: TimelineStep[]; now: number; path: string[]; secs: number }[] = [
    { name: 'diamond with a slower c: a, c, d', steps: diamond, now: 100, path: ['a', 'c', 'd'], secs: 7 },
    {
      name: 'diamond with a slower b: a, b, d',
      steps: [step(0, 'a', [], 0, 2), step(1, 'b', [0], 2, 9), step(2, 'c', [0], 2, 6), step(3, 'd', [1, 2], 9, 10)],
      now: 100,
      path: ['a', 'b', 'd'],
      secs: 10,
    },
    { name: 'one step', steps: [step(0, 'a', [], 1, 4)], now: 100, path: ['a'], secs: 3 },
    { name: 'no step started', steps: [step(0, 'a', [], null, null, 'QUEUED')], now: 100, path: [], secs: 0 },
    {
      name: 'a running step ends now and can end last',
      steps: [step(0, 'a', [], 0, 2), step(1, 'b', [0], 2, null, 'RUNNING'), step(2, 'c', [0], 2, 5)],
      now: 8,
      path: ['a', 'b'],
      secs: 8,
    },
    {
      name: 'a waited-for step that never started (skipped) is left out',
      steps: [step(0, 'a', [], 0, 2), step(1, 'b', [], null, null, 'SKIPPED'), step(2, 'c', [0, 1], 2, 4)],
      now: 100,
      path: ['a', 'c'],
      secs: 4,
    },
    {
      name: 'independent steps: the one that ended last alone',
      steps: [step(0, 'a', [], 0, 5), step(1, 'b', [], 0, 3)],
      now: 100,
      path: ['a'],
      secs: 5,
    },
  ];
  test.each(cases)('$name', ({ steps, now, path, secs }) => {
    const cp = criticalPath(steps, T0 + now * 1000);
    expect(cp.positions.map((p) => steps.find((s) => s.position === p)!.asset)).toEqual(path);
    expect(cp.durationMs).toBe(secs * 1000);
  });
});

describe('timeline bars', () => {
  test('one bar per started step on a shared axis, critical ones marked', () => {
    const steps = [...diamond, step(4, 'e', [3], null, null, 'QUEUED')];
    const t = buildTimeline(steps, T0 + 100_000);
    expect(t.startMs).toBe(T0);
    expect(t.endMs).toBe(T0 + 7_000);
    expect(t.bars.map((b) => [b.label, b.left, b.width, b.critical])).toEqual([
      ['a', 0, 2 / 7, true],
      ['b', 2 / 7, 1 / 7, false],
      ['c', 2 / 7, 4 / 7, true],
      ['d', 6 / 7, 1 / 7, true],
    ]);
  });

  test('a running step reaches now', () => {
    const t = buildTimeline([step(0, 'a', [], 0, 2), step(1, 'b', [0], 2, null, 'RUNNING')], T0 + 4_000);
    const b = t.bars[1];
    expect([b.running, b.left, b.width, b.endMs]).toEqual([true, 0.5, 0.5, T0 + 4_000]);
  });

  test('no started step: no bars, no ticks', () => {
    const t = buildTimeline([step(0, 'a', [], null, null, 'QUEUED')], T0);
    expect(t.bars).toEqual([]);
    expect(t.ticks).toEqual([]);
  });

  test('labels: asset [partition]', () => {
    expect(stepLabel({ asset: 'flights_daily', partition: '2013-01-02' })).toBe('flights_daily [2013-01-02]');
    expect(stepLabel({ asset: 'airports', partition: null })).toBe('airports');
  });
});

describe('time ticks', () => {
  const cases: { name: string; start: number; end: number; max: number; labels: string[] }[] = [
    { name: 'seconds', start: T0 + 200, end: T0 + 7_000, max: 8, labels: ['10:00:01', '10:00:02', '10:00:03', '10:00:04', '10:00:05', '10:00:06', '10:00:07'] },
    { name: 'two-second steps', start: T0, end: T0 + 12_000, max: 8, labels: ['10:00:00', '10:00:02', '10:00:04', '10:00:06', '10:00:08', '10:00:10', '10:00:12'] },
    { name: 'milliseconds under a second', start: T0, end: T0 + 300, max: 4, labels: ['10:00:00.000', '10:00:00.100', '10:00:00.200', '10:00:00.300'] },
    { name: 'minutes', start: T0, end: T0 + 10 * 60_000, max: 6, labels: ['10:00:00', '10:02:00', '10:04:00', '10:06:00', '10:08:00', '10:10:00'] },
  ];
  test.each(cases)('$name', ({ start, end, max, labels }) => {
    const ticks = timeTicks(start, end, max);
    expect(ticks.map((t) => t.label)).toEqual(labels);
    expect(ticks.length).toBeLessThanOrEqual(max);
    for (const t of ticks) expect(t.at).toBeCloseTo((t.ms - start) / (end - start), 9);
  });
});
