// The run log's structured filters: levels (toggles with counts), event
// type, asset, partition and free text (see lib/logFilter). The counts are
// kept incrementally: `lines` only grows (lib/runLog), and each render
// counts only the lines added since the last one (values kept sorted as
// they come, lib/logFilter's SortedCounts).
// A live run re-renders the filters at each of its log's flushes (every
// second), and the lists are long (a partition each, 1,000 of them): a
// list's options are drawn again with their counts only while its control
// is in use (focused, or pressed: before its popup opens) or when what it
// lists changes (another asset's partitions); otherwise at most every
// LIST_REFRESH_MS, and once more after the log stops growing
// (lib/logFilter's ListSnapshots). The level chips' counts follow every
// flush.
import { memo, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';
import { IncrementalFacets, LEVELS, ListSnapshots, NO_FILTER, isFiltering, toggled, type LogFilter, type LogLine } from '../lib/logFilter';
import { enumWords } from '../lib/words';

type ListName = 'kind' | 'asset' | 'partition';

export function LogFilters({ lines, filter, onChange }: { lines: readonly LogLine[]; filter: LogFilter; onChange: (f: LogFilter) => void }) {
  const [all] = useState(() => new IncrementalFacets());
  const [ofAsset] = useState(() => new IncrementalFacets());
  const counted = all.scan(lines);
  const partitionsOf = filter.asset ? ofAsset : all;
  const partitionsCounted = filter.asset ? ofAsset.scan(lines, filter.asset) : counted;
  const levels = all.facet('levels');
  const kind = filter.kinds.size === 1 ? [...filter.kinds][0] : '';
  // The control in use (focused or pressed) follows every flush, and so
  // does a list without the value chosen (a link's, before the log had it).
  const [active, setActive] = useState<ListName | null>(null);
  const [, refresh] = useReducer((n: number) => n + 1, 0);
  const [lists] = useState(() => new ListSnapshots());
  const now = performance.now();
  const kinds = lists.get('kind', '', counted, active === 'kind' || !lists.has('kind', kind), now, () => all.entries('kinds'));
  const assets = lists.get('asset', '', counted, active === 'asset' || !lists.has('asset', filter.asset), now, () => all.entries('assets'));
  const partitions = lists.get('partition', filter.asset, partitionsCounted, active === 'partition' || !lists.has('partition', filter.partition), now, () => partitionsOf.entries('partitions'));
  const partitionCount = partitionsOf.facet('partitions').size;
  // A list left behind is drawn again once the log stops growing.
  const wait = lists.staleFor(now, { kind: counted, asset: counted, partition: partitionsCounted });
  useEffect(() => {
    if (wait === null) return;
    const timer = setTimeout(refresh, wait);
    return () => clearTimeout(timer);
  });
  // The lists' controls are drawn again only when their list, value or
  // state changes (not at each flush): their handlers read the filter of
  // the last render.
  const latest = useRef({ filter, onChange });
  useLayoutEffect(() => {
    latest.current = { filter, onChange };
  });
  const [handlers] = useState(() => {
    const pick = (change: (f: LogFilter, value: string) => LogFilter) => (value: string) => latest.current.onChange(change(latest.current.filter, value));
    return {
      kind: pick((f, v) => ({ ...f, kinds: v ? new Set([v]) : new Set() })),
      asset: pick((f, v) => ({ ...f, asset: v, partition: '' })),
      partition: pick((f, v) => ({ ...f, partition: v })),
      use: (name: ListName, inUse: boolean) => setActive((a) => (inUse ? name : a === name ? null : a)),
    };
  });
  return (
    <div className="log-filters" data-testid="log-filters">
      <span className="log-levels" role="group" aria-label="Levels">
        {LEVELS.map((level) => (
          <button
            key={level}
            type="button"
            className={`btn btn-small level-chip level-chip-${level.toLowerCase()} ${filter.levels.has(level) ? 'active' : ''}`}
            aria-pressed={filter.levels.has(level)}
            data-level={level}
            onClick={() => onChange({ ...filter, levels: toggled(filter.levels, level) })}
          >
            {level.toLowerCase()} <span className="muted">{levels.count(level)}</span>
          </button>
        ))}
      </span>
      <ListSelect name="kind" label="Event type" every="every event type" value={kind} valueCount={all.facet('kinds').count(kind)} entries={kinds} optionLabel={enumWords} disabled={false} onPick={handlers.kind} onUse={handlers.use} />
      <ListSelect name="asset" label="Asset" every="every asset" value={filter.asset} valueCount={all.facet('assets').count(filter.asset)} entries={assets} optionLabel={same} disabled={false} onPick={handlers.asset} onUse={handlers.use} />
      <ListSelect name="partition" label="Partition" every="every partition" value={filter.partition} valueCount={partitionsOf.facet('partitions').count(filter.partition)} entries={partitions} optionLabel={same} disabled={partitionCount === 0} onPick={handlers.partition} onUse={handlers.use} />
      <input className="filter" placeholder="Filter text" value={filter.text} onChange={(e) => onChange({ ...filter, text: e.target.value })} aria-label="Filter log lines" />
      {isFiltering(filter) && (
        <button type="button" className="btn btn-small" onClick={() => onChange(NO_FILTER)}>
          Clear filters
        </button>
      )}
    </div>
  );
}

const same = (s: string) => s;

/**
 * One filter's list: `every` (no filter), then the values with their
 * counts, drawn again only when a prop changes (the list is another array,
 * the value another one). An option's label is one string (one text node,
 * not four). The chosen value's count is always current (`valueCount`: it
 * is what a closed control shows), whatever the age of the list. `onUse` is
 * told when the control is focused or pressed (before its popup opens) and
 * when it loses focus.
 */
const ListSelect = memo(function ListSelect({
  name,
  label,
  every,
  value,
  valueCount,
  entries,
  optionLabel,
  disabled,
  onPick,
  onUse,
}: {
  name: ListName;
  label: string;
  every: string;
  value: string;
  valueCount: number;
  entries: readonly [string, number][];
  optionLabel: (value: string) => string;
  disabled: boolean;
  onPick: (value: string) => void;
  onUse: (name: ListName, inUse: boolean) => void;
}) {
  return (
    <select
      className="filter"
      aria-label={label}
      name={name}
      value={value}
      disabled={disabled}
      onChange={(e) => onPick(e.target.value)}
      onFocus={() => onUse(name, true)}
      onPointerDown={() => onUse(name, true)}
      onBlur={() => onUse(name, false)}
    >
      <option value="">{every}</option>
      {entries.map(([v, n]) => (
        <option key={v} value={v}>
          {`${optionLabel(v)} (${v === value ? valueCount : n})`}
        </option>
      ))}
    </select>
  );
});
