// The backfills list's filter and page size, kept in the URL
// (`?status=FAILED,CANCELED&first=20`) as the runs list keeps its own
// (lib/runFilter.ts), and the variables of the `backfills` query.
import type { BackfillStatus } from '../api/generated';
import { listSearch, pageSizeFromSearch, statusesFromSearch } from './listFilter';

/** The backfill statuses, in the order the filter lists them (the API's `BackfillStatus`). */
export const BACKFILL_STATUSES: readonly BackfillStatus[] = ['REQUESTED', 'COMPLETED', 'FAILED', 'CANCELING', 'CANCELED'];

export interface BackfillFilter {
  /** Backfill statuses (any of them); empty: all. */
  status: BackfillStatus[];
  /** Backfills per page (1 to 500). */
  first: number;
}

export function backfillFilterFromSearch(search: URLSearchParams): BackfillFilter {
  return { status: statusesFromSearch(search, BACKFILL_STATUSES), first: pageSizeFromSearch(search) };
}

/** The query string of a filter (`''` when nothing is filtered); the default page size is left out. */
export function backfillFilterToSearch(f: BackfillFilter): string {
  return listSearch([['status', f.status.join(',')]], f.first);
}

export function isFilteringBackfills(f: BackfillFilter): boolean {
  return f.status.length > 0;
}

/** The `backfills` query's variables for a filter (null where it does not filter). */
export function backfillsVariables(f: BackfillFilter, after: string | null = null) {
  return { first: f.first, after, status: f.status.length ? f.status : null };
}
