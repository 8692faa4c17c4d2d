/**
 * Planning: a validated recipe and bound checkpoints become a list of output tensors, each with
 * its positional inputs, the kernel's terms over them (α per tensor) and its output dtype. The
 * executor cuts them into chunks.
 */
import { dtypeSize, isFloatDtype, type FloatDtype, type SafetensorsDtype } from '../dtype.ts';
import type { Checkpoint, TensorLocation } from '../checkpoint/checkpoint.ts';
import { compareCheckpoints, resolveTensor, type CompatReport } from '../checkpoint/compat.ts';
import { numElements } from '../safetensors/header.ts';
import type { TensorSpec } from '../safetensors/writer.ts';
import { MAX_INPUTS, type KernelTerm, type MergekitArith } from './kernel.ts';
import { mergekitDivisor } from './mergekit-kernel.ts';
import { drawThreshold, streamKey } from './sparse-kernel.ts';
import { globToRegExp, type Recipe } from './recipe.ts';

export type MergeErrorCode = 'INCOMPATIBLE' | 'MISSING_ROLE' | 'UNSUPPORTED' | 'CANCELLED';

export class MergeError extends Error {
  override readonly name = 'MergeError';
  constructor(
    readonly code: MergeErrorCode,
    message: string,
    readonly report?: CompatReport,
  ) {
    super(message);
  }
}

export interface TensorJob {
  readonly name: string;
  readonly shape: readonly number[];
  readonly count: number;
  /** What the job does, for display: one term of the paper's shapes, several ("combine"), or a copy. */
  readonly op: 'copy' | 'merge' | 'extract' | 'apply' | 'combine';
  /** float32 α of the first term (0 for a copy). */
  readonly alpha: number;
  /** inputs[0] is the base. */
  readonly base: boolean;
  /** The kernel's terms over `inputs` (kernel.ts), α already per-tensor and rounded to float32. */
  readonly terms: readonly KernelTerm[];
  readonly inputs: readonly TensorLocation[];
  readonly outDtype: SafetensorsDtype;
  /** Same dtype in and out with a copy: the bytes are passed through without decoding. */
  readonly raw: boolean;
  /** mergekit's arithmetic (recipe.mergekit), else null: the float32 fold. */
  readonly arith: MergekitArith | null;
  /** ties / dare_* / breadcrumbs (sparse-kernel.ts), else null. */
  readonly sparse: JobSparse | null;
}

/** How a term is sparsified: the k largest |d|, ranks [nBot, N − nTop) of |d|, or a seeded draw. */
export type TermSelect = { readonly kind: 'top'; readonly k: number } | { readonly kind: 'outliers'; readonly nBot: number; readonly nTop: number } | { readonly kind: 'random'; readonly key: number; readonly threshold: number; readonly inverse: number | null };

export interface JobSparse {
  readonly consensus: boolean;
  readonly normalize: boolean;
  /** One per term; null: the term is not sparsified (density 1). */
  readonly selects: readonly (TermSelect | null)[];
}

/** mergekit's definitions: consensus, sparsification and defaults of each method. */
const METHOD_SPEC = {
  ties: { consensus: true, select: 'top', normalize: true, rescale: false },
  dare_linear: { consensus: false, select: 'random', normalize: false, rescale: true },
  dare_ties: { consensus: true, select: 'random', normalize: false, rescale: true },
  breadcrumbs: { consensus: false, select: 'outliers', normalize: false, rescale: false },
} as const;

export interface MergePlan {
  readonly recipe: Recipe;
  readonly tensors: readonly TensorJob[];
  readonly outputs: readonly TensorSpec[];
  readonly compat: CompatReport;
  readonly inputBytes: number;
  readonly outputBytes: number;
  /** The checkpoint whose side files (config, tokenizer) the output carries. */
  readonly primary: Checkpoint;
}

export function planMerge(recipe: Recipe, roles: ReadonlyMap<string, Checkpoint>): MergePlan {
  const need = (role: string): Checkpoint => {
    const c = roles.get(role);
    if (!c) throw new MergeError('MISSING_ROLE', `recipe needs a checkpoint for "${role}"`);
    return c;
  };
  // Positional inputs: the base first, then each vector's minus and plus; a checkpoint named twice
  // (by two roles, or in two vectors) is read once.
  const inputRoles: string[] = [];
  const inputOf = new Map<Checkpoint, number>();
  const input = (role: string): number => {
    const c = need(role);
    let i = inputOf.get(c);
    if (i === undefined) {
      i = inputRoles.push(role) - 1;
      inputOf.set(c, i);
    }
    return i;
  };
  const base = recipe.base === null ? null : input(recipe.base);
  const vectors = recipe.vectors.map((v) => ({ minus: v.minus === undefined ? null : input(v.minus), plus: input(v.plus), alpha: v.alpha }));
  if (inputRoles.length > MAX_INPUTS) throw new MergeError('UNSUPPORTED', `recipe reads ${inputRoles.length} checkpoints; at most ${MAX_INPUTS}`);
  const checkpoints = inputRoles.map((r) => roles.get(r)!);
  const primaryRole = inputRoles[0]!;
  const primary = checkpoints[0]!;

  const rules = recipe.rules.map((r) => ({ ...r, regexp: globToRegExp(r.pattern) }));
  /** Each vector's α for a tensor, 'exclude' where a rule keeps it out. */
  const alphasFor = (name: string): (number | 'exclude')[] =>
    vectors.map((v, k) => {
      let alpha: number | 'exclude' = v.alpha;
      for (const r of rules) if ((r.vector === undefined || r.vector === k) && r.regexp.test(name)) alpha = r.exclude ? 'exclude' : r.alpha!;
      return alpha;
    });
  // With a base, excluded and α = 0 terms are dropped (mergekit's arithmetic keeps α = 0 terms, as
  // mergekit computes them); a tensor with none left copies the base.
  const mk = recipe.mergekit;
  const termsOf = (name: string): (KernelTerm & { vector: number })[] =>
    alphasFor(name).flatMap((a, k) => {
      if (a === 'exclude' || (base !== null && a === 0 && !mk)) return [];
      const v = vectors[k]!;
      return [{ plus: v.plus, minus: v.minus, alpha: Math.fround(a), vector: k }];
    });
  const termsFor = (name: string): KernelTerm[] => termsOf(name);
  const method = recipe.method === 'task_arithmetic' ? null : METHOD_SPEC[recipe.method];
  if (method && mk) throw new MergeError('UNSUPPORTED', `mergekit's arithmetic covers linear and task_arithmetic, not ${recipe.method}`);
  const sparseFor = (name: string, count: number, terms: readonly { vector: number }[]): JobSparse | null => {
    if (!method) return null;
    const selects = terms.map(({ vector }): TermSelect | null => {
      const v = recipe.vectors[vector]!;
      const density = v.density ?? 1;
      if (density >= 1) return null;
      if (method.select === 'random') {
        const rescale = recipe.rescale ?? method.rescale;
        return { kind: 'random', key: streamKey(recipe.seed ?? 0, name, vector), threshold: drawThreshold(density), inverse: rescale ? Math.fround(1 / density) : null };
      }
      const keep = Math.floor(density * count);
      if (keep <= 0) throw new MergeError('UNSUPPORTED', `${name}: density ${density} keeps none of its ${count} entries`);
      if (method.select === 'top') return { kind: 'top', k: keep };
      let nTop = Math.floor((v.gamma ?? 0.01) * count);
      let nBot = count - keep - nTop;
      if (nBot < 0) {
        nTop += nBot;
        nBot = 0;
      }
      return { kind: 'outliers', nBot, nTop };
    });
    return { consensus: method.consensus, normalize: recipe.normalize ?? method.normalize, selects };
  };
  const copiedOnly = (name: string) => base !== null && termsFor(name).length === 0;

  const involved = new Map<string, Checkpoint>(inputRoles.map((r, i) => [r, checkpoints[i]!]));
  const compat = compareCheckpoints(involved, { primary: primaryRole, copiedOnly });
  if (!compat.ok) {
    const errors = compat.issues.filter((i) => i.severity === 'error');
    throw new MergeError('INCOMPATIBLE', `checkpoints are incompatible (${errors.length} problem${errors.length === 1 ? '' : 's'}): ${errors.map((e) => e.message).join('; ')}`, compat);
  }

  const tensors: TensorJob[] = [];
  for (const [name, loc] of primary.tensors) {
    const withVectors = termsOf(name);
    const terms: KernelTerm[] = withVectors.map(({ vector: _, ...t }) => t);
    const inDtype = loc.info.dtype;
    let outDtype: SafetensorsDtype = recipe.dtype === 'auto' ? (base !== null ? inDtype : 'F32') : recipe.dtype;
    const shape = loc.info.shape;
    const count = numElements(shape);
    if (base !== null && terms.length === 0) {
      // A copy of the base: bytes pass through unchanged when the dtype stays.
      if (!isFloatDtype(inDtype)) outDtype = inDtype;
      tensors.push({ name, shape, count, op: 'copy', alpha: 0, base: true, terms: [], inputs: [loc], outDtype, raw: outDtype === inDtype, arith: null, sparse: null });
      continue;
    }
    if (terms.length === 0) continue; // not part of the vector
    // Only the inputs the terms read (and the base), renumbered.
    const used = [...new Set([...(base === null ? [] : [base]), ...terms.flatMap((t) => (t.minus === null ? [t.plus] : [t.minus, t.plus]))])];
    const at = new Map(used.map((i, j) => [i, j]));
    const local = terms.map((t) => ({ plus: at.get(t.plus)!, minus: t.minus === null ? null : at.get(t.minus)!, alpha: t.alpha }));
    const inputs = used.map((i) => resolveTensor(checkpoints[i]!, name)!);
    const arith = mk ? { work: mk.dtype, divisor: mk.normalize ? mergekitDivisor(mk.dtype, local.map((t) => t.alpha), mk.method) : null } : null;
    const sparse = sparseFor(name, count, withVectors);
    tensors.push({ name, shape, count, op: opLabel(base !== null, local), alpha: local[0]!.alpha, base: base !== null, terms: local, inputs, outDtype, raw: false, arith, sparse });
  }
  const outputs = tensors.map((t) => ({ name: t.name, dtype: t.outDtype, shape: t.shape }));
  const inputBytes = tensors.reduce((n, t) => n + t.inputs.reduce((m, i) => m + i.info.end - i.info.begin, 0), 0);
  const outputBytes = outputs.reduce((n, t) => n + numElements(t.shape) * dtypeSize(t.dtype), 0);
  return { recipe, tensors, outputs, compat, inputBytes, outputBytes, primary };
}

function opLabel(base: boolean, terms: readonly KernelTerm[]): TensorJob['op'] {
  if (terms.length !== 1) return 'combine';
  const t = terms[0]!;
  if (base) return t.minus === null ? 'apply' : 'merge';
  return t.minus !== null && t.alpha === 1 ? 'extract' : 'combine';
}

export function asFloat(dtype: SafetensorsDtype): FloatDtype {
  if (!isFloatDtype(dtype)) throw new Error(`dtype ${dtype} is not a float type`);
  return dtype;
}
