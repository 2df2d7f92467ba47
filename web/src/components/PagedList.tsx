// A list query's first page (polled) and the pages "Load more" fetched
// after it, merged without repeats, with the list's loading, error, stale
// and empty states: the runs and backfills lists.
import { useMemo, useState, type ReactNode } from 'react';
import { useClient, useQuery, type AnyVariables, type TypedDocumentNode } from 'urql';
import type { DocumentNode } from 'graphql';
import { errorText } from '../api/client';
import { useKept } from '../lib/kept';
import { mergePages } from '../lib/listFilter';
import { StaleBanner, usePoll } from '../pages/BackfillPages';
import { Empty, ErrorState, Loading } from './ui';

export interface Connection<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/**
 * `variables(after)` gives the query's variables for the page after a
 * cursor (null: the first page); `connection` picks the list out of the
 * answer; the first page is fetched again every `pollMs(items)`. Give
 * the list a React `key` per filter: a new filter starts from its first
 * page.
 */
export function usePages<Q, V extends AnyVariables, T extends { id: string }>(
  query: DocumentNode | TypedDocumentNode<Q, V>,
  variables: (after: string | null) => V,
  connection: (data: Q) => Connection<T>,
  pollMs: (items: T[]) => number,
) {
  const client = useClient();
  const [result, refetch] = useQuery<Q, V>({ query, variables: variables(null) });
  const kept = useKept(result.data, !!result.error);
  const [more, setMore] = useState<{ pages: T[][]; pageInfo: Connection<T>['pageInfo'] } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  const first = kept.data ? connection(kept.data).nodes : null;
  const nodes = useMemo(() => mergePages([first ?? [], ...(more?.pages ?? [])]), [first, more]);
  const pageInfo = more?.pageInfo ?? (kept.data ? connection(kept.data).pageInfo : undefined);
  usePoll(refetch, true, pollMs(nodes));
  const loadMore = async () => {
    if (!pageInfo?.endCursor) return;
    setLoadingMore(true);
    const next = await client.query<Q, V>(query, variables(pageInfo.endCursor), { requestPolicy: 'network-only' }).toPromise();
    setLoadingMore(false);
    if (next.error || !next.data) {
      setMoreError(next.error ? errorText(next.error) : 'no data');
      return;
    }
    const page = connection(next.data);
    setMoreError(null);
    setMore((m) => ({ pages: [...(m?.pages ?? []), page.nodes], pageInfo: page.pageInfo }));
  };
  return { result, kept, nodes, hasNextPage: !!pageInfo?.hasNextPage, loadMore, loadingMore, moreError };
}

/** What stands in for (or above) the list: its error, a stale-data banner, loading, or `empty` when it has no item. */
export function PagedListStates({ pages, what, empty }: { pages: Pick<ReturnType<typeof usePages>, 'result' | 'kept' | 'nodes'>; what: string; empty: ReactNode }) {
  const { result, kept, nodes } = pages;
  return (
    <>
      {result.error && !kept.data && <ErrorState error={result.error} what={what} />}
      {kept.stale && <StaleBanner error={result.error!} receivedAt={kept.receivedAt} />}
      {!kept.data && !result.error && <Loading />}
      {kept.data && nodes.length === 0 && <Empty>{empty}</Empty>}
    </>
  );
}

/** The "Load more" button under a list, while there is a next page. */
export function LoadMore({ pages, testId }: { pages: Pick<ReturnType<typeof usePages>, 'hasNextPage' | 'loadMore' | 'loadingMore' | 'moreError'>; testId: string }) {
  if (!pages.hasNextPage) return null;
  return (
    <div className="row">
      <button className="btn" onClick={() => void pages.loadMore()} disabled={pages.loadingMore} data-testid={testId}>
        {pages.loadingMore ? 'Loading…' : 'Load more'}
      </button>
      {pages.moreError && <span className="error-text small">{pages.moreError}</span>}
    </div>
  );
}
