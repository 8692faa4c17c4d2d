import { describe, expect, it } from 'vitest';
import type { Gsm8kDoc, SciqDoc } from './datasets.ts';
import { EvalError } from './errors.ts';
import type { ChatMessage } from './prompt.ts';
import { buildRequests, evaluatedDocIds } from './requests.ts';
import { gsm8k, gsm8kCotZeroshot } from './tasks/gsm8k.ts';
import { sciq } from './tasks/sciq.ts';

const TRAIN: Gsm8kDoc[] = Array.from({ length: 12 }, (_, i) => ({ question: `Train ${i}: what is ${i} + 1?`, answer: `${i} + 1 = ${i + 1}\n#### ${i + 1}` }));
const TEST: Gsm8kDoc[] = Array.from({ length: 10 }, (_, i) => ({ question: `Test ${i}: what is ${i} * 2?`, answer: `${i} * 2 = ${2 * i}\n#### ${2 * i}` }));
const SCIQ: SciqDoc[] = [
  { question: 'What gas do plants take in?', distractor1: 'oxygen', distractor2: 'helium', distractor3: 'neon', correct_answer: 'carbon dioxide', support: 'Plants use carbon dioxide.' },
  { question: 'What is the unit of force?', distractor1: 'joule', distractor2: 'watt', distractor3: 'pascal', correct_answer: 'newton', support: '' },
];
const template = (m: readonly ChatMessage[], o: { addGenerationPrompt: boolean }) =>
  m.map((x) => `<|${x.role}|>${x.content}<|end|>`).join('') + (o.addGenerationPrompt ? '<|assistant|>' : '');

describe('evaluatedDocIds', () => {
  it('a seeded subset in document order: sorted(random.Random(seed).sample(range(n), limit))', () => {
    // CPython: sorted(random.Random(1234).sample(range(50), 6)) → [0, 5, 7, 28, 37, 49]
    expect(evaluatedDocIds(50, { limit: 6 })).toEqual([0, 5, 7, 28, 37, 49]);
    // CPython: sorted(random.Random(99).sample(range(50), 6)) → [11, 12, 14, 24, 25, 38]
    expect(evaluatedDocIds(50, { limit: 6, limitSeed: 99 })).toEqual([11, 12, 14, 24, 25, 38]);
  });
  it('first n (the harness --limit), everything when the limit covers it, and bad limits', () => {
    expect(evaluatedDocIds(50, { limit: 3, limitMode: 'first' })).toEqual([0, 1, 2]);
    expect(evaluatedDocIds(4, { limit: 9 })).toEqual([0, 1, 2, 3]);
    expect(evaluatedDocIds(3)).toEqual([0, 1, 2]);
    expect(() => evaluatedDocIds(3, { limit: 0 })).toThrow(/limit must be a positive integer/);
  });
});

describe('buildRequests: generate tasks', () => {
  it('one request a document: prompt, stop strings, the harness default of 256 new tokens', () => {
    const reqs = buildRequests(gsm8kCotZeroshot, TEST.slice(0, 2));
    expect(reqs).toEqual([
      { kind: 'generate', docId: 0, prompt: "Q: Test 0: what is 0 * 2?\nA: Let's think step by step.", until: ['Q:', '</s>', '<|im_end|>'], maxNewTokens: 256 },
      { kind: 'generate', docId: 1, prompt: "Q: Test 1: what is 1 * 2?\nA: Let's think step by step.", until: ['Q:', '</s>', '<|im_end|>'], maxNewTokens: 256 },
    ]);
    expect(buildRequests(gsm8kCotZeroshot, TEST.slice(0, 1), { maxNewTokens: 512 })[0]!.maxNewTokens).toBe(512);
  });
  describe('chat with the shots in one user turn: the few-shot draws of each harness release', () => {
    // r = random.Random(1234); [r.sample(range(12), 2) for _ in range(4)] → [[7, 1], [0, 1], [9, 0], [10, 1]]
    const userText = (multiturn: boolean, harness?: '0.4.12' | '0.4.9.2') =>
      buildRequests(gsm8k, TEST, { limit: 2, limitMode: 'first', numFewshot: 2, chat: true, fewshotAsMultiturn: multiturn, ...(harness ? { harness } : {}) }, { docs: TRAIN }).map((r) => {
        const p = r.prompt as readonly ChatMessage[];
        return p.map((m) => m.content).join('|');
      });
    const has = (text: string, i: number) => text.includes(TRAIN[i]!.question);
    it('0.4.12 (the default): ContextSampler.sample once per document, as fewshot_context calls it: document k gets draw k', () => {
      const [d0, d1] = userText(false);
      expect([7, 1].every((i) => has(d0!, i))).toBe(true);
      expect([0, 1].every((i) => has(d1!, i)) && !has(d1!, 10)).toBe(true);
      expect(userText(false, '0.4.12')).toEqual([d0, d1]);
    });
    it("0.4.9.2: get_chat_context draws a sample it never uses, then get_context draws again: document k gets draw 2k + 1", () => {
      const [d0, d1] = userText(false, '0.4.9.2');
      expect([0, 1].every((i) => has(d0!, i)) && !has(d0!, 7)).toBe(true);
      expect([10, 1].every((i) => has(d1!, i)) && !has(d1!, 0)).toBe(true);
    });
    it('multi-turn draws once per document in both releases', () => {
      for (const harness of ['0.4.12', '0.4.9.2'] as const) {
        const [m0, m1] = userText(true, harness);
        expect([7, 1].every((i) => has(m0!, i))).toBe(true);
        expect([0, 1].every((i) => has(m1!, i)) && !has(m1!, 10)).toBe(true);
      }
    });
  });
  it('a seeded subset: ids kept, the k-th evaluated document gets the k-th few-shot draw', () => {
    // ids: sorted(random.Random(1234).sample(range(10), 4)) → [0, 1, 7, 9]
    // draws: r = random.Random(1234); [r.sample(range(12), 2) for _ in range(4)] → [[7, 1], [0, 1], [9, 0], [10, 1]]
    const reqs = buildRequests(gsm8k, TEST, { limit: 4, numFewshot: 2 }, { docs: TRAIN });
    const shot = (i: number) => `Question: ${TRAIN[i]!.question}\nAnswer: ${TRAIN[i]!.answer}\n\n`;
    const q = (i: number) => `Question: ${TEST[i]!.question}\nAnswer:`;
    expect(reqs.map((r) => r.docId)).toEqual([0, 1, 7, 9]);
    expect(reqs.map((r) => r.prompt)).toEqual([shot(7) + shot(1) + q(0), shot(0) + shot(1) + q(1), shot(9) + shot(0) + q(7), shot(10) + shot(1) + q(9)]);
  });
  it('chat: rendered with the template and a generation prompt, the messages kept; or left as messages', () => {
    const [rendered] = buildRequests(gsm8kCotZeroshot, TEST.slice(0, 1), { chat: true, systemInstruction: 'Think step by step.', applyChatTemplate: template });
    expect(rendered!.prompt).toBe("<|system|>Think step by step.<|end|><|user|>Q: Test 0: what is 0 * 2?\nA: Let's think step by step.<|end|><|assistant|>");
    expect(rendered!.messages).toEqual([
      { role: 'system', content: 'Think step by step.' },
      { role: 'user', content: "Q: Test 0: what is 0 * 2?\nA: Let's think step by step." },
    ]);
    const [raw] = buildRequests(gsm8kCotZeroshot, TEST.slice(0, 1), { chat: true });
    expect(raw!.prompt).toEqual([{ role: 'user', content: "Q: Test 0: what is 0 * 2?\nA: Let's think step by step." }]);
    expect(raw!.messages).toBeUndefined();
  });
  it('fails where the harness would, and on contradictory options', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as EvalError).code;
      }
      return 'none';
    };
    expect(code(() => buildRequests(gsm8k, TEST, {}, { docs: TRAIN.slice(0, 4) }))).toBe('NOT_ENOUGH_SHOTS');
    expect(code(() => buildRequests(gsm8k, TEST, {}))).toBe('NO_FEWSHOT');
    expect(code(() => buildRequests(gsm8k, TEST, { fewshotAsMultiturn: true }, { docs: TRAIN }))).toBe('BAD_OPTION');
    expect(code(() => buildRequests(gsm8k, TEST, { applyChatTemplate: template }, { docs: TRAIN }))).toBe('BAD_OPTION');
    expect(code(() => buildRequests(gsm8k, TEST, { maxNewTokens: 0 }, { docs: TRAIN }))).toBe('BAD_OPTION');
    expect(code(() => buildRequests(gsm8k, TEST, { numFewshot: -1 }, { docs: TRAIN }))).toBe('BAD_OPTION');
  });
});

describe('buildRequests: multiple choice (sciq)', () => {
  it('context = the prompt; continuations = target delimiter + each choice, gold last', () => {
    expect(buildRequests(sciq, SCIQ)).toEqual([
      {
        kind: 'loglikelihood',
        docId: 0,
        context: 'Plants use carbon dioxide.\nQuestion: What gas do plants take in?\nAnswer:',
        continuations: [' oxygen', ' helium', ' neon', ' carbon dioxide'],
      },
      { kind: 'loglikelihood', docId: 1, context: '\nQuestion: What is the unit of force?\nAnswer:', continuations: [' joule', ' watt', ' pascal', ' newton'] },
    ]);
  });
  it('chat: the rendered context ends with the generation prompt and the choices carry no delimiter', () => {
    const [r] = buildRequests(sciq, SCIQ.slice(1), { chat: true, applyChatTemplate: template });
    expect(r!.context).toBe('<|user|>\nQuestion: What is the unit of force?\nAnswer:<|end|><|assistant|>');
    expect(r!.continuations).toEqual(['joule', 'watt', 'pascal', 'newton']);
  });
});
