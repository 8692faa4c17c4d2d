import type { Endpoint } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import type { MergeProgress } from '../../core/merge/execute.ts';
import { MergeError } from '../../core/merge/plan.ts';
import { extractRecipe, mergeRecipe } from '../../core/merge/recipe.ts';
import type { StudioEngine } from './engine-api.ts';
import { Engine } from '../worker/engine.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import { connectEngine, exposeEngine, RemoteError } from './wire.ts';

const channels: InstanceType<typeof MessageChannel>[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function connect(engine: StudioEngine, progressIntervalMs = 0): StudioEngine {
  const channel = new MessageChannel();
  channels.push(channel);
  exposeEngine(engine, channel.port1 as unknown as Endpoint, { progressIntervalMs });
  return connectEngine(channel.port2 as unknown as Endpoint);
}

const realEngine = () => new Engine({ getDevice: async () => ({ device: null, reason: 'no GPU in this test' }), shaders: { merge: '' }, demoFiles: readDemoFile });

describe('the engine through comlink', () => {
  it('runs the demo, compatibility and an analysis with progress', async () => {
    const engine = connect(realEngine());
    expect(await engine.backend()).toMatchObject({ kind: 'cpu', reason: 'no GPU in this test' });
    const demo = await engine.loadDemo();
    expect(demo.sft.architecture).toBe('Qwen2ForCausalLM');
    const compat = await engine.compatibility(mergeRecipe(1));
    expect(compat.missing).toEqual([]);
    expect(compat.report?.ok).toBe(true);
    const progress: MergeProgress[] = [];
    const analysis = await engine.analyse(extractRecipe(), { onProgress: (p) => progress.push(p) });
    expect(analysis.tensors.length).toBe(demo.sft.tensors);
    expect(analysis.summary.hasReference).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.tensorsDone).toBe(progress.at(-1)!.tensorsTotal);
  });

  it('keeps name, code and details of errors', async () => {
    const engine = connect(realEngine());
    await engine.loadDemo();
    await engine.close('sft');
    const err = await engine.analyse(extractRecipe(), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ name: 'MergeError', code: 'MISSING_ROLE', message: 'recipe needs a checkpoint for "sft"' });
  });

  it('cancels a job when its signal fires', async () => {
    let sawAbort = false;
    const slow = realEngine();
    slow.analyse = async (_recipe, job) => {
      for (let i = 0; ; i++) {
        job.onProgress?.({ bytesDone: i, bytesTotal: 1000, tensorsDone: 0, tensorsTotal: 1, tensor: 't' });
        await new Promise((r) => setTimeout(r, 2));
        if (job.signal?.aborted) {
          sawAbort = true;
          throw new MergeError('CANCELLED', 'cancelled');
        }
      }
    };
    const engine = connect(slow);
    const controller = new AbortController();
    let calls = 0;
    const run = engine.analyse(extractRecipe(), {
      signal: controller.signal,
      onProgress: () => {
        if (++calls === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'MergeError', code: 'CANCELLED' });
    expect(sawAbort).toBe(true);
  });

  it('passes an already aborted signal on', async () => {
    const engine = connect(realEngine());
    await engine.loadDemo();
    await expect(engine.analyse(extractRecipe(), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('delivers every event in order, and the latest progress of a burst', async () => {
    const bursty = realEngine();
    bursty.sweep = async (_request, job) => {
      for (let i = 0; i < 50; i++) {
        job.onProgress?.({ phase: 'evaluating', loadBytesDone: 0, loadBytesTotal: 0, run: 0, runs: 1, task: 't', alpha: 0, done: i + 1, total: 50, newTokens: 0, evalSeconds: 0, fraction: (i + 1) / 50 });
        job.onEvent?.({ type: 'alpha', alpha: i, changed: true, ms: 0 });
      }
      return { schema: 'rvs-report/1', status: 'complete', createdAt: '2025-01-01T00:00:00Z', app: { name: 'a', version: '1' }, environment: { backend: 'b' }, checkpoints: {}, recipe: null, runs: [], timings: {} };
    };
    const channel = new MessageChannel();
    channels.push(channel);
    exposeEngine(bursty, channel.port1 as unknown as Endpoint, { progressIntervalMs: 60_000 });
    const engine = connectEngine(channel.port2 as unknown as Endpoint);
    const events: number[] = [];
    const progress: number[] = [];
    const request = { benchmarks: [], alphas: [], rules: [], useVector: false, weights: 'f32' as const, settings: { limit: null, numFewshot: null, chat: false, systemInstruction: '', maxNewTokens: null, batchSize: 1 } };
    await engine.sweep(request, { onEvent: (e) => e.type === 'alpha' && events.push(e.alpha), onProgress: (p) => progress.push(p.done) });
    expect(events).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Throttled to one a minute: the first, then the last one, flushed before the result.
    expect(progress).toEqual([1, 50]);
  });
});
