/**
 * The recipe a report records: the merge recipe (`rvs-recipe/1`) of its sweep, written at α = 1;
 * each run's `alpha` replaces the vector's α. Its `dtype` is the weight arithmetic: F32 for exact
 * float32 weights, `auto` for weights rounded to the target's dtype as a user would save them.
 *
 * Reports written before the recipe was typed are migrated when read, with their meaning kept:
 *   - `rvs sweep` wrote `vectors: [{…, alpha: "per run"}]` with dtype auto: it merged to the
 *     target's dtype on disk, so the migrated recipe keeps dtype auto;
 *   - the studio wrote the recipe at α = 0 with dtype F32: it evaluated float32 weights.
 */
import { recipeSchema, type Recipe } from '../merge/recipe.ts';

/** The α a report's recipe is written at. */
export const REPORT_RECIPE_ALPHA = 1;

export const reportRecipeSchema = recipeSchema.refine((r) => r.vectors.every((v) => v.alpha === REPORT_RECIPE_ALPHA), {
  message: `a report's recipe is written at α = ${REPORT_RECIPE_ALPHA} (each run has its own α)`,
  path: ['vectors'],
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A parsed report value with an older recipe spelling rewritten (see above); anything else as it is. */
export function migrateReportRecipe(value: unknown): unknown {
  if (!isObject(value) || !isObject(value['recipe']) || !Array.isArray(value['recipe']['vectors'])) return value;
  const recipe = value['recipe'];
  const vectors = recipe['vectors'] as unknown[];
  const old = (v: unknown) => isObject(v) && (v['alpha'] === 'per run' || (v['alpha'] === 0 && recipe['dtype'] === 'F32'));
  if (vectors.length === 0 || !vectors.every(old)) return value;
  return { ...value, recipe: { ...recipe, vectors: vectors.map((v) => ({ ...(v as object), alpha: REPORT_RECIPE_ALPHA })) } };
}

/** A run's whole recipe: the report's with the run's α; null without a recipe or an α. */
export function runRecipe(report: { readonly recipe: Recipe | null }, run: { readonly alpha: number | null }): Recipe | null {
  if (report.recipe === null || run.alpha === null) return null;
  const alpha = run.alpha;
  return { ...report.recipe, vectors: report.recipe.vectors.map((v) => ({ ...v, alpha })) };
}
