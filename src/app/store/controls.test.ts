// The store's controls at the edges, driven in Node against a real engine (CPU kernels): a failed
// load keeps the slot's checkpoint, the vector slot refuses models and asks about unmarked
// checkpoints, invalid settings block their action, settings are locked during a job, the
// vector's statistics survive a target-only change, the guide's next step, and what the demo
// would replace.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { FileLike } from '../../browser/shared/fs-access.ts';
import { MemoryDirectoryHandle } from '../../browser/testing/memory-handles.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import { Engine } from '../../browser/worker/engine.ts';
import { sweepTasks } from '../../browser/worker/evaluation.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { demoReplaces, nextStep } from './guide.ts';
import { DEMO_EVAL_SETTINGS, evalSettingsProblem, fieldProblem, sweepRequestOf } from './evaluation.ts';
import { mergeBlocker, vectorBlocker } from './state.ts';

function setup(): { store: StudioStore; engine: Engine } {
  const engine = new Engine({ getDevice: async () => ({ device: null, reason: 'no GPU here' }), shaders: { merge: '' }, demoFiles: readDemoFile });
  return { store: createStudioStore({ engine, compatDelayMs: 0 }), engine };
}

const settle = () => new Promise((r) => setTimeout(r, 5));
const file = (name: string, bytes: Uint8Array | string): FileLike => Object.assign(new Blob([bytes]), { name, webkitRelativePath: '' }) as FileLike;

describe('the store at the edges', () => {
  it('keeps the checkpoint that was in the slot when a new load fails, with the one-line error', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    const before = store.getState().slots.target;
    expect(before.status).toBe('ready');
    const random = new Uint8Array(64).map((_, i) => (i * 97 + 13) & 0xff);
    await store.getState().openSlot('target', { kind: 'files', files: [file('model.safetensors', random)] }, 'files', 'random');
    const s = store.getState();
    expect(s.slots.target).toMatchObject({ status: 'ready', origin: 'demo', error: expect.stringMatching(/model\.safetensors/) });
    expect(s.slots.target.status === 'ready' && s.slots.target.summary).toEqual(before.status === 'ready' && before.summary);
    expect((s.slots.target as { error: string }).error).not.toContain('\n');
    // The engine kept it too: the merge still has all three checkpoints.
    expect(s.compat.merge.result?.missing).toEqual([]);
    expect(mergeBlocker(s)).toBeNull();
  });

  it('the vector slot: a saved vector proceeds, a full model without metadata asks first, a merged model is refused', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    const vector = new MemoryDirectoryHandle('vector');
    await store.getState().saveVector(vector);
    const merged = new MemoryDirectoryHandle('merged');
    await store.getState().saveMerged(merged);
    const { buildDemoFamily } = await import('../../browser/worker/demo.ts');
    const family = await buildDemoFamily(readDemoFile);
    const plain = new MemoryDirectoryHandle('plain-model');
    for (const [name, bytes] of family.grpo.files) plain.put(name, bytes);

    store.getState().setUseVector(true);
    await store.getState().openSlot('vector', { kind: 'directory', handle: vector }, 'folder', 'vector');
    await settle();
    let s = store.getState();
    expect(s.slots.vector.status === 'ready' && s.slots.vector.summary.vector.kind).toBe('vector');
    expect(mergeBlocker(s)).toBeNull();

    await store.getState().openSlot('vector', { kind: 'directory', handle: plain }, 'folder', 'plain-model');
    await settle();
    s = store.getState();
    expect(s.slots.vector.status === 'ready' && s.slots.vector.summary.vector.kind).toBe('unmarked');
    expect(mergeBlocker(s)).toMatch(/^“plain-model” is not marked as a vector: .* Confirm in the Reasoning vector slot that it is a vector\.$/);
    expect(vectorBlocker(s, false)).toBeNull(); // its statistics may still be looked at
    await store.getState().saveMerged(new MemoryDirectoryHandle('refused'));
    expect(store.getState().mergeSave.status).toBe('idle');
    store.getState().confirmVector(true);
    expect(mergeBlocker(store.getState())).toBeNull();

    await store.getState().openSlot('vector', { kind: 'directory', handle: merged }, 'folder', 'merged');
    await settle();
    s = store.getState();
    expect(s.vectorConfirmed).toBe(false); // a new checkpoint, a new question
    expect(s.slots.vector.status === 'ready' && s.slots.vector.summary.vector.kind).toBe('model');
    expect(mergeBlocker(s)).toMatch(/^“merged” is a model, not a vector/);
    expect(vectorBlocker(s, false)).toMatch(/is a model, not a vector/);
    store.getState().confirmVector(true);
    expect(mergeBlocker(store.getState())).toMatch(/is a model, not a vector/); // no confirmation makes a model a vector
  });

  it('invalid settings block their action with the reason', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    store.getState().setAlpha(1e9);
    expect(mergeBlocker(store.getState())).toBe('The merge’s α = 1000000000 is outside the accepted range −100 to 100.');
    await store.getState().saveMerged(new MemoryDirectoryHandle('out'));
    expect(store.getState().mergeSave.status).toBe('idle');
    expect(store.getState().notice).toMatch(/outside the accepted range/);
    store.getState().setAlpha(100);
    expect(mergeBlocker(store.getState())).toBeNull();
    store.getState().addPattern();
    const id = store.getState().settings.patterns[0]!.id;
    store.getState().updatePattern(id, { pattern: '*.mlp.*', mode: 'alpha', alpha: -250 });
    expect(mergeBlocker(store.getState())).toBe('Pattern 1: α = −250 is outside the accepted range −100 to 100.');

    const ok = { ...DEMO_EVAL_SETTINGS };
    expect(evalSettingsProblem(ok)).toBeNull();
    expect(fieldProblem({ ...ok, batchSize: 0 }, 'batchSize')).toBe('Batch size must be a whole number from 1 to 256 (it is 0).');
    expect(sweepRequestOf({ ...ok, batchSize: 0 }, [], false)).toEqual({ error: 'Batch size must be a whole number from 1 to 256 (it is 0).' });
    expect(sweepRequestOf({ ...ok, limit: -5 }, [], false)).toEqual({ error: 'Items per benchmark must be a whole number from 1 to 1000000000 (it is -5).' });
    expect(sweepRequestOf({ ...ok, alphasText: '0, 1e9' }, [], false)).toEqual({ error: 'α values: “1e9”: α = 1000000000 is outside the accepted range −100 to 100.' });
    const ranged = sweepRequestOf({ ...ok, alphasText: '-1:1:0.5', limit: 3, limitMode: 'first' }, [], false);
    expect(ranged).toMatchObject({ alphas: [-1, -0.5, 0, 0.5, 1], settings: { limit: 3, limitMode: 'first' } });
  });

  it('locks the merge settings while a job runs', async () => {
    const { store, engine } = setup();
    await engine.configureTesting({ writeDelayMs: 2 });
    await store.getState().loadDemo();
    store.getState().setAlpha(0.5);
    const save = store.getState().saveMerged(new MemoryDirectoryHandle('out'));
    store.getState().setAlpha(2);
    store.getState().setGroup('mlp', { mode: 'exclude' });
    store.getState().addPattern();
    expect(store.getState().settings).toMatchObject({ alpha: 0.5, patterns: [], groups: { mlp: { mode: 'inherit' } } });
    expect(store.getState().notice).toBe('Wait for the running job to finish, or cancel it, before changing the merge settings.');
    store.getState().cancel('mergeSave');
    await save;
    store.getState().setAlpha(2);
    expect(store.getState().settings.alpha).toBe(2);
  });

  it('a new rule’s own α is the current α', async () => {
    const { store } = setup();
    store.getState().setAlpha(0.35);
    store.getState().addPattern();
    expect(store.getState().settings.patterns[0]).toMatchObject({ alpha: 0.35, mode: 'exclude' });
  });

  it('keeps the vector’s statistics when only the target changes', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    await store.getState().extractVector();
    const analysis = store.getState().analysis;
    expect(analysis.status).toBe('done');
    const { buildDemoFamily } = await import('../../browser/worker/demo.ts');
    const family = await buildDemoFamily(readDemoFile);
    const target = new MemoryDirectoryHandle('another-target');
    for (const [name, bytes] of family.sft.files) target.put(name, bytes);
    await store.getState().openSlot('target', { kind: 'directory', handle: target }, 'folder', 'another-target');
    expect(store.getState().analysis).toBe(analysis);
    // The SFT checkpoint is part of the vector: changing it drops the statistics.
    await store.getState().openSlot('sft', { kind: 'directory', handle: target }, 'folder', 'another-sft');
    expect(store.getState().analysis.status).toBe('idle');
  });

  it('guides: Extract → Merge → Try it → Run sweep', async () => {
    const { store } = setup();
    expect(nextStep(store.getState())).toBeNull(); // nothing loaded
    await store.getState().loadDemo();
    expect(nextStep(store.getState())).toBe('extract');
    await store.getState().extractVector();
    expect(nextStep(store.getState())).toBe('merge');
    store.getState().setAlpha(0.5);
    expect(nextStep(store.getState())).toBe('tryIt');
    const s = store.getState();
    expect(nextStep({ ...s, tryIt: { ...s.tryIt, status: 'done' } })).toBe('sweep');
    expect(nextStep({ ...s, tryIt: { ...s.tryIt, status: 'done' }, sweep: { ...s.sweep, status: 'done' } })).toBeNull();
  });

  it('says what the demo would replace: the user’s checkpoints and data, not the demo’s own', async () => {
    const { store } = setup();
    expect(demoReplaces(store.getState())).toEqual([]);
    await store.getState().loadDemo();
    expect(demoReplaces(store.getState())).toEqual([]);
    const { buildDemoFamily } = await import('../../browser/worker/demo.ts');
    const family = await buildDemoFamily(readDemoFile);
    const mine = new MemoryDirectoryHandle('mine');
    for (const [name, bytes] of family.target.files) mine.put(name, bytes);
    await store.getState().openSlot('target', { kind: 'directory', handle: mine }, 'folder', 'mine');
    const gsm = JSON.stringify({ question: 'What is 2 + 2?', answer: '2 + 2 = 4\n#### 4' });
    await store.getState().setData('gsm8k', 'test', [{ name: 'test.jsonl', blob: new Blob([gsm]) }]);
    expect(demoReplaces(store.getState())).toEqual(['Target checkpoint', 'the GSM8K (5-shot) data']);
  });

  it('does not reuse the demo’s BBH cot-prompts with a user’s folder that lacks cot-prompts/', async () => {
    const { engine } = setup();
    await engine.loadDemoData();
    const tasks = await readFile(new URL('../../browser/worker/demo-data/bbh_cot_fewshot/tasks/boolean_expressions.json', import.meta.url), 'utf8');
    const summary = await engine.setData('bbh_cot_fewshot', 'test', [{ name: 'BIG-Bench-Hard/bbh/boolean_expressions.json', blob: new Blob([tasks]) }]);
    expect(summary.tasks).toEqual([expect.objectContaining({ task: 'bbh_cot_fewshot_boolean_expressions', fewshot: null })]);
    const request = { benchmarks: ['bbh_cot_fewshot'], alphas: [0], rules: [], useVector: false, weights: 'f32' as const, settings: { limit: null, numFewshot: null, chat: false, systemInstruction: '', maxNewTokens: null, batchSize: 1 } };
    expect(() => sweepTasks((engine as unknown as { data: Parameters<typeof sweepTasks>[0] }).data, request)).toThrow(/cot-prompts/);
    // Adding the prompts afterwards, as the user's own files, pairs them with the documents.
    const prompts = await readFile(new URL('../../browser/worker/demo-data/bbh_cot_fewshot/cot-prompts/boolean_expressions.txt', import.meta.url), 'utf8');
    const both = await engine.setData('bbh_cot_fewshot', 'test', [{ name: 'cot-prompts/boolean_expressions.txt', blob: new Blob([prompts]) }]);
    expect(both.tasks[0]?.fewshot).toBe('cot-prompts/boolean_expressions.txt');
  });
});
