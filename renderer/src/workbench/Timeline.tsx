/**
 * Time axis with event density, finding markers and the replay cursor. Play, pause, speed and
 * scrub go to the engine (replay.control); the cursor also filters the mirror at once, so the
 * graph shows the state at the cursor even before the engine answers.
 */
import { useRef, useState } from 'react';
import type { ReplayState, TimelineHistogram } from '../../../main/common/contract';
import { SEVERITY_COLORS } from '../graph/style';
import type { Severity } from '../../../main/common/graph';
import { fmtTime } from './util';

const SPEEDS = [1, 5, 20, 100, 500];
const W = 1000;
const H = 64;

export function Timeline(props: {
  histogram: TimelineHistogram | null;
  replay: ReplayState | null;
  cursor: number | null;
  window: [number, number] | null;
  live: boolean;
  onSeek(time: number, final: boolean): void;
  onPlay(): void;
  onPause(): void;
  onSpeed(speed: number): void;
  onWindow(w: [number, number] | null): void;
  onFinding(id: string): void;
}) {
  const svg = useRef<SVGSVGElement>(null);
  const drag = useRef<{ mode: 'seek' | 'window'; from: number } | null>(null);
  const [pending, setPending] = useState<[number, number] | null>(null);
  const h = props.histogram;
  const start = h?.start ?? props.replay?.startTime ?? 0;
  const end = h?.end ?? props.replay?.endTime ?? 0;
  const span = Math.max(1, end - start);
  const x = (t: number) => ((t - start) / span) * W;
  const timeAt = (clientX: number) => {
    const r = svg.current!.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (clientX - r.left) / Math.max(1, r.width)));
    return start + f * span;
  };
  const max = Math.max(1, ...(h?.counts ?? [1]));
  const n = h?.counts.length ?? 0;
  const bw = n ? W / n : W;
  const cursor = props.cursor ?? props.replay?.time ?? end;
  const playing = props.replay?.playing ?? false;
  const speed = props.replay?.speed ?? 1;
  const win = pending ?? props.window;

  // No time span (a diff compares whole captures; a capture with no events yet): say so instead of
  // drawing an axis of zeros.
  if (!(start > 0 && end > start) && !props.live)
    return (
      <footer className="timeline" aria-label="Timeline" data-testid="timeline">
        <div className="timeline-empty muted" data-testid="timeline-empty">
          {h
            ? 'No events on a time axis in this view: a diff compares whole captures, and a capture shows its timeline once it has events.'
            : 'Loading the timeline…'}
        </div>
      </footer>
    );
  return (
    <footer className="timeline" aria-label="Timeline" data-testid="timeline">
      <div className="controls" style={{ gridRow: 'span 2' }}>
        <button
          type="button"
          onClick={playing ? props.onPause : props.onPlay}
          aria-label={playing ? 'Pause' : 'Play'}
          title="Play / pause (Space)"
          data-testid="play"
        >
          {playing ? '❚❚' : '▶'}
        </button>
        <select
          value={speed}
          onChange={(e) => props.onSpeed(+e.target.value)}
          aria-label="Replay speed"
          data-testid="speed"
        >
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
        <div className="now">
          <div data-testid="cursor-time">{fmtTime(cursor)}</div>
          <div className="muted" style={{ fontSize: 11 }}>
            {props.live ? 'live' : playing ? 'replaying' : 'cursor'}
          </div>
        </div>
        {win && (
          <button
            type="button"
            onClick={() => props.onWindow(null)}
            title="Clear the time window filter"
            data-testid="clear-window"
          >
            ✕ window
          </button>
        )}
      </div>
      <svg
        ref={svg}
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="slider"
        aria-label="Replay cursor: drag to scrub, shift-drag to filter a time window"
        aria-valuemin={start}
        aria-valuemax={end}
        aria-valuenow={cursor}
        tabIndex={0}
        data-testid="timeline-track"
        onPointerDown={(e) => {
          if (!h && !props.replay) return;
          (e.target as Element).setPointerCapture?.(e.pointerId);
          const t = timeAt(e.clientX);
          if (e.shiftKey) {
            drag.current = { mode: 'window', from: t };
            setPending([t, t]);
          } else {
            drag.current = { mode: 'seek', from: t };
            props.onSeek(t, false);
          }
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d) return;
          const t = timeAt(e.clientX);
          if (d.mode === 'window') setPending([Math.min(d.from, t), Math.max(d.from, t)]);
          else props.onSeek(t, false);
        }}
        onPointerUp={(e) => {
          const d = drag.current;
          drag.current = null;
          const t = timeAt(e.clientX);
          if (d?.mode === 'window') {
            setPending(null);
            const w: [number, number] = [Math.min(d.from, t), Math.max(d.from, t)];
            props.onWindow(w[1] - w[0] > span / 500 ? w : null);
          } else if (d) props.onSeek(t, true);
        }}
        onKeyDown={(e) => {
          const step = span / 100;
          if (e.key === 'ArrowRight') props.onSeek(Math.min(end, cursor + step), true);
          else if (e.key === 'ArrowLeft') props.onSeek(Math.max(start, cursor - step), true);
          else return;
          e.preventDefault();
        }}
      >
        <rect x={0} y={0} width={W} height={H} fill="var(--canvas)" />
        {h?.counts.map((c, i) =>
          c > 0 ? (
            <rect
              key={i}
              x={i * bw + 0.5}
              width={Math.max(0.5, bw - 1)}
              y={H - 8 - Math.sqrt(c / max) * (H - 16)}
              height={Math.sqrt(c / max) * (H - 16)}
              fill={start + ((i + 0.5) / n) * span <= cursor ? 'var(--link)' : 'var(--faint)'}
              opacity={0.85}
            />
          ) : null,
        )}
        {win && (
          <rect
            x={x(win[0])}
            width={Math.max(1, x(win[1]) - x(win[0]))}
            y={0}
            height={H}
            fill="var(--accent)"
            opacity={0.16}
          />
        )}
        {h?.findings.map((f) => (
          <g
            key={f.id}
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => props.onFinding(f.id)}
            style={{ cursor: 'pointer' }}
          >
            <title>{`${f.severity} finding at ${fmtTime(f.time)}`}</title>
            <rect
              x={x(f.time) - 1}
              y={0}
              width={2.5}
              height={H - 6}
              fill={SEVERITY_COLORS[f.severity as Severity] ?? '#999'}
              opacity={0.9}
            />
            <circle cx={x(f.time)} cy={5} r={4} fill={SEVERITY_COLORS[f.severity as Severity] ?? '#999'} />
          </g>
        ))}
        <line
          x1={x(cursor)}
          x2={x(cursor)}
          y1={0}
          y2={H}
          stroke="var(--accent)"
          strokeWidth={2}
          vectorEffect="non-scaling-stroke"
        />
        <rect x={x(cursor) - 5} y={H - 7} width={10} height={7} fill="var(--accent)" />
      </svg>
      <div className="axis">
        <span>{fmtTime(start)}</span>
        <span>{fmtTime(start + span / 4)}</span>
        <span>{fmtTime(start + span / 2)}</span>
        <span>{fmtTime(start + (3 * span) / 4)}</span>
        <span>{fmtTime(end)}</span>
      </div>
    </footer>
  );
}
