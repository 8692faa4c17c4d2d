/**
 * The fast CPU backend: the WebAssembly SIMD kernel (simd-kernel.wat), block by block, with the
 * TypeScript twin's statistics. Results equal the TypeScript twin bit for bit (tested), so either
 * can stand for "the CPU backend"; this one is several times faster.
 */
import { dtypeSize, type FloatDtype } from '../dtype.ts';
import { CPU_CHUNK_ELEMENTS, KernelTaskError, runCpuKernel, statsOfDifference, statsOfVector } from './cpu-kernel.ts';
import { areaBytes, carveArea, chunkElementsFor, MAX_INPUTS, taskProblem, type ChunkStats, type KernelBackend, type KernelResult, type KernelTask } from './kernel.ts';
import { SIMD_KERNEL_WASM_BASE64 } from './simd-kernel.wasm.ts';

const BLOCK = 4096;
const PAGE = 65536;

/** The part of the WebAssembly JS API used here (not in lib ES2022; every engine has it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: Uint8Array): Promise<{ instance: { exports: unknown } }>;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Exports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  decode_bf16(src: number, dst: number, n: number): void;
  decode_f16(src: number, dst: number, n: number): void;
  merge(t: number, s: number, g: number, n: number, alpha: number): void;
  apply(t: number, v: number, n: number, alpha: number): void;
  pair_first(acc: number, x: number, m: number, n: number, alpha: number): void;
  pair_add(acc: number, x: number, m: number, n: number, alpha: number): void;
  single_first(acc: number, x: number, n: number, alpha: number): void;
  single_add(acc: number, x: number, n: number, alpha: number): void;
  add_base(t: number, acc: number, n: number): void;
  encode_bf16(src: number, dst: number, n: number): void;
  encode_f16(src: number, dst: number, n: number): void;
  encode_f32(src: number, dst: number, n: number): void;
}

function wasmBytes(): Uint8Array {
  const text = atob(SIMD_KERNEL_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Whether this engine runs WebAssembly SIMD (every current browser and Node ≥ 16 does). */
export function simdSupported(): boolean {
  try {
    return wasm !== undefined && wasm.validate(wasmBytes());
  } catch {
    return false;
  }
}

/**
 * Memory: an area of four chunk regions for inputs copied in and the output, `slots` more such
 * areas handed out by `allocateArea` (inputs read straight into them and outputs written from them
 * skip two copies per element), and float32 blocks for decoded inputs and the accumulator. A task
 * with N inputs splits an area into N + 1 equal parts, so it takes chunks of at most
 * `chunkElementsFor(maxChunkElements, N)` elements and memory does not grow with N. Everything is
 * laid out up front: the memory never grows after that, so the views stay valid.
 */
export async function createSimdBackend(maxChunkElements = CPU_CHUNK_ELEMENTS, slots = 4): Promise<KernelBackend> {
  if (!wasm) throw new Error('WebAssembly is not available');
  const { instance } = await wasm.instantiate(wasmBytes());
  const k = instance.exports as unknown as Exports;
  const area = areaBytes(maxChunkElements);
  const blockBase = Array.from({ length: MAX_INPUTS }, (_, i) => PAGE + i * BLOCK * 4);
  const accBase = PAGE + MAX_INPUTS * BLOCK * 4;
  const copyArea = accBase + BLOCK * 4;
  const slotBase = copyArea + area;
  const needed = slotBase + slots * area;
  const pages = Math.ceil(needed / PAGE) - k.memory.buffer.byteLength / PAGE;
  if (pages > 0) k.memory.grow(pages);

  let slotsGiven = 0;

  function run(task: KernelTask, inputs: readonly Uint8Array[], into?: Uint8Array): KernelResult {
    const { count, terms } = task;
    const problem = taskProblem(task) ?? (inputs.length > MAX_INPUTS ? `${inputs.length} inputs exceed ${MAX_INPUTS}` : null);
    if (problem) throw new KernelTaskError(`simd kernel: ${problem}`);
    // mergekit's arithmetic and the sparsified methods have only the scalar implementation.
    if (task.arith || task.sparse) return runCpuKernel(task, inputs, into);
    const limit = chunkElementsFor(maxChunkElements, inputs.length);
    if (count > limit) throw new RangeError(`chunk of ${count} elements exceeds ${limit} (${inputs.length} inputs)`);
    const copyIn = carveArea(new Uint8Array(k.memory.buffer, copyArea, area), inputs.length);
    const inputBase = copyIn.inputs.map((v) => v.byteOffset);
    const outBase = copyIn.output.byteOffset;
    const memory = new Uint8Array(k.memory.buffer);
    // Inputs already in this memory (a slot's) are used where they are; others are copied in.
    const base = inputs.map((bytes, i) => {
      if (bytes.buffer === k.memory.buffer && bytes.byteOffset % 16 === 0) return bytes.byteOffset;
      memory.set(bytes.subarray(0, count * dtypeSize(task.inputDtypes[i]!)), inputBase[i]!);
      return inputBase[i]!;
    });
    const inMemory = into !== undefined && into.buffer === k.memory.buffer && into.byteOffset % 16 === 0;
    const outAt = inMemory ? into.byteOffset : outBase;
    const stats: ChunkStats | null = task.stats ? { count, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 } : null;
    const f32 = new Float32Array(k.memory.buffer);
    const alphas = terms.map((t) => Math.fround(t.alpha));
    const view = (ptr: number, n: number) => f32.subarray(ptr / 4, ptr / 4 + n);
    const fused = task.base && terms.length === 1;
    for (let start = 0; start < count; start += BLOCK) {
      const n = Math.min(BLOCK, count - start);
      const n8 = Math.ceil(n / 8) * 8;
      const ptr = inputs.map((_, i) => decode(task.inputDtypes[i]!, base[i]!, start, n8, blockBase[i]!));
      let result = ptr[0]!;
      terms.forEach((t, j) => {
        const x = ptr[t.plus]!;
        const m = t.minus === null ? null : ptr[t.minus]!;
        if (j === 0 && stats) {
          if (m === null) statsOfVector(view(x, n), n, stats);
          else statsOfDifference(view(m, n), view(x, n), n, stats);
        }
        if (fused) {
          // One term on a base: the same steps in one loop, straight into the base's block.
          if (ptr[0] !== blockBase[0]) result = copyToBlock(ptr[0]!, n8);
          if (m === null) k.apply(result, x, n8, alphas[0]!);
          else k.merge(result, m, x, n8, alphas[0]!);
        } else if (m === null) {
          (j === 0 ? k.single_first : k.single_add)(accBase, x, n8, alphas[j]!);
        } else {
          (j === 0 ? k.pair_first : k.pair_add)(accBase, x, m, n8, alphas[j]!);
        }
      });
      if (terms.length > 0 && !fused) {
        if (task.base) {
          if (ptr[0] !== blockBase[0]) result = copyToBlock(ptr[0]!, n8);
          k.add_base(result, accBase, n8);
        } else {
          result = accBase;
        }
      }
      if (task.output) encode(task.outDtype, result, outAt + start * dtypeSize(task.outDtype), n8);
    }
    const result = new Uint8Array(k.memory.buffer).subarray(outAt, outAt + (task.output ? count * dtypeSize(task.outDtype) : 0));
    let output: Uint8Array;
    if (inMemory) {
      output = result;
    } else if (into) {
      output = into.subarray(0, result.byteLength);
      output.set(result);
    } else {
      output = result.slice();
    }
    return { output, stats };
  }

  /** A float32 base read in place (an F32 input) is copied before being overwritten. */
  function copyToBlock(src: number, n8: number): number {
    new Uint8Array(k.memory.buffer).copyWithin(blockBase[0]!, src, src + n8 * 4);
    return blockBase[0]!;
  }

  /** Decodes a block of input `i`; returns where its float32 values are. */
  function decode(dtype: FloatDtype, base: number, start: number, n8: number, block: number): number {
    switch (dtype) {
      case 'F32':
        return base + start * 4; // already float32: used in place
      case 'BF16':
        k.decode_bf16(base + start * 2, block, n8);
        return block;
      case 'F16':
        k.decode_f16(base + start * 2, block, n8);
        return block;
    }
  }

  function encode(dtype: FloatDtype, src: number, dst: number, n8: number): void {
    if (dtype === 'BF16') k.encode_bf16(src, dst, n8);
    else if (dtype === 'F16') k.encode_f16(src, dst, n8);
    else k.encode_f32(src, dst, n8);
  }

  return {
    name: 'cpu',
    maxChunkElements,
    async run(task, inputs, output) {
      return run(task, inputs, output);
    },
    allocateArea() {
      if (slotsGiven === slots) return null;
      return new Uint8Array(k.memory.buffer, slotBase + slotsGiven++ * area, area);
    },
    async dispose() {},
  };
}
