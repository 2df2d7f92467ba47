// The deployment: the store in use, what this server runs (its executor,
// its backfill daemon), the loaded definitions and every executor with a
// heartbeat in the last 24 hours, refreshed every 2 s.
import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { DeploymentDoc } from '../api/operations';
import type { DeploymentQuery, DeploymentQueryVariables } from '../api/generated';
import { ErrorState, Loading } from '../components/ui';
import { dateTime } from '../format';
import { useKept } from '../lib/kept';
import { countByStatus, millisText, secondsAgo, serverExecutorText, sortExecutors } from '../lib/deployment';
import { plural } from '../lib/words';
import { Link } from '../router';
import { StaleBanner, usePoll } from './BackfillPages';

const HOURS = 24;

/** The current time, every second: heartbeat ages move between polls. */
function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function DeploymentPage() {
  const [result, refetch] = useQuery<DeploymentQuery, DeploymentQueryVariables>({ query: DeploymentDoc, variables: { hours: HOURS } });
  const kept = useKept(result.data, !!result.error);
  usePoll(refetch, true, 2000);
  const now = useNow();
  const d = kept.data?.deployment;
  return (
    <div className="page deployment-page">
      <header className="page-head">
        <h1>Deployment</h1>
      </header>
      {result.error && !kept.data && <ErrorState error={result.error} what="the deployment" />}
      {kept.stale && <StaleBanner error={result.error!} receivedAt={kept.receivedAt} />}
      {!kept.data && !result.error && <Loading />}
      {d && (
        <div className={kept.stale ? 'is-stale' : ''}>
          <div className="grid-2">
            <section className="card" data-testid="deployment-store">
              <h2>Store</h2>
              <dl className="kv">
                <dt>Backend</dt>
                <dd className="mono" data-testid="store-backend">
                  {d.storeBackend}
                </dd>
                <dt>URL</dt>
                <dd className="mono break">{d.storeUrl}</dd>
              </dl>
            </section>
            <section className="card" data-testid="deployment-server">
              <h2>This server</h2>
              <dl className="kv">
                <dt>Runs executed by</dt>
                <dd data-testid="server-executor">{serverExecutorText(d.serverExecutorConcurrency)}</dd>
                <dt>Backfill daemon</dt>
                <dd>looks for backfills to launch every {millisText(d.backfillDaemonIntervalMs)}</dd>
                <dt>Last pass</dt>
                <dd data-testid="daemon-last-pass">
                  {d.backfillDaemonLastPassAt ? secondsAgo(d.backfillDaemonLastPassAt, now) : 'not yet'}
                  {d.backfillDaemonError && (
                    <span className="error-text" data-testid="daemon-error">
                      {' '}
                      failed: {d.backfillDaemonError}
                    </span>
                  )}
                </dd>
                <dt>Backfill runs launched</dt>
                <dd data-testid="daemon-launched">{d.backfillDaemonLaunched}</dd>
              </dl>
            </section>
          </div>
          <section className="card" data-testid="deployment-definitions">
            <h2>Definitions</h2>
            <dl className="kv">
              <dt>Project</dt>
              <dd className="mono" data-testid="definitions-project">
                {d.definitions.project}
              </dd>
              <dt>Loaded</dt>
              <dd>
                {dateTime(d.definitions.loadedAt)} <span className="muted">({secondsAgo(d.definitions.loadedAt, now)})</span>
              </dd>
              <dt>Assets</dt>
              <dd>
                <Link to="/catalog">{plural(d.definitions.assetCount, 'asset')}</Link>
              </dd>
              <dt>Diagnostics</dt>
              <dd>{d.definitions.diagnostics.length === 0 ? 'none' : plural(d.definitions.diagnostics.length, 'diagnostic')}</dd>
            </dl>
            {d.definitions.diagnostics.map((x, i) => (
              <pre key={i} className={`code diagnostic diagnostic-${x.severity}`} title={x.message}>
                {x.rendered}
              </pre>
            ))}
          </section>
          <Executors executors={d.executors} now={now} />
        </div>
      )}
    </div>
  );
}

type ExecutorRow = DeploymentQuery['deployment']['executors'][number];

function Executors({ executors, now }: { executors: ExecutorRow[]; now: number }) {
  const counts = countByStatus(executors);
  return (
    <section className="card" data-testid="deployment-executors">
      <div className="card-head">
        <h2>Executors</h2>
        <span className="muted small">
          {counts.RUNNING} running · {counts.LOST} lost · {counts.STOPPED} stopped, with a heartbeat in the last {HOURS} h
        </span>
      </div>
      {executors.length === 0 ? (
        <p className="muted">No executor had a heartbeat in the last {HOURS} h: runs stay queued until a server with an executor or a <code>cairn worker</code> starts.</p>
      ) : (
        <table className="table" data-testid="executors-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>ID</th>
              <th>Host</th>
              <th className="num">PID</th>
              <th>Run</th>
              <th className="num">Concurrency</th>
              <th className="num">Lease</th>
              <th>Started</th>
              <th>Last heartbeat</th>
              <th className="num">Running steps</th>
            </tr>
          </thead>
          <tbody>
            {sortExecutors(executors).map((e) => (
              <tr key={e.id} data-testid="executor-row" data-status={e.status} data-pid={e.pid}>
                <td>
                  <span className={`status status-executor_${e.status.toLowerCase()}`} data-testid="executor-status">
                    {e.status}
                  </span>
                </td>
                <td className="mono small">{e.id}</td>
                <td className="mono small">{e.host}</td>
                <td className="num mono" data-testid="executor-pid">
                  {e.pid}
                </td>
                <td className="small">{e.runId ? <Link to={`/runs/${e.runId}`}>{e.runId}</Link> : <span className="muted">every run</span>}</td>
                <td className="num">{e.concurrency}</td>
                <td className="num">{millisText(e.leaseMs)}</td>
                <td className="small">{dateTime(e.startedAt)}</td>
                <td className="small" title={dateTime(e.heartbeatAt)}>
                  {secondsAgo(e.heartbeatAt, now)}
                  {e.stoppedAt && <div className="muted">stopped {dateTime(e.stoppedAt)}</div>}
                </td>
                <td className="num">{e.runningSteps}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
