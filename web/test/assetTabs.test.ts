import { describe, expect, test } from 'vitest';
import { assetFailures, assetTabs, assetViewSearch, filteredCount, pageCount, parseAssetView, partitionPage, tabAfterKey } from '../src/lib/assetTabs';
import type { StateRange } from '../src/lib/partitionBar';

const q = (s: string) => new URLSearchParams(s);

describe('tabs in the URL', () => {
  test('no tab, an unknown tab or one the asset lacks is the Overview', () => {
    expect(parseAssetView(q('')).tab).toBe('overview');
    expect(parseAssetView(q('tab=bogus')).tab).toBe('overview');
    expect(parseAssetView(q('tab=partitions'), assetTabs(false)).tab).toBe('overview');
    expect(parseAssetView(q('tab=partitions'), assetTabs(true)).tab).toBe('partitions');
  });

  test('an unpartitioned asset has no Partitions tab', () => {
    expect(assetTabs(false)).toEqual(['overview', 'events', 'checks', 'lineage']);
    expect(assetTabs(true)).toEqual(['overview', 'partitions', 'events', 'checks', 'lineage']);
  });

  test('each tab keeps only its own filter', () => {
    expect(parseAssetView(q('tab=partitions&state=FAILED&partition=2013-01-05'))).toEqual({ tab: 'partitions', state: 'FAILED', partition: null });
    expect(parseAssetView(q('tab=events&state=FAILED&partition=2013-01-05'))).toEqual({ tab: 'events', state: null, partition: '2013-01-05' });
    // Not a partition state.
    expect(parseAssetView(q('tab=partitions&state=fresh')).state).toBeNull();
  });

  test('search strings round-trip; the Overview is the bare path', () => {
    expect(assetViewSearch({ tab: 'overview', state: 'FAILED' })).toBe('');
    expect(assetViewSearch({ tab: 'checks' })).toBe('?tab=checks');
    expect(assetViewSearch({ tab: 'partitions', state: 'MISSING' })).toBe('?tab=partitions&state=MISSING');
    expect(assetViewSearch({ tab: 'events', partition: '2024-11-03-01:00-0500' })).toBe('?tab=events&partition=2024-11-03-01%3A00-0500');
    for (const s of ['?tab=partitions&state=STALE', '?tab=events&partition=a%2Fb', '?tab=lineage']) {
      expect(assetViewSearch(parseAssetView(q(s.slice(1))))).toBe(s);
    }
  });

  test('arrow keys wrap, Home and End jump, other keys do nothing', () => {
    const tabs = assetTabs(true);
    expect(tabAfterKey(tabs, 'overview', 'ArrowRight')).toBe('partitions');
    expect(tabAfterKey(tabs, 'overview', 'ArrowLeft')).toBe('lineage');
    expect(tabAfterKey(tabs, 'lineage', 'ArrowRight')).toBe('overview');
    expect(tabAfterKey(tabs, 'events', 'Home')).toBe('overview');
    expect(tabAfterKey(tabs, 'events', 'End')).toBe('lineage');
    expect(tabAfterKey(tabs, 'events', 'a')).toBeNull();
  });
});

// 2013-01-01 .. 2013-01-10: 3 materialized, 1 failed, 6 missing.
const daily: StateRange[] = [
  { start: '2013-01-01', end: '2013-01-03', count: 3, state: 'MATERIALIZED' },
  { start: '2013-01-04', end: '2013-01-04', count: 1, state: 'FAILED' },
  { start: '2013-01-05', end: '2013-01-10', count: 6, state: 'MISSING' },
];

describe('partition table pages', () => {
  test('counts per filter and pages', () => {
    expect(filteredCount(daily, null)).toBe(10);
    expect(filteredCount(daily, 'MISSING')).toBe(6);
    expect(filteredCount(daily, 'STALE')).toBe(0);
    expect(pageCount(10, 4)).toBe(3);
    expect(pageCount(0, 4)).toBe(1);
  });

  test('key order, pages crossing ranges, keys computed inside ranges', () => {
    const page = (p: number) => partitionPage(daily, { state: null, page: p, pageSize: 4, newestFirst: false, kind: 'daily' });
    expect(page(0).map((r) => [r.key, r.state])).toEqual([
      ['2013-01-01', 'MATERIALIZED'],
      ['2013-01-02', 'MATERIALIZED'],
      ['2013-01-03', 'MATERIALIZED'],
      ['2013-01-04', 'FAILED'],
    ]);
    expect(page(1).map((r) => r.key)).toEqual(['2013-01-05', '2013-01-06', '2013-01-07', '2013-01-08']);
    expect(page(2).map((r) => r.index)).toEqual([8, 9]);
    expect(page(3)).toEqual([]);
  });

  test('newest first, filtered by state', () => {
    const rows = partitionPage(daily, { state: 'MISSING', page: 0, pageSize: 4, newestFirst: true, kind: 'daily' });
    expect(rows.map((r) => r.key)).toEqual(['2013-01-10', '2013-01-09', '2013-01-08', '2013-01-07']);
    const next = partitionPage(daily, { state: 'MISSING', page: 1, pageSize: 4, newestFirst: true, kind: 'daily' });
    expect(next.map((r) => [r.index, r.key])).toEqual([
      [5, '2013-01-06'],
      [4, '2013-01-05'],
    ]);
    const failed = partitionPage(daily, { state: 'FAILED', page: 0, pageSize: 4, newestFirst: false, kind: 'daily' });
    expect(failed).toEqual([{ index: 3, key: '2013-01-04', state: 'FAILED' }]);
  });

  test('static keys come from the key list', () => {
    const ranges: StateRange[] = [
      { start: 'us', end: 'eu', count: 2, state: 'STALE' },
      { start: 'apac', end: 'apac', count: 1, state: 'MATERIALIZED' },
    ];
    const rows = partitionPage(ranges, { state: null, page: 0, pageSize: 10, newestFirst: false, kind: 'static', keys: ['us', 'eu', 'apac'] });
    expect(rows.map((r) => `${r.key}:${r.state}`)).toEqual(['us:STALE', 'eu:STALE', 'apac:MATERIALIZED']);
  });

  test('100,000 partitions in alternating ranges: one page is cheap and exact', () => {
    const ranges: StateRange[] = [];
    for (let i = 0; i < 50_000; i++) {
      ranges.push({ start: `k${2 * i}`, end: `k${2 * i}`, count: 1, state: 'MATERIALIZED' });
      ranges.push({ start: `k${2 * i + 1}`, end: `k${2 * i + 1}`, count: 1, state: 'FAILED' });
    }
    expect(filteredCount(ranges, 'FAILED')).toBe(50_000);
    const last = partitionPage(ranges, { state: 'FAILED', page: 999, pageSize: 50, newestFirst: false });
    expect(last).toHaveLength(50);
    expect(last[0]).toEqual({ index: 99_901, key: 'k99901', state: 'FAILED' });
    expect(last[49].key).toBe('k99999');
    const newest = partitionPage(ranges, { state: null, page: 0, pageSize: 3, newestFirst: true });
    expect(newest.map((r) => r.key)).toEqual(['k99999', 'k99998', 'k99997']);
  });
});

describe('failed materializations from failed runs', () => {
  const step = (id: string, asset: string, partition: string | null, status: string, finishedAt: string | null, error: string | null = null) => ({ id, asset, partition, status, error, startedAt: '2026-12-07T10:00:00Z', finishedAt });
  const runs = [
    { id: 'r-2', steps: { nodes: [step('s1', 'a', '2013-01-01', 'FAILED', '2026-12-07T10:05:00Z', 'boom'), step('s2', 'b', '2013-01-01', 'FAILED', '2026-12-07T10:06:00Z'), step('s3', 'a', '2013-01-02', 'MATERIALIZED', '2026-12-07T10:07:00Z')] } },
    { id: 'r-1', steps: { nodes: [step('s4', 'a', '2013-01-02', 'FAILED', '2026-12-07T11:00:00Z', 'exit 1'), step('s5', 'a', '2013-01-03', 'SKIPPED', null)] } },
  ];

  test("only this asset's failed steps, newest first", () => {
    expect(assetFailures(runs, 'a', null)).toEqual([
      { runId: 'r-1', stepId: 's4', partition: '2013-01-02', error: 'exit 1', at: '2026-12-07T11:00:00Z' },
      { runId: 'r-2', stepId: 's1', partition: '2013-01-01', error: 'boom', at: '2026-12-07T10:05:00Z' },
    ]);
  });

  test('of one partition', () => {
    expect(assetFailures(runs, 'a', '2013-01-01').map((f) => f.stepId)).toEqual(['s1']);
    expect(assetFailures(runs, 'a', '2013-01-03')).toEqual([]);
  });
});
