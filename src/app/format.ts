/** Numbers as the studio shows them. */

export { formatBytes, formatCount } from '../core/format.ts';

/** A small positive quantity (norms, ratios) with three significant digits. */
export function formatValue(x: number): string {
  if (Number.isNaN(x)) return '—';
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const abs = Math.abs(x);
  return abs >= 0.01 && abs < 1000 ? x.toPrecision(3) : x.toExponential(2);
}

export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.001 ? 3 : 1)}%` : '—';
}

/** Seconds as "0.4 s", "12 s", "3 min 05 s". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '—';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
}

/** α with a sign and two decimals: "+1.00", "−0.50". */
export function formatAlpha(alpha: number): string {
  return `${alpha < 0 ? '−' : '+'}${Math.abs(alpha).toFixed(2)}`;
}

/** Remaining seconds from progress so far, or null before there is enough to tell. */
export function eta(done: number, total: number, elapsedSeconds: number): number | null {
  if (done <= 0 || total <= 0 || elapsedSeconds < 0.5 || done >= total) return null;
  return (elapsedSeconds * (total - done)) / done;
}
