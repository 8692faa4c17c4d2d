/**
 * The GPU memory plan: byte counts of a tiny config computed by hand, the weight list against the
 * graph builder, the choices (precision, mode, batch) and the plain-words suggestions, and the real
 * Qwen2.5-0.5B / 1.5B shapes (issue 10, deliverable 7).
 */
import { describe, expect, it } from 'vitest';
import { QWEN25_05B, QWEN25_15B, qwen2Config, TINY_QWEN2, type Qwen2Shape } from '../checkpoint/synthetic.ts';
import { parseDecoderConfig, type DecoderConfig } from '../model/config.ts';
import { buildDecoderGraph } from '../model/graph.ts';
import { checkpointInputs, countGpuBytes, decoderWeights, formatBytes, planGpuMemory, type AdapterFacts, type MemoryPlanRequest } from './memory-plan.ts';

const configOf = (shape: Qwen2Shape): DecoderConfig => parseDecoderConfig(qwen2Config(shape, 'BF16'));
const BIG: AdapterFacts = { shaderF16: false, maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };

/** hidden 8, MLP 16, 1 layer, 2 query heads and 1 kv head of 4, vocabulary 10, tied, 16 positions. */
const TINY: DecoderConfig = {
  architecture: 'Qwen2ForCausalLM', hiddenSize: 8, intermediateSize: 16, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 4,
  rmsNormEps: 1e-6, ropeTheta: 10000, vocabSize: 10, tieWordEmbeddings: true, attentionBias: true, maxPositionEmbeddings: 16,
};
const tinyRequest = (over: Partial<MemoryPlanRequest> = {}): MemoryPlanRequest => ({
  config: TINY, mergeInputs: checkpointInputs(TINY, 'BF16'), batchSize: 2, contextLength: 6, adapter: BIG, ...over,
});

describe('decoderWeights', () => {
  it.each([
    ['Qwen2, tied', configOf(TINY_QWEN2)],
    ['Qwen2, untied', configOf({ ...TINY_QWEN2, tiedEmbeddings: false })],
    ['Llama (no q/k/v bias)', { ...configOf(TINY_QWEN2), architecture: 'LlamaForCausalLM', attentionBias: false } as DecoderConfig],
  ])('lists the weights the graph builder declares (%s)', (_name, config) => {
    const shapes = new Map(decoderWeights(config).map((w) => [w.key, w.dims]));
    const graph = buildDecoderGraph(config, { ops: 'contrib', weights: { kind: 'inputs' }, shapes: (k) => shapes.get(k) });
    expect(decoderWeights(config)).toEqual(graph.weights.map((w) => ({ key: w.key, dims: w.dims })));
  });
});

describe('countGpuBytes on a tiny config, by hand', () => {
  // Weight elements: embed 10·8 = 80; layer: norm 8, q 8·8 = 64 + bias 8, k 4·8 = 32 + 4, v 32 + 4,
  // o 64, norm 8, gate/up/down 16·8 = 128 each; final norm 8. A buffer is whole words, at least 16.
  //   float32: 320 + 32 + 256 + 32 + 128 + 16 + 128 + 16 + 256 + 32 + 3·512 + 32         = 2784
  //   float16: 160 + 16 + 128 + 16 +  64 + 16 +  64 + 16 + 128 + 16 + 3·256 + 16 (8 → 16) = 1408
  it('resident, float32, batch 2, context 6', () => {
    expect(countGpuBytes(tinyRequest(), 'f32', 'resident', 2)).toEqual({
      weights: 2784,
      mergeInputs: 3 * 1408, // three BF16 checkpoints: the float16 sizes
      streamWindow: 0,
      kvCache: 2 * 1 * 2 * 2 * 1 * 6 * 4 * 4, // past + present × layers × (k, v) × B × kv heads × T × D × 4 = 768
      // hidden 3·(2·6·8)·4 = 1152; attention: scores 2·(2·2·6·6)·4 = 1152 + q/k/v 2·6·(2+2)·4·4 = 768;
      // MLP 3·(2·6·16)·4 = 2304 (the larger); bias 2·6·6·4 = 288
      activations: 1152 + 2304 + 288,
      logits: 2 * 1 * 10 * 4,
      constants: 2 * 16 * 2 * 4, // cos and sin [16 positions, D/2]
      total: 2784 + 4224 + 768 + 3744 + 80 + 256,
      largestBuffer: { name: 'an MLP intermediate', bytes: 2 * 6 * 16 * 4 }, // over gate_proj's 512 and the scores' 576
    });
  });

  it('streamed, float16, batch 2, context 6', () => {
    const bytes = countGpuBytes(tinyRequest(), 'f16', 'streamed', 2);
    expect(bytes).toMatchObject({
      weights: 1408,
      mergeInputs: 0,
      streamWindow: 3 * 256, // three inputs × the longest tensor (128 BF16 elements)
      kvCache: 384,
      // hidden 3·96·2 = 576; attention 1152 (float32 scores) + 2·6·16·2 = 384 → 1536 > MLP 3·192·2 = 1152; bias 288
      activations: 576 + 1536 + 288,
      logits: 80 + 40, // float32 logits and the float16 product before the cast
      constants: 2 * 16 * 2 * 2,
      total: 1408 + 768 + 384 + 2400 + 120 + 128,
    });
  });
});

describe('planGpuMemory', () => {
  it('keeps resident float32 at the asked batch when it fits, and names why', () => {
    const plan = planGpuMemory(tinyRequest({ budgetBytes: 11856 }));
    expect(plan).toMatchObject({ fits: true, precision: 'f32', mode: 'resident', batchSize: 2, suggestions: [] });
    expect(plan.reasons).toEqual(['float32: the adapter lacks shader-f16, which float16 compute needs', expect.stringMatching(/^resident: /)]);
    expect(planGpuMemory(tinyRequest({ budgetBytes: 11856, adapter: { ...BIG, shaderF16: true } })).precision).toBe('f16');
  });

  it('streams the inputs before it gives up batch size, then lowers the batch', () => {
    const streamed = planGpuMemory(tinyRequest({ budgetBytes: 11855 }));
    expect(streamed).toMatchObject({ fits: true, mode: 'streamed', batchSize: 2 });
    expect(streamed.reasons[1]).toBe('streamed: keeping the merge inputs resident (4.2 kB) would need 11.9 kB, over the 11.9 kB budget; a new α re-reads the checkpoints instead');
    const smaller = planGpuMemory(tinyRequest({ budgetBytes: 7000 }));
    expect(smaller).toMatchObject({ fits: true, mode: 'streamed', batchSize: 1 });
    expect(smaller.bytes.total).toBe(countGpuBytes(tinyRequest(), 'f32', 'streamed', 1).total);
    expect(smaller.suggestions).toEqual(['batch 2 needs 8.4 kB (streamed), over the 7.0 kB budget; batch 1 fits']);
  });

  it('says in plain words what would fit when nothing does', () => {
    const plan = planGpuMemory(tinyRequest({ budgetBytes: 5000 }));
    expect(plan.fits).toBe(false);
    const need = countGpuBytes(tinyRequest(), 'f32', 'streamed', 1).total;
    expect(plan.suggestions[0]).toBe(`batch 1 streamed in float32 needs ${formatBytes(need)}, over the 5.0 kB budget`);
    expect(plan.suggestions).toContain(`float16 would need ${formatBytes(countGpuBytes(tinyRequest(), 'f16', 'streamed', 1).total)} and fit, but this adapter lacks shader-f16`);
    expect(plan.suggestions.at(-1)).toBe(`a budget of ${formatBytes(need)} would fit batch 1: raise it if your card has that much free memory`);
    // The longest context that fits: it fits, one more token does not.
    const context = Number(plan.suggestions.find((s) => s.startsWith('a context of'))!.match(/\d+/)![0]);
    const at = (n: number) => countGpuBytes(tinyRequest({ contextLength: n }), 'f32', 'streamed', 1).total;
    expect(at(context)).toBeLessThanOrEqual(5000);
    expect(at(context + 1)).toBeGreaterThan(5000);
  });

  it('checks the largest buffer against the adapter limits, and refuses float16 without shader-f16', () => {
    const small: AdapterFacts = { shaderF16: false, maxBufferSize: 1 << 20, maxStorageBufferBindingSize: 511 };
    const plan = planGpuMemory(tinyRequest({ batchSize: 1, contextLength: 2, adapter: small }));
    expect(plan.fits).toBe(false);
    expect(plan.suggestions[0]).toBe("model.layers.0.mlp.gate_proj.weight needs one buffer of 512 bytes, over this adapter's limit of 511 bytes (maxBufferSize / maxStorageBufferBindingSize)");
    expect(planGpuMemory(tinyRequest({ batchSize: 1, contextLength: 2, adapter: { ...small, shaderF16: true } })).fits).toBe(true);
    const forced = planGpuMemory(tinyRequest({ precision: 'f16' }));
    expect(forced).toMatchObject({ fits: false, precision: 'f16' });
    expect(forced.suggestions[0]).toMatch(/lacks/);
    expect(() => planGpuMemory(tinyRequest({ batchSize: 0 }))).toThrow(RangeError);
  });
});

// The real shapes: src/core/checkpoint/synthetic.ts QWEN25_05B / QWEN25_15B, from the models'
// config.json. Their parameter counts match the Qwen2.5 model card table (Qwen blog, 2024-09-19,
// QwenLM/qwenlm.github.io content/blog/qwen2.5/index.md): 0.49B (0.36B non-embedding), 24 layers,
// 14 / 2 heads; 1.54B (1.31B non-embedding), 28 layers, 12 / 2 heads; both with tied embeddings.
describe('the paper\'s models on paper', () => {
  const params = (c: DecoderConfig) => decoderWeights(c).reduce((n, w) => n + w.dims.reduce((a, b) => a * b, 1), 0);
  const small = configOf(QWEN25_05B);
  const large = configOf(QWEN25_15B);
  const request = (config: DecoderConfig, over: Partial<MemoryPlanRequest>): MemoryPlanRequest => ({
    config, mergeInputs: checkpointInputs(config, 'BF16'), batchSize: 8, contextLength: 2048, adapter: BIG, ...over,
  });

  it('has the model card\'s parameter counts', () => {
    for (const [c, total, nonEmbedding, layers, heads] of [[small, 0.49, 0.36, 24, [14, 2]], [large, 1.54, 1.31, 28, [12, 2]]] as const) {
      expect(Number((params(c) / 1e9).toFixed(2))).toBe(total);
      expect(Number(((params(c) - c.vocabSize * c.hiddenSize) / 1e9).toFixed(2))).toBe(nonEmbedding);
      expect([c.numLayers, c.numHeads, c.numKvHeads, c.tieWordEmbeddings]).toEqual([layers, ...heads, true]);
    }
  });

  it('0.5B: float32 weights and three resident BF16 checkpoints are the 4.94 GB the studio measured', () => {
    const bytes = countGpuBytes(request(small, {}), 'f32', 'resident', 1);
    expect(bytes.weights + bytes.mergeInputs).toBe(params(small) * 4 + 3 * params(small) * 2);
    expect(formatBytes(bytes.weights + bytes.mergeInputs)).toBe('4.94 GB');
  });

  it('1.5B under the default 4 GB budget with shader-f16: float16, streamed, and it fits (batch 1)', () => {
    const plan = planGpuMemory(request(large, { adapter: { ...BIG, shaderF16: true } }));
    expect(plan).toMatchObject({ fits: true, precision: 'f16', mode: 'streamed', batchSize: 1, budgetBytes: 4e9 });
    expect(plan.bytes.total).toBeLessThanOrEqual(4e9);
    expect(plan.bytes.weights).toBe(params(large) * 2);
    expect(plan.suggestions).toEqual([expect.stringMatching(/^batch 8 needs [\d.]+ GB \(streamed\), over the 4\.00 GB budget; batch 1 fits$/)]);
  });

  it('1.5B under 4 GB without shader-f16 does not fit, and says why', () => {
    const plan = planGpuMemory(request(large, { batchSize: 1 }));
    expect(plan).toMatchObject({ fits: false, precision: 'f32', mode: 'streamed' });
    expect(plan.suggestions).toEqual([
      `batch 1 streamed in float32 needs ${formatBytes(plan.bytes.total)}, over the 4.00 GB budget`,
      `float16 would need ${formatBytes(countGpuBytes(request(large, {}), 'f16', 'streamed', 1).total)} and fit, but this adapter lacks shader-f16`,
      `a budget of ${formatBytes(plan.bytes.total)} would fit batch 1: raise it if your card has that much free memory`,
    ]);
  });

  it('1.5B under 8 GB without shader-f16: float32, streamed, and it fits', () => {
    const plan = planGpuMemory(request(large, { budgetBytes: 8e9 }));
    expect(plan).toMatchObject({ fits: true, precision: 'f32', mode: 'streamed' });
    expect(plan.batchSize).toBeGreaterThanOrEqual(1);
    expect(plan.bytes.total).toBeLessThanOrEqual(8e9);
    expect(plan.bytes.weights).toBe(params(large) * 4);
  });
});
