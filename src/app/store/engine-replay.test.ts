/** A new worker's engine given what the old one had: the slots' checkpoints, the data, the GPU settings. */
import { describe, expect, it } from 'vitest';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember } from '../../core/checkpoint/synthetic.ts';
import { MemoryFolder } from '../../core/io/bytes.ts';
import { mergeRecipe } from '../../core/merge/recipe.ts';
import type { SlotSource, StudioEngine } from '../../browser/shared/engine-api.ts';
import type { FileLike } from '../../browser/shared/fs-access.ts';
import { ENGINE_METHODS } from '../../browser/shared/wire.ts';
import { Engine } from '../../browser/worker/engine.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import { replayingEngine } from './engine-replay.ts';

const newEngine = () => new Engine({ getDevice: async () => ({ device: null, reason: 'no GPU here' }), shaders: { merge: '' }, demoFiles: readDemoFile });

async function filesOf(member: FamilyMember): Promise<SlotSource> {
  const folder = new MemoryFolder(member);
  await writeFamilyMember({ shape: TINY_QWEN2, dtype: 'BF16', member, out: folder });
  return { kind: 'files', files: [...folder.files].map(([name, bytes]) => Object.assign(new Blob([bytes.slice()]), { name, webkitRelativePath: `${member}/${name}` }) as FileLike) };
}

describe('replayingEngine', () => {
  it('gives a new engine the open slots (not the closed ones), the latest data and the GPU settings', async () => {
    let current = newEngine();
    const forwarding = Object.fromEntries(ENGINE_METHODS.map((m) => [m, (...args: unknown[]) => (current[m] as (...a: unknown[]) => unknown).apply(current, args)])) as unknown as StudioEngine;
    const { engine, replay } = replayingEngine(forwarding);
    for (const m of ['sft', 'grpo', 'target'] as const) await engine.open(m, await filesOf(m));
    await engine.open('vector', await filesOf('target'));
    await engine.close('vector');
    const gsm = (text: string) => [{ name: 'test.jsonl', blob: new Blob([text]) }];
    await engine.setData('gsm8k', 'test', gsm('{"question": "1+1?", "answer": "#### 2"}\n'));
    await engine.setData('gsm8k', 'test', gsm('{"question": "2+2?", "answer": "#### 4"}\n{"question": "3+3?", "answer": "#### 6"}\n'));
    await engine.setData('gsm8k_cot', 'test', gsm('{"question": "1+1?", "answer": "#### 2"}\n'));
    await engine.clearData('gsm8k_cot');
    await engine.gpuPlan({ budgetBytes: 2e9, mode: 'streamed', batchSize: 2, useVector: false });
    const before = await engine.compatibility(mergeRecipe(1));

    current = newEngine();
    expect((await engine.compatibility(mergeRecipe(1))).missing).toEqual(['sft', 'grpo', 'target']);
    await replay();
    expect(await engine.compatibility(mergeRecipe(1))).toEqual(before);
    const reopened = current as unknown as { slots: Map<string, unknown>; gpuSettings: unknown; data: { tasks(id: string): { docs: unknown[] }[] } };
    expect([...reopened.slots.keys()].sort()).toEqual(['grpo', 'sft', 'target']);
    expect(reopened.gpuSettings).toEqual({ budgetBytes: 2e9, mode: 'streamed', batchSize: 2, useVector: false });
    expect(reopened.data.tasks('gsm8k').map((t) => t.docs.length)).toEqual([2]);
    expect(reopened.data.tasks('gsm8k_cot')).toEqual([]);
  });
});
