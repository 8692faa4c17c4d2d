// The float64 reference forward pass on tiny synthetic Qwen2 checkpoints: causality, a 1-layer
// case re-derived by hand, RoPE's relative-position invariance, tied vs untied heads; and
// parseDecoderConfig's errors, each naming its field.
import { beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../checkpoint/checkpoint.ts';
import { qwen2Config, TINY_QWEN2, writeFamilyMember, type Qwen2Shape } from '../checkpoint/synthetic.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { ModelConfigError, parseDecoderConfig, type DecoderConfig, type ModelConfigErrorCode } from './config.ts';
import { loadWeights, referenceLogits, ReferenceModelError, type ReferenceWeights } from './reference.ts';

interface Model {
  readonly weights: ReferenceWeights;
  readonly config: DecoderConfig;
}

async function tinyModel(shape: Qwen2Shape): Promise<Model> {
  const out = new MemoryFolder('m');
  await writeFamilyMember({ shape, dtype: 'F32', member: 'init', out });
  const ckpt = await openCheckpoint(out);
  return { weights: await loadWeights(ckpt), config: parseDecoderConfig(ckpt.config) };
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), 1e-30));
  return m;
}

const IDS = [3, 17, 96, 0, 41, 41, 8];

describe('referenceLogits', () => {
  let tied: Model;
  let untied: Model;
  let oneLayer: Model;
  beforeAll(async () => {
    tied = await tinyModel(TINY_QWEN2);
    untied = await tinyModel({ ...TINY_QWEN2, tiedEmbeddings: false });
    oneLayer = await tinyModel({ ...TINY_QWEN2, numLayers: 1 });
  });

  it('gives one finite vocab-sized row per position', () => {
    const logits = referenceLogits(tied.weights, tied.config, IDS);
    expect(logits).toHaveLength(IDS.length);
    for (const row of logits) {
      expect(row).toHaveLength(TINY_QWEN2.vocabSize);
      expect(row.every(Number.isFinite)).toBe(true);
    }
  });

  it('is causal: position i ignores later tokens, but not earlier ones', () => {
    const a = referenceLogits(tied.weights, tied.config, IDS);
    const changedLater = [...IDS.slice(0, 4), 50, 60, 70];
    const b = referenceLogits(tied.weights, tied.config, changedLater);
    for (let i = 0; i < 4; i++) expect(b[i]).toEqual(a[i]);
    for (let i = 4; i < IDS.length; i++) expect(maxRelDiff(a[i]!, b[i]!)).toBeGreaterThan(1e-6);
    // Attention does mix positions: changing token 0 moves the last position's logits.
    const c = referenceLogits(tied.weights, tied.config, [5, ...IDS.slice(1)]);
    expect(maxRelDiff(a[IDS.length - 1]!, c[IDS.length - 1]!)).toBeGreaterThan(1e-6);
  });

  /**
   * An independent, HF-shaped re-derivation of the 1-layer model's logits at the last position:
   * rotate_half with cos/sin = cat(freqs, freqs), repeat_kv, a plain softmax.
   */
  function byHand(weights: ReferenceWeights, ids: number[]): Float64Array {
    const W = (n: string) => weights.values(n);
    const L = 'model.layers.0';
    const [H, D, eps, theta] = [32, 8, 1e-6, 10000];
    const matVec = (m: Float64Array, v: number[], rows: number): number[] =>
      Array.from({ length: rows }, (_, r) => v.reduce((s, x, c) => s + m[r * v.length + c]! * x, 0));
    const norm = (v: number[], g: Float64Array): number[] => {
      const rms = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length + eps);
      return v.map((x, j) => (x / rms) * g[j]!);
    };
    const plusBias = (v: number[], b: Float64Array) => v.map((y, j) => y + b[j]!);
    const heads = (v: number[], n: number) => Array.from({ length: n }, (_, h) => v.slice(h * D, (h + 1) * D));
    const rotateHalf = (v: number[]) => [...v.slice(D / 2).map((y) => -y), ...v.slice(0, D / 2)];
    const applyRope = (v: number[], pos: number) => {
      const freqs = Array.from({ length: D / 2 }, (_, t) => pos / theta ** ((2 * t) / D));
      const emb = [...freqs, ...freqs];
      const r = rotateHalf(v);
      return v.map((y, j) => y * Math.cos(emb[j]!) + r[j]! * Math.sin(emb[j]!));
    };
    const xs = ids.map((id) => Array.from(W('model.embed_tokens.weight').subarray(id * H, (id + 1) * H)));
    const n1 = xs.map((x) => norm(x, W(`${L}.input_layernorm.weight`)));
    const proj = (name: string, rows: number) => n1.map((n) => plusBias(matVec(W(`${L}.self_attn.${name}.weight`), n, rows), W(`${L}.self_attn.${name}.bias`)));
    const q = proj('q_proj', 32).map((v, pos) => heads(v, 4).map((hv) => applyRope(hv, pos)));
    const k = proj('k_proj', 16).map((v, pos) => heads(v, 2).map((hv) => applyRope(hv, pos)));
    const v = proj('v_proj', 16).map((vv) => heads(vv, 2));
    const i = ids.length - 1;
    const attn: number[] = [];
    for (let h = 0; h < 4; h++) {
      const kvh = h >> 1; // repeat_kv: 2 query heads per kv head
      const scores = k.map((kj) => q[i]![h]!.reduce((s, y, t) => s + y * kj[kvh]![t]!, 0) / Math.sqrt(D));
      const e = scores.map(Math.exp);
      const z = e.reduce((a, b) => a + b, 0);
      for (let t = 0; t < D; t++) attn.push(e.reduce((s, p, j) => s + (p / z) * v[j]![kvh]![t]!, 0));
    }
    const x1 = matVec(W(`${L}.self_attn.o_proj.weight`), attn, H).map((y, j) => y + xs[i]![j]!);
    const n2 = norm(x1, W(`${L}.post_attention_layernorm.weight`));
    const g = matVec(W(`${L}.mlp.gate_proj.weight`), n2, 72);
    const u = matVec(W(`${L}.mlp.up_proj.weight`), n2, 72);
    const act = g.map((a, j) => (a / (1 + Math.exp(-a))) * u[j]!);
    const x2 = matVec(W(`${L}.mlp.down_proj.weight`), act, H).map((y, j) => y + x1[j]!);
    return Float64Array.from(matVec(W('model.embed_tokens.weight'), norm(x2, W('model.norm.weight')), 97));
  }

  it('matches a by-hand re-derivation of a 1-layer model at position 0', () => {
    // At position 0 RoPE is the identity and softmax over one key is 1 (attention = v).
    const got = referenceLogits(oneLayer.weights, oneLayer.config, [29, 4, 71])[0]!;
    expect(maxRelDiff(got, byHand(oneLayer.weights, [29]))).toBeLessThan(1e-12);
  });

  it('matches the by-hand re-derivation at a later position (rotate_half RoPE, GQA, softmax)', () => {
    const ids = [29, 4, 71, 12];
    const got = referenceLogits(oneLayer.weights, oneLayer.config, ids);
    for (let i = 1; i < ids.length; i++) expect(maxRelDiff(got[i]!, byHand(oneLayer.weights, ids.slice(0, i + 1)))).toBeLessThan(1e-12);
  });

  it('RoPE is relative: shifting every position by 5 leaves the logits unchanged', () => {
    const a = referenceLogits(tied.weights, tied.config, IDS);
    const b = referenceLogits(tied.weights, tied.config, IDS, { positionOffset: 5 });
    for (let i = 0; i < IDS.length; i++) expect(maxRelDiff(a[i]!, b[i]!)).toBeLessThan(1e-12);
    // ...whereas moving one token relative to the others does change them (RoPE is applied at all).
    const gap = referenceLogits(tied.weights, tied.config, [IDS[0]!, IDS[0]!, ...IDS.slice(1)]);
    expect(maxRelDiff(a[1]!, gap[2]!)).toBeGreaterThan(1e-9);
  });

  it('an untied model whose lm_head is the embedding gives the tied logits', () => {
    expect(untied.config.tieWordEmbeddings).toBe(false);
    const want = referenceLogits(tied.weights, tied.config, IDS);
    const headIsEmbedding: ReferenceWeights = {
      values: (n) => untied.weights.values(n === 'lm_head.weight' ? 'model.embed_tokens.weight' : n),
      shape: untied.weights.shape,
    };
    const got = referenceLogits(headIsEmbedding, untied.config, IDS);
    for (let i = 0; i < IDS.length; i++) expect(got[i]).toEqual(want[i]);
    // Its own lm_head is used when untied.
    const own = referenceLogits(untied.weights, untied.config, IDS);
    expect(maxRelDiff(own[0]!, want[0]!)).toBeGreaterThan(1e-3);
  });

  it('Llama (no q/k/v bias) ignores the bias tensors', () => {
    const llama: DecoderConfig = { ...tied.config, architecture: 'LlamaForCausalLM', attentionBias: false };
    const noBias: ReferenceWeights = {
      values: (n) => (n.endsWith('_proj.bias') ? new Float64Array(tied.weights.values(n).length) : tied.weights.values(n)),
      shape: tied.weights.shape,
    };
    expect(referenceLogits(tied.weights, llama, IDS)).toEqual(referenceLogits(noBias, tied.config, IDS));
  });

  it('fails on a token outside the vocabulary and on a wrong tensor shape', () => {
    expect(() => referenceLogits(tied.weights, tied.config, [97])).toThrow(ReferenceModelError);
    const wrong = { ...tied.config, intermediateSize: 71 };
    const e = (() => {
      try {
        referenceLogits(tied.weights, wrong, [1]);
      } catch (err) {
        return err as ReferenceModelError;
      }
      throw new Error('no error');
    })();
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain('model.layers.0.mlp.gate_proj.weight');
  });
});

describe('parseDecoderConfig', () => {
  const base = qwen2Config(TINY_QWEN2, 'F32');

  it('reads a Qwen2 config, with head_dim defaulting to hidden / heads', () => {
    expect(parseDecoderConfig(base)).toEqual({
      architecture: 'Qwen2ForCausalLM',
      hiddenSize: 32,
      intermediateSize: 72,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 8,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      vocabSize: 97,
      tieWordEmbeddings: true,
      attentionBias: true,
      maxPositionEmbeddings: 128,
    });
    expect(parseDecoderConfig({ ...base, head_dim: 16 }).headDim).toBe(16);
  });

  it('gives Llama no attention bias unless attention_bias says so', () => {
    const llama = { ...base, architectures: ['LlamaForCausalLM'], model_type: 'llama' };
    expect(parseDecoderConfig(llama).attentionBias).toBe(false);
    expect(parseDecoderConfig({ ...llama, attention_bias: true }).attentionBias).toBe(true);
  });

  const cases: [string, Record<string, unknown>, ModelConfigErrorCode, string][] = [
    ['no architectures', { architectures: undefined }, 'MISSING_FIELD', 'architectures'],
    ['an unknown architecture', { architectures: ['GPT2LMHeadModel'] }, 'UNSUPPORTED_ARCHITECTURE', 'architectures'],
    ['no hidden_size', { hidden_size: undefined }, 'MISSING_FIELD', 'hidden_size'],
    ['a fractional intermediate_size', { intermediate_size: 7.5 }, 'INVALID_FIELD', 'intermediate_size'],
    ['a string num_hidden_layers', { num_hidden_layers: '2' }, 'INVALID_FIELD', 'num_hidden_layers'],
    ['zero heads', { num_attention_heads: 0 }, 'INVALID_FIELD', 'num_attention_heads'],
    ['kv heads not dividing heads', { num_key_value_heads: 3 }, 'INVALID_FIELD', 'num_key_value_heads'],
    ['an odd head_dim', { head_dim: 7 }, 'INVALID_FIELD', 'head_dim'],
    ['a negative rms_norm_eps', { rms_norm_eps: -1 }, 'INVALID_FIELD', 'rms_norm_eps'],
    ['rope scaling', { rope_scaling: { type: 'yarn', factor: 4 } }, 'INVALID_FIELD', 'rope_scaling'],
    ['a gelu activation', { hidden_act: 'gelu' }, 'INVALID_FIELD', 'hidden_act'],
    ['no vocab_size', { vocab_size: undefined }, 'MISSING_FIELD', 'vocab_size'],
    ['a string tie_word_embeddings', { tie_word_embeddings: 'yes' }, 'INVALID_FIELD', 'tie_word_embeddings'],
  ];
  it.each(cases)('rejects %s, naming the field', (_, patch, code, field) => {
    const config: Record<string, unknown> = { ...base, ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete config[k];
    let err: unknown;
    try {
      parseDecoderConfig(config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelConfigError);
    const e = err as ModelConfigError;
    expect(e.code).toBe(code);
    expect(e.field).toBe(field);
    expect(e.message).toContain(`"${field}"`);
  });

  it('rejects a config that is not an object', () => {
    expect(() => parseDecoderConfig([])).toThrow(ModelConfigError);
    expect(() => parseDecoderConfig(null)).toThrow(/not a JSON object/);
  });
});
