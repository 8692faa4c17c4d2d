/**
 * The studio's engine: everything heavy, run inside the one GPU worker (gpu-worker.ts exposes it
 * through comlink; wire.ts carries cancellation, progress and errors). It holds the opened
 * checkpoints by slot and the kernel backend on the worker's GPUDevice, and runs the core:
 * openCheckpoint → planMerge (compatibility) → executePlan (statistics) / mergeToFolder (save).
 *
 * Results are plain serialisable data; GPU objects and checkpoints never leave the worker.
 *
 * Extending (evaluation): add a method to `StudioEngine` (a long one takes a trailing `JobOptions`
 * and is listed in wire.ts's JOB_METHODS), implement it on `Engine` using `this.compute()` for the
 * device (`compute.device` is the GPUDevice shared with onnxruntime-web once `getDevice` takes it
 * from `ort.env.webgpu.device`) and `this.checkpoint(slot)` for the weights.
 */
import { closeCheckpoint, openCheckpoint, type Checkpoint } from '../core/checkpoint/checkpoint.ts';
import type { CompatReport } from '../core/checkpoint/compat.ts';
import { createWebGpuBackend, type WgslSources } from '../core/gpu/merge-webgpu.ts';
import type { ByteSink, FolderSink, FolderSource } from '../core/io/bytes.ts';
import { createCpuBackend } from '../core/merge/cpu-kernel.ts';
import { executePlan, type MergeProgress, type TensorStats } from '../core/merge/execute.ts';
import type { KernelBackend } from '../core/merge/kernel.ts';
import { MergeError, planMerge } from '../core/merge/plan.ts';
import type { Recipe } from '../core/merge/recipe.ts';
import { mergeToFolder } from '../core/merge/run.ts';
import { createSimdBackend, simdSupported } from '../core/merge/simd-kernel.ts';
import { summarizeVector, type VectorSummary } from '../core/merge/vector-stats.ts';
import { buildDemoFamily, DEMO_MEMBERS, type DemoMember } from './demo.ts';
import { directoryFolderSink } from './folder-sink.ts';
import { directoryFolderSource, fileListFolderSource } from './folder-source.ts';
import type { DirectoryHandleLike, FileLike } from './fs-access.ts';
import { summarizeCheckpoint, type CheckpointSummary } from './summary.ts';

export const SLOT_IDS = ['sft', 'grpo', 'target', 'vector'] as const;
/** A slot is also the recipe role it fills (recipe.ts: "target", "sft", "grpo", "vector"). */
export type SlotId = (typeof SLOT_IDS)[number];

export type SlotSource =
  | { readonly kind: 'directory'; readonly handle: DirectoryHandleLike }
  | { readonly kind: 'files'; readonly files: readonly FileLike[]; readonly name?: string; readonly paths?: readonly string[] };

export type GpuResult = { readonly device: GPUDevice; readonly adapter: string; readonly software: boolean } | { readonly device: null; readonly reason: string };

export type BackendInfo =
  | { readonly kind: 'webgpu'; readonly adapter: string; readonly software: boolean }
  | { readonly kind: 'cpu'; readonly kernel: 'WebAssembly SIMD' | 'TypeScript'; readonly reason: string };

export interface JobOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: MergeProgress) => void;
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

export interface TestingOptions {
  /** Waits this long before every write of a save (e2e: makes "Cancel" land mid-save). */
  readonly writeDelayMs?: number;
}

export interface StudioEngine {
  backend(): Promise<BackendInfo>;
  open(slot: SlotId, source: SlotSource): Promise<CheckpointSummary>;
  close(slot: SlotId): Promise<void>;
  loadDemo(): Promise<Record<DemoMember, CheckpointSummary>>;
  compatibility(recipe: Recipe): Promise<CompatResult>;
  /** One pass over the inputs computing the vector's statistics (nothing is written). */
  analyse(recipe: Recipe, job: JobOptions): Promise<VectorAnalysis>;
  /** Runs the recipe into `dest` (an empty folder), atomically. */
  save(recipe: Recipe, dest: DirectoryHandleLike, options: SaveOptions, job: JobOptions): Promise<SaveResult>;
  configureTesting(options: TestingOptions): Promise<void>;
}

export interface EngineOptions {
  /** Called once, on first use; the single place the GPUDevice comes from. */
  readonly getDevice: () => Promise<GpuResult>;
  readonly shaders: WgslSources;
}

interface Compute {
  readonly backend: KernelBackend;
  readonly device: GPUDevice | null;
  readonly info: BackendInfo;
}

export function backendLabel(info: BackendInfo): string {
  return info.kind === 'webgpu' ? `WebGPU (${info.adapter})` : `CPU (${info.kernel})`;
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

export class Engine implements StudioEngine {
  private readonly slots = new Map<SlotId, Checkpoint>();
  private readonly generation = new Map<SlotId, number>();
  private computing: Promise<Compute> | null = null;
  private testing: TestingOptions = {};

  constructor(private readonly options: EngineOptions) {}

  /** The kernel backend and device, created on first use (and again after a lost device). */
  protected compute(): Promise<Compute> {
    this.computing ??= this.createCompute();
    return this.computing;
  }

  private async createCompute(): Promise<Compute> {
    const gpu = await this.options.getDevice().catch((e: unknown): GpuResult => ({ device: null, reason: e instanceof Error ? e.message : String(e) }));
    if (gpu.device) {
      const { device } = gpu;
      void device.lost.then(() => {
        this.computing = null;
      });
      return { backend: createWebGpuBackend(device, this.options.shaders), device, info: { kind: 'webgpu', adapter: gpu.adapter, software: gpu.software } };
    }
    const simd = simdSupported();
    return {
      backend: simd ? await createSimdBackend() : createCpuBackend(),
      device: null,
      info: { kind: 'cpu', kernel: simd ? 'WebAssembly SIMD' : 'TypeScript', reason: gpu.reason },
    };
  }

  /** The checkpoint in `slot` (for engine extensions). */
  protected checkpoint(slot: SlotId): Checkpoint | undefined {
    return this.slots.get(slot);
  }

  async backend(): Promise<BackendInfo> {
    return (await this.compute()).info;
  }

  async open(slot: SlotId, source: SlotSource): Promise<CheckpointSummary> {
    const folder = source.kind === 'directory' ? directoryFolderSource(source.handle) : fileListFolderSource(source.files, source.name, source.paths);
    return this.install(slot, folder);
  }

  private async install(slot: SlotId, folder: FolderSource): Promise<CheckpointSummary> {
    const generation = (this.generation.get(slot) ?? 0) + 1;
    this.generation.set(slot, generation);
    const checkpoint = await openCheckpoint(folder);
    if (this.generation.get(slot) !== generation) {
      // A later open or close of this slot won; this one is stale.
      await closeCheckpoint(checkpoint);
      return summarizeCheckpoint(checkpoint);
    }
    const previous = this.slots.get(slot);
    this.slots.set(slot, checkpoint);
    if (previous) await closeCheckpoint(previous);
    return summarizeCheckpoint(checkpoint);
  }

  async close(slot: SlotId): Promise<void> {
    this.generation.set(slot, (this.generation.get(slot) ?? 0) + 1);
    const previous = this.slots.get(slot);
    this.slots.delete(slot);
    if (previous) await closeCheckpoint(previous);
  }

  async loadDemo(): Promise<Record<DemoMember, CheckpointSummary>> {
    const family = await buildDemoFamily();
    const out = {} as Record<DemoMember, CheckpointSummary>;
    for (const member of DEMO_MEMBERS) out[member] = await this.install(member, family[member]);
    return out;
  }

  private roles(): Map<string, Checkpoint> {
    return new Map(this.slots);
  }

  async compatibility(recipe: Recipe): Promise<CompatResult> {
    const missing = recipeRoles(recipe).filter((r) => !this.slots.has(r));
    if (missing.length > 0) return { missing, report: null };
    try {
      return { missing, report: planMerge(recipe, this.roles()).compat };
    } catch (e) {
      if (e instanceof MergeError && e.code === 'INCOMPATIBLE' && e.report) return { missing, report: e.report };
      throw e;
    }
  }

  async analyse(recipe: Recipe, job: JobOptions): Promise<VectorAnalysis> {
    const plan = planMerge(recipe, this.roles());
    const { backend, info } = await this.compute();
    const { stats, seconds } = await executePlan(plan, backend, { writer: null, stats: true, ...job });
    return { tensors: stats, summary: summarizeVector(stats), seconds, backend: backendLabel(info) };
  }

  async save(recipe: Recipe, dest: DirectoryHandleLike, options: SaveOptions, job: JobOptions): Promise<SaveResult> {
    const roles = this.roles();
    planMerge(recipe, roles); // fail on incompatible inputs before touching the folder
    const { backend, info } = await this.compute();
    const sink = await directoryFolderSink(dest);
    const files: string[] = [];
    let bytes = 0;
    const delay = this.testing.writeDelayMs ?? 0;
    const counting: FolderSink = {
      name: sink.name,
      async create(file): Promise<ByteSink> {
        const inner = await sink.create(file);
        files.push(file);
        return {
          async write(chunk) {
            if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
            bytes += chunk.byteLength;
            await inner.write(chunk);
          },
          close: () => inner.close(),
        };
      },
      commit: () => sink.commit(),
      abort: () => sink.abort(),
    };
    const result = await mergeToFolder({ recipe, roles, backend, out: counting, ...(options.shardSize ? { shardSize: options.shardSize } : {}), ...job });
    return { folder: dest.name, files, bytes, tensors: result.plan.tensors.length, seconds: result.seconds, backend: backendLabel(info) };
  }

  async configureTesting(options: TestingOptions): Promise<void> {
    this.testing = { ...options };
  }
}
