/**
 * A page for e2e/inference.spec.ts: the decoder on onnxruntime-web's WebGPU backend in the
 * browser, against the float64 reference, with weights bound as GPU buffers on onnxruntime's own
 * device — and α changed in place by the resident merge. Not part of the studio.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../../src/core/checkpoint/synthetic.ts';
import { openCheckpoint, type Checkpoint } from '../../src/core/checkpoint/checkpoint.ts';
import { MemoryFolder } from '../../src/core/io/bytes.ts';
import { createResidentMerge, uploadCheckpointWeights, type ResidentWeight } from '../../src/core/gpu/resident-merge.ts';
import { createCpuBackend } from '../../src/core/merge/cpu-kernel.ts';
import { planMerge } from '../../src/core/merge/plan.ts';
import { mergeRecipe } from '../../src/core/merge/recipe.ts';
import { mergeToFolder } from '../../src/core/merge/run.ts';
import { parseDecoderConfig, type DecoderConfig } from '../../src/core/model/config.ts';
import { buildDecoderGraph, type DecoderGraph } from '../../src/core/model/graph.ts';
import { OnnxLanguageModel } from '../../src/core/model/onnx-lm.ts';
import { referenceLogits } from '../../src/core/model/reference.ts';
import { decoderSessionOptions } from '../../src/core/model/session.ts';
import { checkpointShapes } from '../../src/core/model/weights.ts';
import { referenceGreedy, referenceLoglikelihood, relError, tinyModel } from '../../src/core/testing/model.ts';
import mergeWgsl from '../../shaders/merge.wgsl?raw';
import dtypeWgsl from '../../shaders/dtype.wgsl?raw';

ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
ort.env.wasm.numThreads = 1;

const shaders = { merge: mergeWgsl, dtype: dtypeWgsl };
const PROMPTS = [[3, 17, 96, 0, 41, 41, 8], [5], [90, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [44, 12, 7]];

async function session(config: DecoderConfig, checkpoint: Checkpoint): Promise<{ graph: DecoderGraph; session: ort.InferenceSession; device: GPUDevice }> {
  const graph = buildDecoderGraph(config, { ops: 'contrib', weights: { kind: 'inputs' }, shapes: checkpointShapes(checkpoint), logitsToKeep: true });
  const s = await ort.InferenceSession.create(graph.model, decoderSessionOptions(config, 'webgpu'));
  // onnxruntime ignores a device of ours: its own exists once a WebGPU session does.
  const device = (await ort.env.webgpu.device) as GPUDevice;
  return { graph, session: s, device };
}

function feeds(weights: readonly ResidentWeight[]): Record<string, ort.Tensor> {
  return Object.fromEntries(weights.map((w) => [w.key, ort.Tensor.fromGpuBuffer(w.buffer, { dataType: 'float32', dims: w.dims })]));
}

function lm(config: DecoderConfig, s: ort.InferenceSession, weights: readonly ResidentWeight[], batchSize: number): OnnxLanguageModel {
  return new OnnxLanguageModel({ ort, session: s, config, batchSize, padTokenId: 0, weights: feeds(weights) });
}

export interface LogitsCheck {
  readonly label: string;
  readonly adapter: string;
  readonly maxRelError: number;
  readonly greedyMatches: boolean;
  readonly batchEqualsOneByOne: boolean;
  readonly loglikelihoodMaxError: number;
  readonly greedyFlagsMatch: boolean;
}

async function checkLogits(tied: boolean, shardSize?: number): Promise<LogitsCheck> {
  const m = await tinyModel({ ...TINY_QWEN2, tiedEmbeddings: tied }, shardSize === undefined ? {} : { shardSize });
  const { graph, session: s, device } = await session(m.config, m.checkpoint);
  const weights = await uploadCheckpointWeights(device, m.checkpoint, graph.weights);
  try {
    const one = lm(m.config, s, weights, 1);
    const four = lm(m.config, s, weights, 4);
    let maxRelError = 0;
    for (const p of PROMPTS.filter((q) => q.length > 1)) {
      const ref = referenceLogits(m.reference, m.config, p);
      const got = await rawLogits(s, m.config, p, weights);
      ref.forEach((row, i) => (maxRelError = Math.max(maxRelError, relError(got.subarray(i * m.config.vocabSize, (i + 1) * m.config.vocabSize), row))));
    }
    const single = await one.generate(PROMPTS, { maxNewTokens: 8 });
    const batched = await four.generate(PROMPTS, { maxNewTokens: 8 });
    const greedyMatches = PROMPTS.every((p, i) => JSON.stringify(single[i]!.ids) === JSON.stringify(referenceGreedy(m, p, 8)));
    const batchEqualsOneByOne = JSON.stringify(single.map((r) => r.ids)) === JSON.stringify(batched.map((r) => r.ids));
    const requests = PROMPTS.map((p, i) => ({ context: p, continuation: PROMPTS[(i + 1) % PROMPTS.length]!.slice(0, 3) }));
    const ll = await four.loglikelihood(requests);
    let loglikelihoodMaxError = 0;
    let greedyFlagsMatch = true;
    requests.forEach((r, i) => {
      const ref = referenceLoglikelihood(m, r.context, r.continuation);
      loglikelihoodMaxError = Math.max(loglikelihoodMaxError, Math.abs(ll[i]!.logprob - ref.logprob) / Math.max(1, Math.abs(ref.logprob)));
      if (ll[i]!.greedy !== ref.greedy) greedyFlagsMatch = false;
    });
    return { label: `${tied ? 'tied' : 'untied'}${shardSize ? ', sharded' : ''}`, adapter: adapterName(device), maxRelError, greedyMatches, batchEqualsOneByOne, loglikelihoodMaxError, greedyFlagsMatch };
  } finally {
    for (const w of weights) w.buffer.destroy();
    await s.release();
  }
}

/** One forward pass over `ids`, logits of every position [S × V]. */
async function rawLogits(s: ort.InferenceSession, config: DecoderConfig, ids: readonly number[], weights: readonly ResidentWeight[]): Promise<Float32Array> {
  const i64 = (a: readonly number[]) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [1, a.length]);
  const past: Record<string, ort.Tensor> = {};
  for (let l = 0; l < config.numLayers; l++) {
    for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, config.numKvHeads, 0, config.headDim]);
  }
  const out = await s.run({
    input_ids: i64(ids),
    attention_mask: i64(ids.map(() => 1)),
    position_ids: i64(ids.map((_, i) => i)),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(BigInt(ids.length)), []),
    ...past,
    ...feeds(weights),
  });
  const logits = out['logits']!;
  const data = (logits.location === 'cpu' ? logits.data : await logits.getData()) as Float32Array;
  for (const t of Object.values(out)) t.dispose();
  return data;
}

function adapterName(device: GPUDevice): string {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown' : 'unknown';
}

async function member(m: FamilyMember, shardSize?: number): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: m, out: folder, ...(shardSize ? { shardSize } : {}) });
  return openCheckpoint(folder);
}

export interface AlphaCheck {
  readonly alphas: readonly number[];
  /** Per α after the first: whether in-place logits equal a fresh model's, bit for bit. */
  readonly identical: readonly boolean[];
  readonly maxAbsDiff: readonly number[];
  /** Whether changing α changed the logits at all. */
  readonly changed: boolean;
  /** Milliseconds: α change in place (merge kernel) vs rebuilding (CPU merge + session + upload). */
  readonly inPlaceMs: readonly number[];
  readonly rebuildMs: readonly number[];
}

async function alphaInPlace(alphas: readonly number[]): Promise<AlphaCheck> {
  const roles = new Map([
    ['target', await member('target', 40_000)],
    ['sft', await member('sft')],
    ['grpo', await member('grpo')],
  ]);
  const target = roles.get('target')!;
  const config = parseDecoderConfig(target.config);
  const recipe = (alpha: number) => mergeRecipe(alpha, { dtype: 'F32' });
  const { graph, session: s, device } = await session(config, target);
  const resident = await createResidentMerge(device, shaders, planMerge(recipe(alphas[0]!), roles), graph.weights);
  const ids = PROMPTS[2]!;
  const identical: boolean[] = [];
  const maxAbsDiff: number[] = [];
  const inPlaceMs: number[] = [];
  const rebuildMs: number[] = [];
  let first: Float32Array | null = null;
  let changed = false;
  try {
    for (const alpha of alphas) {
      let t0 = performance.now();
      await resident.apply(planMerge(recipe(alpha), roles));
      const inPlace = await rawLogits(s, config, ids, resident.weights);
      inPlaceMs.push(performance.now() - t0);
      if (first === null) first = inPlace;
      else if (inPlace.some((x, i) => x !== first![i])) changed = true;

      // A fresh model for the same α: merged on the CPU, a new session, new buffers.
      t0 = performance.now();
      const out = new MemoryFolder('fresh');
      await mergeToFolder({ recipe: recipe(alpha), roles, backend: createCpuBackend(), out });
      const fresh = await openCheckpoint(out);
      const other = await session(config, fresh);
      const weights = await uploadCheckpointWeights(other.device, fresh, other.graph.weights);
      const want = await rawLogits(other.session, config, ids, weights);
      rebuildMs.push(performance.now() - t0);
      for (const w of weights) w.buffer.destroy();
      await other.session.release();

      identical.push(want.every((x, i) => Object.is(x, inPlace[i])));
      maxAbsDiff.push(want.reduce((m, x, i) => Math.max(m, Math.abs(x - inPlace[i]!)), 0));
    }
  } finally {
    resident.destroy();
  }
  await s.release();
  return { alphas, identical, maxAbsDiff, changed, inPlaceMs, rebuildMs };
}

declare global {
  interface Window {
    rvsInference: { checkLogits: typeof checkLogits; alphaInPlace: typeof alphaInPlace };
  }
}

window.rvsInference = { checkLogits, alphaInPlace };
document.getElementById('status')!.textContent = 'ready';
