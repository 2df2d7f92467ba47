// A run's timeline (Gantt): one bar per started step on a shared UTC time
// axis, coloured by step status, the critical path outlined and stated.
// The geometry, ticks and critical path are lib/timeline's.
import { buildTimeline, stepLabel, type TimelineStep } from '../lib/timeline';
import { partitionColor } from '../theme';
import { dateTime, duration } from '../format';
import { enumWords } from '../lib/words';

export function RunTimeline({ steps, nowMs }: { steps: readonly TimelineStep[]; nowMs: number }) {
  const t = buildTimeline(steps, nowMs);
  if (t.bars.length === 0) return <p className="muted">No step has started yet.</p>;
  const byPosition = new Map(steps.map((s) => [s.position, s]));
  const pathLabels = t.critical.positions.map((p) => stepLabel(byPosition.get(p)!));
  return (
    <div className="timeline" data-testid="timeline">
      <p className="small" data-testid="critical-path" data-steps={t.critical.positions.length}>
        <span className="timeline-critical-key" /> Critical path: <span className="mono">{pathLabels.join(' → ')}</span>, {duration(t.critical.durationMs)}
      </p>
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
      {t.bars.map((b) => (
        <div key={b.position} className={`timeline-row ${b.critical ? 'is-critical' : ''}`} data-testid="timeline-bar" data-position={b.position} data-critical={b.critical} data-status={b.status}>
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
      ))}
    </div>
  );
}
