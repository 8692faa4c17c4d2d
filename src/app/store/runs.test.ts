import { describe, expect, it } from 'vitest';
import type { Recipe } from '../../core/merge/recipe.ts';
import type { Report } from '../../core/report/schema.ts';
import { recipeText, sameReport, summarize, sweepName } from './runs.ts';

const EM = 'exact_match,strict-match';
const report = (runs: Report['runs'], recipe: Report['recipe'] = null): Report => ({
  schema: 'rvs-report/1',
  status: 'complete',
  createdAt: '2026-01-01T00:00:00Z',
  app: { name: 't', version: '1' },
  environment: { backend: 'b' },
  checkpoints: { sft: { name: 'sft', fingerprint: 'headers+samples-fnv1a64:1111' }, target: { name: 'tgt' } },
  recipe,
  runs,
  timings: {},
});
const run = (alpha: number, task: string, value: number) => ({ alpha, task, config: {}, metrics: { [EM]: { value, stderr: 0.1, n: 10 } }, samples: [] });

describe('run records', () => {
  it('says what the recipe computes', () => {
    expect(recipeText(null)).toBe('none');
    const recipe: Recipe = { schema: 'rvs-recipe/1', method: 'task_arithmetic', base: 'target', vectors: [{ plus: 'grpo', minus: 'sft', alpha: 1 }], rules: [{ pattern: '*norm*', exclude: true }], dtype: 'auto' };
    expect(recipeText(recipe)).toBe('θ_target + α·(GRPO − SFT), 1 rule');
    expect(recipeText({ ...recipe, vectors: [{ plus: 'vector', alpha: 1 }], rules: [] })).toBe('θ_target + α·vector');
  });

  it('summarises a report for the Runs table', () => {
    const r = report([run(0, 'gsm8k', 0.2), run(1, 'gsm8k', 0.4), run(0, 'sciq', 0.5), run(1, 'sciq', 0.5)]);
    const s = summarize(r);
    expect(s.checkpoints).toEqual([
      { role: 'target', name: 'tgt', fingerprint: null },
      { role: 'sft', name: 'sft', fingerprint: 'headers+samples-fnv1a64:1111' },
    ]);
    expect(s.benchmarks).toEqual(['gsm8k', 'sciq']);
    expect(s.alphas).toEqual([0, 1]);
    expect(s.best.map((b) => [b.task, b.alphas, b.flat])).toEqual([['gsm8k', [1], false], ['sciq', [0, 1], true]]);
    expect(sweepName(r)).toBe('gsm8k, sciq · α 0 … 1 (2)');
    expect(sweepName(report([]))).toBe('sweep');
    expect(sameReport(s, summarize({ ...r }))).toBe(true);
    expect(sameReport(s, summarize({ ...r, runs: r.runs.slice(1) }))).toBe(false);
  });
});
