/** A one-line progress bar on stderr, drawn only when stderr is a terminal; labels (tensor names) shown `printable`. */
import { printable } from './text.ts';

export interface ProgressBar {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

export function progressBar(title: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { update() {}, stop() {} };
  const start = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(done, total, label = '') {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const width = 28;
      const filled = Math.round(fraction * width);
      const seconds = (now - start) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const eta = rate > 0 ? (total - done) / rate : 0;
      const text = `${title} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${formatBytes(rate)}/s  eta ${eta.toFixed(0)}s  ${printable(label)}`;
      const columns = stream.columns || 100;
      stream.write(`\r${text.slice(0, columns - 1).padEnd(columns - 1)}`);
      drawn = true;
    },
    stop() {
      if (drawn) stream.write('\n');
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * A count as the studio shows it (src/app/format.ts): 480, 23.4K, 494.0M, 1.54B. (A twin of the
 * studio's, kept apart because the CLI may not import the app; to be merged with the other twins.)
 */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  return abs >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : abs >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n);
}
