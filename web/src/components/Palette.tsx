// The global search (⌘K / Ctrl-K from any page): assets by key, runs and
// backfills by id; arrow keys move, Enter opens the page, Escape closes.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { PaletteAssetsDoc, PaletteBackfillDoc, PaletteRunDoc } from '../api/operations';
import type { PaletteAssetsQuery, PaletteBackfillQuery, PaletteBackfillQueryVariables, PaletteRunQuery, PaletteRunQueryVariables } from '../api/generated';
import { idsInQuery, movePaletteIndex, paletteItems, type PaletteItem } from '../lib/palette';
import { navigate } from '../router';
import { Modal, StatusBadge } from './ui';

/** Opens on ⌘K or Ctrl-K, wherever the focus is. */
export function GlobalSearch() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key.toLowerCase() !== 'k' || !(e.metaKey || e.ctrlKey) || e.altKey || e.shiftKey) return;
      e.preventDefault();
      setOpen((o) => !o);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return open ? <Palette onClose={() => setOpen(false)} /> : null;
}

function Palette({ onClose }: { onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  // The modal focuses its first control (its close button) after mounting: the field takes the focus back.
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const frame = requestAnimationFrame(() => input.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, []);
  const [assets] = useQuery<PaletteAssetsQuery>({ query: PaletteAssetsDoc });
  const ids = idsInQuery(query);
  const [run] = useQuery<PaletteRunQuery, PaletteRunQueryVariables>({ query: PaletteRunDoc, variables: { id: ids.runId ?? '' }, pause: !ids.runId });
  const [backfill] = useQuery<PaletteBackfillQuery, PaletteBackfillQueryVariables>({ query: PaletteBackfillDoc, variables: { id: ids.backfillId ?? '' }, pause: !ids.backfillId });
  const keys = useMemo(() => assets.data?.assets.map((a) => a.key) ?? [], [assets.data]);
  const foundRun = ids.runId && run.data?.run.id === ids.runId ? run.data.run : null;
  const foundBackfill = ids.backfillId && backfill.data?.backfill.id === ids.backfillId ? backfill.data.backfill : null;
  const items = paletteItems(query, keys, { runId: foundRun?.id, backfillId: foundBackfill?.id });
  const current = Math.min(index, Math.max(0, items.length - 1));
  const open = (item: PaletteItem | undefined) => {
    if (!item) return;
    onClose();
    navigate(item.path);
  };
  return (
    <Modal title="Search assets, runs and backfills" onClose={onClose}>
      <input
        className="palette-input"
        data-testid="palette-input"
        placeholder="Asset key, run id (r-12) or backfill id (b-3)"
        value={query}
        ref={input}
        onChange={(e) => {
          setQuery(e.target.value);
          setIndex(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            setIndex(movePaletteIndex(current, items.length, e.key === 'ArrowDown' ? 1 : -1));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            open(items[current]);
          }
        }}
      />
      <ul className="palette-list" role="listbox" data-testid="palette-results">
        {items.map((item, i) => (
          <li
            key={item.path}
            role="option"
            aria-selected={i === current}
            className={`palette-item ${i === current ? 'is-current' : ''}`}
            onMouseEnter={() => setIndex(i)}
            onMouseDown={(e) => {
              e.preventDefault();
              open(item);
            }}
          >
            <span className="palette-kind muted small">{item.kind}</span>
            {item.kind === 'asset' ? (
              <span className="mono">{item.key}</span>
            ) : (
              <>
                <span className="mono">{item.id}</span>
                <StatusBadge status={(item.kind === 'run' ? foundRun?.status : foundBackfill?.status) ?? ''} />
                <span className="mono small muted">{(item.kind === 'run' ? foundRun?.selection : foundBackfill?.selection) || 'all'}</span>
              </>
            )}
          </li>
        ))}
        {query.trim() && items.length === 0 && <li className="muted small">Nothing matches {query.trim()}.</li>}
      </ul>
    </Modal>
  );
}
