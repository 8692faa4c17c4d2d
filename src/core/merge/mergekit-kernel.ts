/**
 * mergekit's arithmetic (`--arith mergekit`), for rebuilding a published mergekit merge byte for
 * byte. mergekit runs torch on tensors loaded in the config's `dtype` W (bfloat16, say), and torch
 * computes each elementwise op on reduced-precision tensors in float32 and rounds the result to W;
 * a sum over models (`.sum(dim=0)`) accumulates in float32 and rounds once. Per element, following
 * mergekit/merge_methods/generalized_task_arithmetic.py and linear.py:
 *
 *   xᵢ = W(inputᵢ), b = W(base), wᵢ = W(float32(weightᵢ))         (loading; torch.tensor(weights, dtype=W))
 *   task_arithmetic   dᵢ = W(xᵢ − b);  pᵢ = W(dᵢ·wᵢ)
 *   linear            pᵢ = W(wᵢ·xᵢ)
 *   s = W(((0 + p₁) + p₂) + …)                                      (float32 accumulation)
 *   normalize         s = W(s / W(Σ wᵢ))   (task arithmetic: a |divisor| < 1e-8 counts as 1)
 *   task_arithmetic   r = W(b + s);  linear r = s
 * then r is cast to the output dtype. Terms are the kernel's (kernel.ts): a term with a minus input
 * is a task vector dᵢ = W(x_plus − x_minus); without one, a linear term. `divisor` is computed by the
 * planner; null when not normalizing.
 */
import { bf16FromF32Bits, bf16ToF32, f16FromF32Bits, f16ToF32, f32Bits, type FloatDtype } from '../dtype.ts';
import { decodeChunk, encodeChunk } from './cpu-kernel.ts';
import type { KernelResult, KernelTask, MergekitArith } from './kernel.ts';

/** x (a float32 value) rounded to W, nearest even, as torch's float → bfloat16/half conversion. */
export function roundTo(work: FloatDtype, x: number): number {
  if (work === 'F32') return Math.fround(x);
  const bits = f32Bits(Math.fround(x));
  return work === 'BF16' ? bf16ToF32(bf16FromF32Bits(bits)) : f16ToF32(f16FromF32Bits(bits));
}

/** The divisor mergekit normalises by: the weights as a W tensor, summed (float32), rounded to W. */
export function mergekitDivisor(work: FloatDtype, weights: readonly number[], method: 'linear' | 'task_arithmetic'): number {
  let acc = 0;
  for (const w of weights) acc = Math.fround(acc + roundTo(work, w));
  const d = roundTo(work, acc);
  return method === 'task_arithmetic' && Math.abs(d) < 1e-8 ? 1 : d;
}

export function runMergekitKernel(task: KernelTask & { readonly arith: MergekitArith }, inputs: readonly Uint8Array[], into?: Uint8Array): KernelResult {
  const { count, terms, arith } = task;
  const W = arith.work;
  const r = (x: number) => roundTo(W, x);
  const { x, stats } = decodeChunk(task, inputs);
  // Loading: every input becomes a W tensor.
  if (W !== 'F32') for (const v of x) for (let e = 0; e < count; e++) v[e] = r(v[e]!);
  const weights = terms.map((t) => r(t.alpha));
  const result = new Float32Array(count);
  for (let e = 0; e < count; e++) {
    if (terms.length === 0) {
      result[e] = x[0]![e]!;
      continue;
    }
    let acc = 0;
    terms.forEach((t, k) => {
      const d = t.minus === null ? x[t.plus]![e]! : r(x[t.plus]![e]! - x[t.minus]![e]!);
      acc = Math.fround(acc + r(d * weights[k]!));
    });
    let s = r(acc);
    if (arith.divisor !== null) s = r(s / arith.divisor);
    result[e] = task.base ? r(x[0]![e]! + s) : s;
  }
  return encodeChunk(task, result, stats, into);
}
