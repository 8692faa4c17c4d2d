/**
 * The WebGPU backend of the merge kernel (shaders/merge.wgsl, with shaders/dtype.wgsl prepended).
 *
 * Two layers:
 *   createMergeKernel   pipelines (one per op × dtypes × stats × output, built on first use and
 *                       cached), the bind group layout, dispatch geometry (2-D past
 *                       maxComputeWorkgroupsPerDimension). Works on buffers the caller owns.
 *   createWebGpuBackend the KernelBackend of kernel.ts: a pool of buffer sets, so that several
 *                       run() calls are in flight at once and one chunk's upload, another's
 *                       dispatch and a third's readback overlap on the queue.
 *
 * Platform-neutral: the device and the WGSL sources are passed in (src/node/webgpu.ts opens Dawn
 * and reads shaders/ in Node; the studio imports the .wgsl files with `?raw`).
 */
import { dtypeSize, type FloatDtype } from '../dtype.ts';
import { OP_INPUTS, type ChunkStats, type KernelBackend, type KernelOp, type KernelResult, type KernelTask } from '../merge/kernel.ts';

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

const OP_CODE: Record<KernelOp, number> = { merge: 0, extract: 1, apply: 2, copy: 3 };
const DTYPE_CODE: Record<FloatDtype, number> = { BF16: 0, F16: 1, F32: 2 };

export interface WgslSources {
  readonly merge: string;
  /** Codecs, prepended to `merge` (WGSL has no include). */
  readonly dtype?: string;
}

/** What selects a specialised pipeline. */
export interface MergePipelineKey {
  readonly op: KernelOp;
  readonly inputDtypes: readonly FloatDtype[];
  readonly outDtype: FloatDtype;
  readonly stats: boolean;
  readonly output: boolean;
}

export interface MergeBindings {
  /** 16 bytes, written with `writeParams`. */
  readonly params: GPUBuffer;
  /** One per input of the op. */
  readonly inputs: readonly GPUBuffer[];
  /** At least `outputBytes(outDtype, count)`; omit when the pipeline has `output: false`. */
  readonly output?: GPUBuffer;
  /**
   * Where the output binding starts in `output`, in bytes (a multiple of the device's
   * minStorageBufferOffsetAlignment, 256 by default) and how long it is: a kernel pass over one
   * chunk writes that chunk of a larger buffer in place (streamed-merge.ts). Default: all of it.
   */
  readonly outputRange?: { readonly offset: number; readonly size: number };
  /** At least `partialsBytes(count)`; omit when the pipeline has `stats: false`. */
  readonly partials?: GPUBuffer;
}

export interface MergeKernel {
  pipeline(key: MergePipelineKey): Promise<GPUComputePipeline>;
  bindGroup(bindings: MergeBindings, label: string): GPUBindGroup;
  writeParams(params: GPUBuffer, count: number, alpha: number): void;
  /** Records the dispatch for `count` elements into `pass`. */
  dispatch(pass: GPUComputePassEncoder, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, count: number): void;
  destroy(): void;
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
      storage(1, 'read-only-storage'),
      storage(2, 'read-only-storage'),
      storage(3, 'read-only-storage'),
      storage(4, 'storage'),
      storage(5, 'storage'),
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
      OP: OP_CODE[key.op],
      OUT_DTYPE: DTYPE_CODE[key.outDtype],
      STATS: key.stats ? 1 : 0,
      OUTPUT: key.output ? 1 : 0,
    };
    key.inputDtypes.forEach((dtype, i) => (constants[`IN${i}_DTYPE`] = DTYPE_CODE[dtype]));
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
      const name = `${label}/${key.op}:${key.inputDtypes.join(',')}->${key.outDtype}${key.stats ? '+stats' : ''}${key.output ? '' : '-output'}`;
      let p = pipelines.get(name);
      if (!p) {
        p = build(key, name);
        pipelines.set(name, p);
        p.catch(() => pipelines.delete(name));
      }
      return p;
    },
    bindGroup(b, name) {
      const buffers = [b.params, b.inputs[0] ?? dummyInput, b.inputs[1] ?? dummyInput, b.inputs[2] ?? dummyInput, b.output ?? dummyOutput, b.partials ?? dummyPartials];
      const range = (binding: number) => (binding === 4 && b.output && b.outputRange ? b.outputRange : {});
      return device.createBindGroup({ label: name, layout: bindGroupLayout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer, ...range(binding) } })) });
    },
    writeParams(params, count, alpha) {
      const data = new ArrayBuffer(16);
      const view = new DataView(data);
      view.setUint32(0, count, true);
      view.setFloat32(4, alpha, true);
      view.setUint32(8, 0, true); // `zero`: must stay 0 (see opaque() in merge.wgsl)
      device.queue.writeBuffer(params, 0, data);
    },
    dispatch(pass, pipeline, bindGroup, count) {
      const [x, y] = dispatchSize(count, maxPerDimension);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y);
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
  readonly params: GPUBuffer;
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
      const params = device.createBuffer({ label: `${label}/set${id}/params`, size: 16, usage: Usage.UNIFORM | Usage.COPY_DST });
      const created: BufferSet = { id, params, inputs: [null, null, null], output: null, partials: null, outputStaging: null, partialsStaging: null };
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
    for (const b of [...set.inputs, set.output, set.partials, set.outputStaging, set.partialsStaging]) b?.destroy();
    Object.assign(set, { inputs: [null, null, null], output: null, partials: null, outputStaging: null, partialsStaging: null });
  }

  /** `buffer` if it holds `bytes`, else a new one of the next power of two (capped by the limits). */
  function grow(buffer: GPUBuffer | null, bytes: number, usage: number, name: string): GPUBuffer {
    if (buffer && buffer.size >= bytes) return buffer;
    buffer?.destroy();
    const size = Math.max(bytes, Math.min(2 ** Math.ceil(Math.log2(Math.max(bytes, 256))), maxBytes));
    return device.createBuffer({ label: name, size, usage });
  }

  function validate(task: KernelTask, inputs: readonly Uint8Array[]): void {
    const want = OP_INPUTS[task.op]?.length;
    const fail = (message: string) => {
      throw new GpuKernelError('INVALID_TASK', `${label}: ${task.op}: ${message}`);
    };
    if (want === undefined) fail('unknown op');
    if (inputs.length !== want || task.inputDtypes.length !== want) fail(`needs ${want} inputs, got ${inputs.length} (${task.inputDtypes.length} dtypes)`);
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

  async function runOn(set: BufferSet, task: KernelTask, inputs: readonly Uint8Array[], pipeline: GPUComputePipeline, stats: boolean, into?: Uint8Array): Promise<KernelResult> {
    const { count } = task;
    const name = `${label}/set${set.id}`;
    const outBytes = task.output ? gpuBytes(task.outDtype, count) : 0;
    const partBytes = stats ? partialsBytes(count) : 0;

    // No await between push and pop: concurrent runs cannot interleave their error scopes.
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const inputBuffers = task.inputDtypes.map((dtype, i) => {
      const buffer = (set.inputs[i] = grow(set.inputs[i]!, gpuBytes(dtype, count), Usage.STORAGE | Usage.COPY_DST, `${name}/in${i}`));
      upload(buffer, inputs[i]!.subarray(0, count * dtypeSize(dtype)));
      return buffer;
    });
    if (task.output) {
      set.output = grow(set.output, outBytes, Usage.STORAGE | Usage.COPY_SRC, `${name}/output`);
      set.outputStaging = grow(set.outputStaging, outBytes, Usage.MAP_READ | Usage.COPY_DST, `${name}/output-staging`);
    }
    if (stats) {
      set.partials = grow(set.partials, partBytes, Usage.STORAGE | Usage.COPY_SRC, `${name}/partials`);
      set.partialsStaging = grow(set.partialsStaging, partBytes, Usage.MAP_READ | Usage.COPY_DST, `${name}/partials-staging`);
    }
    kernel.writeParams(set.params, count, Math.fround(task.alpha));
    const bindGroup = kernel.bindGroup(
      { params: set.params, inputs: inputBuffers, output: task.output ? set.output! : undefined, partials: stats ? set.partials! : undefined },
      `${name}/bind-group`,
    );
    const encoder = device.createCommandEncoder({ label: `${name}/encoder` });
    const pass = encoder.beginComputePass({ label: `${name}/pass` });
    kernel.dispatch(pass, pipeline, bindGroup, count);
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
    const stats = task.stats && task.op !== 'copy';
    if (task.count === 0 || (!task.output && !stats)) {
      return { output: new Uint8Array(0), stats: task.stats ? { count: task.count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null };
    }
    const pipeline = await kernel.pipeline({ op: task.op, inputDtypes: task.inputDtypes, outDtype: task.outDtype, stats, output: task.output });
    const set = await acquire();
    try {
      return await runOn(set, task, inputs, pipeline, stats, into);
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
        set.params.destroy();
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
