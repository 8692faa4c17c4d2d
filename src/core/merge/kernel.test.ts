/** The TypeScript twin against a scalar reference written from the contract in kernel.ts. */
import { describe, expect, it } from 'vitest';
import { decodeToF32 } from '../dtype.ts';
import { runCpuKernel } from './cpu-kernel.ts';
import { SHAPES, taskProblem, type KernelTask } from './kernel.ts';
import { randomTask, referenceFold } from './kernel-testing.ts';

function randomBytes(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x) & 0xff;
  return out;
}

describe('the kernel contract', () => {
  it('the TypeScript twin folds any terms as the contract says, bit for bit', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const task = randomTask(seed, 1 + (seed % 257), 7);
      const inputs = task.inputDtypes.map((d, i) => randomBytes(task.count * (d === 'F32' ? 4 : 2), seed * 17 + i));
      expect(runCpuKernel(task, inputs).output, JSON.stringify(task.terms)).toEqual(referenceFold(task, inputs));
    }
  });

  it('a vector minus itself, and α = 0, give the base bit for bit (signed zeros and NaN payloads too)', () => {
    const count = 4096;
    const base = randomBytes(count * 4, 5);
    const v = randomBytes(count * 2, 6);
    const w = randomBytes(count * 2, 7);
    const task: KernelTask = {
      base: true,
      terms: [
        { plus: 1, minus: 2, alpha: 0.3 },
        { plus: 1, minus: 2, alpha: -0.3 },
      ],
      inputDtypes: ['F32', 'BF16', 'BF16'],
      outDtype: 'F32',
      count,
      stats: false,
      output: true,
    };
    const out = new Uint32Array(runCpuKernel(task, [base, v, w]).output.buffer);
    const copy = runCpuKernel({ ...task, ...SHAPES.copy() }, [base]).output;
    const zero = new Uint32Array(runCpuKernel({ ...task, terms: [{ plus: 1, minus: 2, alpha: 0 }] }, [base, v, w]).output.buffer);
    const want = new Uint32Array(copy.buffer);
    // Where v − w is finite the terms cancel exactly (an Inf or NaN makes the sum NaN, as it should).
    const d = new Float32Array(count);
    const x = new Float32Array(count);
    decodeToF32('BF16', v, count, d);
    decodeToF32('BF16', w, count, x);
    let checked = 0;
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(d[i]! - x[i]!)) continue;
      expect(out[i]).toBe(want[i]);
      expect(zero[i]).toBe(want[i]);
      checked++;
    }
    expect(checked).toBeGreaterThan(count * 0.9);
  });

  it('names what is wrong with a malformed task', () => {
    expect(taskProblem({ base: false, terms: [], inputDtypes: ['F32'] })).toMatch(/neither/);
    expect(taskProblem({ base: true, terms: [{ plus: 0, minus: null, alpha: 1 }], inputDtypes: ['F32'] })).toBeNull(); // t + α·t is fine
    expect(taskProblem({ base: true, terms: [{ plus: 1, minus: 3, alpha: 1 }], inputDtypes: ['F32', 'F32'] })).toMatch(/input 3 of 2/);
    expect(() => runCpuKernel({ base: false, terms: [], inputDtypes: ['F32'], outDtype: 'F32', count: 1, stats: false, output: true }, [new Uint8Array(4)])).toThrow(/INVALID|neither/);
  });
});
