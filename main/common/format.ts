/**
 * Counts in words as the analyst reads them everywhere (workbench, progress of long operations):
 * 950, 9.5k, 95k, 1.2M. Environment-free: shared by the main side and the renderer.
 */
export function fmtCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1e6).toFixed(1)}M`;
}
