// The backfills list's filters and page size, kept in the URL
// (`?status=FAILED,CANCELED&asset=flights_daily&from=2026-12-01&to=2026-12-07&first=20`)
// as the runs list keeps its own (lib/runFilter.ts), and the variables of
// the `backfills` query.
import type { BackfillStatus } from '../api/generated';
import { createdBounds, createdFromSearch, createdParams, listSearch, pageSizeFromSearch, statusesFromSearch, type CreatedFilter } from './listFilter';

/** The backfill statuses, in the order the filter lists them (the API's `BackfillStatus`). */
export const BACKFILL_STATUSES: readonly BackfillStatus[] = ['REQUESTED', 'COMPLETED', 'FAILED', 'CANCELING', 'CANCELED'];

export interface BackfillFilter extends CreatedFilter {
  /** Backfill statuses (any of them); empty: all. */
  status: BackfillStatus[];
  /** An asset key the backfill's run has a step of; empty: any. */
  asset: string;
  /** Backfills per page (1 to 500). */
  first: number;
}

export const NO_BACKFILL_FILTER: Omit<BackfillFilter, 'first'> = { status: [], asset: '', from: '', to: '' };

export function backfillFilterFromSearch(search: URLSearchParams): BackfillFilter {
  return { status: statusesFromSearch(search, BACKFILL_STATUSES), asset: search.get('asset')?.trim() ?? '', ...createdFromSearch(search), first: pageSizeFromSearch(search) };
}

/** The query string of a filter (`''` when nothing is filtered); the default page size is left out. */
export function backfillFilterToSearch(f: BackfillFilter): string {
  return listSearch([['status', f.status.join(',')], ['asset', f.asset], ...createdParams(f)], f.first);
}

export function isFilteringBackfills(f: BackfillFilter): boolean {
  return f.status.length > 0 || !!f.asset || !!f.from || !!f.to;
}

/** The `backfills` query's variables for a filter (null where it does not filter). */
export function backfillsVariables(f: BackfillFilter, after: string | null = null) {
  return { first: f.first, after, status: f.status.length ? f.status : null, asset: f.asset || null, ...createdBounds(f) };
}
