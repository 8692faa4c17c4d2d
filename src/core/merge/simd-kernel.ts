/**
 * The fast CPU backend: the WebAssembly SIMD kernel (simd-kernel.wat), block by block, with the
 * TypeScript twin's statistics. Results equal the TypeScript twin bit for bit (tested), so either
 * can stand for "the CPU backend"; this one is several times faster.
 */
import { dtypeSize, type FloatDtype } from '../dtype.ts';
import { CPU_CHUNK_ELEMENTS, statsOfDifference, statsOfVector } from './cpu-kernel.ts';
import type { ChunkStats, KernelBackend, KernelResult, KernelTask } from './kernel.ts';
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
  extract(s: number, g: number, n: number): void;
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
 * `slots` chunk buffers (three inputs and an output each) are carved out of the module's memory up
 * front and handed out by `allocateSlot`: inputs read straight into them and outputs written from
 * them skip two copies per element. The memory never grows after that, so the views stay valid.
 */
export async function createSimdBackend(maxChunkElements = CPU_CHUNK_ELEMENTS, slots = 4): Promise<KernelBackend> {
  if (!wasm) throw new Error('WebAssembly is not available');
  const { instance } = await wasm.instantiate(wasmBytes());
  const k = instance.exports as unknown as Exports;
  // Layout: three input regions, one output region (each a chunk of float32 plus padding), and
  // three float32 blocks for decoded inputs.
  const region = Math.ceil((maxChunkElements * 4 + 64) / 64) * 64;
  const inputBase = [PAGE, PAGE + region, PAGE + 2 * region];
  const outBase = PAGE + 3 * region;
  const blockBase = [outBase + region, outBase + region + BLOCK * 4, outBase + region + 2 * BLOCK * 4];
  const slotBase = blockBase[2]! + BLOCK * 4;
  const needed = slotBase + slots * 4 * region;
  const pages = Math.ceil(needed / PAGE) - k.memory.buffer.byteLength / PAGE;
  if (pages > 0) k.memory.grow(pages);

  let slotsGiven = 0;

  function run(task: KernelTask, inputs: readonly Uint8Array[], into?: Uint8Array): KernelResult {
    const { count } = task;
    if (count > maxChunkElements) throw new RangeError(`chunk of ${count} elements exceeds ${maxChunkElements}`);
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
    const alpha = Math.fround(task.alpha);
    for (let start = 0; start < count; start += BLOCK) {
      const n = Math.min(BLOCK, count - start);
      const n8 = Math.ceil(n / 8) * 8;
      const ptr = inputs.map((_, i) => decode(task.inputDtypes[i]!, base[i]!, start, n8, blockBase[i]!));
      const [p0, p1, p2] = ptr as [number, number, number];
      switch (task.op) {
        case 'copy':
          break;
        case 'extract':
          if (stats) statsOfDifference(f32.subarray(p0 / 4, p0 / 4 + n), f32.subarray(p1 / 4, p1 / 4 + n), n, stats);
          k.extract(p0, p1, n8);
          break;
        case 'apply':
          if (stats) statsOfVector(f32.subarray(p1 / 4, p1 / 4 + n), n, stats);
          k.apply(p0, p1, n8, alpha);
          break;
        case 'merge':
          if (stats) statsOfDifference(f32.subarray(p1 / 4, p1 / 4 + n), f32.subarray(p2 / 4, p2 / 4 + n), n, stats);
          k.merge(p0, p1, p2, n8, alpha);
          break;
      }
      if (task.output) encode(task.outDtype, p0, outAt + start * dtypeSize(task.outDtype), n8);
    }
    const result = memory.subarray(outAt, outAt + (task.output ? count * dtypeSize(task.outDtype) : 0));
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
    allocateSlot() {
      if (slotsGiven === slots) return null;
      const at = slotBase + slotsGiven++ * 4 * region;
      const view = (j: number) => new Uint8Array(k.memory.buffer, at + j * region, maxChunkElements * 4);
      return { inputs: [view(0), view(1), view(2)], output: view(3) };
    },
    async dispose() {},
  };
}
