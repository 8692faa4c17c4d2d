/**
 * `rvs-report/1` files written by the browser tests: runs whose metrics are computed here from
 * their 0/1 samples (mean, and the harness's standard error √(s²/n) with the sample variance), so
 * the numbers on screen and in exports can be checked against the file.
 */
import type { Page } from '@playwright/test';
import type { Report, ReportRun } from '../src/core/report/schema.ts';
import { panel } from './helpers.ts';

const KEYS: Record<string, { key: string; filter: string }> = {
  gsm8k: { key: 'exact_match,strict-match', filter: 'strict-match' },
  sciq: { key: 'acc,none', filter: 'none' },
};

/** A run of `n` samples of which `correct` are right. */
export function scoredRun(task: 'gsm8k' | 'sciq', alpha: number, correct: number, n: number): ReportRun {
  const { key, filter } = KEYS[task]!;
  const mean = correct / n;
  const variance = n > 1 ? (correct * (1 - mean) ** 2 + (n - correct) * mean ** 2) / (n - 1) : 0;
  return {
    alpha,
    task,
    config: {},
    metrics: { [key]: { value: mean, stderr: n > 1 ? Math.sqrt(variance / n) : null, n } },
    samples: Array.from({ length: n }, (_, i) => ({ doc_id: i, prompt: `Q${i}`, output: `A${i}`, target: 'x', filtered: { [filter]: `A${i}` }, scores: { [key]: i < correct ? 1 : 0 } })),
  };
}

/** A run with metrics only (no samples): for reports with many α. */
export function metricRun(task: 'gsm8k' | 'sciq', alpha: number, value: number, stderr: number, n: number): ReportRun {
  return { alpha, task, config: {}, metrics: { [KEYS[task]!.key]: { value, stderr, n } }, samples: [] };
}

export function reportOf(runs: ReportRun[], createdAt = '2026-03-01T10:00:00.000Z'): Report {
  return {
    schema: 'rvs-report/1',
    status: 'complete',
    createdAt,
    app: { name: 'Reasoning Vector Studio', version: 'test' },
    environment: { backend: 'test' },
    checkpoints: { target: { name: 'target', fingerprint: 'headers+samples-fnv1a64:00112233aabbccdd' } },
    recipe: { schema: 'rvs-recipe/1', method: 'task_arithmetic', base: 'target', vectors: [{ plus: 'grpo', minus: 'sft', alpha: 1 }], rules: [], dtype: 'auto' },
    runs,
    timings: { totalSeconds: 12 },
  };
}

/** Opens (or overlays) a report file through the Report panel's file input. */
export async function openReportFile(page: Page, report: unknown, name: string, as: 'Open report' | 'Overlay a report' = 'Open report'): Promise<void> {
  await panel(page, 'Report').getByLabel(as).setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(report)) });
}
