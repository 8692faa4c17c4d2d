/**
 * ties, breadcrumbs, dare_linear and dare_ties on the golden family, against float64
 * re-implementations written from mergekit's definitions (sparsify.py: magnitude,
 * magnitude_outliers, bernoulli; generalized_task_arithmetic.py: get_mask with "sum", the disjoint
 * mean). The references sort whole tensors (the engine selects by streaming histograms) and compute
 * in float64 (the engine in float32): selections must agree exactly, values within the float32
 * rounding of the engine's steps. DARE's draw is checked by its statistics, by reproducibility for
 * a seed and by its independence of chunking.
 */
import { describe, expect, it } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../checkpoint/synthetic.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { tensorBytes, tensorValues, ulp } from '../testing/reference.ts';
import { createCpuBackend } from './cpu-kernel.ts';
import { parseRecipe, RECIPE_SCHEMA, type MergeMethod, type Recipe } from './recipe.ts';
import { mergeToFolder } from './run.ts';
import { createSimdBackend } from './simd-kernel.ts';
import type { KernelBackend } from './kernel.ts';

async function member(m: FamilyMember, seed: number): Promise<Checkpoint> {
  const folder = new MemoryFolder(`${m}${seed}`);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: m, out: folder, seed });
  return openCheckpoint(folder);
}

const family = async () => ({ base: await member('sft', 1), m1: await member('grpo', 1), m2: await member('grpo', 2), m3: await member('target', 3) });

async function run(recipe: Recipe, roles: Record<string, Checkpoint>, chunkElements = 997, backend: KernelBackend = createCpuBackend(chunkElements)): Promise<Checkpoint> {
  const out = new MemoryFolder('out');
  await mergeToFolder({ recipe, roles: new Map(Object.entries(roles)), backend, out, chunkElements });
  return openCheckpoint(out);
}

const WEIGHTS = [0.7, -0.4, 1.3];
const DENSITY = [0.5, 0.3, 0.8];

function recipeOf(method: MergeMethod, extra: Partial<Recipe> = {}, gamma?: number): Recipe {
  return parseRecipe({
    schema: RECIPE_SCHEMA,
    method,
    base: 'base',
    vectors: ['m1', 'm2', 'm3'].map((m, i) => ({ plus: m, minus: 'base', alpha: WEIGHTS[i], density: DENSITY[i], ...(gamma === undefined ? {} : { gamma }) })),
    rules: [],
    dtype: 'F32',
    ...extra,
  });
}

/** mergekit's sparsification of one task vector, by sorting (float64). */
function referenceMask(method: 'ties' | 'breadcrumbs', delta: Float64Array, density: number, gamma: number): Uint8Array {
  const n = delta.length;
  const sorted = Float64Array.from(delta, Math.abs).sort();
  const mask = new Uint8Array(n);
  if (method === 'ties') {
    const k = Math.floor(density * n);
    const threshold = sorted[n - k]!; // the k-th largest
    delta.forEach((d, i) => (mask[i] = Number(Math.abs(d) >= threshold)));
  } else {
    const target = Math.floor(density * n);
    let nTop = Math.floor(gamma * n);
    let nBot = n - target - nTop;
    if (nBot < 0) [nTop, nBot] = [nTop + nBot, 0];
    const lo = sorted[nBot]!;
    const hi = nTop > 0 ? sorted[n - nTop]! : Infinity;
    delta.forEach((d, i) => (mask[i] = Number(lo <= Math.abs(d) && Math.abs(d) < hi)));
  }
  return mask;
}

describe('ties and breadcrumbs against float64 references from mergekit\'s definitions', () => {
  for (const [method, gamma] of [
    ['ties', undefined],
    ['breadcrumbs', 0.05],
  ] as const) {
    it(method, async () => {
      const f = await family();
      const out = await run(recipeOf(method, {}, gamma), f);
      let compared = 0;
      let skipped = 0;
      for (const name of f.base.tensors.keys()) {
        const [got, b, ...ms] = await Promise.all([out, f.base, f.m1, f.m2, f.m3].map((c) => tensorValues(c, name)));
        const deltas = ms.map((m) => m!.map((x, i) => x - b![i]!));
        const masks = deltas.map((d, k) => referenceMask(method, d, DENSITY[k]!, gamma ?? 0.01));
        for (let i = 0; i < got!.length; i++) {
          const p = deltas.map((d, k) => WEIGHTS[k]! * d[i]! * masks[k]![i]!);
          let mixed: number;
          let bound = ulp(b![i]!, 'F32');
          for (const x of p) bound += 2 * ulp(x, 'F32');
          if (method === 'ties') {
            const s = p.reduce((a, x) => a + x, 0);
            if (p.some((x) => x !== 0) && Math.abs(s) <= bound) {
              skipped++; // the majority sign of a sum this close to 0 may differ in float32
              continue;
            }
            const sign = s >= 0 ? 1 : -1;
            const agree = p.map((x) => Math.sign(x) === sign);
            mixed = p.reduce((a, x, k) => a + (agree[k] ? x : 0), 0);
            const div = WEIGHTS.reduce((a, w, k) => a + (agree[k] ? w : 0), 0) || 1;
            mixed /= div; // ties normalises by default
            bound = bound / Math.abs(div) + 2 * ulp(mixed, 'F32');
          } else {
            mixed = p.reduce((a, x) => a + x, 0);
          }
          const want = b![i]! + mixed;
          bound += 2 * ulp(want, 'F32') + 2 * ulp(mixed, 'F32');
          if (Math.abs(got![i]! - want) > bound) throw new Error(`${name}[${i}]: ${got![i]} vs reference ${want} (masks ${masks.map((m) => m[i]).join('')})`);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(20_000);
      expect(skipped / compared).toBeLessThan(0.001);
    });
  }

  it('the SIMD backend and any chunking give the same bytes', async () => {
    const f = await family();
    for (const method of ['ties', 'breadcrumbs', 'dare_ties'] as const) {
      const a = await run(recipeOf(method), f, 997);
      const b = await run(recipeOf(method), f, 4096, await createSimdBackend(4096, 2));
      for (const name of f.base.tensors.keys()) expect(await tensorBytes(a, name), `${method} ${name}`).toEqual(await tensorBytes(b, name));
    }
  });
});

describe('DARE', () => {
  it('dare_linear keeps about density of each vector, each kept entry w·d/density, dropped ones nothing', async () => {
    const f = await family();
    const recipe = parseRecipe({ schema: RECIPE_SCHEMA, method: 'dare_linear', base: 'base', vectors: [{ plus: 'm1', minus: 'base', alpha: 0.6, density: 0.3 }], rules: [], dtype: 'F32', seed: 11 });
    const out = await run(recipe, f);
    let kept = 0;
    let total = 0;
    for (const name of f.base.tensors.keys()) {
      const [got, b, m] = await Promise.all([out, f.base, f.m1].map((c) => tensorValues(c, name)));
      for (let i = 0; i < got!.length; i++) {
        const d = Math.fround(m![i]! - b![i]!);
        const p = Math.fround(Math.fround(0.6) * Math.fround(d * Math.fround(1 / 0.3)));
        const keptValue = p === 0 ? b![i]! : Math.fround(b![i]! + p);
        if (got![i] === keptValue && p !== 0) kept++;
        else if (got![i] !== b![i]) throw new Error(`${name}[${i}]: ${got![i]} is neither kept (${keptValue}) nor dropped (${b![i]})`);
        if (d !== 0) total++;
      }
    }
    const sigma = Math.sqrt(total * 0.3 * 0.7);
    expect(Math.abs(kept - 0.3 * total)).toBeLessThan(5 * sigma);
  });

  it('a seed reproduces a merge byte for byte; another seed gives another merge', async () => {
    const f = await family();
    const a = await run(recipeOf('dare_ties', { seed: 5 }), f);
    const b = await run(recipeOf('dare_ties', { seed: 5 }), f, 4096);
    const c = await run(recipeOf('dare_ties', { seed: 6 }), f);
    for (const name of f.base.tensors.keys()) expect(await tensorBytes(a, name), name).toEqual(await tensorBytes(b, name));
    const bytesA = await Promise.all([...f.base.tensors.keys()].map((n) => tensorBytes(a, n)));
    const bytesC = await Promise.all([...f.base.tensors.keys()].map((n) => tensorBytes(c, n)));
    const differ = bytesA.filter((x, i) => x.some((v, j) => v !== bytesC[i]![j])).length;
    expect(differ).toBeGreaterThan(bytesA.length / 2);
  });
});
