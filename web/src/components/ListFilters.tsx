// Filters the runs and backfills lists share: an asset key (offered from
// the project's assets) and when it was created (from, to; UTC, ISO 8601).
import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { PaletteAssetsDoc } from '../api/operations';
import type { PaletteAssetsQuery } from '../api/generated';
import { dateBound, type CreatedFilter } from '../lib/listFilter';
import './ListFilters.css';

/** An asset key, typed or picked from the project's assets. */
export function AssetFilter({ value, onChange, testId }: { value: string; onChange: (asset: string) => void; testId: string }) {
  const [assets] = useQuery<PaletteAssetsQuery>({ query: PaletteAssetsDoc });
  const list = `${testId}-assets`;
  return (
    <label className="catalog-filter small">
      <span className="muted">Asset</span>
      <input type="search" list={list} placeholder="Asset key" value={value} onChange={(e) => onChange(e.target.value.trim())} data-testid={testId} />
      <datalist id={list}>
        {assets.data?.assets.map((a) => <option key={a.key} value={a.key} />)}
      </datalist>
    </label>
  );
}

/** "Created from" and "to": a day or a time in UTC; the "to" day is included. */
export function CreatedFilterInputs({ value, onChange, testId }: { value: CreatedFilter; onChange: (f: CreatedFilter) => void; testId: string }) {
  return (
    <>
      <DateBoundInput label="Created from (UTC)" value={value.from} end={false} onChange={(from) => onChange({ ...value, from })} testId={`${testId}-from`} />
      <DateBoundInput label="to" value={value.to} end onChange={(to) => onChange({ ...value, to })} testId={`${testId}-to`} />
    </>
  );
}

/** ISO text, never a locale date picker; it reaches the URL once it is a date (or empty), marked invalid until then. */
function DateBoundInput({ label, value, end, onChange, testId }: { label: string; value: string; end: boolean; onChange: (v: string) => void; testId: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const valid = text.trim() === '' || dateBound(text, end) !== null;
  return (
    <label className="catalog-filter small">
      <span className="muted">{label}</span>
      <input
        type="text"
        className={`mono date-filter ${valid ? '' : 'is-invalid'}`}
        placeholder="YYYY-MM-DD"
        title={`UTC, ISO 8601: a day (2026-12-07${end ? ', included' : ''}) or a time (2026-12-07T13:00)`}
        aria-invalid={!valid}
        spellCheck={false}
        value={text}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (t.trim() === '' || dateBound(t, end) !== null) onChange(t.trim());
        }}
        data-testid={testId}
      />
    </label>
  );
}
