import { describe, expect, test } from 'vitest';
import { IncrementalFacets, IncrementalFilter, LIST_REFRESH_MS, ListSnapshots, NO_FILTER, SortedCounts, displayLevel, facets, filterFromSearch, filterLog, filterToSearch, toggled, type LogFilter, type LogLine } from '../src/lib/logFilter';

const line = (cursor: string, kind: string, level: string, asset: string | null, partition: string | null, message: string): LogLine => ({ cursor, kind, level, asset, partition, message });
const lines = [
  line('1', 'RUN_START', 'INFO', null, null, 'run r-1 started'),
  line('2', 'STEP_START', 'DEBUG', 'flights_daily', '2013-01-01', 'started'),
  line('3', 'ASSET_CHECK_EVALUATION', 'ERROR', 'flights_daily', '2013-01-01', 'check row_count failed'),
  line('4', 'ASSET_MATERIALIZATION', 'INFO', 'flights_daily', '2013-01-02', 'materialized 243 rows'),
  line('5', 'LOG', 'WARN', 'delays_by_route', null, 'check destinations_have_airport_metadata failed'),
];

describe('run log filters', () => {
  test('no filter keeps every line (the same array)', () => {
    expect(filterLog(lines, NO_FILTER)).toBe(lines);
  });

  test('levels, event types, asset and partition combine', () => {
    const cursors = (f: Partial<typeof NO_FILTER>) => filterLog(lines, { ...NO_FILTER, ...f }).map((l) => l.cursor);
    expect(cursors({ levels: new Set(['WARN', 'ERROR']) })).toEqual(['3', '5']);
    expect(cursors({ kinds: new Set(['ASSET_MATERIALIZATION']) })).toEqual(['4']);
    expect(cursors({ asset: 'flights_daily' })).toEqual(['2', '3', '4']);
    expect(cursors({ asset: 'flights_daily', partition: '2013-01-01' })).toEqual(['2', '3']);
    expect(cursors({ asset: 'flights_daily', levels: new Set(['ERROR']) })).toEqual(['3']);
    expect(cursors({ text: 'ROW_COUNT' })).toEqual(['3']);
  });

  test('facets list each value once with its count, levels by severity', () => {
    const f = facets(lines);
    expect(f.assets).toEqual([
      ['delays_by_route', 1],
      ['flights_daily', 3],
    ]);
    expect(f.partitions).toEqual([
      ['2013-01-01', 2],
      ['2013-01-02', 1],
    ]);
    expect(f.levels.map(([l]) => l)).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
  });

  test('toggling a value adds or removes it', () => {
    expect([...toggled(new Set(['A']), 'B')]).toEqual(['A', 'B']);
    expect([...toggled(new Set(['A', 'B']), 'A')]).toEqual(['B']);
  });
});

describe('log levels', () => {
  test("an error check's failure is an error; a warn check's stays a warning", () => {
    const check = (severity: string, passed: boolean) => ({ kind: 'ASSET_CHECK_EVALUATION', level: passed ? 'INFO' : 'WARN', data: { check: 'c', passed, severity, violations: 1 } });
    expect(displayLevel(check('error', false))).toBe('ERROR');
    expect(displayLevel(check('warn', false))).toBe('WARN');
    expect(displayLevel(check('error', true))).toBe('INFO');
    expect(displayLevel({ kind: 'LOG', level: 'DEBUG', data: null })).toBe('DEBUG');
    const lines = [{ cursor: '1', message: 'check failed', asset: 'a', partition: null, ...check('error', false) }];
    expect(filterLog(lines, { ...NO_FILTER, levels: new Set(['ERROR']) })).toHaveLength(1);
  });
});

describe('log filters in the URL', () => {
  test('a filter survives the round trip through the search string', () => {
    const f = { levels: new Set(['ERROR', 'WARN']), kinds: new Set(['ASSET_CHECK_EVALUATION']), asset: 'raw/flights', partition: '2013-01-01', text: 'row count' };
    const search = filterToSearch(f);
    expect(search).toBe('?level=WARN%2CERROR&kind=ASSET_CHECK_EVALUATION&asset=raw%2Fflights&partition=2013-01-01&q=row+count');
    expect(filterFromSearch(new URLSearchParams(search))).toEqual(f);
  });

  test('no filter is no search string; unknown levels are dropped', () => {
    expect(filterToSearch(NO_FILTER)).toBe('');
    expect(filterFromSearch(new URLSearchParams('?level=error,loud')).levels).toEqual(new Set(['ERROR']));
  });
});

describe('incremental filter and facets of a growing log', () => {
  const kinds = ['RUN_START', 'STEP_START', 'STEP_FAILURE', 'STEP_SKIPPED', 'ASSET_CHECK_EVALUATION', 'LOG'];
  const levels = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
  const make = (i: number): LogLine => ({
    cursor: String(i),
    kind: kinds[(i * 7) % kinds.length],
    level: levels[(i * 5) % levels.length],
    asset: i % 5 === 0 ? null : `leaf_${i % 4}`,
    partition: i % 3 === 0 ? null : `2020-01-0${(i % 9) + 1}`,
    message: `message ${i} ${i % 11 === 0 ? 'Exit Status 1' : 'ok'}`,
    data: kinds[(i * 7) % kinds.length] === 'ASSET_CHECK_EVALUATION' ? { passed: i % 2 === 0, severity: i % 4 === 0 ? 'ERROR' : 'WARN' } : null,
  });
  const filters: LogFilter[] = [
    NO_FILTER,
    { ...NO_FILTER, levels: new Set(['ERROR']) },
    { ...NO_FILTER, kinds: new Set(['STEP_SKIPPED', 'LOG']) },
    { ...NO_FILTER, asset: 'leaf_1' },
    { ...NO_FILTER, asset: 'leaf_2', partition: '2020-01-03' },
    { ...NO_FILTER, text: ' exit status ' },
    { ...NO_FILTER, levels: new Set(['WARN', 'ERROR']), text: 'leaf_3' },
  ];

  test('equals a full filter after every append and every filter change', () => {
    const lines: LogLine[] = [];
    const inc = new IncrementalFilter<LogLine>();
    let n = 0;
    for (let step = 0; step < 60; step++) {
      for (let i = 0; i < (step * 13) % 17; i++) lines.push(make(n++));
      const f = filters[Math.floor(step / 4) % filters.length];
      const got = inc.update(lines, f);
      expect(got.map((l) => l.cursor)).toEqual(filterLog(lines, f).map((l) => l.cursor));
    }
    expect(n).toBeGreaterThan(300);
    // Not filtering: the lines themselves.
    expect(inc.update(lines, NO_FILTER)).toBe(lines);
  });

  test('only the added lines are tested, until the filter changes', () => {
    const backing: LogLine[] = Array.from({ length: 100 }, (_, i) => make(i));
    const read: number[] = [];
    const lines = new Proxy(backing, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) read.push(Number(prop));
        return Reflect.get(target, prop, receiver);
      },
    });
    const inc = new IncrementalFilter<LogLine>();
    const f: LogFilter = { ...NO_FILTER, levels: new Set(['ERROR']) };
    inc.update(lines, f);
    expect(read).toHaveLength(100);
    read.length = 0;
    backing.push(make(100), make(101));
    // The same filter, as another object (the URL parsed again): only the two new lines.
    const got = inc.update(lines, { ...NO_FILTER, levels: new Set(['ERROR']) });
    expect(read).toEqual([100, 101]);
    expect(got.map((l) => l.cursor)).toEqual(filterLog(backing, f).map((l) => l.cursor));
    read.length = 0;
    // Another filter: every line again.
    const warn = inc.update(lines, { ...NO_FILTER, levels: new Set(['WARN']) });
    expect(read).toHaveLength(102);
    expect(warn.map((l) => l.cursor)).toEqual(filterLog(backing, { ...NO_FILTER, levels: new Set(['WARN']) }).map((l) => l.cursor));
  });

  test('facets counted incrementally equal facets counted at once, also for one asset’s partitions', () => {
    const lines: LogLine[] = [];
    const all = new IncrementalFacets();
    const one = new IncrementalFacets();
    let n = 0;
    for (let step = 0; step < 30; step++) {
      for (let i = 0; i < (step * 5) % 11; i++) lines.push(make(n++));
      expect(all.update(lines)).toEqual(facets(lines));
      const asset = `leaf_${step % 4}`;
      expect(one.update(lines, asset).partitions).toEqual(facets(lines.filter((l) => l.asset === asset)).partitions);
    }
    // Nothing added: the same answer.
    expect(all.update(lines)).toBe(all.update(lines));
    const total = all.update(lines).levels.reduce((s, [, c]) => s + c, 0);
    expect(total).toBe(lines.length);
  });

  test('scan counts only added lines and answers a new version only when a count changed; each facet stays sorted', () => {
    const lines: LogLine[] = [];
    const inc = new IncrementalFacets();
    const v0 = inc.scan(lines);
    expect(inc.scan(lines)).toBe(v0);
    let n = 0;
    for (let step = 0; step < 20; step++) {
      for (let i = 0; i < (step * 7) % 13; i++) lines.push(make(n++));
      const before = inc.facet('partitions').size;
      const v = inc.scan(lines);
      expect(inc.scan(lines)).toBe(v);
      const at = facets(lines);
      expect(inc.entries('kinds')).toEqual(at.kinds);
      expect(inc.entries('assets')).toEqual(at.assets);
      expect(inc.entries('partitions')).toEqual(at.partitions);
      expect(inc.entries('levels')).toEqual(at.levels);
      expect(inc.facet('partitions').size).toBeGreaterThanOrEqual(before);
    }
  });
});

describe('SortedCounts', () => {
  test('values kept sorted as they come (code unit order, as a sort), each counted; empty values not', () => {
    const c = new SortedCounts();
    const seen: string[] = [];
    // A pseudo-random order, values repeated, and the empty ones skipped.
    for (let i = 0; i < 2000; i++) {
      const v = i % 97 === 0 ? '' : `p-${(i * 7919) % 613}`;
      c.add(v);
      c.add(i % 89 === 0 ? null : undefined);
      if (v) seen.push(v);
    }
    const expected = new Map<string, number>();
    for (const v of seen) expected.set(v, (expected.get(v) ?? 0) + 1);
    expect(c.values()).toEqual([...expected.keys()].sort());
    expect(c.entries()).toEqual([...expected].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    expect(c.size).toBe(expected.size);
    expect(c.count('p-1')).toBe(expected.get('p-1'));
    expect(c.count('absent')).toBe(0);
    // Upper case before lower, as `<` orders them.
    const d = new SortedCounts();
    for (const v of ['b', 'B', 'a', 'A', 'ab', '2013-01-10', '2013-01-02']) d.add(v);
    expect(d.values()).toEqual(['2013-01-02', '2013-01-10', 'A', 'B', 'a', 'ab', 'b']);
  });
});

describe('ListSnapshots', () => {
  const list = (n: number): [string, number][] => [['x', n]];

  test('a list is taken again at most every LIST_REFRESH_MS while unused, at each change while in use or when what it lists changes', () => {
    const s = new ListSnapshots();
    let builds = 0;
    const get = (version: number, inUse: boolean, now: number, of = '') =>
      s.get('partition', of, version, inUse, now, () => {
        builds++;
        return list(version);
      });
    const first = get(1, false, 0);
    expect(first).toEqual(list(1));
    // The same counts: the same array, however late.
    expect(get(1, false, 10 * LIST_REFRESH_MS)).toBe(first);
    // Counts moved on, unused: the old list until LIST_REFRESH_MS after it was taken.
    expect(get(2, false, 1000)).toBe(first);
    expect(s.staleFor(1000, { partition: 2 })).toBe(LIST_REFRESH_MS - 1000);
    expect(get(3, false, LIST_REFRESH_MS)).toEqual(list(3));
    expect(s.staleFor(LIST_REFRESH_MS, { partition: 3 })).toBeNull();
    // In use: every change.
    expect(get(4, true, LIST_REFRESH_MS + 1)).toEqual(list(4));
    expect(get(5, true, LIST_REFRESH_MS + 2)).toEqual(list(5));
    // Another asset's partitions: at once.
    expect(get(5, false, LIST_REFRESH_MS + 3, 'leaf_1')).toEqual(list(5));
    expect(builds).toBe(5);
    // A list behind its counts past its time: due now.
    expect(s.staleFor(10 * LIST_REFRESH_MS, { partition: 6 })).toBe(0);
  });

  test('has: whether the list as last taken has a value', () => {
    const s = new ListSnapshots();
    expect(s.has('kind', '')).toBe(true);
    expect(s.has('kind', 'LOG')).toBe(false);
    s.get('kind', '', 1, false, 0, () => [['LOG', 3]]);
    expect(s.has('kind', 'LOG')).toBe(true);
    expect(s.has('kind', 'STEP_FAILURE')).toBe(false);
  });
});
