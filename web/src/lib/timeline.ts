// A run's timeline (Gantt): one bar per started step on a shared time axis,
// the axis's ticks, and the critical path: the chain of steps, following
// `waitsFor`, that ends last. Pure; components/RunTimeline.tsx draws it.
//
// Shapes: times are epoch milliseconds (UTC); bar and tick positions are
// fractions of the axis (0 = the first start, 1 = the last end), so the
// drawing can be any width.

/** What the timeline needs of a step (the API's `Step`). */
export interface TimelineStep {
  /** Index in the run's plan. */
  position: number;
  /** Positions of the steps of the same run it waited for. */
  waitsFor: readonly number[];
  asset: string;
  partition?: string | null;
  status: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export interface TimelineBar {
  position: number;
  /** `asset [partition]`, or `asset` when unpartitioned. */
  label: string;
  status: string;
  startMs: number;
  /** Its finish, or `now` while it runs. */
  endMs: number;
  /** True while it has no finish. */
  running: boolean;
  /** Left edge and width as fractions of the axis. */
  left: number;
  width: number;
  critical: boolean;
}

export interface TimelineTick {
  /** Position as a fraction of the axis. */
  at: number;
  ms: number;
  /** 24-hour UTC clock, `10:39:33` (with milliseconds when ticks are under a second apart). */
  label: string;
}

export interface CriticalPath {
  /** Positions of its steps, first to last. */
  positions: number[];
  /** From the first step's start to the last step's end, in milliseconds. */
  durationMs: number;
}

export interface Timeline {
  bars: TimelineBar[];
  startMs: number;
  endMs: number;
  ticks: TimelineTick[];
  critical: CriticalPath;
}

/** Tick intervals, smallest first (milliseconds). */
const TICK_INTERVALS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

export function stepLabel(step: Pick<TimelineStep, 'asset' | 'partition'>): string {
  return step.partition ? `${step.asset} [${step.partition}]` : step.asset;
}

interface Span {
  step: TimelineStep;
  startMs: number;
  endMs: number;
}

/** The started steps with their start and end (`now` while running), by start then plan position. */
function spans(steps: readonly TimelineStep[], nowMs: number): Span[] {
  const out: Span[] = [];
  for (const step of steps) {
    if (!step.startedAt) continue;
    const startMs = Date.parse(step.startedAt);
    if (Number.isNaN(startMs)) continue;
    const finished = step.finishedAt ? Date.parse(step.finishedAt) : NaN;
    const endMs = Number.isNaN(finished) ? Math.max(startMs, nowMs) : Math.max(startMs, finished);
    out.push({ step, startMs, endMs });
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.step.position - b.step.position);
}

/** Later end wins; on a tie, the later plan position (deterministic). */
function endsLater(a: Span, b: Span | undefined): boolean {
  return !b || a.endMs > b.endMs || (a.endMs === b.endMs && a.step.position > b.step.position);
}

/**
 * The critical path: from the started step that ended last, repeatedly the
 * started step it waited for that ended last. Steps that never started are
 * not on it. Empty when no step started.
 */
export function criticalPath(steps: readonly TimelineStep[], nowMs: number): CriticalPath {
  const byPosition = new Map(spans(steps, nowMs).map((s) => [s.step.position, s]));
  let last: Span | undefined;
  for (const s of byPosition.values()) if (endsLater(s, last)) last = s;
  if (!last) return { positions: [], durationMs: 0 };
  const chain: Span[] = [last];
  const seen = new Set([last.step.position]);
  for (let cur: Span | undefined = last; cur; ) {
    let next: Span | undefined;
    for (const p of cur.step.waitsFor) {
      const s = byPosition.get(p);
      if (s && !seen.has(p) && endsLater(s, next)) next = s;
    }
    if (next) {
      chain.push(next);
      seen.add(next.step.position);
    }
    cur = next;
  }
  chain.reverse();
  return { positions: chain.map((s) => s.step.position), durationMs: last.endMs - chain[0].startMs };
}

/** `HH:MM:SS` in UTC, with `.mmm` when `millis`. */
function clock(ms: number, millis: boolean): string {
  return new Date(ms).toISOString().slice(11, millis ? 23 : 19);
}

/** Ticks at round UTC times inside [startMs, endMs], at most `maxTicks` of them. */
export function timeTicks(startMs: number, endMs: number, maxTicks: number): TimelineTick[] {
  const span = Math.max(1, endMs - startMs);
  const interval = TICK_INTERVALS_MS.find((i) => span / i <= Math.max(1, maxTicks)) ?? TICK_INTERVALS_MS[TICK_INTERVALS_MS.length - 1];
  const ticks: TimelineTick[] = [];
  for (let ms = Math.ceil(startMs / interval) * interval; ms <= endMs; ms += interval) {
    ticks.push({ at: (ms - startMs) / span, ms, label: clock(ms, interval < 1_000) });
  }
  return ticks;
}

/** The whole timeline of a run's steps at `nowMs` (for steps still running). */
export function buildTimeline(steps: readonly TimelineStep[], nowMs: number, maxTicks = 8): Timeline {
  const started = spans(steps, nowMs);
  const critical = criticalPath(steps, nowMs);
  if (started.length === 0) return { bars: [], startMs: nowMs, endMs: nowMs, ticks: [], critical };
  const startMs = Math.min(...started.map((s) => s.startMs));
  const endMs = Math.max(...started.map((s) => s.endMs));
  const span = Math.max(1, endMs - startMs);
  const onPath = new Set(critical.positions);
  const bars = started.map(({ step, startMs: s, endMs: e }) => ({
    position: step.position,
    label: stepLabel(step),
    status: step.status,
    startMs: s,
    endMs: e,
    running: !step.finishedAt,
    left: (s - startMs) / span,
    width: (e - s) / span,
    critical: onPath.has(step.position),
  }));
  return { bars, startMs, endMs, ticks: timeTicks(startMs, endMs, maxTicks), critical };
}
