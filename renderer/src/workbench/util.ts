/** Small formatting and browser helpers for the workbench. Everything returns plain text. */
import { useEffect, useSyncExternalStore } from 'react';
import type { GraphHost } from './graphHost';

/** Epoch ns → "HH:MM:SS.mmm" (UTC) — analysts compare with cluster logs, which are UTC. */
export function fmtTime(ns: number | undefined | null, withDate = false): string {
  if (ns === undefined || ns === null || !Number.isFinite(ns) || ns <= 0) return '—';
  const d = new Date(ns / 1e6);
  const iso = d.toISOString();
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 23)} UTC` : iso.slice(11, 23);
}

export function fmtDuration(ns: number): string {
  if (!Number.isFinite(ns) || ns < 0) return '—';
  const s = ns / 1e9;
  if (s < 1) return `${Math.round(ns / 1e6)} ms`;
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export { fmtCount } from '../../../main/common/format';

/** Save bytes as a file through the browser's download machinery (works in Electron too). */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Fallback when the clipboard API is refused (no user activation, insecure context).
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

/** Re-render when the GraphHost says something changed (coalesced per frame). */
export function useHost(host: GraphHost): number {
  return useSyncExternalStore(
    (cb) => host.subscribe(cb),
    () => host.version,
  );
}

/** Is the keyboard focus in a text field (so single-key shortcuts must not fire)? */
export function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export function useKey(handler: (e: KeyboardEvent) => void, deps: unknown[]): void {
  useEffect(() => {
    window.addEventListener('keydown', handler);
    return () => window.removeEventListener('keydown', handler);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

/** A JSON rendering safe to show as text: sorted keys are not needed, but cycles and bigints are handled. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
