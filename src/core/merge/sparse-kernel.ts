/**
 * ties, dare_linear, dare_ties and breadcrumbs (mergekit's definitions, sparsify.py and
 * generalized_task_arithmetic.py) in rvs's float32 arithmetic. Per element, terms in order:
 *
 *   dₖ = x_plus − x_minus (or x_plus)                      float32
 *   keepₖ: band lo ≤ |dₖ| < hi, or the seeded draw (kernel.ts TermKeep); dropped → dₖ' = 0
 *          DARE with rescale: dₖ' = dₖ·(1/density)          float32, 1/density rounded once
 *   pₖ = αₖ·dₖ'
 *   consensus (ties, dare_ties): S = p₁ + p₂ + … ; sign = S ≥ 0 ? +1 : −1; a term counts when
 *          sign(pₖ) = sign (a zero never does)
 *   otherwise every term counts
 *   acc = Σ counted pₖ (left to right, 0 when none);  div = Σ counted αₖ (0 → 1; |div| < 1e-8 → 1)
 *   normalize: acc = acc·(1/div)   (1/div rounded once to float32: a product, not a quotient,
 *          so that WGSL, whose division is not correctly rounded, gives the same bits)
 *   base: r = (acc == 0) ? x₀ : x₀ + acc;  no base: r = acc
 *
 * The thresholds of the bands come from a streaming selection over the tensor (thresholds.ts);
 * the draw from a counter-based hash of (seed, tensor, vector, element index), so any backend and
 * any chunking give the same bits.
 */
import { decodeChunk, encodeChunk } from './cpu-kernel.ts';
import type { KernelResult, KernelTask, SparseCombine, TermKeep } from './kernel.ts';

/** A 32-bit finaliser (lowbias32): integer multiplies and shifts only, the same in WGSL. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The draw for element `index` of the stream `key`: 32 random bits. */
export function drawBits(key: number, index: number): number {
  return mix32((Math.imul(index >>> 0, 0x9e3779b9) + key) >>> 0);
}

/** The stream key of (seed, tensor name, vector index). */
export function streamKey(seed: number, tensor: string, vector: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tensor.length; i++) h = Math.imul(h ^ tensor.charCodeAt(i), 0x01000193) >>> 0;
  return mix32((mix32(seed >>> 0) ^ h ^ mix32(vector + 1)) >>> 0);
}

/** 1/div rounded to float32, with mergekit's guards: a zero agreeing-weight sum (consensus), or a |Σ w| < 1e-8, divides by 1. */
export function reciprocal(div: number, consensus: boolean): number {
  return Math.fround(1 / ((consensus ? div === 0 : Math.abs(div) < 1e-8) ? 1 : div));
}

/** ⌊density·2²⁴⌋: entry kept iff (bits >>> 8) < this. */
export const drawThreshold = (density: number): number => Math.floor(density * 2 ** 24);

function kept(keep: TermKeep | undefined, d: number, index: number): boolean {
  if (!keep) return true;
  if (keep.kind === 'band') {
    const a = Math.abs(d);
    return keep.lo <= a && a < keep.hi;
  }
  return drawBits(keep.key, index) >>> 8 < keep.threshold;
}

export function runSparseKernel(task: KernelTask & { readonly sparse: SparseCombine }, inputs: readonly Uint8Array[], into?: Uint8Array): KernelResult {
  const { count, terms, sparse } = task;
  const { x, stats } = decodeChunk(task, inputs);
  const alphas = terms.map((t) => Math.fround(t.alpha));
  const p = new Float64Array(terms.length);
  const result = new Float32Array(count);
  for (let e = 0; e < count; e++) {
    const index = sparse.start + e;
    terms.forEach((t, k) => {
      let d = t.minus === null ? x[t.plus]![e]! : Math.fround(x[t.plus]![e]! - x[t.minus]![e]!);
      if (!kept(t.keep, d, index)) d = 0;
      else if (t.keep?.kind === 'random' && t.keep.inverse !== null) d = Math.fround(d * t.keep.inverse);
      p[k] = Math.fround(alphas[k]! * d);
    });
    let sign = 0;
    if (sparse.consensus) {
      let s = p[0]!;
      for (let k = 1; k < terms.length; k++) s = Math.fround(s + p[k]!);
      sign = s >= 0 ? 1 : -1;
    }
    let acc = 0;
    let div = 0;
    let first = true;
    for (let k = 0; k < terms.length; k++) {
      const pk = p[k]!;
      if (sparse.consensus && Math.sign(pk) !== sign) continue;
      acc = first ? pk : Math.fround(acc + pk);
      div = first ? alphas[k]! : Math.fround(div + alphas[k]!);
      first = false;
    }
    if (sparse.normalize) {
      acc = Math.fround(acc * reciprocal(div, sparse.consensus));
    }
    result[e] = task.base ? (acc === 0 ? x[0]![e]! : Math.fround(x[0]![e]! + acc)) : acc;
  }
  return encodeChunk(task, result, stats, into);
}
