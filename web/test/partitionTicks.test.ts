import { describe, expect, test } from 'vitest';
import { keyWallTime, partitionTicks } from '../src/lib/partitionTicks';

const labels = (ticks: { label: string }[]) => ticks.map((t) => t.label);

describe('date ticks of a partition bar', () => {
  test('90 daily partitions of Jan-Mar 2013: the 1st and 15th of each month, placed by day', () => {
    const ticks = partitionTicks('daily', '2013-01-01', 90, 10);
    expect(labels(ticks)).toEqual(['2013-01-01', '2013-01-15', '2013-02-01', '2013-02-15', '2013-03-01', '2013-03-15']);
    expect(ticks[0].at).toBe(0);
    expect(ticks[1].at).toBeCloseTo(14 / 90);
    expect(ticks[4].at).toBeCloseTo(59 / 90);
  });

  test('more room, finer ticks; less room, coarser ones', () => {
    expect(partitionTicks('daily', '2013-01-01', 90, 14)).toHaveLength(12); // 1st, 8th, 15th, 22nd of 3 months
    expect(labels(partitionTicks('daily', '2013-01-01', 90, 4))).toEqual(['2013-01', '2013-02', '2013-03']);
    // One tick: the quarter's.
    expect(labels(partitionTicks('daily', '2013-01-01', 90, 1))).toEqual(['2013-01']);
  });

  test('never more than maxTicks, every tick on the bar', () => {
    for (const [kind, first, count] of [
      ['hourly', '2013-01-01-00:00', 100_000],
      ['hourly', '2013-01-01-05:00', 30],
      ['daily', '2013-01-07', 1000],
      ['weekly', '2013-01-07', 300],
      ['monthly', '2013-01-01', 40],
    ] as const) {
      for (const max of [3, 8, 15]) {
        const ticks = partitionTicks(kind, first, count, max);
        expect(ticks.length).toBeLessThanOrEqual(max);
        expect(ticks.length).toBeGreaterThan(0);
        for (const t of ticks) expect(t.at >= 0 && t.at < 1).toBe(true);
        const at = ticks.map((t) => t.at);
        expect([...at].sort((a, b) => a - b)).toEqual(at);
      }
    }
  });

  test('100,000 hourly partitions (2013 to mid-2024): every other year, even years', () => {
    const ticks = partitionTicks('hourly', '2013-01-01-00:00', 100_000, 8);
    expect(labels(ticks)).toEqual(['2014', '2016', '2018', '2020', '2022', '2024']);
    expect(ticks[0].at).toBeCloseTo((365 * 24) / 100_000, 6);
    expect(ticks[1].at).toBeCloseTo((3 * 365 * 24) / 100_000, 6);
  });

  test('a day of hourly partitions starting at 05:00: hour ticks, none before the first key', () => {
    const ticks = partitionTicks('hourly', '2013-01-01-05:00', 24, 4);
    expect(labels(ticks)).toEqual(['2013-01-01 06:00', '2013-01-01 12:00', '2013-01-01 18:00', '2013-01-02 00:00']);
    expect(ticks[0].at).toBeCloseTo(1 / 24);
  });

  test('monthly partitions: months place ticks by month, not days', () => {
    const ticks = partitionTicks('monthly', '2013-01-01', 12, 4);
    expect(labels(ticks)).toEqual(['2013-01', '2013-04', '2013-07', '2013-10']);
    expect(ticks.map((t) => t.at)).toEqual([0, 3 / 12, 6 / 12, 9 / 12]);
  });

  test('weekly partitions get no tick finer than a week', () => {
    const ticks = partitionTicks('weekly', '2013-01-07', 10, 20);
    expect(labels(ticks)).toEqual(['2013-01-08', '2013-01-15', '2013-01-22', '2013-02-01', '2013-02-08', '2013-02-15', '2013-02-22', '2013-03-01', '2013-03-08', '2013-03-15']);
    // Ten weeks from 2013-01-07 end on 2013-03-18.
    expect(ticks[ticks.length - 1].at).toBeCloseTo(67 / 70);
  });

  test('static partitions, unreadable keys, nothing: no ticks', () => {
    expect(partitionTicks('static', 'us', 3, 10)).toEqual([]);
    expect(partitionTicks('daily', 'nope', 3, 10)).toEqual([]);
    expect(partitionTicks('daily', '2013-01-01', 0, 10)).toEqual([]);
    expect(partitionTicks(null, null, 10, 10)).toEqual([]);
  });

  test('key wall times', () => {
    expect(keyWallTime('2013-01-05')).toBe(Date.UTC(2013, 0, 5));
    expect(keyWallTime('2013-01-05-14:00')).toBe(Date.UTC(2013, 0, 5, 14));
    expect(keyWallTime('2024-11-03-01:00-0500')).toBe(Date.UTC(2024, 10, 3, 1));
    expect(keyWallTime('us')).toBeNull();
  });
});
