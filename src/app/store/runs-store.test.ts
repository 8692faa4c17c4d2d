// Saved runs in the store, over an in-memory RunStore and a scripted engine: a sweep is written as
// it goes (partial) and ends complete or cancelled with the runs finished so far; a new store over
// the same RunStore (a reload) lists and opens them; opened reports are kept once; several runs
// overlay; rename and delete.
import { describe, expect, it } from 'vitest';
import type { JobOptions, StudioEngine, SweepEvent, SweepSnapshot } from '../../browser/shared/engine-api.ts';
import type { Report, ReportRun } from '../../core/report/schema.ts';
import { memoryRunStore, type RunStore } from './runs.ts';
import { reportStatus } from './scores.ts';
import { createStudioStore } from './store.ts';

const EM = 'exact_match,strict-match';
const sample = (doc_id: number, score: number) => ({ doc_id, prompt: null, output: String(score), target: '1', filtered: { 'strict-match': String(score) }, scores: { [EM]: score } });
const header: Report = { schema: 'rvs-report/1', status: 'complete', createdAt: '2026-02-03T04:05:06.000Z', app: { name: 'studio', version: '1' }, environment: { backend: 'fake' }, checkpoints: { target: { name: 't', fingerprint: 'headers+samples-fnv1a64:0123456789abcdef' } }, recipe: null, runs: [], timings: {} };
const run = (alpha: number, scores: number[]): ReportRun => ({ alpha, task: 'gsm8k', config: {}, metrics: { [EM]: { value: scores.reduce((a, b) => a + b, 0) / scores.length, stderr: 0.25, n: scores.length } }, samples: scores.map((s, i) => sample(i, s)) });

/** A sweep over `alphas`: each α's run finishes after `step()` lets it; cancel aborts between runs. */
function scriptedEngine(alphas: readonly number[]) {
  let release: (() => void) | null = null;
  const waiting: (() => void)[] = [];
  const step = () => new Promise<void>((resolve) => waiting.push(resolve));
  const engine = {
    backend: async () => ({ kind: 'cpu', kernel: 'test', reason: 'test' }),
    compatibility: async () => ({ missing: [], report: { ok: true, roles: [], issues: [] } }),
    diagnostics: async () => ({ model: null, reads: 0, sessionsCreated: 0 }),
    async sweep(_request: unknown, job: JobOptions<SweepSnapshot, SweepEvent>): Promise<Report> {
      job.onEvent?.({ type: 'header', report: header });
      const runs: ReportRun[] = [];
      for (const [index, alpha] of alphas.entries()) {
        await new Promise<void>((resolve, reject) => {
          release = resolve;
          job.signal?.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { code: 'CANCELLED' })));
          waiting.shift()?.();
        });
        const r = run(alpha, [1, 0, index % 2]);
        runs.push(r);
        job.onEvent?.({ type: 'runs', updates: [{ index, alpha, task: r.task, config: r.config, metrics: r.metrics, samples: r.samples }] });
      }
      return { ...header, runs, timings: { totalSeconds: 1 } };
    },
  };
  return { engine: engine as unknown as StudioEngine, next: () => release?.(), started: step };
}

async function studio(runs: RunStore, alphas: readonly number[] = [0, 1]) {
  const fake = scriptedEngine(alphas);
  const store = createStudioStore({ engine: fake.engine, compatDelayMs: 0, runs });
  await store.getState().init();
  store.getState().setEvalSettings({ benchmarks: { gsm8k: true }, alphasText: alphas.join(', ') });
  return { store, ...fake };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

/** Starts the sweep and lets its first α finish (the second is waiting); returns the sweep (wrapped: an async function would wait for it). */
async function firstRunDone({ store, next, started }: Awaited<ReturnType<typeof studio>>): Promise<{ sweep: Promise<void> }> {
  const first = started();
  const sweep = store.getState().runSweep();
  await first;
  const second = started();
  next();
  await second;
  await tick();
  return { sweep };
}

describe('saved runs', () => {
  it('saves a sweep as it goes; a reload lists it and opens the finished runs', async () => {
    const runs = memoryRunStore();
    const s0 = await studio(runs, [0, 0.5, 1]);
    const { store, next } = s0;
    const { sweep } = await firstRunDone(s0);
    // Mid-sweep: one record, partial, holding the finished run.
    expect([...runs.records.values()].map((r) => [r.status, r.summary.alphas])).toEqual([['partial', [0]]]);
    const [id] = runs.records.keys();
    expect((runs.reports.get(id!) as Report).runs.map((r) => r.alpha)).toEqual([0]);
    expect(store.getState().shown).toMatchObject({ origin: 'sweep', runId: id });
    expect(reportStatus(store.getState().shown!.report)).toBe('partial');

    // A reload now: a new store over the same storage.
    const reloaded = await studio(runs);
    expect(reloaded.store.getState().runs.records.map((r) => [r.id, r.status, r.name])).toEqual([[id, 'partial', 'gsm8k · α 0']]);
    await reloaded.store.getState().openRun(id!);
    const opened = reloaded.store.getState().shown!;
    expect(opened).toMatchObject({ origin: 'file', runId: id, name: 'gsm8k · α 0' });
    expect(reportStatus(opened.report)).toBe('partial');
    expect(opened.report.runs).toEqual([run(0, [1, 0, 0])]);

    // The sweep goes on and ends: the same record, complete, every run.
    next();
    await tick();
    next();
    await sweep;
    expect([...runs.records.values()].map((r) => [r.id, r.status, r.name])).toEqual([[id, 'complete', 'gsm8k · α 0 … 1 (3)']]);
    expect((runs.reports.get(id!) as Report).runs.map((r) => r.alpha)).toEqual([0, 0.5, 1]);
    expect((runs.reports.get(id!) as { status?: string }).status).toBe('complete');
    expect(reportStatus(store.getState().shown!.report)).toBe('complete');
    expect(store.getState().runs.records[0]!.summary.best).toEqual([{ task: 'gsm8k', metric: EM, alphas: [0.5], value: 2 / 3, flat: false }]);
  });

  it('a cancelled sweep keeps the runs finished so far, shown and saved as cancelled', async () => {
    const runs = memoryRunStore();
    const s0 = await studio(runs, [0, 0.5, 1]);
    const { store } = s0;
    const { sweep } = await firstRunDone(s0);
    store.getState().cancel('sweep');
    await sweep;
    const s = store.getState();
    expect(s.sweep.status).toBe('cancelled');
    expect(reportStatus(s.shown!.report)).toBe('cancelled');
    expect(s.shown!.report.runs.map((r) => r.alpha)).toEqual([0]);
    expect([...runs.records.values()].map((r) => r.status)).toEqual(['cancelled']);
    expect((runs.reports.values().next().value as Report).runs).toHaveLength(1);
  });

  it('keeps opened reports once, overlays several, clears overlays on another report, renames and deletes', async () => {
    const runs = memoryRunStore();
    const { store } = await studio(runs);
    const a = { ...header, createdAt: '2026-01-01T00:00:00.000Z', runs: [run(0, [1, 1]), run(1, [0, 1])] };
    const b = { ...header, createdAt: '2026-01-02T00:00:00.000Z', runs: [run(0, [0, 0])] };
    await store.getState().openReport(JSON.stringify(a), 'a.json', 'shown');
    await store.getState().openReport(JSON.stringify(a), 'a-again.json', 'shown');
    await store.getState().openReport(JSON.stringify(b), 'b.json', 'overlay');
    let s = store.getState();
    expect(s.runs.records.map((r) => [r.name, r.origin, r.status])).toEqual([['b.json', 'file', 'complete'], ['a.json', 'file', 'complete']]);
    const [idB, idA] = s.runs.records.map((r) => r.id);
    expect(s.shown).toMatchObject({ name: 'a-again.json', runId: idA });
    expect(s.overlays.map((o) => o.runId)).toEqual([idB]);

    await s.openReport(JSON.stringify(b), 'b.json', 'shown');
    expect(store.getState().overlays).toEqual([]);

    await s.compareRuns([idA!, idB!]);
    s = store.getState();
    expect([s.shown!.runId, ...s.overlays.map((o) => o.runId)]).toEqual([idA, idB]);
    expect(s.shown!.report.runs).toEqual(a.runs);

    await s.renameRun(idA!, '  baseline sweep ');
    expect(runs.records.get(idA!)!.name).toBe('baseline sweep');
    expect(store.getState().shown!.name).toBe('baseline sweep');
    await s.deleteRun(idB!);
    expect([...runs.records.keys()]).toEqual([idA]);
    expect(runs.reports.has(idB!)).toBe(false);
    expect(store.getState().overlays[0]!.runId).toBeNull();

    // A stored report that no longer validates is refused in one line.
    runs.reports.set(idA!, { schema: 'rvs-report/1' });
    expect(await store.getState().runReport(idA!)).toBeNull();
    expect(store.getState().runs.error).toMatch(/^baseline sweep: invalid report at createdAt: /);
  });

  it('a run deleted while its sweep goes on is not written again', async () => {
    const runs = memoryRunStore();
    const s0 = await studio(runs, [0, 1]);
    const { store, next } = s0;
    const { sweep } = await firstRunDone(s0);
    const [id] = runs.records.keys();
    await store.getState().deleteRun(id!);
    next();
    await sweep;
    expect(store.getState().sweep.status).toBe('done');
    expect(runs.records.size).toBe(0);
    expect(store.getState().runs.records).toEqual([]);
  });

  it('says so when the storage fails, and the sweep still runs', async () => {
    const broken: RunStore = { list: async () => [], report: async () => null, put: async () => Promise.reject(new Error('QuotaExceededError')), remove: async () => {} };
    const { store, next, started } = await studio(broken, [0]);
    const first = started();
    const sweep = store.getState().runSweep();
    await first;
    next();
    await sweep;
    expect(store.getState().sweep.status).toBe('done');
    expect(store.getState().runs.error).toBe('The sweep could not be saved: QuotaExceededError');
  });
});
