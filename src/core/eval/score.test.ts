import { describe, expect, it } from 'vitest';
import { EvalError } from './errors.ts';
import { meanStderr } from './metrics.ts';
import { scoreGroup, scoreTask } from './score.ts';
import { BBH_TASKS } from './tasks/bbh.ts';
import { gsm8k } from './tasks/gsm8k.ts';

const docs = [
  { question: 'q0', answer: 'x\n#### 1,000' },
  { question: 'q1', answer: 'y\n#### 5' },
  { question: 'q2', answer: 'z\n#### 7' },
];
const preds = (outputs: string[]) => outputs.map((output, doc_id) => ({ doc_id, output, line: doc_id + 1 }));

describe('scoreTask', () => {
  it('filters, scores and aggregates per "<metric>,<filter>"', () => {
    const r = scoreTask(gsm8k, docs, preds(['#### 1,000\n\nQuestion: #### 3', 'so $5.', 'nothing']));
    expect(r.samples.map((s) => s.filtered)).toEqual([
      { 'strict-match': '1,000', 'flexible-extract': '1,000' },
      { 'strict-match': '[invalid]', 'flexible-extract': '$5.' },
      { 'strict-match': '[invalid]', 'flexible-extract': '[invalid]' },
    ]);
    expect(r.metrics['exact_match,strict-match']).toEqual({ value: 1 / 3, stderr: meanStderr([1, 0, 0]), n: 3 });
    expect(r.metrics['exact_match,flexible-extract']!.value).toBeCloseTo(2 / 3, 15);
    expect(r.samples[0]!.target).toBe('x\n#### 1,000');
    expect(r.samples[0]!.prompt).toBeNull();
  });

  it('needs one prediction per document (up to --limit)', () => {
    expect(() => scoreTask(gsm8k, docs, preds(['#### 1']))).toThrow(/no prediction for doc_id 1 \(and 1 more\)/);
    expect(scoreTask(gsm8k, docs, preds(['#### 1']), { limit: 1 }).samples).toHaveLength(1);
    const e = (() => {
      try {
        scoreTask(gsm8k, docs, [{ doc_id: 3, output: '', line: 4 }], { predictionsFile: 'p.jsonl' });
      } catch (err) {
        return err as EvalError;
      }
    })();
    expect([e?.code, e?.message]).toEqual(['UNKNOWN_DOC', 'p.jsonl:4: doc_id 3 is past the last document (2)']);
  });

  it('bbh: case-sensitive exact match, and the group is the size-weighted mean', () => {
    const [boolean, causal] = [BBH_TASKS[0]!, BBH_TASKS[1]!];
    const a = scoreTask(boolean, [{ input: 'i', target: 'True' }, { input: 'j', target: 'False' }], preds(['So the answer is True.', 'So the answer is false.']));
    const b = scoreTask(causal, [{ input: 'k', target: 'Yes' }, { input: 'l', target: 'No' }, { input: 'm', target: 'No' }, { input: 'n', target: 'Yes' }], preds(['the answer is Yes.', 'the answer is No.', 'the answer is No.', 'the answer is Yes.']));
    expect(a.metrics['exact_match,get-answer']!.value).toBe(0.5);
    expect(b.metrics['exact_match,get-answer']!.value).toBe(1);
    const g = scoreGroup([a, b])['exact_match,get-answer']!;
    expect(g.value).toBeCloseTo((0.5 * 2 + 1 * 4) / 6, 15);
    expect(g.n).toBe(6);
  });
});
