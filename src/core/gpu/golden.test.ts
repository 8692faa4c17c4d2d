/**
 * The whole merge on WebGPU against the CPU backend, bit for bit, on the golden checkpoint families
 * of merge.test.ts (single file and sharded, tied and untied, BF16 / F16 / F32 and mixed dtypes,
 * sizes that are not multiples of the chunk or the workgroup). Fails without an adapter unless
 * RVS_ALLOW_NO_GPU=1, like merge-webgpu.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadShaders, openNodeGpu } from '../../node/webgpu.ts';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember, type Qwen2Shape } from '../checkpoint/synthetic.ts';
import type { FloatDtype } from '../dtype.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { createCpuBackend } from '../merge/cpu-kernel.ts';
import type { KernelBackend } from '../merge/kernel.ts';
import { applyRecipe, composeRecipe, extractRecipe, MERGE_METHODS, mergeRecipe, parseRecipe, RECIPE_SCHEMA, type Recipe } from '../merge/recipe.ts';
import { mergeToFolder } from '../merge/run.ts';
import { tensorBytes } from '../testing/reference.ts';
import { createWebGpuBackend } from './merge-webgpu.ts';

const gpu = await openNodeGpu();
afterAll(() => gpu?.device.destroy());

async function member(m: FamilyMember, shape: Qwen2Shape, dtype: FloatDtype, shardSize?: number): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape, dtype, member: m, out: folder, ...(shardSize ? { shardSize } : {}) });
  return openCheckpoint(folder);
}

async function run(recipe: Recipe, roles: Record<string, Checkpoint>, backend: KernelBackend, chunkElements: number): Promise<Checkpoint> {
  const out = new MemoryFolder('out');
  await mergeToFolder({ recipe, roles: new Map(Object.entries(roles)), backend, out, chunkElements, stats: true });
  return openCheckpoint(out);
}

async function expectSameBytes(a: Checkpoint, b: Checkpoint): Promise<void> {
  expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()]);
  for (const name of a.tensors.keys()) expect(await tensorBytes(a, name), name).toEqual(await tensorBytes(b, name));
}

const families: Array<{ label: string; shape: Qwen2Shape; dtypes: [FloatDtype, FloatDtype, FloatDtype]; shardSize?: number }> = [
  { label: 'BF16, tied, single file', shape: TINY_QWEN2, dtypes: ['BF16', 'BF16', 'BF16'] },
  { label: 'BF16, untied, sharded', shape: { ...TINY_QWEN2, tiedEmbeddings: false }, dtypes: ['BF16', 'BF16', 'BF16'], shardSize: 9000 },
  { label: 'F16, tied, sharded', shape: TINY_QWEN2, dtypes: ['F16', 'F16', 'F16'], shardSize: 20000 },
  { label: 'F32, untied', shape: { ...TINY_QWEN2, tiedEmbeddings: false }, dtypes: ['F32', 'F32', 'F32'] },
  { label: 'mixed: BF16 target, F16 SFT, F32 GRPO', shape: TINY_QWEN2, dtypes: ['BF16', 'F16', 'F32'] },
];

describe.skipIf(!gpu && process.env.RVS_ALLOW_NO_GPU === '1')('merges on WebGPU equal the CPU backend bit for bit', () => {
  for (const f of families) {
    it(f.label, async () => {
      if (!gpu) throw new Error('no WebGPU adapter (set RVS_ALLOW_NO_GPU=1 to skip)');
      const backend = createWebGpuBackend(gpu.device, await loadShaders(), { maxChunkElements: 1000 });
      const cpu = createCpuBackend(1000);
      const [target, sft, grpo] = await Promise.all([member('target', f.shape, f.dtypes[0], f.shardSize), member('sft', f.shape, f.dtypes[1], f.shardSize), member('grpo', f.shape, f.dtypes[2], f.shardSize)]);
      try {
        for (const recipe of [mergeRecipe(1.7), mergeRecipe(-1, { dtype: 'F16' }), mergeRecipe(0), extractRecipe()]) {
          const roles: Record<string, Checkpoint> = recipe.base ? { target, sft, grpo } : { sft, grpo };
          // 998 elements a chunk: not a multiple of the 512-pair workgroup, nor of any tensor.
          await expectSameBytes(await run(recipe, roles, backend, 998), await run(recipe, roles, cpu, 998));
        }
        const vector = await run(extractRecipe(), { sft, grpo }, cpu, 998);
        await expectSameBytes(await run(applyRecipe(0.5), { target, vector }, backend, 998), await run(applyRecipe(0.5), { target, vector }, cpu, 998));
      } finally {
        await backend.dispose();
      }
    });
  }
});

/** A family member with its own seed (several SFT/GRPO pairs). */
async function seeded(m: FamilyMember, dtype: FloatDtype, seed: number): Promise<Checkpoint> {
  const folder = new MemoryFolder(`${m}${seed}`);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype, member: m, out: folder, seed });
  return openCheckpoint(folder);
}

/** The WebGPU backend and the CPU twin, both with 1000-element chunks. */
async function backends(): Promise<{ backend: KernelBackend; cpu: KernelBackend }> {
  if (!gpu) throw new Error('no WebGPU adapter (set RVS_ALLOW_NO_GPU=1 to skip)');
  return { backend: createWebGpuBackend(gpu.device, await loadShaders(), { maxChunkElements: 1000 }), cpu: createCpuBackend(1000) };
}

describe.skipIf(!gpu && process.env.RVS_ALLOW_NO_GPU === '1')('composed recipes on WebGPU equal the CPU backend bit for bit', () => {
  it('seven pairs and a stored vector (16 inputs: several passes per chunk), negation, an analogy, per-vector rules', async () => {
    const { backend, cpu } = await backends();
    try {
      const roles: Record<string, Checkpoint> = { target: await member('target', TINY_QWEN2, 'BF16') };
      const vectors = [];
      for (let k = 0; k < 7; k++) {
        roles[`s${k}`] = await seeded('sft', k % 2 ? 'F16' : 'BF16', 10 + k);
        roles[`g${k}`] = await seeded('grpo', k % 3 ? 'BF16' : 'F32', 20 + k);
        vectors.push({ minus: `s${k}`, plus: `g${k}`, alpha: [0.25, -0.5, 1, 0.3, -1.1, 2, 0.125][k]! });
      }
      roles['v'] = await run(extractRecipe(), { sft: roles['s0']!, grpo: roles['g3']! }, cpu, 998);
      const recipes = [
        composeRecipe('target', [...vectors, { plus: 'v', alpha: -0.7 }]),
        composeRecipe('target', [vectors[0]!, { ...vectors[1]!, alpha: -1 }, vectors[2]!], { dtype: 'F32', rules: [{ pattern: '*.mlp.*', exclude: true, vector: 1 }] }),
        composeRecipe(null, [vectors[3]!, { plus: 'v', alpha: -1 }]),
      ];
      for (const recipe of recipes) await expectSameBytes(await run(recipe, roles, backend, 998), await run(recipe, roles, cpu, 998));
    } finally {
      await backend.dispose();
    }
  });
});

describe.skipIf(!gpu && process.env.RVS_ALLOW_NO_GPU === '1')('ties, dare_* and breadcrumbs on WebGPU equal the CPU backend bit for bit', () => {
  it('each method on the family, thresholds and draws included', async () => {
    const { backend, cpu } = await backends();
    try {
      const roles = { base: await seeded('sft', 'BF16', 1), m1: await seeded('grpo', 'BF16', 1), m2: await seeded('grpo', 'F16', 2), m3: await seeded('target', 'F32', 3) };
      for (const method of MERGE_METHODS.filter((m) => m !== 'task_arithmetic')) {
        const recipe = parseRecipe({
          schema: RECIPE_SCHEMA,
          method,
          seed: 3,
          base: 'base',
          vectors: [
            { plus: 'm1', minus: 'base', alpha: 0.7, density: 0.5, gamma: 0.05 },
            { plus: 'm2', minus: 'base', alpha: -0.4, density: 0.3, gamma: 0.05 },
            { plus: 'm3', minus: 'base', alpha: 1.3, density: 0.8, gamma: 0.05 },
          ],
          rules: [],
          dtype: method === 'dare_linear' ? 'BF16' : 'F32',
          ...(method === 'dare_linear' ? { normalize: true } : {}),
        });
        await expectSameBytes(await run(recipe, roles, backend, 998), await run(recipe, roles, cpu, 998));
      }
    } finally {
      await backend.dispose();
    }
  });
});

