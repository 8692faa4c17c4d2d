/**
 * The GPU worker's API: what the page may ask of the engine (`StudioEngine`) and the serialisable
 * data that crosses the worker boundary. The page imports worker code only through this file;
 * what it re-exports from `../worker/` is types only (erased at build time), so no worker code is
 * bundled into the page. `wire.ts` carries these calls over comlink; `../worker/engine.ts`
 * implements them.
 *
 * Adding a method: declare it here (a long one takes a trailing `JobOptions`), list it in
 * wire.ts's ENGINE_METHODS (and JOB_METHODS for a long one), implement it on `Engine`.
 */
import type { CompatReport } from '../../core/checkpoint/compat.ts';
import type { MergeProgress, TensorStats } from '../../core/merge/execute.ts';
import type { Recipe } from '../../core/merge/recipe.ts';
import type { VectorSummary } from '../../core/merge/vector-stats.ts';
import type { Report } from '../../core/report/schema.ts';
import type { DemoMember } from '../worker/demo.ts';
import type { DataFile, DataRole, DataSummary } from '../worker/eval-data.ts';
import type { GenerateOutcome, GenerateRequest, GenerateSnapshot, SweepEvent, SweepRequest, SweepSnapshot } from '../worker/evaluation.ts';
import type { GpuPlanView, GpuSettings } from '../worker/gpu-plan.ts';
import type { HostGpuChoice } from '../worker/model-host.ts';
import type { SlotSummary } from '../worker/summary.ts';
import type { DirectoryHandleLike, FileLike } from './fs-access.ts';

export type { DemoMember } from '../worker/demo.ts';
export type { DataFile, DataRole, DataSummary, TaskDataSummary } from '../worker/eval-data.ts';
export type { EvalSettings, GenerateOutcome, GenerateRequest, GenerateSnapshot, RunUpdate, SweepEvent, SweepRequest, SweepSnapshot } from '../worker/evaluation.ts';
export type { DtypeCount, SlotSummary, VectorOriginSummary } from '../worker/summary.ts';
export type { GpuPlanView, GpuSettings } from '../worker/gpu-plan.ts';

export const SLOT_IDS = ['sft', 'grpo', 'target', 'vector'] as const;
/** A slot is also the recipe role it fills (recipe.ts: "target", "sft", "grpo", "vector"). */
export type SlotId = (typeof SLOT_IDS)[number];

export type SlotSource =
  | { readonly kind: 'directory'; readonly handle: DirectoryHandleLike }
  | { readonly kind: 'files'; readonly files: readonly FileLike[]; readonly name?: string; readonly paths?: readonly string[] };

export interface DeviceLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

export type BackendInfo =
  | { readonly kind: 'webgpu'; readonly adapter: string; readonly software: boolean; readonly limits?: DeviceLimits; readonly adapterLimits?: DeviceLimits }
  | { readonly kind: 'cpu'; readonly kernel: 'WebAssembly SIMD' | 'TypeScript'; readonly reason: string };

/** A long job's options: cancellation, progress snapshots (throttled across the worker boundary) and events (all delivered). */
export interface JobOptions<P = MergeProgress, E = never> {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: P) => void;
  readonly onEvent?: (event: E) => void;
}

export interface CompatResult {
  /** Roles the recipe needs that have no checkpoint yet. */
  readonly missing: readonly SlotId[];
  /** null while roles are missing. */
  readonly report: CompatReport | null;
}

export interface VectorAnalysis {
  readonly tensors: readonly TensorStats[];
  readonly summary: VectorSummary;
  readonly seconds: number;
  readonly backend: string;
}

export interface SaveOptions {
  /** Bytes per safetensors shard (default: core's 2 GB). */
  readonly shardSize?: number;
}

export interface SaveResult {
  readonly folder: string;
  readonly files: readonly string[];
  readonly bytes: number;
  readonly tensors: number;
  readonly seconds: number;
  readonly backend: string;
}

export interface EngineCounters {
  /** `read` calls on checkpoint files (every slot's folder). */
  readonly checkpointReads: number;
  readonly checkpointBytes: number;
  /** Inference sessions created (the probe session that yields the device excluded). */
  readonly sessionsCreated: number;
}

/** Counters, and the evaluated model when one is loaded. */
export interface EngineDiagnostics extends EngineCounters {
  readonly model: { readonly mode: 'webgpu' | 'wasm'; readonly residentBytes: number; readonly gpu: HostGpuChoice | null } | null;
  /** Bytes of the GPU buffers alive on the worker's device now (gpu-bytes.ts), 0 without WebGPU. */
  readonly gpuBytes: number;
  /** Why the worker's GPU device was lost (then only a new worker has a GPU again), or null. */
  readonly deviceLost: string | null;
}

export interface TestingOptions {
  /** Waits this long before every write of a save (e2e: makes "Cancel" land mid-save). */
  readonly writeDelayMs?: number;
  /** Destroys the GPU device now, as a driver reset would lose it (e2e: device loss). */
  readonly loseDevice?: boolean;
}

export interface StudioEngine {
  backend(): Promise<BackendInfo>;
  open(slot: SlotId, source: SlotSource): Promise<SlotSummary>;
  close(slot: SlotId): Promise<void>;
  loadDemo(): Promise<Record<DemoMember, SlotSummary>>;
  compatibility(recipe: Recipe): Promise<CompatResult>;
  /** One pass over the inputs computing the vector's statistics (nothing is written). */
  analyse(recipe: Recipe, job: JobOptions): Promise<VectorAnalysis>;
  /** Runs the recipe into `dest` (an empty folder), atomically. */
  save(recipe: Recipe, dest: DirectoryHandleLike, options: SaveOptions, job: JobOptions): Promise<SaveResult>;
  configureTesting(options: TestingOptions): Promise<void>;
  /** Reads a benchmark's test data or few-shot source. */
  setData(benchmark: string, role: DataRole, files: readonly DataFile[]): Promise<DataSummary>;
  clearData(benchmark: string): Promise<void>;
  /** The demo's built-in items of each benchmark format. */
  loadDemoData(): Promise<DataSummary[]>;
  /** α × benchmarks on the loaded checkpoints, one session, α applied in place: an rvs-report/1. */
  sweep(request: SweepRequest, job: JobOptions<SweepSnapshot, SweepEvent>): Promise<Report>;
  /** The "try it" box: one prompt at one α, streamed. */
  generate(request: GenerateRequest, job: JobOptions<GenerateSnapshot>): Promise<GenerateOutcome>;
  /** The merged model as an ONNX folder for transformers.js, written atomically into `dest`. */
  exportOnnx(recipe: Recipe, dest: DirectoryHandleLike, job: JobOptions): Promise<SaveResult>;
  diagnostics(): Promise<EngineDiagnostics>;
  /**
   * The GPU memory plan for the loaded checkpoints under `settings` (headers only: nothing loads);
   * the settings are kept, and the next model is built as the plan says.
   */
  gpuPlan(settings: GpuSettings): Promise<GpuPlanView>;
}

/** Roles a recipe reads, in slot order. */
export function recipeRoles(recipe: Recipe): SlotId[] {
  const roles = new Set<string>();
  if (recipe.base !== null) roles.add(recipe.base);
  for (const v of recipe.vectors) {
    roles.add(v.plus);
    if (v.minus !== undefined) roles.add(v.minus);
  }
  return SLOT_IDS.filter((slot) => roles.has(slot));
}
