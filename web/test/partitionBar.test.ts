import { describe, expect, test } from 'vitest';
import { barSegments, hitTest, keyAt, rangeOffsets, rangeAt, addPartitions, totalCount, type StateRange } from '../src/lib/partitionBar';

const r = (start: string, end: string, count: number, state: string): StateRange => ({ start, end, count, state });

describe('partition bar segments', () => {
  test('widths are proportional to the partition counts', () => {
    const ranges = [r('a', 'b', 30, 'MATERIALIZED'), r('c', 'd', 60, 'MISSING'), r('e', 'f', 10, 'STALE')];
    const segs = barSegments(ranges, 1000);
    expect(segs.map((s) => [s.x, s.width, s.sliver])).toEqual([
      [0, 300, false],
      [300, 600, false],
      [900, 100, false],
    ]);
  });

  test('a single failed day among 365 is a thin sliver with the minimum width, drawn on top', () => {
    const ranges = [r('2024-01-01', '2024-06-30', 182, 'MATERIALIZED'), r('2024-07-01', '2024-07-01', 1, 'FAILED'), r('2024-07-02', '2024-12-30', 182, 'MATERIALIZED')];
    const width = 730; // 2 px per partition
    const segs = barSegments(ranges, width, 4);
    const failed = segs.filter((s) => s.state === 'FAILED');
    const sliver = failed.find((s) => s.sliver)!;
    expect(sliver.width).toBe(4);
    expect(sliver.x).toBeCloseTo(182 * 2 + 1 - 2, 6);
    // The red part is a sliver, not a bar: under 1% of the width.
    expect(sliver.width / width).toBeLessThan(0.01);
    // Slivers come last so they are drawn over their neighbours.
    expect(segs[segs.length - 1]).toBe(sliver);
    // The proportional part still fills the bar without gaps.
    const base = segs.filter((s) => !s.sliver);
    expect(base.reduce((s, x) => s + x.width, 0)).toBeCloseTo(width, 6);
  });

  test('slivers at the ends stay inside the bar, worst state on top', () => {
    const ranges = [r('1', '1', 1, 'STALE'), r('2', '9999', 9998, 'MATERIALIZED'), r('10000', '10000', 1, 'FAILED')];
    const segs = barSegments(ranges, 500, 3);
    const slivers = segs.filter((s) => s.sliver);
    expect(slivers.map((s) => s.state)).toEqual(['STALE', 'FAILED']);
    expect(slivers[0].x).toBe(0);
    expect(slivers[1].x + slivers[1].width).toBeCloseTo(500, 6);
  });

  // The bar's drawing time is measured by the perf script (npm run perf).
  test('100,000 alternating partitions produce segments with every failure as a sliver', () => {
    const ranges: StateRange[] = [];
    for (let i = 0; i < 100_000; i++) ranges.push(r(String(i), String(i), 1, i % 1000 === 0 ? 'FAILED' : i % 2 ? 'MATERIALIZED' : 'MISSING'));
    const segs = barSegments(ranges, 1200);
    expect(totalCount(ranges)).toBe(100_000);
    expect(segs.filter((s) => s.sliver && s.state === 'FAILED')).toHaveLength(100);
  });

  test('empty input draws nothing', () => {
    expect(barSegments([], 100)).toEqual([]);
  });
});

describe('hover and keys', () => {
  const ranges = [r('2013-01-01', '2013-01-10', 10, 'MATERIALIZED'), r('2013-01-11', '2013-01-11', 1, 'FAILED'), r('2013-01-12', '2013-03-31', 79, 'MISSING')];
  const offsets = rangeOffsets(ranges);

  test('offsets and binary search', () => {
    expect(offsets).toEqual([0, 10, 11]);
    expect([0, 9, 10, 11, 89].map((i) => rangeAt(offsets, i))).toEqual([0, 0, 1, 2, 2]);
  });

  test('keys inside ranges are computed for time partitions', () => {
    expect(keyAt(ranges, offsets, 4, 'daily')).toBe('2013-01-05');
    expect(keyAt(ranges, offsets, 10, 'daily')).toBe('2013-01-11');
    expect(keyAt(ranges, offsets, 89, 'daily')).toBe('2013-03-31');
    expect(keyAt(ranges, offsets, 40, 'daily')).toBe('2013-02-10');
    expect(addPartitions('monthly', '2013-01-01', 14)).toBe('2014-03-01');
    expect(addPartitions('hourly', '2013-01-01-23:00', 2)).toBe('2013-01-02-01:00');
    expect(addPartitions('static', 'x', 2)).toBeNull();
    expect(keyAt(ranges, offsets, 3, 'static', ['a', 'b', 'c', 'd'])).toBe('d');
  });

  test('hovering the failed sliver finds the failed partition even off its proportional pixel', () => {
    const segs = barSegments(ranges, 90, 4);
    const slivers = segs.filter((s) => s.sliver);
    // Proportionally pixel 10.5 is the failed day; pixel 12 is already missing, but inside the sliver.
    const hit = hitTest(ranges, offsets, slivers, 12, 90)!;
    expect(ranges[hit.range].state).toBe('FAILED');
    expect(hit.index).toBe(10);
    const far = hitTest(ranges, offsets, slivers, 60, 90)!;
    expect(ranges[far.range].state).toBe('MISSING');
    expect(far.index).toBe(60);
  });
});

describe('dense bars (more ranges than pixels)', () => {
  test('one base rectangle per run of columns, covering the whole width', () => {
    const ranges: StateRange[] = [];
    for (let i = 0; i < 10_000; i++) ranges.push(r(String(i), String(i), 1, i < 5000 ? (i % 2 ? 'MATERIALIZED' : 'MATERIALIZED') : 'MISSING'));
    // Neighbouring equal states are separate ranges here on purpose.
    const segs = barSegments(ranges, 100);
    const base = segs.filter((s) => !s.sliver);
    expect(base.map((s) => s.state)).toEqual(['MATERIALIZED', 'MISSING']);
    expect(base[0].width + base[1].width).toBeCloseTo(100, 6);
    expect(base[0].width).toBeCloseTo(50, 6);
  });

  test('a single failed partition among 100,000 still shows as one sliver', () => {
    const ranges = [r('0', '49999', 50_000, 'MATERIALIZED'), r('50000', '50000', 1, 'FAILED'), r('50001', '99999', 49_999, 'MATERIALIZED')];
    // Three ranges: proportional path; now with the same data split so ranges > width.
    const split: StateRange[] = [];
    for (let i = 0; i < 2000; i++) split.push(r(String(i), String(i), 50, i === 1000 ? 'STALE' : 'MATERIALIZED'));
    split.splice(1500, 0, r('x', 'x', 1, 'FAILED'));
    const segs = barSegments(split, 800, 3);
    const failed = segs.filter((s) => s.state === 'FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0].sliver).toBe(true);
    expect(failed[0].width).toBe(3);
    expect(segs.filter((s) => s.sliver && s.state === 'STALE')).toHaveLength(1);
    expect(barSegments(ranges, 800, 3).filter((s) => s.sliver && s.state === 'FAILED')).toHaveLength(1);
  });
});
