/**
 * The CPU twin of the WGSL merge kernel: the reference for every GPU result (see kernel.ts).
 *
 * Works in blocks of BLOCK elements so that the float32 scratch stays in L1/L2: decode each input
 * block, fold the terms, add to the base, encode, next block — one pass over the chunk's memory.
 */
import { decodeToF32, dtypeSize, encodeFromF32 } from '../dtype.ts';
import { runMergekitKernel } from './mergekit-kernel.ts';
import { runSparseKernel } from './sparse-kernel.ts';
import { taskProblem, type ChunkStats, type KernelBackend, type KernelResult, type KernelTask } from './kernel.ts';

export const CPU_CHUNK_ELEMENTS = 1 << 21;
const BLOCK = 4096;

export function createCpuBackend(maxChunkElements = CPU_CHUNK_ELEMENTS): KernelBackend {
  return {
    name: 'cpu',
    maxChunkElements,
    async run(task, inputs, output) {
      return runCpuKernel(task, inputs, output);
    },
    async dispose() {},
  };
}

// The steps on one block. Storing into a Float32Array rounds once, which is exactly float32
// arithmetic on two floats (their exact sum, difference or product fits a double).

/** acc ← (first ? p : acc + p) with p = α·(x − m), or α·x when m is null. */
export function termBlock(acc: Float32Array, x: Float32Array, m: Float32Array | null, alpha: number, first: boolean, n: number): void {
  if (m) {
    if (first) for (let j = 0; j < n; j++) acc[j] = alpha * Math.fround(x[j]! - m[j]!);
    else for (let j = 0; j < n; j++) acc[j] = acc[j]! + Math.fround(alpha * Math.fround(x[j]! - m[j]!));
  } else {
    if (first) for (let j = 0; j < n; j++) acc[j] = alpha * x[j]!;
    else for (let j = 0; j < n; j++) acc[j] = acc[j]! + Math.fround(alpha * x[j]!);
  }
}

/** t ← (acc == 0) ? t : t + acc */
export function baseBlock(t: Float32Array, acc: Float32Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const p = acc[j]!;
    if (p !== 0) t[j] = t[j]! + p;
  }
}

function accumulate(st: ChunkStats, sumSqV: number, sumSqRef: number, maxAbsV: number, zerosV: number): void {
  st.sumSqV += sumSqV;
  st.sumSqRef += sumSqRef;
  if (maxAbsV > st.maxAbsV) st.maxAbsV = maxAbsV;
  st.zerosV += zerosV;
}

const scratch: Float32Array[] = [];
const accBlock = new Float32Array(BLOCK);
const block = (i: number) => (scratch[i] ??= new Float32Array(BLOCK));

export class KernelTaskError extends Error {
  override readonly name = 'KernelTaskError';
  readonly code = 'INVALID_TASK';
}

/** Runs one chunk synchronously. */
export function runCpuKernel(task: KernelTask, inputs: readonly Uint8Array[], into?: Uint8Array): KernelResult {
  const problem = taskProblem(task);
  if (problem) throw new KernelTaskError(`cpu kernel: ${problem}`);
  if (task.arith) return runMergekitKernel({ ...task, arith: task.arith }, inputs, into);
  if (task.sparse) return runSparseKernel({ ...task, sparse: task.sparse }, inputs, into);
  const { count, terms } = task;
  const sizes = task.inputDtypes.map(dtypeSize);
  const outSize = dtypeSize(task.outDtype);
  const stats: ChunkStats | null = task.stats ? { count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null;
  const outBytes = task.output ? count * outSize : 0;
  const output = into ? into.subarray(0, outBytes) : new Uint8Array(outBytes);
  const alphas = terms.map((t) => Math.fround(t.alpha));
  for (let start = 0; start < count; start += BLOCK) {
    const n = Math.min(BLOCK, count - start);
    inputs.forEach((bytes, i) => decodeToF32(task.inputDtypes[i]!, bytes.subarray(start * sizes[i]!), n, block(i)));
    terms.forEach((t, k) => {
      const m = t.minus === null ? null : block(t.minus);
      if (k === 0 && stats) {
        if (m) statsOfDifference(m, block(t.plus), n, stats);
        else statsOfVector(block(t.plus), n, stats);
      }
      termBlock(accBlock, block(t.plus), m, alphas[k]!, k === 0, n);
    });
    let result = block(0);
    if (terms.length > 0) {
      if (task.base) baseBlock(result, accBlock, n);
      else result = accBlock;
    }
    if (task.output) encodeFromF32(task.outDtype, result, n, output.subarray(start * outSize));
  }
  return { output, stats };
}

export function statsOfDifference(s: Float32Array, g: Float32Array, n: number, st: ChunkStats): void {
  let sumSqV = 0;
  let sumSqRef = 0;
  let maxAbsV = 0;
  let zerosV = 0;
  for (let j = 0; j < n; j++) {
    const sj = s[j]!;
    const d = Math.fround(g[j]! - sj);
    sumSqV += d * d;
    sumSqRef += sj * sj;
    const a = Math.abs(d);
    if (a > maxAbsV) maxAbsV = a;
    if (d === 0) zerosV++;
  }
  accumulate(st, sumSqV, sumSqRef, maxAbsV, zerosV);
}

export function statsOfVector(v: Float32Array, n: number, st: ChunkStats): void {
  let sumSqV = 0;
  let maxAbsV = 0;
  let zerosV = 0;
  for (let j = 0; j < n; j++) {
    const x = v[j]!;
    sumSqV += x * x;
    const a = Math.abs(x);
    if (a > maxAbsV) maxAbsV = a;
    if (x === 0) zerosV++;
  }
  accumulate(st, sumSqV, 0, maxAbsV, zerosV);
}

/** A whole chunk decoded to float32 per input, with the first term's statistics (scalar kernels). */
export function decodeChunk(task: KernelTask, inputs: readonly Uint8Array[]): { x: Float32Array[]; stats: ChunkStats | null } {
  const { count, terms } = task;
  const x = inputs.map((bytes, i) => {
    const out = new Float32Array(count);
    decodeToF32(task.inputDtypes[i]!, bytes, count, out);
    return out;
  });
  const stats: ChunkStats | null = task.stats ? { count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null;
  if (stats && terms.length > 0) {
    const t = terms[0]!;
    if (t.minus === null) statsOfVector(x[t.plus]!, count, stats);
    else statsOfDifference(x[t.minus]!, x[t.plus]!, count, stats);
  }
  return { x, stats };
}

/** The float32 results of a chunk encoded to the output dtype (into `into` when given). */
export function encodeChunk(task: KernelTask, result: Float32Array, stats: ChunkStats | null, into?: Uint8Array): KernelResult {
  const outBytes = task.output ? task.count * dtypeSize(task.outDtype) : 0;
  const output = into ? into.subarray(0, outBytes) : new Uint8Array(outBytes);
  if (task.output) encodeFromF32(task.outDtype, result, task.count, output);
  return { output, stats };
}
