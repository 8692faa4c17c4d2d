// Telling a stored vector (written by rvs extract) from a model, by the recipe in its metadata.
import { describe, expect, it } from 'vitest';
import { MemoryFolder } from '../io/bytes.ts';
import { createCpuBackend } from '../merge/cpu-kernel.ts';
import { applyRecipe, extractRecipe, mergeRecipe, type Recipe } from '../merge/recipe.ts';
import { mergeToFolder } from '../merge/run.ts';
import { layoutFiles, SafetensorsWriter } from '../safetensors/writer.ts';
import { openCheckpoint, type Checkpoint } from './checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from './synthetic.ts';
import { notAVectorReason, vectorOrigin } from './vector-origin.ts';

async function member(m: FamilyMember): Promise<Checkpoint> {
  const folder = new MemoryFolder(m);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member: m, out: folder });
  return openCheckpoint(folder);
}

async function written(recipe: Recipe, roles: Record<string, Checkpoint>, shardSize?: number): Promise<Checkpoint> {
  const out = new MemoryFolder('out');
  await mergeToFolder({ recipe, roles: new Map(Object.entries(roles)), backend: createCpuBackend(), out, ...(shardSize ? { shardSize } : {}) });
  return openCheckpoint(out);
}

/** One F32 tensor with the given metadata per shard. */
async function withMetadata(...metadata: Record<string, string>[]): Promise<Checkpoint> {
  const out = new MemoryFolder('m');
  for (const [i, m] of metadata.entries()) {
    const layout = layoutFiles([{ name: `t${i}`, dtype: 'F32', shape: [1] }], { metadata: m });
    const shard = layout.shards[0]!;
    const file = metadata.length === 1 ? shard.file : `model-0000${i + 1}-of-0000${metadata.length}.safetensors`;
    const sink = new MemoryFolder('x');
    const writer = new SafetensorsWriter(layout, sink);
    await writer.write(`t${i}`, new Uint8Array(4));
    await writer.finish();
    out.files.set(file, sink.files.get(shard.file)!);
  }
  return openCheckpoint(out);
}

describe('vectorOrigin', () => {
  it('recognises what rvs extract writes as a vector (sharded too), and merges and applies as models', async () => {
    const [target, sft, grpo] = await Promise.all([member('target'), member('sft'), member('grpo')]);
    const vector = await written(extractRecipe(), { sft, grpo }, 9000);
    expect(vector.shards.length).toBeGreaterThan(1);
    expect(vectorOrigin(vector)).toEqual({ kind: 'vector', recipe: extractRecipe() });
    expect(notAVectorReason(vectorOrigin(vector))).toBeNull();
    const merged = vectorOrigin(await written(mergeRecipe(0.5), { target, sft, grpo }));
    expect(merged.kind).toBe('model');
    const applied = vectorOrigin(await written(applyRecipe(1), { target, vector }));
    expect(applied.kind).toBe('model');
    expect(notAVectorReason(applied)).toMatch(/^is a model, not a vector: its "rvs\.recipe" metadata has the base "target"/);
  });

  it('calls a checkpoint without the metadata unmarked, and bad or inconsistent metadata unreadable', async () => {
    const plain = vectorOrigin(await member('sft'));
    expect(plain).toEqual({ kind: 'unmarked' });
    expect(notAVectorReason(plain)).toContain('no "rvs.recipe" metadata');
    expect(notAVectorReason(plain)).toContain('α times its weights');
    const garbage = vectorOrigin(await withMetadata({ 'rvs.recipe': '{"schema": "nope"' }));
    expect(garbage.kind).toBe('unreadable');
    const wrong = vectorOrigin(await withMetadata({ 'rvs.recipe': '{"schema": "rvs-recipe/0"}' }));
    expect(wrong.kind).toBe('unreadable');
    const text = JSON.stringify(extractRecipe());
    expect(vectorOrigin(await withMetadata({ 'rvs.recipe': text }, { 'rvs.recipe': text })).kind).toBe('vector');
    const split = vectorOrigin(await withMetadata({ 'rvs.recipe': text }, {}));
    expect(split).toEqual({ kind: 'unreadable', problem: 'its shards disagree about "rvs.recipe"' });
  });
});
