import { describe, expect, test } from 'vitest';
import { NO_BACKFILL_FILTER, backfillFilterFromSearch, backfillFilterToSearch, backfillsVariables, isFilteringBackfills, type BackfillFilter } from '../src/lib/backfillFilter';
import { DEFAULT_PAGE_SIZE } from '../src/lib/listFilter';

describe('backfills list filter', () => {
  test('read from the URL: backfill statuses only (a run status is not one), asset, creation dates, a page size within bounds', () => {
    const f = backfillFilterFromSearch(new URLSearchParams('status=failed,SUCCESS,CANCELED&asset=flights_daily&from=2026-12-01&first=2'));
    expect(f).toEqual({ status: ['FAILED', 'CANCELED'], asset: 'flights_daily', from: '2026-12-01', to: '', first: 2 });
    expect(isFilteringBackfills(f)).toBe(true);
    expect(isFilteringBackfills(backfillFilterFromSearch(new URLSearchParams('first=2')))).toBe(false);
    expect(isFilteringBackfills(backfillFilterFromSearch(new URLSearchParams('asset=x')))).toBe(true);
  });

  test('written back to the URL, round trip', () => {
    const f: BackfillFilter = { ...NO_BACKFILL_FILTER, status: ['COMPLETED'], first: DEFAULT_PAGE_SIZE };
    expect(backfillFilterToSearch(f)).toBe('?status=COMPLETED');
    expect(backfillFilterFromSearch(new URLSearchParams(backfillFilterToSearch(f)))).toEqual(f);
    const all: BackfillFilter = { status: ['FAILED'], asset: 'raw/flights', from: '2026-12-01', to: '2026-12-07T12:00', first: 3 };
    expect(backfillFilterToSearch(all)).toBe('?status=FAILED&asset=raw%2Fflights&from=2026-12-01&to=2026-12-07T12%3A00&first=3');
    expect(backfillFilterFromSearch(new URLSearchParams(backfillFilterToSearch(all)))).toEqual(all);
    expect(backfillFilterToSearch({ ...NO_BACKFILL_FILTER, first: DEFAULT_PAGE_SIZE })).toBe('');
  });

  test('query variables: null where nothing is filtered', () => {
    expect(backfillsVariables({ ...NO_BACKFILL_FILTER, first: 2 }, 'c1')).toEqual({ first: 2, after: 'c1', status: null, asset: null, createdAfter: null, createdBefore: null });
    expect(backfillsVariables({ status: ['FAILED'], asset: 'a', from: '2026-12-07T10:00', to: '', first: 5 })).toEqual({
      first: 5,
      after: null,
      status: ['FAILED'],
      asset: 'a',
      createdAfter: '2026-12-07T10:00:00Z',
      createdBefore: null,
    });
  });
});
