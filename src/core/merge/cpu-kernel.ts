/**
 * The CPU twin of the WGSL merge kernel: the reference for every GPU result (see kernel.ts).
 *
 * Works in blocks of BLOCK elements so that the float32 scratch stays in L1/L2: decode each input
 * block, combine, encode, next block — one pass over the chunk's memory instead of five.
 */
import { decodeToF32, dtypeSize, encodeFromF32 } from '../dtype.ts';
import type { ChunkStats, KernelBackend, KernelResult, KernelTask } from './kernel.ts';

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

// The ops on one block; r aliases the first input (t, or s for extract) and is overwritten.

function extractBlock(s: Float32Array, g: Float32Array, n: number): void {
  for (let j = 0; j < n; j++) s[j] = g[j]! - s[j]!; // the store rounds once: float32 subtraction
}

function applyBlock(t: Float32Array, v: Float32Array, alpha: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const p = Math.fround(alpha * v[j]!);
    // Storing into a Float32Array rounds once, which is exactly float32 addition of two floats.
    if (p !== 0) t[j] = t[j]! + p;
  }
}

function mergeBlock(t: Float32Array, s: Float32Array, g: Float32Array, alpha: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const p = Math.fround(alpha * Math.fround(g[j]! - s[j]!));
    if (p !== 0) t[j] = t[j]! + p;
  }
}

function accumulate(st: ChunkStats, sumSqV: number, sumSqRef: number, maxAbsV: number, zerosV: number): void {
  st.sumSqV += sumSqV;
  st.sumSqRef += sumSqRef;
  if (maxAbsV > st.maxAbsV) st.maxAbsV = maxAbsV;
  st.zerosV += zerosV;
}

const scratch = Array.from({ length: 3 }, () => new Float32Array(BLOCK));

/** Runs one chunk synchronously. */
export function runCpuKernel(task: KernelTask, inputs: readonly Uint8Array[], into?: Uint8Array): KernelResult {
  const { op, count } = task;
  const alpha = Math.fround(task.alpha);
  const sizes = task.inputDtypes.map(dtypeSize);
  const outSize = dtypeSize(task.outDtype);
  const stats: ChunkStats | null = task.stats ? { count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null;
  const outBytes = task.output ? count * outSize : 0;
  const output = into ? into.subarray(0, outBytes) : new Uint8Array(outBytes);
  const [x0, x1, x2] = scratch as [Float32Array, Float32Array, Float32Array];
  for (let start = 0; start < count; start += BLOCK) {
    const n = Math.min(BLOCK, count - start);
    inputs.forEach((bytes, i) => decodeToF32(task.inputDtypes[i]!, bytes.subarray(start * sizes[i]!), n, scratch[i]!));
    switch (op) {
      case 'copy':
        break;
      case 'extract':
        if (stats) statsOfDifference(x0, x1, n, stats);
        extractBlock(x0, x1, n);
        break;
      case 'apply':
        if (stats) statsOfVector(x1, n, stats);
        applyBlock(x0, x1, alpha, n);
        break;
      case 'merge':
        if (stats) statsOfDifference(x1, x2, n, stats);
        mergeBlock(x0, x1, x2, alpha, n);
        break;
    }
    if (task.output) encodeFromF32(task.outDtype, x0, n, output.subarray(start * outSize));
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
