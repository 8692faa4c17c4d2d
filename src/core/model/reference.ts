/**
 * A plain float64 forward pass of a Qwen2 / Llama decoder, for tests only (it checks exported
 * ONNX graphs' logits). Slow and simple on purpose: one loop nest per operation, weights in the
 * safetensors layout (row-major [out, in], y = W x).
 *
 *   x = embed[ids]
 *   per layer:  x += o_proj(attention(rope(q(norm1 x)), rope(k(norm1 x)), v(norm1 x)))
 *               x += down(silu(gate(norm2 x)) * up(norm2 x))
 *   logits = lm_head(norm x)        (lm_head = embed when tied)
 */
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import { tensorValues } from '../testing/reference.ts';
import type { DecoderConfig } from './config.ts';

export type ReferenceModelErrorCode = 'MISSING_TENSOR' | 'SHAPE_MISMATCH' | 'INVALID_TOKEN';

export class ReferenceModelError extends Error {
  override readonly name = 'ReferenceModelError';
  constructor(
    readonly code: ReferenceModelErrorCode,
    message: string,
    readonly tensor?: string,
  ) {
    super(`${tensor ? `tensor "${tensor}": ` : ''}${message}`);
  }
}

/** Weights by Hugging Face name, as float64, with their shapes. */
export interface ReferenceWeights {
  readonly values: (name: string) => Float64Array;
  readonly shape: (name: string) => readonly number[] | undefined;
}

/** Every tensor of a (tiny) checkpoint read into memory as float64. */
export async function loadWeights(checkpoint: Checkpoint): Promise<ReferenceWeights> {
  const values = new Map<string, Float64Array>();
  for (const name of checkpoint.tensors.keys()) values.set(name, await tensorValues(checkpoint, name));
  return {
    values: (name) => {
      const v = values.get(name);
      if (!v) throw new ReferenceModelError('MISSING_TENSOR', `is not in ${checkpoint.name}`, name);
      return v;
    },
    shape: (name) => checkpoint.tensors.get(name)?.info.shape,
  };
}

export interface ReferenceOptions {
  /** Position of ids[0] (RoPE only); 0 by default. */
  readonly positionOffset?: number;
}

/** Logits (one Float64Array of vocab_size per position) for the token ids `ids`. */
export function referenceLogits(weights: ReferenceWeights, config: DecoderConfig, ids: readonly number[], options: ReferenceOptions = {}): Float64Array[] {
  const { hiddenSize: h, vocabSize } = config;
  const w = (name: string, dims: readonly number[]): Float64Array => tensor(weights, name, dims);
  const embed = w('model.embed_tokens.weight', [vocabSize, h]);
  let x: Float64Array[] = ids.map((id) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new ReferenceModelError('INVALID_TOKEN', `token id ${id} is outside [0, ${vocabSize})`);
    return embed.slice(id * h, (id + 1) * h);
  });
  const offset = options.positionOffset ?? 0;
  for (let layer = 0; layer < config.numLayers; layer++) x = decoderLayer(w, config, `model.layers.${layer}`, x, offset);
  const norm = w('model.norm.weight', [h]);
  const head = config.tieWordEmbeddings ? embed : w('lm_head.weight', [vocabSize, h]);
  return x.map((xi) => linear(head, rmsNorm(xi, norm, config.rmsNormEps), vocabSize));
}

type Get = (name: string, dims: readonly number[]) => Float64Array;

function decoderLayer(w: Get, c: DecoderConfig, p: string, x: Float64Array[], offset: number): Float64Array[] {
  const h = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const ln1 = w(`${p}.input_layernorm.weight`, [h]);
  const proj = (name: string, out: number) => {
    const weight = w(`${p}.self_attn.${name}.weight`, [out, h]);
    const bias = c.attentionBias ? w(`${p}.self_attn.${name}.bias`, [out]) : undefined;
    return (v: Float64Array) => linear(weight, v, out, bias);
  };
  const [qProj, kProj, vProj] = [proj('q_proj', qDim), proj('k_proj', kvDim), proj('v_proj', kvDim)];
  const normed = x.map((xi) => rmsNorm(xi, ln1, c.rmsNormEps));
  const q = normed.map((n, i) => rope(qProj(n), c.numHeads, c.headDim, offset + i, c.ropeTheta));
  const k = normed.map((n, i) => rope(kProj(n), c.numKvHeads, c.headDim, offset + i, c.ropeTheta));
  const v = normed.map((n) => vProj(n));
  const oProj = w(`${p}.self_attn.o_proj.weight`, [h, qDim]);
  const afterAttn = x.map((xi, i) => add(xi, linear(oProj, attention(q, k, v, i, c), h)));

  const ln2 = w(`${p}.post_attention_layernorm.weight`, [h]);
  const gate = w(`${p}.mlp.gate_proj.weight`, [c.intermediateSize, h]);
  const up = w(`${p}.mlp.up_proj.weight`, [c.intermediateSize, h]);
  const down = w(`${p}.mlp.down_proj.weight`, [h, c.intermediateSize]);
  return afterAttn.map((xi) => {
    const n = rmsNorm(xi, ln2, c.rmsNormEps);
    const g = linear(gate, n, c.intermediateSize);
    const u = linear(up, n, c.intermediateSize);
    for (let j = 0; j < g.length; j++) g[j] = (g[j]! / (1 + Math.exp(-g[j]!))) * u[j]!;
    return add(xi, linear(down, g, h));
  });
}

/** Causal grouped-query attention output (numHeads × headDim) at query position `i`. */
function attention(q: Float64Array[], k: Float64Array[], v: Float64Array[], i: number, c: DecoderConfig): Float64Array {
  const d = c.headDim;
  const group = c.numHeads / c.numKvHeads;
  const scale = 1 / Math.sqrt(d);
  const out = new Float64Array(c.numHeads * d);
  const scores = new Float64Array(i + 1);
  for (let head = 0; head < c.numHeads; head++) {
    const qo = head * d;
    const ko = Math.floor(head / group) * d;
    let max = -Infinity;
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += q[i]![qo + t]! * k[j]![ko + t]!;
      scores[j] = s * scale;
      max = Math.max(max, scores[j]!);
    }
    let sum = 0;
    for (let j = 0; j <= i; j++) sum += scores[j] = Math.exp(scores[j]! - max);
    for (let j = 0; j <= i; j++) {
      const p = scores[j]! / sum;
      for (let t = 0; t < d; t++) out[qo + t]! += p * v[j]![ko + t]!;
    }
  }
  return out;
}

/** Rotary embedding in place, HF `rotate_half` convention: dims (t, t + d/2) rotate together. */
function rope(x: Float64Array, heads: number, d: number, position: number, theta: number): Float64Array {
  const half = d / 2;
  for (let t = 0; t < half; t++) {
    const angle = position * theta ** (-(2 * t) / d);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    for (let head = 0; head < heads; head++) {
      const a = head * d + t;
      const b = a + half;
      const x1 = x[a]!;
      const x2 = x[b]!;
      x[a] = x1 * cos - x2 * sin;
      x[b] = x2 * cos + x1 * sin;
    }
  }
  return x;
}

function rmsNorm(x: Float64Array, weight: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (let j = 0; j < x.length; j++) ss += x[j]! * x[j]!;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, j) => v * r * weight[j]!);
}

/** y = W x (+ b), W row-major [out, in]. */
function linear(weight: Float64Array, x: Float64Array, out: number, bias?: Float64Array): Float64Array {
  const n = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = bias ? bias[o]! : 0;
    const row = o * n;
    for (let j = 0; j < n; j++) s += weight[row + j]! * x[j]!;
    y[o] = s;
  }
  return y;
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, j) => v + b[j]!);
}

function tensor(weights: ReferenceWeights, name: string, dims: readonly number[]): Float64Array {
  const shape = weights.shape(name);
  if (!shape) throw new ReferenceModelError('MISSING_TENSOR', 'is missing', name);
  if (shape.length !== dims.length || shape.some((s, i) => s !== dims[i])) {
    throw new ReferenceModelError('SHAPE_MISMATCH', `has shape [${shape.join(', ')}], expected [${dims.join(', ')}]`, name);
  }
  return weights.values(name);
}
