import { describe, expect, test } from 'vitest';
import { DEFAULT_RUNS_PAGE_SIZE, isFilteringRuns, runFilterFromSearch, runFilterToSearch, runsVariables, type RunFilter } from '../src/lib/runFilter';

describe('runs list filters', () => {
  test('read from the URL: known statuses only, a page size within bounds', () => {
    const f = runFilterFromSearch(new URLSearchParams('status=success,bogus,FAILURE&asset=raw/airlines&origin=backfill:2&first=2'));
    expect(f).toEqual({ status: ['SUCCESS', 'FAILURE'], asset: 'raw/airlines', origin: 'backfill:2', first: 2 });
    expect(runFilterFromSearch(new URLSearchParams('first=0')).first).toBe(DEFAULT_RUNS_PAGE_SIZE);
    expect(runFilterFromSearch(new URLSearchParams('first=abc')).first).toBe(DEFAULT_RUNS_PAGE_SIZE);
    expect(isFilteringRuns(runFilterFromSearch(new URLSearchParams('first=2')))).toBe(false);
  });

  test('written back to the URL, round trip', () => {
    const f: RunFilter = { status: ['SUCCESS'], asset: 'raw/airlines', origin: 'cli', first: DEFAULT_RUNS_PAGE_SIZE };
    expect(runFilterToSearch(f)).toBe('?status=SUCCESS&asset=raw%2Fairlines&origin=cli');
    expect(runFilterFromSearch(new URLSearchParams(runFilterToSearch(f)))).toEqual(f);
    expect(runFilterToSearch({ status: [], asset: '', origin: '', first: DEFAULT_RUNS_PAGE_SIZE })).toBe('');
  });

  test('query variables: null where nothing is filtered', () => {
    expect(runsVariables({ status: [], asset: '', origin: '', first: 2 }, 'c1')).toEqual({ first: 2, after: 'c1', status: null, asset: null, origin: null });
    expect(runsVariables({ status: ['FAILURE'], asset: 'a', origin: 'api', first: 5 }).status).toEqual(['FAILURE']);
  });
});
