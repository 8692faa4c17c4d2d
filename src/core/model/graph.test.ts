// The decoder graph (both operator sets, every weight placement) on onnxruntime-web's wasm
// backend in Node, against the float64 reference: prefill, step-by-step decoding through the KV
// cache, and left-padded batches.
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_QWEN2 } from '../checkpoint/synthetic.ts';
import { relError, tinyModel, type TinyModel } from '../testing/model.ts';
import { buildDecoderGraph, externalDataFile, type OpSet, type WeightPlacement } from './graph.ts';
import { GraphBuilder, OnnxGraphError } from './onnx-ops.ts';
import { referenceLogits } from './reference.ts';
import { checkpointShapes } from './weights.ts';

ort.env.wasm.numThreads = 1;

const i64 = (rows: readonly (readonly number[])[]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);

function emptyPast(m: TinyModel, batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < m.config.numLayers; l++) {
    for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [batch, m.config.numKvHeads, 0, m.config.headDim]);
  }
  return feeds;
}

interface Step {
  readonly ids: number[][];
  readonly mask: number[][];
  readonly positions: number[][];
}

/** Runs `steps` through the cache; per step, logits [batch][position] → vocab row. */
async function runSteps(session: ort.InferenceSession, m: TinyModel, steps: readonly Step[], extra: Record<string, ort.Tensor> = {}): Promise<Float32Array[][][]> {
  let past = emptyPast(m, steps[0]!.ids.length);
  const all: Float32Array[][][] = [];
  for (const step of steps) {
    const out = await session.run({ input_ids: i64(step.ids), attention_mask: i64(step.mask), position_ids: i64(step.positions), ...past, ...extra });
    const logits = out['logits']!;
    const [batch, seq, vocab] = logits.dims as [number, number, number];
    expect([batch, seq, vocab]).toEqual([step.ids.length, step.ids[0]!.length, m.config.vocabSize]);
    const data = logits.data as Float32Array;
    all.push(Array.from({ length: batch }, (_, b) => Array.from({ length: seq }, (_, s) => data.subarray((b * seq + s) * vocab, (b * seq + s + 1) * vocab))));
    past = {};
    for (let l = 0; l < m.config.numLayers; l++) {
      for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = out[`present.${l}.${kv}`]!;
    }
    const total = step.mask[0]!.length;
    expect(out['present.0.key']!.dims).toEqual([batch, m.config.numKvHeads, total, m.config.headDim]);
  }
  return all;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const single = (ids: number[], from = 0, total = from + ids.length): Step => ({ ids: [ids], mask: [range(total).map(() => 1)], positions: [range(ids.length, from)] });
const SEQUENCES = [[3, 17, 96, 0, 41, 41, 8], [5], [90, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]];

async function session(m: TinyModel, ops: OpSet, weights: WeightPlacement = { kind: 'inline', values: (k) => m.f32.get(k)! }) {
  const graph = buildDecoderGraph(m.config, { ops, weights, shapes: checkpointShapes(m.checkpoint) });
  return ort.InferenceSession.create(graph.model);
}

describe.each([
  ['plain', 'tied', undefined],
  ['plain', 'untied', 20_000],
  ['contrib', 'tied', 20_000],
  ['contrib', 'untied', undefined],
] as const)('decoder graph, %s ops, %s head, shard size %s', (ops, head, shardSize) => {
  let m: TinyModel;
  let s: ort.InferenceSession;
  beforeAll(async () => {
    m = await tinyModel({ ...TINY_QWEN2, tiedEmbeddings: head === 'tied' }, shardSize === undefined ? {} : { shardSize });
    if (shardSize !== undefined) expect(m.checkpoint.shards.length).toBeGreaterThan(1);
    s = await session(m, ops);
  });

  it.each(SEQUENCES.map((q) => [q.length, q]))('prefill of %i tokens matches the reference', async (_n, ids) => {
    const [[rows]] = (await runSteps(s, m, [single(ids)])) as [[Float32Array[]]];
    referenceLogits(m.reference, m.config, ids).forEach((ref, p) => expect(relError(rows[p]!, ref)).toBeLessThanOrEqual(1e-4));
  });

  it('decoding token by token through the cache matches the reference at every position', async () => {
    const ids = SEQUENCES[2]!;
    const steps = [single(ids.slice(0, 4)), ...ids.slice(4).map((id, i) => single([id], 4 + i))];
    const out = await runSteps(s, m, steps);
    const ref = referenceLogits(m.reference, m.config, ids);
    const got = out.flatMap(([rows]) => rows!);
    expect(got).toHaveLength(ids.length);
    got.forEach((row, p) => expect(relError(row, ref[p]!)).toBeLessThanOrEqual(1e-4));
  });

  it('a left-padded batch of two matches the unpadded reference, prefill and decode', async () => {
    const long = SEQUENCES[0]!;
    const short = [44, 12, 7];
    const pad = long.length - short.length;
    const mask = [long.map(() => 1), [...Array<number>(pad).fill(0), ...short.map(() => 1)]];
    const steps: Step[] = [
      { ids: [long, [...Array<number>(pad).fill(0), ...short]], mask, positions: [range(long.length), [...Array<number>(pad).fill(0), ...range(short.length)]] },
      { ids: [[9], [10]], mask: mask.map((r) => [...r, 1]), positions: [[long.length], [short.length]] },
    ];
    const [prefill, decode] = await runSteps(s, m, steps);
    const refLong = referenceLogits(m.reference, m.config, [...long, 9]);
    const refShort = referenceLogits(m.reference, m.config, [...short, 10]);
    long.forEach((_, p) => expect(relError(prefill![0]![p]!, refLong[p]!)).toBeLessThanOrEqual(1e-4));
    short.forEach((_, p) => expect(relError(prefill![1]![pad + p]!, refShort[p]!)).toBeLessThanOrEqual(1e-4));
    expect(relError(decode![0]![0]!, refLong[long.length]!)).toBeLessThanOrEqual(1e-4);
    expect(relError(decode![1]![0]!, refShort[short.length]!)).toBeLessThanOrEqual(1e-4);
    for (const row of prefill![1]!) expect(row.every(Number.isFinite)).toBe(true);
  });
});

describe('weight placements give the same logits bit for bit', () => {
  let m: TinyModel;
  let inline: Float32Array;
  const ids = SEQUENCES[0]!;
  beforeAll(async () => {
    m = await tinyModel({ ...TINY_QWEN2, tiedEmbeddings: false });
    inline = (await runSteps(await session(m, 'contrib'), m, [single(ids)]))[0]![0]![ids.length - 1]!;
  });

  it('external data files, split under the size limit', async () => {
    const graph = buildDecoderGraph(m.config, { ops: 'contrib', weights: { kind: 'external', maxFileBytes: 40_000 }, shapes: checkpointShapes(m.checkpoint) });
    const files = new Map<string, Uint8Array[]>();
    for (const w of graph.weights) {
      const data = m.f32.get(w.key)!;
      expect(w.file).toBeDefined();
      const parts = files.get(w.file!) ?? [];
      expect(parts.reduce((n, p) => n + p.byteLength, 0)).toBe(w.offset);
      parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      files.set(w.file!, parts);
    }
    expect(files.size).toBeGreaterThan(1);
    expect([...files.keys()][0]).toBe(externalDataFile(0));
    const externalData = [...files].map(([path, parts]) => {
      const data = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let at = 0;
      for (const p of parts) (data.set(p, at), (at += p.byteLength));
      expect(data.byteLength).toBeLessThanOrEqual(40_000 + 4 * m.config.vocabSize * m.config.hiddenSize);
      return { path, data };
    });
    const s = await ort.InferenceSession.create(graph.model, { externalData });
    const got = (await runSteps(s, m, [single(ids)]))[0]![0]![ids.length - 1]!;
    expect(Array.from(got)).toEqual(Array.from(inline));
  });

  it('graph inputs fed with the weights', async () => {
    const graph = buildDecoderGraph(m.config, { ops: 'contrib', weights: { kind: 'inputs' }, shapes: checkpointShapes(m.checkpoint) });
    const feeds = Object.fromEntries(graph.weights.map((w) => [w.key, new ort.Tensor('float32', m.f32.get(w.key)!, [...w.dims])]));
    expect(graph.inputs.map((v) => v.name)).toEqual(expect.arrayContaining(['model.embed_tokens.weight', 'lm_head.weight', 'model.layers.1.self_attn.q_proj.bias']));
    const s = await ort.InferenceSession.create(graph.model);
    const got = (await runSteps(s, m, [single(ids)], feeds))[0]![0]![ids.length - 1]!;
    expect(Array.from(got)).toEqual(Array.from(inline));
  });
});

describe('OnnxGraphError', () => {
  it('SHAPE_MISMATCH names a weight whose shape does not fit the config', async () => {
    const m = await tinyModel(TINY_QWEN2);
    const wrong = { ...m.config, intermediateSize: m.config.intermediateSize + 1 };
    const build = () => buildDecoderGraph(wrong, { ops: 'plain', weights: { kind: 'inputs' }, shapes: checkpointShapes(m.checkpoint) });
    expect(build).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', tensor: 'model.layers.0.mlp.gate_proj.weight' }));
    expect(build).toThrow(OnnxGraphError);
  });

  it('SHAPE_MISMATCH names a missing weight', async () => {
    const m = await tinyModel({ ...TINY_QWEN2, tiedEmbeddings: true });
    const untied = { ...m.config, tieWordEmbeddings: false };
    expect(() => buildDecoderGraph(untied, { ops: 'plain', weights: { kind: 'inputs' }, shapes: checkpointShapes(m.checkpoint) })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', tensor: 'lm_head.weight', message: expect.stringContaining('is missing') }),
    );
  });

  it('DUPLICATE_NAME rejects a second definition of a name', () => {
    const g = new GraphBuilder();
    g.f32('/x', 1);
    expect(() => g.f32('/x', 2)).toThrow(expect.objectContaining({ code: 'DUPLICATE_NAME' }));
  });
});
