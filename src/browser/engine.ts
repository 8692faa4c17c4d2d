/**
 * The studio's engine: everything heavy, run inside the one GPU worker (gpu-worker.ts exposes it
 * through comlink; wire.ts carries cancellation, progress, events and errors). It holds the opened
 * checkpoints by slot, the kernel backend on onnxruntime's GPUDevice, the evaluation data and the
 * evaluated model, and runs the core:
 *   openCheckpoint → planMerge (compatibility) → executePlan (statistics) / mergeToFolder (save)
 *   → exportOnnx; ModelHost (one session, α applied in place) → runSweep / generate.
 *
 * Results are plain serialisable data; GPU objects and checkpoints never leave the worker. Every
 * read of a checkpoint file and every session created is counted (`diagnostics`).
 *
 * Extending: add a method to `StudioEngine` (a long one takes a trailing `JobOptions` and is
 * listed in wire.ts's JOB_METHODS), implement it on `Engine` with `this.compute()` for the device
 * and `this.checkpoint(slot)` for the weights.
 */
import { closeCheckpoint, openCheckpoint, type Checkpoint } from '../core/checkpoint/checkpoint.ts';
import type { CompatReport } from '../core/checkpoint/compat.ts';
import type { CodeSandbox } from '../core/eval/sandbox/types.ts';
import type { Report } from '../core/report/schema.ts';
import { createWebGpuBackend, type WgslSources } from '../core/gpu/merge-webgpu.ts';
import type { FolderSource } from '../core/io/bytes.ts';
import { createCpuBackend } from '../core/merge/cpu-kernel.ts';
import { executePlan, type MergeProgress, type TensorStats } from '../core/merge/execute.ts';
import type { KernelBackend } from '../core/merge/kernel.ts';
import { MergeError, planMerge } from '../core/merge/plan.ts';
import type { Recipe } from '../core/merge/recipe.ts';
import { mergeToFolder } from '../core/merge/run.ts';
import { createSimdBackend, simdSupported } from '../core/merge/simd-kernel.ts';
import { summarizeVector, type VectorSummary } from '../core/merge/vector-stats.ts';
import { Counters, type EngineCounters } from './counting.ts';
import { buildDemoFamily, DEMO_GSM8K_TEST, DEMO_MEMBERS, type DemoFileReader, type DemoMember } from './demo.ts';
import { DEMO_DATA, type DemoData } from './demo-data.ts';
import { DataRegistry, type DataFile, type DataRole, type DataSummary } from './eval-data.ts';
import { reportHeader, runGenerate, runStudioSweep, sweepTasks, type GenerateOutcome, type GenerateRequest, type GenerateSnapshot, type SweepEvent, type SweepRequest, type SweepSnapshot } from './evaluation.ts';
import { ModelHost } from './model-host.ts';
import { countingSink, exportMergedOnnx } from './onnx-export.ts';
import type { OrtModule } from './ort-types.ts';
import { memoryScratch, type Scratch } from './scratch.ts';
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

export interface DeviceLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

export type GpuResult =
  | {
      readonly device: GPUDevice;
      readonly adapter: string;
      readonly software: boolean;
      /** The device's limits, and the adapter's (what onnxruntime could have asked for). */
      readonly limits?: DeviceLimits;
      readonly adapterLimits?: DeviceLimits;
    }
  | { readonly device: null; readonly reason: string };

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

/** Counters, and the evaluated model when one is loaded. */
export interface EngineDiagnostics extends EngineCounters {
  readonly model: { readonly mode: 'webgpu' | 'wasm'; readonly residentBytes: number } | null;
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
}

export interface EngineOptions {
  /** Called once, on first use; the single place the GPUDevice comes from. */
  readonly getDevice: () => Promise<GpuResult>;
  readonly shaders: WgslSources;
  /** onnxruntime-web, for evaluation (the worker: its WebGPU build; Node tests: its Node build). */
  readonly loadOrt?: () => Promise<OrtModule>;
  /** Where HumanEval's model-written programs run (created once, on first need). */
  readonly sandbox?: () => Promise<CodeSandbox>;
  /** Scratch space for "Export ONNX…" (default: memory). */
  readonly scratch?: () => Promise<Scratch>;
  /** Recorded in reports. */
  readonly app?: { readonly name: string; readonly version: string };
  /** Where the demo family's files come from (the worker: the app's server; Node: public/demo/ on disk). */
  readonly demoFiles: DemoFileReader;
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
  private readonly counters = new Counters();
  private readonly data = new DataRegistry();
  private host: { readonly key: string; readonly ready: Promise<ModelHost> } | null = null;
  private sandbox: Promise<CodeSandbox> | null = null;

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
        void this.dropModel();
      });
      const limits = { ...(gpu.limits ? { limits: gpu.limits } : {}), ...(gpu.adapterLimits ? { adapterLimits: gpu.adapterLimits } : {}) };
      return { backend: createWebGpuBackend(device, this.options.shaders), device, info: { kind: 'webgpu', adapter: gpu.adapter, software: gpu.software, ...limits } };
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
    await this.dropModel();
    const checkpoint = await openCheckpoint(this.counters.countReads(folder));
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
    await this.dropModel();
    const previous = this.slots.get(slot);
    this.slots.delete(slot);
    if (previous) await closeCheckpoint(previous);
  }

  async loadDemo(): Promise<Record<DemoMember, CheckpointSummary>> {
    const family = await buildDemoFamily(this.options.demoFiles);
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
    const delay = this.testing.writeDelayMs ?? 0;
    const out = countingSink(await directoryFolderSink(dest), delay > 0 ? () => new Promise((resolve) => setTimeout(resolve, delay)) : undefined);
    const result = await mergeToFolder({ recipe, roles, backend, out: out.sink, ...(options.shardSize ? { shardSize: options.shardSize } : {}), ...job });
    return { folder: dest.name, files: out.files, bytes: out.bytes(), tensors: result.plan.tensors.length, seconds: result.seconds, backend: backendLabel(info) };
  }

  async configureTesting(options: TestingOptions): Promise<void> {
    this.testing = { ...options };
  }

  async setData(benchmark: string, role: DataRole, files: readonly DataFile[]): Promise<DataSummary> {
    return this.data.set(benchmark, role, files);
  }

  async clearData(benchmark: string): Promise<void> {
    this.data.clear(benchmark);
  }

  async loadDemoData(): Promise<DataSummary[]> {
    const file = (f: { name: string; text: string }): DataFile => ({ name: f.name, blob: new Blob([f.text]) });
    const out: DataSummary[] = [];
    // GSM8K: the demo family's own held-out items (zero-shot), in place of the dataset's.
    const gsm8kTest = new TextDecoder().decode(await this.options.demoFiles(DEMO_GSM8K_TEST));
    const gsm8k: DemoData = { benchmark: 'gsm8k', test: [{ name: DEMO_GSM8K_TEST, text: gsm8kTest }] };
    for (const d of DEMO_DATA.map((x) => (x.benchmark === 'gsm8k' ? gsm8k : x))) {
      this.data.clear(d.benchmark);
      let summary = await this.data.set(d.benchmark, 'test', d.test.map(file));
      if (d.fewshot) summary = await this.data.set(d.benchmark, 'fewshot', d.fewshot.map(file));
      out.push(summary);
    }
    return out;
  }

  async sweep(request: SweepRequest, job: JobOptions<SweepSnapshot, SweepEvent>): Promise<Report> {
    sweepTasks(this.data, request); // missing data fails before the model loads
    const host = await this.model(request.useVector, job.signal, (p) =>
      job.onProgress?.({ phase: 'loading', loadBytesDone: p.bytesDone, loadBytesTotal: p.bytesTotal, run: 0, runs: 0, task: null, alpha: null, done: 0, total: 0, newTokens: 0, evalSeconds: 0, fraction: 0 }),
    );
    const { info } = await this.compute();
    const header = reportHeader({
      roles: this.roles(), useVector: request.useVector, rules: request.rules, mode: host.mode,
      adapter: info.kind === 'webgpu' ? { name: info.adapter, software: info.software } : null,
      app: this.options.app ?? { name: 'Reasoning Vector Studio', version: '0' },
    });
    return runStudioSweep(
      {
        host, data: this.data, header,
        sandbox: () => (this.sandbox ??= this.createSandbox()),
        ...(job.signal ? { signal: job.signal } : {}),
        ...(job.onProgress ? { onProgress: job.onProgress } : {}),
        ...(job.onEvent ? { onEvent: job.onEvent } : {}),
      },
      request,
    );
  }

  async generate(request: GenerateRequest, job: JobOptions<GenerateSnapshot>): Promise<GenerateOutcome> {
    const host = await this.model(request.useVector, job.signal, (p) =>
      job.onProgress?.({ phase: 'loading', loadBytesDone: p.bytesDone, loadBytesTotal: p.bytesTotal, text: '', tokens: 0 }),
    );
    return runGenerate(host, request, job, () => this.counters.snapshot());
  }

  async exportOnnx(recipe: Recipe, dest: DirectoryHandleLike, job: JobOptions): Promise<SaveResult> {
    const roles = this.roles();
    planMerge(recipe, roles); // fail on incompatible inputs before touching the folder
    const { backend, info } = await this.compute();
    const started = performance.now();
    const scratch = await (this.options.scratch ?? memoryScratch)();
    const result = await exportMergedOnnx({ recipe, roles, backend, dest, scratch, ...job });
    return { folder: dest.name, ...result, seconds: (performance.now() - started) / 1000, backend: backendLabel(info) };
  }

  async diagnostics(): Promise<EngineDiagnostics> {
    const host = this.host ? await this.host.ready.catch(() => null) : null;
    return { ...this.counters.snapshot(), model: host ? { mode: host.mode, residentBytes: host.residentBytes } : null };
  }

  /** The evaluated model for the loaded checkpoints, created on first use and kept until they change. */
  private model(useVector: boolean, signal: AbortSignal | undefined, onProgress: (p: { bytesDone: number; bytesTotal: number }) => void): Promise<ModelHost> {
    const roles = this.roles();
    const needed: SlotId[] = useVector ? ['target', 'vector'] : ['sft', 'grpo', 'target'];
    const key = JSON.stringify([useVector, needed.map((s) => this.generation.get(s) ?? 0)]);
    if (this.host?.key === key) {
      const existing = this.host;
      // A failed (or cancelled) load is retried.
      return existing.ready.catch(() => {
        if (this.host === existing) this.host = null;
        return this.model(useVector, signal, onProgress);
      });
    }
    const previous = this.host;
    const ready = (async () => {
      if (previous) await (await previous.ready.catch(() => null))?.dispose();
      const loadOrt = this.options.loadOrt;
      if (!loadOrt) throw new Error('evaluation is not available here (no onnxruntime-web)');
      const [ort, compute] = await Promise.all([loadOrt(), this.compute()]);
      const involved = new Map([...roles].filter(([role]) => needed.includes(role as SlotId)));
      return ModelHost.create({
        ort, device: compute.device, shaders: this.options.shaders, backend: compute.backend, roles: involved, useVector,
        counters: this.counters, ...(signal ? { signal } : {}), onProgress,
      });
    })();
    this.host = { key, ready };
    return ready;
  }

  /** Forgets the evaluated model (its checkpoints changed, or the device was lost). */
  private async dropModel(): Promise<void> {
    const host = this.host;
    this.host = null;
    if (host) await (await host.ready.catch(() => null))?.dispose();
  }

  private async createSandbox(): Promise<CodeSandbox> {
    if (!this.options.sandbox) throw new Error('HumanEval needs the Python sandbox, which is not available here');
    return this.options.sandbox().catch((e: unknown) => {
      this.sandbox = null;
      throw e;
    });
  }
}
