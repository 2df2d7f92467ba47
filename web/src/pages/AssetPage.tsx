// One asset, as tabs (Dagster's layout), the active one in the URL
// (`?tab=partitions`; none is the Overview, so old links work):
// Overview (partition status bar with date ticks, drag to select a range
// for a backfill; staleness and freshness; latest materialization, checks
// and lineage in brief; definition), Partitions (the bar and a table of
// partitions filtered by state), Events (materializations with
// provenance, failed materializations, of one partition or all), Checks,
// Lineage (upstream and downstream).
import { useState, type ReactNode } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { AssetDoc, AssetEventsDoc, MaterializeDoc, StaticKeysDoc } from '../api/operations';
import type {
  AssetEventsSubscription,
  AssetQuery,
  AssetQueryVariables,
  MaterializeMutation,
  MaterializeMutationVariables,
  StaticKeysQuery,
  StaticKeysQueryVariables,
} from '../api/generated';
import { errorText } from '../api/client';
import { Link, assetPath, navigate, useLocation } from '../router';
import { PartitionBar } from '../components/PartitionBar';
import { Sql } from '../components/Sql';
import { BackfillDialog } from '../components/BackfillDialog';
import { AssetEvents, AssetLineage, PartitionTable, PartitionTicks, TabList, TabPanel } from '../components/AssetTabs';
import { ErrorState, Loading, StatusBadge } from '../components/ui';
import { PARTITION_LEGEND, partitionColor } from '../theme';
import { dateTime, duration, num, timeAgo } from '../format';
import { DEFAULT_SORT, NO_CATALOG_FILTER, catalogToSearch, formatTag } from '../lib/catalog';
import { assetHeaderState, enumWords, keyRange, missingText, partitionStateCounts, plural, shellQuote, spaceDurationUnits } from '../lib/words';
import { assetTabs, assetViewSearch, parseAssetView, type AssetTab, type AssetView } from '../lib/assetTabs';

type Asset = AssetQuery['asset'];
type BarRange = { start: string; end: string; count: number; indexes: [number, number] };

export function AssetPage({ assetKey }: { assetKey: string }) {
  const [result, refetch] = useQuery<AssetQuery, AssetQueryVariables>({ query: AssetDoc, variables: { key: assetKey } });
  useSubscription<AssetEventsSubscription>({ query: AssetEventsDoc, variables: { selection: assetKey } }, (_p, e) => {
    refetch({ requestPolicy: 'network-only' });
    return e;
  });
  const { search } = useLocation();
  const [range, setRange] = useState<BarRange | null>(null);
  const [dialog, setDialog] = useState<null | { range: { start: string; end: string } | null }>(null);
  const [mat, materialize] = useMutation<MaterializeMutation, MaterializeMutationVariables>(MaterializeDoc);
  const a = result.data?.asset;
  const def = a?.partitionsDefinition;
  // Every key when the UI cannot compute them (static) or they may be irregular (hourly: daylight saving).
  const [keysResult] = useQuery<StaticKeysQuery, StaticKeysQueryVariables>({
    query: StaticKeysDoc,
    variables: { key: assetKey, first: 100_000 },
    pause: def?.kind !== 'static' && def?.kind !== 'hourly',
  });

  if (result.error && !a) return <ErrorState error={result.error} what={`asset ${assetKey}`} suggestionPath={assetPath} />;
  if (!a) return <Loading what={assetKey} />;

  const tabs = assetTabs(!!def);
  const view = parseAssetView(search, tabs);
  const go = (next: Partial<AssetView> & { tab: AssetTab }, replace = false) => navigate(`${assetPath(a.key)}${assetViewSearch(next)}`, replace);
  const keys = keysResult.data?.asset.partitionsDefinition?.keys ?? null;
  const onMaterialize = async () => {
    const r = await materialize({ selection: a.key });
    if (r.data) navigate(`/runs/${r.data.materialize.id}`);
  };
  const fr = a.freshness;
  const headerState = assetHeaderState(a.staleStatus, result.data?.graphState.nodes.find((n) => n.key === a.key)?.state);
  const status = <PartitionStatus a={a} keys={keys} range={range} onRange={setRange} onBackfill={(r) => setDialog({ range: r })} />;
  return (
    <div className="page asset-page">
      <header className="page-head">
        <div>
          <div className="crumbs">
            <Link to="/">Lineage</Link> / <Link to={`/?selection=${encodeURIComponent(`+${a.key}+`)}`}>{a.group}</Link>
          </div>
          <h1 className="mono" data-testid="asset-key">
            {a.key}
          </h1>
          <div className="subtitle">
            <span className={`kind kind-${a.kind.toLowerCase()}`}>{a.kind.toLowerCase()}</span>
            <span data-testid="asset-state">
              <StatusBadge status={headerState} />
            </span>
            {fr && <StatusBadge status={`freshness_${fr.status}`} />}
            <span className="muted small">code version <code>{a.codeVersion}</code></span>
          </div>
          <div className="subtitle small" data-testid="asset-group-tags">
            <span>
              group{' '}
              <Link to={`/catalog${catalogToSearch({ ...NO_CATALOG_FILTER, group: a.group }, DEFAULT_SORT)}`} className="mono" data-testid="asset-group" title="Assets of this group in the catalog">
                {a.group}
              </Link>
            </span>
            {a.tags.map((t) => (
              <Link key={t.key} to={`/catalog${catalogToSearch({ ...NO_CATALOG_FILTER, tag: formatTag(t) }, DEFAULT_SORT)}`} className="tag mono" data-testid="asset-tag" title="Assets with this tag in the catalog">
                {formatTag(t)}
              </Link>
            ))}
          </div>
          {a.description && <p className="description">{a.description}</p>}
        </div>
        <div className="actions">
          <button className="btn" onClick={() => setDialog({ range: range ? { start: range.start, end: range.end } : null })} data-testid="open-backfill">
            Backfill…
          </button>
          <button className="btn btn-primary" onClick={() => void onMaterialize()} disabled={mat.fetching} title="Materialize the missing or stale partitions now">
            {mat.fetching ? 'Starting…' : 'Materialize'}
          </button>
        </div>
      </header>
      {mat.error && <div className="banner banner-error">{errorText(mat.error)}</div>}

      <TabList tabs={tabs} active={view.tab} onSelect={(tab) => go({ tab })} label={`Asset ${a.key}`} />
      <TabPanel tab={view.tab}>
        {view.tab === 'overview' && <Overview a={a} status={status} />}
        {view.tab === 'partitions' && def && (
          <>
            {status}
            <PartitionTable assetKey={a.key} ranges={a.partitionStatuses} kind={def.kind} keys={keys} state={view.state} onState={(state) => go({ tab: 'partitions', state }, true)} />
          </>
        )}
        {view.tab === 'events' && <AssetEvents key={view.partition ?? ''} assetKey={a.key} partitioned={!!def} partition={view.partition} onPartition={(partition) => go({ tab: 'events', partition }, true)} />}
        {view.tab === 'checks' && (
          <section className="card">
            <h2>Checks</h2>
            {a.checks.length === 0 ? <p className="muted">No asset checks.</p> : a.checks.map((c) => <CheckView key={c.name} check={c} />)}
          </section>
        )}
        {view.tab === 'lineage' && <AssetLineage assetKey={a.key} />}
      </TabPanel>
      {dialog && <BackfillDialog selection={a.key} range={dialog.range} onClose={() => setDialog(null)} />}
    </div>
  );
}

/** The partition status bar with its counts (the legend), date ticks and the dragged range. */
function PartitionStatus({
  a,
  keys,
  range,
  onRange,
  onBackfill,
}: {
  a: Asset;
  keys: readonly string[] | null;
  range: BarRange | null;
  onRange: (r: BarRange | null) => void;
  onBackfill: (r: { start: string; end: string }) => void;
}) {
  const def = a.partitionsDefinition;
  const counts = partitionStateCounts(a.partitionStatuses);
  return (
    <section className="card">
      <h2>Partition status</h2>
      {def ? <p className="muted small">{def.description} · {num(def.count)} partitions</p> : <p className="muted small">Unpartitioned</p>}
      <p className="stats small" data-testid="partition-counts" aria-label="Legend">
        {PARTITION_LEGEND.map((state) => (
          <span key={state} data-state={state}>
            <i style={{ background: partitionColor(state) }} /> {num(counts[state] ?? 0)} {enumWords(state)}
          </span>
        ))}
      </p>
      <PartitionBar
        ranges={a.partitionStatuses}
        kind={def?.kind}
        keys={keys}
        onSelect={def ? (start, end, count, indexes) => onRange({ start, end, count, indexes }) : undefined}
        selection={range?.indexes ?? null}
        testId="partition-bar"
      />
      {def && def.kind !== 'static' && <PartitionTicks kind={def.kind} firstKey={def.firstKey} count={def.count} timezone={def.timezone} />}
      <div className="bar-foot">
        {def && (
          <span className="small">
            {range ? (
              <>
                Selected <strong className="mono">{keyRange(range.start, range.end)}</strong> ({range.count}){' '}
                <button className="btn btn-small btn-primary" onClick={() => onBackfill(range)} data-testid="backfill-range">
                  Backfill range…
                </button>{' '}
                <button className="btn btn-small" onClick={() => onRange(null)}>
                  Clear
                </button>
              </>
            ) : (
              <span className="muted">Drag over the bar to select partitions.</span>
            )}
          </span>
        )}
      </div>
    </section>
  );
}

/** The Overview tab: status, staleness and freshness, the latest materialization, checks and lineage in brief, the definition. */
function Overview({ a, status }: { a: Asset; status: ReactNode }) {
  const def = a.partitionsDefinition;
  const fr = a.freshness;
  const latest = a.latestMaterialization;
  const passed = a.checks.reduce((n, c) => n + c.passed, 0);
  const failed = a.checks.reduce((n, c) => n + c.failed, 0);
  const tabLink = (view: Partial<AssetView> & { tab: AssetTab }, text: string, testId?: string) => (
    <Link to={`${assetPath(a.key)}${assetViewSearch(view)}`} data-testid={testId}>
      {text}
    </Link>
  );
  return (
    <>
      {status}
      <div className="grid-2">
        <section className="card">
          <h2>Staleness</h2>
          {a.staleCauses.length === 0 ? (
            <p className="muted" data-testid="stale-summary">
              {a.staleStatus === 'FRESH' ? 'Fresh: nothing it depends on changed.' : a.staleStatus === 'MISSING' ? missingText(a.partitionStats) : 'No causes reported.'}
            </p>
          ) : (
            <ul className="causes">
              {a.staleCauses.map((c, i) => (
                <li key={i} title={c.text}>
                  {enumWords(c.kind)}
                  {c.upstream && (
                    <>
                      {': '}
                      <Link to={assetPath(c.upstream)} className="mono">
                        {c.upstream}
                      </Link>
                    </>
                  )}
                  {def && <span className="muted small"> · {plural(c.partitions, 'partition')}</span>}
                </li>
              ))}
            </ul>
          )}
          <h2>Freshness</h2>
          {fr ? (
            <dl className="kv">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={`freshness_${fr.status}`} /> {fr.overdueBySecs ? <span className="error-text">overdue by {duration(fr.overdueBySecs * 1000)}</span> : null}
              </dd>
              <dt>Policy</dt>
              <dd className="mono small">{spaceDurationUnits(fr.policy)}</dd>
              <dt>Last materialization</dt>
              <dd>{fr.lastMaterializedAt ? `${dateTime(fr.lastMaterializedAt)} (${timeAgo(fr.lastMaterializedAt)})` : 'never'}</dd>
              <dt>Next deadline</dt>
              <dd>{fr.nextDeadline ? `${dateTime(fr.nextDeadline)} (${timeAgo(fr.nextDeadline)})` : '—'}</dd>
              {fr.latestPartition && (
                <>
                  <dt>Latest partition</dt>
                  <dd>
                    <span className="mono">{fr.latestPartition}</span> {fr.latestPartitionStatus && <StatusBadge status={`freshness_${fr.latestPartitionStatus}`} />}
                  </dd>
                </>
              )}
            </dl>
          ) : (
            <p className="muted">No freshness policy.</p>
          )}
        </section>
        <section className="card" data-testid="overview-summary">
          <h2>Latest materialization</h2>
          <p>
            {latest ? (
              <>
                {dateTime(latest.materializedAt)} <span className="muted">({timeAgo(latest.materializedAt)})</span>
                {latest.partition && (
                  <>
                    {' '}
                    of <span className="mono">{latest.partition}</span>
                  </>
                )}{' '}
                · {tabLink({ tab: 'events' }, 'events')}
              </>
            ) : (
              <span className="muted">never</span>
            )}
          </p>
          <h2>Checks</h2>
          <p>
            {a.checks.length === 0 ? (
              <span className="muted">No asset checks.</span>
            ) : (
              <>
                {plural(a.checks.length, 'asset check')}: {plural(passed, 'result')} passed, <span className={failed ? 'error-text' : undefined}>{plural(failed, 'result')} failed</span> ·{' '}
                {tabLink({ tab: 'checks' }, 'checks', 'overview-checks')}
              </>
            )}
          </p>
          <h2>Lineage</h2>
          <p>
            {plural(a.dependencyKeys.length, 'upstream asset')}, {plural(a.dependedByKeys.length, 'downstream asset')} · {tabLink({ tab: 'lineage' }, 'lineage')}
          </p>
        </section>
      </div>
      <section className="card">
        <h2>Definition</h2>
        <Definition def={a.definition} />
      </section>
    </>
  );
}

function Definition({ def }: { def: AssetQuery['asset']['definition'] }) {
  return (
    <>
      {def.sql && <Sql sql={def.sql} />}
      {def.tables && def.tables.length > 0 && (
        <p className="small">
          Reads{' '}
          {def.tables.map((t, i) => (
            <span key={t}>
              {i > 0 && ', '}
              <Link to={assetPath(t)} className="mono">
                {t}
              </Link>
            </span>
          ))}
        </p>
      )}
      {def.sourcePath && (
        <dl className="kv">
          <dt>Source path</dt>
          <dd className="mono">{def.sourcePath}</dd>
          <dt>Format</dt>
          <dd className="mono">{def.sourceFormat ?? 'inferred'}</dd>
        </dl>
      )}
      {def.command && <pre className="code">{shellQuote(def.command)}</pre>}
      {(def.outputFormat || def.timeoutSecs) && (
        <p className="small muted">
          {def.outputFormat && <>Output format {def.outputFormat}. </>}
          {def.timeoutSecs && <>Timeout {def.timeoutSecs} s.</>}
        </p>
      )}
    </>
  );
}

function CheckView({ check }: { check: AssetQuery['asset']['checks'][number] }) {
  const [open, setOpen] = useState(check.failed > 0);
  const failed = check.results.filter((r) => !r.passed);
  return (
    <div className="check">
      <button className="check-head" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className={check.failed ? (check.severity === 'ERROR' ? 'dot dot-fail' : 'dot dot-warn') : check.passed ? 'dot dot-pass' : 'dot'} />
        <span className="mono">{check.name}</span>
        <span className="muted small">
          {check.kind} · {check.severity.toLowerCase()} · {check.passed} passed · {check.failed} failed
        </span>
      </button>
      {open && (
        <div className="check-body">
          {check.results.length === 0 && <p className="muted small">Not evaluated yet.</p>}
          {check.results.length > 0 && (
            <table className="table compact">
              <thead>
                <tr>
                  <th>Partition</th>
                  <th>Result</th>
                  <th className="num">Violations</th>
                  <th>Sample</th>
                  <th>Evaluated</th>
                </tr>
              </thead>
              <tbody>
                {(failed.length ? check.results.slice(0, 50) : check.results.slice(0, 10)).map((r, i) => (
                  <tr key={`${r.partition}-${i}`}>
                    <td className="mono">{r.partition ?? '—'}</td>
                    <td>{r.passed ? <span className="ok-text">passed</span> : <span className="error-text">failed</span>}</td>
                    <td className="num">{num(r.violations)}</td>
                    <td>
                      {r.error && <span className="error-text">{r.error}</span>}
                      {Array.isArray(r.sample) && r.sample.length > 0 && <SampleRows rows={r.sample as Record<string, unknown>[]} />}
                    </td>
                    <td className="small muted">
                      <span title={timeAgo(r.evaluatedAt)}>{dateTime(r.evaluatedAt)}</span> · <Link to={`/runs/${r.runId}`}>run {r.runId}</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}

function SampleRows({ rows }: { rows: Record<string, unknown>[] }) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <table className="sample">
      <thead>
        <tr>
          {cols.map((c) => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {cols.map((c) => (
              <td key={c}>{r[c] === null || r[c] === undefined ? <span className="muted">null</span> : String(r[c])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
