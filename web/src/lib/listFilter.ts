// What the runs and backfills lists share: statuses and a page size read
// from the URL, and the pages "Load more" fetched merged into one list.

export const DEFAULT_PAGE_SIZE = 50;

/** `?status=success,FAILURE`: the known statuses among them (upper-cased), in the URL's order. */
export function statusesFromSearch<S extends string>(search: URLSearchParams, known: readonly S[]): S[] {
  return (search.get('status') ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s): s is S => (known as readonly string[]).includes(s));
}

/** `?first=20`: rows per page, 1 to 500; else the default. */
export function pageSizeFromSearch(search: URLSearchParams): number {
  const first = Number(search.get('first'));
  return Number.isInteger(first) && first >= 1 && first <= 500 ? first : DEFAULT_PAGE_SIZE;
}

/** A list's query string from its parameters (`''` when none is set); empty values and the default page size are left out. */
export function listSearch(params: readonly [string, string][], first: number): string {
  const search = new URLSearchParams();
  for (const [name, value] of params) if (value) search.set(name, value);
  if (first !== DEFAULT_PAGE_SIZE) search.set('first', String(first));
  const s = search.toString();
  return s ? `?${s}` : '';
}

/** Loaded pages as one list, newest first: an item seen twice (the first page is polled, later pages shift) is listed once. */
export function mergePages<T extends { id: string }>(pages: readonly (readonly T[])[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const page of pages)
    for (const item of page) {
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      out.push(item);
    }
  return out;
}

/**
 * A creation-date bound typed in a list's filter, UTC, as ISO 8601: a day
 * (`2026-12-07`) or a time (`2026-12-07T13:05`, `2026-12-07T13:05:30Z`);
 * null when it is neither or not a real date. `end` turns a day into the
 * next midnight (the filter's "to" day is included); a time stays itself.
 */
export function dateBound(text: string, end: boolean): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?)?$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // 2026-02-30 or 25:00 would roll over: not a real date.
  if (at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d || at.getUTCHours() !== h || at.getUTCMinutes() !== mi || at.getUTCSeconds() !== s) return null;
  if (end && m[4] === undefined) at.setUTCDate(d + 1);
  return at.toISOString().replace('.000Z', 'Z');
}

/** When a run or backfill was created: from a day or time, to a day (included) or time, UTC; empty: unbounded. */
export interface CreatedFilter {
  from: string;
  to: string;
}

/** `?from=2026-12-01&to=2026-12-07`, as typed (an invalid bound is kept in the URL and filters nothing). */
export function createdFromSearch(search: URLSearchParams): CreatedFilter {
  return { from: search.get('from')?.trim() ?? '', to: search.get('to')?.trim() ?? '' };
}

/** The URL parameters of a creation-date filter, for `listSearch`. */
export function createdParams(f: CreatedFilter): [string, string][] {
  return [
    ['from', f.from],
    ['to', f.to],
  ];
}

/** The `createdAfter` (inclusive) and `createdBefore` (exclusive) of a from/to filter; null where a bound is empty or invalid. */
export function createdBounds(f: CreatedFilter): { createdAfter: string | null; createdBefore: string | null } {
  return { createdAfter: f.from ? dateBound(f.from, false) : null, createdBefore: f.to ? dateBound(f.to, true) : null };
}
