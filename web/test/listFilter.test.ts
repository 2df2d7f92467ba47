import { describe, expect, test } from 'vitest';
import { DEFAULT_PAGE_SIZE, createdBounds, createdFromSearch, createdParams, dateBound, listSearch, mergePages, pageSizeFromSearch, statusesFromSearch } from '../src/lib/listFilter';

describe('list filters shared by runs and backfills', () => {
  test('statuses: the known ones, upper-cased, in the URL order', () => {
    const known = ['A', 'B', 'C'] as const;
    expect(statusesFromSearch(new URLSearchParams('status=c, a,bogus'), known)).toEqual(['C', 'A']);
    expect(statusesFromSearch(new URLSearchParams(''), known)).toEqual([]);
  });

  test('page size within 1 to 500, else the default', () => {
    expect(pageSizeFromSearch(new URLSearchParams('first=2'))).toBe(2);
    expect(pageSizeFromSearch(new URLSearchParams('first=500'))).toBe(500);
    for (const bad of ['first=0', 'first=501', 'first=2.5', 'first=abc', '']) expect(pageSizeFromSearch(new URLSearchParams(bad))).toBe(DEFAULT_PAGE_SIZE);
  });

  test('query string: empty values and the default page size left out', () => {
    expect(listSearch([['status', 'FAILED'], ['asset', '']], DEFAULT_PAGE_SIZE)).toBe('?status=FAILED');
    expect(listSearch([['asset', 'raw/x']], 2)).toBe('?asset=raw%2Fx&first=2');
    expect(listSearch([['status', '']], DEFAULT_PAGE_SIZE)).toBe('');
  });

  test('pages merge without repeating an item', () => {
    expect(mergePages([[{ id: 'r-5' }, { id: 'r-4' }], [{ id: 'r-4' }, { id: 'r-3' }]]).map((r) => r.id)).toEqual(['r-5', 'r-4', 'r-3']);
  });
});

describe('creation-date bounds (UTC, ISO 8601)', () => {
  test('a "from" day starts at its midnight; a "to" day is included (up to the next midnight)', () => {
    expect(createdBounds({ from: '2026-12-07', to: '2026-12-07' })).toEqual({ createdAfter: '2026-12-07T00:00:00Z', createdBefore: '2026-12-08T00:00:00Z' });
    expect(dateBound('2026-12-31', true)).toBe('2027-01-01T00:00:00Z');
    expect(dateBound('2028-02-28', true)).toBe('2028-02-29T00:00:00Z');
  });

  test('a time is that instant, in UTC, with or without seconds and Z', () => {
    expect(dateBound('2026-12-07T13:05', false)).toBe('2026-12-07T13:05:00Z');
    expect(dateBound('2026-12-07T13:05:30Z', true)).toBe('2026-12-07T13:05:30Z');
  });

  test('anything else is no bound', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '2026-12-07T25:00', '07/12/2026', '2026-12', 'yesterday']) expect(dateBound(bad, false)).toBeNull();
    expect(createdBounds({ from: '', to: '' })).toEqual({ createdAfter: null, createdBefore: null });
    expect(createdBounds({ from: 'nope', to: '2026-12-07' })).toEqual({ createdAfter: null, createdBefore: '2026-12-08T00:00:00Z' });
  });

  test('kept in the URL as typed: from and to', () => {
    const f = createdFromSearch(new URLSearchParams('from=2026-12-01&to=%202026-12-07T10:00Z'));
    expect(f).toEqual({ from: '2026-12-01', to: '2026-12-07T10:00Z' });
    expect(listSearch(createdParams(f), DEFAULT_PAGE_SIZE)).toBe('?from=2026-12-01&to=2026-12-07T10%3A00Z');
    expect(createdFromSearch(new URLSearchParams(''))).toEqual({ from: '', to: '' });
  });
});
