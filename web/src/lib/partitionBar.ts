// Partition ranges (consecutive partitions sharing a state) to the
// rectangles of a partition bar: proportional widths, but a range narrower
// than `minWidth` pixels becomes a sliver of `minWidth` drawn on top, so a
// single failed partition among 100,000 stays visible without turning the
// bar red.

export interface StateRange {
  start: string;
  end: string;
  count: number;
  state: string;
}

export interface Segment {
  /** Index of the range in the input. */
  range: number;
  /** Index of its first partition. */
  offset: number;
  count: number;
  state: string;
  x: number;
  width: number;
  /** Widened to the minimum width. */
  sliver: boolean;
}

/** Drawing priority: higher is drawn later (on top). */
export const STATE_PRIORITY: Record<string, number> = {
  MISSING: 0,
  QUEUED: 1,
  SKIPPED: 1,
  CANCELED: 2,
  MATERIALIZED: 3,
  UP_TO_DATE: 3,
  STALE: 4,
  MATERIALIZING: 5,
  RUNNING: 5,
  FAILED: 6,
};

export function priority(state: string): number {
  return STATE_PRIORITY[state] ?? 0;
}

export function totalCount(ranges: readonly StateRange[]): number {
  let total = 0;
  for (const r of ranges) total += r.count;
  return total;
}

/**
 * Segments in drawing order: full-width segments first (key order), then
 * slivers by priority (so the worst state is on top).
 */
export function barSegments(ranges: readonly StateRange[], width: number, minWidth = 3): Segment[] {
  const total = totalCount(ranges);
  if (total === 0 || width <= 0) return [];
  if (ranges.length > width) return denseSegments(ranges, width, minWidth, total);
  const scale = width / total;
  const wide: Segment[] = [];
  const slivers: Segment[] = [];
  let offset = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    const x = offset * scale;
    const w = r.count * scale;
    // The proportional part is always drawn, so the bar has no gaps.
    wide.push({ range: i, offset, count: r.count, state: r.state, x, width: w, sliver: false });
    if (w < minWidth && ranges.length > 1) {
      const m = Math.min(minWidth, width);
      const sx = Math.max(0, Math.min(width - m, x + w / 2 - m / 2));
      slivers.push({ range: i, offset, count: r.count, state: r.state, x: sx, width: m, sliver: true });
    }
    offset += r.count;
  }
  slivers.sort((a, b) => priority(a.state) - priority(b.state) || a.x - b.x);
  return wide.concat(slivers);
}

/**
 * More ranges than pixels: one rectangle per run of pixel columns sharing
 * the state under their centre, plus at most one sliver per `minWidth`
 * bucket, for the worst narrow range there that the base does not show.
 */
function denseSegments(ranges: readonly StateRange[], width: number, minWidth: number, total: number): Segment[] {
  const scale = width / total;
  const offsets = rangeOffsets(ranges);
  const columns = Math.ceil(width);
  const base: Segment[] = [];
  const colRange = new Int32Array(columns);
  for (let col = 0; col < columns; col++) {
    const index = Math.min(total - 1, Math.floor((col + 0.5) / scale));
    const ri = rangeAt(offsets, index);
    colRange[col] = ri;
    const last = base[base.length - 1];
    if (last && ranges[last.range].state === ranges[ri].state) {
      last.width = Math.min(width, col + 1) - last.x;
      last.count = offsets[ri] + ranges[ri].count - last.offset;
    } else {
      base.push({ range: ri, offset: offsets[ri], count: ranges[ri].count, state: ranges[ri].state, x: col, width: Math.min(width, col + 1) - col, sliver: false });
    }
  }
  const buckets = new Map<number, Segment>();
  const m = Math.min(minWidth, width);
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    const w = r.count * scale;
    if (w >= minWidth) continue;
    const centre = (offsets[i] + r.count / 2) * scale;
    const col = Math.min(columns - 1, Math.floor(centre));
    const p = priority(r.state);
    if (p <= priority(ranges[colRange[col]].state)) continue;
    const bucket = Math.floor(centre / m);
    const prev = buckets.get(bucket);
    if (prev && priority(prev.state) >= p) continue;
    const sx = Math.max(0, Math.min(width - m, centre - m / 2));
    buckets.set(bucket, { range: i, offset: offsets[i], count: r.count, state: r.state, x: sx, width: m, sliver: true });
  }
  const slivers = [...buckets.values()].sort((a, b) => priority(a.state) - priority(b.state) || a.x - b.x);
  return base.concat(slivers);
}

/** Cumulative offsets: `offsets[i]` is the index of range i's first partition. */
export function rangeOffsets(ranges: readonly StateRange[]): number[] {
  const offsets = new Array<number>(ranges.length);
  let offset = 0;
  for (let i = 0; i < ranges.length; i++) {
    offsets[i] = offset;
    offset += ranges[i].count;
  }
  return offsets;
}

/** The range holding partition `index` (binary search). */
export function rangeAt(offsets: readonly number[], index: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Partition index under pixel `x` of a bar `width` wide. */
export function indexAtX(x: number, width: number, total: number): number {
  if (total <= 0) return 0;
  return Math.max(0, Math.min(total - 1, Math.floor((x / width) * total)));
}

/**
 * What the pointer at `x` is over: a sliver covering `x` wins (the worst
 * state first), else the range under it in proportion.
 */
export function hitTest(
  ranges: readonly StateRange[],
  offsets: readonly number[],
  slivers: readonly Segment[],
  x: number,
  width: number,
): { range: number; index: number } | null {
  const total = ranges.length ? offsets[offsets.length - 1] + ranges[ranges.length - 1].count : 0;
  if (total === 0) return null;
  let best: Segment | null = null;
  for (const s of slivers) {
    if (x >= s.x && x < s.x + s.width && (!best || priority(s.state) >= priority(best.state))) best = s;
  }
  const index = indexAtX(x, width, total);
  if (best) {
    const inRange = index >= best.offset && index < best.offset + best.count;
    return { range: best.range, index: inRange ? index : best.offset };
  }
  return { range: rangeAt(offsets, index), index };
}

// ---- partition keys by index ------------------------------------------

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * The key `steps` partitions after `start`, for time partitions whose
 * keys the UI can compute (`daily`, `weekly`, `monthly`: `YYYY-MM-DD`;
 * `hourly`: `YYYY-MM-DD-HH:MM`). Null when it cannot.
 */
export function addPartitions(kind: string | null | undefined, start: string, steps: number): string | null {
  if (steps === 0) return start;
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(start);
  if (d && (kind === 'daily' || kind === 'weekly' || kind === 'monthly')) {
    const date = new Date(Date.UTC(+d[1], +d[2] - 1, +d[3]));
    if (kind === 'daily') date.setUTCDate(date.getUTCDate() + steps);
    else if (kind === 'weekly') date.setUTCDate(date.getUTCDate() + 7 * steps);
    else date.setUTCMonth(date.getUTCMonth() + steps);
    return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  }
  const h = /^(\d{4})-(\d{2})-(\d{2})-(\d{2}):(\d{2})$/.exec(start);
  if (h && kind === 'hourly') {
    const date = new Date(Date.UTC(+h[1], +h[2] - 1, +h[3], +h[4], +h[5]));
    date.setUTCHours(date.getUTCHours() + steps);
    return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}-${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
  }
  return null;
}

/** The key of partition `index`, when computable (ends of ranges always are). */
export function keyAt(
  ranges: readonly StateRange[],
  offsets: readonly number[],
  index: number,
  kind?: string | null,
  keys?: readonly string[] | null,
): string | null {
  if (keys && index < keys.length) return keys[index];
  if (!ranges.length) return null;
  const i = rangeAt(offsets, index);
  const r = ranges[i];
  const k = index - offsets[i];
  if (k <= 0) return r.start;
  if (k >= r.count - 1) return r.end;
  return addPartitions(kind, r.start, k);
}

/** Ranges of a count summary, for a bar when only counts are known. */
export function countsToRanges(counts: Record<string, number>): StateRange[] {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, count]) => ({ start: '', end: '', count, state }));
}
