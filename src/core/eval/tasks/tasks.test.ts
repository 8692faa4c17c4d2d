import { describe, expect, it } from 'vitest';
import type { Gsm8kDoc, SciqDoc } from '../datasets.ts';
import { EvalError } from '../errors.ts';
import { buildPrompt } from '../prompt.ts';
import { BBH_TASKS, parseCotPrompt } from './bbh.ts';
import { gsm8k, gsm8kCot, gsm8kCotZeroshot } from './gsm8k.ts';
import { getGenerateTask, getTask, TASKS } from './index.ts';
import { pyLstrip, sciq } from './sciq.ts';

/** The first item of GSM8K's train split (/work/shared/datasets/gsm8k/train.jsonl, line 1). */
const NATALIA: Gsm8kDoc = {
  question: 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
  answer: 'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72',
};
const TEST: Gsm8kDoc = { question: 'What is 2 + 3?', answer: '2 + 3 = 5\n#### 5' };

/** A SciQ row in the allenai/sciq layout (written for this test). */
const SCIQ_DOC: SciqDoc = {
  question: 'What type of organism is commonly used in preparation of foods such as cheese and yogurt?',
  distractor1: 'viruses',
  distractor2: 'protozoa',
  distractor3: 'gymnosperms',
  correct_answer: 'mesophilic organisms',
  support: ' \nMesophiles grow best in moderate temperature, typically between 25°C and 40°C. ',
};

describe('task list', () => {
  it('holds gsm8k, gsm8k_cot, gsm8k_cot_zeroshot, sciq, humaneval and the 27 BBH subtasks with unique ids', () => {
    expect(TASKS.map((t) => t.id).slice(0, 5)).toEqual(['gsm8k', 'gsm8k_cot', 'gsm8k_cot_zeroshot', 'sciq', 'humaneval']);
    expect(TASKS.length).toBe(32);
    expect(new Set(TASKS.map((t) => t.id)).size).toBe(32);
    expect(TASKS.filter((t) => t.kind === 'code').map((t) => t.id)).toEqual(['humaneval']);
    expect(BBH_TASKS.every((t) => t.group === 'bbh_cot_fewshot')).toBe(true);
    expect(TASKS.filter((t) => t.kind === 'multiple_choice').map((t) => t.id)).toEqual(['sciq']);
  });
  it('fails on an unknown id with "did you mean"', () => {
    expect(getTask('gsm8k_cot')).toBe(gsm8kCot);
    expect(() => getTask('gsm8k-cot')).toThrow(/unknown task "gsm8k-cot"; did you mean "gsm8k_cot"/);
    expect(() => getTask('gsm8k_cot_zero')).toThrow(/did you mean "gsm8k_cot_zeroshot"/);
    expect(() => getTask('bbh_cot_fewshot_snark')).toThrow(/did you mean "bbh_cot_fewshot_snarks"/);
    expect(() => getTask('x')).toThrow(EvalError);
  });
  it('getGenerateTask refuses a multiple-choice task', () => {
    expect(getGenerateTask('gsm8k')).toBe(gsm8k);
    expect(() => getGenerateTask('sciq')).toThrow(/"sciq" is multiple choice/);
  });
});

describe('gsm8k_cot_zeroshot (gsm8k-cot-zeroshot.yaml, version 3.0)', () => {
  it('is the YAML: prompt, stop strings, filters, metric, no shots', () => {
    expect(gsm8kCotZeroshot.docToText(TEST)).toBe("Q: What is 2 + 3?\nA: Let's think step by step.");
    expect(gsm8kCotZeroshot.until).toEqual(['Q:', '</s>', '<|im_end|>']);
    expect(gsm8kCotZeroshot.numFewshot).toBe(0);
    expect(gsm8kCotZeroshot.filters.map((f) => f.name)).toEqual(['strict-match', 'flexible-extract']);
    expect(gsm8kCotZeroshot.filters[0]!.steps[0]).toEqual({ fn: 'regex', pattern: 'The answer is (\\-?[0-9\\.\\,]+).' });
    expect(gsm8kCotZeroshot.filters[1]!.steps[0]).toEqual({ fn: 'regex', pattern: '(-?[$0-9.,]{2,})|(-?[0-9]+)', groupSelect: -1 });
    expect(gsm8kCotZeroshot.metric.options).toEqual({ ignoreCase: true, ignorePunctuation: false, regexesToIgnore: [',', '\\$', '(?s).*#### ', '\\.$'] });
    expect(gsm8kCotZeroshot.maxGenToks).toBe(256);
    expect(gsm8kCotZeroshot.docToTarget(TEST)).toBe(TEST.answer);
  });
  it('zero-shot prompt is the question alone, needing no material', () => {
    expect(buildPrompt(gsm8kCotZeroshot, NATALIA, undefined, 0)).toBe(`Q: ${NATALIA.question}\nA: Let's think step by step.`);
  });
});

describe('sciq (sciq.yaml, version 1.0)', () => {
  it('text is "{{support.lstrip()}}\\nQuestion: {{question}}\\nAnswer:"; choices end with the answer; gold 3', () => {
    expect(sciq.docToText(SCIQ_DOC)).toBe(
      'Mesophiles grow best in moderate temperature, typically between 25°C and 40°C. \nQuestion: What type of organism is commonly used in preparation of foods such as cheese and yogurt?\nAnswer:',
    );
    expect(sciq.docToChoices(SCIQ_DOC)).toEqual(['viruses', 'protozoa', 'gymnosperms', 'mesophilic organisms']);
    expect(sciq.docToGold(SCIQ_DOC)).toBe(3);
    expect(sciq.docToTarget(SCIQ_DOC)).toBe('mesophilic organisms');
    expect(sciq.docToText({ ...SCIQ_DOC, support: '' })).toMatch(/^\nQuestion: /);
    expect(sciq.metrics).toEqual(['acc', 'acc_norm']);
  });
  it('lstrip is Python\'s: str.isspace() characters only, the left side only', () => {
    // Python: '\x1c\x85\u3000 a \n'.lstrip() == 'a \n'; '\ufeffa'.lstrip() == '\ufeffa'
    expect(pyLstrip('\x1c\x85\u3000 a \n')).toBe('a \n');
    expect(pyLstrip('\ufeffa')).toBe('\ufeffa');
  });
});

describe('cot-prompts parsing', () => {
  it('keeps a multi-paragraph description and splits each exemplar after "Let\'s think step by step."', () => {
    const text =
      'CANARY\n-----\nDetermine the thing.\n\nMore about the thing.\n\n' +
      "Q: a?\nA: Let's think step by step.\nBecause. So the answer is X.\n\n" +
      "Q: b?\nA: Let's think step by step. Inline. So the answer is Y.";
    const { description, shots } = parseCotPrompt(text);
    expect(description).toBe('Determine the thing.\n\nMore about the thing.');
    expect(shots).toEqual([
      { text: "Q: a?\nA: Let's think step by step.\n", target: 'Because. So the answer is X.' },
      // sports_understanding's layout: the harness's doc_to_text still ends the phrase with "\n".
      { text: "Q: b?\nA: Let's think step by step.\n", target: 'Inline. So the answer is Y.' },
    ]);
  });
});

describe('prompt assembly on real items (lm-evaluation-harness fewshot_context)', () => {
  it('gsm8k: "Question: …\\nAnswer: <full solution>" shots, blank lines between, then the question', () => {
    const prompt = buildPrompt(gsm8k, TEST, { docs: [NATALIA] }, 0);
    expect(prompt).toBe(
      'Question: Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?\n' +
        'Answer: Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72\n\n' +
        'Question: What is 2 + 3?\nAnswer:',
    );
    expect(gsm8k.docToTarget(NATALIA)).toBe(NATALIA.answer);
    expect(buildPrompt(gsm8k, TEST, undefined, 0)).toBeNull();
  });
  it('gsm8k_cot: the 8 fixed exemplars as "Q: …\\nA: …", the target after "####"', () => {
    const prompt = buildPrompt(gsm8kCot, NATALIA, undefined, 0)!;
    expect(prompt.startsWith('Q: There are 15 trees in the grove.')).toBe(true);
    expect(prompt).toContain('How many trees did the grove workers plant today?\nA: There are 15 trees originally.');
    expect(prompt).toContain('The answer is 6.\n\nQ: If there are 3 cars');
    expect(prompt.endsWith('23 - 15 is 8. The answer is 8.\n\nQ: Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?\nA:')).toBe(true);
    expect(prompt.split('\nA: ').length - 1).toBe(8);
    expect(gsm8kCot.docToTarget(NATALIA)).toBe('72');
    expect(buildPrompt(gsm8kCot, NATALIA, undefined, 0, { numFewshot: 2 })!.split('\nA: ').length - 1).toBe(2);
    expect(buildPrompt(gsm8kCot, NATALIA, undefined, 0, { numFewshot: 9 })!.split('\nA: ').length - 1).toBe(8);
  });
  it('bbh: description, the cot-prompts exemplars, then "Q: {input}\\nA: Let\'s think step by step.\\n"', () => {
    const cot = 'CANARY\n-----\nEvaluate things.\n\nQ: a\nA: Let\'s think step by step.\nSo the answer is X.\n\nQ: b\nA: Let\'s think step by step.\nSo the answer is Y.';
    expect(buildPrompt(BBH_TASKS[0]!, { input: 'c', target: 'Z' }, { text: cot }, 0)).toBe(
      'Evaluate things.\n\nQ: a\nA: Let\'s think step by step.\nSo the answer is X.\n\nQ: b\nA: Let\'s think step by step.\nSo the answer is Y.\n\nQ: c\nA: Let\'s think step by step.\n',
    );
    expect(buildPrompt(BBH_TASKS[0]!, { input: 'c', target: 'Z' }, { text: cot }, 0, { numFewshot: 0 })).toBe("Evaluate things.\n\nQ: c\nA: Let's think step by step.\n");
    expect(buildPrompt(BBH_TASKS[0]!, { input: 'c', target: 'Z' }, undefined, 0)).toBeNull();
  });
});
