import { describe, expect, test } from 'vitest';
import { NO_FILTER, displayLevel, facets, filterFromSearch, filterLog, filterToSearch, toggled, type LogLine } from '../src/lib/logFilter';

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
