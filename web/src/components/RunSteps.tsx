// A run's steps (the first 1,000 of its plan, as the run query asks) in a
// box 420 px high, virtualised (@tanstack/react-virtual): only the rows in
// view of the box, and a few either side, are in the DOM, each measured (an
// error wraps over lines), between spacer rows as tall as the rows left
// out (lib/virtualRows), so the box keeps its scroll height. A run of
// 1,000 steps drew 1,000 rows, polled every 1.5 s while it ran. Fixed
// column widths: the drawn rows change as the box scrolls, the columns do
// not.
import { useLayoutEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RunQuery } from '../api/generated';
import { assetPath, Link } from '../router';
import { duration } from '../format';
import { spacerHeights } from '../lib/virtualRows';
import { tookMs } from '../lib/words';
import { SpacerRow, StatusBadge } from './ui';

export type RunStep = RunQuery['run']['steps']['nodes'][number];

/** A one-line row's height (compact cells): rows are measured, this is the guess before. */
const ROW_PX = 30;
const COLUMNS = 7;

export function RunSteps({ steps }: { steps: readonly RunStep[] }) {
  const box = useRef<HTMLDivElement>(null);
  const head = useRef<HTMLTableSectionElement>(null);
  // The rows start below the table's head, inside the box.
  const [headPx, setHeadPx] = useState(0);
  useLayoutEffect(() => setHeadPx(head.current?.offsetHeight ?? 0), []);
  const virtualizer = useVirtualizer({
    count: steps.length,
    getScrollElement: () => box.current,
    estimateSize: () => ROW_PX,
    getItemKey: (i) => steps[i].id,
    overscan: 10,
    scrollMargin: headPx,
  });
  const items = virtualizer.getVirtualItems();
  const pad = spacerHeights(items, virtualizer.getTotalSize(), headPx);
  return (
    <div className="table-scroll" ref={box} data-testid="run-steps">
      <table className="table compact run-steps" aria-rowcount={steps.length + 1}>
        <colgroup>
          <col style={{ width: '18%' }} />
          <col style={{ width: '11%' }} />
          <col style={{ width: '10%' }} />
          <col style={{ width: '12%' }} />
          <col style={{ width: '7%' }} />
          <col style={{ width: '8%' }} />
          <col />
        </colgroup>
        <thead ref={head}>
          <tr>
            <th>Asset</th>
            <th>Partition</th>
            <th>Status</th>
            <th>Reasons</th>
            <th>Attempt</th>
            <th>Took</th>
            <th>Error / skip reason</th>
          </tr>
        </thead>
        <tbody>
          <SpacerRow height={pad.top} columns={COLUMNS} />
          {items.map((v) => {
            const s = steps[v.index];
            return (
              <tr key={v.key} ref={virtualizer.measureElement} data-index={v.index} aria-rowindex={v.index + 2} data-testid="run-step">
                <td>
                  <Link to={assetPath(s.asset)} className="mono">
                    {s.asset}
                  </Link>
                </td>
                <td className="mono">{s.partition ?? '—'}</td>
                <td>
                  <StatusBadge status={s.status} />
                </td>
                <td className="small">{s.reasons.join(', ')}</td>
                <td className="num">{s.attempt}</td>
                <td className="num">{duration(tookMs(s.startedAt, s.finishedAt))}</td>
                <td className="small">{s.error ? <span className="error-text">{s.error}</span> : s.skipReason ?? ''}</td>
              </tr>
            );
          })}
          <SpacerRow height={pad.bottom} columns={COLUMNS} />
        </tbody>
      </table>
    </div>
  );
}
