/**
 * A Hugging Face `config.json` for a decoder-only causal LM (Qwen2, Llama) as a typed
 * `DecoderConfig`. Fields are checked in a fixed order; the first bad one fails, named.
 */

export type ModelConfigErrorCode =
  | 'NOT_AN_OBJECT' // config is not a JSON object
  | 'UNSUPPORTED_ARCHITECTURE' // `architectures` missing or not one this module knows
  | 'MISSING_FIELD' // a required field is absent
  | 'INVALID_FIELD'; // a field has the wrong type or an impossible value

export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
  constructor(
    readonly code: ModelConfigErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(`config.json: ${field ? `"${field}" ` : ''}${message}`);
  }
}

/** Architectures as data: the only difference the reference needs is the q/k/v bias. */
export const DECODER_ARCHITECTURES = {
  Qwen2ForCausalLM: { attentionBias: true },
  LlamaForCausalLM: { attentionBias: false },
} as const;

export type DecoderArchitecture = keyof typeof DECODER_ARCHITECTURES;

export interface DecoderConfig {
  readonly architecture: DecoderArchitecture;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly vocabSize: number;
  readonly tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (Qwen2 always; Llama when `attention_bias` is true). */
  readonly attentionBias: boolean;
  /** Longest sequence the rotary tables cover (`max_position_embeddings`, 32768 when absent). */
  readonly maxPositionEmbeddings: number;
}

export function parseDecoderConfig(json: unknown): DecoderConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelConfigError('NOT_AN_OBJECT', 'config is not a JSON object');
  }
  const c = json as Record<string, unknown>;
  const architecture = parseArchitecture(c['architectures']);

  const hiddenSize = positiveInt(c, 'hidden_size');
  const intermediateSize = positiveInt(c, 'intermediate_size');
  const numLayers = positiveInt(c, 'num_hidden_layers');
  const numHeads = positiveInt(c, 'num_attention_heads');
  const numKvHeads = c['num_key_value_heads'] === undefined ? numHeads : positiveInt(c, 'num_key_value_heads');
  if (numHeads % numKvHeads !== 0) {
    throw new ModelConfigError('INVALID_FIELD', `(${numKvHeads}) must divide num_attention_heads (${numHeads})`, 'num_key_value_heads');
  }
  let headDim: number;
  if (c['head_dim'] === undefined || c['head_dim'] === null) {
    if (hiddenSize % numHeads !== 0) {
      throw new ModelConfigError('INVALID_FIELD', `(${numHeads}) must divide hidden_size (${hiddenSize}) when head_dim is absent`, 'num_attention_heads');
    }
    headDim = hiddenSize / numHeads;
  } else {
    headDim = positiveInt(c, 'head_dim');
  }
  if (headDim % 2 !== 0) throw new ModelConfigError('INVALID_FIELD', `(${headDim}) must be even for rotary embeddings`, 'head_dim');

  const rmsNormEps = c['rms_norm_eps'] === undefined ? 1e-6 : positiveNumber(c, 'rms_norm_eps');
  const ropeTheta = parseRope(c);
  const act = c['hidden_act'];
  if (act !== undefined && act !== 'silu') {
    throw new ModelConfigError('INVALID_FIELD', `is ${JSON.stringify(act)}; only "silu" is supported`, 'hidden_act');
  }
  const vocabSize = positiveInt(c, 'vocab_size');
  const tieWordEmbeddings = c['tie_word_embeddings'] === undefined ? false : bool(c, 'tie_word_embeddings');
  const maxPositionEmbeddings = c['max_position_embeddings'] === undefined ? 32768 : positiveInt(c, 'max_position_embeddings');
  let attentionBias: boolean = DECODER_ARCHITECTURES[architecture].attentionBias;
  if (architecture === 'LlamaForCausalLM' && c['attention_bias'] !== undefined) attentionBias = bool(c, 'attention_bias');

  return {
    architecture,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps,
    ropeTheta,
    vocabSize,
    tieWordEmbeddings,
    attentionBias,
    maxPositionEmbeddings,
  };
}

/**
 * RoPE settings in either layout, as transformers reads them:
 *   transformers 4:  "rope_theta": 1000000.0, "rope_scaling": null | {"rope_type" (or "type"): …, "factor": …}
 *   transformers 5 (and mergekit on it):  "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0}
 * `rope_parameters.rope_theta` wins over a top-level `rope_theta` in transformers 5; here the two
 * must agree. Only the default (unscaled) RoPE over the full head is implemented: every other
 * `rope_type` (linear, dynamic, yarn, longrope, llama3, …), a `partial_rotary_factor` other than 1
 * and per-layer-type parameters are refused rather than silently computed as the default.
 */
function parseRope(c: Record<string, unknown>): number {
  const top = c['rope_theta'] === undefined || c['rope_theta'] === null ? undefined : positiveNumber(c, 'rope_theta');
  let theta = top;
  for (const field of ['rope_scaling', 'rope_parameters'] as const) {
    const p = c[field];
    if (p === undefined || p === null) continue;
    if (typeof p !== 'object' || Array.isArray(p)) {
      throw new ModelConfigError('INVALID_FIELD', `must be an object, not ${JSON.stringify(p)}`, field);
    }
    const params = p as Record<string, unknown>;
    const nested = Object.entries(params).find(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v));
    if (nested) {
      throw new ModelConfigError('INVALID_FIELD', `holds per-layer RoPE parameters ("${nested[0]}"); only one set for all layers is supported`, field);
    }
    const type = params['rope_type'] ?? params['type'] ?? 'default';
    if (type !== 'default') {
      throw new ModelConfigError('INVALID_FIELD', `has rope_type ${JSON.stringify(type)}; only the default RoPE is implemented (no linear, dynamic, yarn, longrope or llama3 scaling)`, field);
    }
    checkFullRotary(params, `${field}.partial_rotary_factor`);
    if (params['rope_theta'] !== undefined && params['rope_theta'] !== null) {
      const inner = positiveNumber(params, 'rope_theta', `${field}.rope_theta`);
      if (theta !== undefined && inner !== theta) {
        throw new ModelConfigError('INVALID_FIELD', `(${inner}) disagrees with ${top === theta ? '"rope_theta"' : 'another rope_theta'} (${theta})`, `${field}.rope_theta`);
      }
      theta = inner;
    }
  }
  checkFullRotary(c, 'partial_rotary_factor');
  return theta ?? 10000;
}

function checkFullRotary(c: Record<string, unknown>, field: string): void {
  const key = field.slice(field.lastIndexOf('.') + 1);
  const v = c[key];
  if (v !== undefined && v !== null && v !== 1) {
    throw new ModelConfigError('INVALID_FIELD', `is ${JSON.stringify(v)}; only RoPE over the full head (1) is implemented`, field);
  }
}

function parseArchitecture(value: unknown): DecoderArchitecture {
  if (value === undefined) throw new ModelConfigError('MISSING_FIELD', 'is missing', 'architectures');
  if (!Array.isArray(value) || value.length !== 1 || typeof value[0] !== 'string') {
    throw new ModelConfigError('INVALID_FIELD', 'must be an array of one architecture name', 'architectures');
  }
  const name: string = value[0];
  if (!Object.hasOwn(DECODER_ARCHITECTURES, name)) {
    const known = Object.keys(DECODER_ARCHITECTURES).join(', ');
    throw new ModelConfigError('UNSUPPORTED_ARCHITECTURE', `names ${name}; supported: ${known}`, 'architectures');
  }
  return name as DecoderArchitecture;
}

function present(c: Record<string, unknown>, field: string): unknown {
  const v = c[field];
  if (v === undefined || v === null) throw new ModelConfigError('MISSING_FIELD', 'is missing', field);
  return v;
}

function positiveInt(c: Record<string, unknown>, field: string): number {
  const v = present(c, field);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new ModelConfigError('INVALID_FIELD', `must be a positive integer, not ${JSON.stringify(v)}`, field);
  }
  return v;
}

function positiveNumber(c: Record<string, unknown>, field: string, shown = field): number {
  const v = present(c, field);
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ModelConfigError('INVALID_FIELD', `must be a positive number, not ${JSON.stringify(v)}`, shown);
  }
  return v;
}

function bool(c: Record<string, unknown>, field: string): boolean {
  const v = present(c, field);
  if (typeof v !== 'boolean') throw new ModelConfigError('INVALID_FIELD', `must be true or false, not ${JSON.stringify(v)}`, field);
  return v;
}
