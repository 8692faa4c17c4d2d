/**
 * The streamed GPU merge (Dawn) against the resident one: the same plans give the same weight bytes,
 * bit for bit, in float32 and float16, with several chunks per tensor (a small chunk), odd element
 * counts at a chunk's end, and the rounding pass of a recipe's `auto` dtype; a cancelled apply stops
 * between chunks. Fails without an adapter unless RVS_ALLOW_NO_GPU=1, like resident-merge.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadShaders, openNodeGpu } from '../../node/webgpu.ts';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../checkpoint/synthetic.ts';
import type { FloatDtype } from '../dtype.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { planMerge } from '../merge/plan.ts';
import { mergeRecipe, type Recipe, type Rule } from '../merge/recipe.ts';
import { GpuKernelError } from './merge-webgpu.ts';
import { createResidentMerge, type ResidentWeight, type WeightsDtype } from './resident-merge.ts';
import { createStreamedMerge } from './streamed-merge.ts';

const gpu = await openNodeGpu();
const shaders = await loadShaders();
afterAll(() => gpu?.device.destroy());
if (!gpu && process.env.RVS_ALLOW_NO_GPU !== '1') throw new Error('no WebGPU adapter (set RVS_ALLOW_NO_GPU=1 to skip)');

async function member(m: FamilyMember, dtype: FloatDtype): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: { ...TINY_QWEN2, tiedEmbeddings: false }, dtype, member: m, out: folder });
  return openCheckpoint(folder);
}

async function readBack(device: GPUDevice, w: ResidentWeight): Promise<Uint8Array> {
  const staging = device.createBuffer({ size: w.buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(w.buffer, 0, staging, 0, staging.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint8Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

const RULES: Rule[] = [
  { pattern: 'model.layers.0.mlp.*', alpha: 2.5 },
  { pattern: 'model.norm.weight', exclude: true },
];

describe.skipIf(!gpu)('streamed GPU merge', () => {
  it.each<[WeightsDtype, Recipe['dtype']]>([['F32', 'F32'], ['F16', 'F16'], ['F32', 'auto']])('writes the resident merge\'s weights bit for bit (weights %s, recipe dtype %s), chunk by chunk', async (weightsDtype, dtype) => {
    const device = gpu!.device;
    const roles = new Map([
      ['target', await member('target', 'BF16')],
      ['sft', await member('sft', 'F16')],
      ['grpo', await member('grpo', 'BF16')],
    ]);
    const recipe = (alpha: number) => mergeRecipe(alpha, { dtype, rules: RULES });
    const full = planMerge(mergeRecipe(1, { dtype: 'F32' }), roles);
    const keys = full.tensors.map((t) => ({ key: t.name, dims: t.shape }));
    // 384 elements per chunk: the larger tensors take several, most end in a partial chunk.
    expect(keys.some((k) => k.dims.reduce((a, b) => a * b, 1) > 3 * 384)).toBe(true);
    const resident = await createResidentMerge(device, shaders, full, keys, { weightsDtype });
    const streamed = createStreamedMerge(device, shaders, full, keys, { weightsDtype, maxChunkElements: 384 });
    try {
      for (const alpha of [0.5, -1.25, 3]) {
        await resident.apply(planMerge(recipe(alpha), roles));
        const progress: number[] = [];
        await streamed.apply(planMerge(recipe(alpha), roles), { onProgress: (p) => progress.push(p.bytesDone / p.bytesTotal) });
        expect(progress.at(-1)).toBe(1);
        expect(progress.length).toBeGreaterThan(keys.length);
        for (const [i, w] of streamed.weights.entries()) {
          expect(await readBack(device, w), `${w.key} α ${alpha}`).toEqual(await readBack(device, resident.weights[i]!));
        }
      }
    } finally {
      resident.destroy();
      streamed.destroy();
    }
  });

  it('holds only the weights and a window of three chunks; a cancelled apply stops between chunks', async () => {
    const device = gpu!.device;
    const roles = new Map([
      ['target', await member('target', 'BF16')],
      ['sft', await member('sft', 'BF16')],
      ['grpo', await member('grpo', 'BF16')],
    ]);
    const full = planMerge(mergeRecipe(1, { dtype: 'F32' }), roles);
    const keys = full.tensors.map((t) => ({ key: t.name, dims: t.shape }));
    const streamed = createStreamedMerge(device, shaders, full, keys, { maxChunkElements: 256 });
    try {
      const weights = keys.reduce((n, k) => n + Math.max(16, 4 * k.dims.reduce((a, b) => a * b, 1)), 0);
      expect(streamed.residentBytes).toBe(weights + 3 * 256 * 2);
      const abort = new AbortController();
      let calls = 0;
      const applying = streamed.apply(planMerge(mergeRecipe(0.5, { dtype: 'F32' }), roles), {
        signal: abort.signal,
        onProgress: () => (++calls === 2 ? abort.abort() : undefined),
      });
      await expect(applying).rejects.toSatisfy((e: unknown) => e instanceof GpuKernelError && e.code === 'CANCELLED');
      expect(calls).toBe(2);
    } finally {
      streamed.destroy();
    }
  });
});
