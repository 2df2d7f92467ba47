// The run log's lines, as its past pages and then the `runEvents`
// subscription deliver them (lib/runEvents). An event may be delivered
// again: urql hands the last result over once more when the server
// completes a subscription (its subscriptionExchange ends a stream with a
// copy of the last result), and a client that reconnects subscribes from
// its first cursor again. Events come oldest first and their cursors (the
// event log's sequence numbers) grow: an event whose cursor is not past
// the last one held was held already, and is dropped. One number, not a
// set of every cursor seen.
//
// A run's log can hold 100,000 events, which may all arrive within a few
// seconds (a finished run's pages of 1,000). An event is only queued
// (O(1)); the queue is appended to the log at an animation frame, at most
// every 250 ms to 1 s as it grows (flushInterval), in place (amortised O(1) an event, no copy
// of the log), and the log's readers are told once per flush. The lines
// array is the same array for the store's whole life: readers key on
// `version`, which grows with it.

export interface Cursored {
  /** The event's sequence number in the event log, in decimal (`"1042"`): it grows with each event of a run. */
  cursor: string;
}

/** Runs `flush` once, later (an animation frame in the page). */
export type Schedule = (flush: () => void) => void;

/**
 * The least time between two flushes of a log of `lines` lines, in
 * milliseconds: 250 ms, growing with the log from 5,000 lines to 1 s at
 * 20,000 and more. Each flush hands the log's new length to its
 * virtualiser, which lays out every block of 16 lines again (in fresh
 * arrays: @tanstack/virtual-core's measurements start over when the count
 * changes; components/RunLog), and re-renders the last block's rows, the
 * filters' counts and the page's layout: once a frame, a live run of
 * 100,000 lines made garbage faster than the page collected it, and each
 * flush costs the renderer memory until it does.
 */
export function flushInterval(lines: number): number {
  return Math.min(1000, Math.max(250, lines / 20));
}

/**
 * A schedule of animation frames at least `ms()` apart: a flush asked for
 * sooner after the last one waits for the rest of the interval.
 */
export function framesApart(ms: () => number): Schedule {
  let last = -Infinity;
  return (flush) => {
    const frame = () =>
      requestAnimationFrame(() => {
        last = performance.now();
        flush();
      });
    const wait = last + ms() - performance.now();
    if (wait > 0) setTimeout(frame, wait);
    else frame();
  };
}

export class RunLogStore<T extends Cursored> {
  private readonly all: T[] = [];
  /** The cursor of the last event held, as a number (-1: none yet). */
  private last = -1;
  private pending: T[] = [];
  private scheduled = false;
  private listeners = new Set<() => void>();
  private versionNumber = 0;
  private endedFlag = false;
  private loadingFlag = false;
  private errorValue: unknown = null;

  constructor(private readonly schedule: Schedule = framesApart(() => flushInterval(this.all.length))) {}

  /** Queues an event; the log holds it from the next flush on. */
  push(event: T): void {
    this.pending.push(event);
    this.request();
  }

  /** The stream ended: said to readers at the next flush, after the events queued before it. */
  end(): void {
    this.endedFlag = true;
    this.request();
  }

  /** Whether past events are being loaded (pages still to come), said to readers at the next flush. */
  setLoading(loading: boolean): void {
    if (loading === this.loadingFlag) return;
    this.loadingFlag = loading;
    this.request();
  }

  /** The stream's error (null: none, or it recovered), said to readers at the next flush. */
  setError(error: unknown): void {
    if (error === this.errorValue) return;
    this.errorValue = error;
    this.request();
  }

  /** Appends the queued events past the last one held (by cursor); answers how many were new. */
  flush(): number {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    let added = 0;
    for (const event of batch) {
      const cursor = Number(event.cursor);
      if (!(cursor > this.last)) continue;
      this.last = cursor;
      this.all.push(event);
      added++;
    }
    this.versionNumber++;
    for (const listener of this.listeners) listener();
    return added;
  }

  /** Every line held, in first-arrival order (one array, growing in place). */
  get lines(): readonly T[] {
    return this.all;
  }

  get ended(): boolean {
    return this.endedFlag;
  }

  get loading(): boolean {
    return this.loadingFlag;
  }

  get error(): unknown {
    return this.errorValue;
  }

  /** Grows at each flush (useSyncExternalStore's snapshot). */
  readonly version = (): number => this.versionNumber;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  private request() {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }
}
