// OnnxLanguageModel on onnxruntime-web's wasm backend: greedy generation against the float64
// reference token for token, batched = one by one, stops, and log-likelihoods.
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_QWEN2 } from '../checkpoint/synthetic.ts';
import { mulberry32 } from '../testing/random.ts';
import { referenceGreedy, referenceLoglikelihood, tinyModel, type TinyModel } from '../testing/model.ts';
import { buildDecoderGraph, type OpSet } from './graph.ts';
import { argmax, logSumExp, ModelRunError, OnnxLanguageModel } from './onnx-lm.ts';
import { checkpointShapes } from './weights.ts';

ort.env.wasm.numThreads = 1;

async function languageModel(m: TinyModel, ops: OpSet, batchSize: number): Promise<OnnxLanguageModel> {
  const graph = buildDecoderGraph(m.config, { ops, weights: { kind: 'inline', values: (k) => m.f32.get(k)! }, shapes: checkpointShapes(m.checkpoint), logitsToKeep: true });
  return new OnnxLanguageModel({ ort, session: await ort.InferenceSession.create(graph.model), config: m.config, batchSize, padTokenId: 0 });
}

function randomPrompts(count: number, vocab: number, seed: number): number[][] {
  const next = mulberry32(seed);
  const rand = () => next() / 2 ** 32;
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(rand() * 11) }, () => Math.floor(rand() * vocab)));
}

describe.each(['plain', 'contrib'] as const)('OnnxLanguageModel (%s ops)', (ops) => {
  let m: TinyModel;
  let one: OnnxLanguageModel;
  let batched: OnnxLanguageModel;
  const prompts = randomPrompts(7, TINY_QWEN2.vocabSize, 11);
  beforeAll(async () => {
    m = await tinyModel({ ...TINY_QWEN2, tiedEmbeddings: ops === 'plain' });
    one = await languageModel(m, ops, 1);
    batched = await languageModel(m, ops, 4);
  });

  it('greedy generation matches the reference token for token', async () => {
    const out = await one.generate(prompts.slice(0, 3), { maxNewTokens: 10 });
    prompts.slice(0, 3).forEach((p, i) => {
      expect(out[i]!.ids).toEqual(referenceGreedy(m, p, 10));
      expect(out[i]!.finish).toBe('length');
    });
  });

  it('a batch of rows of different lengths gives exactly the one-by-one tokens', async () => {
    const single = await one.generate(prompts, { maxNewTokens: 12 });
    const steps: { row: number; id: number }[][] = [];
    const together = await batched.generate(prompts, { maxNewTokens: 12, onStep: (s) => steps.push([...s]) });
    expect(together.map((r) => r.ids)).toEqual(single.map((r) => r.ids));
    // Streaming reports every token of every row once, in order.
    prompts.forEach((_, r) => expect(steps.flat().filter((s) => s.row === r).map((s) => s.id)).toEqual(together[r]!.ids));
  });

  it('stops a row at a stop id (kept) or when shouldStop says so, others go on', async () => {
    const [p0, p1] = prompts as [number[], number[]];
    const free = await batched.generate([p0, p1], { maxNewTokens: 8 });
    const stopId = free[0]!.ids[2]!;
    const out = await batched.generate([p0, p1], { maxNewTokens: 8, stopIds: [stopId], shouldStop: (row, ids) => row === 1 && ids.length === 5 });
    const cut = free[0]!.ids.indexOf(stopId);
    expect(out[0]).toEqual({ ids: free[0]!.ids.slice(0, cut + 1), finish: 'stop-id' });
    const p1Cut = free[1]!.ids.indexOf(stopId);
    if (p1Cut >= 0 && p1Cut < 5) expect(out[1]).toEqual({ ids: free[1]!.ids.slice(0, p1Cut + 1), finish: 'stop-id' });
    else expect(out[1]).toEqual({ ids: free[1]!.ids.slice(0, 5), finish: 'stop' });
  });

  it('log-likelihoods match the reference, batched or not', async () => {
    const requests = prompts.map((p, i) => ({ context: p, continuation: prompts[(i + 3) % prompts.length]!.slice(0, 1 + (i % 4)) }));
    // One request whose continuation is the model's own greedy continuation.
    const greedyCont = referenceGreedy(m, prompts[0]!, 3);
    requests.push({ context: prompts[0]!, continuation: greedyCont });
    const a = await one.loglikelihood(requests);
    const b = await batched.loglikelihood(requests);
    requests.forEach((r, i) => {
      const ref = referenceLoglikelihood(m, r.context, r.continuation);
      expect(Math.abs(a[i]!.logprob - ref.logprob)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref.logprob)));
      expect(a[i]!.greedy).toBe(ref.greedy);
      expect(a[i]!.tokens).toBe(r.continuation.length);
      expect(Math.abs(b[i]!.logprob - a[i]!.logprob)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[i]!.logprob)));
      expect(b[i]!.greedy).toBe(a[i]!.greedy);
    });
    expect(a.at(-1)!.greedy).toBe(true);
  });

  it('drops prompt tokens on the left to leave room for the new ones, as the harness does', async () => {
    const room = m.config.maxPositionEmbeddings - 4;
    const long = Array.from({ length: room + 9 }, (_, i) => (i * 7) % m.config.vocabSize);
    const [out] = await one.generate([long], { maxNewTokens: 4 });
    expect(out!.ids).toEqual(referenceGreedy(m, long.slice(-room), 4));
  });

  it('rejects bad requests with a typed error', async () => {
    await expect(one.generate([[1, m.config.vocabSize]], { maxNewTokens: 1 })).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    await expect(one.generate([[]], { maxNewTokens: 1 })).rejects.toMatchObject({ code: 'EMPTY_REQUEST' });
    await expect(one.generate([[1]], { maxNewTokens: m.config.maxPositionEmbeddings })).rejects.toMatchObject({ code: 'TOO_LONG' });
    await expect(one.loglikelihood([{ context: [1], continuation: [] }])).rejects.toBeInstanceOf(ModelRunError);
    const controller = new AbortController();
    controller.abort();
    await expect(one.generate([[1]], { maxNewTokens: 3, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('argmax and logSumExp', () => {
  it('argmax takes the first of equal maxima and ignores NaN', () => {
    expect(argmax(Float32Array.of(1, 3, 3, 2))).toBe(1);
    expect(argmax(Float32Array.of(Number.NaN, -1, -2))).toBe(1);
  });
  it('logSumExp is stable for large values', () => {
    expect(logSumExp(Float32Array.of(1000, 1000))).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp(Float32Array.of(-1000, 0))).toBeCloseTo(Math.log1p(Math.exp(-1000)), 12);
  });
});
