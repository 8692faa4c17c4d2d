/**
 * Deterministic synthetic checkpoint families with the Qwen2 layout, for tests and benchmarks (the
 * studio's demo is a trained family, scripts/train-demo.py): a shared initialisation; SFT = init + δ; GRPO = SFT + a smaller, sparser δ;
 * target = init + another δ. Every element is a pure function of (seed, tensor, index), so each
 * checkpoint streams out chunk by chunk and never sits in memory whole.
 */
import { encodeFromF32, type FloatDtype } from '../dtype.ts';
import type { FolderSink } from '../io/bytes.ts';
import { layoutFiles, SafetensorsWriter, type TensorSpec } from '../safetensors/writer.ts';
import { syntheticTokenizerFiles, syntheticTokenizerLayout } from '../text/synthetic-tokenizer.ts';

export interface Qwen2Shape {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly tiedEmbeddings: boolean;
  readonly ropeTheta?: number;
  readonly rmsNormEps?: number;
  readonly maxPositionEmbeddings?: number;
}

/** The real Qwen2.5-0.5B shapes (its config.json). */
export const QWEN25_05B: Qwen2Shape = {
  vocabSize: 151936,
  hiddenSize: 896,
  intermediateSize: 4864,
  numLayers: 24,
  numHeads: 14,
  numKvHeads: 2,
  tiedEmbeddings: true,
  ropeTheta: 1000000,
  rmsNormEps: 1e-6,
  maxPositionEmbeddings: 32768,
};

/** The real Qwen2.5-1.5B shapes (its config.json). */
export const QWEN25_15B: Qwen2Shape = {
  vocabSize: 151936,
  hiddenSize: 1536,
  intermediateSize: 8960,
  numLayers: 28,
  numHeads: 12,
  numKvHeads: 2,
  tiedEmbeddings: true,
  ropeTheta: 1000000,
  rmsNormEps: 1e-6,
  maxPositionEmbeddings: 131072,
};

/** A picollama-sized Qwen2 (hidden 32, 2 layers) with sizes that are not multiples of anything. */
export const TINY_QWEN2: Qwen2Shape = {
  vocabSize: 97,
  hiddenSize: 32,
  intermediateSize: 72,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  tiedEmbeddings: true,
  ropeTheta: 10000,
  rmsNormEps: 1e-6,
  maxPositionEmbeddings: 128,
};

/**
 * TINY_QWEN2 with a vocabulary that holds the synthetic byte-level tokenizer exactly (256 bytes,
 * 61 merges, 3 special tokens): write it with `tokenizer: true` for a chat-capable tiny model.
 */
export const TINY_QWEN2_CHAT: Qwen2Shape = { ...TINY_QWEN2, vocabSize: 320 };

export function qwen2Tensors(shape: Qwen2Shape, dtype: FloatDtype): TensorSpec[] {
  const h = shape.hiddenSize;
  const kv = (h / shape.numHeads) * shape.numKvHeads;
  const t = (name: string, dims: number[]): TensorSpec => ({ name, dtype, shape: dims });
  const out: TensorSpec[] = [t('model.embed_tokens.weight', [shape.vocabSize, h])];
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `model.layers.${i}`;
    out.push(
      t(`${p}.input_layernorm.weight`, [h]),
      t(`${p}.self_attn.q_proj.weight`, [h, h]),
      t(`${p}.self_attn.q_proj.bias`, [h]),
      t(`${p}.self_attn.k_proj.weight`, [kv, h]),
      t(`${p}.self_attn.k_proj.bias`, [kv]),
      t(`${p}.self_attn.v_proj.weight`, [kv, h]),
      t(`${p}.self_attn.v_proj.bias`, [kv]),
      t(`${p}.self_attn.o_proj.weight`, [h, h]),
      t(`${p}.post_attention_layernorm.weight`, [h]),
      t(`${p}.mlp.gate_proj.weight`, [shape.intermediateSize, h]),
      t(`${p}.mlp.up_proj.weight`, [shape.intermediateSize, h]),
      t(`${p}.mlp.down_proj.weight`, [h, shape.intermediateSize]),
    );
  }
  out.push(t('model.norm.weight', [h]));
  if (!shape.tiedEmbeddings) out.push(t('lm_head.weight', [shape.vocabSize, h]));
  return out;
}

export function qwen2Config(shape: Qwen2Shape, dtype: FloatDtype): Record<string, unknown> {
  return {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_act: 'silu',
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.intermediateSize,
    num_hidden_layers: shape.numLayers,
    num_attention_heads: shape.numHeads,
    num_key_value_heads: shape.numKvHeads,
    vocab_size: shape.vocabSize,
    max_position_embeddings: shape.maxPositionEmbeddings ?? 32768,
    rms_norm_eps: shape.rmsNormEps ?? 1e-6,
    rope_theta: shape.ropeTheta ?? 1000000,
    tie_word_embeddings: shape.tiedEmbeddings,
    torch_dtype: { BF16: 'bfloat16', F16: 'float16', F32: 'float32' }[dtype],
    bos_token_id: 0,
    eos_token_id: 1,
    use_cache: true,
  };
}

/**
 * config.json of a Qwen2 checkpoint with this shape, and with `tokenizer` the synthetic tokenizer
 * (src/core/text/synthetic-tokenizer.ts) sized to its vocabulary — tokenizer.json,
 * tokenizer_config.json and a generation_config.json — with config.json's bos/eos ids pointing at
 * its `<|endoftext|>`/`<|im_end|>`. File name → text.
 */
export function qwen2SideFiles(shape: Qwen2Shape, dtype: FloatDtype, tokenizer: boolean): Record<string, string> {
  const config = qwen2Config(shape, dtype);
  const files: Record<string, string> = {};
  if (tokenizer) {
    const { specialIds } = syntheticTokenizerLayout(shape.vocabSize);
    const [eot, imEnd] = [specialIds['<|endoftext|>'], specialIds['<|im_end|>']];
    Object.assign(config, { bos_token_id: eot, eos_token_id: imEnd });
    Object.assign(files, syntheticTokenizerFiles({ vocabSize: shape.vocabSize }));
    files['generation_config.json'] = `${JSON.stringify({ bos_token_id: eot, eos_token_id: [imEnd, eot], pad_token_id: eot, do_sample: false }, null, 2)}\n`;
  }
  files['config.json'] = `${JSON.stringify(config, null, 2)}\n`;
  return files;
}

export type FamilyMember = 'init' | 'sft' | 'grpo' | 'target';

/** Counter-based generator: a uniform in [-1, 1) from (key, index), no state. */
function uniform(key: number, i: number): number {
  let x = (Math.imul(i, 0x9e3779b1) ^ key) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 2 ** 31 - 1;
}

function hashString(s: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Fills `out` with elements [start, start + out.length) of tensor `name` of `member`. */
export function familyValues(member: FamilyMember, name: string, start: number, out: Float32Array, seed = 1): void {
  const norm = name.includes('norm');
  const kInit = hashString(name, seed);
  const kSft = hashString(name, seed + 101);
  const kGrpo = hashString(name, seed + 202);
  const kTarget = hashString(name, seed + 303);
  for (let j = 0; j < out.length; j++) {
    const i = start + j;
    let x = norm ? 1 + 0.05 * uniform(kInit, i) : 0.03 * uniform(kInit, i);
    if (member === 'target') x += 0.004 * uniform(kTarget, i);
    if (member === 'sft' || member === 'grpo') x += 0.002 * uniform(kSft, i);
    if (member === 'grpo') {
      const u = uniform(kGrpo, i);
      if (u > -0.5) x += 0.0005 * u; // a quarter of the elements unchanged by RL
    }
    out[j] = x;
  }
}

export interface WriteFamilyMemberOptions {
  readonly shape: Qwen2Shape;
  readonly dtype: FloatDtype;
  readonly member: FamilyMember;
  readonly out: FolderSink;
  readonly seed?: number;
  readonly shardSize?: number;
  readonly chunkElements?: number;
  /** Override the dtype of single tensors (mixed-dtype checkpoints). */
  readonly dtypeOf?: (name: string) => FloatDtype;
  /**
   * Also write the synthetic tokenizer (src/core/text/synthetic-tokenizer.ts) sized to the shape's
   * vocabulary — tokenizer.json, tokenizer_config.json and a generation_config.json — and point
   * config.json's bos/eos ids at its `<|endoftext|>`/`<|im_end|>`. Default false.
   */
  readonly tokenizer?: boolean;
}

/** Writes one member of the family as a checkpoint folder (config.json + safetensors, tokenizer files on request), committed. */
export async function writeFamilyMember(options: WriteFamilyMemberOptions): Promise<void> {
  const { shape, dtype, member, out } = options;
  const chunk = options.chunkElements ?? 1 << 20;
  const tensors = qwen2Tensors(shape, dtype).map((t) => ({ ...t, dtype: options.dtypeOf?.(t.name) ?? dtype }));
  try {
    // The side files first, so that a vocabulary too small for the tokenizer fails before any weights are written.
    const files = qwen2SideFiles(shape, dtype, options.tokenizer ?? false);
    const layout = layoutFiles(tensors, options.shardSize === undefined ? {} : { shardSize: options.shardSize });
    const writer = new SafetensorsWriter(layout, out);
    const values = new Float32Array(chunk);
    for (const t of tensors) {
      const n = t.shape.reduce((a, d) => a * d, 1);
      const size = t.dtype === 'F32' ? 4 : 2;
      for (let start = 0; start < n; start += chunk) {
        const count = Math.min(chunk, n - start);
        const part = values.subarray(0, count);
        familyValues(member, t.name, start, part, options.seed);
        const bytes = new Uint8Array(count * size);
        encodeFromF32(t.dtype as FloatDtype, part, count, bytes);
        await writer.write(t.name, bytes);
      }
    }
    await writer.finish();
    for (const [file, text] of Object.entries(files)) {
      const sink = await out.create(file);
      await sink.write(new TextEncoder().encode(text));
      await sink.close();
    }
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
}
