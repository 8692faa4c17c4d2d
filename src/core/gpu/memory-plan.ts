/**
 * The GPU memory plan: what the studio will hold on the GPU for a model, counted before anything
 * loads, compared with a budget, and the choices that fit — weights dtype, how α changes, batch size.
 *
 *   weights        one buffer per graph weight (decoderWeights), float32 or float16
 *   merge inputs   resident mode: θ_target, θ_SFT, θ_GRPO as the checkpoints store them
 *                  (resident-merge.ts: each distinct input tensor once)
 *   stream window  streamed mode: the re-merge reads each input chunk by chunk into one buffer per
 *                  kernel input, at most a chunk (or the largest tensor) long, and writes the weights
 *                  in place
 *   KV cache       layers × 2 × kv heads × head dim × batch × context × dtype, twice: during a step the
 *                  past fed in and the present coming out (one position longer) are both alive
 *   activations    the largest intermediates of one layer while the whole context is prefilled
 *                  (graph.ts): the hidden state (residual, sum, normed: 3 × B·S·H), then the larger of
 *                  attention — q/k/v and two score-sized [B, heads, S, T] float32 tensors, the input and
 *                  output of one step of scale → bias → softmax, which computes in float32 in both
 *                  dtypes — and the MLP (gate/up, silu, product: 3 × B·S·I); plus the float32
 *                  attention bias [B, S, T]
 *   logits         [B, kept, vocab] float32 (in float16 also the head's float16 product before the cast)
 *   constants      the rotary cos/sin caches of the contrib graph (2 × max positions × D/2)
 *
 * onnxruntime's allocator can only do better than the activations counted here (it frees each
 * intermediate after its last use), so the total is an upper bound of what the graph needs; the
 * browser and driver's own overhead is outside it, which the budget's decimal gigabytes leave room
 * for. Pure: no GPU is touched; the adapter's facts are passed in.
 */
import { dtypeSize, type FloatDtype } from '../dtype.ts';
import type { DecoderConfig } from '../model/config.ts';
import { DEFAULT_MAX_CHUNK_ELEMENTS } from './merge-webgpu.ts';
import { residentBufferBytes } from './resident-merge.ts';

/** The default budget: 4 GB = 4·10⁹ bytes (decimal, as the studio reports bytes; 7% under 4 GiB). */
export const DEFAULT_GPU_BUDGET_BYTES = 4e9;

export type WeightsPrecision = 'f32' | 'f16';
export type AlphaMode = 'resident' | 'streamed';

/** What the plan needs of the adapter (GPUAdapter.features / .limits). */
export interface AdapterFacts {
  readonly shaderF16: boolean;
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
}

export interface MergeInput {
  /** Bytes of the tensor in its checkpoint. */
  readonly bytes: number;
  readonly dtype: FloatDtype;
}

export interface MemoryPlanRequest {
  readonly config: DecoderConfig;
  /** Every input tensor a resident merge keeps (resident-merge.ts `residentInputLengths`). */
  readonly mergeInputs: readonly MergeInput[];
  /** Rows per forward pass asked for; the plan may choose fewer. */
  readonly batchSize: number;
  /** Tokens per row: prompt + generated. */
  readonly contextLength: number;
  /** Positions whose logits are kept per row (1 for decoding, the continuation for log-likelihoods). */
  readonly keptTokens?: number;
  readonly adapter: AdapterFacts;
  readonly budgetBytes?: number;
  /** Force a precision or a mode instead of choosing. */
  readonly precision?: WeightsPrecision;
  readonly mode?: AlphaMode;
}

export interface GpuBytes {
  readonly weights: number;
  readonly mergeInputs: number;
  readonly streamWindow: number;
  readonly kvCache: number;
  readonly activations: number;
  readonly logits: number;
  readonly constants: number;
  readonly total: number;
  /** The largest single buffer, which must fit the adapter's buffer and binding limits. */
  readonly largestBuffer: { readonly name: string; readonly bytes: number };
}

export interface MemoryPlan {
  readonly fits: boolean;
  readonly precision: WeightsPrecision;
  readonly mode: AlphaMode;
  readonly batchSize: number;
  readonly contextLength: number;
  readonly budgetBytes: number;
  readonly bytes: GpuBytes;
  /** Why each choice, in plain words. */
  readonly reasons: readonly string[];
  /** When it does not fit, or fits only with less than was asked: what would. */
  readonly suggestions: readonly string[];
}

/** The weights the decoder graph reads (graph.ts), in its order: key and dims. */
export function decoderWeights(c: DecoderConfig): { key: string; dims: number[] }[] {
  const { hiddenSize: h, intermediateSize: i, numHeads: nh, numKvHeads: nkv, headDim: d, vocabSize: v } = c;
  const out = [{ key: 'model.embed_tokens.weight', dims: [v, h] }];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}`;
    const proj = (name: string, rows: number) => [
      { key: `${p}.self_attn.${name}.weight`, dims: [rows, h] },
      ...(c.attentionBias ? [{ key: `${p}.self_attn.${name}.bias`, dims: [rows] }] : []),
    ];
    out.push(
      { key: `${p}.input_layernorm.weight`, dims: [h] },
      ...proj('q_proj', nh * d), ...proj('k_proj', nkv * d), ...proj('v_proj', nkv * d),
      { key: `${p}.self_attn.o_proj.weight`, dims: [h, nh * d] },
      { key: `${p}.post_attention_layernorm.weight`, dims: [h] },
      { key: `${p}.mlp.gate_proj.weight`, dims: [i, h] },
      { key: `${p}.mlp.up_proj.weight`, dims: [i, h] },
      { key: `${p}.mlp.down_proj.weight`, dims: [h, i] },
    );
  }
  out.push({ key: 'model.norm.weight', dims: [h] });
  if (!c.tieWordEmbeddings) out.push({ key: 'lm_head.weight', dims: [v, h] });
  return out;
}

/** The merge inputs of `copies` checkpoints holding the graph's weights in `dtype` (same shapes). */
export function checkpointInputs(c: DecoderConfig, dtype: FloatDtype, copies = 3): MergeInput[] {
  const one = decoderWeights(c).map((w) => ({ bytes: elements(w.dims) * dtypeSize(dtype), dtype }));
  return Array.from({ length: copies }, () => one).flat();
}

const elements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const buffer = residentBufferBytes;
/** Kernel inputs of a merge (θ_target, θ_SFT, θ_GRPO). */
const MERGE_INPUTS = 3;

/** The bytes of one fixed choice. */
export function countGpuBytes(r: MemoryPlanRequest, precision: WeightsPrecision, mode: AlphaMode, batch: number): GpuBytes {
  const c = r.config;
  const w = precision === 'f16' ? 2 : 4;
  const B = batch;
  const S = r.contextLength;
  const kept = Math.min(r.keptTokens ?? 1, S);
  const largest = { name: '', bytes: 0 };
  const note = (name: string, bytes: number) => {
    if (bytes > largest.bytes) Object.assign(largest, { name, bytes });
    return bytes;
  };

  let weights = 0;
  for (const t of decoderWeights(c)) weights += note(t.key, buffer(elements(t.dims) * w));
  let mergeInputs = 0;
  let streamWindow = 0;
  if (mode === 'resident') {
    for (const input of r.mergeInputs) mergeInputs += note('a resident merge input', buffer(input.bytes));
  } else if (r.mergeInputs.length > 0) {
    const size = Math.max(...r.mergeInputs.map((i) => dtypeSize(i.dtype)));
    const longest = Math.max(...r.mergeInputs.map((i) => i.bytes / dtypeSize(i.dtype)));
    const chunk = Math.min(longest, DEFAULT_MAX_CHUNK_ELEMENTS, Math.floor(bindLimit(r.adapter) / size));
    streamWindow = MERGE_INPUTS * note('a stream chunk', buffer(chunk * size));
  }
  note('a KV cache tensor', B * c.numKvHeads * S * c.headDim * w);
  const kvCache = 2 * c.numLayers * 2 * B * c.numKvHeads * S * c.headDim * w;
  const hidden = 3 * B * S * c.hiddenSize * w;
  const scores = 2 * note('the attention scores', B * c.numHeads * S * S * 4);
  const qkv = B * S * (c.numHeads + 2 * c.numKvHeads) * c.headDim * w;
  const mlp = 3 * note('an MLP intermediate', B * S * c.intermediateSize * w);
  const bias = B * S * S * 4;
  const activations = hidden + Math.max(scores + qkv, mlp) + bias;
  const logits = note('the logits', B * kept * c.vocabSize * 4) + (precision === 'f16' ? B * kept * c.vocabSize * 2 : 0);
  const constants = 2 * note('a rotary cache', buffer(c.maxPositionEmbeddings * (c.headDim / 2) * w));
  const total = weights + mergeInputs + streamWindow + kvCache + activations + logits + constants;
  return { weights, mergeInputs, streamWindow, kvCache, activations, logits, constants, total, largestBuffer: largest };
}

const bindLimit = (a: AdapterFacts) => Math.min(a.maxBufferSize, a.maxStorageBufferBindingSize);

/** The plan: precision, mode and batch size that fit the budget, or why nothing does. */
export function planGpuMemory(r: MemoryPlanRequest): MemoryPlan {
  if (!(r.batchSize >= 1) || !Number.isInteger(r.batchSize)) throw new RangeError(`batch size must be a positive integer, not ${r.batchSize}`);
  if (!(r.contextLength >= 1) || !Number.isInteger(r.contextLength)) throw new RangeError(`context length must be a positive integer, not ${r.contextLength}`);
  const budget = r.budgetBytes ?? DEFAULT_GPU_BUDGET_BYTES;
  const reasons: string[] = [];
  const suggestions: string[] = [];

  let precision: WeightsPrecision;
  if (r.precision) {
    precision = r.precision;
    reasons.push(`float${precision === 'f16' ? 16 : 32}, as asked`);
  } else {
    precision = r.adapter.shaderF16 ? 'f16' : 'f32';
    reasons.push(r.adapter.shaderF16 ? 'float16: the adapter has shader-f16' : 'float32: the adapter lacks shader-f16, which float16 compute needs');
  }
  const f16Refused = precision === 'f16' && !r.adapter.shaderF16;
  if (f16Refused) suggestions.push('float16 needs the adapter\'s shader-f16 feature, which this adapter lacks: choose float32');

  const fitsWith = (p: WeightsPrecision, m: AlphaMode, b: number) => {
    const bytes = countGpuBytes(r, p, m, b);
    return { bytes, fits: bytes.total <= budget && bytes.largestBuffer.bytes <= bindLimit(r.adapter) };
  };
  const modes: AlphaMode[] = r.mode ? [r.mode] : ['resident', 'streamed'];
  /** The largest batch ≤ asked that fits in mode `m` (0: none). */
  const largestBatch = (p: WeightsPrecision, m: AlphaMode) => {
    for (let b = r.batchSize; b >= 1; b--) if (fitsWith(p, m, b).fits) return b;
    return 0;
  };

  const asked = modes.map((m) => ({ mode: m, ...fitsWith(precision, m, r.batchSize) }));
  let choice = asked.find((a) => a.fits);
  let batch = r.batchSize;
  if (!choice) {
    // Keep the batch before keeping residency: a smaller batch slows every item, streaming only α changes.
    const best = modes.map((m) => ({ mode: m, batch: largestBatch(precision, m) })).reduce((a, b) => (b.batch > a.batch ? b : a));
    if (best.batch > 0) {
      batch = best.batch;
      choice = { mode: best.mode, ...fitsWith(precision, best.mode, batch) };
      suggestions.push(`batch ${r.batchSize} needs ${gb(asked.at(-1)!.bytes.total)} (${asked.at(-1)!.mode}), over the ${gb(budget)} budget; batch ${batch} fits`);
    }
  }
  const fits = choice !== undefined && !f16Refused;
  const mode = choice?.mode ?? modes.at(-1)!;
  const bytes = choice?.bytes ?? countGpuBytes(r, precision, mode, 1);
  if (mode === 'resident') {
    reasons.push(r.mode ? 'resident, as asked' : 'resident: the merge inputs fit beside the weights, so a new α is one kernel pass');
  } else if (r.mode) {
    reasons.push('streamed, as asked');
  } else {
    const resident = countGpuBytes(r, precision, 'resident', batch);
    reasons.push(`streamed: keeping the merge inputs resident (${gb(resident.mergeInputs)}) would need ${gb(resident.total)}, over the ${gb(budget)} budget; a new α re-reads the checkpoints instead`);
  }
  if (choice === undefined) suggestions.push(...whatWouldFit(r, precision, mode, budget));
  return { fits, precision, mode, batchSize: choice ? batch : 1, contextLength: r.contextLength, budgetBytes: budget, bytes, reasons, suggestions };
}

/** Plain-words alternatives when even batch 1 does not fit. */
function whatWouldFit(r: MemoryPlanRequest, precision: WeightsPrecision, mode: AlphaMode, budget: number): string[] {
  const out: string[] = [];
  const at1 = countGpuBytes(r, precision, mode, 1);
  const limit = bindLimit(r.adapter);
  if (at1.largestBuffer.bytes > limit) {
    out.push(`${at1.largestBuffer.name} needs one buffer of ${gb(at1.largestBuffer.bytes)}, over this adapter's limit of ${gb(limit)} (maxBufferSize / maxStorageBufferBindingSize)`);
  }
  if (at1.total > budget) out.push(`batch 1 ${mode} in float${precision === 'f16' ? 16 : 32} needs ${gb(at1.total)}, over the ${gb(budget)} budget`);
  if (precision === 'f32') {
    const half = countGpuBytes(r, 'f16', 'streamed', 1);
    const fitsHalf = half.total <= budget && half.largestBuffer.bytes <= limit;
    out.push(`float16 would need ${gb(half.total)}${fitsHalf ? ' and fit' : ''}${r.adapter.shaderF16 ? '' : ', but this adapter lacks shader-f16'}`);
  }
  if (mode === 'resident') {
    const streamed = countGpuBytes(r, precision, 'streamed', 1);
    if (streamed.total <= budget) out.push(`streamed α changes would need ${gb(streamed.total)} and fit`);
  }
  let lo = 0;
  let hi = r.contextLength;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const bytes = countGpuBytes({ ...r, contextLength: mid }, precision, mode, 1);
    if (bytes.total <= budget && bytes.largestBuffer.bytes <= limit) lo = mid;
    else hi = mid - 1;
  }
  if (lo > 0) out.push(`a context of ${lo} tokens (not ${r.contextLength}) would fit at batch 1`);
  if (at1.largestBuffer.bytes <= limit) out.push(`a budget of ${gb(at1.total)} would fit batch 1: raise it if your card has that much free memory`);
  return out;
}

/** Bytes in decimal units: "3.71 GB", "412 MB", "6.1 kB", "96 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} bytes`;
}
const gb = formatBytes;
