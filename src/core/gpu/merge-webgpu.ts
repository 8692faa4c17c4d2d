/**
 * The WebGPU backend of the merge kernel (shaders/merge.wgsl, with shaders/dtype.wgsl prepended).
 *
 * Two layers:
 *   createMergeKernel   pipelines (one per inputs × terms × dtypes × stats × output, built on
 *                       first use and cached), the bind group layout, dispatch geometry (2-D past
 *                       maxComputeWorkgroupsPerDimension), and the split of a task into passes
 *                       when its inputs outnumber the bindings (`planPasses`). Works on buffers
 *                       the caller owns.
 *   createWebGpuBackend the KernelBackend of kernel.ts: a pool of buffer sets, so that several
 *                       run() calls are in flight at once and one chunk's upload, another's
 *                       dispatch and a third's readback overlap on the queue.
 *
 * Platform-neutral: the device and the WGSL sources are passed in (src/node/webgpu.ts opens Dawn
 * and reads shaders/ in Node; the studio imports the .wgsl files with `?raw`).
 */
import { dtypeSize, type FloatDtype } from '../dtype.ts';
import { taskProblem, type ChunkStats, type KernelBackend, type KernelResult, type KernelTask, type TermKeep } from '../merge/kernel.ts';
import { reciprocal } from '../merge/sparse-kernel.ts';

export type GpuKernelErrorCode =
  | 'SHADER_COMPILATION' // the WGSL does not compile
  | 'PIPELINE_CREATION' // a specialised pipeline failed validation
  | 'INVALID_TASK' // wrong inputs, count or sizes for the task
  | 'OUT_OF_MEMORY' // a buffer could not be allocated
  | 'VALIDATION' // a validation error while running a chunk
  | 'MAP_FAILED' // reading the result back failed
  | 'DEVICE_LOST'
  | 'DISPOSED' // run() after dispose()
  | 'CANCELLED'; // the caller's signal aborted the work

export class GpuKernelError extends Error {
  override readonly name = 'GpuKernelError';
  constructor(
    readonly code: GpuKernelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The spec's flag values, so that core does not depend on the GPU* globals being installed. */
const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ = 0x1;
const COMPUTE_STAGE = 0x4;

/** Must match WG_SIZE and PAIRS_PER_INVOCATION in merge.wgsl. */
export const WORKGROUP_SIZE = 256;
const PAIRS_PER_INVOCATION = 8;
export const ELEMENTS_PER_WORKGROUP = 2 * PAIRS_PER_INVOCATION * WORKGROUP_SIZE;
/** Words per workgroup in the partials buffer: sum v², sum ref², max |v|, zeros. */
const PARTIAL_WORDS = 4;
/** Default chunk cap: 8 Mi elements, 32 MiB per float32 buffer, 2048 workgroups. */
export const DEFAULT_MAX_CHUNK_ELEMENTS = 1 << 23;
/** Buffer sets, i.e. run() calls on the GPU at once; further calls wait for a free set. */
const POOL_SIZE = 3;

/** Must match MAX_SLOTS and MAX_TERMS in merge.wgsl. */
export const MAX_SLOTS = 6;
const MAX_TERMS = 8;
const NONE = 255;
const DTYPE_CODE: Record<FloatDtype, number> = { BF16: 0, F16: 1, F32: 2 };

export interface WgslSources {
  readonly merge: string;
  /** Codecs, prepended to `merge` (WGSL has no include). */
  readonly dtype?: string;
}

/** What selects a specialised pipeline: one pass of the fold over up to MAX_SLOTS inputs. */
export interface MergePipelineKey {
  readonly base: boolean;
  /** Over the pass's slots. */
  readonly terms: readonly { readonly plus: number; readonly minus: number | null }[];
  /** One per slot. */
  readonly inputDtypes: readonly FloatDtype[];
  readonly outDtype: FloatDtype;
  readonly stats: boolean;
  readonly output: boolean;
  /** ties / dare_* / breadcrumbs: consensus, normalisation and each term's kind of keep rule. */
  readonly sparse?: { readonly consensus: boolean; readonly normalize: boolean; readonly keeps: readonly ('all' | 'band' | 'random')[] };
}

/** What a sparsified pass writes into its params: the chunk's start, the keep rules, the reciprocals. */
export interface SparsePassParams {
  readonly start: number;
  readonly keeps: readonly (TermKeep | undefined)[];
  /** 1/Σα for each subset of terms (bit k: term k), float32. */
  readonly recips: readonly number[];
}

/** Most terms of a sparsified task on the GPU (one pass; a 2^n table of reciprocals). */
export const MAX_SPARSE_TERMS = 5;

/**
 * One dispatch of a task: its pipeline key, what each slot binds (an input of the task, or the
 * float32 sum a previous pass left in carry buffer 0 or 1), the α of its terms, and where it writes
 * (the task's output, or a carry buffer).
 */
export interface KernelPass {
  readonly key: MergePipelineKey;
  readonly slots: readonly ({ readonly input: number } | { readonly carry: 0 | 1 })[];
  readonly alphas: readonly number[];
  /** null: the task's output (and partials when key.stats). */
  readonly writeCarry: 0 | 1 | null;
  readonly sparse?: SparsePassParams;
}

/**
 * Splits a task into passes of at most MAX_SLOTS inputs and MAX_TERMS terms. A pass that continues
 * the fold reads the previous sum as slot 1 with the term 1·acc first (slot 0 stays for the base):
 * exact (kernel.ts), so the result is the single-pass one bit for bit. Statistics come from the
 * first pass (it holds the first term).
 */
export function planPasses(task: Pick<KernelTask, 'base' | 'terms' | 'inputDtypes' | 'outDtype' | 'stats' | 'output' | 'sparse'>): KernelPass[] {
  const base = task.base;
  if (task.sparse && task.terms.length > 0) {
    // One pass: the majority sign needs every term at once.
    const { consensus, normalize, start } = task.sparse;
    if (task.inputDtypes.length > MAX_SLOTS || task.terms.length > MAX_SPARSE_TERMS) {
      throw new GpuKernelError('INVALID_TASK', `ties, dare_* and breadcrumbs on the GPU take at most ${MAX_SPARSE_TERMS} vectors over ${MAX_SLOTS} inputs (this task: ${task.terms.length} over ${task.inputDtypes.length}); use the CPU backend`);
    }
    const alphas = task.terms.map((t) => Math.fround(t.alpha));
    const recips = Array.from({ length: 1 << task.terms.length }, (_, mask) => {
      let div = 0;
      let first = true;
      alphas.forEach((a, k) => {
        if (!(mask & (1 << k))) return;
        div = first ? a : Math.fround(div + a);
        first = false;
      });
      return reciprocal(div, consensus);
    });
    const keeps = task.terms.map((t) => t.keep?.kind ?? 'all');
    return [
      {
        key: { base, terms: task.terms.map((t) => ({ plus: t.plus, minus: t.minus })), inputDtypes: [...task.inputDtypes], outDtype: task.outDtype, stats: task.stats, output: task.output, sparse: { consensus, normalize, keeps } },
        slots: task.inputDtypes.map((_, i) => ({ input: i })),
        alphas,
        writeCarry: null,
        sparse: { start, keeps: task.terms.map((t) => t.keep), recips },
      },
    ];
  }
  if (task.terms.length === 0) {
    return [{ key: { base, terms: [], inputDtypes: [task.inputDtypes[0]!], outDtype: task.outDtype, stats: false, output: task.output }, slots: [{ input: 0 }], alphas: [], writeCarry: null }];
  }
  const passes: KernelPass[] = [];
  let k = 0;
  while (k < task.terms.length) {
    const first = passes.length === 0;
    const slots: KernelPass['slots'][number][] = base ? [{ input: 0 }] : [];
    const slotOf = new Map<number, number>();
    const terms: { plus: number; minus: number | null }[] = [];
    const alphas: number[] = [];
    if (!first) {
      const carry = ((passes.length - 1) % 2) as 0 | 1;
      terms.push({ plus: slots.push({ carry }) - 1, minus: null });
      alphas.push(1);
    }
    const slotFor = (input: number) => {
      let j = slotOf.get(input);
      if (j === undefined) slotOf.set(input, (j = slots.push({ input }) - 1));
      return j;
    };
    while (k < task.terms.length && terms.length < MAX_TERMS) {
      const t = task.terms[k]!;
      const fresh = [t.plus, ...(t.minus === null ? [] : [t.minus])].filter((i) => !slotOf.has(i));
      if (slots.length + new Set(fresh).size > MAX_SLOTS) break;
      terms.push({ plus: slotFor(t.plus), minus: t.minus === null ? null : slotFor(t.minus) });
      alphas.push(Math.fround(t.alpha));
      k++;
    }
    const last = k === task.terms.length;
    // A stats-only task needs the first pass only.
    if (!task.output && first) {
      passes.push({ key: { base, terms, inputDtypes: slotDtypes(slots, task.inputDtypes), outDtype: task.outDtype, stats: task.stats, output: false }, slots, alphas, writeCarry: null });
      return passes;
    }
    const writeCarry = last ? null : ((passes.length % 2) as 0 | 1);
    const key: MergePipelineKey = {
      base: base && last,
      terms,
      inputDtypes: slotDtypes(slots, task.inputDtypes),
      outDtype: last ? task.outDtype : 'F32',
      stats: task.stats && first,
      output: true,
    };
    passes.push({ key, slots, alphas, writeCarry });
  }
  return passes;
}

function slotDtypes(slots: KernelPass['slots'], dtypes: readonly FloatDtype[]): FloatDtype[] {
  return slots.map((s) => ('input' in s ? dtypes[s.input]! : 'F32'));
}

export interface MergeBindings {
  /** 48 bytes, written with `writeParams`. */
  readonly params: GPUBuffer;
  /** One per slot of the pipeline. */
  readonly inputs: readonly GPUBuffer[];
  /** At least `outputBytes(outDtype, count)`; omit when the pipeline has `output: false`. */
  readonly output?: GPUBuffer;
  /**
   * Where the output binding starts in `output`, in bytes (a multiple of the device's
   * minStorageBufferOffsetAlignment, 256 by default), and how long it is: a pass over one chunk
   * writes that chunk of a larger buffer in place (streamed-merge.ts). Default: all of it.
   */
  readonly outputRange?: { readonly offset: number; readonly size: number };
  /** At least `partialsBytes(count)`; omit when the pipeline has `stats: false`. */
  readonly partials?: GPUBuffer;
}

/** Bytes of a params uniform (merge.wgsl's Params). */
export const PARAMS_BYTES = 304;

export interface MergeKernel {
  pipeline(key: MergePipelineKey): Promise<GPUComputePipeline>;
  bindGroup(bindings: MergeBindings, label: string): GPUBindGroup;
  writeParams(params: GPUBuffer, count: number, alphas: readonly number[], sparse?: SparsePassParams): void;
  /** Records the dispatch for `count` elements into `pass`. */
  dispatch(pass: GPUComputePassEncoder, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, count: number): void;
  /** The pipelines of `passes`, in order. */
  pipelines(passes: readonly KernelPass[]): Promise<GPUComputePipeline[]>;
  /**
   * Writes the params and records the dispatches of a task's passes (from `planPasses`) into `pass`
   * (a compute pass orders its dispatches' storage accesses). `params` holds one buffer per pass;
   * `carry` two float32 buffers of `gpuBytes('F32', count)` when there is more than one pass.
   */
  encodePasses(pass: GPUComputePassEncoder, passes: readonly KernelPass[], pipelines: readonly GPUComputePipeline[], count: number, buffers: PassBuffers, label: string): void;
  destroy(): void;
}

export interface PassBuffers {
  readonly params: readonly GPUBuffer[];
  /** One per input of the task. */
  readonly inputs: readonly GPUBuffer[];
  readonly carry?: readonly [GPUBuffer, GPUBuffer];
  readonly output?: GPUBuffer;
  /** The part of `output` the last pass writes (MergeBindings.outputRange). */
  readonly outputRange?: { readonly offset: number; readonly size: number };
  readonly partials?: GPUBuffer;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Bytes a buffer of `count` elements of `dtype` occupies on the GPU (whole 32-bit words). */
export function gpuBytes(dtype: FloatDtype, count: number): number {
  return align(count * dtypeSize(dtype), 4);
}

export function workgroupCount(count: number): number {
  return Math.ceil(count / ELEMENTS_PER_WORKGROUP);
}

export function partialsBytes(count: number): number {
  return workgroupCount(count) * PARTIAL_WORDS * 4;
}

/** [x, y] workgroups: 1-D when possible, else y rows of at most `maxPerDimension`. */
export function dispatchSize(count: number, maxPerDimension: number): [number, number] {
  const groups = workgroupCount(count);
  if (groups <= maxPerDimension) return [groups, 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y];
}

export interface MergeKernelOptions {
  /** Prefix of every GPU object's label. */
  label?: string;
  /** Defaults to the device limit; lower only to exercise the 2-D dispatch in tests. */
  maxWorkgroupsPerDimension?: number;
}

export function createMergeKernel(device: GPUDevice, shaders: WgslSources, options: MergeKernelOptions = {}): MergeKernel {
  const label = options.label ?? 'rvs-merge';
  const code = shaders.dtype === undefined ? shaders.merge : `${shaders.dtype}\n${shaders.merge}`;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: `${label}/module`, code });
  const moduleError = device.popErrorScope();
  const moduleReady = (async () => {
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    const scoped = await moduleError;
    if (errors.length > 0 || scoped) {
      const detail = errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ') || scoped!.message;
      throw new GpuKernelError('SHADER_COMPILATION', `${label}: WGSL does not compile: ${detail}`);
    }
  })();
  moduleReady.catch(() => {}); // reported by pipeline()

  const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({ binding, visibility: COMPUTE_STAGE, buffer: { type } });
  const bindGroupLayout = device.createBindGroupLayout({
    label: `${label}/bind-group-layout`,
    entries: [
      storage(0, 'uniform'),
      ...Array.from({ length: MAX_SLOTS }, (_, i) => storage(1 + i, 'read-only-storage')),
      storage(1 + MAX_SLOTS, 'storage'),
      storage(2 + MAX_SLOTS, 'storage'),
    ],
  });
  const layout = device.createPipelineLayout({ label: `${label}/pipeline-layout`, bindGroupLayouts: [bindGroupLayout] });
  // Stand-ins for bindings an op or a pipeline does not use (read-only and writable apart, as one
  // buffer may not be both in a dispatch).
  const dummy = (name: string, usage: number) => device.createBuffer({ label: `${label}/${name}`, size: 16, usage });
  const dummyInput = dummy('unused-input', Usage.STORAGE);
  const dummyOutput = dummy('unused-output', Usage.STORAGE);
  const dummyPartials = dummy('unused-partials', Usage.STORAGE);

  const pipelines = new Map<string, Promise<GPUComputePipeline>>();
  const maxPerDimension = Math.min(options.maxWorkgroupsPerDimension ?? Infinity, device.limits.maxComputeWorkgroupsPerDimension);

  async function build(key: MergePipelineKey, name: string): Promise<GPUComputePipeline> {
    await moduleReady;
    const constants: Record<string, number> = {
      N_SLOTS: key.inputDtypes.length,
      BASE: key.base ? 1 : 0,
      N_TERMS: key.terms.length,
      OUT_DTYPE: DTYPE_CODE[key.outDtype],
      STATS: key.stats ? 1 : 0,
      OUTPUT: key.output ? 1 : 0,
    };
    key.inputDtypes.forEach((dtype, i) => (constants[`IN${i}_DTYPE`] = DTYPE_CODE[dtype]));
    key.terms.forEach((t, k) => {
      constants[`PLUS_${k}`] = t.plus;
      constants[`MINUS_${k}`] = t.minus ?? NONE;
    });
    if (key.sparse) {
      Object.assign(constants, { SPARSE: 1, CONSENSUS: key.sparse.consensus ? 1 : 0, NORMALIZE: key.sparse.normalize ? 1 : 0 });
      key.sparse.keeps.forEach((kind, k) => (constants[`KEEP_${k}`] = { all: 0, band: 1, random: 2 }[kind]));
    }
    // Async creation compiles off the JS thread (SwiftShader takes ~0.4 s for a statistics
    // pipeline); it reports its own failures by rejecting, the scope catches anything else.
    device.pushErrorScope('validation');
    const created = device.createComputePipelineAsync({ label: name, layout, compute: { module, entryPoint: 'main', constants } });
    const scoped = device.popErrorScope();
    const [pipeline, error] = await Promise.allSettled([created, scoped]);
    const reason: unknown = pipeline.status === 'rejected' ? pipeline.reason : error.status === 'rejected' ? error.reason : error.value;
    if (pipeline.status === 'rejected' || reason) {
      const message = (reason as { message?: unknown } | null)?.message ?? String(reason);
      throw new GpuKernelError('PIPELINE_CREATION', `${name}: ${String(message)}`, { cause: reason });
    }
    return pipeline.value;
  }

  return {
    pipeline(key) {
      const terms = key.terms.map((t) => (t.minus === null ? `${t.plus}` : `${t.plus}-${t.minus}`)).join('+');
      const sparse = key.sparse ? `{${key.sparse.consensus ? 'consensus,' : ''}${key.sparse.normalize ? 'normalize,' : ''}${key.sparse.keeps.join(',')}}` : '';
      const name = `${label}/${key.base ? 'base+' : ''}[${terms}]${sparse}:${key.inputDtypes.join(',')}->${key.outDtype}${key.stats ? '+stats' : ''}${key.output ? '' : '-output'}`;
      let p = pipelines.get(name);
      if (!p) {
        p = build(key, name);
        pipelines.set(name, p);
        p.catch(() => pipelines.delete(name));
      }
      return p;
    },
    bindGroup(b, name) {
      const buffers = [b.params, ...Array.from({ length: MAX_SLOTS }, (_, i) => b.inputs[i] ?? dummyInput), b.output ?? dummyOutput, b.partials ?? dummyPartials];
      const range = (binding: number) => (binding === 1 + MAX_SLOTS && b.output && b.outputRange ? b.outputRange : {});
      return device.createBindGroup({ label: name, layout: bindGroupLayout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer, ...range(binding) } })) });
    },
    writeParams(params, count, alphas, sparse) {
      const data = new ArrayBuffer(PARAMS_BYTES);
      const view = new DataView(data);
      view.setUint32(0, count, true);
      view.setUint32(4, 0, true); // `zero`: must stay 0 (see opaque() in merge.wgsl)
      alphas.forEach((a, k) => view.setFloat32(16 + 4 * k, Math.fround(a), true));
      if (sparse) {
        view.setUint32(8, sparse.start >>> 0, true);
        sparse.keeps.forEach((keep, k) => {
          const at = 48 + 16 * k;
          if (keep?.kind === 'band') {
            view.setFloat32(at, keep.lo, true);
            view.setFloat32(at + 4, keep.hi, true);
          } else if (keep?.kind === 'random') {
            view.setFloat32(at, keep.inverse ?? 0, true); // 0 bits: no rescale
            view.setUint32(at + 8, keep.key >>> 0, true);
            view.setUint32(at + 12, keep.threshold >>> 0, true);
          }
        });
        sparse.recips.forEach((r, mask) => view.setFloat32(176 + 4 * mask, r, true));
      }
      device.queue.writeBuffer(params, 0, data);
    },
    dispatch(pass, pipeline, bindGroup, count) {
      const [x, y] = dispatchSize(count, maxPerDimension);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y);
    },
    pipelines(passes) {
      return Promise.all(passes.map((p) => this.pipeline(p.key)));
    },
    encodePasses(pass, passes, pipelines, count, b, name) {
      passes.forEach((p, j) => {
        const inputs = p.slots.map((slot) => ('input' in slot ? b.inputs[slot.input]! : b.carry![slot.carry]));
        const output = p.key.output ? (p.writeCarry === null ? b.output : b.carry![p.writeCarry]) : undefined;
        this.writeParams(b.params[j]!, count, p.alphas, p.sparse);
        const range = output && p.writeCarry === null && b.outputRange ? { outputRange: b.outputRange } : {};
        const group = this.bindGroup({ params: b.params[j]!, inputs, ...(output ? { output, ...range } : {}), ...(p.key.stats && b.partials ? { partials: b.partials } : {}) }, `${name}/pass${j}`);
        this.dispatch(pass, pipelines[j]!, group, count);
      });
    },
    destroy() {
      for (const b of [dummyInput, dummyOutput, dummyPartials]) b.destroy();
      pipelines.clear();
    },
  };
}

/** Largest even chunk whose float32 buffers fit the device's binding and buffer limits. */
export function chunkLimit(limits: GPUSupportedLimits, requested = DEFAULT_MAX_CHUNK_ELEMENTS): number {
  const bytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const elements = Math.min(Math.floor(bytes / 4), Math.floor(requested), 2 ** 30);
  return Math.max(2, elements - (elements % 2));
}

/** One run's buffers; they only grow. */
interface BufferSet {
  readonly id: number;
  params: GPUBuffer[];
  carry: [GPUBuffer | null, GPUBuffer | null];
  inputs: (GPUBuffer | null)[];
  output: GPUBuffer | null;
  partials: GPUBuffer | null;
  outputStaging: GPUBuffer | null;
  partialsStaging: GPUBuffer | null;
}

export function createWebGpuBackend(
  device: GPUDevice,
  shaders: WgslSources,
  options: MergeKernelOptions & { maxChunkElements?: number } = {},
): KernelBackend {
  const label = options.label ?? 'rvs-merge';
  const maxChunkElements = chunkLimit(device.limits, options.maxChunkElements);
  // Buffers grow in powers of two up to the largest chunk's needs.
  const limitBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const maxBytes = limitBytes - (limitBytes % 4);
  const kernel = createMergeKernel(device, shaders, options);

  let lost: string | null = null;
  void device.lost.then((info) => (lost = info.message || info.reason));
  let disposed = false;
  const inFlight = new Set<Promise<unknown>>();
  const sets: BufferSet[] = [];
  const free: BufferSet[] = [];
  const waiting: ((set: BufferSet) => void)[] = [];

  function acquire(): Promise<BufferSet> {
    const set = free.pop();
    if (set) return Promise.resolve(set);
    if (sets.length < POOL_SIZE) {
      const id = sets.length;
      const created: BufferSet = { id, params: [], carry: [null, null], inputs: [], output: null, partials: null, outputStaging: null, partialsStaging: null };
      sets.push(created);
      return Promise.resolve(created);
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  function release(set: BufferSet): void {
    const next = waiting.shift();
    if (next) next(set);
    else free.push(set);
  }

  function resetBuffers(set: BufferSet): void {
    for (const b of [...set.inputs, ...set.carry, set.output, set.partials, set.outputStaging, set.partialsStaging]) b?.destroy();
    Object.assign(set, { carry: [null, null], inputs: [], output: null, partials: null, outputStaging: null, partialsStaging: null });
  }

  /** `buffer` if it holds `bytes`, else a new one of the next power of two (capped by the limits). */
  function grow(buffer: GPUBuffer | null, bytes: number, usage: number, name: string): GPUBuffer {
    if (buffer && buffer.size >= bytes) return buffer;
    buffer?.destroy();
    const size = Math.max(bytes, Math.min(2 ** Math.ceil(Math.log2(Math.max(bytes, 256))), maxBytes));
    return device.createBuffer({ label: name, size, usage });
  }

  function validate(task: KernelTask, inputs: readonly Uint8Array[]): void {
    const fail = (message: string) => {
      throw new GpuKernelError('INVALID_TASK', `${label}: ${message}`);
    };
    const problem = taskProblem(task);
    if (problem) fail(problem);
    if (task.arith) fail("mergekit's arithmetic runs on the CPU backends only");
    if (inputs.length !== task.inputDtypes.length) fail(`${task.inputDtypes.length} input dtypes for ${inputs.length} inputs`);
    if (!Number.isSafeInteger(task.count) || task.count < 0) fail(`bad element count ${task.count}`);
    if (task.count > maxChunkElements) fail(`${task.count} elements exceed the chunk limit ${maxChunkElements}`);
    task.inputDtypes.forEach((dtype, i) => {
      const bytes = task.count * dtypeSize(dtype);
      if (inputs[i]!.byteLength < bytes) fail(`input ${i} holds ${inputs[i]!.byteLength} bytes, needs ${bytes}`);
    });
  }

  /** Copies `bytes` to the start of `buffer`, zero-padding a trailing half word. */
  function upload(buffer: GPUBuffer, bytes: Uint8Array): void {
    const whole = bytes.byteLength - (bytes.byteLength % 4);
    // Offset and size count elements, i.e. bytes. (A view of a SharedArrayBuffer is fine too: the
    // spec's AllowSharedBufferSource, which @webgpu/types narrows.)
    if (whole > 0) device.queue.writeBuffer(buffer, 0, bytes as Uint8Array<ArrayBuffer>, 0, whole);
    if (whole < bytes.byteLength) {
      const tail = new Uint8Array(4);
      tail.set(bytes.subarray(whole));
      device.queue.writeBuffer(buffer, whole, tail);
    }
  }

  async function runOn(set: BufferSet, task: KernelTask, inputs: readonly Uint8Array[], passes: readonly KernelPass[], pipelines: readonly GPUComputePipeline[], stats: boolean, into?: Uint8Array): Promise<KernelResult> {
    const { count } = task;
    const name = `${label}/set${set.id}`;
    const outBytes = task.output ? gpuBytes(task.outDtype, count) : 0;
    const partBytes = stats ? partialsBytes(count) : 0;

    // No await between push and pop: concurrent runs cannot interleave their error scopes.
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const inputBuffers = task.inputDtypes.map((dtype, i) => {
      const buffer = (set.inputs[i] = grow(set.inputs[i] ?? null, gpuBytes(dtype, count), Usage.STORAGE | Usage.COPY_DST, `${name}/in${i}`));
      upload(buffer, inputs[i]!.subarray(0, count * dtypeSize(dtype)));
      return buffer;
    });
    while (set.params.length < passes.length) set.params.push(device.createBuffer({ label: `${name}/params${set.params.length}`, size: PARAMS_BYTES, usage: Usage.UNIFORM | Usage.COPY_DST }));
    if (passes.length > 1) {
      for (const j of [0, 1] as const) set.carry[j] = grow(set.carry[j], gpuBytes('F32', count), Usage.STORAGE, `${name}/carry${j}`);
    }
    if (task.output) {
      set.output = grow(set.output, outBytes, Usage.STORAGE | Usage.COPY_SRC, `${name}/output`);
      set.outputStaging = grow(set.outputStaging, outBytes, Usage.MAP_READ | Usage.COPY_DST, `${name}/output-staging`);
    }
    if (stats) {
      set.partials = grow(set.partials, partBytes, Usage.STORAGE | Usage.COPY_SRC, `${name}/partials`);
      set.partialsStaging = grow(set.partialsStaging, partBytes, Usage.MAP_READ | Usage.COPY_DST, `${name}/partials-staging`);
    }
    const encoder = device.createCommandEncoder({ label: `${name}/encoder` });
    const pass = encoder.beginComputePass({ label: `${name}/pass` });
    kernel.encodePasses(
      pass,
      passes,
      pipelines,
      count,
      {
        params: set.params,
        inputs: inputBuffers,
        ...(passes.length > 1 ? { carry: [set.carry[0]!, set.carry[1]!] as const } : {}),
        ...(task.output ? { output: set.output! } : {}),
        ...(stats ? { partials: set.partials! } : {}),
      },
      name,
    );
    pass.end();
    if (task.output) encoder.copyBufferToBuffer(set.output!, 0, set.outputStaging!, 0, outBytes);
    if (stats) encoder.copyBufferToBuffer(set.partials!, 0, set.partialsStaging!, 0, partBytes);
    device.queue.submit([encoder.finish({ label: `${name}/commands` })]);
    const validation = device.popErrorScope();
    const memory = device.popErrorScope();

    const maps = [task.output ? set.outputStaging!.mapAsync(MAP_READ, 0, outBytes) : null, stats ? set.partialsStaging!.mapAsync(MAP_READ, 0, partBytes) : null];
    const [v, m, ...mapped] = await Promise.allSettled([validation, memory, ...maps]);
    const oom = m.status === 'fulfilled' ? m.value : null;
    const invalid = v.status === 'fulfilled' ? v.value : null;
    const unmap = () => [set.outputStaging, set.partialsStaging].forEach((b) => b?.mapState === 'mapped' && b.unmap());
    if (lost !== null || oom || invalid || mapped.some((r) => r.status === 'rejected')) {
      unmap();
      if (lost !== null) throw new GpuKernelError('DEVICE_LOST', `${name}: device lost: ${lost}`);
      // A buffer that failed to allocate is invalid for good: start the set afresh next time.
      resetBuffers(set);
      if (oom) throw new GpuKernelError('OUT_OF_MEMORY', `${name}: ${oom.message}`);
      if (invalid) throw new GpuKernelError('VALIDATION', `${name}: ${invalid.message}`);
      const cause = mapped.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      throw new GpuKernelError('MAP_FAILED', `${name}: reading the result back failed`, { cause: cause.reason });
    }

    let output: Uint8Array = new Uint8Array(0);
    if (task.output) {
      const mapped = new Uint8Array(set.outputStaging!.getMappedRange(0, outBytes), 0, count * dtypeSize(task.outDtype));
      if (into) {
        output = into.subarray(0, mapped.byteLength);
        output.set(mapped);
      } else {
        output = mapped.slice();
      }
    }
    let result: ChunkStats | null = task.stats ? { count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null;
    if (stats && result) result = sumPartials(set.partialsStaging!.getMappedRange(0, partBytes), count);
    unmap();
    return { output, stats: result };
  }

  async function run(task: KernelTask, inputs: readonly Uint8Array[], into?: Uint8Array): Promise<KernelResult> {
    if (disposed) throw new GpuKernelError('DISPOSED', `${label}: run() after dispose()`);
    if (lost !== null) throw new GpuKernelError('DEVICE_LOST', `${label}: device lost: ${lost}`);
    validate(task, inputs);
    // Statistics of a copy are all zero, as in the CPU twin; nothing to do when nothing is asked.
    const stats = task.stats && task.terms.length > 0;
    if (task.count === 0 || (!task.output && !stats)) {
      return { output: new Uint8Array(0), stats: task.stats ? { count: task.count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null };
    }
    let passes: KernelPass[];
    try {
      passes = planPasses({ ...task, stats });
    } catch (e) {
      throw e instanceof GpuKernelError ? new GpuKernelError(e.code, `${label}: ${e.message}`) : e;
    }
    const pipelines = await kernel.pipelines(passes);
    const set = await acquire();
    try {
      return await runOn(set, task, inputs, passes, pipelines, stats, into);
    } finally {
      release(set);
    }
  }

  return {
    name: 'webgpu',
    maxChunkElements,
    run(task, inputs, output) {
      const p = run(task, inputs, output);
      inFlight.add(p);
      const forget = () => inFlight.delete(p);
      p.then(forget, forget);
      return p;
    },
    async dispose() {
      disposed = true;
      await Promise.allSettled([...inFlight]);
      for (const set of sets) {
        resetBuffers(set);
        for (const p of set.params) p.destroy();
      }
      sets.length = 0;
      free.length = 0;
      kernel.destroy();
    },
  };
}

/** Adds the per-workgroup partials (float32 sums, float32 max, u32 zeros) in float64. */
function sumPartials(data: ArrayBuffer, count: number): ChunkStats {
  const f = new Float32Array(data);
  const u = new Uint32Array(data);
  const stats: ChunkStats = { count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 };
  for (let i = 0; i < f.length; i += PARTIAL_WORDS) {
    stats.sumSqV += f[i]!;
    stats.sumSqRef += f[i + 1]!;
    if (f[i + 2]! > stats.maxAbsV) stats.maxAbsV = f[i + 2]!;
    stats.zerosV += u[i + 3]!;
  }
  return stats;
}
