// The run log's structured filters: levels (toggles with counts), event
// type, asset, partition and free text (see lib/logFilter). The counts are
// kept incrementally: `lines` only grows (lib/runLog), and each render
// counts only the lines added since the last one. An option's label is one
// string (one text node, not four): a live run re-renders the lists (a
// partition each, 1,000 of them) at each of its log's flushes.
import { useState } from 'react';
import { IncrementalFacets, LEVELS, NO_FILTER, isFiltering, toggled, type LogFilter, type LogLine } from '../lib/logFilter';
import { enumWords } from '../lib/words';

export function LogFilters({ lines, filter, onChange }: { lines: readonly LogLine[]; filter: LogFilter; onChange: (f: LogFilter) => void }) {
  const [all] = useState(() => new IncrementalFacets());
  const [ofAsset] = useState(() => new IncrementalFacets());
  const f = all.update(lines);
  const partitions = filter.asset ? ofAsset.update(lines, filter.asset).partitions : f.partitions;
  const levelCount = new Map(f.levels);
  const kind = filter.kinds.size === 1 ? [...filter.kinds][0] : '';
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
            {level.toLowerCase()} <span className="muted">{levelCount.get(level) ?? 0}</span>
          </button>
        ))}
      </span>
      <select className="filter" aria-label="Event type" name="kind" value={kind} onChange={(e) => onChange({ ...filter, kinds: e.target.value ? new Set([e.target.value]) : new Set() })}>
        <option value="">every event type</option>
        {f.kinds.map(([k, n]) => (
          <option key={k} value={k}>
            {`${enumWords(k)} (${n})`}
          </option>
        ))}
      </select>
      <select className="filter" aria-label="Asset" name="asset" value={filter.asset} onChange={(e) => onChange({ ...filter, asset: e.target.value, partition: '' })}>
        <option value="">every asset</option>
        {f.assets.map(([a, n]) => (
          <option key={a} value={a}>
            {`${a} (${n})`}
          </option>
        ))}
      </select>
      <select className="filter" aria-label="Partition" name="partition" value={filter.partition} onChange={(e) => onChange({ ...filter, partition: e.target.value })} disabled={partitions.length === 0}>
        <option value="">every partition</option>
        {partitions.map(([p, n]) => (
          <option key={p} value={p}>
            {`${p} (${n})`}
          </option>
        ))}
      </select>
      <input className="filter" placeholder="Filter text" value={filter.text} onChange={(e) => onChange({ ...filter, text: e.target.value })} aria-label="Filter log lines" />
      {isFiltering(filter) && (
        <button type="button" className="btn btn-small" onClick={() => onChange(NO_FILTER)}>
          Clear filters
        </button>
      )}
    </div>
  );
}
