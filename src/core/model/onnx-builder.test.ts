// The plain-ONNX Qwen2 graph run by onnxruntime-web (wasm, in Node) against the float64
// reference: tied and untied heads, several sequences, and a left-padded batch of two.
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type Qwen2Shape } from '../checkpoint/synthetic.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { parseDecoderConfig, type DecoderConfig } from './config.ts';
import { buildQwen2Graph } from './onnx-builder.ts';
import { GraphBuilder, OnnxGraphError } from './onnx-ops.ts';
import { loadWeights, referenceLogits, type ReferenceWeights } from './reference.ts';

ort.env.wasm.numThreads = 1;

interface Model {
  readonly weights: ReferenceWeights;
  readonly config: DecoderConfig;
  readonly session: ort.InferenceSession;
}

async function tinyModel(shape: Qwen2Shape): Promise<Model> {
  const out = new MemoryFolder('m');
  await writeFamilyMember({ shape, dtype: 'F32', member: 'init', out });
  const ckpt = await openCheckpoint(out);
  const weights = await loadWeights(ckpt);
  const config = parseDecoderConfig(ckpt.config);
  return { weights, config, session: await ort.InferenceSession.create(buildQwen2Graph(config, weights)) };
}

const i64 = (rows: readonly (readonly number[])[]) =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);

/** Logits rows [batch][position] → Float32Array(vocab). */
async function run(m: Model, ids: number[][], mask: number[][], positions: number[][]): Promise<Float32Array[][]> {
  const result = await m.session.run({ input_ids: i64(ids), attention_mask: i64(mask), position_ids: i64(positions) });
  const logits = result['logits']!;
  const [batch, seq, vocab] = logits.dims as [number, number, number];
  expect([batch, seq, vocab]).toEqual([ids.length, ids[0]!.length, m.config.vocabSize]);
  const data = logits.data as Float32Array;
  return Array.from({ length: batch }, (_, b) => Array.from({ length: seq }, (_, s) => data.subarray((b * seq + s) * vocab, (b * seq + s + 1) * vocab)));
}

/** max |a − b| / max |b| */
function relError(a: Float32Array, b: Float64Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

const SEQUENCES = [[3, 17, 96, 0, 41, 41, 8], [5], [90, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]];
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe.each([
  ['tied', TINY_QWEN2],
  ['untied', { ...TINY_QWEN2, tiedEmbeddings: false }],
])('buildQwen2Graph (%s head)', (_label, shape) => {
  let m: Model;
  beforeAll(async () => {
    m = await tinyModel(shape);
  });

  it.each(SEQUENCES.map((s) => [s.length, s]))('matches the reference on %i tokens', async (_n, ids) => {
    const [rows] = await run(m, [ids], [ids.map(() => 1)], [range(ids.length)]);
    const ref = referenceLogits(m.weights, m.config, ids);
    const errors = ref.map((r, s) => relError(rows![s]!, r));
    for (const e of errors) expect(e).toBeLessThanOrEqual(1e-4);
  });

  it('matches the unpadded reference on a left-padded batch of two', async () => {
    const long = SEQUENCES[0]!;
    const short = [44, 12, 7];
    const pad = long.length - short.length;
    const [a, b] = await run(
      m,
      [long, [...Array<number>(pad).fill(0), ...short]],
      [long.map(() => 1), [...Array<number>(pad).fill(0), ...short.map(() => 1)]],
      [range(long.length), [...Array<number>(pad).fill(1), ...range(short.length)]],
    );
    const refLong = referenceLogits(m.weights, m.config, long);
    const refShort = referenceLogits(m.weights, m.config, short);
    for (let s = 0; s < long.length; s++) expect(relError(a![s]!, refLong[s]!)).toBeLessThanOrEqual(1e-4);
    for (let s = 0; s < short.length; s++) expect(relError(b![pad + s]!, refShort[s]!)).toBeLessThanOrEqual(1e-4);
    for (const row of b!) expect(row.every(Number.isFinite)).toBe(true);
  });
});

describe('OnnxGraphError', () => {
  it('SHAPE_MISMATCH names a weight whose shape does not fit the config', async () => {
    const m = await tinyModel(TINY_QWEN2);
    const wrong = { ...m.config, intermediateSize: m.config.intermediateSize + 1 };
    expect(() => buildQwen2Graph(wrong, m.weights)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', tensor: 'model.layers.0.mlp.gate_proj.weight' }));
    expect(() => buildQwen2Graph(wrong, m.weights)).toThrow(OnnxGraphError);
  });

  it('DUPLICATE_NAME rejects a second definition of a name', () => {
    const g = new GraphBuilder();
    g.f32('/x', 1);
    expect(() => g.f32('/x', 2)).toThrow(expect.objectContaining({ code: 'DUPLICATE_NAME' }));
  });
});
