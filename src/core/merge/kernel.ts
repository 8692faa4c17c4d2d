/**
 * The contract between the merge executor and a kernel backend (CPU twin or WebGPU).
 *
 * Arithmetic, per element, in float32 (each step rounded to float32, nearest even):
 *   extract  v = g − s
 *   apply    p = α·v;        r = (p == 0) ? t : t + p
 *   merge    d = g − s; p = α·d; r = (p == 0) ? t : t + p     (v never materialised)
 *   copy     r = t
 * Inputs are decoded exactly to float32; r is encoded to the output dtype with round-to-nearest-even
 * and canonical NaNs (see dtype.ts). "p == 0 keeps t" makes α = 0, and a zero vector, reproduce
 * the target bit for bit, signed zeros included. No fused multiply-add: the GPU kernel keeps the
 * product and the sum apart so that both backends agree bit for bit.
 *
 * Statistics of the vector (v, or d for merge) are accumulated in float64 by the CPU backend and in
 * float32 per workgroup then float64 by the GPU backend, so they agree to ~1e-6, not bit for bit.
 */
import type { FloatDtype } from '../dtype.ts';

export type KernelOp = 'merge' | 'extract' | 'apply' | 'copy';

/** Inputs of each op, in order. */
export const OP_INPUTS = {
  merge: ['target', 'sft', 'grpo'],
  extract: ['sft', 'grpo'],
  apply: ['target', 'vector'],
  copy: ['target'],
} as const satisfies Record<KernelOp, readonly string[]>;

export interface KernelTask {
  readonly op: KernelOp;
  /** Already rounded to float32 (Math.fround). */
  readonly alpha: number;
  /** One per input of `op`, in `OP_INPUTS` order. */
  readonly inputDtypes: readonly FloatDtype[];
  readonly outDtype: FloatDtype;
  /** Elements in this chunk. */
  readonly count: number;
  /** Accumulate vector statistics (ops merge, extract, apply). */
  readonly stats: boolean;
  /** Produce the output bytes (false: statistics only). */
  readonly output: boolean;
}

/** Sums over a chunk; ref is θ_SFT for merge/extract and absent (0) for apply. */
export interface ChunkStats {
  count: number;
  sumSqV: number;
  sumSqRef: number;
  maxAbsV: number;
  zerosV: number;
}

export interface KernelResult {
  /** count × size(outDtype) bytes, or empty when `output` is false. */
  readonly output: Uint8Array;
  readonly stats: ChunkStats | null;
}

export interface KernelBackend {
  readonly name: 'cpu' | 'webgpu';
  /** Largest chunk (in elements) one `run` accepts. */
  readonly maxChunkElements: number;
  /**
   * Runs one chunk. `inputs[i]` holds count × size(inputDtypes[i]) bytes, 4-byte aligned. The
   * result goes into `output` when given (at least count × size(outDtype) bytes; the result's
   * `output` is then a view of it), else into a new buffer. Several calls may be in flight at
   * once; results must not depend on that.
   */
  run(task: KernelTask, inputs: readonly Uint8Array[], output?: Uint8Array): Promise<KernelResult>;
  /**
   * Optional: buffers for one chunk in flight (three inputs and an output of maxChunkElements × 4
   * bytes) where this backend reads and writes them without a copy; null when it has no more.
   */
  allocateSlot?(): { inputs: Uint8Array[]; output: Uint8Array } | null;
  dispose(): Promise<void>;
}

export function emptyStats(): ChunkStats {
  return { count: 0, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 };
}

export function addStats(into: ChunkStats, chunk: ChunkStats): void {
  into.count += chunk.count;
  into.sumSqV += chunk.sumSqV;
  into.sumSqRef += chunk.sumSqRef;
  if (chunk.maxAbsV > into.maxAbsV) into.maxAbsV = chunk.maxAbsV;
  into.zerosV += chunk.zerosV;
}
