/**
 * Test helpers for the kernel contract (kernel.ts): random composed tasks, and an independent
 * scalar reference of the fold written straight from the contract, one element at a time.
 */
import { decodeToF32, dtypeSize, encodeFromF32, FLOAT_DTYPES, type FloatDtype } from '../dtype.ts';
import type { KernelTask, KernelTerm } from './kernel.ts';

/** A deterministic random task with up to `maxInputs` inputs and 1–10 terms (or a copy). */
export function randomTask(seed: number, count: number, maxInputs: number): KernelTask {
  let x = (seed * 2654435761) >>> 0 || 1;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const base = next() % 4 !== 0;
  const n = 1 + (next() % maxInputs) + (base ? 1 : 0);
  // Terms mostly read inputs past the base, now and then the base itself.
  const first = base && next() % 5 !== 0 ? 1 : 0;
  const alphas = [1, -1, 0.5, -0.3, 1.7, 0, -2.25e-3, 3];
  const terms: KernelTerm[] = [];
  const k = base && n === 1 ? 0 : 1 + (next() % 10);
  for (let j = 0; j < k && n > first; j++) {
    const plus = first + (next() % (n - first));
    const minus = next() % 3 === 0 ? null : first + (next() % (n - first));
    terms.push({ plus, minus, alpha: Math.fround(alphas[next() % alphas.length]!) });
  }
  const inputDtypes = Array.from({ length: n }, () => FLOAT_DTYPES[next() % 3]!);
  return { base: base || terms.length === 0, terms, inputDtypes, outDtype: FLOAT_DTYPES[next() % 3]!, count, stats: terms.length > 0, output: true };
}

/** The contract, element by element: float32 steps with Math.fround, then one encode. */
export function referenceFold(task: KernelTask, inputs: readonly Uint8Array[]): Uint8Array {
  const { count } = task;
  const x = inputs.map((bytes, i) => {
    const out = new Float32Array(count);
    decodeToF32(task.inputDtypes[i]!, bytes, count, out);
    return out;
  });
  const r = new Float32Array(count);
  for (let e = 0; e < count; e++) {
    let acc = 0;
    task.terms.forEach((t, k) => {
      const d = t.minus === null ? x[t.plus]![e]! : Math.fround(x[t.plus]![e]! - x[t.minus]![e]!);
      const p = Math.fround(t.alpha * d);
      acc = k === 0 ? p : Math.fround(acc + p);
    });
    if (task.terms.length === 0) r[e] = x[0]![e]!;
    else if (!task.base) r[e] = acc;
    else r[e] = acc === 0 ? x[0]![e]! : Math.fround(x[0]![e]! + acc);
  }
  const out = new Uint8Array(count * dtypeSize(task.outDtype));
  encodeFromF32(task.outDtype as FloatDtype, r, count, out);
  return out;
}
