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
