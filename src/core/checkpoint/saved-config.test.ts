// A written checkpoint's config.json names the dtype its shards hold (torch_dtype, and dtype as
// transformers 5 writes it), for merges, applied and extracted vectors.
import { describe, expect, it } from 'vitest';
import type { FloatDtype } from '../dtype.ts';
import { MemoryFolder } from '../io/bytes.ts';
import { createCpuBackend } from '../merge/cpu-kernel.ts';
import { extractRecipe, mergeRecipe, type Recipe } from '../merge/recipe.ts';
import { mergeToFolder } from '../merge/run.ts';
import { openCheckpoint, type Checkpoint } from './checkpoint.ts';
import { dominantFloatDtype, savedConfigText } from './saved-config.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from './synthetic.ts';

async function member(m: FamilyMember, dtype: FloatDtype, configPatch: Record<string, unknown> = {}): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype, member: m, out: folder });
  if (Object.keys(configPatch).length > 0) {
    const config = JSON.parse(new TextDecoder().decode(folder.files.get('config.json')!)) as Record<string, unknown>;
    folder.files.set('config.json', new TextEncoder().encode(`${JSON.stringify({ ...config, ...configPatch }, null, 2)}\n`));
  }
  return openCheckpoint(folder);
}

async function savedConfig(recipe: Recipe, roles: Record<string, Checkpoint>): Promise<{ text: string; json: Record<string, unknown>; dtypes: string[] }> {
  const out = new MemoryFolder('out');
  await mergeToFolder({ recipe, roles: new Map(Object.entries(roles)), backend: createCpuBackend(), out });
  const text = new TextDecoder().decode(out.files.get('config.json')!);
  const saved = await openCheckpoint(out);
  return { text, json: JSON.parse(text) as Record<string, unknown>, dtypes: [...new Set([...saved.tensors.values()].map((t) => t.info.dtype))] };
}

describe('config.json of a written checkpoint', () => {
  it('says float32 when a bfloat16 target is merged into F32 shards', async () => {
    const roles = { target: await member('target', 'BF16'), sft: await member('sft', 'BF16'), grpo: await member('grpo', 'BF16') };
    expect(roles.target.config!['torch_dtype']).toBe('bfloat16');
    const f32 = await savedConfig(mergeRecipe(1, { dtype: 'F32' }), roles);
    expect(f32.dtypes).toEqual(['F32']);
    expect(f32.json['torch_dtype']).toBe('float32');
    expect({ ...f32.json, torch_dtype: 'bfloat16' }).toEqual(roles.target.config); // nothing else changes
    expect('dtype' in f32.json).toBe(false); // absent stays absent
    // Unchanged dtype: the target's file, byte for byte.
    const auto = await savedConfig(mergeRecipe(1), roles);
    expect(auto.text).toBe(new TextDecoder().decode((roles.target.folder as MemoryFolder).files.get('config.json')!));
  });

  it('rewrites the transformers 5 "dtype" key too, and names an extracted vector float32', async () => {
    const v5 = { torch_dtype: undefined, dtype: 'bfloat16' };
    const roles = { target: await member('target', 'BF16', v5), sft: await member('sft', 'BF16', v5), grpo: await member('grpo', 'BF16', v5) };
    const f16 = await savedConfig(mergeRecipe(0.5, { dtype: 'F16' }), roles);
    expect([f16.json['dtype'], 'torch_dtype' in f16.json]).toEqual(['float16', false]);
    const vector = await savedConfig(extractRecipe(), { sft: roles.sft, grpo: roles.grpo });
    expect(vector.dtypes).toEqual(['F32']);
    expect(vector.json['dtype']).toBe('float32');
  });

  it('names the dtype holding the most elements when the shards mix dtypes', () => {
    const tensors = [
      { dtype: 'F32' as const, shape: [32] },
      { dtype: 'BF16' as const, shape: [97, 32] },
      { dtype: 'I64' as const, shape: [100000] },
    ];
    expect(dominantFloatDtype(tensors)).toBe('BF16');
    expect(dominantFloatDtype([{ dtype: 'I64', shape: [3] }])).toBeNull();
    expect(savedConfigText('{"torch_dtype": "float32"}', { torch_dtype: 'float32' }, tensors)).toBe('{\n  "torch_dtype": "bfloat16"\n}\n');
  });
});
