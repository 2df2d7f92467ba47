// The asset catalog's filters and sorting: pure functions over the assets
// the `assets` query returns, kept in the URL (`?q=delay&group=raw`) so a
// filtered catalog can be linked. Runs on every keystroke of the search:
// one pass over the assets, no allocation per asset beyond the result.

/** What the catalog reads of an asset (the `Catalog` query's fields, with the lineage graph's state). */
export interface CatalogAsset {
  key: string;
  group: string;
  kind: string;
  tags: readonly { key: string; value: string }[];
  /** The lineage graph's state: FRESH, STALE, MISSING, FAILED, MATERIALIZING or OVERDUE. */
  state: string;
  latestMaterialization: { materializedAt: string } | null;
  freshness: { status: string } | null;
  checks: readonly { severity: string; passed: number; failed: number }[];
}

/** The verdict of an asset's checks: an error check failing, a warn check failing, all passing, none evaluated, no checks. */
export type CheckVerdict = 'ERROR_FAILED' | 'WARN_FAILED' | 'PASSED' | 'NOT_EVALUATED' | 'NO_CHECKS';

export const CHECK_VERDICTS: { verdict: CheckVerdict; label: string }[] = [
  { verdict: 'ERROR_FAILED', label: 'an error check failed' },
  { verdict: 'WARN_FAILED', label: 'a warn check failed' },
  { verdict: 'PASSED', label: 'all checks passed' },
  { verdict: 'NOT_EVALUATED', label: 'checks not evaluated' },
  { verdict: 'NO_CHECKS', label: 'no checks' },
];

export function checkVerdict(checks: CatalogAsset['checks']): CheckVerdict {
  if (checks.length === 0) return 'NO_CHECKS';
  if (checks.some((c) => c.failed > 0 && c.severity === 'ERROR')) return 'ERROR_FAILED';
  if (checks.some((c) => c.failed > 0)) return 'WARN_FAILED';
  if (checks.some((c) => c.passed > 0)) return 'PASSED';
  return 'NOT_EVALUATED';
}

/** `NONE` matches an asset without a freshness policy. */
export const NO_FRESHNESS_POLICY = 'NONE';

export interface CatalogFilter {
  /** Case-insensitive text in the key. */
  text: string;
  group: string;
  kind: string;
  state: string;
  /** `team` (any value) or `team=analytics`. */
  tag: string;
  /** A freshness status (PASS, WARN, FAIL, UNKNOWN) or NONE. */
  freshness: string;
  checks: CheckVerdict | '';
}

export const NO_CATALOG_FILTER: CatalogFilter = { text: '', group: '', kind: '', state: '', tag: '', freshness: '', checks: '' };

export type CatalogSortField = 'key' | 'materialized';
export interface CatalogSort {
  by: CatalogSortField;
  descending: boolean;
}

/** Keys A to Z. */
export const DEFAULT_SORT: CatalogSort = { by: 'key', descending: false };

export function isFiltering(f: CatalogFilter): boolean {
  return !!(f.text.trim() || f.group || f.kind || f.state || f.tag || f.freshness || f.checks);
}

/** `team=analytics` -> `['team', 'analytics']`; `team` -> `['team', null]` (any value). */
export function parseTag(tag: string): [string, string | null] {
  const i = tag.indexOf('=');
  return i < 0 ? [tag, null] : [tag.slice(0, i), tag.slice(i + 1)];
}

export function formatTag(tag: { key: string; value: string }): string {
  return tag.value === '' ? tag.key : `${tag.key}=${tag.value}`;
}

export function matchesCatalogFilter(a: CatalogAsset, f: CatalogFilter, text = f.text.trim().toLowerCase()): boolean {
  if (text && !a.key.toLowerCase().includes(text)) return false;
  if (f.group && a.group !== f.group) return false;
  if (f.kind && a.kind !== f.kind) return false;
  if (f.state && a.state !== f.state) return false;
  if (f.tag) {
    const [key, value] = parseTag(f.tag);
    if (!a.tags.some((t) => t.key === key && (value === null || t.value === value))) return false;
  }
  if (f.freshness && (a.freshness?.status ?? NO_FRESHNESS_POLICY) !== f.freshness) return false;
  if (f.checks && checkVerdict(a.checks) !== f.checks) return false;
  return true;
}

/** The assets a filter keeps, in their order (the same array when nothing filters). */
export function filterCatalog<T extends CatalogAsset>(assets: readonly T[], f: CatalogFilter): readonly T[] {
  if (!isFiltering(f)) return assets;
  const text = f.text.trim().toLowerCase();
  return assets.filter((a) => matchesCatalogFilter(a, f, text));
}

/**
 * Sorted by key (A to Z, or Z to A) or by last materialization (newest
 * first, or oldest first); never-materialized assets come last either way,
 * ties by key.
 */
export function sortCatalog<T extends CatalogAsset>(assets: readonly T[], sort: CatalogSort): T[] {
  const byKey = (a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const sign = sort.descending ? -1 : 1;
  if (sort.by === 'key') return [...assets].sort((a, b) => sign * byKey(a, b));
  const at = (a: T) => (a.latestMaterialization ? Date.parse(a.latestMaterialization.materializedAt) : null);
  return [...assets].sort((a, b) => {
    const x = at(a);
    const y = at(b);
    if (x === null || y === null) return x === y ? byKey(a, b) : x === null ? 1 : -1;
    // "descending" on this column is newest first.
    return (x === y ? 0 : sort.descending ? y - x : x - y) || byKey(a, b);
  });
}

/** The values each filter offers, each once, sorted: groups, kinds, states, tags (`key=value`). */
export function catalogOptions(assets: readonly CatalogAsset[]): { groups: string[]; kinds: string[]; states: string[]; tags: string[] } {
  const groups = new Set<string>();
  const kinds = new Set<string>();
  const states = new Set<string>();
  const tags = new Set<string>();
  for (const a of assets) {
    groups.add(a.group);
    kinds.add(a.kind);
    states.add(a.state);
    for (const t of a.tags) tags.add(formatTag(t));
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { groups: sorted(groups), kinds: sorted(kinds), states: sorted(states), tags: sorted(tags) };
}

const PARAMS: (keyof CatalogFilter)[] = ['group', 'kind', 'state', 'tag', 'freshness', 'checks'];

/** The filter and sort a URL's search holds: `?q=delay&group=raw&sort=-materialized`. */
export function catalogFromSearch(search: URLSearchParams): { filter: CatalogFilter; sort: CatalogSort } {
  const filter: CatalogFilter = { ...NO_CATALOG_FILTER, text: search.get('q') ?? '' };
  for (const p of PARAMS) (filter as unknown as Record<string, string>)[p] = search.get(p) ?? '';
  if (!CHECK_VERDICTS.some((c) => c.verdict === filter.checks)) filter.checks = '';
  const s = search.get('sort') ?? '';
  const descending = s.startsWith('-');
  const by = s.replace(/^-/, '');
  const sort: CatalogSort = by === 'key' || by === 'materialized' ? { by, descending } : DEFAULT_SORT;
  return { filter, sort };
}

/** The URL search for a filter and sort (empty values and the default sort left out). */
export function catalogToSearch(filter: CatalogFilter, sort: CatalogSort): string {
  const search = new URLSearchParams();
  if (filter.text) search.set('q', filter.text);
  for (const p of PARAMS) if (filter[p]) search.set(p, filter[p]);
  if (sort.by !== DEFAULT_SORT.by || sort.descending !== DEFAULT_SORT.descending) search.set('sort', `${sort.descending ? '-' : ''}${sort.by}`);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A click on a column header: the same column flips its direction; another column starts with its natural direction (keys A to Z, newest first). */
export function nextSort(current: CatalogSort, by: CatalogSortField): CatalogSort {
  if (current.by === by) return { by, descending: !current.descending };
  return { by, descending: by === 'materialized' };
}

// Multi-select: the catalog's checked assets, named to the API as one
// selection (`key:"raw/flights" or key:flights_daily`).

/**
 * The selection naming exactly these assets, in the selection grammar:
 * `key:` so a key that is an operator word (`and`, `not`, `roots`) stays a
 * key; quoted when it holds anything but letters, digits and `_` (a `/`),
 * as README writes `key:"raw/flights"`; joined with `or`; sorted.
 */
export function keysSelection(keys: Iterable<string>): string {
  return [...new Set(keys)]
    .sort()
    .map((k) => (/^[A-Za-z0-9_]+$/.test(k) ? `key:${k}` : `key:"${k}"`))
    .join(' or ');
}

/** The header checkbox over the rows shown: all of them checked, some, or none. */
export function shownSelectionState(selected: ReadonlySet<string>, shown: readonly { key: string }[]): 'all' | 'some' | 'none' {
  let n = 0;
  for (const a of shown) if (selected.has(a.key)) n++;
  return n === 0 ? 'none' : n === shown.length ? 'all' : 'some';
}

/**
 * A click on the header checkbox: when every row shown is checked, they are
 * unchecked; otherwise every row shown is checked. Checked assets the
 * filters hide stay checked either way.
 */
export function toggleShown(selected: ReadonlySet<string>, shown: readonly { key: string }[]): Set<string> {
  const next = new Set(selected);
  if (shownSelectionState(selected, shown) === 'all') for (const a of shown) next.delete(a.key);
  else for (const a of shown) next.add(a.key);
  return next;
}

/** One row's checkbox. */
export function toggleKey(selected: ReadonlySet<string>, key: string): Set<string> {
  const next = new Set(selected);
  if (!next.delete(key)) next.add(key);
  return next;
}

/** The checked keys that still name an asset (a reload may remove some), in the assets' order, and how many of them the filters hide. */
export function checkedAssets(selected: ReadonlySet<string>, assets: readonly { key: string }[], shown: readonly { key: string }[]): { keys: string[]; hidden: number } {
  const keys = assets.filter((a) => selected.has(a.key)).map((a) => a.key);
  let visible = 0;
  for (const a of shown) if (selected.has(a.key)) visible++;
  return { keys, hidden: keys.length - visible };
}
