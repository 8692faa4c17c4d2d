import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../core/checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember, type Qwen2Shape } from '../../core/checkpoint/synthetic.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import { createCpuBackend } from '../../core/merge/cpu-kernel.ts';
import { applyRecipe, extractRecipe, mergeRecipe } from '../../core/merge/recipe.ts';
import { mergeToFolder } from '../../core/merge/run.ts';
import { tensorBytes } from '../../core/testing/reference.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import { buildDemoFamily, DEMO_MEMBERS } from './demo.ts';
import { recipeRoles, type SlotSource } from '../shared/engine-api.ts';
import { Engine } from './engine.ts';
import { directoryFolderSource } from '../shared/folder-source.ts';
import type { FileLike } from '../shared/fs-access.ts';
import { MemoryDirectoryHandle } from '../testing/memory-handles.ts';

const engine = () => new Engine({ getDevice: async () => ({ device: null, reason: 'none here' }), shaders: { merge: '' }, demoFiles: readDemoFile });

async function filesOf(member: FamilyMember, shape: Qwen2Shape = TINY_QWEN2): Promise<SlotSource> {
  const folder = new MemoryFolder(member);
  await writeFamilyMember({ shape, dtype: 'BF16', member, out: folder });
  const files = [...folder.files].map(([name, bytes]) => Object.assign(new Blob([bytes.slice()]), { name, webkitRelativePath: `${member}-dir/${name}` }) as FileLike);
  return { kind: 'files', files };
}

async function dirOf(member: FamilyMember): Promise<SlotSource> {
  const folder = new MemoryFolder(member);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member, out: folder });
  const handle = new MemoryDirectoryHandle(`${member}-handle`);
  for (const [name, bytes] of folder.files) handle.put(name, bytes);
  return { kind: 'directory', handle };
}

/** Parameters of a tied Qwen2, from its shape alone. */
function qwen2Parameters(s: Qwen2Shape): number {
  const kv = (s.hiddenSize / s.numHeads) * s.numKvHeads;
  const h = s.hiddenSize;
  const layer = h + (h * h + h) + 2 * (kv * h + kv) + h * h + h + 3 * s.intermediateSize * h;
  return s.vocabSize * h + s.numLayers * layer + h + (s.tiedEmbeddings ? 0 : s.vocabSize * h);
}

describe('Engine', () => {
  it('summarises a checkpoint opened from files or from a directory handle', async () => {
    const e = engine();
    const fromFiles = await e.open('sft', await filesOf('sft'));
    const fromDir = await e.open('grpo', await dirOf('grpo'));
    expect(fromFiles).toMatchObject({
      name: 'sft-dir',
      architecture: 'Qwen2ForCausalLM',
      hasConfig: true,
      layers: TINY_QWEN2.numLayers,
      hiddenSize: TINY_QWEN2.hiddenSize,
      vocabSize: TINY_QWEN2.vocabSize,
      parameters: qwen2Parameters(TINY_QWEN2),
      shards: 1,
      tiedEmbeddings: true,
      tokenizer: [],
      dtypes: [{ dtype: 'BF16', tensors: 3 + 12 * TINY_QWEN2.numLayers - 1, parameters: qwen2Parameters(TINY_QWEN2) }],
    });
    expect(fromFiles.bytes).toBeGreaterThan(2 * qwen2Parameters(TINY_QWEN2));
    expect(fromDir.name).toBe('grpo-handle');
    expect(fromDir.parameters).toBe(fromFiles.parameters);
  });

  it('reports missing roles, then compatibility', async () => {
    const e = engine();
    expect(await e.compatibility(mergeRecipe(1))).toEqual({ missing: ['sft', 'grpo', 'target'], report: null });
    const demo = await e.loadDemo();
    type Config = Record<'vocab_size' | 'hidden_size' | 'intermediate_size' | 'num_hidden_layers' | 'num_attention_heads' | 'num_key_value_heads', number>;
    const c = JSON.parse(new TextDecoder().decode(await readDemoFile('target/config.json'))) as Config & { tie_word_embeddings: boolean };
    const shape: Qwen2Shape = {
      vocabSize: c.vocab_size, hiddenSize: c.hidden_size, intermediateSize: c.intermediate_size, numLayers: c.num_hidden_layers,
      numHeads: c.num_attention_heads, numKvHeads: c.num_key_value_heads, tiedEmbeddings: c.tie_word_embeddings,
    };
    expect(demo.target).toMatchObject({ vocabSize: shape.vocabSize, parameters: qwen2Parameters(shape), tokenizer: ['tokenizer.json', 'tokenizer_config.json'] });
    const { missing, report } = await e.compatibility(mergeRecipe(1));
    expect(missing).toEqual([]);
    expect(report?.ok).toBe(true);
    expect(recipeRoles(applyRecipe(1))).toEqual(['target', 'vector']);
  });

  it('lists every mismatch of an incompatible triple and refuses to save it', async () => {
    const e = engine();
    await e.open('sft', await filesOf('sft'));
    await e.open('grpo', await filesOf('grpo'));
    await e.open('target', await filesOf('target', { ...TINY_QWEN2, hiddenSize: 48, numHeads: 4 }));
    const { report } = await e.compatibility(mergeRecipe(1));
    expect(report?.ok).toBe(false);
    const errors = report!.issues.filter((i) => i.severity === 'error');
    expect(errors.some((i) => i.field === 'hidden_size')).toBe(true);
    // Every tensor with a hidden dimension is listed, against both other roles.
    const shapeTensors = new Set(errors.filter((i) => i.kind === 'shape' || i.kind === 'vocab').map((i) => i.tensor));
    expect(shapeTensors.has('model.layers.0.self_attn.q_proj.weight')).toBe(true);
    expect(shapeTensors.has('model.norm.weight')).toBe(true);
    const dest = new MemoryDirectoryHandle('out');
    await expect(e.save(mergeRecipe(1), dest, {}, {})).rejects.toMatchObject({ name: 'MergeError', code: 'INCOMPATIBLE' });
    expect(dest.entries.size).toBe(0);
  });

  it('saves a merge that reads back equal to the same merge in memory', async () => {
    const e = engine();
    await e.loadDemo();
    const dest = new MemoryDirectoryHandle('merged');
    const progress: number[] = [];
    const result = await e.save(mergeRecipe(0.75, { dtype: 'F32' }), dest, { shardSize: 20000 }, { onProgress: (p) => progress.push(p.bytesDone) });
    expect(result.folder).toBe('merged');
    expect(new Set(result.files)).toEqual(new Set(dest.paths()));
    expect(dest.paths()).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']));
    expect(dest.paths()).toContain('model.safetensors.index.json');
    expect(progress.length).toBeGreaterThan(0);
    expect(result.backend).toMatch(/^CPU/);

    const got = await openCheckpoint(directoryFolderSource(dest));
    const family = await buildDemoFamily(readDemoFile);
    const roles = new Map(await Promise.all(DEMO_MEMBERS.map(async (m) => [m, await openCheckpoint(family[m])] as const)));
    const want = new MemoryFolder('want');
    await mergeToFolder({ recipe: mergeRecipe(0.75, { dtype: 'F32' }), roles, backend: createCpuBackend(), out: want });
    const wantCkpt = await openCheckpoint(want);
    for (const name of wantCkpt.tensors.keys()) expect(await tensorBytes(got, name)).toEqual(await tensorBytes(wantCkpt, name));
  });

  it('applies a saved vector bit for bit like the direct merge', async () => {
    const e = engine();
    await e.loadDemo();
    const vectorDir = new MemoryDirectoryHandle('vector');
    await e.save(extractRecipe(), vectorDir, {}, {});
    await e.open('vector', { kind: 'directory', handle: vectorDir });
    const viaVector = new MemoryDirectoryHandle('a');
    const direct = new MemoryDirectoryHandle('b');
    await e.save(applyRecipe(1.3), viaVector, {}, {});
    await e.save(mergeRecipe(1.3), direct, {}, {});
    const [a, b] = await Promise.all([openCheckpoint(directoryFolderSource(viaVector)), openCheckpoint(directoryFolderSource(direct))]);
    expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()]);
    for (const name of a.tensors.keys()) expect(await tensorBytes(a, name)).toEqual(await tensorBytes(b, name));
    const analysis = await e.analyse(applyRecipe(1), {});
    expect(analysis.summary.hasReference).toBe(false);
  });

  it('keeps the latest of two opens of one slot', async () => {
    const e = engine();
    const [first, second] = await Promise.all([e.open('sft', await filesOf('sft')), e.open('sft', await dirOf('grpo'))]);
    expect(first.name).toBe('sft-dir');
    expect(second.name).toBe('grpo-handle');
    // The slot holds the second: extraction against itself gives a zero vector.
    await e.open('grpo', await dirOf('grpo'));
    const analysis = await e.analyse(extractRecipe(), {});
    expect(analysis.summary.total.normV).toBe(0);
  });

  it('does not write into a folder that is not empty', async () => {
    const e = engine();
    await e.loadDemo();
    const dest = new MemoryDirectoryHandle('busy');
    dest.put('notes.txt', new Uint8Array([1]));
    await expect(e.save(mergeRecipe(1), dest, {}, {})).rejects.toMatchObject({ code: 'OUTPUT_NOT_EMPTY' });
    expect(dest.paths()).toEqual(['notes.txt']);
  });
});
