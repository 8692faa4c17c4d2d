/**
 * A plain-ONNX Qwen2 / Llama decoder graph (standard opset-17 ops, no KV cache yet), weights as
 * float32 initializers. Inputs and outputs are named as in transformers.js / Optimum exports:
 *
 *   input_ids, attention_mask, position_ids [batch, sequence] int64  →  logits [batch, sequence, vocab] float32
 *
 * Linear weights are stored transposed ([in, out], y = x W) under their Hugging Face names; a tied
 * head reuses `model.embed_tokens.weight` through a Transpose node. Node names mirror the weight
 * keys (`/model/layers.3/mlp/gate_proj/MatMul`).
 */
import type { DecoderConfig } from './config.ts';
import type { ReferenceWeights } from './reference.ts';
import {
  add, cast, concat, constantOfShape, cos, div, encodeModel, gather, GraphBuilder, OnnxGraphError, matMul, mul, neg, pow, reduceMean, reshape,
  shapeOf, sigmoid, sin, slice, softmax, sqrt, sub, transpose, trilu, unsqueeze, type Value,
} from './onnx-ops.ts';

const B = 'batch_size';
const S = 'sequence_length';
const FLOAT32_MIN = -3.4028234663852886e38;

interface Ctx {
  readonly g: GraphBuilder;
  readonly c: DecoderConfig;
  readonly weights: ReferenceWeights;
}

/** Serialized ModelProto bytes for `config` with `weights` (tiny models: everything inline). */
export function buildQwen2Graph(config: DecoderConfig, weights: ReferenceWeights): Uint8Array {
  const g = new GraphBuilder();
  const ctx: Ctx = { g, c: config, weights };
  const ids: Value = { name: 'input_ids', dtype: 'int64', shape: [B, S] };
  const mask: Value = { name: 'attention_mask', dtype: 'int64', shape: [B, S] };
  const positions: Value = { name: 'position_ids', dtype: 'int64', shape: [B, S] };

  const embed = param(ctx, 'model.embed_tokens.weight', [config.vocabSize, config.hiddenSize]);
  let x = gather(g, '/model/embed_tokens/Gather', embed, ids);
  const rope = rotaryTables(ctx, positions);
  const bias = attentionBias(ctx, mask);
  for (let i = 0; i < config.numLayers; i++) x = decoderLayer(ctx, `model.layers.${i}`, x, rope, bias);
  x = rmsNorm(ctx, 'model.norm', x);
  const head = config.tieWordEmbeddings
    ? transpose(g, '/lm_head/Transpose', embed, [1, 0])
    : linearWeight(ctx, 'lm_head.weight', config.vocabSize, config.hiddenSize);
  const logits = g.node('MatMul', '/lm_head/MatMul', [x, head], { dtype: 'float32', shape: [B, S, config.vocabSize], name: 'logits' });
  return encodeModel(g, 'qwen2', [ids, mask, positions], [logits]);
}

/**
 *   x ─ ln1 ─ attention ─(+)─ ln2 ─ mlp ─(+)─ out
 *   └──────────────────────┘└───────────────┘
 */
function decoderLayer(ctx: Ctx, p: string, x: Value, rope: Rope, bias: Value): Value {
  const h = add(ctx.g, `/${p}/attn_add/Add`, x, attention(ctx, `${p}.self_attn`, rmsNorm(ctx, `${p}.input_layernorm`, x), rope, bias));
  return add(ctx.g, `/${p}/mlp_add/Add`, h, mlp(ctx, `${p}.mlp`, rmsNorm(ctx, `${p}.post_attention_layernorm`, h)));
}

/** x / sqrt(mean(x², -1) + eps) · w        [B, S, H] → [B, S, H] */
function rmsNorm(ctx: Ctx, p: string, x: Value): Value {
  const { g } = ctx;
  const n = `/${p.replaceAll('.', '/')}`;
  const ms = reduceMean(g, `${n}/ReduceMean`, pow(g, `${n}/Pow`, x, g.f32(`${n}/Pow`, 2)), -1);
  const rms = sqrt(g, `${n}/Sqrt`, add(g, `${n}/Add`, ms, g.f32(`${n}/Add`, ctx.c.rmsNormEps)));
  return mul(g, `${n}/Mul`, div(g, `${n}/Div`, x, rms), param(ctx, `${p}.weight`, [ctx.c.hiddenSize]));
}

/** down(silu(gate x) · up x)        [B, S, H] → [B, S, I] → [B, S, H] */
function mlp(ctx: Ctx, p: string, x: Value): Value {
  const { g, c } = ctx;
  const gate = linear(ctx, `${p}.gate_proj`, x, c.intermediateSize, c.hiddenSize, false);
  const up = linear(ctx, `${p}.up_proj`, x, c.intermediateSize, c.hiddenSize, false);
  const n = `/${p.replace('.mlp', '/mlp')}`;
  const silu = mul(g, `${n}/act_fn/Mul`, gate, sigmoid(g, `${n}/act_fn/Sigmoid`, gate));
  return linear(ctx, `${p}.down_proj`, mul(g, `${n}/Mul`, silu, up), c.hiddenSize, c.intermediateSize, false);
}

/**
 * Grouped-query attention without Expand: query heads are laid out [kv, group] so one key/value
 * head broadcasts over its group in MatMul.
 *
 *   q  [B,S,Nq·D] → [B,S,Nq,D] rope → [B,S,Nkv,G,D] → [B,Nkv,G,S,D]
 *   k  [B,S,Nkv·D] → [B,S,Nkv,D] rope → [B,S,Nkv,1,D] → [B,Nkv,1,D,S]
 *   v  [B,S,Nkv·D] →                   [B,S,Nkv,1,D] → [B,Nkv,1,S,D]
 *   softmax(q k / √D + bias) v  [B,Nkv,G,S,D] → [B,S,Nkv,G,D] → [B,S,Nq·D] → o_proj → [B,S,H]
 */
function attention(ctx: Ctx, p: string, x: Value, rope: Rope, bias: Value): Value {
  const { g, c } = ctx;
  const n = `/${p.replace('.self_attn', '/self_attn')}`;
  const group = c.numHeads / c.numKvHeads;
  const d = c.headDim;
  const q = linear(ctx, `${p}.q_proj`, x, c.numHeads * d, c.hiddenSize, c.attentionBias);
  const k = linear(ctx, `${p}.k_proj`, x, c.numKvHeads * d, c.hiddenSize, c.attentionBias);
  const v = linear(ctx, `${p}.v_proj`, x, c.numKvHeads * d, c.hiddenSize, c.attentionBias);
  const qr = applyRope(ctx, `${n}/q_rotary`, reshape(g, `${n}/q_proj/Reshape`, q, [0, 0, c.numHeads, d]), rope);
  const kr = applyRope(ctx, `${n}/k_rotary`, reshape(g, `${n}/k_proj/Reshape`, k, [0, 0, c.numKvHeads, d]), rope);
  const qh = transpose(g, `${n}/q/Transpose`, reshape(g, `${n}/q/Reshape`, qr, [0, 0, c.numKvHeads, group, d]), [0, 2, 3, 1, 4]);
  const kt = transpose(g, `${n}/k/Transpose`, reshape(g, `${n}/k/Reshape`, kr, [0, 0, c.numKvHeads, 1, d]), [0, 2, 3, 4, 1]);
  const vh = transpose(g, `${n}/v/Transpose`, reshape(g, `${n}/v/Reshape`, v, [0, 0, c.numKvHeads, 1, d]), [0, 2, 3, 1, 4]);
  const scores = mul(g, `${n}/scale/Mul`, matMul(g, `${n}/qk/MatMul`, qh, kt), g.f32(`${n}/scale/Mul`, 1 / Math.sqrt(d)));
  const probs = softmax(g, `${n}/Softmax`, add(g, `${n}/mask/Add`, scores, bias), -1);
  const ctxv = transpose(g, `${n}/attn/Transpose`, matMul(g, `${n}/pv/MatMul`, probs, vh), [0, 3, 1, 2, 4]);
  const merged = reshape(g, `${n}/attn/Reshape`, ctxv, [0, 0, c.numHeads * d]);
  return linear(ctx, `${p}.o_proj`, merged, c.hiddenSize, c.numHeads * d, false);
}

interface Rope {
  readonly cos: Value; // [B, S, 1, D]
  readonly sin: Value; // [B, S, 1, D]
}

/** cos/sin(position · θ^(−2t/D)), halves duplicated as in HF; computed once for all layers. */
function rotaryTables(ctx: Ctx, positions: Value): Rope {
  const { g, c } = ctx;
  const d = c.headDim;
  const inv = new Float32Array(d);
  for (let t = 0; t < d / 2; t++) inv[t] = inv[t + d / 2] = c.ropeTheta ** (-(2 * t) / d);
  const invFreq = g.initializer('/model/rotary_emb/inv_freq', 'float32', [d], inv);
  const pos = unsqueeze(g, '/model/rotary_emb/Unsqueeze', cast(g, '/model/rotary_emb/Cast', positions, 'float32'), [-1]);
  const angles = unsqueeze(g, '/model/rotary_emb/heads/Unsqueeze', mul(g, '/model/rotary_emb/Mul', pos, invFreq), [2]);
  return { cos: cos(g, '/model/rotary_emb/Cos', angles), sin: sin(g, '/model/rotary_emb/Sin', angles) };
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁]        [B, S, N, D] → [B, S, N, D] */
function applyRope(ctx: Ctx, n: string, x: Value, rope: Rope): Value {
  const { g } = ctx;
  const half = ctx.c.headDim / 2;
  const x1 = slice(g, `${n}/Slice_1`, x, -1, 0, half);
  const x2 = slice(g, `${n}/Slice_2`, x, -1, half, 2 * half);
  const rotated = concat(g, `${n}/Concat`, [neg(g, `${n}/Neg`, x2), x1], -1);
  return add(g, `${n}/Add`, mul(g, `${n}/cos/Mul`, x, rope.cos), mul(g, `${n}/sin/Mul`, rotated, rope.sin));
}

/**
 * Additive attention bias [B, 1, 1, S, S]: 0 where key j ≤ query i and attention_mask[j] = 1,
 * the float32 minimum elsewhere (finite, so all-masked pad rows stay finite).
 */
function attentionBias(ctx: Ctx, mask: Value): Value {
  const { g } = ctx;
  const n = '/model/attn_mask';
  const seq = slice(g, `${n}/seq/Slice`, shapeOf(g, `${n}/Shape`, mask), 0, 1, 2);
  const square = concat(g, `${n}/Concat`, [seq, seq], 0);
  const causal = trilu(g, `${n}/Trilu`, constantOfShape(g, `${n}/ConstantOfShape`, square, [S, S], 1), 0);
  const keys = unsqueeze(g, `${n}/Unsqueeze`, cast(g, `${n}/Cast`, mask, 'float32'), [1, 2, 3]);
  const allowed = mul(g, `${n}/Mul`, causal, keys);
  return mul(g, `${n}/min/Mul`, sub(g, `${n}/Sub`, allowed, g.f32(`${n}/Sub`, 1)), g.f32(`${n}/min/Mul`, -FLOAT32_MIN));
}

/** x Wᵀ (+ b), W stored transposed        [B, S, in] → [B, S, out] */
function linear(ctx: Ctx, p: string, x: Value, out: number, inp: number, withBias: boolean): Value {
  const n = `/${p.replace(/\.(self_attn|mlp)\./, '/$1/')}`;
  const y = matMul(ctx.g, `${n}/MatMul`, x, linearWeight(ctx, `${p}.weight`, out, inp));
  return withBias ? add(ctx.g, `${n}/Add`, y, param(ctx, `${p}.bias`, [out])) : y;
}

function linearWeight(ctx: Ctx, key: string, out: number, inp: number): Value {
  const w = checked(ctx, key, [out, inp]);
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = w[o * inp + i]!;
  return ctx.g.initializer(key, 'float32', [inp, out], t);
}

function param(ctx: Ctx, key: string, dims: readonly number[]): Value {
  return ctx.g.initializer(key, 'float32', dims, Float32Array.from(checked(ctx, key, dims)));
}

function checked(ctx: Ctx, key: string, dims: readonly number[]): Float64Array {
  const shape = ctx.weights.shape(key);
  if (!shape || shape.length !== dims.length || shape.some((s, i) => s !== dims[i])) {
    const found = shape ? `has shape [${shape.join(', ')}]` : 'is missing';
    throw new OnnxGraphError('SHAPE_MISMATCH', `${found}, expected [${dims.join(', ')}]`, key);
  }
  return ctx.weights.values(key);
}
