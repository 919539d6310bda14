/**
 * A long operation's progress, in words and as a bar when its size is known, with a Cancel
 * button. Used by the start screen (opening a capture) and the diff dialog.
 */
import type { RunningOp } from '../api/useLongOp';
import './OpProgress.css';

export function OpProgress({ label, op, onCancel }: { label: string; op: RunningOp; onCancel(): void }) {
  const p = op.progress;
  const pct = p?.fraction !== undefined ? Math.round(p.fraction * 100) : null;
  return (
    <div className="op-progress" data-testid="op-progress">
      <div className="op-progress__line">
        <span>{label}</span>
        <span className="op-progress__detail" data-testid="op-progress-detail">
          {p ? `${p.message}${pct !== null ? ` · ${pct}%` : ''}` : 'starting…'}
        </span>
        <button type="button" onClick={onCancel} data-testid="op-cancel">
          Cancel
        </button>
      </div>
      <div
        className={`op-progress__bar${pct === null ? ' op-progress__bar--unknown' : ''}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        {...(pct !== null ? { 'aria-valuenow': pct } : {})}
      >
        <div style={{ width: pct === null ? '30%' : `${pct}%` }} />
      </div>
    </div>
  );
}
