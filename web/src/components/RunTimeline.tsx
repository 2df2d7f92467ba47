// A run's timeline (Gantt): one bar per started step on a shared UTC time
// axis, coloured by step status, the critical path outlined and stated.
// The geometry, ticks and critical path are lib/timeline's. The bars are
// rows of a box 420 px high under its axis (which stays in view),
// virtualised (@tanstack/react-virtual, rows of a fixed height): a run of
// 1,000 started steps draws the 20-odd rows in view and a few either side,
// not 1,000 rows of grid lines.
import { useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { buildTimeline, stepLabel, type TimelineStep } from '../lib/timeline';
import { partitionColor } from '../theme';
import { dateTime, duration } from '../format';
import { enumWords } from '../lib/words';

/** A bar's row height (styles.css `.timeline-row`). */
const ROW_PX = 20;
/** The axis row's height and margin below it (styles.css `.timeline-axis`): the bars start there in the box. */
const AXIS_PX = 26;

export function RunTimeline({ steps, nowMs }: { steps: readonly TimelineStep[]; nowMs: number }) {
  const t = useMemo(() => buildTimeline(steps, nowMs), [steps, nowMs]);
  const box = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: t.bars.length,
    getScrollElement: () => box.current,
    estimateSize: () => ROW_PX,
    getItemKey: (i) => t.bars[i].position,
    overscan: 10,
    scrollMargin: AXIS_PX,
  });
  if (t.bars.length === 0) return <p className="muted">No step has started yet.</p>;
  const byPosition = new Map(steps.map((s) => [s.position, s]));
  const pathLabels = t.critical.positions.map((p) => stepLabel(byPosition.get(p)!));
  return (
    <div className="timeline" data-testid="timeline">
      <p className="small" data-testid="critical-path" data-steps={t.critical.positions.length}>
        <span className="timeline-critical-key" /> Critical path: <span className="mono">{pathLabels.join(' → ')}</span>, {duration(t.critical.durationMs)}
      </p>
      <div className="timeline-box" ref={box}>
        <div className="timeline-row timeline-axis">
          <div className="timeline-label small muted">UTC, from {dateTime(new Date(t.startMs).toISOString())}</div>
          <div className="timeline-track">
            {t.ticks.map((tick) => (
              <span key={tick.ms} className="timeline-tick" style={{ left: `${tick.at * 100}%` }} title={new Date(tick.ms).toISOString()}>
                {tick.label}
              </span>
            ))}
          </div>
        </div>
        <div className="timeline-rows" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((v) => {
            const b = t.bars[v.index];
            return (
              <div
                key={v.key}
                className={`timeline-row ${b.critical ? 'is-critical' : ''}`}
                style={{ transform: `translateY(${v.start - AXIS_PX}px)` }}
                data-testid="timeline-bar"
                data-position={b.position}
                data-critical={b.critical}
                data-status={b.status}
              >
                <div className="timeline-label mono" title={b.label}>
                  {b.label}
                </div>
                <div className="timeline-track">
                  {t.ticks.map((tick) => (
                    <i key={tick.ms} className="timeline-grid" style={{ left: `${tick.at * 100}%` }} />
                  ))}
                  <span
                    className="timeline-bar"
                    style={{ left: `${b.left * 100}%`, width: `${b.width * 100}%`, background: partitionColor(b.status) }}
                    title={`${b.label}: ${enumWords(b.status)}, ${duration(b.endMs - b.startMs)}${b.running ? ' so far' : ''} (${dateTime(new Date(b.startMs).toISOString())}${b.running ? '' : ` – ${dateTime(new Date(b.endMs).toISOString())}`})${b.critical ? ', on the critical path' : ''}`}
                  />
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
