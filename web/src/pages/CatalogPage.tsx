// The asset catalog: every asset in one table, searched by key as you type,
// filtered by group, kind, state, tag, freshness and check verdict, sorted
// by key or by last materialization. Filters and sort live in the URL
// (`/catalog?q=delay&group=raw&sort=-materialized`). Checked assets can be
// materialized or backfilled together, as in Dagster's asset catalog.
import { memo, useCallback, useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { useMutation, useQuery } from 'urql';
import { CatalogDoc, MaterializeDoc } from '../api/operations';
import type { CatalogQuery, MaterializeMutation, MaterializeMutationVariables } from '../api/generated';
import { errorText } from '../api/client';
import { BackfillDialog } from '../components/BackfillDialog';
import './CatalogPage.css';
import { Empty, ErrorState, Loading, SpacerRow, StatusBadge } from '../components/ui';
import { dateTime, num, timeAgo } from '../format';
import { useKept } from '../lib/kept';
import {
  CHECK_VERDICTS,
  NO_CATALOG_FILTER,
  NO_FRESHNESS_POLICY,
  catalogFromSearch,
  catalogOptions,
  catalogToSearch,
  checkVerdict,
  checkedAssets,
  filterCatalog,
  formatTag,
  isFiltering,
  keysSelection,
  nextSort,
  shownSelectionState,
  sortCatalog,
  toggleKey,
  toggleShown,
  type CatalogFilter,
  type CatalogSort,
  type CatalogSortField,
} from '../lib/catalog';
import { enumWords } from '../lib/words';
import { spacerHeights } from '../lib/virtualRows';
import { ASSET_STATES, assetColor } from '../theme';
import { Link, assetPath, navigate, useLocation } from '../router';
import { StaleBanner, usePoll } from './BackfillPages';

/** A row's height before it is measured (one line). */
const ROW_HEIGHT = 34;
/** Rows drawn beyond the viewport, above and below. */
const OVERSCAN = 12;
const COLUMNS = 10;
const estimateSize = () => ROW_HEIGHT;
const STATE_LABEL = Object.fromEntries(ASSET_STATES.map((s) => [s.state, s.label]));
const FRESHNESS = ['PASS', 'WARN', 'FAIL', 'UNKNOWN', NO_FRESHNESS_POLICY];
const STATE_OPTIONS = ASSET_STATES.map((s): [string, string] => [s.state, s.label.toLowerCase()]);
const FRESHNESS_OPTIONS = FRESHNESS.map((f): [string, string] => [f, f === NO_FRESHNESS_POLICY ? 'no policy' : enumWords(f)]);
const CHECK_OPTIONS = CHECK_VERDICTS.map((c): [string, string] => [c.verdict, c.label]);

type Row = CatalogQuery['assets'][number] & { state: string };

export function CatalogPage() {
  const [result, refetch] = useQuery<CatalogQuery>({ query: CatalogDoc });
  const kept = useKept(result.data, !!result.error);
  usePoll(refetch, true, 10_000);
  const { search } = useLocation();
  const [initial] = useState(() => catalogFromSearch(search));
  const [filter, setFilter] = useState<CatalogFilter>(initial.filter);
  const [sort, setSort] = useState<CatalogSort>(initial.sort);
  // The URL follows the filters without a history entry per keystroke.
  useEffect(() => {
    const t = setTimeout(() => navigate(`/catalog${catalogToSearch(filter, sort)}`, true), 250);
    return () => clearTimeout(t);
  }, [filter, sort]);
  const text = useDeferredValue(filter.text);

  const rows = useMemo<Row[]>(() => {
    const data = kept.data;
    if (!data) return [];
    const state = new Map(data.lineage.nodes.map((n) => [n.key, n.state]));
    return data.assets.map((a) => ({ ...a, state: state.get(a.key) ?? a.staleStatus }));
  }, [kept.data]);
  const options = useMemo(() => catalogOptions(rows), [rows]);
  const sorted = useMemo(() => sortCatalog(rows, sort), [rows, sort]);
  // Filtered with the deferred text: the keystroke's own render leaves the table as it is.
  const { group, kind, state, tag, freshness, checks } = filter;
  const applied = useMemo(() => ({ text, group, kind, state, tag, freshness, checks }), [text, group, kind, state, tag, freshness, checks]);
  const shown = useMemo(() => filterCatalog(sorted, applied), [sorted, applied]);
  const set = (patch: Partial<CatalogFilter>) => setFilter((f) => ({ ...f, ...patch }));
  // The selects keep their props between keystrokes (a keystroke then re-renders the search box, not 200 options).
  const onSelect = useMemo(() => {
    const field = (k: Exclude<keyof CatalogFilter, 'text'>) => (v: string) => setFilter((f) => ({ ...f, [k]: v }));
    return { group: field('group'), kind: field('kind'), state: field('state'), tag: field('tag'), freshness: field('freshness'), checks: field('checks') };
  }, []);
  const selectOptions = useMemo(
    () => ({
      groups: options.groups.map((g): [string, string] => [g, g]),
      kinds: options.kinds.map((k): [string, string] => [k, enumWords(k)]),
      tags: options.tags.map((t): [string, string] => [t, t]),
    }),
    [options],
  );
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const checked = useMemo(() => checkedAssets(selected, rows, shown), [selected, rows, shown]);
  const onCheck = useCallback((key: string) => setSelected((s) => toggleKey(s, key)), []);
  const onToggleShown = useCallback(() => setSelected((s) => toggleShown(s, shown)), [shown]);

  return (
    <div className="page catalog-page">
      <header className="page-head">
        <h1>Assets</h1>
        {kept.data && (
          <span className="muted" data-testid="catalog-count">
            {shown.length === rows.length ? `${num(rows.length)} assets` : `${num(shown.length)} of ${num(rows.length)} assets`}
          </span>
        )}
      </header>
      {result.error && !kept.data && <ErrorState error={result.error} what="the assets" />}
      {kept.stale && <StaleBanner error={result.error!} receivedAt={kept.receivedAt} />}
      {!kept.data && !result.error && <Loading />}
      {kept.data && (
        <>
          <div className="catalog-filters" role="search">
            <input
              type="search"
              className="catalog-search"
              placeholder="Search by key…"
              aria-label="Search assets by key"
              data-testid="catalog-search"
              value={filter.text}
              onChange={(e) => set({ text: e.target.value })}
              autoFocus
            />
            <FilterSelect label="Group" testId="filter-group" value={filter.group} onChange={onSelect.group} options={selectOptions.groups} />
            <FilterSelect label="Kind" testId="filter-kind" value={filter.kind} onChange={onSelect.kind} options={selectOptions.kinds} />
            <FilterSelect
              label="State"
              testId="filter-state"
              value={filter.state}
              onChange={onSelect.state}
              options={STATE_OPTIONS}
            />
            <FilterSelect label="Tag" testId="filter-tag" value={filter.tag} onChange={onSelect.tag} options={selectOptions.tags} />
            <FilterSelect
              label="Freshness"
              testId="filter-freshness"
              value={filter.freshness}
              onChange={onSelect.freshness}
              options={FRESHNESS_OPTIONS}
            />
            <FilterSelect
              label="Checks"
              testId="filter-checks"
              value={filter.checks}
              onChange={onSelect.checks}
              options={CHECK_OPTIONS}
            />
            {isFiltering(filter) && (
              <button className="btn btn-small" onClick={() => setFilter(NO_CATALOG_FILTER)} data-testid="clear-filters">
                Clear filters
              </button>
            )}
          </div>
          <SelectionBar keys={checked.keys} hidden={checked.hidden} onClear={() => setSelected(new Set())} />
          {shown.length === 0 ? (
            <Empty>{rows.length === 0 ? 'The project has no assets.' : 'No asset matches these filters.'}</Empty>
          ) : (
            <CatalogTable shown={shown} selected={selected} sort={sort} onSort={setSort} stale={kept.stale} onCheck={onCheck} onToggleShown={onToggleShown} />
          )}
        </>
      )}
    </div>
  );
}

/**
 * The table of the assets shown, virtualised: only the rows near the
 * viewport are in the DOM (the page scrolls; spacer rows keep its height),
 * so a keystroke lays out a screenful of rows, not thousands. Fixed column
 * widths: the drawn rows change as the page scrolls, the columns do not.
 */
const CatalogTable = memo(function CatalogTable({
  shown,
  selected,
  sort,
  onSort,
  stale,
  onCheck,
  onToggleShown,
}: {
  shown: readonly Row[];
  selected: ReadonlySet<string>;
  sort: CatalogSort;
  onSort: (s: CatalogSort) => void;
  stale: boolean;
  onCheck: (key: string) => void;
  onToggleShown: () => void;
}) {
  const body = useRef<HTMLTableSectionElement>(null);
  // Where the rows start on the page (filters and the selection bar above them move it).
  const [scrollMargin, setScrollMargin] = useState(0);
  useLayoutEffect(() => {
    const el = body.current;
    if (!el) return;
    const measure = () => {
      const top = el.getBoundingClientRect().top + window.scrollY;
      setScrollMargin((m) => (Math.abs(m - top) < 0.5 ? m : top));
    };
    measure();
    const observer = new ResizeObserver(measure);
    // The page above the rows: the table's head and whatever precedes the table.
    observer.observe(el.closest('.catalog-page') ?? document.body);
    return () => observer.disconnect();
  }, []);
  // Rows are measured once per key (a search that shows them again reuses the size).
  const getItemKey = useCallback((i: number) => shown[i].key, [shown]);
  const virtualizer = useWindowVirtualizer({
    count: shown.length,
    estimateSize,
    overscan: OVERSCAN,
    scrollMargin,
    getItemKey,
  });
  const items = virtualizer.getVirtualItems();
  const pad = spacerHeights(items, virtualizer.getTotalSize(), scrollMargin);
  return (
    <table className={`table catalog-table ${stale ? 'is-stale' : ''}`} data-testid="catalog-table" aria-rowcount={shown.length + 1}>
      <colgroup>
        <col className="col-check" />
        <col className="col-key" />
        <col className="col-group" />
        <col className="col-kind" />
        <col className="col-state" />
        <col className="col-partitions" />
        <col className="col-materialized" />
        <col className="col-freshness" />
        <col className="col-checks" />
        <col className="col-tags" />
      </colgroup>
      <thead>
        <tr>
          <th className="catalog-check">
            <SelectShown state={shownSelectionState(selected, shown)} onToggle={onToggleShown} />
          </th>
          <SortHeader label="Key" by="key" sort={sort} onSort={onSort} />
          <th>Group</th>
          <th>Kind</th>
          <th>State</th>
          <th className="num">Partitions</th>
          <SortHeader label="Last materialization" by="materialized" sort={sort} onSort={onSort} />
          <th>Freshness</th>
          <th>Checks</th>
          <th>Tags</th>
        </tr>
      </thead>
      <tbody ref={body}>
        <SpacerRow height={pad.top} columns={COLUMNS} />
        {items.map((v) => {
          const a = shown[v.index];
          return <CatalogRow key={a.key} index={v.index} measure={virtualizer.measureElement} asset={a} checked={selected.has(a.key)} onCheck={onCheck} />;
        })}
        <SpacerRow height={pad.bottom} columns={COLUMNS} />
      </tbody>
    </table>
  );
});

/** A labelled filter select whose empty value is `all`. */
export const FilterSelect = memo(function FilterSelect({ label, testId, value, onChange, options }: { label: string; testId: string; value: string; onChange: (v: string) => void; options: [string, string][] }) {
  return (
    <label className="catalog-filter small">
      <span className="muted">{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} className={value ? 'active' : ''}>
        <option value="">all</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
});

function SortHeader({ label, by, sort, onSort }: { label: string; by: CatalogSortField; sort: CatalogSort; onSort: (s: CatalogSort) => void }) {
  const active = sort.by === by;
  const arrow = by === 'key' ? (sort.descending ? '↑' : '↓') : sort.descending ? '↓' : '↑';
  const order = by === 'key' ? (sort.descending ? 'descending' : 'ascending') : sort.descending ? 'descending' : 'ascending';
  return (
    <th aria-sort={active ? order : 'none'}>
      <button className="sort-header" onClick={() => onSort(nextSort(sort, by))} data-testid={`sort-${by}`}>
        {label}
        {active && <span aria-hidden="true"> {arrow}</span>}
      </button>
    </th>
  );
}

/** The header's checkbox: checks (or unchecks) every row shown; indeterminate when some are checked. */
function SelectShown({ state, onToggle }: { state: 'all' | 'some' | 'none'; onToggle: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = state === 'some';
  }, [state]);
  return <input ref={ref} type="checkbox" checked={state === 'all'} onChange={onToggle} aria-label="Select every asset shown" data-testid="select-shown" />;
}

/**
 * What the checked assets can do: materialize (an ad-hoc run of their
 * missing or stale partitions; partitioned assets need no partitions) or
 * open the backfill dialog with them as its selection.
 */
function SelectionBar({ keys, hidden, onClear }: { keys: string[]; hidden: number; onClear: () => void }) {
  const [mat, materialize] = useMutation<MaterializeMutation, MaterializeMutationVariables>(MaterializeDoc);
  const [backfill, setBackfill] = useState<string | null>(null);
  if (keys.length === 0) return null;
  const selection = keysSelection(keys);
  const onMaterialize = async () => {
    const r = await materialize({ selection });
    if (r.data) navigate(`/runs/${r.data.materialize.id}`);
  };
  return (
    <>
      <div className="catalog-selection-bar" role="region" aria-label="Selected assets" data-testid="selection-bar">
        <strong data-testid="selected-count">{num(keys.length)} selected</strong>
        {hidden > 0 && <span className="muted small">({num(hidden)} not shown by these filters)</span>}
        <button className="btn btn-primary btn-small" onClick={() => void onMaterialize()} disabled={mat.fetching} title="Materialize the missing or stale partitions of the selected assets now" data-testid="materialize-selected">
          {mat.fetching ? 'Starting…' : 'Materialize'}
        </button>
        <button className="btn btn-small" onClick={() => setBackfill(selection)} title="Backfill chosen partitions of the selected assets" data-testid="backfill-selected">
          Backfill…
        </button>
        <button className="btn btn-small" onClick={onClear} data-testid="clear-selection">
          Clear selection
        </button>
        {mat.error && (
          <span className="error-text small" role="alert">
            {errorText(mat.error)}
          </span>
        )}
      </div>
      {/* Outside the sticky bar, whose stacking context would hold the dialog under the top bar. */}
      {backfill !== null && <BackfillDialog selection={backfill} onClose={() => setBackfill(null)} />}
    </>
  );
}

const CatalogRow = memo(function CatalogRow({
  asset: a,
  index,
  measure,
  checked,
  onCheck,
}: {
  asset: Row;
  index: number;
  measure: (el: Element | null) => void;
  checked: boolean;
  onCheck: (key: string) => void;
}) {
  const stats = a.partitionStats;
  const verdict = checkVerdict(a.checks);
  const failed = a.checks.filter((c) => c.failed > 0).length;
  return (
    <tr ref={measure} data-index={index} aria-rowindex={index + 2} data-testid="catalog-row" data-key={a.key} data-state={a.state} className={checked ? 'is-checked' : undefined}>
      <td className="catalog-check">
        <input type="checkbox" checked={checked} onChange={() => onCheck(a.key)} aria-label={`Select ${a.key}`} data-testid="select-row" />
      </td>
      <td className="mono">
        <Link to={assetPath(a.key)}>{a.key}</Link>
      </td>
      <td className="small">{a.group}</td>
      <td>
        <span className={`kind kind-${a.kind.toLowerCase()}`}>{a.kind.toLowerCase()}</span>
      </td>
      <td className="small nowrap">
        <span className="state-dot" style={{ background: assetColor(a.state) }} /> {(STATE_LABEL[a.state] ?? enumWords(a.state)).toLowerCase()}
      </td>
      <td className="num small">{stats && stats.total > 1 ? `${num(stats.materialized + stats.stale)} / ${num(stats.total)}` : <span className="muted">—</span>}</td>
      <td className="small nowrap" title={a.latestMaterialization ? dateTime(a.latestMaterialization.materializedAt) : undefined}>
        {a.latestMaterialization ? (
          <>
            {dateTime(a.latestMaterialization.materializedAt)} <span className="muted">({timeAgo(a.latestMaterialization.materializedAt)})</span>
          </>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>{a.freshness ? <StatusBadge status={`freshness_${a.freshness.status}`} /> : <span className="muted small">—</span>}</td>
      <td className="small nowrap" data-verdict={verdict}>
        {a.checks.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <>
            <span className={`dot dot-inline ${verdict === 'ERROR_FAILED' ? 'dot-fail' : verdict === 'WARN_FAILED' ? 'dot-warn' : verdict === 'PASSED' ? 'dot-pass' : ''}`} />{' '}
            {failed ? `${failed} of ${a.checks.length} failed` : verdict === 'PASSED' ? `${a.checks.length} passed` : `${a.checks.length} not evaluated`}
          </>
        )}
      </td>
      <td className="small">
        {a.tags.map((t) => (
          <span key={t.key} className="tag mono">
            {formatTag(t)}
          </span>
        ))}
      </td>
    </tr>
  );
});
