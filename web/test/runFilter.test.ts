import { describe, expect, test } from 'vitest';
import { DEFAULT_RUNS_PAGE_SIZE, NO_RUN_FILTER, isFilteringRuns, runFilterFromSearch, runFilterToSearch, runsVariables, type RunFilter } from '../src/lib/runFilter';

describe('runs list filters', () => {
  test('read from the URL: known statuses only, a page size within bounds, creation dates as typed', () => {
    const f = runFilterFromSearch(new URLSearchParams('status=success,bogus,FAILURE&asset=raw/airlines&origin=backfill:2&from=2026-12-01&to=2026-12-07&first=2'));
    expect(f).toEqual({ status: ['SUCCESS', 'FAILURE'], asset: 'raw/airlines', origin: 'backfill:2', from: '2026-12-01', to: '2026-12-07', first: 2 });
    expect(runFilterFromSearch(new URLSearchParams('first=0')).first).toBe(DEFAULT_RUNS_PAGE_SIZE);
    expect(runFilterFromSearch(new URLSearchParams('first=abc')).first).toBe(DEFAULT_RUNS_PAGE_SIZE);
    expect(isFilteringRuns(runFilterFromSearch(new URLSearchParams('first=2')))).toBe(false);
    expect(isFilteringRuns(runFilterFromSearch(new URLSearchParams('to=2026-12-07')))).toBe(true);
  });

  test('written back to the URL, round trip', () => {
    const f: RunFilter = { ...NO_RUN_FILTER, status: ['SUCCESS'], asset: 'raw/airlines', origin: 'cli', first: DEFAULT_RUNS_PAGE_SIZE };
    expect(runFilterToSearch(f)).toBe('?status=SUCCESS&asset=raw%2Fairlines&origin=cli');
    expect(runFilterFromSearch(new URLSearchParams(runFilterToSearch(f)))).toEqual(f);
    const dated: RunFilter = { ...f, from: '2026-12-01', to: '2026-12-07' };
    expect(runFilterToSearch(dated)).toBe('?status=SUCCESS&asset=raw%2Fairlines&origin=cli&from=2026-12-01&to=2026-12-07');
    expect(runFilterFromSearch(new URLSearchParams(runFilterToSearch(dated)))).toEqual(dated);
    expect(runFilterToSearch({ ...NO_RUN_FILTER, first: DEFAULT_RUNS_PAGE_SIZE })).toBe('');
  });

  test('query variables: null where nothing is filtered; a "to" day is included', () => {
    expect(runsVariables({ ...NO_RUN_FILTER, first: 2 }, 'c1')).toEqual({ first: 2, after: 'c1', status: null, asset: null, origin: null, createdAfter: null, createdBefore: null });
    expect(runsVariables({ ...NO_RUN_FILTER, status: ['FAILURE'], asset: 'a', origin: 'api', first: 5 }).status).toEqual(['FAILURE']);
    expect(runsVariables({ ...NO_RUN_FILTER, from: '2026-12-01', to: '2026-12-07', first: 5 })).toMatchObject({ createdAfter: '2026-12-01T00:00:00Z', createdBefore: '2026-12-08T00:00:00Z' });
    expect(runsVariables({ ...NO_RUN_FILTER, from: '2026-12-32', first: 5 }).createdAfter).toBeNull();
  });
});
