/**
 * A merge whose inputs stay in their files: only the weight buffers a model session reads live on
 * the GPU. `apply(plan)` re-reads each input tensor chunk by chunk (θ_target, θ_SFT, θ_GRPO, in
 * their own dtypes), uploads each chunk into a small window (one buffer per job input) and runs
 * the merge kernel with its output bound to that chunk of the weight buffer, so the weights are
 * written in place and the session is not rebuilt. The memory plan (memory-plan.ts) chooses this
 * when resident inputs do not fit the budget; its "stream window" counts these buffers.
 *
 *   checkpoint files ──read chunk──► window (3 × chunk) ──merge kernel (α)──► weight buffers (in place)
 *
 * The kernel is elementwise and the same as resident-merge.ts's, with the same α and dtypes, so the
 * weights are bit for bit those of a resident merge of the same plan (streamed-merge.test.ts). A
 * plan rounded to a narrower dtype (a recipe's `auto`) goes through a chunk-sized scratch buffer and
 * the copy pass, as the resident merge does per tensor.
 */
import { dtypeSize, type FloatDtype } from '../dtype.ts';
import type { TensorLocation } from '../checkpoint/checkpoint.ts';
import { asFloat, type MergePlan } from '../merge/plan.ts';
import { createMergeKernel, DEFAULT_MAX_CHUNK_ELEMENTS, GpuKernelError, gpuBytes, PARAMS_BYTES, planPasses, type WgslSources } from './merge-webgpu.ts';
import { jobsFor, residentBufferBytes, rounds, type ResidentWeight, type WeightsDtype } from './resident-merge.ts';

const Usage = { STORAGE: 0x80, COPY_DST: 0x8, COPY_SRC: 0x4, UNIFORM: 0x40 } as const;

export interface StreamedApplyOptions {
  readonly signal?: AbortSignal;
  /** Bytes of the checkpoints read so far for this α. */
  readonly onProgress?: (p: { readonly bytesDone: number; readonly bytesTotal: number; readonly tensor: string }) => void;
}

export interface StreamedMergeOptions {
  readonly label?: string;
  readonly weightsDtype?: WeightsDtype;
  /** Elements per chunk (default: merge-webgpu's, capped by the binding limit). */
  readonly maxChunkElements?: number;
}

export interface StreamedMerge {
  readonly weights: readonly ResidentWeight[];
  /** Bytes held on the GPU: the weights and the window. */
  readonly residentBytes: number;
  /** Re-reads the plan's inputs and writes its result into the weights; resolves when the GPU has finished. */
  apply(plan: MergePlan, options?: StreamedApplyOptions): Promise<void>;
  destroy(): void;
}

/** Output offsets must be multiples of 256 bytes: chunks are multiples of 128 elements (float16 outputs). */
const CHUNK_ALIGN = 128;

/** Creates the weight buffers (empty) and the window for the weights `keys` of `plan`'s shapes. */
export function createStreamedMerge(
  device: GPUDevice,
  shaders: WgslSources,
  plan: MergePlan,
  keys: readonly { readonly key: string; readonly dims: readonly number[] }[],
  options: StreamedMergeOptions = {},
): StreamedMerge {
  const label = options.label ?? 'rvs-streamed';
  const dtype = options.weightsDtype ?? 'F32';
  const jobs = jobsFor(plan, keys);
  const bindLimit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const longest = Math.max(2, ...jobs.map((j) => j.count));
  const requested = Math.min(options.maxChunkElements ?? DEFAULT_MAX_CHUNK_ELEMENTS, Math.floor(bindLimit / 4));
  const chunk = Math.min(roundUp(longest, CHUNK_ALIGN), Math.max(CHUNK_ALIGN, requested - (requested % CHUNK_ALIGN)));
  const inputSize = Math.max(...jobs.flatMap((j) => j.inputs.map((l) => dtypeSize(asFloat(l.info.dtype)))), 1);
  const inputCount = Math.max(...jobs.map((j) => j.inputs.length), 1);

  const kernel = createMergeKernel(device, shaders, { label });
  const created: GPUBuffer[] = [];
  const make = (name: string, size: number, usage: number) => {
    const b = device.createBuffer({ label: `${label}/${name}`, size, usage });
    created.push(b);
    return b;
  };
  try {
    const window = Array.from({ length: inputCount }, (_, i) => make(`window/${i}`, residentBufferBytes(chunk * inputSize), Usage.STORAGE | Usage.COPY_DST));
    const weights = keys.map(({ key, dims }, i) => ({
      key, dims, dtype,
      buffer: make(`weight/${key}`, residentBufferBytes(gpuBytes(dtype, jobs[i]!.count)), Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST),
    }));
    const residentBytes = [...window, ...weights.map((w) => w.buffer)].reduce((n, b) => n + b.size, 0);
    // Params per pass, float32 carry buffers for jobs split into passes, the rounded chunk: grown on first need.
    const params: GPUBuffer[] = [];
    const paramsFor = (n: number) => {
      while (params.length < n) params.push(make(`params/${params.length}`, PARAMS_BYTES, Usage.UNIFORM | Usage.COPY_DST));
      return params;
    };
    let carry: [GPUBuffer, GPUBuffer] | null = null;
    let scratch: GPUBuffer | null = null;

    return {
      weights,
      residentBytes,
      async apply(next, o = {}) {
        const nextJobs = jobsFor(next, keys);
        const bytesTotal = nextJobs.reduce((n, j) => n + j.inputs.reduce((m, l) => m + l.info.end - l.info.begin, 0), 0);
        let bytesDone = 0;
        for (const [i, job] of nextJobs.entries()) {
          const decode = rounds(job, dtype);
          const into: FloatDtype = decode ? asFloat(job.outDtype) : dtype;
          const merge = planPasses({ base: job.base, terms: job.terms, inputDtypes: job.inputs.map((l) => asFloat(l.info.dtype)), outDtype: into, stats: false, output: true });
          const copy = decode ? planPasses({ base: true, terms: [], inputDtypes: [into], outDtype: dtype, stats: false, output: true }) : null;
          const pipelines = { merge: await kernel.pipelines(merge), copy: copy ? await kernel.pipelines(copy) : null };
          const own = paramsFor(merge.length + (copy?.length ?? 0));
          if (merge.length > 1 && !carry) carry = [make('carry0', gpuBytes('F32', chunk), Usage.STORAGE), make('carry1', gpuBytes('F32', chunk), Usage.STORAGE)];
          if (decode && (!scratch || scratch.size < gpuBytes(into, chunk))) {
            scratch?.destroy();
            scratch = make('rounded', gpuBytes(into, chunk), Usage.STORAGE);
          }
          for (let start = 0; start < job.count; start += chunk) {
            if (o.signal?.aborted) throw new GpuKernelError('CANCELLED', `${label}: cancelled`);
            const n = Math.min(chunk, job.count - start);
            await Promise.all(job.inputs.map((loc, k) => upload(device, window[k]!, loc, start, n)));
            bytesDone += job.inputs.reduce((m, l) => m + n * dtypeSize(asFloat(l.info.dtype)), 0);
            device.pushErrorScope('validation');
            const encoder = device.createCommandEncoder({ label: `${label}/encoder` });
            const pass = encoder.beginComputePass({ label: `${label}/pass` });
            const outputRange = { offset: start * dtypeSize(dtype), size: gpuBytes(dtype, n) };
            const inputs = window.slice(0, job.inputs.length);
            const carried = merge.length > 1 ? { carry: carry! } : {};
            const target = weights[i]!.buffer;
            if (!copy) {
              kernel.encodePasses(pass, merge, pipelines.merge, n, { params: own, inputs, output: target, outputRange, ...carried }, `${label}/${job.name}`);
            } else {
              kernel.encodePasses(pass, merge, pipelines.merge, n, { params: own, inputs, output: scratch!, ...carried }, `${label}/${job.name}`);
              kernel.encodePasses(pass, copy, pipelines.copy!, n, { params: own.slice(merge.length), inputs: [scratch!], output: target, outputRange }, `${label}/${job.name}/decode`);
            }
            pass.end();
            device.queue.submit([encoder.finish()]);
            const error = await device.popErrorScope();
            if (error) throw new GpuKernelError('VALIDATION', `${label}: ${job.name}: ${error.message}`);
            // The window and params are reused by the next chunk; waiting also bounds the queue's staging memory.
            await device.queue.onSubmittedWorkDone();
            o.onProgress?.({ bytesDone, bytesTotal, tensor: job.name });
          }
        }
      },
      destroy() {
        for (const b of created) b.destroy();
        kernel.destroy();
      },
    };
  } catch (e) {
    for (const b of created) b.destroy();
    kernel.destroy();
    throw e;
  }
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Elements [start, start + n) of the tensor at `loc`, read from its file into `buffer` (a trailing half word zero-padded). */
async function upload(device: GPUDevice, buffer: GPUBuffer, loc: TensorLocation, start: number, n: number): Promise<void> {
  const size = dtypeSize(asFloat(loc.info.dtype));
  const length = n * size;
  const bytes = await loc.shard.source.read(loc.shard.header.dataStart + loc.info.begin + start * size, length);
  const whole = length - (length % 4);
  if (whole > 0) device.queue.writeBuffer(buffer, 0, bytes as Uint8Array<ArrayBuffer>, 0, whole);
  if (whole < length) {
    const tail = new Uint8Array(4);
    tail.set(bytes.subarray(whole, length));
    device.queue.writeBuffer(buffer, whole, tail);
  }
}
