// Launch a backfill: selection, partitions (a range with date inputs for
// time partitions, keys for static ones, or all), "only missing or
// failed", a live preview (`backfillPreview`), then launch and go to the
// backfill's page.
import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { BackfillPreviewDoc, LaunchBackfillDoc, SelectionAssetsDoc, StaticKeysDoc } from '../api/operations';
import type {
  BackfillInput,
  BackfillPreviewQuery,
  BackfillPreviewQueryVariables,
  LaunchBackfillMutation,
  LaunchBackfillMutationVariables,
  SelectionAssetsQuery,
  SelectionAssetsQueryVariables,
  StaticKeysQuery,
  StaticKeysQueryVariables,
} from '../api/generated';
import { errorText } from '../api/client';
import { navigate } from '../router';
import { Modal } from './ui';
import { num } from '../format';
import { keyRange } from '../lib/words';

export interface BackfillDialogProps {
  /** Selection syntax; empty: every asset (sent as no selection, never `*`, which stops at `/`). */
  selection: string;
  range?: { start: string; end: string } | null;
  onClose: () => void;
}

type Mode = 'all' | 'range' | 'keys';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function BackfillDialog({ selection: initialSelection, range, onClose }: BackfillDialogProps) {
  const [selection, setSelection] = useState(initialSelection);
  const debouncedSelection = useDebounced(selection.trim(), 300);
  const [assets] = useQuery<SelectionAssetsQuery, SelectionAssetsQueryVariables>({
    query: SelectionAssetsDoc,
    variables: { selection: debouncedSelection || null },
  });
  const partitioned = assets.data?.assets.find((a) => a.partitionsDefinition);
  const def = partitioned?.partitionsDefinition ?? null;
  const isStatic = def?.kind === 'static';
  const [keysResult] = useQuery<StaticKeysQuery, StaticKeysQueryVariables>({
    query: StaticKeysDoc,
    variables: { key: partitioned?.key ?? '', first: 5000 },
    pause: !isStatic || !partitioned,
  });
  const staticKeys = keysResult.data?.asset.partitionsDefinition?.keys ?? [];

  const [mode, setMode] = useState<Mode>(range ? 'range' : 'all');
  const [start, setStart] = useState(range?.start ?? '');
  const [end, setEnd] = useState(range?.end ?? '');
  const [keys, setKeys] = useState<string[]>([]);
  const [onlyMissingOrFailed, setOnlyMissingOrFailed] = useState(false);

  // Default range: the whole definition, once it is known.
  useEffect(() => {
    if (def && !start && def.firstKey) setStart(def.firstKey);
    if (def && !end && def.lastKey) setEnd(def.lastKey);
  }, [def, start, end]);
  useEffect(() => {
    if (isStatic && mode === 'range') setMode('keys');
  }, [isStatic, mode]);

  const input: BackfillInput | null = useMemo(() => {
    const base = { selection: debouncedSelection, onlyMissingOrFailed };
    if (!def || mode === 'all') return { ...base, partitions: { all: true } };
    if (mode === 'keys') return keys.length ? { ...base, partitions: { keys } } : null;
    if (!start || !end) return null;
    return { ...base, partitions: { range: { start, end } } };
  }, [debouncedSelection, onlyMissingOrFailed, def, mode, start, end, keys]);
  const debouncedInput = useDebounced(input, 250);

  const [preview] = useQuery<BackfillPreviewQuery, BackfillPreviewQueryVariables>({
    query: BackfillPreviewDoc,
    variables: { input: debouncedInput! },
    pause: !debouncedInput,
    requestPolicy: 'network-only',
  });
  const [launch, launchBackfill] = useMutation<LaunchBackfillMutation, LaunchBackfillMutationVariables>(LaunchBackfillDoc);

  const submit = async () => {
    if (!input) return;
    const result = await launchBackfill({ input });
    if (result.data) {
      onClose();
      navigate(`/backfills/${result.data.launchBackfill.id}`);
    }
  };

  // Keys are typed as ISO text (as on every page), never a locale date picker.
  const timeInput = def && def.kind !== 'static' ? { pattern: def.kind === 'hourly' ? '\\d{4}-\\d{2}-\\d{2}-\\d{2}:\\d{2}' : '\\d{4}-\\d{2}-\\d{2}', placeholder: def.kind === 'hourly' ? 'YYYY-MM-DD-HH:MM' : 'YYYY-MM-DD' } : null;
  const p = preview.data?.backfillPreview;
  const stalePreview = preview.stale || debouncedInput !== input;
  return (
    <Modal title="Launch a backfill" onClose={onClose} wide>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span>Selection</span>
          <input value={selection} onChange={(e) => setSelection(e.target.value)} placeholder="every asset (or +flights_daily, raw/*, key+)" spellCheck={false} name="selection" />
        </label>
        {assets.error && <p className="error-text">{errorText(assets.error)}</p>}
        {assets.data && (
          <p className="muted small">
            {debouncedSelection ? '' : 'Every asset: '}
            <span data-testid="selection-count">{assets.data.assets.length}</span> asset{assets.data.assets.length === 1 ? '' : 's'}
            {def ? ` · ${def.description}` : ' · unpartitioned'}
          </p>
        )}
        {def && (
          <fieldset className="field">
            <legend>Partitions</legend>
            <div className="radio-row">
              <label>
                <input type="radio" name="mode" checked={mode === 'all'} onChange={() => setMode('all')} /> All ({num(def.count)})
              </label>
              {!isStatic && (
                <label>
                  <input type="radio" name="mode" checked={mode === 'range'} onChange={() => setMode('range')} /> Range
                </label>
              )}
              {isStatic && (
                <label>
                  <input type="radio" name="mode" checked={mode === 'keys'} onChange={() => setMode('keys')} /> Keys
                </label>
              )}
            </div>
            {mode === 'range' && timeInput && (
              <div className="range-row">
                <label>
                  From <input type="text" className="mono key-input" {...timeInput} name="start" value={start} onChange={(e) => setStart(e.target.value)} required spellCheck={false} />
                </label>
                <label>
                  to <input type="text" className="mono key-input" {...timeInput} name="end" value={end} onChange={(e) => setEnd(e.target.value)} required spellCheck={false} />
                </label>
                <span className="muted small">
                  inclusive · partitions {def.firstKey} … {def.lastKey}
                </span>
              </div>
            )}
            {mode === 'keys' && (
              <select multiple className="keys-select" value={keys} onChange={(e) => setKeys([...e.target.selectedOptions].map((o) => o.value))} size={Math.min(8, staticKeys.length || 3)}>
                {staticKeys.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            )}
          </fieldset>
        )}
        <label className="check">
          <input type="checkbox" checked={onlyMissingOrFailed} onChange={(e) => setOnlyMissingOrFailed(e.target.checked)} name="onlyMissingOrFailed" /> Only missing or failed partitions
        </label>

        <section className={`preview ${stalePreview ? 'is-stale' : ''}`} aria-live="polite" data-testid="backfill-preview">
          <h3>Preview</h3>
          {preview.error && <p className="error-text">{errorText(preview.error)}</p>}
          {!p && !preview.error && <p className="muted">…</p>}
          {p && (
            <>
              <p>
                <strong data-testid="preview-total">{num(p.total)}</strong> asset partition{p.total === 1 ? '' : 's'} to materialize
                {p.blocked > 0 && <span className="warn-text"> · {num(p.blocked)} blocked (upstream missing and not selected)</span>}
              </p>
              {p.assets.length > 0 && (
                <table className="table compact">
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>Asset (in run order)</th>
                      <th className="num">Partitions</th>
                      <th>Ranges</th>
                      <th>Reasons</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.assets.map((a, i) => (
                      <tr key={a.asset}>
                        <td className="muted">{i + 1}</td>
                        <td className="mono">{a.asset}</td>
                        <td className="num">{num(a.count)}</td>
                        <td className="mono small">
                          {a.ranges.slice(0, 3).map((r) => keyRange(r.start, r.end) || '—').join(', ')}
                          {a.ranges.length > 3 ? ` +${a.ranges.length - 3}` : ''}
                        </td>
                        <td className="small">{a.reasons.join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          )}
        </section>
        {launch.error && <p className="error-text" role="alert">{errorText(launch.error)}</p>}
        <footer className="modal-foot">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!input || launch.fetching} data-testid="launch-backfill">
            {launch.fetching ? 'Launching…' : `Launch backfill${p ? ` (${num(p.total)})` : ''}`}
          </button>
        </footer>
      </form>
    </Modal>
  );
}
