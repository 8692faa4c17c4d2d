/**
 * The resident GPU merge (Dawn) against `mergeToFolder` on the CPU backend with F32 and F16 output,
 * bit for bit, before and after changing α in place — and with per-group rules (a copied group, an
 * α override). Fails without an adapter unless RVS_ALLOW_NO_GPU=1, like merge-webgpu.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadShaders, openNodeGpu } from '../../node/webgpu.ts';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../checkpoint/synthetic.ts';
import type { FloatDtype } from '../dtype.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { createCpuBackend } from '../merge/cpu-kernel.ts';
import { planMerge } from '../merge/plan.ts';
import { mergeRecipe, type Recipe, type Rule } from '../merge/recipe.ts';
import { mergeToFolder } from '../merge/run.ts';
import { readAllWeightsF32 } from '../model/weights.ts';
import { tensorBytes } from '../testing/reference.ts';
import { GpuKernelError } from './merge-webgpu.ts';
import { createResidentMerge, residentBufferBytes, residentInputLengths, uploadCheckpointWeights, type ResidentMerge } from './resident-merge.ts';

const gpu = await openNodeGpu();
const shaders = await loadShaders();
afterAll(() => gpu?.device.destroy());

async function member(m: FamilyMember, dtype: FloatDtype, shardSize?: number): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: { ...TINY_QWEN2, tiedEmbeddings: false }, dtype, member: m, out: folder, ...(shardSize ? { shardSize } : {}) });
  return openCheckpoint(folder);
}

async function readBack(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<Uint8Array> {
  const staging = device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, staging.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint8Array(staging.getMappedRange().slice(0, bytes));
  staging.destroy();
  return out;
}

async function expectMatchesCpu(device: GPUDevice, resident: ResidentMerge, recipe: Recipe, roles: Map<string, Checkpoint>): Promise<void> {
  const out = new MemoryFolder('cpu');
  await mergeToFolder({ recipe, roles, backend: createCpuBackend(), out });
  const cpu = await openCheckpoint(out);
  for (const w of resident.weights) {
    const want = await tensorBytes(cpu, w.key);
    expect(cpu.tensors.get(w.key)!.info.dtype).toBe(w.dtype);
    expect(await readBack(device, w.buffer, want.byteLength), w.key).toEqual(want);
  }
}

const RULES: Rule[] = [
  { pattern: 'model.layers.0.mlp.*', alpha: 2.5 },
  { pattern: 'model.norm.weight', exclude: true },
];

describe.skipIf(!gpu)('resident GPU merge', () => {
  it('writes the CPU merge bit for bit, and again after α changes in place', async () => {
    const device = gpu!.device;
    const roles = new Map([
      ['target', await member('target', 'BF16', 30_000)],
      ['sft', await member('sft', 'BF16')],
      ['grpo', await member('grpo', 'F16')],
    ]);
    const recipe = (alpha: number) => mergeRecipe(alpha, { dtype: 'F32', rules: RULES });
    const plan = planMerge(recipe(0.5), roles);
    const keys = plan.tensors.map((t) => ({ key: t.name, dims: t.shape }));
    const progress: number[] = [];
    const resident = await createResidentMerge(device, shaders, plan, keys, { onProgress: (p) => progress.push(p.bytesDone / p.bytesTotal) });
    try {
      expect(progress.at(-1)).toBe(1);
      for (const alpha of [0.5, -1.25, 0]) {
        await resident.apply(planMerge(recipe(alpha), roles));
        await expectMatchesCpu(device, resident, recipe(alpha), roles);
      }
    } finally {
      resident.destroy();
    }
  });

  it("with the target's dtype (recipe dtype auto): the CPU merge rounded to BF16, decoded to float32, bit for bit", async () => {
    const device = gpu!.device;
    const roles = new Map([
      ['target', await member('target', 'BF16')],
      ['sft', await member('sft', 'BF16')],
      ['grpo', await member('grpo', 'F16')],
    ]);
    const recipe = (alpha: number, dtype: Recipe['dtype']) => mergeRecipe(alpha, { dtype, rules: RULES });
    const plan = planMerge(recipe(1, 'F32'), roles);
    const keys = plan.tensors.map((t) => ({ key: t.name, dims: t.shape }));
    const resident = await createResidentMerge(device, shaders, plan, keys);
    try {
      for (const [alpha, dtype] of [[0.5, 'auto'], [0.5, 'F32'], [-1.25, 'auto']] as const) {
        await resident.apply(planMerge(recipe(alpha, dtype), roles));
        const out = new MemoryFolder('cpu');
        await mergeToFolder({ recipe: recipe(alpha, dtype), roles, backend: createCpuBackend(), out });
        const cpu = await openCheckpoint(out);
        if (dtype === 'auto') expect(cpu.tensors.get('model.layers.0.mlp.up_proj.weight')!.info.dtype).toBe('BF16');
        const want = await readAllWeightsF32(cpu);
        for (const w of resident.weights) {
          const f32 = want.get(w.key)!;
          const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
          expect(await readBack(device, w.buffer, bytes.byteLength), `${w.key} (α ${alpha}, ${dtype})`).toEqual(bytes);
        }
      }
    } finally {
      resident.destroy();
    }
  });

  it('writes float16 weights equal to `rvs merge --dtype f16` bit for bit, and counts what it holds', async () => {
    const device = gpu!.device;
    const roles = new Map([
      ['target', await member('target', 'BF16')],
      ['sft', await member('sft', 'F32')],
      ['grpo', await member('grpo', 'BF16')],
    ]);
    const recipe = (alpha: number) => mergeRecipe(alpha, { dtype: 'F16', rules: RULES });
    const plan = planMerge(recipe(1), roles);
    const keys = plan.tensors.map((t) => ({ key: t.name, dims: t.shape }));
    const resident = await createResidentMerge(device, shaders, plan, keys, { weightsDtype: 'F16' });
    try {
      // Whole tensors of the model (all of even length here; odd counts and the half-word padding
      // of a 16-bit output are covered chunk-wise by merge-webgpu.test.ts).
      for (const alpha of [1, 3.75, -0.5]) {
        await resident.apply(planMerge(recipe(alpha), roles));
        await expectMatchesCpu(device, resident, recipe(alpha), roles);
      }
      // What it holds: each distinct input once, and two bytes per weight element.
      const inputs = residentInputLengths(plan, keys).reduce((n, b) => n + residentBufferBytes(b.bytes), 0);
      const weights = keys.reduce((n, k) => n + residentBufferBytes(2 * k.dims.reduce((a, b) => a * b, 1)), 0);
      expect(resident.residentBytes).toBe(inputs + weights);
      expect(resident.weights.every((w) => w.dtype === 'F16')).toBe(true);
    } finally {
      resident.destroy();
    }
  });

  it('uploads one checkpoint as float16 weights, rounded as `rvs merge --dtype f16` copies it', async () => {
    const device = gpu!.device;
    const target = await member('target', 'F32');
    const roles = new Map([['target', target], ['sft', target], ['grpo', target]]);
    const keys = [...target.tensors.values()].map((t) => ({ key: t.info.name, dims: t.info.shape }));
    const weights = await uploadCheckpointWeights(device, target, keys, { weightsDtype: 'F16' });
    try {
      const out = new MemoryFolder('cpu');
      await mergeToFolder({ recipe: mergeRecipe(0, { dtype: 'F16' }), roles, backend: createCpuBackend(), out });
      const cpu = await openCheckpoint(out);
      for (const w of weights) expect(await readBack(device, w.buffer, 2 * w.dims.reduce((a, b) => a * b, 1)), w.key).toEqual(await tensorBytes(cpu, w.key));
    } finally {
      for (const w of weights) w.buffer.destroy();
    }
  });

  it('refuses a plan whose inputs are not resident, and a cancelled upload', async () => {
    const device = gpu!.device;
    const roles = new Map([
      ['target', await member('target', 'BF16')],
      ['sft', await member('sft', 'BF16')],
      ['grpo', await member('grpo', 'BF16')],
    ]);
    const plan = planMerge(mergeRecipe(1, { dtype: 'F32' }), roles);
    const keys = plan.tensors.map((t) => ({ key: t.name, dims: t.shape }));
    const resident = await createResidentMerge(device, shaders, plan, keys);
    try {
      const other = new Map(roles).set('grpo', await member('grpo', 'F32'));
      await expect(resident.apply(planMerge(mergeRecipe(1, { dtype: 'F32' }), other))).rejects.toMatchObject({ code: 'INVALID_TASK', message: expect.stringContaining('not resident') });
    } finally {
      resident.destroy();
    }
    const controller = new AbortController();
    controller.abort();
    await expect(createResidentMerge(device, shaders, plan, keys, { signal: controller.signal })).rejects.toBeInstanceOf(GpuKernelError);
  });
});
