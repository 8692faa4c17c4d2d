/** A finished sweep's throughput from its report: items scored per second of evaluation, and the batch size they ran at. */
import type { Report } from '../core/report/schema.ts';

export interface Throughput {
  readonly items: number;
  readonly seconds: number;
  /** null when no evaluation time was recorded. */
  readonly itemsPerSecond: number | null;
  /** The runs' batch size (null: mixed or not recorded). */
  readonly batchSize: number | null;
}

export function sweepThroughput(report: Report): Throughput {
  const runs = report.runs.filter((r) => r.config['group'] !== true);
  const items = runs.reduce((n, r) => n + r.samples.length, 0);
  const seconds = report.timings['evalSeconds'] ?? 0;
  const batches = new Set(runs.map((r) => r.config['batchSize']));
  const [only] = batches;
  return { items, seconds, itemsPerSecond: seconds > 0 ? items / seconds : null, batchSize: batches.size === 1 && typeof only === 'number' ? only : null };
}

/** "12 items, 3.4 items/s at batch 8". */
export function throughputLine(t: Throughput): string {
  const rate = t.itemsPerSecond === null ? '' : `, ${t.itemsPerSecond >= 10 ? t.itemsPerSecond.toFixed(0) : t.itemsPerSecond.toPrecision(2)} items/s`;
  return `${t.items} item${t.items === 1 ? '' : 's'}${rate}${t.batchSize === null ? '' : ` at batch ${t.batchSize}`}`;
}
