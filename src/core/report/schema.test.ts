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
});
