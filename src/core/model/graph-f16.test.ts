// The float16 decoder graph (graph.ts, `compute: 'float16'`) on onnxruntime-node's CPU against the
// float32 graph and the float64 reference: it is valid (float16 weights and KV cache, float32
// logits), its logits stay within float16 rounding of the reference, greedy decoding gives the
// float32 tokens over 32 steps, and the top-1 agreement with float32 on a fixed prompt set is
// printed. Both operator sets load on the CPU provider as they are (no op had to change); where
// that provider has no float16 kernel for a node, onnxruntime runs it in float32 between inserted
// casts, so these tests check the graph and float16 storage/rounding, not the CPU's float16
// arithmetic. RMSNorm, rotary angles and softmax compute in float32 by design (graph.ts).
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_QWEN2, type FamilyMember, type Qwen2Shape } from '../checkpoint/synthetic.ts';
import { encodeFromF32 } from '../dtype.ts';
import { mulberry32 } from '../testing/random.ts';
import { relError, tinyModel, type TinyModel } from '../testing/model.ts';
import { buildDecoderGraph, type ComputeDtype, type OpSet } from './graph.ts';
import { argmax, OnnxLanguageModel, type OrtApi } from './onnx-lm.ts';
import { referenceLogits } from './reference.ts';
import { checkpointShapes } from './weights.ts';

const api = ort as unknown as OrtApi;

async function languageModel(m: TinyModel, ops: OpSet, compute: ComputeDtype, batchSize = 1): Promise<OnnxLanguageModel> {
  const graph = buildDecoderGraph(m.config, { ops, compute, weights: { kind: 'inline', values: (k) => m.f32.get(k)! }, shapes: checkpointShapes(m.checkpoint), logitsToKeep: true });
  const session = await ort.InferenceSession.create(graph.model, { graphOptimizationLevel: 'all' });
  return new OnnxLanguageModel({ ort: api, session, config: m.config, batchSize, padTokenId: 0, compute });
}

function prompts(count: number, vocab: number, seed: number, length?: number): number[][] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: length ?? 1 + (next() % 12) }, () => next() % vocab));
}

/** top1 − top2 of a logits row. */
function margin(row: Float32Array): number {
  let [a, b] = [-Infinity, -Infinity];
  for (const x of row) {
    if (x > a) [a, b] = [x, a];
    else if (x > b) b = x;
  }
  return a - b;
}

const MEMBERS: FamilyMember[] = ['init', 'sft', 'grpo', 'target'];
const TIED: Qwen2Shape = TINY_QWEN2;
const UNTIED: Qwen2Shape = { ...TINY_QWEN2, tiedEmbeddings: false };

describe('float16 decoder graph on onnxruntime-node (CPU)', () => {
  it('is valid: float16 weights and KV cache in, float32 logits and float16 present out', async () => {
    const m = await tinyModel(TIED);
    for (const ops of ['plain', 'contrib'] as const) {
      const graph = buildDecoderGraph(m.config, { ops, compute: 'float16', weights: { kind: 'inputs' }, shapes: checkpointShapes(m.checkpoint) });
      expect(graph.inputs.find((v) => v.name === 'past_key_values.0.key')!.dtype).toBe('float16');
      expect(graph.inputs.find((v) => v.name === 'model.embed_tokens.weight')!.dtype).toBe('float16');
      expect(graph.outputs.map((v) => v.dtype)).toEqual(['float32', ...Array<string>(2 * m.config.numLayers).fill('float16')]);
      const session = await ort.InferenceSession.create(graph.model);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.of(3n, 17n), [1, 2]),
        attention_mask: new ort.Tensor('int64', BigInt64Array.of(1n, 1n), [1, 2]),
        position_ids: new ort.Tensor('int64', BigInt64Array.of(0n, 1n), [1, 2]),
      };
      for (let l = 0; l < m.config.numLayers; l++) {
        for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float16', new Uint16Array(0), [1, m.config.numKvHeads, 0, m.config.headDim]);
      }
      for (const w of graph.weights) {
        const f32 = m.f32.get(w.key)!;
        const bits = new Uint16Array(f32.length);
        const bytes = new Uint8Array(bits.buffer);
        encodeFromF32('F16', f32, f32.length, bytes);
        feeds[w.key] = new ort.Tensor('float16', bits, [...w.dims]);
      }
      const out = await session.run(feeds);
      expect(out['logits']!.type).toBe('float32');
      expect(out['present.1.value']!.type).toBe('float16');
      const ref = referenceLogits(m.reference, m.config, [3, 17]);
      const logits = out['logits']!.data as Float32Array;
      ref.forEach((row, p) => expect(relError(logits.subarray(p * m.config.vocabSize, (p + 1) * m.config.vocabSize), row)).toBeLessThanOrEqual(2e-3));
    }
  });

  describe.each(['plain', 'contrib'] as const)('%s ops', (ops) => {
    it('logits are within float16 rounding of the reference, and not the float32 ones', async () => {
      const m = await tinyModel(UNTIED);
      const [f16, f32] = [await languageModel(m, ops, 'float16'), await languageModel(m, ops, 'float32')];
      const ids = prompts(1, m.config.vocabSize, 5, 24)[0]!;
      const [a, b] = [await f16.logits(ids), await f32.logits(ids)];
      const v = m.config.vocabSize;
      referenceLogits(m.reference, m.config, ids).forEach((ref, p) => {
        expect(relError(a.subarray(p * v, (p + 1) * v), ref)).toBeLessThanOrEqual(2e-3);
        expect(relError(b.subarray(p * v, (p + 1) * v), ref)).toBeLessThanOrEqual(1e-4);
      });
      // Computed in float16 indeed: the rounding shows.
      expect(relError(a, b)).toBeGreaterThan(1e-5);
    });

    it.each(MEMBERS)('greedy decoding of the tiny family (%s) gives the float32 tokens over 32 steps, batched', async (member) => {
      const m = await tinyModel(TIED, { member });
      const ps = prompts(5, m.config.vocabSize, 17);
      const [f16, f32] = [await languageModel(m, ops, 'float16', 3), await languageModel(m, ops, 'float32', 3)];
      const [a, b] = [await f16.generate(ps, { maxNewTokens: 32 }), await f32.generate(ps, { maxNewTokens: 32 })];
      expect(a.map((r) => r.ids)).toEqual(b.map((r) => r.ids));
      expect(a.every((r) => r.ids.length === 32)).toBe(true);
    });
  });

  it('untied heads (varied continuations): float16 leaves the float32 tokens only at a float32 near-tie', async () => {
    for (const member of MEMBERS) {
      const m = await tinyModel(UNTIED, { member });
      const ps = prompts(4, m.config.vocabSize, 23);
      const [f16, f32] = [await languageModel(m, 'contrib', 'float16'), await languageModel(m, 'contrib', 'float32')];
      const [a, b] = [await f16.generate(ps, { maxNewTokens: 32 }), await f32.generate(ps, { maxNewTokens: 32 })];
      for (const [i, p] of ps.entries()) {
        const k = a[i]!.ids.findIndex((id, j) => id !== b[i]!.ids[j]);
        if (k < 0) continue;
        // The float32 top-1 margin where they part is within float16's logit error (~3e-4 here).
        const logits = await f32.logits([...p, ...b[i]!.ids.slice(0, k)]);
        const v = m.config.vocabSize;
        expect(margin(logits.subarray(logits.length - v))).toBeLessThan(1e-3);
      }
    }
  });

  it('reports the top-1 agreement with float32 on a fixed prompt set', async () => {
    const rows: string[] = [];
    let agree = 0;
    let total = 0;
    let diff = 0;
    let scale = 0;
    for (const shape of [TIED, UNTIED]) {
      for (const member of MEMBERS) {
        const m = await tinyModel(shape, { member });
        const [f16, f32] = [await languageModel(m, 'contrib', 'float16'), await languageModel(m, 'contrib', 'float32')];
        let same = 0;
        let n = 0;
        for (const ids of prompts(8, m.config.vocabSize, 1234, 32)) {
          const [a, b] = [await f16.logits(ids), await f32.logits(ids)];
          const v = m.config.vocabSize;
          for (let i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
            scale = Math.max(scale, Math.abs(b[i]!));
          }
          for (let p = 0; p < ids.length; p++) {
            n++;
            if (argmax(a.subarray(p * v, (p + 1) * v)) === argmax(b.subarray(p * v, (p + 1) * v))) same++;
          }
        }
        rows.push(`${shape.tiedEmbeddings ? 'tied' : 'untied'} ${member}: ${same}/${n}`);
        agree += same;
        total += n;
      }
    }
    console.log(
      `float16 top-1 agreement with float32 (8 prompts × 32 positions per model): ${agree}/${total} = ${((100 * agree) / total).toFixed(2)}%;` +
        ` max |logit difference| ${diff.toExponential(2)} (max |logit| ${scale.toFixed(2)})\n  ${rows.join('\n  ')}`,
    );
    expect(agree / total).toBeGreaterThanOrEqual(0.99);
  });
});
