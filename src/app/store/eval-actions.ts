/**
 * The store's evaluation actions: data per benchmark, the sweep (its live report folded from the
 * engine's events), reports opened from files, the "try it" box and "Export ONNX…". Kept apart from
 * store.ts; they share its job runner (one job at a time: they all use the GPU).
 */
import type { StudioEngine } from '../../browser/shared/engine-api.ts';
import { parseReport, type Report } from '../../core/report/schema.ts';
import { applyEvent, sweepRequestOf } from './evaluation.ts';
import { errorLine, idleJob, type createJobRunner } from './jobs.ts';
import { mergeRecipeOf, rulesOf } from './settings.ts';
import { mergeBlocker, type StudioActions, type StudioState } from './state.ts';

type Jobs = ReturnType<typeof createJobRunner<StudioState>>;

const BUSY = 'Wait for the running job to finish, or cancel it.';

type EvalActions = Pick<
  StudioActions,
  'setEvalSettings' | 'chooseBenchmark' | 'setData' | 'clearData' | 'runSweep' | 'openReport' | 'clearOverlay' | 'generate' | 'refreshDiagnostics' | 'exportOnnx'
>;

export function evaluationActions(engine: StudioEngine, set: (partial: Partial<StudioState>) => void, get: () => StudioState, jobs: Jobs): EvalActions {
  const dataSeq = new Map<string, number>();
  const setDataset = (id: string, state: StudioState['datasets'][string] | null) => {
    const datasets = { ...get().datasets };
    if (state === null) delete datasets[id];
    else datasets[id] = state;
    set({ datasets });
  };
  const showSweep = (report: Report | null) => {
    const shown = get().shown;
    if (report && (shown === null || shown.origin === 'sweep')) set({ shown: { name: 'this sweep', origin: 'sweep', report }, reportError: null });
  };

  return {
    setEvalSettings(patch) {
      set({ evalSettings: { ...get().evalSettings, ...patch } });
    },
    chooseBenchmark(id, chosen) {
      const s = get().evalSettings;
      set({ evalSettings: { ...s, benchmarks: { ...s.benchmarks, [id]: chosen } } });
    },

    async setData(benchmark, role, files) {
      const seq = (dataSeq.get(benchmark) ?? 0) + 1;
      dataSeq.set(benchmark, seq);
      const before = get().datasets[benchmark];
      const previous = before && before.status !== 'loading' ? before.summary : null;
      setDataset(benchmark, { status: 'loading', label: files.length === 1 ? files[0]!.name : `${files.length} files` });
      try {
        const summary = await engine.setData(benchmark, role, files);
        if (dataSeq.get(benchmark) !== seq) return;
        setDataset(benchmark, { status: 'ready', summary });
        get().chooseBenchmark(benchmark, true);
      } catch (e) {
        if (dataSeq.get(benchmark) !== seq) return;
        setDataset(benchmark, { status: 'error', error: errorLine(e), summary: previous });
      }
    },
    async clearData(benchmark) {
      dataSeq.set(benchmark, (dataSeq.get(benchmark) ?? 0) + 1);
      await engine.clearData(benchmark);
      setDataset(benchmark, null);
      // The Hub fetch that brought the data is no longer what the row shows.
      if (get().hubDataFor === benchmark && !jobs.running()) set({ hubData: idleJob(), hubDataFor: null });
      get().chooseBenchmark(benchmark, false);
    },

    async runSweep() {
      const { evalSettings, settings, useVector } = get();
      const blocker = mergeBlocker(get());
      if (blocker) return set({ notice: blocker });
      const request = sweepRequestOf(evalSettings, rulesOf(settings), useVector);
      if ('error' in request) return set({ notice: request.error });
      // Checked before the shown sweep is cleared: a refused sweep leaves it in place.
      if (jobs.running()) return set({ notice: BUSY });
      let live: Report | null = null;
      if (get().shown?.origin === 'sweep') set({ shown: null });
      const started = await jobs.run('sweep', (job) =>
        engine.sweep(request, {
          ...job,
          onEvent: (event) => {
            live = applyEvent(live, event);
            showSweep(live);
          },
        }),
      );
      if (!started) return set({ notice: BUSY });
      const result = get().sweep.result;
      if (result && get().sweep.status === 'done') showSweep(result);
      await get().refreshDiagnostics();
    },

    openReport(text, name, as) {
      let report: Report;
      try {
        report = parseReport(text);
      } catch (e) {
        return set({ reportError: `${name}: ${errorLine(e)}` });
      }
      const shown = { name, origin: 'file' as const, report };
      set(as === 'shown' ? { shown, reportError: null } : { overlay: shown, reportError: null });
    },
    clearOverlay() {
      set({ overlay: null });
    },

    async generate(prompt, chat, maxNewTokens) {
      const blocker = mergeBlocker(get());
      if (blocker) return set({ notice: blocker });
      const { settings, useVector, evalSettings } = get();
      const request = { prompt, chat, maxNewTokens, alpha: settings.alpha, rules: rulesOf(settings), useVector, weights: evalSettings.weights };
      const started = await jobs.run('tryIt', (job) => engine.generate(request, job));
      if (!started) return set({ notice: BUSY });
      await get().refreshDiagnostics();
    },
    async refreshDiagnostics() {
      try {
        set({ diagnostics: await engine.diagnostics() });
      } catch {
        // diagnostics are informative only
      }
    },

    async exportOnnx(dest) {
      const blocker = mergeBlocker(get());
      if (blocker) return set({ notice: blocker });
      const { settings, useVector } = get();
      await jobs.run('onnxExport', (job) => engine.exportOnnx(mergeRecipeOf(settings, useVector), dest, job));
    },
  };
}
