import { describe, expect, it } from 'vitest';
import { parseReport, ReportError, REPORT_SCHEMA } from './schema.ts';

const valid = () => ({
  schema: REPORT_SCHEMA,
  createdAt: '2025-01-01T00:00:00.000Z',
  app: { name: 'rvs', version: '0.1.0' },
  environment: { backend: 'webgpu', adapter: 'NVIDIA', node: 'v20' },
  checkpoints: { target: { name: 'Qwen2.5-1.5B', params: 1_543_714_304, dtype: 'BF16' } },
  recipe: null,
  runs: [
    {
      alpha: 1,
      task: 'gsm8k',
      config: { numFewshot: 5 },
      metrics: { 'exact_match,strict-match': { value: 0.5, stderr: 0.5 } },
      samples: [{ doc_id: 0, prompt: 'Question: q\nAnswer:', output: '#### 1', target: '#### 1', filtered: { 'strict-match': '1' }, scores: { 'exact_match,strict-match': 1 } }],
    },
  ],
  timings: { generateSeconds: 1.5 },
});

function failure(input: unknown): ReportError {
  try {
    parseReport(input);
  } catch (e) {
    if (e instanceof ReportError) return e;
    throw e;
  }
  throw new Error('expected a ReportError');
}

describe('parseReport', () => {
  it('accepts a valid report, as a value or as JSON text', () => {
    expect(parseReport(valid()).runs[0]!.task).toBe('gsm8k');
    expect(parseReport(JSON.stringify(valid())).environment['adapter']).toBe('NVIDIA');
  });

  it('names the JSON path of the first problem', () => {
    const r = valid() as unknown as { runs: { metrics: Record<string, { value: unknown }> }[] };
    r.runs[0]!.metrics['exact_match,strict-match']!.value = 'high';
    const e = failure(r);
    expect(e.code).toBe('INVALID_REPORT');
    expect(e.path).toBe('runs[0].metrics["exact_match,strict-match"].value');
    expect(e.message).toMatch(/^invalid report at runs\[0\]\.metrics\["exact_match,strict-match"\]\.value: /);
  });

  it('rejects a wrong schema tag, a bad metric key and non-JSON', () => {
    expect(failure({ ...valid(), schema: 'rvs-report/2' }).path).toBe('schema');
    const r = valid();
    (r.runs[0]!.metrics as Record<string, unknown>)['accuracy'] = { value: 1, stderr: null };
    expect(failure(r).path).toBe('runs[0].metrics.accuracy');
    expect(failure('{').code).toBe('BAD_JSON');
  });

  it('names the file when given one', () => {
    expect(() => parseReport('{', 'runs/sweep.json')).toThrow(/^runs\/sweep\.json: report is not JSON \(/);
    expect(() => parseReport({ ...valid(), schema: 'x' }, 'a.json')).toThrow(/^a\.json: invalid report at schema: /);
  });
});

describe('parseReport: impossible values', () => {
  const metric = (edit: (m: Record<string, unknown>) => void) => {
    const r = valid();
    edit(r.runs[0]!.metrics['exact_match,strict-match'] as unknown as Record<string, unknown>);
    return failure(r);
  };
  it('an accuracy-type metric outside [0, 1]', () => {
    expect(metric((m) => (m.value = 1.5)).path).toBe('runs[0].metrics["exact_match,strict-match"].value');
    expect(metric((m) => (m.value = -0.1)).message).toMatch(/-0\.1 is not a proportion/);
    for (const key of ['acc,none', 'acc_norm,none', 'pass@1,create_test']) {
      const r = valid();
      (r.runs[0]!.metrics as Record<string, unknown>)[key] = { value: 2, stderr: 0 };
      expect(failure(r).path).toBe(`runs[0].metrics["${key}"].value`);
    }
    // Other metrics may take any finite value.
    const r = valid();
    (r.runs[0]!.metrics as Record<string, unknown>)['perplexity,none'] = { value: 12.5, stderr: 3 };
    expect(parseReport(r).runs[0]!.metrics['perplexity,none']!.value).toBe(12.5);
  });
  it('a negative, non-finite or impossibly large stderr', () => {
    expect(metric((m) => (m.stderr = -0.01)).path).toBe('runs[0].metrics["exact_match,strict-match"].stderr');
    expect(metric((m) => (m.stderr = 1e302)).message).toMatch(/1e\+302 is not a standard error of a proportion/);
    // JSON's 1e999 parses as Infinity ("Infinity% ± 1e+302%" was shown).
    const text = JSON.stringify(valid()).replace('"stderr":0.5', '"stderr":1e999');
    expect(failure(text).path).toBe('runs[0].metrics["exact_match,strict-match"].stderr');
    expect(failure(JSON.stringify(valid()).replace('"value":0.5', '"value":1e999')).path).toBe('runs[0].metrics["exact_match,strict-match"].value');
  });
  it('a non-finite α', () => {
    expect(failure(JSON.stringify(valid()).replace('"alpha":1', '"alpha":-1e999')).path).toBe('runs[0].alpha');
  });
  it('n that does not match the samples, and a sample score outside [0, 1]', () => {
    expect(metric((m) => (m.n = 3)).message).toMatch(/n is 3 but the run has 1 samples/);
    expect(parseReport((() => { const r = valid(); (r.runs[0]!.metrics['exact_match,strict-match'] as { n?: number }).n = 1; return r; })()).runs).toHaveLength(1);
    const r = valid();
    r.runs[0]!.samples[0]!.scores['exact_match,strict-match'] = 7;
    expect(failure(r).path).toBe('runs[0].samples[0].scores["exact_match,strict-match"]');
  });
});

describe('report status', () => {
  it('is kept when given, and refused when unknown', () => {
    expect(parseReport({ ...valid(), status: 'cancelled' }).status).toBe('cancelled');
    expect(failure({ ...valid(), status: 'done' }).path).toBe('status');
  });
  it('reports written before status existed: complete when every run is finished, else partial', () => {
    expect(parseReport(valid()).status).toBe('complete');
    const unfinished = valid();
    (unfinished.runs[0]!.config as Record<string, unknown>)['docIds'] = [0, 1];
    expect(parseReport(unfinished).status).toBe('partial');
    const noMetrics = valid();
    (noMetrics.runs[0] as { metrics: object }).metrics = {};
    expect(parseReport(noMetrics).status).toBe('partial');
  });
});
