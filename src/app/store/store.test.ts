import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../core/checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember, type Qwen2Shape } from '../../core/checkpoint/synthetic.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import { tensorBytes } from '../../core/testing/reference.ts';
import type { SlotSource } from '../../browser/shared/engine-api.ts';
import { Engine } from '../../browser/worker/engine.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import { directoryFolderSource } from '../../browser/shared/folder-source.ts';
import { BrowserIoError, type DirectoryHandleLike, type FileLike, type FolderMemory } from '../../browser/shared/fs-access.ts';
import { MemoryDirectoryHandle } from '../../browser/testing/memory-handles.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { analysisBlocker, mergeBlocker } from './state.ts';

function setup(folders?: FolderMemory): { store: StudioStore; engine: Engine } {
  const engine = new Engine({ getDevice: async () => ({ device: null, reason: 'no GPU here' }), shaders: { merge: '' }, demoFiles: readDemoFile });
  return { store: createStudioStore({ engine, compatDelayMs: 0, ...(folders ? { folders } : {}) }), engine };
}

async function filesOf(member: FamilyMember, shape: Qwen2Shape = TINY_QWEN2): Promise<SlotSource> {
  const folder = new MemoryFolder(member);
  await writeFamilyMember({ shape, dtype: 'BF16', member, out: folder });
  return { kind: 'files', files: [...folder.files].map(([name, bytes]) => Object.assign(new Blob([bytes.slice()]), { name, webkitRelativePath: `${member}/${name}` }) as FileLike) };
}

/** Settles the debounced compatibility check. */
const settle = () => new Promise((r) => setTimeout(r, 5));

describe('studio store', () => {
  it('starts with the backend and missing checkpoints', async () => {
    const { store } = setup();
    await store.getState().init();
    const s = store.getState();
    expect(s.backend).toEqual({ status: 'ready', info: { kind: 'cpu', kernel: 'WebAssembly SIMD', reason: 'no GPU here' } });
    expect(s.compat.merge.result?.missing).toEqual(['sft', 'grpo', 'target']);
    expect(mergeBlocker(s)).toBe('Load SFT checkpoint and GRPO checkpoint and Target checkpoint first.');
  });

  it('runs the demo flow: load, compatible, extract, save', async () => {
    const { store } = setup();
    await store.getState().init();
    await store.getState().loadDemo();
    let s = store.getState();
    expect(Object.values(s.slots).map((x) => x.status)).toEqual(['ready', 'ready', 'ready', 'empty']);
    expect(s.compat.merge.result?.report?.ok).toBe(true);
    expect(mergeBlocker(s)).toBeNull();
    expect(analysisBlocker(s)).toBeNull();
    // A slot that is still opening blocks merges and sweeps until it settles.
    expect(mergeBlocker({ ...s, slots: { ...s.slots, target: { status: 'loading', label: 'x' } } })).toBe('Wait for the checkpoints to finish loading.');

    await s.extractVector();
    s = store.getState();
    expect(s.analysis.status).toBe('done');
    expect(s.analysis.result?.summary.layers.length).toBe(TINY_QWEN2.numLayers);
    expect(s.analysis.progress?.tensorsDone).toBe(s.analysis.progress?.tensorsTotal);

    // Attention excluded: those tensors keep the target's bytes; the MLP ones change.
    s.setGroup('attention', { mode: 'exclude' });
    s.setDtype('F32'); // the demo family's dtype: excluded tensors keep the target's bytes
    const dest = new MemoryDirectoryHandle('out');
    await store.getState().saveMerged(dest);
    s = store.getState();
    expect(s.mergeSave.status).toBe('done');
    expect(s.mergeSave.result?.files).toContain('model.safetensors');
    const merged = await openCheckpoint(directoryFolderSource(dest));
    const target = await openCheckpoint(directoryFolderSource(await demoTarget()));
    const q = 'model.layers.0.self_attn.q_proj.weight';
    const up = 'model.layers.0.mlp.up_proj.weight';
    expect(await tensorBytes(merged, q)).toEqual(await tensorBytes(target, q));
    expect(await tensorBytes(merged, up)).not.toEqual(await tensorBytes(target, up));
  });

  it('cancels a save and leaves the folder empty', async () => {
    const { store, engine } = setup();
    await engine.configureTesting({ writeDelayMs: 5 });
    await store.getState().loadDemo();
    const dest = new MemoryDirectoryHandle('out');
    const unsubscribe = store.subscribe((s) => {
      if (s.mergeSave.progress && s.mergeSave.status === 'running') s.cancel('mergeSave');
    });
    await store.getState().saveMerged(dest);
    unsubscribe();
    expect(store.getState().mergeSave.status).toBe('cancelled');
    expect(dest.paths()).toEqual([]);
    expect(dest.entries.size).toBe(0);
  });

  it('blocks an incompatible triple with the mismatches listed', async () => {
    const { store } = setup();
    await store.getState().openSlot('sft', await filesOf('sft'), 'files', 'sft');
    await store.getState().openSlot('grpo', await filesOf('grpo'), 'files', 'grpo');
    await store.getState().openSlot('target', await filesOf('target', { ...TINY_QWEN2, hiddenSize: 48 }), 'files', 'target');
    await settle();
    const s = store.getState();
    expect(s.compat.merge.result?.report?.ok).toBe(false);
    expect(s.compat.analysis.result?.report?.ok).toBe(true); // SFT and GRPO agree
    expect(mergeBlocker(s)).toMatch(/^Blocked: \d+ compatibility problems/);
    const dest = new MemoryDirectoryHandle('out');
    await s.saveMerged(dest);
    expect(store.getState().notice).toMatch(/^Blocked/);
    expect(store.getState().mergeSave.status).toBe('idle');
    expect(dest.entries.size).toBe(0);
  });

  it('shows a failed open into an empty slot as one line and treats the slot as missing', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    await store.getState().clearSlot('target'); // a slot that held a checkpoint keeps it (controls.test.ts)
    const notWeights = Object.assign(new Blob(['{}']), { name: 'config.json', webkitRelativePath: 'broken/config.json' }) as FileLike;
    await store.getState().openSlot('target', { kind: 'files', files: [notWeights] }, 'files', 'broken');
    const s = store.getState();
    expect(s.slots.target).toMatchObject({ status: 'error', error: expect.stringMatching(/^broken: no model\.safetensors/) });
    expect(s.compat.merge.result?.missing).toEqual(['target']);
  });

  it('moving α costs no compatibility round-trip; a rule that changes what is merged does', async () => {
    const { store, engine } = setup();
    await store.getState().loadDemo();
    store.getState().setGroup('mlp', { mode: 'alpha', alpha: 0.3 });
    await settle();
    const calls: unknown[] = [];
    const compatibility = engine.compatibility.bind(engine);
    engine.compatibility = async (recipe) => {
      calls.push(recipe);
      return compatibility(recipe);
    };
    for (const alpha of [0.5, -0.25, 0, 1.5]) store.getState().setAlpha(alpha);
    store.getState().setGroup('mlp', { alpha: 0.7 });
    await settle();
    expect(calls).toEqual([]);
    expect(store.getState().settings.alpha).toBe(1.5);
    expect(mergeBlocker(store.getState())).toBeNull();
    // α = 0 for a group makes its tensors copies of the target, and excluding one keeps them: what
    // the merge needs changes, so it is checked again (once, debounced).
    store.getState().setGroup('mlp', { alpha: 0 });
    store.getState().setGroup('norms', { mode: 'exclude' });
    await settle();
    expect(calls).toHaveLength(1);
    expect(store.getState().compat.merge.status).toBe('done');
  });

  it('merges with a saved vector like with SFT + GRPO', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    const vectorDir = new MemoryDirectoryHandle('vector');
    await store.getState().saveVector(vectorDir);
    expect(store.getState().vectorSave.status).toBe('done');
    const direct = new MemoryDirectoryHandle('direct');
    store.getState().setAlpha(0.6);
    await store.getState().saveMerged(direct);

    store.getState().setUseVector(true);
    await store.getState().openSlot('vector', { kind: 'directory', handle: vectorDir }, 'folder', 'vector');
    await settle();
    expect(mergeBlocker(store.getState())).toBeNull();
    const viaVector = new MemoryDirectoryHandle('via-vector');
    await store.getState().saveMerged(viaVector);
    expect(store.getState().mergeSave.status).toBe('done');
    const [a, b] = await Promise.all([openCheckpoint(directoryFolderSource(direct)), openCheckpoint(directoryFolderSource(viaVector))]);
    for (const name of a.tensors.keys()) expect(await tensorBytes(b, name)).toEqual(await tensorBytes(a, name));
    await store.getState().extractVector();
    expect(store.getState().analysis.result?.summary.hasReference).toBe(false);
  });

  it('re-opens remembered folders after permission, and reports a refusal', async () => {
    const handle = await demoTarget();
    const saved = new Map<string, DirectoryHandleLike>([['target', handle]]);
    let allow = false;
    const folders: FolderMemory = {
      remember: async (slot, h) => void saved.set(slot, h),
      forget: async (slot) => void saved.delete(slot),
      recall: async () => new Map(saved),
      reopen: async (h) => {
        if (!allow) throw new BrowserIoError('PERMISSION_DENIED', 'read access was not granted', h.name);
      },
    };
    const { store } = setup(folders);
    await store.getState().init();
    expect(store.getState().slots.target).toEqual({ status: 'empty', remembered: 'demo-target' });
    await store.getState().reopenSlot('target');
    expect(store.getState().slots.target).toMatchObject({ status: 'error', error: 'demo-target: read access was not granted', remembered: 'demo-target' });
    allow = true;
    await store.getState().reopenSlot('target');
    expect(store.getState().slots.target).toMatchObject({ status: 'ready', origin: 'remembered' });
    await store.getState().clearSlot('target');
    expect(saved.has('target')).toBe(false);
  });

  it('refuses to change checkpoints while a job runs', async () => {
    const { store, engine } = setup();
    await engine.configureTesting({ writeDelayMs: 2 });
    await store.getState().loadDemo();
    const save = store.getState().saveMerged(new MemoryDirectoryHandle('out'));
    await store.getState().clearSlot('sft');
    expect(store.getState().notice).toMatch(/^Wait for the running job/);
    expect(store.getState().slots.sft.status).toBe('ready');
    store.getState().cancel('mergeSave');
    await save;
  });
});

async function demoTarget(): Promise<MemoryDirectoryHandle> {
  const { buildDemoFamily } = await import('../../browser/worker/demo.ts');
  const family = await buildDemoFamily(readDemoFile);
  const dir = new MemoryDirectoryHandle('demo-target');
  for (const [name, bytes] of family.target.files) dir.put(name, bytes);
  return dir;
}
