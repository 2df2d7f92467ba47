// The selection grammar's forms (README's table, lib/selectionSyntax.ts),
// opened from a "?" button next to a selection input; Escape or a click
// elsewhere closes it.
import { useEffect, useRef, useState } from 'react';
import { SELECTION_SYNTAX } from '../lib/selectionSyntax';
import './SelectionHelp.css';

export function SelectionHelp() {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onDown = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    window.addEventListener('keydown', onKey);
    window.addEventListener('mousedown', onDown);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('mousedown', onDown);
    };
  }, [open]);
  return (
    <span className="selection-help" ref={ref}>
      <button type="button" className="btn btn-small" aria-label="Selection syntax" aria-expanded={open} title="Selection syntax" onClick={() => setOpen((o) => !o)} data-testid="selection-help-toggle">
        ?
      </button>
      {open && (
        <div className="selection-help-panel" role="dialog" aria-label="Selection syntax" data-testid="selection-help">
          <table className="table compact">
            <tbody>
              {SELECTION_SYNTAX.map((s) => (
                <tr key={s.forms[0]}>
                  <td className="selection-help-forms">
                    {s.forms.map((f) => (
                      <code key={f}>{f}</code>
                    ))}
                  </td>
                  <td className="small">{s.selects}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small muted">The same grammar as the CLI and the API. An empty selection is every asset.</p>
        </div>
      )}
    </span>
  );
}
