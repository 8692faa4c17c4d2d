// The store's evaluation slice, driven in Node against a real engine (wasm fallback): the demo's
// data and settings, a sweep whose live report (folded from events) is the final report, one-line
// errors for reports and data, cancellation, and the "try it" box.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../browser/worker/engine.ts';
import { readDemoFile } from '../../node/demo-files.ts';
import type { OrtModule } from '../../browser/worker/ort-types.ts';
import type { Report } from '../../core/report/schema.ts';
import { createStudioStore, type StudioStore } from './store.ts';

function setup(): { store: StudioStore; engine: Engine } {
  const engine = new Engine({
    demoFiles: readDemoFile,
    getDevice: async () => ({ device: null, reason: 'no GPU here' }),
    shaders: { merge: '' },
    loadOrt: async () => {
      const ort = (await import('onnxruntime-web')) as unknown as OrtModule;
      ort.env.wasm.numThreads = 1;
      return ort;
    },
  });
  return { store: createStudioStore({ engine, compatDelayMs: 0 }), engine };
}

describe('evaluation in the store', () => {
  it('runs a sweep on the demo; the live report it showed is the final report', async () => {
    const { store } = setup();
    await store.getState().init();
    await store.getState().loadDemo();
    let s = store.getState();
    expect(Object.keys(s.datasets).sort()).toEqual(['bbh_cot_fewshot', 'gsm8k', 'humaneval', 'sciq']);
    expect(s.evalSettings).toMatchObject({ alphasText: '0, 1, 8', numFewshot: 0, limit: 24 });
    // HumanEval needs the sandbox, which this engine lacks: leave it out, and BBH too (speed).
    s.chooseBenchmark('humaneval', false);
    s.chooseBenchmark('bbh_cot_fewshot', false);
    s.setEvalSettings({ alphasText: '1, 0', limit: 2, maxNewTokens: 3 });
    const shown: (Report | null)[] = [];
    const unsubscribe = store.subscribe((st) => {
      if (st.shown?.origin === 'sweep' && st.shown.report !== shown.at(-1)) shown.push(st.shown.report);
    });
    await store.getState().runSweep();
    unsubscribe();
    s = store.getState();
    expect(s.sweep.status).toBe('done');
    const final = s.sweep.result!;
    expect(final.runs.map((r) => [r.alpha, r.task])).toEqual([[1, 'gsm8k'], [1, 'sciq'], [0, 'gsm8k'], [0, 'sciq']]);
    expect(shown.length).toBeGreaterThan(2);
    // The last live report before the result had the same runs, samples and metrics.
    const lastLive = shown.at(-2)!;
    expect(lastLive.runs).toEqual(final.runs);
    // The shown report is the result, its status written out.
    expect(s.shown?.report).toEqual({ ...final, status: 'complete' });
    expect(s.sweep.progress?.fraction).toBe(1);
    expect(s.diagnostics?.model?.mode).toBe('wasm');
  }, 60_000);

  it('says what is wrong in one line: α list, no benchmark, bad report, bad data', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    store.getState().setEvalSettings({ alphasText: '0, x' });
    await store.getState().runSweep();
    expect(store.getState().notice).toBe('α values: “x” is not a number.');
    store.getState().setEvalSettings({ alphasText: '0', benchmarks: {} });
    await store.getState().runSweep();
    expect(store.getState().notice).toBe('Choose at least one benchmark.');
    store.getState().openReport('{"schema": "rvs-report/2"}', 'old.json', 'shown');
    expect(store.getState().reportError).toMatch(/^old\.json: invalid report at schema: /);
    expect(store.getState().shown).toBeNull();
    await store.getState().setData('sciq', 'test', [{ name: 'sciq.csv', blob: new Blob(['a,b']) }]);
    expect(store.getState().datasets['sciq']).toMatchObject({ status: 'error', error: expect.stringMatching(/^sciq\.csv: unknown data format/) });
    // The demo's items are kept when a new file fails.
    expect(store.getState().datasets['sciq']).toMatchObject({ summary: { items: 3 } });
  });

  it('cancels a sweep', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    store.getState().setEvalSettings({ benchmarks: { gsm8k: true }, alphasText: '0, 0.25, 0.5, 0.75, 1', maxNewTokens: 4 });
    const unsubscribe = store.subscribe((st) => {
      if (st.sweep.status === 'running' && (st.sweep.progress?.done ?? 0) > 0) st.cancel('sweep');
    });
    await store.getState().runSweep();
    unsubscribe();
    expect(store.getState().sweep.status).toBe('cancelled');
  }, 60_000);

  it('generates with the merge panel’s α and counts what the engine did', async () => {
    const { store } = setup();
    await store.getState().loadDemo();
    store.getState().setAlpha(0.5);
    await store.getState().generate('Hello', false, 4);
    const s = store.getState();
    expect(s.tryIt.status).toBe('done');
    expect(s.tryIt.result).toMatchObject({ alpha: 0.5, alphaChanged: true, mode: 'wasm' });
    expect(s.tryIt.progress?.text).toBe(s.tryIt.result!.text);
    expect(s.diagnostics?.sessionsCreated).toBe(1);
  });
});
