// The runs list's filters and page size, kept in the URL
// (`?status=SUCCESS&asset=raw/airlines&origin=backfill:2&from=2026-12-01&to=2026-12-07&first=20`),
// and the variables of the `runs` query they make.
import type { RunStatus } from '../api/generated';
import { DEFAULT_PAGE_SIZE, createdBounds, createdFromSearch, createdParams, listSearch, pageSizeFromSearch, statusesFromSearch, type CreatedFilter } from './listFilter';

/** The run statuses, in the order the filter lists them (the API's `RunStatus`). */
export const RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'STARTED', 'SUCCESS', 'FAILURE', 'CANCELING', 'CANCELED'];

/** The origins a run can have besides a backfill's (`backfill:<id>`). */
export const RUN_ORIGINS = ['cli', 'api'] as const;

export const DEFAULT_RUNS_PAGE_SIZE = DEFAULT_PAGE_SIZE;

export interface RunFilter extends CreatedFilter {
  /** Run statuses (any of them); empty: all. */
  status: RunStatus[];
  /** An asset key the run targets; empty: any. */
  asset: string;
  /** `cli`, `api` or `backfill:<id>`; empty: any. */
  origin: string;
  /** Runs per page (1 to 500). */
  first: number;
}

export const NO_RUN_FILTER: Omit<RunFilter, 'first'> = { status: [], asset: '', origin: '', from: '', to: '' };

export function runFilterFromSearch(search: URLSearchParams): RunFilter {
  return {
    status: statusesFromSearch(search, RUN_STATUSES),
    asset: search.get('asset')?.trim() ?? '',
    origin: search.get('origin')?.trim() ?? '',
    ...createdFromSearch(search),
    first: pageSizeFromSearch(search),
  };
}

/** The query string of a filter (`''` when nothing is filtered); the default page size is left out. */
export function runFilterToSearch(f: RunFilter): string {
  return listSearch([['status', f.status.join(',')], ['asset', f.asset], ['origin', f.origin], ...createdParams(f)], f.first);
}

export function isFilteringRuns(f: RunFilter): boolean {
  return f.status.length > 0 || !!f.asset || !!f.origin || !!f.from || !!f.to;
}

/** The `runs` query's variables for a filter (null where it does not filter). */
export function runsVariables(f: RunFilter, after: string | null = null) {
  return { first: f.first, after, status: f.status.length ? f.status : null, asset: f.asset || null, origin: f.origin || null, ...createdBounds(f) };
}
