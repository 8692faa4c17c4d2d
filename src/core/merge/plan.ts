/**
 * Planning: a validated recipe and bound checkpoints become a list of output tensors, each with
 * its kernel op, α, inputs and output dtype. The executor cuts them into chunks.
 */
import { dtypeSize, isFloatDtype, type FloatDtype, type SafetensorsDtype } from '../dtype.ts';
import type { Checkpoint, TensorLocation } from '../checkpoint/checkpoint.ts';
import { compareCheckpoints, resolveTensor, type CompatReport } from '../checkpoint/compat.ts';
import { numElements } from '../safetensors/header.ts';
import type { TensorSpec } from '../safetensors/writer.ts';
import { OP_INPUTS, type KernelOp } from './kernel.ts';
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
  readonly op: KernelOp;
  /** float32 α (0 for copy). */
  readonly alpha: number;
  /** One per kernel input (OP_INPUTS order). */
  readonly inputs: readonly TensorLocation[];
  readonly outDtype: SafetensorsDtype;
  /** Same dtype in and out with op copy: the bytes are passed through without decoding. */
  readonly raw: boolean;
}

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
  if (recipe.vectors.length !== 1) {
    throw new MergeError('UNSUPPORTED', `recipe has ${recipe.vectors.length} vectors; this version merges one at a time`);
  }
  const vector = recipe.vectors[0]!;
  const need = (role: string): Checkpoint => {
    const c = roles.get(role);
    if (!c) throw new MergeError('MISSING_ROLE', `recipe needs a checkpoint for "${role}"`);
    return c;
  };
  const base = recipe.base === null ? null : need(recipe.base);
  const plus = need(vector.plus);
  const minus = vector.minus === undefined ? null : need(vector.minus);
  // The kernel op and its inputs in OP_INPUTS order.
  const op: KernelOp = base ? (minus ? 'merge' : 'apply') : minus ? 'extract' : 'copy';
  if (op === 'copy') throw new MergeError('UNSUPPORTED', 'a recipe without a base needs a vector with "minus" (v = plus − minus)');
  const inputCheckpoints: Checkpoint[] = { merge: [base!, minus!, plus], extract: [minus!, plus], apply: [base!, plus], copy: [base!] }[op];
  const primary = inputCheckpoints[0]!;

  const rules = recipe.rules.map((r) => ({ ...r, regexp: globToRegExp(r.pattern) }));
  const alphaFor = (name: string): number | 'exclude' => {
    let alpha: number | 'exclude' = vector.alpha;
    for (const r of rules) if (r.regexp.test(name)) alpha = r.exclude ? 'exclude' : r.alpha!;
    return alpha;
  };
  // With a base, excluded or α = 0 tensors are copies of the base and need no counterpart.
  const copiedOnly = (name: string) => {
    const alpha = alphaFor(name);
    return base !== null && (alpha === 'exclude' || alpha === 0);
  };

  const involved = new Map<string, Checkpoint>();
  OP_INPUTS[op].forEach((role, i) => involved.set(roleName(recipe, role), inputCheckpoints[i]!));
  const compat = compareCheckpoints(involved, { primary: roleName(recipe, OP_INPUTS[op][0]), copiedOnly });
  if (!compat.ok) {
    const errors = compat.issues.filter((i) => i.severity === 'error');
    throw new MergeError('INCOMPATIBLE', `checkpoints are incompatible (${errors.length} problem${errors.length === 1 ? '' : 's'}): ${errors.map((e) => e.message).join('; ')}`, compat);
  }

  const tensors: TensorJob[] = [];
  for (const [name, loc] of primary.tensors) {
    const alphaRule = alphaFor(name);
    const alpha = alphaRule === 'exclude' ? 0 : Math.fround(alphaRule);
    const inDtype = loc.info.dtype;
    let outDtype: SafetensorsDtype = recipe.dtype === 'auto' ? (base ? inDtype : 'F32') : recipe.dtype;
    if (base && alpha === 0) {
      // A copy of the base: bytes pass through unchanged when the dtype stays.
      if (!isFloatDtype(inDtype)) outDtype = inDtype;
      tensors.push({ name, shape: loc.info.shape, count: numElements(loc.info.shape), op: 'copy', alpha: 0, inputs: [loc], outDtype, raw: outDtype === inDtype });
      continue;
    }
    if (!base && alphaRule === 'exclude') continue; // not part of the vector
    const inputs = inputCheckpoints.map((c) => resolveTensor(c, name)!);
    tensors.push({ name, shape: loc.info.shape, count: numElements(loc.info.shape), op, alpha, inputs, outDtype, raw: false });
  }
  const outputs = tensors.map((t) => ({ name: t.name, dtype: t.outDtype, shape: t.shape }));
  const inputBytes = tensors.reduce((n, t) => n + t.inputs.reduce((m, i) => m + i.info.end - i.info.begin, 0), 0);
  const outputBytes = outputs.reduce((n, t) => n + numElements(t.shape) * dtypeSize(t.dtype), 0);
  return { recipe, tensors, outputs, compat, inputBytes, outputBytes, primary };
}

/** The role a kernel input plays in this recipe ("sft" for minus, "grpo" for plus, …). */
function roleName(recipe: Recipe, input: (typeof OP_INPUTS)[KernelOp][number]): string {
  const v = recipe.vectors[0]!;
  switch (input) {
    case 'target':
      return recipe.base!;
    case 'sft':
      return v.minus!;
    case 'grpo':
    case 'vector':
      return v.plus;
  }
}

export function asFloat(dtype: SafetensorsDtype): FloatDtype {
  if (!isFloatDtype(dtype)) throw new Error(`dtype ${dtype} is not a float type`);
  return dtype;
}
