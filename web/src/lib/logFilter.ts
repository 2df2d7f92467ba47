// Structured filters of a run's log (as Dagster's run log): levels, event
// types, asset, partition, and free text over what a line shows.

export interface LogLine {
  cursor: string;
  kind: string;
  level: string;
  asset?: string | null;
  partition?: string | null;
  message: string;
  /** The event's data (a check evaluation's `{ check, passed, severity, violations }`). */
  data?: unknown;
}

/**
 * The level a line is shown (and filtered) with: the server records every
 * failed check evaluation at WARN, but an error-severity check's failure
 * stops publication, so it is an ERROR here, in error colour.
 */
export function displayLevel(line: Pick<LogLine, 'kind' | 'level' | 'data'>): string {
  if (line.kind === 'ASSET_CHECK_EVALUATION' && line.data && typeof line.data === 'object') {
    const d = line.data as { passed?: unknown; severity?: unknown };
    if (d.passed === false && typeof d.severity === 'string' && d.severity.toLowerCase() === 'error') return 'ERROR';
  }
  return line.level;
}

export interface LogFilter {
  /** Levels shown (empty: all). */
  levels: ReadonlySet<string>;
  /** Event types shown (empty: all). */
  kinds: ReadonlySet<string>;
  /** Only lines of this asset. */
  asset: string;
  /** Only lines of this partition. */
  partition: string;
  /** Case-insensitive text in the asset, partition, kind or message. */
  text: string;
}

export const NO_FILTER: LogFilter = { levels: new Set(), kinds: new Set(), asset: '', partition: '', text: '' };

export const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

export function isFiltering(f: LogFilter): boolean {
  return f.levels.size > 0 || f.kinds.size > 0 || !!f.asset || !!f.partition || !!f.text.trim();
}

/** A test of one line against `f`, with the filter's text lowered once. */
export function lineMatcher(f: LogFilter): (line: LogLine) => boolean {
  const text = f.text.trim().toLowerCase();
  return (line) => {
    if (f.levels.size && !f.levels.has(displayLevel(line))) return false;
    if (f.kinds.size && !f.kinds.has(line.kind)) return false;
    if (f.asset && line.asset !== f.asset) return false;
    if (f.partition && line.partition !== f.partition) return false;
    if (text && !`${line.asset ?? ''} ${line.partition ?? ''} ${line.kind} ${line.message}`.toLowerCase().includes(text)) return false;
    return true;
  };
}

export function matchesFilter(line: LogLine, f: LogFilter): boolean {
  return lineMatcher(f)(line);
}

export function filterLog<T extends LogLine>(lines: readonly T[], f: LogFilter): readonly T[] {
  if (!isFiltering(f)) return lines;
  const matches = lineMatcher(f);
  return lines.filter((l) => matches(l));
}

/**
 * `filterLog` of a log that only grows (lib/runLog's lines: one array,
 * appended to in place): each `update` tests only the lines added since the
 * last one, and starts over when the filter or the array changes. Not
 * filtering, it answers the lines themselves. The answer is one array,
 * grown in place while the filter holds.
 */
export class IncrementalFilter<T extends LogLine> {
  private source: readonly T[] | null = null;
  private key: string | null = null;
  private matches: (line: LogLine) => boolean = () => true;
  private scanned = 0;
  private shown: T[] = [];

  update(lines: readonly T[], f: LogFilter): readonly T[] {
    if (!isFiltering(f)) {
      this.source = null;
      this.key = null;
      this.shown = [];
      return lines;
    }
    const key = filterToSearch(f);
    if (lines !== this.source || key !== this.key || lines.length < this.scanned) {
      this.source = lines;
      this.key = key;
      this.matches = lineMatcher(f);
      this.scanned = 0;
      this.shown = [];
    }
    for (; this.scanned < lines.length; this.scanned++) {
      const line = lines[this.scanned];
      if (this.matches(line)) this.shown.push(line);
    }
    return this.shown;
  }
}

export interface Facets {
  kinds: [string, number][];
  assets: [string, number][];
  partitions: [string, number][];
  levels: [string, number][];
}

/**
 * Counts by value, the values kept sorted as they come: a new value is put
 * in its place (a binary search and one insert), a value seen again is
 * counted in place, so a log that grows never sorts its values again (a
 * live run's log has a partition each, 1,000 of them, and grows every
 * second).
 */
export class SortedCounts {
  private readonly counts = new Map<string, number>();
  private readonly sorted: string[] = [];

  add(value: string | null | undefined): void {
    if (!value) return;
    const n = this.counts.get(value);
    if (n !== undefined) {
      this.counts.set(value, n + 1);
      return;
    }
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    this.sorted.splice(lo, 0, value);
    this.counts.set(value, 1);
  }

  get size(): number {
    return this.sorted.length;
  }

  count(value: string): number {
    return this.counts.get(value) ?? 0;
  }

  /** The values, sorted (code unit order), read only. */
  values(): readonly string[] {
    return this.sorted;
  }

  /** The values, sorted, with their counts (a new array). */
  entries(): [string, number][] {
    return this.sorted.map((v) => [v, this.counts.get(v)!]);
  }
}

type FacetName = 'kinds' | 'assets' | 'partitions' | 'levels';

/**
 * `facets` of a log that only grows, counted incrementally: each `scan`
 * counts only the lines added since the last one (partitions of `asset`
 * only, when one is given), and the values of each facet stay sorted as
 * they come (SortedCounts): no list is built or sorted until one is asked
 * for (`entries`, or `update` for every facet, the same object while
 * nothing was added).
 */
export class IncrementalFacets {
  private source: readonly LogLine[] | null = null;
  private asset = '';
  private scanned = 0;
  private counted = 0;
  private counts = IncrementalFacets.empty();
  private answer: Facets | null = null;

  private static empty(): Record<FacetName, SortedCounts> {
    return { kinds: new SortedCounts(), assets: new SortedCounts(), partitions: new SortedCounts(), levels: new SortedCounts() };
  }

  /**
   * Counts the lines added since the last scan (every line again when the
   * array or `asset` changed); answers a number that changes whenever a
   * count did (the lines counted, since this object began).
   */
  scan(lines: readonly LogLine[], asset = ''): number {
    if (lines !== this.source || asset !== this.asset || lines.length < this.scanned) {
      this.source = lines;
      this.asset = asset;
      this.scanned = 0;
      this.counted++;
      this.counts = IncrementalFacets.empty();
      this.answer = null;
    }
    const c = this.counts;
    if (this.scanned < lines.length) this.answer = null;
    for (; this.scanned < lines.length; this.scanned++, this.counted++) {
      const line = lines[this.scanned];
      c.kinds.add(line.kind);
      c.assets.add(line.asset);
      c.levels.add(displayLevel(line));
      if (!asset || line.asset === asset) c.partitions.add(line.partition);
    }
    return this.counted;
  }

  /** One facet's counts, as of the last scan (read only). */
  facet(name: FacetName): SortedCounts {
    return this.counts[name];
  }

  /** One facet's values and counts, as of the last scan (a new array; levels in LEVELS' order). */
  entries(name: FacetName): [string, number][] {
    const e = this.counts[name].entries();
    return name === 'levels' ? e.sort((a, b) => LEVELS.indexOf(a[0]) - LEVELS.indexOf(b[0])) : e;
  }

  update(lines: readonly LogLine[], asset = ''): Facets {
    this.scan(lines, asset);
    if (!this.answer) {
      this.answer = { kinds: this.entries('kinds'), assets: this.entries('assets'), partitions: this.entries('partitions'), levels: this.entries('levels') };
    }
    return this.answer;
  }
}

/** The most a closed, unfocused filter list's options lag behind the log, in milliseconds (components/LogFilters). */
export const LIST_REFRESH_MS = 5000;

/**
 * The lists the filters draw, each a snapshot of its facet: taken again
 * when what the list counts changed (`of`: the asset whose partitions it
 * lists) or, once its counts moved on (`version`), while the list is in
 * use (`inUse`) or LIST_REFRESH_MS after the last snapshot.
 */
export class ListSnapshots {
  private taken = new Map<string, { of: string; version: number; at: number; entries: [string, number][] }>();

  get(name: string, of: string, version: number, inUse: boolean, now: number, build: () => [string, number][]): [string, number][] {
    const s = this.taken.get(name);
    if (s && s.of === of && (s.version === version || (!inUse && now - s.at < LIST_REFRESH_MS))) return s.entries;
    const entries = build();
    this.taken.set(name, { of, version, at: now, entries });
    return entries;
  }

  /** Whether the list `name` as last taken has `value` (or `value` is '', every value). */
  has(name: string, value: string): boolean {
    return !value || !!this.taken.get(name)?.entries.some(([v]) => v === value);
  }

  /** How long until the first list behind its counts (`versions`) may be taken again, in milliseconds; null if none is behind. */
  staleFor(now: number, versions: Record<string, number>): number | null {
    let wait: number | null = null;
    for (const [name, s] of this.taken) {
      if (versions[name] === undefined || versions[name] === s.version) continue;
      const left = Math.max(0, s.at + LIST_REFRESH_MS - now);
      wait = wait === null ? left : Math.min(wait, left);
    }
    return wait;
  }
}

/** The values each filter can take in these lines, sorted, with their counts. */
export function facets(lines: readonly LogLine[]): Facets {
  return new IncrementalFacets().update(lines);
}

/** A set with `value` toggled. */
export function toggled(set: ReadonlySet<string>, value: string): Set<string> {
  const next = new Set(set);
  if (next.has(value)) next.delete(value);
  else next.add(value);
  return next;
}

/** The filter as URL search parameters (`level=ERROR,WARN&kind=…&asset=…&partition=…&q=…`), so a filtered log can be linked. */
export function filterToSearch(f: LogFilter): string {
  const params = new URLSearchParams();
  if (f.levels.size) params.set('level', LEVELS.filter((l) => f.levels.has(l)).join(','));
  if (f.kinds.size) params.set('kind', [...f.kinds].sort().join(','));
  if (f.asset) params.set('asset', f.asset);
  if (f.partition) params.set('partition', f.partition);
  if (f.text) params.set('q', f.text);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function filterFromSearch(params: URLSearchParams): LogFilter {
  const list = (name: string) => new Set((params.get(name) ?? '').split(',').filter(Boolean));
  return {
    levels: new Set([...list('level')].map((l) => l.toUpperCase()).filter((l) => LEVELS.includes(l))),
    kinds: new Set([...list('kind')].map((k) => k.toUpperCase())),
    asset: params.get('asset') ?? '',
    partition: params.get('partition') ?? '',
    text: params.get('q') ?? '',
  };
}
