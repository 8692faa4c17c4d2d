/**
 * The contract between the merge executor and a kernel backend (CPU twins or WebGPU).
 *
 * A task combines N positional inputs x₀ … x_{N−1} (decoded exactly to float32) with a list of
 * terms, each `α·(x_plus − x_minus)` or `α·x_plus`. Arithmetic, per element, in float32 (each step
 * rounded to float32, nearest even), terms in order:
 *   dₖ = x_plusₖ − x_minusₖ   (or x_plusₖ)
 *   pₖ = αₖ·dₖ
 *   acc = p₁;  acc = acc + pₖ  for k = 2 … K          (the deltas are summed first)
 *   base (x₀):  r = (acc == 0) ? x₀ : x₀ + acc
 *   no base:    r = acc
 *   no terms:   r = x₀                                  (a copy)
 * r is encoded to the output dtype with round-to-nearest-even and canonical NaNs (see dtype.ts).
 * "acc == 0 keeps x₀" makes α = 0, a zero vector, and terms that cancel (v − v) reproduce the base
 * bit for bit, signed zeros included. No fused multiply-add: the GPU kernel keeps each product and
 * sum apart so that all backends agree bit for bit. With one term this is the paper's merge
 * (x₀ = θ_target, x₁ = θ_SFT, x₂ = θ_GRPO: r = t + α·(g − s)), extraction (no base, α = 1:
 * r = g − s, exact) and application of a stored vector (r = t + α·v); the kernel knows no roles.
 *
 * Because acc is a left fold, a backend may split the terms over several passes: a pass that
 * continues a fold takes the previous acc as a float32 input with a term `1·acc` first
 * (1·acc == acc exactly), so the result is the same bit for bit (merge-webgpu.ts does this when
 * the inputs outnumber its bindings).
 *
 * Statistics describe the first term's vector d₁ (unscaled) against its minus input (θ_SFT for an
 * extracted vector; none, 0, for a stored one). They are accumulated in float64 by the CPU backends
 * and in float32 per workgroup then float64 by the GPU backend, so they agree to ~1e-6, not bit for
 * bit.
 */
import type { FloatDtype } from '../dtype.ts';

/** One term: α·(inputs[plus] − inputs[minus]), or α·inputs[plus] when minus is null. */
export interface KernelTerm {
  readonly plus: number;
  readonly minus: number | null;
  /** Already rounded to float32 (Math.fround). */
  readonly alpha: number;
  /** Sparsification of d before scaling (sparse-kernel.ts); absent: every entry kept. */
  readonly keep?: TermKeep | undefined;
}

/**
 * Which entries of a term's d survive: a magnitude band lo ≤ |d| < hi (ties: hi = ∞;
 * breadcrumbs: both), or a seeded random draw keeping entry i iff (hash(key, i) >>> 8) < threshold
 * (threshold = ⌊density·2²⁴⌋), the kept ones multiplied by `inverse` (1/density rounded to float32)
 * when not null.
 */
export type TermKeep = { readonly kind: 'band'; readonly lo: number; readonly hi: number } | { readonly kind: 'random'; readonly key: number; readonly threshold: number; readonly inverse: number | null };

/** ties / dare_ties / breadcrumbs / dare_linear: how the sparsified terms combine (sparse-kernel.ts). */
export interface SparseCombine {
  /** Majority sign (of Σ pᵢ) and disjoint sum: only terms whose pᵢ has that sign count. */
  readonly consensus: boolean;
  /** Divide the sum by the (agreeing) terms' Σ α. */
  readonly normalize: boolean;
  /** Index of the chunk's first element in its tensor (the random draw's counter). */
  readonly start: number;
}

export interface KernelTask {
  /** inputs[0] is the base the summed terms are added to; false: the result is the sum itself. */
  readonly base: boolean;
  /** In order; empty (with a base) copies the base. */
  readonly terms: readonly KernelTerm[];
  /** One per input. */
  readonly inputDtypes: readonly FloatDtype[];
  readonly outDtype: FloatDtype;
  /** Elements in this chunk. */
  readonly count: number;
  /** Accumulate statistics of the first term's vector. */
  readonly stats: boolean;
  /** Produce the output bytes (false: statistics only). */
  readonly output: boolean;
  /** mergekit's arithmetic instead of the float32 fold (mergekit-kernel.ts; CPU backends only). */
  readonly arith?: MergekitArith | undefined;
  /** Sparsified methods (sparse-kernel.ts; CPU backends only). */
  readonly sparse?: SparseCombine | undefined;
}

/** `--arith mergekit`: see mergekit-kernel.ts. */
export interface MergekitArith {
  /** mergekit's `dtype`: what tensors are loaded as and every op rounds to. */
  readonly work: FloatDtype;
  /** Normalisation divisor W(Σ wᵢ), or null. */
  readonly divisor: number | null;
}

/** Sums over a chunk; ref is the first term's minus input (0 when it has none). */
export interface ChunkStats {
  count: number;
  sumSqV: number;
  sumSqRef: number;
  maxAbsV: number;
  zerosV: number;
}

export interface KernelResult {
  /** count × size(outDtype) bytes, or empty when `output` is false. */
  readonly output: Uint8Array;
  readonly stats: ChunkStats | null;
}

export interface KernelBackend {
  readonly name: 'cpu' | 'webgpu';
  /** Largest chunk (in elements) one `run` accepts. */
  readonly maxChunkElements: number;
  /**
   * Runs one chunk. `inputs[i]` holds count × size(inputDtypes[i]) bytes, 4-byte aligned. The
   * result goes into `output` when given (at least count × size(outDtype) bytes; the result's
   * `output` is then a view of it), else into a new buffer. Several calls may be in flight at
   * once; results must not depend on that.
   */
  run(task: KernelTask, inputs: readonly Uint8Array[], output?: Uint8Array): Promise<KernelResult>;
  /**
   * Optional: memory for one chunk in flight (`areaBytes(maxChunkElements)` bytes, cut up with
   * `carveArea`) where this backend reads and writes without a copy; null when it has no more.
   */
  allocateArea?(): Uint8Array | null;
  dispose(): Promise<void>;
}

/** Checks the shape of a task (inputs named by the terms exist, a base or a term); null when fine. */
export function taskProblem(task: Pick<KernelTask, 'base' | 'terms' | 'inputDtypes'>): string | null {
  const n = task.inputDtypes.length;
  if (n === 0) return 'no inputs';
  if (!task.base && task.terms.length === 0) return 'neither a base nor a term';
  for (const [k, t] of task.terms.entries()) {
    for (const i of t.minus === null ? [t.plus] : [t.plus, t.minus]) {
      if (!Number.isInteger(i) || i < 0 || i >= n) return `term ${k} names input ${i} of ${n}`;
    }
  }
  return null;
}

/** The paper's three shapes, for tests and callers that think in them. */
export const SHAPES = {
  /** x₀ + α·(x₂ − x₁) */
  merge: (alpha: number) => ({ base: true, terms: [{ plus: 2, minus: 1, alpha: Math.fround(alpha) }] }),
  /** x₁ − x₀ */
  extract: () => ({ base: false, terms: [{ plus: 1, minus: 0, alpha: 1 }] }),
  /** x₀ + α·x₁ */
  apply: (alpha: number) => ({ base: true, terms: [{ plus: 1, minus: null, alpha: Math.fround(alpha) }] }),
  /** x₀ */
  copy: () => ({ base: true, terms: [] as KernelTerm[] }),
} as const;
export type ShapeName = keyof typeof SHAPES;
export const SHAPE_INPUTS: Record<ShapeName, number> = { merge: 3, extract: 2, apply: 2, copy: 1 };

export function emptyStats(): ChunkStats {
  return { count: 0, sumSqV: 0, sumSqRef: 0, maxAbsV: 0, zerosV: 0 };
}

export function addStats(into: ChunkStats, chunk: ChunkStats): void {
  into.count += chunk.count;
  into.sumSqV += chunk.sumSqV;
  into.sumSqRef += chunk.sumSqRef;
  if (chunk.maxAbsV > into.maxAbsV) into.maxAbsV = chunk.maxAbsV;
  into.zerosV += chunk.zerosV;
}

/** Most inputs one task takes (the planner refuses recipes that need more). */
export const MAX_INPUTS = 64;

/**
 * Largest chunk for a task with `inputs` inputs on a backend whose `maxChunkElements` is sized for
 * three inputs and an output: the chunk shrinks as inputs grow, so that memory in flight does not.
 */
export function chunkElementsFor(maxChunkElements: number, inputs: number): number {
  if (inputs <= 3) return maxChunkElements;
  return Math.max(16, Math.floor((4 * maxChunkElements) / (inputs + 1) / 16) * 16);
}

/** Bytes of a chunk area: four float32 chunks (three inputs and an output) with alignment room. */
export function areaBytes(maxChunkElements: number): number {
  return 4 * Math.ceil((maxChunkElements * 4 + 64) / 64) * 64;
}

/** An area cut into `inputs` input buffers and an output, 64-byte aligned, each large enough for a chunk of `chunkElementsFor`. */
export function carveArea(area: Uint8Array, inputs: number): { inputs: Uint8Array[]; output: Uint8Array } {
  const part = Math.floor(area.byteLength / (inputs + 1) / 64) * 64;
  const view = (j: number) => area.subarray(j * part, (j + 1) * part);
  return { inputs: Array.from({ length: inputs }, (_, j) => view(j)), output: view(inputs) };
}
