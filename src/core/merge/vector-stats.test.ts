import { describe, expect, it } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../checkpoint/synthetic.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { tensorValues } from '../testing/reference.ts';
import { createCpuBackend } from './cpu-kernel.ts';
import { executePlan, type TensorStats } from './execute.ts';
import { planMerge } from './plan.ts';
import { extractRecipe } from './recipe.ts';
import { largestTensors, layerModule, summarizeVector } from './vector-stats.ts';

const stat = (name: string, shape: number[], normV: number, normRef: number, maxAbsV = normV, zeroFraction = 0): TensorStats => ({
  name,
  shape,
  normV,
  normRef,
  relative: normV / normRef,
  maxAbsV,
  zeroFraction,
});

describe('layerModule', () => {
  it('splits layer index and module, dropping the parameter name', () => {
    expect(layerModule('model.layers.3.self_attn.q_proj.weight')).toEqual({ layer: 3, module: 'self_attn.q_proj' });
    expect(layerModule('model.layers.3.self_attn.q_proj.bias')).toEqual({ layer: 3, module: 'self_attn.q_proj' });
    expect(layerModule('model.layers.12.input_layernorm.weight')).toEqual({ layer: 12, module: 'input_layernorm' });
    expect(layerModule('layers.0.mlp.experts.7.w1.weight')).toEqual({ layer: 0, module: 'mlp.experts.7.w1' });
  });
  it('leaves tensors outside the layers alone', () => {
    for (const name of ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight', 'model.xlayers.1.a.weight']) {
      expect(layerModule(name)).toBeNull();
    }
  });
});

describe('summarizeVector on hand-made statistics', () => {
  const stats = [
    stat('model.embed_tokens.weight', [10, 4], 3, 30),
    stat('model.layers.0.self_attn.q_proj.weight', [4, 4], 3, 6, 1, 0.5),
    stat('model.layers.0.self_attn.q_proj.bias', [4], 4, 8, 2, 0),
    stat('model.layers.0.mlp.up_proj.weight', [8, 4], 1, 100),
    stat('model.layers.1.self_attn.q_proj.weight', [4, 4], 12, 5),
    stat('model.norm.weight', [4], 0, 2),
  ];
  const s = summarizeVector(stats);

  it('groups weight and bias of a module into one cell with combined norms', () => {
    expect(s.layers).toEqual([0, 1]);
    expect(s.modules).toEqual(['self_attn.q_proj', 'mlp.up_proj']);
    const q0 = s.cells[0]![0]!;
    expect(q0.tensors).toBe(2);
    expect(q0.elements).toBe(20);
    expect(q0.normV).toBeCloseTo(5, 12); // √(3² + 4²)
    expect(q0.normRef).toBeCloseTo(10, 12); // √(6² + 8²)
    expect(q0.relative).toBeCloseTo(0.5, 12);
    expect(q0.maxAbsV).toBe(2);
    expect(q0.zeroFraction).toBeCloseTo(8 / 20, 12);
    expect(s.cells[1]![1]).toBeNull(); // layer 1 has no MLP tensor
  });

  it('sums rows, columns and the total the same way', () => {
    expect(s.perLayer[0]!.normV).toBeCloseTo(Math.sqrt(9 + 16 + 1), 12);
    expect(s.perLayer[1]!.relative).toBeCloseTo(12 / 5, 12);
    expect(s.perModule[0]!.normV).toBeCloseTo(Math.sqrt(9 + 16 + 144), 12);
    expect(s.perModule[0]!.normRef).toBeCloseTo(Math.sqrt(36 + 64 + 25), 12);
    expect(s.total.normV).toBeCloseTo(Math.sqrt(9 + 9 + 16 + 1 + 144 + 0), 12);
    expect(s.total.tensors).toBe(6);
    expect(s.other.map((o) => o.name)).toEqual(['model.embed_tokens.weight', 'model.norm.weight']);
    expect(s.hasReference).toBe(true);
  });

  it('marks a stored vector (no θ_SFT) as having no ratios', () => {
    const stored = summarizeVector([stat('model.layers.0.mlp.up_proj.weight', [2], 1, NaN)]);
    expect(stored.hasReference).toBe(false);
    expect(stored.cells[0]![0]!.relative).toBeNaN();
    expect(stored.cells[0]![0]!.normV).toBe(1);
  });

  it('handles no statistics', () => {
    const empty = summarizeVector([]);
    expect(empty.layers).toEqual([]);
    expect(empty.total.tensors).toBe(0);
    expect(empty.hasReference).toBe(false);
  });

  it('lists the largest tensors of v by norm, stable on ties', () => {
    expect(largestTensors(stats, 3).map((t) => t.name)).toEqual([
      'model.layers.1.self_attn.q_proj.weight',
      'model.layers.0.self_attn.q_proj.bias',
      'model.embed_tokens.weight',
    ]);
    expect(largestTensors(stats, 0)).toEqual([]);
  });
});

describe('summarizeVector on an extracted synthetic vector', () => {
  async function member(m: FamilyMember): Promise<Checkpoint> {
    const folder = new MemoryFolder(m);
    await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: m, out: folder });
    return openCheckpoint(folder);
  }

  it('equals per-layer, per-module norms computed directly from the weights in float64', async () => {
    const [sft, grpo] = await Promise.all([member('sft'), member('grpo')]);
    const plan = planMerge(extractRecipe(), new Map([['sft', sft], ['grpo', grpo]]));
    const { stats } = await executePlan(plan, createCpuBackend(333), { writer: null, stats: true, chunkElements: 333 });
    const summary = summarizeVector(stats);

    // Reference: walk the tensors by name, v = g − s in float64.
    const cellSums = new Map<string, { v: number; ref: number }>();
    const layerSums = new Map<number, { v: number; ref: number }>();
    for (const name of sft.tensors.keys()) {
      const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
      if (!m) continue;
      const [s, g] = await Promise.all([tensorValues(sft, name), tensorValues(grpo, name)]);
      let v2 = 0;
      let r2 = 0;
      for (let i = 0; i < s.length; i++) {
        v2 += (g[i]! - s[i]!) ** 2;
        r2 += s[i]! ** 2;
      }
      const key = `${m[1]}|${m[2]}`;
      const cell = cellSums.get(key) ?? { v: 0, ref: 0 };
      cellSums.set(key, { v: cell.v + v2, ref: cell.ref + r2 });
      const layer = layerSums.get(Number(m[1])) ?? { v: 0, ref: 0 };
      layerSums.set(Number(m[1]), { v: layer.v + v2, ref: layer.ref + r2 });
    }

    expect(summary.layers).toEqual([...Array(TINY_QWEN2.numLayers).keys()]);
    // 9 Qwen2 modules per layer (q, k, v with biases, o, two norms, three MLP projections).
    expect(summary.modules).toHaveLength(9);
    expect(cellSums.size).toBe(9 * TINY_QWEN2.numLayers);
    for (const [key, want] of cellSums) {
      const [layer, module] = key.split('|') as [string, string];
      const cell = summary.cells[summary.layers.indexOf(Number(layer))]![summary.modules.indexOf(module)]!;
      // BF16 rounding makes some norm weights identical in SFT and GRPO: v = 0 there, exactly.
      expect(Math.abs(cell.normV - Math.sqrt(want.v))).toBeLessThanOrEqual(1e-6 * Math.sqrt(want.v));
      expect(Math.abs(cell.relative - Math.sqrt(want.v / want.ref))).toBeLessThanOrEqual(1e-6 * Math.sqrt(want.v / want.ref));
    }
    for (const [layer, want] of layerSums) {
      const got = summary.perLayer[summary.layers.indexOf(layer)]!;
      expect(Math.abs(got.relative - Math.sqrt(want.v / want.ref))).toBeLessThanOrEqual(1e-6 * Math.sqrt(want.v / want.ref));
    }
    expect(summary.other.map((o) => o.name)).toEqual(['model.embed_tokens.weight', 'model.norm.weight']);
  });
});
