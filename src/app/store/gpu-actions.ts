/**
 * The store's GPU memory settings and plan: the budget (default: core's 4 GB) and the α-change mode
 * (auto: the plan chooses), remembered across visits in `localStorage` (or the storage given), and
 * the plan the engine computes for the loaded checkpoints before anything loads
 * (engine.gpuPlan: the worker keeps the settings and builds the next model as the plan says).
 */
import type { GpuPlanView, GpuSettings, StudioEngine } from '../../browser/shared/engine-api.ts';
import { DEFAULT_GPU_BUDGET_BYTES } from '../../core/gpu/memory-plan.ts';
import { errorLine } from './jobs.ts';
import type { StudioActions, StudioState } from './state.ts';

export type GpuMode = GpuSettings['mode'];

export interface GpuState {
  readonly budgetBytes: number;
  readonly mode: GpuMode;
  /** null until first asked; `none` says why there is no plan. */
  readonly plan: GpuPlanView | null;
}

/** What remembers the settings: `localStorage` in the browser. */
export interface SettingsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const KEY = 'rvs.gpu';
const MODES: readonly GpuMode[] = ['auto', 'resident', 'streamed'];

export function defaultStorage(): SettingsStorage | undefined {
  try {
    return (globalThis as { localStorage?: SettingsStorage }).localStorage;
  } catch {
    return undefined; // storage disabled
  }
}

/** The remembered settings, or the defaults (anything malformed is ignored). */
export function initialGpu(storage: SettingsStorage | undefined): GpuState {
  const state: GpuState = { budgetBytes: DEFAULT_GPU_BUDGET_BYTES, mode: 'auto', plan: null };
  try {
    const saved = JSON.parse(storage?.getItem(KEY) ?? 'null') as { budgetBytes?: unknown; mode?: unknown } | null;
    if (!saved || typeof saved !== 'object') return state;
    const budget = typeof saved.budgetBytes === 'number' && saved.budgetBytes > 0 && Number.isFinite(saved.budgetBytes) ? saved.budgetBytes : state.budgetBytes;
    const mode = MODES.includes(saved.mode as GpuMode) ? (saved.mode as GpuMode) : state.mode;
    return { ...state, budgetBytes: budget, mode };
  } catch {
    return state;
  }
}

type GpuActions = Pick<StudioActions, 'setGpuBudget' | 'setGpuMode' | 'refreshGpuPlan'>;

export function gpuActions(engine: StudioEngine, storage: SettingsStorage | undefined, set: (p: Partial<StudioState>) => void, get: () => StudioState): GpuActions {
  let seq = 0;
  const remember = () => {
    const { budgetBytes, mode } = get().gpu;
    try {
      storage?.setItem(KEY, JSON.stringify({ budgetBytes, mode }));
    } catch {
      // a full or disabled storage: the setting holds for this visit
    }
  };
  return {
    setGpuBudget(bytes) {
      if (!(Number.isFinite(bytes) && bytes > 0)) return;
      set({ gpu: { ...get().gpu, budgetBytes: bytes } });
      remember();
      void get().refreshGpuPlan();
    },
    setGpuMode(mode) {
      if (!MODES.includes(mode)) return;
      set({ gpu: { ...get().gpu, mode } });
      remember();
      void get().refreshGpuPlan();
    },
    async refreshGpuPlan() {
      const mine = ++seq;
      const { gpu, evalSettings, useVector } = get();
      const settings: GpuSettings = { budgetBytes: gpu.budgetBytes, mode: gpu.mode, batchSize: evalSettings.batchSize, useVector };
      let plan: GpuPlanView;
      try {
        plan = await engine.gpuPlan(settings);
      } catch (e) {
        plan = { status: 'none', reason: errorLine(e) };
      }
      if (mine === seq) set({ gpu: { ...get().gpu, plan } });
    },
  };
}
