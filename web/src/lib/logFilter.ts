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

export function matchesFilter(line: LogLine, f: LogFilter): boolean {
  if (f.levels.size && !f.levels.has(displayLevel(line))) return false;
  if (f.kinds.size && !f.kinds.has(line.kind)) return false;
  if (f.asset && line.asset !== f.asset) return false;
  if (f.partition && line.partition !== f.partition) return false;
  const text = f.text.trim().toLowerCase();
  if (text && !`${line.asset ?? ''} ${line.partition ?? ''} ${line.kind} ${line.message}`.toLowerCase().includes(text)) return false;
  return true;
}

export function filterLog<T extends LogLine>(lines: readonly T[], f: LogFilter): readonly T[] {
  return isFiltering(f) ? lines.filter((l) => matchesFilter(l, f)) : lines;
}

/** The values each filter can take in these lines, sorted, with their counts. */
export function facets(lines: readonly LogLine[]): { kinds: [string, number][]; assets: [string, number][]; partitions: [string, number][]; levels: [string, number][] } {
  const count = (values: (string | null | undefined)[]) => {
    const m = new Map<string, number>();
    for (const v of values) if (v) m.set(v, (m.get(v) ?? 0) + 1);
    return [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  };
  const levels = count(lines.map(displayLevel)).sort((a, b) => LEVELS.indexOf(a[0]) - LEVELS.indexOf(b[0]));
  return { kinds: count(lines.map((l) => l.kind)), assets: count(lines.map((l) => l.asset)), partitions: count(lines.map((l) => l.partition)), levels };
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
