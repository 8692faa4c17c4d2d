/**
 * The store's evaluation actions: data per benchmark, the sweep (its live report folded from the
 * engine's events), reports opened from files, the "try it" box and "Export ONNX…". Kept apart from
 * store.ts; they share its job runner (one job at a time: they all use the GPU).
 */
import type { StudioEngine, SweepRequest } from '../../browser/shared/engine-api.ts';
import { parseReport, type Report } from '../../core/report/schema.ts';
import { applyEvent, sweepRequestOf } from './evaluation.ts';
import { errorLine, idleJob, type createJobRunner } from './jobs.ts';
import { mergeRecipeOf, rulesOf } from './settings.ts';
import type { runActions } from './run-actions.ts';
import { withStatus } from './run-actions.ts';
import type { RunStatus } from './scores.ts';
import { mergeBlocker, type ShownReport, type StudioActions, type StudioState } from './state.ts';

type Jobs = ReturnType<typeof createJobRunner<StudioState>>;
type Runs = Pick<ReturnType<typeof runActions>, 'keepOpened' | 'sweepRecorder'>;

const BUSY = 'Wait for the running job to finish, or cancel it.';

type EvalActions = Pick<
  StudioActions,
  'setEvalSettings' | 'chooseBenchmark' | 'setData' | 'clearData' | 'runSweep' | 'resumeSweep' | 'openReport' | 'clearOverlay' | 'generate' | 'refreshDiagnostics' | 'exportOnnx'
>;

export function evaluationActions(engine: StudioEngine, set: (partial: Partial<StudioState>) => void, get: () => StudioState, jobs: Jobs, runs: Runs): EvalActions {
  const dataSeq = new Map<string, number>();
  /** The request of the sweep `resumable` belongs to. */
  let stopped: SweepRequest | null = null;
  const setDataset = (id: string, state: StudioState['datasets'][string] | null) => {
    const datasets = { ...get().datasets };
    if (state === null) delete datasets[id];
    else datasets[id] = state;
    set({ datasets });
  };
  /** The sweep's report on the Report panel (unless the user opened another meanwhile), with its status. */
  const showSweep = (report: Report | null, status: RunStatus, runId: string | null) => {
    const shown = get().shown;
    if (report && (shown === null || shown.origin === 'sweep')) set({ shown: { name: 'this sweep', origin: 'sweep', report: withStatus(report, status), runId }, reportError: null });
  };

  /** Runs `request` as the sweep job; a sweep that stops with runs done can be resumed. */
  const sweep = async (request: SweepRequest): Promise<void> => {
    // Checked before the shown sweep is cleared: a refused sweep leaves it in place.
    if (jobs.running()) return set({ notice: BUSY });
    let live: Report | null = null;
    // Saved as it goes (status partial): a reload mid-sweep keeps the runs finished so far.
    const recorder = runs.sweepRecorder();
    // The new sweep takes the Report panel (what was shown stays in the Runs table).
    set({ shown: null, overlays: [] });
    const started = await jobs.run('sweep', (job) =>
      engine.sweep(request, {
        ...job,
        onEvent: (event) => {
          live = applyEvent(live, event);
          if (live) recorder.update(live);
          showSweep(live, 'partial', recorder.id);
        },
      }),
    );
    if (!started) return set({ notice: BUSY });
    const { status: job, result } = get().sweep;
    // Cancelled: the runs finished so far stay, and say so; failed: what was done is partial.
    const status: RunStatus = job === 'done' ? 'complete' : job === 'cancelled' ? 'cancelled' : 'partial';
    const last = job === 'done' && result ? result : live;
    await recorder.finish(last, status);
    showSweep(last, status, recorder.id);
    const stoppedWith = (live as Report | null)?.runs.some((r) => r.samples.length > 0) ? live : null;
    // A resumed sweep that stops again keeps the earlier report's runs (they arrive again as events).
    stopped = job === 'done' ? null : stoppedWith ? request : stopped;
    set({ resumable: job === 'done' ? null : (stoppedWith ?? get().resumable) });
    await get().refreshDiagnostics();
  };

  return {
    setEvalSettings(patch) {
      set({ evalSettings: { ...get().evalSettings, ...patch } });
      if (patch.batchSize !== undefined) void get().refreshGpuPlan(); // the plan counts the batch
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
      await sweep(request);
    },
    async resumeSweep() {
      const report = get().resumable;
      const blocker = mergeBlocker(get());
      if (blocker) return set({ notice: blocker });
      if (!report || !stopped) return set({ notice: 'There is no stopped sweep to resume.' });
      await sweep({ ...stopped, resume: report });
    },

    async openReport(text, name, as) {
      let report: Report;
      try {
        report = parseReport(text);
      } catch (e) {
        return set({ reportError: `${name}: ${errorLine(e)}` });
      }
      const shown: ShownReport = { name, origin: 'file', report, runId: null };
      // Another report shown: the overlays drawn over the last one go.
      set(as === 'shown' ? { shown, overlays: [], reportError: null } : { overlays: [...get().overlays, shown], reportError: null });
      const runId = await runs.keepOpened(name, report);
      const link = (s: ShownReport): ShownReport => (s === shown ? { ...s, runId } : s);
      const after = get();
      set({ shown: after.shown && link(after.shown), overlays: after.overlays.map(link) });
    },
    clearOverlay(index) {
      set({ overlays: index === undefined ? [] : get().overlays.filter((_, i) => i !== index) });
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
