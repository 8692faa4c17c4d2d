/**
 * The one evaluation entry point of the CLI (`rvs eval`, `rvs sweep`) and the studio, as
 * lm-evaluation-harness has `simple_evaluate`: tasks resolved by `task-data.ts`, the recipe of the
 * model at each α, and the sweep. A platform supplies only adapters: the files (a folder or file
 * source) and a model factory that turns a recipe into a model it can run (Node: merge to a
 * temporary folder and load it; the studio: the resident merge rewrites one session's weights).
 *
 *   SweepTask[] ─┐
 *   α values  ───┼─► runEvaluation ── for each α: models(evalRecipe(merge, α)) ──► runSweep ──► rvs-report/1
 *   merge spec ──┘                     (recipe recorded in the report's header, α per run)
 *
 * The weight arithmetic is part of the recipe, so it is chosen explicitly and recorded:
 *   - `f32` (the default): θ_target + α·v kept in float32, exactly as the merge kernel computes it
 *     (recipe dtype F32);
 *   - `checkpoint`: each tensor rounded to the target's dtype (BF16…), as `rvs merge` would save it
 *     for a user to load (recipe dtype auto), then decoded to float32 for the model.
 * Either way the model computes in float32, so the CLI and the studio, given the same choice, run
 * the same weights.
 */
import { applyRecipe, mergeRecipe, type Recipe, type Rule } from '../merge/recipe.ts';
import type { Report, ReportHeader } from '../report/schema.ts';
import { EvalError } from './errors.ts';
import type { CodeSandbox } from './sandbox/types.ts';
import { runSweep, type SweepModel, type SweepOptions, type SweepTask } from './sweep.ts';

export const WEIGHT_ARITHMETICS = ['f32', 'checkpoint'] as const;
export type WeightArithmetic = (typeof WEIGHT_ARITHMETICS)[number];
export const DEFAULT_WEIGHTS: WeightArithmetic = 'f32';

/** What is merged: θ_target + α·(θ_GRPO − θ_SFT), or θ_target + α·v with a saved vector. */
export interface MergeSpec {
  readonly useVector: boolean;
  readonly rules: readonly Rule[];
  readonly weights: WeightArithmetic;
}

/** The recipe of the model evaluated at α. */
export function evalRecipe(spec: MergeSpec, alpha: number): Recipe {
  const options = { rules: [...spec.rules], dtype: spec.weights === 'f32' ? ('F32' as const) : ('auto' as const) };
  return spec.useVector ? applyRecipe(alpha, options) : mergeRecipe(alpha, options);
}

/** The weight arithmetic a recipe stands for (F32: exact float32; otherwise rounded to an output dtype). */
export function weightArithmeticOf(recipe: Recipe): WeightArithmetic {
  return recipe.dtype === 'F32' ? 'f32' : 'checkpoint';
}

/** A platform's model for a recipe; null: the target checkpoint as it is (no merge). */
export type ModelFactory = (recipe: Recipe | null) => Promise<SweepModel>;

export interface EvaluationOptions extends Pick<SweepOptions, 'alphas' | 'tasks' | 'resume' | 'signal' | 'onProgress' | 'onReport' | 'chunkSize'> {
  /** null: no merge (every α must be null: the target as it is). */
  readonly merge: MergeSpec | null;
  /** The report's header but the recipe, which is written here from `merge`. */
  readonly header: Omit<ReportHeader, 'recipe'>;
  readonly models: ModelFactory;
  /** Where code tasks run model-written programs; asked for only when a code task is in the sweep. */
  readonly sandbox?: () => Promise<CodeSandbox>;
}

/**
 * The sweep's report. Its header records the recipe at α = 1; each run's `alpha` replaces the
 * vector's α (`runRecipe` in report/schema.ts gives a run's whole recipe).
 */
export async function runEvaluation(o: EvaluationOptions): Promise<Report> {
  if (o.alphas.length === 0) throw new EvalError('BAD_OPTION', 'give at least one α');
  if (o.merge === null && o.alphas.some((a) => a !== null)) throw new EvalError('BAD_OPTION', 'an α needs checkpoints to merge');
  const merge = o.merge;
  const needsSandbox = o.tasks.some((t: SweepTask) => t.task.kind === 'code');
  const sandbox = needsSandbox && o.sandbox ? await o.sandbox() : undefined;
  return runSweep({
    alphas: o.alphas,
    tasks: o.tasks,
    header: { ...o.header, recipe: merge ? evalRecipe(merge, 1) : null },
    modelFor: (alpha) => o.models(merge && alpha !== null ? evalRecipe(merge, alpha) : null),
    ...(sandbox ? { sandbox } : {}),
    ...(o.resume ? { resume: o.resume } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.onReport ? { onReport: o.onReport } : {}),
    ...(o.chunkSize === undefined ? {} : { chunkSize: o.chunkSize }),
  });
}
