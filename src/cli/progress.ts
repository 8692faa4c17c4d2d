/** A one-line progress bar on stderr, drawn only when stderr is a terminal; labels (tensor names) shown `printable`. */
import { printable } from './text.ts';
import { formatBytes } from '../core/format.ts';

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
