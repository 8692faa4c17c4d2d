/** The CPU twin of the WGSL merge kernel: the reference for every GPU result (see kernel.ts). */
import { decodeToF32, dtypeSize, encodeFromF32 } from '../dtype.ts';
import type { ChunkStats, KernelBackend, KernelResult, KernelTask } from './kernel.ts';

export const CPU_CHUNK_ELEMENTS = 1 << 21;

export function createCpuBackend(maxChunkElements = CPU_CHUNK_ELEMENTS): KernelBackend {
  let scratch: Float32Array[] = [];
  const buffers = (n: number, count: number): Float32Array[] => {
    if (scratch.length < n || scratch[0]!.length < count) {
      scratch = Array.from({ length: n }, () => new Float32Array(Math.max(count, scratch[0]?.length ?? 0)));
    }
    return scratch;
  };
  return {
    name: 'cpu',
    maxChunkElements,
    async run(task, inputs) {
      return runCpuKernel(task, inputs, buffers(Math.max(inputs.length, 1), task.count));
    },
    async dispose() {
      scratch = [];
    },
  };
}

/** Runs one chunk synchronously; `scratch` holds at least max(1, inputs) arrays of `count` floats. */
export function runCpuKernel(task: KernelTask, inputs: readonly Uint8Array[], scratch: readonly Float32Array[]): KernelResult {
  const { op, count } = task;
  const alpha = Math.fround(task.alpha);
  const x = inputs.map((bytes, i) => {
    const out = scratch[i]!.subarray(0, count);
    decodeToF32(task.inputDtypes[i]!, bytes, count, out);
    return out;
  });
  // The result overwrites the first input's scratch (t, or s for extract), element by element.
  const r = x[0]!;
  const stats: ChunkStats | null = task.stats ? { count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null;
  let sumSqV = 0;
  let sumSqRef = 0;
  let maxAbsV = 0;
  let zerosV = 0;
  switch (op) {
    case 'copy':
      break;
    case 'extract': {
      const [s, g] = x as [Float32Array, Float32Array];
      for (let i = 0; i < count; i++) {
        const si = s[i]!;
        const v = Math.fround(g[i]! - si);
        r[i] = v;
        if (stats) {
          sumSqV += v * v;
          sumSqRef += si * si;
          const a = Math.abs(v);
          if (a > maxAbsV) maxAbsV = a;
          if (v === 0) zerosV++;
        }
      }
      break;
    }
    case 'apply': {
      const [t, v] = x as [Float32Array, Float32Array];
      for (let i = 0; i < count; i++) {
        const vi = v[i]!;
        const p = Math.fround(alpha * vi);
        if (p !== 0) r[i] = t[i]! + p; // storing into a Float32Array rounds once, as float32 addition does
        if (stats) {
          sumSqV += vi * vi;
          const a = Math.abs(vi);
          if (a > maxAbsV) maxAbsV = a;
          if (vi === 0) zerosV++;
        }
      }
      break;
    }
    case 'merge': {
      const [t, s, g] = x as [Float32Array, Float32Array, Float32Array];
      for (let i = 0; i < count; i++) {
        const si = s[i]!;
        const d = Math.fround(g[i]! - si);
        const p = Math.fround(alpha * d);
        if (p !== 0) r[i] = t[i]! + p;
        if (stats) {
          sumSqV += d * d;
          sumSqRef += si * si;
          const a = Math.abs(d);
          if (a > maxAbsV) maxAbsV = a;
          if (d === 0) zerosV++;
        }
      }
      break;
    }
  }
  if (stats) Object.assign(stats, { sumSqV, sumSqRef, maxAbsV, zerosV });
  if (!task.output) return { output: new Uint8Array(0), stats };
  const output = new Uint8Array(count * dtypeSize(task.outDtype));
  encodeFromF32(task.outDtype, r, count, output);
  return { output, stats };
}
