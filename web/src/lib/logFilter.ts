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

const sortedCounts = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
const bump = (m: Map<string, number>, v: string | null | undefined) => {
  if (v) m.set(v, (m.get(v) ?? 0) + 1);
};

/**
 * `facets` of a log that only grows, counted incrementally: each `update`
 * counts only the lines added since the last one (partitions of `asset`
 * only, when one is given) and answers the same object while nothing was
 * added.
 */
export class IncrementalFacets {
  private source: readonly LogLine[] | null = null;
  private asset = '';
  private scanned = 0;
  private counts = { kinds: new Map<string, number>(), assets: new Map<string, number>(), partitions: new Map<string, number>(), levels: new Map<string, number>() };
  private answer: Facets | null = null;

  update(lines: readonly LogLine[], asset = ''): Facets {
    if (lines !== this.source || asset !== this.asset || lines.length < this.scanned) {
      this.source = lines;
      this.asset = asset;
      this.scanned = 0;
      this.counts = { kinds: new Map(), assets: new Map(), partitions: new Map(), levels: new Map() };
      this.answer = null;
    }
    const c = this.counts;
    if (this.scanned < lines.length) this.answer = null;
    for (; this.scanned < lines.length; this.scanned++) {
      const line = lines[this.scanned];
      bump(c.kinds, line.kind);
      bump(c.assets, line.asset);
      bump(c.levels, displayLevel(line));
      if (!asset || line.asset === asset) bump(c.partitions, line.partition);
    }
    if (!this.answer) {
      this.answer = {
        kinds: sortedCounts(c.kinds),
        assets: sortedCounts(c.assets),
        partitions: sortedCounts(c.partitions),
        levels: sortedCounts(c.levels).sort((a, b) => LEVELS.indexOf(a[0]) - LEVELS.indexOf(b[0])),
      };
    }
    return this.answer;
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
