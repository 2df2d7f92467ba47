import { describe, expect, test, vi } from 'vitest';
import type { DocumentNode } from 'graphql';
import { RunEventPageDoc, RunEventsDoc } from '../src/api/operations';
import type { RunEventPageQuery, RunEventPageQueryVariables, RunEventsSubscription, RunEventsSubscriptionVariables } from '../src/api/generated';
import { RunLogStore } from '../src/lib/runLog';
import { followRunEvents, type EventsClient, type RunEvent } from '../src/lib/runEvents';

/**
 * `n` events of one run, oldest first: sequence numbers from 101 in steps
 * of 3 (other runs' events sit between them in the event log), ending
 * with `end` (a RUN_ kind) if given.
 */
function runEvents(n: number, end?: string): RunEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    cursor: String(101 + 3 * i),
    kind: end && i === n - 1 ? end : i === 0 ? 'RUN_START' : 'STEP_SKIPPED',
    level: 'INFO',
    asset: `leaf_${i % 7}`,
    partition: null,
    message: `event ${i}`,
    data: null,
    at: new Date(Date.UTC(2026, 11, 7, 12, 0, 0, i)).toISOString(),
  })) as RunEvent[];
}

type Sink = (result: { data?: RunEventsSubscription | null; error?: unknown; hasNext?: boolean }) => void;

/**
 * A client over a run's stored events: a page is the events after its
 * cursor (as the API answers `run.events`); `failNext` makes the next
 * queries answer an error; subscriptions are recorded with their sink.
 */
function fakeClient(stored: RunEvent[]) {
  const queries: RunEventPageQueryVariables[] = [];
  const subscriptions: { variables: RunEventsSubscriptionVariables; sink: Sink; closed: boolean }[] = [];
  const held: (() => void)[] = [];
  const state = { failNext: 0, hold: false };
  const answer = ({ after, first }: RunEventPageQueryVariables): { data?: RunEventPageQuery; error?: unknown } => {
    if (state.failNext > 0) {
      state.failNext--;
      return { error: new Error('[GraphQL] the store is busy') };
    }
    const from = after == null ? 0 : stored.findIndex((e) => Number(e.cursor) > Number(after));
    const nodes = from < 0 ? [] : stored.slice(from, from + first);
    const hasNextPage = from >= 0 && from + first < stored.length;
    return { data: { run: { events: { nodes, pageInfo: { hasNextPage, endCursor: nodes.at(-1)?.cursor ?? null } } } } };
  };
  const client: EventsClient = {
    query(query: DocumentNode, variables: RunEventPageQueryVariables) {
      expect(query).toBe(RunEventPageDoc);
      queries.push(variables);
      const result = answer(variables);
      return {
        toPromise: () =>
          state.hold ? new Promise((resolve) => held.push(() => resolve(result))) : Promise.resolve(result),
      };
    },
    subscription(query: DocumentNode, variables: RunEventsSubscriptionVariables) {
      expect(query).toBe(RunEventsDoc);
      return {
        subscribe(sink: Sink) {
          const s = { variables, sink, closed: false };
          subscriptions.push(s);
          return { unsubscribe: () => void (s.closed = true) };
        },
      };
    },
  };
  return { client, queries, subscriptions, held, state };
}

/** A store whose frames run when `frame()` is called. */
function manualStore() {
  const frames: (() => void)[] = [];
  const store = new RunLogStore<RunEvent>((flush) => frames.push(flush));
  const frame = () => {
    for (const f of frames.splice(0)) f();
  };
  return { store, frame };
}

const cursors = (events: readonly RunEvent[]) => events.map((e) => e.cursor);

describe('followRunEvents', () => {
  test('a finished run: every page in order, each event once, ended, and no subscription', async () => {
    const stored = runEvents(2_500, 'RUN_FAILURE');
    const { client, queries, subscriptions } = fakeClient(stored);
    const { store, frame } = manualStore();
    followRunEvents(client, '7', store);
    frame();
    expect(store.loading).toBe(true);
    await vi.waitFor(() => {
      frame();
      expect(store.ended).toBe(true);
    });
    expect(queries.map((q) => [q.id, q.after, q.first])).toEqual([
      ['7', null, 1000],
      ['7', stored[999].cursor, 1000],
      ['7', stored[1999].cursor, 1000],
    ]);
    expect(cursors(store.lines)).toEqual(cursors(stored));
    expect(store.loading).toBe(false);
    expect(store.error).toBeNull();
    expect(subscriptions).toHaveLength(0);
  });

  test('an active run: its pages, then the subscription after the last cursor loaded; replays are dropped', async () => {
    const stored = runEvents(1_700);
    const { client, queries, subscriptions } = fakeClient(stored);
    const { store, frame } = manualStore();
    followRunEvents(client, '7', store);
    await vi.waitFor(() => expect(subscriptions).toHaveLength(1));
    expect(queries).toHaveLength(2);
    expect(subscriptions[0].variables).toEqual({ runId: '7', after: stored[1699].cursor });
    frame();
    expect(store.loading).toBe(false);
    expect(store.ended).toBe(false);
    expect(store.lines).toHaveLength(1_700);

    // Live events; a reconnect replays from the subscription's cursor; the
    // stream's end hands its last result over again.
    const more = runEvents(1_705, 'RUN_SUCCESS').slice(1_700);
    const { sink } = subscriptions[0];
    for (const e of more.slice(0, 3)) sink({ data: { runEvents: e }, hasNext: true });
    frame();
    for (const e of more) sink({ data: { runEvents: e }, hasNext: true });
    sink({ data: { runEvents: more[4] }, hasNext: false });
    frame();
    expect(cursors(store.lines)).toEqual(cursors([...stored, ...more]));
    expect(store.lines.filter((e) => e.kind === 'RUN_SUCCESS')).toHaveLength(1);
    expect(store.ended).toBe(true);
  });

  test('a run with no event yet is subscribed to from its start', async () => {
    const { client, queries, subscriptions } = fakeClient([]);
    const { store, frame } = manualStore();
    followRunEvents(client, '9', store);
    await vi.waitFor(() => expect(subscriptions).toHaveLength(1));
    expect(queries).toEqual([{ id: '9', after: null, first: 1000 }]);
    expect(subscriptions[0].variables).toEqual({ runId: '9', after: null });
    frame();
    expect(store.lines).toHaveLength(0);
    expect(store.loading).toBe(false);
  });

  test("a page's error is shown, the page asked for again, and the log goes on from where it was", async () => {
    const stored = runEvents(2_200, 'RUN_CANCELED');
    const { client, queries, subscriptions, state } = fakeClient(stored);
    const { store, frame } = manualStore();
    let errors = 0;
    store.subscribe(() => void (store.error && errors++));
    // The first page answers; the second fails twice.
    const answer = client.query.bind(client);
    client.query = (query, variables) => {
      if (queries.length === 1) state.failNext = 2;
      return answer(query, variables);
    };
    followRunEvents(client, '7', store, { retryMs: 200 });
    await vi.waitFor(
      () => {
        frame();
        expect(store.error).toBeInstanceOf(Error);
      },
      { interval: 5 },
    );
    expect((store.error as Error).message).toContain('the store is busy');
    expect(store.lines).toHaveLength(1000);
    expect(store.loading).toBe(true);
    await vi.waitFor(() => {
      frame();
      expect(store.ended).toBe(true);
    });
    expect(errors).toBeGreaterThan(0);
    expect(store.error).toBeNull();
    expect(queries.map((q) => q.after)).toEqual([null, stored[999].cursor, stored[999].cursor, stored[999].cursor, stored[1999].cursor]);
    expect(cursors(store.lines)).toEqual(cursors(stored));
    expect(subscriptions).toHaveLength(0);
  });

  test('stopped: a page in flight is dropped, nothing is subscribed to, a retry is called off; a live stream is unsubscribed', async () => {
    const stored = runEvents(1_500);
    const first = fakeClient(stored);
    first.state.hold = true;
    const a = manualStore();
    const stop = followRunEvents(first.client, '7', a.store);
    expect(first.held).toHaveLength(1);
    stop();
    first.held[0]();
    await new Promise((resolve) => setTimeout(resolve, 10));
    a.frame();
    expect(a.store.lines).toHaveLength(0);
    expect(first.queries).toHaveLength(1);
    expect(first.subscriptions).toHaveLength(0);

    const failing = fakeClient(stored);
    failing.state.failNext = 1;
    const b = manualStore();
    const stopFailing = followRunEvents(failing.client, '7', b.store, { retryMs: 200 });
    await vi.waitFor(
      () => {
        b.frame();
        expect(b.store.error).not.toBeNull();
      },
      { interval: 5 },
    );
    stopFailing();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failing.queries).toHaveLength(1);

    const live = fakeClient(stored);
    const c = manualStore();
    const stopLive = followRunEvents(live.client, '7', c.store);
    await vi.waitFor(() => expect(live.subscriptions).toHaveLength(1));
    stopLive();
    expect(live.subscriptions[0].closed).toBe(true);
  });
});
