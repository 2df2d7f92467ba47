// The runs list's filters and page size, kept in the URL
// (`?status=SUCCESS&asset=raw/airlines&origin=backfill:2&first=20`), and
// the variables of the `runs` query they make.
import type { RunStatus } from '../api/generated';

/** The run statuses, in the order the filter lists them (the API's `RunStatus`). */
export const RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'STARTED', 'SUCCESS', 'FAILURE', 'CANCELING', 'CANCELED'];

/** The origins a run can have besides a backfill's (`backfill:<id>`). */
export const RUN_ORIGINS = ['cli', 'api'] as const;

export const DEFAULT_RUNS_PAGE_SIZE = 50;

export interface RunFilter {
  /** Run statuses (any of them); empty: all. */
  status: RunStatus[];
  /** An asset key the run targets; empty: any. */
  asset: string;
  /** `cli`, `api` or `backfill:<id>`; empty: any. */
  origin: string;
  /** Runs per page (1 to 500). */
  first: number;
}

export function runFilterFromSearch(search: URLSearchParams): RunFilter {
  const status = (search.get('status') ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s));
  const first = Number(search.get('first'));
  return {
    status,
    asset: search.get('asset')?.trim() ?? '',
    origin: search.get('origin')?.trim() ?? '',
    first: Number.isInteger(first) && first >= 1 && first <= 500 ? first : DEFAULT_RUNS_PAGE_SIZE,
  };
}

/** The query string of a filter (`''` when nothing is filtered); the default page size is left out. */
export function runFilterToSearch(f: RunFilter): string {
  const params = new URLSearchParams();
  if (f.status.length) params.set('status', f.status.join(','));
  if (f.asset) params.set('asset', f.asset);
  if (f.origin) params.set('origin', f.origin);
  if (f.first !== DEFAULT_RUNS_PAGE_SIZE) params.set('first', String(f.first));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function isFilteringRuns(f: RunFilter): boolean {
  return f.status.length > 0 || !!f.asset || !!f.origin;
}

/** The `runs` query's variables for a filter (null where it does not filter). */
export function runsVariables(f: RunFilter, after: string | null = null) {
  return { first: f.first, after, status: f.status.length ? f.status : null, asset: f.asset || null, origin: f.origin || null };
}

/** Loaded pages as one list, newest first: a run seen twice (the first page is polled, later pages shift) is listed once. */
export function mergeRunPages<T extends { id: string }>(pages: readonly (readonly T[])[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const page of pages)
    for (const run of page) {
      if (seen.has(run.id)) continue;
      seen.add(run.id);
      out.push(run);
    }
  return out;
}
