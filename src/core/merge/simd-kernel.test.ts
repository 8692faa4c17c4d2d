/** The WebAssembly SIMD kernel against the TypeScript twin, bit for bit, on arbitrary bit patterns. */
import { describe, expect, it } from 'vitest';
import { assemble, moduleSource } from '../../../scripts/build-wasm.ts';
import { FLOAT_DTYPES, type FloatDtype } from '../dtype.ts';
import { runCpuKernel } from './cpu-kernel.ts';
import { SHAPE_INPUTS, SHAPES, type KernelTask, type ShapeName } from './kernel.ts';
import { randomTask } from './kernel-testing.ts';
import { createSimdBackend } from './simd-kernel.ts';
import { readFile } from 'node:fs/promises';

/** Deterministic bytes: random bit patterns, with special values sprinkled in. */
function bytesFor(dtype: FloatDtype, count: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  if (dtype === 'F32') {
    const specials = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00123, 1, 0x807fffff, 0x00800000, 0x7f7fffff, 0x477ff000, 0x477fefff, 0x38800000, 0x33000000, 0x33000001];
    const a = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const r = next();
      // Mostly "ordinary" values of similar magnitude, so that sums do not always saturate.
      a[i] = r % 7 === 0 ? specials[r % specials.length]! : r % 3 === 0 ? r : (0x3c000000 + (r % 0x4000000)) ^ (r & 0x80000000);
    }
    return new Uint8Array(a.buffer);
  }
  const specials = [0, 0x8000, 0x7f80, 0xff80, 0x7c00, 0xfc00, 0x7fc1, 0x7e01, 1, 0x8001, 0x03ff, 0x0400, 0x7bff];
  const a = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const r = next();
    a[i] = r % 7 === 0 ? specials[r % specials.length]! : r % 3 === 0 ? r & 0xffff : (0x3c00 + (r % 0x400)) ^ (r & 0x8000);
  }
  return new Uint8Array(a.buffer);
}

const OPS: ShapeName[] = ['merge', 'extract', 'apply', 'copy'];
const combos = (n: number): FloatDtype[][] => (n === 0 ? [[]] : combos(n - 1).flatMap((c) => FLOAT_DTYPES.map((d) => [...c, d])));

describe('WebAssembly SIMD kernel', () => {
  it('is assembled from the committed source', async () => {
    const committed = await readFile(new URL('./simd-kernel.wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(moduleSource(await assemble()));
  });

  it('equals the TypeScript twin bit for bit for every op and dtype combination', async () => {
    const backend = await createSimdBackend(1 << 14);
    let seed = 1;
    let compared = 0;
    for (const op of OPS) {
      for (const inputDtypes of combos(SHAPE_INPUTS[op])) {
        for (const outDtype of FLOAT_DTYPES) {
          for (const count of [1, 7, 8, 4097, 9001]) {
            for (const alpha of op === 'merge' || op === 'apply' ? [1, -0.5, 1.7, 0, -2.25e-3] : [1]) {
              const inputs = inputDtypes.map((d) => bytesFor(d, count, seed++));
              const task: KernelTask = { ...SHAPES[op](alpha), inputDtypes, outDtype, count, stats: op !== 'copy', output: true };
              const want = runCpuKernel(task, inputs);
              const got = await backend.run(task, inputs);
              if (!bytesEqual(got.output, want.output)) {
                const i = firstDifference(got.output, want.output);
                throw new Error(`${op} ${inputDtypes.join(',')}→${outDtype} n=${count} α=${alpha}: byte ${i} differs (${got.output[i]} vs ${want.output[i]})`);
              }
              expect(got.stats).toEqual(want.stats);
              compared += count;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(1_000_000);
  });

  it('equals the TypeScript twin on composed tasks (several terms, negation, shared inputs, no base)', async () => {
    const backend = await createSimdBackend(1 << 14);
    for (let seed = 1; seed <= 300; seed++) {
      const task = randomTask(seed, [1, 5, 8, 33, 4099][seed % 5]!, 9);
      const inputs = task.inputDtypes.map((d, i) => bytesFor(d, task.count, seed * 31 + i));
      const want = runCpuKernel(task, inputs);
      const got = await backend.run(task, inputs);
      if (!bytesEqual(got.output, want.output)) throw new Error(`seed ${seed}: byte ${firstDifference(got.output, want.output)} differs (${JSON.stringify(task.terms)})`);
      expect(got.stats).toEqual(want.stats);
    }
    // Chunks shrink with the inputs: 9 inputs on a 2¹⁴ backend take chunks of ⌊4·2¹⁴/10⌋ (to 16s).
    const nine: KernelTask = { base: false, terms: [{ plus: 8, minus: 0, alpha: 1 }], inputDtypes: Array<FloatDtype>(9).fill('F32'), outDtype: 'F32', count: 6544, stats: false, output: true };
    await expect(backend.run(nine, nine.inputDtypes.map((d) => bytesFor(d, 6544, 1)))).resolves.toBeDefined();
    await expect(backend.run({ ...nine, count: 6545 }, nine.inputDtypes.map((d) => bytesFor(d, 6545, 1)))).rejects.toThrow(RangeError);
  });

  it('writes nothing past the chunk and keeps no state between chunks', async () => {
    const backend = await createSimdBackend(1 << 12);
    const task: KernelTask = { ...SHAPES.merge(0.5), inputDtypes: ['BF16', 'BF16', 'BF16'], outDtype: 'BF16', count: 4096, stats: false, output: true };
    const big = [1, 2, 3].map((s) => bytesFor('BF16', 4096, s));
    const small = { ...task, count: 3 };
    const first = await backend.run(small, big.map((b) => b.slice(0, 6)));
    await backend.run(task, big);
    const again = await backend.run(small, big.map((b) => b.slice(0, 6)));
    expect(again.output).toEqual(first.output);
    expect(first.output.byteLength).toBe(6);
    await expect(backend.run({ ...task, count: 4097 }, big)).rejects.toThrow(RangeError);
  });
});

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}
