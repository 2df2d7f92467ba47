// The asset page's tabs: the tab list (role=tablist, arrow keys, Home,
// End), the date ticks under a partition bar, the Partitions tab's table,
// the Events tab (materializations with provenance, failed
// materializations) and the Lineage tab (upstream and downstream).
import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { AssetFailuresDoc, AssetNeighboursDoc, PartitionLatestDoc } from '../api/assetTabOperations';
import { MaterializationsDoc } from '../api/operations';
import type {
  AssetFailuresQuery,
  AssetFailuresQueryVariables,
  AssetNeighboursQuery,
  AssetNeighboursQueryVariables,
  MaterializationsQuery,
  MaterializationsQueryVariables,
  PartitionLatestQuery,
  PartitionLatestQueryVariables,
} from '../api/generated';
import { Link, assetPath } from '../router';
import { Empty, ErrorState, Loading, StatusBadge } from './ui';
import { useWidth } from './useWidth';
import { partitionColor } from '../theme';
import { bytes, dateTime, duration, num, timeAgo } from '../format';
import { enumWords, plural } from '../lib/words';
import { provenanceByAsset, runText, type ProvenanceInput } from '../lib/provenance';
import { partitionTicks } from '../lib/partitionTicks';
import type { StateRange } from '../lib/partitionBar';
import {
  PARTITION_STATES,
  TAB_LABELS,
  assetFailures,
  assetViewSearch,
  filteredCount,
  pageCount,
  partitionPage,
  tabAfterKey,
  type AssetTab,
} from '../lib/assetTabs';
import '../assetTabs.css';

/** The id of a tab's button and of its panel. */
export const tabId = (tab: AssetTab) => `asset-tab-${tab}`;
export const panelId = (tab: AssetTab) => `asset-panel-${tab}`;

export function TabList({ tabs, active, onSelect, label }: { tabs: readonly AssetTab[]; active: AssetTab; onSelect: (tab: AssetTab) => void; label: string }) {
  const list = useRef<HTMLDivElement>(null);
  const onKeyDown = (event: KeyboardEvent) => {
    const next = tabAfterKey(tabs, active, event.key);
    if (!next) return;
    event.preventDefault();
    onSelect(next);
    list.current?.querySelector<HTMLElement>(`#${tabId(next)}`)?.focus();
  };
  return (
    <div className="asset-tabs" role="tablist" aria-label={label} ref={list} onKeyDown={onKeyDown} data-testid="asset-tabs">
      {tabs.map((t) => (
        <button
          key={t}
          id={tabId(t)}
          role="tab"
          type="button"
          className="asset-tab"
          aria-selected={t === active}
          aria-controls={panelId(t)}
          tabIndex={t === active ? 0 : -1}
          onClick={() => onSelect(t)}
          data-tab={t}
        >
          {TAB_LABELS[t]}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ tab, children }: { tab: AssetTab; children: ReactNode }) {
  return (
    <div role="tabpanel" id={panelId(tab)} aria-labelledby={tabId(tab)} className="asset-panel" data-testid={`panel-${tab}`}>
      {children}
    </div>
  );
}

/** Width in pixels a tick's label needs (`2013-01-05 14:00` is the longest). */
const TICK_SPACING = 130;

/** Date ticks under a time-partitioned bar; nothing for static partitions. */
export function PartitionTicks({ kind, firstKey, count, timezone }: { kind: string; firstKey: string | null; count: number; timezone: string | null }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const ticks = width ? partitionTicks(kind, firstKey, count, Math.max(1, Math.floor(width / TICK_SPACING))) : [];
  return (
    <div className="pticks" ref={ref} data-testid="partition-ticks" title={timezone ? `Partition dates in ${timezone}` : undefined}>
      {ticks.map((t) => {
        // A label too near the right edge ends at its tick instead of starting there.
        const flip = t.at * width > width - TICK_SPACING;
        return (
          <span key={t.label} className={`ptick${flip ? ' ptick-flip' : ''}`} style={{ left: `${t.at * 100}%` }} data-testid="partition-tick">
            {t.label}
          </span>
        );
      })}
    </div>
  );
}

const PAGE_SIZE = 50;

/**
 * The Partitions tab's table: one page of partitions (key, state, latest
 * materialization), filtered by state, newest or oldest first. A key links
 * to the Events tab filtered to it.
 */
export function PartitionTable({
  assetKey,
  ranges,
  kind,
  keys,
  state,
  onState,
}: {
  assetKey: string;
  ranges: readonly StateRange[];
  kind: string;
  keys: readonly string[] | null;
  state: string | null;
  onState: (state: string | null) => void;
}) {
  const [page, setPage] = useState(0);
  const [newestFirst, setNewestFirst] = useState(kind !== 'static');
  const total = filteredCount(ranges, null);
  const count = filteredCount(ranges, state);
  const pages = pageCount(count, PAGE_SIZE);
  const current = Math.min(page, pages - 1);
  const rows = partitionPage(ranges, { state, page: current, pageSize: PAGE_SIZE, newestFirst, kind, keys });
  const choose = (s: string | null) => {
    setPage(0);
    onState(s);
  };
  return (
    <section className="card" data-testid="partition-table-card">
      <div className="ptable-head">
        <h2>Partitions</h2>
        <div className="ptable-filter" role="group" aria-label="Filter by state" data-testid="partition-filter">
          <button type="button" className="pfilter" aria-pressed={state === null} onClick={() => choose(null)} data-state="">
            all {num(total)}
          </button>
          {PARTITION_STATES.map((s) => (
            <button key={s} type="button" className="pfilter" aria-pressed={state === s} onClick={() => choose(s)} data-state={s}>
              <i style={{ background: partitionColor(s) }} /> {enumWords(s)} {num(filteredCount(ranges, s))}
            </button>
          ))}
        </div>
        <label className="small muted">
          <select value={newestFirst ? 'newest' : 'oldest'} onChange={(e) => (setNewestFirst(e.target.value === 'newest'), setPage(0))} aria-label="Order" data-testid="partition-order">
            <option value="newest">last key first</option>
            <option value="oldest">first key first</option>
          </select>
        </label>
      </div>
      {rows.length === 0 ? (
        <Empty>{state ? `No ${enumWords(state)} partitions.` : 'No partitions.'}</Empty>
      ) : (
        <table className="table compact ptable" data-testid="partition-table">
          <thead>
            <tr>
              <th>Partition</th>
              <th>State</th>
              <th>Last materialization</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.index} data-testid="partition-row" data-key={r.key ?? ''} data-state={r.state}>
                <td className="mono">
                  {r.key ? (
                    <Link to={`${assetPath(assetKey)}${assetViewSearch({ tab: 'events', partition: r.key })}`} title={`Materializations of ${r.key}`}>
                      {r.key}
                    </Link>
                  ) : (
                    <span className="muted">#{r.index + 1}</span>
                  )}
                </td>
                <td>
                  <StatusBadge status={r.state} />
                </td>
                <td className="small">{r.key && r.state !== 'MISSING' ? <LatestOf assetKey={assetKey} partition={r.key} /> : <span className="muted">never</span>}</td>
                <td className="small">
                  {r.key && (
                    <Link to={`${assetPath(assetKey)}${assetViewSearch({ tab: 'events', partition: r.key })}`} data-testid="partition-events">
                      Events →
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="pager ptable-pager">
        <span className="small muted" data-testid="partition-page">
          {count === 0 ? '0' : `${num(current * PAGE_SIZE + 1)}–${num(current * PAGE_SIZE + rows.length)}`} of {plural(count, `${state ? `${enumWords(state)} ` : ''}partition`)}
        </span>
        <button type="button" className="btn btn-small" onClick={() => setPage(0)} disabled={current === 0}>
          First
        </button>
        <button type="button" className="btn btn-small" onClick={() => setPage(current - 1)} disabled={current === 0} data-testid="partition-prev">
          Previous
        </button>
        <span className="small muted">
          page {num(current + 1)} of {num(pages)}
        </span>
        <button type="button" className="btn btn-small" onClick={() => setPage(current + 1)} disabled={current >= pages - 1} data-testid="partition-next">
          Next
        </button>
        <button type="button" className="btn btn-small" onClick={() => setPage(pages - 1)} disabled={current >= pages - 1}>
          Last
        </button>
      </div>
    </section>
  );
}

/** A partition's latest materialization: when, and its run. */
function LatestOf({ assetKey, partition }: { assetKey: string; partition: string }) {
  const [result] = useQuery<PartitionLatestQuery, PartitionLatestQueryVariables>({ query: PartitionLatestDoc, variables: { key: assetKey, partition } });
  const m = result.data?.asset.materializations.nodes[0];
  if (result.error) return <span className="error-text">?</span>;
  if (!result.data) return <span className="muted">…</span>;
  if (!m) return <span className="muted">never</span>;
  return (
    <span data-testid="partition-latest">
      <span title={timeAgo(m.materializedAt)}>{dateTime(m.materializedAt)}</span> · <Link to={`/runs/${m.runId}`}>{m.runId}</Link>
    </span>
  );
}

// ---- Events --------------------------------------------------------------

/** The Events tab: materializations (of one partition when given) and failed materializations. */
export function AssetEvents({ assetKey, partitioned, partition, onPartition }: { assetKey: string; partitioned: boolean; partition: string | null; onPartition: (p: string | null) => void }) {
  const [text, setText] = useState(partition ?? '');
  return (
    <>
      {partitioned && (
        <form
          className="events-filter"
          onSubmit={(e) => {
            e.preventDefault();
            onPartition(text.trim() || null);
          }}
          data-testid="events-filter"
        >
          <label>
            Partition{' '}
            <input name="partition" className="mono" value={text} onChange={(e) => setText(e.target.value)} placeholder="all partitions" spellCheck={false} />
          </label>
          <button type="submit" className="btn btn-small">
            Show
          </button>
          {partition && (
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                setText('');
                onPartition(null);
              }}
              data-testid="events-all"
            >
              All partitions
            </button>
          )}
        </form>
      )}
      <section className="card">
        <h2 data-testid="events-title">
          Materializations{partition && (
            <>
              {' '}
              of <span className="mono">{partition}</span>
            </>
          )}
        </h2>
        <Materializations key={partition ?? ''} assetKey={assetKey} partition={partition} />
      </section>
      <section className="card">
        <h2>Failed materializations</h2>
        <Failures assetKey={assetKey} partition={partition} />
      </section>
    </>
  );
}

function Materializations({ assetKey, partition }: { assetKey: string; partition: string | null }) {
  const [after, setAfter] = useState<string | null>(null);
  const [result] = useQuery<MaterializationsQuery, MaterializationsQueryVariables>({ query: MaterializationsDoc, variables: { key: assetKey, partition, after } });
  const conn = result.data?.asset.materializations;
  if (result.error) return <ErrorState error={result.error} what="materializations" />;
  if (!conn) return <Loading />;
  if (!conn.nodes.length) return <Empty>{partition ? `Partition ${partition} was never materialized.` : 'Never materialized.'}</Empty>;
  return (
    <>
      <table className="table" data-testid="materializations">
        <thead>
          <tr>
            <th>When</th>
            <th>Partition</th>
            <th>Run</th>
            <th className="num">Rows</th>
            <th className="num">Size</th>
            <th className="num">Took</th>
            <th>Data version</th>
            <th>Inputs read (provenance)</th>
          </tr>
        </thead>
        <tbody>
          {conn.nodes.map((m) => (
            <tr key={m.id} data-testid="materialization-row" data-partition={m.partition ?? ''}>
              <td title={timeAgo(m.materializedAt)} className="nowrap">
                {dateTime(m.materializedAt)}
              </td>
              <td className="mono">{m.partition ?? '—'}</td>
              <td>
                <Link to={`/runs/${m.runId}`}>{m.runId}</Link>
              </td>
              <td className="num">{num(m.rows)}</td>
              <td className="num">{bytes(m.bytes)}</td>
              <td className="num">{duration(m.durationMs)}</td>
              <td className="mono small" title={`code version ${m.codeVersion}`}>
                {m.dataVersion.slice(0, 12)}
              </td>
              <td className="small">
                <Provenance inputs={m.inputs} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        {after && (
          <button className="btn btn-small" onClick={() => setAfter(null)}>
            Newest
          </button>
        )}
        {conn.pageInfo.hasNextPage && (
          <button className="btn btn-small" onClick={() => setAfter(conn.pageInfo.endCursor)}>
            Older
          </button>
        )}
      </div>
    </>
  );
}

/** The inputs a materialization read: one line per upstream asset, its partitions as ranges. */
function Provenance({ inputs }: { inputs: readonly ProvenanceInput[] }) {
  if (inputs.length === 0) return <span className="muted">—</span>;
  return (
    <>
      {provenanceByAsset(inputs).map((up) => (
        <div key={up.asset} className="provenance-line">
          <Link to={assetPath(up.asset)} className="mono">
            {up.asset}
          </Link>
          {up.runs.length > 0 && (
            <span className="mono">
              {' '}
              [{up.runs.slice(0, 4).map(runText).join(', ')}
              {up.runs.length > 4 ? `, … ${up.runs.length - 4} more` : ''}]
            </span>
          )}
          {up.partitions > 1 && <span className="muted"> ({plural(up.partitions, 'partition')})</span>}{' '}
          <span className="mono muted" title={up.dataVersions.join('\n')}>
            {up.dataVersions.length === 1 ? `@${up.dataVersions[0].slice(0, 8)}` : plural(up.dataVersions.length, 'data version')}
          </span>
        </div>
      ))}
    </>
  );
}

/** How many of the asset's latest failed or canceled runs are searched for its failed steps. */
const FAILED_RUNS = 20;

function Failures({ assetKey, partition }: { assetKey: string; partition: string | null }) {
  const [result] = useQuery<AssetFailuresQuery, AssetFailuresQueryVariables>({ query: AssetFailuresDoc, variables: { key: assetKey, first: FAILED_RUNS } });
  if (result.error) return <ErrorState error={result.error} what="failed materializations" />;
  if (!result.data) return <Loading />;
  const failures = assetFailures(result.data.runs.nodes, assetKey, partition);
  const more = result.data.runs.pageInfo.hasNextPage;
  return (
    <>
      {failures.length === 0 ? (
        <p className="muted" data-testid="no-failures">
          No failed materialization{partition ? ` of ${partition}` : ''} in its latest {plural(FAILED_RUNS, 'failed or canceled run')}.
        </p>
      ) : (
        <table className="table" data-testid="failures">
          <thead>
            <tr>
              <th>When</th>
              <th>Partition</th>
              <th>Run</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {failures.map((f) => (
              <tr key={f.stepId} data-testid="failure-row">
                <td className="nowrap">{dateTime(f.at)}</td>
                <td className="mono">{f.partition ?? '—'}</td>
                <td>
                  <Link to={`/runs/${f.runId}`}>{f.runId}</Link>
                </td>
                <td className="error-text small failure-error">{f.error ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more && (
        <p className="small muted">
          Older failed runs: <Link to={`/runs?status=FAILURE&asset=${encodeURIComponent(assetKey)}`}>the runs list</Link>.
        </p>
      )}
    </>
  );
}

// ---- Lineage ---------------------------------------------------------------

/** The Lineage tab: upstream and downstream assets one step away, with their state, and the graph around it. */
export function AssetLineage({ assetKey }: { assetKey: string }) {
  const [result] = useQuery<AssetNeighboursQuery, AssetNeighboursQueryVariables>({ query: AssetNeighboursDoc, variables: { key: assetKey } });
  if (result.error) return <ErrorState error={result.error} what="lineage" />;
  if (!result.data) return <Loading />;
  const nodes = new Map(result.data.lineage.nodes.map((n) => [n.key, n]));
  const list = (keys: readonly string[], empty: string, testId: string) =>
    keys.length === 0 ? (
      <p className="muted">{empty}</p>
    ) : (
      <ul className="lineage-list" data-testid={testId}>
        {keys.map((k) => {
          const n = nodes.get(k);
          return (
            <li key={k}>
              <Link to={assetPath(k)} className="mono">
                {k}
              </Link>{' '}
              {n && (
                <>
                  <span className={`kind kind-${n.kind.toLowerCase()}`}>{n.kind.toLowerCase()}</span> <StatusBadge status={n.state} />
                </>
              )}
            </li>
          );
        })}
      </ul>
    );
  const { dependencyKeys, dependedByKeys } = result.data.asset;
  return (
    <>
      <p>
        <Link to={`/?selection=${encodeURIComponent(`+${assetKey}+`)}`} className="btn btn-small" data-testid="lineage-graph-link">
          Open in the lineage graph (<span className="mono">+{assetKey}+</span>)
        </Link>
      </p>
      <div className="grid-2">
        <section className="card">
          <h2>Upstream ({dependencyKeys.length})</h2>
          {list(dependencyKeys, 'No upstream assets.', 'upstream')}
        </section>
        <section className="card">
          <h2>Downstream ({dependedByKeys.length})</h2>
          {list(dependedByKeys, 'No downstream assets.', 'downstream')}
        </section>
      </div>
    </>
  );
}
