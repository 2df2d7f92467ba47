import { describe, expect, test } from 'vitest';
import { backfillFilterFromSearch, backfillFilterToSearch, backfillsVariables, isFilteringBackfills, type BackfillFilter } from '../src/lib/backfillFilter';
import { DEFAULT_PAGE_SIZE } from '../src/lib/listFilter';

describe('backfills list filter', () => {
  test('read from the URL: backfill statuses only (a run status is not one), a page size within bounds', () => {
    const f = backfillFilterFromSearch(new URLSearchParams('status=failed,SUCCESS,CANCELED&first=2'));
    expect(f).toEqual({ status: ['FAILED', 'CANCELED'], first: 2 });
    expect(isFilteringBackfills(f)).toBe(true);
    expect(isFilteringBackfills(backfillFilterFromSearch(new URLSearchParams('first=2')))).toBe(false);
  });

  test('written back to the URL, round trip', () => {
    const f: BackfillFilter = { status: ['COMPLETED'], first: DEFAULT_PAGE_SIZE };
    expect(backfillFilterToSearch(f)).toBe('?status=COMPLETED');
    expect(backfillFilterFromSearch(new URLSearchParams(backfillFilterToSearch(f)))).toEqual(f);
    expect(backfillFilterToSearch({ status: [], first: 3 })).toBe('?first=3');
    expect(backfillFilterToSearch({ status: [], first: DEFAULT_PAGE_SIZE })).toBe('');
  });

  test('query variables: null where nothing is filtered', () => {
    expect(backfillsVariables({ status: [], first: 2 }, 'c1')).toEqual({ first: 2, after: 'c1', status: null });
    expect(backfillsVariables({ status: ['FAILED'], first: 5 })).toEqual({ first: 5, after: null, status: ['FAILED'] });
  });
});
