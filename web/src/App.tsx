// The shell: navigation, server status (unreachable, unauthorized with a
// token field verified when entered, invalid definitions with their
// diagnostics), the colour scheme toggle, the `?` shortcuts and the routes.
import { useEffect, useState, useSyncExternalStore } from 'react';
import { useMutation, useQuery } from 'urql';
import { DefinitionsDoc, ReloadDefinitionsDoc } from './api/operations';
import type { DefinitionsQuery, ReloadDefinitionsMutation } from './api/generated';
import { getToken, setToken } from './api/client';
import { verifyToken } from './api/tokenCheck';
import { Modal } from './components/ui';
import { GlobalSearch } from './components/Palette';
import { applyScheme, effectiveScheme, nextScheme, onSystemSchemeChange, storedScheme, systemPrefersDark, type SchemeChoice } from './lib/colorScheme';
import { Link, useLocation } from './router';
import { GraphPage } from './pages/GraphPage';
import { AssetPage } from './pages/AssetPage';
import { BackfillPage, BackfillsPage } from './pages/BackfillPages';
import { RunPage, RunsPage } from './pages/RunPages';
import { PerfBarPage } from './pages/PerfBarPage';
import { DeploymentPage } from './pages/DeploymentPage';
import { CatalogPage } from './pages/CatalogPage';

export interface AppStatus {
  unauthorized: boolean;
  unreachable: boolean;
  /** The server accepted the stored token (checked at start and when it is entered). */
  tokenAccepted: boolean;
  /** Requests refused for their token so far: each one opens the token form. */
  refusals: number;
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
  if (path === '/catalog') return <CatalogPage />;
  if (path === '/deployment') return <DeploymentPage />;
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
          <Link to="/catalog" className={section === 'catalog' ? 'active' : ''}>
            Catalog
          </Link>
          <Link to="/backfills" className={section === 'backfills' ? 'active' : ''}>
            Backfills
          </Link>
          <Link to="/runs" className={section === 'runs' ? 'active' : ''}>
            Runs
          </Link>
          <Link to="/deployment" className={section === 'deployment' ? 'active' : ''}>
            Deployment
          </Link>
        </nav>
        <span className="spacer" />
        {d && <span className="muted small">{d.assetCount} assets</span>}
        <SchemeToggle />
        <ShortcutsButton />
        <GlobalSearch />
        <TokenButton onChange={onTokenChange} needed={status.unauthorized} accepted={status.tokenAccepted} refusals={status.refusals} />
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
        <div className="banner banner-warn" role="alert" data-testid="unauthorized">
          {getToken() ? 'The server refused the stored token' : 'This server needs a token'} for mutations and subscriptions: live updates are off. Enter it with the{' '}
          <strong>Token</strong> button (it is stored in this browser).
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

/**
 * The token field. The start check only marks the button and shows the
 * banner (the form would cover the page); a refused request opens it.
 */
function TokenButton({ onChange, needed, accepted, refusals }: { onChange: () => void; needed: boolean; accepted: boolean; refusals: number }) {
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState(getToken());
  const [checking, setChecking] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  useEffect(() => {
    if (refusals > 0) setOpen(true);
  }, [refusals]);
  // Used at once (a request sent meanwhile carries it: the client is
  // rebuilt now, not under a request in flight), then checked: a refused
  // token is taken back, the previous one restored, and the form says so.
  const save = async () => {
    const token = value.trim();
    const previous = getToken();
    setToken(token);
    onChange();
    setChecking(true);
    setRefusal(null);
    const verdict = await verifyToken(token);
    setChecking(false);
    if (verdict === 'refused') {
      setToken(previous);
      onChange();
      setRefusal(token ? 'The server refused this token.' : 'This server needs a token.');
      return;
    }
    setOpen(false);
  };
  return (
    <div className="token">
      <button
        className={`btn btn-small ${needed ? 'btn-primary' : ''}`}
        onClick={() => setOpen(!open)}
        data-testid="token-button"
        title={accepted ? 'The server accepted this token' : needed ? 'This server needs a token' : 'API token'}
      >
        Token{accepted ? ' ✓' : needed ? ' !' : ''}
      </button>
      {open && (
        <form
          className="token-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label className="small">
            API token (sent as <code>Authorization: Bearer …</code>)
            <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoFocus name="token" />
          </label>
          {refusal && (
            <p className="error-text small" role="alert" data-testid="token-refused">
              {refusal}
            </p>
          )}
          <div className="row">
            <button className="btn btn-primary btn-small" type="submit" disabled={checking}>
              {checking ? 'Checking…' : 'Save'}
            </button>
            <button
              className="btn btn-small"
              type="button"
              onClick={() => {
                setValue('');
                setToken('');
                setRefusal(null);
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

const SCHEME_LABEL: Record<SchemeChoice, string> = { system: 'Auto', light: 'Light', dark: 'Dark' };

/** Light, dark, or the system's setting; the choice is kept in this browser. */
function SchemeToggle() {
  const [choice, setChoice] = useState<SchemeChoice>(storedScheme);
  const systemDark = useSyncExternalStore(onSystemSchemeChange, systemPrefersDark);
  const effective = effectiveScheme(choice, systemDark);
  return (
    <button
      className="btn btn-small btn-topbar"
      type="button"
      data-testid="scheme-toggle"
      title={`Colour scheme: ${SCHEME_LABEL[choice].toLowerCase()}${choice === 'system' ? ` (${effective} now)` : ''}; click for ${SCHEME_LABEL[nextScheme(choice)].toLowerCase()}`}
      onClick={() => {
        const next = nextScheme(choice);
        applyScheme(next, true);
        setChoice(next);
      }}
    >
      {effective === 'dark' ? '☾' : '☀'} {SCHEME_LABEL[choice]}
    </button>
  );
}

const SHORTCUTS: [string, string][] = [
  ['?', 'Show these shortcuts'],
  ['⌘K  Ctrl-K', 'Search assets, runs and backfills from any page'],
  ['/', 'Search assets (lineage graph)'],
  ['↑ ↓  Enter', 'Pick a search result and jump to it'],
  ['Escape', 'Clear the search, close a dialog'],
  ['Click', 'Focus an asset: its upstream and downstream are highlighted'],
  ['Double-click', "Open an asset's page"],
  ['Drag on a partition bar', 'Select partitions for a backfill'],
];

/** `?` (outside a text field) opens the list of shortcuts. */
function ShortcutsButton() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.key !== '?' || e.ctrlKey || e.metaKey || e.altKey || target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      e.preventDefault();
      setOpen((o) => !o);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <>
      <button className="btn btn-small btn-topbar" type="button" onClick={() => setOpen(true)} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
        ?
      </button>
      {open && (
        <Modal title="Keyboard shortcuts" onClose={() => setOpen(false)}>
          <table className="table compact" data-testid="shortcuts">
            <tbody>
              {SHORTCUTS.map(([keys, what]) => (
                <tr key={keys}>
                  <td>
                    <kbd>{keys}</kbd>
                  </td>
                  <td>{what}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Modal>
      )}
    </>
  );
}
