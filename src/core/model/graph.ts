/**
 * The ONNX graph of a Qwen2 / Llama decoder with a KV cache, built from `config.json`. Inputs and
 * outputs follow transformers.js / Optimum exports, so an exported model runs there too:
 *
 *   input_ids [B, S], attention_mask [B, T], position_ids [B, S]              int64
 *   past_key_values.{i}.key|value [B, Nkv, P, D]                              float32  (P = T − S)
 *     → logits [B, S, V], present.{i}.key|value [B, Nkv, T, D]                float32
 *
 * plus, when `logitsToKeep` is set, `num_logits_to_keep` (int64 scalar n): logits of the last n
 * positions only, [B, n, V] — what decoding (n = 1) and log-likelihood scoring need.
 *
 * Compute dtype float32 (default) or float16. In float16 the weights, the hidden states and the KV
 * cache (`past_key_values.*`, `present.*`) are float16, and, as Hugging Face's float16 inference
 * does, three places compute in float32: RMSNorm (cast up, normalise, cast back, then × weight),
 * the rotary cos/sin (computed in float32, cast to float16), and softmax(q kᵀ / √D + bias) (so that
 * the float32 minimum bias keeps fully masked pad rows finite). Logits are cast to float32.
 *
 * Two operator sets:
 *   - `plain`: standard opset-17 ops (any backend);
 *   - `contrib`: what onnxruntime's WebGPU EP runs as fused kernels — SimplifiedLayerNormalization,
 *     com.microsoft SkipSimplifiedLayerNormalization and RotaryEmbedding.
 * Attention itself is MatMul/Softmax with an explicit bias in both, so that left-padded batches
 * are exact: com.microsoft GroupQueryAttention derives its mask from `seqlens_k` and would attend
 * the pad tokens of a left-padded row.
 *
 * Linear layers are Gemm with transB = 1 on the Hugging Face [out, in] weights, so the weights
 * are the checkpoint's tensors as they are: the merge shaders can write θ_target + α·v straight
 * into the buffers bound to them, and a tied head is the embedding itself. The hidden state is
 * kept 2-D [B·S, H] between layers. Node names mirror the weight keys.
 */
import { encodeFromF32 } from '../dtype.ts';
import type { DecoderConfig } from './config.ts';
import {
  add, and, cast, concat, cos, div, element, encodeModel, gather, gemmTransB, GraphBuilder, lessOrEqual, matMul, mul, neg, OnnxGraphError, pow, range,
  reduceMean, reshape, reshapeTo, shapeOf, sigmoid, sin, slice, softmax, sqrt, sub, transpose, unsqueeze, where, type Value,
} from './onnx-ops.ts';

export type OpSet = 'plain' | 'contrib';

/** Where the weights' bytes are: in the model, in external files beside it, or fed as inputs. */
export type WeightPlacement =
  | { readonly kind: 'inline'; readonly values: (key: string) => Float32Array }
  | {
      readonly kind: 'external';
      readonly maxFileBytes?: number;
      /** Stored dtype (default: the compute dtype); the graph casts stored weights to the compute dtype. */
      readonly dtype?: 'float32' | 'float16';
    }
  | { readonly kind: 'inputs' };

export interface GraphOptions {
  readonly ops: OpSet;
  readonly weights: WeightPlacement;
  /** The checkpoint's shape of each weight (undefined: missing). */
  readonly shapes: (key: string) => readonly number[] | undefined;
  /**
   * Adds the `num_logits_to_keep` input (0 = every position). transformers.js 4.3 feeds it when a
   * graph declares it; older loaders do not, so exports leave it out by default.
   */
  readonly logitsToKeep?: boolean;
  /** Weights, activations and KV cache in float32 (default) or float16; logits are float32 either way. */
  readonly compute?: ComputeDtype;
}

export type ComputeDtype = 'float32' | 'float16';

/** One weight the graph reads, in the order the graph declares them. */
export interface WeightEntry {
  readonly key: string;
  readonly dims: readonly number[];
  readonly elements: number;
  /** External placement: the data file (relative to the model) and the byte range in it. */
  readonly file?: string;
  readonly offset?: number;
}

export interface DecoderGraph {
  readonly model: Uint8Array;
  readonly weights: readonly WeightEntry[];
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
}

/** The external data file names: `model.onnx_data`, `model.onnx_data_1`, … (transformers.js). */
export const externalDataFile = (index: number): string => (index === 0 ? 'model.onnx_data' : `model.onnx_data_${index}`);

const MS = 'com.microsoft';
const B = 'batch_size';
const S = 'sequence_length';
const T = 'total_sequence_length';
const P = 'past_sequence_length';
const FLOAT32_MIN = -3.4028234663852886e38;
const INT64_MAX = 9223372036854775807n;
const DEFAULT_MAX_FILE_BYTES = 2_000_000_000;

interface Ctx {
  readonly g: GraphBuilder;
  readonly c: DecoderConfig;
  readonly options: GraphOptions;
  /** The compute dtype. */
  readonly ft: ComputeDtype;
  readonly weights: WeightEntry[];
  readonly weightInputs: Value[];
  readonly declared: Map<string, Value>;
  file: { index: number; offset: number };
  /** [B, S] as an int64 vector. */
  readonly bs: Value;
}

export function buildDecoderGraph(config: DecoderConfig, options: GraphOptions): DecoderGraph {
  const g = new GraphBuilder();
  const ids: Value = { name: 'input_ids', dtype: 'int64', shape: [B, S] };
  const mask: Value = { name: 'attention_mask', dtype: 'int64', shape: [B, T] };
  const positions: Value = { name: 'position_ids', dtype: 'int64', shape: [B, S] };
  const ctx: Ctx = {
    g, c: config, options, ft: options.compute ?? 'float32', weights: [], weightInputs: [], declared: new Map(), file: { index: 0, offset: 0 },
    bs: shapeOf(g, '/model/Shape', ids),
  };
  const kvShape = [B, config.numKvHeads, P, config.headDim];
  const past = Array.from({ length: config.numLayers }, (_, i) => ({
    key: { name: `past_key_values.${i}.key`, dtype: ctx.ft, shape: kvShape } as Value,
    value: { name: `past_key_values.${i}.value`, dtype: ctx.ft, shape: kvShape } as Value,
  }));
  const keep: Value | null = options.logitsToKeep ? { name: 'num_logits_to_keep', dtype: 'int64', shape: [] } : null;

  const embed = weight(ctx, 'model.embed_tokens.weight', [config.vocabSize, config.hiddenSize]);
  const embedded = gather(g, '/model/embed_tokens/Gather', embed, ids);
  const x = reshape(g, '/model/embed_tokens/Reshape', embedded, [-1, config.hiddenSize]);
  const rope = options.ops === 'contrib' ? contribRope(ctx, positions) : plainRope(ctx, positions);
  const bias = attentionBias(ctx, mask);

  //   r ─ norm ─ attention ─(+)─ norm ─ mlp ─(+)─ … ─ norm ─ head
  //   └───────────────────────┘└─────────────┘
  // With the contrib ops each "(+) then norm" is one SkipSimplifiedLayerNormalization.
  const presents: Value[] = [];
  let residual = x;
  let delta: Value | null = null;
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}`;
    const n1 = addNorm(ctx, `${p}.input_layernorm`, delta, residual);
    const attn = attention(ctx, i, n1.normed, rope, bias, past[i]!);
    presents.push(attn.presentKey, attn.presentValue);
    const n2 = addNorm(ctx, `${p}.post_attention_layernorm`, attn.out, n1.sum);
    delta = mlp(ctx, `${p}.mlp`, n2.normed);
    residual = n2.sum;
  }
  const final = addNorm(ctx, 'model.norm', delta, residual).normed;
  const logits = head(ctx, final, embed, keep);

  const inputs = [ids, mask, positions, ...past.flatMap((kv) => [kv.key, kv.value]), ...(keep ? [keep] : []), ...ctx.weightInputs];
  const outputs = [logits, ...presents];
  return { model: encodeModel(g, config.architecture, inputs, outputs), weights: ctx.weights, inputs, outputs };
}

/** A weight declared once (a tied head reuses the embedding), placed as the options say. */
function weight(ctx: Ctx, key: string, dims: readonly number[]): Value {
  const known = ctx.declared.get(key);
  if (known) return known;
  const shape = ctx.options.shapes(key);
  if (!shape || shape.length !== dims.length || shape.some((s, i) => s !== dims[i])) {
    const found = shape ? `has shape [${shape.join(', ')}]` : 'is missing';
    throw new OnnxGraphError('SHAPE_MISMATCH', `${found}, expected [${dims.join(', ')}]`, key);
  }
  const elements = dims.reduce((a, b) => a * b, 1);
  const placement = ctx.options.weights;
  let value: Value;
  if (placement.kind === 'inline') {
    const data = placement.values(key);
    if (data.length !== elements) throw new OnnxGraphError('SHAPE_MISMATCH', `has ${data.length} values, expected ${elements}`, key);
    value = ctx.ft === 'float16' ? ctx.g.initializer(key, 'float16', dims, toF16Bits(data)) : ctx.g.initializer(key, 'float32', dims, data);
    ctx.weights.push({ key, dims, elements });
  } else if (placement.kind === 'external') {
    const dtype = placement.dtype ?? ctx.ft;
    const bytes = elements * (dtype === 'float16' ? 2 : 4);
    const max = placement.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (ctx.file.offset > 0 && ctx.file.offset + bytes > max) ctx.file = { index: ctx.file.index + 1, offset: 0 };
    const file = externalDataFile(ctx.file.index);
    // Offsets stay multiples of 4 so that float32 views of the data need no copy.
    const stored = ctx.g.externalInitializer(dtype !== ctx.ft ? `${key}_${dtype === 'float16' ? 'fp16' : 'fp32'}` : key, dtype, dims, file, ctx.file.offset, bytes);
    value = dtype !== ctx.ft ? ctx.g.node('Cast', `${scope(key)}/Cast`, [stored], { dtype: ctx.ft, shape: dims, name: key }, { to: ONNX_FLOAT[ctx.ft] }) : stored;
    ctx.weights.push({ key, dims, elements, file, offset: ctx.file.offset });
    ctx.file.offset += Math.ceil(bytes / 4) * 4;
  } else {
    value = { name: key, dtype: ctx.ft, shape: dims };
    ctx.weightInputs.push(value);
    ctx.weights.push({ key, dims, elements });
  }
  ctx.declared.set(key, value);
  return value;
}

/** ONNX TensorProto data types of the compute dtypes. */
const ONNX_FLOAT: Record<ComputeDtype, number> = { float32: 1, float16: 10 };

/** float32 values as float16 bits, rounded to nearest even (dtype.ts). */
function toF16Bits(values: Float32Array): Uint16Array {
  const bytes = new Uint8Array(values.length * 2);
  encodeFromF32('F16', values, values.length, bytes);
  return new Uint16Array(bytes.buffer);
}

const scope = (key: string) => `/${key.replace(/\.weight$/, '').replace(/\.(self_attn|mlp)\./, '/$1/').replace(/\.(self_attn|mlp)$/, '/$1')}`;

/** x Wᵀ (+ b)        [B·S, in] → [B·S, out] */
function linear(ctx: Ctx, p: string, x: Value, out: number, inp: number, withBias: boolean): Value {
  const w = weight(ctx, `${p}.weight`, [out, inp]);
  const b = withBias ? weight(ctx, `${p}.bias`, [out]) : null;
  return gemmTransB(ctx.g, `${scope(p)}/Gemm`, x, w, b);
}

interface AddNorm {
  readonly normed: Value;
  /** residual + delta, the next residual. */
  readonly sum: Value;
}

/** norm(residual + delta) and the sum; no delta before the first layer. */
function addNorm(ctx: Ctx, p: string, delta: Value | null, residual: Value): AddNorm {
  const { g, c } = ctx;
  const w = weight(ctx, `${p}.weight`, [c.hiddenSize]);
  const n = scope(p);
  if (ctx.options.ops === 'contrib') {
    // Both compute in float32 inside (stash_type 1) whatever the input dtype.
    if (delta === null) {
      const normed = g.node('SimplifiedLayerNormalization', `${n}/SimplifiedLayerNormalization`, [residual, w], { dtype: ctx.ft, shape: residual.shape }, { axis: -1, epsilon: c.rmsNormEps, stash_type: 1 });
      return { normed, sum: residual };
    }
    const [normed, , , sum] = g.nodeMulti(
      'SkipSimplifiedLayerNormalization', `${n}/SkipSimplifiedLayerNormalization`, [delta, residual, w],
      [{ dtype: ctx.ft, shape: residual.shape }, null, null, { dtype: ctx.ft, shape: residual.shape }],
      { epsilon: c.rmsNormEps }, MS,
    );
    return { normed: normed!, sum: sum! };
  }
  const sum = delta === null ? residual : add(g, `${n}/residual/Add`, residual, delta);
  // x / sqrt(mean(x², -1) + eps) · w, in float32 (float16 x is cast up, and back before × w)
  const x = ctx.ft === 'float16' ? cast(g, `${n}/up/Cast`, sum, 'float32') : sum;
  const ms = reduceMean(g, `${n}/ReduceMean`, pow(g, `${n}/Pow`, x, g.f32(`${n}/Pow`, 2)), -1);
  const rms = sqrt(g, `${n}/Sqrt`, add(g, `${n}/Add`, ms, g.f32(`${n}/Add`, c.rmsNormEps)));
  const normed = div(g, `${n}/Div`, x, rms);
  return { normed: mul(g, `${n}/Mul`, ctx.ft === 'float16' ? cast(g, `${n}/down/Cast`, normed, 'float16') : normed, w), sum };
}

/** down(silu(gate x) · up x)        [B·S, H] → [B·S, I] → [B·S, H] */
function mlp(ctx: Ctx, p: string, x: Value): Value {
  const { g, c } = ctx;
  const gate = linear(ctx, `${p}.gate_proj`, x, c.intermediateSize, c.hiddenSize, false);
  const up = linear(ctx, `${p}.up_proj`, x, c.intermediateSize, c.hiddenSize, false);
  const n = scope(p);
  const silu = mul(g, `${n}/act_fn/Mul`, gate, sigmoid(g, `${n}/act_fn/Sigmoid`, gate));
  return linear(ctx, `${p}.down_proj`, mul(g, `${n}/Mul`, silu, up), c.hiddenSize, c.intermediateSize, false);
}

interface Rope {
  /** [B·S, N·D] → rotated [B, S, N, D] */
  apply(name: string, x: Value, heads: number): Value;
}

interface Attention {
  readonly out: Value;
  readonly presentKey: Value;
  readonly presentValue: Value;
}

/**
 * Grouped-query attention over the cache, without Expand: query heads are laid out [kv, group] so
 * that one key/value head broadcasts over its group in MatMul.
 *
 *   q  [B·S, Nq·D] → rope [B,S,Nq,D] → [B,S,Nkv,G,D] → [B,Nkv,G,S,D]
 *   k  [B·S, Nkv·D] → rope [B,S,Nkv,D] → [B,Nkv,S,D] ┐ concat after past → present [B,Nkv,T,D]
 *   v  [B·S, Nkv·D] →      [B,S,Nkv,D] → [B,Nkv,S,D] ┘
 *   softmax(q kᵀ / √D + bias) v  [B,Nkv,G,S,D] → [B,S,Nkv,G,D] → [B·S, Nq·D] → o_proj
 */
function attention(ctx: Ctx, layer: number, x: Value, rope: Rope, bias: Value, past: { key: Value; value: Value }): Attention {
  const { g, c } = ctx;
  const p = `model.layers.${layer}.self_attn`;
  const n = scope(p);
  const group = c.numHeads / c.numKvHeads;
  const d = c.headDim;
  const q = linear(ctx, `${p}.q_proj`, x, c.numHeads * d, c.hiddenSize, c.attentionBias);
  const k = linear(ctx, `${p}.k_proj`, x, c.numKvHeads * d, c.hiddenSize, c.attentionBias);
  const v = linear(ctx, `${p}.v_proj`, x, c.numKvHeads * d, c.hiddenSize, c.attentionBias);
  const qr = rope.apply(`${n}/q_rotary`, q, c.numHeads);
  const kr = rope.apply(`${n}/k_rotary`, k, c.numKvHeads);
  const kNew = transpose(g, `${n}/k/Transpose`, kr, [0, 2, 1, 3]);
  const vNew = transpose(g, `${n}/v/Transpose`, reshapeTo(g, `${n}/v/Reshape`, v, bsDims(ctx, `${n}/v`, [c.numKvHeads, d]), [B, S, c.numKvHeads, d]), [0, 2, 1, 3]);
  const kvOut = [B, c.numKvHeads, T, d];
  const presentKey = g.node('Concat', `${n}/k/Concat`, [past.key, kNew], { dtype: ctx.ft, shape: kvOut, name: `present.${layer}.key` }, { axis: 2 });
  const presentValue = g.node('Concat', `${n}/v/Concat`, [past.value, vNew], { dtype: ctx.ft, shape: kvOut, name: `present.${layer}.value` }, { axis: 2 });

  const qh = transpose(g, `${n}/q/Transpose`, reshape(g, `${n}/q/Reshape`, qr, [0, 0, c.numKvHeads, group, d]), [0, 2, 3, 1, 4]);
  const kt = unsqueeze(g, `${n}/k/Unsqueeze`, transpose(g, `${n}/kt/Transpose`, presentKey, [0, 1, 3, 2]), [2]);
  const vh = unsqueeze(g, `${n}/v/Unsqueeze`, presentValue, [2]);
  // Scale, bias and softmax in float32; a float16 q kᵀ is cast up and the probabilities back down.
  const qk = matMul(g, `${n}/qk/MatMul`, qh, kt);
  const scores = mul(g, `${n}/scale/Mul`, ctx.ft === 'float16' ? cast(g, `${n}/qk/Cast`, qk, 'float32') : qk, g.f32(`${n}/scale/Mul`, 1 / Math.sqrt(d)));
  const probs32 = softmax(g, `${n}/Softmax`, add(g, `${n}/mask/Add`, scores, bias), -1);
  const probs = ctx.ft === 'float16' ? cast(g, `${n}/probs/Cast`, probs32, 'float16') : probs32;
  const ctxv = transpose(g, `${n}/attn/Transpose`, matMul(g, `${n}/pv/MatMul`, probs, vh), [0, 3, 1, 2, 4]);
  const merged = reshape(g, `${n}/attn/Reshape`, ctxv, [-1, c.numHeads * d]);
  return { out: linear(ctx, `${p}.o_proj`, merged, c.hiddenSize, c.numHeads * d, false), presentKey, presentValue };
}

/** The int64 vector [B, S, ...tail] for reshapes. */
function bsDims(ctx: Ctx, n: string, tail: readonly number[]): Value {
  return concat(ctx.g, `${n}/dims/Concat`, [ctx.bs, ctx.g.i64(`${n}/dims`, tail)], 0);
}

/** Inverse frequencies θ^(−2t/D), t < D/2, in float64. */
function inverseFrequencies(c: DecoderConfig): number[] {
  return Array.from({ length: c.headDim / 2 }, (_, t) => c.ropeTheta ** (-(2 * t) / c.headDim));
}

/** cos/sin(position · θ^(−2t/D)) computed in the graph, halves duplicated as in HF; x·cos + rotate_half(x)·sin. */
function plainRope(ctx: Ctx, positions: Value): Rope {
  const { g, c } = ctx;
  const d = c.headDim;
  const half = inverseFrequencies(c);
  const invFreq = g.initializer('/model/rotary_emb/inv_freq', 'float32', [d], Float32Array.from([...half, ...half]));
  const pos = unsqueeze(g, '/model/rotary_emb/Unsqueeze', cast(g, '/model/rotary_emb/Cast', positions, 'float32'), [-1]);
  const angles = unsqueeze(g, '/model/rotary_emb/heads/Unsqueeze', mul(g, '/model/rotary_emb/Mul', pos, invFreq), [2]);
  const cos32 = cos(g, '/model/rotary_emb/Cos', angles); // [B, S, 1, D]
  const sin32 = sin(g, '/model/rotary_emb/Sin', angles);
  const cosT = ctx.ft === 'float16' ? cast(g, '/model/rotary_emb/cos/Cast', cos32, 'float16') : cos32;
  const sinT = ctx.ft === 'float16' ? cast(g, '/model/rotary_emb/sin/Cast', sin32, 'float16') : sin32;
  return {
    apply(n, x, heads) {
      const x4 = reshapeTo(g, `${n}/Reshape`, x, bsDims(ctx, n, [heads, d]), [B, S, heads, d]);
      // rotate_half(x) = [−x₂, x₁]
      const x1 = slice(g, `${n}/Slice_1`, x4, -1, 0, d / 2);
      const x2 = slice(g, `${n}/Slice_2`, x4, -1, d / 2, d);
      const rotated = concat(g, `${n}/Concat`, [neg(g, `${n}/Neg`, x2), x1], -1);
      return add(g, `${n}/Add`, mul(g, `${n}/cos/Mul`, x4, cosT), mul(g, `${n}/sin/Mul`, rotated, sinT));
    },
  };
}

/** com.microsoft RotaryEmbedding (non-interleaved = rotate-half) with cos/sin caches [maxPos, D/2]. */
function contribRope(ctx: Ctx, positions: Value): Rope {
  const { g, c } = ctx;
  const d = c.headDim;
  const freqs = inverseFrequencies(c).map(Math.fround);
  const rows = c.maxPositionEmbeddings;
  const cosCache = new Float32Array(rows * (d / 2));
  const sinCache = new Float32Array(rows * (d / 2));
  for (let pos = 0; pos < rows; pos++) {
    for (let t = 0; t < d / 2; t++) {
      const angle = Math.fround(pos * freqs[t]!); // float32 angle, as the plain graph and HF compute it
      cosCache[pos * (d / 2) + t] = Math.cos(angle);
      sinCache[pos * (d / 2) + t] = Math.sin(angle);
    }
  }
  // RotaryEmbedding wants the caches in the input's dtype.
  const table = (name: string, values: Float32Array) => (ctx.ft === 'float16' ? g.initializer(name, 'float16', [rows, d / 2], toF16Bits(values)) : g.initializer(name, 'float32', [rows, d / 2], values));
  const cosV = table('/model/rotary_emb/cos_cache', cosCache);
  const sinV = table('/model/rotary_emb/sin_cache', sinCache);
  return {
    apply(n, x, heads) {
      const x3 = reshapeTo(g, `${n}/Reshape`, x, bsDims(ctx, n, [heads * d]), [B, S, heads * d]);
      const r = g.node('RotaryEmbedding', `${n}/RotaryEmbedding`, [x3, positions, cosV, sinV], { dtype: ctx.ft, shape: x3.shape }, { interleaved: 0, num_heads: heads }, MS);
      return reshape(g, `${n}/heads/Reshape`, r, [0, 0, heads, d]);
    },
  };
}

/**
 * Additive attention bias [B, 1, 1, S, T]: 0 where key j ≤ P + query i and attention_mask[j] = 1,
 * the float32 minimum elsewhere (finite, so all-masked pad rows stay finite).
 */
function attentionBias(ctx: Ctx, mask: Value): Value {
  const { g } = ctx;
  const n = '/model/attn_mask';
  const total = element(g, `${n}/total/Gather`, shapeOf(g, `${n}/Shape`, mask), 1);
  const seq = element(g, `${n}/seq/Gather`, ctx.bs, 1);
  const keys = range(g, `${n}/keys/Range`, g.i64Scalar(`${n}/keys`, 0), total, T);
  const queries = unsqueeze(g, `${n}/queries/Unsqueeze`, range(g, `${n}/queries/Range`, sub(g, `${n}/past/Sub`, total, seq), total, S), [1]);
  const causal = lessOrEqual(g, `${n}/LessOrEqual`, keys, queries); // [S, T]
  const attended = unsqueeze(g, `${n}/Unsqueeze`, cast(g, `${n}/Cast`, mask, 'bool'), [1, 2, 3]); // [B, 1, 1, 1, T]
  const allowed = and(g, `${n}/And`, causal, attended);
  return where(g, `${n}/Where`, allowed, g.f32(`${n}/zero`, 0), g.f32(`${n}/min`, FLOAT32_MIN));
}

/** Logits [B, S or n, V] from the normed hidden state [B·S, H]. */
function head(ctx: Ctx, x: Value, embed: Value, keep: Value | null): Value {
  const { g, c } = ctx;
  const n = '/lm_head';
  const batch = slice(g, `${n}/batch/Slice`, ctx.bs, 0, 0, 1);
  let rows = x;
  if (keep) {
    const x3 = reshapeTo(g, `${n}/hidden/Reshape`, x, concat(g, `${n}/hidden/Concat`, [batch, g.i64(`${n}/hidden`, [-1, c.hiddenSize])], 0), [B, S, c.hiddenSize]);
    const start = neg(g, `${n}/keep/Neg`, unsqueeze(g, `${n}/keep/Unsqueeze`, keep, [0]));
    const ends = g.initializer(`${n}/keep/ends`, 'int64', [1], BigInt64Array.of(INT64_MAX));
    const axes = g.initializer(`${n}/keep/axes`, 'int64', [1], BigInt64Array.of(1n));
    const kept = g.node('Slice', `${n}/keep/Slice`, [x3, start, ends, axes], { dtype: ctx.ft, shape: [B, 'kept', c.hiddenSize] });
    rows = reshape(g, `${n}/kept/Reshape`, kept, [-1, c.hiddenSize]);
  }
  const w = c.tieWordEmbeddings ? embed : weight(ctx, 'lm_head.weight', [c.vocabSize, c.hiddenSize]);
  const product = gemmTransB(g, `${n}/Gemm`, rows, w, null);
  const flat = ctx.ft === 'float16' ? cast(g, `${n}/Cast`, product, 'float32') : product;
  const dims = concat(g, `${n}/logits/Concat`, [batch, g.i64(`${n}/logits`, [-1, c.vocabSize])], 0);
  return g.node('Reshape', `${n}/logits/Reshape`, [flat, dims], { dtype: 'float32', shape: [B, keep ? 'kept' : S, c.vocabSize], name: 'logits' });
}
