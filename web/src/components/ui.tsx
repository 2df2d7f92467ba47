// Small shared pieces: modal, error and empty states, counts bar, status badge.
import { useEffect, useRef, type ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { errorText, isNetworkError, isUnauthorized } from '../api/client';
import { partitionColor, statusClass } from '../theme';
import { didYouMean, enumWords } from '../lib/words';
import { Link } from '../router';

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', key);
    ref.current?.querySelector<HTMLElement>('input, select, button')?.focus();
    return () => window.removeEventListener('keydown', key);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal ${wide ? 'modal-wide' : ''}`} role="dialog" aria-modal="true" aria-label={title} ref={ref}>
        <header className="modal-head">
          <h2>{title}</h2>
          <button className="btn-icon" onClick={onClose} aria-label="Close">
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

/** An error card; a did-you-mean suggestion in the message is a link when `suggestionPath` names its page. */
export function ErrorState({ error, what, suggestionPath }: { error: CombinedError | Error; what?: string; suggestionPath?: (suggestion: string) => string }) {
  const combined = error as CombinedError;
  const title = isUnauthorized(combined) ? 'Unauthorized' : isNetworkError(combined) ? 'Server unreachable' : `Could not load ${what ?? 'this'}`;
  const text = errorText(error);
  const hint = suggestionPath ? didYouMean(text) : null;
  return (
    <div className="error-state" role="alert">
      <strong>{title}</strong>
      {hint ? (
        <p>
          {hint.before}
          <Link to={suggestionPath!(hint.suggestion)} className="mono" data-testid="did-you-mean">
            {hint.suggestion}
          </Link>
          {hint.after}
        </p>
      ) : (
        <p>{text}</p>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Loading({ what }: { what?: string }) {
  return <div className="loading">Loading{what ? ` ${what}` : ''}…</div>;
}

/**
 * A virtualised table's spacer row (lib/virtualRows' spacerHeights): one
 * empty cell across its `columns`, `height` px tall, standing for the rows
 * not drawn; nothing when `height` is 0.
 */
export function SpacerRow({ height, columns }: { height: number; columns: number }) {
  if (height <= 0) return null;
  return (
    <tr className="virtual-spacer" aria-hidden="true">
      <td colSpan={columns} style={{ height }} />
    </tr>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={statusClass(status)}>{enumWords(status)}</span>;
}

export interface Counts {
  targeted: number;
  queued: number;
  inProgress: number;
  materialized: number;
  failed: number;
  skipped: number;
  upToDate: number;
  canceled: number;
}

/** A progress bar of step counts: done on the left, queued on the right. */
export function CountsBar({ counts, height = 10 }: { counts: Counts; height?: number }) {
  const total = Math.max(1, counts.targeted);
  const parts: [string, number][] = [
    ['MATERIALIZED', counts.materialized],
    ['UP_TO_DATE', counts.upToDate],
    ['FAILED', counts.failed],
    ['SKIPPED', counts.skipped],
    ['CANCELED', counts.canceled],
    ['RUNNING', counts.inProgress],
  ];
  const done = counts.materialized + counts.upToDate + counts.failed + counts.skipped + counts.canceled;
  return (
    <div className="counts-bar" style={{ height }} role="progressbar" aria-valuemin={0} aria-valuemax={counts.targeted} aria-valuenow={done}>
      {parts.map(([state, n]) => (n > 0 ? <i key={state} style={{ width: `${(n / total) * 100}%`, background: partitionColor(state) }} title={`${n} ${enumWords(state)}`} /> : null))}
    </div>
  );
}

export function countsText(c: Counts): string {
  const parts = [`${c.materialized + c.upToDate}/${c.targeted} done`];
  if (c.inProgress) parts.push(`${c.inProgress} running`);
  if (c.queued) parts.push(`${c.queued} queued`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  if (c.canceled) parts.push(`${c.canceled} canceled`);
  if (c.upToDate) parts.push(`${c.upToDate} up to date`);
  return parts.join(' · ');
}
