import { describe, expect, it } from 'vitest';
import type { Report, ReportRun } from '../../core/report/schema.ts';
import { applyEvent, parseAlphas, sweepRequestOf, DEFAULT_EVAL_SETTINGS } from './evaluation.ts';
import { compareRows, headlineMetric, isFailure, itemRows, plottedTasks, seriesOf } from './report-view.ts';

const sample = (doc_id: number, score: number, key = 'exact_match,strict-match', filter = 'strict-match') => ({
  doc_id,
  prompt: `Q${doc_id}`,
  output: `out ${doc_id}`,
  target: `t${doc_id}`,
  filtered: { [filter]: `x${doc_id}`, 'flexible-extract': `f${doc_id}` },
  scores: { [key]: score, 'exact_match,flexible-extract': 1 },
});

const run = (alpha: number, task: string, scores: number[], metrics: ReportRun['metrics'] = {}): ReportRun => ({
  alpha,
  task,
  config: {},
  metrics,
  samples: scores.map((s, i) => sample(i, s)),
});

function report(runs: ReportRun[]): Report {
  return { schema: 'rvs-report/1', status: 'complete', createdAt: '2025-01-01T00:00:00Z', app: { name: 't', version: '1' }, environment: { backend: 'b' }, checkpoints: {}, recipe: null, runs, timings: {} };
}

describe('report view', () => {
  it('plots each task by α with the headline metric; runs in progress from their samples', () => {
    const r = report([
      run(0, 'gsm8k', [1, 0, 0, 1], { 'exact_match,strict-match': { value: 0.5, stderr: 0.2887, n: 4 }, 'exact_match,flexible-extract': { value: 1, stderr: 0, n: 4 } }),
      run(1, 'gsm8k', [1, 1, 0]), // running: no metrics yet
    ]);
    const [s] = seriesOf(r);
    expect(s!.metric).toBe('exact_match,strict-match');
    expect(s!.points[0]).toEqual({ alpha: 0, value: 0.5, stderr: 0.2887, n: 4, partial: false });
    // mean 2/3, sample sd √(1/3), stderr √(1/3)/√3 = 1/3
    expect(s!.points[1]!.alpha).toBe(1);
    expect(s!.points[1]!.value).toBeCloseTo(2 / 3, 12);
    expect(s!.points[1]!.stderr).toBeCloseTo(1 / 3, 12);
    expect(s!.points[1]!.partial).toBe(true);
  });

  it('plots BBH as its group, before and after the group run exists', () => {
    const sub = (alpha: number, name: string, scores: number[]) => ({ ...run(alpha, `bbh_cot_fewshot_${name}`, scores), samples: scores.map((x, i) => sample(i, x, 'exact_match,get-answer', 'get-answer')) });
    const partial = report([sub(0, 'navigate', [1, 0]), sub(0, 'snarks', [1, 1, 1, 0])]);
    expect(plottedTasks(partial)).toEqual(['bbh_cot_fewshot']);
    const [g] = seriesOf(partial);
    expect(g!.metric).toBe('exact_match,get-answer');
    expect(g!.points[0]).toMatchObject({ alpha: 0, value: 4 / 6, partial: true });
    const done = report([...partial.runs, { alpha: 0, task: 'bbh_cot_fewshot', config: { group: true, subtasks: ['bbh_cot_fewshot_navigate', 'bbh_cot_fewshot_snarks'] }, metrics: { 'exact_match,get-answer': { value: 0.7, stderr: 0.1, n: 6 } }, samples: [] }]);
    expect(seriesOf(done)[0]!.points[0]).toEqual({ alpha: 0, value: 0.7, stderr: 0.1, n: 6, partial: false });
  });

  it('takes the first metric key of tasks it does not know', () => {
    expect(headlineMetric('mystery', ['b,x', 'a,y'])).toBe('a,y');
    expect(headlineMetric('sciq', ['acc_norm,none', 'acc,none'])).toBe('acc,none');
    expect(headlineMetric('humaneval', ['pass@1,create_test'])).toBe('pass@1,create_test');
  });

  it('lists items with the extracted answer of the headline filter, compares two α, filters failures', () => {
    const r = report([run(0, 'gsm8k', [1, 0, 1]), run(1, 'gsm8k', [1, 1, 0])]);
    const rows = itemRows(r, 'gsm8k', 0);
    expect(rows.map((x) => [x.docId, x.extracted, x.score])).toEqual([[0, 'x0', 1], [1, 'x1', 0], [2, 'x2', 1]]);
    expect(rows.filter(isFailure).map((x) => x.docId)).toEqual([1]);
    const both = compareRows(r, 'gsm8k', 0, 1);
    expect(both.map((x) => [x.docId, x.a?.score, x.b?.score])).toEqual([[0, 1, 1], [1, 0, 1], [2, 1, 0]]);
    expect(both.filter(isFailure).map((x) => x.docId)).toEqual([1, 2]);
  });
});

describe('evaluation settings', () => {
  it('parses α lists', () => {
    expect(parseAlphas('-1, 0  0.5;1, 1')).toEqual({ alphas: [-1, 0, 0.5, 1] });
    expect(parseAlphas('−0.5')).toEqual({ alphas: [-0.5] });
    expect(parseAlphas(' ')).toEqual({ error: 'Give at least one α, e.g. 0, 0.5, 1 or -1:1:0.25.' });
  });

  it('orders benchmarks as the panel lists them', () => {
    const req = sweepRequestOf({ ...DEFAULT_EVAL_SETTINGS, benchmarks: { humaneval: true, gsm8k: true, sciq: false } }, [], false);
    expect(req).toMatchObject({ benchmarks: ['gsm8k', 'humaneval'], alphas: [0, 0.5, 1] });
  });

  it('folds run updates into the live report', () => {
    const header = report([]);
    let live = applyEvent(null, { type: 'header', report: header });
    live = applyEvent(live, { type: 'runs', updates: [{ index: 0, alpha: 0, task: 'gsm8k', config: {}, metrics: {}, samples: [sample(0, 1)] }] });
    live = applyEvent(live, { type: 'runs', updates: [{ index: 0, alpha: 0, task: 'gsm8k', config: {}, metrics: { 'exact_match,strict-match': { value: 0.5, stderr: 0.5, n: 2 } }, samples: [sample(1, 0)] }] });
    expect(live!.runs).toEqual([{ alpha: 0, task: 'gsm8k', config: {}, metrics: { 'exact_match,strict-match': { value: 0.5, stderr: 0.5, n: 2 } }, samples: [sample(0, 1), sample(1, 0)] }]);
    expect(header.runs).toEqual([]);
  });
});
