// Runs: the list (polled) and one run: its steps and its log lines, its
// past events page after page, then the rest streamed through the
// `runEvents` subscription (lib/runEvents, components/RunLog).
import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CancelRunDoc, RunDoc, RunsDoc } from '../api/operations';
import type { CancelRunMutation, CancelRunMutationVariables, RunQuery, RunQueryVariables, RunsQuery, RunsQueryVariables } from '../api/generated';
import { errorText, useUncachedClient } from '../api/client';
import { Link, navigate, useLocation } from '../router';
import { CountsBar, ErrorState, Loading, StatusBadge } from '../components/ui';
import { dateTime, duration, timeAgo } from '../format';
import { usePoll } from './BackfillPages';
import { enumWords, runOrigin, tookMs } from '../lib/words';
import { NO_RUN_FILTER, RUN_ORIGINS, RUN_STATUSES, isFilteringRuns, runFilterFromSearch, runFilterToSearch, runsVariables, type RunFilter } from '../lib/runFilter';
import { FilterSelect } from './CatalogPage';
import { RunLog } from '../components/RunLog';
import { filterFromSearch, filterToSearch, type LogFilter } from '../lib/logFilter';
import { RunLogStore } from '../lib/runLog';
import { followRunEvents, type RunEvent } from '../lib/runEvents';
import { RunTimeline } from '../components/RunTimeline';
import { RunSteps } from '../components/RunSteps';
import { LoadMore, PagedListStates, usePages } from '../components/PagedList';
import { AssetFilter, CreatedFilterInputs } from '../components/ListFilters';

const ACTIVE = new Set(['QUEUED', 'STARTED', 'CANCELING']);

function runCounts(r: { plannedSteps: number; materializedSteps: number; failedSteps: number; skippedSteps: number; canceledSteps: number }) {
  const done = r.materializedSteps + r.failedSteps + r.skippedSteps + r.canceledSteps;
  return {
    targeted: r.plannedSteps,
    materialized: r.materializedSteps,
    failed: r.failedSteps,
    skipped: r.skippedSteps,
    canceled: r.canceledSteps,
    upToDate: 0,
    inProgress: 0,
    queued: Math.max(0, r.plannedSteps - done),
  };
}

export function RunsPage() {
  const { search } = useLocation();
  const filter = runFilterFromSearch(search);
  const setFilter = (f: RunFilter) => navigate(`/runs${runFilterToSearch(f)}`, true);
  return (
    <div className="page">
      <header className="page-head">
        <h1>Runs</h1>
      </header>
      <RunFilters filter={filter} onChange={setFilter} />
      <RunsList key={runFilterToSearch(filter)} filter={filter} />
    </div>
  );
}

/** Status, asset and origin; each change replaces the URL's query. */
function RunFilters({ filter, onChange }: { filter: RunFilter; onChange: (f: RunFilter) => void }) {
  const set = (patch: Partial<RunFilter>) => onChange({ ...filter, ...patch });
  return (
    <div className="catalog-filters" role="search" data-testid="run-filters">
      <FilterSelect
        label="Run status"
        testId="filter-run-status"
        value={filter.status.join(',')}
        onChange={(status) => set({ status: RUN_STATUSES.filter((s) => s === status) })}
        options={RUN_STATUSES.map((s) => [s, enumWords(s)])}
      />
      <AssetFilter value={filter.asset} onChange={(asset) => set({ asset })} testId="filter-run-asset" />
      <label className="catalog-filter small">
        <span className="muted">Origin</span>
        <input type="search" list="run-filter-origins" placeholder="cli, api, backfill:<id>" value={filter.origin} onChange={(e) => set({ origin: e.target.value.trim() })} data-testid="filter-run-origin" />
        <datalist id="run-filter-origins">
          {RUN_ORIGINS.map((o) => <option key={o} value={o} />)}
        </datalist>
      </label>
      <CreatedFilterInputs value={filter} onChange={({ from, to }) => set({ from, to })} testId="filter-run-created" />
      {isFilteringRuns(filter) && (
        <button className="btn btn-small" onClick={() => onChange({ ...NO_RUN_FILTER, first: filter.first })} data-testid="clear-run-filters">
          Clear filters
        </button>
      )}
    </div>
  );
}

/** The first page (polled) and the pages "Load more" fetched after it, one page of `filter.first` runs each. */
function RunsList({ filter }: { filter: RunFilter }) {
  const pages = usePages<RunsQuery, RunsQueryVariables, RunsQuery['runs']['nodes'][number]>(
    RunsDoc,
    (after) => runsVariables(filter, after),
    (data) => data.runs,
    (items) => (items.some((r) => ACTIVE.has(r.status)) ? 1000 : 4000),
  );
  const { kept, nodes } = pages;
  return (
    <>
      <PagedListStates pages={pages} what="runs" empty={isFilteringRuns(filter) ? 'No run matches these filters.' : 'No runs yet.'} />
      {nodes.length > 0 && (
        <table className={`table ${kept.stale ? 'is-stale' : ''}`} data-testid="runs-table">
          <thead>
            <tr>
              <th>ID</th>
              <th>Status</th>
              <th>Origin</th>
              <th>Selection</th>
              <th style={{ width: '25%' }}>Steps</th>
              <th>Created</th>
              <th>Took</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((r) => (
              <tr key={r.id} className="clickable" onClick={() => navigate(`/runs/${r.id}`)} data-testid="run-row" data-status={r.status}>
                <td>
                  <Link to={`/runs/${r.id}`}>{r.id}</Link>
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td className="small">{r.backfillId ? <Link to={`/backfills/${r.backfillId}`}>{runOrigin(r.origin, r.backfillId)}</Link> : runOrigin(r.origin, null)}</td>
                <td className="mono small">
                  {r.selection || 'all'}
                  {r.partitionFilter && <span className="muted"> [{r.partitionFilter}]</span>}
                </td>
                <td>
                  <CountsBar counts={runCounts(r)} />
                  <div className="small muted">
                    {r.materializedSteps}/{r.plannedSteps} materialized{r.failedSteps ? ` · ${r.failedSteps} failed` : ''}
                  </div>
                </td>
                <td title={dateTime(r.createdAt)}>{timeAgo(r.createdAt)}</td>
                <td className="num" data-testid="run-took">{duration(tookMs(r.startedAt ?? r.createdAt, r.finishedAt))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore pages={pages} testId="load-more-runs" />
    </>
  );
}

export function RunPage({ id }: { id: string }) {
  const [result, refetch] = useQuery<RunQuery, RunQueryVariables>({ query: RunDoc, variables: { id } });
  const run = result.data?.run;
  // Polled 1.5 s after each answer, never while one is awaited: the query
  // (1,000 steps) takes 2-4 s on a debug server while a large run goes on,
  // longer than the interval, and a poll on a clock re-sent it before its
  // answer came.
  usePoll(refetch, (!run || ACTIVE.has(run.status)) && !result.fetching, 1500);
  // The log's events, from the page's start (they may all arrive before the
  // run's record): its past pages, then the live stream (lib/runEvents),
  // through the uncached client; queued and appended at most every 250 ms
  // (lib/runLog), so an event re-renders neither this page nor the log by
  // itself.
  const uncached = useUncachedClient();
  const store = useMemo(() => new RunLogStore<RunEvent>(), [id]);
  useEffect(() => followRunEvents(uncached, id, store), [uncached, id, store]);
  const [cancel, cancelRun] = useMutation<CancelRunMutation, CancelRunMutationVariables>(CancelRunDoc);
  // A cancel's message holds while the status it answered holds, and only
  // while the run is active: a cancel that finished at once (a queued run)
  // leaves the header's "canceled" alone, with no banner.
  const [message, setMessage] = useState<{ text: string; status: string } | null>(null);
  // The log filter lives in the URL (`?level=ERROR&asset=…`): a filtered log can be linked.
  const { search } = useLocation();
  const searchText = search.toString();
  const filter = useMemo(() => filterFromSearch(new URLSearchParams(searchText)), [searchText]);
  const setFilter = (f: LogFilter) => navigate(`/runs/${id}${filterToSearch(f)}`, true);

  if (result.error && !run) return <ErrorState error={result.error} what={`run ${id}`} />;
  if (!run) return <Loading what={`run ${id}`} />;
  const active = ACTIVE.has(run.status);
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <div className="crumbs">
            <Link to="/runs">Runs</Link> / {run.id}
            {run.backfillId && (
              <>
                {' '}
                · <Link to={`/backfills/${run.backfillId}`}>backfill {run.backfillId}</Link>
              </>
            )}
          </div>
          <h1>
            Run {run.id} <StatusBadge status={run.status} />
          </h1>
          <div className="subtitle small">
            launched by {runOrigin(run.origin, run.backfillId)} · selection <span className="mono">{run.selection || 'all'}</span>
            {run.partitionFilter && (
              <>
                {' '}
                · partitions <span className="mono">{run.partitionFilter}</span>
              </>
            )}{' '}
            · created {dateTime(run.createdAt)}
            {run.finishedAt ? ` · took ${duration(tookMs(run.startedAt ?? run.createdAt, run.finishedAt))}` : run.startedAt ? ` · started ${dateTime(run.startedAt)}` : ' · queued'}
          </div>
        </div>
        <div className="actions">
          <button
            className="btn btn-danger"
            disabled={!active || cancel.fetching}
            onClick={async () => {
              const r = await cancelRun({ id });
              if (r.data) setMessage({ text: r.data.cancelRun.message, status: r.data.cancelRun.run.status });
            }}
          >
            Cancel run
          </button>
        </div>
      </header>
      {cancel.error && <div className="banner banner-error">{errorText(cancel.error)}</div>}
      {message && message.status === run.status && ACTIVE.has(run.status) && (
        <div className="banner" data-testid="mutation-message">
          {message.text}
        </div>
      )}
      <section className="card">
        <h2>Steps</h2>
        <CountsBar counts={runCounts(run)} height={12} />
        {run.steps.nodes.length === 0 ? (
          <p className="muted">No steps planned.</p>
        ) : (
          <RunSteps steps={run.steps.nodes} />
        )}
      </section>
      {run.steps.nodes.length > 0 && (
        <section className="card" data-testid="timeline-section">
          <h2>Timeline</h2>
          <RunTimeline steps={run.steps.nodes} nowMs={Date.now()} />
        </section>
      )}
      <section className="card">
        <RunLog store={store} filter={filter} onFilter={setFilter} />
      </section>
    </div>
  );
}
