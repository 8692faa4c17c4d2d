/**
 * Composed recipes on the golden families: several vectors (pairs and a stored vector), negation,
 * analogies and per-vector rules, against a float64 reference and against identities that must hold
 * bit for bit.
 *
 * Reference: each element of θ = t + Σᵢ αᵢ·(gᵢ − sᵢ) in float64 from the decoded inputs. The kernel
 * rounds each step to float32 (kernel.ts), so it may differ from the rounded-once value by the
 * accumulated float32 error; the test bounds that error explicitly, and separately checks the exact
 * float32 fold with Math.fround element by element (written from the contract, not the kernel).
 */
import { describe, expect, it } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../checkpoint/synthetic.ts';
import type { FloatDtype } from '../dtype.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { tensorBytes, tensorValues, ulp } from '../testing/reference.ts';
import { createCpuBackend } from './cpu-kernel.ts';
import { createSimdBackend } from './simd-kernel.ts';
import { composeRecipe, extractRecipe, mergeRecipe, type Recipe, type RecipeVector } from './recipe.ts';
import { mergeToFolder } from './run.ts';
import { planMerge } from './plan.ts';
import type { KernelBackend } from './kernel.ts';

async function member(m: FamilyMember, dtype: FloatDtype, seed = 1): Promise<Checkpoint> {
  const folder = new MemoryFolder(`${m}${seed}`);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype, member: m, out: folder, seed, shardSize: 20000 });
  return openCheckpoint(folder);
}

async function run(recipe: Recipe, roles: Record<string, Checkpoint>, backend: KernelBackend = createCpuBackend(997), chunkElements = 997): Promise<Checkpoint> {
  const out = new MemoryFolder('out');
  await mergeToFolder({ recipe, roles: new Map(Object.entries(roles)), backend, out, chunkElements });
  return openCheckpoint(out);
}

const family = async (dtype: FloatDtype) => {
  const [target, sft1, grpo1, sft2, grpo2, grpo3] = await Promise.all([
    member('target', dtype),
    member('sft', dtype, 1),
    member('grpo', dtype, 1),
    member('sft', dtype, 2),
    member('grpo', dtype, 2),
    member('grpo', dtype, 3),
  ]);
  return { target: target!, sft1: sft1!, grpo1: grpo1!, sft2: sft2!, grpo2: grpo2!, grpo3: grpo3! };
};

describe('composed recipes', () => {
  it('θ = t + Σ αᵢ·vᵢ over pairs and a stored vector equals the float32 fold exactly and float64 within its error bound', async () => {
    const f = await family('BF16');
    const stored = await run(extractRecipe(), { sft: f.sft2, grpo: f.grpo3 });
    const vectors: RecipeVector[] = [
      { minus: 'sft1', plus: 'grpo1', alpha: 0.3 },
      { minus: 'sft2', plus: 'grpo2', alpha: -1 },
      { plus: 'v3', alpha: 1.7 },
    ];
    const roles = { target: f.target, sft1: f.sft1, grpo1: f.grpo1, sft2: f.sft2, grpo2: f.grpo2, v3: stored };
    const out = await run(composeRecipe('target', vectors, { dtype: 'F32' }), roles);
    let compared = 0;
    for (const name of f.target.tensors.keys()) {
      const [got, t, s1, g1, s2, g2, v3] = await Promise.all([out, f.target, f.sft1, f.grpo1, f.sft2, f.grpo2, stored].map((c) => tensorValues(c, name)));
      const a = [0.3, -1, 1.7].map(Math.fround);
      for (let i = 0; i < got!.length; i++) {
        const d = [Math.fround(g1![i]! - s1![i]!), Math.fround(g2![i]! - s2![i]!), v3![i]!];
        const p = d.map((x, k) => Math.fround(a[k]! * x));
        const acc = Math.fround(Math.fround(p[0]! + p[1]!) + p[2]!);
        const fold = acc === 0 ? t![i]! : Math.fround(t![i]! + acc);
        if (!Object.is(got![i], fold)) throw new Error(`${name}[${i}]: ${got![i]} ≠ fold ${fold}`);
        const exact = t![i]! + a[0]! * (g1![i]! - s1![i]!) + a[1]! * (g2![i]! - s2![i]!) + a[2]! * v3![i]!;
        const bound = 4 * (ulp(exact, 'F32') + ulp(acc, 'F32') + p.reduce((n, x) => n + ulp(x, 'F32'), 0));
        if (Math.abs(got![i]! - exact) > bound) throw new Error(`${name}[${i}]: ${got![i]} vs float64 ${exact}`);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it('negation: α = −1 on a pair is the merge with α = −1; t + v − v is t bit for bit', async () => {
    const f = await family('BF16');
    const roles = { target: f.target, sft: f.sft1, grpo: f.grpo1 };
    const neg = await run(composeRecipe('target', [{ minus: 'sft', plus: 'grpo', alpha: -1 }]), roles);
    const merged = await run(mergeRecipe(-1), roles);
    const cancel = await run(composeRecipe('target', [{ minus: 'sft', plus: 'grpo', alpha: 0.7 }, { minus: 'sft', plus: 'grpo', alpha: -0.7 }]), roles);
    for (const name of f.target.tensors.keys()) {
      expect(await tensorBytes(neg, name), name).toEqual(await tensorBytes(merged, name));
      expect(await tensorBytes(cancel, name), name).toEqual(await tensorBytes(f.target, name));
    }
  });

  it('analogy vₐ − v_b + v_c with v_b = vₐ is v_c alone, bit for bit; the planner reads each checkpoint once', async () => {
    const f = await family('F16');
    const roles = { target: f.target, sa: f.sft1, ga: f.grpo1, sb: f.sft1, gb: f.grpo1, sc: f.sft2, gc: f.grpo2 };
    const recipe = composeRecipe('target', [
      { minus: 'sa', plus: 'ga', alpha: 1 },
      { minus: 'sb', plus: 'gb', alpha: -1 },
      { minus: 'sc', plus: 'gc', alpha: 1 },
    ]);
    const plan = planMerge(recipe, new Map(Object.entries(roles)));
    expect(plan.tensors.find((t) => t.op !== 'copy')!.inputs.length).toBe(5); // target, sft1, grpo1, sft2, grpo2
    const analogy = await run(recipe, roles);
    const alone = await run(mergeRecipe(1), { target: f.target, sft: f.sft2, grpo: f.grpo2 });
    for (const name of f.target.tensors.keys()) expect(await tensorBytes(analogy, name), name).toEqual(await tensorBytes(alone, name));
  });

  it('rules per vector: excluding vector 1 on MLP tensors leaves vector 0 there; α rules for every vector', async () => {
    const f = await family('BF16');
    const roles = { target: f.target, s1: f.sft1, g1: f.grpo1, s2: f.sft2, g2: f.grpo2 };
    const two: RecipeVector[] = [
      { minus: 's1', plus: 'g1', alpha: 0.5 },
      { minus: 's2', plus: 'g2', alpha: 2 },
    ];
    const out = await run(composeRecipe('target', two, { rules: [{ pattern: '*.mlp.*', exclude: true, vector: 1 }, { pattern: '*norm*', alpha: 0 }] }), roles);
    const first = await run(mergeRecipe(0.5), { target: f.target, sft: f.sft1, grpo: f.grpo1 });
    const both = await run(composeRecipe('target', two), roles);
    expect(await tensorBytes(out, 'model.layers.0.mlp.up_proj.weight')).toEqual(await tensorBytes(first, 'model.layers.0.mlp.up_proj.weight'));
    expect(await tensorBytes(out, 'model.layers.0.self_attn.q_proj.weight')).toEqual(await tensorBytes(both, 'model.layers.0.self_attn.q_proj.weight'));
    expect(await tensorBytes(out, 'model.norm.weight')).toEqual(await tensorBytes(f.target, 'model.norm.weight'));
    expect(() => composeRecipe('target', two, { rules: [{ pattern: '*', exclude: true, vector: 2 }] })).toThrow(/rules.0.vector: there are 2 vectors/);
  });

  it('a recipe over 17 checkpoints runs on the SIMD backend in shrunken chunks, equal to the TypeScript twin', async () => {
    const dtype: FloatDtype = 'BF16';
    const members = await Promise.all(Array.from({ length: 8 }, (_, k) => Promise.all([member('sft', dtype, 10 + k), member('grpo', dtype, 20 + k)])));
    const target = await member('target', dtype);
    const roles: Record<string, Checkpoint> = { target };
    const vectors: RecipeVector[] = members.map(([s, g], k) => {
      roles[`s${k}`] = s;
      roles[`g${k}`] = g;
      return { minus: `s${k}`, plus: `g${k}`, alpha: [0.25, -0.5, 1, 0.3, -1.1, 2, 0.125, -0.7][k]! };
    });
    const recipe = composeRecipe('target', vectors);
    const simd = await run(recipe, roles, await createSimdBackend(1024, 2), 1024);
    const ts = await run(recipe, roles, createCpuBackend(1024), 1024);
    for (const name of target.tensors.keys()) expect(await tensorBytes(simd, name), name).toEqual(await tensorBytes(ts, name));
  });
});
