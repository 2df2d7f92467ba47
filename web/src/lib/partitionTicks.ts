// Date ticks under the partition bar of a time-partitioned asset: round
// calendar dates (hours, days, the 1st and 15th, months, quarters, years)
// at their place along the bar, at most `maxTicks` of them. Keys are wall
// times in the partitions' time zone, and so are the ticks: they are
// placed by wall time (an hour repeated or skipped by a daylight-saving
// change moves a tick by one partition out of the whole bar).

export interface PartitionTick {
  /** Position along the bar, 0 (left edge) to 1 (right edge). */
  at: number;
  /** `2013-01-15`, `2013-02` (a month), `2014` (a year), `2013-01-05 14:00` (an hour). */
  label: string;
}

type Unit = 'hour' | 'day' | 'month' | 'year';

interface Step {
  unit: Unit;
  /** Every `n` units (days: the days of the month in `days` instead). */
  n: number;
  /** Day steps: the days of the month that get a tick. */
  days?: readonly number[];
  /** Roughly how long the step is, to count its ticks. */
  approxMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const range = (from: number, to: number, by: number) => Array.from({ length: Math.floor((to - from) / by) + 1 }, (_, i) => from + i * by);

/** Candidate steps, finest first. */
const STEPS: Step[] = [
  { unit: 'hour', n: 1, approxMs: HOUR },
  { unit: 'hour', n: 3, approxMs: 3 * HOUR },
  { unit: 'hour', n: 6, approxMs: 6 * HOUR },
  { unit: 'hour', n: 12, approxMs: 12 * HOUR },
  { unit: 'day', n: 1, days: range(1, 31, 1), approxMs: DAY },
  { unit: 'day', n: 2, days: range(1, 29, 2), approxMs: 2 * DAY },
  { unit: 'day', n: 7, days: [1, 8, 15, 22], approxMs: 7 * DAY },
  { unit: 'day', n: 14, days: [1, 15], approxMs: 15 * DAY },
  { unit: 'month', n: 1, approxMs: 30 * DAY },
  { unit: 'month', n: 3, approxMs: 91 * DAY },
  { unit: 'month', n: 6, approxMs: 182 * DAY },
  { unit: 'year', n: 1, approxMs: 365 * DAY },
  { unit: 'year', n: 2, approxMs: 730 * DAY },
  { unit: 'year', n: 5, approxMs: 1826 * DAY },
  { unit: 'year', n: 10, approxMs: 3652 * DAY },
  { unit: 'year', n: 25, approxMs: 9131 * DAY },
  { unit: 'year', n: 100, approxMs: 36524 * DAY },
];

/** The finest step a partition kind's ticks can use (no tick inside one partition's window for day-sized ones). */
const FINEST: Record<string, Unit> = { hourly: 'hour', daily: 'day', weekly: 'day', monthly: 'month' };

const pad = (n: number) => String(n).padStart(2, '0');

/** A key's wall time as epoch milliseconds of the same UTC wall time (`2013-01-05-14:00` -> 2013-01-05T14:00Z). */
export function keyWallTime(key: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:-(\d{2}):(\d{2}))?/.exec(key);
  if (!m) return null;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0);
}

/** Where the time-partitioned bar ends: `count` windows after `first` (wall time, ms). */
function endOf(kind: string, first: number, count: number): number {
  if (kind === 'monthly') {
    const d = new Date(first);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + count, d.getUTCDate());
  }
  const per = kind === 'hourly' ? HOUR : kind === 'weekly' ? 7 * DAY : DAY;
  return first + count * per;
}

/** The position of wall time `t` along a bar of `count` partitions starting at `first`. */
function position(kind: string, first: number, end: number, count: number, t: number): number {
  if (kind !== 'monthly') return (t - first) / (end - first);
  const a = new Date(first);
  const b = new Date(t);
  const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  return months / count;
}

function label(t: number, unit: Unit): string {
  const d = new Date(t);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (unit === 'hour') return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (unit === 'day') return date;
  if (unit === 'month') return date.slice(0, 7);
  return date.slice(0, 4);
}

/** The times of a step's ticks in [first, end). */
function tickTimes(step: Step, first: number, end: number): number[] {
  const out: number[] = [];
  const d = new Date(first);
  if (step.unit === 'hour') {
    let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    for (; t < end; t += step.n * HOUR) if (t >= first) out.push(t);
  } else if (step.unit === 'day') {
    for (let y = d.getUTCFullYear(), m = d.getUTCMonth(); Date.UTC(y, m, 1) < end; m++) {
      for (const day of step.days ?? [1]) {
        const t = Date.UTC(y, m, day);
        // Day 31 of a 30-day month would be the next month's 1st.
        if (new Date(t).getUTCMonth() === ((m % 12) + 12) % 12 && t >= first && t < end) out.push(t);
      }
    }
  } else {
    const months = step.unit === 'year' ? 12 * step.n : step.n;
    const startYear = step.unit === 'year' ? Math.floor(d.getUTCFullYear() / step.n) * step.n : d.getUTCFullYear();
    for (let k = 0; ; k++) {
      const t = Date.UTC(startYear, k * months, 1);
      if (t >= end) break;
      if (t >= first) out.push(t);
    }
  }
  return out;
}

/**
 * Ticks for a bar of `count` partitions of `kind` (`hourly`, `daily`,
 * `weekly`, `monthly`) whose first key is `firstKey`: the finest round step
 * with at most `maxTicks` ticks. None for static partitions or an
 * unreadable key.
 */
export function partitionTicks(kind: string | null | undefined, firstKey: string | null | undefined, count: number, maxTicks: number): PartitionTick[] {
  if (!kind || !firstKey || count <= 0 || maxTicks < 1 || !(kind in FINEST)) return [];
  const first = keyWallTime(firstKey);
  if (first === null) return [];
  const end = endOf(kind, first, count);
  const span = end - first;
  const finest = STEPS.findIndex((s) => s.unit === FINEST[kind]);
  const candidates = STEPS.slice(finest).filter((s) => kind !== 'weekly' || s.approxMs >= 7 * DAY);
  for (const step of candidates) {
    if (span / step.approxMs > maxTicks + 1) continue;
    const times = tickTimes(step, first, end);
    if (times.length > maxTicks) continue;
    return times.map((t) => ({ at: position(kind, first, end, count, t), label: label(t, step.unit) }));
  }
  return [];
}
