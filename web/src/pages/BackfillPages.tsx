// Backfills: the list (live progress, polled) and one backfill (live
// through the `backfillProgress` subscription), with cancel and retry.
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { BackfillDoc, BackfillProgressDoc, BackfillsDoc, CancelBackfillDoc, RetryBackfillDoc } from '../api/operations';
import type {
  BackfillDetailFragment,
  BackfillProgressSubscription,
  BackfillProgressSubscriptionVariables,
  BackfillQuery,
  BackfillQueryVariables,
  BackfillsQuery,
  BackfillsQueryVariables,
  CancelBackfillMutation,
  CancelBackfillMutationVariables,
  RetryBackfillMutation,
  RetryBackfillMutationVariables,
} from '../api/generated';
import { errorText } from '../api/client';
import { Link, assetPath, navigate, useLocation } from '../router';
import { PartitionBar, Legend } from '../components/PartitionBar';
import { CountsBar, ErrorState, Loading, StatusBadge, countsText } from '../components/ui';
import { STEP_LEGEND, partitionColor } from '../theme';
import { between, dateTime, duration, timeAgo } from '../format';
import { backfillStatus, enumWords, tookMs } from '../lib/words';
import { BACKFILL_STATUSES, NO_BACKFILL_FILTER, backfillFilterFromSearch, backfillFilterToSearch, backfillsVariables, isFilteringBackfills, type BackfillFilter } from '../lib/backfillFilter';
import { LoadMore, PagedListStates, usePages } from '../components/PagedList';
import { AssetFilter, CreatedFilterInputs } from '../components/ListFilters';
import { FilterSelect } from './CatalogPage';

const ACTIVE = new Set(['REQUESTED', 'CANCELING']);

/** Re-runs a query every `ms` while `active`. */
export function usePoll(refetch: (opts: { requestPolicy: 'network-only' }) => void, active: boolean, ms = 1500) {
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => refetch({ requestPolicy: 'network-only' }), ms);
    return () => clearInterval(t);
  }, [active, ms, refetch]);
}

export function BackfillsPage() {
  const { search } = useLocation();
  const filter = backfillFilterFromSearch(search);
  const setFilter = (f: BackfillFilter) => navigate(`/backfills${backfillFilterToSearch(f)}`, true);
  return (
    <div className="page">
      <header className="page-head">
        <h1>Backfills</h1>
      </header>
      <div className="catalog-filters" role="search" data-testid="backfill-filters">
        <FilterSelect
          label="Backfill status"
          testId="filter-backfill-status"
          value={filter.status.join(',')}
          onChange={(status) => setFilter({ ...filter, status: BACKFILL_STATUSES.filter((s) => s === status) })}
          options={BACKFILL_STATUSES.map((s) => [s, enumWords(s)])}
        />
        <AssetFilter value={filter.asset} onChange={(asset) => setFilter({ ...filter, asset })} testId="filter-backfill-asset" />
        <CreatedFilterInputs value={filter} onChange={({ from, to }) => setFilter({ ...filter, from, to })} testId="filter-backfill-created" />
        {isFilteringBackfills(filter) && (
          <button className="btn btn-small" onClick={() => setFilter({ ...NO_BACKFILL_FILTER, first: filter.first })} data-testid="clear-backfill-filters">
            Clear filters
          </button>
        )}
      </div>
      <BackfillsList key={backfillFilterToSearch(filter)} filter={filter} />
    </div>
  );
}

/** The first page (polled) and the pages "Load more" fetched after it, one page of `filter.first` backfills each. */
function BackfillsList({ filter }: { filter: BackfillFilter }) {
  const pages = usePages<BackfillsQuery, BackfillsQueryVariables, BackfillsQuery['backfills']['nodes'][number]>(
    BackfillsDoc,
    (after) => backfillsVariables(filter, after),
    (data) => data.backfills,
    (items) => (items.some((b) => ACTIVE.has(b.status)) ? 1000 : 4000),
  );
  const { kept, nodes } = pages;
  return (
    <>
      <PagedListStates
        pages={pages}
        what="backfills"
        empty={isFilteringBackfills(filter) ? 'No backfill matches these filters.' : 'No backfills yet. Launch one from an asset page or from a selection on the lineage graph.'}
      />
      {nodes.length > 0 && (
        <table className={`table ${kept.stale ? 'is-stale' : ''}`} data-testid="backfills-table">
          <thead>
            <tr>
              <th>ID</th>
              <th>Status</th>
              <th>Selection</th>
              <th>Partitions</th>
              <th style={{ width: '28%' }}>Progress</th>
              <th>Created</th>
              <th>Took</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((b) => (
              <tr key={b.id} className="clickable" onClick={() => navigate(`/backfills/${b.id}`)} data-testid="backfill-row" data-status={b.status}>
                <td>
                  <Link to={`/backfills/${b.id}`}>{b.id}</Link>
                </td>
                <td>
                  <StatusBadge status={backfillStatus(b.status, b.counts)} />
                </td>
                <td className="mono">{b.selection || <span className="muted">every asset</span>}</td>
                <td className="mono small">
                  {b.partitions}
                  {b.onlyMissingOrFailed && <span className="muted"> · missing/failed only</span>}
                </td>
                <td>
                  <CountsBar counts={b.counts} />
                  <div className="small muted">{countsText(b.counts)}</div>
                </td>
                <td title={dateTime(b.createdAt)}>{timeAgo(b.createdAt)}</td>
                <td className="num">{duration(tookMs(b.createdAt, b.finishedAt))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore pages={pages} testId="load-more-backfills" />
    </>
  );
}

export function BackfillPage({ id }: { id: string }) {
  const [query] = useQuery<BackfillQuery, BackfillQueryVariables>({ query: BackfillDoc, variables: { id } });
  const [live] = useSubscription<BackfillProgressSubscription, BackfillProgressSubscription, BackfillProgressSubscriptionVariables>({
    query: BackfillProgressDoc,
    variables: { id },
  });
  const b: BackfillDetailFragment | undefined = live.data?.backfillProgress ?? query.data?.backfill;
  const [cancel, cancelBackfill] = useMutation<CancelBackfillMutation, CancelBackfillMutationVariables>(CancelBackfillDoc);
  const [retry, retryBackfill] = useMutation<RetryBackfillMutation, RetryBackfillMutationVariables>(RetryBackfillDoc);
  // A mutation's message holds while the status it answered holds: "backfill b-2 is CANCELING" goes once it is canceled.
  const [message, setMessage] = useState<{ text: string; status: string } | null>(null);
  const [, refetch] = useQuery<BackfillQuery, BackfillQueryVariables>({ query: BackfillDoc, variables: { id }, pause: true });

  if (query.error && !b) return <ErrorState error={query.error} what={`backfill ${id}`} />;
  if (!b) return <Loading what={`backfill ${id}`} />;
  const active = ACTIVE.has(b.status);
  const onCancel = async () => {
    const r = await cancelBackfill({ id });
    if (r.data) {
      setMessage({ text: r.data.cancelBackfill.message, status: r.data.cancelBackfill.backfill.status });
      refetch({ requestPolicy: 'network-only' });
    }
  };
  const onRetry = async () => {
    const r = await retryBackfill({ id });
    if (r.data) {
      setMessage({ text: r.data.retryBackfill.message, status: r.data.retryBackfill.backfill.status });
      if (r.data.retryBackfill.changed && r.data.retryBackfill.backfill.id !== id) navigate(`/backfills/${r.data.retryBackfill.backfill.id}`);
    }
  };
  const canRetry = !active && (b.status === 'FAILED' || b.status === 'CANCELED' || b.counts.failed + b.counts.skipped + b.counts.canceled > 0);
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <div className="crumbs">
            <Link to="/backfills">Backfills</Link> / {b.id}
          </div>
          <h1>
            Backfill {b.id} <StatusBadge status={backfillStatus(b.status, b.counts)} />
          </h1>
          <div className="subtitle small">
            <span className="mono">{b.selection || 'every asset'}</span> · partitions <span className="mono">{b.partitions}</span>
            {b.onlyMissingOrFailed && ' · only missing or failed'}
            {b.onlyStale && ' · only stale'} · created {dateTime(b.createdAt)} · {b.finishedAt ? `took ${between(b.createdAt, b.finishedAt)}` : `running for ${between(b.createdAt, null)}`}
            {b.retryOf && (
              <>
                {' '}
                · retry of <Link to={`/backfills/${b.retryOf}`}>{b.retryOf}</Link>
              </>
            )}
          </div>
        </div>
        <div className="actions">
          <button className="btn btn-danger" onClick={() => void onCancel()} disabled={!active || cancel.fetching || b.status === 'CANCELING'} data-testid="cancel-backfill">
            {b.status === 'CANCELING' ? 'Canceling…' : 'Cancel'}
          </button>
          <button className="btn" onClick={() => void onRetry()} disabled={!canRetry || retry.fetching}>
            Retry failed
          </button>
        </div>
      </header>
      {(cancel.error || retry.error) && <div className="banner banner-error">{errorText(cancel.error ?? retry.error)}</div>}
      {message && message.status === b.status && (
        <div className="banner" data-testid="mutation-message">
          {message.text}
        </div>
      )}
      {b.error && <div className="banner banner-error">{b.error}</div>}
      {live.error && <div className="banner banner-warn">Live updates unavailable: {errorText(live.error)}</div>}
      <section className="card">
        <h2>Progress</h2>
        <CountsBar counts={b.counts} height={14} />
        <p className="small" data-testid="backfill-counts">
          {countsText(b.counts)}
          {b.blocked > 0 && <span className="warn-text"> · {b.blocked} blocked</span>}
        </p>
      </section>
      <section className="card">
        <h2>Assets</h2>
        <Legend states={STEP_LEGEND} colorOf={partitionColor} />
        {b.assetProgress.length === 0 && <p className="muted">{active ? 'Planning…' : 'Nothing was planned.'}</p>}
        <div className="asset-progress">
          {b.assetProgress.map((p) => (
            <div key={p.asset} className="asset-progress-row" data-testid={`progress-${p.asset}`}>
              <div className="asset-progress-head">
                <Link to={assetPath(p.asset)} className="mono">
                  {p.asset}
                </Link>
                <span className="small muted">{countsText(p.counts)}</span>
              </div>
              <PartitionBar ranges={p.ranges.map((r) => ({ ...r, state: r.status }))} height={18} label={`${p.asset} progress`} />
            </div>
          ))}
        </div>
      </section>
      <section className="card">
        <h2>Runs</h2>
        {b.runs.length === 0 ? (
          <p className="muted">No run yet.</p>
        ) : (
          <table className="table compact">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Steps</th>
                <th>Created</th>
                <th>Took</th>
              </tr>
            </thead>
            <tbody>
              {b.runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/runs/${r.id}`}>{r.id}</Link>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="small">
                    {r.materializedSteps}/{r.plannedSteps} materialized{r.failedSteps ? ` · ${r.failedSteps} failed` : ''}
                    {r.skippedSteps ? ` · ${r.skippedSteps} skipped` : ''}
                    {r.canceledSteps ? ` · ${r.canceledSteps} canceled` : ''}
                  </td>
                  <td title={dateTime(r.createdAt)}>{timeAgo(r.createdAt)}</td>
                  <td className="num">{duration(tookMs(r.createdAt, r.finishedAt))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

/** Above a list whose data is kept while the server cannot be reached. */
export function StaleBanner({ error, receivedAt }: { error: Parameters<typeof errorText>[0]; receivedAt: number | null }) {
  return (
    <div className="banner banner-warn" role="status" data-testid="stale-data">
      Showing the data of {receivedAt ? dateTime(new Date(receivedAt).toISOString()) : 'earlier'}: {errorText(error)}. Retrying…
    </div>
  );
}
