/**
 * What the GPU worker was given, so that a new worker can be given it again: after a lost device
 * (onnxruntime-web keeps its device for a worker's life) the page starts a new worker and `replay`
 * re-opens the slots' checkpoints (the same files or folder handles, or the demo), re-reads the
 * benchmarks' data and restores the GPU settings. Wraps the engine; it records only calls that
 * succeeded, in order.
 */
import type { DataFile, DataRole, GpuSettings, SlotId, SlotSource, StudioEngine } from '../../browser/shared/engine-api.ts';
import { ENGINE_METHODS } from '../../browser/shared/wire.ts';

export interface ReplayingEngine {
  readonly engine: StudioEngine;
  /** Gives the (new) worker behind `engine` what the old one had. */
  replay(): Promise<void>;
}

export function replayingEngine(inner: StudioEngine): ReplayingEngine {
  const slots = new Map<SlotId, SlotSource | 'demo'>();
  const data = new Map<string, { benchmark: string; role: DataRole; files: readonly DataFile[] }>();
  let demoData = false;
  let gpu: GpuSettings | null = null;

  // Looked up at each call: the inner engine's methods may be replaced (tests wrap them).
  const engine = Object.fromEntries(ENGINE_METHODS.map((m) => [m, (...args: unknown[]) => (inner[m] as (...a: unknown[]) => unknown).apply(inner, args)])) as unknown as StudioEngine;
  Object.assign(engine, {
    async open(slot: SlotId, source: SlotSource) {
      const summary = await inner.open(slot, source);
      slots.set(slot, source);
      return summary;
    },
    async close(slot: SlotId) {
      await inner.close(slot);
      slots.delete(slot);
    },
    async loadDemo() {
      const out = await inner.loadDemo();
      for (const member of Object.keys(out) as SlotId[]) slots.set(member, 'demo');
      return out;
    },
    async setData(benchmark: string, role: DataRole, files: readonly DataFile[]) {
      const summary = await inner.setData(benchmark, role, files);
      data.delete(`${benchmark}/${role}`); // re-inserted last: replayed after what it replaced
      data.set(`${benchmark}/${role}`, { benchmark, role, files });
      return summary;
    },
    async clearData(benchmark: string) {
      await inner.clearData(benchmark);
      for (const key of [...data.keys()]) if (data.get(key)!.benchmark === benchmark) data.delete(key);
    },
    async loadDemoData() {
      const out = await inner.loadDemoData();
      demoData = true;
      for (const summary of out) for (const key of [...data.keys()]) if (data.get(key)!.benchmark === summary.benchmark) data.delete(key);
      return out;
    },
    async gpuPlan(settings: GpuSettings) {
      gpu = settings;
      return inner.gpuPlan(settings);
    },
  } satisfies Partial<StudioEngine>);

  return {
    engine,
    async replay() {
      if (gpu) await inner.gpuPlan(gpu);
      const demo = [...slots].filter(([, s]) => s === 'demo').map(([slot]) => slot);
      if (demo.length > 0) {
        await inner.loadDemo();
        // The demo fills all its members; those since replaced or closed are put back as they were.
        for (const member of ['sft', 'grpo', 'target'] as const) if (!slots.has(member)) await inner.close(member);
      }
      for (const [slot, source] of slots) if (source !== 'demo') await inner.open(slot, source);
      if (demoData) await inner.loadDemoData();
      for (const d of data.values()) await inner.setData(d.benchmark, d.role, d.files);
    },
  };
}
