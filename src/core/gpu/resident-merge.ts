/**
 * A merge that lives on the GPU: the input tensors of a plan (θ_target, θ_SFT, θ_GRPO, or any
 * recipe's inputs, in their own dtypes) are uploaded once, and `apply(plan)` writes the result of each job, float32 or float16
 * (`weightsDtype`), straight into the weight buffers a model session reads (graph inputs bound with
 * `Tensor.fromGpuBuffer`). A new α is a new plan (headers only) and one kernel pass over resident
 * data: no checkpoint is read again and the session stays as it is.
 *
 * The kernel is the merge kernel of merge-webgpu.ts, so the weights are bit for bit those that
 * `rvs merge --dtype F32` (or `--dtype F16`: round to nearest even, in integer arithmetic, needing
 * no `shader-f16`) writes. A plan whose output dtype is narrower (a recipe's `auto`: the target's
 * BF16, as a user would save the merge) is rounded to it first: the kernel writes that dtype into a
 * scratch buffer, then a copy pass converts it into the weight buffer — what `rvs merge` saves,
 * loaded as the weights' dtype. Each tensor is one dispatch (or two) over its whole buffer (the
 * session binds whole tensors anyway), so a tensor must fit the device's binding limit.
 *
 *   checkpoint bytes ──upload once──► resident inputs ──merge kernel (α)──► weight buffers ──► session
 *                                                      ▲ apply(plan) again for a new α
 */
import { dtypeSize, encodeFromF32, type FloatDtype } from '../dtype.ts';
import type { Checkpoint, TensorLocation } from '../checkpoint/checkpoint.ts';
import { streamWeightF32 } from '../model/weights.ts';
import { taskProblem } from '../merge/kernel.ts';
import { asFloat, type MergePlan, type TensorJob } from '../merge/plan.ts';
import { createMergeKernel, GpuKernelError, gpuBytes, PARAMS_BYTES, planPasses, type WgslSources } from './merge-webgpu.ts';

const Usage = { STORAGE: 0x80, COPY_DST: 0x8, COPY_SRC: 0x4, UNIFORM: 0x40 } as const;

/** The dtypes the weight buffers can hold. */
export type WeightsDtype = 'F32' | 'F16';

export interface ResidentWeight {
  readonly key: string;
  readonly dims: readonly number[];
  readonly dtype: WeightsDtype;
  /** `gpuBytes(dtype, elements)` bytes (float16: two per word, a trailing half word zero). */
  readonly buffer: GPUBuffer;
}

export interface ResidentMergeProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly tensor: string;
}

export interface ResidentMergeOptions {
  readonly label?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ResidentMergeProgress) => void;
  /** Dtype of the weight buffers: F32 (default) or F16. */
  readonly weightsDtype?: WeightsDtype;
}

export interface ResidentMerge {
  /** The weights, one buffer per graph weight, in the order asked for. */
  readonly weights: readonly ResidentWeight[];
  /** Bytes held on the GPU: resident inputs plus weights. */
  readonly residentBytes: number;
  /** Writes the plan's result into the weights; resolves when the GPU has finished. */
  apply(plan: MergePlan): Promise<void>;
  destroy(): void;
}

/** Resident inputs by source (two checkpoints may share file and tensor names) and tensor name. */
class ByLocation<T> {
  private readonly bySource = new Map<object, Map<string, T>>();
  get(loc: TensorLocation): T | undefined {
    return this.bySource.get(loc.shard.source)?.get(loc.info.name);
  }
  set(loc: TensorLocation, value: T): void {
    const names = this.bySource.get(loc.shard.source) ?? new Map<string, T>();
    names.set(loc.info.name, value);
    this.bySource.set(loc.shard.source, names);
  }
}

/**
 * Uploads the inputs of `plan`'s jobs for `keys` (the graph's weights: name and dims) and creates
 * the weight buffers; call `apply` to fill them.
 */
export async function createResidentMerge(
  device: GPUDevice,
  shaders: WgslSources,
  plan: MergePlan,
  keys: readonly { readonly key: string; readonly dims: readonly number[] }[],
  options: ResidentMergeOptions = {},
): Promise<ResidentMerge> {
  const label = options.label ?? 'rvs-resident';
  const dtype = options.weightsDtype ?? 'F32';
  const kernel = createMergeKernel(device, shaders, { label });
  const inputs = new ByLocation<GPUBuffer>();
  const created: GPUBuffer[] = [];
  const jobs = jobsFor(plan, keys);
  let residentBytes = 0;
  try {
    const pending = residentInputs(jobs);
    const bytesTotal = pending.reduce((n, l) => n + l.info.end - l.info.begin, 0);
    let bytesDone = 0;
    for (const loc of pending) {
      if (options.signal?.aborted) throw new GpuKernelError('CANCELLED', `${label}: cancelled`);
      const length = loc.info.end - loc.info.begin;
      const buffer = device.createBuffer({ label: `${label}/in/${loc.info.name}`, size: residentBufferBytes(length), usage: Usage.STORAGE | Usage.COPY_DST });
      created.push(buffer);
      const bytes = await loc.shard.source.read(loc.shard.header.dataStart + loc.info.begin, length);
      const whole = length - (length % 4);
      if (whole > 0) device.queue.writeBuffer(buffer, 0, bytes as Uint8Array<ArrayBuffer>, 0, whole);
      if (whole < length) {
        const tail = new Uint8Array(4);
        tail.set(bytes.subarray(whole));
        device.queue.writeBuffer(buffer, whole, tail);
      }
      inputs.set(loc, buffer);
      residentBytes += buffer.size;
      bytesDone += length;
      options.onProgress?.({ bytesDone, bytesTotal, tensor: loc.info.name });
    }
    const weights = keys.map(({ key, dims }, i) => {
      const buffer = device.createBuffer({ label: `${label}/weight/${key}`, size: residentBufferBytes(gpuBytes(dtype, jobs[i]!.count)), usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST });
      created.push(buffer);
      residentBytes += buffer.size;
      return { key, dims, dtype, buffer };
    });
    // Params per job and pass, and two float32 carry buffers for jobs split into passes, grown as plans need.
    const params: GPUBuffer[][] = keys.map(() => []);
    let carry: [GPUBuffer, GPUBuffer] | null = null;
    const carryFor = (count: number): [GPUBuffer, GPUBuffer] => {
      const bytes = residentBufferBytes(gpuBytes('F32', count));
      if (carry && carry[0].size >= bytes) return carry;
      carry?.forEach((b) => b.destroy());
      const make = (j: number) => device.createBuffer({ label: `${label}/carry${j}`, size: bytes, usage: Usage.STORAGE });
      carry = [make(0), make(1)];
      return carry;
    };

    const track = (b: GPUBuffer) => (created.push(b), b);
    // Per weight, created on first use: the rounded result.
    const scratch: GPUBuffer[] = [];
    const scratchFor = (i: number, bytes: number): GPUBuffer => {
      if (!scratch[i] || scratch[i].size < bytes) {
        scratch[i]?.destroy();
        scratch[i] = track(device.createBuffer({ label: `${label}/rounded/${keys[i]!.key}`, size: Math.max(16, bytes), usage: Usage.STORAGE }));
      }
      return scratch[i];
    };

    return {
      weights,
      residentBytes,
      async apply(next) {
        const nextJobs = jobsFor(next, keys);
        // Jobs whose result is rounded to a narrower output dtype first (a saved checkpoint's
        // values) write it to a scratch buffer, and a copy pass converts it to the weights' dtype.
        const plans = nextJobs.map((job) => {
          const into = rounds(job, dtype) ? asFloat(job.outDtype) : dtype;
          const merge = planPasses({ base: job.base, terms: job.terms, inputDtypes: job.inputs.map((l) => asFloat(l.info.dtype)), outDtype: into, stats: false, output: true });
          const decode = into === dtype ? null : planPasses({ base: true, terms: [], inputDtypes: [into], outDtype: dtype, stats: false, output: true });
          return { into, merge, decode };
        });
        const pipelines = await Promise.all(plans.map(async (p) => ({ merge: await kernel.pipelines(p.merge), decode: p.decode ? await kernel.pipelines(p.decode) : null })));
        device.pushErrorScope('validation');
        const encoder = device.createCommandEncoder({ label: `${label}/encoder` });
        const pass = encoder.beginComputePass({ label: `${label}/pass` });
        nextJobs.forEach((job, i) => {
          const ins = job.inputs.map((loc) => {
            const buffer = inputs.get(loc);
            if (!buffer) throw new GpuKernelError('INVALID_TASK', `${label}: ${job.name}: input ${loc.info.name} of ${loc.shard.file} is not resident; create a new resident merge for this plan`);
            return buffer;
          });
          const own = params[i]!;
          const { into, merge, decode } = plans[i]!;
          while (own.length < merge.length + 1) own.push(track(device.createBuffer({ label: `${label}/params/${i}/${own.length}`, size: PARAMS_BYTES, usage: Usage.UNIFORM | Usage.COPY_DST })));
          const carry = merge.length > 1 ? { carry: carryFor(job.count) } : {};
          if (!decode) {
            kernel.encodePasses(pass, merge, pipelines[i]!.merge, job.count, { params: own, inputs: ins, output: weights[i]!.buffer, ...carry }, `${label}/${job.name}`);
            return;
          }
          // Round to the output dtype, then convert: what a saved checkpoint of this dtype holds.
          const rounded = scratchFor(i, gpuBytes(into, job.count));
          kernel.encodePasses(pass, merge, pipelines[i]!.merge, job.count, { params: own, inputs: ins, output: rounded, ...carry }, `${label}/${job.name}`);
          kernel.encodePasses(pass, decode, pipelines[i]!.decode!, job.count, { params: own.slice(merge.length), inputs: [rounded], output: weights[i]!.buffer }, `${label}/${job.name}/decode`);
        });
        pass.end();
        device.queue.submit([encoder.finish()]);
        const error = await device.popErrorScope();
        if (error) throw new GpuKernelError('VALIDATION', `${label}: ${error.message}`);
        await device.queue.onSubmittedWorkDone();
      },
      destroy() {
        for (const b of [...created, ...(carry ?? [])]) b.destroy();
        kernel.destroy();
      },
    };
  } catch (e) {
    for (const b of created) b.destroy();
    kernel.destroy();
    throw e;
  }
}

/**
 * Whether a job's result is rounded to its output dtype before the weights (of `weights` dtype)
 * take it: not for F32, nor when the weights have that dtype, nor for a copy into the input's own
 * dtype (exact: it converts straight to the weights' dtype).
 */
export function rounds(job: TensorJob, weights: FloatDtype): boolean {
  return job.outDtype !== 'F32' && job.outDtype !== weights && !(job.op === 'copy' && job.outDtype === job.inputs[0]!.info.dtype);
}

/** Bytes of a GPU buffer holding `bytes` of data: whole words, at least 16. */
export const residentBufferBytes = (bytes: number): number => Math.max(16, Math.ceil(bytes / 4) * 4);

/** The distinct input tensors of `jobs` (a tensor two jobs read is resident once). */
function residentInputs(jobs: readonly TensorJob[]): TensorLocation[] {
  const pending: TensorLocation[] = [];
  const seen = new ByLocation<true>();
  for (const job of jobs) {
    for (const loc of job.inputs) {
      if (seen.get(loc)) continue;
      seen.set(loc, true);
      pending.push(loc);
    }
  }
  return pending;
}

/**
 * Each input tensor a resident merge of `plan` for `keys` keeps on the GPU, as byte length and
 * dtype (its buffers are `residentBufferBytes` of these): what the memory plan counts as merge inputs.
 */
export function residentInputLengths(plan: MergePlan, keys: readonly { readonly key: string; readonly dims: readonly number[] }[]): { bytes: number; dtype: FloatDtype }[] {
  return residentInputs(jobsFor(plan, keys)).map((loc) => ({ bytes: loc.info.end - loc.info.begin, dtype: asFloat(loc.info.dtype) }));
}

/** The plan's job for each key, checked against the key's dims and the kernel's input count. */
export function jobsFor(plan: MergePlan, keys: readonly { readonly key: string; readonly dims: readonly number[] }[]): TensorJob[] {
  const byName = new Map(plan.tensors.map((t) => [t.name, t]));
  return keys.map(({ key, dims }) => {
    const job = byName.get(key);
    if (!job) throw new GpuKernelError('INVALID_TASK', `merge plan has no tensor ${key}`);
    if (job.shape.length !== dims.length || job.shape.some((d, i) => d !== dims[i])) {
      throw new GpuKernelError('INVALID_TASK', `${key}: plan shape [${job.shape.join(', ')}] differs from the model's [${dims.join(', ')}]`);
    }
    if (job.arith) throw new GpuKernelError('INVALID_TASK', `${key}: mergekit's arithmetic runs on the CPU backends only`);
    if (job.sparse) throw new GpuKernelError('INVALID_TASK', `${key}: ties, dare_* and breadcrumbs are not resident merges; merge through the executor`);
    const problem = taskProblem({ base: job.base, terms: job.terms, inputDtypes: job.inputs.map((l) => l.info.dtype as FloatDtype) });
    if (problem) throw new GpuKernelError('INVALID_TASK', `${key}: ${problem}`);
    for (const loc of job.inputs) {
      const dtype = loc.info.dtype as FloatDtype;
      if (dtypeSize(dtype) * job.count !== loc.info.end - loc.info.begin) throw new GpuKernelError('INVALID_TASK', `${key}: input ${loc.info.name} has an unexpected size`);
    }
    return job;
  });
}

/**
 * One checkpoint's weights as float32 or float16 (`weightsDtype`) GPU buffers (no merge): decoded
 * on the CPU chunk by chunk, encoded (float16: round to nearest even, as dtype.ts) and written with
 * `queue.writeBuffer`.
 */
export async function uploadCheckpointWeights(
  device: GPUDevice,
  checkpoint: Checkpoint,
  keys: readonly { readonly key: string; readonly dims: readonly number[] }[],
  options: ResidentMergeOptions = {},
): Promise<ResidentWeight[]> {
  const label = options.label ?? 'rvs-weights';
  const dtype = options.weightsDtype ?? 'F32';
  const size = dtypeSize(dtype);
  const weights: ResidentWeight[] = [];
  const elements = keys.map(({ dims }) => dims.reduce((a, b) => a * b, 1));
  const bytesTotal = elements.reduce((a, b) => a + size * b, 0);
  let bytesDone = 0;
  try {
    for (const [i, { key, dims }] of keys.entries()) {
      if (options.signal?.aborted) throw new GpuKernelError('CANCELLED', `${label}: cancelled`);
      const buffer = device.createBuffer({ label: `${label}/${key}`, size: residentBufferBytes(gpuBytes(dtype, elements[i]!)), usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST });
      weights.push({ key, dims, dtype, buffer });
      await streamWeightF32(checkpoint, key, (values, start) => {
        if (dtype === 'F32') return device.queue.writeBuffer(buffer, start * 4, values as Float32Array<ArrayBuffer>);
        // Chunks start at even elements (streamWeightF32's chunks are even), so at whole words; a
        // trailing half word is written as a zero-padded word.
        const encoded = new Uint8Array(gpuBytes('F16', values.length));
        encodeFromF32('F16', values, values.length, encoded);
        device.queue.writeBuffer(buffer, start * 2, encoded);
      });
      bytesDone += elements[i]! * size;
      options.onProgress?.({ bytesDone, bytesTotal, tensor: key });
    }
    return weights;
  } catch (e) {
    for (const w of weights) w.buffer.destroy();
    throw e;
  }
}
