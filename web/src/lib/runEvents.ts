// A run's log, fed into a RunLogStore (lib/runLog): its past events in
// pages of 1,000 through the `run.events` query, then what comes after
// them through the `runEvents` subscription, from the last cursor loaded.
// A finished run of 100,000 events is 100 HTTP answers, not 100,000
// WebSocket messages; a run that has ended (its RUN_SUCCESS, RUN_FAILURE
// or RUN_CANCELED loaded) is not subscribed to at all (the server's
// stream ends after that event: one after it would wait for ever).
//
// The pages go through a client without urql's document cache
// (api/client's uncached client): the cache keeps every query's answer
// until a mutation touches its types, which would keep a second hold on
// every page after the store has them, and after the page has gone.
import type { DocumentNode } from 'graphql';
import { RunEventPageDoc, RunEventsDoc } from '../api/operations';
import type { RunEventPageQuery, RunEventPageQueryVariables, RunEventsSubscription, RunEventsSubscriptionVariables, RunLogEventFieldsFragment } from '../api/generated';
import type { RunLogStore } from './runLog';

/** An event as the log holds it (api/operations' RunLogEventFields). */
export type RunEvent = RunLogEventFieldsFragment;

/** The events after which a run has ended: its stream ends with one of them. */
export const RUN_END_KINDS: ReadonlySet<string> = new Set(['RUN_SUCCESS', 'RUN_FAILURE', 'RUN_CANCELED']);

/** The most events the API gives in a page. */
export const EVENT_PAGE_SIZE = 1000;

/** What the log asks of urql's Client (a fake in tests). */
export interface EventsClient {
  query(query: DocumentNode, variables: RunEventPageQueryVariables): { toPromise(): Promise<{ data?: RunEventPageQuery | null; error?: unknown }> };
  subscription(
    query: DocumentNode,
    variables: RunEventsSubscriptionVariables,
  ): { subscribe(onResult: (result: { data?: RunEventsSubscription | null; error?: unknown; hasNext?: boolean }) => void): { unsubscribe(): void } };
}

export interface FollowOptions {
  /** Events asked for per page (1 to 1,000). */
  pageSize?: number;
  /** Milliseconds before a page that failed is asked for again (its error shown meanwhile). */
  retryMs?: number;
}

/**
 * Loads run `runId`'s past events into `store` page after page (each page
 * pushed as it arrives; `store.loading` while pages are to come), then
 * subscribes to `runEvents` after the last cursor loaded (null when the
 * run had none yet), unless a loaded event ended the run: then the store
 * is ended. A page's error is shown (`store.setError`) and the page asked
 * for again after `retryMs`; the error clears with the next answer.
 * Answers a function that stops it all (a page in flight is ignored).
 */
export function followRunEvents(client: EventsClient, runId: string, store: RunLogStore<RunEvent>, { pageSize = EVENT_PAGE_SIZE, retryMs = 3000 }: FollowOptions = {}): () => void {
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let live: { unsubscribe(): void } | null = null;
  let after: string | null = null;
  let ended = false;

  const subscribe = () => {
    live = client.subscription(RunEventsDoc, { runId, after }).subscribe((r) => {
      if (r.data) store.push(r.data.runEvents);
      store.setError(r.error ?? null);
      if (r.hasNext === false) store.end();
    });
  };

  const page = async () => {
    retry = null;
    const r = await client.query(RunEventPageDoc, { id: runId, after, first: pageSize }).toPromise();
    if (stopped) return;
    const events = r.data?.run.events;
    if (r.error || !events) {
      store.setError(r.error ?? new Error(`no events of run ${runId} in the answer`));
      retry = setTimeout(() => void page(), retryMs);
      return;
    }
    store.setError(null);
    for (const event of events.nodes) {
      store.push(event);
      if (RUN_END_KINDS.has(event.kind)) ended = true;
    }
    const { hasNextPage, endCursor } = events.pageInfo;
    if (endCursor) after = endCursor;
    if (hasNextPage && endCursor) return void page();
    store.setLoading(false);
    if (ended) store.end();
    else subscribe();
  };

  store.setLoading(true);
  void page();
  return () => {
    stopped = true;
    if (retry !== null) clearTimeout(retry);
    live?.unsubscribe();
  };
}
