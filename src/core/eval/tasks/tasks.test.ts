import { describe, expect, it } from 'vitest';
import type { Gsm8kDoc } from '../datasets.ts';
import { EvalError } from '../errors.ts';
import { buildPrompt } from '../prompt.ts';
import { BBH_TASKS } from './bbh.ts';
import { gsm8k, gsm8kCot } from './gsm8k.ts';
import { getTask, TASKS } from './index.ts';

/** The first item of GSM8K's train split (/work/shared/datasets/gsm8k/train.jsonl, line 1). */
const NATALIA: Gsm8kDoc = {
  question: 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
  answer: 'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72',
};
const TEST: Gsm8kDoc = { question: 'What is 2 + 3?', answer: '2 + 3 = 5\n#### 5' };

describe('task list', () => {
  it('holds gsm8k, gsm8k_cot and the 27 BBH subtasks with unique ids', () => {
    expect(TASKS.length).toBe(29);
    expect(new Set(TASKS.map((t) => t.id)).size).toBe(29);
    expect(BBH_TASKS.every((t) => t.group === 'bbh_cot_fewshot')).toBe(true);
  });
  it('fails on an unknown id with "did you mean"', () => {
    expect(getTask('gsm8k_cot')).toBe(gsm8kCot);
    expect(() => getTask('gsm8k-cot')).toThrow(/unknown task "gsm8k-cot"; did you mean "gsm8k_cot"/);
    expect(() => getTask('bbh_cot_fewshot_snark')).toThrow(/did you mean "bbh_cot_fewshot_snarks"/);
    expect(() => getTask('x')).toThrow(EvalError);
  });
});

describe('prompt assembly (lm-evaluation-harness fewshot_context)', () => {
  it('gsm8k: "Question: …\\nAnswer: <full solution>" shots, blank lines between, then the question', () => {
    const prompt = buildPrompt(gsm8k, TEST, { docs: [NATALIA] });
    expect(prompt).toBe(
      'Question: Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?\n' +
        'Answer: Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72\n\n' +
        'Question: What is 2 + 3?\nAnswer:',
    );
    expect(gsm8k.docToTarget(NATALIA)).toBe(NATALIA.answer);
  });
  it('gsm8k: the first 5 training documents; no prompt without them', () => {
    const docs = Array.from({ length: 7 }, (_, i) => ({ question: `q${i}`, answer: `#### ${i}` }));
    const prompt = buildPrompt(gsm8k, TEST, { docs })!;
    expect(prompt.split('Question:').length - 1).toBe(6);
    expect(prompt).not.toContain('q5');
    expect(buildPrompt(gsm8k, TEST)).toBeNull();
  });
  it('gsm8k_cot: the 8 fixed exemplars as "Q: …\\nA: …", the target after "####"', () => {
    const prompt = buildPrompt(gsm8kCot, NATALIA)!;
    expect(prompt.startsWith('Q: There are 15 trees in the grove.')).toBe(true);
    expect(prompt).toContain('How many trees did the grove workers plant today?\nA: There are 15 trees originally.');
    expect(prompt).toContain('The answer is 6.\n\nQ: If there are 3 cars');
    expect(prompt.endsWith('23 - 15 is 8. The answer is 8.\n\nQ: Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?\nA:')).toBe(true);
    expect(prompt.split('\nA: ').length - 1).toBe(8);
    expect(gsm8kCot.docToTarget(NATALIA)).toBe('72');
  });
  it('bbh: description, the cot-prompts exemplars, then "Q: {input}\\nA: Let\'s think step by step.\\n"', () => {
    const cot = 'CANARY\n-----\nEvaluate things.\n\nQ: a\nA: Let\'s think step by step.\nSo the answer is X.\n\nQ: b\nA: Let\'s think step by step.\nSo the answer is Y.';
    expect(buildPrompt(BBH_TASKS[0]!, { input: 'c', target: 'Z' }, { text: cot })).toBe(
      'Evaluate things.\n\nQ: a\nA: Let\'s think step by step.\nSo the answer is X.\n\nQ: b\nA: Let\'s think step by step.\nSo the answer is Y.\n\nQ: c\nA: Let\'s think step by step.\n',
    );
  });
});
