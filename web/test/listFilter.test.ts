import { describe, expect, test } from 'vitest';
import { DEFAULT_PAGE_SIZE, listSearch, mergePages, pageSizeFromSearch, statusesFromSearch } from '../src/lib/listFilter';

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
