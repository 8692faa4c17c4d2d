/**
 * The studio's engine: everything heavy, run inside the one GPU worker (gpu-worker.ts exposes it
 * through comlink; ../shared/wire.ts carries cancellation, progress, events and errors). It
 * implements `StudioEngine` (../shared/engine-api.ts, the worker's API and its data types). It holds
 * the opened checkpoints by slot, the kernel backend on onnxruntime's GPUDevice (compute.ts), the
 * evaluation data and the evaluated model, and runs the core:
 *   openCheckpoint → planMerge (compatibility) → executePlan (statistics) / mergeToFolder (save)
 *   → exportOnnx; ModelHost (one session, α applied in place) → runEvaluation / generate.
 *
 * Results are plain serialisable data; GPU objects and checkpoints never leave the worker. Every
 * read of a checkpoint file and every session created is counted (`diagnostics`).
 *
 * Extending: declare the method in engine-api.ts's `StudioEngine` (a long one takes a trailing
 * `JobOptions` and is listed in wire.ts's JOB_METHODS), implement it here with `this.compute()`
 * for the device and `this.checkpoint(slot)` for the weights.
 */
import { closeCheckpoint, openCheckpoint, type Checkpoint } from '../../core/checkpoint/checkpoint.ts';
import type { CodeSandbox } from '../../core/eval/sandbox/types.ts';
import { GpuKernelError, type WgslSources } from '../../core/gpu/merge-webgpu.ts';
import type { FolderSource } from '../../core/io/bytes.ts';
import { executePlan } from '../../core/merge/execute.ts';
import { MergeError, planMerge } from '../../core/merge/plan.ts';
import type { Recipe } from '../../core/merge/recipe.ts';
import { mergeToFolder } from '../../core/merge/run.ts';
import { summarizeVector } from '../../core/merge/vector-stats.ts';
import type { Report } from '../../core/report/schema.ts';
import {
  recipeRoles,
  type BackendInfo, type CompatResult, type DataFile, type DataRole, type DataSummary, type EngineDiagnostics, type GenerateOutcome,
  type GenerateRequest, type GenerateSnapshot, type JobOptions, type SaveOptions, type SaveResult, type SlotId, type SlotSource,
  type SlotSummary, type StudioEngine, type SweepEvent, type SweepRequest, type SweepSnapshot, type TestingOptions, type VectorAnalysis,
} from '../shared/engine-api.ts';
import { directoryFolderSource, fileListFolderSource } from '../shared/folder-source.ts';
import type { DirectoryHandleLike } from '../shared/fs-access.ts';
import { backendLabel, createCompute, type Compute, type GpuResult } from './compute.ts';
import { Counters } from './counting.ts';
import { buildDemoFamily, DEMO_GSM8K_TEST, DEMO_MEMBERS, type DemoFileReader, type DemoMember } from './demo.ts';
import { DEMO_DATA, type DemoData } from './demo-data.ts';
import { DataRegistry } from './eval-data.ts';
import { trackGpuBytes, type GpuBytes } from './gpu-bytes.ts';
import { adapterFacts, gpuPlanFor, type GpuPlanView, type GpuSettings } from './gpu-plan.ts';
import { DEFAULT_GPU_BUDGET_BYTES, formatBytes } from '../../core/gpu/memory-plan.ts';
import { checkpointSummary, reportHeader, runGenerate, runStudioSweep, sweepTasks } from './evaluation.ts';
import { directoryFolderSink } from './folder-sink.ts';
import { ModelHost, type HostGpuChoice } from './model-host.ts';
import { countingSink, exportMergedOnnx } from './onnx-export.ts';
import type { OrtModule } from './ort-types.ts';
import { memoryScratch, type Scratch } from './scratch.ts';
import { summarizeSlot } from './summary.ts';

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

export class Engine implements StudioEngine {
  private readonly slots = new Map<SlotId, Checkpoint>();
  private readonly generation = new Map<SlotId, number>();
  private computing: Promise<Compute> | null = null;
  private testing: TestingOptions = {};
  private readonly counters = new Counters();
  private readonly data = new DataRegistry();
  private host: { readonly key: string; readonly ready: Promise<ModelHost> } | null = null;
  private sandbox: Promise<CodeSandbox> | null = null;
  private gpuSettings: GpuSettings = { budgetBytes: DEFAULT_GPU_BUDGET_BYTES, mode: 'auto', batchSize: 1, useVector: false };
  private gpuBytes: GpuBytes | null = null;
  /** Set when the device is lost: onnxruntime-web keeps its device for the worker's life, so only a new worker has a GPU again. */
  private lost: string | null = null;

  constructor(private readonly options: EngineOptions) {}

  /** The kernel backend and device, created on first use (and again after a lost device). */
  protected compute(): Promise<Compute> {
    if (this.lost !== null) return Promise.reject(deviceLostError(this.lost));
    this.computing ??= createCompute(this.options.getDevice, this.options.shaders, (info) => {
      this.lost = info.message || `reason: ${info.reason}`;
      this.computing = null;
      this.gpuBytes = null;
      void this.dropModel();
    }).then((c) => {
      if (c.device) this.gpuBytes = trackGpuBytes(c.device);
      return c;
    });
    return this.computing;
  }

  /** The checkpoint in `slot` (for engine extensions). */
  protected checkpoint(slot: SlotId): Checkpoint | undefined {
    return this.slots.get(slot);
  }

  async backend(): Promise<BackendInfo> {
    return (await this.compute()).info;
  }

  async open(slot: SlotId, source: SlotSource): Promise<SlotSummary> {
    const folder = source.kind === 'directory' ? directoryFolderSource(source.handle) : fileListFolderSource(source.files, source.name, source.paths);
    return this.install(slot, folder);
  }

  private async install(slot: SlotId, folder: FolderSource): Promise<SlotSummary> {
    const generation = (this.generation.get(slot) ?? 0) + 1;
    this.generation.set(slot, generation);
    await this.dropModel();
    const checkpoint = await openCheckpoint(this.counters.countReads(folder));
    if (this.generation.get(slot) !== generation) {
      // A later open or close of this slot won; this one is stale.
      await closeCheckpoint(checkpoint);
      return summarizeSlot(checkpoint);
    }
    const previous = this.slots.get(slot);
    this.slots.set(slot, checkpoint);
    if (previous) await closeCheckpoint(previous);
    return summarizeSlot(checkpoint);
  }

  async close(slot: SlotId): Promise<void> {
    this.generation.set(slot, (this.generation.get(slot) ?? 0) + 1);
    await this.dropModel();
    const previous = this.slots.get(slot);
    this.slots.delete(slot);
    if (previous) await closeCheckpoint(previous);
  }

  async loadDemo(): Promise<Record<DemoMember, SlotSummary>> {
    const family = await buildDemoFamily(this.options.demoFiles);
    const out = {} as Record<DemoMember, SlotSummary>;
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
    if (options.loseDevice) (await this.computing)?.device?.destroy();
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
      let summary = await this.data.set(d.benchmark, 'test', d.test.map(file), true);
      if (d.fewshot) summary = await this.data.set(d.benchmark, 'fewshot', d.fewshot.map(file), true);
      out.push(summary);
    }
    return out;
  }

  async sweep(request: SweepRequest, job: JobOptions<SweepSnapshot, SweepEvent>): Promise<Report> {
    return this.onGpu(() => this.sweepNow(request, job));
  }

  /**
   * Runs GPU work; a failure after the device was lost is reported as that (what failed inside
   * onnxruntime or the kernel is a consequence), with what to change.
   */
  private async onGpu<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      // The lost promise may resolve after the failure it causes (onnxruntime notices first).
      const device = this.computing ? (await this.computing.catch(() => null))?.device : null;
      if (this.lost === null && device) await Promise.race([device.lost, new Promise((resolve) => setTimeout(resolve, 500))]);
      if (this.lost !== null) throw deviceLostError(this.lost);
      throw e;
    }
  }

  private async sweepNow(request: SweepRequest, job: JobOptions<SweepSnapshot, SweepEvent>): Promise<Report> {
    sweepTasks(this.data, request); // missing data fails before the model loads
    const asked = request.settings.batchSize;
    const host = await this.model(
      request.useVector, job.signal,
      (p) => job.onProgress?.({ phase: 'loading', loadBytesDone: p.bytesDone, loadBytesTotal: p.bytesTotal, run: 0, runs: 0, task: null, alpha: null, done: 0, total: 0, newTokens: 0, evalSeconds: 0, fraction: 0 }),
      asked,
    );
    const compute = await this.compute();
    const { info } = compute;
    // The plan's batch size: at most the one asked for, the largest that fits the budget (recorded in the report).
    const batchSize = this.hostGpuChoice(compute, request.useVector, asked)?.maxBatch ?? asked;
    if (batchSize !== asked) request = { ...request, settings: { ...request.settings, batchSize } };
    const header = await reportHeader({
      roles: this.roles(), useVector: request.useVector, mode: host.mode,
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
    return this.onGpu(async () => {
      const host = await this.model(request.useVector, job.signal, (p) =>
        job.onProgress?.({ phase: 'loading', loadBytesDone: p.bytesDone, loadBytesTotal: p.bytesTotal, text: '', tokens: 0 }),
      );
      return runGenerate(host, request, job, () => this.counters.snapshot());
    });
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
    return {
      ...this.counters.snapshot(),
      model: host ? { mode: host.mode, residentBytes: host.residentBytes, gpu: host.gpu } : null,
      gpuBytes: this.gpuBytes?.held() ?? 0,
      deviceLost: this.lost,
    };
  }

  async gpuPlan(settings: GpuSettings): Promise<GpuPlanView> {
    this.gpuSettings = { ...settings };
    const { device } = await this.compute();
    return gpuPlanFor(this.roles(), device ? adapterFacts(device) : null, settings);
  }

  /** The evaluated model for the loaded checkpoints, created on first use and kept until they change. */
  private async model(useVector: boolean, signal: AbortSignal | undefined, onProgress: (p: { bytesDone: number; bytesTotal: number }) => void, batchSize = this.gpuSettings.batchSize): Promise<ModelHost> {
    const compute = await this.compute();
    const gpu = this.hostGpuChoice(compute, useVector, batchSize);
    const roles = this.roles();
    const needed: SlotId[] = useVector ? ['target', 'vector'] : ['sft', 'grpo', 'target'];
    // A new plan (precision or mode) is a new model; a new batch size within it is not.
    const key = JSON.stringify([useVector, needed.map((s) => this.generation.get(s) ?? 0), gpu && [gpu.precision, gpu.mode]]);
    if (this.host?.key === key) {
      const existing = this.host;
      // A failed (or cancelled) load is retried.
      return existing.ready.catch(() => {
        if (this.host === existing) this.host = null;
        return this.model(useVector, signal, onProgress, batchSize);
      });
    }
    const previous = this.host;
    const ready = (async () => {
      if (previous) await (await previous.ready.catch(() => null))?.dispose();
      const loadOrt = this.options.loadOrt;
      if (!loadOrt) throw new Error('evaluation is not available here (no onnxruntime-web)');
      const ort = await loadOrt();
      const involved = new Map([...roles].filter(([role]) => needed.includes(role as SlotId)));
      const create = () => ModelHost.create({
        ...(gpu ? { gpu } : {}),
        ort, device: compute.device, shaders: this.options.shaders, backend: compute.backend, roles: involved, useVector,
        counters: this.counters, ...(signal ? { signal } : {}), onProgress,
      });
      const host = compute.device ? await outOfMemoryScope(compute.device, create) : await create();
      // The reports' fingerprints sample tensor data: read them with the model, not at each sweep.
      await Promise.all([...involved.values()].map(checkpointSummary));
      return host;
    })();
    this.host = { key, ready };
    return ready;
  }

  /** The memory plan's choices for the model, or why it cannot load (what would fit, in words). */
  private hostGpuChoice(compute: Compute, useVector: boolean, batchSize: number): HostGpuChoice | null {
    if (!compute.device) return null;
    const view = gpuPlanFor(this.roles(), adapterFacts(compute.device), { ...this.gpuSettings, useVector, batchSize });
    if (view.status === 'none') return null;
    const { plan } = view;
    if (!plan.fits) throw new Error(`the model does not fit the GPU memory budget of ${formatBytes(plan.budgetBytes)}: ${plan.suggestions.join('; ')}`);
    return { precision: plan.precision, mode: plan.mode, maxBatch: plan.batchSize };
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

/** What the page shows when the device is gone: what happened and what to change. */
function deviceLostError(reason: string): GpuKernelError {
  return new GpuKernelError(
    'DEVICE_LOST',
    `the GPU device was lost (${reason}); finished runs stay in the report. Restart the GPU, then resume; if it happens again, lower the GPU memory budget or the batch size, or choose streamed α changes`,
  );
}

/**
 * Runs `allocate` inside an out-of-memory error scope: an allocation the device refused (WebGPU
 * reports it there, not as an exception) fails the load in one line with what to change. Scopes are
 * a stack: whatever is pushed and popped inside stays balanced, and this scope is popped last.
 */
async function outOfMemoryScope<T extends { dispose(): Promise<void> }>(device: GPUDevice, allocate: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  let result: T | undefined;
  let failure: unknown = null;
  try {
    result = await allocate();
  } catch (e) {
    failure = e;
  }
  const error = await device.popErrorScope().catch(() => null);
  if (error) {
    await result?.dispose();
    throw new GpuKernelError('OUT_OF_MEMORY', `the GPU is out of memory loading the model (${error.message}): lower the GPU memory budget to what the card has free, the batch size, or choose streamed α changes`);
  }
  if (failure !== null) throw failure;
  return result!;
}

