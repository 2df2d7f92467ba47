// The deployment page's logic: executors in the order a reader scans them,
// a heartbeat's age to the second, what this server runs.

/** The executor fields this logic reads (a subset of the API's `Executor`). */
export interface ExecutorLike {
  id: string;
  status: string;
  startedAt: string;
}

/** Running executors first, then lost ones (their steps are being taken over), then stopped ones. */
const STATUS_ORDER: Record<string, number> = { RUNNING: 0, LOST: 1, STOPPED: 2 };

/** Executors by status (RUNNING, LOST, STOPPED), then newest start first, then by id. */
export function sortExecutors<T extends ExecutorLike>(executors: readonly T[]): T[] {
  return [...executors].sort(
    (a, b) =>
      (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3) ||
      Date.parse(b.startedAt) - Date.parse(a.startedAt) ||
      a.id.localeCompare(b.id),
  );
}

/** How many executors are in each status: `{ RUNNING: 1, LOST: 0, STOPPED: 2 }`. */
export function countByStatus(executors: readonly ExecutorLike[]): Record<'RUNNING' | 'LOST' | 'STOPPED', number> {
  const counts = { RUNNING: 0, LOST: 0, STOPPED: 0 };
  for (const e of executors) if (e.status in counts) counts[e.status as keyof typeof counts]++;
  return counts;
}

/**
 * How long ago a heartbeat was, to the second below two minutes (a lease
 * is seconds long): `0 s ago`, `42 s ago`, `3 min ago`, `2 h ago`, `5 d ago`.
 * A time slightly ahead of this browser's clock reads `0 s ago`.
 */
export function secondsAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const secs = Math.max(0, Math.floor((now - at) / 1000));
  if (secs < 120) return `${secs} s ago`;
  if (secs < 3600 * 2) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86400 * 2) return `${Math.floor(secs / 3600)} h ago`;
  return `${Math.floor(secs / 86400)} d ago`;
}

/** What executes runs on this server: `executor, concurrency 4`, or the `--no-executor` case. */
export function serverExecutorText(concurrency: number | null | undefined): string {
  return concurrency == null ? 'no executor (--no-executor): workers execute runs' : `executor, concurrency ${concurrency}`;
}

/** A duration in milliseconds as the deployment page writes leases and intervals: `500 ms`, `30 s`, `2 min`, `1 min 30 s`. */
export function millisText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const secs = ms / 1000;
  if (secs < 60) return `${Number.isInteger(secs) ? secs : secs.toFixed(1)} s`;
  const mins = Math.floor(secs / 60);
  const rest = Math.round(secs - mins * 60);
  return rest ? `${mins} min ${rest} s` : `${mins} min`;
}
