/** The studio's state: serialisable data only (results of the engine, settings, job states). */
import type { BackendInfo, CompatResult, DataFile, DataRole, EngineDiagnostics, GenerateOutcome, GenerateSnapshot, SaveResult, SlotId, SlotSource, SlotSummary, SweepSnapshot, VectorAnalysis } from '../../browser/shared/engine-api.ts';
import type { CachedModel } from '../../browser/page/hub-cache.ts';
import type { DirectoryHandleLike } from '../../browser/shared/fs-access.ts';
import type { HubProgress } from '../../core/hub/datasets.ts';
import type { DownloadProgress } from '../../core/hub/download.ts';
import type { Report } from '../../core/report/schema.ts';
import type { DatasetState, EvalPanelSettings } from './evaluation.ts';
import type { GpuMode, GpuState } from './gpu-actions.ts';
import type { HubModelRequest } from './hub-actions.ts';
import type { RunRecord } from './runs.ts';
import { JOB_KEYS, type JobKey, type JobState } from './jobs.ts';
import { settingsProblem, type GroupId, type GroupSetting, type MergeSettings, type OutputDtype, type PatternSetting } from './settings.ts';

export type SlotOrigin = 'folder' | 'files' | 'drop' | 'demo' | 'remembered';

export type SlotState =
  | { readonly status: 'empty'; readonly remembered: string | null }
  | { readonly status: 'loading'; readonly label: string }
  /** `error`: a later load that failed; the checkpoint loaded before stays in the slot. */
  | { readonly status: 'ready'; readonly summary: SlotSummary; readonly origin: SlotOrigin; readonly error?: string }
  | { readonly status: 'error'; readonly error: string; readonly remembered: string | null };

export interface CompatState {
  readonly status: 'idle' | 'checking' | 'done' | 'error';
  readonly result: CompatResult | null;
  readonly error: string | null;
}

export type BackendState = { readonly status: 'checking' } | { readonly status: 'ready'; readonly info: BackendInfo } | { readonly status: 'error'; readonly error: string };

/** A Hub download's progress: the repository, then its file (null while listing). */
export interface HubModelsProgress {
  readonly repo: string;
  readonly download: DownloadProgress | null;
}
export interface HubDataProgress {
  readonly repo: string;
  readonly fetch: HubProgress | null;
}
/** What a finished Hub job says (one line). */
export interface HubOutcome {
  readonly message: string;
}

export interface HubCacheState {
  /** False where the browser has no private file system (`error` says so). */
  readonly available: boolean;
  readonly models: readonly CachedModel[];
  readonly estimate: { readonly usage: number; readonly quota: number } | null;
  /** The last failed cache action (open, delete), one line. */
  readonly error: string | null;
}

export interface StudioData {
  readonly backend: BackendState;
  /** A one-line message about the last failed action that has no place of its own. */
  readonly notice: string | null;
  /** Merge with a saved vector (slots target + vector) instead of SFT + GRPO. */
  readonly useVector: boolean;
  readonly slots: Readonly<Record<SlotId, SlotState>>;
  /** The user confirmed that the vector slot's unmarked checkpoint is a vector (reset when the slot changes). */
  readonly vectorConfirmed: boolean;
  /** The guide's Merge step is done: α or a rule was set, or a merge saved, since the checkpoints loaded. */
  readonly mergeVisited: boolean;
  readonly demoLoading: boolean;
  /** `merge`: the recipe of the merge panel; `analysis`: the vector panel's pass. */
  readonly compat: { readonly merge: CompatState; readonly analysis: CompatState };
  readonly settings: MergeSettings;
  readonly analysis: JobState<VectorAnalysis>;
  readonly vectorSave: JobState<SaveResult>;
  readonly mergeSave: JobState<SaveResult>;
  readonly onnxExport: JobState<SaveResult>;

  readonly evalSettings: EvalPanelSettings;
  /** Benchmark id → its data (absent: none chosen). */
  readonly datasets: Readonly<Record<string, DatasetState>>;
  readonly sweep: JobState<Report, SweepSnapshot>;
  /** The report of a sweep that stopped (cancelled, or failed) with runs done: "Resume sweep" continues it. */
  readonly resumable: Report | null;
  /** The report the Report panel shows (a sweep's, live while it runs, or an opened one) and those overlaid on it. */
  readonly shown: ShownReport | null;
  readonly overlays: readonly ShownReport[];
  /** Saved sweeps and reports (run-actions.ts). */
  readonly runs: RunsState;
  /** Why the last report could not be opened (one line). */
  readonly reportError: string | null;
  readonly tryIt: JobState<GenerateOutcome, GenerateSnapshot>;
  readonly diagnostics: EngineDiagnostics | null;
  /** The GPU memory budget and mode (remembered) and the plan for the loaded checkpoints. */
  readonly gpu: GpuState;

  /** The Hub endpoint as set (blank: https://huggingface.co). */
  readonly hubEndpoint: string;
  /** "Load from Hugging Face": checkpoints into the cache, then into their slots. */
  readonly hubModels: JobState<HubOutcome, HubModelsProgress>;
  /** A benchmark's data "From Hugging Face"; `hubDataFor` is the benchmark of the last one. */
  readonly hubData: JobState<HubOutcome, HubDataProgress>;
  readonly hubDataFor: string | null;
  readonly hubCache: HubCacheState;
}

export interface ShownReport {
  readonly name: string;
  readonly origin: 'sweep' | 'file';
  readonly report: Report;
  /** The saved run it is (absent or null: not saved). */
  readonly runId?: string | null;
}

export interface RunsState {
  /** `unavailable`: no storage here (or it failed: `error` says why). */
  readonly status: 'loading' | 'ready' | 'unavailable';
  /** Newest report first. */
  readonly records: readonly RunRecord[];
  /** The last failed run action, one line. */
  readonly error: string | null;
}

export interface StudioActions {
  /** Backend info and remembered folders; call once at start. */
  init(): Promise<void>;
  setUseVector(useVector: boolean): void;
  /** `remember`: keep the folder handle (IndexedDB) to re-open it next time. */
  openSlot(slot: SlotId, source: SlotSource, origin: SlotOrigin, label: string): Promise<void>;
  /** Re-opens a remembered folder (asks for permission: call from a click). */
  reopenSlot(slot: SlotId): Promise<void>;
  clearSlot(slot: SlotId): Promise<void>;
  /** The vector slot holds a checkpoint without rvs's vector metadata: the user says it is a vector (or takes that back). */
  confirmVector(confirmed: boolean): void;
  loadDemo(): Promise<void>;
  refreshCompat(): Promise<void>;

  setAlpha(alpha: number): void;
  setGroup(group: GroupId, setting: Partial<GroupSetting>): void;
  addPattern(): void;
  updatePattern(id: number, patch: Partial<Omit<PatternSetting, 'id'>>): void;
  removePattern(id: number): void;
  setDtype(dtype: OutputDtype): void;
  setShardSizeMB(mb: number): void;

  extractVector(): Promise<void>;
  saveVector(dest: DirectoryHandleLike): Promise<void>;
  saveMerged(dest: DirectoryHandleLike): Promise<void>;
  exportOnnx(dest: DirectoryHandleLike): Promise<void>;
  cancel(job: JobKey): void;
  dismissNotice(): void;
  /** After a lost device: a new GPU worker, given the same checkpoints, data and GPU settings (reports and settings stay). */
  restartGpu(): Promise<void>;

  setEvalSettings(patch: Partial<EvalPanelSettings>): void;
  chooseBenchmark(id: string, chosen: boolean): void;
  setData(benchmark: string, role: DataRole, files: readonly DataFile[]): Promise<void>;
  clearData(benchmark: string): Promise<void>;
  runSweep(): Promise<void>;
  /** Continues the stopped sweep where it stopped (its request and report; earlier samples kept). */
  resumeSweep(): Promise<void>;
  /** Opens a report from JSON text (validated; kept as a saved run); `overlay`: drawn over the shown one. Another shown report clears the overlays. */
  openReport(text: string, name: string, as: 'shown' | 'overlay'): Promise<void>;
  /** Removes one overlay (by index), or all. */
  clearOverlay(index?: number): void;
  /** Reads the saved runs' list (at start). */
  loadRuns(): Promise<void>;
  /** Shows a saved run (overlays cleared). */
  openRun(id: string): Promise<void>;
  /** Shows the first run and overlays the others. */
  compareRuns(ids: readonly string[]): Promise<void>;
  renameRun(id: string, name: string): Promise<void>;
  deleteRun(id: string): Promise<void>;
  /** A saved run's report (validated, with its status), e.g. to export it. */
  runReport(id: string): Promise<Report | null>;
  generate(prompt: string, chat: boolean, maxNewTokens: number): Promise<void>;
  refreshDiagnostics(): Promise<void>;
  /** The GPU memory budget in bytes (remembered). */
  setGpuBudget(bytes: number): void;
  /** How α changes: auto (the plan chooses), resident or streamed (remembered). */
  setGpuMode(mode: GpuMode): void;
  refreshGpuPlan(): Promise<void>;

  setHubEndpoint(value: string): void;
  /** Downloads each repository (a job: `hubModels`) and opens it in its slot; `token` is used for these requests only. */
  downloadModels(requests: readonly HubModelRequest[], token: string): Promise<void>;
  refreshHubCache(): Promise<void>;
  openCachedModel(repo: string, revision: string, slot: SlotId): Promise<void>;
  removeCachedModel(repo: string, revision: string): Promise<void>;
  /** Fetches a benchmark's splits (a job: `hubData`), then loads them like chosen files. */
  fetchHubData(benchmark: string): Promise<void>;
}

export type StudioState = StudioData & StudioActions;

/** Slots a mode shows, in display order. */
export function visibleSlots(useVector: boolean): SlotId[] {
  return useVector ? ['vector', 'target'] : ['sft', 'grpo', 'target'];
}

export function isBusy(s: StudioData): boolean {
  return JOB_KEYS.some((key) => s[key].status === 'running');
}

/** Why the merge cannot be saved now, or null. */
export function mergeBlocker(s: StudioData): string | null {
  const { status, result, error } = s.compat.merge;
  if (error) return error;
  // A slot still opening would replace a checkpoint under a running job.
  if (Object.values(s.slots).some((slot) => slot.status === 'loading')) return 'Wait for the checkpoints to finish loading.';
  if (!result || status === 'idle') return 'Load the checkpoints first.';
  if (result.missing.length > 0) return `Load ${result.missing.map(slotName).join(' and ')} first.`;
  if (result.report && !result.report.ok) {
    const n = result.report.issues.filter((i) => i.severity === 'error').length;
    return `Blocked: ${n} compatibility problem${n === 1 ? '' : 's'} (see Compatibility).`;
  }
  return vectorBlocker(s, true) ?? settingsProblem(s.settings);
}

/**
 * Why the vector slot's checkpoint cannot be used as a vector, or null (core's `vectorOrigin`,
 * read by the engine into the slot's summary): a model or an unreadable recipe is refused; a
 * checkpoint without the metadata only after the user confirms it (`merging`: merges and
 * evaluations need that confirmation, the statistics pass does not).
 */
export function vectorBlocker(s: StudioData, merging: boolean): string | null {
  const slot = s.slots.vector;
  if (!s.useVector || slot.status !== 'ready') return null;
  const { kind, reason } = slot.summary.vector;
  if (kind === 'vector' || reason === null) return null;
  if (kind === 'unmarked') return merging && !s.vectorConfirmed ? `“${slot.summary.name}” ${reason}. Confirm in the Reasoning vector slot that it is a vector.` : null;
  return `“${slot.summary.name}” ${reason}.`;
}

/** Why the vector pass cannot run now, or null. */
export function analysisBlocker(s: StudioData): string | null {
  const { result, error } = s.compat.analysis;
  if (error) return error;
  if (!result) return 'Load the checkpoints first.';
  if (result.missing.length > 0) return `Load ${result.missing.map(slotName).join(' and ')} first.`;
  if (result.report && !result.report.ok) return 'Blocked: the checkpoints are incompatible (see Compatibility).';
  return vectorBlocker(s, false);
}

export const SLOT_NAMES: Record<SlotId, string> = {
  sft: 'SFT checkpoint',
  grpo: 'GRPO checkpoint',
  target: 'Target checkpoint',
  vector: 'Reasoning vector',
};

export function slotName(slot: SlotId): string {
  return SLOT_NAMES[slot];
}

const SHORT_NAMES: Record<string, string> = { sft: 'SFT', grpo: 'GRPO', target: 'target', vector: 'vector' };

/** "SFT", "GRPO", "target", "vector" (a recipe role, as in compatibility reports). */
export function roleName(role: string): string {
  return SHORT_NAMES[role] ?? role;
}
