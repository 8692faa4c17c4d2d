/** Sizes as people read them, one spelling for the studio and the CLI. */

/** 1536 → "1.54 KB", 988_000_000 → "988 MB" (decimal units, as Hugging Face shows sizes; three significant digits). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = n;
  while (Math.abs(x) >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return i === 0 ? `${x} B` : `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)} ${units[i]}`;
}
