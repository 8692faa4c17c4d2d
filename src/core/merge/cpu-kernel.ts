/**
 * The CPU twin of the WGSL merge kernel: the reference for every GPU result (see kernel.ts).
 *
 * Works in blocks of BLOCK elements so that the float32 scratch stays in L1/L2: decode each input
 * block, combine, encode, next block — one pass over the chunk's memory instead of five.
 */
import { CANONICAL_NAN, dtypeSize, f16FromF32Bits, f16ToF32, type FloatDtype } from '../dtype.ts';
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

/** The inputs of a chunk as typed views: 16-bit dtypes as Uint16Array, F32 as Float32Array. */
type Source = { dtype: 'BF16' | 'F16'; u16: Uint16Array } | { dtype: 'F32'; f32: Float32Array };

function sourceOf(dtype: FloatDtype, bytes: Uint8Array, count: number): Source {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return dtype === 'F32'
    ? { dtype, f32: new Float32Array(aligned.buffer, aligned.byteOffset, count) }
    : { dtype, u16: new Uint16Array(aligned.buffer, aligned.byteOffset, count) };
}

let f16Table: Float32Array | undefined;

function decodeBlock(src: Source, start: number, n: number, out: Float32Array, outBits: Uint32Array): void {
  if (src.dtype === 'F32') {
    out.set(src.f32.subarray(start, start + n));
  } else if (src.dtype === 'BF16') {
    const u16 = src.u16;
    for (let j = 0; j < n; j++) outBits[j] = u16[start + j]! << 16;
  } else {
    if (!f16Table) {
      f16Table = new Float32Array(65536);
      for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
    }
    const u16 = src.u16;
    const table = f16Table;
    for (let j = 0; j < n; j++) out[j] = table[u16[start + j]!]!;
  }
}

function encodeBlock(dtype: FloatDtype, bits: Uint32Array, n: number, out: Uint8Array, start: number): void {
  if (dtype === 'F32') {
    const dst = new Uint32Array(out.buffer, out.byteOffset + start * 4, n);
    for (let j = 0; j < n; j++) {
      const b = bits[j]!;
      dst[j] = (b & 0x7fffffff) > 0x7f800000 ? CANONICAL_NAN.F32 : b;
    }
  } else if (dtype === 'BF16') {
    const dst = new Uint16Array(out.buffer, out.byteOffset + start * 2, n);
    for (let j = 0; j < n; j++) {
      const b = bits[j]!;
      dst[j] = (b & 0x7fffffff) > 0x7f800000 ? CANONICAL_NAN.BF16 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  } else {
    const dst = new Uint16Array(out.buffer, out.byteOffset + start * 2, n);
    for (let j = 0; j < n; j++) dst[j] = f16FromF32Bits(bits[j]!);
  }
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
const scratchBits = scratch.map((f) => new Uint32Array(f.buffer));

/** Runs one chunk synchronously. */
export function runCpuKernel(task: KernelTask, inputs: readonly Uint8Array[], into?: Uint8Array): KernelResult {
  const { op, count } = task;
  const alpha = Math.fround(task.alpha);
  const sources = inputs.map((bytes, i) => sourceOf(task.inputDtypes[i]!, bytes, count));
  const stats: ChunkStats | null = task.stats ? { count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null;
  const outBytes = task.output ? count * dtypeSize(task.outDtype) : 0;
  const output = into ? into.subarray(0, outBytes) : new Uint8Array(outBytes);
  const [x0, x1, x2] = scratch as [Float32Array, Float32Array, Float32Array];
  for (let start = 0; start < count; start += BLOCK) {
    const n = Math.min(BLOCK, count - start);
    sources.forEach((src, i) => decodeBlock(src, start, n, scratch[i]!, scratchBits[i]!));
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
    if (task.output) encodeBlock(task.outDtype, scratchBits[0]!, n, output, start);
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
