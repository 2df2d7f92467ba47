// The shell: navigation, server status (unreachable, unauthorized with a
// token field, invalid definitions with their diagnostics) and the routes.
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { DefinitionsDoc, ReloadDefinitionsDoc } from './api/operations';
import type { DefinitionsQuery, ReloadDefinitionsMutation } from './api/generated';
import { getToken, setToken } from './api/client';
import { Link, useLocation } from './router';
import { GraphPage } from './pages/GraphPage';
import { AssetPage } from './pages/AssetPage';
import { BackfillPage, BackfillsPage } from './pages/BackfillPages';
import { RunPage, RunsPage } from './pages/RunPages';
import { PerfBarPage } from './pages/PerfBarPage';

export interface AppStatus {
  unauthorized: boolean;
  unreachable: boolean;
}

function Route({ path }: { path: string }) {
  if (path === '/' || path === '') return <GraphPage />;
  if (path.startsWith('/assets/')) return <AssetPage key={path} assetKey={path.slice('/assets/'.length).replace(/\/$/, '')} />;
  if (path === '/backfills') return <BackfillsPage />;
  const backfill = /^\/backfills\/([^/]+)$/.exec(path);
  if (backfill) return <BackfillPage key={backfill[1]} id={backfill[1]} />;
  if (path === '/runs') return <RunsPage />;
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) return <RunPage key={run[1]} id={run[1]} />;
  if (path === '/__perf/bar') return <PerfBarPage />;
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link to="/">Back to the lineage graph</Link>.
      </p>
    </div>
  );
}

export function App({ status, onTokenChange }: { status: AppStatus; onTokenChange: () => void }) {
  const { path } = useLocation();
  const [defs, refetchDefs] = useQuery<DefinitionsQuery>({ query: DefinitionsDoc });
  const [reload, reloadDefinitions] = useMutation<ReloadDefinitionsMutation>(ReloadDefinitionsDoc);
  useEffect(() => {
    const t = setInterval(() => refetchDefs({ requestPolicy: 'network-only' }), 10_000);
    return () => clearInterval(t);
  }, [refetchDefs]);
  const d = defs.data?.definitions;
  const unreachable = status.unreachable || (!!defs.error?.networkError && !defs.data);
  const errors = d?.diagnostics.filter((x) => x.severity === 'error') ?? [];
  const warnings = d?.diagnostics.filter((x) => x.severity !== 'error') ?? [];
  const section = path === '/' ? 'graph' : path.split('/')[1];
  return (
    <div className={`app ${section === 'graph' ? 'app-full' : ''}`}>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark">▲</span> Cairn
        </Link>
        {d && <span className="project">{d.project}</span>}
        <nav>
          <Link to="/" className={section === 'graph' || section === 'assets' ? 'active' : ''}>
            Lineage
          </Link>
          <Link to="/backfills" className={section === 'backfills' ? 'active' : ''}>
            Backfills
          </Link>
          <Link to="/runs" className={section === 'runs' ? 'active' : ''}>
            Runs
          </Link>
        </nav>
        <span className="spacer" />
        {d && <span className="muted small">{d.assetCount} assets</span>}
        <TokenButton onChange={onTokenChange} needed={status.unauthorized} />
      </header>
      {unreachable && (
        <div className="banner banner-error" role="alert" data-testid="unreachable">
          Cannot reach the Cairn server{defs.error?.networkError ? ` (${defs.error.networkError.message.slice(0, 120)})` : ""}. Retrying…{' '}
          <button className="btn btn-small" onClick={() => refetchDefs({ requestPolicy: 'network-only' })}>
            Retry now
          </button>
        </div>
      )}
      {status.unauthorized && (
        <div className="banner banner-warn" role="alert">
          This server needs a token for mutations and subscriptions. Enter it with the <strong>Token</strong> button (it is stored in this browser).
        </div>
      )}
      {errors.length > 0 && (
        <details className="banner banner-error diagnostics" open>
          <summary>
            The project's definitions are invalid ({errors.length} error{errors.length === 1 ? '' : 's'}); the previous definitions stay loaded.{' '}
            <button className="btn btn-small" disabled={reload.fetching} onClick={() => void reloadDefinitions({}).then(() => refetchDefs({ requestPolicy: 'network-only' }))}>
              Reload definitions
            </button>
          </summary>
          {errors.map((x, i) => (
            <pre key={i} className="code">
              {x.rendered}
            </pre>
          ))}
        </details>
      )}
      {warnings.length > 0 && errors.length === 0 && (
        <details className="banner banner-warn diagnostics">
          <summary>{warnings.length} warning(s) in the definitions</summary>
          {warnings.map((x, i) => (
            <pre key={i} className="code">
              {x.rendered}
            </pre>
          ))}
        </details>
      )}
      <main className="main">
        <Route path={path} />
      </main>
    </div>
  );
}

function TokenButton({ onChange, needed }: { onChange: () => void; needed: boolean }) {
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState(getToken());
  useEffect(() => {
    if (needed) setOpen(true);
  }, [needed]);
  return (
    <div className="token">
      <button className={`btn btn-small ${needed ? 'btn-primary' : ''}`} onClick={() => setOpen(!open)}>
        Token{getToken() ? ' ✓' : ''}
      </button>
      {open && (
        <form
          className="token-form"
          onSubmit={(e) => {
            e.preventDefault();
            setToken(value.trim());
            setOpen(false);
            onChange();
          }}
        >
          <label className="small">
            API token (sent as <code>Authorization: Bearer …</code>)
            <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoFocus name="token" />
          </label>
          <div className="row">
            <button className="btn btn-primary btn-small" type="submit">
              Save
            </button>
            <button
              className="btn btn-small"
              type="button"
              onClick={() => {
                setValue('');
                setToken('');
                setOpen(false);
                onChange();
              }}
            >
              Clear
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
