/**
 * The studio's store (zustand, vanilla: React binds it in ../StoreProvider.tsx; tests drive it
 * directly). Slices of state live in state.ts; actions talk to the engine (the GPU worker) and
 * keep only serialisable results. Non-serialisable things — folder handles to re-open, abort
 * controllers — stay in this closure.
 *
 * Extending: add the slice's data to `StudioData` and its actions to `StudioActions` (state.ts),
 * its job key to `JobKey` (jobs.ts), and the actions here (or in a file of their own, as
 * eval-actions.ts), running engine methods through `jobs.run(key, (job) => engine.method(…, job))`,
 * which gives progress, cancellation (`cancel(key)`) and one-line errors for free.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { SlotId, SlotSource, StudioEngine } from '../../browser/shared/engine-api.ts';
import type { DirectoryHandleLike, FolderMemory } from '../../browser/shared/fs-access.ts';
import { HF_ENDPOINT } from '../../core/hub/http.ts';
import type { Recipe } from '../../core/merge/recipe.ts';
import { evaluationActions } from './eval-actions.ts';
import { defaultStorage, gpuActions, initialGpu, type SettingsStorage } from './gpu-actions.ts';
import { replayingEngine } from './engine-replay.ts';
import { runActions } from './run-actions.ts';
import type { RunStore } from './runs.ts';
import { hubActions, type HubDeps } from './hub-actions.ts';
import { DEFAULT_EVAL_SETTINGS, DEMO_EVAL_SETTINGS, type DatasetState } from './evaluation.ts';
import { createJobRunner, errorLine, idleJob } from './jobs.ts';
import { analysisRecipeOf, compatRecipeOf, DEFAULT_SETTINGS, mergeRecipeOf, shardBytes, vectorRecipe, type MergeSettings } from './settings.ts';
import { analysisBlocker, isBusy, mergeBlocker, type CompatState, type SlotOrigin, type SlotState, type StudioData, type StudioState } from './state.ts';

export interface StudioDeps {
  readonly engine: StudioEngine;
  /** Remembered folders (IndexedDB in the browser); none in tests unless given. */
  readonly folders?: FolderMemory;
  readonly now?: () => number;
  /** Delay before a settings change re-checks compatibility (default 120 ms). */
  readonly compatDelayMs?: number;
  /** The Hugging Face Hub: fetch and caches (none: its actions fail with one line). */
  readonly hub?: HubDeps;
  /** The Hub endpoint to start with (the page's `?hub=`); default https://huggingface.co. */
  readonly hubEndpoint?: string;
  /** Where settings are remembered (default: localStorage when there is one). */
  readonly storage?: SettingsStorage;
  /** Replaces the GPU worker behind `engine` (after a lost device); none: "Restart the GPU" is refused. */
  readonly restartEngine?: () => void;
  /** Saved runs (IndexedDB in the browser); none: sweeps and reports are not kept. */
  readonly runs?: RunStore;
}

export type StudioStore = StoreApi<StudioState>;

const emptySlot: SlotState = { status: 'empty', remembered: null };
const idleCompat: CompatState = { status: 'idle', result: null, error: null };
type CompatPart = keyof StudioData['compat'];

export function initialData(): StudioData {
  return {
    backend: { status: 'checking' },
    notice: null,
    useVector: false,
    slots: { sft: emptySlot, grpo: emptySlot, target: emptySlot, vector: emptySlot },
    vectorConfirmed: false,
    mergeVisited: false,
    demoLoading: false,
    compat: { merge: idleCompat, analysis: idleCompat },
    settings: DEFAULT_SETTINGS,
    analysis: idleJob(),
    vectorSave: idleJob(),
    mergeSave: idleJob(),
    onnxExport: idleJob(),
    evalSettings: DEFAULT_EVAL_SETTINGS,
    datasets: {},
    sweep: idleJob(),
    resumable: null,
    shown: null,
    overlays: [],
    runs: { status: 'loading', records: [], error: null },
    reportError: null,
    tryIt: idleJob(),
    diagnostics: null,
    gpu: initialGpu(undefined),
    hubEndpoint: HF_ENDPOINT,
    hubModels: idleJob(),
    hubData: idleJob(),
    hubDataFor: null,
    hubCache: { available: false, models: [], estimate: null, error: null },
  };
}

export function createStudioStore(deps: StudioDeps): StudioStore {
  const replaying = replayingEngine(deps.engine);
  const { engine } = replaying;
  const storage = 'storage' in deps ? deps.storage : defaultStorage();
  const now = deps.now ?? (() => performance.now());
  const remembered = new Map<SlotId, DirectoryHandleLike>();
  const slotSeq = new Map<SlotId, number>();
  const compatSeq: Record<CompatPart, number> = { merge: 0, analysis: 0 };
  /** The merge's compatibility recipe last checked (settings with the same one need no check). */
  let mergeCompatKey: string | null = null;
  let compatTimer: ReturnType<typeof setTimeout> | null = null;
  let patternId = 0;

  return createStore<StudioState>()((set, get) => {
    const jobs = createJobRunner<StudioState>({ get, set: (p) => set(p) }, now);
    const runs = runActions(deps.runs, (p) => set(p), get);
    const setSlot = (slot: SlotId, state: SlotState) => set({ slots: { ...get().slots, [slot]: state } });
    const rememberedName = (slot: SlotId) => remembered.get(slot)?.name ?? null;
    /**
     * Results that describe the old inputs go. The vector (θ_GRPO − θ_SFT) does not depend on the
     * target: a change of the target alone keeps its statistics and its saved copy.
     */
    const inputsChanged = async (changed: readonly SlotId[] | 'all' = 'all'): Promise<void> => {
      const vectorKept = changed !== 'all' && !get().useVector && changed.every((slot) => slot === 'target');
      set({ ...(vectorKept ? {} : { analysis: idleJob(), vectorSave: idleJob() }), mergeSave: idleJob(), onnxExport: idleJob(), tryIt: idleJob() });
      if (changed === 'all' || changed.includes('vector')) set({ vectorConfirmed: false });
      await get().refreshCompat();
      await get().refreshDiagnostics();
      await get().refreshGpuPlan();
    };
    const refuseWhileBusy = (what = 'changing checkpoints'): boolean => {
      if (!isBusy(get())) return false;
      set({ notice: `Wait for the running job to finish, or cancel it, before ${what}.` });
      return true;
    };
    const compatKey = (settings: MergeSettings, useVector: boolean): string | null => {
      try {
        return JSON.stringify(compatRecipeOf(settings, useVector));
      } catch {
        return null; // an invalid setting: the check reports it
      }
    };
    /** Re-checks the parts' compatibility (the analysis pass does not depend on the settings). */
    const checkCompat = async (parts: readonly CompatPart[]): Promise<void> => {
      const { settings, useVector } = get();
      const recipes: Record<CompatPart, () => Recipe> = { merge: () => compatRecipeOf(settings, useVector), analysis: () => analysisRecipeOf(useVector) };
      const seqs = parts.map((part) => ++compatSeq[part]);
      if (parts.includes('merge')) mergeCompatKey = compatKey(settings, useVector);
      const checking = { ...get().compat };
      for (const part of parts) checking[part] = { ...checking[part], status: 'checking' };
      set({ compat: checking });
      const results = await Promise.all(
        parts.map(async (part): Promise<CompatState> => {
          try {
            return { status: 'done', result: await engine.compatibility(recipes[part]()), error: null };
          } catch (e) {
            if (part === 'merge') mergeCompatKey = null;
            return { status: 'error', result: null, error: errorLine(e) };
          }
        }),
      );
      const compat = { ...get().compat };
      parts.forEach((part, i) => {
        if (compatSeq[part] === seqs[i]) compat[part] = results[i]!;
      });
      set({ compat });
    };
    /** A settings change re-checks the merge's compatibility (debounced) only when its compatibility recipe changed: never for α alone. */
    const updateSettings = (patch: Partial<MergeSettings>) => {
      // A running job merged with the settings it started with: changing them now would not change it.
      if (refuseWhileBusy('changing the merge settings')) return;
      set({ settings: { ...get().settings, ...patch }, mergeVisited: true });
      const { settings, useVector } = get();
      if (compatKey(settings, useVector) === mergeCompatKey && mergeCompatKey !== null) return;
      if (compatTimer !== null) clearTimeout(compatTimer);
      compatTimer = setTimeout(() => {
        compatTimer = null;
        void checkCompat(['merge']);
      }, deps.compatDelayMs ?? 120);
    };

    /** Opens a slot (no busy check: the Hub job opens what it downloaded while it runs). */
    const openSlotNow = async (slot: SlotId, source: SlotSource, origin: SlotOrigin, label: string): Promise<void> => {
      const seq = (slotSeq.get(slot) ?? 0) + 1;
      slotSeq.set(slot, seq);
      const before = get().slots[slot];
      setSlot(slot, { status: 'loading', label });
      try {
        const summary = await engine.open(slot, source);
        if (slotSeq.get(slot) !== seq) return;
        setSlot(slot, { status: 'ready', summary, origin });
        if (source.kind === 'directory' && deps.folders) {
          remembered.set(slot, source.handle);
          deps.folders.remember(slot, source.handle).catch(() => {});
        }
      } catch (e) {
        if (slotSeq.get(slot) !== seq) return;
        if (before.status === 'ready') {
          // The engine keeps the checkpoint it had when a new one fails to open: so does the slot.
          setSlot(slot, { status: 'ready', summary: before.summary, origin: before.origin, error: errorLine(e) });
          return;
        }
        await engine.close(slot).catch(() => {});
        setSlot(slot, { status: 'error', error: errorLine(e), remembered: rememberedName(slot) });
      }
      await inputsChanged([slot]);
    };

    return {
      ...initialData(),
      ...(deps.hubEndpoint ? { hubEndpoint: deps.hubEndpoint } : {}),
      gpu: initialGpu(storage),

      async init() {
        const [backend, recalled] = await Promise.allSettled([engine.backend(), deps.folders?.recall() ?? Promise.resolve(new Map<string, DirectoryHandleLike>())]);
        set({ backend: backend.status === 'fulfilled' ? { status: 'ready', info: backend.value } : { status: 'error', error: errorLine(backend.reason) } });
        if (recalled.status === 'fulfilled') {
          const slots = { ...get().slots };
          for (const [slot, handle] of recalled.value) {
            if (!(slot in slots)) continue;
            remembered.set(slot as SlotId, handle);
            const current = slots[slot as SlotId];
            if (current.status === 'empty') slots[slot as SlotId] = { status: 'empty', remembered: handle.name };
          }
          set({ slots });
        }
        await Promise.all([get().loadRuns(), get().refreshCompat()]);
        await get().refreshGpuPlan();
        await get().refreshHubCache();
      },

      setUseVector(useVector) {
        if (useVector === get().useVector || refuseWhileBusy()) return;
        set({ useVector });
        void inputsChanged();
      },

      async openSlot(slot, source: SlotSource, origin, label) {
        if (refuseWhileBusy()) return;
        await openSlotNow(slot, source, origin, label);
      },

      async reopenSlot(slot) {
        const handle = remembered.get(slot);
        if (!handle || !deps.folders) return;
        try {
          await deps.folders.reopen(handle);
        } catch (e) {
          setSlot(slot, { status: 'error', error: errorLine(e), remembered: handle.name });
          return;
        }
        await get().openSlot(slot, { kind: 'directory', handle }, 'remembered', handle.name);
      },

      async clearSlot(slot) {
        if (refuseWhileBusy()) return;
        slotSeq.set(slot, (slotSeq.get(slot) ?? 0) + 1);
        remembered.delete(slot);
        deps.folders?.forget(slot).catch(() => {});
        setSlot(slot, emptySlot);
        await engine.close(slot).catch(() => {});
        await inputsChanged([slot]);
      },

      confirmVector(confirmed) {
        set({ vectorConfirmed: confirmed });
      },

      async loadDemo() {
        if (refuseWhileBusy() || get().demoLoading) return;
        set({ demoLoading: true, notice: null });
        const members = ['sft', 'grpo', 'target'] as const;
        for (const m of members) slotSeq.set(m, (slotSeq.get(m) ?? 0) + 1);
        const before = get().slots;
        set({ slots: { ...before, sft: { status: 'loading', label: 'demo' }, grpo: { status: 'loading', label: 'demo' }, target: { status: 'loading', label: 'demo' } } });
        try {
          const demo = await engine.loadDemo();
          set({
            useVector: false,
            slots: { ...get().slots, ...Object.fromEntries(members.map((m) => [m, { status: 'ready', summary: demo[m], origin: 'demo' } satisfies SlotState])) },
          });
        } catch (e) {
          set({ slots: before, notice: `The demo could not be built: ${errorLine(e)}` });
        }
        try {
          // A few items of each benchmark format, and settings that fit the tiny model.
          const data = await engine.loadDemoData();
          const datasets: Record<string, DatasetState> = { ...get().datasets };
          for (const summary of data) datasets[summary.benchmark] = { status: 'ready', summary, demo: true };
          set({ datasets, evalSettings: DEMO_EVAL_SETTINGS });
        } catch (e) {
          set({ notice: `The demo's evaluation items could not be read: ${errorLine(e)}` });
        } finally {
          set({ demoLoading: false, mergeVisited: false });
        }
        await inputsChanged();
      },

      async refreshCompat() {
        await checkCompat(['merge', 'analysis']);
      },

      setAlpha(alpha) {
        if (Number.isFinite(alpha)) updateSettings({ alpha });
      },
      setGroup(group, setting) {
        const groups = get().settings.groups;
        updateSettings({ groups: { ...groups, [group]: { ...groups[group], ...setting } } });
      },
      addPattern() {
        updateSettings({ patterns: [...get().settings.patterns, { id: ++patternId, pattern: '', mode: 'exclude', alpha: get().settings.alpha }] });
      },
      updatePattern(id, patch) {
        updateSettings({ patterns: get().settings.patterns.map((p) => (p.id === id ? { ...p, ...patch } : p)) });
      },
      removePattern(id) {
        updateSettings({ patterns: get().settings.patterns.filter((p) => p.id !== id) });
      },
      setDtype(dtype) {
        updateSettings({ dtype });
      },
      setShardSizeMB(mb) {
        if (Number.isFinite(mb) && mb > 0) updateSettings({ shardSizeMB: mb });
      },

      async extractVector() {
        const blocker = analysisBlocker(get());
        if (blocker) return set({ notice: blocker });
        const recipe = analysisRecipeOf(get().useVector);
        await jobs.run('analysis', (job) => engine.analyse(recipe, job));
      },
      async saveVector(dest) {
        const blocker = get().useVector ? 'A saved vector is already on disk.' : analysisBlocker(get());
        if (blocker) return set({ notice: blocker });
        await jobs.run('vectorSave', (job) => engine.save(vectorRecipe(), dest, {}, job));
      },
      async saveMerged(dest) {
        const blocker = mergeBlocker(get());
        if (blocker) return set({ notice: blocker });
        const { settings, useVector } = get();
        set({ mergeVisited: true });
        await jobs.run('mergeSave', (job) => engine.save(mergeRecipeOf(settings, useVector), dest, { shardSize: shardBytes(settings) }, job));
      },
      cancel(job) {
        jobs.cancel(job);
      },
      ...evaluationActions(engine, (p) => set(p), get, jobs, runs),
      ...runs.actions,
      ...gpuActions(engine, storage, (p) => set(p), get),
      ...hubActions(deps.hub, (p) => set(p), get, jobs, openSlotNow),
      dismissNotice() {
        set({ notice: null });
      },
      async restartGpu() {
        if (refuseWhileBusy()) return;
        if (!deps.restartEngine) return set({ notice: 'The GPU worker cannot be restarted here: reload the page.' });
        deps.restartEngine();
        set({ backend: { status: 'checking' }, diagnostics: null, tryIt: idleJob(), notice: null });
        try {
          await replaying.replay();
          set({ backend: { status: 'ready', info: await engine.backend() } });
        } catch (e) {
          set({ backend: { status: 'error', error: errorLine(e) }, notice: `The GPU could not be restarted: ${errorLine(e)}. Reload the page.` });
        }
        await get().refreshCompat();
        await get().refreshDiagnostics();
        await get().refreshGpuPlan();
      },
    };
  });
}
