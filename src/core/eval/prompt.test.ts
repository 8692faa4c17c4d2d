import { describe, expect, it } from 'vitest';
import type { Gsm8kDoc } from './datasets.ts';
import { EvalError } from './errors.ts';
import { assemblePrompt, buildPrompt, contextFor, renderPrompt, type ChatMessage } from './prompt.ts';
import { BBH_TASKS } from './tasks/bbh.ts';
import { gsm8k, gsm8kCotZeroshot } from './tasks/gsm8k.ts';
import { sciq } from './tasks/sciq.ts';

/** GSM8K-format training items written for these tests. */
const TRAIN: Gsm8kDoc[] = Array.from({ length: 12 }, (_, i) => ({
  question: `Sam has ${i} marbles and finds ${i + 1} more. How many marbles does Sam have?`,
  answer: `Sam has ${i} + ${i + 1} = <<${i}+${i + 1}=${2 * i + 1}>>${2 * i + 1} marbles.\n#### ${2 * i + 1}`,
}));
const DOC: Gsm8kDoc = { question: 'A box holds 4 pens. How many pens are in 3 boxes?', answer: '4 * 3 = <<4*3=12>>12\n#### 12' };
const shot = (i: number) => `Question: ${TRAIN[i]!.question}\nAnswer: ${TRAIN[i]!.answer}\n\n`;
const QUESTION = `Question: ${DOC.question}\nAnswer:`;

describe('plain prompts: harness-identical few-shot sampling', () => {
  it('gsm8k 5-shot: each evaluated position gets its own draw of random.Random(1234)', () => {
    // CPython: r = random.Random(1234); print([r.sample(range(12), 5) for _ in range(3)])
    // → [[7, 1, 0, 10, 9], [10, 1, 11, 5, 3], [0, 11, 10, 5, 7]]
    const material = { docs: TRAIN };
    expect(buildPrompt(gsm8k, DOC, material, 0)).toBe([7, 1, 0, 10, 9].map(shot).join('') + QUESTION);
    expect(buildPrompt(gsm8k, DOC, material, 1)).toBe([10, 1, 11, 5, 3].map(shot).join('') + QUESTION);
    expect(buildPrompt(gsm8k, DOC, material, 2)).toBe([0, 11, 10, 5, 7].map(shot).join('') + QUESTION);
  });
  it('a shot-count override and another seed change the draws', () => {
    // CPython: r = random.Random(1234); print([r.sample(range(12), 2) for _ in range(3)]) → [[7, 1], [0, 1], [9, 0]]
    const material = { docs: TRAIN };
    expect(buildPrompt(gsm8k, DOC, material, 2, { numFewshot: 2 })).toBe(shot(9) + shot(0) + QUESTION);
    // CPython: r = random.Random(7); print([r.sample(range(12), 2) for _ in range(2)]) → [[5, 2], [6, 10]]
    expect(buildPrompt(gsm8k, DOC, material, 1, { numFewshot: 2, fewshotSeed: 7 })).toBe(shot(6) + shot(10) + QUESTION);
  });
  it('zero-shot CoT with shots asked for samples the train split with the gsm8k_cot_zeroshot template', () => {
    // CPython: r = random.Random(1234); print([r.sample(range(12), 1) for _ in range(4)]) → [[7], [1], [0], [1]]
    const p = buildPrompt(gsm8kCotZeroshot, DOC, { docs: TRAIN }, 0, { numFewshot: 1 });
    expect(p).toBe(`Q: ${TRAIN[7]!.question}\nA: Let's think step by step. ${TRAIN[7]!.answer}\n\nQ: ${DOC.question}\nA: Let's think step by step.`);
  });
  it('a system instruction starts the plain prompt, joined with nothing, as the harness does', () => {
    const ctx = contextFor(gsm8k, DOC, 0, { docs: TRAIN }, { numFewshot: 1 });
    expect(assemblePrompt(gsm8k, DOC, ctx, { systemInstruction: 'Think step by step.\n\n' })).toBe(`Think step by step.\n\n${shot(7)}${QUESTION}`);
    expect(assemblePrompt(gsm8kCotZeroshot, DOC, { description: '', shots: [] }, { systemInstruction: 'Think.' })).toBe(`Think.Q: ${DOC.question}\nA: Let's think step by step.`);
  });
  it('same split: the evaluated document never shows among its own shots', () => {
    const sameSplitTask = { ...gsm8k, dataset: { ...gsm8k.dataset!, fewshotSplit: 'test' } };
    const six = TRAIN.slice(0, 6);
    // CPython: r = random.Random(1234); print([r.sample(range(6), 3) for _ in range(3)]) → [[3, 0, 4], [0, 4, 5], [5, 0, 4]]
    const ctx = contextFor(sameSplitTask, six[5]!, 2, { docs: six }, { numFewshot: 2 });
    expect(ctx.shots.map((s) => s.text)).toEqual([gsm8k.docToText(six[0]!), gsm8k.docToText(six[4]!)]);
  });
});

describe('chat prompts (the harness apply_chat_template / fewshot_as_multiturn layouts)', () => {
  const material = { docs: TRAIN };
  it('single turn: the shots and the question in one user message', () => {
    const ctx = contextFor(gsm8k, DOC, 0, material, { numFewshot: 2 });
    expect(assemblePrompt(gsm8k, DOC, ctx, { chat: true })).toEqual([{ role: 'user', content: shot(7) + shot(1) + QUESTION }]);
  });
  it('multiturn: a user/assistant pair per shot (no target delimiter), then the question', () => {
    const ctx = contextFor(gsm8k, DOC, 0, material, { numFewshot: 2 });
    expect(assemblePrompt(gsm8k, DOC, ctx, { chat: true, fewshotAsMultiturn: true, systemInstruction: 'Think step by step.' })).toEqual([
      { role: 'system', content: 'Think step by step.' },
      { role: 'user', content: gsm8k.docToText(TRAIN[7]!) },
      { role: 'assistant', content: TRAIN[7]!.answer },
      { role: 'user', content: gsm8k.docToText(TRAIN[1]!) },
      { role: 'assistant', content: TRAIN[1]!.answer },
      { role: 'user', content: QUESTION },
    ]);
  });
  it('zero-shot: an optional system message, then the question', () => {
    const ctx = contextFor(gsm8kCotZeroshot, DOC, 0, undefined);
    const q = `Q: ${DOC.question}\nA: Let's think step by step.`;
    expect(assemblePrompt(gsm8kCotZeroshot, DOC, ctx, { chat: true })).toEqual([{ role: 'user', content: q }]);
    expect(assemblePrompt(gsm8kCotZeroshot, DOC, ctx, { chat: true, systemInstruction: 'Reason first.' })).toEqual([
      { role: 'system', content: 'Reason first.' },
      { role: 'user', content: q },
    ]);
  });
  it('bbh: the cot description is the system message (after the instruction); exemplars split into turns', () => {
    const cot = "CANARY\n-----\nEvaluate things.\n\nQ: a\nA: Let's think step by step.\nSo the answer is X.\n\nQ: b\nA: Let's think step by step.\nSo the answer is Y.";
    const task = BBH_TASKS[0]!;
    const doc = { input: 'c', target: 'Z' };
    const ctx = contextFor(task, doc, 0, { text: cot }, { numFewshot: 2 });
    expect(assemblePrompt(task, doc, ctx, { chat: true, fewshotAsMultiturn: true, systemInstruction: 'Think.' })).toEqual([
      { role: 'system', content: 'Think.\n\nEvaluate things.\n\n' },
      { role: 'user', content: "Q: a\nA: Let's think step by step.\n" },
      { role: 'assistant', content: 'So the answer is X.' },
      { role: 'user', content: "Q: b\nA: Let's think step by step.\n" },
      { role: 'assistant', content: 'So the answer is Y.' },
      { role: 'user', content: "Q: c\nA: Let's think step by step.\n" },
    ]);
    expect(assemblePrompt(task, doc, ctx, { chat: true })).toEqual([
      { role: 'system', content: 'Evaluate things.\n\n' },
      { role: 'user', content: "Q: a\nA: Let's think step by step.\nSo the answer is X.\n\nQ: b\nA: Let's think step by step.\nSo the answer is Y.\n\nQ: c\nA: Let's think step by step.\n" },
    ]);
  });
  it('sciq shots use the gold choice as the target', () => {
    const rows = Array.from({ length: 3 }, (_, i) => ({ question: `q${i}?`, distractor1: 'a', distractor2: 'b', distractor3: 'c', correct_answer: `right${i}`, support: `s${i}` }));
    // CPython: random.Random(1234).sample(range(3), 1) → [1] (the pool branch)
    const ctx = contextFor(sciq, rows[0]!, 0, { docs: rows }, { numFewshot: 1 });
    expect(assemblePrompt(sciq, rows[0]!, ctx)).toBe('s1\nQuestion: q1?\nAnswer: right1\n\ns0\nQuestion: q0?\nAnswer:');
  });
  it('renders messages with a generation prompt; plain text passes through', () => {
    const calls: [readonly ChatMessage[], boolean][] = [];
    const template = (m: readonly ChatMessage[], o: { addGenerationPrompt: boolean }) => {
      calls.push([m, o.addGenerationPrompt]);
      return m.map((x) => `<${x.role}>${x.content}`).join('') + (o.addGenerationPrompt ? '<assistant>' : '');
    };
    expect(renderPrompt([{ role: 'user', content: 'hi' }], template)).toBe('<user>hi<assistant>');
    expect(renderPrompt('plain', template)).toBe('plain');
    expect(calls).toHaveLength(1);
  });
  it('rejects multiturn without chat, and shots without their material', () => {
    expect(() => assemblePrompt(gsm8k, DOC, { description: '', shots: [] }, { fewshotAsMultiturn: true })).toThrow(/fewshotAsMultiturn needs chat/);
    expect(() => contextFor(gsm8k, DOC, 0, undefined)).toThrow(EvalError);
    expect(() => contextFor(gsm8k, DOC, 0, undefined)).toThrow(/gsm8k needs few-shot documents \(the train split\) for 5 shots/);
    expect(() => contextFor(gsm8k, DOC, 0, { docs: TRAIN.slice(0, 3) })).toThrow(/5 few-shot documents asked for, only 3 given/);
  });
});
