// The run log's lines as the `runEvents` subscription delivers them. A
// subscription may deliver an event again: urql hands the last result over
// once more when the server completes the subscription (its
// subscriptionExchange ends a stream with a copy of the last result), and a
// client that reconnects subscribes from the start again. Each event is
// kept once, by its cursor, in the order it first arrived.
//
// A run's log can hold 100,000 events, which may all arrive within a few
// seconds (a finished run replays from its start). An event is only queued
// (O(1)); the queue is appended to the log once per animation frame, in
// place (amortised O(1) an event, no copy of the log), and the log's
// readers are told once per frame. The lines array is the same array for
// the store's whole life: readers key on `version`, which grows with it.

export interface Cursored {
  cursor: string;
}

/** Runs `flush` once, later (the next animation frame in the page). */
export type Schedule = (flush: () => void) => void;

export const nextFrame: Schedule = (flush) => {
  requestAnimationFrame(() => flush());
};

export class RunLogStore<T extends Cursored> {
  private readonly all: T[] = [];
  private readonly seen = new Set<string>();
  private pending: T[] = [];
  private scheduled = false;
  private listeners = new Set<() => void>();
  private versionNumber = 0;
  private endedFlag = false;
  private errorValue: unknown = null;

  constructor(private readonly schedule: Schedule = nextFrame) {}

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

  /** The stream's error (null: none, or it recovered), said to readers at the next flush. */
  setError(error: unknown): void {
    if (error === this.errorValue) return;
    this.errorValue = error;
    this.request();
  }

  /** Appends the queued events not already held; answers how many were new. */
  flush(): number {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    let added = 0;
    for (const event of batch) {
      if (this.seen.has(event.cursor)) continue;
      this.seen.add(event.cursor);
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
