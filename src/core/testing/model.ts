/**
 * Test helpers for the model: tiny checkpoints opened with their float32 weights, reference
 * greedy decoding and log-likelihood from the float64 forward pass, and an error measure.
 */
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { writeFamilyMember, type FamilyMember, type Qwen2Shape } from '../checkpoint/synthetic.ts';
import type { FloatDtype } from '../dtype.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { parseDecoderConfig, type DecoderConfig } from '../model/config.ts';
import { loadWeights, referenceLogits, type ReferenceWeights } from '../model/reference.ts';
import { readAllWeightsF32 } from '../model/weights.ts';

export interface TinyModel {
  readonly checkpoint: Checkpoint;
  readonly config: DecoderConfig;
  readonly reference: ReferenceWeights;
  readonly f32: Map<string, Float32Array>;
}

export async function tinyModel(shape: Qwen2Shape, options: { member?: FamilyMember; dtype?: FloatDtype; shardSize?: number; seed?: number } = {}): Promise<TinyModel> {
  const out = new MemoryFolder('tiny');
  await writeFamilyMember({
    shape, dtype: options.dtype ?? 'F32', member: options.member ?? 'init', out,
    ...(options.shardSize === undefined ? {} : { shardSize: options.shardSize }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const checkpoint = await openCheckpoint(out);
  return { checkpoint, config: parseDecoderConfig(checkpoint.config), reference: await loadWeights(checkpoint), f32: await readAllWeightsF32(checkpoint) };
}

/** Greedy continuation of `prompt` by the float64 reference (first index on ties). */
export function referenceGreedy(m: TinyModel, prompt: readonly number[], maxNewTokens: number): number[] {
  const ids = [...prompt];
  const out: number[] = [];
  for (let i = 0; i < maxNewTokens; i++) {
    const last = referenceLogits(m.reference, m.config, ids).at(-1)!;
    let best = 0;
    for (let j = 1; j < last.length; j++) if (last[j]! > last[best]!) best = j;
    out.push(best);
    ids.push(best);
  }
  return out;
}

/** Σ log softmax of the continuation, and whether each token is the argmax, in float64. */
export function referenceLoglikelihood(m: TinyModel, context: readonly number[], continuation: readonly number[]): { logprob: number; greedy: boolean } {
  const all = [...context, ...continuation];
  const logits = referenceLogits(m.reference, m.config, all.slice(0, -1));
  let logprob = 0;
  let greedy = true;
  continuation.forEach((token, j) => {
    const row = logits[context.length - 1 + j]!;
    let max = -Infinity;
    let best = 0;
    row.forEach((x, i) => {
      if (x > max) [max, best] = [x, i];
    });
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    logprob += row[token]! - max - Math.log(sum);
    if (best !== token) greedy = false;
  });
  return { logprob, greedy };
}

/** max |a − b| / max |b| */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}
