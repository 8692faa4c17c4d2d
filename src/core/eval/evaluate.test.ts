// The evaluator on a tiny Qwen2 with the synthetic tokenizer (onnxruntime-web wasm), against an
// independent pipeline: the float64 reference's greedy tokens and log-likelihoods, decoded, cut
// and scored by hand with the harness's rules.
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { openCheckpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2_CHAT, writeFamilyMember } from '../checkpoint/synthetic.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { parseDecoderConfig } from '../model/config.ts';
import { buildDecoderGraph } from '../model/graph.ts';
import { OnnxLanguageModel } from '../model/onnx-lm.ts';
import { loadWeights } from '../model/reference.ts';
import { checkpointShapes, readAllWeightsF32 } from '../model/weights.ts';
import { referenceGreedy, referenceLoglikelihood, type TinyModel } from '../testing/model.ts';
import { loadTokenizerFromFolder, type TextTokenizer } from '../text/tokenizer.ts';
import type { Gsm8kDoc, SciqDoc } from './datasets.ts';
import { encodePair, evaluateTask, type EvalModel, type EvalProgress } from './evaluate.ts';
import { scoreGeneration } from './score.ts';
import { gsm8k } from './tasks/gsm8k.ts';
import { sciq } from './tasks/sciq.ts';

ort.env.wasm.numThreads = 1;

let m: TinyModel;
let tok: TextTokenizer;
let model: EvalModel;

beforeAll(async () => {
  const folder = new MemoryFolder('chat');
  await writeFamilyMember({ shape: { ...TINY_QWEN2_CHAT, maxPositionEmbeddings: 512 }, dtype: 'F32', member: 'target', out: folder, tokenizer: true });
  const checkpoint = await openCheckpoint(folder);
  const config = parseDecoderConfig(checkpoint.config);
  m = { checkpoint, config, reference: await loadWeights(checkpoint), f32: await readAllWeightsF32(checkpoint) };
  tok = await loadTokenizerFromFolder(folder);
  const graph = buildDecoderGraph(config, { ops: 'contrib', weights: { kind: 'inline', values: (k) => m.f32.get(k)! }, shapes: checkpointShapes(checkpoint), logitsToKeep: true });
  const lm = new OnnxLanguageModel({ ort, session: await ort.InferenceSession.create(graph.model), config, batchSize: 3, padTokenId: tok.padTokenId });
  model = { tokenizer: tok, lm };
});

const GSM: Gsm8kDoc[] = [
  { question: 'Tom has 3 apples and buys 4 more. How many apples?', answer: 'He has 3 + 4 = 7.\n#### 7' },
  { question: 'A box holds 12 eggs; 5 break. How many are left?', answer: '12 - 5 = 7\n#### 7' },
  { question: 'What is 6 times 7?', answer: '6 * 7 = 42\n#### 42' },
  { question: 'Sam reads 10 pages a day for 3 days. Pages?', answer: '10 * 3 = 30\n#### 30' },
];

describe('generate tasks', () => {
  it('gsm8k: outputs are the reference greedy continuation, cut and scored as the harness does', async () => {
    const events: EvalProgress[] = [];
    const result = await evaluateTask(model, gsm8k, GSM, { docs: GSM }, { numFewshot: 2, limit: 3, maxNewTokens: 12, chunkSize: 2, alpha: 0.5, onProgress: (p) => events.push(p) });
    expect(result.docIds).toHaveLength(3);
    for (const s of result.samples) {
      const ids = tok.encode(s.prompt!);
      expect(ids.length + 12).toBeLessThanOrEqual(m.config.maxPositionEmbeddings); // no truncation here
      const greedy = referenceGreedy(m, ids, 12);
      const end = greedy.findIndex((id) => tok.eosTokenIds.includes(id));
      const text = tok.decode(end >= 0 ? greedy.slice(0, end + 1) : greedy, { skipSpecialTokens: true });
      // The harness: split on each stop term (until + eos text), in order.
      const want = [...gsm8k.until, tok.decode([tok.eosTokenIds[0]!])].reduce((t, stop) => t.split(stop)[0]!, text);
      expect(s.output).toBe(want);
      expect(s.scores).toEqual(scoreGeneration(gsm8k, GSM[s.doc_id]!, s.doc_id, want, null).scores);
    }
    expect(Object.keys(result.metrics).sort()).toEqual(['exact_match,flexible-extract', 'exact_match,strict-match']);
    expect(events.map((e) => e.done)).toEqual([0, 2, 3]);
    expect(events.every((e) => e.total === 3 && e.alpha === 0.5)).toBe(true);
    expect(events.at(-1)!.newTokens).toBeGreaterThan(0);
  });

  it('resumes from partial samples without redoing them, and cancels between chunks', async () => {
    const full = await evaluateTask(model, gsm8k, GSM, { docs: GSM }, { numFewshot: 0, maxNewTokens: 6 });
    const spy = vi.spyOn(model.lm, 'generate');
    const resumed = await evaluateTask(model, gsm8k, GSM, { docs: GSM }, { numFewshot: 0, maxNewTokens: 6, resume: full.samples.slice(0, 3) });
    expect(spy.mock.calls.flatMap((c) => c[0])).toHaveLength(1);
    spy.mockRestore();
    expect(resumed.samples).toEqual(full.samples);
    expect(resumed.metrics).toEqual(full.metrics);
    const controller = new AbortController();
    controller.abort();
    await expect(evaluateTask(model, gsm8k, GSM, { docs: GSM }, { numFewshot: 0, maxNewTokens: 6, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('multiple choice', () => {
  const SCIQ: SciqDoc[] = [
    { question: 'What gas do plants absorb?', distractor1: 'oxygen', distractor2: 'helium', distractor3: 'neon', correct_answer: 'carbon dioxide', support: ' Plants take in CO2.' },
    { question: 'Water boils at?', distractor1: '50 C', distractor2: '0 C', distractor3: '10 C', correct_answer: '100 C', support: '' },
  ];

  it('sciq: per-choice log-likelihoods are the reference ones; acc and acc_norm pick as the harness', async () => {
    const result = await evaluateTask(model, sciq, SCIQ, undefined, {});
    for (const s of result.samples) {
      const doc = SCIQ[s.doc_id]!;
      const choices = [doc.distractor1, doc.distractor2, doc.distractor3, doc.correct_answer];
      const refs = choices.map((c) => {
        const pair = encodePair(tok, sciq.docToText(doc), ` ${c}`);
        return referenceLoglikelihood(m, pair.context, pair.continuation).logprob;
      });
      s.loglikelihoods!.forEach((ll, i) => expect(Math.abs(ll - refs[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(refs[i]!))));
      const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
      expect(s.scores['acc,none']).toBe(argmax(refs) === 3 ? 1 : 0);
      expect(s.scores['acc_norm,none']).toBe(argmax(refs.map((r, i) => r / [...choices[i]!].length)) === 3 ? 1 : 0);
    }
    expect(result.metrics['acc,none']!.value).toBe(result.samples.reduce((n, s) => n + s.scores['acc,none']!, 0) / SCIQ.length);
  });

  it("encodePair moves the context's trailing whitespace into the continuation", () => {
    const a = encodePair(tok, 'Answer: ', 'yes');
    expect(a.context).toEqual(tok.encode('Answer:'));
    expect([...a.context, ...a.continuation]).toEqual(tok.encode('Answer: yes'));
    const empty = encodePair(tok, '', 'hi');
    expect(empty.context).toEqual([tok.bosTokenId ?? tok.eosTokenIds[0]]);
    expect(empty.continuation).toEqual(tok.encode('hi'));
  });
});
