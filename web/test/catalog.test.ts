import { describe, expect, test } from 'vitest';
import {
  DEFAULT_SORT,
  NO_CATALOG_FILTER,
  catalogFromSearch,
  catalogOptions,
  catalogToSearch,
  checkVerdict,
  checkedAssets,
  keysSelection,
  shownSelectionState,
  toggleKey,
  toggleShown,
  filterCatalog,
  nextSort,
  sortCatalog,
  type CatalogAsset,
  type CatalogFilter,
} from '../src/lib/catalog';

const asset = (key: string, over: Partial<CatalogAsset> = {}): CatalogAsset => ({
  key,
  group: key.includes('/') ? key.split('/')[0] : 'default',
  kind: 'SQL',
  tags: [],
  state: 'FRESH',
  latestMaterialization: null,
  freshness: null,
  checks: [],
  ...over,
});

const at = (materializedAt: string) => ({ latestMaterialization: { materializedAt } });

// The shape of examples/flights.
const assets: CatalogAsset[] = [
  asset('raw/flights', { kind: 'SOURCE', ...at('2026-12-07T10:00:00Z') }),
  asset('raw/weather', { kind: 'SOURCE', state: 'MISSING' }),
  asset('flights_daily', { state: 'STALE', freshness: { status: 'WARN' }, ...at('2026-12-07T11:00:00Z') }),
  asset('delays_by_route', { state: 'FAILED', checks: [{ severity: 'ERROR', passed: 0, failed: 1 }], ...at('2026-12-07T09:00:00Z') }),
  asset('reports/delay_report', {
    group: 'reporting',
    kind: 'COMMAND',
    tags: [
      { key: 'team', value: 'analytics' },
      { key: 'format', value: 'markdown' },
    ],
    checks: [{ severity: 'WARN', passed: 0, failed: 2 }],
    freshness: { status: 'PASS' },
    ...at('2026-12-07T11:00:00Z'),
  }),
  asset('exports/carrier_delays', { tags: [{ key: 'team', value: 'ops' }], checks: [{ severity: 'ERROR', passed: 3, failed: 0 }] }),
];

const keys = (f: Partial<CatalogFilter>) => filterCatalog(assets, { ...NO_CATALOG_FILTER, ...f }).map((a) => a.key);

describe('filterCatalog', () => {
  test('no filter keeps every asset (the same array)', () => {
    expect(filterCatalog(assets, NO_CATALOG_FILTER)).toBe(assets);
    expect(filterCatalog(assets, { ...NO_CATALOG_FILTER, text: '   ' })).toBe(assets);
  });

  test('text: case-insensitive, anywhere in the key, slashes included', () => {
    expect(keys({ text: 'delay' })).toEqual(['delays_by_route', 'reports/delay_report', 'exports/carrier_delays']);
    expect(keys({ text: 'DELAY' })).toEqual(['delays_by_route', 'reports/delay_report', 'exports/carrier_delays']);
    expect(keys({ text: 'raw/' })).toEqual(['raw/flights', 'raw/weather']);
    expect(keys({ text: ' s/del ' })).toEqual(['reports/delay_report']);
    expect(keys({ text: 'nothing' })).toEqual([]);
  });

  test('group, kind and state are exact', () => {
    expect(keys({ group: 'raw' })).toEqual(['raw/flights', 'raw/weather']);
    expect(keys({ group: 'reporting' })).toEqual(['reports/delay_report']);
    expect(keys({ group: 'reports' })).toEqual([]);
    expect(keys({ kind: 'SOURCE' })).toEqual(['raw/flights', 'raw/weather']);
    expect(keys({ state: 'STALE' })).toEqual(['flights_daily']);
    expect(keys({ state: 'MISSING' })).toEqual(['raw/weather']);
    expect(keys({ state: 'FAILED' })).toEqual(['delays_by_route']);
  });

  test('tag: a name matches any value, name=value only that value', () => {
    expect(keys({ tag: 'team=analytics' })).toEqual(['reports/delay_report']);
    expect(keys({ tag: 'team' })).toEqual(['reports/delay_report', 'exports/carrier_delays']);
    expect(keys({ tag: 'team=' })).toEqual([]);
    expect(keys({ tag: 'format=markdown' })).toEqual(['reports/delay_report']);
  });

  test('freshness, with NONE for no policy', () => {
    expect(keys({ freshness: 'WARN' })).toEqual(['flights_daily']);
    expect(keys({ freshness: 'NONE' })).toEqual(['raw/flights', 'raw/weather', 'delays_by_route', 'exports/carrier_delays']);
  });

  test('check verdicts', () => {
    expect(keys({ checks: 'ERROR_FAILED' })).toEqual(['delays_by_route']);
    expect(keys({ checks: 'WARN_FAILED' })).toEqual(['reports/delay_report']);
    expect(keys({ checks: 'PASSED' })).toEqual(['exports/carrier_delays']);
    expect(keys({ checks: 'NO_CHECKS' })).toEqual(['raw/flights', 'raw/weather', 'flights_daily']);
    expect(checkVerdict([{ severity: 'ERROR', passed: 0, failed: 0 }])).toBe('NOT_EVALUATED');
    // An error check failing outranks a warn check failing.
    expect(checkVerdict([{ severity: 'WARN', passed: 0, failed: 1 }, { severity: 'ERROR', passed: 0, failed: 1 }])).toBe('ERROR_FAILED');
  });

  test('filters combine', () => {
    expect(keys({ text: 'delay', tag: 'team' })).toEqual(['reports/delay_report', 'exports/carrier_delays']);
    expect(keys({ text: 'delay', group: 'exports', kind: 'SQL' })).toEqual(['exports/carrier_delays']);
    expect(keys({ group: 'raw', state: 'FRESH' })).toEqual(['raw/flights']);
  });

  test('10,000 assets filter by text and tag', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => asset(`group_${i % 40}/asset_${i}`, { tags: [{ key: 'team', value: `t${i % 7}` }] }));
    const found = filterCatalog(many, { ...NO_CATALOG_FILTER, text: 'asset_1', tag: 'team=t3' });
    const expected = many.filter((a) => a.key.includes('asset_1') && a.tags.some((t) => t.value === 't3'));
    expect(found.map((a) => a.key)).toEqual(expected.map((a) => a.key));
    expect(found.length).toBeGreaterThan(100);
  });
});

describe('sortCatalog', () => {
  test('by key, both ways', () => {
    expect(sortCatalog(assets, DEFAULT_SORT).map((a) => a.key)).toEqual([
      'delays_by_route',
      'exports/carrier_delays',
      'flights_daily',
      'raw/flights',
      'raw/weather',
      'reports/delay_report',
    ]);
    expect(sortCatalog(assets, { by: 'key', descending: true })[0].key).toBe('reports/delay_report');
  });

  test('by last materialization: newest first, ties by key, never materialized last either way', () => {
    expect(sortCatalog(assets, { by: 'materialized', descending: true }).map((a) => a.key)).toEqual([
      'flights_daily',
      'reports/delay_report',
      'raw/flights',
      'delays_by_route',
      'exports/carrier_delays',
      'raw/weather',
    ]);
    expect(sortCatalog(assets, { by: 'materialized', descending: false }).map((a) => a.key)).toEqual([
      'delays_by_route',
      'raw/flights',
      'flights_daily',
      'reports/delay_report',
      'exports/carrier_delays',
      'raw/weather',
    ]);
  });

  test('leaves its input alone', () => {
    const copy = [...assets];
    sortCatalog(assets, { by: 'key', descending: true });
    expect(assets).toEqual(copy);
  });

  test('a header click flips its column, another column starts in its natural direction', () => {
    expect(nextSort(DEFAULT_SORT, 'key')).toEqual({ by: 'key', descending: true });
    expect(nextSort(DEFAULT_SORT, 'materialized')).toEqual({ by: 'materialized', descending: true });
    expect(nextSort({ by: 'materialized', descending: true }, 'materialized')).toEqual({ by: 'materialized', descending: false });
    expect(nextSort({ by: 'materialized', descending: true }, 'key')).toEqual({ by: 'key', descending: false });
  });
});

test('catalogOptions lists each value once, sorted', () => {
  expect(catalogOptions(assets)).toEqual({
    groups: ['default', 'exports', 'raw', 'reporting'],
    kinds: ['COMMAND', 'SOURCE', 'SQL'],
    states: ['FAILED', 'FRESH', 'MISSING', 'STALE'],
    tags: ['format=markdown', 'team=analytics', 'team=ops'],
  });
});

describe('the URL keeps filters and sort', () => {
  test('round trip', () => {
    const filter: CatalogFilter = { ...NO_CATALOG_FILTER, text: 'delay', group: 'reporting', tag: 'team=analytics', checks: 'WARN_FAILED' };
    const sort = { by: 'materialized' as const, descending: true };
    const search = catalogToSearch(filter, sort);
    expect(search).toBe('?q=delay&group=reporting&tag=team%3Danalytics&checks=WARN_FAILED&sort=-materialized');
    expect(catalogFromSearch(new URLSearchParams(search))).toEqual({ filter, sort });
  });

  test('nothing set: an empty search and the default sort', () => {
    expect(catalogToSearch(NO_CATALOG_FILTER, DEFAULT_SORT)).toBe('');
    expect(catalogFromSearch(new URLSearchParams(''))).toEqual({ filter: NO_CATALOG_FILTER, sort: DEFAULT_SORT });
  });

  test('unknown values fall back', () => {
    expect(catalogFromSearch(new URLSearchParams('sort=size&checks=maybe'))).toEqual({ filter: NO_CATALOG_FILTER, sort: DEFAULT_SORT });
  });
});

describe('catalog multi-select', () => {
  const keys = (s: Set<string>) => [...s].sort();
  const rows = (...k: string[]) => k.map((key) => ({ key }));

  test('a selection naming exactly the checked keys, slashes quoted, operator words kept as keys', () => {
    expect(keysSelection(['raw/flights', 'flights_daily', 'raw/flights'])).toBe('key:flights_daily or key:"raw/flights"');
    expect(keysSelection(['and'])).toBe('key:and');
    expect(keysSelection([])).toBe('');
  });

  test('the header checkbox checks the rows shown, or unchecks them when all are checked; hidden checks stay', () => {
    const hidden = new Set(['raw/weather']);
    const shown = rows('flights_daily', 'delays_by_route');
    expect(shownSelectionState(hidden, shown)).toBe('none');
    const all = toggleShown(hidden, shown);
    expect(keys(all)).toEqual(['delays_by_route', 'flights_daily', 'raw/weather']);
    expect(shownSelectionState(all, shown)).toBe('all');
    expect(keys(toggleShown(all, shown))).toEqual(['raw/weather']);
    const some = toggleKey(hidden, 'flights_daily');
    expect(shownSelectionState(some, shown)).toBe('some');
    expect(keys(toggleShown(some, shown))).toEqual(['delays_by_route', 'flights_daily', 'raw/weather']);
    expect(keys(toggleKey(some, 'flights_daily'))).toEqual(['raw/weather']);
  });

  test('checked assets: only keys that still exist, in the assets order, with how many the filters hide', () => {
    const selected = new Set(['raw/weather', 'gone', 'flights_daily']);
    expect(checkedAssets(selected, assets, rows('flights_daily'))).toEqual({ keys: ['raw/weather', 'flights_daily'], hidden: 1 });
    expect(checkedAssets(new Set(), assets, assets)).toEqual({ keys: [], hidden: 0 });
  });
});
