/** The GPU memory settings: remembered in the given storage, malformed values ignored, the plan asked of the engine. */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../browser/worker/engine.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import { DEFAULT_GPU_BUDGET_BYTES } from '../../core/gpu/memory-plan.ts';
import { initialGpu, type SettingsStorage } from './gpu-actions.ts';
import { createStudioStore } from './store.ts';

class MapStorage implements SettingsStorage {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
}

const engine = () => new Engine({ getDevice: async () => ({ device: null, reason: 'no GPU here' }), shaders: { merge: '' }, demoFiles: readDemoFile });

describe('GPU memory settings', () => {
  it('default to 4 GB and auto, and are remembered for the next visit', async () => {
    const storage = new MapStorage();
    const first = createStudioStore({ engine: engine(), compatDelayMs: 0, storage });
    expect(first.getState().gpu).toMatchObject({ budgetBytes: DEFAULT_GPU_BUDGET_BYTES, mode: 'auto' });
    first.getState().setGpuBudget(6e9);
    first.getState().setGpuMode('streamed');
    first.getState().setGpuBudget(-1); // refused
    first.getState().setGpuMode('fast' as never); // refused
    const next = createStudioStore({ engine: engine(), compatDelayMs: 0, storage });
    expect(next.getState().gpu).toMatchObject({ budgetBytes: 6e9, mode: 'streamed' });
    await next.getState().refreshGpuPlan();
    expect(next.getState().gpu.plan).toEqual({ status: 'none', reason: 'no WebGPU: the model runs on the CPU (wasm), nothing is held on a GPU' });
  });

  it('ignore malformed remembered values', () => {
    const storage = new MapStorage();
    for (const text of ['{', '[]', '{"budgetBytes":"9","mode":"fast"}', '{"budgetBytes":-5}', 'null']) {
      storage.setItem('rvs.gpu', text);
      expect(initialGpu(storage), text).toEqual({ budgetBytes: DEFAULT_GPU_BUDGET_BYTES, mode: 'auto', plan: null });
    }
    storage.setItem('rvs.gpu', '{"budgetBytes":2e9,"mode":"resident"}');
    expect(initialGpu(storage)).toEqual({ budgetBytes: 2e9, mode: 'resident', plan: null });
  });
});
